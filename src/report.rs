//! The end-of-day report: how many sales a day brought, what they came to (one total per
//! currency: amounts in different currencies are never added), and how many did not end in a
//! payment, and the refunds of the day beside them (`refunds`: what went back, and the takings
//! net of it). The command line prints it; the printer prints it as a receipt. The shift (X)
//! and day-close (Z) reports, which count the same way, are in `shift`; the sales and refunds
//! as rows for a spreadsheet are in `export`.

use chrono::{DateTime, FixedOffset, NaiveDate};

use crate::clock::day_bounds;
use crate::journal::{Journal, JournalError, StoredRefund, StoredSale};
use crate::money::{Currency, Money};
use crate::sale::Phase;

mod export;
mod receipt_words;
mod reconciliation;
mod refunds;
mod shift;

pub use export::{ExportFormat, ExportRow, REFUND_ROW, SALE_ROW, UTF8_BOM, write_rows};
pub use receipt_words::{receipt_label, receipt_note};
pub use reconciliation::{not_checked_lines, reconciliation_lines};
pub use refunds::RefundTally;
pub use shift::{ADMIN, ALERT_MARK, Group, ReportLine, ShiftReport};

/// One local day's sales, counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayReport {
    pub date: NaiveDate,
    pub paid_count: usize,
    /// What the paid sales came to (at what Monime says was paid), one amount per currency in
    /// the order of their codes; the terminal's own currency at zero when nothing was paid.
    pub paid_totals: Vec<Money>,
    /// The tips within those totals, one amount per currency; empty when there were none.
    pub tip_totals: Vec<Money>,
    /// What Monime kept of the paid sales whose payer's proof says (`fees_known` of them), one
    /// amount per currency.
    pub fee_totals: Vec<Money>,
    pub fees_known: usize,
    pub expired: usize,
    pub cancelled: usize,
    pub failed: usize,
    /// Sales that ended without Monime's word on the payment (see the Monime dashboard).
    pub unknown: usize,
    /// Sales still waiting for an outcome (the report was made while they were open).
    pub open: usize,
    pub first_sale: Option<DateTime<FixedOffset>>,
    pub last_sale: Option<DateTime<FixedOffset>>,
    /// The refunds of the same span; empty until `with_refunds`.
    pub refunds: RefundTally,
}

impl DayReport {
    /// Counts the sales started on `date` in the time zone `zone`.
    pub fn from_sales(
        date: NaiveDate,
        zone: FixedOffset,
        currency: Currency,
        sales: &[StoredSale],
    ) -> DayReport {
        let mut report = DayReport {
            date,
            paid_count: 0,
            paid_totals: Vec::new(),
            tip_totals: Vec::new(),
            fee_totals: Vec::new(),
            fees_known: 0,
            expired: 0,
            cancelled: 0,
            failed: 0,
            unknown: 0,
            open: 0,
            first_sale: None,
            last_sale: None,
            refunds: RefundTally::default(),
        };
        for sale in sales {
            match sale.record.phase {
                Phase::Paid => {
                    report.paid_count += 1;
                    report.add_paid(sale.record.paid_amount());
                    if sale.order.tip_minor > 0 {
                        let tip = sale.order.tip(sale.record.amount());
                        add_to_totals(&mut report.tip_totals, tip);
                    }
                    let paid = sale.record.paid_amount();
                    if let Some(fees) = sale.proof.as_ref().and_then(|p| p.fee_total(paid.currency))
                    {
                        report.fees_known += 1;
                        add_to_totals(&mut report.fee_totals, fees);
                    }
                }
                Phase::Expired => report.expired += 1,
                Phase::Cancelled => report.cancelled += 1,
                Phase::Failed => report.failed += 1,
                Phase::Unknown => report.unknown += 1,
                Phase::CreatingCode
                | Phase::AwaitingPayment
                | Phase::PaymentInProgress
                | Phase::Cancelling => report.open += 1,
            }
            let started = sale.created_at.with_timezone(&zone);
            report.first_sale = Some(report.first_sale.map_or(started, |t| t.min(started)));
            report.last_sale = Some(report.last_sale.map_or(started, |t| t.max(started)));
        }
        if report.paid_totals.is_empty() {
            report.paid_totals.push(Money::new(currency, 0));
        }
        report
    }

    fn add_paid(&mut self, amount: Money) {
        add_to_totals(&mut self.paid_totals, amount);
    }

    /// The same report with `refunds` (those of the same span) counted beside the sales.
    pub fn with_refunds(self, refunds: &[StoredRefund]) -> DayReport {
        DayReport {
            refunds: RefundTally::of(refunds),
            ..self
        }
    }

