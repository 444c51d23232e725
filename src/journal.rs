//! The durable record of every sale and every receipt owed, in SQLite. Each change is written
//! before the action it records (a sale's idempotency key before its first create, a paid
//! sale's owed receipt before printing), so a power cut never loses a paid sale nor makes a
//! second code for one sale.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, Row, params};

use crate::monime::{NewPaymentCode, ProcessedPayment};
use crate::order::Order;
use crate::sale::{CodeInfo, CodeShape, NewSale, Phase, SaleRecord};

mod backup;
mod closes;
mod figures;
mod open;
mod owner;
mod proof;
mod refund_books;
mod refunds;
mod restore;
mod settings;

pub use backup::{BACKUPS_KEPT, keep_daily_backups};
pub use closes::{Closing, DayClose, z_label};
pub use figures::JournalFigures;
pub use open::{MIN_FREE_BYTES, Opened};
pub use owner::{OwnerError, OwnerLock};
pub use proof::{MAX_PROOF_ASKS, PayerProof, ProofWanted};
pub use refund_books::RestoredRefund;
pub use refunds::{RefundBlocked, RefundBooks, RefundHistoryLine, StoredRefund};
pub use restore::Restored;

/// Whether a paid sale's receipt is still to be printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Receipt {
    /// To be printed once the sale is paid (every sale starts so, so that a power cut between
    /// "paid" and "print" still leaves the receipt owed).
    Owed,
    Printed,
    /// The terminal had no printer when the sale was paid.
    NoPrinter,
    /// A sale brought back from Monime (`reconcile --restore`): whether its receipt was printed
    /// went with the lost journal, so it is not owed again and a reprint says COPY.
    NotKnown,
}

impl Receipt {
    fn as_str(self) -> &'static str {
        match self {
            Receipt::Owed => "owed",
            Receipt::Printed => "printed",
            Receipt::NoPrinter => "no_printer",
            Receipt::NotKnown => "not_known",
        }
    }

    fn parse(text: &str) -> Option<Receipt> {
        [
            Receipt::Owed,
            Receipt::Printed,
            Receipt::NoPrinter,
            Receipt::NotKnown,
        ]
        .into_iter()
        .find(|receipt| receipt.as_str() == text)
    }
}

/// A sale as the journal holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSale {
    pub record: SaleRecord,
    pub terminal_id: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub receipt: Receipt,
    pub books: SaleBooks,
    /// Its items and tip; empty for a keyed sale.
    pub order: Order,
    /// What Monime's payment says of the payer, once found (paid sales only).
    pub proof: Option<PayerProof>,
}

#[cfg(test)]
impl StoredSale {
    /// `record` as the journal gives it back, for the tests of what reads the journal: made now
    /// on terminal T1, its receipt printed.
    pub(crate) fn for_test(record: SaleRecord) -> StoredSale {
        StoredSale {
            record,
            terminal_id: "T1".into(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
            receipt: Receipt::Printed,
            books: SaleBooks::default(),
            order: Order::default(),
            proof: None,
        }
    }
}

/// Where a sale stands in the shop's books.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SaleBooks {
    /// Who was signed in when it was started; `None` without `[[cashiers]]`.
    pub cashier: Option<String>,
    /// The day close (Z) that counted it; `None` until the next close after it settles.
    pub z_number: Option<i64>,
    /// Brought back from Monime by `reconcile --restore` after the journal lost it.
    pub restored: bool,
}

impl StoredSale {
    /// Paid with its receipt not yet printed.
    pub fn receipt_owed(&self) -> bool {
        self.record.phase == Phase::Paid && self.receipt == Receipt::Owed
    }
}

/// One line of a sale's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaleEvent {
    pub at: DateTime<Utc>,
    pub phase: Phase,
    pub detail: Option<String>,
}

#[derive(Debug, thiserror::Error)]
#[error("the sales journal {path}: {message}")]
pub struct JournalError {
    pub path: PathBuf,
    pub message: String,
    pub kind: ProblemKind,
}

/// What kind of trouble the journal is in, for what the terminal does about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProblemKind {
    #[default]
    Other,
    /// SQLite cannot read the file as a database: it is moved aside and a fresh one started.
    Corrupt,
    /// No room left on its disk: nothing new is started until there is.
    DiskFull,
}

/// The journal. Clones share one connection.
#[derive(Debug, Clone)]
pub struct Journal {
    connection: Arc<Mutex<Connection>>,
    path: PathBuf,
}

