//! The payer's number. Monime only ever shows a payer's number masked (`+23276***456`), so the
//! full number is typed by whoever refunds; it is checked against the digits the terminal knows
//! of the sale's payer before anything is asked of Monime, and shown masked again on screens
//! and paper (`076 ··· 456`), so that a receipt or a log never carries it whole.

use std::fmt;

/// Sierra Leone's country code: Monime's mobile numbers are `+232` and eight national digits.
const COUNTRY_CODE: &str = "232";
const NATIONAL_DIGITS: usize = 8;
/// A masked number showing fewer digits than this (besides the country code) says nothing
/// about whose number it is.
const LEAST_KNOWN_DIGITS: usize = 3;
/// What stands for the hidden digits when a number is shown.
const HIDDEN: &str = "···";

/// A whole Sierra Leone mobile number, as Monime is sent it: `+23276123456`. Its `Debug` shows
/// it masked, so a full number never reaches a log by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct FullNumber(String);

/// Why typed text is not a number money can be sent to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    #[error(
        "\"{0}\" is not a phone number: type the payer's whole number, such as 076123456 or +23276123456"
    )]
    NotANumber(String),
    #[error(
        "\"{0}\" is not a whole Sierra Leone mobile number: type all its digits, such as 076123456 or +23276123456"
    )]
    NotWhole(String),
}

impl FullNumber {
    /// Reads `076 123 456`, `76123456`, `+232-76-123456` or `23276123456`.
    pub fn parse(text: &str) -> Result<FullNumber, NumberError> {
        let trimmed = text.trim();
        let plus = trimmed.starts_with('+');
        let body = trimmed.strip_prefix('+').unwrap_or(trimmed);
        if body.is_empty()
            || !body
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')'))
        {
            return Err(NumberError::NotANumber(trimmed.to_string()));
        }
        let digits: String = body.chars().filter(char::is_ascii_digit).collect();
        let national = match (plus, digits.len()) {
            (_, 11) if digits.starts_with(COUNTRY_CODE) => &digits[3..],
            (false, 9) if digits.starts_with('0') => &digits[1..],
            (false, NATIONAL_DIGITS) => &digits[..],
            _ => return Err(NumberError::NotWhole(trimmed.to_string())),
        };
        if national.starts_with('0') {
            return Err(NumberError::NotWhole(trimmed.to_string()));
        }
        Ok(FullNumber(format!("+{COUNTRY_CODE}{national}")))
    }

    /// The number as Monime is sent it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number for people, its middle hidden: `076 ··· 456`.
    pub fn shown(&self) -> String {
        let national = &self.0[1 + COUNTRY_CODE.len()..];
        format!(
            "0{} {HIDDEN} {}",
            &national[..2],
            &national[national.len() - 3..]
        )
    }

    /// The digits, country code first: `23276123456`.
    fn digits(&self) -> &str {
        &self.0[1..]
    }
}

impl fmt::Debug for FullNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FullNumber({})", self.shown())
    }
}

/// What a masked number shows of the payer's: the digits before the hidden part (country code
/// first) and after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaskedNumber {
    leading: String,
    trailing: String,
    /// Some digits are hidden; without, the number is known whole.
    hidden: bool,
}

