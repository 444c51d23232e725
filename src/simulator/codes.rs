//! The payment codes of the simulated space and their life: a code is made pending, is paid
//! (`processing`, then `completed` with a payment record), or expires, or is cancelled, as time
//! passes. The time is always handed in, so every rule runs without a clock.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;
use rand::distr::Alphanumeric;
use serde::Serialize;
use serde_json::{Value, json};

use super::options::SimulatorOptions;
use crate::money::Currency;
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
    pub payment: Option<Value>,
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

/// The space's codes, oldest first, and the next USSD number to give out.
#[derive(Debug)]
pub(super) struct Codes {
    codes: Vec<SimCode>,
    next_ussd: u64,
}

impl Codes {
    pub(super) fn new() -> Codes {
        Codes {
            codes: Vec::new(),
            next_ussd: 1_000_000_000 + rand::rng().random_range(0..8_000_000_000),
        }
    }

    /// Every code, as it stands at `now`.
    pub(super) fn all(&mut self, now: DateTime<Utc>) -> &[SimCode] {
        self.codes.iter_mut().for_each(|code| advance(code, now));
        &self.codes
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
        advance(code, now);
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
            payment: None,
        }
    }

    pub(super) fn push(&mut self, code: SimCode) {
        self.codes.push(code);
    }

    pub(super) fn remove(&mut self, id: &str) {
        self.codes.retain(|code| code.id != id);
    }

    /// `SimState::pay`: a pending, enabled code starts being paid.
    pub(super) fn pay(
        &mut self,
        id: &str,
        processing_for: Option<Duration>,
        now: DateTime<Utc>,
    ) -> Result<CodeStatus, String> {
        let code = self.find_mut(id, now)?;
        if code.status != CodeStatus::Pending || !code.enabled {
            return Err(format!("{id} is {} and cannot be paid", code.status));
        }
        code.status = CodeStatus::Processing;
        code.update_time = now;
        code.payment_starts = Some(now);
        code.payment_completes = processing_for.map(|wait| now + wait);
        advance(code, now);
        Ok(code.status)
    }

    /// `SimState::finish_payment`: a code being paid completes now.
    pub(super) fn finish_payment(&mut self, id: &str, now: DateTime<Utc>) -> Result<(), String> {
        let code = self.find_mut(id, now)?;
        if code.status != CodeStatus::Processing {
            return Err(format!("{id} is {}, not processing", code.status));
        }
        code.payment_completes = Some(now);
        advance(code, now);
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

/// Moves a code along its life as time passes: payment start, completion, expiry.
fn advance(code: &mut SimCode, now: DateTime<Utc>) {
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
        code.payment = Some(json!({
            "amount": {"currency": code.currency.code(), "value": code.amount_minor},
            "orderId": format!("ord-{}", random_text(16)),
            "orderNumber": format!("{}", rand::rng().random_range(100_000..999_999)),
            "paymentId": format!("pay-{}", random_text(16)),
            "channelData": {"providerId": "m17", "accountId": "+23276000000", "reference": random_text(10)},
            "financialTransactionReference": random_text(12),
            "metadata": {}
        }));
    }
}

fn random_text(length: usize) -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(length)
        .map(char::from)
        .collect()
}
