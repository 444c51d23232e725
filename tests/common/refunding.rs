//! What the refund tests share: a configuration with refunds on and cashiers, a simulator whose
//! customers pay at once, a paid sale and a refund, all through the real binary.

use std::io::Write;
use std::process::{Output, Stdio};
use std::time::Duration;

use super::cli::{Setup, args, kiosk, run, setup, text};
use paycode_kiosk::simulator::{Endpoint, Fault, FaultRule, SimulatorOptions};

/// Refunds on, Le 30 a day; Aminata may refund, Mohamed may not; the admin PIN is 0000.
pub const REFUNDS: &str = "[refunds]\nenabled = true\ndaily_limit = 30\n\
    [[cashiers]]\nname = \"Aminata\"\npin = \"2580\"\ncan_refund = true\n\
    [[cashiers]]\nname = \"Mohamed\"\npin = \"1397\"\n";
/// The number that pays the simulator's codes (AMINATA KAMARA's, Orange Money).
pub const PAYER: &str = "076123456";

/// A simulator whose customers pay every code at once.
pub fn paying() -> SimulatorOptions {
    SimulatorOptions {
        auto_pay_after: Some(Duration::from_millis(300)),
        processing_time: Duration::from_millis(200),
        ..SimulatorOptions::default()
    }
}

/// A paying simulator and a configuration for it, with `extra_monime` in `[monime]` and
/// `extra` at the end.
pub async fn refund_setup(extra_monime: &str, extra: &str) -> Setup {
    let setup = setup(paying(), extra_monime).await;
    let mut config = std::fs::read_to_string(&setup.config).expect("config");
    config.push_str(extra);
    std::fs::write(&setup.config, config).expect("config");
    setup
}

/// Charges `amount` and sees it paid.
pub async fn paid_sale(setup: &Setup, amount: &str) {
    let output = run(args(&["charge", amount], &setup.config)).await;
    assert!(output.status.success(), "{:?}", text(&output));
}

/// Runs `refund` with `extra` and standard input `input`.
pub async fn refund(setup: &Setup, extra: &[&str], input: &str) -> Output {
    let mut all = vec!["refund"];
    all.extend_from_slice(extra);
    let arguments = args(&all, &setup.config);
    let input = input.to_string();
    tokio::task::spawn_blocking(move || {
        let mut child = kiosk()
            .args(arguments)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("refund runs");
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(input.as_bytes()).expect("input");
        drop(stdin);
        child.wait_with_output().expect("refund ends")
    })
    .await
    .expect("task")
}

/// Refunds `amount` of `sale` to the payer with `pin`, without the question, and sees it
/// refunded.
pub async fn refunded(setup: &Setup, sale: &str, amount: &str, pin: &str) {
    let output = refund(
        setup,
        &[
            sale, "--amount", amount, "--to", PAYER, "--yes", "--pin", pin,
        ],
        "",
    )
    .await;
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("Refunded"), "{stdout}");
}

/// Refunds all of `sale` as the admin and kills the command with SIGKILL once Monime has made
/// the payout, before its answer arrives (Monime holds it back): as at a power cut, the journal
/// is left with the refund sending and without the payout's id.
pub async fn refund_killed_after_its_post(setup: &Setup, sale: &str) {
    setup.sim.push_fault(FaultRule {
        endpoint: Endpoint::CreatePayout,
        fault: Fault::Delay { ms: 10_000 },
        times: 1,
    });
    let made_before = setup.sim.payouts().len();
    let mut child = kiosk()
        .args(args(
            &["refund", sale, "--to", PAYER, "--yes", "--pin", "0000"],
            &setup.config,
        ))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("refund runs");
    let made = super::printing::wait_until(|| setup.sim.payouts().len() > made_before).await;
    assert!(made, "the payout was made at Monime");
    // SIGKILL: no handler runs, as at a power cut.
    child.kill().expect("killed");
    child.wait().expect("reaped");
}
