//! Refunds in the reports: what went back to payers (only what Monime completed is money gone
//! back), Monime's fees on top of it, the takings net of it, the refunds the owner must look
//! up (under way, or not confirmed by Monime), and who made them. The day report, the shift
//! report (X) and the day close (Z) count the same way.

use super::add_to_totals;
use super::shift::{ADMIN, Group, ReportLine, group};
use crate::journal::StoredRefund;
use crate::lang::Language;
use crate::money::{CurrencyStyle, Money};
use crate::refund::RefundPhase;

/// The refunds of a report, counted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RefundTally {
    /// Refunds Monime completed: money that went back.
    pub completed: usize,
    /// What they came to, one amount per currency (as `DayReport::paid_totals`).
    pub totals: Vec<Money>,
    /// What Monime charged on top of the completed refunds that say (`fees_known` of them).
    pub fee_totals: Vec<Money>,
    pub fees_known: usize,
    /// Refunds still under way, or settled without Monime's word (check the dashboard):
    /// whether money went is not known yet.
    pub not_confirmed: usize,
    /// Refunds Monime failed or refused: no money went.
    pub not_sent: usize,
    /// Refunds brought back from Monime's payouts after the journal lost them.
    pub restored: usize,
    /// The completed refunds by who made them: a cashier's name, or `ADMIN`.
    pub by_refunder: Vec<Group>,
}

impl RefundTally {
    pub fn of(refunds: &[StoredRefund]) -> RefundTally {
        let completed: Vec<&StoredRefund> = refunds
            .iter()
            .filter(|refund| refund.record.phase == RefundPhase::Completed)
            .collect();
        let mut tally = RefundTally {
            completed: completed.len(),
            restored: refunds
                .iter()
                .filter(|refund| refund.books.restored)
                .count(),
            by_refunder: group(
                &completed,
                |refund| {
                    refund
                        .refunder
                        .cashier()
                        .map_or_else(|| ADMIN.to_string(), str::to_string)
                },
                |refund| refund.record.amount,
            ),
            ..RefundTally::default()
        };
        for refund in &completed {
            add_to_totals(&mut tally.totals, refund.record.amount);
            if let Some(fee) = refund.record.payout.as_ref().and_then(|payout| payout.fee) {
                tally.fees_known += 1;
                add_to_totals(&mut tally.fee_totals, fee);
            }
        }
        for refund in refunds {
            match refund.record.phase {
                RefundPhase::Completed => {}
                RefundPhase::Failed | RefundPhase::Refused => tally.not_sent += 1,
                RefundPhase::Written
                | RefundPhase::Sending
                | RefundPhase::Pending
                | RefundPhase::Processing
                | RefundPhase::Unknown => tally.not_confirmed += 1,
            }
        }
        tally
    }

    /// No refund at all: the report says nothing of refunds.
    pub fn is_empty(&self) -> bool {
        self.completed + self.not_confirmed + self.not_sent == 0
    }

