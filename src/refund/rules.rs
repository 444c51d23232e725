//! The rules on how much may go back, as pure arithmetic in minor units: never more than the
//! sale's payment in all (refunds done, under way and not known counting), never more in a day
//! than the terminal's limit. The journal applies them inside the write that records a refund,
//! so two refunds asked at once cannot both slip under a limit.

use crate::money::Money;

/// Where a sale and the terminal's day stand, as far as refunds go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefundStanding {
    /// What the customer paid for the sale (Monime's figure where it gave one).
    pub paid: Money,
    /// The sale's refunds that hold money: completed, under way or not known.
    pub refunded_minor: i64,
    /// All the terminal's refunds today that hold money, in the sale's currency.
    pub day_refunded_minor: i64,
}

impl RefundStanding {
    /// What may still go back to the sale's payer.
    pub fn left(&self) -> Money {
        Money::new(
            self.paid.currency,
            self.paid.minor.saturating_sub(self.refunded_minor).max(0),
        )
    }

    /// Whether `asked` may go back now, under `daily_limit_minor`; why not, as data.
    pub fn check(&self, asked: Money, daily_limit_minor: i64) -> Result<(), LimitRefusal> {
        let money = |minor: i64| Money::new(self.paid.currency, minor);
        if asked.currency != self.paid.currency {
            return Err(LimitRefusal::OtherCurrency {
                paid: self.paid,
                asked,
            });
        }
        if self.left().minor == 0 {
            return Err(LimitRefusal::NothingLeft {
                paid: self.paid,
                refunded: money(self.refunded_minor),
            });
        }
        if asked.minor <= 0 {
            return Err(LimitRefusal::NotAnAmount { asked });
        }
        if asked.minor > self.left().minor {
            return Err(LimitRefusal::MoreThanPaid {
                paid: self.paid,
                refunded: money(self.refunded_minor),
                asked,
            });
        }
        let day_after = self.day_refunded_minor.saturating_add(asked.minor);
        if day_after > daily_limit_minor {
            return Err(LimitRefusal::OverDailyLimit {
                limit: money(daily_limit_minor),
                used: money(self.day_refunded_minor),
                asked,
            });
        }
        Ok(())
    }
}

/// Why the amount may not go back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitRefusal {
    #[error("the sale was paid in {}, not {}", .paid.currency, .asked.currency)]
    OtherCurrency { paid: Money, asked: Money },
    #[error("{asked} is not an amount to send back")]
    NotAnAmount { asked: Money },
    #[error("all of the sale's {paid} has gone back, or is on its way ({refunded} refunded)")]
    NothingLeft { paid: Money, refunded: Money },
    #[error(
        "{asked} is more than is left of the sale: {paid} paid, {refunded} refunded or on its way"
    )]
    MoreThanPaid {
        paid: Money,
        refunded: Money,
        asked: Money,
    },
    #[error(
        "{asked} would pass this terminal's refund limit of {limit} a day ({used} sent back today; [refunds] daily_limit)"
    )]
    OverDailyLimit {
        limit: Money,
        used: Money,
        asked: Money,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    fn sle(minor: i64) -> Money {
        Money::new(Currency::Sle, minor)
    }

    fn standing(refunded: i64, today: i64) -> RefundStanding {
        RefundStanding {
            paid: sle(1000),
            refunded_minor: refunded,
            day_refunded_minor: today,
        }
    }

    #[test]
    fn the_refunds_of_a_sale_never_pass_what_was_paid() {
        assert_eq!(standing(0, 0).check(sle(1000), 5000), Ok(()));
        assert_eq!(standing(400, 400).check(sle(600), 5000), Ok(()));
        assert_eq!(standing(400, 400).left(), sle(600));
        assert!(matches!(
            standing(400, 400).check(sle(601), 5000),
            Err(LimitRefusal::MoreThanPaid { .. })
        ));
        for asked in [1, 0] {
            assert!(matches!(
                standing(1000, 1000).check(sle(asked), 5000),
                Err(LimitRefusal::NothingLeft { .. })
            ));
        }
        assert!(matches!(
            standing(0, 0).check(Money::new(Currency::Usd, 1), 5000),
            Err(LimitRefusal::OtherCurrency { .. })
        ));
        assert!(matches!(
            standing(0, 0).check(sle(0), 5000),
            Err(LimitRefusal::NotAnAmount { .. })
        ));
    }

    #[test]
    fn the_day_never_passes_its_limit() {
        assert_eq!(standing(0, 4000).check(sle(1000), 5000), Ok(()));
        let refused = standing(0, 4500).check(sle(501), 5000);
        assert_eq!(
            refused,
            Err(LimitRefusal::OverDailyLimit {
                limit: sle(5000),
                used: sle(4500),
                asked: sle(501)
            })
        );
        let words = refused.expect_err("refused").to_string();
        assert!(
            words.contains("Le 50.00 a day") && words.contains("daily_limit"),
            "{words}"
        );
    }
}
