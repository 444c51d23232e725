//! How a printer is, read from its answers to ESC/POS `DLE EOT n`, whatever carries them: the
//! serial line, the USB printer-class device or the network connection each only know how to
//! ask one question and wait a short while for the one byte that answers it.

use escpos::utils::{RealTimeStatusRequest, RealTimeStatusResponse};

use super::PrinterStatus;

/// How long a printer gets to answer one status query: many cheap printers never do.
pub const STATUS_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(300);

/// A connection that can ask `DLE EOT n` and wait for the answer.
pub trait StatusLink {
    /// Sends `DLE EOT n` and gives the byte that answers, `None` when the printer stays silent
    /// for [`STATUS_TIMEOUT`]; an error when the connection itself failed.
    fn ask(&mut self, n: u8) -> Result<Option<u8>, String>;
}

/// Asks the printer, the roll paper sensor and, when offline, the offline cause, and says what
/// they mean together. A printer that answers nothing (or nonsense) is `NotAnswering`.
pub fn read_status(link: &mut dyn StatusLink) -> Result<PrinterStatus, String> {
    let mut ask = |request: RealTimeStatusRequest| -> Result<Option<_>, String> {
        let (n, _) = request.into();
        Ok(link
            .ask(n)?
            .and_then(|byte| RealTimeStatusResponse::parse(request, byte).ok()))
    };
    let Some(printer) = ask(RealTimeStatusRequest::Printer)? else {
        return Ok(PrinterStatus::NotAnswering);
    };
    let paper = ask(RealTimeStatusRequest::RollPaperSensor)?;
    // A sensor that did not answer is taken to see paper: printing is tried, and a printer
    // without paper stops taking data, which the transport reports.
    let paper_flag = |flag: RealTimeStatusResponse| {
        paper
            .as_ref()
            .and_then(|paper| paper.get(&flag).copied())
            .unwrap_or(true)
    };
    if !paper_flag(RealTimeStatusResponse::RollPaperEndSensorPaperPresent) {
        return Ok(PrinterStatus::PaperOut);
    }
    if printer.get(&RealTimeStatusResponse::Online) == Some(&false) {
        let cause = ask(RealTimeStatusRequest::OfflineCause)?;
        let cause_flag = |flag| cause.as_ref().and_then(|c| c.get(&flag).copied()) == Some(true);
        return Ok(
            if cause_flag(RealTimeStatusResponse::PrintingStopsDueToPaperEnd) {
                PrinterStatus::PaperOut
            } else if cause.is_some() && !cause_flag(RealTimeStatusResponse::CoverClosed) {
                PrinterStatus::CoverOpen
            } else {
                PrinterStatus::Offline
            },
        );
    }
    if !paper_flag(RealTimeStatusResponse::RollPaperNearEndSensorPaperAdequate) {
        return Ok(PrinterStatus::PaperLow);
    }
    Ok(PrinterStatus::Ready)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::printer::emulator::{Emulator, StatusAnswers};

    /// The emulator answering directly, without a transport.
    struct Direct(Emulator);

    impl StatusLink for Direct {
        fn ask(&mut self, n: u8) -> Result<Option<u8>, String> {
            self.0.feed(&[0x10, 0x04, n]);
            Ok(self.0.take_replies().first().copied())
        }
    }

    #[test]
    fn each_answer_means_what_the_printer_means() {
        for (answers, expected) in [
            (Some(StatusAnswers::READY), PrinterStatus::Ready),
            (Some(StatusAnswers::PAPER_OUT), PrinterStatus::PaperOut),
            (Some(StatusAnswers::PAPER_LOW), PrinterStatus::PaperLow),
            (Some(StatusAnswers::COVER_OPEN), PrinterStatus::CoverOpen),
            (None, PrinterStatus::NotAnswering),
        ] {
            let mut link = Direct(Emulator::new(32, answers));
            assert_eq!(read_status(&mut link), Ok(expected), "{answers:?}");
        }
    }

    #[test]
    fn a_byte_that_is_not_a_status_answer_is_no_answer() {
        struct Garbage;
        impl StatusLink for Garbage {
            fn ask(&mut self, _: u8) -> Result<Option<u8>, String> {
                Ok(Some(0xFF))
            }
        }
        assert_eq!(read_status(&mut Garbage), Ok(PrinterStatus::NotAnswering));
    }
}
