//! The books: the shift report (X), closing the day (Z) after checking it with Monime, the
//! check alone (`reconcile`) and restoring what a lost journal lacks, and the sales and refunds
//! of some days for a spreadsheet. The journal numbers and stores a close; the shop dates it by the
//! terminal's clock and makes its report.

use std::time::Duration;

use chrono::NaiveDate;

use super::Shop;
use crate::books::{self, Day, ReconcileError, Reconciliation};
use crate::clock::{day_bounds, local_zone};
use crate::controller::learn_the_time;
use crate::journal::{Closing, DayClose, JournalError, Restored, RestoredRefund};
use crate::monime::{PaymentCode, Payout};
use crate::report::{ExportRow, ReportLine, ShiftReport, not_checked_lines, reconciliation_lines};

/// How long a close waits for Monime's check before it closes without it (and says so): a
/// shop closing at night is not held by a dead network.
pub const CLOSE_CHECK_LIMIT: Duration = Duration::from_secs(60);

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

impl Shop {
    /// The X report: every sale since the last close, nothing closed.
    pub async fn shift_report(&self) -> Result<ShiftReport, JournalError> {
        learn_the_time(&self.services).await;
        let today = self.clock().today();
        let currency = self.settings.currency;
        self.journal()
            .call(move |journal| {
                ShiftReport::since_last_close(journal, today, local_zone(), currency)
            })
            .await
    }

    /// Checks the business day with Monime, then closes today (by the terminal's clock,
    /// Monime's when the local one is wrong) and returns its Z report, which carries what the
    /// check found: agreed, the differences, or that Monime could not be asked (the day closes
    /// all the same).
    pub async fn close_day(&self) -> Result<ShiftReport, CloseError> {
        learn_the_time(&self.services).await;
        let today = self.clock().today();
        // A day closed before is refused before Monime is asked at length.
        if let Some(close) = self
            .journal()
            .call(|journal| journal.last_close())
            .await?
            .filter(|close| close.business_date == today)
        {
            return Err(CloseError::AlreadyClosed(close));
        }
        let monime_check = ReportLine::store(&self.check_for_close().await);
        let (today, now) = (self.clock().today(), self.clock().now());
        let currency = self.settings.currency;
        let closing = self
            .journal()
            .call(
                move |journal| match journal.close_day(today, now, Some(&monime_check))? {
                    Closing::Closed(close) => {
                        ShiftReport::of_close(journal, close, local_zone(), currency).map(Ok)
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

    /// What a close keeps of Monime's check, in the words of the day it was closed in.
    async fn check_for_close(&self) -> Vec<ReportLine> {
        let language = self.language();
        let style = self.settings.currency_style;
        let checked = tokio::time::timeout(CLOSE_CHECK_LIMIT, self.reconcile(Day::Current)).await;
        let error = match checked {
            Ok(Ok(found)) => return reconciliation_lines(&found, style, language),
            Ok(Err(error)) => error,
            Err(_) => ReconcileError::TooSlow(CLOSE_CHECK_LIMIT),
        };
        tracing::warn!(%error, "the day is closed without Monime's check");
        not_checked_lines(&error, language)
    }

    /// Checks `day` with Monime, code by code.
    pub async fn reconcile(&self, day: Day) -> Result<Reconciliation, ReconcileError> {
        learn_the_time(&self.services).await;
        let services = &self.services;
        books::reconcile(
            &services.client,
            &services.journal,
            self.settings.terminal_id(),
            day,
            self.settings.refunds.enabled,
        )
        .await
    }

    /// Writes the paid codes `found` lacks back into the journal, marked restored.
    pub async fn restore(
        &self,
        found: &Reconciliation,
    ) -> Result<Vec<(PaymentCode, Restored)>, JournalError> {
        let services = &self.services;
        let now = self.clock().now();
        books::restore(&services.journal, self.settings.terminal_id(), now, found).await
    }

    /// Writes the completed payouts `found` lacks back into the journal as refunds of the
    /// sales they name, marked restored. After `restore`, so those sales are there.
    pub async fn restore_refunds(
        &self,
        found: &Reconciliation,
    ) -> Result<Vec<(Payout, RestoredRefund)>, JournalError> {
        let services = &self.services;
        let now = self.clock().now();
        books::restore_refunds(&services.journal, self.settings.terminal_id(), now, found).await
    }

    /// The sales and refunds made from local day `from` to `to`, both included, as export
    /// rows, in the order they were made.
    pub async fn export_rows(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<ExportRow>, JournalError> {
        let zone = local_zone();
        let (start, _) = day_bounds(from, zone);
        let (_, end) = day_bounds(to, zone);
        let (sales, refunds) = self
            .journal()
            .call(move |journal| {
                Ok((
                    journal.between(start, end)?,
                    journal.refunds_between(start, end)?,
                ))
            })
            .await?;
        Ok(ExportRow::of_all(
            &sales,
            &refunds,
            self.settings.currency_style,
        ))
    }
}
