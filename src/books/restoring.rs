//! Restoring: the paid codes Monime has and a lost journal lacks, written back into it.

use super::matching::Reconciliation;
use chrono::{DateTime, Utc};

use crate::journal::{Journal, JournalError, Restored};
use crate::monime::PaymentCode;

/// Writes each paid code the journal lacks back into it, marked restored; what came of each.
/// They are filed under `terminal_id`, restored at `now`.
pub async fn restore(
    journal: &Journal,
    terminal_id: &str,
    now: DateTime<Utc>,
    found: &Reconciliation,
) -> Result<Vec<(PaymentCode, Restored)>, JournalError> {
    let mut codes: Vec<PaymentCode> = found.restorable().into_iter().cloned().collect();
    // Oldest first, so restored sale numbers follow the order the sales were made in.
    codes.sort_by_key(|code| code.create_time);
    let terminal_id = terminal_id.to_string();
    journal
        .call(move |journal| {
            codes
                .into_iter()
                .map(|code| {
                    let restored = journal.restore_paid(&code, &terminal_id, now)?;
                    if let Restored::Added(number) = restored {
                        tracing::info!(sale = number, code = %code.id, "restored from Monime");
                    }
                    Ok((code, restored))
                })
                .collect()
        })
        .await
}
