//! What a sale is made of when it is more than one keyed amount: the shop's item keys
//! (`[[items]]`), the lines a cart of them becomes, the customer's tip and the tips offered.
//! The sale's amount stays the one figure sent to Monime; an `Order` says how it splits, for
//! the receipt, the export and the books. All in integer minor units.

use serde::{Deserialize, Serialize};

use crate::money::Money;

/// A key on the item page: a name and its price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub name: String,
    pub price_minor: i64,
}

/// So many of one item, at the price it had when the sale was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    pub name: String,
    pub unit_minor: i64,
    pub quantity: u32,
}

impl OrderLine {
    pub fn total_minor(&self) -> i64 {
        self.unit_minor.saturating_mul(i64::from(self.quantity))
    }

    /// "2 x Soap", or "Soap" for one.
    pub fn label(&self) -> String {
        match self.quantity {
            1 => self.name.clone(),
            quantity => format!("{quantity} x {}", self.name),
        }
    }
}

/// How a sale's amount splits: the items, and the tip on top. What is neither was keyed in.
/// A plain keyed sale has an empty order (and sales from before items and tips read as one).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Order {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<OrderLine>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub tip_minor: i64,
}

fn is_zero(value: &i64) -> bool {
    *value == 0
}

impl Order {
    pub fn is_plain(&self) -> bool {
        self.items.is_empty() && self.tip_minor == 0
    }

    pub fn items_minor(&self) -> i64 {
        self.items.iter().map(OrderLine::total_minor).sum()
    }

    /// The sale's amount before the tip.
    pub fn subtotal(&self, amount: Money) -> Money {
        Money::new(amount.currency, amount.minor - self.tip_minor)
    }

    /// The part of `amount` keyed in beside the items (zero when there are none).
    pub fn keyed(&self, amount: Money) -> Money {
        Money::new(
            amount.currency,
            amount.minor - self.tip_minor - self.items_minor(),
        )
    }

    pub fn tip(&self, amount: Money) -> Money {
        Money::new(amount.currency, self.tip_minor)
    }

    /// The items in one line, for the code's reference at Monime and the export:
    /// "2 x Soap, Rice". Cut to `max_chars` with an ellipsis.
    pub fn summary(&self, max_chars: usize) -> String {
        let full = self
            .items
            .iter()
            .map(OrderLine::label)
            .collect::<Vec<_>>()
            .join(", ");
        if full.chars().count() <= max_chars {
            return full;
        }
        let mut cut: String = full.chars().take(max_chars.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

#[cfg(test)]
impl Order {
    /// Two soaps at Le 12.50, a bag of rice at Le 40.00 and a tip of Le 7.00, for the tests of
    /// what reads an order.
    pub(crate) fn for_test() -> Order {
        let line = |name: &str, unit_minor, quantity| OrderLine {
            name: name.into(),
            unit_minor,
            quantity,
        };
        Order {
            items: vec![line("Soap", 1250, 2), line("Rice 1 kg", 4000, 1)],
            tip_minor: 700,
        }
    }
}

/// A tip the customer may choose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TipKind {
    Percent(u8),
    /// Up to the next multiple of the configured step.
    RoundUp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TipChoice {
    pub kind: TipKind,
    pub tip_minor: i64,
}

/// What the shop offers as tips (`[kiosk] tips`, `tip_round_up_to`). Empty: no tip step.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TipOffer {
    pub percents: Vec<u8>,
    /// Round the total up to a multiple of this many minor units.
    pub round_up_to_minor: Option<i64>,
}

impl TipOffer {
    pub fn is_off(&self) -> bool {
        self.percents.is_empty() && self.round_up_to_minor.is_none()
    }

    /// The tips on `subtotal_minor`, in the order configured, round-up last: a percentage
    /// rounded half up to the minor unit. Tips of nothing, tips that repeat another and tips
    /// that would take the total above `max_minor` are left out.
    pub fn choices(&self, subtotal_minor: i64, max_minor: i64) -> Vec<TipChoice> {
        let percent = self.percents.iter().map(|&percent| TipChoice {
            kind: TipKind::Percent(percent),
            tip_minor: ((i128::from(subtotal_minor) * i128::from(percent) + 50) / 100)
                .try_into()
                .unwrap_or(i64::MAX),
        });
        let round_up = self.round_up_to_minor.map(|step| TipChoice {
            kind: TipKind::RoundUp,
            tip_minor: (step - subtotal_minor.rem_euclid(step)) % step,
        });
        let mut choices: Vec<TipChoice> = Vec::new();
        for choice in percent.chain(round_up) {
            let fits = subtotal_minor
                .checked_add(choice.tip_minor)
                .is_some_and(|total| total <= max_minor);
            if choice.tip_minor > 0
                && fits
                && !choices.iter().any(|c| c.tip_minor == choice.tip_minor)
            {
                choices.push(choice);
            }
        }
        choices
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    fn line(name: &str, unit_minor: i64, quantity: u32) -> OrderLine {
        OrderLine {
            name: name.into(),
            unit_minor,
            quantity,
        }
    }

    #[test]
    fn an_order_splits_the_amount_into_items_keyed_and_tip() {
        let order = Order {
            items: vec![line("Soap", 1250, 2), line("Rice", 4000, 1)],
            tip_minor: 300,
        };
        let amount = Money::new(Currency::Sle, 6800 + 500 + 300);
        assert_eq!(order.items_minor(), 6500);
        assert_eq!(order.keyed(amount).minor, 800);
        assert_eq!(order.subtotal(amount).minor, 7300);
        assert_eq!(order.tip(amount).minor, 300);
        assert_eq!(order.summary(64), "2 x Soap, Rice");
        assert_eq!(order.summary(8), "2 x Soa…");
        assert!(Order::default().is_plain());
    }

    #[test]
    fn an_order_is_stored_small_and_read_back_whole() {
        assert_eq!(
            serde_json::to_string(&Order::default()).ok(),
            Some("{}".into())
        );
        let order = Order {
            items: vec![line("Pen", 500, 3)],
            tip_minor: 150,
        };
        let text = serde_json::to_string(&order).unwrap_or_default();
        assert_eq!(serde_json::from_str::<Order>(&text).ok(), Some(order));
    }

    #[test]
    fn tips_round_half_up_and_leave_out_what_adds_nothing() {
        let offer = TipOffer {
            percents: vec![5, 10, 15],
            round_up_to_minor: Some(500),
        };
        // 5 % of Le 12.30 is 61.5 cents: 62.
        let choices = offer.choices(1230, 1_000_000);
        let tips: Vec<(TipKind, i64)> = choices.iter().map(|c| (c.kind, c.tip_minor)).collect();
        assert_eq!(
            tips,
            [
                (TipKind::Percent(5), 62),
                (TipKind::Percent(10), 123),
                (TipKind::Percent(15), 185),
                (TipKind::RoundUp, 270),
            ]
        );
        // Already a multiple of Le 5: no round-up; and no tip above the terminal's limit.
        let choices = offer.choices(1000, 1100);
        assert_eq!(
            choices,
            [
                TipChoice {
                    kind: TipKind::Percent(5),
                    tip_minor: 50
                },
                TipChoice {
                    kind: TipKind::Percent(10),
                    tip_minor: 100
                },
            ]
        );
        // A tip equal to another is offered once.
        let same = TipOffer {
            percents: vec![10],
            round_up_to_minor: Some(1100),
        };
        assert_eq!(same.choices(1000, 1_000_000).len(), 1);
        assert!(TipOffer::default().is_off());
    }
}
