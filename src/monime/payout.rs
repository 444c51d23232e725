//! Payouts: money sent from the space's account to a mobile-money number. Monime has no refund
//! endpoint; a payout is how money goes back to a customer.
//!
//! A payout is read from either API shape: caph (`destination{type, providerId, phoneNumber}`,
//! `fees[]`, `failureDetail{code, message}` with snake_case codes) or 2024-08-01
//! (`destination{providerCode, accountId}`, `charges[]`, a `delayed` status with
//! `delayedReason`, `failureDetail{code, explanation}` with camelCase codes). The endpoints:
//! create under the caller's idempotency key, read, list and cancel (delete, which Monime allows
//! only before processing starts).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::list::{PageOf, one_of, page_of, read_back_to};
use super::model::{ApiVersion, Fee, WireFee, read_fees, sum_fees};
use super::{
    Envelope, MAX_IDEMPOTENCY_KEY_LEN, MAX_PAGE_SIZE, MonimeClient, MonimeError, RetryRule,
};
use crate::money::Money;

/// The mobile-money providers Monime pays out to: Orange Money and Africell AfriMoney.
pub const MOMO_PROVIDERS: [&str; 2] = ["m17", "m18"];
/// Monime's limit on the keys of an object's `metadata`.
const MAX_METADATA_KEYS: usize = 64;

/// Where a payout is in its life. Only `Completed` means the money arrived; only `Failed` means
/// it never will.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PayoutStatus {
    Pending,
    Processing,
    /// The 2024-08-01 API's: held up at the provider, with a `delayed_reason`; not over.
    Delayed,
    Completed,
    Failed,
    /// A status this terminal does not know: never taken as sent or as failed.
    #[serde(other)]
    Unknown,
}

impl PayoutStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PayoutStatus::Pending => "pending",
            PayoutStatus::Processing => "processing",
            PayoutStatus::Delayed => "delayed",
            PayoutStatus::Completed => "completed",
            PayoutStatus::Failed => "failed",
            PayoutStatus::Unknown => "unknown",
        }
    }

    /// Completed or failed: nothing about the payout will change any more.
    pub fn is_final(self) -> bool {
        matches!(self, PayoutStatus::Completed | PayoutStatus::Failed)
    }

    /// The caph list filters by these four alone.
    fn caph_filter(self) -> bool {
        matches!(
            self,
            PayoutStatus::Pending
                | PayoutStatus::Processing
                | PayoutStatus::Completed
                | PayoutStatus::Failed
        )
    }
}

impl FromStr for PayoutStatus {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim() {
            "pending" => Ok(PayoutStatus::Pending),
            "processing" => Ok(PayoutStatus::Processing),
            "delayed" => Ok(PayoutStatus::Delayed),
            "completed" => Ok(PayoutStatus::Completed),
            "failed" => Ok(PayoutStatus::Failed),
            _ => Err(format!(
                "unknown payout status \"{text}\": use pending, processing, delayed, completed or failed"
            )),
        }
    }
}

impl fmt::Display for PayoutStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why Monime says a payout failed. The caph API writes the codes in snake_case, the 2024-08-01
/// one in camelCase; both read to the same value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PayoutFailureCode {
    /// Monime gives no reason.
    Unknown,
    /// The space's account holds too little for the amount and its fees.
    FundInsufficient,
    AuthorizationFailed,
    /// The provider failed in a way Monime does not know.
    ProviderUnknown,
    ProviderAccountBlocked,
    /// The provider has no account for the number.
    ProviderAccountMissing,
    /// The account's daily or per-transaction limit is used up.
    ProviderAccountQuotaExhausted,
    /// The 2024-08-01 API's: the payout was not processed in time.
    Expired,
    /// A code this terminal does not know, as Monime wrote it.
    Other(String),
}

