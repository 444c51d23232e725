//! The shift (X) and day-close (Z) reports: the sales and refunds since the last close, or those
//! one close counted, by outcome (as the day report counts them), by provider and by cashier.

use chrono::{FixedOffset, NaiveDate};

use super::{DayReport, add_to_totals};
use crate::journal::{DayClose, Journal, JournalError, StoredRefund, StoredSale, z_label};
use crate::lang::Language;
use crate::money::{Currency, CurrencyStyle, Money};
use crate::sale::Phase;

/// The paid sales of one provider or one cashier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub name: String,
    pub count: usize,
    /// One amount per currency, as in `DayReport::paid_totals`.
    pub totals: Vec<Money>,
}

/// An X report (nothing closed: the running totals since the last Z) or a Z report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShiftReport {
    /// The close this is the report of; `None` for an X report.
    pub close: Option<DayClose>,
    /// For an X report, the close it runs from; `None` before the first close.
    pub since: Option<i64>,
    /// Counts by outcome, totals, first and last sale; its date is the day closed, or today.
    pub tally: DayReport,
    pub by_provider: Vec<Group>,
    /// Empty when no sale has a cashier (no `[[cashiers]]` configured).
    pub by_cashier: Vec<Group>,
    /// Sales brought back from Monime after the journal lost them.
    pub restored: usize,
}

impl Group {
    /// The group's name as a report prints it: the catch-all groups in `language`.
    pub fn name_in(&self, language: Language) -> &str {
        match self.name.as_str() {
            PROVIDER_NOT_SAID => language.tr("Not said"),
            NO_CASHIER => language.tr("No cashier"),
            ADMIN => language.tr("Admin"),
            name => name,
        }
    }
}

/// What a provider not named by Monime is counted under.
pub const PROVIDER_NOT_SAID: &str = "Not said";
/// What a sale made with no cashier signed in is counted under, beside named cashiers.
pub const NO_CASHIER: &str = "No cashier";
/// What the admin's refunds are counted under, beside the cashiers' names (as
/// `refund::Refunder` names the admin).
pub const ADMIN: &str = "Admin";

impl ShiftReport {
    /// The X report: every sale and refund no close has counted yet, those under way included.
    pub fn since_last_close(
        journal: &Journal,
        today: NaiveDate,
        zone: FixedOffset,
        currency: Currency,
    ) -> Result<ShiftReport, JournalError> {
        let since = journal.last_close()?.map(|close| close.number);
        let sales = journal.sales_since_close()?;
        let refunds = journal.refunds_since_close()?;
        let mut report =
            ShiftReport::from_sales(None, today, zone, currency, &sales).with_refunds(&refunds);
        report.since = since;
        Ok(report)
    }

    /// The Z report of `close`, from the sales and refunds it counted.
    pub fn of_close(
        journal: &Journal,
        close: DayClose,
        zone: FixedOffset,
        currency: Currency,
    ) -> Result<ShiftReport, JournalError> {
        let sales = journal.sales_of_close(close.number)?;
        let refunds = journal.refunds_of_close(close.number)?;
        let date = close.business_date;
        Ok(
            ShiftReport::from_sales(Some(close), date, zone, currency, &sales)
                .with_refunds(&refunds),
        )
    }

    /// The same report with `refunds` (those of the same span) counted beside the sales.
    pub fn with_refunds(self, refunds: &[StoredRefund]) -> ShiftReport {
        ShiftReport {
            tally: self.tally.with_refunds(refunds),
            ..self
        }
    }

