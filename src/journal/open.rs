//! Opening the journal: its folder, SQLite's settings for a power cut, the schema, and what the
//! terminal does when the file is damaged (kept aside under a dated name, a fresh journal
//! started) or its disk is full (nothing new starts, and the message says how much is free).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Local};
use rusqlite::{Connection, ErrorCode};
use rusqlite_migration::{M, MigrationDefinitionError, Migrations};

use super::{Journal, JournalError, ProblemKind};

/// Schema versions, oldest first. A released migration is never edited: add a new one.
pub(super) const MIGRATIONS: &[&str] = &[
    r#"
    CREATE TABLE sales (
        id               INTEGER PRIMARY KEY AUTOINCREMENT,
        terminal_id      TEXT NOT NULL,
        created_at       TEXT NOT NULL,
        updated_at       TEXT NOT NULL,
        amount_minor     INTEGER NOT NULL CHECK (amount_minor > 0),
        currency         TEXT NOT NULL,
        idempotency_key  TEXT NOT NULL UNIQUE,
        request_json     TEXT NOT NULL,
        phase            TEXT NOT NULL,
        code_id          TEXT,
        ussd_code        TEXT,
        expire_time      TEXT,
        cancel_requested INTEGER NOT NULL DEFAULT 0,
        payment_json     TEXT,
        failure          TEXT,
        receipt          TEXT NOT NULL DEFAULT 'owed'
    );
    CREATE INDEX sales_unsettled ON sales (phase, receipt);
    CREATE TABLE sale_events (
        id       INTEGER PRIMARY KEY AUTOINCREMENT,
        sale_id  INTEGER NOT NULL REFERENCES sales (id),
        at       TEXT NOT NULL,
        phase    TEXT NOT NULL,
        detail   TEXT
    );
    CREATE INDEX sale_events_by_sale ON sale_events (sale_id);
"#,
    r#"
    CREATE TABLE day_closes (
        number        INTEGER PRIMARY KEY AUTOINCREMENT,
        business_date TEXT NOT NULL UNIQUE,
        closed_at     TEXT NOT NULL,
        monime_check  TEXT
    );
    ALTER TABLE sales ADD COLUMN cashier TEXT;
    ALTER TABLE sales ADD COLUMN z_number INTEGER REFERENCES day_closes (number);
    ALTER TABLE sales ADD COLUMN restored INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX sales_by_z ON sales (z_number);
"#,
    // Reconciling looks every code Monime lists up by its id.
    r#"
    CREATE INDEX sales_by_code ON sales (code_id);
"#,
    // What is set on the terminal and outlives a restart: the language chosen on the admin
    // screen (journal/settings.rs).
    r#"
    CREATE TABLE settings (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
"#,
    // What an item or tipped sale is made of (`order::Order` as JSON); NULL for a keyed sale.
    r#"
    ALTER TABLE sales ADD COLUMN order_json TEXT;
"#,
    // The payer's proof of a paid sale, read from the Monime payment that settled its code
    // (`journal::PayerProof` as JSON), and how many times it was asked for (at most twice).
    r#"
    ALTER TABLE sales ADD COLUMN proof_json TEXT;
    ALTER TABLE sales ADD COLUMN proof_asks INTEGER NOT NULL DEFAULT 0;
"#,
    // Money sent back to a paid sale's payer as a Monime payout (`journal/refunds.rs`), with
    // its idempotency key, written before the payout's create first goes out. `request_json`
    // holds the create with the payer's full number while the refund is unsettled (a re-send
    // must be the same request) and is emptied once it settles; `phone_shown` keeps the number
    // masked. `cashier` is who refunded, NULL for the admin.
    r#"
    CREATE TABLE refunds (
        id                    INTEGER PRIMARY KEY AUTOINCREMENT,
        sale_id               INTEGER NOT NULL REFERENCES sales (id),
        terminal_id           TEXT NOT NULL,
        created_at            TEXT NOT NULL,
        updated_at            TEXT NOT NULL,
        amount_minor          INTEGER NOT NULL CHECK (amount_minor > 0),
        currency              TEXT NOT NULL,
        provider_id           TEXT NOT NULL,
        phone_shown           TEXT NOT NULL,
        holder_name           TEXT,
        idempotency_key       TEXT NOT NULL UNIQUE
                              CHECK (length(idempotency_key) BETWEEN 1 AND 64),
        request_json          TEXT,
        cashier               TEXT,
        phase                 TEXT NOT NULL,
        sent_at               TEXT,
        payout_id             TEXT,
        monime_status         TEXT,
        fee_minor             INTEGER,
        fee_currency          TEXT,
        failure_code          TEXT,
        failure_message       TEXT,
        transaction_reference TEXT,
        receipt               TEXT NOT NULL DEFAULT 'owed'
    );
    CREATE INDEX refunds_by_sale ON refunds (sale_id);
    CREATE INDEX refunds_unsettled ON refunds (phase, receipt);
    CREATE INDEX refunds_by_time ON refunds (created_at);
    CREATE TABLE refund_events (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        refund_id  INTEGER NOT NULL REFERENCES refunds (id),
        at         TEXT NOT NULL,
        phase      TEXT NOT NULL,
        detail     TEXT
    );
    CREATE INDEX refund_events_by_refund ON refund_events (refund_id);
"#,
    // Refunds in the books: the day close (Z) that counted a settled refund, as `sales` has
    // it, and whether `reconcile --restore` brought it back from Monime's payouts. The payout
    // id is indexed because reconciling looks every payout Monime lists up by it.
    r#"
    ALTER TABLE refunds ADD COLUMN z_number INTEGER REFERENCES day_closes (number);
    ALTER TABLE refunds ADD COLUMN restored INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX refunds_by_z ON refunds (z_number);
    CREATE INDEX refunds_by_payout ON refunds (payout_id);
"#,
    // The sales counted and summed by phase and currency, kept by triggers in the very write
    // that changes a sale, so the metrics read a few rows instead of a year of sales.
    r#"
    CREATE TABLE sale_tallies (
        phase         TEXT NOT NULL,
        currency      TEXT NOT NULL,
        sales         INTEGER NOT NULL,
        amount_minor  INTEGER NOT NULL,
        PRIMARY KEY (phase, currency)
    ) WITHOUT ROWID;
    INSERT INTO sale_tallies
        SELECT phase, currency, COUNT(*), SUM(amount_minor) FROM sales GROUP BY phase, currency;
    CREATE TRIGGER sale_tallies_on_insert AFTER INSERT ON sales BEGIN
        INSERT OR IGNORE INTO sale_tallies VALUES (NEW.phase, NEW.currency, 0, 0);
        UPDATE sale_tallies SET sales = sales + 1, amount_minor = amount_minor + NEW.amount_minor
            WHERE phase = NEW.phase AND currency = NEW.currency;
    END;
    CREATE TRIGGER sale_tallies_on_update AFTER UPDATE OF phase, currency, amount_minor ON sales
        WHEN OLD.phase IS NOT NEW.phase OR OLD.currency IS NOT NEW.currency
            OR OLD.amount_minor IS NOT NEW.amount_minor
    BEGIN
        UPDATE sale_tallies SET sales = sales - 1, amount_minor = amount_minor - OLD.amount_minor
            WHERE phase = OLD.phase AND currency = OLD.currency;
        INSERT OR IGNORE INTO sale_tallies VALUES (NEW.phase, NEW.currency, 0, 0);
        UPDATE sale_tallies SET sales = sales + 1, amount_minor = amount_minor + NEW.amount_minor
            WHERE phase = NEW.phase AND currency = NEW.currency;
    END;
    CREATE TRIGGER sale_tallies_on_delete AFTER DELETE ON sales BEGIN
        UPDATE sale_tallies SET sales = sales - 1, amount_minor = amount_minor - OLD.amount_minor
            WHERE phase = OLD.phase AND currency = OLD.currency;
    END;
"#,
];

/// SQLite's page cache for the journal, in KiB. It fills as the journal grows, by about a KiB
/// a sale, and was the one part of the terminal's memory still growing after a thousand sales
/// (docs/PERFORMANCE.md); this is its bound. What a sale touches (the newest pages of the sales
/// and events tables and their indexes) and a day's sales for the reports fit well inside it;
/// older pages come back from the operating system's file cache when the history or an export
/// asks for them.
pub const PAGE_CACHE_KIB: u32 = 512;

/// Free space on the journal's disk below which no new sale starts. A sale writes a few KiB;
/// the margin leaves room for the sales under way, their receipts and a day's backup.
pub const MIN_FREE_BYTES: u64 = 4 * 1024 * 1024;

/// The journal as its owner opened it, and what had to be done to open it.
#[derive(Debug)]
pub struct Opened {
    pub journal: Journal,
    /// Where a damaged journal was moved; a fresh one was started in its place.
    pub moved_aside: Option<PathBuf>,
}

impl Journal {
    /// Opens (or creates) the journal file and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Journal, JournalError> {
        if let Some(folder) = path
            .parent()
            .filter(|folder| !folder.as_os_str().is_empty())
        {
            std::fs::create_dir_all(folder).map_err(|error| {
                problem(
                    path,
                    ProblemKind::Other,
                    format!("cannot create its folder ({error}); check [storage] path and its permissions"),
                )
            })?;
        }
        Ok(Journal {
            connection: Arc::new(Mutex::new(connect(path)?)),
            path: path.to_path_buf(),
        })
    }

    /// Opens the journal as the running terminal does: a file SQLite cannot read as a journal is
    /// renamed `journal.sqlite.corrupt-YYYYMMDD-HHMMSS` (kept for a technician, with its WAL)
    /// and a fresh journal is started, so the terminal goes on selling.
    pub fn open_or_start_afresh(path: &Path, now: DateTime<Local>) -> Result<Opened, JournalError> {
        let error = match Journal::open(path) {
            Ok(journal) => {
                return Ok(Opened {
                    journal,
                    moved_aside: None,
                });
            }
            Err(error) if error.kind == ProblemKind::Corrupt => error,
            Err(error) => return Err(error),
        };
        let aside = PathBuf::from(format!(
            "{}.corrupt-{}",
            path.display(),
            now.format("%Y%m%d-%H%M%S")
        ));
        for suffix in ["", "-wal", "-shm"] {
            let from = PathBuf::from(format!("{}{suffix}", path.display()));
            let to = PathBuf::from(format!("{}{suffix}", aside.display()));
            if from.exists() {
                std::fs::rename(&from, &to).map_err(|rename| {
                    problem(
                        path,
                        ProblemKind::Corrupt,
                        format!(
                            "{}; moving it aside failed too ({rename}): move it away by hand",
                            error.message
                        ),
                    )
                })?;
            }
        }
        tracing::error!(
            journal = %path.display(),
            kept_as = %aside.display(),
            problem = %error.message,
            "the journal was damaged: it is kept aside and a fresh one is started"
        );
        Ok(Opened {
            journal: Journal::open(path)?,
            moved_aside: Some(aside),
        })
    }

    /// Damaged journals that were moved aside from this one's place, oldest first.
    pub fn kept_aside(&self) -> Vec<PathBuf> {
        let Some(name) = self.path.file_name().and_then(|name| name.to_str()) else {
            return Vec::new();
        };
        let prefix = format!("{name}.corrupt-");
        let mut kept: Vec<PathBuf> = std::fs::read_dir(self.folder())
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| {
                path.file_name()
                    .and_then(|file| file.to_str())
                    .is_some_and(|file| {
                        file.starts_with(&prefix)
                            && !file.ends_with("-wal")
                            && !file.ends_with("-shm")
                    })
            })
            .collect();
        kept.sort();
        kept
    }

    /// Refuses to start anything new while the journal's disk has less than `MIN_FREE_BYTES`.
    pub fn check_free_space(&self) -> Result<(), JournalError> {
        self.check_free_space_above(MIN_FREE_BYTES)
    }

    /// As `check_free_space`, with the limit given.
    pub fn check_free_space_above(&self, needed: u64) -> Result<(), JournalError> {
        let stats = rustix::fs::statvfs(self.folder()).map_err(|error| {
            problem(
                &self.path,
                ProblemKind::Other,
                format!("cannot see how much room its disk has ({error})"),
            )
        })?;
        let free = stats.f_bavail.saturating_mul(stats.f_frsize);
        if free < needed {
            return Err(problem(
                &self.path,
                ProblemKind::DiskFull,
                format!(
                    "the disk is full ({} free): delete old files or fit a larger SD card; no new sale starts until there is room",
                    human_bytes(free)
                ),
            ));
        }
        Ok(())
    }
}

