//! Payments: Monime's record of money a customer paid, such as the payment that settled a code.
//! Its `channel` holds the payer's proof: the provider, the operator's transaction reference
//! (what the payer's SMS shows), the number (masked) and a fingerprint of it; its `fees` are what
//! Monime kept.
//!
//! The list (`GET /v1/payments`, newest first) cannot be filtered by payment code, so the
//! payment of a code is found by its owner (`ownershipGraph.owner {type: "payment_code", id}`) in
//! the newest pages. The 2024-08-01 API has no payments: there nothing is sent.

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::list::{PageOf, page_of};
use super::model::{ApiVersion, Fee, WireFee, read_fees, sum_fees};
use super::{Envelope, MAX_PAGE_SIZE, MonimeClient, MonimeError, RetryRule};
use crate::money::Money;

const PAYMENTS_PATH: &str = "/v1/payments";
/// The owner type of a payment made by paying a payment code.
const PAYMENT_CODE_OWNER: &str = "payment_code";

/// Where a payment is in its life. Only `Completed` means the money arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PaymentStatus {
    Pending,
    Processing,
    Completed,
    /// A status this terminal does not know: never taken as paid.
    #[serde(other)]
    Unknown,
}

/// How the money came: for mobile money, the payer's provider, number and reference.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PaymentChannel {
    /// `momo`, `bank`, `card` or `wallet`.
    pub kind: Option<String>,
    /// Monime's provider id (`m17`, `m18`).
    pub provider_id: Option<String>,
    /// The operator's transaction reference, as the payer's SMS shows it.
    pub reference: Option<String>,
    /// The payer's number, usually masked by Monime: never enough to send money to.
    pub phone_number: Option<String>,
    /// A hash of the payer's number: the same payer, without the number.
    pub fingerprint: Option<String>,
}

impl PaymentChannel {
    /// A person's name for the provider.
    pub fn provider_name(&self) -> Option<&str> {
        self.provider_id.as_deref().map(super::provider_name)
    }
}

/// The object that made a payment: a payment code, a checkout session, ...
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub kind: String,
    pub id: String,
}

/// A payment as Monime reported it.
#[derive(Debug, Clone, PartialEq)]
pub struct Payment {
    pub id: String,
    pub status: PaymentStatus,
    /// What the payer was asked for; Monime's fees come out of it.
    pub amount: Option<Money>,
    pub channel: PaymentChannel,
    pub fees: Vec<Fee>,
    pub owner: Option<Owner>,
    pub name: Option<String>,
    pub reference: Option<String>,
    pub order_number: Option<String>,
    pub financial_account_id: Option<String>,
    pub financial_transaction_reference: Option<String>,
    pub create_time: Option<DateTime<Utc>>,
    pub update_time: Option<DateTime<Utc>>,
    pub metadata: Option<Value>,
}

impl Payment {
    /// Whether paying payment code `code_id` made this payment.
    pub fn is_for_code(&self, code_id: &str) -> bool {
        self.owner
            .as_ref()
            .is_some_and(|owner| owner.kind == PAYMENT_CODE_OWNER && owner.id == code_id)
    }

