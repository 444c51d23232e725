//! Runs refunds as `controller` runs sales: the pure refund machine fed Monime's answers and
//! timers, every change written to the journal before the next request, each new state
//! published for whoever follows the refund.
//!
//! A refund's journal row and key are committed before anything is sent; a refund about to
//! send its create for the first time is written `Sending` first, and if the journal cannot
//! take that, nothing is sent (it stays for `recover`). Requests for one refund go out one at
//! a time.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;

use chrono::{DateTime, Utc};
use tokio::sync::watch;
use tokio::time::Instant;

use super::{Receipts, Services, learn_the_time, remember_throttled, spread};
use crate::journal::{JournalError, Receipt, RefundBlocked, StoredRefund};
use crate::monime::{MAX_PAGE_SIZE, PayoutFilter};
use crate::refund::{
    LOOKUP_PAGES, NewRefund, Refund, RefundCall, RefundEffect, RefundEvent, RefundRecord,
    is_payout_of,
};

/// A running refund: watch its state, await its end.
#[derive(Debug)]
pub struct RefundHandle {
    pub updates: watch::Receiver<Refund>,
    pub finished: tokio::task::JoinHandle<Refund>,
}

impl RefundHandle {
    pub fn number(&self) -> i64 {
        self.updates.borrow().record.number
    }
}

/// Writes refund `new` to the journal with a fresh idempotency key, if the sale and the day
/// leave room for it (`daily_limit_minor` over the day from `day.0` to `day.1`), then sends
/// its payout. `Err` inside: why the journal did not write it, and nothing was sent.
pub async fn start_refund(
    services: &Services,
    new: NewRefund,
    daily_limit_minor: i64,
    day: (DateTime<Utc>, DateTime<Utc>),
) -> Result<Result<RefundHandle, RefundBlocked>, JournalError> {
    learn_the_time(services).await;
    let key = uuid::Uuid::new_v4().to_string();
    let now = services.clock().now();
    let written = services
        .journal
        .call(move |journal| {
            journal.check_free_space()?;
            journal.begin_refund(&key, now, &new, daily_limit_minor, day)
        })
        .await?;
    Ok(written.map(|record| spawn(services, record, false)))
}

/// Takes up a refund read back from the journal, to settle it (and print its receipt).
pub fn resume_refund(services: &Services, stored: StoredRefund) -> RefundHandle {
    let owed = stored.receipt_owed();
    spawn(services, stored.record, owed)
}

fn spawn(services: &Services, record: RefundRecord, receipt_owed: bool) -> RefundHandle {
    let stored = record.clone();
    let now = services.clock().now();
    let (refund, effects) = Refund::resume(record, receipt_owed, services.timing, now);
    let (sender, updates) = watch::channel(refund.clone());
    let finished = tokio::spawn(drive(services.clone(), refund, stored, effects, sender));
    RefundHandle { updates, finished }
}

type EventFuture = Pin<Box<dyn Future<Output = RefundEvent> + Send>>;