/// SQLite's connection to the file, set up for power cuts, checked and migrated.
fn connect(path: &Path) -> Result<Connection, JournalError> {
    let sqlite = |error: rusqlite::Error, doing: &str| {
        let kind = kind_of(&error);
        problem(path, kind, explain(kind, &format!("{doing} ({error})")))
    };
    let mut connection = Connection::open(path)
        .map_err(|error| sqlite(error, "cannot be opened; check [storage] path"))?;
    // WAL lets the history command read while a sale writes. synchronous=FULL makes every
    // commit reach the storage before the call returns: with WAL, NORMAL may lose the
    // last commits at a power cut, and the last commit may be "this sale is paid". A sale
    // writes a handful of rows, so the extra sync per commit costs nothing a cashier sees.
    connection
        .execute_batch(&format!(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             PRAGMA foreign_keys = ON;
             PRAGMA cache_size = -{PAGE_CACHE_KIB};"
        ))
        .map_err(|error| sqlite(error, "cannot be set up"))?;
    connection
        .busy_timeout(std::time::Duration::from_secs(5))
        .map_err(|error| sqlite(error, "cannot be set up"))?;
    // A file can open and still be damaged inside; quick_check reads every page once, which
    // for a journal of sales takes milliseconds.
    let check: String = connection
        .query_row("PRAGMA quick_check", [], |row| row.get(0))
        .map_err(|error| sqlite(error, "cannot be read"))?;
    if check != "ok" {
        return Err(problem(
            path,
            ProblemKind::Corrupt,
            explain(ProblemKind::Corrupt, &format!("is damaged ({check})")),
        ));
    }
    let migrations = Migrations::new(MIGRATIONS.iter().map(|sql| M::up(sql)).collect());
    migrations.to_latest(&mut connection).map_err(|error| match error {
        rusqlite_migration::Error::RusqliteError { err, .. } => {
            sqlite(err, "its schema cannot be brought up to date")
        }
        rusqlite_migration::Error::MigrationDefinition(
            MigrationDefinitionError::DatabaseTooFarAhead,
        ) => problem(
            path,
            ProblemKind::Other,
            "was written by a newer paycode-kiosk: install that version again, or move the file away to start a fresh journal".into(),
        ),
        other => problem(
            path,
            ProblemKind::Other,
            format!("its schema cannot be brought up to date ({other})"),
        ),
    })?;
    Ok(connection)
}

fn kind_of(error: &rusqlite::Error) -> ProblemKind {
    match error.sqlite_error_code() {
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => ProblemKind::Corrupt,
        Some(ErrorCode::DiskFull) => ProblemKind::DiskFull,
        _ => ProblemKind::Other,
    }
}

fn explain(kind: ProblemKind, what: &str) -> String {
    match kind {
        ProblemKind::Corrupt => format!("{what}: the file is damaged"),
        ProblemKind::DiskFull => {
            format!("{what}: the disk is full; delete old files or fit a larger SD card")
        }
        ProblemKind::Other => what.to_string(),
    }
}

fn problem(path: &Path, kind: ProblemKind, message: String) -> JournalError {
    JournalError {
        path: path.to_path_buf(),
        message,
        kind,
    }
}

/// `3.2 MB`, `512 KB`: free space as a technician reads it.
fn human_bytes(bytes: u64) -> String {
    match bytes {
        0..1_000_000 => format!("{} KB", bytes / 1000),
        _ => format!("{:.1} MB", bytes as f64 / 1e6),
    }
}
