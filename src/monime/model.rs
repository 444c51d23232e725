//! The payment code as the terminal sees it, read from either of Monime's API shapes: the current
//! `caph` one (`enable`, `authorizedProviders`, `customer`, `processedPaymentData`) and the older
//! 2024-08-01 one (`isActive`, `allowedProviders`, `customerTarget`, `progress`). Fields the
//! terminal does not know are ignored, so a new Monime field never breaks a sale.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::money::Money;

/// Which Monime API the terminal speaks. The token decides test or live, not this.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiVersion {
    /// The `caph` release line, paths under `/v1`, sent as the `Monime-Version` header.
    Caph(&'static str),
    /// The 2024-08-01 API: no `/v1` prefix and the older field names.
    Legacy,
}

impl ApiVersion {
    pub const CAPH_VERSIONS: [&'static str; 2] = ["caph.2025-08-23", "caph.2025-06-20"];
    pub const LEGACY: &'static str = "2024-08-01";

    /// The `Monime-Version` header value, where the API takes one.
    pub fn header(&self) -> Option<&'static str> {
        match self {
            ApiVersion::Caph(version) => Some(version),
            ApiVersion::Legacy => None,
        }
    }

    /// Path of the payment-code collection.
    pub fn collection_path(&self) -> &'static str {
        match self {
            ApiVersion::Caph(_) => "/v1/payment-codes",
            ApiVersion::Legacy => "/payment-codes",
        }
    }
}

impl Default for ApiVersion {
    fn default() -> Self {
        ApiVersion::Caph(Self::CAPH_VERSIONS[0])
    }
}

impl FromStr for ApiVersion {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if let Some(version) = Self::CAPH_VERSIONS
            .iter()
            .find(|known| **known == text.trim())
        {
            return Ok(ApiVersion::Caph(version));
        }
        if text.trim() == Self::LEGACY {
            return Ok(ApiVersion::Legacy);
        }
        Err(format!(
            "\"{text}\" is not a Monime API version this terminal speaks: use \"{}\", \"{}\" or \"{}\"",
            Self::CAPH_VERSIONS[0],
            Self::CAPH_VERSIONS[1],
            Self::LEGACY
        ))
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.header().unwrap_or(Self::LEGACY))
    }
}

/// Where a payment code is in its life. Only `Completed` means the customer paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CodeStatus {
    Pending,
    Processing,
    Completed,
    Expired,
    Cancelled,
    /// A status this terminal does not know. Treated as unsettled: it is never taken as paid.
    #[serde(other)]
    Unknown,
}

impl CodeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CodeStatus::Pending => "pending",
            CodeStatus::Processing => "processing",
            CodeStatus::Completed => "completed",
            CodeStatus::Expired => "expired",
            CodeStatus::Cancelled => "cancelled",
            CodeStatus::Unknown => "unknown",
        }
    }

    /// A code in a final state never changes again.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            CodeStatus::Completed | CodeStatus::Expired | CodeStatus::Cancelled
        )
    }
}

impl FromStr for CodeStatus {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "pending" => Ok(CodeStatus::Pending),
            "processing" => Ok(CodeStatus::Processing),
            "completed" => Ok(CodeStatus::Completed),
            "expired" => Ok(CodeStatus::Expired),
            "cancelled" => Ok(CodeStatus::Cancelled),
            _ => Err(format!(
                "unknown status \"{text}\": use pending, processing, completed, expired or cancelled"
            )),
        }
    }
}

impl fmt::Display for CodeStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A payment code as Monime reported it.
#[derive(Debug, Clone, PartialEq)]
pub struct PaymentCode {
    pub id: String,
    pub name: Option<String>,
    pub status: CodeStatus,
    pub enabled: bool,
    pub amount: Option<Money>,
    /// Shown exactly as Monime returned it: the customer dials this.
    pub ussd_code: Option<String>,
    pub reference: Option<String>,
    pub authorized_providers: Vec<String>,
    pub authorized_phone_number: Option<String>,
    pub expire_time: Option<DateTime<Utc>>,
    pub create_time: Option<DateTime<Utc>>,
    pub update_time: Option<DateTime<Utc>>,
    /// What Monime recorded of the payment, once there is one.
    pub payment: Option<ProcessedPayment>,
    pub metadata: Option<Value>,
}

