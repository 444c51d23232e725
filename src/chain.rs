//! The chain's day, read from Monime: every payment code (and payout) of the space created on
//! one local day, totalled per terminal and per cashier from the metadata each terminal puts on
//! what it makes, with the codes no terminal claims listed apart. Monime is the ledger all the
//! chain's terminals share, so any terminal of the space, or a laptop with the space's token,
//! can make it; it only reads.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

use crate::clock::day_bounds;
use crate::money::Money;
use crate::monime::{CodeStatus, MonimeClient, MonimeError, PaymentCode, Payout, PayoutStatus};
use crate::report::add_to_totals;
use crate::sale::{CASHIER_METADATA, TERMINAL_METADATA};

/// What one terminal, or one cashier, did in the day.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    /// Codes made.
    pub codes: usize,
    /// Codes Monime completed.
    pub paid: usize,
    /// What they came to, one amount a currency.
    pub paid_totals: Vec<Money>,
    /// Payouts (refunds) Monime completed, and what they came to.
    pub refunds: usize,
    pub refunded_totals: Vec<Money>,
}

impl Totals {
    /// Paid less refunded, one amount a currency.
    pub fn net(&self) -> Vec<Money> {
        let mut net = self.paid_totals.clone();
        for refunded in &self.refunded_totals {
            add_to_totals(&mut net, Money::new(refunded.currency, -refunded.minor));
        }
        net
    }

    /// Counts `code` in: made, and paid if Monime completed it.
    pub fn add_code(&mut self, code: &PaymentCode) {
        self.codes += 1;
        if code.status == CodeStatus::Completed {
            self.paid += 1;
            if let Some(amount) = code.paid_amount() {
                add_to_totals(&mut self.paid_totals, amount);
            }
        }
    }

    fn add_refund(&mut self, amount: Money) {
        self.refunds += 1;
        add_to_totals(&mut self.refunded_totals, amount);
    }
}

/// The chain's day.
#[derive(Debug, Clone, PartialEq)]
pub struct ChainDay {
    pub date: NaiveDate,
    /// By terminal id, in its order.
    pub terminals: BTreeMap<String, Totals>,
    /// By cashier name across terminals; sales made with nobody signed in are not here.
    pub cashiers: BTreeMap<String, Totals>,
    /// The whole space: every code and completed payout, claimed or not.
    pub space: Totals,
    /// Codes no terminal's name is on (made in the dashboard, by another program, or by a
    /// terminal of an older version), newest first.
    pub unclaimed: Vec<PaymentCode>,
    /// Why the day's payouts were not read, when they were not: the refunds are then not in
    /// the totals.
    pub payouts_unread: Option<String>,
}

fn metadata_text<'a>(metadata: Option<&'a serde_json::Value>, key: &str) -> Option<&'a str> {
    metadata?
        .get(key)?
        .as_str()
        .filter(|text| !text.trim().is_empty())
}

/// Totals `codes` and the completed ones of `payouts` (both of the day) by terminal and by
/// cashier.
pub fn tally(
    date: NaiveDate,
    codes: &[PaymentCode],
    payouts: Result<&[Payout], String>,
) -> ChainDay {
    let mut day = ChainDay {
        date,
        terminals: BTreeMap::new(),
        cashiers: BTreeMap::new(),
        space: Totals::default(),
        unclaimed: Vec::new(),
        payouts_unread: payouts.as_ref().err().cloned(),
    };
    for code in codes {
        day.space.add_code(code);
        let metadata = code.metadata.as_ref();
        match metadata_text(metadata, TERMINAL_METADATA) {
            Some(terminal) => day
                .terminals
                .entry(terminal.to_string())
                .or_default()
                .add_code(code),
            None => day.unclaimed.push(code.clone()),
        }
        if let Some(cashier) = metadata_text(metadata, CASHIER_METADATA) {
            day.cashiers
                .entry(cashier.to_string())
                .or_default()
                .add_code(code);
        }
    }
    let completed = payouts
        .unwrap_or_default()
        .iter()
        .filter(|payout| payout.status == PayoutStatus::Completed);
    for payout in completed {
        let Some(amount) = payout.amount else {
            continue;
        };
        day.space.add_refund(amount);
        let metadata = payout.metadata.as_ref();
        if let Some(terminal) = metadata_text(metadata, TERMINAL_METADATA) {
            day.terminals
                .entry(terminal.to_string())
                .or_default()
                .add_refund(amount);
        }
        if let Some(cashier) = metadata_text(metadata, CASHIER_METADATA) {
            day.cashiers
                .entry(cashier.to_string())
                .or_default()
                .add_refund(amount);
        }
    }
    day
}