    pub fn from_sales(
        close: Option<DayClose>,
        date: NaiveDate,
        zone: FixedOffset,
        currency: Currency,
        sales: &[StoredSale],
    ) -> ShiftReport {
        let paid: Vec<&StoredSale> = sales
            .iter()
            .filter(|sale| sale.record.phase == Phase::Paid)
            .collect();
        let paid_amount = |sale: &&StoredSale| sale.record.paid_amount();
        let by_provider = group(
            &paid,
            |sale| {
                sale.record
                    .payment
                    .as_ref()
                    .and_then(|payment| payment.provider_name())
                    .unwrap_or(PROVIDER_NOT_SAID)
                    .to_string()
            },
            paid_amount,
        );
        let by_cashier = if sales.iter().any(|sale| sale.books.cashier.is_some()) {
            group(
                &paid,
                |sale| {
                    sale.books
                        .cashier
                        .clone()
                        .unwrap_or_else(|| NO_CASHIER.into())
                },
                paid_amount,
            )
        } else {
            Vec::new()
        };
        ShiftReport {
            close,
            since: None,
            tally: DayReport::from_sales(date, zone, currency, sales),
            by_provider,
            by_cashier,
            restored: sales.iter().filter(|sale| sale.books.restored).count(),
        }
    }

    /// "Day close Z 0004" or "Shift report (X)".
    pub fn title(&self, language: Language) -> String {
        match &self.close {
            Some(close) => language.trf("Day close {}", &[&close.label()]),
            None => language.tr("Shift report (X)").into(),
        }
    }

    /// What the sales counted run from: "since Z 0003", "since the first sale".
    pub fn scope(&self, language: Language) -> String {
        match (&self.close, self.since) {
            (Some(close), _) => language.trf("Day {}", &[&close.business_date.format("%Y-%m-%d")]),
            (None, Some(number)) => language.trf("Since {}", &[&z_label(number)]),
            (None, None) => language.tr("Since the first sale").into(),
        }
    }
}

/// One line of a report, as the paper and the screen show it: a label and its value, a
/// heading, or a line of text (a value of "").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportLine {
    pub label: String,
    pub value: String,
    pub heading: bool,
    /// Something the owner must look into (money Monime has and the journal has not, or the
    /// other way round): red on screen, marked `!` on paper and on the command line.
    pub alert: bool,
}

/// How paper, the command line and a stored close mark an alert line.
pub const ALERT_MARK: &str = "! ";

impl ReportLine {
    pub fn new(label: impl Into<String>, value: impl Into<String>) -> ReportLine {
        ReportLine {
            label: label.into(),
            value: value.into(),
            heading: false,
            alert: false,
        }
    }

    /// A line the owner must look into.
    pub fn alert(label: impl Into<String>, value: impl Into<String>) -> ReportLine {
        ReportLine {
            alert: true,
            ..ReportLine::new(label, value)
        }
    }

    /// The label as paper and the command line print it: an alert marked with `!`.
    pub fn marked_label(&self) -> String {
        match self.alert {
            true => format!("{ALERT_MARK}{}", self.label),
            false => self.label.clone(),
        }
    }

    pub fn heading(label: &str) -> ReportLine {
        ReportLine {
            heading: true,
            ..ReportLine::new(label, "")
        }
    }

