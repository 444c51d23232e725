//! The translations, checked from the sources: every word a .slint file shows is marked for
//! translation (`@tr`), sentences are made with placeholders and never by joining pieces with
//! `+`, the template `lang/paycode-kiosk.pot` holds exactly the texts of the .slint files and of
//! the Rust side (`.tr("…")`, `.trf("…")`, `.trn("…", "…")`), and every catalogue translates every
//! one of them, keeping its placeholders. `UPDATE_POT=1 cargo test --test lang` rewrites the
//! template after texts change; the catalogues are then brought up to date by hand (or with
//! `msgmerge`), and this test says what is missing.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

#[path = "common/files.rs"]
mod files;

use files::files_with_extension;

use paycode_kiosk::lang::Language;

/// Literals with letters that are not words for a reader, and why.
const NOT_WORDS: &[&str] = &[
    // The font family the window asks for.
    "DejaVu Sans",
    // The window's title: the product's name.
    "paycode-kiosk",
    // Keypad keys as sent to Rust (`KeypadKey::parse`); the key shows a symbol.
    "clear",
    "back",
];

/// A text to translate, as found in the sources.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Message {
    context: Option<String>,
    msgid: String,
    plural: Option<String>,
    /// Where it was found, relative to the crate: `ui/pages/amount.slint`.
    places: BTreeSet<String>,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn relative(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned()
}

/// A string literal starting at `at` (on its opening quote): its text and where it ends.
fn literal(text: &str, at: usize) -> Result<(String, usize), String> {
    let mut value = String::new();
    let mut chars = text[at + 1..].char_indices();
    while let Some((offset, c)) = chars.next() {
        match c {
            '"' => return Ok((value, at + 1 + offset + 1)),
            '\\' => match chars.next() {
                Some((_, 'n')) => value.push('\n'),
                Some((_, 't')) => value.push('\t'),
                Some((_, '{')) => {
                    return Err(
                        "string interpolation (\\{...}) joins words: use @tr with {} placeholders"
                            .into(),
                    );
                }
                Some((_, other)) => value.push(other),
                None => break,
            },
            c => value.push(c),
        }
    }
    Err("a string literal does not end".into())
}

/// What the .slint lexer found in one file.
#[derive(Debug, Default)]
struct SlintFile {
    messages: Vec<Message>,
    /// Literals with letters outside `@tr`, and other mistakes, each with its line.
    problems: Vec<String>,
}

