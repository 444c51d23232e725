//! Values the configuration's sections share: an amount as the file may write it, and the name
//! of a `[[cashiers]]` or `[[items]]` entry, each checked with a message that says what to
//! write instead.

use serde::Deserialize;

use crate::money::parse_minor_units;

/// An amount in the file may be written `5000` or `"5000.00"`; a TOML float is refused so that
/// no amount ever passes through binary floating point.
#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum AmountText {
    Integer(i64),
    Text(String),
    Float(f64),
}

/// The name of a `[[cashiers]]` or `[[items]]` entry (`place` names the entry): present once
/// trimmed, on one line and up to `max_chars`; `example` is what the message suggests.
pub(super) fn entry_name(
    name: Option<String>,
    place: &str,
    max_chars: usize,
    example: &str,
) -> Result<String, String> {
    let name = name
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty())
        .ok_or_else(|| format!("{place} has no name: add name = \"{example}\""))?;
    if name.chars().count() > max_chars || name.chars().any(char::is_control) {
        return Err(format!(
            "{place}: the name \"{name}\" must be up to {max_chars} characters on one line"
        ));
    }
    Ok(name)
}

impl AmountText {
    /// The amount in minor units, more than zero; `key` names it in the message.
    pub(super) fn minor_units(self, key: &str) -> Result<i64, String> {
        let minor = self.read(key)?;
        if minor <= 0 {
            return Err(format!("{key} must be more than zero"));
        }
        Ok(minor)
    }

    /// The amount in minor units, zero allowed (a fee may be none); `key` names it.
    pub(super) fn minor_units_or_zero(self, key: &str) -> Result<i64, String> {
        let minor = self.read(key)?;
        if minor < 0 {
            return Err(format!("{key} cannot be negative"));
        }
        Ok(minor)
    }

    fn read(self, key: &str) -> Result<i64, String> {
        Ok(match self {
            AmountText::Integer(units) => units
                .checked_mul(100)
                .ok_or_else(|| format!("{key} is too large"))?,
            AmountText::Text(text) => {
                parse_minor_units(&text).map_err(|error| format!("{key}: {error}"))?
            }
            AmountText::Float(value) => {
                return Err(format!(
                    "{key} {value}: an amount with decimals must be written in quotes, such as \"2500.50\""
                ));
            }
        })
    }
}
