//! The payouts of the simulated space and their life, as time passes:
//!
//! - `pending` for `payout_pending_time`; then Monime takes the payout up: the space's account
//!   must hold the amount and the fee on top (`payout_fee`), else the payout fails
//!   `fund_insufficient`; otherwise both are debited and it is `processing`;
//! - `processing` for `payout_processing_time` (or until a test says); then the provider answers:
//!   a number it does not know fails `provider_account_missing`, a blocked one
//!   `provider_account_blocked`, a failure a test scripted fails with its code; a failed payout's
//!   money goes back to the account. Otherwise it is `completed`, with the provider's reference.
//!
//! A test may also hold a payout `delayed` (the 2024-08-01 status; caph shows it processing),
//! and complete or fail one at once. The time is always handed in, as for codes.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rand::Rng;
use serde::Serialize;
use serde_json::Value;

use super::accounts::Accounts;
use super::ids::random_text;
use super::options::SimulatorOptions;
use crate::money::{Currency, Money};
use crate::monime::{PayoutFailureCode, PayoutStatus};

/// The space's main financial account, where payments land and payouts come from.
pub const MAIN_ACCOUNT_ID: &str = "fac-simmain0001";

/// A payout as the simulator holds it.
#[derive(Debug, Clone, Serialize)]
pub struct SimPayout {
    pub id: String,
    pub status: PayoutStatus,
    pub currency: Currency,
    pub amount_minor: i64,
    pub provider_id: String,
    /// As the request gave it.
    pub phone_number: String,
    pub source_account: String,
    /// Monime's reference for the debit, once taken up.
    pub source_transaction_reference: Option<String>,
    /// The provider's reference for the credit, once completed.
    pub destination_transaction_reference: Option<String>,
    /// Charged on top of the amount; shown once taken up, none if it failed for want of funds.
    pub fee_minor: i64,
    pub failure: Option<SimFailure>,
    pub delayed_reason: Option<String>,
    pub metadata: Value,
    pub idempotency_key: String,
    pub create_time: DateTime<Utc>,
    pub update_time: DateTime<Utc>,
    /// When Monime takes it up; `None` once it has.
    takes_up_at: Option<DateTime<Utc>>,
    /// When the provider answers; `None` while held.
    answers_at: Option<DateTime<Utc>>,
    /// A failure a test scripted, given when the provider answers.
    #[serde(skip)]
    scripted_failure: Option<PayoutFailureCode>,
    /// What the account gave for it, given back if it fails.
    debited_minor: i64,
}

/// Why a payout failed: Monime's code (caph spelling) and words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SimFailure {
    pub code: String,
    pub message: String,
}

/// What a create asks for, read from the body in either API version's shape.
#[derive(Debug)]
pub(super) struct NewSimPayout {
    pub(super) currency: Currency,
    pub(super) amount_minor: i64,
    pub(super) provider_id: String,
    pub(super) phone_number: String,
    pub(super) source_account: Option<String>,
    pub(super) metadata: Value,
}

/// The space's payouts (oldest first), its balances, and a failure scripted for the next one.
#[derive(Debug)]
pub(super) struct Payouts {
    payouts: Vec<SimPayout>,
    balances: HashMap<Currency, i64>,
    fail_next: Option<PayoutFailureCode>,
}

impl Payouts {
    pub(super) fn new(opening_balance: Money) -> Payouts {
        Payouts {
            payouts: Vec::new(),
            balances: HashMap::from([(opening_balance.currency, opening_balance.minor)]),
            fail_next: None,
        }
    }

    pub(super) fn balance(&self, currency: Currency) -> i64 {
        self.balances.get(&currency).copied().unwrap_or(0)
    }

    pub(super) fn set_balance(&mut self, balance: Money) {
        self.balances.insert(balance.currency, balance.minor);
    }

    /// Money comes into the account (a payment, less its fee).
    pub(super) fn credit(&mut self, money: Money) {
        let balance = self.balances.entry(money.currency).or_insert(0);
        *balance = balance.saturating_add(money.minor);
    }

    /// The next payout made fails with `code` when its provider answers.
    pub(super) fn fail_next(&mut self, code: PayoutFailureCode) {
        self.fail_next = Some(code);
    }

    /// Every payout, as it stands at `now`.
    pub(super) fn all(&mut self, now: DateTime<Utc>, accounts: &Accounts) -> &[SimPayout] {
        for index in 0..self.payouts.len() {
            self.advance(index, now, accounts);
        }
        &self.payouts
    }

