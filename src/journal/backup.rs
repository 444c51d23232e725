//! The journal's daily backup: SQLite's online backup API copies it while sales go on, into
//! `backups/journal-YYYY-MM-DD.sqlite` beside it, and the newest seven are kept. A card that
//! dies slowly, or a journal damaged by a bad write, then loses at most a day.

use std::path::PathBuf;

use chrono::NaiveDate;

use super::Journal;
use super::JournalError;

/// How many daily backups are kept.
pub const BACKUPS_KEPT: usize = 7;

impl Journal {
    /// The folder the backups go in: `backups/` beside the journal.
    pub fn backup_folder(&self) -> PathBuf {
        self.folder().join("backups")
    }

    /// Backs the journal up for `day` unless that day has its backup, then removes all but the
    /// newest `BACKUPS_KEPT`. Gives the new file, if one was written.
    pub fn back_up_daily(&self, day: NaiveDate) -> Result<Option<PathBuf>, JournalError> {
        let folder = self.backup_folder();
        let target = folder.join(format!("journal-{day}.sqlite"));
        if target.exists() {
            return Ok(None);
        }
        std::fs::create_dir_all(&folder).map_err(|e| self.error(e))?;
        // Written under another name and renamed when whole, so a power cut mid-backup never
        // leaves a half file that looks like a backup.
        let partial = folder.join(format!("journal-{day}.sqlite.partial"));
        self.lock()
            .backup(rusqlite::MAIN_DB, &partial, None)
            .map_err(|e| self.error(format!("the backup to {} failed: {e}", partial.display())))?;
        std::fs::rename(&partial, &target).map_err(|e| self.error(e))?;
        self.prune_backups()?;
        Ok(Some(target))
    }

    /// The backups there are, oldest first.
    pub fn backups(&self) -> Result<Vec<PathBuf>, JournalError> {
        let entries = match std::fs::read_dir(self.backup_folder()) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(error) => return Err(self.error(error)),
        };
        let mut backups: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| {
                path.file_name()
                    .and_then(|name| name.to_str())
                    .is_some_and(|name| name.starts_with("journal-") && name.ends_with(".sqlite"))
            })
            .collect();
        // The names hold the date as YYYY-MM-DD, so their order is the days' order.
        backups.sort();
        Ok(backups)
    }

    fn prune_backups(&self) -> Result<(), JournalError> {
        let backups = self.backups()?;
        let surplus = backups.len().saturating_sub(BACKUPS_KEPT);
        for old in &backups[..surplus] {
            std::fs::remove_file(old).map_err(|e| self.error(e))?;
        }
        Ok(())
    }
}
/// Backs the journal up once a day (checked hourly, so a terminal left on overnight makes the
/// next day's backup soon after midnight), for as long as the runtime runs.
pub async fn keep_daily_backups(journal: Journal) {
    let mut hourly = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        hourly.tick().await;
        let today = chrono::Local::now().date_naive();
        match journal
            .call(move |journal| journal.back_up_daily(today))
            .await
        {
            Ok(Some(file)) => tracing::info!(backup = %file.display(), "journal backed up"),
            Ok(None) => {}
            Err(error) => tracing::warn!(%error, "the journal's daily backup failed"),
        }
    }
}