impl PayoutFailureCode {
    const KNOWN: [(PayoutFailureCode, &'static str, &'static str); 8] = [
        (PayoutFailureCode::Unknown, "unknown", "unknown"),
        (
            PayoutFailureCode::FundInsufficient,
            "fund_insufficient",
            "fundInsufficient",
        ),
        (
            PayoutFailureCode::AuthorizationFailed,
            "authorization_failed",
            "authorizationFailed",
        ),
        (
            PayoutFailureCode::ProviderUnknown,
            "provider_unknown",
            "providerUnknown",
        ),
        (
            PayoutFailureCode::ProviderAccountBlocked,
            "provider_account_blocked",
            "providerAccountBlocked",
        ),
        (
            PayoutFailureCode::ProviderAccountMissing,
            "provider_account_missing",
            "providerAccountMissing",
        ),
        (
            PayoutFailureCode::ProviderAccountQuotaExhausted,
            "provider_account_quota_exhausted",
            "providerAccountQuotaExhausted",
        ),
        (PayoutFailureCode::Expired, "expired", "expired"),
    ];

    /// Reads a code in either API's spelling.
    pub fn parse(text: &str) -> PayoutFailureCode {
        Self::KNOWN
            .iter()
            .find(|(_, caph, legacy)| text == *caph || text == *legacy)
            .map(|(code, _, _)| code.clone())
            .unwrap_or_else(|| PayoutFailureCode::Other(text.to_string()))
    }

    /// The code as the caph API writes it.
    pub fn as_str(&self) -> &str {
        self.spelling(false)
    }

    /// The code as the 2024-08-01 API writes it.
    pub fn legacy_str(&self) -> &str {
        self.spelling(true)
    }

    fn spelling(&self, legacy: bool) -> &str {
        if let PayoutFailureCode::Other(text) = self {
            return text;
        }
        Self::KNOWN
            .iter()
            .find(|(code, _, _)| code == self)
            .map(|(_, caph, old)| if legacy { *old } else { *caph })
            .unwrap_or("unknown")
    }
}

impl fmt::Display for PayoutFailureCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Monime's reason for a failed payout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayoutFailure {
    pub code: PayoutFailureCode,
    /// Monime's own words (`message`; `explanation` in 2024-08-01), for logs and technicians.
    pub message: Option<String>,
}

/// Where a payout's money goes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PayoutDestination {
    /// `momo` for mobile money; the 2024-08-01 API does not say.
    pub kind: Option<String>,
    pub provider_id: Option<String>,
    /// The number as Monime has it (`phoneNumber`; `accountId` in 2024-08-01).
    pub phone_number: Option<String>,
    /// The provider's reference for the credit, once the payout completed: what the
    /// customer's SMS shows.
    pub transaction_reference: Option<String>,
}

/// A payout as Monime reported it.
#[derive(Debug, Clone, PartialEq)]
pub struct Payout {
    pub id: String,
    pub status: PayoutStatus,
    pub amount: Option<Money>,
    pub destination: PayoutDestination,
    /// The account the money comes from; `None` when Monime says it is the space's main one.
    pub source_account: Option<String>,
    /// Monime's reference for the debit of the source account, once processed.
    pub source_transaction_reference: Option<String>,
    /// Charged on top of the amount; empty until Monime has processed the payout.
    pub fees: Vec<Fee>,
    pub failure: Option<PayoutFailure>,
    /// Why a 2024-08-01 payout is `delayed`.
    pub delayed_reason: Option<String>,
    pub create_time: Option<DateTime<Utc>>,
    pub update_time: Option<DateTime<Utc>>,
    pub metadata: Option<Value>,
}

impl Payout {
    /// A payout as Monime may list it, for the crate's tests: `id` of `amount` in `status`,
    /// with `metadata` and nothing else said.
    #[cfg(test)]
    pub(crate) fn for_test(
        id: &str,
        status: PayoutStatus,
        amount: Money,
        metadata: Option<Value>,
    ) -> Payout {
        Payout {
            id: id.into(),
            status,
            amount: Some(amount),
            destination: Default::default(),
            source_account: None,
            source_transaction_reference: None,
            fees: Vec::new(),
            failure: None,
            delayed_reason: None,
            create_time: None,
            update_time: None,
            metadata,
        }
    }

