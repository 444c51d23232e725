//! The books with refunds, through the real binary against the simulator over real HTTP: the
//! shift report (X) and the day close (Z) count refunds (how many, what they came to, Monime's
//! fees, by cashier) and the takings net of them, and a second Z does not count them again;
//! `reconcile` reads the day's payouts, finds one the journal lacks and `--restore` brings it
//! back once, and flags refunds Monime disagrees on; `export` has a row a refund.

mod common;

use chrono::{Local, TimeDelta};
use common::cli::{Setup, args, run, text};
use common::refunding::{REFUNDS, paid_sale, refund_killed_after_its_post, refund_setup, refunded};
use paycode_kiosk::journal::{Journal, Receipt};
use paycode_kiosk::money::{Currency, Money};
use paycode_kiosk::monime::PayoutStatus;
use paycode_kiosk::refund::{RefundPhase, Refunder};

/// The value printed beside `label` in a report's text (`Label        value`), if a line has
/// that label; a heading or a longer label that starts the same is not it.
fn value_of<'a>(report: &'a str, label: &str) -> Option<&'a str> {
    report.lines().find_map(|line| {
        let rest = line.strip_prefix(label)?;
        rest.starts_with("  ").then(|| rest.trim())
    })
}

/// An export row's kind, amount, refund number, Z number and who.
type RowSummary = (String, i64, Option<i64>, Option<i64>, String);

fn line_with<'a>(stdout: &'a str, text: &str) -> &'a str {
    stdout
        .lines()
        .find(|line| line.contains(text))
        .unwrap_or_else(|| panic!("no line with {text:?} in:\n{stdout}"))
}

