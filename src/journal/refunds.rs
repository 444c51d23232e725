//! Refunds in the journal: money sent back to a paid sale's payer as a Monime payout. A refund
//! is numbered and written with its idempotency key before its payout is first sent, in one
//! write that also applies the limits (`refund::RefundStanding`) to what the journal holds at
//! that moment, so two refunds asked at once cannot both pass a limit. Every change after is
//! written with a line in its history, as a sale's is.
//!
//! The payer's full number is kept only in the payout's create (`request_json`), which a
//! re-send after a lost answer must repeat byte for byte; it is emptied once the refund is
//! settled. Screens, receipts and lists use the masked `phone_shown`.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Row, TransactionBehavior, params};

use super::{
    COLUMNS, Journal, JournalError, Receipt, StoredSale, next_number, parse_time, read_row,
    timestamp,
};
use crate::money::{Currency, Money};
use crate::monime::{NewPayout, PayoutFailureCode, PayoutStatus};
use crate::refund::{
    LimitRefusal, NewRefund, PayoutSeen, RefundFailure, RefundPhase, RefundRecord, RefundStanding,
    Refunder,
};
use crate::sale::Phase;

/// A refund as the journal holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRefund {
    pub record: RefundRecord,
    pub terminal_id: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub refunder: Refunder,
    /// The name the provider gave for the number when the refund was confirmed.
    pub holder_name: Option<String>,
    pub receipt: Receipt,
    pub books: RefundBooks,
}

/// Where a refund stands in the shop's books.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RefundBooks {
    /// The day close (Z) that counted it; `None` until the next close after it settles.
    pub z_number: Option<i64>,
    /// Brought back from Monime's payouts by `reconcile --restore`.
    pub restored: bool,
}

#[cfg(test)]
impl StoredRefund {
    /// `record` as the journal gives it back, for the tests of what reads the journal: made now
    /// on terminal T1 by the admin, its receipt printed, in no close yet.
    pub(crate) fn for_test(record: RefundRecord) -> StoredRefund {
        StoredRefund {
            record,
            terminal_id: "T1".into(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
            refunder: Refunder::Admin,
            holder_name: None,
            receipt: Receipt::Printed,
            books: RefundBooks::default(),
        }
    }
}

impl StoredRefund {
    /// Completed with its receipt not yet printed.
    pub fn receipt_owed(&self) -> bool {
        self.record.phase == RefundPhase::Completed && self.receipt == Receipt::Owed
    }
}

/// One line of a refund's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundHistoryLine {
    pub at: DateTime<Utc>,
    pub phase: RefundPhase,
    pub detail: Option<String>,
}

/// Why the journal did not write a refund: nothing was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefundBlocked {
    #[error("there is no sale {0} in the journal")]
    NoSuchSale(i64),
    #[error("sale {sale} was not paid ({}), so there is nothing to send back", .phase.label())]
    NotPaid { sale: i64, phase: Phase },
    #[error(transparent)]
    Limit(#[from] LimitRefusal),
}

const REFUND_COLUMNS: &str = "id, sale_id, terminal_id, created_at, updated_at, amount_minor, \
    currency, provider_id, phone_shown, holder_name, idempotency_key, request_json, cashier, \
    phase, sent_at, payout_id, monime_status, fee_minor, fee_currency, failure_code, \
    failure_message, transaction_reference, receipt, z_number, restored";

impl Journal {
    /// Where sale `sale` and the refunds of the day from `day.0` to `day.1` stand: the sale
    /// as stored, and what its refunds and the day's hold. `None` without such a sale.
    pub fn refund_standing(
        &self,
        sale: i64,
        day: (DateTime<Utc>, DateTime<Utc>),
    ) -> Result<Option<(StoredSale, RefundStanding)>, JournalError> {
        let connection = self.lock();
        standing(&connection, sale, day).map_err(|e| self.error(e))
    }

