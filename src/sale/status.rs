//! How a sale reads in one line, for the screen, the command line and the journal's history,
//! and the sentences about money that only some outcomes may say.
//!
//! "Nothing was charged" is said only on Monime's word: it called the code expired or
//! cancelled, or refused to make it. Where the terminal cannot tell, it says so and sends the
//! cashier to the Monime dashboard.

use super::{Phase, Reachability, Sale};

/// Said only when Monime's own answer shows that no money moved.
pub const NOTHING_CHARGED: &str = "Nothing was charged.";
/// What the cashier must do when the terminal cannot tell whether the customer paid.
pub const CHECK_THE_DASHBOARD: &str = "Check the Monime dashboard before you hand over the goods.";
/// Monime answered 401 or 403: in words for the cashier; the technician's detail (the error
/// and where the key came from) is on the admin screen and in the log.
pub const KEY_REFUSED: &str = "Monime refused this terminal's key. Call the technician.";
/// A cancel Monime never confirmed within `Bounds::cancel_for`.
pub const CANCEL_LEFT_FOR_RECOVER: &str = "Cancel not confirmed; the sale is left for recover";

impl Sale {
    /// What the cashier should read under the amount.
    pub fn status_line(&self) -> String {
        if self.left_for_recover {
            return CANCEL_LEFT_FOR_RECOVER.into();
        }
        let phase = self.record.phase;
        if matches!(self.reachability, Reachability::KeyRefused { .. }) && !phase.is_final() {
            return match phase {
                Phase::PaymentInProgress => format!("Payment in progress. {KEY_REFUSED}"),
                Phase::Cancelling => format!("Cancelling. {KEY_REFUSED}"),
                _ => KEY_REFUSED.into(),
            };
        }
        let trouble = self.trouble();
        match phase {
            Phase::CreatingCode => match trouble {
                Some(trouble) => format!("{}, still trying to get a code", capital(trouble)),
                None => "Getting a payment code".into(),
            },
            Phase::AwaitingPayment => match trouble {
                Some(trouble) => format!("{}, still checking", capital(trouble)),
                None => "Waiting for payment".into(),
            },
            Phase::PaymentInProgress => match trouble {
                Some(trouble) => format!("Payment in progress; {trouble}, still checking"),
                None if self.record.cancel_requested => {
                    "Payment in progress: the cancel waits for its outcome".into()
                }
                None => "Payment in progress".into(),
            },
            Phase::Cancelling => match trouble {
                Some(trouble) => format!("Cancelling; {trouble}, still trying"),
                None => "Cancelling".into(),
            },
            Phase::Paid if self.record.cancel_requested => {
                "PAID: the customer paid before the cancel took effect".into()
            }
            Phase::Paid => "PAID".into(),
            Phase::Expired => "The code expired before it was paid".into(),
            Phase::Cancelled => "Cancelled: nothing was paid".into(),
            Phase::Failed => format!(
                "Failed: {}",
                self.record.failure.as_deref().unwrap_or("no reason given")
            ),
            Phase::Unknown => format!(
                "Payment not confirmed: Monime cannot find the code {}. {CHECK_THE_DASHBOARD}",
                self.code_id()
            ),
        }
    }

    /// Why the sale is not getting Monime's word on its code, in a few words, if it is not.
    fn trouble(&self) -> Option<&'static str> {
        match self.reachability {
            Reachability::Lost { .. } => Some("connection lost"),
            Reachability::Erring { .. } => Some("Monime is having trouble"),
            Reachability::KeyRefused { .. } => Some("Monime refused this terminal's key"),
            Reachability::Answering if self.not_found_since.is_some() => {
                Some(if self.record.code.is_some() {
                    "Monime cannot find the code"
                } else {
                    "Monime answered \"not found\""
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