    /// What Monime charged on top of the amount, when it says.
    pub fn fee_total(&self) -> Option<Money> {
        sum_fees(&self.fees)
    }

    /// A text entry of the payout's metadata, which Monime keeps as it was sent.
    pub fn metadata_text(&self, key: &str) -> Option<&str> {
        self.metadata.as_ref()?.get(key)?.as_str()
    }
}

/// A payout to make: `amount` to `phone_number` at mobile-money provider `provider_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPayout {
    pub amount: Money,
    pub provider_id: String,
    /// The full number, `+232...` or as the provider knows it; never a masked one.
    pub phone_number: String,
    /// The account to pay from; `None` is the space's main account.
    pub source_account: Option<String>,
    pub metadata: BTreeMap<String, String>,
}

impl NewPayout {
    /// `amount` to mobile-money number `phone_number` at `provider_id` (`m17`, `m18`), from the
    /// space's main account; the `with_` methods set the rest.
    pub fn momo(
        amount: Money,
        provider_id: impl Into<String>,
        phone_number: impl Into<String>,
    ) -> NewPayout {
        NewPayout {
            amount,
            provider_id: provider_id.into(),
            phone_number: phone_number.into(),
            source_account: None,
            metadata: BTreeMap::new(),
        }
    }

    /// The financial account (`fac-...`) to pay from; `None` is the space's main account.
    pub fn with_source_account(mut self, account: Option<String>) -> NewPayout {
        self.source_account = account;
        self
    }

    /// One more metadata entry.
    pub fn with_metadata(mut self, key: &str, value: impl Into<String>) -> NewPayout {
        self.metadata.insert(key.to_string(), value.into());
        self
    }

    /// What Monime would refuse, said before anything is sent.
    pub fn check(&self) -> Result<(), String> {
        if self.amount.minor <= 0 {
            return Err("a payout's amount must be more than zero".into());
        }
        if !MOMO_PROVIDERS.contains(&self.provider_id.as_str()) {
            return Err(format!(
                "\"{}\" is not a mobile-money provider Monime pays out to: use m17 (Orange Money) or m18 (Africell AfriMoney)",
                self.provider_id
            ));
        }
        let digits = self
            .phone_number
            .strip_prefix('+')
            .unwrap_or(&self.phone_number);
        if !(6..=15).contains(&digits.len()) || !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(format!(
                "\"{}\" is not a whole mobile number: give its digits alone, such as +23276123456",
                self.phone_number
            ));
        }
        if let Some(account) = &self.source_account
            && (!account.starts_with("fac-") || account.len() > 64)
        {
            return Err(format!(
                "\"{account}\" is not a financial account id (they look like fac-...)"
            ));
        }
        if self.metadata.len() > MAX_METADATA_KEYS {
            return Err(format!(
                "a payout carries at most {MAX_METADATA_KEYS} metadata entries"
            ));
        }
        // The 2024-08-01 API's limits on each entry; caph states none, so these suit both.
        if let Some((key, _)) = self
            .metadata
            .iter()
            .find(|(key, value)| key.is_empty() || key.len() > 64 || value.len() > 100)
        {
            return Err(format!(
                "metadata \"{key}\": keys are 1 to 64 characters and values at most 100"
            ));
        }
        Ok(())
    }

    /// The request body in the API's own shape. Both bodies are closed: nothing else is sent.
    pub fn to_body(&self, version: &ApiVersion) -> Value {
        let amount = json!({ "currency": self.amount.currency.code(), "value": self.amount.minor });
        let destination = match version {
            ApiVersion::Caph(_) => json!({
                "type": "momo",
                "providerId": self.provider_id,
                "phoneNumber": self.phone_number,
            }),
            ApiVersion::Legacy => json!({
                "providerCode": self.provider_id,
                "accountId": self.phone_number,
            }),
        };
        let mut body = json!({ "amount": amount, "destination": destination });
        let fields = body.as_object_mut().expect("a JSON object literal");
        if let Some(account) = &self.source_account {
            fields.insert("source".into(), json!({ "financialAccountId": account }));
        }
        if !self.metadata.is_empty() {
            fields.insert("metadata".into(), json!(self.metadata));
        }
        body
    }
}

