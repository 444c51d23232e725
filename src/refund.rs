//! One refund as a pure state machine, as `sale` is one sale: Monime's answers and timers in,
//! a new phase and effects out (send the payout, check it again after that long, print the
//! refund receipt). No I/O and no clock: the time is passed in.
//!
//! Monime has no refund endpoint: money goes back as a payout to the payer's number. The rules
//! that keep money going out truthful and single live here:
//! - A refund is in the journal with its idempotency key before its payout is first sent, and
//!   is marked `Sending` (committed) before the create goes out; the create is only ever sent
//!   again with that key, so Monime replays the one payout instead of making a second.
//! - Monime keeps a key's answer for about a day. A create that may have reached Monime more
//!   than `IDEMPOTENCY_WINDOW` ago is not sent again: the payout is looked for in Monime's list
//!   by the refund's key in its metadata, and if it is not there the refund ends `Unknown`.
//! - "Refunded" only on Monime's `completed`; "Not sent" only on its `failed`, with its reason;
//!   "Refused" only when Monime refused the create (a 4xx), which makes no payout.
//! - Anything else unclear (an idempotency conflict, a payout Monime cannot find for
//!   `UNKNOWN_AFTER`, a payout of another amount) ends `Unknown`: check the Monime dashboard.
//! - A network error never ends a refund: it is asked again, with backoff, until Monime answers.

mod number;
mod phase;
mod rules;
mod status;

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::lang::Language;
use crate::money::Money;
use crate::monime::{
    CodeStatus, MonimeError, NewPayout, Payout, PayoutFailureCode, PayoutStatus, SpaceLoad,
};
use crate::sale::{
    CASHIER_METADATA, PollBudget, Reachability, TERMINAL_METADATA, Timing, UNKNOWN_AFTER,
};

pub use number::{FullNumber, MaskedNumber, NumberError};
pub use phase::RefundPhase;
pub use rules::{LimitRefusal, RefundStanding};
pub use status::{FeeQuote, NOT_CONFIRMED, RefundQuote, failure_reason};

/// How long after a create may have reached Monime it is still sent again under its key.
/// Monime keeps a key's answer about a day (not documented exactly); half of that leaves room
/// for a clock that is off.
pub const IDEMPOTENCY_WINDOW: Duration = Duration::from_secs(12 * 60 * 60);
/// The payout's metadata entry naming the refund's idempotency key: a create whose key Monime
/// may have forgotten is looked for by it in the payout list.
pub const REFUND_KEY_METADATA: &str = "refund_key";
/// The payout's metadata entries naming the refund and the sale it pays back.
pub const REFUND_METADATA: &str = "refund";
pub const SALE_METADATA: &str = "sale";
/// How many pages of Monime's payout list (newest first) are read looking for a refund.
pub const LOOKUP_PAGES: usize = 4;

/// Who sends money back: the admin (by the admin PIN) or a cashier allowed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refunder {
    Admin,
    Cashier(String),
}

impl Refunder {
    /// The cashier, as the journal files the refund under; `None` for the admin.
    pub fn cashier(&self) -> Option<&str> {
        match self {
            Refunder::Admin => None,
            Refunder::Cashier(name) => Some(name),
        }
    }

    /// Who, for a receipt or a list: the cashier's name, or "Admin".
    pub fn name_in(&self, language: Language) -> String {
        match self {
            Refunder::Admin => language.tr("Admin").into(),
            Refunder::Cashier(name) => name.clone(),
        }
    }
}

/// How this terminal may refund (`[refunds]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RefundPolicy {
    pub enabled: bool,
    /// The most all refunds of a local day may send back, in minor units.
    pub daily_limit_minor: i64,
    /// What the shop says Monime charges a payout, for the quote; `None`: the last refund's.
    pub fee_minor: Option<i64>,
}

/// A refund about to be written: whose money, how much, to which number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRefund {
    pub sale: i64,
    pub amount: Money,
    pub provider_id: String,
    pub phone: FullNumber,
    /// The name the provider gave for the number, as the refunder confirmed it.
    pub holder_name: Option<String>,
    pub refunder: Refunder,
    pub terminal_id: String,
    /// The account to pay from; `None` is the space's main one.
    pub source_account: Option<String>,
}

