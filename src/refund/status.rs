//! How a refund reads, in the three languages: its line for the screen and the command line,
//! why a payout failed in plain words, and the quote shown before anything moves.
//!
//! "Refunded" is said only of Monime's `completed`, "Not sent" only of its `failed`; where the
//! terminal cannot tell, it says so and sends whoever refunds to the Monime dashboard.

use super::{Refund, RefundPhase};
use crate::lang::Language;
use crate::money::{CurrencyStyle, Money};
use crate::monime::{PayoutFailureCode, provider_name};
use crate::sale::Reachability;

/// What is said when the terminal cannot tell whether the money went (in English: the command
/// line's words and the journal's).
pub const NOT_CONFIRMED: &str = "Refund not confirmed: check the Monime dashboard";

impl Refund {
    /// The refund in one line, in English: the command line's words and the journal's.
    pub fn status_line(&self) -> String {
        self.status_line_in(Language::English)
    }

    /// `status_line` in `language`, for the screen.
    pub fn status_line_in(&self, language: Language) -> String {
        let trouble = self.trouble(language);
        let record = &self.record;
        match (record.phase, trouble) {
            (RefundPhase::Written | RefundPhase::Sending, None) => {
                language.tr("Sending the refund").into()
            }
            (RefundPhase::Written | RefundPhase::Sending, Some(trouble)) => {
                language.trf("Sending the refund; {}, still trying", &[&trouble])
            }
            (RefundPhase::Pending, None) => language.tr("Refund waiting at Monime").into(),
            (RefundPhase::Pending, Some(trouble)) => {
                language.trf("Refund waiting at Monime; {}, still checking", &[&trouble])
            }
            (RefundPhase::Processing, None) => language.tr("Refund on its way").into(),
            (RefundPhase::Processing, Some(trouble)) => {
                language.trf("Refund on its way; {}, still checking", &[&trouble])
            }
            (RefundPhase::Completed, _) => language.tr("Refunded").into(),
            (RefundPhase::Failed, _) => {
                let code = record.failure.as_ref().and_then(|f| f.code.as_ref());
                let reason = failure_reason(code.unwrap_or(&PayoutFailureCode::Unknown), language);
                language.trf("Not sent: {}", &[&reason])
            }
            (RefundPhase::Refused, _) => {
                let message = record.failure.as_ref().and_then(|f| f.message.as_deref());
                language.trf(
                    "Refused by Monime ({}). No money was sent.",
                    &[&message.unwrap_or("no reason given")],
                )
            }
            (RefundPhase::Unknown, _) => language
                .tr("Refund not confirmed: check the Monime dashboard")
                .into(),
        }
    }

    /// Why Monime is not giving its word, in a few words, if it is not.
    fn trouble(&self, language: Language) -> Option<&'static str> {
        match self.reachability {
            Reachability::Lost { .. } => Some(language.tr("connection lost")),
            Reachability::Erring { .. } => Some(language.tr("Monime is having trouble")),
            Reachability::KeyRefused { .. } => {
                Some(language.tr("Monime refused this terminal's key"))
            }
            Reachability::Answering if self.not_found_since.is_some() => {
                Some(language.tr("Monime cannot find the payout"))
            }
            Reachability::Answering => None,
        }
    }
}

/// Why a payout failed, in plain words from Monime's code.
pub fn failure_reason(code: &PayoutFailureCode, language: Language) -> &'static str {
    match code {
        PayoutFailureCode::FundInsufficient => language.tr("Monime's balance is too low"),
        PayoutFailureCode::ProviderAccountMissing => {
            language.tr("the provider has no account with this number")
        }
        PayoutFailureCode::ProviderAccountBlocked => language.tr("the payer's account is blocked"),
        PayoutFailureCode::ProviderAccountQuotaExhausted => {
            language.tr("the payer's account has reached its limit")
        }
        PayoutFailureCode::AuthorizationFailed => language.tr("the provider refused it"),
        PayoutFailureCode::ProviderUnknown => language.tr("the provider failed"),
        PayoutFailureCode::Expired => language.tr("it was not sent in time"),
        PayoutFailureCode::Unknown | PayoutFailureCode::Other(_) => {
            language.tr("Monime gave no reason")
        }
    }
}