/// Filters of the payout list. The 2024-08-01 list has none: there they are applied here.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PayoutFilter {
    pub status: Option<PayoutStatus>,
    pub source_account: Option<String>,
    pub source_transaction_reference: Option<String>,
    pub destination_transaction_reference: Option<String>,
}

impl PayoutFilter {
    fn is_empty(&self) -> bool {
        *self == PayoutFilter::default()
    }

    fn admits(&self, payout: &Payout) -> bool {
        let same =
            |wanted: &Option<String>, actual: &Option<String>| wanted.is_none() || wanted == actual;
        self.status.is_none_or(|status| payout.status == status)
            && same(&self.source_account, &payout.source_account)
            && same(
                &self.source_transaction_reference,
                &payout.source_transaction_reference,
            )
            && same(
                &self.destination_transaction_reference,
                &payout.destination.transaction_reference,
            )
    }
}

/// The union of both shapes; every field but `id` and `status` is optional.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WirePayout {
    id: String,
    status: PayoutStatus,
    amount: Option<Money>,
    source: Option<WireSource>,
    destination: Option<WireDestination>,
    #[serde(alias = "charges")]
    fees: Option<Vec<WireFee>>,
    failure_detail: Option<WireFailure>,
    delayed_reason: Option<String>,
    create_time: Option<DateTime<Utc>>,
    update_time: Option<DateTime<Utc>>,
    metadata: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireSource {
    financial_account_id: Option<String>,
    transaction_reference: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireDestination {
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(alias = "providerCode")]
    provider_id: Option<String>,
    #[serde(alias = "accountId")]
    phone_number: Option<String>,
    transaction_reference: Option<String>,
}

#[derive(Deserialize)]
struct WireFailure {
    code: Option<String>,
    #[serde(alias = "explanation")]
    message: Option<String>,
}

impl From<WirePayout> for Payout {
    fn from(wire: WirePayout) -> Self {
        let source = wire.source;
        Payout {
            id: wire.id,
            status: wire.status,
            amount: wire.amount,
            destination: wire
                .destination
                .map(|d| PayoutDestination {
                    kind: d.kind,
                    provider_id: d.provider_id,
                    phone_number: d.phone_number,
                    transaction_reference: d.transaction_reference,
                })
                .unwrap_or_default(),
            source_account: source.as_ref().and_then(|s| s.financial_account_id.clone()),
            source_transaction_reference: source.and_then(|s| s.transaction_reference),
            fees: read_fees(wire.fees),
            failure: wire.failure_detail.map(|failure| PayoutFailure {
                code: failure
                    .code
                    .as_deref()
                    .map(PayoutFailureCode::parse)
                    .unwrap_or(PayoutFailureCode::Unknown),
                message: failure.message,
            }),
            delayed_reason: wire.delayed_reason,
            create_time: wire.create_time,
            update_time: wire.update_time,
            metadata: wire.metadata,
        }
    }
}

fn payouts_path(version: &ApiVersion) -> &'static str {
    match version {
        ApiVersion::Caph(_) => "/v1/payouts",
        ApiVersion::Legacy => "/payouts",
    }
}

pub(super) fn payout_from(result: Option<Value>) -> Result<Payout, MonimeError> {
    one_of(result, "payout", |wire: WirePayout| Payout::from(wire))
}

