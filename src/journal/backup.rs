//! The journal's daily backup: a gzip-compressed copy in `backups/journal-YYYY-MM-DD.sqlite.gz`
//! beside it, and the newest seven are kept. A card that dies slowly, or a journal damaged by a
//! bad write, then loses at most a day; `gzip -dc` gives the journal back.
//!
//! The copy is read page by page (SQLite's `sqlite_dbpage`) on a connection of its own, inside
//! one read transaction: a consistent picture of the journal, WAL included, while sales go on
//! writing through the terminal's connection. It is compressed as it is read, because the copy
//! grows with the journal's age and is what wears the SD card most (docs/RELIABILITY.md).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use flate2::Compression;
use flate2::write::GzEncoder;
use rusqlite::{Connection, OpenFlags};

use super::{Journal, JournalError, MIN_FREE_BYTES};

/// How many daily backups are kept.
pub const BACKUPS_KEPT: usize = 7;

/// A backup's name: the day, then `.sqlite.gz`. Releases before compression wrote
/// `.sqlite`; those are still listed, count for their day and are pruned in turn.
const COMPRESSED: &str = ".sqlite.gz";
const UNCOMPRESSED: &str = ".sqlite";

impl Journal {
    /// The folder the backups go in: `backups/` beside the journal.
    pub fn backup_folder(&self) -> PathBuf {
        self.folder().join("backups")
    }

    /// Backs the journal up for `day` unless that day has its backup, then removes all but the
    /// newest `BACKUPS_KEPT`. Gives the new file, if one was written. Never waits for a sale,
    /// nor holds one up: the terminal's connection is not used.
    pub fn back_up_daily(&self, day: NaiveDate) -> Result<Option<PathBuf>, JournalError> {
        let folder = self.backup_folder();
        let stem = format!("journal-{day}");
        let target = folder.join(format!("{stem}{COMPRESSED}"));
        if target.exists() || folder.join(format!("{stem}{UNCOMPRESSED}")).exists() {
            return Ok(None);
        }
        // The compressed copy is smaller than the journal: with that much room and the margin
        // kept for sales, a backup never leaves the terminal refusing sales for want of space.
        let journal_bytes = self.bytes_on_disk();
        self.check_free_space_above(MIN_FREE_BYTES + journal_bytes)
            .map_err(|_| {
                self.error(format!(
                    "the daily backup is skipped: the disk has less room than the journal ({} MB) and the {} MB kept for sales; delete old files or fit a larger SD card",
                    journal_bytes / 1_000_000,
                    MIN_FREE_BYTES / (1024 * 1024)
                ))
            })?;
        std::fs::create_dir_all(&folder).map_err(|e| self.error(e))?;
        // Written under another name and renamed when whole and on the card, so a power cut
        // mid-backup never leaves a half file that looks like a backup.
        let partial = folder.join(format!("{stem}{COMPRESSED}.partial"));
        let written = self.write_compressed_copy(&partial);
        if let Err(error) = written {
            // A full card must not keep a half copy that takes the room a sale needs.
            let _ = std::fs::remove_file(&partial);
            return Err(self.error(format!(
                "the backup to {} failed: {error}",
                partial.display()
            )));
        }
        std::fs::rename(&partial, &target).map_err(|e| self.error(e))?;
        File::open(&folder)
            .and_then(|folder| folder.sync_all())
            .map_err(|e| self.error(e))?;
        self.prune_backups()?;
        Ok(Some(target))
    }

    fn write_compressed_copy(&self, to: &Path) -> Result<(), Box<dyn std::error::Error>> {
        let source = Connection::open_with_flags(
            self.path(),
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        // The copy holds what the journal holds: for the terminal's user alone.
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(to)?;
        let mut gzip = GzEncoder::new(BufWriter::new(file), Compression::default());
        // One statement is one read transaction: every page is of the same moment.
        let mut pages = source.prepare("SELECT data FROM sqlite_dbpage ORDER BY pgno")?;
        let mut rows = pages.query([])?;
        while let Some(row) = rows.next()? {
            gzip.write_all(row.get_ref(0)?.as_blob()?)?;
        }
        let file = gzip.finish()?.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        Ok(())
    }

    /// The backups there are, oldest first.
    pub fn backups(&self) -> Result<Vec<PathBuf>, JournalError> {
        let entries = match std::fs::read_dir(self.backup_folder()) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(error) => return Err(self.error(error)),
        };
        let mut backups: Vec<(String, PathBuf)> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter_map(|path| {
                let name = path.file_name()?.to_str()?;
                let day = name.strip_prefix("journal-")?;
                let day = day
                    .strip_suffix(COMPRESSED)
                    .or_else(|| day.strip_suffix(UNCOMPRESSED))?;
                Some((day.to_owned(), path))
            })
            .collect();
        // The names hold the date as YYYY-MM-DD, so their order is the days' order.
        backups.sort();
        Ok(backups.into_iter().map(|(_, path)| path).collect())
    }

    fn prune_backups(&self) -> Result<(), JournalError> {
        let backups = self.backups()?;
        let surplus = backups.len().saturating_sub(BACKUPS_KEPT);
        for old in &backups[..surplus] {
            std::fs::remove_file(old).map_err(|e| self.error(e))?;
        }
        // A copy a power cut stopped halfway, of this release's or an older one's.
        let entries = std::fs::read_dir(self.backup_folder()).map_err(|e| self.error(e))?;
        for stale in entries.filter_map(Result::ok).map(|entry| entry.path()) {
            if stale
                .extension()
                .is_some_and(|extension| extension == "partial")
            {
                std::fs::remove_file(&stale).map_err(|e| self.error(e))?;
            }
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

#[cfg(test)]
mod tests;
