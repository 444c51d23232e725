//! One sale as a pure state machine: events in (Monime's answers, the cashier's cancel, a timer
//! falling due), a new phase and effects out (send this request, check again after that long,
//! print the receipt). No I/O and no clock: the time is passed in, so every rule is tested
//! without a network.
//!
//! The rules that keep money right live here:
//! - PAID only when Monime reports `completed`.
//! - A cancel pressed while a payment is `processing` waits for the outcome, and a cancel that
//!   races a payment ends paid when Monime says so.
//! - Expiry is Monime's word; the local countdown is only for display.
//! - A network error never ends a sale: it is checked again, with backoff, until Monime answers.
//! - A code Monime cannot find (404) is not a failure: it is checked again, and after
//!   `UNKNOWN_AFTER` of 404s the sale ends `Unknown`, sending the cashier to the dashboard.
//! - A refused key (401, 403) is said as such, and the code is still followed, slowly: the
//!   customer may pay it, and the key may be fixed.
//! - A cancel Monime does not confirm within `CANCEL_GIVES_UP_AFTER` is given up: the sale is
//!   left for `recover` rather than holding the cashier (or a stopping `charge`) forever.
//! - "Nothing was charged" only on Monime's word (see `status`).
//! - A create is only ever re-sent with the sale's one idempotency key, so a sale has one code.

mod phase;
mod poll;
mod request;
mod status;
mod trouble;

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::money::Money;
use crate::monime::{
    CodeStatus, MonimeError, NewPaymentCode, PaymentCode, ProcessedPayment, SpaceLoad,
};

pub use phase::Phase;
pub use poll::{PollBudget, Polling};
pub use request::{
    CASHIER_METADATA, CodeShape, NewSale, REFERENCE_MAX_CHARS, TERMINAL_METADATA, check_reference,
    normalize_msisdn,
};
pub use status::{
    CHECK_THE_DASHBOARD, KEY_REFUSED, NOTHING_CHARGED, check_the_dashboard, nothing_charged,
};
pub use trouble::{Reachability, backoff};

/// Longest wait between two checks while Monime cannot be reached.
pub const MAX_BACKOFF: Duration = Duration::from_secs(8);
/// How long Monime may answer "not found" for a code this terminal made before the sale ends
/// `Phase::Unknown`. Short gaps in Monime's records heal well within it.
pub const UNKNOWN_AFTER: Duration = Duration::from_secs(120);
/// How long a cancel may go unconfirmed by Monime before it is given up and the sale left for
/// `recover`: long enough to ride out a short outage, short enough for a waiting cashier.
pub const CANCEL_GIVES_UP_AFTER: Duration = Duration::from_secs(30);
/// How often a code is checked while Monime refuses the terminal's key: slowly, since only a
/// fixed key ends it, but still, since the customer may pay meanwhile.
pub const KEY_REFUSED_RECHECK: Duration = Duration::from_secs(15);

/// How long a sale keeps at something that is not getting anywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    /// 404s for this long end the sale `Unknown`.
    pub unknown_after: Duration,
    /// A cancel unconfirmed for this long is given up; `None` keeps trying until it is
    /// confirmed, as `recover` does (it is where given-up sales are left).
    pub cancel_for: Option<Duration>,
}

impl Bounds {
    /// For a sale someone is waiting on: the screen and `charge`.
    pub const ATTENDED: Bounds = Bounds {
        unknown_after: UNKNOWN_AFTER,
        cancel_for: Some(CANCEL_GIVES_UP_AFTER),
    };
    /// For settling sales (`recover`, sales resumed in the background): keep trying.
    pub const SETTLING: Bounds = Bounds {
        unknown_after: UNKNOWN_AFTER,
        cancel_for: None,
    };
}

impl Default for Bounds {
    fn default() -> Bounds {
        Bounds::ATTENDED
    }
}

/// The payment code a sale is paid with, as far as the terminal needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeInfo {
    pub id: String,
    pub ussd_code: String,
    pub expire_time: Option<DateTime<Utc>>,
}

/// What happened.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Created(PaymentCode),
    CreateFailed(MonimeError),
    Checked(PaymentCode),
    CheckFailed(MonimeError),
    CancelAnswered(PaymentCode),
    CancelFailed(MonimeError),
    /// The wait asked for by `Effect::CheckAfter` is over.
    CheckDue,
    CancelPressed,
    /// `Sale::deadline` has come, whatever is in flight.
    DeadlinePassed,
}

/// A request to Monime about this sale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MonimeCall {
    /// Create (or, re-sent, recover) the code with the sale's idempotency key.
    Create,
    Get,
    Cancel,
}

/// What the controller must do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Send(MonimeCall),
    CheckAfter(Duration),
    PrintReceipt,
}

/// Timing of the checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// One status check per this long, averaged over a sale.
    pub poll_interval: Duration,
    pub polling: Polling,
    /// When Monime had not listed a paid sale's payment yet, its proof is asked for once more
    /// after this long.
    pub proof_second_ask: Duration,
}

