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
//! - A create is only ever re-sent with the sale's one idempotency key, so a sale has one code.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::money::Money;
use crate::monime::{CodeStatus, MonimeError, NewPaymentCode, PaymentCode, ProcessedPayment};

/// Longest wait between two checks while Monime cannot be reached.
pub const MAX_BACKOFF: Duration = Duration::from_secs(8);

/// Where a sale is. The first five are unsettled; the last four never change again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    CreatingCode,
    AwaitingPayment,
    PaymentInProgress,
    Cancelling,
    Paid,
    Expired,
    Cancelled,
    Failed,
}

impl Phase {
    pub const ALL: [Phase; 8] = [
        Phase::CreatingCode,
        Phase::AwaitingPayment,
        Phase::PaymentInProgress,
        Phase::Cancelling,
        Phase::Paid,
        Phase::Expired,
        Phase::Cancelled,
        Phase::Failed,
    ];

    pub fn is_final(self) -> bool {
        matches!(
            self,
            Phase::Paid | Phase::Expired | Phase::Cancelled | Phase::Failed
        )
    }

    /// The phase in a word, as lists show it: "Paid", "Expired", "Cancelled", "Failed", or
    /// "Open" while the sale is not settled.
    pub fn label(self) -> &'static str {
        match self {
            Phase::Paid => "Paid",
            Phase::Expired => "Expired",
            Phase::Cancelled => "Cancelled",
            Phase::Failed => "Failed",
            Phase::CreatingCode
            | Phase::AwaitingPayment
            | Phase::PaymentInProgress
            | Phase::Cancelling => "Open",
        }
    }

    /// The name stored in the journal.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::CreatingCode => "creating_code",
            Phase::AwaitingPayment => "awaiting_payment",
            Phase::PaymentInProgress => "payment_in_progress",
            Phase::Cancelling => "cancelling",
            Phase::Paid => "paid",
            Phase::Expired => "expired",
            Phase::Cancelled => "cancelled",
            Phase::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Phase> {
        Phase::ALL.into_iter().find(|phase| phase.as_str() == text)
    }
}

/// The payment code a sale is paid with, as far as the terminal needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeInfo {
    pub id: String,
    pub ussd_code: String,
    pub expire_time: Option<DateTime<Utc>>,
}

/// Whether the last request reached Monime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reachability {
    Answering,
    Lost {
        since: DateTime<Utc>,
        message: String,
    },
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
}

/// A request to Monime about this sale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// Create (or, re-sent, recover) the code with the sale's idempotency key.
    Create,
    Get,
    Cancel,
}

/// What the controller must do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Send(Request),
    CheckAfter(Duration),
    PrintReceipt,
}

/// Timing of the checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    pub poll_interval: Duration,
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
}

