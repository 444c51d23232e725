//! Money as the terminal handles it: integer minor units (SLE 1.00 is 100), parsed from what a
//! cashier or technician types and formatted for the screen and the receipt.
//!
//! Floating point never touches an amount: text goes straight to minor units and back.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The currencies Monime accepts. Both have two decimal places.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Currency {
    #[serde(rename = "SLE")]
    Sle,
    #[serde(rename = "USD")]
    Usd,
}

impl Currency {
    /// The ISO 4217 code Monime uses on the wire.
    pub fn code(self) -> &'static str {
        match self {
            Currency::Sle => "SLE",
            Currency::Usd => "USD",
        }
    }

    /// The sign people in the shop know the currency by.
    pub fn symbol(self) -> &'static str {
        match self {
            Currency::Sle => "Le",
            Currency::Usd => "$",
        }
    }

    pub const DECIMALS: u32 = 2;
}

impl FromStr for Currency {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_uppercase().as_str() {
            "SLE" => Ok(Currency::Sle),
            "USD" => Ok(Currency::Usd),
            _ => Err(format!(
                "unknown currency \"{text}\": Monime takes \"SLE\" or \"USD\""
            )),
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// How an amount's currency is written for people: `Le 12.50` or `SLE 12.50`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CurrencyStyle {
    #[default]
    Symbol,
    Code,
}

/// An amount of money in minor units of a currency. Always positive when it came from `parse`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    pub currency: Currency,
    /// Named `value` in JSON, as Monime names it.
    #[serde(rename = "value")]
    pub minor: i64,
}

/// Why typed text is not an amount. Each message says what to type instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("no amount entered: type an amount such as 12.50")]
    Empty,
    #[error("\"{0}\" is not an amount: use digits and at most one decimal point, such as 12.50")]
    NotANumber(String),
    #[error(
        "\"{0}\" has a comma where it cannot group thousands: use a point for decimals, such as 12.50 (a comma may only separate thousands, as in 1,000.50)"
    )]
    DecimalComma(String),
    #[error("\"{0}\" has more than two decimals: amounts go to the cent, such as 12.50")]
    TooManyDecimals(String),
    #[error("the amount must be more than zero")]
    Zero,
    #[error("the amount cannot be negative")]
    Negative,
    #[error("\"{0}\" is too large for an amount")]
    Overflow(String),
}

impl Money {
    pub fn new(currency: Currency, minor: i64) -> Self {
        Money { currency, minor }
    }

    /// Parses `12`, `12.5`, `12.50`, `1,250.00` or `.5` into minor units, refusing zero.
    pub fn parse(text: &str, currency: Currency) -> Result<Money, AmountError> {
        let minor = parse_minor_units(text)?;
        if minor == 0 {
            return Err(AmountError::Zero);
        }
        Ok(Money { currency, minor })
    }

    /// The amount without currency, as typed back: `1250.00`.
    pub fn plain(&self) -> String {
        let unit = 10_i64.pow(Currency::DECIMALS);
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        format!("{sign}{}.{:02}", abs / unit as u64, abs % unit as u64)
    }

    /// The amount for people: `Le 1,250.00` or `SLE 1,250.00`.
    pub fn display(&self, style: CurrencyStyle) -> String {
        let label = match style {
            CurrencyStyle::Symbol => self.currency.symbol(),
            CurrencyStyle::Code => self.currency.code(),
        };
        let unit = 10_u64.pow(Currency::DECIMALS);
        let abs = self.minor.unsigned_abs();
        let sign = if self.minor < 0 { "-" } else { "" };
        format!(
            "{label} {sign}{}.{:02}",
            group_thousands(abs / unit),
            abs % unit
        )
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display(CurrencyStyle::Symbol))
    }
}

/// Parses a non-negative decimal amount into minor units. Zero is allowed here (limits may be 0).
pub fn parse_minor_units(text: &str) -> Result<i64, AmountError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(AmountError::Empty);
    }
    if trimmed.starts_with('-') {
        return Err(AmountError::Negative);
    }
    let (grouped_whole, fraction) = trimmed.split_once('.').unwrap_or((trimmed, ""));
    // Many people write a decimal comma: "1,00" must never be read as one hundred. A comma is
    // only a thousands separator, between groups of three digits left of the point.
    if fraction.contains(',') || !commas_group_thousands(grouped_whole) {
        return Err(AmountError::DecimalComma(trimmed.to_string()));
    }
    let whole = grouped_whole.replace(',', "");
    let whole = whole.as_str();
    let all_digits = |part: &str| part.chars().all(|c| c.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty()) || !all_digits(whole) || !all_digits(fraction) {
        return Err(AmountError::NotANumber(trimmed.to_string()));
    }
    if fraction.len() > Currency::DECIMALS as usize {
        return Err(AmountError::TooManyDecimals(trimmed.to_string()));
    }
    let overflow = || AmountError::Overflow(trimmed.to_string());
    let whole_units: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| overflow())?
    };
    let padded_fraction = format!("{fraction:0<width$}", width = Currency::DECIMALS as usize);
    let fraction_units: i64 = padded_fraction.parse().map_err(|_| overflow())?;
    whole_units
        .checked_mul(10_i64.pow(Currency::DECIMALS))
        .and_then(|units| units.checked_add(fraction_units))
        .ok_or_else(overflow)
}

