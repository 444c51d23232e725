//! The one process that owns a journal, and so its sales and its printer: the running
//! terminal, or a command run while none runs.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// Why this process cannot own the journal.
#[derive(Debug, thiserror::Error)]
pub enum OwnerError {
    /// Another process owns the journal.
    #[error("{0}")]
    Owned(String),
    #[error("{0}")]
    Other(String),
}

/// How long to wait for the journal's owner to let go, and how often to look.
const LOCK_PATIENCE: Duration = Duration::from_secs(3);
const LOCK_RETRY: Duration = Duration::from_millis(50);

/// The one process that owns a journal (and so its sales and its printer): a lock on
/// `journal.sqlite.lock` beside it, which the kernel releases when the process ends, however
/// it ends.
#[derive(Debug)]
pub struct OwnerLock {
    _file: std::fs::File,
}

impl OwnerLock {
    pub fn take(journal: &Path) -> Result<OwnerLock, OwnerError> {
        let path = PathBuf::from(format!("{}.lock", journal.display()));
        if let Some(folder) = path.parent().filter(|f| !f.as_os_str().is_empty()) {
            std::fs::create_dir_all(folder).map_err(|error| {
                OwnerError::Other(format!(
                    "cannot create {} ({error}); check [storage] path",
                    folder.display()
                ))
            })?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|error| {
                OwnerError::Other(format!(
                    "cannot open the lock file {} ({error})",
                    path.display()
                ))
            })?;
        // A terminal that is just stopping (or a command just ending) lets go within moments.
        let mut waited = Duration::ZERO;
        loop {
            match file.try_lock() {
                Err(std::fs::TryLockError::WouldBlock) if waited < LOCK_PATIENCE => {
                    std::thread::sleep(LOCK_RETRY);
                    waited += LOCK_RETRY;
                }
                result => break Self::taken(file, result, journal, &path),
            }
        }
    }

    fn taken(
        file: std::fs::File,
        result: Result<(), std::fs::TryLockError>,
        journal: &Path,
        path: &Path,
    ) -> Result<OwnerLock, OwnerError> {
        match result {
            Ok(()) => Ok(OwnerLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => Err(OwnerError::Owned(format!(
                "another paycode-kiosk owns the journal {} (the running terminal, or a command \
                 still running) and did not answer on its control socket; wait for it, or stop it",
                journal.display()
            ))),
            Err(std::fs::TryLockError::Error(error)) => Err(OwnerError::Other(format!(
                "cannot lock {} ({error})",
                path.display()
            ))),
        }
    }
}