    /// What Monime kept of the amount, when it says.
    pub fn fee_total(&self) -> Option<Money> {
        sum_fees(&self.fees)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WirePayment {
    id: String,
    status: PaymentStatus,
    amount: Option<Money>,
    channel: Option<WireChannel>,
    fees: Option<Vec<WireFee>>,
    ownership_graph: Option<WireOwnershipGraph>,
    name: Option<String>,
    reference: Option<String>,
    order_number: Option<String>,
    financial_account_id: Option<String>,
    financial_transaction_reference: Option<String>,
    create_time: Option<DateTime<Utc>>,
    update_time: Option<DateTime<Utc>>,
    metadata: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireChannel {
    #[serde(rename = "type")]
    kind: Option<String>,
    provider: Option<String>,
    reference: Option<String>,
    phone_number: Option<String>,
    fingerprint: Option<String>,
}

#[derive(Deserialize)]
struct WireOwnershipGraph {
    owner: Option<WireOwner>,
}

#[derive(Deserialize)]
struct WireOwner {
    id: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
}

impl From<WirePayment> for Payment {
    fn from(wire: WirePayment) -> Self {
        let channel = wire.channel.map(|channel| PaymentChannel {
            kind: channel.kind,
            provider_id: channel.provider,
            reference: channel.reference,
            phone_number: channel.phone_number,
            fingerprint: channel.fingerprint,
        });
        let owner = wire
            .ownership_graph
            .and_then(|graph| graph.owner)
            .and_then(|owner| {
                Some(Owner {
                    kind: owner.kind?,
                    id: owner.id?,
                })
            });
        Payment {
            id: wire.id,
            status: wire.status,
            amount: wire.amount,
            channel: channel.unwrap_or_default(),
            fees: read_fees(wire.fees),
            owner,
            name: wire.name,
            reference: wire.reference,
            order_number: wire.order_number,
            financial_account_id: wire.financial_account_id,
            financial_transaction_reference: wire.financial_transaction_reference,
            create_time: wire.create_time,
            update_time: wire.update_time,
            metadata: wire.metadata,
        }
    }
}

/// The page of payments in a list answer.
pub(super) fn payments_page(envelope: Envelope) -> Result<PageOf<Payment>, MonimeError> {
    page_of(envelope, "payment", |wire: WirePayment| Payment::from(wire))
}

impl MonimeClient {
    /// One page of the space's payments, newest first.
    pub async fn list_payments(
        &self,
        limit: usize,
        after: Option<&str>,
    ) -> Result<PageOf<Payment>, MonimeError> {
        self.payments_supported()?;
        let mut query: Vec<(&str, String)> =
            vec![("limit", limit.clamp(1, MAX_PAGE_SIZE).to_string())];
        if let Some(cursor) = after {
            query.push(("after", cursor.to_string()));
        }
        let envelope = self
            .call(
                Method::GET,
                PAYMENTS_PATH,
                &query,
                None,
                None,
                RetryRule::WhenSafe,
            )
            .await?;
        payments_page(envelope)
    }

    /// The payment made by paying code `code_id`, looked for in the newest `max_pages` pages of
    /// payments (one request each, stopping at the page that has it); `None` when they do not
    /// hold it: Monime may not have listed it yet, or it is older than those pages.
    pub async fn payment_for_code(
        &self,
        code_id: &str,
        max_pages: usize,
    ) -> Result<Option<Payment>, MonimeError> {
        self.payments_supported()?;
        let mut cursor: Option<String> = None;
        for _ in 0..max_pages {
            let page = self.list_payments(MAX_PAGE_SIZE, cursor.as_deref()).await?;
            if let Some(payment) = page
                .items
                .into_iter()
                .find(|payment| payment.is_for_code(code_id))
            {
                return Ok(Some(payment));
            }
            if page.next.is_none() || page.next == cursor {
                break;
            }
            cursor = page.next;
        }
        Ok(None)
    }

    fn payments_supported(&self) -> Result<(), MonimeError> {
        match &self.settings.api_version {
            ApiVersion::Caph(_) => Ok(()),
            ApiVersion::Legacy => Err(MonimeError::Unsupported {
                version: ApiVersion::LEGACY.into(),
                what: "payments list".into(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::money::Currency;

    fn read(value: Value) -> Payment {
        serde_json::from_value::<WirePayment>(value)
            .expect("a payment")
            .into()
    }

    #[test]
    fn reads_the_payers_proof_and_the_owner() {
        let payment = read(json!({
            "id": "pay-1", "status": "completed",
            "amount": {"currency": "SLE", "value": 1250},
            "channel": {"type": "momo", "provider": "m17", "reference": "MP250901.1200.C12345",
                        "phoneNumber": "+23276***456", "fingerprint": "fp-9a8b", "metadata": null},
            "fees": [{"code": "processing", "amount": {"currency": "SLE", "value": 13}}],
            "orderNumber": "502113", "financialAccountId": "fac-main",
            "createTime": "2025-09-01T12:00:00Z", "updateTime": null,
            "ownershipGraph": {"owner": {"id": "pmc-abc", "type": "payment_code", "metadata": null}},
            "metadata": null
        }));
        assert_eq!(payment.status, PaymentStatus::Completed);
        assert_eq!(payment.channel.provider_name(), Some("Orange Money"));
        assert_eq!(
            payment.channel.reference.as_deref(),
            Some("MP250901.1200.C12345")
        );
        assert_eq!(
            payment.channel.phone_number.as_deref(),
            Some("+23276***456")
        );
        assert_eq!(payment.fee_total(), Some(Money::new(Currency::Sle, 13)));
        assert!(payment.is_for_code("pmc-abc"));
        assert!(!payment.is_for_code("pmc-other"));
    }

    #[test]
    fn a_payment_of_something_else_is_not_a_codes() {
        let checkout = read(json!({
            "id": "pay-2", "status": "completed",
            "ownershipGraph": {"owner": {"id": "pmc-abc", "type": "checkout_session"}}
        }));
        assert!(!checkout.is_for_code("pmc-abc"));
        let bare = read(json!({"id": "pay-3", "status": "settling", "ownershipGraph": null}));
        assert_eq!(bare.status, PaymentStatus::Unknown);
        assert!(bare.owner.is_none() && bare.fees.is_empty());
    }
}
