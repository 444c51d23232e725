//! The amount as the cashier types it: digits, `00` and one decimal point, with the terminal's
//! limits enforced key by key, so that what the screen shows is always a valid amount or empty.

use crate::money::{AmountError, Currency, CurrencyStyle, Money, parse_minor_units};

/// A key of the amount keypad (or its keyboard equivalent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeypadKey {
    Digit(u8),
    DoubleZero,
    Point,
    Backspace,
    Clear,
}

impl KeypadKey {
    /// The key a keypad button or keyboard character stands for.
    pub fn parse(text: &str) -> Option<KeypadKey> {
        Some(match text {
            "00" => KeypadKey::DoubleZero,
            "." | "," => KeypadKey::Point,
            "back" | "\u{8}" | "\u{7f}" => KeypadKey::Backspace,
            "clear" | "c" | "C" => KeypadKey::Clear,
            digit if digit.len() == 1 && digit.as_bytes()[0].is_ascii_digit() => {
                KeypadKey::Digit(digit.as_bytes()[0] - b'0')
            }
            _ => return None,
        })
    }
}

/// Why a key press was refused (shown briefly under the amount, in words from `words`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    SecondPoint,
    /// Only this many digits after the point.
    TooManyDecimals(u32),
    /// The most the terminal takes, as the screen writes amounts.
    OverTheLimit(String),
}

/// The amount being typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmountEntry {
    whole: String,
    fraction: Option<String>,
    currency: Currency,
    max_minor: i64,
    /// What the cart already holds: the typed amount and it together stay within the limit.
    beside_minor: i64,
}

impl AmountEntry {
    pub fn new(currency: Currency, max_minor: i64) -> AmountEntry {
        AmountEntry {
            whole: String::new(),
            fraction: None,
            currency,
            max_minor,
            beside_minor: 0,
        }
    }

    /// The cart's total, which the typed amount is added to.
    pub fn set_beside(&mut self, minor: i64) {
        self.beside_minor = minor;
    }

    /// Whether `minor` more fits beside what is typed and what the cart holds. The sum is
    /// checked, not saturated: with a limit near the largest `i64`, a saturated sum would stop
    /// at the limit and pass, and any amount could be typed past it.
    pub fn room_for(&self, minor: i64) -> Result<(), Refusal> {
        let total = self
            .typed_minor()
            .and_then(|typed| typed.checked_add(self.beside_minor))
            .and_then(|total| total.checked_add(minor));
        if total.is_none_or(|total| total > self.max_minor) {
            let limit = Money::new(self.currency, self.max_minor);
            return Err(Refusal::OverTheLimit(limit.display(CurrencyStyle::Symbol)));
        }
        Ok(())
    }

    /// Starts from an amount, as "Try again" does.
    pub fn with_amount(amount: Money, max_minor: i64) -> AmountEntry {
        let unit = 10_i64.pow(Currency::DECIMALS);
        let mut entry = AmountEntry::new(amount.currency, max_minor);
        entry.whole = (amount.minor / unit).to_string();
        let cents = amount.minor % unit;
        if cents != 0 {
            entry.fraction = Some(format!("{cents:02}").trim_end_matches('0').to_string());
        }
        entry
    }

    pub fn clear(&mut self) {
        self.whole.clear();
        self.fraction = None;
    }

    pub fn press(&mut self, key: KeypadKey) -> Result<(), Refusal> {
        let before = self.clone();
        match key {
            KeypadKey::Clear => self.clear(),
            KeypadKey::Backspace => match &mut self.fraction {
                Some(fraction) if !fraction.is_empty() => {
                    fraction.pop();
                }
                Some(_) => self.fraction = None,
                None => {
                    self.whole.pop();
                }
            },
            KeypadKey::Point => {
                if self.fraction.is_some() {
                    return Err(Refusal::SecondPoint);
                }
                self.fraction = Some(String::new());
            }
            KeypadKey::Digit(digit) => self.push_digit(digit)?,
            KeypadKey::DoubleZero => {
                self.push_digit(0)?;
                if let Err(refusal) = self.push_digit(0) {
                    *self = before;
                    return Err(refusal);
                }
            }
        }
        if let Err(refusal) = self.room_for(0) {
            *self = before;
            return Err(refusal);
        }
        Ok(())
    }

    fn push_digit(&mut self, digit: u8) -> Result<(), Refusal> {
        let typed = char::from(b'0' + digit.min(9));
        match &mut self.fraction {
            Some(fraction) if fraction.len() >= Currency::DECIMALS as usize => {
                Err(Refusal::TooManyDecimals(Currency::DECIMALS))
            }
            Some(fraction) => {
                fraction.push(typed);
                Ok(())
            }
            // No leading zeros: "0" then "5" is 5.
            None if self.whole == "0" => {
                self.whole = typed.to_string();
                Ok(())
            }
            None => {
                self.whole.push(typed);
                Ok(())
            }
        }
    }