    /// Records refund `new` under `idempotency_key` before anything is sent, if the sale is
    /// paid and the amount within what is left of it and of the day's `daily_limit_minor`
    /// (the day from `day.0` to `day.1`); returns its record, or why it was not written.
    pub fn begin_refund(
        &self,
        idempotency_key: &str,
        now: DateTime<Utc>,
        new: &NewRefund,
        daily_limit_minor: i64,
        day: (DateTime<Utc>, DateTime<Utc>),
    ) -> Result<Result<RefundRecord, RefundBlocked>, JournalError> {
        let mut connection = self.lock();
        // IMMEDIATE takes the write lock first: nothing settles or starts between reading the
        // totals and writing the refund under them.
        let transaction = connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| self.error(e))?;
        let Some((sale, standing)) =
            standing(&transaction, new.sale, day).map_err(|e| self.error(e))?
        else {
            return Ok(Err(RefundBlocked::NoSuchSale(new.sale)));
        };
        if sale.record.phase != Phase::Paid {
            return Ok(Err(RefundBlocked::NotPaid {
                sale: new.sale,
                phase: sale.record.phase,
            }));
        }
        if let Err(refusal) = standing.check(new.amount, daily_limit_minor) {
            return Ok(Err(refusal.into()));
        }
        let number = next_number(&transaction, "refunds", "id").map_err(|e| self.error(e))?;
        let request = new.payout_request(number, idempotency_key);
        let request_json = serde_json::to_string(&request).map_err(|e| self.error(e))?;
        let time = timestamp(now);
        let phone_shown = new.phone.shown();
        transaction
            .execute(
                "INSERT INTO refunds (id, sale_id, terminal_id, created_at, updated_at,
                                      amount_minor, currency, provider_id, phone_shown,
                                      holder_name, idempotency_key, request_json, cashier, phase)
                 VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                params![
                    number,
                    new.sale,
                    new.terminal_id,
                    time,
                    new.amount.minor,
                    new.amount.currency.code(),
                    new.provider_id,
                    phone_shown,
                    new.holder_name,
                    idempotency_key,
                    request_json,
                    new.refunder.cashier(),
                    RefundPhase::Written.as_str(),
                ],
            )
            .map_err(|e| self.error(e))?;
        insert_refund_event(
            &transaction,
            number,
            &time,
            RefundPhase::Written,
            Some("refund written"),
        )
        .map_err(|e| self.error(e))?;
        transaction.commit().map_err(|e| self.error(e))?;
        Ok(Ok(RefundRecord {
            number,
            sale: new.sale,
            idempotency_key: idempotency_key.to_string(),
            amount: new.amount,
            provider_id: new.provider_id.clone(),
            phone_shown,
            request: Some(request),
            phase: RefundPhase::Written,
            sent_at: None,
            payout: None,
            failure: None,
        }))
    }

    /// Writes a refund's new state, with a line in its history.
    pub fn save_refund(
        &self,
        record: &RefundRecord,
        now: DateTime<Utc>,
        detail: Option<&str>,
    ) -> Result<(), JournalError> {
        let mut connection = self.lock();
        let transaction = connection.transaction().map_err(|e| self.error(e))?;
        let time = timestamp(now);
        let request_json = record
            .request
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| self.error(e))?;
        let payout = record.payout.as_ref();
        let fee = payout.and_then(|payout| payout.fee);
        let failure = record.failure.as_ref();
        let changed = transaction
            .execute(
                "UPDATE refunds SET updated_at = ?2, phase = ?3, sent_at = ?4, request_json = ?5,
                        payout_id = ?6, monime_status = ?7, fee_minor = ?8, fee_currency = ?9,
                        failure_code = ?10, failure_message = ?11, transaction_reference = ?12
                 WHERE id = ?1",
                params![
                    record.number,
                    time,
                    record.phase.as_str(),
                    record.sent_at.map(timestamp),
                    request_json,
                    payout.map(|payout| payout.id.as_str()),
                    payout.map(|payout| payout.status.as_str()),
                    fee.map(|fee| fee.minor),
                    fee.map(|fee| fee.currency.code()),
                    failure
                        .and_then(|failure| failure.code.as_ref())
                        .map(PayoutFailureCode::as_str),
                    failure.and_then(|failure| failure.message.as_deref()),
                    payout.and_then(|payout| payout.reference.as_deref()),
                ],
            )
            .map_err(|e| self.error(e))?;
        if changed != 1 {
            return Err(self.error(format!("refund {} is not in the journal", record.number)));
        }
        insert_refund_event(&transaction, record.number, &time, record.phase, detail)
            .map_err(|e| self.error(e))?;
        transaction.commit().map_err(|e| self.error(e))
    }

    pub fn set_refund_receipt(&self, number: i64, receipt: Receipt) -> Result<(), JournalError> {
        self.lock()
            .execute(
                "UPDATE refunds SET receipt = ?2 WHERE id = ?1",
                params![number, receipt.as_str()],
            )
            .map_err(|e| self.error(e))
            .map(|_| ())
    }

    pub fn refund(&self, number: i64) -> Result<Option<StoredRefund>, JournalError> {
        Ok(self.refunds_where("id = ?1", params![number])?.pop())
    }

    /// Refunds not yet settled, and completed ones whose receipt is owed, oldest first.
    pub fn unsettled_refunds(&self) -> Result<Vec<StoredRefund>, JournalError> {
        self.refunds_where(
            &format!(
                "phase NOT IN ({}) OR (phase = 'completed' AND receipt = 'owed')",
                RefundPhase::final_sql()
            ),
            params![],
        )
    }

    /// Completed refunds whose receipt is still to be printed, oldest first.
    pub fn owed_refund_receipts(&self) -> Result<Vec<StoredRefund>, JournalError> {
        self.refunds_where("phase = 'completed' AND receipt = 'owed'", params![])
    }

    /// The refunds of sale `sale`, oldest first.
    pub fn refunds_of_sale(&self, sale: i64) -> Result<Vec<StoredRefund>, JournalError> {
        self.refunds_where("sale_id = ?1", params![sale])
    }

    /// Refunds written between two times, oldest first.
    pub fn refunds_between(
        &self,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<StoredRefund>, JournalError> {
        self.refunds_where(
            "created_at >= ?1 AND created_at < ?2",
            params![timestamp(from), timestamp(until)],
        )
    }

    /// What Monime charged the newest completed refund in `currency` that it said a fee for.
    pub fn last_refund_fee(&self, currency: Currency) -> Result<Option<Money>, JournalError> {
        self.lock()
            .query_row(
                "SELECT fee_minor FROM refunds
                 WHERE phase = 'completed' AND fee_minor IS NOT NULL AND fee_currency = ?1
                 ORDER BY id DESC LIMIT 1",
                params![currency.code()],
                |row| row.get::<_, i64>(0),
            )
            .optional()
            .map(|fee| fee.map(|minor| Money::new(currency, minor)))
            .map_err(|e| self.error(e))
    }

    /// A refund's history, oldest first.
    pub fn refund_events(&self, number: i64) -> Result<Vec<RefundHistoryLine>, JournalError> {
        self.history(
            "SELECT at, phase, detail FROM refund_events WHERE refund_id = ?1 ORDER BY id",
            number,
            |at, phase, detail| {
                Some(RefundHistoryLine {
                    at,
                    phase: RefundPhase::parse(phase)?,
                    detail,
                })
            },
        )
    }

    pub(super) fn refunds_where(
        &self,
        condition: &str,
        parameters: &[&dyn rusqlite::ToSql],
    ) -> Result<Vec<StoredRefund>, JournalError> {
        let connection = self.lock();
        let mut statement = connection
            .prepare(&format!(
                "SELECT {REFUND_COLUMNS} FROM refunds WHERE {condition} ORDER BY id"
            ))
            .map_err(|e| self.error(e))?;
        let rows = statement
            .query_map(parameters, |row| Ok(read_refund(row)))
            .map_err(|e| self.error(e))?;
        let mut refunds = Vec::new();
        for row in rows {
            refunds.push(row.map_err(|e| self.error(e))?.map_err(|e| self.error(e))?);
        }
        Ok(refunds)
    }
}

