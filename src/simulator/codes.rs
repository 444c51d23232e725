//! The payment codes of the simulated space and their life: a code is made pending, is paid
//! (`processing`, then `completed` with a payment record), or expires, or is cancelled, as time
//! passes. The time is always handed in, so every rule runs without a clock.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;
use serde::Serialize;
use serde_json::Value;

use super::ids::random_text;
use super::options::SimulatorOptions;
use super::payments::{Payer, SimPayment};
use crate::money::{Currency, Money};
use crate::monime::CodeStatus;

/// A code as the simulator holds it.
#[derive(Debug, Clone, Serialize)]
pub struct SimCode {
    pub id: String,
    pub name: String,
    pub status: CodeStatus,
    pub enabled: bool,
    pub currency: Currency,
    pub amount_minor: i64,
    pub ussd_code: String,
    pub reference: Option<String>,
    pub metadata: Value,
    pub authorized_providers: Vec<String>,
    pub authorized_phone_number: Option<String>,
    pub customer_name: Option<String>,
    pub financial_account_id: Option<String>,
    pub idempotency_key: String,
    pub create_time: DateTime<Utc>,
    pub update_time: DateTime<Utc>,
    pub expire_time: DateTime<Utc>,
    /// When a payment starts (from auto-pay); `None` until someone pays.
    payment_starts: Option<DateTime<Utc>>,
    /// When a payment in progress completes; `None` while it is held open.
    payment_completes: Option<DateTime<Utc>>,
    /// Who pays the code, when someone does.
    pub payer: Payer,
    /// What Monime keeps of the payment.
    payment_fee_minor: i64,
    /// `processedPaymentData`, once paid.
    pub payment: Option<Value>,
    /// The payment that settled the code, once paid (listed at `/v1/payments`).
    pub settled: Option<SimPayment>,
    /// The settled payment's money is in the space's balance.
    credited: bool,
}

/// What a create asks for, read from the body in either API version's shape.
#[derive(Debug)]
pub(super) struct NewCode {
    pub(super) name: String,
    pub(super) currency: Currency,
    pub(super) amount_minor: i64,
    pub(super) lifetime: Duration,
    pub(super) reference: Option<String>,
    pub(super) metadata: Value,
    pub(super) authorized_providers: Vec<String>,
    pub(super) authorized_phone_number: Option<String>,
    pub(super) customer_name: Option<String>,
    pub(super) financial_account_id: Option<String>,
}

/// The space's codes, oldest first, the next USSD number to give out, and how many payments
/// have settled codes (which orders payments settled at the same instant).
#[derive(Debug)]
pub(super) struct Codes {
    codes: Vec<SimCode>,
    next_ussd: u64,
    payments_made: u64,
}

impl Codes {
    pub(super) fn new() -> Codes {
        Codes {
            codes: Vec::new(),
            next_ussd: 1_000_000_000 + rand::rng().random_range(0..8_000_000_000),
            payments_made: 0,
        }
    }

    /// Every code, as it stands at `now`.
    pub(super) fn all(&mut self, now: DateTime<Utc>) -> &[SimCode] {
        let made = &mut self.payments_made;
        self.codes
            .iter_mut()
            .for_each(|code| advance(code, now, made));
        &self.codes
    }

    /// Every payment that settled a code by `now`, newest first.
    pub(super) fn payments(&mut self, now: DateTime<Utc>) -> Vec<SimPayment> {
        let mut payments: Vec<SimPayment> = self
            .all(now)
            .iter()
            .filter_map(|code| code.settled.clone())
            .collect();
        payments.sort_by_key(|payment| std::cmp::Reverse((payment.create_time, payment.sequence)));
        payments
    }

    /// What the payments settled since the last call bring the space: each one's amount less
    /// Monime's fee.
    pub(super) fn take_new_takings(&mut self, now: DateTime<Utc>) -> Vec<Money> {
        self.all(now);
        self.codes
            .iter_mut()
            .filter(|code| !code.credited)
            .filter_map(|code| {
                let payment = code.settled.as_ref()?;
                let net = payment.amount_minor - payment.fee_minor;
                code.credited = true;
                Some(Money::new(payment.currency, net))
            })
            .collect()
    }

