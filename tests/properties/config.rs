//! The whole configuration file: systemd/config.example.toml mutated line by line (keys
//! uncommented, values of the wrong type, huge or odd Unicode, lines deleted, duplicated,
//! swapped or added, sections added, the file cut short) through `Config::parse`. The rule: a
//! configuration, or a clear error that names something, with every line it points at within
//! the file; never a panic.

use std::path::PathBuf;

use paycode_kiosk::config::{Config, Environment};
use paycode_kiosk::secret::AccessToken;
use proptest::prelude::*;

use super::support::cases;

const EXAMPLE: &str = include_str!("../../systemd/config.example.toml");

/// `text` as a TOML basic string (JSON's escapes are TOML's).
fn string(text: String) -> String {
    serde_json::to_string(&text).expect("a JSON string")
}

/// A TOML value as a technician might write one, right or wrong.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        (0i64..100_000).prop_map(|n| n.to_string()),
        Just("99999999999999999999999".to_string()),
        Just("92233720368547758".to_string()),
        Just("-1".to_string()),
        Just("0".to_string()),
        prop::sample::select(vec!["1e400", "nan", "-inf", "0.5", "12.5", "-0.0", "1_000"])
            .prop_map(str::to_string),
        any::<bool>().prop_map(|b| b.to_string()),
        "\\PC{0,30}".prop_map(string),
        prop::sample::select(vec![
            "-3",
            "1,00",
            "0.001",
            "92233720368547758.07",
            "92233720368547758.08",
            "",
            " ",
            "12.50",
            "10m",
            "1h30m",
            "99999h",
            "0s",
            "-5m",
            "m17",
            "SLE",
            "usd",
            "fr",
            "kri",
            "tcp://",
            "tcp://[::1]:99999",
            "virtual",
            "auto",
            "/dev/null",
            "epson",
            "pc866",
            "{merchant}",
            "{sale}{sale}{sale}",
            "\u{202e}\u{0}\u{feff}",
            "ǅ̈́̈́̈́",
            "🧾🧾",
        ])
        .prop_map(|text| string(text.to_string())),
        (1usize..5000).prop_map(|n| string("x".repeat(n))),
        (1usize..5000).prop_map(|n| "9".repeat(n)),
        Just("[1, \"a\", true]".to_string()),
        Just("[5, 10, 15, 20, 25]".to_string()),
        Just("[]".to_string()),
        Just("[\"m17\", \"m17\", \"\"]".to_string()),
        Just("{ en = \"Thanks\", fr = 3 }".to_string()),
        Just("{ de = \"Danke\" }".to_string()),
        Just("1979-05-27T07:32:00Z".to_string()),
        Just("\"unterminated".to_string()),
        "[ -~]{0,12}",
    ]
}

/// A line added to the file.
fn line() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        prop::sample::select(vec![
            "space_id",
            "access_token",
            "currency",
            "code_duration",
            "code_name",
            "max_amount",
            "admin_pin",
            "merchant_name",
            "terminal_id",
            "width_chars",
            "device",
            "name",
            "pin",
            "price",
            "daily_limit",
            "fee",
            "tips",
            "tip_round_up_to",
            "language",
            "path",
            "enabled",
            "can_refund",
            "header",
            "footer",
            "baud",
            "qr",
            "model",
            "code_page",
        ])
        .prop_map(str::to_string),
        "[a-z_]{1,10}",
    ];
    prop_oneof![
        4 => (key, value()).prop_map(|(key, value)| format!("{key} = {value}")),
        2 => prop::sample::select(vec![
            "[monime]", "[kiosk]", "[printer]", "[storage]", "[refunds]", "[metrics]",
            "[[items]]", "[[cashiers]]", "[nonsense]", "[kiosk.inner]", "[[kiosk]]", "[",
            "]]", "[printer]]", "key", "=", "= 1",
        ])
        .prop_map(str::to_string),
        1 => "\\PC{0,40}",
    ]
}

#[derive(Debug, Clone)]
enum Edit {
    Uncomment(usize),
    Delete(usize),
    Duplicate(usize),
    Swap(usize, usize),
    SetValue(usize, String),
    Insert(usize, String),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        3 => any::<usize>().prop_map(Edit::Uncomment),
        2 => any::<usize>().prop_map(Edit::Delete),
        1 => any::<usize>().prop_map(Edit::Duplicate),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Edit::Swap(a, b)),
        4 => (any::<usize>(), value()).prop_map(|(at, value)| Edit::SetValue(at, value)),
        2 => (any::<usize>(), line()).prop_map(|(at, line)| Edit::Insert(at, line)),
    ]
}

