//! The payments of the simulated space: one is made whenever a code is paid, by its payer's
//! provider and number, with the operator's reference the payer's SMS would show, a masked
//! number, a fingerprint, and the fee Monime keeps. It is listed at `/v1/payments`, newest first,
//! owned by its code (`ownershipGraph.owner {type: "payment_code", id}`), and is the code's
//! `processedPaymentData` too. The 2024-08-01 API has no payments list.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Value, json};

use super::accounts::{DEMO_ACCOUNTS, fingerprint, masked, national_number};
use crate::money::Currency;

/// Who pays a code: a provider and a number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Payer {
    pub provider_id: String,
    pub phone_number: String,
}

impl Payer {
    pub fn new(provider_id: impl Into<String>, phone_number: impl Into<String>) -> Payer {
        Payer {
            provider_id: provider_id.into(),
            phone_number: phone_number.into(),
        }
    }

    /// Who pays a code unless a test says: the number the code is for, else a demo account
    /// of a provider the code allows.
    pub(super) fn for_code(providers: &[String], phone: Option<&str>) -> Payer {
        let allowed =
            |provider: &str| providers.is_empty() || providers.iter().any(|p| p == provider);
        let (demo_provider, demo_phone, _) = DEMO_ACCOUNTS
            .iter()
            .find(|(provider, _, _)| allowed(provider))
            .unwrap_or(&DEMO_ACCOUNTS[0]);
        match phone.filter(|phone| national_number(phone).is_some()) {
            Some(phone) => Payer::new(*demo_provider, phone),
            None => Payer::new(*demo_provider, *demo_phone),
        }
    }
}

/// A payment, as the simulator holds it.
#[derive(Debug, Clone, Serialize)]
pub struct SimPayment {
    pub id: String,
    /// The code whose payment this is.
    pub code_id: String,
    pub currency: Currency,
    pub amount_minor: i64,
    /// What Monime kept of the amount.
    pub fee_minor: i64,
    pub provider_id: String,
    /// The payer's full number; answers show it masked.
    pub phone_number: String,
    /// The operator's transaction reference.
    pub reference: String,
    pub order_id: String,
    pub order_number: String,
    pub financial_account_id: Option<String>,
    pub financial_transaction_reference: String,
    pub create_time: DateTime<Utc>,
    /// Orders payments made at the same instant.
    pub sequence: u64,
}

impl SimPayment {
    /// The code's `processedPaymentData`, which tells of this payment.
    pub(super) fn processed_payment_data(&self) -> Value {
        json!({
            "amount": {"currency": self.currency.code(), "value": self.amount_minor},
            "orderId": self.order_id,
            "orderNumber": self.order_number,
            "paymentId": self.id,
            "channelData": {"providerId": self.provider_id, "accountId": masked(&self.phone_number),
                            "reference": self.reference},
            "financialTransactionReference": self.financial_transaction_reference,
            "metadata": {}
        })
    }

    /// The payment as `/v1/payments` lists it.
    pub(super) fn render(&self) -> Value {
        let time = self
            .create_time
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let fees = if self.fee_minor > 0 {
            json!([{"code": "processing_fee",
                    "amount": {"currency": self.currency.code(), "value": self.fee_minor},
                    "metadata": null}])
        } else {
            json!([])
        };
        json!({
            "id": self.id, "status": "completed",
            "amount": {"currency": self.currency.code(), "value": self.amount_minor},
            "channel": {"type": "momo", "provider": self.provider_id, "reference": self.reference,
                        "phoneNumber": masked(&self.phone_number),
                        "fingerprint": fingerprint(&self.phone_number), "metadata": null},
            "name": null, "reference": null, "orderNumber": self.order_number,
            "financialAccountId": self.financial_account_id,
            "financialTransactionReference": self.financial_transaction_reference,
            "fees": fees, "createTime": time, "updateTime": time,
            "ownershipGraph": {"owner": {"id": self.code_id, "type": "payment_code", "metadata": null}},
            "metadata": null,
        })
    }
}
