//! Receipts through each way a printer is plugged in, with real bytes: the serial code and the
//! USB printer-class code each write to a pseudo-terminal, the network code over a real TCP
//! connection, and at the other end the in-repo virtual printer reads the ESC/POS back and
//! answers status queries, or does not.
//!
//! Through the printer queue and a real journal this proves, for serial, USB and network alike,
//! that a paid sale's receipt arrives whole, once, and is marked printed; that it stays owed
//! while the paper is out and prints when the paper is back; and that it stays owed while the
//! printer is unplugged (serial and USB, found again by `auto`, under its lasting name or as
//! `lp1` after `lp0`) or switched off (network), and prints when it returns. For the network it
//! proves that a connection dropped mid-receipt leaves the piece cut off under "INTERRUPTED" and
//! the receipt printed whole once after, and that a printer that never answers status still
//! gets its receipt; for USB that such a printer is said not to report its status and still
//! prints. It proves that `auto` never guesses between two printers and says when there is
//! none, that each model's own commands reach the printer (Epson's buzzer, Rongta's number for
//! PC866), and that the footer is printed in the receipt's language.

mod common;

use std::ops::Deref;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use common::printing::{
    WAIT, fast, journal, occurrences, paid_sale, position, receipt_bytes, receipt_state, style,
    wait_until,
};
use paycode_kiosk::clock::Clock;
use paycode_kiosk::journal::{Journal, Receipt};
use paycode_kiosk::lang::{Language, SharedLanguage};
use paycode_kiosk::printer::device::SearchPlaces;
use paycode_kiosk::printer::emulator::{Emulator, StatusAnswers, VirtualPrinter};
use paycode_kiosk::printer::pty::PtyPrinter;
use paycode_kiosk::printer::socket::SocketPrinter;
use paycode_kiosk::printer::spooler::Job;
use paycode_kiosk::printer::usb::UsbPrinter;
use paycode_kiosk::printer::{
    self, CodePage, PrintError, PrinterDevice, PrinterHandle, PrinterModel, PrinterPort,
    PrinterSettings, PrinterStatus, ReceiptStyle, ShopLines,
};

/// The shop's own footer on the test receipts (`[printer] footer`).
const FOOTER: &str = "Come again to Mama's";