impl PaymentCode {
    /// A code as Monime may list it, for the crate's tests: `id` of `amount`, in `status`, with a
    /// USSD string and nothing else said.
    #[cfg(test)]
    pub(crate) fn for_test(id: &str, status: CodeStatus, amount: Money) -> PaymentCode {
        PaymentCode {
            id: id.into(),
            name: None,
            status,
            enabled: true,
            amount: Some(amount),
            ussd_code: Some("*715*1*2#".into()),
            reference: None,
            authorized_providers: Vec::new(),
            authorized_phone_number: None,
            expire_time: None,
            create_time: None,
            update_time: None,
            payment: None,
            metadata: None,
        }
    }

    /// What Monime says was paid, else what the code asked for; `None` when it says neither.
    pub fn paid_amount(&self) -> Option<Money> {
        self.payment
            .as_ref()
            .and_then(|payment| payment.amount)
            .or(self.amount)
    }
}

/// Monime's record of the payment that completed a code, printed on the receipt.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ProcessedPayment {
    pub amount: Option<Money>,
    pub order_id: Option<String>,
    pub order_number: Option<String>,
    pub payment_id: Option<String>,
    pub provider_id: Option<String>,
    pub account_id: Option<String>,
    pub channel_reference: Option<String>,
    pub financial_transaction_reference: Option<String>,
}

impl ProcessedPayment {
    /// A person's name for the provider, where Monime's id is one the terminal knows.
    pub fn provider_name(&self) -> Option<&str> {
        self.provider_id.as_deref().map(provider_name)
    }
}

/// A person's name for a provider Monime names by `id`; an id the terminal does not know is
/// shown as it is.
pub fn provider_name(id: &str) -> &str {
    match id {
        "m17" => "Orange Money",
        "m18" => "Africell AfriMoney",
        other => other,
    }
}

/// A fee Monime charged: on a payout on top of its amount, on a payment out of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fee {
    /// Monime's name for the fee (`code`; `name` in the 2024-08-01 API's `charges`).
    pub code: Option<String>,
    pub amount: Money,
}

/// What `fees` add up to; `None` when there are none, or when they are in more than one
/// currency or too large to add, which no sum could honestly say.
pub fn sum_fees(fees: &[Fee]) -> Option<Money> {
    let (first, rest) = fees.split_first()?;
    rest.iter().try_fold(first.amount, |total, fee| {
        (fee.amount.currency == total.currency)
            .then(|| total.minor.checked_add(fee.amount.minor))
            .flatten()
            .map(|minor| Money::new(total.currency, minor))
    })
}

/// A fee as either API shape writes it.
#[derive(Deserialize)]
pub(crate) struct WireFee {
    #[serde(alias = "name")]
    code: Option<String>,
    amount: Option<Money>,
}

/// The fees of an answer: `fees` (caph) or `charges` (2024-08-01); one without an amount says
/// nothing and is left out.
pub(crate) fn read_fees(fees: Option<Vec<WireFee>>) -> Vec<Fee> {
    fees.unwrap_or_default()
        .into_iter()
        .filter_map(|fee| {
            Some(Fee {
                code: fee.code,
                amount: fee.amount?,
            })
        })
        .collect()
}

/// Everything that goes into creating a code for one sale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewPaymentCode {
    pub name: String,
    pub amount: Money,
    pub duration: String,
    pub reference: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub authorized_providers: Vec<String>,
    pub authorized_phone_number: Option<String>,
    pub customer_name: Option<String>,
    pub financial_account_id: Option<String>,
}