/// Sale `sale` and what its refunds and the day's hold, read on `connection` (inside the
/// caller's transaction, when it has one).
pub(super) fn standing(
    connection: &rusqlite::Connection,
    sale: i64,
    (from, until): (DateTime<Utc>, DateTime<Utc>),
) -> Result<Option<(StoredSale, RefundStanding)>, String> {
    let stored = connection
        .query_row(
            &format!("SELECT {COLUMNS} FROM sales WHERE id = ?1"),
            params![sale],
            |row| Ok(read_row(row)),
        )
        .optional()
        .map_err(|e| e.to_string())?
        .transpose()?;
    let Some(stored) = stored else {
        return Ok(None);
    };
    let paid = stored.record.paid_amount();
    let holding = RefundPhase::holding_money_sql();
    let sum = |sql: String, parameters: &[&dyn rusqlite::ToSql]| {
        connection
            .query_row(&sql, parameters, |row| row.get::<_, i64>(0))
            .map_err(|e| e.to_string())
    };
    let refunded_minor = sum(
        format!(
            "SELECT COALESCE(SUM(amount_minor), 0) FROM refunds
             WHERE sale_id = ?1 AND currency = ?2 AND phase IN ({holding})"
        ),
        params![sale, paid.currency.code()],
    )?;
    let day_refunded_minor = sum(
        format!(
            "SELECT COALESCE(SUM(amount_minor), 0) FROM refunds
             WHERE created_at >= ?1 AND created_at < ?2 AND currency = ?3
               AND phase IN ({holding})"
        ),
        params![timestamp(from), timestamp(until), paid.currency.code()],
    )?;
    Ok(Some((
        stored,
        RefundStanding {
            paid,
            refunded_minor,
            day_refunded_minor,
        },
    )))
}

