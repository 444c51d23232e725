//! Printing: reprints, the test page, the day report and the shift or day-close reports, each
//! through the printer queue, which never lets two documents meet on paper.

use chrono::NaiveDate;

use super::Shop;
use crate::clock::local_zone;
use crate::controller::learn_the_time;
use crate::journal::JournalError;
use crate::printer::spooler::Job;
use crate::printer::{PrintError, PrinterHandle};
use crate::report::{DayReport, ShiftReport};

/// Why a document was not printed.
#[derive(Debug, thiserror::Error)]
pub enum PrintingError {
    #[error("this terminal has no printer: add a [printer] section to the configuration")]
    NoPrinter,
    #[error("no paid sale in the journal yet, so there is nothing to reprint")]
    NothingToReprint,
    #[error("sale {sale} was not reprinted: {error}")]
    NotReprinted { sale: i64, error: PrintError },
    #[error(transparent)]
    Printer(#[from] PrintError),
    #[error(transparent)]
    Journal(#[from] JournalError),
}

impl Shop {
    /// The printer, or why there is none to print on.
    pub fn printer_or_refusal(&self) -> Result<&PrinterHandle, PrintingError> {
        self.printer.as_ref().ok_or(PrintingError::NoPrinter)
    }

    /// Prints sale `number`'s receipt again (the newest paid sale's when `None`), marked as a
    /// copy once the original has printed. Returns the sale reprinted.
    pub async fn reprint(&self, number: Option<i64>) -> Result<i64, PrintingError> {
        let printer = self.printer_or_refusal()?;
        let number = match number {
            Some(number) => number,
            None => {
                self.journal()
                    .call(|journal| journal.last_paid())
                    .await?
                    .ok_or(PrintingError::NothingToReprint)?
                    .record
                    .number
            }
        };
        printer
            .print(Job::Reprint(number))
            .await
            .map_err(|error| PrintingError::NotReprinted {
                sale: number,
                error,
            })?;
        Ok(number)
    }

    /// Prints refund `number`'s receipt again, marked as a copy once the original has printed.
    pub async fn reprint_refund(&self, number: i64) -> Result<(), PrintingError> {
        Ok(self
            .printer_or_refusal()?
            .print(Job::ReprintRefund(number))
            .await?)
    }

    /// Prints the test page: settings, a ruler, accents, large type, a QR code.
    pub async fn print_test_page(&self) -> Result<(), PrintingError> {
        Ok(self.printer_or_refusal()?.print(Job::TestPage).await?)
    }

    /// The report of local day `date`; today (Monime's today when this terminal's clock is
    /// wrong) when `None`.
    pub async fn day_report(&self, date: Option<NaiveDate>) -> Result<DayReport, JournalError> {
        let date = match date {
            Some(date) => date,
            None => {
                learn_the_time(&self.services).await;
                self.clock().today()
            }
        };
        let currency = self.settings.currency;
        self.journal()
            .call(move |journal| DayReport::for_day(journal, date, local_zone(), currency))
            .await
    }

    pub async fn print_day_report(&self, report: DayReport) -> Result<(), PrintingError> {
        Ok(self
            .printer_or_refusal()?
            .print(Job::Report(Box::new(report)))
            .await?)
    }

    /// Prints a shift report (X) or a day close (Z).
    pub async fn print_books(&self, report: ShiftReport) -> Result<(), PrintingError> {
        let job = Job::Shift(Box::new(report));
        Ok(self.printer_or_refusal()?.print(job).await?)
    }
}