    pub(super) fn find(
        &mut self,
        id: &str,
        now: DateTime<Utc>,
        accounts: &Accounts,
    ) -> Option<&SimPayout> {
        let index = self.index_of(id)?;
        self.advance(index, now, accounts);
        self.payouts.get(index)
    }

    /// A new pending payout for `order`, made under the idempotency key `key`.
    pub(super) fn open(
        &mut self,
        order: NewSimPayout,
        key: &str,
        options: &SimulatorOptions,
        now: DateTime<Utc>,
    ) -> &SimPayout {
        let takes_up_at = now + options.payout_pending_time;
        let payout = SimPayout {
            id: format!("pyt-{}", random_text(24)),
            status: PayoutStatus::Pending,
            currency: order.currency,
            amount_minor: order.amount_minor,
            provider_id: order.provider_id,
            phone_number: order.phone_number,
            source_account: order
                .source_account
                .unwrap_or_else(|| MAIN_ACCOUNT_ID.to_string()),
            source_transaction_reference: None,
            destination_transaction_reference: None,
            fee_minor: options.payout_fee.on(order.amount_minor),
            failure: None,
            delayed_reason: None,
            metadata: order.metadata,
            idempotency_key: key.to_string(),
            create_time: now,
            update_time: now,
            takes_up_at: Some(takes_up_at),
            answers_at: options
                .payout_processing_time
                .map(|takes| takes_up_at + takes),
            scripted_failure: self.fail_next.take(),
            debited_minor: 0,
        };
        self.payouts.push(payout);
        let last = self.payouts.len() - 1;
        &self.payouts[last]
    }

    /// `DELETE`: only a payout Monime has not taken up yet goes.
    pub(super) fn delete(
        &mut self,
        id: &str,
        now: DateTime<Utc>,
        accounts: &Accounts,
    ) -> Result<(), DeleteRefused> {
        let index = self.index_of(id).ok_or(DeleteRefused::NotFound)?;
        self.advance(index, now, accounts);
        if self.payouts[index].status != PayoutStatus::Pending {
            return Err(DeleteRefused::Started);
        }
        self.payouts.remove(index);
        Ok(())
    }

    /// The provider answers now: the payout completes, or fails as it would have.
    pub(super) fn complete_now(
        &mut self,
        id: &str,
        now: DateTime<Utc>,
        accounts: &Accounts,
    ) -> Result<(), String> {
        let index = self.index_of(id).ok_or_else(|| format!("no payout {id}"))?;
        self.advance(index, now, accounts);
        let payout = &mut self.payouts[index];
        if payout.status.is_final() {
            return Err(format!("{id} is {} already", payout.status));
        }
        if payout.status == PayoutStatus::Pending {
            payout.takes_up_at = Some(now);
        }
        self.payouts[index].answers_at = Some(now);
        self.advance(index, now, accounts);
        Ok(())
    }

    /// The payout fails now with `code`; what the account gave for it goes back.
    pub(super) fn fail_now(
        &mut self,
        id: &str,
        code: PayoutFailureCode,
        now: DateTime<Utc>,
        accounts: &Accounts,
    ) -> Result<(), String> {
        let index = self.index_of(id).ok_or_else(|| format!("no payout {id}"))?;
        self.advance(index, now, accounts);
        if self.payouts[index].status.is_final() {
            return Err(format!("{id} is {} already", self.payouts[index].status));
        }
        self.fail(index, code, now);
        Ok(())
    }

    /// The provider holds the payout up: `delayed`, until completed or failed by a test.
    pub(super) fn delay(
        &mut self,
        id: &str,
        reason: &str,
        now: DateTime<Utc>,
        accounts: &Accounts,
    ) -> Result<(), String> {
        let index = self.index_of(id).ok_or_else(|| format!("no payout {id}"))?;
        self.advance(index, now, accounts);
        let payout = &mut self.payouts[index];
        if payout.status != PayoutStatus::Processing {
            return Err(format!("{id} is {}, not processing", payout.status));
        }
        payout.status = PayoutStatus::Delayed;
        payout.delayed_reason = Some(reason.to_string());
        payout.answers_at = None;
        payout.update_time = now;
        Ok(())
    }

    fn index_of(&self, id: &str) -> Option<usize> {
        self.payouts.iter().position(|payout| payout.id == id)
    }