fn read_refund(row: &Row<'_>) -> Result<StoredRefund, String> {
    let get_text = |index: usize| row.get::<_, String>(index).map_err(|e| e.to_string());
    let get_optional = |index: usize| {
        row.get::<_, Option<String>>(index)
            .map_err(|e| e.to_string())
    };
    let get_number = |index: usize| row.get::<_, Option<i64>>(index).map_err(|e| e.to_string());
    let number: i64 = row.get(0).map_err(|e| e.to_string())?;
    let bad = |what: &str| format!("refund {number} has {what}");
    let currency = |text: String| -> Result<Currency, String> {
        text.parse()
            .map_err(|error| bad(&format!("an unreadable currency ({error})")))
    };
    let amount = Money::new(
        currency(get_text(6)?)?,
        row.get(5).map_err(|e| e.to_string())?,
    );
    let request: Option<NewPayout> = get_optional(11)?
        .map(|json| serde_json::from_str(&json))
        .transpose()
        .map_err(|error| bad(&format!("an unreadable request ({error})")))?;
    let phase_text = get_text(13)?;
    let phase = RefundPhase::parse(&phase_text)
        .ok_or_else(|| bad(&format!("unknown phase {phase_text}")))?;
    let fee = match (get_number(17)?, get_optional(18)?) {
        (Some(minor), Some(code)) => Some(Money::new(currency(code)?, minor)),
        _ => None,
    };
    let payout = match get_optional(15)? {
        Some(id) => Some(PayoutSeen {
            id,
            status: get_optional(16)?
                .and_then(|text| text.parse::<PayoutStatus>().ok())
                .unwrap_or(PayoutStatus::Unknown),
            fee,
            reference: get_optional(21)?,
        }),
        None => None,
    };
    let failure_code = get_optional(19)?.map(|code| PayoutFailureCode::parse(&code));
    let failure_message = get_optional(20)?;
    let failure = (failure_code.is_some() || failure_message.is_some()).then_some(RefundFailure {
        code: failure_code,
        message: failure_message,
    });
    let receipt_text = get_text(22)?;
    Ok(StoredRefund {
        record: RefundRecord {
            number,
            sale: row.get(1).map_err(|e| e.to_string())?,
            idempotency_key: get_text(10)?,
            amount,
            provider_id: get_text(7)?,
            phone_shown: get_text(8)?,
            request,
            phase,
            sent_at: get_optional(14)?
                .map(|text| parse_time(&text))
                .transpose()?,
            payout,
            failure,
        },
        terminal_id: get_text(2)?,
        created_at: parse_time(&get_text(3)?)?,
        updated_at: parse_time(&get_text(4)?)?,
        refunder: match get_optional(12)? {
            Some(cashier) => Refunder::Cashier(cashier),
            None => Refunder::Admin,
        },
        holder_name: get_optional(9)?,
        receipt: Receipt::parse(&receipt_text)
            .ok_or_else(|| bad(&format!("unknown receipt state {receipt_text}")))?,
        books: RefundBooks {
            z_number: get_number(23)?,
            restored: row.get(24).map_err(|e| e.to_string())?,
        },
    })
}