/// The next number for a row of `table` (numbered by its AUTOINCREMENT `column`): never one
/// given before, even if rows were removed by hand, as sqlite_sequence keeps the highest used.
fn next_number(
    transaction: &rusqlite::Transaction<'_>,
    table: &str,
    column: &str,
) -> rusqlite::Result<i64> {
    transaction.query_row(
        &format!(
            "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = '{table}'), 0),
                        COALESCE((SELECT MAX({column}) FROM {table}), 0)) + 1"
        ),
        [],
        |row| row.get(0),
    )
}

impl Journal {
    /// Runs `call` on a blocking thread and awaits it: SQLite waits for the disk, and the async
    /// workers that run sales and the screen's errands must not. Every async caller goes
    /// through here.
    pub async fn call<T: Send + 'static>(
        &self,
        call: impl FnOnce(&Journal) -> Result<T, JournalError> + Send + 'static,
    ) -> Result<T, JournalError> {
        let journal = self.clone();
        tokio::task::spawn_blocking(move || call(&journal))
            .await
            .unwrap_or_else(|error| {
                Err(JournalError {
                    path: self.path.clone(),
                    message: format!("the journal task stopped: {error}"),
                    kind: ProblemKind::Other,
                })
            })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The folder the journal is in (a bare file name is in the current folder).
    pub fn folder(&self) -> &Path {
        self.path
            .parent()
            .filter(|folder| !folder.as_os_str().is_empty())
            .unwrap_or_else(|| Path::new("."))
    }

    /// Records a new sale with its idempotency key before anything is sent to Monime: the sale
    /// as it was asked for, and its create request as `shape` makes it for the number the
    /// journal gives.
    pub fn begin_sale(
        &self,
        idempotency_key: &str,
        now: DateTime<Utc>,
        shape: &CodeShape,
        sale: &NewSale,
    ) -> Result<SaleRecord, JournalError> {
        let mut connection = self.lock();
        // IMMEDIATE takes the write lock first, so the number read here is still free when the
        // sale is inserted under it, in one write with its real amount and request.
        let transaction = connection
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| self.error(e))?;
        let time = timestamp(now);
        let number = next_number(&transaction, "sales", "id").map_err(|e| self.error(e))?;
        let request = shape.request_for(number, sale);
        let order = &sale.order;
        let request_json = serde_json::to_string(&request).map_err(|e| self.error(e))?;
        let order_json = (!order.is_plain())
            .then(|| serde_json::to_string(&order))
            .transpose()
            .map_err(|e| self.error(e))?;
        transaction
            .execute(
                "INSERT INTO sales (id, terminal_id, created_at, updated_at, amount_minor, currency,
                                    idempotency_key, request_json, phase, cashier, order_json)
                 VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    number,
                    shape.terminal_id,
                    time,
                    request.amount.minor,
                    request.amount.currency.code(),
                    idempotency_key,
                    request_json,
                    Phase::CreatingCode.as_str(),
                    sale.cashier,
                    order_json,
                ],
            )
            .map_err(|e| self.error(e))?;
        insert_event(
            &transaction,
            number,
            &time,
            Phase::CreatingCode,
            Some("sale started"),
        )
        .map_err(|e| self.error(e))?;
        transaction.commit().map_err(|e| self.error(e))?;
        Ok(SaleRecord::new(
            number,
            idempotency_key.to_string(),
            request,
        ))
    }

    /// Writes a sale's new state, with a line in its history.
    pub fn save(
        &self,
        record: &SaleRecord,
        now: DateTime<Utc>,
        detail: Option<&str>,
    ) -> Result<(), JournalError> {
        let mut connection = self.lock();
        let transaction = connection.transaction().map_err(|e| self.error(e))?;
        let time = timestamp(now);
        let code = record.code.as_ref();
        let payment_json = record
            .payment
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| self.error(e))?;
        let changed = transaction
            .execute(
                "UPDATE sales SET updated_at = ?2, phase = ?3, code_id = ?4, ussd_code = ?5,
                        expire_time = ?6, cancel_requested = ?7, payment_json = ?8, failure = ?9
                 WHERE id = ?1",
                params![
                    record.number,
                    time,
                    record.phase.as_str(),
                    code.map(|c| c.id.as_str()),
                    code.map(|c| c.ussd_code.as_str()),
                    code.and_then(|c| c.expire_time).map(timestamp),
                    record.cancel_requested,
                    payment_json,
                    record.failure,
                ],
            )
            .map_err(|e| self.error(e))?;
        if changed != 1 {
            return Err(self.error(format!("sale {} is not in the journal", record.number)));
        }
        insert_event(&transaction, record.number, &time, record.phase, detail)
            .map_err(|e| self.error(e))?;
        transaction.commit().map_err(|e| self.error(e))
    }

    pub fn set_receipt(&self, number: i64, receipt: Receipt) -> Result<(), JournalError> {
        self.lock()
            .execute(
                "UPDATE sales SET receipt = ?2 WHERE id = ?1",
                params![number, receipt.as_str()],
            )
            .map_err(|e| self.error(e))
            .map(|_| ())
    }

    /// Sales not yet settled, and paid sales whose receipt is owed, oldest first.
    pub fn unsettled(&self) -> Result<Vec<StoredSale>, JournalError> {
        self.query(
            &format!(
                "SELECT {COLUMNS} FROM sales
                 WHERE phase NOT IN ({}) OR (phase = 'paid' AND receipt = 'owed')
                 ORDER BY id",
                closes::settled_phases()
            ),
            params![],
        )
    }

    /// Paid sales whose receipt is still to be printed, oldest first.
    pub fn owed_receipts(&self) -> Result<Vec<StoredSale>, JournalError> {
        self.query(
            &format!(
                "SELECT {COLUMNS} FROM sales WHERE phase = 'paid' AND receipt = 'owed' ORDER BY id"
            ),
            params![],
        )
    }

    /// The newest paid sale.
    pub fn last_paid(&self) -> Result<Option<StoredSale>, JournalError> {
        Ok(self
            .query(
                &format!(
                    "SELECT {COLUMNS} FROM sales WHERE phase = 'paid' ORDER BY id DESC LIMIT 1"
                ),
                params![],
            )?
            .pop())
    }

    /// When the sale was seen paid: the time on the receipt.
    pub fn paid_at(&self, number: i64) -> Result<Option<DateTime<Utc>>, JournalError> {
        Ok(self
            .events(number)?
            .into_iter()
            .find(|event| event.phase == Phase::Paid)
            .map(|event| event.at))
    }

    /// The newest `limit` sales, newest first.
    pub fn recent(&self, limit: usize) -> Result<Vec<StoredSale>, JournalError> {
        self.query(
            &format!("SELECT {COLUMNS} FROM sales ORDER BY id DESC LIMIT ?1"),
            params![limit as i64],
        )
    }

    /// Sales started between two times, oldest first.
    pub fn between(
        &self,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<StoredSale>, JournalError> {
        self.query(
            &format!(
                "SELECT {COLUMNS} FROM sales WHERE created_at >= ?1 AND created_at < ?2 ORDER BY id"
            ),
            params![timestamp(from), timestamp(until)],
        )
    }

    /// The sale paid (or to be paid) with the code `code_id`, if the journal has it.
    pub fn sale_by_code(&self, code_id: &str) -> Result<Option<StoredSale>, JournalError> {
        Ok(self
            .query(
                &format!("SELECT {COLUMNS} FROM sales WHERE code_id = ?1 ORDER BY id LIMIT 1"),
                params![code_id],
            )?
            .pop())
    }

    pub fn sale(&self, number: i64) -> Result<Option<StoredSale>, JournalError> {
        Ok(self
            .query(
                &format!("SELECT {COLUMNS} FROM sales WHERE id = ?1"),
                params![number],
            )?
            .pop())
    }

    /// A sale's history, oldest first.
    pub fn events(&self, number: i64) -> Result<Vec<SaleEvent>, JournalError> {
        self.history(
            "SELECT at, phase, detail FROM sale_events WHERE sale_id = ?1 ORDER BY id",
            number,
            |at, phase, detail| {
                Some(SaleEvent {
                    at,
                    phase: Phase::parse(phase)?,
                    detail,
                })
            },
        )
    }

    /// The rows (time, phase, detail) of one sale's or refund's history, oldest first, each made
    /// by `event`, which gives `None` for a phase it does not know.
    pub(crate) fn history<T>(
        &self,
        sql: &str,
        number: i64,
        event: impl Fn(DateTime<Utc>, &str, Option<String>) -> Option<T>,
    ) -> Result<Vec<T>, JournalError> {
        let connection = self.lock();
        let mut statement = connection.prepare(sql).map_err(|e| self.error(e))?;
        let rows = statement
            .query_map(params![number], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, Option<String>>(2)?,
                ))
            })
            .map_err(|e| self.error(e))?;
        let mut events = Vec::new();
        for row in rows {
            let (at, phase, detail) = row.map_err(|e| self.error(e))?;
            let at = parse_time(&at).map_err(|e| self.error(e))?;
            events.push(
                event(at, &phase, detail)
                    .ok_or_else(|| self.error(format!("unknown phase {phase}")))?,
            );
        }
        Ok(events)
    }

    fn query(
        &self,
        sql: &str,
        parameters: &[&dyn rusqlite::ToSql],
    ) -> Result<Vec<StoredSale>, JournalError> {
        let connection = self.lock();
        let mut statement = connection.prepare(sql).map_err(|e| self.error(e))?;
        let rows = statement
            .query_map(parameters, |row| Ok(read_row(row)))
            .map_err(|e| self.error(e))?;
        let mut sales = Vec::new();
        for row in rows {
            let sale = row.map_err(|e| self.error(e))?.map_err(|e| self.error(e))?;
            sales.push(sale);
        }
        Ok(sales)
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while the lock was held cannot leave SQLite half-written: transactions
        // roll back on drop, so the connection is still good to use.
        crate::sync::lock(&self.connection)
    }

    fn error(&self, error: impl std::fmt::Display) -> JournalError {
        JournalError {
            path: self.path.clone(),
            message: error.to_string(),
            kind: ProblemKind::Other,
        }
    }
}

