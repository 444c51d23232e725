//! How a sale reads in one line, for the screen, the command line and the journal's history,
//! and the sentences about money that only some outcomes may say.
//!
//! "Nothing was charged" is said only on Monime's word: it called the code expired or
//! cancelled, or refused to make it. Where the terminal cannot tell, it says so and sends the
//! cashier to the Monime dashboard.

use super::{Phase, Reachability, Sale};
use crate::lang::Language;

// The constants are the English the journal stores in a sale's failure and the command line
// prints; the screen's words for them come from the catalogues through the functions below,
// which must say the same in English (tested here and, for KEY_REFUSED, in
// tests/sale_trouble.rs).

/// Said only when Monime's own answer shows that no money moved.
pub const NOTHING_CHARGED: &str = "Nothing was charged.";
/// What the cashier must do when the terminal cannot tell whether the customer paid.
pub const CHECK_THE_DASHBOARD: &str = "Check the Monime dashboard before you hand over the goods.";
/// Monime answered 401 or 403: in words for the cashier; the technician's detail (the error
/// and where the key came from) is on the admin screen and in the log.
pub const KEY_REFUSED: &str = "Monime refused this terminal's key. Call the technician.";

/// `NOTHING_CHARGED` in `language`: the same meaning, word for word, in every catalogue.
pub fn nothing_charged(language: Language) -> &'static str {
    language.tr("Nothing was charged.")
}

/// `CHECK_THE_DASHBOARD` in `language`.
pub fn check_the_dashboard(language: Language) -> &'static str {
    language.tr("Check the Monime dashboard before you hand over the goods.")
}

impl Sale {
    /// What the cashier should read under the amount (in English: the command line's words).
    pub fn status_line(&self) -> String {
        self.status_line_in(Language::English)
    }

    /// `status_line` in `language`, for the screen.
    pub fn status_line_in(&self, language: Language) -> String {
        if self.left_for_recover {
            return language
                .tr("Cancel not confirmed; the sale is left for recover")
                .into();
        }
        let phase = self.record.phase;
        if matches!(self.reachability, Reachability::KeyRefused { .. }) && !phase.is_final() {
            return match phase {
                Phase::PaymentInProgress => language.tr(
                    "Payment in progress. Monime refused this terminal's key. Call the technician.",
                ),
                Phase::Cancelling => language
                    .tr("Cancelling. Monime refused this terminal's key. Call the technician."),
                _ => language.tr("Monime refused this terminal's key. Call the technician."),
            }
            .into();
        }
        let trouble = self.trouble(language);
        match phase {
            Phase::CreatingCode => match trouble {
                Some(trouble) => capital(&language.trf("{}, still trying to get a code", &[&trouble])),
                None => language.tr("Getting a payment code").into(),
            },
            Phase::AwaitingPayment => match trouble {
                Some(trouble) => capital(&language.trf("{}, still checking", &[&trouble])),
                None => language.tr("Waiting for payment").into(),
            },
            Phase::PaymentInProgress => match trouble {
                Some(trouble) => language.trf("Payment in progress; {}, still checking", &[&trouble]),
                None if self.record.cancel_requested => language
                    .tr("Payment in progress: the cancel waits for its outcome")
                    .into(),
                None => language.tr("Payment in progress").into(),
            },
            Phase::Cancelling => match trouble {
                Some(trouble) => language.trf("Cancelling; {}, still trying", &[&trouble]),
                None => language.tr("Cancelling").into(),
            },
            Phase::Paid if self.record.cancel_requested => language
                .tr("PAID: the customer paid before the cancel took effect")
                .into(),
            Phase::Paid => language.tr("PAID").into(),
            Phase::Expired => language.tr("The code expired before it was paid").into(),
            Phase::Cancelled => language.tr("Cancelled: nothing was paid").into(),
            // The failure is Monime's or the system's own words, for the technician.
            Phase::Failed => language.trf(
                "Failed: {}",
                &[&self.record.failure.as_deref().unwrap_or("no reason given")],
            ),
            Phase::Unknown => language.trf(
                "Payment not confirmed: Monime cannot find the code {}. Check the Monime dashboard before you hand over the goods.",
                &[&self.code_id()],
            ),
        }
    }

    /// Why the sale is not getting Monime's word on its code, in a few words, if it is not.
    fn trouble(&self, language: Language) -> Option<&'static str> {
        match self.reachability {
            Reachability::Lost { .. } => Some(language.tr("connection lost")),
            Reachability::Erring { .. } => Some(language.tr("Monime is having trouble")),
            Reachability::KeyRefused { .. } => {
                Some(language.tr("Monime refused this terminal's key"))
            }
            Reachability::Answering if self.not_found_since.is_some() => {
                Some(if self.record.code.is_some() {
                    language.tr("Monime cannot find the code")
                } else {
                    language.tr("Monime answered \"not found\"")
                })
            }
            Reachability::Answering => None,
        }
    }

    fn code_id(&self) -> &str {
        self.record
            .code
            .as_ref()
            .map(|code| code.id.as_str())
            .unwrap_or("?")
    }
}

fn capital(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_money_sentences_are_the_constants_in_english() {
        assert_eq!(nothing_charged(Language::English), NOTHING_CHARGED);
        assert_eq!(check_the_dashboard(Language::English), CHECK_THE_DASHBOARD);
    }
}
