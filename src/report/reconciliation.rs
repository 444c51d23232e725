//! What a check with Monime found, in words: the lines the Z report keeps, the books screen
//! shows and `reconcile` prints, in the language asked for. Alerts are marked as data
//! (`ReportLine::alert`); each place that shows them marks them its own way.

use crate::books::{Difference, ReconcileError, Reconciliation};
use crate::lang::Language;
use crate::money::CurrencyStyle;
use crate::monime::MonimeError;
use crate::refund::{RefundPhase, SALE_METADATA};
use crate::report::ReportLine;

/// What the check found, as the Z report, the books screen and `reconcile` show it.
pub fn reconciliation_lines(
    found: &Reconciliation,
    style: CurrencyStyle,
    language: Language,
) -> Vec<ReportLine> {
    let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    let codes = language.trn("{n} code", "{n} codes", count(found.checked), &[]);
    // Payouts are said only where some were compared: a terminal that never refunds reads as
    // it always did.
    let codes = match found.payouts_checked {
        0 => codes,
        payouts => {
            let payouts = language.trn("{n} payout", "{n} payouts", count(payouts), &[]);
            language.trf("{}, {}", &[&codes, &payouts])
        }
    };
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
    if found.failed_payouts_missing > 0 {
        lines.push(ReportLine::new(
            language.tr("Failed payouts not in the journal"),
            found.failed_payouts_missing.to_string(),
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
        Difference::RefundedThereNotHere {
            refund,
            sale,
            phase,
            payout,
            ..
        } => (
            language.tr("Refunded at Monime, not here"),
            language.trf(
                "refund {} of sale {} ({} here), {}",
                &[refund, sale, &refund_state(*phase, language), payout],
            ),
        ),
        Difference::RefundedHereNotThere {
            refund,
            sale,
            payout,
            status,
            ..
        } => (
            language.tr("Refunded here, not at Monime"),
            // Monime's status is its own word: `processing`, `failed`.
            match (payout, status) {
                (Some(payout), Some(status)) => language.trf(
                    "refund {} of sale {}, {} is {} at Monime",
                    &[refund, sale, payout, status],
                ),
                (Some(payout), None) => language.trf(
                    "refund {} of sale {}, Monime has no payout {}",
                    &[refund, sale, payout],
                ),
                (None, _) => language.trf(
                    "refund {} of sale {}, Monime has no payout for it",
                    &[refund, sale],
                ),
            },
        ),
        Difference::RefundAmountDiffers {
            refund,
            sale,
            payout,
            here,
            ..
        } => (
            language.tr("Refund of another amount at Monime"),
            language.trf(
                "refund {} of sale {}, {}: {} here",
                &[refund, sale, payout, &here.display(style)],
            ),
        ),
        Difference::PayoutMissing(payout) => (
            language.tr("Payout not in the journal"),
            match payout.metadata_text(SALE_METADATA) {
                Some(sale) => language.trf(
                    "{} for sale {}, {} at Monime",
                    &[&payout.id, &sale, &payout.status],
                ),
                None => language.trf("{}, {} at Monime", &[&payout.id, &payout.status]),
            },
        ),
    };
    // The detail is indented under its headline.
    vec![
        ReportLine::alert(headline, amount),
        ReportLine::alert(format!("  {detail}"), ""),
    ]
}

/// Where a refund the journal does not call refunded stands, in a word or two.
fn refund_state(phase: RefundPhase, language: Language) -> &'static str {
    match phase {
        RefundPhase::Written
        | RefundPhase::Sending
        | RefundPhase::Pending
        | RefundPhase::Processing => language.tr("on its way"),
        RefundPhase::Completed => language.tr("refunded"),
        RefundPhase::Failed => language.tr("not sent"),
        RefundPhase::Refused => language.tr("refused"),
        RefundPhase::Unknown => language.tr("not confirmed"),
    }
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
            payouts_checked: 0,
            failed_payouts_missing: 0,
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
    fn refund_differences_say_which_refund_and_payout() {
        use crate::monime::{Payout, PayoutStatus};
        let sle = |minor| Money::new(Currency::Sle, minor);
        let lost = Payout::for_test(
            "pyt-lost",
            PayoutStatus::Completed,
            sle(400),
            Some(serde_json::json!({"terminal": "T1", "sale": "3"})),
        );
        let found = Reconciliation {
            span: Span::Today,
            checked: 2,
            differences: vec![
                Difference::RefundedThereNotHere {
                    refund: 2,
                    sale: 1,
                    phase: RefundPhase::Sending,
                    payout: "pyt-late".into(),
                    amount: sle(200),
                },
                Difference::RefundedHereNotThere {
                    refund: 4,
                    sale: 1,
                    payout: Some("pyt-slow".into()),
                    amount: sle(300),
                    status: Some(PayoutStatus::Processing),
                },
                Difference::RefundAmountDiffers {
                    refund: 5,
                    sale: 2,
                    payout: "pyt-odd".into(),
                    here: sle(500),
                    there: sle(550),
                },
                Difference::PayoutMissing(Box::new(lost)),
            ],
            unpaid_missing: 0,
            payouts_checked: 4,
            failed_payouts_missing: 1,
        };
        let lines = reconciliation_lines(&found, CurrencyStyle::Symbol, Language::English);
        let text: Vec<(String, String)> = lines
            .iter()
            .map(|line| (line.marked_label(), line.value.clone()))
            .collect();
        let expected = [
            ("! 4 differences with Monime", "2 codes, 4 payouts"),
            ("! Refunded at Monime, not here", "Le 2.00"),
            ("!   refund 2 of sale 1 (on its way here), pyt-late", ""),
            ("! Refunded here, not at Monime", "Le 3.00"),
            (
                "!   refund 4 of sale 1, pyt-slow is processing at Monime",
                "",
            ),
            ("! Refund of another amount at Monime", "Le 5.50"),
            ("!   refund 5 of sale 2, pyt-odd: Le 5.00 here", ""),
            ("! Payout not in the journal", "Le 4.00"),
            ("!   pyt-lost for sale 3, completed at Monime", ""),
            ("Failed payouts not in the journal", "1"),
        ];
        assert_eq!(
            text,
            expected.map(|(label, value)| (label.to_string(), value.to_string()))
        );
    }

    #[test]
    fn an_agreed_check_is_one_plain_line() {
        let agreed = Reconciliation {
            span: Span::Today,
            checked: 1,
            differences: Vec::new(),
            unpaid_missing: 0,
            payouts_checked: 0,
            failed_payouts_missing: 0,
        };
        assert_eq!(
            reconciliation_lines(&agreed, CurrencyStyle::Code, Language::English),
            [ReportLine::new("Agreed with Monime", "1 code")]
        );
    }
}
