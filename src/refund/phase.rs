//! Where a refund is: the phases it passes through and their names in the journal.

use serde::{Deserialize, Serialize};

/// Where a refund is. The first four are unsettled; the last four never change again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundPhase {
    /// In the journal with its idempotency key; nothing sent yet.
    Written,
    /// The payout's create may have gone out: it is only ever sent again with the same key.
    Sending,
    /// Monime made the payout and has not taken it up yet.
    Pending,
    /// Monime took the money from the account and the provider is paying it out.
    Processing,
    /// Monime's `completed`: the money reached the payer. The one phase that says "Refunded".
    Completed,
    /// Monime's `failed`: the money did not go and will not. The one phase that says "Not sent".
    Failed,
    /// Monime refused to make the payout (a 4xx to its create): nothing was made.
    Refused,
    /// Whether money went out is not known here: the Monime dashboard says.
    Unknown,
}

impl RefundPhase {
    pub const ALL: [RefundPhase; 8] = [
        RefundPhase::Written,
        RefundPhase::Sending,
        RefundPhase::Pending,
        RefundPhase::Processing,
        RefundPhase::Completed,
        RefundPhase::Failed,
        RefundPhase::Refused,
        RefundPhase::Unknown,
    ];

    pub fn is_final(self) -> bool {
        matches!(
            self,
            RefundPhase::Completed
                | RefundPhase::Failed
                | RefundPhase::Refused
                | RefundPhase::Unknown
        )
    }

    /// Whether the refund's money is, may be or may yet be out of the account: it counts
    /// against what is left of the sale and against the day's limit. Only Monime's word that
    /// no money went (failed, refused) frees it.
    pub fn holds_money(self) -> bool {
        !matches!(self, RefundPhase::Failed | RefundPhase::Refused)
    }

    /// The name stored in the journal.
    pub fn as_str(self) -> &'static str {
        match self {
            RefundPhase::Written => "written",
            RefundPhase::Sending => "sending",
            RefundPhase::Pending => "pending",
            RefundPhase::Processing => "processing",
            RefundPhase::Completed => "completed",
            RefundPhase::Failed => "failed",
            RefundPhase::Refused => "refused",
            RefundPhase::Unknown => "unknown",
        }
    }

    pub fn parse(text: &str) -> Option<RefundPhase> {
        RefundPhase::ALL
            .into_iter()
            .find(|phase| phase.as_str() == text)
    }

    /// The phases that hold money, as SQL's list: `'written', 'sending', ...`.
    pub fn holding_money_sql() -> String {
        RefundPhase::ALL
            .into_iter()
            .filter(|phase| phase.holds_money())
            .map(|phase| format!("'{}'", phase.as_str()))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The settled phases, as SQL's list.
    pub fn final_sql() -> String {
        RefundPhase::ALL
            .into_iter()
            .filter(|phase| phase.is_final())
            .map(|phase| format!("'{}'", phase.as_str()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back_and_only_monimes_no_frees_the_money() {
        for phase in RefundPhase::ALL {
            assert_eq!(RefundPhase::parse(phase.as_str()), Some(phase));
        }
        let freed: Vec<_> = RefundPhase::ALL
            .into_iter()
            .filter(|phase| !phase.holds_money())
            .collect();
        assert_eq!(freed, [RefundPhase::Failed, RefundPhase::Refused]);
        assert!(RefundPhase::holding_money_sql().contains("'unknown'"));
    }
}