impl NewRefund {
    /// Monime's payout for refund `number` under `key`: the amount to the number, with
    /// metadata naming the terminal, the sale, the refund, its key, and the cashier who made
    /// it (none for the admin), so that Monime keeps what `reconcile --restore` needs to write
    /// the refund back as it was.
    pub fn payout_request(&self, number: i64, key: &str) -> NewPayout {
        let request = NewPayout::momo(self.amount, self.provider_id.clone(), self.phone.as_str())
            .with_source_account(self.source_account.clone())
            .with_metadata(TERMINAL_METADATA, self.terminal_id.clone())
            .with_metadata(SALE_METADATA, self.sale.to_string())
            .with_metadata(REFUND_METADATA, number.to_string())
            .with_metadata(REFUND_KEY_METADATA, key);
        match self.refunder.cashier() {
            Some(cashier) => request.with_metadata(CASHIER_METADATA, cashier),
            None => request,
        }
    }
}

/// What the terminal knows of the refund's payout at Monime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayoutSeen {
    pub id: String,
    pub status: PayoutStatus,
    /// What Monime charged on top, once it says.
    pub fee: Option<Money>,
    /// The provider's reference for the credit, once completed: what the payer's SMS shows.
    pub reference: Option<String>,
}

/// Why a refund did not go: Monime's code for a failed payout, and its words or the refusal's.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RefundFailure {
    pub code: Option<PayoutFailureCode>,
    pub message: Option<String>,
}

/// What the journal keeps of a refund: enough to settle it after a power cut.
#[derive(Debug, Clone, PartialEq)]
pub struct RefundRecord {
    /// The journal's row id: the refund's number.
    pub number: i64,
    pub sale: i64,
    pub idempotency_key: String,
    pub amount: Money,
    pub provider_id: String,
    /// The payer's number as shown: `076 ··· 456`.
    pub phone_shown: String,
    /// The payout's create, the full number in it, kept byte for byte while the refund is
    /// unsettled (a re-send must be the same request); `None` once settled, when the number is
    /// needed no more.
    pub request: Option<NewPayout>,
    pub phase: RefundPhase,
    /// When the create first went (or may have gone) out.
    pub sent_at: Option<DateTime<Utc>>,
    pub payout: Option<PayoutSeen>,
    pub failure: Option<RefundFailure>,
}

impl RefundRecord {
    /// The payout's id at Monime, once known.
    pub fn payout_id(&self) -> Option<&str> {
        self.payout.as_ref().map(|payout| payout.id.as_str())
    }
}

/// What happened.
#[derive(Debug, Clone, PartialEq)]
pub enum RefundEvent {
    /// Monime answered the create, a check or the search with the payout.
    Answered(Payout),
    CreateFailed(MonimeError),
    CheckFailed(MonimeError),
    /// The search of Monime's list for the refund's key is over: the payout, or none.
    LookedUp(Option<Payout>),
    LookupFailed(MonimeError),
    /// The wait asked for by `RefundEffect::CheckAfter` is over.
    CheckDue,
}

/// A request to Monime about the refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundCall {
    /// Create (or, re-sent, recover) the payout under the refund's key.
    Create,
    /// Read the payout.
    Get,
    /// Look for the payout in Monime's list by the refund's key.
    Lookup,
}

/// What the controller must do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundEffect {
    Send(RefundCall),
    CheckAfter(Duration),
    PrintReceipt,
}

/// One refund from its stored key to a final phase.
#[derive(Debug, Clone, PartialEq)]
pub struct Refund {
    pub record: RefundRecord,
    pub reachability: Reachability,
    /// Since when Monime has answered "not found" for the refund's payout.
    pub not_found_since: Option<DateTime<Utc>>,
    /// What the space's shared rate limit asks; the controller sets it before each event.
    pub space: SpaceLoad,
    failures_in_a_row: u32,
    poll_budget: PollBudget,
    timing: Timing,
}