const COLUMNS: &str = "id, terminal_id, created_at, updated_at, idempotency_key, request_json, \
                       phase, code_id, ussd_code, expire_time, cancel_requested, payment_json, \
                       failure, receipt, cashier, z_number, restored, order_json, proof_json";

fn read_row(row: &Row<'_>) -> Result<StoredSale, String> {
    let get_text = |index: usize| row.get::<_, String>(index).map_err(|e| e.to_string());
    let get_optional = |index: usize| {
        row.get::<_, Option<String>>(index)
            .map_err(|e| e.to_string())
    };
    let number: i64 = row.get(0).map_err(|e| e.to_string())?;
    let bad = |what: &str| format!("sale {number} has {what}");
    let request: NewPaymentCode = serde_json::from_str(&get_text(5)?)
        .map_err(|error| bad(&format!("an unreadable request ({error})")))?;
    let phase_text = get_text(6)?;
    let phase =
        Phase::parse(&phase_text).ok_or_else(|| bad(&format!("unknown phase {phase_text}")))?;
    let code = match (get_optional(7)?, get_optional(8)?) {
        (Some(id), ussd) => Some(CodeInfo {
            id,
            ussd_code: ussd.unwrap_or_default(),
            expire_time: get_optional(9)?.map(|text| parse_time(&text)).transpose()?,
        }),
        (None, _) => None,
    };
    let payment: Option<ProcessedPayment> = get_optional(11)?
        .map(|json| serde_json::from_str(&json))
        .transpose()
        .map_err(|error| bad(&format!("unreadable payment data ({error})")))?;
    let receipt_text = get_text(13)?;
    Ok(StoredSale {
        record: SaleRecord {
            number,
            idempotency_key: get_text(4)?,
            request,
            phase,
            code,
            cancel_requested: row.get(10).map_err(|e| e.to_string())?,
            payment,
            failure: get_optional(12)?,
        },
        terminal_id: get_text(1)?,
        created_at: parse_time(&get_text(2)?)?,
        updated_at: parse_time(&get_text(3)?)?,
        receipt: Receipt::parse(&receipt_text)
            .ok_or_else(|| bad(&format!("unknown receipt state {receipt_text}")))?,
        books: SaleBooks {
            cashier: get_optional(14)?,
            z_number: row.get(15).map_err(|e| e.to_string())?,
            restored: row.get(16).map_err(|e| e.to_string())?,
        },
        order: get_optional(17)?
            .map(|json| serde_json::from_str(&json))
            .transpose()
            .map_err(|error| bad(&format!("an unreadable order ({error})")))?
            .unwrap_or_default(),
        // A proof that cannot be read is only lost proof: the sale itself still reads.
        proof: get_optional(18)?.and_then(|json| serde_json::from_str(&json).ok()),
    })
}

fn insert_event(
    transaction: &rusqlite::Transaction<'_>,
    number: i64,
    time: &str,
    phase: Phase,
    detail: Option<&str>,
) -> rusqlite::Result<usize> {
    transaction.execute(
        "INSERT INTO sale_events (sale_id, at, phase, detail) VALUES (?1, ?2, ?3, ?4)",
        params![number, time, phase.as_str(), detail],
    )
}

/// Times are stored as RFC 3339 in UTC with milliseconds, which also sort as text.
fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|error| format!("an unreadable time \"{text}\" ({error})"))
}

#[cfg(test)]
mod tests;
