//! Reading both sides of a check: the journal's sales of the span and Monime's codes of the
//! same time (every page, and any paid sale's code the list did not show), then matching them.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use super::matching::{Day, Reconciliation, Span, compare};
use crate::clock::{OFF_AFTER, day_bounds, local_zone};
use crate::journal::{Journal, JournalError, StoredSale};
use crate::monime::{MonimeClient, MonimeError, PaymentCode};
use crate::sale::Phase;

/// Why the check could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error("{0}")]
    Monime(#[from] MonimeError),
    #[error("{0}")]
    Journal(#[from] JournalError),
    #[error("Monime did not finish answering within {} s", .0.as_secs())]
    TooSlow(std::time::Duration),
}

/// The sales a check covers, and from when (and until when) Monime's codes are read.
struct Scope {
    span: Span,
    sales: Vec<StoredSale>,
    from: DateTime<Utc>,
    until: Option<DateTime<Utc>>,
}

/// Checks `day` against Monime: reads the journal's sales and Monime's codes of that time,
/// asks Monime about any paid sale its list did not show, and compares.
/// The terminal's own codes are those made with `terminal_id`; `client`'s clock says which day
/// today is.
pub async fn reconcile(
    client: &MonimeClient,
    journal: &Journal,
    terminal_id: &str,
    day: Day,
) -> Result<Reconciliation, ReconcileError> {
    let today = client.clock().today();
    let scope = journal
        .call(move |journal| {
            let zone = local_zone();
            match day {
                Day::Date(date) => {
                    let (from, until) = day_bounds(date, zone);
                    Ok(Scope {
                        span: Span::On(date),
                        sales: journal.between(from, until)?,
                        from,
                        until: Some(until),
                    })
                }
                Day::Current => {
                    let sales = journal.sales_since_close()?;
                    // A sale still open at the last close, or left from before today, is in this
                    // day's books: Monime's list is read back to it.
                    let first = sales.iter().map(|sale| sale.created_at).min();
                    let today_starts = day_bounds(today, zone).0;
                    let (start, span) = match journal.last_close()? {
                        // The close is dated by this terminal's clock, the codes by Monime's,
                        // which may differ by up to `OFF_AFTER` before the terminal goes by
                        // Monime's; codes of the margin the journal has are another day's and
                        // are left out by `compare`.
                        Some(close) => {
                            (close.closed_at - OFF_AFTER, Span::SinceClose(close.number))
                        }
                        None if first.is_some_and(|first| first < today_starts) => {
                            (today_starts, Span::SinceFirstSale)
                        }
                        None => (today_starts, Span::Today),
                    };
                    Ok(Scope {
                        span,
                        from: first.map_or(start, |first| first.min(start)),
                        sales,
                        until: None,
                    })
                }
            }
        })
        .await?;
    let mut codes: Vec<PaymentCode> = client
        .list_created_since(scope.from)
        .await?
        .into_iter()
        .filter(|code| {
            let (Some(until), Some(created)) = (scope.until, code.create_time) else {
                return true;
            };
            created < until
        })
        .collect();
    // A paid sale whose code the list did not show (made just before the scope's start, say)
    // is asked about on its own.
    let listed: HashSet<String> = codes.iter().map(|code| code.id.clone()).collect();
    let unlisted: Vec<String> = scope
        .sales
        .iter()
        .filter(|sale| sale.record.phase == Phase::Paid)
        .filter_map(|sale| sale.record.code.as_ref())
        .filter(|code| !listed.contains(&code.id))
        .map(|code| code.id.clone())
        .collect();
    for id in unlisted {
        match client.get(&id).await {
            Ok(code) => codes.push(code),
            Err(MonimeError::NotFound { .. }) => {}
            Err(error) => return Err(error.into()),
        }
    }
    let in_scope: HashSet<String> = scope
        .sales
        .iter()
        .filter_map(|sale| sale.record.code.as_ref())
        .map(|code| code.id.clone())
        .collect();
    let others: Vec<String> = codes
        .iter()
        .map(|code| code.id.clone())
        .filter(|id| !in_scope.contains(id))
        .collect();
    let known_elsewhere = journal
        .call(move |journal| {
            let mut known = HashSet::new();
            for id in others {
                if journal.sale_by_code(&id)?.is_some() {
                    known.insert(id);
                }
            }
            Ok(known)
        })
        .await?;
    Ok(compare(
        scope.span,
        terminal_id,
        &scope.sales,
        &codes,
        &known_elsewhere,
    ))
}