/// Whether every comma in `whole` separates thousands: `1,000` and `12,345,678`, not `1,00`.
fn commas_group_thousands(whole: &str) -> bool {
    let mut groups = whole.split(',');
    let first = groups.next().unwrap_or_default();
    if !whole.contains(',') {
        return true;
    }
    (1..=3).contains(&first.len()) && groups.all(|group| group.len() == 3)
}

pub fn group_thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sle(text: &str) -> Result<i64, AmountError> {
        Money::parse(text, Currency::Sle).map(|money| money.minor)
    }

    #[test]
    fn a_decimal_comma_is_refused_never_read_as_thousands() {
        for text in [
            "1,00", "12,5", "5,00", "1,0000", ",500", "1,000,00", "10,00.50", "1.000,50",
        ] {
            let refused = sle(text);
            assert_eq!(
                refused,
                Err(AmountError::DecimalComma(text.to_string())),
                "{text}"
            );
            let message = refused.expect_err("refused").to_string();
            assert!(message.contains("use a point for decimals"), "{message}");
        }
        assert_eq!(sle("1,000.50"), Ok(100_050));
        assert_eq!(sle("12,345,678"), Ok(1_234_567_800));
        assert_eq!(sle("999,999.99"), Ok(99_999_999));
    }

    #[test]
    fn parses_what_a_cashier_types() {
        assert_eq!(sle("12"), Ok(1200));
        assert_eq!(sle("12.5"), Ok(1250));
        assert_eq!(sle("12.50"), Ok(1250));
        assert_eq!(sle(" 0.05 "), Ok(5));
        assert_eq!(sle(".5"), Ok(50));
        assert_eq!(sle("12."), Ok(1200));
        assert_eq!(sle("1,250.00"), Ok(125_000));
    }

    #[test]
    fn refuses_what_is_not_an_amount() {
        assert_eq!(sle(""), Err(AmountError::Empty));
        assert_eq!(sle("0"), Err(AmountError::Zero));
        assert_eq!(sle("0.00"), Err(AmountError::Zero));
        assert_eq!(sle("-5"), Err(AmountError::Negative));
        assert_eq!(
            sle("12.505"),
            Err(AmountError::TooManyDecimals("12.505".into()))
        );
        for bad in ["12a", "1.2.3", ".", "1e5", "+5", "12 50", "١٢"] {
            assert!(
                matches!(sle(bad), Err(AmountError::NotANumber(_))),
                "{bad} should not parse"
            );
        }
        assert!(matches!(
            sle("92233720368547758.08"),
            Err(AmountError::Overflow(_))
        ));
        assert!(matches!(
            sle("99999999999999999999999"),
            Err(AmountError::Overflow(_))
        ));
        assert_eq!(sle("92233720368547758.07"), Ok(i64::MAX));
    }

    #[test]
    fn formats_for_people() {
        let money = Money::new(Currency::Sle, 1250);
        assert_eq!(money.display(CurrencyStyle::Symbol), "Le 12.50");
        assert_eq!(money.display(CurrencyStyle::Code), "SLE 12.50");
        assert_eq!(money.plain(), "12.50");
        assert_eq!(
            Money::new(Currency::Sle, 123_456_789).display(CurrencyStyle::Symbol),
            "Le 1,234,567.89"
        );
        assert_eq!(Money::new(Currency::Usd, 5).to_string(), "$ 0.05");
        assert_eq!(Money::new(Currency::Sle, -150).plain(), "-1.50");
    }

    #[test]
    fn every_formatted_amount_parses_back() {
        for minor in [1, 9, 10, 99, 100, 101, 999_999, 100_000_000, i64::MAX] {
            let money = Money::new(Currency::Sle, minor);
            assert_eq!(sle(&money.plain()), Ok(minor));
            let shown = money.display(CurrencyStyle::Code);
            assert_eq!(sle(shown.trim_start_matches("SLE ")), Ok(minor));
        }
    }

    #[test]
    fn currency_codes() {
        assert_eq!("sle".parse::<Currency>(), Ok(Currency::Sle));
        assert_eq!("USD".parse::<Currency>(), Ok(Currency::Usd));
        assert!("EUR".parse::<Currency>().is_err());
    }
}
