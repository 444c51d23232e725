//! The mobile-money accounts the simulated providers know: whose each number is (provider KYC),
//! whether a payout to it can land, and who pays a code. Numbers are Sierra Leone's: a national
//! number of eight digits, written `+232...`, `232...` or `0...`, all the same account.
//!
//! Demo numbers are known from the start, so the demo can refund its own sales:
//! `DEMO_ACCOUNTS`. Tests add their own with `SimulatorHandle::register_account`.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};

use crate::monime::{MOMO_PROVIDERS, provider_name};

/// Numbers every simulated space knows: provider, number, holder's name. The first pays codes
/// unless a test says who pays.
pub const DEMO_ACCOUNTS: [(&str, &str, &str); 3] = [
    ("m17", "+23276123456", "AMINATA KAMARA"),
    ("m18", "+23277123456", "MOHAMED BANGURA"),
    ("m17", "+23278654321", "FATMATA SESAY"),
];

/// One account at a provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SimAccount {
    pub provider_id: String,
    /// `+232` and the eight-digit national number.
    pub phone_number: String,
    pub holder_name: String,
    /// A blocked account takes no payout (`provider_account_blocked`).
    pub blocked: bool,
}

/// The accounts of both providers, by provider and national number.
#[derive(Debug)]
pub(super) struct Accounts(BTreeMap<(String, String), SimAccount>);

impl Accounts {
    /// The demo accounts, and no others.
    pub(super) fn demo() -> Accounts {
        let mut accounts = Accounts(BTreeMap::new());
        for (provider, phone, holder) in DEMO_ACCOUNTS {
            // The demo numbers are well formed; a refusal here would be a typo above.
            let _ = accounts.register(provider, phone, holder);
        }
        accounts
    }

    /// Adds (or renames) the account of `phone` at `provider`.
    pub(super) fn register(
        &mut self,
        provider: &str,
        phone: &str,
        holder_name: &str,
    ) -> Result<(), String> {
        let key = key(provider, phone)?;
        let phone_number = format!("+232{}", key.1);
        let blocked = self.0.get(&key).is_some_and(|account| account.blocked);
        self.0.insert(
            key,
            SimAccount {
                provider_id: provider.to_string(),
                phone_number,
                holder_name: holder_name.to_string(),
                blocked,
            },
        );
        Ok(())
    }

    /// Blocks the known account of `phone` at `provider`.
    pub(super) fn block(&mut self, provider: &str, phone: &str) -> Result<(), String> {
        let key = key(provider, phone)?;
        let account = self
            .0
            .get_mut(&key)
            .ok_or_else(|| format!("{provider} has no account {phone}"))?;
        account.blocked = true;
        Ok(())
    }

    pub(super) fn find(&self, provider: &str, phone: &str) -> Option<&SimAccount> {
        self.0.get(&key(provider, phone).ok()?)
    }

    pub(super) fn all(&self) -> Vec<SimAccount> {
        self.0.values().cloned().collect()
    }
}

fn key(provider: &str, phone: &str) -> Result<(String, String), String> {
    if !MOMO_PROVIDERS.contains(&provider) {
        return Err(format!("unknown provider {provider}: use m17 or m18"));
    }
    let national =
        national_number(phone).ok_or_else(|| format!("{phone} is not a Sierra Leone number"))?;
    Ok((provider.to_string(), national))
}

/// The eight-digit national number of `phone`, however it is written; `None` when it is no
/// Sierra Leone number.
pub fn national_number(phone: &str) -> Option<String> {
    let trimmed = phone.trim();
    let plus = trimmed.starts_with('+');
    let digits: String = trimmed
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '+'))
        .collect();
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let national = match (plus, digits.len()) {
        (_, 11) if digits.starts_with("232") => &digits[3..],
        (false, 9) if digits.starts_with('0') => &digits[1..],
        (false, 8) => &digits[..],
        _ => return None,
    };
    Some(national.to_string())
}

/// The number as Monime shows a payer's: the country code, the first two and the last three
/// digits of the national number, the rest hidden (`+23276***456`).
pub fn masked(phone: &str) -> String {
    match national_number(phone) {
        Some(national) => format!("+232{}***{}", &national[..2], &national[5..]),
        None => "***".into(),
    }
}

/// A stable hash of the number (FNV-1a over the national number), as Monime fingerprints a
/// payer without showing the number.
pub fn fingerprint(phone: &str) -> String {
    let national = national_number(phone).unwrap_or_else(|| phone.to_string());
    let hash = national
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
        });
    format!("fp-{hash:016x}")
}

/// A KYC answer for `account`, in the 2024-08-01 shape when `legacy`.
pub(super) fn render_kyc(account: &SimAccount, legacy: bool) -> Value {
    let name = provider_name(&account.provider_id);
    if legacy {
        let (first, last) = account
            .holder_name
            .split_once(' ')
            .unwrap_or((account.holder_name.as_str(), ""));
        return json!({
            "provider": {"code": account.provider_id, "type": "momo", "name": name},
            "accountId": account.phone_number,
            "accountHolderProfile": {"firstName": first, "lastName": (!last.is_empty()).then_some(last)},
            "metadata": null,
        });
    }
    json!({
        // `name` is for a display name other than the holder's; these accounts have none.
        "account": {"id": account.phone_number, "holderName": account.holder_name,
                    "metadata": null},
        "provider": {"id": account.provider_id, "type": "momo", "name": name},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_number_however_written() {
        for written in [
            "+23276123456",
            "23276123456",
            "076123456",
            "76123456",
            "+232 76 123 456",
        ] {
            assert_eq!(
                national_number(written).as_deref(),
                Some("76123456"),
                "{written}"
            );
        }
        for bad in [
            "",
            "+44 20 7946 0000",
            "0761234567",
            "076***456",
            "+0761234567",
        ] {
            assert_eq!(national_number(bad), None, "{bad}");
        }
        assert_eq!(masked("076123456"), "+23276***456");
        assert_eq!(fingerprint("076123456"), fingerprint("+23276123456"));
        assert_ne!(fingerprint("076123456"), fingerprint("076123457"));
    }

    #[test]
    fn accounts_are_found_by_provider_and_number() {
        let mut accounts = Accounts::demo();
        assert_eq!(
            accounts
                .find("m17", "076123456")
                .map(|a| a.holder_name.as_str()),
            Some("AMINATA KAMARA")
        );
        assert!(
            accounts.find("m18", "076123456").is_none(),
            "another provider"
        );
        accounts
            .register("m18", "+23230111222", "ISATU CONTEH")
            .expect("registered");
        assert_eq!(
            accounts
                .find("m18", "030111222")
                .map(|a| a.phone_number.as_str()),
            Some("+23230111222")
        );
        accounts.block("m18", "030111222").expect("blocked");
        assert!(
            accounts
                .find("m18", "+23230111222")
                .is_some_and(|a| a.blocked)
        );
        assert!(accounts.register("m99", "076123456", "X").is_err());
        assert!(accounts.block("m17", "+23279000000").is_err());
    }
}
