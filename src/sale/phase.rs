//! Where a sale is: the phases it passes through, their names in the journal and in lists.

use crate::lang::Language;
use serde::{Deserialize, Serialize};

/// Where a sale is. The first four are unsettled; the last five never change again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    CreatingCode,
    AwaitingPayment,
    PaymentInProgress,
    Cancelling,
    Paid,
    Expired,
    Cancelled,
    Failed,
    /// Monime could not find the code this terminal made, long enough that the terminal
    /// stopped asking: whether the customer paid is not known here (see the Monime dashboard).
    Unknown,
}

impl Phase {
    pub const ALL: [Phase; 9] = [
        Phase::CreatingCode,
        Phase::AwaitingPayment,
        Phase::PaymentInProgress,
        Phase::Cancelling,
        Phase::Paid,
        Phase::Expired,
        Phase::Cancelled,
        Phase::Failed,
        Phase::Unknown,
    ];

    pub fn is_final(self) -> bool {
        matches!(
            self,
            Phase::Paid | Phase::Expired | Phase::Cancelled | Phase::Failed | Phase::Unknown
        )
    }

    /// The phase in a word, as lists show it: "Paid", "Expired", "Cancelled", "Failed",
    /// "Unknown", or "Open" while the sale is not settled.
    pub fn label(self) -> &'static str {
        self.label_in(Language::English)
    }

    /// `label` in `language`, for the screen and the paper.
    pub fn label_in(self, language: Language) -> &'static str {
        match self {
            Phase::Paid => language.tr("Paid"),
            Phase::Expired => language.tr("Expired"),
            Phase::Cancelled => language.tr("Cancelled"),
            Phase::Failed => language.tr("Failed"),
            Phase::Unknown => language.tr("Unknown"),
            Phase::CreatingCode
            | Phase::AwaitingPayment
            | Phase::PaymentInProgress
            | Phase::Cancelling => language.tr("Open"),
        }
    }

    /// The name stored in the journal.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::CreatingCode => "creating_code",
            Phase::AwaitingPayment => "awaiting_payment",
            Phase::PaymentInProgress => "payment_in_progress",
            Phase::Cancelling => "cancelling",
            Phase::Paid => "paid",
            Phase::Expired => "expired",
            Phase::Cancelled => "cancelled",
            Phase::Failed => "failed",
            Phase::Unknown => "unknown",
        }
    }

    pub fn parse(text: &str) -> Option<Phase> {
        Phase::ALL.into_iter().find(|phase| phase.as_str() == text)
    }
}
