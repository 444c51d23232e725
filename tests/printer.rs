//! The printer as a shop has it: the real serial code writing through a pseudo-terminal to the
//! virtual printer, which reads the ESC/POS bytes back and answers status queries, or does not.

mod common;

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use paycode_kiosk::clock::Clock;
use paycode_kiosk::journal::{Journal, PayerProof, Receipt, StoredSale};
use paycode_kiosk::lang::{Language, SharedLanguage};
use paycode_kiosk::money::{Currency, Money};
use paycode_kiosk::monime::{NewPaymentCode, ProcessedPayment};
use paycode_kiosk::printer::FlowControl;
use paycode_kiosk::printer::emulator::{Emulator, StatusAnswers};
use paycode_kiosk::printer::pty::PtyPrinter;
use paycode_kiosk::printer::receipt::{self, ReceiptStyle};
use paycode_kiosk::printer::serial::SerialPrinter;
use paycode_kiosk::printer::spooler::Job;
use paycode_kiosk::printer::{
    CodePage, PrintError, PrinterHandle, PrinterPort, PrinterStatus, ReceiptQr,
};
use paycode_kiosk::sale::{CodeInfo, CodeShape, NewSale, Phase, SaleRecord};
use paycode_kiosk::simulator::SimulatorOptions;

use common::printing::{WAIT, fast, paid_sale, receipt_state, style, wait_until};

/// Begins a sale of `minor` leones in the journal.
fn begin(journal: &Journal, key: &str, minor: i64, reference: Option<&str>) -> SaleRecord {
    let sale = NewSale {
        reference: reference.map(String::from),
        ..NewSale::of(Money::new(Currency::Sle, minor))
    };
    let shape = CodeShape::new("Shop sale", "SHOP1-TILL1");
    journal
        .begin_sale(key, Utc::now(), &shape, &sale)
        .expect("begin")
}

fn spooler(device: &Path, journal: &Journal) -> PrinterHandle {
    let port = SerialPrinter::new(device.to_path_buf(), 115_200, FlowControl::None);
    PrinterHandle::start(
        Box::new(port),
        journal.clone(),
        style(32, "Shop"),
        fast(),
        Clock::new(),
    )
    .expect("printer thread")
}

#[test]
fn every_byte_arrives_at_9600_and_115200_baud() {
    // A raster QR makes the document several kilobytes: many chunks.
    let mut image_style = style(48, "Baud test");
    image_style.qr = ReceiptQr::Image;
    let document = receipt::test_page(&image_style, "pty", Utc::now()).expect("layout");
    assert!(document.len() > 4000, "{} bytes", document.len());
    for baud in [9600, 115_200] {
        let pty = PtyPrinter::start(48, Some(StatusAnswers::READY)).expect("pty");
        let mut port = SerialPrinter::new(pty.path().to_path_buf(), baud, FlowControl::None);
        assert_eq!(port.status(), PrinterStatus::Ready, "at {baud}");
        port.send("test", &document).expect("sent");
        assert!(pty.wait_for_cuts(1, WAIT), "at {baud}: no cut arrived");
        let received = pty.received();
        assert!(
            received.ends_with(&document),
            "at {baud}: {} of {} bytes arrived intact",
            received.len(),
            document.len()
        );
        let emulator = pty.emulator();
        assert!(
            emulator.unknown_commands().is_empty(),
            "{:?}",
            emulator.unknown_commands()
        );
        assert!(emulator.paper().text().contains("Baud test"));
    }
}