    /// Lines as a day close keeps them in the journal (what Monime said): one a line, the
    /// label and the value apart by a tab, which neither holds.
    pub fn store(lines: &[ReportLine]) -> String {
        lines
            .iter()
            .map(|line| match line.value.as_str() {
                "" => line.marked_label(),
                value => format!("{}\t{value}", line.marked_label()),
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The lines `store` kept (a close made before values were kept is label lines only).
    pub fn read_stored(text: &str) -> Vec<ReportLine> {
        text.lines()
            .map(|line| {
                let (label, value) = line.split_once('\t').unwrap_or((line, ""));
                match label.strip_prefix(ALERT_MARK) {
                    Some(label) => ReportLine::alert(label, value),
                    None => ReportLine::new(label, value),
                }
            })
            .collect()
    }
}

impl DayReport {
    /// Counts by outcome, totals, the refunds, first and last sale: every report's main lines.
    pub fn lines(&self, style: CurrencyStyle, language: Language) -> Vec<ReportLine> {
        let mut lines = vec![ReportLine::new(
            language.tr("Paid sales"),
            self.paid_count.to_string(),
        )];
        // One line a currency: amounts in different currencies are never added.
        for total in &self.paid_totals {
            lines.push(ReportLine::new(
                language.tr("Total paid"),
                total.display(style),
            ));
        }
        // Tips are the staff's, not the shop's takings: shown apart, and the sales without them.
        for tip in &self.tip_totals {
            let paid = self.paid_totals.iter().find(|t| t.currency == tip.currency);
            if let Some(paid) = paid {
                let sales = Money::new(paid.currency, paid.minor - tip.minor);
                lines.push(ReportLine::new(
                    language.tr("Sales without tips"),
                    sales.display(style),
                ));
            }
            lines.push(ReportLine::new(language.tr("Tips"), tip.display(style)));
        }
        // What reaches the shop: the paid total less what Monime kept, said only when Monime's
        // payments gave the fees of every paid sale; otherwise how many they cover.
        for fees in &self.fee_totals {
            lines.push(ReportLine::new(
                language.tr("Monime's fees"),
                fees.display(style),
            ));
            let paid = self
                .paid_totals
                .iter()
                .find(|t| t.currency == fees.currency);
            if let (Some(paid), true) = (paid, self.fees_known == self.paid_count) {
                let net = Money::new(paid.currency, paid.minor.saturating_sub(fees.minor));
                lines.push(ReportLine::new(
                    language.tr("Net of fees"),
                    net.display(style),
                ));
            }
        }
        if self.fees_known > 0 && self.fees_known < self.paid_count {
            lines.push(ReportLine::new(
                language.tr("Fees known for"),
                language.trf("{} of {} sales", &[&self.fees_known, &self.paid_count]),
            ));
        }
        lines.extend(self.refunds.lines(&self.paid_totals, style, language));
        for (phase, count) in [
            (Phase::Expired, self.expired),
            (Phase::Cancelled, self.cancelled),
            (Phase::Failed, self.failed),
            (Phase::Unknown, self.unknown),
        ] {
            lines.push(ReportLine::new(phase.label_in(language), count.to_string()));
        }
        if self.open > 0 {
            lines.push(ReportLine::new(
                language.tr("Still open"),
                self.open.to_string(),
            ));
        }
        let time = |at: Option<chrono::DateTime<FixedOffset>>| {
            at.map(|at| at.format("%H:%M").to_string())
                .unwrap_or_else(|| "-".into())
        };
        lines.push(ReportLine::new(
            language.tr("First sale"),
            time(self.first_sale),
        ));
        lines.push(ReportLine::new(
            language.tr("Last sale"),
            time(self.last_sale),
        ));
        lines
    }
}

impl ShiftReport {
    /// The outcome lines (with the refunds, when there are any), with the restored sales when
    /// there are any.
    pub fn lines(&self, style: CurrencyStyle, language: Language) -> Vec<ReportLine> {
        let mut lines = self.tally.lines(style, language);
        if self.restored > 0 {
            lines.push(ReportLine::new(
                language.tr("Restored"),
                self.restored.to_string(),
            ));
        }
        lines
    }

    /// By provider, by cashier, the refunds by who made them (each under its heading), and for
    /// a close what Monime said.
    pub fn group_lines(&self, style: CurrencyStyle, language: Language) -> Vec<ReportLine> {
        let mut lines = Vec::new();
        for (heading, groups) in [
            (language.tr("By provider"), &self.by_provider),
            (language.tr("By cashier"), &self.by_cashier),
            (
                language.tr("Refunds by cashier"),
                &self.tally.refunds.by_refunder,
            ),
        ] {
            if groups.is_empty() {
                continue;
            }
            lines.push(ReportLine::heading(heading));
            for group in groups {
                for total in &group.totals {
                    lines.push(ReportLine::new(
                        format!("{} ({})", group.name_in(language), group.count),
                        total.display(style),
                    ));
                }
            }
        }
        if let Some(close) = &self.close {
            lines.push(ReportLine::heading("Monime"));
            let check = close
                .monime_check
                .as_deref()
                .unwrap_or(language.tr("Not checked"));
            lines.extend(ReportLine::read_stored(check));
        }
        lines
    }
}

/// `items` grouped by `name_of`, in name order, each with its count and the totals of
/// `amount_of`.
pub(super) fn group<T>(
    items: &[T],
    name_of: impl Fn(&T) -> String,
    amount_of: impl Fn(&T) -> Money,
) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    for item in items {
        let name = name_of(item);
        let at = match groups.iter().position(|group| group.name == name) {
            Some(at) => at,
            None => {
                groups.push(Group {
                    name,
                    count: 0,
                    totals: Vec::new(),
                });
                groups.len() - 1
            }
        };
        groups[at].count += 1;
        add_to_totals(&mut groups[at].totals, amount_of(item));
    }
    groups.sort_by(|a, b| a.name.cmp(&b.name));
    groups
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::SaleBooks;
    use crate::monime::{NewPaymentCode, ProcessedPayment};
    use crate::sale::SaleRecord;
    use chrono::Utc;

    fn paid(number: i64, minor: i64, provider: &str, cashier: Option<&str>) -> StoredSale {
        let request = NewPaymentCode::new("sale", Money::new(Currency::Sle, minor));
        let mut record = SaleRecord::new(number, format!("key-{number}"), request);
        record.phase = Phase::Paid;
        record.payment = Some(ProcessedPayment {
            provider_id: Some(provider.into()),
            ..Default::default()
        });
        StoredSale {
            books: SaleBooks {
                cashier: cashier.map(str::to_string),
                ..Default::default()
            },
            ..StoredSale::for_test(record)
        }
    }

    #[test]
    fn stored_lines_read_back_as_they_were() {
        let lines = vec![
            ReportLine::alert("Paid at Monime, not here", "Le 5.00"),
            ReportLine::alert("  sale 4 (expired here)", ""),
            ReportLine::new("Agreed with Monime", "3 codes"),
        ];
        let stored = ReportLine::store(&lines);
        assert!(
            stored.starts_with("! Paid at Monime, not here\t"),
            "{stored}"
        );
        assert_eq!(ReportLine::read_stored(&stored), lines);
        assert_eq!(
            ReportLine::read_stored("Not checked"),
            [ReportLine::new("Not checked", "")]
        );
    }

    #[test]
    fn paid_sales_are_grouped_by_provider_and_cashier() {
        let zone = FixedOffset::east_opt(0).expect("zone");
        let today = Utc::now().date_naive();
        let mut expired = paid(4, 999, "m17", Some("Aminata"));
        expired.record.phase = Phase::Expired;
        let sales = [
            paid(1, 1000, "m17", Some("Aminata")),
            paid(2, 250, "m18", Some("Mohamed")),
            paid(3, 500, "m17", None),
            expired,
        ];
        let report = ShiftReport::from_sales(None, today, zone, Currency::Sle, &sales);
        let summary = |groups: &[Group]| -> Vec<(String, usize, i64)> {
            groups
                .iter()
                .map(|g| (g.name.clone(), g.count, g.totals[0].minor))
                .collect()
        };
        assert_eq!(
            summary(&report.by_provider),
            [
                ("Africell AfriMoney".to_string(), 1, 250),
                ("Orange Money".to_string(), 2, 1500)
            ]
        );
        assert_eq!(
            summary(&report.by_cashier),
            [
                ("Aminata".to_string(), 1, 1000),
                ("Mohamed".to_string(), 1, 250),
                (NO_CASHIER.to_string(), 1, 500)
            ]
        );
        assert_eq!(report.tally.expired, 1);
        let without_cashiers: Vec<StoredSale> = sales
            .iter()
            .cloned()
            .map(|mut sale| {
                sale.books.cashier = None;
                sale
            })
            .collect();
        let report = ShiftReport::from_sales(None, today, zone, Currency::Sle, &without_cashiers);
        assert!(report.by_cashier.is_empty(), "no cashier section");
    }
}