    /// Moves payout `index` along its life up to `now`.
    fn advance(&mut self, index: usize, now: DateTime<Utc>, accounts: &Accounts) {
        let Some(payout) = self.payouts.get(index) else {
            return;
        };
        if payout.status == PayoutStatus::Pending
            && let Some(at) = payout.takes_up_at.filter(|at| *at <= now)
        {
            self.take_up(index, at);
        }
        let payout = &self.payouts[index];
        if matches!(
            payout.status,
            PayoutStatus::Processing | PayoutStatus::Delayed
        ) && let Some(at) = payout.answers_at.filter(|at| *at <= now)
        {
            self.provider_answers(index, at, accounts);
        }
    }

    /// Monime takes the payout up at `at`: the account pays the amount and the fee, or the
    /// payout fails for want of funds.
    fn take_up(&mut self, index: usize, at: DateTime<Utc>) {
        let (currency, total) = {
            let payout = &self.payouts[index];
            (
                payout.currency,
                payout.amount_minor.saturating_add(payout.fee_minor),
            )
        };
        let payout = &mut self.payouts[index];
        payout.takes_up_at = None;
        if self.balances.get(&currency).copied().unwrap_or(0) < total {
            payout.fee_minor = 0;
            self.fail(index, PayoutFailureCode::FundInsufficient, at);
            return;
        }
        if let Some(balance) = self.balances.get_mut(&currency) {
            *balance -= total;
        }
        let payout = &mut self.payouts[index];
        payout.debited_minor = total;
        payout.status = PayoutStatus::Processing;
        payout.source_transaction_reference = Some(format!("ftx-{}", random_text(16)));
        payout.update_time = at;
    }

    /// The provider answers at `at`: a scripted failure, an unknown or blocked number fails
    /// the payout; otherwise the money arrives.
    fn provider_answers(&mut self, index: usize, at: DateTime<Utc>, accounts: &Accounts) {
        let payout = &self.payouts[index];
        let account = accounts.find(&payout.provider_id, &payout.phone_number);
        let failure = match (&payout.scripted_failure, account) {
            (Some(code), _) => Some(code.clone()),
            (None, None) => Some(PayoutFailureCode::ProviderAccountMissing),
            (None, Some(account)) if account.blocked => {
                Some(PayoutFailureCode::ProviderAccountBlocked)
            }
            (None, Some(_)) => None,
        };
        if let Some(code) = failure {
            self.fail(index, code, at);
            return;
        }
        let payout = &mut self.payouts[index];
        payout.status = PayoutStatus::Completed;
        payout.answers_at = None;
        payout.destination_transaction_reference = Some(format!(
            "CI{}.{}.{:06}",
            at.format("%y%m%d"),
            at.format("%H%M"),
            rand::rng().random_range(0..1_000_000)
        ));
        payout.update_time = at;
    }

    fn fail(&mut self, index: usize, code: PayoutFailureCode, at: DateTime<Utc>) {
        let payout = &mut self.payouts[index];
        let (currency, given_back) = (payout.currency, std::mem::take(&mut payout.debited_minor));
        payout.status = PayoutStatus::Failed;
        payout.takes_up_at = None;
        payout.answers_at = None;
        payout.failure = Some(SimFailure {
            message: failure_words(&code).into(),
            code: code.as_str().to_string(),
        });
        payout.update_time = at;
        if given_back > 0 {
            self.credit(Money::new(currency, given_back));
        }
    }
}

/// Why a delete was refused.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum DeleteRefused {
    NotFound,
    Started,
}

/// Monime's words for a failure, as its `message` might give them.
fn failure_words(code: &PayoutFailureCode) -> &'static str {
    match code {
        PayoutFailureCode::FundInsufficient => {
            "the source account does not hold the amount and its fees"
        }
        PayoutFailureCode::ProviderAccountMissing => "the provider has no account with this number",
        PayoutFailureCode::ProviderAccountBlocked => "the provider account is blocked",
        PayoutFailureCode::AuthorizationFailed => "the provider refused the authorization",
        PayoutFailureCode::ProviderAccountQuotaExhausted => {
            "the provider account has reached its limit"
        }
        PayoutFailureCode::ProviderUnknown => "the provider failed",
        PayoutFailureCode::Expired => "the payout was not processed in time",
        PayoutFailureCode::Unknown | PayoutFailureCode::Other(_) => "the payout failed",
    }
}