/// Reads the string literals of a .slint file: the `@tr` texts (with their context and plural)
/// and every other literal, which must not be a word.
fn read_slint(text: &str, place: &str) -> SlintFile {
    #[derive(PartialEq)]
    enum Frame {
        Plain,
        /// Inside `@tr(`: whether the next token may be a text (first, after `=>` or `|`).
        Tr {
            expect_text: bool,
            index: usize,
        },
    }
    let mut file = SlintFile::default();
    let mut frames: Vec<Frame> = Vec::new();
    let line_of = |at: usize| text[..at].matches('\n').count() + 1;
    // The last token before this one, to catch `+` beside a translated text.
    let mut previous = String::new();
    let mut at = 0;
    let bytes = text.as_bytes();
    while at < text.len() {
        let rest = &text[at..];
        let c = rest.chars().next().expect("in bounds");
        if rest.starts_with("//") {
            at += rest.find('\n').unwrap_or(rest.len());
            continue;
        }
        if rest.starts_with("/*") {
            at += rest.find("*/").map_or(rest.len(), |end| end + 2);
            continue;
        }
        if rest.starts_with("import ") && (at == 0 || bytes[at - 1] == b'\n') {
            // `import { X } from "file.slint";` names files, not words.
            at += rest.find(';').map_or(rest.len(), |end| end + 1);
            continue;
        }
        if c.is_whitespace() {
            at += c.len_utf8();
            continue;
        }
        if rest.starts_with("@tr(") {
            if previous == "+" {
                file.problems.push(format!(
                    "{place}:{}: a translated text joined with `+`: put the rest in as a {{}} placeholder",
                    line_of(at)
                ));
            }
            frames.push(Frame::Tr {
                expect_text: true,
                index: file.messages.len(),
            });
            file.messages.push(Message {
                context: None,
                msgid: String::new(),
                plural: None,
                places: BTreeSet::from([place.to_string()]),
            });
            previous = "@tr(".into();
            at += 4;
            continue;
        }
        if c == '"' {
            let (value, end) = match literal(text, at) {
                Ok(found) => found,
                Err(problem) => {
                    file.problems
                        .push(format!("{place}:{}: {problem}", line_of(at)));
                    return file;
                }
            };
            match frames.last_mut() {
                Some(Frame::Tr { expect_text, index }) if *expect_text => {
                    let message = &mut file.messages[*index];
                    match previous.as_str() {
                        "=>" => {
                            message.context = Some(std::mem::take(&mut message.msgid));
                            message.msgid = value;
                        }
                        "|" => message.plural = Some(value),
                        _ => message.msgid = value,
                    }
                    *expect_text = false;
                }
                _ => {
                    if value.chars().any(char::is_alphabetic) && !NOT_WORDS.contains(&&*value) {
                        file.problems.push(format!(
                            "{place}:{}: \"{value}\" is not marked for translation: write @tr(\"{value}\")",
                            line_of(at)
                        ));
                    }
                    if previous == "+" || text[end..].trim_start().starts_with('+') {
                        file.problems.push(format!(
                            "{place}:{}: \"{value}\" is joined with `+`: use @tr with a {{}} placeholder",
                            line_of(at)
                        ));
                    }
                }
            }
            previous = "\"".into();
            at = end;
            continue;
        }
        let token = if rest.starts_with("=>") {
            "=>"
        } else {
            &rest[..c.len_utf8()]
        };
        match token {
            "(" => frames.push(Frame::Plain),
            ")" => {
                if let Some(Frame::Tr { .. }) = frames.pop() {
                    // A translated text followed by `+`.
                    let after = text[at + 1..].trim_start();
                    if after.starts_with('+') {
                        file.problems.push(format!(
                            "{place}:{}: a translated text joined with `+`: put the rest in as a {{}} placeholder",
                            line_of(at)
                        ));
                    }
                }
            }
            "=>" | "|" => {
                if let Some(Frame::Tr { expect_text, .. }) = frames.last_mut() {
                    *expect_text = true;
                }
            }
            _ => {}
        }
        previous = token.to_string();
        at += token.len();
    }
    file
}

/// The texts the Rust side translates: `.tr("…")`, `.trf("…", …)`, `.trn("…", "…", …)`.
fn read_rust(text: &str, place: &str) -> Result<Vec<Message>, String> {
    let mut messages = Vec::new();
    for call in [".tr(", ".trf(", ".trn("] {
        let mut from = 0;
        while let Some(found) = text[from..].find(call) {
            let start = from + found + call.len();
            from = start;
            let line = text[..start].matches('\n').count() + 1;
            let quote = start + (text[start..].len() - text[start..].trim_start().len());
            if !text[quote..].starts_with('"') {
                return Err(format!(
                    "{place}:{line}: {call}…) must be given the English text itself, so that it can be extracted"
                ));
            }
            let (msgid, end) = literal(text, quote).map_err(|e| format!("{place}:{line}: {e}"))?;
            let plural = if call == ".trn(" {
                let after = text[end..].trim_start();
                let after = after.strip_prefix(',').unwrap_or(after).trim_start();
                let at = text.len() - after.len();
                if !after.starts_with('"') {
                    return Err(format!(
                        "{place}:{line}: .trn(…) needs the plural as a literal too"
                    ));
                }
                Some(
                    literal(text, at)
                        .map_err(|e| format!("{place}:{line}: {e}"))?
                        .0,
                )
            } else {
                None
            };
            messages.push(Message {
                context: None,
                msgid,
                plural,
                places: BTreeSet::from([place.to_string()]),
            });
        }
    }
    Ok(messages)
}

