//! Receipts on an ESC/POS thermal printer, on whatever it is plugged into.
//!
//! `receipt` lays out what is printed, in the commands of the printer's `model` (a refund's
//! receipt in `refund_receipt`); `device`
//! reads where the printer is and finds the ones plugged in; `serial`, `usb` and `network` send
//! documents and ask the printer how it is (through `status`), `auto` uses whichever one is
//! plugged in; `spooler` prints owed receipts whenever the printer can take them, and
//! `emulator` is the virtual printer of demo mode and tests (`preview` in process, `pty` behind
//! a pseudo-terminal, `socket` on a TCP port).

pub mod auto;
pub mod codepage;
pub mod device;
pub mod emulator;
pub mod model;
pub mod network;
pub mod preview;
pub mod pty;
pub mod receipt;
pub mod refund_receipt;
pub mod serial;
pub mod socket;
pub mod spooler;
pub mod status;
pub mod usb;

use std::fmt;

use crate::clock::Clock;
use crate::journal::Journal;
use crate::lang::{Language, SharedLanguage};
use crate::money::CurrencyStyle;

pub use codepage::CodePage;
pub use device::PrinterDevice;
pub use model::{PrinterModel, ReceiptQr};
pub use receipt::{ReceiptStyle, ShopLines};
pub use serial::{BAUD_RATES, FlowControl};
pub use spooler::{PrinterHandle, PrinterState, SpoolTiming};

/// Characters per line of 58 mm (32) and 80 mm (42 with font A on some, 48 on most) printers.
pub const PRINTER_WIDTHS: [u16; 3] = [32, 42, 48];

/// The terminal's printer: where it is, how to talk to it, and what its paper takes.
#[derive(Debug, Clone)]
pub struct PrinterSettings {
    pub device: PrinterDevice,
    /// Which printer family's commands it takes.
    pub model: PrinterModel,
    pub baud: u32,
    pub flow_control: FlowControl,
    pub width_chars: u16,
    pub code_page: CodePage,
    pub qr: ReceiptQr,
    /// Lines printed under the merchant's name.
    pub header: ShopLines,
    /// Lines at the foot of a receipt; `None` prints "Thank you!" in the receipt's language.
    pub footer: Option<ShopLines>,
    /// Ring the printer's buzzer when a sale is paid.
    pub buzzer: bool,
}

impl PrinterSettings {
    /// `device` as a printer left at its defaults is: the generic model, 19200 baud without
    /// flow control, 32 columns (58 mm paper), PC858, the model's QR, no header, thanks in the
    /// receipt's language, no buzzer.
    pub fn for_device(device: PrinterDevice) -> PrinterSettings {
        let model = PrinterModel::default();
        PrinterSettings {
            device,
            model,
            baud: 19200,
            flow_control: FlowControl::None,
            width_chars: 32,
            code_page: CodePage::default(),
            qr: model.commands().qr,
            header: ShopLines::default(),
            footer: None,
            buzzer: false,
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
    /// Part of the document had left when sending failed: the printer may have printed a piece.
    #[error("the printer stopped mid-document: {0}")]
    Torn(String),
    #[error(transparent)]
    Layout(#[from] receipt::LayoutError),
    #[error(transparent)]
    Journal(#[from] crate::journal::JournalError),
    #[error("{0}")]
    Refused(String),
    #[error("the printer queue has stopped")]
    Stopped,
}

impl PrintError {
    /// A failed send through `device`: `torn` when part of the document had left.
    pub(crate) fn sending(device: &dyn fmt::Display, reason: String, torn: bool) -> PrintError {
        let reason = format!("{device}: {reason}");
        if torn {
            PrintError::Torn(reason)
        } else {
            PrintError::Transport(reason)
        }
    }

    /// Why the printer could not be used, when it was its connection's fault.
    pub fn unreachable_reason(&self) -> Option<&str> {
        match self {
            PrintError::Transport(reason) | PrintError::Torn(reason) => Some(reason),
            _ => None,
        }
    }
}

/// Something receipts can be sent to: a serial, USB or network printer, or a virtual one.
pub trait PrinterPort: Send {
    /// Where it is, for people: a device path, an address, a folder.
    fn describe(&self) -> String;
    /// Whether the printer is there at all (a USB printer unplugged has no device node, a
    /// network printer switched off takes no connection).
    fn present(&mut self) -> bool;
    /// Why it is not, after `present` said so: by default, that the device is not there.
    fn absence(&self) -> String {
        format!("{} is not there", self.describe())
    }
    /// Asks the printer how it is.
    fn status(&mut self) -> PrinterStatus;
    /// Sends one whole document; `name` labels it (the virtual printer names its files so).
    fn send(&mut self, name: &str, bytes: &[u8]) -> Result<(), PrintError>;
    /// Rings the printer's buzzer.
    fn chime(&mut self, model: PrinterModel) -> Result<(), PrintError> {
        match model.commands().chime {
            Some(chime) => self.send("chime", chime),
            None => Ok(()),
        }
    }
    /// The queue has nothing to do for now: let go of what others may want (a network
    /// printer's one connection).
    fn rest(&mut self) {}
}

/// The port for `device`.
pub fn port_for(printer: &PrinterSettings) -> Box<dyn PrinterPort> {
    match &printer.device {
        PrinterDevice::Serial(path) => Box::new(serial::SerialPrinter::new(
            path.clone(),
            printer.baud,
            printer.flow_control,
        )),
        PrinterDevice::Usb(path) => Box::new(usb::UsbPrinter::new(path.clone())),
        PrinterDevice::Network { host, port } => {
            Box::new(network::NetworkPrinter::new(host.clone(), *port))
        }
        PrinterDevice::Auto(places) => Box::new(auto::AutoPrinter::new(
            places.clone(),
            printer.baud,
            printer.flow_control,
        )),
        PrinterDevice::Virtual(folder) => Box::new(preview::PreviewPrinter::new(
            folder.clone(),
            usize::from(printer.width_chars),
            printer.model,
        )),
    }
}

/// Asks the printer of `settings` how it is, opened for this question alone (the running
/// terminal's printer is busy: ask it instead).
pub fn look_at(settings: &PrinterSettings) -> PrinterStatus {
    let mut port = port_for(settings);
    let status = status_of(port.as_mut());
    port.rest();
    status
}

/// Prints `document` on the printer of `settings`, opened for it alone.
pub fn print_once(
    settings: &PrinterSettings,
    name: &str,
    document: &[u8],
) -> Result<(), PrintError> {
    let mut port = port_for(settings);
    let status = status_of(port.as_mut());
    if !status.can_print() {
        return Err(PrintError::NotReady(status));
    }
    let sent = port.send(name, document);
    port.rest();
    sent
}

/// How the printer behind `port` is; one that is not there at all says so.
pub(crate) fn status_of(port: &mut dyn PrinterPort) -> PrinterStatus {
    if port.present() {
        port.status()
    } else {
        PrinterStatus::Unreachable(port.absence())
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
    PrinterHandle::start(port_for(printer), journal.clone(), style, timing, clock)
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
            footer: printer.and_then(|p| p.footer.clone()),
            model: printer.map(|p| p.model).unwrap_or_default(),
            width: printer.map_or(32, |p| usize::from(p.width_chars)),
            code_page: printer.map(|p| p.code_page).unwrap_or_default(),
            qr: printer.map(|p| p.qr).unwrap_or_default(),
            currency_style,
            zone: crate::clock::local_zone(),
            language: SharedLanguage::default(),
        }
    }
}
