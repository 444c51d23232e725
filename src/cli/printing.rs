//! The printer's commands: `print-test`, `reprint`, `report` and `virtual-printer`. The shift
//! and day-close reports are in `books`.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use chrono::NaiveDate;

use crate::control::console::{self, say, say_err};
use crate::printer::emulator::{Emulator, StatusAnswers, VirtualPrinter};
use crate::printer::pty::PtyPrinter;
use crate::printer::socket::SocketPrinter;
use crate::printer::{PrinterHandle, PrinterStatus, receipt};
use crate::shop::Shop;

/// Asks the printer how it is and says so.
async fn show_status(printer: &PrinterHandle) -> Result<PrinterStatus, String> {
    let state = printer.check().await.map_err(|error| error.to_string())?;
    say!("Printer {}: {}", state.device, state.status);
    if state.owed > 0 {
        say!(
            "{} receipt(s) owed; they print as soon as it is ready",
            state.owed
        );
    }
    Ok(state.status)
}

pub async fn print_test(shop: &Shop) -> Result<u8, String> {
    let printer = shop
        .printer_or_refusal()
        .map_err(|error| error.to_string())?;
    show_status(printer).await?;
    shop.print_test_page()
        .await
        .map_err(|error| format!("the test page was not printed: {error}"))?;
    say!("Test page sent.");
    Ok(0)
}

pub async fn reprint(shop: &Shop, sale: Option<i64>) -> Result<u8, String> {
    let number = shop
        .reprint(sale)
        .await
        .map_err(|error| error.to_string())?;
    say!("Receipt of sale {number} sent to the printer.");
    Ok(0)
}

pub async fn report(shop: &Shop, date: Option<NaiveDate>, print: bool) -> Result<u8, String> {
    let report = shop
        .day_report(date)
        .await
        .map_err(|error| error.to_string())?;
    if let Some(off_by) = shop.clock().off_by() {
        say_err!("Note: {}", super::clock_is_off(off_by));
    }
    let style = &shop.settings().receipt_style;
    show_paper(
        style.width,
        &receipt::day_report(style, &report, shop.clock().now())
            .map_err(|error| error.to_string())?,
    );
    if print {
        shop.print_day_report(report)
            .await
            .map_err(|error| format!("the report was not printed: {error}"))?;
        say!("Report sent to the printer.");
    }
    Ok(0)
}

/// Shows a document as the paper would: the screen and the printer never disagree.
pub(super) fn show_paper(width: usize, bytes: &[u8]) {
    let mut paper = Emulator::new(width, None);
    paper.feed(bytes);
    console::out(paper.paper().text_without_cuts());
}

/// A printer without hardware: a pseudo-terminal whose device path the configuration can name,
/// or with `listen` a network printer on that TCP address, with every document saved as PNG and
/// text into `folder`.
pub async fn virtual_printer(
    width: usize,
    folder: &Path,
    answers_status: bool,
    listen: Option<SocketAddr>,
) -> Result<u8, String> {
    std::fs::create_dir_all(folder)
        .map_err(|error| format!("cannot create {}: {error}", folder.display()))?;
    let status = answers_status.then_some(StatusAnswers::READY);
    match listen {
        None => {
            let pty = PtyPrinter::start(width, status)
                .map_err(|error| format!("cannot open a pseudo-terminal: {error}"))?;
            say!(
                "Virtual printer at {}, {width} columns. Set [printer] device to that path.",
                pty.path().display()
            );
            save_documents_until_interrupted(&pty, folder).await
        }
        Some(address) => {
            let socket = SocketPrinter::start(address, width, status)
                .map_err(|error| format!("cannot listen on {address}: {error}"))?;
            let address = socket.address();
            say!(
                "Virtual network printer on {address}, {width} columns. \
                 Set [printer] device to \"tcp://{address}\"."
            );
            save_documents_until_interrupted(&socket, folder).await
        }
    }
}

/// Saves each document `printer` cuts into `folder`, as it comes, until Ctrl-C.
async fn save_documents_until_interrupted(
    printer: &VirtualPrinter,
    folder: &Path,
) -> Result<u8, String> {
    say!(
        "Documents are saved in {}. Ctrl-C stops it.",
        folder.display()
    );
    let mut saved = 0;
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => return Ok(0),
            () = tokio::time::sleep(Duration::from_millis(200)) => {}
        }
        let documents = printer.emulator().documents();
        for (index, document) in documents.iter().enumerate().skip(saved) {
            let saved_as = document.save_preview(folder, &format!("document-{}", index + 1))?;
            say!("{}", saved_as.display());
        }
        saved = documents.len();
    }
}