/// Every text to translate, in the order first found (the .slint files, then the Rust ones),
/// each once with all its places.
fn template() -> Vec<Message> {
    let mut found: Vec<Message> = Vec::new();
    let mut problems = Vec::new();
    let mut add = |message: Message| {
        let same = |m: &&mut Message| m.msgid == message.msgid && m.context == message.context;
        match found.iter_mut().find(same) {
            Some(known) => {
                if known.plural != message.plural {
                    panic!(
                        "\"{}\" is used with two different plurals: {:?} and {:?}",
                        message.msgid, known.plural, message.plural
                    );
                }
                known.places.extend(message.places);
            }
            None => found.push(message),
        }
    };
    for path in files_with_extension(&root().join("ui"), &["slint"]) {
        let text = std::fs::read_to_string(&path).expect("readable .slint file");
        let file = read_slint(&text, &relative(&path));
        problems.extend(file.problems);
        file.messages.into_iter().for_each(&mut add);
    }
    for path in files_with_extension(&root().join("src"), &["rs"]) {
        // `lang.rs` defines the lookups and tries them out.
        if path.ends_with("src/lang.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("readable .rs file");
        match read_rust(&text, &relative(&path)) {
            Ok(messages) => messages.into_iter().for_each(&mut add),
            Err(problem) => problems.push(problem),
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
    for message in &found {
        assert!(
            !message.msgid.is_empty(),
            "an empty text in {:?}",
            message.places
        );
    }
    found
}

fn quoted(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n");
    format!("\"{escaped}\"")
}

/// The template as gettext writes one.
fn pot(messages: &[Message]) -> String {
    let mut out = String::from(
        "# The texts of paycode-kiosk to translate: made by tests/lang.rs (UPDATE_POT=1).\n\
         # Each language's catalogue is lang/<code>/LC_MESSAGES/paycode-kiosk.po.\n\
         msgid \"\"\n\
         msgstr \"\"\n\
         \"Project-Id-Version: paycode-kiosk\\n\"\n\
         \"MIME-Version: 1.0\\n\"\n\
         \"Content-Type: text/plain; charset=UTF-8\\n\"\n\
         \"Content-Transfer-Encoding: 8bit\\n\"\n",
    );
    for message in messages {
        out.push('\n');
        let places: Vec<&str> = message.places.iter().map(String::as_str).collect();
        out.push_str(&format!("#: {}\n", places.join(" ")));
        if let Some(context) = &message.context {
            out.push_str(&format!("msgctxt {}\n", quoted(context)));
        }
        out.push_str(&format!("msgid {}\n", quoted(&message.msgid)));
        match &message.plural {
            Some(plural) => {
                out.push_str(&format!("msgid_plural {}\n", quoted(plural)));
                out.push_str("msgstr[0] \"\"\nmsgstr[1] \"\"\n");
            }
            None => out.push_str("msgstr \"\"\n"),
        }
    }
    out
}

/// The placeholders of a text, as a sorted list: `{}`, `{0}`, `{n}`.
fn placeholders(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open..];
        if let Some(escaped) = after.strip_prefix("{{") {
            rest = escaped;
            continue;
        }
        match after.find('}') {
            Some(close) => {
                found.push(after[..=close].to_string());
                rest = &after[close + 1..];
            }
            None => break,
        }
    }
    found.sort();
    found
}

fn catalogue_path(language: Language) -> PathBuf {
    root()
        .join("lang")
        .join(language.code())
        .join("LC_MESSAGES")
        .join("paycode-kiosk.po")
}

#[test]
fn every_slint_word_is_marked_for_translation() {
    // The sources as they are.
    let _ = template();
}

#[test]
fn the_checks_catch_an_unmarked_word_and_a_joined_sentence() {
    let file = read_slint(
        r##"import { Theme } from "theme.slint";
        Text { text: "Hello"; }
        Text { text: @tr("Hello {}", name); font-family: "DejaVu Sans"; }
        Text { text: @tr("Try again · ") + amount; }
        Text { text: "#" + number; key: "7"; }
        Text { text: @tr("ctx" => "{n} sale" | "{n} sales" % count); }"##,
        "sample.slint",
    );
    assert_eq!(file.problems.len(), 3, "{:#?}", file.problems);
    assert!(file.problems[0].contains("\"Hello\" is not marked"));
    assert!(file.problems[1].contains("joined with `+`"));
    assert!(file.problems[2].contains("\"#\" is joined"));
    let msgids: Vec<&str> = file.messages.iter().map(|m| m.msgid.as_str()).collect();
    assert_eq!(msgids, ["Hello {}", "Try again · ", "{n} sale"]);
    assert_eq!(file.messages[2].context.as_deref(), Some("ctx"));
    assert_eq!(file.messages[2].plural.as_deref(), Some("{n} sales"));

    let rust = read_rust(
        "l.tr(\"Paid\"); l.trn(\n    \"{n} day\",\n    \"{n} days\", n, &[]);",
        "x.rs",
    )
    .expect("literals");
    assert_eq!(rust.len(), 2);
    assert_eq!(rust[1].plural.as_deref(), Some("{n} days"));
    assert!(read_rust("l.tr(TEXT)", "x.rs").is_err());
}

#[test]
fn the_template_is_up_to_date() {
    let path = root().join("lang").join("paycode-kiosk.pot");
    let expected = pot(&template());
    if std::env::var_os("UPDATE_POT").is_some() {
        std::fs::write(&path, &expected).expect("write the template");
    }
    let found = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        found == expected,
        "lang/paycode-kiosk.pot is not what the sources say: run UPDATE_POT=1 cargo test --test lang, \
         then bring lang/*/LC_MESSAGES/paycode-kiosk.po up to date"
    );
}

