//! `[refunds]` (optional): whether this terminal sends money back to payers, and within what.
//! Off unless `enabled = true`. Turned on, it needs `daily_limit`: money leaving the shop's
//! Monime account without a ceiling is not what a shop owner expects, and the limit bounds
//! what a PIN that got around could cost in a day. `fee` is what the quote shows as Monime's
//! fee for a payout (Monime quotes none in advance); without it, the last refund's.

use serde::Deserialize;

use super::fields::AmountText;
use crate::refund::RefundPolicy;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRefunds {
    pub(super) enabled: Option<bool>,
    pub(super) daily_limit: Option<AmountText>,
    pub(super) fee: Option<AmountText>,
}

impl RawRefunds {
    pub(super) fn check(self) -> Result<RefundPolicy, String> {
        let enabled = self.enabled.unwrap_or(false);
        let daily_limit_minor = match self.daily_limit {
            Some(limit) => limit.minor_units("[refunds] daily_limit")?,
            None if enabled => {
                return Err("[refunds] daily_limit is missing: with refunds on, set the most this terminal may send back in a day, such as daily_limit = 500 (written as max_amount is)".into());
            }
            None => 0,
        };
        let fee_minor = self
            .fee
            .map(|fee| fee.minor_units_or_zero("[refunds] fee"))
            .transpose()?;
        Ok(RefundPolicy {
            enabled,
            daily_limit_minor,
            fee_minor,
        })
    }
}
