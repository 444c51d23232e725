//! The languages a cashier or a customer reads: English, French and Krio. The screens' words
//! are translated by Slint from the catalogues in `lang/` (bundled by build.rs); the words Rust
//! writes (the screen's sentences, receipts, printed reports) are looked up here, in the same
//! catalogues, turned into a table at build time. The command line and the logs stay English.
//!
//! English is the msgid itself: a text missing from a catalogue shows in English, and
//! `tests/lang.rs` fails the build's tests when one is missing.

use std::fmt::{self, Display};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

/// A language the terminal speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Language {
    #[default]
    English,
    French,
    Krio,
}

impl Language {
    /// In the order the admin screen offers them.
    pub const ALL: [Language; 3] = [Language::English, Language::French, Language::Krio];

    /// The code in the configuration, the journal and `lang/<code>/`: ISO 639 (`kri` is Krio's).
    pub fn code(self) -> &'static str {
        match self {
            Language::English => "en",
            Language::French => "fr",
            Language::Krio => "kri",
        }
    }

    pub fn from_code(code: &str) -> Option<Language> {
        Language::ALL
            .into_iter()
            .find(|language| language.code() == code)
    }

    /// The language of a POSIX locale such as `fr_SL.UTF-8` or `kri`, if it is one of ours.
    pub fn from_locale(locale: &str) -> Option<Language> {
        let code = locale.split(['_', '.', '@']).next().unwrap_or_default();
        Language::from_code(&code.to_ascii_lowercase())
    }

    /// The language's name in itself, as the switch on the admin screen shows it.
    pub fn name(self) -> &'static str {
        match self {
            Language::English => "English",
            Language::French => "Français",
            Language::Krio => "Krio",
        }
    }

    /// Which plural form `n` takes: English and Krio say "1 sale" and "0 sales", French
    /// "0 vente" and "2 ventes". `tests/lang.rs` checks each catalogue's Plural-Forms agrees.
    pub fn plural_index(self, n: i64) -> usize {
        match self {
            Language::English | Language::Krio => usize::from(n != 1),
            Language::French => usize::from(n > 1),
        }
    }

    fn catalogue(self) -> Option<&'static Catalogue> {
        CATALOGUES
            .iter()
            .find(|catalogue| catalogue.code == self.code())
    }

    /// The translation of `msgid`, if the catalogue has one (for plurals, its forms).
    pub fn translation(self, msgid: &str) -> Option<&'static [&'static str]> {
        let entries = self.catalogue()?.entries;
        let at = entries
            .binary_search_by(|(key, _)| (*key).cmp(msgid))
            .ok()?;
        entries.get(at).map(|(_, forms)| *forms)
    }

    /// The catalogue's `Plural-Forms` header; empty for English, which has no catalogue.
    pub fn plural_forms(self) -> &'static str {
        self.catalogue()
            .map_or("", |catalogue| catalogue.plural_forms)
    }

    /// `msgid` in this language: a text with no placeholder.
    pub fn tr(self, msgid: &'static str) -> &'static str {
        self.translation(msgid)
            .and_then(|forms| forms.first().copied())
            .unwrap_or(msgid)
    }

    /// `msgid` in this language with its placeholders filled, in Slint's syntax: `{}` takes
    /// the next argument, `{0}` the first.
    pub fn trf(self, msgid: &'static str, args: &[&dyn Display]) -> String {
        fill(self.tr(msgid), None, args)
    }

    /// The form of `one`/`many` that `n` takes in this language, with `{n}` and the other
    /// placeholders filled: `trn("{n} sale", "{n} sales", 3, &[])`.
    pub fn trn(
        self,
        one: &'static str,
        many: &'static str,
        n: i64,
        args: &[&dyn Display],
    ) -> String {
        let form = self
            .translation(one)
            .and_then(|forms| forms.get(self.plural_index(n)).copied())
            .unwrap_or(if n == 1 { one } else { many });
        fill(form, Some(n), args)
    }
}

