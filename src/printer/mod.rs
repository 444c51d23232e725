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
pub mod socket;
pub mod spooler;

use std::fmt;
use std::path::PathBuf;

use crate::clock::Clock;
use crate::journal::Journal;
use crate::lang::{Language, SharedLanguage};
use crate::money::CurrencyStyle;

pub use codepage::CodePage;
pub use receipt::{ReceiptQr, ReceiptStyle};
pub use serial::{BAUD_RATES, FlowControl};
pub use spooler::{PrinterHandle, PrinterState, SpoolTiming};

/// Characters per line of 58 mm (32) and 80 mm (42 with font A on some, 48 on most) printers.
pub const PRINTER_WIDTHS: [u16; 3] = [32, 42, 48];

/// The terminal's printer: where it is, how to talk to it, and what its paper takes.
#[derive(Debug, Clone)]
pub struct PrinterSettings {
    pub device: PrinterDevice,
    pub baud: u32,
    pub flow_control: FlowControl,
    pub width_chars: u16,
    pub code_page: CodePage,
    pub qr: ReceiptQr,
    /// Lines printed under the merchant's name.
    pub header: Vec<String>,
    pub footer: String,
    /// Ring the printer's buzzer when a sale is paid.
    pub buzzer: bool,
}

/// Where receipts go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrinterDevice {
    /// A serial printer's device node.
    Serial(PathBuf),
    /// The virtual printer: a PNG and a text file for each receipt, in this folder.
    Virtual(PathBuf),
}

impl fmt::Display for PrinterDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PrinterDevice::Serial(path) => write!(f, "{}", path.display()),
            PrinterDevice::Virtual(folder) => write!(f, "virtual printer in {}", folder.display()),
        }
    }
}

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

impl PrinterStatus {
    /// What the status means and what to do about it, in `language`, for the screen.
    pub fn describe(&self, language: Language) -> String {
        match self {
            PrinterStatus::Unknown => language.tr("not checked yet").into(),
            PrinterStatus::Ready => language.tr("ready").into(),
            PrinterStatus::PaperLow => language.tr("ready, paper running low").into(),
            PrinterStatus::PaperOut => language.tr("out of paper: load a new roll").into(),
            PrinterStatus::CoverOpen => language.tr("cover open: close the printer's cover").into(),
            PrinterStatus::Offline => language
                .tr("offline: check the printer's error light, then switch it off and on")
                .into(),
            PrinterStatus::NotAnswering => language
                .tr("connected, but it does not report its status")
                .into(),
            // The reason is the system's own words, for the technician.
            PrinterStatus::Unreachable(reason) => language.trf("not connected: {}", &[reason]),
        }
    }
}

impl fmt::Display for PrinterStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe(Language::English))
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
    /// Rings the printer's buzzer.
    fn chime(&mut self) -> Result<(), PrintError> {
        self.send("chime", &receipt::CHIME)
    }
}

/// Starts the printer queue for `settings`; `None` when there is no printer.
pub fn start(
    settings: Option<&PrinterSettings>,
    style: ReceiptStyle,
    journal: &Journal,
    timing: SpoolTiming,
    clock: Clock,
) -> Result<Option<PrinterHandle>, String> {
    let Some(printer) = settings else {
        return Ok(None);
    };
    let port: Box<dyn PrinterPort> = match &printer.device {
        PrinterDevice::Serial(path) => Box::new(serial::SerialPrinter::new(
            path.clone(),
            printer.baud,
            printer.flow_control,
        )),
        PrinterDevice::Virtual(folder) => Box::new(preview::PreviewPrinter::new(
            folder.clone(),
            usize::from(printer.width_chars),
        )),
    };
    PrinterHandle::start(port, journal.clone(), style, timing, clock)
        .map(Some)
        .map_err(|error| format!("cannot start the printer thread: {error}"))
}

impl ReceiptStyle {
    /// How receipts of `merchant_name`'s terminal look on `printer`; without one, as on a
    /// 58 mm printer.
    pub fn new(
        merchant_name: &str,
        terminal_id: &str,
        currency_style: CurrencyStyle,
        printer: Option<&PrinterSettings>,
    ) -> ReceiptStyle {
        ReceiptStyle {
            merchant_name: merchant_name.to_string(),
            terminal_id: terminal_id.to_string(),
            header: printer.map(|p| p.header.clone()).unwrap_or_default(),
            footer: printer.map(|p| p.footer.clone()).unwrap_or_default(),
            width: printer.map_or(32, |p| usize::from(p.width_chars)),
            code_page: printer.map(|p| p.code_page).unwrap_or_default(),
            qr: printer.map(|p| p.qr).unwrap_or_default(),
            currency_style,
            zone: crate::clock::local_zone(),
            language: SharedLanguage::default(),
        }
    }
}
