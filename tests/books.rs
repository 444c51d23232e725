//! The shop's books from the command line, with the real binary: a day close (Z) is numbered in
//! sequence and survives SIGKILL whole or not at all, a day closes once, and the shift report (X)
//! counts what no close has.

mod common;

use std::process::Stdio;
use std::time::Duration;

use chrono::Utc;
use common::cli::{args, kiosk, run, setup, text};
use paycode_kiosk::journal::{Journal, StoredSale};
use paycode_kiosk::money::{Currency, Money};
use paycode_kiosk::sale::{CodeShape, NewSale, Phase};
use paycode_kiosk::simulator::SimulatorOptions;
use rand::Rng;

/// A paid sale written straight into the journal, as a finished sale leaves it.
fn paid_sale(journal: &Journal, minor: i64) -> i64 {
    let key = uuid_like();
    let mut record = journal
        .begin_sale(
            &key,
            Utc::now(),
            &CodeShape::new("sale {sale}", "T1"),
            &NewSale::of(Money::new(Currency::Sle, minor)),
        )
        .expect("begin");
    record.phase = Phase::Paid;
    journal.save(&record, Utc::now(), None).expect("save");
    record.number
}

fn uuid_like() -> String {
    format!("key-{}", rand::rng().random::<u64>())
}

fn numbers(sales: &[StoredSale]) -> Vec<i64> {
    sales.iter().map(|sale| sale.record.number).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn z_numbers_survive_sigkill_whole_and_are_never_reused() {
    let setup = setup(SimulatorOptions::default(), "").await;
    let mut rng = rand::rng();
    let mut closes_seen = 0_i64;
    let mut waiting = 0;
    for round in 0..10 {
        let journal = Journal::open(&setup.journal()).expect("open");
        paid_sale(&journal, 100 + round);
        waiting += 1;
        drop(journal);

        // `report --z` killed with SIGKILL at a random moment: before, during or after its write.
        let mut child = kiosk()
            .args(args(&["report", "--z"], &setup.config))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("report --z runs");
        let wait = Duration::from_millis(rng.random_range(0..400));
        tokio::time::sleep(wait).await;
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();

        let journal = Journal::open(&setup.journal()).expect("reopen after the kill");
        let last = journal.last_close().expect("read");
        let unclaimed = journal.sales_since_close().expect("read");
        match last {
            Some(close) if close.number > closes_seen => {
                assert_eq!(close.number, closes_seen + 1, "round {round}: no gap");
                closes_seen = close.number;
                assert!(
                    unclaimed.is_empty(),
                    "round {round}: the close claimed its sales"
                );
                let claimed = journal.sales_of_close(close.number).expect("read");
                assert_eq!(
                    claimed.len(),
                    waiting,
                    "round {round}: the sales since the last"
                );
                waiting = 0;
                // A day passes: the close is moved to an earlier date so today can close again.
                let connection = rusqlite::Connection::open(setup.journal()).expect("sqlite");
                connection
                    .execute(
                        "UPDATE day_closes SET business_date = ?1 WHERE number = ?2",
                        rusqlite::params![format!("2000-01-{:02}", close.number), close.number],
                    )
                    .expect("move the day back");
            }
            _ => {
                assert_eq!(
                    unclaimed.len(),
                    waiting,
                    "round {round}: no close, so nothing claimed"
                );
            }
        }
    }
    // Whatever the kills left, the next close takes the next number and counts the rest.
    let output = run(args(&["report", "--z"], &setup.config)).await;
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}{stderr}");
    let next = format!("Day close Z {:04}", closes_seen + 1);
    assert!(stdout.contains(&next), "{next} in {stdout}");
    let journal = Journal::open(&setup.journal()).expect("open");
    assert!(journal.sales_since_close().expect("read").is_empty());
    let mut all = Vec::new();
    for number in 1..=closes_seen + 1 {
        all.extend(numbers(&journal.sales_of_close(number).expect("read")));
    }
    all.sort();
    assert_eq!(
        all,
        (1..=10).collect::<Vec<_>>(),
        "every sale in exactly one close"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_day_closes_once_and_the_x_report_counts_since_the_close() {
    let setup = setup(SimulatorOptions::default(), "").await;
    let journal = Journal::open(&setup.journal()).expect("open");
    paid_sale(&journal, 1250);
    paid_sale(&journal, 750);

    let output = run(args(&["report", "--x"], &setup.config)).await;
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("Shift report (X)"), "{stdout}");
    assert!(stdout.contains("Since the first sale"), "{stdout}");
    let total = stdout
        .lines()
        .find(|line| line.starts_with("Total paid"))
        .expect("total");
    assert!(total.ends_with("Le 20.00"), "{total}");

    let output = run(args(&["report", "--z"], &setup.config)).await;
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("Day close Z 0001"), "{stdout}");
    assert!(stderr.contains("No printer"), "{stderr}");

    let output = run(args(&["report", "--z"], &setup.config)).await;
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stderr.contains("is already closed (Z 0001 at") && stderr.contains("a day closes once"),
        "{stderr}"
    );
    assert!(journal.day_close(2).expect("read").is_none(), "no Z 0002");

    // Sales after the close belong to the next day.
    paid_sale(&journal, 300);
    let output = run(args(&["report", "--x"], &setup.config)).await;
    let (stdout, _) = text(&output);
    assert!(stdout.contains("Since Z 0001"), "{stdout}");
    let paid = stdout
        .lines()
        .find(|line| line.starts_with("Paid sales"))
        .expect("paid");
    assert!(paid.ends_with(" 1"), "{paid}");

    let output = run(args(
        &["report", "--z", "--date", "2026-01-01"],
        &setup.config,
    ))
    .await;
    let (_, stderr) = text(&output);
    assert!(!output.status.success(), "refused: {stderr}");
    assert!(stderr.contains("cannot be used with"), "{stderr}");
}