impl Refund {
    /// Takes up a refund from its record (a new one, or one read back after a restart) at
    /// `now`; returns what to do first. A refund not sent yet is marked `Sending` here, and
    /// the controller writes that down before the create goes out.
    pub fn resume(
        record: RefundRecord,
        receipt_owed: bool,
        timing: Timing,
        now: DateTime<Utc>,
    ) -> (Refund, Vec<RefundEffect>) {
        let mut refund = Refund {
            record,
            reachability: Reachability::Answering,
            not_found_since: None,
            space: SpaceLoad::QUIET,
            failures_in_a_row: 0,
            poll_budget: PollBudget::default(),
            timing,
        };
        let effects = match refund.record.phase {
            RefundPhase::Completed if receipt_owed => vec![RefundEffect::PrintReceipt],
            phase if phase.is_final() => Vec::new(),
            _ => vec![RefundEffect::Send(refund.next_call(now))],
        };
        (refund, effects)
    }

    pub fn is_final(&self) -> bool {
        self.record.phase.is_final()
    }

    /// Since when Monime has not given its word on the refund, if it has not: the network,
    /// its errors, or its "not found".
    pub fn trouble_since(&self) -> Option<DateTime<Utc>> {
        self.reachability.since().or(self.not_found_since)
    }

    /// Applies one event at time `now`.
    pub fn handle(&mut self, event: RefundEvent, now: DateTime<Utc>) -> Vec<RefundEffect> {
        if self.is_final() {
            return Vec::new();
        }
        match event {
            RefundEvent::CheckDue => vec![RefundEffect::Send(self.next_call(now))],
            RefundEvent::Answered(payout) | RefundEvent::LookedUp(Some(payout)) => {
                self.answered();
                self.payout_seen(payout, now)
            }
            RefundEvent::LookedUp(None) => {
                self.answered();
                self.settle(
                    RefundPhase::Unknown,
                    None,
                    "Monime's list holds no payout for this refund, and it may have forgotten \
                     the key of a create sent long ago",
                );
                Vec::new()
            }
            RefundEvent::CreateFailed(error) => self.create_failed(error, now),
            RefundEvent::CheckFailed(error) | RefundEvent::LookupFailed(error) => {
                self.request_failed(&error, now)
            }
        }
    }

    /// What to ask Monime next: the payout once its id is known; else its create, under the
    /// refund's key while Monime still remembers it, or else a search of the list.
    fn next_call(&mut self, now: DateTime<Utc>) -> RefundCall {
        if self.record.payout.is_some() {
            self.poll_budget.spent_one();
            return RefundCall::Get;
        }
        match (self.record.phase, self.record.sent_at) {
            (RefundPhase::Written, _) => {
                self.record.phase = RefundPhase::Sending;
                self.record.sent_at = Some(now);
                RefundCall::Create
            }
            (_, Some(sent))
                if (now - sent).to_std().unwrap_or(Duration::ZERO) < IDEMPOTENCY_WINDOW =>
            {
                RefundCall::Create
            }
            // Sent long ago (or when, unknown): a create now might make a second payout.
            _ => RefundCall::Lookup,
        }
    }

    fn payout_seen(&mut self, payout: Payout, now: DateTime<Utc>) -> Vec<RefundEffect> {
        if let Some(amount) = payout.amount
            && amount != self.record.amount
        {
            self.remember(&payout);
            let detail = format!(
                "Monime's payout {} is for {amount}, not {}",
                payout.id, self.record.amount
            );
            self.settle(RefundPhase::Unknown, None, &detail);
            return Vec::new();
        }
        self.remember(&payout);
        match payout.status {
            PayoutStatus::Pending => {
                self.record.phase = RefundPhase::Pending;
                self.check_after(CodeStatus::Pending, now)
            }
            // A status this terminal does not know is never taken as done: keep asking.
            PayoutStatus::Processing | PayoutStatus::Delayed | PayoutStatus::Unknown => {
                self.record.phase = RefundPhase::Processing;
                self.check_after(CodeStatus::Processing, now)
            }
            PayoutStatus::Completed => {
                self.settle_with(RefundPhase::Completed, None);
                vec![RefundEffect::PrintReceipt]
            }
            PayoutStatus::Failed => {
                let failure = payout.failure.map(|failure| RefundFailure {
                    code: Some(failure.code),
                    message: failure.message,
                });
                self.settle_with(
                    RefundPhase::Failed,
                    Some(failure.unwrap_or(RefundFailure {
                        code: Some(PayoutFailureCode::Unknown),
                        message: None,
                    })),
                );
                Vec::new()
            }
        }
    }

