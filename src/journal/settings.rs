//! What is set on the terminal itself and must outlive a restart: the language chosen on the
//! admin screen, and when Monime last answered 429 (`monime::pace`). It is kept in the journal,
//! which is already where the terminal keeps what it must not lose, written with the same care
//! (a transaction, WAL).

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::{Journal, JournalError};
use crate::lang::Language;

const LANGUAGE: &str = "language";
const LAST_THROTTLED: &str = "last_throttled";

impl Journal {
    /// The language chosen on the admin screen, if one was; it wins over the configuration's
    /// `language`, which only sets the language of a terminal nobody has switched yet.
    pub fn chosen_language(&self) -> Result<Option<Language>, JournalError> {
        // A code this build does not know (written by a newer one) is ignored, not an error.
        Ok(self
            .setting(LANGUAGE)?
            .as_deref()
            .and_then(Language::from_code))
    }

    /// Keeps the language chosen on the admin screen.
    pub fn choose_language(&self, language: Language) -> Result<(), JournalError> {
        self.set(LANGUAGE, language.code())
    }

    /// When Monime last answered 429, if it ever did.
    pub fn last_throttled(&self) -> Result<Option<DateTime<Utc>>, JournalError> {
        // A value that does not read as a time is as good as none: pacing, not money.
        Ok(self
            .setting(LAST_THROTTLED)?
            .and_then(|text| DateTime::parse_from_rfc3339(&text).ok())
            .map(|at| at.with_timezone(&Utc)))
    }

    /// Keeps when Monime last answered 429.
    pub fn remember_throttled(&self, at: DateTime<Utc>) -> Result<(), JournalError> {
        self.set(LAST_THROTTLED, &at.to_rfc3339())
    }

    fn setting(&self, key: &str) -> Result<Option<String>, JournalError> {
        self.lock()
            .query_row(
                "SELECT value FROM settings WHERE key = ?1",
                params![key],
                |row| row.get(0),
            )
            .optional()
            .map_err(|error| self.error(error))
    }

    fn set(&self, key: &str, value: &str) -> Result<(), JournalError> {
        self.lock()
            .execute(
                "INSERT INTO settings (key, value) VALUES (?1, ?2) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )
            .map_err(|error| self.error(error))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chosen_language_outlives_the_connection() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("journal.sqlite");
        let journal = Journal::open(&path).expect("open");
        assert_eq!(journal.chosen_language().expect("read"), None);
        journal.choose_language(Language::Krio).expect("write");
        journal
            .choose_language(Language::French)
            .expect("write again");
        drop(journal);
        let reopened = Journal::open(&path).expect("reopen");
        assert_eq!(
            reopened.chosen_language().expect("read"),
            Some(Language::French)
        );
    }

    #[test]
    fn the_last_429_outlives_the_connection() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("journal.sqlite");
        let journal = Journal::open(&path).expect("open");
        assert_eq!(journal.last_throttled().expect("read"), None);
        let at = DateTime::from_timestamp(1_790_000_000, 0).expect("a time");
        journal.remember_throttled(at).expect("write");
        drop(journal);
        let reopened = Journal::open(&path).expect("reopen");
        assert_eq!(reopened.last_throttled().expect("read"), Some(at));
    }
}
