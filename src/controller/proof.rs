//! The payer's proof of a paid sale, asked of Monime: the payment that settled the sale's code,
//! found by its owner in the newest page of payments. It is asked once as the sale is paid,
//! before its receipt is owed, so that the receipt has it; if Monime has not listed the payment
//! yet, once more later (the reprint then has it). Never more than `MAX_PROOF_ASKS` requests a
//! sale, counted in the journal before each is sent.
//!
//! In a crowded space (`monime::pace`) the receipt does not wait for it: the ask goes later, at
//! a moment drawn at random, and the reprint has the proof. Asked at once, it is a second
//! request a quarter of a second after the check that saw the sale paid, from every till of
//! the space as each of its sales is paid, on top of the other tills' checks of customers
//! still paying: in a space at its limit that is where 429s and slow PAIDs come from, and the
//! receipt is what can wait. Asked later, Monime has also had time to list the payment.

use std::time::Duration;

use rand::Rng;

use crate::journal::{Journal, PayerProof, ProofWanted};
use crate::monime::{MonimeError, SpaceLoad};

use super::Services;

/// How long the receipt waits for the first ask's answer.
const FIRST_ASK_WAIT: Duration = Duration::from_secs(2);
/// How long a later ask may take.
const LATER_ASK_WAIT: Duration = Duration::from_secs(10);
/// In a crowded space, the first ask goes between this share of `Timing::proof_second_ask`
/// after PAID and the whole of it (5 to 30 s by default): late enough to be out of the sale's
/// last checks, spread so that the asks of tills paid together do not meet.
const CROWDED_FIRST_ASK_FROM: f64 = 1.0 / 6.0;

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

/// Asks for the proof of paid sale `number` (its code `code_id`), in a space loaded as
/// `space`: before its receipt is owed, and once more later on a task of its own when Monime had
/// not listed it yet; in a crowded space only later, on a task of its own, so that the receipt
/// is owed at once.
pub(super) async fn find_for_the_receipt(
    services: &Services,
    number: i64,
    code_id: &str,
    space: SpaceLoad,
) {
    let second_ask = services.timing.proof_second_ask;
    let first = if space.crowded {
        let draw = rand::rng().random_range(0.0..=1.0);
        Some(crowded_first_ask(second_ask, draw))
    } else if ask(services, number, code_id, FIRST_ASK_WAIT).await == Asked::NotYet {
        None
    } else {
        return;
    };
    let services = services.clone();
    let code_id = code_id.to_string();
    tokio::spawn(async move {
        if let Some(after) = first {
            tokio::time::sleep(after).await;
            if ask(&services, number, &code_id, LATER_ASK_WAIT).await != Asked::NotYet {
                return;
            }
        }
        tokio::time::sleep(second_ask).await;
        ask(&services, number, &code_id, LATER_ASK_WAIT).await;
    });
}

/// How long after PAID a crowded space's first ask goes, for an even `draw` from 0 to 1.
fn crowded_first_ask(second_ask: Duration, draw: f64) -> Duration {
    second_ask
        .mul_f64(CROWDED_FIRST_ASK_FROM + (1.0 - CROWDED_FIRST_ASK_FROM) * draw.clamp(0.0, 1.0))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_crowded_space_asks_between_a_sixth_of_the_second_ask_and_all_of_it() {
        let second_ask = Duration::from_secs(30);
        assert_eq!(crowded_first_ask(second_ask, 0.0), Duration::from_secs(5));
        assert_eq!(crowded_first_ask(second_ask, 1.0), second_ask);
        assert_eq!(
            crowded_first_ask(second_ask, 0.5),
            Duration::from_millis(17_500)
        );
        assert_eq!(
            crowded_first_ask(second_ask, 7.0),
            second_ask,
            "never later"
        );
    }
}