/// The page of payouts in a list answer, as Monime sent it (before any filter applied here).
pub(super) fn payouts_page(envelope: Envelope) -> Result<PageOf<Payout>, MonimeError> {
    page_of(envelope, "payout", |wire: WirePayout| Payout::from(wire))
}

impl MonimeClient {
    /// Sends `request`'s money. `idempotency_key` must be stored before the first try and used
    /// on every retry: after a lost answer Monime returns the payout it already made instead of
    /// paying a second time.
    pub async fn create_payout(
        &self,
        idempotency_key: &str,
        request: &NewPayout,
    ) -> Result<Payout, MonimeError> {
        if idempotency_key.is_empty() || idempotency_key.len() > MAX_IDEMPOTENCY_KEY_LEN {
            return Err(MonimeError::Validation {
                message: format!(
                    "the idempotency key must be 1 to {MAX_IDEMPOTENCY_KEY_LEN} characters"
                ),
            });
        }
        request
            .check()
            .map_err(|message| MonimeError::Validation { message })?;
        let version = &self.settings.api_version;
        let body = request.to_body(version);
        let envelope = self
            .call(
                Method::POST,
                payouts_path(version),
                &[],
                Some(&body),
                Some(idempotency_key),
                RetryRule::WhenSafe,
            )
            .await?;
        payout_from(envelope.result)
    }

    /// Reads one payout.
    pub async fn payout(&self, id: &str) -> Result<Payout, MonimeError> {
        let path = self.payout_path(id)?;
        let envelope = self
            .call(Method::GET, &path, &[], None, None, RetryRule::WhenSafe)
            .await
            .map_err(|error| error.about("payout"))?;
        payout_from(envelope.result)
    }

    /// Stops a payout Monime has not started processing; one already under way goes on (Monime
    /// refuses the delete: read its status).
    pub async fn cancel_payout(&self, id: &str) -> Result<(), MonimeError> {
        let path = self.payout_path(id)?;
        self.call(
            Method::DELETE,
            &path,
            &[],
            None,
            None,
            RetryRule::OnlyWhenThrottled,
        )
        .await
        .map(|_| ())
        .map_err(|error| error.about("payout"))
    }

    /// One page of payouts, newest first. On the 2024-08-01 API, and for a status the caph
    /// filter does not take, the filter is applied here to the page Monime sent, so a page may
    /// hold fewer than `limit` payouts while `next` goes on.
    pub async fn list_payouts_page(
        &self,
        filter: &PayoutFilter,
        limit: usize,
        after: Option<&str>,
    ) -> Result<PageOf<Payout>, MonimeError> {
        let version = &self.settings.api_version;
        let mut query: Vec<(&str, String)> =
            vec![("limit", limit.clamp(1, MAX_PAGE_SIZE).to_string())];
        if let ApiVersion::Caph(_) = version {
            if let Some(status) = filter.status.filter(|status| status.caph_filter()) {
                query.push(("status", status.as_str().to_string()));
            }
            let mut add = |name, value: &Option<String>| {
                if let Some(value) = value {
                    query.push((name, value.clone()));
                }
            };
            add("sourceFinancialAccountId", &filter.source_account);
            add(
                "sourceTransactionReference",
                &filter.source_transaction_reference,
            );
            add(
                "destinationTransactionReference",
                &filter.destination_transaction_reference,
            );
        }
        if let Some(cursor) = after {
            query.push(("after", cursor.to_string()));
        }
        let envelope = self
            .call(
                Method::GET,
                payouts_path(version),
                &query,
                None,
                None,
                RetryRule::WhenSafe,
            )
            .await?;
        let mut page = payouts_page(envelope)?;
        // Harmless where Monime filtered already; needed wherever it could not.
        page.items.retain(|payout| filter.admits(payout));
        Ok(page)
    }

