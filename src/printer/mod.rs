//! Receipts on a serial ESC/POS thermal printer.
//!
//! `receipt` lays out what is printed, `serial` sends it and asks the printer how it is,
//! `spooler` prints owed receipts whenever the printer can take them, and `emulator` is the
//! virtual printer used by demo mode and tests (`preview` in process, `pty` behind a
//! pseudo-terminal).

pub mod codepage;
pub mod emulator;
pub mod preview;
pub mod pty;
pub mod receipt;
pub mod serial;
pub mod spooler;

use std::fmt;

use crate::config::{Config, PrinterDevice};
use crate::journal::Journal;

pub use codepage::CodePage;
pub use receipt::{ReceiptQr, ReceiptStyle};
pub use spooler::{PrinterHandle, PrinterState, SpoolTiming};

/// What the printer says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrinterStatus {
    /// Not asked yet.
    Unknown,
    Ready,
    /// Still printing, but the roll is nearly used up.
    PaperLow,
    PaperOut,
    CoverOpen,
    /// Stopped for another reason (an error the printer reports, a cutter jam).
    Offline,
    /// It did not answer the status query: many cheap printers never do, so it is printed to
    /// anyway.
    NotAnswering,
    /// The device cannot be opened or written: unplugged, switched off, wrong path.
    Unreachable(String),
}

impl PrinterStatus {
    /// Whether a receipt should be sent now.
    pub fn can_print(&self) -> bool {
        matches!(
            self,
            PrinterStatus::Ready | PrinterStatus::PaperLow | PrinterStatus::NotAnswering
        )
    }

    /// A word or two for a status bar.
    pub fn short(&self) -> &'static str {
        match self {
            PrinterStatus::Unknown => "checking",
            PrinterStatus::Ready => "ready",
            PrinterStatus::PaperLow => "paper low",
            PrinterStatus::PaperOut => "out of paper",
            PrinterStatus::CoverOpen => "cover open",
            PrinterStatus::Offline => "offline",
            PrinterStatus::NotAnswering => "connected",
            PrinterStatus::Unreachable(_) => "not connected",
        }
    }

    /// A problem the cashier should see and can fix.
    pub fn is_problem(&self) -> bool {
        matches!(
            self,
            PrinterStatus::PaperOut
                | PrinterStatus::CoverOpen
                | PrinterStatus::Offline
                | PrinterStatus::Unreachable(_)
        )
    }
}

impl fmt::Display for PrinterStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PrinterStatus::Unknown => f.write_str("not checked yet"),
            PrinterStatus::Ready => f.write_str("ready"),
            PrinterStatus::PaperLow => f.write_str("ready, paper running low"),
            PrinterStatus::PaperOut => f.write_str("out of paper: load a new roll"),
            PrinterStatus::CoverOpen => f.write_str("cover open: close the printer's cover"),
            PrinterStatus::Offline => {
                f.write_str("offline: check the printer's error light, then switch it off and on")
            }
            PrinterStatus::NotAnswering => {
                f.write_str("connected, but it does not report its status")
            }
            PrinterStatus::Unreachable(reason) => write!(f, "not connected: {reason}"),
        }
    }
}

/// Why something did not print. Receipts of paid sales stay owed in the journal whatever this
/// says.
#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    #[error("the printer is {0}")]
    NotReady(PrinterStatus),
    #[error("sending to the printer failed: {0}")]
    Transport(String),
    #[error(transparent)]
    Layout(#[from] receipt::LayoutError),
    #[error(transparent)]
    Journal(#[from] crate::journal::JournalError),
    #[error("{0}")]
    Refused(String),
    #[error("the printer queue has stopped")]
    Stopped,
}

/// Something receipts can be sent to: the serial printer, or a virtual one.
pub trait PrinterPort: Send {
    /// Where it is, for people: a device path, a folder.
    fn describe(&self) -> String;
    /// Whether the device is there at all (a USB printer unplugged has no device node).
    fn present(&self) -> bool;
    /// Asks the printer how it is.
    fn status(&mut self) -> PrinterStatus;
    /// Sends one whole document; `name` labels it (the virtual printer names its files so).
    fn send(&mut self, name: &str, bytes: &[u8]) -> Result<(), PrintError>;
}

/// Starts the printer queue the configuration asks for; `None` when it names no printer.
pub fn start(
    config: &Config,
    journal: &Journal,
    timing: SpoolTiming,
) -> Result<Option<PrinterHandle>, String> {
    let Some(printer) = &config.printer else {
        return Ok(None);
    };
    let columns = usize::from(printer.width_chars);
    let port: Box<dyn PrinterPort> = match &printer.device {
        PrinterDevice::Serial(path) => Box::new(serial::SerialPrinter::new(
            path.clone(),
            printer.baud,
            printer.flow_control,
        )),
        PrinterDevice::Virtual(folder) => {
            Box::new(preview::PreviewPrinter::new(folder.clone(), columns))
        }
    };
    PrinterHandle::start(port, journal.clone(), receipt_style(config), timing)
        .map(Some)
        .map_err(|error| format!("cannot start the printer thread: {error}"))
}

/// How receipts look on this terminal; without a printer, as on a 58 mm one.
pub fn receipt_style(config: &Config) -> ReceiptStyle {
    let printer = config.printer.as_ref();
    ReceiptStyle {
        merchant_name: config.kiosk.merchant_name.clone(),
        terminal_id: config.kiosk.terminal_id.clone(),
        header: printer.map(|p| p.header.clone()).unwrap_or_default(),
        footer: printer.map(|p| p.footer.clone()).unwrap_or_default(),
        width: printer.map_or(32, |p| usize::from(p.width_chars)),
        code_page: printer.map(|p| p.code_page).unwrap_or_default(),
        qr: printer.map(|p| p.qr).unwrap_or_default(),
        currency_style: config.kiosk.currency_style,
        zone: crate::report::local_zone(),
    }
}
