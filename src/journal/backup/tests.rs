//! The daily backup: one a day, seven kept, a journal again through `gzip -dc`, of one moment
//! while sales go on, and never waiting for the terminal's connection.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use chrono::{NaiveDate, Utc};

use super::BACKUPS_KEPT;
use crate::journal::Journal;
use crate::journal::tests::{open, sale, shape};

fn begin(journal: &Journal, key: &str) {
    journal
        .begin_sale(key, Utc::now(), &shape(), &sale())
        .expect("a sale begun");
}

fn day(offset: u64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 1).expect("date") + chrono::Days::new(offset)
}

fn names(backups: &[PathBuf]) -> Vec<String> {
    backups
        .iter()
        .filter_map(|path| path.file_name()?.to_str().map(String::from))
        .collect()
}

/// The backup made a journal again the way docs/DEPLOY.md tells a technician: `gzip -dc`.
/// Gives it, and its size.
fn restore(backup: &Path, dir: &Path) -> (Journal, u64) {
    let restored = dir.join(format!("restored-{}", names(&[backup.to_path_buf()])[0]));
    let output = Command::new("gzip")
        .arg("-dc")
        .arg(backup)
        .output()
        .expect("gzip runs");
    assert!(output.status.success(), "gzip -dc {}", backup.display());
    let size = output.stdout.len() as u64;
    std::fs::write(&restored, output.stdout).expect("restored file written");
    let connection = rusqlite::Connection::open(&restored).expect("opens");
    let integrity: String = connection
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .expect("integrity_check runs");
    assert_eq!(integrity, "ok", "{}", backup.display());
    let journal = Journal::open(&restored).expect("a backup is a journal");
    (journal, size)
}

#[test]
fn a_backup_a_day_compressed_and_the_newest_seven_kept() {
    let (dir, journal) = open();
    begin(&journal, "key-1");
    for offset in 0..9 {
        let written = journal.back_up_daily(day(offset)).expect("backup");
        assert!(written.is_some(), "{}", day(offset));
        assert_eq!(
            journal.back_up_daily(day(offset)).expect("again"),
            None,
            "once a day"
        );
    }
    let backups = journal.backups().expect("list");
    let names = names(&backups);
    assert_eq!(names.len(), BACKUPS_KEPT);
    assert_eq!(names[0], "journal-2026-11-03.sqlite.gz");
    assert_eq!(names[BACKUPS_KEPT - 1], "journal-2026-11-09.sqlite.gz");
    let (restored, journal_bytes) = restore(&backups[0], dir.path());
    let backup_bytes = std::fs::metadata(&backups[0]).expect("backup").len();
    assert!(
        backup_bytes * 4 < journal_bytes,
        "a backup of {backup_bytes} bytes for a journal of {journal_bytes} is not compressed"
    );
    assert_eq!(restored.recent(5).expect("recent").len(), 1);
}

#[test]
fn an_older_release_uncompressed_backup_counts_for_its_day_and_is_pruned_in_turn() {
    let (_dir, journal) = open();
    begin(&journal, "key-1");
    let folder = journal.backup_folder();
    std::fs::create_dir_all(&folder).expect("folder");
    for offset in 0..7 {
        std::fs::write(
            folder.join(format!("journal-{}.sqlite", day(offset))),
            b"old",
        )
        .expect("an old backup");
    }
    // A copy an older release's power cut left halfway.
    std::fs::write(folder.join("journal-2026-11-02.sqlite.partial"), b"half").expect("partial");

    assert_eq!(journal.back_up_daily(day(6)).expect("that day"), None);
    journal.back_up_daily(day(7)).expect("the next day");
    journal.back_up_daily(day(8)).expect("and the next");

    let names = names(&journal.backups().expect("list"));
    assert_eq!(names.len(), BACKUPS_KEPT);
    assert_eq!(names[0], "journal-2026-11-03.sqlite");
    assert_eq!(names[4], "journal-2026-11-07.sqlite");
    assert_eq!(names[5], "journal-2026-11-08.sqlite.gz");
    assert!(
        !folder.join("journal-2026-11-02.sqlite.partial").exists(),
        "a half copy is cleared away"
    );
}

#[test]
fn a_backup_is_of_one_moment_while_sales_are_written() {
    let (dir, journal) = open();
    for number in 0..200 {
        begin(&journal, &format!("before-{number}"));
    }
    // Another connection writes sales the whole time, as the terminal's does.
    let writer = Journal::open(journal.path()).expect("a second connection");
    let stop = Arc::new(AtomicBool::new(false));
    let selling = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let mut number = 0;
            while !stop.load(Ordering::Relaxed) {
                begin(&writer, &format!("during-{number}"));
                number += 1;
            }
            number
        })
    };
    let mut backups = Vec::new();
    for offset in 0..3 {
        backups.push(
            journal
                .back_up_daily(day(offset))
                .expect("backup")
                .expect("written"),
        );
    }
    stop.store(true, Ordering::Relaxed);
    let written_during = selling.join().expect("the writer ends");
    let mut counts = Vec::new();
    for backup in &backups {
        let (restored, _) = restore(backup, dir.path());
        counts.push(restored.recent(100_000).expect("sales").len());
    }
    assert!(
        counts.windows(2).all(|pair| pair[0] <= pair[1]),
        "{counts:?}"
    );
    assert!(counts[0] >= 200, "{counts:?}");
    assert!(
        counts[2] <= 200 + written_during,
        "{counts:?} of {written_during}"
    );
}

#[test]
fn a_backup_never_waits_for_the_terminals_connection() {
    let (_dir, journal) = open();
    begin(&journal, "key-1");
    // The terminal's connection is busy (a sale being written) for the whole backup.
    let busy = journal.lock();
    let (done, finished) = mpsc::channel();
    let backing_up = journal.clone();
    std::thread::spawn(move || {
        let _ = done.send(backing_up.back_up_daily(day(0)).map(|file| file.is_some()));
    });
    let outcome = finished.recv_timeout(Duration::from_secs(60));
    drop(busy);
    assert!(
        matches!(outcome, Ok(Ok(true))),
        "the backup waited for the terminal's connection, or failed: {outcome:?}"
    );
}