    /// The next check of a payout Monime reports as a code would be `status`: slowly while
    /// pending, quickly while processing, within the budget codes are checked in.
    fn check_after(&mut self, status: CodeStatus, now: DateTime<Utc>) -> Vec<RefundEffect> {
        let wait = self.poll_budget.wait(
            self.timing.polling,
            self.timing.poll_interval,
            status,
            self.space,
            now,
        );
        vec![RefundEffect::CheckAfter(wait)]
    }

    fn remember(&mut self, payout: &Payout) {
        let known = self.record.payout.take();
        let known_fee = known.as_ref().and_then(|seen| seen.fee);
        let known_reference = known.and_then(|seen| seen.reference);
        self.record.payout = Some(PayoutSeen {
            id: payout.id.clone(),
            status: payout.status,
            fee: payout.fee_total().or(known_fee),
            reference: payout
                .destination
                .transaction_reference
                .clone()
                .or(known_reference),
        });
    }

    fn create_failed(&mut self, error: MonimeError, now: DateTime<Utc>) -> Vec<RefundEffect> {
        match &error {
            MonimeError::IdempotencyConflict { .. } => {
                // The key went with another request: a payout of an earlier try may exist.
                self.answered();
                self.settle(RefundPhase::Unknown, None, &error.to_string());
                Vec::new()
            }
            error if refuses_create(error) => {
                // Monime's clear no: no payout exists under the key.
                self.answered();
                let message = match error {
                    MonimeError::Validation { message } | MonimeError::Rejected { message, .. } => {
                        message.clone()
                    }
                    other => other.to_string(),
                };
                self.settle(RefundPhase::Refused, None, &message);
                Vec::new()
            }
            // The payout may exist: the create goes again under the same key.
            _ => self.request_failed(&error, now),
        }
    }

    fn request_failed(&mut self, error: &MonimeError, now: DateTime<Utc>) -> Vec<RefundEffect> {
        self.poll_budget = PollBudget::default();
        if let (MonimeError::NotFound { .. }, Some(payout)) = (error, &self.record.payout) {
            // An answer: Monime cannot find the payout it made for this refund.
            self.reachability = Reachability::Answering;
            let since = *self.not_found_since.get_or_insert(now);
            if (now - since).to_std().unwrap_or(Duration::ZERO) >= UNKNOWN_AFTER {
                let detail = format!("Monime cannot find the payout {}", payout.id);
                self.settle(RefundPhase::Unknown, None, &detail);
                return Vec::new();
            }
        } else {
            self.reachability = self.reachability.then(error, now);
        }
        vec![RefundEffect::CheckAfter(self.backoff(error))]
    }

    fn backoff(&mut self, error: &MonimeError) -> Duration {
        self.failures_in_a_row += 1;
        crate::sale::backoff(
            self.timing.poll_interval,
            self.failures_in_a_row,
            error,
            self.space.slowdown,
        )
    }

    fn answered(&mut self) {
        self.failures_in_a_row = 0;
        self.reachability = Reachability::Answering;
        self.not_found_since = None;
    }

    /// Ends the refund in `phase` with `message` as its reason.
    fn settle(&mut self, phase: RefundPhase, code: Option<PayoutFailureCode>, message: &str) {
        self.settle_with(
            phase,
            Some(RefundFailure {
                code,
                message: Some(message.to_string()),
            }),
        );
    }

    /// Ends the refund in `phase`. The full number goes with the request: a settled refund is
    /// never sent again, and the terminal keeps a payer's number no longer than it needs it.
    fn settle_with(&mut self, phase: RefundPhase, failure: Option<RefundFailure>) {
        self.record.phase = phase;
        self.record.failure = failure;
        self.record.request = None;
    }
}

/// Monime's clear refusal to make the payout: a 4xx other than 401, 403, 404, 409 (a key
/// conflict) and 429, which say nothing about whether an earlier try made it.
fn refuses_create(error: &MonimeError) -> bool {
    match error {
        MonimeError::Validation { .. } => true,
        MonimeError::Rejected { status, .. } => (400..500).contains(status),
        _ => false,
    }
}

/// Whether `payout` is the one made for the refund with idempotency key `key`, by the metadata
/// `NewRefund::payout_request` gives it.
pub fn is_payout_of(payout: &Payout, key: &str) -> bool {
    payout.metadata_text(REFUND_KEY_METADATA) == Some(key)
}

#[cfg(test)]
mod tests;