    pub(super) fn find_mut(
        &mut self,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<&mut SimCode, String> {
        let code = self
            .codes
            .iter_mut()
            .find(|code| code.id == id)
            .ok_or_else(|| format!("no code {id}"))?;
        advance(code, now, &mut self.payments_made);
        Ok(code)
    }

    /// A new pending code for `order`, made under the idempotency key `key`; it is kept once
    /// `push`ed. With auto-pay on, its payment is already scheduled.
    pub(super) fn open(
        &mut self,
        order: NewCode,
        key: &str,
        options: &SimulatorOptions,
        now: DateTime<Utc>,
    ) -> SimCode {
        self.next_ussd += 1;
        let payment_starts = options.auto_pay_after.map(|wait| now + wait);
        let payer = Payer::for_code(
            &order.authorized_providers,
            order.authorized_phone_number.as_deref(),
        );
        SimCode {
            id: format!("pmc-{}", random_text(24)),
            name: order.name,
            status: CodeStatus::Pending,
            enabled: true,
            currency: order.currency,
            amount_minor: order.amount_minor,
            ussd_code: format!("*715*1*{:010}#", self.next_ussd % 10_000_000_000),
            reference: order.reference,
            metadata: order.metadata,
            authorized_providers: order.authorized_providers,
            authorized_phone_number: order.authorized_phone_number,
            customer_name: order.customer_name,
            financial_account_id: order.financial_account_id,
            idempotency_key: key.to_string(),
            create_time: now,
            update_time: now,
            expire_time: now + order.lifetime,
            payment_starts,
            payment_completes: payment_starts.map(|start| start + options.processing_time),
            payer,
            payment_fee_minor: options.payment_fee.on(order.amount_minor),
            payment: None,
            settled: None,
            credited: false,
        }
    }

    pub(super) fn push(&mut self, code: SimCode) {
        self.codes.push(code);
    }

    pub(super) fn remove(&mut self, id: &str) {
        self.codes.retain(|code| code.id != id);
    }

    /// `SimState::pay`: a pending, enabled code starts being paid, by `payer` when given.
    pub(super) fn pay(
        &mut self,
        id: &str,
        processing_for: Option<Duration>,
        payer: Option<Payer>,
        now: DateTime<Utc>,
    ) -> Result<CodeStatus, String> {
        self.find_mut(id, now)?;
        let Codes {
            codes,
            payments_made,
            ..
        } = self;
        let Some(code) = codes.iter_mut().find(|code| code.id == id) else {
            return Err(format!("no code {id}"));
        };
        if code.status != CodeStatus::Pending || !code.enabled {
            return Err(format!("{id} is {} and cannot be paid", code.status));
        }
        code.status = CodeStatus::Processing;
        code.update_time = now;
        code.payment_starts = Some(now);
        code.payment_completes = processing_for.map(|wait| now + wait);
        if let Some(payer) = payer {
            code.payer = payer;
        }
        advance(code, now, payments_made);
        Ok(code.status)
    }

    /// `SimState::finish_payment`: a code being paid completes now.
    pub(super) fn finish_payment(&mut self, id: &str, now: DateTime<Utc>) -> Result<(), String> {
        self.find_mut(id, now)?;
        let Codes {
            codes,
            payments_made,
            ..
        } = self;
        let Some(code) = codes.iter_mut().find(|code| code.id == id) else {
            return Err(format!("no code {id}"));
        };
        if code.status != CodeStatus::Processing {
            return Err(format!("{id} is {}, not processing", code.status));
        }
        code.payment_completes = Some(now);
        advance(code, now, payments_made);
        Ok(())
    }
}

impl SimCode {
    /// Disables the code: an unused one is cancelled, but a payment already under way is not
    /// stopped: it completes, as Monime's does.
    pub(super) fn switch_off(&mut self, now: DateTime<Utc>) {
        self.enabled = false;
        if self.status == CodeStatus::Pending {
            self.status = CodeStatus::Cancelled;
            self.payment_starts = None;
            self.payment_completes = None;
        }
        self.update_time = now;
    }
}

/// Moves a code along its life as time passes: payment start, completion (which makes the
/// payment, the `payments_made`th), expiry.
fn advance(code: &mut SimCode, now: DateTime<Utc>, payments_made: &mut u64) {
    if code.status == CodeStatus::Pending {
        match code.payment_starts {
            Some(start) if start <= now && start < code.expire_time && code.enabled => {
                code.status = CodeStatus::Processing;
                code.update_time = start;
            }
            _ if now >= code.expire_time => {
                code.status = CodeStatus::Expired;
                code.update_time = code.expire_time;
            }
            _ => {}
        }
    }
    if code.status == CodeStatus::Processing && code.payment_completes.is_some_and(|at| at <= now) {
        let at = code.payment_completes.unwrap_or(now);
        code.status = CodeStatus::Completed;
        code.update_time = at;
        *payments_made += 1;
        let payment = settling_payment(code, code.payment_fee_minor, *payments_made, at);
        code.payment = Some(payment.processed_payment_data());
        code.settled = Some(payment);
    }
}

/// The payment that settles `code` at `at`, the `sequence`th of the space.
fn settling_payment(
    code: &SimCode,
    fee_minor: i64,
    sequence: u64,
    at: DateTime<Utc>,
) -> SimPayment {
    let mut rng = rand::rng();
    SimPayment {
        id: format!("pay-{}", random_text(20)),
        code_id: code.id.clone(),
        currency: code.currency,
        amount_minor: code.amount_minor,
        fee_minor,
        provider_id: code.payer.provider_id.clone(),
        phone_number: code.payer.phone_number.clone(),
        reference: format!(
            "MP{}.{}.{}{:05}",
            at.format("%y%m%d"),
            at.format("%H%M"),
            char::from(b'A' + rng.random_range(0..26)),
            rng.random_range(0..100_000)
        ),
        order_id: format!("ord-{}", random_text(16)),
        order_number: format!("{}", rng.random_range(100_000..999_999)),
        financial_account_id: code.financial_account_id.clone(),
        financial_transaction_reference: random_text(12),
        create_time: at,
        sequence,
    }
}