/// One sale from its stored idempotency key to a final phase.
#[derive(Debug, Clone, PartialEq)]
pub struct Sale {
    pub record: SaleRecord,
    pub reachability: Reachability,
    /// The last thing worth telling the cashier that the phase alone does not say.
    pub notice: Option<String>,
    failures_in_a_row: u32,
    timing: Timing,
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
            (_, None) => vec![Effect::Send(Request::Create)],
            (_, Some(_)) => vec![Effect::Send(Request::Get)],
        };
        let sale = Sale {
            record,
            reachability: Reachability::Answering,
            notice: None,
            failures_in_a_row: 0,
            timing,
        };
        (sale, effects)
    }

    pub fn is_final(&self) -> bool {
        self.record.phase.is_final()
    }

    /// Applies one event at time `now`.
    pub fn handle(&mut self, event: Event, now: DateTime<Utc>) -> Vec<Effect> {
        if self.is_final() {
            return Vec::new();
        }
        match event {
            Event::CancelPressed => self.cancel_pressed(),
            Event::CheckDue => vec![Effect::Send(self.next_check())],
            Event::Created(code) => {
                self.answered();
                self.code_created(code)
            }
            Event::Checked(code) | Event::CancelAnswered(code) => {
                self.answered();
                self.remember_code(&code);
                self.status_seen(code)
            }
            Event::CreateFailed(error) => self.create_failed(error, now),
            Event::CheckFailed(error) => self.check_failed(error, now),
            Event::CancelFailed(error) => self.cancel_failed(error, now),
        }
    }

    /// What the cashier should read under the amount.
    pub fn status_line(&self) -> String {
        let lost = matches!(self.reachability, Reachability::Lost { .. });
        match self.record.phase {
            Phase::CreatingCode if lost => "Connection lost, still trying to get a code".into(),
            Phase::CreatingCode => "Getting a payment code".into(),
            Phase::AwaitingPayment if lost => "Connection lost, still checking".into(),
            Phase::AwaitingPayment => "Waiting for payment".into(),
            Phase::PaymentInProgress if lost => {
                "Payment in progress; connection lost, still checking".into()
            }
            Phase::PaymentInProgress if self.record.cancel_requested => {
                "Payment in progress: the cancel waits for its outcome".into()
            }
            Phase::PaymentInProgress => "Payment in progress".into(),
            Phase::Cancelling if lost => "Cancelling; connection lost, still trying".into(),
            Phase::Cancelling => "Cancelling".into(),
            Phase::Paid if self.record.cancel_requested => {
                "PAID: the customer paid before the cancel took effect".into()
            }
            Phase::Paid => "PAID".into(),
            Phase::Expired => "The code expired before it was paid".into(),
            Phase::Cancelled => "Cancelled: nothing was paid".into(),
            Phase::Failed => format!(
                "Failed: {}",
                self.record.failure.as_deref().unwrap_or("no reason given")
            ),
        }
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
                vec![Effect::Send(Request::Cancel)]
            }
            Phase::PaymentInProgress => {
                self.notice =
                    Some("The customer is already paying: waiting for the outcome".into());
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    fn next_check(&self) -> Request {
        if self.record.code.is_some() {
            Request::Get
        } else {
            Request::Create
        }
    }

    fn code_created(&mut self, code: PaymentCode) -> Vec<Effect> {
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
            return vec![Effect::Send(Request::Cancel)];
        }
        self.remember_code(&code);
        self.status_seen(code)
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

    fn status_seen(&mut self, code: PaymentCode) -> Vec<Effect> {
        let poll = Effect::CheckAfter(self.timing.poll_interval);
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
                vec![Effect::Send(Request::Cancel)]
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
                self.record.phase = if self.record.failure.is_some() {
                    Phase::Failed
                } else {
                    Phase::Cancelled
                };
                Vec::new()
            }
            // A status this terminal does not know is never taken as paid: keep checking.
            CodeStatus::Unknown => vec![poll],
        }
    }

    fn create_failed(&mut self, error: MonimeError, now: DateTime<Utc>) -> Vec<Effect> {
        if error.is_retryable() {
            return vec![self.unreachable(&error, now)];
        }
        self.answered();
        // Monime refused the create: no code exists for this key, so there is nothing to switch
        // off, whether or not the cashier pressed cancel.
        if self.record.cancel_requested {
            self.record.phase = Phase::Cancelled;
        } else {
            self.record.phase = Phase::Failed;
            self.record.failure = Some(error.to_string());
        }
        Vec::new()
    }

    fn check_failed(&mut self, error: MonimeError, now: DateTime<Utc>) -> Vec<Effect> {
        if let MonimeError::NotFound { .. } = error {
            let id = self
                .record
                .code
                .as_ref()
                .map(|code| code.id.as_str())
                .unwrap_or("?");
            self.record.phase = Phase::Failed;
            self.record.failure = Some(format!("Monime no longer knows the code {id}"));
            return Vec::new();
        }
        // Any other error (the network, Monime's servers, even a revoked token) leaves a code
        // that may yet be paid: keep checking until Monime answers.
        vec![self.unreachable(&error, now)]
    }

    fn cancel_failed(&mut self, error: MonimeError, now: DateTime<Utc>) -> Vec<Effect> {
        // Not re-sent blindly: the next check reads the code, and a code still pending is
        // switched off again from there.
        vec![self.unreachable(&error, now)]
    }

    fn unreachable(&mut self, error: &MonimeError, now: DateTime<Utc>) -> Effect {
        self.failures_in_a_row += 1;
        if let Reachability::Answering = self.reachability {
            self.reachability = Reachability::Lost {
                since: now,
                message: error.to_string(),
            };
        } else if let Reachability::Lost { message, .. } = &mut self.reachability {
            *message = error.to_string();
        }
        let exponent = (self.failures_in_a_row - 1).min(10);
        let mut wait = self
            .timing
            .poll_interval
            .saturating_mul(1 << exponent)
            .min(MAX_BACKOFF);
        if let MonimeError::RateLimited { retry_after, .. } = error {
            wait = wait.max(*retry_after);
        }
        Effect::CheckAfter(wait)
    }

    fn answered(&mut self) {
        self.failures_in_a_row = 0;
        self.reachability = Reachability::Answering;
    }
}

#[cfg(test)]
mod tests;