#[test]
fn every_catalogue_translates_every_text_keeping_its_placeholders() {
    let messages = template();
    let mut problems = Vec::new();
    for language in Language::ALL
        .into_iter()
        .filter(|l| *l != Language::English)
    {
        let code = language.code();
        for message in &messages {
            let key = match &message.context {
                Some(context) => format!("{context}\u{4}{}", message.msgid),
                None => message.msgid.clone(),
            };
            // Through the table the program reads, which leaves out empty and fuzzy entries.
            let Some(forms) = language.translation(&key) else {
                problems.push(format!("{code}: no translation of \"{}\"", message.msgid));
                continue;
            };
            let wanted = if message.plural.is_some() { 2 } else { 1 };
            if forms.len() != wanted || forms.iter().any(|form| form.trim().is_empty()) {
                problems.push(format!(
                    "{code}: \"{}\" needs {wanted} non-empty form(s), has {forms:?}",
                    message.msgid
                ));
            }
            // A plural's forms may leave out {n} ("1 jour" can say "un jour"), not the others.
            let without_count = |mut list: Vec<String>| {
                list.dedup();
                if message.plural.is_some() {
                    list.retain(|p| p != "{n}");
                }
                list
            };
            let expected = without_count(placeholders(&message.msgid));
            for form in forms.iter() {
                let have = without_count(placeholders(form));
                if have != expected {
                    problems.push(format!(
                        "{code}: \"{form}\" has placeholders {have:?}, \"{}\" has {expected:?}",
                        message.msgid
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn catalogues_hold_no_stale_texts_and_say_their_plural_rule() {
    let messages = template();
    let known: BTreeMap<(Option<String>, String), ()> = messages
        .iter()
        .map(|m| ((m.context.clone(), m.msgid.clone()), ()))
        .collect();
    for language in Language::ALL
        .into_iter()
        .filter(|l| *l != Language::English)
    {
        let path = catalogue_path(language);
        let file = rspolib::pofile(path.as_path()).expect("a readable catalogue");
        for entry in file.entries.iter().filter(|entry| !entry.obsolete) {
            assert!(
                known.contains_key(&(entry.msgctxt.clone(), entry.msgid.clone())),
                "{}: \"{}\" is no longer in the sources: remove it",
                relative(&path),
                entry.msgid
            );
        }
        // Slint's plural rule comes from this header, the Rust side's from
        // `Language::plural_index`: they must agree.
        let rule = match language {
            Language::French => "nplurals=2; plural=(n > 1);",
            Language::English | Language::Krio => "nplurals=2; plural=(n != 1);",
        };
        assert_eq!(language.plural_forms(), rule, "{}", relative(&path));
        assert_eq!(
            (
                language.plural_index(0),
                language.plural_index(1),
                language.plural_index(2)
            ),
            match language {
                Language::French => (0, 0, 1),
                _ => (1, 0, 1),
            }
        );
    }
    // Every folder in lang/ is a language the terminal offers.
    for entry in std::fs::read_dir(root().join("lang")).expect("lang/") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            let code = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            assert!(
                Language::from_code(code).is_some(),
                "lang/{code} is not a language of `Language`"
            );
        }
    }
}

#[test]
fn the_krio_catalogue_says_it_awaits_a_native_speakers_review() {
    let text = std::fs::read_to_string(catalogue_path(Language::Krio)).expect("kri catalogue");
    assert!(text.contains("AWAITS REVIEW BY A NATIVE KRIO SPEAKER"));
    assert!(text.contains("X-Review-Status: awaits review by a native Krio speaker"));
}
