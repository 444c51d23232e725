//! Matching the journal's sales with Monime's codes, and its refunds with Monime's payouts, as
//! pure data: what a check covers, what the two sides disagree on, and which paid codes and
//! completed payouts a lost journal can have back. No I/O and no wording: `reading` brings
//! both sides, `report` words what was found.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use serde_json::Value;

use crate::journal::{StoredRefund, StoredSale};
use crate::money::Money;
use crate::monime::{CodeStatus, PaymentCode, Payout, PayoutStatus};
use crate::refund::{RefundPhase, is_payout_of};
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
    /// Monime completed the refund's payout while the journal does not call it refunded (it
    /// is under way, not confirmed or not sent here): the money went; Monime's figure.
    RefundedThereNotHere {
        refund: i64,
        sale: i64,
        phase: RefundPhase,
        payout: String,
        amount: Money,
    },
    /// Refunded here, while Monime calls the payout something else (`None`: Monime has no
    /// payout for it).
    RefundedHereNotThere {
        refund: i64,
        sale: i64,
        payout: Option<String>,
        amount: Money,
        status: Option<PayoutStatus>,
    },
    /// Monime's payout for the refund is of another amount than the journal's.
    RefundAmountDiffers {
        refund: i64,
        sale: i64,
        payout: String,
        here: Money,
        there: Money,
    },
    /// A payout of this terminal, completed or still on its way at Monime, that the journal
    /// has no refund for. A completed one can be restored.
    PayoutMissing(Box<Payout>),
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
    /// The payouts compared: the checked refunds' and this terminal's payouts at Monime; 0
    /// when payouts were not read.
    pub payouts_checked: usize,
    /// Payouts of this terminal the journal lacks that failed: no money went, so they are
    /// counted, not listed.
    pub failed_payouts_missing: usize,
}

/// What matching the journal's refunds with Monime's payouts found, to add to a check.
#[derive(Debug, Clone, PartialEq)]
pub struct PayoutCheck {
    pub checked: usize,
    pub differences: Vec<Difference>,
    pub failed_missing: usize,
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
            | Difference::PaidHereNotThere { amount, .. }
            | Difference::RefundedThereNotHere { amount, .. }
            | Difference::RefundedHereNotThere { amount, .. } => Some(*amount),
            // What Monime says went.
            Difference::RefundAmountDiffers { there, .. } => Some(*there),
            Difference::Missing(code) => code.paid_amount(),
            Difference::PayoutMissing(payout) => payout.amount,
        }
    }

    /// The code Monime has paid that `restore` can bring back into the journal.
    pub fn restorable(&self) -> Option<&PaymentCode> {
        match self {
            Difference::Missing(code) if code.status == CodeStatus::Completed => Some(code),
            _ => None,
        }
    }

    /// The payout Monime completed that `restore` can bring back into the journal as a refund.
    pub fn restorable_payout(&self) -> Option<&Payout> {
        match self {
            Difference::PayoutMissing(payout) if payout.status == PayoutStatus::Completed => {
                Some(payout)
            }
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

    /// The completed payouts the journal lacks.
    pub fn restorable_payouts(&self) -> Vec<&Payout> {
        self.differences
            .iter()
            .filter_map(Difference::restorable_payout)
            .collect()
    }

    /// The check with what matching the refunds with the payouts found.
    pub fn with_payouts(mut self, found: PayoutCheck) -> Reconciliation {
        self.payouts_checked = found.checked;
        self.failed_payouts_missing = found.failed_missing;
        self.differences.extend(found.differences);
        self
    }
}

/// Whether Monime's `metadata` says the code or payout was made by the terminal `terminal_id`.
fn made_by(metadata: Option<&Value>, terminal_id: &str) -> bool {
    metadata
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
            || !made_by(code.metadata.as_ref(), terminal_id)
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
        payouts_checked: 0,
        failed_payouts_missing: 0,
    }
}