pub(super) fn insert_refund_event(
    transaction: &rusqlite::Transaction<'_>,
    number: i64,
    time: &str,
    phase: RefundPhase,
    detail: Option<&str>,
) -> rusqlite::Result<usize> {
    transaction.execute(
        "INSERT INTO refund_events (refund_id, at, phase, detail) VALUES (?1, ?2, ?3, ?4)",
        params![number, time, phase.as_str(), detail],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monime::ProcessedPayment;
    use crate::refund::FullNumber;
    use crate::sale::{CodeShape, NewSale};

    fn day() -> (DateTime<Utc>, DateTime<Utc>) {
        let now = Utc::now();
        (
            now - chrono::Duration::hours(1),
            now + chrono::Duration::hours(1),
        )
    }

    fn paid_sale(journal: &Journal, minor: i64) -> i64 {
        let now = Utc::now();
        let shape = CodeShape::new("Shop sale {sale}", "T1");
        let sale = NewSale::of(Money::new(Currency::Sle, minor));
        let key = uuid::Uuid::new_v4().to_string();
        let mut record = journal.begin_sale(&key, now, &shape, &sale).expect("begin");
        record.phase = Phase::Paid;
        record.payment = Some(ProcessedPayment::default());
        journal.save(&record, now, Some("paid")).expect("save");
        record.number
    }

    fn new_refund(sale: i64, minor: i64) -> NewRefund {
        NewRefund {
            sale,
            amount: Money::new(Currency::Sle, minor),
            provider_id: "m17".into(),
            phone: FullNumber::parse("076123456").expect("number"),
            holder_name: Some("AMINATA KAMARA".into()),
            refunder: Refunder::Cashier("Aminata".into()),
            terminal_id: "T1".into(),
            source_account: None,
        }
    }

    fn open() -> (tempfile::TempDir, Journal) {
        let dir = tempfile::tempdir().expect("tempdir");
        let journal = Journal::open(&dir.path().join("journal.sqlite")).expect("open");
        (dir, journal)
    }

    #[test]
    fn a_refund_is_written_whole_before_it_is_sent_and_read_back() {
        let (_dir, journal) = open();
        let sale = paid_sale(&journal, 1000);
        let record = journal
            .begin_refund("key-1", Utc::now(), &new_refund(sale, 400), 5000, day())
            .expect("journal")
            .expect("written");
        assert_eq!(record.phase, RefundPhase::Written);
        let request = record.request.clone().expect("the create");
        assert_eq!(request.phone_number, "+23276123456");
        let stored = journal.refund(record.number).expect("read").expect("there");
        assert_eq!(stored.record, record);
        assert_eq!(stored.refunder, Refunder::Cashier("Aminata".into()));
        assert_eq!(stored.record.phone_shown, "076 ··· 456");
        assert_eq!(journal.unsettled_refunds().expect("read").len(), 1);

        let mut done = record.clone();
        done.phase = RefundPhase::Completed;
        done.sent_at = Some(Utc::now());
        done.request = None;
        done.payout = Some(PayoutSeen {
            id: "pyt-1".into(),
            status: PayoutStatus::Completed,
            fee: Some(Money::new(Currency::Sle, 50)),
            reference: Some("CI1".into()),
        });
        journal
            .save_refund(&done, Utc::now(), Some("Refunded"))
            .expect("save");
        let stored = journal.refund(done.number).expect("read").expect("there");
        assert!(stored.record.request.is_none(), "the full number is gone");
        assert_eq!(stored.record.payout, done.payout);
        assert!(stored.receipt_owed());
        assert_eq!(
            journal.last_refund_fee(Currency::Sle).expect("read"),
            Some(Money::new(Currency::Sle, 50))
        );
        journal
            .set_refund_receipt(done.number, Receipt::Printed)
            .expect("printed");
        assert!(journal.unsettled_refunds().expect("read").is_empty());
        let phases: Vec<RefundPhase> = journal
            .refund_events(done.number)
            .expect("events")
            .iter()
            .map(|event| event.phase)
            .collect();
        assert_eq!(phases, [RefundPhase::Written, RefundPhase::Completed]);
        let raw: Option<String> = journal
            .lock()
            .query_row("SELECT request_json FROM refunds", [], |row| row.get(0))
            .expect("raw");
        assert_eq!(raw, None);
    }

    #[test]
    fn the_limits_hold_at_the_moment_of_writing() {
        let (_dir, journal) = open();
        let sale = paid_sale(&journal, 1000);
        let begin = |key: &str, minor: i64, limit: i64| {
            journal
                .begin_refund(key, Utc::now(), &new_refund(sale, minor), limit, day())
                .expect("journal")
        };
        let first = begin("k1", 600, 5000).expect("first");
        assert!(matches!(
            begin("k2", 401, 5000),
            Err(RefundBlocked::Limit(LimitRefusal::MoreThanPaid { .. }))
        ));
        assert!(matches!(
            begin("k3", 400, 900),
            Err(RefundBlocked::Limit(LimitRefusal::OverDailyLimit { .. }))
        ));
        // A failed refund frees its money.
        let mut failed = first;
        failed.phase = RefundPhase::Failed;
        failed.request = None;
        journal
            .save_refund(&failed, Utc::now(), None)
            .expect("save");
        begin("k4", 1000, 5000).expect("the whole sale again");
        assert!(matches!(
            begin("k5", 1, 5000),
            Err(RefundBlocked::Limit(LimitRefusal::NothingLeft { .. }))
        ));
        assert_eq!(
            journal
                .begin_refund("k6", Utc::now(), &new_refund(99, 1), 5000, day())
                .expect("journal"),
            Err(RefundBlocked::NoSuchSale(99))
        );
        let (stored, standing) = journal
            .refund_standing(sale, day())
            .expect("read")
            .expect("the sale");
        assert_eq!(stored.record.number, sale);
        assert_eq!(standing.refunded_minor, 1000);
        assert_eq!(standing.day_refunded_minor, 1000);
        let before = (
            day().0 - chrono::Duration::days(2),
            day().0 - chrono::Duration::days(1),
        );
        let (_, yesterday) = journal
            .refund_standing(sale, before)
            .expect("read")
            .expect("the sale");
        assert_eq!(yesterday.day_refunded_minor, 0);
    }

    #[test]
    fn an_unpaid_sale_is_not_refunded() {
        let (_dir, journal) = open();
        let shape = CodeShape::new("Shop sale {sale}", "T1");
        let sale = NewSale::of(Money::new(Currency::Sle, 500));
        let record = journal
            .begin_sale("sale-key", Utc::now(), &shape, &sale)
            .expect("begin");
        let blocked = journal
            .begin_refund(
                "k",
                Utc::now(),
                &new_refund(record.number, 100),
                5000,
                day(),
            )
            .expect("journal");
        assert!(
            matches!(blocked, Err(RefundBlocked::NotPaid { .. })),
            "{blocked:?}"
        );
    }
}