    /// How many went back and what they came to, Monime's fees on them, and the takings net of
    /// them (`paid_totals` less what went back, each currency on its own); then the refunds to
    /// look up, the ones not sent and the ones restored. Nothing when there were no refunds.
    pub fn lines(
        &self,
        paid_totals: &[Money],
        style: CurrencyStyle,
        language: Language,
    ) -> Vec<ReportLine> {
        if self.is_empty() {
            return Vec::new();
        }
        let mut lines = vec![ReportLine::new(
            language.tr("Refunds"),
            self.completed.to_string(),
        )];
        // Every currency paid or refunded in, each said on its own line.
        let mut currencies = paid_totals.to_vec();
        for total in &self.totals {
            add_to_totals(&mut currencies, Money::new(total.currency, 0));
        }
        let refunded = |currency| {
            let total = self.totals.iter().find(|total| total.currency == currency);
            Money::new(currency, total.map_or(0, |total| total.minor))
        };
        for currency in currencies.iter().map(|money| money.currency) {
            lines.push(ReportLine::new(
                language.tr("Total refunded"),
                refunded(currency).display(style),
            ));
        }
        // Charged on top of what went back: a cost of the refunds, not part of them.
        for fees in &self.fee_totals {
            lines.push(ReportLine::new(
                language.tr("Refund fees"),
                fees.display(style),
            ));
        }
        if self.fees_known > 0 && self.fees_known < self.completed {
            lines.push(ReportLine::new(
                language.tr("Fees known for"),
                language.trf("{} of {} refunds", &[&self.fees_known, &self.completed]),
            ));
        }
        for paid in &currencies {
            let net = Money::new(paid.currency, paid.minor - refunded(paid.currency).minor);
            lines.push(ReportLine::new(
                language.tr("Net takings"),
                net.display(style),
            ));
        }
        if self.not_confirmed > 0 {
            // Money that may have gone: the owner checks the Monime dashboard.
            lines.push(ReportLine::alert(
                language.tr("Refunds not confirmed"),
                self.not_confirmed.to_string(),
            ));
        }
        if self.not_sent > 0 {
            lines.push(ReportLine::new(
                language.tr("Refunds not sent"),
                self.not_sent.to_string(),
            ));
        }
        if self.restored > 0 {
            lines.push(ReportLine::new(
                language.tr("Refunds restored"),
                self.restored.to_string(),
            ));
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;
    use crate::monime::PayoutStatus;
    use crate::refund::{PayoutSeen, RefundRecord, Refunder};

    fn sle(minor: i64) -> Money {
        Money::new(Currency::Sle, minor)
    }

    fn refund(number: i64, minor: i64, phase: RefundPhase, by: Refunder) -> StoredRefund {
        let completed = phase == RefundPhase::Completed;
        StoredRefund {
            refunder: by,
            ..StoredRefund::for_test(RefundRecord {
                number,
                sale: 1,
                idempotency_key: format!("key-{number}"),
                amount: sle(minor),
                provider_id: "m17".into(),
                phone_shown: "076 ··· 456".into(),
                request: None,
                phase,
                sent_at: None,
                payout: completed.then(|| PayoutSeen {
                    id: format!("pyt-{number}"),
                    status: PayoutStatus::Completed,
                    fee: Some(sle(50)),
                    reference: None,
                }),
                failure: None,
            })
        }
    }

    fn pairs(lines: &[ReportLine]) -> Vec<(String, String)> {
        lines
            .iter()
            .map(|line| (line.marked_label(), line.value.clone()))
            .collect()
    }

    #[test]
    fn only_completed_refunds_are_money_gone_back() {
        let aminata = || Refunder::Cashier("Aminata".into());
        let tally = RefundTally::of(&[
            refund(1, 400, RefundPhase::Completed, aminata()),
            refund(2, 600, RefundPhase::Completed, Refunder::Admin),
            refund(3, 100, RefundPhase::Completed, aminata()),
            refund(4, 700, RefundPhase::Processing, aminata()),
            refund(5, 800, RefundPhase::Unknown, Refunder::Admin),
            refund(6, 900, RefundPhase::Failed, Refunder::Admin),
        ]);
        assert_eq!(
            (tally.completed, tally.not_confirmed, tally.not_sent),
            (3, 2, 1)
        );
        assert_eq!(tally.totals, [sle(1100)]);
        assert_eq!(tally.fee_totals, [sle(150)]);
        let by: Vec<(&str, usize, i64)> = tally
            .by_refunder
            .iter()
            .map(|group| (group.name.as_str(), group.count, group.totals[0].minor))
            .collect();
        assert_eq!(by, [(ADMIN, 1, 600), ("Aminata", 2, 500)]);
        let lines = tally.lines(&[sle(3000)], CurrencyStyle::Symbol, Language::English);
        assert_eq!(
            pairs(&lines),
            [
                ("Refunds", "3"),
                ("Total refunded", "Le 11.00"),
                ("Refund fees", "Le 1.50"),
                ("Net takings", "Le 19.00"),
                ("! Refunds not confirmed", "2"),
                ("Refunds not sent", "1"),
            ]
            .map(|(label, value)| (label.to_string(), value.to_string()))
        );
    }

    #[test]
    fn no_refunds_say_nothing_and_currencies_stay_apart() {
        assert!(
            RefundTally::of(&[])
                .lines(&[sle(100)], CurrencyStyle::Symbol, Language::English)
                .is_empty()
        );
        let mut dollars = refund(1, 300, RefundPhase::Completed, Refunder::Admin);
        dollars.record.amount = Money::new(Currency::Usd, 300);
        if let Some(payout) = dollars.record.payout.as_mut() {
            payout.fee = None;
        }
        let tally = RefundTally::of(&[dollars]);
        let lines = tally.lines(&[sle(1000)], CurrencyStyle::Code, Language::English);
        let said = pairs(&lines);
        let has = |label: &str, value: &str| said.iter().any(|(l, v)| l == label && v == value);
        assert!(has("Total refunded", "SLE 0.00"), "{said:?}");
        assert!(has("Total refunded", "USD 3.00"), "{said:?}");
        assert!(has("Net takings", "SLE 10.00"), "{said:?}");
        assert!(has("Net takings", "USD -3.00"), "{said:?}");
        assert!(!said.iter().any(|(l, _)| l.contains("fees")), "{said:?}");
    }
}
