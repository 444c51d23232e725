//! Whose number is it: the account holder's name a mobile-money provider has for a number,
//! asked before money is sent to it. The caph API answers at
//! `GET /v1/provider-kyc/{providerId}?accountId=NUMBER` with `account{holderName, name, id}`;
//! the 2024-08-01 API at `GET /kyc-verifications/{providerCode}?accountId=NUMBER` with
//! `accountHolderProfile{firstName, lastName}`.

use reqwest::Method;
use serde::Deserialize;

use super::list::one_of;
use super::model::ApiVersion;
use super::{Envelope, MonimeClient, MonimeError, RetryRule};

/// What a provider says of the account behind a number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderKyc {
    /// Monime's provider id (`m17`), as asked.
    pub provider_id: String,
    /// The provider's name as Monime gives it (`Orange Money`).
    pub provider_name: Option<String>,
    /// The account's id at the provider, usually the number.
    pub account_id: Option<String>,
    /// The holder's full name as registered with the provider.
    pub holder_name: Option<String>,
    /// A display name for the account, where it differs from the holder's.
    pub account_name: Option<String>,
}

/// The union of both shapes.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireKyc {
    account: Option<WireAccount>,
    provider: Option<WireProvider>,
    account_id: Option<String>,
    account_holder_profile: Option<WireHolderProfile>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireAccount {
    id: Option<String>,
    name: Option<String>,
    holder_name: Option<String>,
}

#[derive(Deserialize)]
struct WireProvider {
    name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireHolderProfile {
    first_name: Option<String>,
    last_name: Option<String>,
}

impl WireKyc {
    fn into_kyc(self, provider_id: &str) -> ProviderKyc {
        let account = self.account;
        let legacy_name = self.account_holder_profile.and_then(|profile| {
            let parts: Vec<String> = [profile.first_name, profile.last_name]
                .into_iter()
                .flatten()
                .map(|part| part.trim().to_string())
                .filter(|part| !part.is_empty())
                .collect();
            (!parts.is_empty()).then(|| parts.join(" "))
        });
        let non_empty = |text: Option<String>| text.filter(|text| !text.trim().is_empty());
        ProviderKyc {
            provider_id: provider_id.to_string(),
            provider_name: self.provider.and_then(|provider| provider.name),
            account_id: account
                .as_ref()
                .and_then(|account| account.id.clone())
                .or(self.account_id),
            holder_name: non_empty(account.as_ref().and_then(|a| a.holder_name.clone()))
                .or(legacy_name),
            account_name: non_empty(account.and_then(|account| account.name)),
        }
    }
}

impl MonimeClient {
    /// Asks `provider_id` (`m17`, `m18`) whose account number `phone` is. `None` when the
    /// provider has no account for it (Monime answers 404): money sent there would fail.
    pub async fn provider_kyc(
        &self,
        provider_id: &str,
        phone: &str,
    ) -> Result<Option<ProviderKyc>, MonimeError> {
        let collection = match self.settings.api_version {
            ApiVersion::Caph(_) => "/v1/provider-kyc",
            ApiVersion::Legacy => "/kyc-verifications",
        };
        let path = super::item_path(
            collection,
            provider_id,
            "a provider id (such as m17 or m18)",
        )?;
        if phone.trim().is_empty() {
            return Err(MonimeError::Validation {
                message: "no number to look up".into(),
            });
        }
        let query = [("accountId", phone.to_string())];
        let answer = self
            .call(Method::GET, &path, &query, None, None, RetryRule::WhenSafe)
            .await;
        kyc_from(answer, provider_id)
    }
}

/// What an answer about `provider_id`'s account says: its holder, or none (a 404).
pub(super) fn kyc_from(
    answer: Result<Envelope, MonimeError>,
    provider_id: &str,
) -> Result<Option<ProviderKyc>, MonimeError> {
    match answer {
        Ok(envelope) => one_of(envelope.result, "account holder", |wire: WireKyc| {
            wire.into_kyc(provider_id)
        })
        .map(Some),
        Err(MonimeError::NotFound { .. }) => Ok(None),
        Err(error) => Err(error),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn read(value: Value) -> ProviderKyc {
        serde_json::from_value::<WireKyc>(value)
            .expect("kyc")
            .into_kyc("m17")
    }

    #[test]
    fn reads_the_holder_in_both_shapes() {
        let caph = read(json!({
            "account": {"id": "+23276123456", "name": "", "holderName": "AMINATA KAMARA", "metadata": null},
            "provider": {"id": "m17", "type": "momo", "name": "Orange Money"}
        }));
        assert_eq!(caph.holder_name.as_deref(), Some("AMINATA KAMARA"));
        assert_eq!(caph.account_name, None, "an empty name says nothing");
        assert_eq!(caph.provider_name.as_deref(), Some("Orange Money"));
        let legacy = read(json!({
            "provider": {"code": "m17", "type": "momo", "name": "Orange Money"},
            "accountId": "+23276123456",
            "accountHolderProfile": {"firstName": "Aminata", "lastName": " Kamara "}
        }));
        assert_eq!(legacy.holder_name.as_deref(), Some("Aminata Kamara"));
        assert_eq!(legacy.account_id.as_deref(), Some("+23276123456"));
        let nameless = read(json!({"accountHolderProfile": {"firstName": null, "lastName": null}}));
        assert_eq!(nameless.holder_name, None);
    }
}
