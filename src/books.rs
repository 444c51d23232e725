//! The shop's books: the shift report (X), closing the day (Z) after checking it with Monime,
//! which the admin screen and `report --x` / `report --z` share, and the check itself
//! (`reconcile`). The journal numbers and stores the close; this module dates it by the
//! terminal's clock and makes its report.

use std::time::Duration;

use crate::controller::{learn_the_time, run_blocking};
use crate::journal::{Closing, DayClose, JournalError};
use crate::report::{ReportLine, ShiftReport, local_zone};
use crate::terminal::Terminal;

mod reconcile;

pub use reconcile::{Day, Difference, ReconcileError, Reconciliation, reconcile, restore};

/// How long a close waits for Monime's check before it closes without it (and says so): a
/// shop closing at night is not held by a dead network.
pub const CLOSE_CHECK_LIMIT: Duration = Duration::from_secs(60);

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

/// Checks the business day with Monime, then closes today (by the terminal's clock, Monime's
/// when the local one is wrong) and returns its Z report, which carries what the check found:
/// agreed, the differences, or that Monime could not be asked (the day closes all the same).
pub async fn close_day(terminal: &Terminal) -> Result<ShiftReport, CloseError> {
    learn_the_time(&terminal.services).await;
    let today = terminal.services.clock().today();
    // A day closed before is refused before Monime is asked at length.
    let journal = terminal.services.journal.clone();
    if let Some(close) = run_blocking(move || journal.last_close())
        .await?
        .filter(|close| close.business_date == today)
    {
        return Err(CloseError::AlreadyClosed(close));
    }
    let style = terminal.config.kiosk.currency_style;
    // Kept as words on the close, in the language of the day it was closed in.
    let language = terminal.language.get();
    let check =
        match tokio::time::timeout(CLOSE_CHECK_LIMIT, reconcile(terminal, Day::Current)).await {
            Ok(Ok(found)) => found.lines(style, language),
            Ok(Err(error)) => {
                tracing::warn!(%error, "the day is closed without Monime's check");
                Reconciliation::not_checked(&error, language)
            }
            Err(_) => {
                let error = ReconcileError::TooSlow(CLOSE_CHECK_LIMIT);
                tracing::warn!(%error, "the day is closed without Monime's check");
                Reconciliation::not_checked(&error, language)
            }
        };
    let monime_check = ReportLine::store(&check);
    let clock = terminal.services.clock();
    let (today, now) = (clock.today(), clock.now());
    let currency = terminal.config.monime.currency;
    let journal = terminal.services.journal.clone();
    let closing =
        run_blocking(
            move || match journal.close_day(today, now, Some(&monime_check))? {
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
