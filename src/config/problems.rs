//! Every problem of a configuration file at once, each with the line it is on: a technician
//! fixing a file wants them all, not one per try.
//!
//! TOML's reader stops at its first problem, so each section is read on its own: the file with
//! every other section's lines blanked (the line numbers stay), and once more with each line a
//! problem was found on blanked, until a section reads. The checks of what was read name their
//! key as `[section] key ...`, which is found in the file for its line.

use super::raw::RawConfig;

/// One problem: its line in the file (from 1), when it is known, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// The problems as one message: the one, or each on a line of its own under their count.
pub(super) fn describe(problems: &[Problem]) -> String {
    match problems {
        [one] => one.to_string(),
        many => {
            let lines: Vec<String> = many.iter().map(|problem| format!("  {problem}")).collect();
            format!("{} problems:\n{}", many.len(), lines.join("\n"))
        }
    }
}

/// How many problems one section may report before the rest of it is left unread.
const MOST_A_SECTION: usize = 20;

/// Reads `text`, or says everything wrong with it.
pub(super) fn read(text: &str) -> Result<RawConfig, Vec<Problem>> {
    let first = match toml::from_str::<RawConfig>(text) {
        Ok(raw) => return Ok(raw),
        Err(error) => error,
    };
    // Not TOML at all: nothing past the first problem can be read.
    if text.parse::<toml::Table>().is_err() {
        return Err(vec![problem_of(text, &first)]);
    }
    let lines: Vec<&str> = text.lines().collect();
    let mut problems = Vec::new();
    for section in sections(&lines) {
        let mut blanked: Vec<bool> = (0..lines.len()).map(|at| !section.contains(&at)).collect();
        for _ in 0..MOST_A_SECTION {
            let kept = keep(&lines, &blanked);
            let Err(error) = toml::from_str::<RawConfig>(&kept) else {
                break;
            };
            let problem = problem_of(&kept, &error);
            let line = problem.line;
            problems.push(problem);
            let on_a_key = line.is_some_and(|line| {
                lines
                    .get(line - 1)
                    .is_some_and(|written| header(written).is_none())
            });
            match line.and_then(|line| blanked.get_mut(line - 1)) {
                Some(blank) if on_a_key && !*blank => *blank = true,
                // A problem with the table itself (a table nobody reads): the rest of it would
                // only repeat it.
                _ => break,
            }
        }
    }
    if problems.is_empty() {
        problems.push(problem_of(text, &first));
    }
    Err(problems)
}

/// The problem a check of what was read reports, at the line of the key it names.
pub(super) fn checked(text: &str, message: String) -> Problem {
    Problem {
        line: line_of_key(text, &message),
        message,
    }
}

/// The problem TOML's reader found in `text`, with the line it is on (which names the key).
fn problem_of(text: &str, error: &toml::de::Error) -> Problem {
    let line = error.span().map(|span| line_at(text, span.start));
    let written = line
        .and_then(|line| text.lines().nth(line - 1))
        .map(str::trim)
        .filter(|written| !written.is_empty())
        .map(|written| format!(" (`{written}`)"))
        .unwrap_or_default();
    Problem {
        line,
        message: format!(
            "{}{written}; every key is described in the README under \"Configuration\"",
            error.message().trim_end().trim_end_matches('.')
        ),
    }
}

fn line_at(text: &str, byte: usize) -> usize {
    text.get(..byte)
        .map_or(1, |before| before.matches('\n').count() + 1)
}

