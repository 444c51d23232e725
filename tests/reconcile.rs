//! Reconciliation with Monime from the command line, with the real binary against the simulator
//! over HTTP: a code paid behind the terminal's back is flagged with its amount (by `reconcile`
//! and in the Z), a lost journal is restored so the totals are right again (and a second restore
//! adds nothing), and a Z still closes when Monime cannot be reached, saying so.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::Duration;

use chrono::Utc;
use common::cli::{add_printer, args, kiosk, run, setup, text};
use paycode_kiosk::journal::{Journal, Receipt};
use paycode_kiosk::money::{Currency, Money};
use paycode_kiosk::printer::emulator::StatusAnswers;
use paycode_kiosk::printer::pty::PtyPrinter;
use paycode_kiosk::sale::{CodeShape, NewSale, Phase};
use paycode_kiosk::simulator::SimulatorOptions;

/// Starts `charge AMOUNT` and waits for its code: the running charge, the code's id, and its
/// whole output once it ends.
async fn start_charge(
    config: &Path,
    amount: &str,
) -> (Child, String, std::thread::JoinHandle<String>) {
    let mut child = kiosk()
        .args(["charge", amount, "--config"])
        .arg(config)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("charge runs");
    let stdout = child.stdout.take().expect("stdout");
    let (found, code) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            // "Code pmc-..., expires 18:13:51"
            if let Some(rest) = line.strip_prefix("Code ") {
                let _ = found.send(rest.split(',').next().unwrap_or_default().to_string());
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    let code = tokio::task::spawn_blocking(move || code.recv_timeout(Duration::from_secs(30)))
        .await
        .expect("task")
        .expect("the charge shows its code");
    (child, code, reader)
}

fn line_with<'a>(stdout: &'a str, text: &str) -> &'a str {
    stdout
        .lines()
        .find(|line| line.contains(text))
        .unwrap_or_else(|| panic!("no line with {text:?} in:\n{stdout}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_paid_behind_the_terminals_back_is_flagged_with_its_amount() {
    let setup = setup(SimulatorOptions::default(), "code_duration = \"2m\"").await;

    // Sale 1 is paid while the terminal follows it: the books agree on it.
    let (mut paid, code, output) = start_charge(&setup.config, "12.50").await;
    setup
        .sim
        .pay(&code, Some(Duration::ZERO))
        .expect("the customer pays");
    let status = tokio::task::spawn_blocking(move || paid.wait())
        .await
        .expect("task")
        .expect("charge ends");
    let output = output.join().expect("output");
    assert!(status.success(), "{output}");

    // Sale 2: the terminal dies while the customer is still dialling, and the customer pays
    // after it stopped following the code.
    let (mut stopped, late_code, _) = start_charge(&setup.config, "5.00").await;
    stopped.kill().expect("SIGKILL");
    stopped.wait().expect("killed");
    setup
        .sim
        .pay(&late_code, Some(Duration::ZERO))
        .expect("paid behind the terminal's back");
    let journal = Journal::open(&setup.journal()).expect("journal");
    let late = journal
        .sale_by_code(&late_code)
        .expect("read")
        .expect("the sale is in the journal");
    assert_eq!(late.record.phase, Phase::AwaitingPayment);

    let output = run(args(&["reconcile"], &setup.config)).await;
    let (stdout, stderr) = text(&output);
    assert_eq!(
        output.status.code(),
        Some(2),
        "differences: exit 2\n{stdout}{stderr}"
    );
    assert!(
        stdout.starts_with("Checked with Monime today, terminal KIOSK-1:"),
        "{stdout}"
    );
    assert_eq!(
        line_with(&stdout, "with Monime:"),
        "! 1 difference with Monime: 2 codes"
    );
    assert_eq!(
        line_with(&stdout, "Paid at Monime"),
        "! Paid at Monime, not here: Le 5.00"
    );
    assert_eq!(
        line_with(&stdout, &late_code),
        format!("!   sale {} (open here), {late_code}", late.record.number)
    );

    // The Z checks first and carries what it found; the day still closes.
    let output = run(args(&["report", "--z"], &setup.config)).await;
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("Day close Z 0001"), "{stdout}");
    assert!(stdout.contains("! 1 difference with Monime"), "{stdout}");
    assert!(stdout.contains("! Paid at Monime, not here"), "{stdout}");
    assert!(stdout.contains("Le 5.00"), "{stdout}");
    let check = journal
        .day_close(1)
        .expect("read")
        .and_then(|close| close.monime_check)
        .expect("the check is kept with the close");
    assert!(
        check.contains("! Paid at Monime, not here\tLe 5.00"),
        "{check}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_journal_is_restored_once_and_the_z_is_right_again() {
    let setup = setup(
        SimulatorOptions {
            auto_pay_after: Some(Duration::from_millis(500)),
            processing_time: Duration::from_millis(200),
            ..SimulatorOptions::default()
        },
        "code_duration = \"1m\"",
    )
    .await;
    let pty = PtyPrinter::start(42, Some(StatusAnswers::READY)).expect("pty");
    add_printer(&setup.config, &pty);
    let reference = "INV-7, \"Sàlone\" Ltd";
    for charge in [
        vec!["charge", "12.50", "--reference", reference],
        vec!["charge", "7.25"],
    ] {
        let output = run(args(&charge, &setup.config)).await;
        assert!(output.status.success(), "{:?}", text(&output));
    }
    assert!(pty.wait_for_cuts(2, Duration::from_secs(20)));
    let output = run(args(&["report", "--x"], &setup.config)).await;
    let before = text(&output).0;
    assert!(
        line_with(&before, "Total paid").ends_with("Le 19.75"),
        "{before}"
    );

    // The SD card loses the journal.
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", setup.journal().display()));
    }

    let output = run(args(&["reconcile"], &setup.config)).await;
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stdout}{stderr}");
    assert_eq!(
        line_with(&stdout, "with Monime:"),
        "! 2 differences with Monime: 2 codes"
    );
    assert!(
        stdout.contains("! Not in the journal: Le 12.50")
            && stdout.contains("! Not in the journal: Le 7.25"),
        "{stdout}"
    );
    assert!(stdout.contains("`reconcile --restore`"), "{stdout}");

    let output = run(args(&["reconcile", "--restore"], &setup.config)).await;
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    assert_eq!(
        stdout.matches("Restored sale ").count(),
        2,
        "{stdout}{stderr}"
    );
    assert!(stdout.contains("Now agreed with Monime."), "{stdout}");

    let journal = Journal::open(&setup.journal()).expect("journal");
    let restored = journal.recent(10).expect("read");
    assert_eq!(restored.len(), 2);
    for sale in &restored {
        assert!(sale.books.restored);
        assert_eq!(sale.record.phase, Phase::Paid);
        assert_eq!(sale.receipt, Receipt::NotKnown);
        let code = sale.record.code.as_ref().expect("code id");
        let at_monime = setup
            .sim
            .codes()
            .into_iter()
            .find(|sim| sim.id == code.id)
            .expect("Monime's code");
        assert_eq!(code.ussd_code, at_monime.ussd_code);
        assert_eq!(sale.record.paid_amount().minor, at_monime.amount_minor);
        let payment = sale.record.payment.as_ref().expect("payment data");
        let paid = at_monime.payment.as_ref().expect("Monime's payment");
        assert_eq!(
            payment.payment_id.as_deref(),
            paid["paymentId"].as_str(),
            "the payment id as Monime gives it"
        );
        assert_eq!(payment.provider_name(), Some("Orange Money"));
    }
    let with_reference = restored
        .iter()
        .find(|sale| sale.record.amount() == Money::new(Currency::Sle, 1250))
        .expect("the 12.50 sale");
    assert_eq!(
        with_reference.record.request.reference.as_deref(),
        Some(reference)
    );

    let output = run(args(&["report", "--x"], &setup.config)).await;
    let after = text(&output).0;
    assert!(
        line_with(&after, "Total paid").ends_with("Le 19.75"),
        "{after}"
    );
    assert!(line_with(&after, "Restored").ends_with('2'), "{after}");

    // A second restore finds nothing to do and adds nothing.
    let output = run(args(&["reconcile", "--restore"], &setup.config)).await;
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains("Agreed with Monime: 2 codes") && !stdout.contains("Restored"),
        "{stdout}"
    );
    assert_eq!(journal.recent(10).expect("read").len(), 2);

    // A restored sale's receipt reprints as a copy.
    let number = with_reference.record.number.to_string();
    let output = run(args(&["reprint", &number], &setup.config)).await;
    assert!(output.status.success(), "{:?}", text(&output));
    assert!(pty.wait_for_cuts(3, Duration::from_secs(20)));
    let reprinted = pty.emulator().documents()[2].text();
    assert!(
        reprinted.contains("*** COPY ***") && reprinted.contains("Le 12.50"),
        "{reprinted}"
    );

    let output = run(args(&["report", "--z"], &setup.config)).await;
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("Day close Z 0001"), "{stdout}");
    assert!(
        line_with(&stdout, "Total paid").ends_with("Le 19.75"),
        "{stdout}"
    );
    assert!(stdout.contains("Agreed with Monime"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_monime_the_day_still_closes_and_the_z_says_it_was_not_checked() {
    let setup = setup(SimulatorOptions::default(), "").await;
    let journal = Journal::open(&setup.journal()).expect("journal");
    let mut record = journal
        .begin_sale(
            "key-1",
            Utc::now(),
            &CodeShape::new("sale {sale}", "KIOSK-1"),
            &NewSale::of(Money::new(Currency::Sle, 800)),
        )
        .expect("begin");
    record.phase = Phase::Paid;
    journal.save(&record, Utc::now(), None).expect("save");
    let common::cli::Setup {
        sim,
        config,
        dir: _dir,
    } = setup;
    drop(sim);

    let output = run(args(&["reconcile"], &config)).await;
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stderr.contains("the day was not checked: cannot reach Monime"),
        "{stderr}"
    );

    let output = run(args(&["report", "--z"], &config)).await;
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("Day close Z 0001"), "{stdout}");
    assert!(
        stdout.contains("! Not checked: Monime could not"),
        "{stdout}"
    );
    assert!(
        line_with(&stdout, "Total paid").ends_with("Le 8.00"),
        "{stdout}"
    );
    let close = journal.day_close(1).expect("read").expect("Z 0001");
    assert_eq!(
        close.monime_check.as_deref(),
        Some("! Not checked: Monime could not be reached")
    );
}
