//! The payer's proof of a paid sale: what Monime's payment record says of who paid and how (the
//! provider, the operator's reference that the payer's SMS shows, the number as Monime masks
//! it, a fingerprint of it) and what Monime kept of the money. A paid sale's proof is asked for
//! at most twice (`MAX_PROOF_ASKS`), and kept once found.

use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::{Journal, JournalError};
use crate::money::Money;
use crate::monime::{Fee, Payment, provider_name, sum_fees};

/// How many times the proof of one paid sale is asked of Monime: once when it is paid, once
/// later if Monime had not listed the payment yet.
pub const MAX_PROOF_ASKS: u32 = 2;

/// What Monime's payment says of a paid sale's payer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayerProof {
    pub payment_id: String,
    /// Monime's provider id (`m17`).
    pub provider_id: Option<String>,
    /// The operator's transaction reference, as the payer's SMS shows it.
    pub reference: Option<String>,
    /// The payer's number as Monime masks it: never enough to send money to.
    pub masked_number: Option<String>,
    pub fingerprint: Option<String>,
    /// What Monime kept of the payment.
    pub fees: Vec<Fee>,
}

impl PayerProof {
    pub fn of(payment: &Payment) -> PayerProof {
        PayerProof {
            payment_id: payment.id.clone(),
            provider_id: payment.channel.provider_id.clone(),
            reference: payment.channel.reference.clone(),
            masked_number: payment.channel.phone_number.clone(),
            fingerprint: payment.channel.fingerprint.clone(),
            fees: payment.fees.clone(),
        }
    }

    /// A person's name for the provider.
    pub fn provider_name(&self) -> Option<&str> {
        self.provider_id.as_deref().map(provider_name)
    }

    /// What Monime kept: `None` when the fees cannot be added up (mixed currencies); nothing
    /// kept is zero in `currency`.
    pub fn fee_total(&self, currency: crate::money::Currency) -> Option<Money> {
        if self.fees.is_empty() {
            return Some(Money::new(currency, 0));
        }
        sum_fees(&self.fees)
    }
}

/// A paid sale whose proof is still to be asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofWanted {
    pub number: i64,
    pub code_id: String,
    pub asks: u32,
}

impl Journal {
    /// Keeps the proof of sale `number`.
    pub fn set_proof(&self, number: i64, proof: &PayerProof) -> Result<(), JournalError> {
        let json = serde_json::to_string(proof).map_err(|e| self.error(e))?;
        self.lock()
            .execute(
                "UPDATE sales SET proof_json = ?2 WHERE id = ?1",
                params![number, json],
            )
            .map_err(|e| self.error(e))
            .map(|_| ())
    }

    /// Counts one more ask of Monime for sale `number`'s proof before it is sent, so that a
    /// restart never asks more than `MAX_PROOF_ASKS` times; says whether this ask may go (the
    /// proof is still missing and the asks are not used up).
    pub fn count_proof_ask(&self, number: i64) -> Result<bool, JournalError> {
        self.lock()
            .execute(
                "UPDATE sales SET proof_asks = proof_asks + 1
                 WHERE id = ?1 AND proof_json IS NULL AND proof_asks < ?2",
                params![number, MAX_PROOF_ASKS],
            )
            .map_err(|e| self.error(e))
            .map(|changed| changed == 1)
    }

    /// Paid sales without their proof that may still be asked for, oldest first.
    pub fn proofs_wanted(&self) -> Result<Vec<ProofWanted>, JournalError> {
        let connection = self.lock();
        let mut statement = connection
            .prepare(
                "SELECT id, code_id, proof_asks FROM sales
                 WHERE phase = 'paid' AND proof_json IS NULL AND code_id IS NOT NULL
                   AND proof_asks < ?1
                 ORDER BY id",
            )
            .map_err(|e| self.error(e))?;
        let rows = statement
            .query_map(params![MAX_PROOF_ASKS], |row| {
                Ok(ProofWanted {
                    number: row.get(0)?,
                    code_id: row.get(1)?,
                    asks: row.get(2)?,
                })
            })
            .map_err(|e| self.error(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.error(e))
    }
}