/// Matches the checked refunds with Monime's payouts, each refund with the payout of its id or
/// of its key. `monime` holds the payouts of the scope's time and of any checked refund;
/// `known_elsewhere` the ids among them the journal has a refund for outside the scope, which
/// are not this check's business.
pub fn compare_payouts(
    terminal_id: &str,
    refunds: &[StoredRefund],
    monime: &[Payout],
    known_elsewhere: &HashSet<String>,
) -> PayoutCheck {
    let mut found = PayoutCheck {
        checked: 0,
        differences: Vec::new(),
        failed_missing: 0,
    };
    let mut ours = HashSet::new();
    for refund in refunds {
        let record = &refund.record;
        let there = monime.iter().find(|payout| {
            record.payout_id() == Some(payout.id.as_str())
                || is_payout_of(payout, &record.idempotency_key)
        });
        let refunded_here = record.phase == RefundPhase::Completed;
        // A refund that never reached Monime has no payout to compare.
        if there.is_none() && !refunded_here {
            continue;
        }
        found.checked += 1;
        if let Some(there) = there {
            ours.insert(there.id.as_str());
        }
        let status = there.map(|there| there.status);
        let payout_id = there
            .map(|there| there.id.clone())
            .or_else(|| record.payout_id().map(str::to_string));
        let difference = match (there, there.and_then(|there| there.amount)) {
            (Some(there), Some(amount)) if amount != record.amount => {
                Some(Difference::RefundAmountDiffers {
                    refund: record.number,
                    sale: record.sale,
                    payout: there.id.clone(),
                    here: record.amount,
                    there: amount,
                })
            }
            (Some(there), amount) if there.status == PayoutStatus::Completed && !refunded_here => {
                Some(Difference::RefundedThereNotHere {
                    refund: record.number,
                    sale: record.sale,
                    phase: record.phase,
                    payout: there.id.clone(),
                    amount: amount.unwrap_or(record.amount),
                })
            }
            _ if refunded_here && status != Some(PayoutStatus::Completed) => {
                Some(Difference::RefundedHereNotThere {
                    refund: record.number,
                    sale: record.sale,
                    payout: payout_id,
                    amount: record.amount,
                    status,
                })
            }
            _ => None,
        };
        found.differences.extend(difference);
    }
    for payout in monime {
        if ours.contains(payout.id.as_str())
            || known_elsewhere.contains(&payout.id)
            || !made_by(payout.metadata.as_ref(), terminal_id)
        {
            continue;
        }
        found.checked += 1;
        match payout.status {
            PayoutStatus::Failed => found.failed_missing += 1,
            _ => found
                .differences
                .push(Difference::PayoutMissing(Box::new(payout.clone()))),
        }
    }
    found
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

    fn refund(number: i64, minor: i64, phase: RefundPhase, payout: Option<&str>) -> StoredRefund {
        use crate::refund::{PayoutSeen, RefundRecord};
        StoredRefund::for_test(RefundRecord {
            number,
            sale: 1,
            idempotency_key: format!("key-{number}"),
            amount: Money::new(Currency::Sle, minor),
            provider_id: "m17".into(),
            phone_shown: "076 ··· 456".into(),
            request: None,
            phase,
            sent_at: None,
            payout: payout.map(|id| PayoutSeen {
                id: id.into(),
                status: PayoutStatus::Unknown,
                fee: None,
                reference: None,
            }),
            failure: None,
        })
    }

    /// A payout of terminal `terminal` made for the refund whose key is `key`.
    fn payout(id: &str, status: PayoutStatus, minor: i64, terminal: &str, key: &str) -> Payout {
        Payout {
            create_time: Some(Utc::now()),
            ..Payout::for_test(
                id,
                status,
                Money::new(Currency::Sle, minor),
                Some(serde_json::json!({"terminal": terminal, "sale": "1", "refund_key": key})),
            )
        }
    }

    #[test]
    fn refunds_are_matched_with_payouts_by_id_or_key() {
        use PayoutStatus::{Completed, Failed, Processing};
        let refunds = [
            refund(1, 100, RefundPhase::Completed, Some("pyt-agrees")),
            // The journal never heard the payout's id: found by the refund's key.
            refund(2, 200, RefundPhase::Sending, None),
            refund(3, 300, RefundPhase::Completed, Some("pyt-processing")),
            refund(4, 400, RefundPhase::Completed, Some("pyt-gone")),
            refund(5, 500, RefundPhase::Completed, Some("pyt-other-amount")),
            refund(6, 600, RefundPhase::Failed, Some("pyt-failed")),
            // Refused by Monime: no payout to look for.
            refund(7, 700, RefundPhase::Refused, None),
        ];
        let monime = [
            payout("pyt-agrees", Completed, 100, "T1", "key-1"),
            payout("pyt-late", Completed, 200, "T1", "key-2"),
            payout("pyt-processing", Processing, 300, "T1", "key-3"),
            payout("pyt-other-amount", Completed, 550, "T1", "key-5"),
            payout("pyt-failed", Failed, 600, "T1", "key-6"),
            payout("pyt-lost", Completed, 1250, "T1", "key-lost"),
            payout("pyt-lost-failed", Failed, 999, "T1", "key-lost-2"),
            payout("pyt-lost-on-its-way", Processing, 800, "T1", "key-lost-3"),
            payout("pyt-other-terminal", Completed, 700, "T2", "key-x"),
            payout("pyt-yesterday", Completed, 800, "T1", "key-y"),
        ];
        let elsewhere = HashSet::from(["pyt-yesterday".to_string()]);
        let found = compare_payouts("T1", &refunds, &monime, &elsewhere);
        let sle = |minor| Money::new(Currency::Sle, minor);
        assert_eq!(
            found.differences,
            [
                Difference::RefundedThereNotHere {
                    refund: 2,
                    sale: 1,
                    phase: RefundPhase::Sending,
                    payout: "pyt-late".into(),
                    amount: sle(200),
                },
                Difference::RefundedHereNotThere {
                    refund: 3,
                    sale: 1,
                    payout: Some("pyt-processing".into()),
                    amount: sle(300),
                    status: Some(Processing),
                },
                Difference::RefundedHereNotThere {
                    refund: 4,
                    sale: 1,
                    payout: Some("pyt-gone".into()),
                    amount: sle(400),
                    status: None,
                },
                Difference::RefundAmountDiffers {
                    refund: 5,
                    sale: 1,
                    payout: "pyt-other-amount".into(),
                    here: sle(500),
                    there: sle(550),
                },
                Difference::PayoutMissing(Box::new(monime[5].clone())),
                Difference::PayoutMissing(Box::new(monime[7].clone())),
            ]
        );
        assert_eq!((found.checked, found.failed_missing), (9, 1));
        let check = compare(Span::Today, "T1", &[], &[], &HashSet::new()).with_payouts(found);
        assert_eq!(
            check.restorable_payouts(),
            [&monime[5]],
            "only the completed one"
        );
        assert_eq!(check.payouts_checked, 9);
        let agreed = compare_payouts("T1", &refunds[..1], &monime[..1], &HashSet::new());
        assert!(agreed.differences.is_empty());
        assert_eq!(agreed.checked, 1);
    }
}
