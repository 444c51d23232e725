//! Amounts typed on the keypad (`AmountEntry`) and written in the configuration or on the
//! command line (`money::parse_minor_units`, `Money::parse`): any key sequence and any text give
//! a clear refusal or the right minor units, and what is shown reads back as what is charged.

use paycode_kiosk::money::{AmountError, Currency, CurrencyStyle, Money, parse_minor_units};
use paycode_kiosk::ui::keypad::{AmountEntry, KeypadKey};
use proptest::prelude::*;

use super::support::cases;

fn key() -> impl Strategy<Value = KeypadKey> {
    prop_oneof![
        6 => (0u8..=9).prop_map(KeypadKey::Digit),
        1 => Just(KeypadKey::DoubleZero),
        1 => Just(KeypadKey::Point),
        1 => Just(KeypadKey::Backspace),
        1 => Just(KeypadKey::Clear),
    ]
}

/// The limit, from a coin to everything an `i64` holds (`max_amount` may be written that large).
fn limit() -> impl Strategy<Value = i64> {
    prop_oneof![
        1i64..=100,
        1i64..=10_000_000_000,
        (1i64..=i64::MAX),
        (0i64..=1000).prop_map(|below| i64::MAX - below),
        Just(i64::MAX),
    ]
}

/// The limit, and what the cart already holds within it.
fn limit_and_cart() -> impl Strategy<Value = (i64, i64)> {
    limit().prop_flat_map(|max| {
        (
            Just(max),
            prop_oneof![Just(0), 0..=max, (max / 2)..=max, Just(max)],
        )
    })
}

/// The amount a display shows, with its currency taken off.
fn shown_minor(display: &str) -> i64 {
    let figure = display
        .strip_prefix("Le ")
        .unwrap_or_else(|| panic!("{display:?} is not written in leones"));
    match parse_minor_units(figure) {
        Ok(minor) => minor,
        Err(error) => panic!("the screen shows {display:?}, which does not read back: {error}"),
    }
}

/// Text that looks like an amount more often than chance: digits, groups, points, signs,
/// spaces and the near misses people type.
fn amount_like() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => "[0-9]{1,3}",
        2 => "[0-9]{1,25}",
        1 => Just(",".to_string()),
        1 => Just(",000".to_string()),
        2 => Just(".".to_string()),
        1 => Just(" ".to_string()),
        1 => Just("-".to_string()),
        1 => Just("+".to_string()),
        1 => "[eE_'٠-٩０-９\u{a0}\u{2009}]",
        1 => "\\PC",
    ];
    prop::collection::vec(piece, 0..8).prop_map(|pieces| pieces.concat())
}

/// The minor units `text` stands for, worked out apart from the code under test: digits with
/// commas only between groups of three, at most one point and two decimals, nothing else.
fn reference_minor(text: &str) -> Option<i128> {
    let text = text.trim();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 2 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if whole.contains(',') {
        let mut groups = whole.split(',');
        let first = groups.next()?;
        if first.is_empty() || first.len() > 3 || !groups.all(|group| group.len() == 3) {
            return None;
        }
    }
    let digits: String = whole.chars().filter(|c| *c != ',').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) || (digits.is_empty() && fraction.is_empty()) {
        return None;
    }
    let mut value: i128 = 0;
    for digit in digits.bytes() {
        value = value
            .checked_mul(10)?
            .checked_add(i128::from(digit - b'0'))?;
        if value > i128::from(i64::MAX) {
            return Some(i128::MAX);
        }
    }
    let cents: i128 = format!("{fraction:0<2}").parse().ok()?;
    Some(value * 100 + cents)
}