fn shop_style() -> ReceiptStyle {
    ReceiptStyle {
        footer: Some(ShopLines::same(vec![FOOTER.into()])),
        ..style(32, "Mama Salone Shop")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transport {
    Serial,
    Usb,
    Network,
}

impl Transport {
    const ALL: [Transport; 3] = [Transport::Serial, Transport::Usb, Transport::Network];

    /// A 32-column virtual printer answering status with `status` (or silent), plugged in this
    /// way, and the settings that reach it.
    fn plug(self, status: Option<StatusAnswers>) -> (Plugged, PrinterSettings) {
        match self {
            Transport::Serial | Transport::Usb => {
                let pty = PtyPrinter::start(32, status).expect("pty");
                let path = pty.path().to_path_buf();
                let device = if self == Transport::Serial {
                    PrinterDevice::Serial(path)
                } else {
                    PrinterDevice::Usb(path)
                };
                (Plugged::Pty(pty), PrinterSettings::for_device(device))
            }
            Transport::Network => {
                let socket = SocketPrinter::start(SocketPrinter::ANY_LOCAL_PORT, 32, status)
                    .expect("listen");
                let settings = PrinterSettings::for_device(network_device(&socket));
                (Plugged::Socket(socket), settings)
            }
        }
    }
}

/// The virtual printer at the far end of a transport.
enum Plugged {
    Pty(PtyPrinter),
    Socket(SocketPrinter),
}

impl Deref for Plugged {
    type Target = VirtualPrinter;

    fn deref(&self) -> &VirtualPrinter {
        match self {
            Plugged::Pty(pty) => pty,
            Plugged::Socket(socket) => socket,
        }
    }
}

fn network_device(socket: &SocketPrinter) -> PrinterDevice {
    let address = socket.address();
    PrinterDevice::Network {
        host: address.ip().to_string(),
        port: address.port(),
    }
}

/// The printer queue on the port `settings` open, as the terminal starts it.
fn queue(settings: &PrinterSettings, journal: &Journal, style: ReceiptStyle) -> PrinterHandle {
    PrinterHandle::start(
        printer::port_for(settings),
        journal.clone(),
        style,
        fast(),
        Clock::new(),
    )
    .expect("printer thread")
}

/// How many status queries (`DLE EOT n`) the printer has read so far.
fn status_queries(printer: &VirtualPrinter) -> usize {
    occurrences(&printer.received(), &[0x10, 0x04])
}

/// Waits until the queue has asked an answering printer how it is `rounds` more times (two
/// queries a round): proof that its retries went by.
async fn retries_go_by(printer: &VirtualPrinter, rounds: usize) -> bool {
    let before = status_queries(printer);
    wait_until(|| status_queries(printer) >= before + 2 * rounds).await
}

/// Whether `text` has a line that reads `wanted`, spaces around it aside.
fn has_line(text: &str, wanted: &str) -> bool {
    text.lines().any(|line| line.trim() == wanted)
}

/// Where `auto` looks, under `root`: `serial/by-id`, `usb` and an empty `dev`.
fn search_places(root: &Path) -> SearchPlaces {
    let places = SearchPlaces {
        serial_by_id: root.join("serial/by-id"),
        usb: root.join("usb"),
        dev: root.join("dev"),
    };
    for folder in [&places.serial_by_id, &places.usb, &places.dev] {
        std::fs::create_dir_all(folder).expect("folder");
    }
    places
}

// 1. A paid sale's receipt, whole, on each transport.

async fn a_paid_sales_receipt_arrives_whole_and_is_marked_printed(transport: Transport) {
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = journal(dir.path());
    let (printer, settings) = transport.plug(Some(StatusAnswers::READY));
    let queue = queue(&settings, &journal, shop_style());
    let sale = paid_sale(&journal, 12_550);
    queue.receipt_owed(sale);
    assert!(
        wait_until(|| receipt_state(&journal, sale) == Receipt::Printed).await,
        "{transport:?}: the receipt was not marked printed"
    );
    assert!(printer.wait_for_cuts(1, WAIT), "{transport:?}: no cut");
    let expected = receipt_bytes(&journal, &shop_style(), sale);
    assert_eq!(
        occurrences(&printer.received(), &expected),
        1,
        "{transport:?}: the receipt's bytes did not arrive whole, once"
    );
    {
        let emulator = printer.emulator();
        assert!(
            emulator.unknown_commands().is_empty(),
            "{transport:?}: {:?}",
            emulator.unknown_commands()
        );
        let documents = emulator.documents();
        assert_eq!(documents.len(), 1, "{transport:?}");
        let text = documents[0].text();
        for words in ["Mama Salone Shop", "Le 125.50", "PAID", "INV-7", FOOTER] {
            assert!(text.contains(words), "{transport:?}: {words} in\n{text}");
        }
        assert!(
            text.lines()
                .any(|line| line.starts_with("Sale") && line.ends_with(&format!(" {sale}"))),
            "{transport:?}: sale {sale} in\n{text}"
        );
    }
    let state = queue.state();
    assert!(
        wait_until(|| state.borrow().owed == 0 && state.borrow().last_printed == Some(sale)).await,
        "{transport:?}: {:?}",
        *state.borrow()
    );
    assert_eq!(state.borrow().status, PrinterStatus::Ready, "{transport:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serial_a_paid_sales_receipt_arrives_whole_and_is_marked_printed() {
    a_paid_sales_receipt_arrives_whole_and_is_marked_printed(Transport::Serial).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usb_a_paid_sales_receipt_arrives_whole_and_is_marked_printed() {
    a_paid_sales_receipt_arrives_whole_and_is_marked_printed(Transport::Usb).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn network_a_paid_sales_receipt_arrives_whole_and_is_marked_printed() {
    a_paid_sales_receipt_arrives_whole_and_is_marked_printed(Transport::Network).await;
}

// 2. Paper out.

async fn paper_out_keeps_the_receipt_owed_until_the_paper_is_back(transport: Transport) {
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = journal(dir.path());
    let (printer, settings) = transport.plug(Some(StatusAnswers::PAPER_OUT));
    let queue = queue(&settings, &journal, shop_style());
    let sale = paid_sale(&journal, 500);
    queue.receipt_owed(sale);
    let state = queue.state();
    assert!(
        wait_until(|| state.borrow().status == PrinterStatus::PaperOut && state.borrow().owed == 1)
            .await,
        "{transport:?}: {:?}",
        *state.borrow()
    );
    assert!(
        retries_go_by(&printer, 2).await,
        "{transport:?}: the queue stopped asking"
    );
    assert_eq!(
        printer.emulator().cuts(),
        0,
        "{transport:?}: printed without paper"
    );
    assert_eq!(
        receipt_state(&journal, sale),
        Receipt::Owed,
        "{transport:?}"
    );

    printer.set_status(Some(StatusAnswers::READY));
    assert!(
        wait_until(|| receipt_state(&journal, sale) == Receipt::Printed).await,
        "{transport:?}: not printed once the paper was back"
    );
    assert!(printer.wait_for_cuts(1, WAIT), "{transport:?}: no cut");
    assert!(
        wait_until(|| state.borrow().owed == 0 && state.borrow().last_printed == Some(sale)).await,
        "{transport:?}: {:?}",
        *state.borrow()
    );
    // Printed once, not once per retry.
    assert!(retries_go_by(&printer, 2).await, "{transport:?}");
    assert_eq!(printer.emulator().cuts(), 1, "{transport:?}");
    let expected = receipt_bytes(&journal, &shop_style(), sale);
    assert_eq!(
        occurrences(&printer.received(), &expected),
        1,
        "{transport:?}"
    );
    let text = printer.emulator().documents()[0].text();
    assert!(text.contains("Le 5.00"), "{transport:?}:\n{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serial_paper_out_keeps_the_receipt_owed_until_the_paper_is_back() {
    paper_out_keeps_the_receipt_owed_until_the_paper_is_back(Transport::Serial).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usb_paper_out_keeps_the_receipt_owed_until_the_paper_is_back() {
    paper_out_keeps_the_receipt_owed_until_the_paper_is_back(Transport::Usb).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn network_paper_out_keeps_the_receipt_owed_until_the_paper_is_back() {
    paper_out_keeps_the_receipt_owed_until_the_paper_is_back(Transport::Network).await;
}

// 3. Unplugged and plugged back (serial and USB, through `auto`), switched off and on
// (network).

/// The printer on `first`, found by `auto`, prints; unplugged, a sale paid meanwhile stays
/// owed and the status says no printer is plugged in; plugged back as `second`, it is found
/// there and the owed receipt prints on it.
async fn an_unplugged_printer_is_found_again_and_gets_the_receipt_owed(
    places: SearchPlaces,
    first: PathBuf,
    second: PathBuf,
) {
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = journal(dir.path());
    let plugged = PtyPrinter::start(32, Some(StatusAnswers::READY)).expect("pty");
    symlink(plugged.path(), &first).expect("plug in");
    let settings = PrinterSettings::for_device(PrinterDevice::Auto(places));
    let queue = queue(&settings, &journal, shop_style());
    let state = queue.state();
    let one = paid_sale(&journal, 100);
    queue.receipt_owed(one);
    assert!(wait_until(|| receipt_state(&journal, one) == Receipt::Printed).await);
    assert!(plugged.wait_for_cuts(1, WAIT));
    let first_name = first.display().to_string();
    assert!(
        state.borrow().device.contains(&first_name),
        "{:?}",
        *state.borrow()
    );

    // Unplugged: its device node goes, and the printer with it.
    std::fs::remove_file(&first).expect("unplug");
    drop(plugged);
    let two = paid_sale(&journal, 200);
    queue.receipt_owed(two);
    assert!(
        wait_until(|| {
            let state = state.borrow();
            state.owed == 1
                && matches!(&state.status, PrinterStatus::Unreachable(reason)
                    if reason.contains("no printer is plugged in"))
        })
        .await,
        "{:?}",
        *state.borrow()
    );
    assert_eq!(receipt_state(&journal, two), Receipt::Owed);

    // Plugged back, under `second`.
    let back = PtyPrinter::start(32, Some(StatusAnswers::READY)).expect("pty");
    symlink(back.path(), &second).expect("plug back");
    assert!(
        wait_until(|| receipt_state(&journal, two) == Receipt::Printed).await,
        "{:?}",
        *state.borrow()
    );
    assert!(back.wait_for_cuts(1, WAIT));
    let text = back.emulator().documents()[0].text();
    assert!(
        text.contains("Le 2.00") && !text.contains("Le 1.00"),
        "{text}"
    );
    let second_name = second.display().to_string();
    assert!(
        wait_until(|| {
            let state = state.borrow();
            state.status == PrinterStatus::Ready
                && state.device.contains(&second_name)
                && state.owed == 0
        })
        .await,
        "{:?}",
        *state.borrow()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serial_unplugged_and_plugged_back_under_its_lasting_name_gets_the_receipt_owed() {
    let dev = tempfile::tempdir().expect("tempdir");
    let places = search_places(dev.path());
    let name = places
        .serial_by_id
        .join("usb-Virtual_Printer_0001-if00-port0");
    an_unplugged_printer_is_found_again_and_gets_the_receipt_owed(places, name.clone(), name).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usb_unplugged_and_plugged_back_as_lp1_gets_the_receipt_owed() {
    let dev = tempfile::tempdir().expect("tempdir");
    let places = search_places(dev.path());
    let (lp0, lp1) = (places.usb.join("lp0"), places.usb.join("lp1"));
    an_unplugged_printer_is_found_again_and_gets_the_receipt_owed(places, lp0, lp1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn network_switched_off_and_on_gets_the_receipt_owed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = journal(dir.path());
    let socket = SocketPrinter::start(
        SocketPrinter::ANY_LOCAL_PORT,
        32,
        Some(StatusAnswers::READY),
    )
    .expect("listen");
    let settings = PrinterSettings::for_device(network_device(&socket));
    let queue = queue(&settings, &journal, shop_style());
    let state = queue.state();
    let one = paid_sale(&journal, 100);
    queue.receipt_owed(one);
    assert!(wait_until(|| receipt_state(&journal, one) == Receipt::Printed).await);
    assert!(socket.wait_for_cuts(1, WAIT));

    socket.switch_off();
    let two = paid_sale(&journal, 200);
    queue.receipt_owed(two);
    assert!(
        wait_until(|| {
            let state = state.borrow();
            state.owed == 1 && matches!(state.status, PrinterStatus::Unreachable(_))
        })
        .await,
        "{:?}",
        *state.borrow()
    );
    assert_eq!(receipt_state(&journal, two), Receipt::Owed);
    assert_eq!(socket.emulator().cuts(), 1);
    let connections = socket.connections();

    socket.switch_on().expect("switch on");
    assert!(
        wait_until(|| receipt_state(&journal, two) == Receipt::Printed).await,
        "{:?}",
        *state.borrow()
    );
    assert!(socket.wait_for_cuts(2, WAIT));
    assert!(socket.connections() > connections);
    let documents = socket.emulator().documents();
    assert!(documents[1].text().contains("Le 2.00"), "{documents:?}");
    assert!(
        wait_until(|| state.borrow().status == PrinterStatus::Ready && state.borrow().owed == 0)
            .await,
        "{:?}",
        *state.borrow()
    );
}

// 4. A network connection dropped mid-receipt; a network printer that never answers.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn network_a_receipt_cut_off_midway_is_marked_interrupted_and_printed_whole_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = journal(dir.path());
    // Owed before the queue starts, so that its first act is this receipt: it asks how the
    // printer is (DLE EOT 1 and DLE EOT 4, six bytes), then sends the receipt on the same
    // connection, which the printer drops in the middle of the word "Terminal".
    let sale = paid_sale(&journal, 4_750);
    let receipt = receipt_bytes(&journal, &shop_style(), sale);
    let in_the_middle = position(&receipt, b"Terminal").expect("the terminal line") + 4;
    let socket = SocketPrinter::start(
        SocketPrinter::ANY_LOCAL_PORT,
        32,
        Some(StatusAnswers::READY),
    )
    .expect("listen");
    socket.drop_connection_after(6 + in_the_middle);
    let settings = PrinterSettings::for_device(network_device(&socket));
    let queue = queue(&settings, &journal, shop_style());

    assert!(
        wait_until(|| receipt_state(&journal, sale) == Receipt::Printed).await,
        "{:?}",
        *queue.state().borrow()
    );
    assert!(socket.wait_for_cuts(2, WAIT));
    let received = socket.received();
    assert!(
        received
            .starts_with(&[&[0x10, 0x04, 1, 0x10, 0x04, 4], &receipt[..in_the_middle]].concat()),
        "the piece that reached the printer is not the receipt's start"
    );
    assert_eq!(
        occurrences(&received, &receipt),
        1,
        "the receipt did not arrive whole, once"
    );
    {
        let emulator = socket.emulator();
        assert!(
            emulator.unknown_commands().is_empty(),
            "{:?}",
            emulator.unknown_commands()
        );
        let documents = emulator.documents();
        assert_eq!(documents.len(), 2, "{documents:?}");
        let (piece, whole) = (documents[0].text(), documents[1].text());
        assert!(
            piece.contains("Mama Salone Shop") && has_line(&piece, "Term"),
            "{piece}"
        );
        assert!(
            has_line(&piece, "*** INTERRUPTED ***") && !piece.contains("Le 47.50"),
            "{piece}"
        );
        for words in ["Mama Salone Shop", "Terminal", "Le 47.50", FOOTER] {
            assert!(whole.contains(words), "{words} in\n{whole}");
        }
        assert!(!whole.contains("INTERRUPTED"), "{whole}");
    }
    let state = queue.state();
    assert!(
        wait_until(|| state.borrow().last_printed == Some(sale) && state.borrow().owed == 0).await,
        "{:?}",
        *state.borrow()
    );
    // Once: the retries after it print nothing more.
    assert!(retries_go_by(&socket, 2).await);
    assert_eq!(socket.emulator().cuts(), 2);
    assert!(
        socket.connections() >= 3,
        "{} connections",
        socket.connections()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn network_a_printer_that_never_answers_status_still_gets_its_receipt() {
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = journal(dir.path());
    let (printer, settings) = Transport::Network.plug(None);
    let queue = queue(&settings, &journal, shop_style());
    let sale = paid_sale(&journal, 12_550);
    queue.receipt_owed(sale);
    assert!(
        wait_until(|| receipt_state(&journal, sale) == Receipt::Printed).await,
        "{:?}",
        *queue.state().borrow()
    );
    assert!(printer.wait_for_cuts(1, WAIT));
    let expected = receipt_bytes(&journal, &shop_style(), sale);
    assert_eq!(occurrences(&printer.received(), &expected), 1);
    assert!(
        printer.emulator().documents()[0]
            .text()
            .contains("Le 125.50")
    );
    assert_eq!(queue.state().borrow().status, PrinterStatus::NotAnswering);
}

// 5. A USB printer that does not report its status.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usb_a_printer_that_does_not_report_its_status_is_said_so_and_still_prints() {
    let (printer, settings) = Transport::Usb.plug(None);
    let path = settings.device.path().expect("a device path").to_path_buf();
    let mut port = UsbPrinter::new(path);
    let status = port.status();
    assert_eq!(status, PrinterStatus::NotAnswering);
    assert_eq!(
        status.to_string(),
        "connected, but it does not report its status"
    );
    assert!(status.can_print() && !status.is_problem());
    // It was asked, through the device.
    assert!(wait_until(|| printer.received() == [0x10, 0x04, 1]).await);
    drop(port);

    let dir = tempfile::tempdir().expect("tempdir");
    let journal = journal(dir.path());
    let queue = queue(&settings, &journal, shop_style());
    let sale = paid_sale(&journal, 9_900);
    queue.receipt_owed(sale);
    assert!(wait_until(|| receipt_state(&journal, sale) == Receipt::Printed).await);
    assert!(printer.wait_for_cuts(1, WAIT));
    assert!(
        printer.emulator().documents()[0]
            .text()
            .contains("Le 99.00")
    );
    let state = queue.state();
    assert!(
        wait_until(|| state.borrow().status == PrinterStatus::NotAnswering).await,
        "{:?}",
        *state.borrow()
    );
}

// 6. `auto` with two printers, and with none.

#[test]
fn auto_refuses_to_guess_between_two_printers_and_says_when_none_is_plugged_in() {
    let dev = tempfile::tempdir().expect("tempdir");
    let places = search_places(dev.path());
    let settings = PrinterSettings::for_device(PrinterDevice::Auto(places.clone()));
    let document = b"\x1b@Which printer?\n\x1dVB\x00";

    match printer::look_at(&settings) {
        PrinterStatus::Unreachable(reason) => assert!(
            reason.contains("no printer is plugged in"),
            "none plugged in: {reason}"
        ),
        other => panic!("none plugged in: {other:?}"),
    }

    let usb = PtyPrinter::start(32, Some(StatusAnswers::READY)).expect("pty");
    let serial = PtyPrinter::start(32, Some(StatusAnswers::READY)).expect("pty");
    let lp0 = places.usb.join("lp0");
    let by_id = places
        .serial_by_id
        .join("usb-Virtual_Printer_0002-if00-port0");
    symlink(usb.path(), &lp0).expect("plug in");
    symlink(serial.path(), &by_id).expect("plug in");
    let two = printer::look_at(&settings);
    match &two {
        PrinterStatus::Unreachable(reason) => {
            for name in [&lp0, &by_id] {
                assert!(
                    reason.contains(&name.display().to_string()),
                    "{} not named: {reason}",
                    name.display()
                );
            }
            assert!(reason.contains("[printer] device"), "{reason}");
        }
        other => panic!("two plugged in: {other:?}"),
    }
    let refused = printer::print_once(&settings, "test", document);
    assert!(
        matches!(
            &refused,
            Err(PrintError::NotReady(PrinterStatus::Unreachable(reason))) if reason.contains("2 printers")
        ),
        "{refused:?}"
    );
    assert!(usb.received().is_empty() && serial.received().is_empty());

    // One taken away, the other is the one.
    std::fs::remove_file(&by_id).expect("unplug");
    printer::print_once(&settings, "test", document).expect("printed on the one left");
    assert!(usb.wait_for_cuts(1, WAIT));
    assert!(serial.received().is_empty());
}

// 7. Each model's own commands.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_epson_chime_is_heard_as_two_beeps_on_each_transport() {
    let chime = PrinterModel::Epson
        .commands()
        .chime
        .expect("Epson printers have a buzzer");
    assert_ne!(Some(chime), PrinterModel::Generic.commands().chime);
    for transport in Transport::ALL {
        let dir = tempfile::tempdir().expect("tempdir");
        let journal = journal(dir.path());
        let (printer, settings) = transport.plug(Some(StatusAnswers::READY));
        let style = ReceiptStyle {
            model: PrinterModel::Epson,
            ..shop_style()
        };
        let queue = queue(&settings, &journal, style);
        queue
            .print(Job::Chime)
            .await
            .unwrap_or_else(|error| panic!("{transport:?}: {error}"));
        assert!(
            wait_until(|| printer.emulator().beeps() == 2).await,
            "{transport:?}: {} beeps",
            printer.emulator().beeps()
        );
        assert_eq!(occurrences(&printer.received(), chime), 1, "{transport:?}");
        let emulator = printer.emulator();
        assert!(
            emulator.unknown_commands().is_empty(),
            "{transport:?}: {:?}",
            emulator.unknown_commands()
        );
        assert_eq!(emulator.cuts(), 0, "{transport:?}: a chime prints nothing");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rongta_receipt_selects_pc866_by_rongtas_number_and_prints_cyrillic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = journal(dir.path());
    let (printer, settings) = Transport::Usb.plug(Some(StatusAnswers::READY));
    printer.emulator().set_model(PrinterModel::Rongta);
    let style = ReceiptStyle {
        model: PrinterModel::Rongta,
        code_page: CodePage::Pc866,
        header: ShopLines::same(vec!["ул. Ленина, 5".into()]),
        ..style(32, "Магазин Саша")
    };
    let queue = queue(&settings, &journal, style.clone());
    let sale = paid_sale(&journal, 300);
    queue.receipt_owed(sale);
    assert!(wait_until(|| receipt_state(&journal, sale) == Receipt::Printed).await);
    assert!(printer.wait_for_cuts(1, WAIT));

    let expected = receipt_bytes(&journal, &style, sale);
    let rongta_pc866 = PrinterModel::Rongta
        .page_number(CodePage::Pc866)
        .expect("Rongta has PC866");
    assert_eq!(rongta_pc866, 7);
    assert!(
        expected.starts_with(&[0x1B, b'@', 0x1B, b't', rongta_pc866]),
        "{:02X?}",
        &expected[..expected.len().min(8)]
    );
    assert_eq!(occurrences(&printer.received(), &expected), 1);
    let text = printer.emulator().documents()[0].text();
    assert!(
        text.contains("Магазин Саша") && text.contains("ул. Ленина, 5"),
        "{text}"
    );
    // Read by Epson's numbers, page 7 is not PC866: the same bytes show no Cyrillic.
    let mut generic = Emulator::new(32, None);
    generic.feed(&expected);
    let misread = generic.paper().text();
    assert!(!misread.contains("Магазин"), "{misread}");
}

// 8. The footer in the receipt's language.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shops_footer_is_printed_in_the_receipts_language() {
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = journal(dir.path());
    let (printer, settings) = Transport::Serial.plug(Some(StatusAnswers::READY));
    let language = SharedLanguage::new(Language::French);
    let style = ReceiptStyle {
        footer: Some(ShopLines {
            all: Vec::new(),
            by_language: vec![
                (Language::English, vec!["Thank you!".into()]),
                (Language::French, vec!["Merci !".into()]),
            ],
        }),
        language: language.clone(),
        ..style(32, "Shop")
    };
    let queue = queue(&settings, &journal, style);
    let sale = paid_sale(&journal, 4_200);
    queue.receipt_owed(sale);
    assert!(wait_until(|| receipt_state(&journal, sale) == Receipt::Printed).await);
    assert!(printer.wait_for_cuts(1, WAIT));
    language.set(Language::English);
    queue.print(Job::Reprint(sale)).await.expect("reprint");
    // Krio has no footer of its own: English's is printed.
    language.set(Language::Krio);
    queue.print(Job::Reprint(sale)).await.expect("reprint");
    assert!(printer.wait_for_cuts(3, WAIT));

    let documents = printer.emulator().documents();
    let (french, english, krio) = (
        documents[0].text(),
        documents[1].text(),
        documents[2].text(),
    );
    assert!(
        has_line(&french, "Merci !") && !french.contains("Thank you!"),
        "{french}"
    );
    assert!(french.contains("PAYÉ"), "a French receipt:\n{french}");
    for text in [&english, &krio] {
        assert!(
            has_line(text, "Thank you!") && !text.contains("Merci"),
            "{text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_footer_a_french_receipt_thanks_in_french() {
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = journal(dir.path());
    let (printer, settings) = Transport::Serial.plug(Some(StatusAnswers::READY));
    let style = ReceiptStyle {
        footer: None,
        language: SharedLanguage::new(Language::French),
        ..style(32, "Shop")
    };
    let queue = queue(&settings, &journal, style);
    let sale = paid_sale(&journal, 4_200);
    queue.receipt_owed(sale);
    assert!(wait_until(|| receipt_state(&journal, sale) == Receipt::Printed).await);
    assert!(printer.wait_for_cuts(1, WAIT));
    let text = printer.emulator().documents()[0].text();
    let thanks = Language::French.tr("Thank you!");
    assert!(
        has_line(&text, thanks) && !text.contains("Thank you!"),
        "the French thanks ({thanks:?}) in\n{text}"
    );
}
