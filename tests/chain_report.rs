//! `chain report` over the simulator, through the real binary and real HTTP: the codes of three
//! terminals (two with cashiers), one code no terminal claims, and a refund, read back from
//! Monime and totalled per terminal and per cashier, as a table and as CSV.

mod common;

use common::cli::{args, run, setup, text};
use paycode_kiosk::money::{Currency, Money};
use paycode_kiosk::monime::{CodeStatus, NewPaymentCode, NewPayout};
use paycode_kiosk::simulator::SimulatorOptions;
use paycode_kiosk::terminal::{Launch, monime_client};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chains_day_is_totalled_per_terminal_and_cashier_with_the_unclaimed_apart() {
    let setup = setup(SimulatorOptions::default(), "").await;
    let config = Launch::with_config(&setup.config)
        .configuration()
        .expect("config")
        .expect("a configuration");
    let client = monime_client(&config).expect("client");
    let sle = |minor| Money::new(Currency::Sle, minor);
    // (terminal, cashier, amount, paid)
    let made = [
        (Some("TILL-1"), Some("Aminata"), 1000, true),
        (Some("TILL-1"), Some("Aminata"), 500, false),
        (Some("TILL-2"), Some("Mohamed"), 700, true),
        (Some("TILL-3"), None, 300, true),
        (None, None, 900, true),
    ];
    for (number, (terminal, cashier, minor, paid)) in made.iter().enumerate() {
        let mut request = NewPaymentCode::new("Shop sale", sle(*minor));
        if let Some(terminal) = terminal {
            request = request.with_metadata("terminal", *terminal);
        }
        if let Some(cashier) = cashier {
            request = request.with_metadata("cashier", *cashier);
        }
        let code = client
            .create(&request, &format!("chain-{number}"))
            .await
            .expect("code");
        if *paid {
            setup.sim.pay(&code.id, None).expect("paid");
            setup.sim.finish_payment(&code.id).expect("completed");
            let status = client.get(&code.id).await.expect("read").status;
            assert_eq!(status, CodeStatus::Completed);
        }
    }
    let refund = NewPayout::momo(sle(250), "m17", "+23276123456")
        .with_metadata("terminal", "TILL-1")
        .with_metadata("cashier", "Aminata");
    let payout = client
        .create_payout("chain-refund", &refund)
        .await
        .expect("payout");
    setup.sim.complete_payout(&payout.id).expect("completed");

    let output = run(args(&["chain", "report"], &setup.config)).await;
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("5 codes, 4 paid, 1 refunds"), "{stdout}");
    let line = |name: &str| {
        stdout
            .lines()
            .find(|line| line.starts_with(name))
            .unwrap_or_else(|| panic!("no {name} in\n{stdout}"))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(line("TILL-1"), "TILL-1 2 1 Le 10.00 1 Le 2.50 Le 7.50");
    assert_eq!(line("TILL-2"), "TILL-2 1 1 Le 7.00 0 Le 0.00 Le 7.00");
    assert_eq!(line("TILL-3"), "TILL-3 1 1 Le 3.00 0 Le 0.00 Le 3.00");
    assert_eq!(line("Aminata"), "Aminata 2 1 Le 10.00 1 Le 2.50 Le 7.50");
    assert_eq!(line("Mohamed"), "Mohamed 1 1 Le 7.00 0 Le 0.00 Le 7.00");
    assert_eq!(
        line("The whole space"),
        "The whole space 5 4 Le 29.00 1 Le 2.50 Le 26.50"
    );
    assert!(stdout.contains("Codes no terminal claims (1)"), "{stdout}");
    assert!(stdout.contains("Le 9.00  completed"), "{stdout}");

    let output = run(args(&["chain", "report", "--format", "csv"], &setup.config)).await;
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}{stderr}");
    let rows: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        rows[0],
        "kind,name,codes,paid,refunds,currency,paid_minor,refunded_minor,net_minor"
    );
    for expected in [
        "terminal,TILL-1,2,1,1,SLE,1000,250,750",
        "terminal,TILL-2,1,1,0,SLE,700,0,700",
        "cashier,Aminata,2,1,1,SLE,1000,250,750",
        "space,,5,4,1,SLE,2900,250,2650",
    ] {
        assert!(rows.contains(&expected), "{expected} not in\n{stdout}");
    }
    assert_eq!(
        rows.iter()
            .filter(|row| row.starts_with("unclaimed,pmc-"))
            .count(),
        1,
        "{stdout}"
    );

    // Another day has nothing.
    let output = run(args(
        &["chain", "report", "--date", "2020-01-01"],
        &setup.config,
    ))
    .await;
    let (stdout, _) = text(&output);
    assert!(stdout.contains("0 codes, 0 paid, 0 refunds"), "{stdout}");
}