    /// Payouts page after page, newest first, until `max_items` or the end of the list.
    pub async fn list_payouts(
        &self,
        filter: &PayoutFilter,
        max_items: usize,
    ) -> Result<Vec<Payout>, MonimeError> {
        // Filtered here, a page keeps only some of its payouts: ask for whole pages.
        let filtered_here = !filter.is_empty()
            && (self.settings.api_version == ApiVersion::Legacy
                || filter.status.is_some_and(|status| !status.caph_filter()));
        let mut payouts = Vec::new();
        let mut cursor: Option<String> = None;
        while payouts.len() < max_items {
            let wanted = if filtered_here {
                MAX_PAGE_SIZE
            } else {
                max_items - payouts.len()
            };
            let page = self
                .list_payouts_page(filter, wanted, cursor.as_deref())
                .await?;
            payouts.extend(page.items);
            if page.next.is_none() || page.next == cursor {
                break;
            }
            cursor = page.next;
        }
        payouts.truncate(max_items);
        Ok(payouts)
    }

    /// Every payout created at or after `since`, newest first (for checking a day's refunds
    /// with Monime): pages are read back to the first older payout, as for codes.
    pub async fn list_payouts_created_since(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<Payout>, MonimeError> {
        let filter = &PayoutFilter::default();
        read_back_to(
            since,
            "payouts",
            |cursor| async move {
                self.list_payouts_page(filter, MAX_PAGE_SIZE, cursor.as_deref())
                    .await
            },
            |payout: &Payout| payout.create_time,
        )
        .await
    }

    fn payout_path(&self, id: &str) -> Result<String, MonimeError> {
        let version = &self.settings.api_version;
        // The caph API's path takes `pyt-` ids alone.
        if matches!(version, ApiVersion::Caph(_)) && !id.starts_with("pyt-") {
            return Err(MonimeError::Validation {
                message: format!("\"{id}\" is not a payout id (they look like pyt-...)"),
            });
        }
        super::item_path(
            payouts_path(version),
            id,
            "a payout id (they look like pyt-...)",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    fn read(value: Value) -> Payout {
        serde_json::from_value::<WirePayout>(value)
            .expect("a payout")
            .into()
    }

    #[test]
    fn reads_the_caph_shape() {
        let payout = read(json!({
            "id": "pyt-1", "status": "completed",
            "amount": {"currency": "SLE", "value": 1250},
            "source": {"financialAccountId": "fac-main", "transactionReference": "ftx-1"},
            "destination": {"type": "momo", "providerId": "m17", "phoneNumber": "+23276123456",
                            "transactionReference": "MP2501.1234.A5678"},
            "fees": [{"code": "payout_fee", "amount": {"currency": "SLE", "value": 50}, "metadata": null}],
            "failureDetail": null,
            "createTime": "2025-09-01T10:00:00Z", "updateTime": "2025-09-01T10:00:03Z",
            "ownershipGraph": null, "metadata": {"sale": "7"}, "somethingNew": true
        }));
        assert_eq!(payout.status, PayoutStatus::Completed);
        assert_eq!(payout.amount, Some(Money::new(Currency::Sle, 1250)));
        assert_eq!(payout.destination.provider_id.as_deref(), Some("m17"));
        assert_eq!(
            payout.destination.transaction_reference.as_deref(),
            Some("MP2501.1234.A5678")
        );
        assert_eq!(payout.source_account.as_deref(), Some("fac-main"));
        assert_eq!(payout.fee_total(), Some(Money::new(Currency::Sle, 50)));
        assert!(payout.failure.is_none());
    }

    #[test]
    fn reads_the_legacy_shape() {
        let payout = read(json!({
            "id": "pyt-2", "status": "failed",
            "amount": {"currency": "SLE", "value": 300},
            "destination": {"providerCode": "m18", "accountId": "+23277000001", "transactionReference": null},
            "charges": [{"name": "fee", "amount": {"currency": "SLE", "value": 10}}],
            "failureDetail": {"code": "providerAccountMissing", "explanation": "no such wallet"},
            "delayedReason": null, "createTime": "2024-09-01T10:00:00Z"
        }));
        assert_eq!(payout.status, PayoutStatus::Failed);
        assert_eq!(
            payout.destination.phone_number.as_deref(),
            Some("+23277000001")
        );
        assert_eq!(payout.fees.len(), 1);
        let failure = payout.failure.expect("a reason");
        assert_eq!(failure.code, PayoutFailureCode::ProviderAccountMissing);
        assert_eq!(failure.message.as_deref(), Some("no such wallet"));
        let delayed =
            read(json!({"id": "pyt-3", "status": "delayed", "delayedReason": "provider busy"}));
        assert_eq!(delayed.status, PayoutStatus::Delayed);
        assert!(!delayed.status.is_final());
    }

    #[test]
    fn failure_codes_read_in_both_spellings() {
        for (caph, legacy, code) in [
            (
                "fund_insufficient",
                "fundInsufficient",
                PayoutFailureCode::FundInsufficient,
            ),
            (
                "provider_account_blocked",
                "providerAccountBlocked",
                PayoutFailureCode::ProviderAccountBlocked,
            ),
            (
                "authorization_failed",
                "authorizationFailed",
                PayoutFailureCode::AuthorizationFailed,
            ),
        ] {
            assert_eq!(PayoutFailureCode::parse(caph), code);
            assert_eq!(PayoutFailureCode::parse(legacy), code);
            assert_eq!(code.as_str(), caph);
            assert_eq!(code.legacy_str(), legacy);
        }
        let other = PayoutFailureCode::parse("moon_phase");
        assert_eq!(other, PayoutFailureCode::Other("moon_phase".into()));
        assert_eq!(other.as_str(), "moon_phase");
        let unknown_status = read(json!({"id": "pyt-4", "status": "reversed"}));
        assert_eq!(unknown_status.status, PayoutStatus::Unknown);
        assert!(!unknown_status.status.is_final());
    }

    #[test]
    fn bodies_follow_the_api_shape_and_stay_closed() {
        let request = NewPayout::momo(Money::new(Currency::Sle, 1250), "m17", "+23276123456")
            .with_source_account(Some("fac-shop".into()))
            .with_metadata("sale", "7");
        let caph = request.to_body(&ApiVersion::default());
        assert_eq!(
            caph,
            json!({"amount": {"currency": "SLE", "value": 1250},
                   "destination": {"type": "momo", "providerId": "m17", "phoneNumber": "+23276123456"},
                   "source": {"financialAccountId": "fac-shop"}, "metadata": {"sale": "7"}})
        );
        let legacy = NewPayout::momo(Money::new(Currency::Sle, 100), "m18", "+23277000001")
            .to_body(&ApiVersion::Legacy);
        assert_eq!(
            legacy,
            json!({"amount": {"currency": "SLE", "value": 100},
                   "destination": {"providerCode": "m18", "accountId": "+23277000001"}})
        );
    }

    #[test]
    fn what_monime_would_refuse_is_said_first() {
        let good = NewPayout::momo(Money::new(Currency::Sle, 100), "m17", "+23276123456");
        assert_eq!(good.check(), Ok(()));
        let cases = [
            (
                NewPayout {
                    amount: Money::new(Currency::Sle, 0),
                    ..good.clone()
                },
                "more than zero",
            ),
            (
                NewPayout {
                    provider_id: "slb001".into(),
                    ..good.clone()
                },
                "m17",
            ),
            (
                NewPayout {
                    phone_number: "076 123 456".into(),
                    ..good.clone()
                },
                "digits alone",
            ),
            (
                NewPayout {
                    phone_number: "076***456".into(),
                    ..good.clone()
                },
                "whole mobile number",
            ),
            (
                good.clone().with_source_account(Some("main".into())),
                "fac-",
            ),
            (
                good.clone().with_metadata("note", "x".repeat(101)),
                "at most 100",
            ),
        ];
        for (request, expected) in cases {
            let error = request.check().expect_err(expected);
            assert!(error.contains(expected), "{error}");
        }
    }
}
