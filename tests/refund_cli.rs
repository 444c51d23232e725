//! `paycode-kiosk refund` as a technician uses it: the real binary against the simulator over
//! real HTTP, a real journal, a pseudo-terminal printer, a process killed mid-payout, and the
//! same command handed to a running terminal over its control socket.

mod common;

use std::process::Output;
use std::time::Duration;

use common::cli::{Setup, add_printer, args, run, text};
use common::refunding::{
    PAYER, REFUNDS, paid_sale, refund, refund_killed_after_its_post, refund_setup,
};
use paycode_kiosk::journal::{Journal, Receipt};
use paycode_kiosk::money::{Currency, Money};
use paycode_kiosk::monime::PayoutStatus;
use paycode_kiosk::refund::RefundPhase;

/// The requests the simulator saw whose path contains `path`, by method.
fn requests(setup: &Setup, method: &str, path: &str) -> usize {
    setup
        .sim
        .requests()
        .iter()
        .filter(|request| request.method == method && request.path.contains(path))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_killed_after_its_post_is_settled_by_recover_with_one_payout() {
    let setup = refund_setup("", REFUNDS).await;
    paid_sale(&setup, "12.50").await;
    refund_killed_after_its_post(&setup, "1").await;
    let journal = Journal::open(&setup.journal()).expect("journal");
    let left = journal
        .refund(1)
        .expect("read")
        .expect("written before the POST");
    assert_eq!(left.record.phase, RefundPhase::Sending);
    assert!(
        left.record.request.is_some(),
        "kept to send again as it was"
    );
    drop(journal);

    let output = run(args(&["recover"], &setup.config)).await;
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains("refund #1 (sale #1) Le 12.50: Refunded"),
        "{stdout}"
    );
    let payouts = setup.sim.payouts();
    assert_eq!(payouts.len(), 1, "exactly one payout: {payouts:?}");
    assert_eq!(payouts[0].status, PayoutStatus::Completed);
    let keys: Vec<Option<String>> = setup
        .sim
        .requests()
        .iter()
        .filter(|request| request.method == "POST" && request.path == "/v1/payouts")
        .map(|request| request.idempotency_key.clone())
        .collect();
    assert_eq!(keys.len(), 2, "sent again after the restart");
    assert_eq!(keys[0], keys[1], "under the same key");
    let journal = Journal::open(&setup.journal()).expect("journal");
    let settled = journal.refund(1).expect("read").expect("there");
    assert_eq!(settled.record.phase, RefundPhase::Completed);
    assert_eq!(settled.record.payout_id(), Some(payouts[0].id.as_str()));
    assert!(
        settled.record.request.is_none(),
        "the number is not kept after"
    );

    // Recover again: nothing left to do, and still one payout.
    let output = run(args(&["recover"], &setup.config)).await;
    assert!(output.status.success(), "{:?}", text(&output));
    assert_eq!(setup.sim.payouts().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_payout_says_why_and_moves_nothing() {
    let setup = refund_setup("", REFUNDS).await;
    paid_sale(&setup, "8.00").await;
    setup.sim.set_balance(Money::new(Currency::Sle, 100));
    let output = refund(
        &setup,
        &["1", "--to", PAYER, "--yes", "--pin-stdin"],
        "0000\n",
    )
    .await;
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stdout}{stderr}");
    assert!(
        stdout.contains("Not sent: Monime's balance is too low"),
        "{stdout}"
    );
    assert!(!stdout.contains("Refunded"), "{stdout}");
    assert_eq!(setup.sim.balance(Currency::Sle), 100, "no money moved");
    let journal = Journal::open(&setup.journal()).expect("journal");
    assert_eq!(
        journal
            .refund(1)
            .expect("read")
            .expect("there")
            .record
            .phase,
        RefundPhase::Failed
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_is_refused_is_refused_before_any_payout() {
    let setup = refund_setup("", REFUNDS).await;
    paid_sale(&setup, "40.00").await;
    let refused = |output: &Output, expected: &str| {
        let (stdout, stderr) = text(output);
        assert_eq!(
            output.status.code(),
            Some(1),
            "{expected}: {stdout}{stderr}"
        );
        assert!(
            stderr.contains(expected) && stderr.contains("nothing was sent"),
            "{expected}: {stderr}"
        );
    };
    // The typed number's digits disagree with the ones Monime showed of the payer's.
    let output = refund(
        &setup,
        &[
            "1",
            "--amount",
            "5",
            "--to",
            "077123456",
            "--yes",
            "--pin",
            "0000",
        ],
        "",
    )
    .await;
    refused(&output, "077 ··· 456 is not the number that paid sale 1");
    assert_eq!(
        requests(&setup, "GET", "/provider-kyc"),
        0,
        "not even asked whose it is"
    );
    // A cashier without can_refund, and a PIN that is nobody's.
    let output = refund(&setup, &["1", "--to", PAYER, "--yes", "--pin", "1397"], "").await;
    refused(&output, "Mohamed may not refund");
    let output = refund(&setup, &["1", "--to", PAYER, "--yes", "--pin", "5555"], "").await;
    refused(&output, "neither the admin PIN nor a cashier's");
    // Le 40 is more than the day's Le 30.
    let output = refund(&setup, &["1", "--to", PAYER, "--yes", "--pin", "2580"], "").await;
    refused(&output, "refund limit of Le 30.00 a day");
    // No PIN at all, with nothing to type it on.
    let output = refund(&setup, &["1", "--to", PAYER, "--yes"], "").await;
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output).1.contains("--pin-stdin"),
        "{:?}",
        text(&output)
    );
    assert_eq!(
        requests(&setup, "POST", "/payouts"),
        0,
        "no payout was asked for"
    );
    assert!(setup.sim.payouts().is_empty());

    let off = refund_setup("", "").await;
    paid_sale(&off, "5.00").await;
    let output = refund(&off, &["1", "--to", PAYER, "--yes", "--pin", "0000"], "").await;
    refused(&output, "refunds are off on this terminal");
    assert!(off.sim.payouts().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sale_goes_back_in_parts_never_more_than_was_paid() {
    let setup = refund_setup("", REFUNDS).await;
    paid_sale(&setup, "10.00").await;
    let output = refund(
        &setup,
        &[
            "1", "--amount", "4", "--to", PAYER, "--yes", "--pin", "2580",
        ],
        "",
    )
    .await;
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains("Send Le 4.00 to AMINATA KAMARA, Orange Money 076 ··· 456?"),
        "{stdout}"
    );
    assert!(stdout.contains("Refunded"), "{stdout}");
    let output = refund(&setup, &["1", "--to", PAYER, "--yes", "--pin", "0000"], "").await;
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("Send Le 6.00 to"), "the rest: {stdout}");
    assert!(
        stdout.contains("Monime's fee: Le 0.50 (as on the last refund)"),
        "{stdout}"
    );
    let output = refund(
        &setup,
        &[
            "1", "--amount", "0.01", "--to", PAYER, "--yes", "--pin", "0000",
        ],
        "",
    )
    .await;
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stderr.contains("all of the sale's Le 10.00 has gone back, or is on its way"),
        "{stderr}"
    );
    assert_eq!(setup.sim.payouts().len(), 2);

    let output = run(args(&["history"], &setup.config)).await;
    let (stdout, _) = text(&output);
    let lines: Vec<&str> = stdout
        .lines()
        .filter(|line| line.contains("refund #"))
        .collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(
        lines[0].contains("Le 4.00")
            && lines[0].contains("Aminata")
            && lines[0].contains("refunded"),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_legacy_api_refunds_in_its_own_shape() {
    let setup = refund_setup("api_version = \"2024-08-01\"", REFUNDS).await;
    paid_sale(&setup, "7.00").await;
    // The 2024-08-01 API tells nothing of the payer: only the admin may send to a number.
    let output = refund(&setup, &["1", "--to", PAYER, "--yes", "--pin", "2580"], "").await;
    assert_eq!(output.status.code(), Some(1), "{:?}", text(&output));
    assert!(
        text(&output).1.contains("only the admin PIN may send it"),
        "{:?}",
        text(&output)
    );
    let output = refund(&setup, &["1", "--to", PAYER, "--yes", "--pin", "0000"], "").await;
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains("Send Le 7.00 to AMINATA KAMARA, Orange Money 076 ··· 456?"),
        "{stdout}"
    );
    assert_eq!(requests(&setup, "GET", "/kyc-verifications/m17"), 1);
    let creates: Vec<String> = setup
        .sim
        .requests()
        .into_iter()
        .filter(|request| request.method == "POST" && request.path == "/payouts")
        .map(|request| request.body)
        .collect();
    assert_eq!(creates.len(), 1, "one create, on the legacy path");
    assert!(
        creates[0].contains("\"providerCode\":\"m17\"")
            && creates[0].contains("\"accountId\":\"+23276123456\""),
        "{}",
        creates[0]
    );
    assert_eq!(requests(&setup, "POST", "/v1/payouts"), 0);
    assert_eq!(setup.sim.payouts()[0].status, PayoutStatus::Completed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_asks_first_and_prints_its_receipt() {
    use paycode_kiosk::printer::emulator::StatusAnswers;
    use paycode_kiosk::printer::pty::PtyPrinter;

    let setup = refund_setup("", REFUNDS).await;
    let pty = PtyPrinter::start(42, Some(StatusAnswers::READY)).expect("pty");
    add_printer(&setup.config, &pty);
    paid_sale(&setup, "12.50").await;
    assert!(
        pty.wait_for_cuts(1, Duration::from_secs(20)),
        "the sale's receipt"
    );

    let output = refund(&setup, &["1", "--to", PAYER, "--pin-stdin"], "2580\nn\n").await;
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(3), "{stdout}{stderr}");
    assert!(
        stdout.contains("Send it? [y/N]") && stdout.contains("Nothing was sent."),
        "{stdout}"
    );
    assert!(setup.sim.payouts().is_empty());

    let output = refund(&setup, &["1", "--to", PAYER, "--pin-stdin"], "2580\ny\n").await;
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("Receipt: printed"), "{stdout}");
    assert!(pty.wait_for_cuts(2, Duration::from_secs(20)));
    let receipt = pty.emulator().documents()[1].text();
    let payout = &setup.sim.payouts()[0];
    let paid_with = &setup.sim.payments()[0];
    for expected in [
        paid_with.reference.clone(),
        "REFUND".to_string(),
        "Le 12.50".to_string(),
        "Orange Money 076 ··· 456".to_string(),
        "Aminata".to_string(),
        payout.id.clone(),
        payout
            .destination_transaction_reference
            .clone()
            .expect("the credit's reference"),
    ] {
        assert!(receipt.contains(&expected), "{expected:?} in\n{receipt}");
    }
    let journal = Journal::open(&setup.journal()).expect("journal");
    assert_eq!(
        journal.refund(1).expect("read").expect("there").receipt,
        Receipt::Printed
    );
    drop(journal);

    // The refund's receipt again, as a copy.
    let output = run(args(&["reprint", "--refund", "1"], &setup.config)).await;
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}{stderr}");
    assert!(pty.wait_for_cuts(3, Duration::from_secs(20)));
    let copy = pty.emulator().documents()[2].text();
    assert!(
        copy.contains("REFUND") && copy.contains("*** COPY ***") && copy.contains("Le 12.50"),
        "{copy}"
    );
}

/// With the terminal running, the command is handed to it over the control socket: the quote
/// and its question come back to the technician, the answer goes to the terminal, and the
/// terminal sends and follows the payout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_running_terminal_refunds_for_the_command_and_asks_through_it() {
    let setup = refund_setup("", REFUNDS).await;
    paid_sale(&setup, "9.00").await;
    let (_socket, serving) =
        common::cli::serving(&setup.config, paycode_kiosk::cli::owner_commands).await;
    let output = refund(&setup, &["1", "--to", PAYER, "--pin-stdin"], "0000\nyes\n").await;
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains("Send Le 9.00 to AMINATA KAMARA") && stdout.contains("Send it? [y/N]"),
        "{stdout}"
    );
    assert!(stdout.contains("Refunded"), "{stdout}");
    assert_eq!(setup.sim.payouts().len(), 1);
    serving.abort();
}