/// `line` without the comment mark of an example setting (`# key = value  # note`).
fn uncommented(line: &str) -> Option<String> {
    let setting = line.strip_prefix('#')?.trim_start();
    let looks_set = setting.starts_with('[')
        || setting
            .split_once('=')
            .is_some_and(|(key, _)| !key.trim().is_empty() && !key.trim().contains(' '));
    looks_set.then(|| setting.to_string())
}

fn mutate(edits: &[Edit], cut: Option<usize>) -> String {
    let mut lines: Vec<String> = EXAMPLE.lines().map(str::to_string).collect();
    for edit in edits {
        let at = |index: usize| index % lines.len().max(1);
        match edit {
            Edit::Uncomment(index) if !lines.is_empty() => {
                let index = at(*index);
                if let Some(setting) = uncommented(&lines[index]) {
                    lines[index] = setting;
                }
            }
            Edit::Delete(index) if !lines.is_empty() => {
                let index = at(*index);
                lines.remove(index);
            }
            Edit::Duplicate(index) if !lines.is_empty() => {
                let index = at(*index);
                lines.insert(index, lines[index].clone());
            }
            Edit::Swap(a, b) if !lines.is_empty() => {
                let (a, b) = (at(*a), at(*b));
                lines.swap(a, b);
            }
            Edit::SetValue(index, value) if !lines.is_empty() => {
                let index = at(*index);
                let line = uncommented(&lines[index]).unwrap_or_else(|| lines[index].clone());
                if let Some((key, _)) = line.split_once('=')
                    && !key.trim_start().starts_with('#')
                {
                    lines[index] = format!("{} = {value}", key.trim_end());
                }
            }
            Edit::Insert(index, line) => {
                let index = index % (lines.len() + 1);
                lines.insert(index, line.clone());
            }
            _ => {}
        }
    }
    let mut text = lines.join("\n");
    text.push('\n');
    if let Some(cut) = cut {
        let mut cut = cut % (text.len() + 1);
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    text
}

fn environment() -> Environment {
    Environment {
        access_token: Some(AccessToken::new("mon_test_property_token")),
        state_directory: Some(PathBuf::from("/nonexistent/paycode-kiosk-properties")),
        credentials_directory: None,
    }
}

/// The lines a message points at: `line N: ...`, alone or each on a line of a list.
fn lines_named(message: &str) -> Vec<usize> {
    message
        .lines()
        .filter_map(|line| {
            let rest = line.trim_start().strip_prefix("line ")?;
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            rest[digits.len()..]
                .starts_with(':')
                .then(|| digits.parse().ok())?
        })
        .collect()
}

proptest! {
    #![proptest_config(cases(3000))]

    /// Any file made from the example is a configuration or a clear refusal whose lines are
    /// all in the file.
    #[test]
    fn any_configuration_file_is_taken_or_refused_clearly(
        edits in prop::collection::vec(edit(), 0..10),
        cut in prop::option::weighted(0.1, any::<usize>()),
        token_in_env in any::<bool>(),
    ) {
        let text = mutate(&edits, cut);
        let env = if token_in_env { environment() } else { Environment { access_token: None, ..environment() } };
        match Config::parse(&text, None, &env) {
            Ok(config) => {
                prop_assert!(config.kiosk.max_amount_minor > 0);
                for item in &config.items {
                    prop_assert!(item.price_minor > 0 && item.price_minor <= config.kiosk.max_amount_minor);
                }
            }
            Err(error) => {
                let message = error.to_string();
                prop_assert!(
                    message.chars().any(char::is_alphanumeric),
                    "an empty refusal for:\n{}", text
                );
                let in_file = text.lines().count().max(1);
                for line in lines_named(&message) {
                    prop_assert!(
                        (1..=in_file).contains(&line),
                        "line {} of a file of {} lines: {}\n---\n{}", line, in_file, message, text
                    );
                }
            }
        }
    }
}

/// The example itself, every setting in it uncommented in turn, is a configuration.
#[test]
fn the_example_is_a_configuration() {
    let config = Config::parse(EXAMPLE, None, &environment());
    assert!(config.is_ok(), "{:?}", config.err().map(|e| e.to_string()));
}