/// What Monime will charge on top of a refund, as far as the terminal can say before sending:
/// Monime quotes no payout fee in advance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeeQuote {
    /// `[refunds] fee`, as the shop set it.
    Configured(Money),
    /// What Monime charged the last completed refund.
    LastRefund(Money),
    NotKnown,
}

/// What a refund will do, shown before anything moves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundQuote {
    pub sale: i64,
    pub amount: Money,
    /// What would be left to refund of the sale afterwards.
    pub left_after: Money,
    pub provider_id: String,
    /// The payer's number as shown: `076 ··· 456`.
    pub phone_shown: String,
    /// The account holder's name, as the provider gives it.
    pub holder_name: Option<String>,
    pub fee: FeeQuote,
}

impl RefundQuote {
    /// `Send Le 12.50 to AMINATA KAMARA, Orange Money 077 ··· 456?`
    pub fn question_in(&self, language: Language, style: CurrencyStyle) -> String {
        let amount = self.amount.display(style);
        let provider = provider_name(&self.provider_id);
        match &self.holder_name {
            Some(holder) => language.trf(
                "Send {} to {}, {} {}?",
                &[&amount, holder, &provider, &self.phone_shown],
            ),
            None => language.trf(
                "Send {} to {} {}? The provider gives no name for this number.",
                &[&amount, &provider, &self.phone_shown],
            ),
        }
    }

    /// `Monime's fee: Le 0.50`, and where the figure comes from.
    pub fn fee_in(&self, language: Language, style: CurrencyStyle) -> String {
        match self.fee {
            FeeQuote::Configured(fee) => language.trf(
                "Monime's fee: {} (as set for refunds)",
                &[&fee.display(style)],
            ),
            FeeQuote::LastRefund(fee) => language.trf(
                "Monime's fee: {} (as on the last refund)",
                &[&fee.display(style)],
            ),
            FeeQuote::NotKnown => language
                .tr("Monime's fee: not known until it is sent")
                .into(),
        }
    }

    /// The question and the fee, as one sentence.
    pub fn sentence_in(&self, language: Language, style: CurrencyStyle) -> String {
        format!(
            "{} {}",
            self.question_in(language, style),
            self.fee_in(language, style)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    #[test]
    fn the_quote_says_who_gets_what_and_the_fee_with_its_source() {
        let quote = RefundQuote {
            sale: 7,
            amount: Money::new(Currency::Sle, 1250),
            left_after: Money::new(Currency::Sle, 0),
            provider_id: "m17".into(),
            phone_shown: "077 ··· 456".into(),
            holder_name: Some("AMINATA KAMARA".into()),
            fee: FeeQuote::Configured(Money::new(Currency::Sle, 50)),
        };
        assert_eq!(
            quote.sentence_in(Language::English, CurrencyStyle::Symbol),
            "Send Le 12.50 to AMINATA KAMARA, Orange Money 077 ··· 456? Monime's fee: Le 0.50 (as set for refunds)"
        );
        let unnamed = RefundQuote {
            holder_name: None,
            fee: FeeQuote::NotKnown,
            ..quote.clone()
        };
        let sentence = unnamed.sentence_in(Language::English, CurrencyStyle::Code);
        assert!(
            sentence.starts_with("Send SLE 12.50 to Orange Money 077 ··· 456?"),
            "{sentence}"
        );
        assert!(
            sentence.ends_with("not known until it is sent"),
            "{sentence}"
        );
        assert_ne!(
            quote.question_in(Language::French, CurrencyStyle::Symbol),
            quote.question_in(Language::English, CurrencyStyle::Symbol)
        );
    }

    #[test]
    fn every_failure_has_plain_words() {
        assert_eq!(
            failure_reason(&PayoutFailureCode::FundInsufficient, Language::English),
            "Monime's balance is too low"
        );
        assert_eq!(
            failure_reason(&PayoutFailureCode::Other("moon".into()), Language::English),
            "Monime gave no reason"
        );
    }
}