async fn drive(
    services: Services,
    mut refund: Refund,
    stored: RefundRecord,
    first_effects: Vec<RefundEffect>,
    updates: watch::Sender<Refund>,
) -> Refund {
    if refund.record != stored
        && let Err(error) = save(&services, &refund).await
    {
        // Not written `Sending`, the create is not sent: a refund read back as `Written` is
        // sent whenever it is taken up, which is only safe if it never went before.
        tracing::error!(refund = refund.record.number, %error, "cannot write the refund to the journal; it is not sent, and recover sends it");
        updates.send_replace(refund.clone());
        return refund;
    }
    updates.send_replace(refund.clone());
    let mut queue: VecDeque<RefundCall> = VecDeque::new();
    let mut in_flight: Option<EventFuture> = None;
    let mut check_at: Option<Instant> = None;
    apply(&services, &refund, first_effects, &mut queue, &mut check_at).await;
    loop {
        if refund.is_final() {
            break;
        }
        if in_flight.is_none() {
            in_flight = queue.pop_front().map(|call| send(&services, &refund, call));
        }
        if in_flight.is_none() && check_at.is_none() {
            // Never idle while unsettled: ask again after the usual wait.
            check_at = Some(Instant::now() + services.timing.poll_interval);
        }
        let event = tokio::select! {
            event = async { in_flight.as_mut().expect("guarded by the condition").await }, if in_flight.is_some() => {
                in_flight = None;
                event
            },
            () = tokio::time::sleep_until(check_at.unwrap_or_else(Instant::now)), if in_flight.is_none() => {
                check_at = None;
                RefundEvent::CheckDue
            },
        };
        let before = refund.record.clone();
        refund.space = services.client.space_load();
        let effects = refund.handle(event, services.clock().now());
        remember_throttled(&services).await;
        if refund.record != before
            && let Err(error) = save(&services, &refund).await
        {
            // The money is at Monime either way; the next change is written again whole.
            tracing::error!(refund = refund.record.number, %error, "cannot write the refund to the journal");
        }
        updates.send_replace(refund.clone());
        apply(&services, &refund, effects, &mut queue, &mut check_at).await;
    }
    if let Some(failure) = refund
        .record
        .failure
        .as_ref()
        .and_then(|failure| failure.message.as_deref())
    {
        tracing::info!(
            refund = refund.record.number,
            phase = refund.record.phase.as_str(),
            "{failure}"
        );
    }
    updates.send_replace(refund.clone());
    refund
}

async fn save(services: &Services, refund: &Refund) -> Result<(), JournalError> {
    let record = refund.record.clone();
    let detail = refund.status_line();
    let now = services.clock().now();
    services
        .journal
        .call(move |journal| journal.save_refund(&record, now, Some(&detail)))
        .await
}

async fn apply(
    services: &Services,
    refund: &Refund,
    effects: Vec<RefundEffect>,
    queue: &mut VecDeque<RefundCall>,
    check_at: &mut Option<Instant>,
) {
    for effect in effects {
        match effect {
            RefundEffect::Send(call) => {
                if !queue.contains(&call) {
                    queue.push_back(call);
                }
            }
            RefundEffect::CheckAfter(wait) => {
                let in_trouble = refund.reachability.since().is_some();
                *check_at = Some(Instant::now() + spread(wait, refund.space, in_trouble));
            }
            RefundEffect::PrintReceipt => owe_receipt(services, refund.record.number).await,
        }
    }
}

async fn owe_receipt(services: &Services, number: i64) {
    match &services.receipts {
        Receipts::Printer(printer) => printer.refund_receipt_owed(number),
        Receipts::NoPrinter => {
            let recorded = services
                .journal
                .call(move |journal| journal.set_refund_receipt(number, Receipt::NoPrinter))
                .await;
            if let Err(error) = recorded {
                tracing::error!(refund = number, %error, "cannot record that no receipt is printed");
            }
        }
    }
}

fn send(services: &Services, refund: &Refund, call: RefundCall) -> EventFuture {
    let client = services.client.clone();
    let record = refund.record.clone();
    Box::pin(async move {
        match (call, record.payout_id(), &record.request) {
            (RefundCall::Get, Some(id), _) => match client.payout(id).await {
                Ok(payout) => RefundEvent::Answered(payout),
                Err(error) => RefundEvent::CheckFailed(error),
            },
            (RefundCall::Create, None, Some(request)) => {
                match client.create_payout(&record.idempotency_key, request).await {
                    Ok(payout) => RefundEvent::Answered(payout),
                    Err(error) => RefundEvent::CreateFailed(error),
                }
            }
            // A search, or a create without its stored request (which is never made up
            // anew): look for the payout by the refund's key.
            _ => {
                let wanted = LOOKUP_PAGES * MAX_PAGE_SIZE;
                match client.list_payouts(&PayoutFilter::default(), wanted).await {
                    Ok(payouts) => RefundEvent::LookedUp(
                        payouts
                            .into_iter()
                            .find(|payout| is_payout_of(payout, &record.idempotency_key)),
                    ),
                    Err(error) => RefundEvent::LookupFailed(error),
                }
            }
        }
    })
}