#[test]
fn status_answers_are_read_as_the_printer_means_them() {
    let cases = [
        (Some(StatusAnswers::READY), PrinterStatus::Ready),
        (Some(StatusAnswers::PAPER_LOW), PrinterStatus::PaperLow),
        (Some(StatusAnswers::PAPER_OUT), PrinterStatus::PaperOut),
        (Some(StatusAnswers::COVER_OPEN), PrinterStatus::CoverOpen),
        (None, PrinterStatus::NotAnswering),
    ];
    for (answers, expected) in cases {
        let pty = PtyPrinter::start(32, answers).expect("pty");
        let mut port = SerialPrinter::new(pty.path().to_path_buf(), 19200, FlowControl::None);
        assert_eq!(port.status(), expected, "answers {answers:?}");
    }
    let mut absent = SerialPrinter::new("/dev/no-such-printer".into(), 19200, FlowControl::None);
    match absent.status() {
        PrinterStatus::Unreachable(reason) => {
            assert!(reason.contains("plugged in"), "{reason}")
        }
        other => panic!("an absent device is {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_printer_that_answers_no_status_still_gets_the_receipt() {
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = Journal::open(&dir.path().join("journal.sqlite")).expect("journal");
    let pty = PtyPrinter::start(32, None).expect("pty");
    let printer = spooler(pty.path(), &journal);
    let sale = paid_sale(&journal, 12_550);
    printer.receipt_owed(sale);
    assert!(wait_until(|| receipt_state(&journal, sale) == Receipt::Printed).await);
    assert!(pty.wait_for_cuts(1, WAIT));
    assert_eq!(printer.state().borrow().status, PrinterStatus::NotAnswering);
    let text = pty.emulator().paper().text();
    assert!(
        text.contains("Le 125.50") && text.contains("PAID"),
        "{text}"
    );
}

/// A completed refund's receipt is owed like a sale's: the queue prints it through the serial
/// code once the paper is back, marks it printed, and a reprint says COPY.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_completed_refund_prints_its_receipt_once_owed_and_a_copy_on_asking() {
    use paycode_kiosk::monime::PayoutStatus;
    use paycode_kiosk::refund::{FullNumber, NewRefund, PayoutSeen, RefundPhase, Refunder};

    let dir = tempfile::tempdir().expect("tempdir");
    let journal = Journal::open(&dir.path().join("journal.sqlite")).expect("journal");
    let pty = PtyPrinter::start(32, Some(StatusAnswers::PAPER_OUT)).expect("pty");
    let printer = spooler(pty.path(), &journal);
    let sale = paid_sale(&journal, 2000);
    journal
        .set_receipt(sale, Receipt::Printed)
        .expect("the sale's was printed");
    let now = Utc::now();
    let day = (
        now - chrono::Duration::hours(1),
        now + chrono::Duration::hours(1),
    );
    let new = NewRefund {
        sale,
        amount: Money::new(Currency::Sle, 750),
        provider_id: "m18".into(),
        phone: FullNumber::parse("077123456").expect("number"),
        holder_name: Some("MOHAMED BANGURA".into()),
        refunder: Refunder::Admin,
        terminal_id: "SHOP1-TILL1".into(),
        source_account: None,
    };
    let mut refund = journal
        .begin_refund("refund-key", now, &new, 10_000, day)
        .expect("journal")
        .expect("written");
    refund.phase = RefundPhase::Completed;
    refund.request = None;
    refund.payout = Some(PayoutSeen {
        id: "pyt-test1".into(),
        status: PayoutStatus::Completed,
        fee: None,
        reference: Some("CI260101.0900.000042".into()),
    });
    journal
        .save_refund(&refund, now, Some("Refunded"))
        .expect("save");
    let refund_receipt = || {
        journal
            .refund(refund.number)
            .expect("read")
            .expect("there")
            .receipt
    };
    printer.refund_receipt_owed(refund.number);
    let state = printer.state();
    assert!(
        wait_until(|| state.borrow().owed == 1).await,
        "the refund's receipt is owed"
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(pty.emulator().cuts(), 0);
    assert_eq!(refund_receipt(), Receipt::Owed);

    pty.set_status(Some(StatusAnswers::READY));
    assert!(wait_until(|| refund_receipt() == Receipt::Printed).await);
    assert!(pty.wait_for_cuts(1, WAIT));
    let text = pty.emulator().paper().text();
    for expected in [
        "REFUND",
        "Le 7.50",
        "Africell AfriMoney 077 ··· 456",
        "MOHAMED BANGURA",
        "pyt-test1",
        "CI260101.0900.000042",
        "Admin",
    ] {
        assert!(text.contains(expected), "{expected:?} in\n{text}");
    }
    assert!(wait_until(|| state.borrow().owed == 0).await);

    printer
        .print(Job::ReprintRefund(refund.number))
        .await
        .expect("reprinted");
    assert!(pty.wait_for_cuts(2, WAIT));
    assert!(
        pty.emulator().documents()[1]
            .text()
            .contains("*** COPY ***")
    );
    let refused = printer.print(Job::ReprintRefund(99)).await;
    assert!(
        matches!(refused, Err(PrintError::Refused(_))),
        "{refused:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paper_out_keeps_the_receipt_owed_until_the_paper_is_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = Journal::open(&dir.path().join("journal.sqlite")).expect("journal");
    let pty = PtyPrinter::start(32, Some(StatusAnswers::PAPER_OUT)).expect("pty");
    let printer = spooler(pty.path(), &journal);
    let sale = paid_sale(&journal, 500);
    printer.receipt_owed(sale);
    let state = printer.state();
    assert!(
        wait_until(|| state.borrow().status == PrinterStatus::PaperOut && state.borrow().owed == 1)
            .await
    );
    // Several retries go by without printing.
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(pty.emulator().cuts(), 0);
    assert_eq!(receipt_state(&journal, sale), Receipt::Owed);
    let refused = printer.print(Job::TestPage).await;
    assert!(
        matches!(refused, Err(PrintError::NotReady(PrinterStatus::PaperOut))),
        "{refused:?}"
    );

    pty.set_status(Some(StatusAnswers::READY));
    assert!(wait_until(|| receipt_state(&journal, sale) == Receipt::Printed).await);
    assert!(pty.wait_for_cuts(1, WAIT));
    // The journal is written first, the state published after it.
    assert!(
        wait_until(|| state.borrow().owed == 0 && state.borrow().last_printed == Some(sale)).await
    );
    // Printed once, not once per retry.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(pty.emulator().cuts(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_paid_chime_sounds_the_buzzer_even_without_paper() {
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = Journal::open(&dir.path().join("journal.sqlite")).expect("journal");
    let pty = PtyPrinter::start(32, Some(StatusAnswers::PAPER_OUT)).expect("pty");
    let printer = spooler(pty.path(), &journal);
    printer.print(Job::Chime).await.expect("the chime is sent");
    assert!(wait_until(|| pty.emulator().beeps() == 2).await);
    assert!(pty.emulator().unknown_commands().is_empty());
    assert_eq!(pty.emulator().cuts(), 0, "a chime prints nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unplugged_printer_gets_its_receipts_when_it_returns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = Journal::open(&dir.path().join("journal.sqlite")).expect("journal");
    // A stable name, as udev gives a USB printer, pointing at whichever pty is "plugged in".
    let device = dir.path().join("ttyUSB-printer");
    let first = PtyPrinter::start(32, Some(StatusAnswers::READY)).expect("pty");
    std::os::unix::fs::symlink(first.path(), &device).expect("link");
    let printer = spooler(&device, &journal);
    let one = paid_sale(&journal, 100);
    printer.receipt_owed(one);
    assert!(wait_until(|| receipt_state(&journal, one) == Receipt::Printed).await);

    // Unplugged: the node goes, the open port dies.
    std::fs::remove_file(&device).expect("unplug");
    drop(first);
    let state = printer.state();
    assert!(wait_until(|| matches!(state.borrow().status, PrinterStatus::Unreachable(_))).await);
    let two = paid_sale(&journal, 200);
    let three = paid_sale(&journal, 300);
    printer.receipt_owed(two);
    printer.receipt_owed(three);
    assert!(wait_until(|| state.borrow().owed == 2).await);
    assert_eq!(receipt_state(&journal, two), Receipt::Owed);

    // Plugged back in.
    let second = PtyPrinter::start(32, Some(StatusAnswers::READY)).expect("pty");
    std::os::unix::fs::symlink(second.path(), &device).expect("replug");
    assert!(wait_until(|| receipt_state(&journal, three) == Receipt::Printed).await);
    assert!(second.wait_for_cuts(2, WAIT));
    let text = second.emulator().paper().text();
    let (at_two, at_three) = (text.find("Le 2.00"), text.find("Le 3.00"));
    assert!(
        at_two.is_some() && at_two < at_three,
        "oldest first:\n{text}"
    );
    assert!(wait_until(|| state.borrow().status == PrinterStatus::Ready).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receipts_owed_before_a_restart_print_at_start_and_reprints_say_copy() {
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = Journal::open(&dir.path().join("journal.sqlite")).expect("journal");
    let sale = paid_sale(&journal, 4_200);
    let pty = PtyPrinter::start(32, Some(StatusAnswers::READY)).expect("pty");
    let printer = spooler(pty.path(), &journal);
    assert!(wait_until(|| receipt_state(&journal, sale) == Receipt::Printed).await);
    printer.print(Job::Reprint(sale)).await.expect("reprint");
    assert!(pty.wait_for_cuts(2, WAIT));
    let documents = pty.emulator().documents();
    assert!(!documents[0].text().contains("COPY"));
    assert!(documents[1].text().contains("*** COPY ***"));

    let unpaid = begin(&journal, "unpaid-key", 100, None).number;
    let refused = printer.print(Job::Reprint(unpaid)).await;
    assert!(
        matches!(&refused, Err(PrintError::Refused(message)) if message.contains("not paid")),
        "{refused:?}"
    );
}

/// Receipts in the language chosen, through the pseudo-terminal: French with its accents in
/// the printer's code page; switched to Krio while the spooler runs, the next receipt follows,
/// its ɛ and ɔ printed as e and o (no code page has them), never as '?'.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receipts_print_in_the_language_chosen_with_the_code_pages_letters() {
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = Journal::open(&dir.path().join("journal.sqlite")).expect("journal");
    let pty = PtyPrinter::start(32, Some(StatusAnswers::READY)).expect("pty");
    let language = SharedLanguage::new(Language::French);
    let port = SerialPrinter::new(pty.path().to_path_buf(), 115_200, FlowControl::None);
    let french = ReceiptStyle {
        language: language.clone(),
        ..style(32, "Shop")
    };
    let printer = PrinterHandle::start(
        Box::new(port),
        journal.clone(),
        french,
        fast(),
        Clock::new(),
    )
    .expect("printer thread");
    let sale = paid_sale(&journal, 4_200);
    printer.receipt_owed(sale);
    assert!(wait_until(|| receipt_state(&journal, sale) == Receipt::Printed).await);
    language.set(Language::Krio);
    printer.print(Job::Reprint(sale)).await.expect("reprint");
    assert!(pty.wait_for_cuts(2, WAIT));
    let documents = pty.emulator().documents();
    let (french, krio) = (documents[0].text(), documents[1].text());
    for word in ["PAYÉ", "Vente", "Payé avec", "Référence", "INV-7"] {
        assert!(french.contains(word), "{word} in\n{french}");
    }
    for word in ["*** KOPI ***", "I DON PE", "Refrens", "Teminal"] {
        assert!(krio.contains(word), "{word} in\n{krio}");
    }
    assert!(!krio.contains('?') && !french.contains('?'), "{krio}");
    // A page without accents (Cyrillic) prints French as plain letters, on purpose.
    for (page, paid) in [(CodePage::Pc437, "PAYÉ"), (CodePage::Pc866, "PAYE")] {
        let style = ReceiptStyle {
            code_page: page,
            language: SharedLanguage::new(Language::French),
            ..style(32, "Shop")
        };
        let stored = journal.sale(sale).expect("read").expect("the sale");
        let bytes = receipt::sale_receipt(&style, &stored, Utc::now(), false).expect("layout");
        let mut paper = Emulator::new(32, None);
        paper.feed(&bytes);
        let text = paper.paper().text();
        assert!(
            text.contains(paid) && !text.contains('?'),
            "{page:?}:\n{text}"
        );
    }
}

/// A fixed sale for the golden receipts.
/// `recover` after a power cut with the printer back: it waits for the owed receipt to print
/// and says so; with the printer out of paper it names the receipt still owed and why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recover_prints_owed_receipts_and_names_those_that_stay_owed() {
    let setup = common::cli::setup(SimulatorOptions::default(), "").await;
    let pty = PtyPrinter::start(42, Some(StatusAnswers::READY)).expect("pty");
    common::cli::add_printer(&setup.config, &pty);
    let journal = Journal::open(&setup.journal()).expect("journal");
    let recover = || common::cli::run(common::cli::args(&["recover"], &setup.config));

    let first = paid_sale(&journal, 725);
    let output = recover().await;
    let (stdout, stderr) = common::cli::text(&output);
    assert!(output.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!("#{first} Le 7.25: receipt printed")),
        "{stdout}{stderr}"
    );
    assert_eq!(receipt_state(&journal, first), Receipt::Printed);
    assert!(
        pty.wait_for_cuts(1, WAIT),
        "the receipt reached the printer"
    );
    assert!(pty.emulator().paper().text().contains("Le 7.25"));

    pty.set_status(Some(StatusAnswers::PAPER_OUT));
    let second = paid_sale(&journal, 1250);
    let output = recover().await;
    let (stdout, stderr) = common::cli::text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!(
            "#{second} Le 12.50: receipt still owed: the printer is out of paper"
        )),
        "{stdout}"
    );
    assert!(stderr.contains("1 receipt(s) still owed"), "{stderr}");
    assert_eq!(receipt_state(&journal, second), Receipt::Owed);
    assert_eq!(pty.emulator().cuts(), 1, "nothing printed without paper");
}

fn golden_sale() -> (StoredSale, DateTime<Utc>) {
    let at = DateTime::parse_from_rfc3339("2026-11-22T14:03:00Z")
        .expect("time")
        .to_utc();
    let mut record = SaleRecord::new(
        1042,
        "key".into(),
        NewPaymentCode::new("Shop sale", Money::new(Currency::Sle, 1_234_550))
            .with_reference(Some("Facture Nº 7 – Łukasz".into())),
    );
    record.phase = Phase::Paid;
    record.code = Some(CodeInfo {
        id: "pmc-Z8fK2mQ9xLw4RtY7uVbN3cDe".into(),
        ussd_code: "*715*1*88214407#".into(),
        expire_time: None,
    });
    record.payment = Some(ProcessedPayment {
        provider_id: Some("m18".into()),
        order_number: Some("9911-4482".into()),
        payment_id: Some("pay-Gh5sK1mNq8Zx".into()),
        ..Default::default()
    });
    let sale = StoredSale {
        record,
        terminal_id: "SHOP1-TILL1".into(),
        created_at: at,
        updated_at: at,
        receipt: Receipt::Owed,
        books: Default::default(),
        order: Default::default(),
        // The payer's proof, as Monime's payment gave it.
        proof: Some(PayerProof {
            payment_id: "pay-Gh5sK1mNq8Zx".into(),
            provider_id: Some("m18".into()),
            reference: Some("AM251122.1403.C77".into()),
            masked_number: Some("+23230***912".into()),
            fingerprint: None,
            fees: Vec::new(),
        }),
    };
    (sale, at)
}

#[test]
fn golden_receipts_for_each_paper_width() {
    let (sale, paid_at) = golden_sale();
    // Yoruba, Polish and Greek letters: kept where PC858 has them, stand-ins where not.
    let merchant = "Ọjà Mama Ẹ̀kó Café Łódź Ω";
    for width in [32, 42, 48] {
        let bytes =
            receipt::sale_receipt(&style(width, merchant), &sale, paid_at, false).expect("layout");
        let mut printer = Emulator::new(width, None);
        printer.feed(&bytes);
        assert!(printer.unknown_commands().is_empty());
        let text = printer.paper().text();
        for line in text
            .lines()
            .filter(|line| !line.trim_start().starts_with("[QR:"))
        {
            assert!(
                line.chars().count() <= width,
                "too wide at {width}: {line:?}"
            );
            assert!(
                !line.contains('?'),
                "unprintable character at {width}: {line:?}"
            );
        }
        let golden = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/golden")
            .join(format!("receipt-{width}.txt"));
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::create_dir_all(golden.parent().expect("folder")).expect("folder");
            std::fs::write(&golden, &text).expect("write golden");
            // The README's picture of a receipt.
            let preview = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(format!("docs/receipt-{width}-columns.png"));
            printer.paper().save_png(&preview).expect("write preview");
        }
        let expected = std::fs::read_to_string(&golden).unwrap_or_else(|error| {
            panic!("{}: {error} (UPDATE_GOLDEN=1 writes it)", golden.display())
        });
        assert_eq!(text, expected, "receipt at {width} columns changed");
    }
}

#[test]
fn the_receipt_preview_shows_the_amount_in_large_bold_type() {
    let (sale, paid_at) = golden_sale();
    let bytes = receipt::sale_receipt(&style(32, "Shop"), &sale, paid_at, false).expect("layout");
    let mut printer = Emulator::new(32, None);
    printer.feed(&bytes);
    let amount = printer
        .paper()
        .blocks()
        .iter()
        .find_map(|block| match block {
            paycode_kiosk::printer::emulator::Block::Line { spans, .. } => spans
                .iter()
                .find(|span| span.text.contains("12,345.50"))
                .cloned(),
            _ => None,
        })
        .expect("the amount is printed");
    assert!(amount.bold && amount.width == 2 && amount.height == 2);
    let image = printer.paper().render();
    assert_eq!(image.width(), 32 * 12 + 32);
    let dark = image.pixels().filter(|pixel| pixel.0[0] < 128).count();
    assert!(
        dark > 5_000,
        "the preview is nearly blank: {dark} dark pixels"
    );
}