    /// The typed amount read by the one amount parser the CLI and the configuration use; the
    /// keys only ever build digits and one point, so anything else it refuses (nothing yet)
    /// counts as no amount. `None` for a number too large for any amount, which `room_for`
    /// never lets a key make.
    fn typed_minor(&self) -> Option<i64> {
        let typed = format!("{}.{}", self.whole, self.fraction.as_deref().unwrap_or(""));
        match parse_minor_units(&typed) {
            Ok(minor) => Some(minor),
            Err(AmountError::Overflow(_)) => None,
            Err(_) => Some(0),
        }
    }

    fn minor_units(&self) -> i64 {
        self.typed_minor().unwrap_or(i64::MAX)
    }

    /// The amount to charge; `None` while it is empty or zero.
    pub fn amount(&self) -> Option<Money> {
        let minor = self.minor_units();
        (minor > 0).then(|| Money::new(self.currency, minor))
    }

    pub fn is_empty(&self) -> bool {
        self.whole.is_empty() && self.fraction.is_none()
    }

    /// As typed, with thousands grouped: "Le 1,234.5". This is the amount as `Money` writes it
    /// ("Le 1,234.50"), cut back to the decimals typed so far, so that currency and grouping
    /// are written in one place.
    pub fn display(&self, style: CurrencyStyle) -> String {
        let mut shown = Money::new(self.currency, self.minor_units()).display(style);
        let decimals = Currency::DECIMALS as usize;
        let untyped = match &self.fraction {
            Some(fraction) => decimals.saturating_sub(fraction.len()),
            // The point too.
            None => decimals + 1,
        };
        shown.truncate(shown.len().saturating_sub(untyped));
        shown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(keys: &str) -> AmountEntry {
        let mut entry = AmountEntry::new(Currency::Sle, 10_000_000);
        for key in keys.split(' ') {
            let _ = entry.press(KeypadKey::parse(key).expect("a key"));
        }
        entry
    }

    #[test]
    fn the_amount_shows_as_typed_with_grouping() {
        assert_eq!(typed("1 2 3 4").display(CurrencyStyle::Symbol), "Le 1,234");
        assert_eq!(
            typed("1 2 3 4 .").display(CurrencyStyle::Symbol),
            "Le 1,234."
        );
        assert_eq!(typed("1 2 . 5").display(CurrencyStyle::Code), "SLE 12.5");
        assert_eq!(
            typed("1 2 . 5").amount(),
            Some(Money::new(Currency::Sle, 1250))
        );
        assert_eq!(
            typed("5 00").amount(),
            Some(Money::new(Currency::Sle, 50_000))
        );
        assert_eq!(typed("0 0 7").display(CurrencyStyle::Symbol), "Le 7");
        assert_eq!(
            AmountEntry::new(Currency::Sle, 1).display(CurrencyStyle::Symbol),
            "Le 0"
        );
    }

    #[test]
    fn limits_are_enforced_as_you_type() {
        let mut entry = typed("1 . 2 5");
        assert!(entry.press(KeypadKey::Digit(9)).is_err(), "a third decimal");
        assert!(entry.press(KeypadKey::Point).is_err(), "a second point");
        assert_eq!(entry.amount(), Some(Money::new(Currency::Sle, 125)));

        let mut entry = typed("1 0 0 0 0");
        let refusal = entry
            .press(KeypadKey::DoubleZero)
            .expect_err("over the limit");
        assert_eq!(refusal, Refusal::OverTheLimit("Le 100,000.00".into()));
        assert_eq!(entry.display(CurrencyStyle::Symbol), "Le 10,000");
        let mut entry = typed("9 9 9 9 9");
        assert!(entry.press(KeypadKey::DoubleZero).is_err());
        assert_eq!(
            entry.display(CurrencyStyle::Symbol),
            "Le 99,999",
            "00 is all or nothing"
        );
    }

    #[test]
    fn backspace_and_clear_undo() {
        let mut entry = typed("1 2 . 5");
        entry.press(KeypadKey::Backspace).expect("backspace");
        assert_eq!(entry.display(CurrencyStyle::Symbol), "Le 12.");
        entry.press(KeypadKey::Backspace).expect("backspace");
        assert_eq!(entry.display(CurrencyStyle::Symbol), "Le 12");
        entry.press(KeypadKey::Clear).expect("clear");
        assert!(entry.is_empty() && entry.amount().is_none());
        assert!(typed("0 0").amount().is_none(), "zero cannot be charged");
    }

    #[test]
    fn try_again_starts_from_the_same_amount() {
        let entry = AmountEntry::with_amount(Money::new(Currency::Sle, 123_450), 100_000_000);
        assert_eq!(entry.display(CurrencyStyle::Symbol), "Le 1,234.5");
        assert_eq!(entry.amount(), Some(Money::new(Currency::Sle, 123_450)));
    }
}
