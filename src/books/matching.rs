//! Matching the journal's sales with Monime's codes, as pure data: what a check covers, what
//! the two sides disagree on, and which paid codes a lost journal can have back. No I/O and no
//! wording: `reading` brings both sides, `report` words what was found.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;

use crate::journal::StoredSale;
use crate::money::Money;
use crate::monime::{CodeStatus, PaymentCode};
use crate::sale::{Phase, TERMINAL_METADATA};

/// Which sales to check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Day {
    /// The business day: every sale since the last close (Z), as the next Z will count them.
    Current,
    /// One local calendar day, closed or not.
    Date(NaiveDate),
}

/// Something the journal and Monime disagree on.
#[derive(Debug, Clone, PartialEq)]
pub enum Difference {
    /// Completed at Monime, not paid here: a late or lost payment; the money is Monime's
    /// figure.
    PaidThereNotHere {
        sale: i64,
        phase: Phase,
        code: String,
        amount: Money,
    },
    /// Paid here, while Monime calls the code something else (`None`: Monime has no such code).
    PaidHereNotThere {
        sale: i64,
        code: String,
        amount: Money,
        status: Option<CodeStatus>,
    },
    /// A code of this terminal, paid or still payable at Monime, that the journal does not
    /// have. A paid one can be restored.
    Missing(Box<PaymentCode>),
}

/// What the check found.
#[derive(Debug, Clone, PartialEq)]
pub struct Reconciliation {
    /// Which sales were checked.
    pub span: Span,
    /// The codes compared: the checked sales' codes and this terminal's codes at Monime.
    pub checked: usize,
    pub differences: Vec<Difference>,
    /// Codes of this terminal the journal lacks that were never paid (expired or cancelled):
    /// no money is missing, so they are counted, not listed.
    pub unpaid_missing: usize,
}

/// The sales a check covered, for the command line's heading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    /// Every sale since day close `n`.
    SinceClose(i64),
    /// No day was ever closed and sales go back before today.
    SinceFirstSale,
    Today,
    On(NaiveDate),
}

impl Difference {
    /// The money in question.
    pub fn amount(&self) -> Option<Money> {
        match self {
            Difference::PaidThereNotHere { amount, .. }
            | Difference::PaidHereNotThere { amount, .. } => Some(*amount),
            Difference::Missing(code) => code.paid_amount(),
        }
    }

    /// The code Monime has paid that `restore` can bring back into the journal.
    pub fn restorable(&self) -> Option<&PaymentCode> {
        match self {
            Difference::Missing(code) if code.status == CodeStatus::Completed => Some(code),
            _ => None,
        }
    }
}

impl Reconciliation {
    pub fn agrees(&self) -> bool {
        self.differences.is_empty()
    }

    /// The paid codes the journal lacks.
    pub fn restorable(&self) -> Vec<&PaymentCode> {
        self.differences
            .iter()
            .filter_map(Difference::restorable)
            .collect()
    }
}

/// Whether Monime's record says the code was made by the terminal `terminal_id`.
fn made_by(code: &PaymentCode, terminal_id: &str) -> bool {
    code.metadata
        .as_ref()
        .and_then(|metadata| metadata.get(TERMINAL_METADATA))
        .and_then(|terminal| terminal.as_str())
        == Some(terminal_id)
}

