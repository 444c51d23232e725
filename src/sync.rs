//! Locking shared state that a panic may have poisoned.

use std::sync::{Mutex, MutexGuard};

/// Locks `mutex`, even when a thread panicked while holding it. The state behind these locks
/// (the simulator's space, the virtual printer, the journal's SQLite connection, whose
/// transactions roll back on drop) changes in whole steps, each complete before its lock is let
/// go, so a panic elsewhere leaves nothing half done; refusing the lock would only turn one
/// failure (a test's assertion, say) into a panic in every thread that uses the state after.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
