//! The shop's books: the shift report (X) and closing the day (Z), which the admin screen and
//! `report --x` / `report --z` share. The journal numbers and stores the close; this module
//! dates it by the terminal's clock and makes its report.

use crate::controller::{learn_the_time, run_blocking};
use crate::journal::{Closing, DayClose, JournalError};
use crate::report::{ShiftReport, local_zone};
use crate::terminal::Terminal;

/// Starts a report line the owner must look into (red on screen).
pub const ALERT_MARK: &str = "! ";

/// Why a day was not closed.
#[derive(Debug, thiserror::Error)]
pub enum CloseError {
    #[error(
        "{} is already closed ({} at {}): a day closes once; sales from now on go into the next day's close",
        .0.business_date.format("%Y-%m-%d"),
        .0.label(),
        .0.closed_at.with_timezone(&chrono::Local).format("%H:%M")
    )]
    AlreadyClosed(DayClose),
    #[error("{0}")]
    Journal(#[from] JournalError),
}

/// The X report: every sale since the last close, nothing closed.
pub async fn shift_report(terminal: &Terminal) -> Result<ShiftReport, JournalError> {
    learn_the_time(&terminal.services).await;
    let today = terminal.services.clock().today();
    let currency = terminal.config.monime.currency;
    let journal = terminal.services.journal.clone();
    run_blocking(move || ShiftReport::since_last_close(&journal, today, local_zone(), currency))
        .await
}

/// Closes today (by the terminal's clock, Monime's when the local one is wrong) and returns its
/// Z report. `monime_check` is what the check against Monime found, stored with the close.
pub async fn close_day(
    terminal: &Terminal,
    monime_check: Option<String>,
) -> Result<ShiftReport, CloseError> {
    learn_the_time(&terminal.services).await;
    let clock = terminal.services.clock();
    let (today, now) = (clock.today(), clock.now());
    let currency = terminal.config.monime.currency;
    let journal = terminal.services.journal.clone();
    let closing =
        run_blocking(
            move || match journal.close_day(today, now, monime_check.as_deref())? {
                Closing::Closed(close) => {
                    ShiftReport::of_close(&journal, close, local_zone(), currency).map(Ok)
                }
                Closing::AlreadyClosed(close) => Ok(Err(close)),
            },
        )
        .await?;
    let report = closing.map_err(CloseError::AlreadyClosed)?;
    if let Some(close) = &report.close {
        tracing::info!(z = close.number, date = %close.business_date, "the day is closed");
    }
    Ok(report)
}