impl Timing {
    /// Adaptive polling at one check per `poll_interval` on average.
    pub fn new(poll_interval: Duration) -> Timing {
        Timing {
            poll_interval,
            polling: Polling::Adaptive,
            proof_second_ask: Duration::from_secs(30),
        }
    }
}

/// What the journal keeps of a sale: enough to settle it after a power cut.
#[derive(Debug, Clone, PartialEq)]
pub struct SaleRecord {
    /// The journal's row id, printed as the sale number.
    pub number: i64,
    pub idempotency_key: String,
    /// The create request, stored so that a re-send is byte for byte the same.
    pub request: NewPaymentCode,
    pub phase: Phase,
    pub code: Option<CodeInfo>,
    pub cancel_requested: bool,
    pub payment: Option<ProcessedPayment>,
    /// Why the sale failed, in words for the cashier.
    pub failure: Option<String>,
}

impl SaleRecord {
    /// A sale not yet sent: its key and request are stored, nothing else is known.
    pub fn new(number: i64, idempotency_key: String, request: NewPaymentCode) -> SaleRecord {
        SaleRecord {
            number,
            idempotency_key,
            request,
            phase: Phase::CreatingCode,
            code: None,
            cancel_requested: false,
            payment: None,
            failure: None,
        }
    }

    pub fn amount(&self) -> Money {
        self.request.amount
    }

    /// What the customer paid: Monime's figure when it gave one, else the sale's amount.
    pub fn paid_amount(&self) -> Money {
        self.payment
            .as_ref()
            .and_then(|payment| payment.amount)
            .unwrap_or_else(|| self.amount())
    }
}

/// One sale from its stored idempotency key to a final phase.
#[derive(Debug, Clone, PartialEq)]
pub struct Sale {
    pub record: SaleRecord,
    pub reachability: Reachability,
    /// Since when Monime has answered "not found" for the sale's code; cleared once it finds it.
    pub not_found_since: Option<DateTime<Utc>>,
    /// The cancel went unconfirmed for `Bounds::cancel_for`: the sale is no longer driven, and
    /// stays unsettled in the journal for `recover` (or the terminal's next start).
    pub left_for_recover: bool,
    /// The last thing worth telling the cashier that the phase alone does not say.
    pub notice: Option<String>,
    /// What the Monime space's shared rate limit asks of the sale's checks; the controller
    /// sets it from the client before each event.
    pub space: SpaceLoad,
    failures_in_a_row: u32,
    /// When the sale last entered `Cancelling`, while it is there.
    cancelling_since: Option<DateTime<Utc>>,
    poll_budget: PollBudget,
    timing: Timing,
    bounds: Bounds,
}

impl Sale {
    /// Takes up a sale from its record: a new one (its key already stored) or one read back
    /// after a restart. Returns what to do first to settle it.
    pub fn resume(record: SaleRecord, receipt_owed: bool, timing: Timing) -> (Sale, Vec<Effect>) {
        let effects = match (record.phase, &record.code) {
            (Phase::Paid, _) if receipt_owed => vec![Effect::PrintReceipt],
            (phase, _) if phase.is_final() => Vec::new(),
            // The create may have reached Monime before a stop: the same key brings back the
            // same code, or makes it if it never arrived.
            (_, None) => vec![Effect::Send(MonimeCall::Create)],
            (_, Some(_)) => vec![Effect::Send(MonimeCall::Get)],
        };
        let sale = Sale {
            record,
            reachability: Reachability::Answering,
            not_found_since: None,
            left_for_recover: false,
            notice: None,
            space: SpaceLoad::QUIET,
            failures_in_a_row: 0,
            cancelling_since: None,
            poll_budget: PollBudget::default(),
            timing,
            bounds: Bounds::default(),
        };
        (sale, effects)
    }

    /// The same sale held to other bounds (`Bounds::ATTENDED` unless told).
    pub fn with_bounds(self, bounds: Bounds) -> Sale {
        Sale { bounds, ..self }
    }

    pub fn is_final(&self) -> bool {
        self.record.phase.is_final()
    }

    /// Nothing more will happen to the sale here: it is settled, or left for `recover`.
    pub fn is_done(&self) -> bool {
        self.is_final() || self.left_for_recover
    }

    /// When the sale gives up if nothing changes before then, even with a request in flight:
    /// the end of its time for a cancel. The controller sends `Event::DeadlinePassed` then.
    pub fn deadline(&self) -> Option<DateTime<Utc>> {
        if self.is_done() {
            return None;
        }
        let limit = chrono::Duration::from_std(self.bounds.cancel_for?).ok()?;
        Some(self.cancelling_since? + limit)
    }