impl MaskedNumber {
    /// Reads Monime's masked number (`+23276***456`, `076****456`, `+232 76 XXX 456`), or a
    /// whole one. `None` when it shows too few digits to tell one payer from another.
    pub fn parse(text: &str) -> Option<MaskedNumber> {
        let kept: String = text
            .trim()
            .trim_start_matches('+')
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '(' | ')'))
            .collect();
        let leading: String = kept.chars().take_while(char::is_ascii_digit).collect();
        let trailing_reversed: String = kept
            .chars()
            .rev()
            .take_while(char::is_ascii_digit)
            .collect();
        let hidden = leading.len() < kept.len();
        let trailing: String = if hidden {
            trailing_reversed.chars().rev().collect()
        } else {
            String::new()
        };
        // The part between may only be what masks digits.
        let middle = &kept[leading.len()..kept.len() - trailing.len()];
        if hidden
            && !middle
                .chars()
                .all(|c| matches!(c, '*' | 'x' | 'X' | '#' | '•' | '·' | '.' | '…'))
        {
            return None;
        }
        let leading = international(&leading);
        let known = leading.len().saturating_sub(COUNTRY_CODE.len()) + trailing.len();
        if known < LEAST_KNOWN_DIGITS || (!hidden && leading.len() != 3 + NATIONAL_DIGITS) {
            return None;
        }
        Some(MaskedNumber {
            leading,
            trailing,
            hidden,
        })
    }

    /// Whether `number` may be the one masked: the digits shown agree with it.
    pub fn admits(&self, number: &FullNumber) -> bool {
        let digits = number.digits();
        if !self.hidden {
            return digits == self.leading;
        }
        digits.len() > self.leading.len() + self.trailing.len()
            && digits.starts_with(&self.leading)
            && digits.ends_with(&self.trailing)
    }

    /// The number for people, as `FullNumber::shown` shows a whole one: `076 ··· 456`.
    pub fn shown(&self) -> String {
        let national = self.leading.get(COUNTRY_CODE.len()..).unwrap_or_default();
        if !self.hidden {
            return FullNumber(format!("+{}", self.leading)).shown();
        }
        let front = if national.is_empty() {
            String::new()
        } else {
            format!("0{national} ")
        };
        format!("{front}{HIDDEN} {}", self.trailing)
    }
}

/// Leading digits in international form: `076` is `23276`; digits that start neither with the
/// country code nor a 0 are the national number's first ones.
fn international(leading: &str) -> String {
    if leading.is_empty() || leading.starts_with(COUNTRY_CODE) {
        leading.to_string()
    } else if let Some(national) = leading.strip_prefix('0') {
        format!("{COUNTRY_CODE}{national}")
    } else {
        format!("{COUNTRY_CODE}{leading}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full(text: &str) -> FullNumber {
        FullNumber::parse(text).expect(text)
    }

    #[test]
    fn a_whole_number_reads_however_it_is_written() {
        for written in [
            "076123456",
            "+23276123456",
            "23276123456",
            "76123456",
            " 076 123 456 ",
            "+232-76-123456",
        ] {
            assert_eq!(full(written).as_str(), "+23276123456", "{written}");
        }
        assert_eq!(full("076123456").shown(), "076 ··· 456");
        assert_eq!(
            format!("{:?}", full("076123456")),
            "FullNumber(076 ··· 456)"
        );
        for (bad, why) in [
            ("", "not a phone number"),
            ("076***456", "not a phone number"),
            ("07612345", "not a whole"),
            ("+4420794600001", "not a whole"),
            ("0761234567", "not a whole"),
            ("000123456", "not a whole"),
        ] {
            let error = FullNumber::parse(bad).expect_err(bad).to_string();
            assert!(error.contains(why), "{bad}: {error}");
        }
    }

    #[test]
    fn the_masked_digits_must_agree() {
        let masked = MaskedNumber::parse("+23276***456").expect("masked");
        assert!(masked.admits(&full("076123456")));
        assert!(masked.admits(&full("076999456")));
        assert!(
            !masked.admits(&full("077123456")),
            "another operator prefix"
        );
        assert!(!masked.admits(&full("076123457")), "another last digit");
        assert_eq!(masked.shown(), "076 ··· 456");
        for other_mask in ["076****456", "+232 76 XXX 456", "23276•••456"] {
            let masked = MaskedNumber::parse(other_mask).expect(other_mask);
            assert!(masked.admits(&full("+23276123456")), "{other_mask}");
            assert!(!masked.admits(&full("+23276123455")), "{other_mask}");
        }
        let whole = MaskedNumber::parse("+23276123456").expect("whole");
        assert!(whole.admits(&full("076123456")));
        assert!(!whole.admits(&full("076123457")));
        let ending = MaskedNumber::parse("******3456").expect("the end alone");
        assert!(ending.admits(&full("076123456")));
        assert_eq!(ending.shown(), "··· 3456");
    }

    #[test]
    fn a_mask_that_shows_too_little_tells_nothing() {
        for nothing in [
            "",
            "***",
            "+232******",
            "+232*****56",
            "+23276 then 456",
            "12345",
        ] {
            assert_eq!(MaskedNumber::parse(nothing), None, "{nothing}");
        }
    }
}