    /// Reads the day's sales and refunds from the journal and counts them.
    pub fn for_day(
        journal: &Journal,
        date: NaiveDate,
        zone: FixedOffset,
        currency: Currency,
    ) -> Result<DayReport, JournalError> {
        let (from, until) = day_bounds(date, zone);
        let sales = journal.between(from, until)?;
        let refunds = journal.refunds_between(from, until)?;
        Ok(DayReport::from_sales(date, zone, currency, &sales).with_refunds(&refunds))
    }
}

/// Adds a paid amount to the total of its own currency, keeping the totals in currency order.
pub fn add_to_totals(totals: &mut Vec<Money>, amount: Money) {
    match totals
        .iter_mut()
        .find(|total| total.currency == amount.currency)
    {
        Some(total) => total.minor += amount.minor,
        None => {
            totals.push(amount);
            totals.sort_by_key(|total| total.currency.code());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::Receipt;
    use crate::monime::NewPaymentCode;
    use crate::sale::SaleRecord;

    fn sale(number: i64, minor: i64, phase: Phase, at: &str) -> StoredSale {
        let request = NewPaymentCode::new("sale", Money::new(Currency::Sle, minor));
        let mut record = SaleRecord::new(number, format!("key-{number}"), request);
        record.phase = phase;
        let at = DateTime::parse_from_rfc3339(at)
            .expect("test time")
            .to_utc();
        StoredSale {
            record,
            terminal_id: "T1".into(),
            created_at: at,
            updated_at: at,
            receipt: Receipt::Owed,
            books: Default::default(),
            order: Default::default(),
            proof: None,
        }
    }

    fn proof_with_fee(minor: i64) -> crate::journal::PayerProof {
        crate::journal::PayerProof {
            payment_id: "pay-1".into(),
            provider_id: Some("m17".into()),
            reference: Some("MP1".into()),
            masked_number: None,
            fingerprint: None,
            fees: vec![crate::monime::Fee {
                code: Some("processing".into()),
                amount: Money::new(Currency::Sle, minor),
            }],
        }
    }

    fn pairs(report: &DayReport) -> Vec<(String, String)> {
        report
            .lines(
                crate::money::CurrencyStyle::Symbol,
                crate::lang::Language::English,
            )
            .into_iter()
            .map(|line| (line.label, line.value))
            .collect()
    }

    #[test]
    fn monimes_fees_and_the_net_are_said_only_as_far_as_the_proofs_go() {
        let zone = FixedOffset::east_opt(0).expect("offset");
        let date = NaiveDate::from_ymd_opt(2026, 11, 22).expect("date");
        let mut first = sale(1, 1000, Phase::Paid, "2026-11-22T09:00:00Z");
        first.proof = Some(proof_with_fee(10));
        let mut second = sale(2, 2000, Phase::Paid, "2026-11-22T09:05:00Z");
        second.proof = Some(proof_with_fee(20));
        let both =
            DayReport::from_sales(date, zone, Currency::Sle, &[first.clone(), second.clone()]);
        let said = pairs(&both);
        let has = |pairs: &[(String, String)], label: &str, value: &str| {
            pairs.iter().any(|(l, v)| l == label && v == value)
        };
        assert!(has(&said, "Monime's fees", "Le 0.30"), "{said:?}");
        assert!(has(&said, "Net of fees", "Le 29.70"), "{said:?}");
        // A sale whose proof is missing: the fees are said for what is known, no net.
        second.proof = None;
        let one = DayReport::from_sales(date, zone, Currency::Sle, &[first, second.clone()]);
        let said = pairs(&one);
        assert!(has(&said, "Monime's fees", "Le 0.10"), "{said:?}");
        assert!(!said.iter().any(|(l, _)| l == "Net of fees"), "{said:?}");
        assert!(has(&said, "Fees known for", "1 of 2 sales"), "{said:?}");
        // No proof at all: the report is as it always was.
        let none = DayReport::from_sales(date, zone, Currency::Sle, &[second]);
        assert!(
            !pairs(&none).iter().any(|(l, _)| l.contains("ees")),
            "{:?}",
            pairs(&none)
        );
    }

    #[test]
    fn tips_are_counted_apart_from_the_sales() {
        let zone = FixedOffset::east_opt(0).expect("offset");
        let mut tipped = sale(1, 1100, Phase::Paid, "2026-11-22T09:00:00Z");
        tipped.order.tip_minor = 100;
        let mut unpaid = sale(2, 5000, Phase::Expired, "2026-11-22T09:05:00Z");
        unpaid.order.tip_minor = 500;
        let plain = sale(3, 2000, Phase::Paid, "2026-11-22T09:10:00Z");
        let date = NaiveDate::from_ymd_opt(2026, 11, 22).expect("date");
        let report = DayReport::from_sales(date, zone, Currency::Sle, &[tipped, unpaid, plain]);
        assert_eq!(report.tip_totals, [Money::new(Currency::Sle, 100)]);
        let lines = report.lines(
            crate::money::CurrencyStyle::Symbol,
            crate::lang::Language::English,
        );
        let pairs: Vec<(&str, &str)> = lines
            .iter()
            .map(|line| (line.label.as_str(), line.value.as_str()))
            .collect();
        assert!(pairs.contains(&("Total paid", "Le 31.00")), "{pairs:?}");
        assert!(
            pairs.contains(&("Sales without tips", "Le 30.00")),
            "{pairs:?}"
        );
        assert!(pairs.contains(&("Tips", "Le 1.00")), "{pairs:?}");
    }

    #[test]
    fn a_day_is_counted_by_outcome_and_summed_over_paid_sales_only() {
        let zone = FixedOffset::east_opt(3600).expect("offset");
        let date = NaiveDate::from_ymd_opt(2026, 11, 22).expect("date");
        let sales = [
            sale(1, 1250, Phase::Paid, "2026-11-22T07:05:00Z"),
            sale(2, 999, Phase::Expired, "2026-11-22T09:00:00Z"),
            sale(3, 50_000, Phase::Paid, "2026-11-22T12:30:00Z"),
            sale(4, 700, Phase::Cancelled, "2026-11-22T13:00:00Z"),
            sale(5, 100, Phase::Failed, "2026-11-22T14:00:00Z"),
            sale(6, 100, Phase::AwaitingPayment, "2026-11-22T18:45:00Z"),
        ];
        let report = DayReport::from_sales(date, zone, Currency::Sle, &sales);
        assert_eq!(report.paid_count, 2);
        assert_eq!(report.paid_totals, [Money::new(Currency::Sle, 51_250)]);
        assert_eq!(
            (report.expired, report.cancelled, report.failed, report.open),
            (1, 1, 1, 1)
        );
        assert_eq!(report.unknown, 0);
        let first = report.first_sale.expect("first");
        let last = report.last_sale.expect("last");
        assert_eq!(first.format("%H:%M").to_string(), "08:05");
        assert_eq!(last.format("%H:%M").to_string(), "19:45");
    }

    #[test]
    fn two_currencies_are_never_added_together() {
        let zone = FixedOffset::east_opt(0).expect("offset");
        let date = NaiveDate::from_ymd_opt(2026, 11, 22).expect("date");
        let mut dollars = sale(2, 300, Phase::Paid, "2026-11-22T10:00:00Z");
        dollars.record.request.amount = Money::new(Currency::Usd, 300);
        let mut paid_otherwise = sale(4, 500, Phase::Paid, "2026-11-22T12:00:00Z");
        paid_otherwise.record.payment = Some(crate::monime::ProcessedPayment {
            amount: Some(Money::new(Currency::Sle, 450)),
            ..Default::default()
        });
        let sales = [
            sale(1, 1250, Phase::Paid, "2026-11-22T09:00:00Z"),
            dollars,
            sale(3, 100, Phase::Unknown, "2026-11-22T11:00:00Z"),
            paid_otherwise,
        ];
        let report = DayReport::from_sales(date, zone, Currency::Usd, &sales);
        assert_eq!(report.paid_count, 3);
        assert_eq!(
            report.paid_totals,
            [
                Money::new(Currency::Sle, 1700),
                Money::new(Currency::Usd, 300)
            ],
            "SLE first, each summed on its own, at what Monime says was paid"
        );
        assert_eq!((report.unknown, report.open), (1, 0));
        let empty = DayReport::from_sales(date, zone, Currency::Usd, &[]);
        assert_eq!(empty.paid_totals, [Money::new(Currency::Usd, 0)]);
    }

    #[test]
    fn a_local_day_starts_at_local_midnight() {
        let zone = FixedOffset::west_opt(2 * 3600).expect("offset");
        let date = NaiveDate::from_ymd_opt(2026, 1, 31).expect("date");
        let (from, until) = day_bounds(date, zone);
        assert_eq!(from.to_rfc3339(), "2026-01-31T02:00:00+00:00");
        assert_eq!(until.to_rfc3339(), "2026-02-01T02:00:00+00:00");
    }
}
