//! Reading both sides of a check: the journal's sales and refunds of the span and Monime's
//! codes and payouts of the same time (every page, and any paid sale's code or refund's payout
//! the list did not show), then matching them.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use super::matching::{Day, PayoutCheck, Reconciliation, Span, compare, compare_payouts};
use crate::clock::{OFF_AFTER, day_bounds, local_zone};
use crate::journal::{Journal, JournalError, StoredRefund, StoredSale};
use crate::monime::{MonimeClient, MonimeError, PaymentCode, Payout};
use crate::refund::REFUND_KEY_METADATA;
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

/// The sales and refunds a check covers, and from when (and until when) Monime's codes and
/// payouts are read.
struct Scope {
    span: Span,
    sales: Vec<StoredSale>,
    refunds: Vec<StoredRefund>,
    from: DateTime<Utc>,
    until: Option<DateTime<Utc>>,
}

impl Scope {
    /// Whether Monime's record, created at `created`, falls in the scope's time.
    fn holds(&self, created: Option<DateTime<Utc>>) -> bool {
        match (self.until, created) {
            (Some(until), Some(created)) => created < until,
            _ => true,
        }
    }
}

/// Checks `day` against Monime: reads the journal's sales and refunds and Monime's codes and
/// payouts of that time, asks Monime about any paid sale or refund its lists did not show, and
/// compares. The terminal's own codes and payouts are those made with `terminal_id`;
/// `client`'s clock says which day today is. Payouts are read when `refunds_on`, or when the
/// journal has refunds in the span: a terminal that never refunds does not ask for them, which
/// its key may not be allowed to.
pub async fn reconcile(
    client: &MonimeClient,
    journal: &Journal,
    terminal_id: &str,
    day: Day,
    refunds_on: bool,
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
                        refunds: journal.refunds_between(from, until)?,
                        from,
                        until: Some(until),
                    })
                }
                Day::Current => {
                    let sales = journal.sales_since_close()?;
                    let refunds = journal.refunds_since_close()?;
                    // A sale or refund still open at the last close, or left from before today,
                    // is in this day's books: Monime's lists are read back to it.
                    let first = sales
                        .iter()
                        .map(|sale| sale.created_at)
                        .chain(refunds.iter().map(|refund| refund.created_at))
                        .min();
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
                        refunds,
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
        .filter(|code| scope.holds(code.create_time))
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
    let found = compare(
        scope.span,
        terminal_id,
        &scope.sales,
        &codes,
        &known_elsewhere,
    );
    if !refunds_on && scope.refunds.is_empty() {
        return Ok(found);
    }
    Ok(found.with_payouts(check_payouts(client, journal, terminal_id, scope).await?))
}

/// Reads Monime's payouts of the scope's time (and any checked refund's the list did not
/// show), and matches them with the scope's refunds.
async fn check_payouts(
    client: &MonimeClient,
    journal: &Journal,
    terminal_id: &str,
    scope: Scope,
) -> Result<PayoutCheck, ReconcileError> {
    let mut payouts: Vec<Payout> = client
        .list_payouts_created_since(scope.from)
        .await?
        .into_iter()
        .filter(|payout| scope.holds(payout.create_time))
        .collect();
    // A refund whose payout the list did not show (made before the scope's start, say) is
    // asked about on its own.
    let listed: HashSet<String> = payouts.iter().map(|payout| payout.id.clone()).collect();
    let unlisted: Vec<String> = scope
        .refunds
        .iter()
        .filter_map(|refund| refund.record.payout_id())
        .filter(|id| !listed.contains(*id))
        .map(str::to_string)
        .collect();
    for id in unlisted {
        match client.payout(&id).await {
            Ok(payout) => payouts.push(payout),
            Err(MonimeError::NotFound { .. }) => {}
            Err(error) => return Err(error.into()),
        }
    }
    // A payout the journal has a refund for outside the scope is another day's.
    let in_scope: HashSet<i64> = scope
        .refunds
        .iter()
        .map(|refund| refund.record.number)
        .collect();
    let lookups: Vec<(String, Option<String>)> = payouts
        .iter()
        .map(|payout| {
            let key = payout.metadata_text(REFUND_KEY_METADATA);
            (payout.id.clone(), key.map(str::to_string))
        })
        .collect();
    let known_elsewhere = journal
        .call(move |journal| {
            let mut known = HashSet::new();
            for (id, key) in lookups {
                let refund = journal.refund_of_payout(&id, key.as_deref())?;
                if refund.is_some_and(|refund| !in_scope.contains(&refund.record.number)) {
                    known.insert(id);
                }
            }
            Ok(known)
        })
        .await?;
    Ok(compare_payouts(
        terminal_id,
        &scope.refunds,
        &payouts,
        &known_elsewhere,
    ))
}
