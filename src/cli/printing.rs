//! The printer's commands: `print-test`, `reprint`, `report`, `printers` and `virtual-printer`,
//! and the printer's lines of `check-config`. The shift and day-close reports are in `books`.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use chrono::NaiveDate;

use crate::control::console::{self, say, say_err};
use crate::printer::device::{SearchPlaces, plugged_in};
use crate::printer::emulator::{Emulator, StatusAnswers, VirtualPrinter};
use crate::printer::pty::PtyPrinter;
use crate::printer::socket::SocketPrinter;
use crate::printer::{
    PrinterDevice, PrinterHandle, PrinterSettings, PrinterStatus, ReceiptStyle, receipt,
};
use crate::shop::Shop;
use crate::terminal::{Launch, OpenError};

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

pub async fn reprint_refund(shop: &Shop, refund: i64) -> Result<u8, String> {
    shop.reprint_refund(refund)
        .await
        .map_err(|error| error.to_string())?;
    say!("Receipt of refund {refund} sent to the printer.");
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

/// The printer's lines of `check-config`: where it is and how it is set, whether a device is
/// there now, and with `online` how the printer answers.
pub(super) async fn printer_lines(
    printer: &PrinterSettings,
    online: bool,
) -> Result<Vec<String>, String> {
    let mut setting = format!(
        "printer    {} ({}, {} model), {} columns",
        printer.device,
        printer.device.kind(),
        printer.model.name(),
        printer.width_chars
    );
    if printer.device.is_serial() {
        setting.push_str(&format!(", {} baud", printer.baud));
    }
    let now = match &printer.device {
        PrinterDevice::Serial(path) | PrinterDevice::Usb(path) if !online => {
            if path.exists() {
                "there now (--online asks it how it is)".to_string()
            } else {
                "not there now: plug it in and switch it on".to_string()
            }
        }
        PrinterDevice::Network { .. } if !online => "not tried (--online connects to it)".into(),
        PrinterDevice::Virtual(folder) => format!("receipts are saved in {}", folder.display()),
        PrinterDevice::Auto(places) if !online => {
            let found: Vec<_> = plugged_in(places)
                .into_iter()
                .filter(|found| found.plugged)
                .map(|found| found.device.to_string())
                .collect();
            match found.as_slice() {
                [] => "finds no printer plugged in now".into(),
                [one] => format!("finds {one} now"),
                several => format!(
                    "finds {} printers and would use none: {}",
                    several.len(),
                    several.join(", ")
                ),
            }
        }
        _ => {
            let asked = printer.clone();
            let status = tokio::task::spawn_blocking(move || crate::printer::look_at(&asked))
                .await
                .map_err(|error| format!("the printer check stopped: {error}"))?;
            format!("answers: {status}")
        }
    };
    Ok(vec![setting, format!("           {now}")])
}

/// `printers`: what is plugged in and how each is; with `test_page`, a test page on one.
pub async fn printers(launch: &Launch, test_page: Option<String>) -> Result<u8, String> {
    // A terminal not set up yet (or set up wrongly) still lists its printers: that is when a
    // technician looks for one. Its settings are the defaults then.
    let config = match launch.configuration() {
        Ok(config) => config,
        Err(OpenError::NotSetUp) => None,
        Err(error) => {
            say_err!(
                "Note: the configuration is not used ({error}); printers are tried at their defaults."
            );
            None
        }
    };
    let configured = config.as_ref().and_then(|config| config.printer.clone());
    let found = tokio::task::spawn_blocking(|| plugged_in(&SearchPlaces::system()))
        .await
        .map_err(|error| format!("looking for printers stopped: {error}"))?;
    // The configured printer's settings (baud, model, width) for whichever device is tried.
    let settings_for = |device: PrinterDevice| PrinterSettings {
        device,
        ..configured.clone().unwrap_or_else(|| {
            PrinterSettings::for_device(PrinterDevice::Auto(SearchPlaces::system()))
        })
    };
    if let Some(wanted) = test_page {
        let device = match wanted.parse::<usize>() {
            Ok(number) => found
                .get(number.wrapping_sub(1))
                .map(|found| found.device.clone())
                .ok_or_else(|| {
                    format!("there is no printer {number}: `paycode-kiosk printers` lists them")
                })?,
            Err(_) => PrinterDevice::parse(&wanted, Path::new("virtual-printer"))?,
        };
        let settings = settings_for(device);
        let style = ReceiptStyle::new(
            config
                .as_ref()
                .map_or("paycode-kiosk", |c| c.kiosk.merchant_name.as_str()),
            config.as_ref().map_or("", |c| c.kiosk.terminal_id.as_str()),
            config
                .as_ref()
                .map(|c| c.kiosk.currency_style)
                .unwrap_or_default(),
            Some(&settings),
        );
        let page = receipt::test_page(&style, &settings.device.to_string(), chrono::Utc::now())
            .map_err(|error| error.to_string())?;
        let printed = tokio::task::spawn_blocking(move || {
            crate::printer::print_once(&settings, "test-page", &page)
        })
        .await
        .map_err(|error| format!("printing stopped: {error}"))?;
        printed.map_err(|error| format!("the test page was not printed: {error}"))?;
        say!("Test page sent to {wanted}.");
        return Ok(0);
    }
    if found.is_empty() {
        say!(
            "No printer or serial port is plugged in. USB printers show as /dev/usb/lp*, USB-serial ones under /dev/serial/by-id; a network printer is named tcp://ADDRESS in [printer] device."
        );
    }
    for (number, found) in found.iter().enumerate() {
        let settings = settings_for(found.device.clone());
        let status = tokio::task::spawn_blocking(move || crate::printer::look_at(&settings))
            .await
            .map_err(|error| format!("the printer check stopped: {error}"))?;
        say!(
            "{:>2}) {}  ({})\n    {}",
            number + 1,
            found.device,
            found.device.kind(),
            status
        );
    }
    if let Some(printer) = &configured {
        say!("The configuration's printer: {}", printer.device);
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
