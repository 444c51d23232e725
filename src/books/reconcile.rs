//! Reconciliation with Monime: the day's codes as Monime lists them (every page), matched with
//! the journal by code id. Three things differ in a way the owner must look into: a code paid
//! at Monime that is not paid here (a late or lost payment), a sale paid here that Monime does
//! not call completed, and a code of this terminal (its `terminal` metadata) the journal lacks.
//! The matching is pure (`compare`); `reconcile` reads both sides; `restore` writes the paid
//! codes the journal lacks back into it.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};

use super::ALERT_MARK;
use crate::clock::OFF_AFTER;
use crate::controller::{learn_the_time, run_blocking};
use crate::journal::{JournalError, Restored, StoredSale, z_label};
use crate::lang::Language;
use crate::money::{CurrencyStyle, Money};
use crate::monime::{CodeStatus, MonimeError, PaymentCode};
use crate::report::{ReportLine, day_bounds, local_zone};
use crate::sale::Phase;
use crate::terminal::Terminal;

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
    /// "since Z 0003", "since the first sale", "today", "on 2026-11-22".
    pub scope: String,
    /// The codes compared: the checked sales' codes and this terminal's codes at Monime.
    pub checked: usize,
    pub differences: Vec<Difference>,
    /// Codes of this terminal the journal lacks that were never paid (expired or cancelled):
    /// no money is missing, so they are counted, not listed.
    pub unpaid_missing: usize,
}

