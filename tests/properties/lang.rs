//! The language catalogues: every text of the template (and any other text) through `tr`,
//! `trf` and `trn` in every language, with any arguments and any count, never panics, and a
//! translation says each argument as often as the English does.

use std::sync::OnceLock;

use paycode_kiosk::lang::{Language, fill};
use proptest::prelude::*;

use super::support::cases;

/// A text to translate: its msgid, and its plural msgid when it has one.
#[derive(Debug, Clone, Copy)]
struct Text {
    one: &'static str,
    many: Option<&'static str>,
}

/// Every text of lang/paycode-kiosk.pot.
fn texts() -> &'static [Text] {
    static TEXTS: OnceLock<Vec<Text>> = OnceLock::new();
    TEXTS.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/lang/paycode-kiosk.pot");
        let file = rspolib::pofile(path).expect("the template");
        let leak = |text: String| -> &'static str { Box::leak(text.into_boxed_str()) };
        file.entries
            .iter()
            .map(|entry| Text {
                one: leak(entry.msgid.clone()),
                many: entry.msgid_plural.clone().map(leak),
            })
            .collect()
    })
}

fn language() -> impl Strategy<Value = Language> {
    prop::sample::select(Language::ALL.to_vec())
}

/// An argument: odd text around a marker that says which argument it is.
fn arguments() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec("\\PC{0,8}", 0..5).prop_map(|around| {
        around
            .into_iter()
            .enumerate()
            .map(|(index, text)| format!("⟦{index}⟧{}", text.replace(['⟦', '⟧', '{', '}'], "")))
            .collect()
    })
}

/// How many times argument `index` was said in `text`.
fn said(text: &str, index: usize) -> usize {
    text.matches(&format!("⟦{index}⟧")).count()
}

proptest! {
    #![proptest_config(cases(4000))]

    /// Every template text in every language, with any arguments and count: no panic, and each
    /// argument said as often as in English.
    #[test]
    fn every_text_keeps_its_arguments_in_every_language(
        pick in any::<prop::sample::Index>(),
        language in language(),
        args in arguments(),
        n in prop_oneof![any::<i64>(), -2i64..3],
    ) {
        let text = *pick.get(texts());
        let shown: Vec<&dyn std::fmt::Display> =
            args.iter().map(|arg| arg as &dyn std::fmt::Display).collect();
        let (english, translated) = match text.many {
            None => (
                Language::English.trf(text.one, &shown),
                language.trf(text.one, &shown),
            ),
            Some(many) => (
                Language::English.trn(text.one, many, n, &shown),
                language.trn(text.one, many, n, &shown),
            ),
        };
        let _ = language.tr(text.one);
        for index in 0..args.len() {
            prop_assert_eq!(
                said(&translated, index), said(&english, index),
                "{} ({}): {:?} against {:?}", text.one, language, translated, english
            );
        }
        if text.many.is_some() && text.one.contains("{n}") {
            prop_assert!(translated.contains(&n.to_string()), "{:?} lost the count {}", translated, n);
        }
    }

    /// Any text at all, as a msgid or a template to fill: never a panic, and a text no
    /// catalogue has comes back as it is.
    #[test]
    fn any_text_is_translated_or_itself(
        text in prop_oneof!["\\PC{0,40}", "[{}0-9n ]{0,20}", "[{}a-z\u{e9}\u{1F9FE}]{0,20}"],
        language in language(),
        args in arguments(),
        n in any::<i64>(),
    ) {
        let text: &'static str = Box::leak(text.into_boxed_str());
        let shown: Vec<&dyn std::fmt::Display> =
            args.iter().map(|arg| arg as &dyn std::fmt::Display).collect();
        let known = texts().iter().any(|known| known.one == text);
        let translated = language.tr(text);
        if !known {
            prop_assert_eq!(translated, text);
        }
        let _ = language.trf(text, &shown);
        let _ = language.trn(text, text, n, &shown);
        let _ = fill(text, Some(n), &shown);
        let _ = language.plural_index(n);
        let _ = Language::from_locale(text);
        let _ = Language::from_code(text);
    }
}

/// The template has texts, some of them plural: the property above reads the real thing.
#[test]
fn the_template_has_texts_to_try() {
    let texts = texts();
    assert!(texts.len() > 100, "{} texts", texts.len());
    assert!(texts.iter().any(|text| text.many.is_some()));
}
