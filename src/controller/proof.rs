//! The payer's proof of a paid sale, asked of Monime: the payment that settled the sale's code,
//! found by its owner in the newest page of payments. It is asked once as the sale is paid,
//! before its receipt is owed, so that the receipt has it; if Monime has not listed the payment
//! yet, once more later (the reprint then has it). Never more than `MAX_PROOF_ASKS` requests a
//! sale, counted in the journal before each is sent.

use std::time::Duration;

use crate::journal::{Journal, PayerProof, ProofWanted};
use crate::monime::MonimeError;

use super::Services;

/// How long the receipt waits for the first ask's answer.
const FIRST_ASK_WAIT: Duration = Duration::from_secs(2);
/// How long a later ask may take.
const LATER_ASK_WAIT: Duration = Duration::from_secs(10);

/// What one ask came to.
#[derive(Debug, PartialEq, Eq)]
enum Asked {
    Found,
    /// Not listed yet, or no answer in time: worth asking again.
    NotYet,
    /// No more to ask: the asks are used up, the proof is already there, or the API has no
    /// payments (2024-08-01).
    Done,
}

/// Asks for the proof of paid sale `number` (its code `code_id`) before its receipt is owed,
/// and once more later on a task of its own when Monime had not listed it yet.
pub(super) async fn find_before_the_receipt(services: &Services, number: i64, code_id: &str) {
    if ask(services, number, code_id, FIRST_ASK_WAIT).await == Asked::NotYet {
        let services = services.clone();
        let code_id = code_id.to_string();
        tokio::spawn(async move {
            tokio::time::sleep(services.timing.proof_second_ask).await;
            ask(&services, number, &code_id, LATER_ASK_WAIT).await;
        });
    }
}

/// Asks, on a task of its own, for the proofs the journal still wants (sales paid before a
/// restart, whose later ask never went).
pub(super) fn ask_for_missing(services: &Services) {
    let services = services.clone();
    tokio::spawn(async move {
        let wanted = match services.journal.call(Journal::proofs_wanted).await {
            Ok(wanted) => wanted,
            Err(error) => {
                tracing::warn!(%error, "cannot read which payers' proofs are missing");
                return;
            }
        };
        for ProofWanted {
            number, code_id, ..
        } in wanted
        {
            ask(&services, number, &code_id, LATER_ASK_WAIT).await;
        }
    });
}

async fn ask(services: &Services, number: i64, code_id: &str, wait: Duration) -> Asked {
    let counted = services
        .journal
        .call(move |journal| journal.count_proof_ask(number))
        .await;
    match counted {
        Ok(true) => {}
        Ok(false) => return Asked::Done,
        Err(error) => {
            tracing::warn!(sale = number, %error, "cannot count the ask for the payer's proof");
            return Asked::Done;
        }
    }
    let answer = tokio::time::timeout(wait, services.client.payment_for_code(code_id, 1)).await;
    let payment = match answer {
        Ok(Ok(Some(payment))) => payment,
        Ok(Ok(None)) => {
            tracing::debug!(sale = number, "Monime has not listed the payment yet");
            return Asked::NotYet;
        }
        Ok(Err(MonimeError::Unsupported { .. })) => return Asked::Done,
        Ok(Err(error)) => {
            tracing::info!(sale = number, %error, "the payer's proof was not found");
            return Asked::NotYet;
        }
        Err(_) => {
            tracing::info!(sale = number, "Monime did not list the payment in time");
            return Asked::NotYet;
        }
    };
    let proof = PayerProof::of(&payment);
    let kept = services
        .journal
        .call(move |journal| journal.set_proof(number, &proof))
        .await;
    match kept {
        Ok(()) => {
            tracing::info!(sale = number, payment = %payment.id, "payer's proof kept");
            Asked::Found
        }
        Err(error) => {
            tracing::warn!(sale = number, %error, "cannot keep the payer's proof");
            Asked::Done
        }
    }
}
