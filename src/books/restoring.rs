//! Restoring: the paid codes and completed payouts Monime has and a lost journal lacks, written
//! back into it.

use super::matching::Reconciliation;
use chrono::{DateTime, Utc};

use crate::journal::{Journal, JournalError, Restored, RestoredRefund};
use crate::monime::{PaymentCode, Payout};

/// Writes each paid code the journal lacks back into it, marked restored; what came of each.
/// They are filed under `terminal_id`, restored at `now`.
pub async fn restore(
    journal: &Journal,
    terminal_id: &str,
    now: DateTime<Utc>,
    found: &Reconciliation,
) -> Result<Vec<(PaymentCode, Restored)>, JournalError> {
    let codes = found.restorable().into_iter().cloned().collect();
    let terminal_id = terminal_id.to_string();
    restore_each(
        journal,
        codes,
        |code| code.create_time,
        move |journal, code| {
            let restored = journal.restore_paid(code, &terminal_id, now)?;
            if let Restored::Added(number) = restored {
                tracing::info!(sale = number, code = %code.id, "restored from Monime");
            }
            Ok(restored)
        },
    )
    .await
}

/// Writes each completed payout the journal lacks back into it as a refund of the sale it
/// names, marked restored; what came of each. Run after `restore`, so that the sales a lost
/// journal lacked are there to refund.
pub async fn restore_refunds(
    journal: &Journal,
    terminal_id: &str,
    now: DateTime<Utc>,
    found: &Reconciliation,
) -> Result<Vec<(Payout, RestoredRefund)>, JournalError> {
    let payouts = found.restorable_payouts().into_iter().cloned().collect();
    let terminal_id = terminal_id.to_string();
    restore_each(
        journal,
        payouts,
        |payout| payout.create_time,
        move |journal, payout| {
            let restored = journal.restore_refund(payout, &terminal_id, now)?;
            if let RestoredRefund::Added(number) = restored {
                tracing::info!(refund = number, payout = %payout.id, "restored from Monime");
            }
            Ok(restored)
        },
    )
    .await
}

/// Writes `items` with `write`, oldest first by `created` (so restored numbers follow the order
/// the sales and refunds were made in), on the journal's blocking thread; what came of each.
async fn restore_each<T: Send + 'static, R: Send + 'static>(
    journal: &Journal,
    mut items: Vec<T>,
    created: impl Fn(&T) -> Option<DateTime<Utc>>,
    write: impl Fn(&Journal, &T) -> Result<R, JournalError> + Send + 'static,
) -> Result<Vec<(T, R)>, JournalError> {
    items.sort_by_key(|item| created(item));
    journal
        .call(move |journal| {
            items
                .into_iter()
                .map(|item| {
                    let restored = write(journal, &item)?;
                    Ok((item, restored))
                })
                .collect()
        })
        .await
}