/// Reads local day `date` (in `zone`) from Monime and totals it. The codes must be read; the
/// payouts are read where the key may (a key without payouts, or the older API, leaves the
/// refunds out and says so).
pub async fn read(
    client: &MonimeClient,
    date: NaiveDate,
    zone: FixedOffset,
) -> Result<ChainDay, MonimeError> {
    let (from, until) = day_bounds(date, zone);
    let of_the_day = |created: Option<DateTime<Utc>>| created.is_none_or(|at| at < until);
    let codes: Vec<PaymentCode> = client
        .list_created_since(from)
        .await?
        .into_iter()
        .filter(|code| of_the_day(code.create_time))
        .collect();
    let payouts = match client.list_payouts_created_since(from).await {
        Ok(payouts) => Ok(payouts
            .into_iter()
            .filter(|payout| of_the_day(payout.create_time))
            .collect::<Vec<_>>()),
        Err(error) => Err(error.to_string()),
    };
    Ok(tally(
        date,
        &codes,
        payouts.as_deref().map_err(Clone::clone),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;
    use serde_json::json;

    fn code(id: &str, status: CodeStatus, minor: i64, metadata: serde_json::Value) -> PaymentCode {
        PaymentCode {
            metadata: Some(metadata),
            ..PaymentCode::for_test(id, status, Money::new(Currency::Sle, minor))
        }
    }

    #[test]
    fn codes_and_refunds_are_totalled_by_terminal_and_cashier_and_the_unclaimed_kept_apart() {
        let codes = [
            code(
                "pmc-1",
                CodeStatus::Completed,
                1000,
                json!({"terminal": "T1", "cashier": "Aminata"}),
            ),
            code(
                "pmc-2",
                CodeStatus::Expired,
                500,
                json!({"terminal": "T1", "cashier": "Aminata"}),
            ),
            code(
                "pmc-3",
                CodeStatus::Completed,
                700,
                json!({"terminal": "T2"}),
            ),
            code(
                "pmc-4",
                CodeStatus::Completed,
                900,
                json!({"order": "dashboard"}),
            ),
            code(
                "pmc-5",
                CodeStatus::Completed,
                300,
                json!({"terminal": "  "}),
            ),
        ];
        let refund = Payout::for_test(
            "pyt-1",
            PayoutStatus::Completed,
            Money::new(Currency::Sle, 250),
            Some(json!({"terminal": "T1", "cashier": "Aminata"})),
        );
        let day = tally(
            NaiveDate::from_ymd_opt(2026, 12, 6).expect("date"),
            &codes,
            Ok(std::slice::from_ref(&refund)),
        );
        let sle = |minor| vec![Money::new(Currency::Sle, minor)];
        let t1 = &day.terminals["T1"];
        assert_eq!((t1.codes, t1.paid, t1.refunds), (2, 1, 1));
        assert_eq!(t1.paid_totals, sle(1000));
        assert_eq!(t1.net(), sle(750));
        assert_eq!(day.terminals["T2"].paid_totals, sle(700));
        assert_eq!(day.cashiers["Aminata"].net(), sle(750));
        assert_eq!(day.cashiers.len(), 1);
        let unclaimed: Vec<&str> = day.unclaimed.iter().map(|code| code.id.as_str()).collect();
        assert_eq!(unclaimed, ["pmc-4", "pmc-5"]);
        assert_eq!(day.space.paid_totals, sle(2900));
        assert_eq!(day.space.net(), sle(2650));
        assert!(day.payouts_unread.is_none());

        let unread = tally(day.date, &codes, Err("payouts are not allowed".into()));
        assert_eq!(
            unread.payouts_unread.as_deref(),
            Some("payouts are not allowed")
        );
        assert_eq!(unread.space.refunds, 0);
    }
}
