//! The shop's cashiers (`[[cashiers]]`, optional): who may sign in at the terminal with which
//! PIN, which of them may refund, and when an idle terminal signs its cashier out. Without any,
//! the terminal opens on the keypad as before and its sales carry no cashier.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;

use super::fields::entry_name;
use crate::refund::Refunder;

/// The longest name: it shares the status bar with the shop's name and the lights.
const NAME_MAX_CHARS: usize = 20;
/// How many digits a PIN has, the admin's and the cashiers'.
const PIN_DIGITS: std::ops::RangeInclusive<usize> = 4..=8;
const IDLE_MINS: std::ops::RangeInclusive<u32> = 1..=720;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCashier {
    name: Option<String>,
    pin: Option<String>,
    can_refund: Option<bool>,
}

/// A cashier who may sign in. The PIN stays out of Debug output and logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Cashier {
    pub name: String,
    pub pin: String,
    /// May send money back to a payer (`can_refund = true`; off unless said), with their own
    /// PIN, when `[refunds]` is on.
    pub can_refund: bool,
}

impl fmt::Debug for Cashier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cashier")
            .field("name", &self.name)
            .field("pin", &"****")
            .field("can_refund", &self.can_refund)
            .finish()
    }
}

/// Why a PIN may not send money back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundPinRefusal {
    /// Neither the admin PIN nor a cashier's.
    Unknown,
    /// The PIN of this cashier, who has no `can_refund`.
    NotAllowed(String),
}

/// Who `pin` is, if they may send money back: the admin, or a cashier with `can_refund`. The
/// screen asks before the rest of a refund is typed; the shop asks again before it sends.
pub fn refunder_of_pin(
    pin: &str,
    admin_pin: &str,
    cashiers: &[Cashier],
) -> Result<Refunder, RefundPinRefusal> {
    if !pin.is_empty() && pin == admin_pin {
        return Ok(Refunder::Admin);
    }
    match cashiers.iter().find(|cashier| cashier.pin == pin) {
        Some(cashier) if cashier.can_refund => Ok(Refunder::Cashier(cashier.name.clone())),
        Some(cashier) => Err(RefundPinRefusal::NotAllowed(cashier.name.clone())),
        None => Err(RefundPinRefusal::Unknown),
    }
}

/// A PIN the keypad can type: 4 to 8 digits.
pub(super) fn is_pin(text: &str) -> bool {
    PIN_DIGITS.contains(&text.len()) && text.chars().all(|c| c.is_ascii_digit())
}

/// Checks the `[[cashiers]]` entries: each has a name that fits the status bar and a PIN of 4 to
/// 8 digits. PINs are unique (a PIN alone signs a cashier in, which is quickest at a counter)
/// and none is the admin PIN, which must keep opening the admin screen.
pub(super) fn check_cashiers(
    raw: Vec<RawCashier>,
    admin_pin: &str,
) -> Result<Vec<Cashier>, String> {
    let mut cashiers: Vec<Cashier> = Vec::with_capacity(raw.len());
    for (index, entry) in raw.into_iter().enumerate() {
        let place = format!("[[cashiers]] entry {}", index + 1);
        let name = entry_name(entry.name, &place, NAME_MAX_CHARS, "Aminata")?;
        let place = format!("[[cashiers]] \"{name}\"");
        let pin = entry.pin.unwrap_or_default();
        if !is_pin(&pin) {
            return Err(format!(
                "{place}: pin must be 4 to 8 digits, written in quotes such as \"2580\""
            ));
        }
        if pin == admin_pin {
            return Err(format!(
                "{place}: the pin is the admin PIN; give the cashier a PIN of their own"
            ));
        }
        if let Some(other) = cashiers.iter().find(|c| c.pin == pin) {
            return Err(format!(
                "{place}: the pin is also \"{}\"'s; each cashier needs their own PIN, which alone signs them in",
                other.name
            ));
        }
        if cashiers.iter().any(|c| c.name.eq_ignore_ascii_case(&name)) {
            return Err(format!(
                "{place} is named twice: the reports count sales by name, so give each cashier a different one"
            ));
        }
        cashiers.push(Cashier {
            name,
            pin,
            can_refund: entry.can_refund.unwrap_or(false),
        });
    }
    Ok(cashiers)
}

/// `[kiosk] idle_sign_out_mins`: only meaningful with cashiers.
pub(super) fn check_idle_sign_out(
    minutes: Option<u32>,
    cashiers: &[Cashier],
) -> Result<Option<Duration>, String> {
    match minutes {
        None | Some(0) => Ok(None),
        Some(_) if cashiers.is_empty() => Err(
            "[kiosk] idle_sign_out_mins needs [[cashiers]] to sign out: add them, or remove the key"
                .into(),
        ),
        Some(mins) if IDLE_MINS.contains(&mins) => Ok(Some(Duration::from_secs(u64::from(mins) * 60))),
        Some(mins) => Err(format!(
            "[kiosk] idle_sign_out_mins {mins}: use 1 to 720 minutes, or 0 to stay signed in"
        )),
    }
}