/// Matches the checked sales with Monime's codes. `monime` holds the codes of the scope's time
/// and of any checked sale; `known_elsewhere` the ids among them the journal has outside the
/// scope (another day's sales), which are not this check's business.
pub fn compare(
    span: Span,
    terminal_id: &str,
    sales: &[StoredSale],
    monime: &[PaymentCode],
    known_elsewhere: &HashSet<String>,
) -> Reconciliation {
    let by_id: HashMap<&str, &PaymentCode> =
        monime.iter().map(|code| (code.id.as_str(), code)).collect();
    let mut differences = Vec::new();
    let mut checked = 0;
    let mut ours = HashSet::new();
    for sale in sales {
        let Some(code) = &sale.record.code else {
            continue;
        };
        checked += 1;
        ours.insert(code.id.as_str());
        let paid_here = sale.record.phase == Phase::Paid;
        let there = by_id.get(code.id.as_str());
        let completed_there = there.is_some_and(|there| there.status == CodeStatus::Completed);
        if completed_there && !paid_here {
            differences.push(Difference::PaidThereNotHere {
                sale: sale.record.number,
                phase: sale.record.phase,
                code: code.id.clone(),
                amount: there
                    .and_then(|there| there.paid_amount())
                    .unwrap_or_else(|| sale.record.amount()),
            });
        } else if paid_here && !completed_there {
            differences.push(Difference::PaidHereNotThere {
                sale: sale.record.number,
                code: code.id.clone(),
                amount: sale.record.paid_amount(),
                status: there.map(|there| there.status),
            });
        }
    }
    let mut unpaid_missing = 0;
    for code in monime {
        if ours.contains(code.id.as_str())
            || known_elsewhere.contains(&code.id)
            || !made_by(code, terminal_id)
        {
            continue;
        }
        checked += 1;
        match code.status {
            CodeStatus::Expired | CodeStatus::Cancelled => unpaid_missing += 1,
            _ => differences.push(Difference::Missing(Box::new(code.clone()))),
        }
    }
    Reconciliation {
        span,
        checked,
        differences,
        unpaid_missing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use chrono::Utc;

    use crate::money::Currency;
    use crate::monime::NewPaymentCode;
    use crate::sale::{CodeInfo, SaleRecord};

    fn sale(number: i64, phase: Phase, code: &str) -> StoredSale {
        let request = NewPaymentCode::new("sale", Money::new(Currency::Sle, 100 * number));
        let mut record = SaleRecord::new(number, format!("key-{number}"), request);
        record.phase = phase;
        record.code = Some(CodeInfo {
            id: code.into(),
            ussd_code: "*715*1*1#".into(),
            expire_time: None,
        });
        StoredSale::for_test(record)
    }

    fn code(id: &str, status: CodeStatus, minor: i64, terminal: &str) -> PaymentCode {
        PaymentCode {
            create_time: Some(Utc::now()),
            metadata: Some(serde_json::json!({"terminal": terminal, "sale": "1"})),
            ..PaymentCode::for_test(id, status, Money::new(Currency::Sle, minor))
        }
    }

    #[test]
    fn the_three_kinds_of_difference_are_found_and_the_rest_agrees() {
        let sales = [
            sale(1, Phase::Paid, "pmc-agrees"),
            sale(2, Phase::Unknown, "pmc-late"),
            sale(3, Phase::Paid, "pmc-pending-there"),
            sale(4, Phase::Paid, "pmc-gone"),
            sale(5, Phase::Expired, "pmc-expired"),
        ];
        let monime = [
            code("pmc-agrees", CodeStatus::Completed, 100, "T1"),
            code("pmc-late", CodeStatus::Completed, 200, "T1"),
            code("pmc-pending-there", CodeStatus::Pending, 300, "T1"),
            code("pmc-expired", CodeStatus::Expired, 500, "T1"),
            code("pmc-lost", CodeStatus::Completed, 1250, "T1"),
            code("pmc-lost-unpaid", CodeStatus::Expired, 999, "T1"),
            code("pmc-other-terminal", CodeStatus::Completed, 700, "T2"),
            code("pmc-yesterday", CodeStatus::Completed, 800, "T1"),
        ];
        let elsewhere = HashSet::from(["pmc-yesterday".to_string()]);
        let found = compare(Span::Today, "T1", &sales, &monime, &elsewhere);
        let sle = |minor| Money::new(Currency::Sle, minor);
        assert_eq!(
            found.differences,
            [
                Difference::PaidThereNotHere {
                    sale: 2,
                    phase: Phase::Unknown,
                    code: "pmc-late".into(),
                    amount: sle(200),
                },
                Difference::PaidHereNotThere {
                    sale: 3,
                    code: "pmc-pending-there".into(),
                    amount: sle(300),
                    status: Some(CodeStatus::Pending),
                },
                Difference::PaidHereNotThere {
                    sale: 4,
                    code: "pmc-gone".into(),
                    amount: sle(400),
                    status: None,
                },
                Difference::Missing(Box::new(monime[4].clone())),
            ]
        );
        assert_eq!((found.checked, found.unpaid_missing), (7, 1));
        assert_eq!(found.restorable(), [&monime[4]]);
        let agreed = compare(
            Span::Today,
            "T1",
            &sales[..1],
            &monime[..1],
            &HashSet::new(),
        );
        assert!(agreed.agrees());
        assert_eq!((agreed.checked, agreed.restorable().len()), (1, 0));
    }
}