proptest! {
    #![proptest_config(cases(4000))]

    /// Whatever is pressed, the screen shows an amount that reads back as the one charged,
    /// the amount and the cart stay within the limit, a refused key changes nothing, and
    /// Clear and Backspace always work.
    #[test]
    fn the_keypad_shows_what_it_charges_within_the_limit(
        (max, cart) in limit_and_cart(),
        keys in prop::collection::vec(key(), 0..60),
    ) {
        let mut entry = AmountEntry::new(Currency::Sle, max);
        entry.set_beside(cart);
        for key in keys {
            let before = entry.clone();
            let pressed = entry.press(key);
            if pressed.is_err() {
                prop_assert_eq!(&entry, &before, "a refused {:?} changed the entry", key);
            }
            if matches!(key, KeypadKey::Clear | KeypadKey::Backspace) {
                prop_assert!(pressed.is_ok(), "{:?} refused: {:?}", key, pressed);
            }
            let charged = entry.amount().map_or(0, |amount| amount.minor);
            prop_assert!(charged >= 0);
            prop_assert_eq!(shown_minor(&entry.display(CurrencyStyle::Symbol)), charged);
            let total = i128::from(charged) + i128::from(cart);
            prop_assert!(total <= i128::from(max), "{} + cart {} is over {}", charged, cart, max);
            if charged > 0 {
                // The cart and the amount add up without overflow wherever they are summed.
                prop_assert!(charged.checked_add(cart).is_some());
            }
        }
    }

    /// "Try again" starts from the amount of the sale it repeats, and shows it.
    #[test]
    fn try_again_shows_the_amount_it_repeats((max, minor) in limit().prop_flat_map(|max| (Just(max), 1..=max))) {
        let entry = AmountEntry::with_amount(Money::new(Currency::Sle, minor), max);
        prop_assert_eq!(entry.amount(), Some(Money::new(Currency::Sle, minor)));
        prop_assert_eq!(shown_minor(&entry.display(CurrencyStyle::Symbol)), minor);
    }

    /// Any text from a keyboard is a key or none, never a panic.
    #[test]
    fn any_text_is_a_key_or_none(text in "\\PC{0,4}") {
        let _ = KeypadKey::parse(&text);
    }

    /// Any text is an amount in minor units, exactly what it says, or a refusal that says why.
    #[test]
    fn any_text_is_its_amount_or_a_clear_refusal(text in prop_oneof![amount_like(), "\\PC{0,30}"]) {
        let parsed = parse_minor_units(&text);
        match (reference_minor(&text), &parsed) {
            (Some(expected), Ok(minor)) => prop_assert_eq!(i128::from(*minor), expected),
            (Some(i128::MAX), Err(AmountError::Overflow(_))) => {}
            (Some(expected), Err(AmountError::Overflow(_))) => {
                prop_assert!(expected > i128::from(i64::MAX), "{:?} refused as too large", text);
            }
            (Some(_), Err(error)) => prop_assert!(false, "{:?} refused: {}", text, error),
            (None, Ok(minor)) => prop_assert!(false, "{:?} read as {}", text, minor),
            (None, Err(error)) => prop_assert!(!error.to_string().is_empty()),
        }
        let money = Money::parse(&text, Currency::Usd);
        if let Ok(money) = &money {
            prop_assert!(money.minor > 0);
            prop_assert_eq!(Ok(money.minor), parsed);
        }
    }

    /// Every amount written for people or for typing back reads as itself.
    #[test]
    fn every_written_amount_reads_back(minor in prop_oneof![0..=i64::MAX, 0i64..1_000_000]) {
        for currency in [Currency::Sle, Currency::Usd] {
            let money = Money::new(currency, minor);
            prop_assert_eq!(parse_minor_units(&money.plain()), Ok(minor));
            let code = money.display(CurrencyStyle::Code);
            let figure = code.strip_prefix(currency.code()).map(str::trim);
            prop_assert_eq!(figure.map(parse_minor_units), Some(Ok(minor)), "{}", code);
            let symbol = money.display(CurrencyStyle::Symbol);
            let figure = symbol.strip_prefix(currency.symbol()).map(str::trim);
            prop_assert_eq!(figure.map(parse_minor_units), Some(Ok(minor)), "{}", symbol);
        }
    }
}

/// Found by the keypad's property: with `max_amount` near the largest amount an `i64` holds,
/// the sum of the typed amount and the cart saturated at the limit instead of going over it,
/// so every key passed, and the amount typed past it was charged as the limit.
#[test]
fn near_the_largest_amount_a_key_past_the_limit_is_refused() {
    let mut entry = AmountEntry::new(Currency::Sle, i64::MAX);
    entry.set_beside(i64::MAX);
    assert!(
        entry.press(KeypadKey::Digit(1)).is_err(),
        "the cart is at the limit"
    );
    assert_eq!(entry.amount(), None);

    let mut entry = AmountEntry::new(Currency::Sle, i64::MAX);
    for _ in 0..20 {
        let _ = entry.press(KeypadKey::Digit(9));
    }
    let charged = entry.amount().expect("an amount").minor;
    assert_eq!(
        shown_minor(&entry.display(CurrencyStyle::Symbol)),
        charged,
        "the screen shows what is charged"
    );
    assert_eq!(
        charged, 999_999_999_999_999_900,
        "16 nines, the 17th refused"
    );
}