/// Why the check could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error("{0}")]
    Monime(#[from] MonimeError),
    #[error("{0}")]
    Journal(#[from] JournalError),
    #[error("Monime did not finish answering within {} s", .0.as_secs())]
    TooSlow(std::time::Duration),
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

    /// A headline with the amount, then what it is about, each marked as an alert.
    pub fn lines(&self, style: CurrencyStyle, language: Language) -> Vec<ReportLine> {
        let l = language;
        let amount = self
            .amount()
            .map(|amount| amount.display(style))
            .unwrap_or_else(|| l.tr("amount not said").into());
        // The detail is indented under its headline.
        let alert = |text: String| ReportLine::new(format!("{ALERT_MARK}  {text}"), "");
        let (headline, detail) = match self {
            Difference::PaidThereNotHere {
                sale, phase, code, ..
            } => (
                l.tr("Paid at Monime, not here"),
                l.trf(
                    "sale {} ({} here), {}",
                    &[sale, &phase.label_in(l).to_lowercase(), code],
                ),
            ),
            Difference::PaidHereNotThere {
                sale, code, status, ..
            } => (
                l.tr("Paid here, not at Monime"),
                // Monime's status is its own word: `paid`, `expired`.
                match status {
                    Some(status) => l.trf("sale {}, {} is {} at Monime", &[sale, code, status]),
                    None => l.trf("sale {}, Monime has no code {}", &[sale, code]),
                },
            ),
            Difference::Missing(code) => (
                l.tr("Not in the journal"),
                match &code.ussd_code {
                    Some(ussd) => l.trf("{} {}, {} at Monime", &[&code.id, ussd, &code.status]),
                    None => l.trf("{}, {} at Monime", &[&code.id, &code.status]),
                },
            ),
        };
        vec![
            ReportLine::new(format!("{ALERT_MARK}{headline}"), amount),
            alert(detail),
        ]
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

    /// What the check found, as the Z report, the books screen and `reconcile` show it.
    pub fn lines(&self, style: CurrencyStyle, language: Language) -> Vec<ReportLine> {
        let l = language;
        let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        let codes = l.trn("{n} code", "{n} codes", count(self.checked), &[]);
        let mut lines = match self.differences.len() {
            0 => vec![ReportLine::new(l.tr("Agreed with Monime"), codes)],
            differences => vec![ReportLine::new(
                format!(
                    "{ALERT_MARK}{}",
                    l.trn(
                        "{n} difference with Monime",
                        "{n} differences with Monime",
                        count(differences),
                        &[]
                    )
                ),
                codes,
            )],
        };
        for difference in &self.differences {
            lines.extend(difference.lines(style, l));
        }
        if self.unpaid_missing > 0 {
            lines.push(ReportLine::new(
                l.tr("Unpaid codes not in the journal"),
                self.unpaid_missing.to_string(),
            ));
        }
        lines
    }

    /// The line a close keeps when Monime could not be asked.
    pub fn not_checked(error: &ReconcileError, language: Language) -> Vec<ReportLine> {
        let l = language;
        let why = match error {
            ReconcileError::Monime(error) if error.refuses_key() => {
                l.tr("Not checked: Monime refused the key")
            }
            ReconcileError::Monime(error)
                if error.is_retryable() || matches!(error, MonimeError::TrustStore { .. }) =>
            {
                l.tr("Not checked: Monime could not be reached")
            }
            ReconcileError::TooSlow(_) => l.tr("Not checked: Monime could not be reached"),
            ReconcileError::Monime(_) => l.tr("Not checked: Monime's answer could not be used"),
            ReconcileError::Journal(_) => l.tr("Not checked: the journal could not be read"),
        };
        // The error in full goes to the log; the paper says what it means for the books.
        vec![ReportLine::new(format!("{ALERT_MARK}{why}"), "")]
    }
}

/// Whether Monime's record says the code was made by the terminal `terminal_id`.
fn made_by(code: &PaymentCode, terminal_id: &str) -> bool {
    code.metadata
        .as_ref()
        .and_then(|metadata| metadata.get("terminal"))
        .and_then(|terminal| terminal.as_str())
        == Some(terminal_id)
}

/// Matches the checked sales with Monime's codes. `monime` holds the codes of the scope's time
/// and of any checked sale; `known_elsewhere` the ids among them the journal has outside the
/// scope (another day's sales), which are not this check's business.
pub fn compare(
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
        scope: String::new(),
        checked,
        differences,
        unpaid_missing,
    }
}

/// The sales a check covers, and from when (and until when) Monime's codes are read.
struct Scope {
    label: String,
    sales: Vec<StoredSale>,
    from: DateTime<Utc>,
    until: Option<DateTime<Utc>>,
}

/// Checks `day` against Monime: reads the journal's sales and Monime's codes of that time,
/// asks Monime about any paid sale its list did not show, and compares.
pub async fn reconcile(terminal: &Terminal, day: Day) -> Result<Reconciliation, ReconcileError> {
    let services = &terminal.services;
    learn_the_time(services).await;
    let today = services.clock().today();
    let journal = services.journal.clone();
    let scope = run_blocking(move || {
        let zone = local_zone();
        match day {
            Day::Date(date) => {
                let (from, until) = day_bounds(date, zone);
                Ok(Scope {
                    label: format!("on {}", date.format("%Y-%m-%d")),
                    sales: journal.between(from, until)?,
                    from,
                    until: Some(until),
                })
            }
            Day::Current => {
                let sales = journal.sales_since_close()?;
                // A sale still open at the last close, or left from before today, is in this
                // day's books: Monime's list is read back to it.
                let first = sales.iter().map(|sale| sale.created_at).min();
                let today_starts = day_bounds(today, zone).0;
                let (start, label) = match journal.last_close()? {
                    // The close is dated by this terminal's clock, the codes by Monime's,
                    // which may differ by up to `OFF_AFTER` before the terminal goes by
                    // Monime's; codes of the margin the journal has are another day's and
                    // are left out by `compare`.
                    Some(close) => (
                        close.closed_at - OFF_AFTER,
                        format!("since {}", z_label(close.number)),
                    ),
                    None if first.is_some_and(|first| first < today_starts) => {
                        (today_starts, "since the first sale".to_string())
                    }
                    None => (today_starts, "today".to_string()),
                };
                Ok(Scope {
                    label,
                    from: first.map_or(start, |first| first.min(start)),
                    sales,
                    until: None,
                })
            }
        }
    })
    .await?;
    let client = &services.client;
    let mut codes: Vec<PaymentCode> = client
        .list_created_since(scope.from)
        .await?
        .into_iter()
        .filter(|code| {
            let (Some(until), Some(created)) = (scope.until, code.create_time) else {
                return true;
            };
            created < until
        })
        .collect();
    // A paid sale whose code the list did not show (made just before the scope's start, say)
    // is asked about on its own.
    let listed: HashSet<String> = codes.iter().map(|code| code.id.clone()).collect();
    let unlisted: Vec<String> = scope
        .sales
        .iter()
        .filter(|sale| sale.record.phase == Phase::Paid)
        .filter_map(|sale| sale.record.code.as_ref())
        .filter(|code| !listed.contains(&code.id))
        .map(|code| code.id.clone())
        .collect();
    for id in unlisted {
        match client.get(&id).await {
            Ok(code) => codes.push(code),
            Err(MonimeError::NotFound { .. }) => {}
            Err(error) => return Err(error.into()),
        }
    }
    let in_scope: HashSet<String> = scope
        .sales
        .iter()
        .filter_map(|sale| sale.record.code.as_ref())
        .map(|code| code.id.clone())
        .collect();
    let others: Vec<String> = codes
        .iter()
        .map(|code| code.id.clone())
        .filter(|id| !in_scope.contains(id))
        .collect();
    let journal = services.journal.clone();
    let known_elsewhere = run_blocking(move || {
        let mut known = HashSet::new();
        for id in others {
            if journal.sale_by_code(&id)?.is_some() {
                known.insert(id);
            }
        }
        Ok(known)
    })
    .await?;
    let mut found = compare(
        &services.terminal_id,
        &scope.sales,
        &codes,
        &known_elsewhere,
    );
    found.scope = scope.label;
    Ok(found)
}

/// Writes each paid code the journal lacks back into it, marked restored; what came of each.
pub async fn restore(
    terminal: &Terminal,
    found: &Reconciliation,
) -> Result<Vec<(PaymentCode, Restored)>, JournalError> {
    let mut codes: Vec<PaymentCode> = found.restorable().into_iter().cloned().collect();
    // Oldest first, so restored sale numbers follow the order the sales were made in.
    codes.sort_by_key(|code| code.create_time);
    let journal = terminal.services.journal.clone();
    let terminal_id = terminal.services.terminal_id.clone();
    let now = terminal.services.clock().now();
    run_blocking(move || {
        codes
            .into_iter()
            .map(|code| {
                let restored = journal.restore_paid(&code, &terminal_id, now)?;
                if let Restored::Added(number) = restored {
                    tracing::info!(sale = number, code = %code.id, "restored from Monime");
                }
                Ok((code, restored))
            })
            .collect()
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

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
            id: id.into(),
            name: None,
            status,
            enabled: true,
            amount: Some(Money::new(Currency::Sle, minor)),
            ussd_code: Some("*715*1*2#".into()),
            reference: None,
            authorized_providers: Vec::new(),
            authorized_phone_number: None,
            expire_time: None,
            create_time: Some(Utc::now()),
            update_time: None,
            payment: None,
            metadata: Some(serde_json::json!({"terminal": terminal, "sale": "1"})),
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
        let found = compare("T1", &sales, &monime, &elsewhere);
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
        let lines = found.lines(CurrencyStyle::Symbol, Language::English);
        assert_eq!(
            lines[0],
            ReportLine::new("! 4 differences with Monime", "7 codes")
        );
        assert_eq!(
            lines[1],
            ReportLine::new("! Paid at Monime, not here", "Le 2.00")
        );
        assert_eq!(lines[2].label, "!   sale 2 (unknown here), pmc-late");
        // A close keeps them in the terminal's language, the alert mark and amounts as they are.
        let french = found.lines(CurrencyStyle::Symbol, Language::French);
        assert_eq!(
            french[0],
            ReportLine::new("! 4 écarts avec Monime", "7 codes")
        );
        assert_eq!(french[2].label, "!   vente 2 (inconnue ici), pmc-late");
        assert!(
            lines.iter().all(|line| line.label.starts_with(ALERT_MARK)
                || line.label == "Unpaid codes not in the journal"),
            "{lines:?}"
        );

        let agreed = compare("T1", &sales[..1], &monime[..1], &HashSet::new());
        assert!(agreed.agrees());
        assert_eq!(
            agreed.lines(CurrencyStyle::Code, Language::English),
            [ReportLine::new("Agreed with Monime", "1 code")]
        );
    }
}