impl Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Fills a translated text's placeholders: `{}` in turn, `{0}` by position, `{n}` the count of
/// a plural; `{{` and `}}` are braces. A placeholder with no argument is left as written, so
/// a translator's slip shows rather than vanishes.
pub fn fill(text: &str, n: Option<i64>, args: &[&dyn Display]) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut next = 0;
    let mut rest = text;
    while let Some(at) = rest.find(['{', '}']) {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
            continue;
        }
        let Some(end) = tail.find('}').filter(|_| tail.starts_with('{')) else {
            out.push_str(&tail[..1]);
            rest = &tail[1..];
            continue;
        };
        let name = tail[1..end].trim();
        let value = match name {
            "" => {
                next += 1;
                args.get(next - 1).map(|arg| arg.to_string())
            }
            "n" => n.map(|n| n.to_string()),
            index => index
                .parse::<usize>()
                .ok()
                .and_then(|index| args.get(index))
                .map(|arg| arg.to_string()),
        };
        match value {
            Some(value) => out.push_str(&value),
            None => out.push_str(&tail[..=end]),
        }
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    out
}

/// The language in use, shared by the screen (which changes it), the printer (which prints
/// the next receipt in it) and the worker: one value, read where words are made.
#[derive(Debug, Clone, Default)]
pub struct SharedLanguage(Arc<AtomicU8>);

impl SharedLanguage {
    pub fn new(language: Language) -> SharedLanguage {
        let shared = SharedLanguage::default();
        shared.set(language);
        shared
    }

    pub fn get(&self) -> Language {
        let index = usize::from(self.0.load(Ordering::Relaxed));
        Language::ALL.get(index).copied().unwrap_or_default()
    }

    pub fn set(&self, language: Language) {
        let index = Language::ALL
            .iter()
            .position(|each| *each == language)
            .unwrap_or(0);
        self.0
            .store(u8::try_from(index).unwrap_or(0), Ordering::Relaxed);
    }
}

/// One language's translated entries, sorted by msgid.
struct Catalogue {
    code: &'static str,
    plural_forms: &'static str,
    entries: &'static [(&'static str, &'static [&'static str])],
}

static CATALOGUES: &[Catalogue] = include!(concat!(env!("OUT_DIR"), "/catalogues.rs"));

#[cfg(test)]
mod tests {

    #[test]
    fn a_locale_names_its_language() {
        assert_eq!(Language::from_locale("fr_SL.UTF-8"), Some(Language::French));
        assert_eq!(Language::from_locale("kri"), Some(Language::Krio));
        assert_eq!(
            Language::from_locale("en_GB.UTF-8"),
            Some(Language::English)
        );
        assert_eq!(Language::from_locale("C.UTF-8"), None);
        assert_eq!(Language::from_locale(""), None);
    }

    use super::*;

    #[test]
    fn placeholders_fill_the_slint_way() {
        assert_eq!(fill("{} of {}", None, &[&1, &"two"]), "1 of two");
        assert_eq!(fill("{1} before {0}", None, &[&"a", &"b"]), "b before a");
        assert_eq!(
            fill("{n} sales by {}", Some(3), &[&"Awa"]),
            "3 sales by Awa"
        );
        assert_eq!(fill("{{literal}} {}", None, &[&7]), "{literal} 7");
        assert_eq!(fill("no {2} arg", None, &[&1]), "no {2} arg");
        assert_eq!(fill("open { brace", None, &[]), "open { brace");
    }

    #[test]
    fn french_plural_takes_the_singular_for_zero_and_one() {
        assert_eq!(Language::French.plural_index(0), 0);
        assert_eq!(Language::French.plural_index(1), 0);
        assert_eq!(Language::French.plural_index(2), 1);
        assert_eq!(Language::English.plural_index(0), 1);
        assert_eq!(Language::Krio.plural_index(1), 0);
    }

    #[test]
    fn english_is_the_text_itself_and_others_come_from_their_catalogue() {
        assert_eq!(Language::English.tr("Paid sales"), "Paid sales");
        assert_ne!(Language::French.tr("Paid sales"), "Paid sales");
        assert_eq!(
            Language::English.trn("{n} day", "{n} days", 2, &[]),
            "2 days"
        );
        assert_eq!(
            Language::French.trn("{n} day", "{n} days", 0, &[]),
            "0 jour"
        );
        assert_eq!(
            Language::French.trn("{n} day", "{n} days", 2, &[]),
            "2 jours"
        );
    }

    #[test]
    fn a_choice_is_shared_by_its_clones() {
        let choice = SharedLanguage::new(Language::Krio);
        let printer = choice.clone();
        assert_eq!(printer.get(), Language::Krio);
        choice.set(Language::French);
        assert_eq!(printer.get(), Language::French);
        for language in Language::ALL {
            assert_eq!(Language::from_code(language.code()), Some(language));
        }
        assert_eq!(Language::from_code("de"), None);
    }
}
