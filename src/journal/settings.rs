//! What is set on the terminal itself and must outlive a restart: today the language chosen
//! on the admin screen. It is kept in the journal, which is already where the terminal keeps
//! what it must not lose, written with the same care (a transaction, WAL).

use rusqlite::{OptionalExtension, params};

use super::{Journal, JournalError};
use crate::lang::Language;

const LANGUAGE: &str = "language";

impl Journal {
    /// The language chosen on the admin screen, if one was; it wins over the configuration's
    /// `language`, which only sets the language of a terminal nobody has switched yet.
    pub fn chosen_language(&self) -> Result<Option<Language>, JournalError> {
        let connection = self.lock();
        let code: Option<String> = connection
            .query_row(
                "SELECT value FROM settings WHERE key = ?1",
                params![LANGUAGE],
                |row| row.get(0),
            )
            .optional()
            .map_err(|error| self.error(error))?;
        // A code this build does not know (written by a newer one) is ignored, not an error.
        Ok(code.as_deref().and_then(Language::from_code))
    }

    /// Keeps the language chosen on the admin screen.
    pub fn choose_language(&self, language: Language) -> Result<(), JournalError> {
        let connection = self.lock();
        connection
            .execute(
                "INSERT INTO settings (key, value) VALUES (?1, ?2) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![LANGUAGE, language.code()],
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
}