impl NewPaymentCode {
    /// A request for `amount`, named `name` at Monime, lasting ten minutes (Monime's default),
    /// payable by any provider and any number; the `with_` methods set the rest.
    pub fn new(name: impl Into<String>, amount: Money) -> NewPaymentCode {
        NewPaymentCode {
            name: name.into(),
            amount,
            duration: "10m".into(),
            reference: None,
            metadata: BTreeMap::new(),
            authorized_providers: Vec::new(),
            authorized_phone_number: None,
            customer_name: None,
            financial_account_id: None,
        }
    }

    /// How long the code can be paid, as Monime writes durations (`"5m"`).
    pub fn with_duration(mut self, duration: impl Into<String>) -> NewPaymentCode {
        self.duration = duration.into();
        self
    }

    /// The shop's own reference.
    pub fn with_reference(mut self, reference: Option<String>) -> NewPaymentCode {
        self.reference = reference;
        self
    }

    /// One more metadata entry.
    pub fn with_metadata(mut self, key: &str, value: impl Into<String>) -> NewPaymentCode {
        self.metadata.insert(key.to_string(), value.into());
        self
    }

    /// Only these providers may pay (Monime's ids, such as `m17`); empty allows all.
    pub fn with_providers(mut self, providers: Vec<String>) -> NewPaymentCode {
        self.authorized_providers = providers;
        self
    }

    /// Only this mobile-money number may pay.
    pub fn with_phone(mut self, phone: Option<String>) -> NewPaymentCode {
        self.authorized_phone_number = phone;
        self
    }

    /// The account the money lands in; `None` is the space's default.
    pub fn with_financial_account(mut self, account: Option<String>) -> NewPaymentCode {
        self.financial_account_id = account;
        self
    }

    /// The request body in the API's own shape.
    pub fn to_body(&self, version: &ApiVersion) -> Value {
        let amount = json!({ "currency": self.amount.currency.code(), "value": self.amount.minor });
        let mut body = json!({
            "name": self.name,
            "amount": amount,
            "duration": self.duration,
            "metadata": self.metadata,
        });
        let fields = body.as_object_mut().expect("a JSON object literal");
        let mut set = |key: &str, value: Value| {
            fields.insert(key.to_string(), value);
        };
        match version {
            ApiVersion::Caph(_) => {
                set("mode", json!("one_time"));
                set("enable", json!(true));
                if let Some(reference) = &self.reference {
                    set("reference", json!(reference));
                }
                if let Some(phone) = &self.authorized_phone_number {
                    set("authorizedPhoneNumber", json!(phone));
                }
                if let Some(name) = &self.customer_name {
                    set("customer", json!({ "name": name }));
                }
                if !self.authorized_providers.is_empty() {
                    set("authorizedProviders", json!(self.authorized_providers));
                }
            }
            ApiVersion::Legacy => {
                set("mode", json!("oneTime"));
                set("isActive", json!(true));
                let target = json!({
                    "name": self.customer_name,
                    "reference": self.reference,
                    "payingPhoneNumber": self.authorized_phone_number,
                });
                if target
                    .as_object()
                    .is_some_and(|t| t.values().any(|v| !v.is_null()))
                {
                    set("customerTarget", target);
                }
                if !self.authorized_providers.is_empty() {
                    set("allowedProviders", json!(self.authorized_providers));
                }
            }
        }
        if let Some(account) = &self.financial_account_id {
            set("financialAccountId", json!(account));
        }
        body
    }
}

/// Filters of the list endpoint.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListFilter {
    pub status: Option<CodeStatus>,
    /// `one_time` or `recurrent`.
    pub mode: Option<String>,
    pub ussd_code: Option<String>,
}