/// The lines of `lines` kept, the others blank.
fn keep(lines: &[&str], blanked: &[bool]) -> String {
    lines
        .iter()
        .zip(blanked)
        .map(|(line, blank)| if *blank { "" } else { line })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The name of the table a line opens, `[name]` or `[[name]]`, if it opens one.
fn header(line: &str) -> Option<&str> {
    let line = line.trim();
    let inner = line.strip_prefix('[')?.split(']').next()?;
    Some(inner.trim_start_matches('[').trim())
}

/// Each top-level table's lines (all the entries of an array of tables together), and the
/// lines before the first table.
fn sections(lines: &[&str]) -> Vec<Vec<usize>> {
    let mut by_name: Vec<(String, Vec<usize>)> = vec![(String::new(), Vec::new())];
    let mut current = 0;
    for (at, line) in lines.iter().enumerate() {
        if let Some(name) = header(line) {
            let top = name.split('.').next().unwrap_or(name).trim().to_string();
            current = match by_name.iter().position(|(known, _)| *known == top) {
                Some(place) => place,
                None => {
                    by_name.push((top, Vec::new()));
                    by_name.len() - 1
                }
            };
        }
        by_name[current].1.push(at);
    }
    by_name.into_iter().map(|(_, lines)| lines).collect()
}

/// The line of the key a check's message names: `[section] key ...`, or for an entry of an
/// array of tables `[[section]] entry N: key ...` or `[[section]] "name": key ...`. Without a
/// key found there, the table's own line.
fn line_of_key(text: &str, message: &str) -> Option<usize> {
    let rest = message.strip_prefix('[')?;
    let array = rest.starts_with('[');
    let name_end = rest.find(']')?;
    let section = rest[..name_end].trim_start_matches('[');
    let after = rest[name_end..].trim_start_matches(']').trim_start();
    let lines: Vec<&str> = text.lines().collect();
    let tables: Vec<(usize, usize)> = (0..lines.len())
        .filter(|at| header(lines[*at]) == Some(section))
        .map(|start| {
            let end = (start + 1..lines.len())
                .find(|at| header(lines[*at]).is_some())
                .unwrap_or(lines.len());
            (start, end)
        })
        .collect();
    let (table, words) = if array {
        let (which, words) = after.split_once(": ").unwrap_or((after, ""));
        let table = match which.strip_prefix("entry ") {
            Some(number) => number
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|digits| digits.parse::<usize>().ok())
                .and_then(|number| tables.get(number.checked_sub(1)?)),
            None => {
                let name = which.split('"').nth(1).unwrap_or_default();
                tables.iter().find(|(start, end)| {
                    (start + 1..*end).any(|at| value_of(lines[at], "name") == Some(name))
                })
            }
        };
        (table?, words)
    } else {
        (tables.first()?, after)
    };
    let key = words
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .next()
        .unwrap_or_default();
    let (start, end) = *table;
    let found = (start + 1..end).find(|at| value_of(lines[*at], key).is_some());
    Some(found.unwrap_or(start) + 1)
}

/// What `line` sets `key` to, as written (quotes taken off), if it sets that key.
fn value_of<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    if key.is_empty() {
        return None;
    }
    let value = line
        .trim_start()
        .strip_prefix(key)?
        .trim_start()
        .strip_prefix('=')?;
    Some(value.trim().trim_matches('"'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "\
[monime]
space_id = \"spc-1\"
access_token = \"t\"
polling = 3

[kiosk]
merchant_name = 42
poll_interval_ms = \"fast\"
terminal_id = \"T1\"

[[cashiers]]
name = \"Aminata\"
pin = \"2580\"

[[cashiers]]
name = \"Mohamed\"
pin = \"12\"

[nonsense]
a = 1
";

    #[test]
    fn every_section_says_each_of_its_problems_with_its_line() {
        let problems = read(FILE).err().expect("problems");
        let lines: Vec<Option<usize>> = problems.iter().map(|problem| problem.line).collect();
        assert_eq!(lines, [Some(4), Some(7), Some(8), Some(19)], "{problems:?}");
        assert!(problems[0].message.contains("polling"), "{problems:?}");
        assert!(problems[3].message.contains("nonsense"), "{problems:?}");
    }

    #[test]
    fn a_check_naming_its_key_is_found_on_its_line() {
        let at = |message: &str| checked(FILE, message.to_string()).line;
        assert_eq!(at("[kiosk] terminal_id is too long"), Some(9));
        assert_eq!(at("[kiosk] admin_pin is missing"), Some(6));
        assert_eq!(
            at("[[cashiers]] entry 2: pin must be 4 to 8 digits"),
            Some(17)
        );
        assert_eq!(
            at("[[cashiers]] \"Mohamed\": pin must be 4 to 8 digits"),
            Some(17)
        );
        assert_eq!(at("[[cashiers]] \"Aminata\" is named twice"), Some(11));
        assert_eq!(at("the file says nothing of where"), None);
    }

    #[test]
    fn text_that_is_not_toml_has_its_one_problem() {
        let problems = read("[kiosk\nmerchant_name = 1\n").err().expect("not TOML");
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, Some(1));
    }
}