/// Runs `items` and gives its standard output, having checked it exited with `code`.
async fn output_of(setup: &Setup, items: &[&str], code: i32) -> String {
    let output = run(args(items, &setup.config)).await;
    let (stdout, stderr) = text(&output);
    assert_eq!(
        output.status.code(),
        Some(code),
        "{items:?}: {stdout}{stderr}"
    );
    stdout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_x_and_the_z_count_refunds_once_with_the_takings_net_of_them() {
    let setup = refund_setup("", REFUNDS).await;
    paid_sale(&setup, "10.00").await;
    // Part of it back by a cashier allowed to, some more by the admin.
    refunded(&setup, "1", "4", "2580").await;
    refunded(&setup, "1", "1", "0000").await;

    let x = output_of(&setup, &["report", "--x"], 0).await;
    for (label, value) in [
        ("Total paid", "Le 10.00"),
        ("Refunds", "2"),
        ("Total refunded", "Le 5.00"),
        // The simulator charges Le 0.50 a payout, on top.
        ("Refund fees", "Le 1.00"),
        ("Net takings", "Le 5.00"),
        ("Aminata (1)", "Le 4.00"),
        ("Admin (1)", "Le 1.00"),
    ] {
        assert_eq!(value_of(&x, label), Some(value), "{label} in:\n{x}");
    }
    assert!(x.contains("Refunds by cashier"), "{x}");
    assert!(!x.contains("not confirmed"), "{x}");

    let z = output_of(&setup, &["report", "--z"], 0).await;
    assert!(z.contains("Day close Z 0001"), "{z}");
    for (label, value) in [
        ("Refunds", "2"),
        ("Total refunded", "Le 5.00"),
        ("Net takings", "Le 5.00"),
        ("Admin (1)", "Le 1.00"),
    ] {
        assert_eq!(value_of(&z, label), Some(value), "{label} in:\n{z}");
    }
    assert!(z.contains("Agreed with Monime"), "{z}");
    assert!(
        z.contains("1 code, 2 payouts"),
        "the payouts were checked: {z}"
    );

    // What the Z counted is not in the next X.
    let x = output_of(&setup, &["report", "--x"], 0).await;
    assert_eq!(value_of(&x, "Refunds"), None, "{x}");
    assert_eq!(value_of(&x, "Total paid"), Some("Le 0.00"), "{x}");

    // The next day (by Monime's clock, which the terminal follows when its own is that far
    // off) another part goes back: the next X and Z count it alone, against no sale.
    setup.sim.set_clock_offset(TimeDelta::days(1));
    refunded(&setup, "1", "2", "0000").await;
    let x = output_of(&setup, &["report", "--x"], 0).await;
    assert_eq!(value_of(&x, "Refunds"), Some("1"), "{x}");
    assert_eq!(value_of(&x, "Net takings"), Some("Le -2.00"), "{x}");
    let z = output_of(&setup, &["report", "--z"], 0).await;
    assert!(z.contains("Day close Z 0002"), "{z}");
    assert_eq!(value_of(&z, "Refunds"), Some("1"), "{z}");
    assert_eq!(value_of(&z, "Total refunded"), Some("Le 2.00"), "{z}");
    let journal = Journal::open(&setup.journal()).expect("journal");
    let numbers = |close: i64| -> Vec<i64> {
        journal
            .refunds_of_close(close)
            .expect("read")
            .iter()
            .map(|refund| refund.record.number)
            .collect()
    };
    assert_eq!((numbers(1), numbers(2)), (vec![1, 2], vec![3]));

    // The export has a row a refund, its amount negative, after the sale it pays back.
    // Around the days the refunds were made in, whichever side of midnight the test runs.
    let day = |days| {
        (Local::now() + TimeDelta::days(days))
            .date_naive()
            .to_string()
    };
    let (from, to) = (day(-1), day(2));
    let json = output_of(
        &setup,
        &["export", "--from", &from, "--to", &to, "--format", "json"],
        0,
    )
    .await;
    let rows: Vec<serde_json::Value> = serde_json::from_str(&json).expect("a JSON array");
    let summary: Vec<RowSummary> = rows
        .iter()
        .map(|row| {
            (
                row["kind"].as_str().unwrap_or_default().to_string(),
                row["amount_minor"].as_i64().unwrap_or_default(),
                row["refund"].as_i64(),
                row["z_number"].as_i64(),
                row["cashier"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let refund_row = |amount, number, z, cashier: &str| {
        (
            "refund".to_string(),
            amount,
            Some(number),
            Some(z),
            cashier.to_string(),
        )
    };
    assert_eq!(
        summary,
        [
            ("sale".to_string(), 1000, None, Some(1), String::new()),
            refund_row(-400, 1, 1, "Aminata"),
            refund_row(-100, 2, 1, "Admin"),
            refund_row(-200, 3, 2, "Admin"),
        ]
    );
    let payouts = setup.sim.payouts();
    for (row, payout) in rows[1..].iter().zip(&payouts) {
        assert_eq!(row["payout_id"], payout.id.as_str());
        assert_eq!(row["outcome"], "completed");
        assert_eq!(row["sale"], 1);
        assert_eq!(row["monime_fees_minor"], 50);
        assert_eq!(
            row["operator_reference"].as_str(),
            payout.destination_transaction_reference.as_deref()
        );
    }
    let csv = output_of(&setup, &["export", "--from", &from, "--to", &to], 0).await;
    assert!(
        csv.lines()
            .next()
            .is_some_and(|header| header.ends_with(",kind,refund,payout_id")),
        "{csv}"
    );
    assert!(csv.contains(",Le -4.00,"), "{csv}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payout_the_journal_lacks_is_found_and_restored_once() {
    let setup = refund_setup("", REFUNDS).await;
    paid_sale(&setup, "10.00").await;
    refunded(&setup, "1", "4", "2580").await;
    let payout = setup.sim.payouts()[0].clone();
    // The journal loses the refund.
    let sqlite = rusqlite::Connection::open(setup.journal()).expect("sqlite");
    sqlite
        .execute_batch(
            "DELETE FROM refund_events WHERE refund_id = 1; DELETE FROM refunds WHERE id = 1;",
        )
        .expect("the refund gone");
    drop(sqlite);

    let found = output_of(&setup, &["reconcile"], 2).await;
    assert_eq!(
        line_with(&found, "with Monime:"),
        "! 1 difference with Monime: 1 code, 1 payout"
    );
    assert_eq!(
        line_with(&found, "Payout not in"),
        "! Payout not in the journal: Le 4.00"
    );
    assert_eq!(
        line_with(&found, &payout.id),
        format!("!   {} for sale 1, completed at Monime", payout.id)
    );
    assert!(
        found.contains("1 completed payout(s) missing from the journal: `reconcile --restore`"),
        "{found}"
    );

    let restored = output_of(&setup, &["reconcile", "--restore"], 0).await;
    assert!(
        restored.contains(&format!(
            "Restored refund 2 of sale 1: Le 4.00, {}",
            payout.id
        )),
        "a number never given before: {restored}"
    );
    assert!(restored.contains("Now agreed with Monime."), "{restored}");
    let journal = Journal::open(&setup.journal()).expect("journal");
    let refund = journal.refund(2).expect("read").expect("restored");
    assert!(refund.books.restored);
    assert_eq!(refund.record.phase, RefundPhase::Completed);
    assert_eq!(refund.record.amount, Money::new(Currency::Sle, 400));
    assert_eq!(refund.record.payout_id(), Some(payout.id.as_str()));
    assert_eq!(refund.record.idempotency_key, payout.idempotency_key);
    assert_eq!(refund.refunder, Refunder::Cashier("Aminata".into()));
    assert_eq!(refund.receipt, Receipt::NotKnown);

    // Twice adds nothing.
    let again = output_of(&setup, &["reconcile", "--restore"], 0).await;
    assert!(
        again.contains("Agreed with Monime: 1 code, 1 payout") && !again.contains("Restored"),
        "{again}"
    );
    assert_eq!(journal.refunds_of_sale(1).expect("read").len(), 1);
    let x = output_of(&setup, &["report", "--x"], 0).await;
    assert_eq!(value_of(&x, "Refunds"), Some("1"), "{x}");
    assert_eq!(value_of(&x, "Refunds restored"), Some("1"), "{x}");
    assert_eq!(value_of(&x, "Net takings"), Some("Le 6.00"), "{x}");
    drop(journal);

    // The whole journal lost: the sale comes back first, then the refund of it.
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", setup.journal().display()));
    }
    let restored = output_of(&setup, &["reconcile", "--restore"], 0).await;
    assert!(restored.contains("Restored sale 1: Le 10.00"), "{restored}");
    assert!(
        restored.contains(&format!(
            "Restored refund 1 of sale 1: Le 4.00, {}",
            payout.id
        )),
        "{restored}"
    );
    let x = output_of(&setup, &["report", "--x"], 0).await;
    assert_eq!(value_of(&x, "Net takings"), Some("Le 6.00"), "{x}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refunds_monime_disagrees_on_are_flagged_in_the_check_and_the_z() {
    let setup = refund_setup("", REFUNDS).await;
    paid_sale(&setup, "12.50").await;
    // The refund's command dies before Monime's answer; Monime completes the payout.
    refund_killed_after_its_post(&setup, "1").await;
    let completed =
        common::printing::wait_until(|| setup.sim.payouts()[0].status == PayoutStatus::Completed)
            .await;
    assert!(completed, "Monime completed the payout");
    let payout = setup.sim.payouts()[0].clone();

    let x = output_of(&setup, &["report", "--x"], 0).await;
    assert_eq!(value_of(&x, "! Refunds not confirmed"), Some("1"), "{x}");
    assert_eq!(value_of(&x, "Total refunded"), Some("Le 0.00"), "{x}");
    let found = output_of(&setup, &["reconcile"], 2).await;
    assert_eq!(
        line_with(&found, "Refunded at"),
        "! Refunded at Monime, not here: Le 12.50"
    );
    assert_eq!(
        line_with(&found, &payout.id),
        format!("!   refund 1 of sale 1 (on its way here), {}", payout.id),
        "found by the refund's key, its id unknown here"
    );

    // `recover` settles it; then the two agree.
    output_of(&setup, &["recover"], 0).await;
    let agreed = output_of(&setup, &["reconcile"], 0).await;
    assert!(
        agreed.contains("Agreed with Monime: 1 code, 1 payout"),
        "{agreed}"
    );

    // The journal's figure disagrees with Monime's: flagged, and kept with the Z.
    rusqlite::Connection::open(setup.journal())
        .expect("sqlite")
        .execute("UPDATE refunds SET amount_minor = 1000 WHERE id = 1", [])
        .expect("another amount");
    let found = output_of(&setup, &["reconcile"], 2).await;
    assert_eq!(
        line_with(&found, "another amount"),
        "! Refund of another amount at Monime: Le 12.50"
    );
    assert_eq!(
        line_with(&found, &payout.id),
        format!("!   refund 1 of sale 1, {}: Le 10.00 here", payout.id)
    );
    let z = output_of(&setup, &["report", "--z"], 0).await;
    // On 32-column paper the label wraps onto a second line.
    let words = z.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains("! Refund of another amount at Monime"),
        "{z}"
    );
    let journal = Journal::open(&setup.journal()).expect("journal");
    let check = journal
        .day_close(1)
        .expect("read")
        .and_then(|close| close.monime_check)
        .expect("the check is kept with the close");
    assert!(
        check.contains("! Refund of another amount at Monime\tLe 12.50"),
        "{check}"
    );
}