/// The union of both shapes. Every field is optional but `id` and `status`, which a code
/// without is no code at all.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireCode {
    id: String,
    status: CodeStatus,
    name: Option<String>,
    #[serde(alias = "isActive")]
    enable: Option<bool>,
    amount: Option<Money>,
    ussd_code: Option<String>,
    reference: Option<String>,
    #[serde(alias = "allowedProviders")]
    authorized_providers: Option<Vec<String>>,
    authorized_phone_number: Option<String>,
    customer_target: Option<WireCustomerTarget>,
    expire_time: Option<DateTime<Utc>>,
    create_time: Option<DateTime<Utc>>,
    update_time: Option<DateTime<Utc>>,
    processed_payment_data: Option<WireProcessedPayment>,
    metadata: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireCustomerTarget {
    reference: Option<String>,
    paying_phone_number: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireProcessedPayment {
    amount: Option<Money>,
    order_id: Option<String>,
    order_number: Option<String>,
    payment_id: Option<String>,
    channel_data: Option<WireChannelData>,
    financial_transaction_reference: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireChannelData {
    provider_id: Option<String>,
    account_id: Option<String>,
    reference: Option<String>,
}

impl From<WireCode> for PaymentCode {
    fn from(wire: WireCode) -> Self {
        let target = wire.customer_target;
        PaymentCode {
            id: wire.id,
            name: wire.name,
            status: wire.status,
            enabled: wire.enable.unwrap_or(true),
            amount: wire.amount,
            ussd_code: wire.ussd_code,
            reference: wire
                .reference
                .or_else(|| target.as_ref().and_then(|t| t.reference.clone())),
            authorized_providers: wire.authorized_providers.unwrap_or_default(),
            authorized_phone_number: wire
                .authorized_phone_number
                .or_else(|| target.and_then(|t| t.paying_phone_number)),
            expire_time: wire.expire_time,
            create_time: wire.create_time,
            update_time: wire.update_time,
            payment: wire.processed_payment_data.map(|data| {
                let channel = data.channel_data;
                ProcessedPayment {
                    amount: data.amount,
                    order_id: data.order_id,
                    order_number: data.order_number,
                    payment_id: data.payment_id,
                    provider_id: channel.as_ref().and_then(|c| c.provider_id.clone()),
                    account_id: channel.as_ref().and_then(|c| c.account_id.clone()),
                    channel_reference: channel.and_then(|c| c.reference),
                    financial_transaction_reference: data.financial_transaction_reference,
                }
            }),
            metadata: wire.metadata,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    fn read(value: Value) -> PaymentCode {
        serde_json::from_value::<WireCode>(value)
            .expect("a code")
            .into()
    }

    #[test]
    fn reads_the_caph_shape() {
        let code = read(json!({
            "id": "pmc-1", "mode": "one_time", "status": "completed", "name": "Shop sale 1",
            "amount": {"currency": "SLE", "value": 1250}, "enable": false,
            "expireTime": "2026-11-07T05:31:56Z", "ussdCode": "*715*1*0123456789#",
            "reference": "R1", "authorizedProviders": ["m17"],
            "processedPaymentData": {
                "amount": {"currency": "SLE", "value": 1250}, "orderNumber": "ORD-9",
                "paymentId": "pay-1", "channelData": {"providerId": "m18", "accountId": "acc"}
            },
            "ownershipGraph": {"owner": {"id": "x"}}, "somethingNew": [1, 2]
        }));
        assert_eq!(code.status, CodeStatus::Completed);
        assert!(!code.enabled);
        assert_eq!(code.amount, Some(Money::new(Currency::Sle, 1250)));
        assert_eq!(code.ussd_code.as_deref(), Some("*715*1*0123456789#"));
        assert_eq!(code.authorized_providers, vec!["m17"]);
        let payment = code.payment.expect("payment data");
        assert_eq!(payment.order_number.as_deref(), Some("ORD-9"));
        assert_eq!(payment.provider_name(), Some("Africell AfriMoney"));
    }

    #[test]
    fn reads_the_legacy_shape() {
        let code = read(json!({
            "id": "pmc-TJh76H8hj778hftdtu66gjio", "name": "Home EDSA Meter Top-up",
            "mode": "oneTime", "isActive": true, "status": "pending",
            "ussdCode": "*715*1*0123456789#", "amount": {"currency": "SLE", "value": 123},
            "customerTarget": {"name": "Musa", "reference": "0123", "payingPhoneNumber": "078000000"},
            "allowedProviders": ["m17", "m18"],
            "progress": {"isCompleted": false, "totalPaymentCount": 0},
            "expireTime": "2023-11-07T05:31:56Z", "createTime": "2023-11-07T05:31:56Z"
        }));
        assert_eq!(code.status, CodeStatus::Pending);
        assert!(code.enabled);
        assert_eq!(code.reference.as_deref(), Some("0123"));
        assert_eq!(code.authorized_phone_number.as_deref(), Some("078000000"));
        assert_eq!(code.authorized_providers, vec!["m17", "m18"]);
        assert!(code.payment.is_none());
    }

    #[test]
    fn an_unknown_status_is_never_completed() {
        let code = read(json!({"id": "pmc-1", "status": "settling"}));
        assert_eq!(code.status, CodeStatus::Unknown);
        assert!(!code.status.is_final());
    }

    #[test]
    fn bodies_follow_the_api_shape() {
        let request = NewPaymentCode::new("Shop sale 1", Money::new(Currency::Sle, 500))
            .with_reference(Some("R1".into()))
            .with_metadata("sale", "1")
            .with_providers(vec!["m17".into()])
            .with_phone(Some("078000000".into()));
        let caph = request.to_body(&ApiVersion::default());
        assert_eq!(caph["mode"], "one_time");
        assert_eq!(caph["amount"], json!({"currency": "SLE", "value": 500}));
        assert_eq!(caph["authorizedProviders"], json!(["m17"]));
        assert_eq!(caph["authorizedPhoneNumber"], "078000000");
        assert_eq!(caph["reference"], "R1");
        let legacy = request.to_body(&ApiVersion::Legacy);
        assert_eq!(legacy["mode"], "oneTime");
        assert_eq!(legacy["allowedProviders"], json!(["m17"]));
        assert_eq!(legacy["customerTarget"]["payingPhoneNumber"], "078000000");
        assert!(legacy.get("authorizedProviders").is_none());
    }

    #[test]
    fn fees_add_up_in_one_currency_only() {
        let fee = |currency, minor| Fee {
            code: None,
            amount: Money::new(currency, minor),
        };
        assert_eq!(sum_fees(&[]), None);
        assert_eq!(
            sum_fees(&[fee(Currency::Sle, 50), fee(Currency::Sle, 25)]),
            Some(Money::new(Currency::Sle, 75))
        );
        assert_eq!(
            sum_fees(&[fee(Currency::Sle, 50), fee(Currency::Usd, 1)]),
            None
        );
        assert_eq!(
            sum_fees(&[fee(Currency::Sle, i64::MAX), fee(Currency::Sle, 1)]),
            None
        );
        let read = read_fees(Some(
            serde_json::from_value(json!([
                {"code": "payout_fee", "amount": {"currency": "SLE", "value": 50}, "metadata": null},
                {"name": "charge", "amount": {"currency": "SLE", "value": 5}},
                {"code": "nothing"}
            ]))
            .expect("fees"),
        ));
        assert_eq!(read.len(), 2);
        assert_eq!(read[1].code.as_deref(), Some("charge"));
    }

    #[test]
    fn api_versions_parse() {
        assert_eq!(
            "caph.2025-06-20".parse(),
            Ok(ApiVersion::Caph("caph.2025-06-20"))
        );
        assert_eq!("2024-08-01".parse(), Ok(ApiVersion::Legacy));
        assert!("v2".parse::<ApiVersion>().is_err());
    }
}