    /// Applies one event at time `now`.
    pub fn handle(&mut self, event: Event, now: DateTime<Utc>) -> Vec<Effect> {
        if self.is_done() {
            return Vec::new();
        }
        let effects = match event {
            Event::CancelPressed => self.cancel_pressed(),
            Event::CheckDue => vec![Effect::Send(self.next_check())],
            Event::DeadlinePassed => Vec::new(),
            Event::Created(code) => {
                self.answered();
                self.code_created(code, now)
            }
            Event::Checked(code) | Event::CancelAnswered(code) => {
                self.answered();
                self.remember_code(&code);
                self.status_seen(code, now)
            }
            Event::CreateFailed(error) => self.create_failed(error, now),
            Event::CheckFailed(error) | Event::CancelFailed(error) => {
                self.request_failed(&error, now)
            }
        };
        if self.cancel_overdue(now) {
            self.left_for_recover = true;
            return Vec::new();
        }
        effects
    }

    /// Time left before the code expires, for the countdown on screen.
    pub fn time_left(&self, now: DateTime<Utc>) -> Option<Duration> {
        let expire = self.record.code.as_ref()?.expire_time?;
        Some((expire - now).to_std().unwrap_or(Duration::ZERO))
    }

    fn cancel_pressed(&mut self) -> Vec<Effect> {
        if self.record.cancel_requested {
            return Vec::new();
        }
        self.record.cancel_requested = true;
        match self.record.phase {
            // Whether a code exists is unknown until Monime answers the create, so the sale
            // waits for that answer (or re-sends the create) and then switches the code off.
            Phase::CreatingCode => {
                self.record.phase = Phase::Cancelling;
                Vec::new()
            }
            Phase::AwaitingPayment => {
                self.record.phase = Phase::Cancelling;
                vec![Effect::Send(MonimeCall::Cancel)]
            }
            Phase::PaymentInProgress => {
                self.notice =
                    Some("The customer is already paying: waiting for the outcome".into());
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    fn next_check(&mut self) -> MonimeCall {
        if self.record.code.is_some() {
            self.poll_budget.spent_one();
            MonimeCall::Get
        } else {
            MonimeCall::Create
        }
    }

    fn code_created(&mut self, code: PaymentCode, now: DateTime<Utc>) -> Vec<Effect> {
        if let Some(amount) = code.amount
            && amount != self.record.amount()
        {
            // Never take money against a code for another amount: switch it off.
            self.remember_code(&code);
            self.record.failure = Some(format!(
                "Monime's code is for {amount}, not {}; it was switched off",
                self.record.amount()
            ));
            self.record.cancel_requested = true;
            self.record.phase = Phase::Cancelling;
            return vec![Effect::Send(MonimeCall::Cancel)];
        }
        self.remember_code(&code);
        self.status_seen(code, now)
    }

    fn remember_code(&mut self, code: &PaymentCode) {
        let previous_ussd = self
            .record
            .code
            .as_ref()
            .map(|known| known.ussd_code.clone());
        self.record.code = Some(CodeInfo {
            id: code.id.clone(),
            ussd_code: code.ussd_code.clone().or(previous_ussd).unwrap_or_default(),
            expire_time: code.expire_time.or_else(|| {
                self.record
                    .code
                    .as_ref()
                    .and_then(|known| known.expire_time)
            }),
        });
    }

    fn status_seen(&mut self, code: PaymentCode, now: DateTime<Utc>) -> Vec<Effect> {
        let poll = Effect::CheckAfter(self.poll_budget.wait(
            self.timing.polling,
            self.timing.poll_interval,
            code.status,
            self.space,
            now,
        ));
        match code.status {
            CodeStatus::Completed => {
                self.record.phase = Phase::Paid;
                self.record.payment = Some(code.payment.unwrap_or_default());
                if self.record.cancel_requested {
                    self.notice = Some("The customer paid before the cancel took effect".into());
                }
                vec![Effect::PrintReceipt]
            }
            CodeStatus::Processing => {
                self.record.phase = Phase::PaymentInProgress;
                if self.record.cancel_requested {
                    self.notice =
                        Some("The customer is already paying: waiting for the outcome".into());
                }
                vec![poll]
            }
            CodeStatus::Pending if self.record.cancel_requested => {
                self.record.phase = Phase::Cancelling;
                vec![Effect::Send(MonimeCall::Cancel)]
            }
            CodeStatus::Pending => {
                self.record.phase = Phase::AwaitingPayment;
                vec![poll]
            }
            CodeStatus::Expired => {
                self.record.phase = Phase::Expired;
                Vec::new()
            }
            CodeStatus::Cancelled => {
                // Monime's word that the code was switched off unpaid.
                self.record.phase = match self.record.failure.take() {
                    Some(failure) => {
                        self.record.failure = Some(format!("{failure}. {NOTHING_CHARGED}"));
                        Phase::Failed
                    }
                    None => Phase::Cancelled,
                };
                Vec::new()
            }
            // A status this terminal does not know is never taken as paid: keep checking.
            CodeStatus::Unknown => vec![poll],
        }
    }

    fn answered(&mut self) {
        self.failures_in_a_row = 0;
        self.reachability = Reachability::Answering;
        self.not_found_since = None;
    }
}

#[cfg(test)]
mod tests;
