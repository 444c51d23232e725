//! The settings of one simulated Monime space: its port and key, how its customers pay, how its
//! payouts go, what Monime charges, its rate limits and its clock.

use std::time::Duration;

use chrono::TimeDelta;

use super::chaos::ChaosOptions;
use crate::money::{Currency, Money};

/// Settings of one simulated Monime space.
#[derive(Debug, Clone)]
pub struct SimulatorOptions {
    pub port: u16,
    pub access_token: String,
    pub space_id: String,
    /// When set, every new code starts being paid this long after it was created.
    pub auto_pay_after: Option<Duration>,
    /// How long a payment stays `processing` before it completes.
    pub processing_time: Duration,
    /// What Monime keeps of each payment (listed in the payment's `fees`).
    pub payment_fee: FeeRule,
    /// How long after a code is paid its payment appears in the list of payments (Monime's
    /// list may lag the code).
    pub payment_listed_after: Duration,
    /// How long a payout stays `pending` before Monime takes it up (and debits the account).
    pub payout_pending_time: Duration,
    /// How long a payout stays `processing` before the provider answers; `None`: until a test
    /// completes or fails it.
    pub payout_processing_time: Option<Duration>,
    /// What Monime charges on top of each payout (listed in the payout's `fees`).
    pub payout_fee: FeeRule,
    /// What the space's main account holds at the start; payments add to it (less their fees),
    /// payouts take from it (with theirs).
    pub opening_balance: Money,
    /// Requests per second allowed on each endpoint; Monime allows 5 in test mode.
    pub rate_limit_per_second: Option<u32>,
    /// Requests per second allowed across the space: every endpoint, every terminal.
    pub space_rate_limit_per_second: Option<u32>,
    /// How far the simulated Monime's clock is ahead of this machine's (behind when negative):
    /// its codes' times and the `Date` header of its answers follow it.
    pub clock_offset: TimeDelta,
    /// When set, a share of the requests is answered wrongly on purpose, each by a fault or a
    /// mutation drawn from the seed (`simulate --chaos-seed N --chaos-rate R`).
    pub chaos: Option<ChaosOptions>,
}

impl Default for SimulatorOptions {
    fn default() -> Self {
        SimulatorOptions {
            port: 0,
            access_token: super::DEMO_ACCESS_TOKEN.into(),
            space_id: super::DEMO_SPACE_ID.into(),
            auto_pay_after: None,
            processing_time: Duration::from_secs(2),
            payment_fee: FeeRule {
                flat_minor: 0,
                basis_points: 100,
            },
            payment_listed_after: Duration::ZERO,
            payout_pending_time: Duration::from_millis(500),
            payout_processing_time: Some(Duration::from_secs(2)),
            payout_fee: FeeRule {
                flat_minor: 50,
                basis_points: 0,
            },
            opening_balance: Money::new(Currency::Sle, 500_000),
            rate_limit_per_second: None,
            space_rate_limit_per_second: None,
            clock_offset: TimeDelta::zero(),
            chaos: None,
        }
    }
}

/// A fee of a flat part and a part of the amount, in minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FeeRule {
    pub flat_minor: i64,
    /// Hundredths of a percent of the amount: 100 is 1 %.
    pub basis_points: i64,
}

impl FeeRule {
    /// The fee on `amount_minor`, the proportional part rounded half up to a minor unit.
    pub fn on(&self, amount_minor: i64) -> i64 {
        let proportional = amount_minor
            .saturating_mul(self.basis_points)
            .saturating_add(5_000)
            / 10_000;
        self.flat_minor.saturating_add(proportional)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fees_round_half_up_to_the_minor_unit() {
        let percent = FeeRule {
            flat_minor: 0,
            basis_points: 100,
        };
        assert_eq!(percent.on(1250), 13, "12.5 rounds up");
        assert_eq!(percent.on(1249), 12);
        let both = FeeRule {
            flat_minor: 50,
            basis_points: 150,
        };
        assert_eq!(both.on(10_000), 200);
        assert_eq!(FeeRule::default().on(99_999), 0);
    }
}
