//! What a check with Monime found, in words: the lines the Z report keeps, the books screen
//! shows and `reconcile` prints, in the language asked for. Alerts are marked as data
//! (`ReportLine::alert`); each place that shows them marks them its own way.

use crate::books::{Difference, ReconcileError, Reconciliation};
use crate::lang::Language;
use crate::money::CurrencyStyle;
use crate::monime::MonimeError;
use crate::report::ReportLine;

/// What the check found, as the Z report, the books screen and `reconcile` show it.
pub fn reconciliation_lines(
    found: &Reconciliation,
    style: CurrencyStyle,
    language: Language,
) -> Vec<ReportLine> {
    let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    let codes = language.trn("{n} code", "{n} codes", count(found.checked), &[]);
    let mut lines = match found.differences.len() {
        0 => vec![ReportLine::new(language.tr("Agreed with Monime"), codes)],
        differences => vec![ReportLine::alert(
            language.trn(
                "{n} difference with Monime",
                "{n} differences with Monime",
                count(differences),
                &[],
            ),
            codes,
        )],
    };
    for difference in &found.differences {
        lines.extend(difference_lines(difference, style, language));
    }
    if found.unpaid_missing > 0 {
        lines.push(ReportLine::new(
            language.tr("Unpaid codes not in the journal"),
            found.unpaid_missing.to_string(),
        ));
    }
    lines
}

/// The line a close keeps when Monime could not be asked.
pub fn not_checked_lines(error: &ReconcileError, language: Language) -> Vec<ReportLine> {
    let why = match error {
        ReconcileError::Monime(error) if error.refuses_key() => {
            language.tr("Not checked: Monime refused the key")
        }
        ReconcileError::Monime(error)
            if error.is_retryable() || matches!(error, MonimeError::TrustStore { .. }) =>
        {
            language.tr("Not checked: Monime could not be reached")
        }
        ReconcileError::TooSlow(_) => language.tr("Not checked: Monime could not be reached"),
        ReconcileError::Monime(_) => language.tr("Not checked: Monime's answer could not be used"),
        ReconcileError::Journal(_) => language.tr("Not checked: the journal could not be read"),
    };
    // The error in full goes to the log; the paper says what it means for the books.
    vec![ReportLine::alert(why, "")]
}

/// A headline with the amount, then what it is about, each an alert.
fn difference_lines(
    difference: &Difference,
    style: CurrencyStyle,
    language: Language,
) -> Vec<ReportLine> {
    let amount = difference
        .amount()
        .map(|amount| amount.display(style))
        .unwrap_or_else(|| language.tr("amount not said").into());
    let (headline, detail) = match difference {
        Difference::PaidThereNotHere {
            sale, phase, code, ..
        } => (
            language.tr("Paid at Monime, not here"),
            language.trf(
                "sale {} ({} here), {}",
                &[sale, &phase.label_in(language).to_lowercase(), code],
            ),
        ),
        Difference::PaidHereNotThere {
            sale, code, status, ..
        } => (
            language.tr("Paid here, not at Monime"),
            // Monime's status is its own word: `paid`, `expired`.
            match status {
                Some(status) => language.trf("sale {}, {} is {} at Monime", &[sale, code, status]),
                None => language.trf("sale {}, Monime has no code {}", &[sale, code]),
            },
        ),
        Difference::Missing(code) => (
            language.tr("Not in the journal"),
            match &code.ussd_code {
                Some(ussd) => language.trf("{} {}, {} at Monime", &[&code.id, ussd, &code.status]),
                None => language.trf("{}, {} at Monime", &[&code.id, &code.status]),
            },
        ),
    };
    // The detail is indented under its headline.
    vec![
        ReportLine::alert(headline, amount),
        ReportLine::alert(format!("  {detail}"), ""),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::books::Span;
    use crate::money::{Currency, Money};
    use crate::monime::{CodeStatus, PaymentCode};
    use crate::sale::Phase;

    fn found() -> Reconciliation {
        let sle = |minor| Money::new(Currency::Sle, minor);
        let lost = PaymentCode::for_test("pmc-lost", CodeStatus::Completed, sle(1250));
        Reconciliation {
            span: Span::Today,
            checked: 7,
            differences: vec![
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
                Difference::Missing(Box::new(lost)),
            ],
            unpaid_missing: 1,
        }
    }

    #[test]
    fn differences_are_alerts_in_the_language_asked() {
        let found = found();
        let lines = reconciliation_lines(&found, CurrencyStyle::Symbol, Language::English);
        assert_eq!(
            lines[0],
            ReportLine::alert("4 differences with Monime", "7 codes")
        );
        assert_eq!(
            lines[1],
            ReportLine::alert("Paid at Monime, not here", "Le 2.00")
        );
        assert_eq!(
            lines[2].marked_label(),
            "!   sale 2 (unknown here), pmc-late"
        );
        // A close keeps them in the terminal's language, the alert mark and amounts as they are.
        let french = reconciliation_lines(&found, CurrencyStyle::Symbol, Language::French);
        assert_eq!(
            french[0],
            ReportLine::alert("4 écarts avec Monime", "7 codes")
        );
        assert_eq!(
            french[2].marked_label(),
            "!   vente 2 (inconnue ici), pmc-late"
        );
        assert!(
            lines
                .iter()
                .all(|line| line.alert || line.label == "Unpaid codes not in the journal"),
            "{lines:?}"
        );
    }

    #[test]
    fn an_agreed_check_is_one_plain_line() {
        let agreed = Reconciliation {
            span: Span::Today,
            checked: 1,
            differences: Vec::new(),
            unpaid_missing: 0,
        };
        assert_eq!(
            reconciliation_lines(&agreed, CurrencyStyle::Code, Language::English),
            [ReportLine::new("Agreed with Monime", "1 code")]
        );
    }
}
