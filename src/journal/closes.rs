//! The day closes (Z) in the journal: each takes the next Z number, never reused, and claims
//! every settled sale and settled refund no earlier close counted, in one write, so a power cut
//! leaves either the whole close or none of it. A day is closed at most once.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{OptionalExtension, Row, TransactionBehavior, params};

use super::{COLUMNS, Journal, JournalError, StoredSale, next_number, parse_time, timestamp};
use crate::refund::RefundPhase;
use crate::sale::Phase;

/// One numbered day close as the journal holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayClose {
    /// Z 0001, Z 0002 …: in sequence, never reused.
    pub number: i64,
    /// The local day it closes.
    pub business_date: NaiveDate,
    pub closed_at: DateTime<Utc>,
    /// What the check against Monime found before the close, as printed; `None` when it could
    /// not be made.
    pub monime_check: Option<String>,
}

impl DayClose {
    /// `Z 0007`.
    pub fn label(&self) -> String {
        z_label(self.number)
    }
}

/// `Z 0007`: a Z number as the shop reads it.
pub fn z_label(number: i64) -> String {
    format!("Z {number:04}")
}

/// What came of asking to close a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Closing {
    Closed(DayClose),
    /// The day was closed before: nothing changed.
    AlreadyClosed(DayClose),
}

impl Journal {
    /// Closes `business_date`: takes the next Z number and files under it every settled sale
    /// and every settled refund not in an earlier Z. Sales and refunds still under way stay
    /// open and go into the Z of the day they settle in, as what Monime finally said of them. A
    /// close with no sales is still a numbered close.
    pub fn close_day(
        &self,
        business_date: NaiveDate,
        now: DateTime<Utc>,
        monime_check: Option<&str>,
    ) -> Result<Closing, JournalError> {
        let mut connection = self.lock();
        // IMMEDIATE takes the write lock first: the number read here is still free when the
        // close is inserted, and no sale settles between choosing and claiming.
        let transaction = connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| self.error(e))?;
        let date = business_date.format("%Y-%m-%d").to_string();
        let earlier = transaction
            .query_row(
                "SELECT number, business_date, closed_at, monime_check FROM day_closes
                 WHERE business_date = ?1",
                params![date],
                read_close,
            )
            .optional()
            .map_err(|e| self.error(e))?;
        if let Some(earlier) = earlier {
            return Ok(Closing::AlreadyClosed(earlier.map_err(|e| self.error(e))?));
        }
        let number =
            next_number(&transaction, "day_closes", "number").map_err(|e| self.error(e))?;
        let closed_at = timestamp(now);
        transaction
            .execute(
                "INSERT INTO day_closes (number, business_date, closed_at, monime_check)
                 VALUES (?1, ?2, ?3, ?4)",
                params![number, date, closed_at, monime_check],
            )
            .map_err(|e| self.error(e))?;
        transaction
            .execute(
                &format!(
                    "UPDATE sales SET z_number = ?1 WHERE z_number IS NULL AND phase IN ({})",
                    settled_phases()
                ),
                params![number],
            )
            .map_err(|e| self.error(e))?;
        transaction
            .execute(
                &format!(
                    "UPDATE refunds SET z_number = ?1 WHERE z_number IS NULL AND phase IN ({})",
                    RefundPhase::final_sql()
                ),
                params![number],
            )
            .map_err(|e| self.error(e))?;
        transaction.commit().map_err(|e| self.error(e))?;
        Ok(Closing::Closed(DayClose {
            number,
            business_date,
            // As stored (to the millisecond), so the close returned is the close read back.
            closed_at: parse_time(&closed_at).map_err(|e| self.error(e))?,
            monime_check: monime_check.map(str::to_string),
        }))
    }

    /// The newest day close.
    pub fn last_close(&self) -> Result<Option<DayClose>, JournalError> {
        self.close_where("1 ORDER BY number DESC LIMIT 1", params![])
    }

    /// The close numbered `number`.
    pub fn day_close(&self, number: i64) -> Result<Option<DayClose>, JournalError> {
        self.close_where("number = ?1", params![number])
    }

    /// The sales a close counted, oldest first.
    pub fn sales_of_close(&self, number: i64) -> Result<Vec<StoredSale>, JournalError> {
        self.query(
            &format!("SELECT {COLUMNS} FROM sales WHERE z_number = ?1 ORDER BY id"),
            params![number],
        )
    }

    /// Every sale no close has counted yet (the X report), oldest first, with those under way.
    pub fn sales_since_close(&self) -> Result<Vec<StoredSale>, JournalError> {
        self.query(
            &format!("SELECT {COLUMNS} FROM sales WHERE z_number IS NULL ORDER BY id"),
            params![],
        )
    }

    fn close_where(
        &self,
        condition: &str,
        parameters: &[&dyn rusqlite::ToSql],
    ) -> Result<Option<DayClose>, JournalError> {
        let connection = self.lock();
        let found = connection
            .query_row(
                &format!(
                    "SELECT number, business_date, closed_at, monime_check FROM day_closes
                     WHERE {condition}"
                ),
                parameters,
                read_close,
            )
            .optional()
            .map_err(|e| self.error(e))?;
        found.transpose().map_err(|e| self.error(e))
    }
}

/// The final phases as an SQL list: `'paid', 'expired', …`.
pub(super) fn settled_phases() -> String {
    Phase::ALL
        .into_iter()
        .filter(|phase| phase.is_final())
        .map(|phase| format!("'{}'", phase.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn read_close(row: &Row<'_>) -> rusqlite::Result<Result<DayClose, String>> {
    let number: i64 = row.get(0)?;
    let date: String = row.get(1)?;
    let closed_at: String = row.get(2)?;
    let monime_check: Option<String> = row.get(3)?;
    Ok((|| {
        Ok(DayClose {
            number,
            business_date: NaiveDate::parse_from_str(&date, "%Y-%m-%d")
                .map_err(|error| format!("Z {number} has an unreadable date ({error})"))?,
            closed_at: parse_time(&closed_at)?,
            monime_check,
        })
    })())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::{Currency, Money};
    use crate::sale::{CodeShape, NewSale};

    fn sale(journal: &Journal, key: &str, phase: Phase) -> i64 {
        let now = Utc::now();
        let mut record = journal
            .begin_sale(
                key,
                now,
                &CodeShape::new("sale {sale}", "T1"),
                &NewSale::of(Money::new(Currency::Sle, 500)),
            )
            .expect("begin");
        record.phase = phase;
        journal.save(&record, now, None).expect("save");
        record.number
    }

    fn date(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, day).expect("date")
    }

    fn closed(closing: Closing) -> DayClose {
        match closing {
            Closing::Closed(close) => close,
            Closing::AlreadyClosed(close) => panic!("{} was closed before", close.label()),
        }
    }

    #[test]
    fn a_close_claims_the_settled_sales_and_leaves_those_under_way_to_the_next() {
        let dir = tempfile::tempdir().expect("tempdir");
        let journal = Journal::open(&dir.path().join("journal.sqlite")).expect("open");
        let paid = sale(&journal, "k1", Phase::Paid);
        let expired = sale(&journal, "k2", Phase::Expired);
        let waiting = sale(&journal, "k3", Phase::AwaitingPayment);
        let first = closed(
            journal
                .close_day(date(22), Utc::now(), Some("agrees"))
                .expect("close"),
        );
        assert_eq!((first.number, first.label().as_str()), (1, "Z 0001"));
        let numbers = |sales: Vec<StoredSale>| -> Vec<i64> {
            sales.iter().map(|sale| sale.record.number).collect()
        };
        assert_eq!(
            numbers(journal.sales_of_close(1).expect("read")),
            [paid, expired]
        );
        assert_eq!(
            numbers(journal.sales_since_close().expect("read")),
            [waiting]
        );

        // The sale under way settles the next day and is counted by that day's close.
        let mut record = journal.sale(waiting).expect("read").expect("stored").record;
        record.phase = Phase::Paid;
        journal.save(&record, Utc::now(), None).expect("save");
        let second = closed(
            journal
                .close_day(date(23), Utc::now(), None)
                .expect("close"),
        );
        assert_eq!(second.number, 2);
        assert_eq!(numbers(journal.sales_of_close(2).expect("read")), [waiting]);
        assert_eq!(journal.last_close().expect("read"), Some(second.clone()));
        assert_eq!(
            journal.day_close(1).expect("read").map(|c| c.monime_check),
            Some(Some("agrees".into()))
        );

        // A day with no sales is still a numbered close.
        let empty = closed(
            journal
                .close_day(date(24), Utc::now(), None)
                .expect("close"),
        );
        assert_eq!(empty.number, 3);
        assert!(journal.sales_of_close(3).expect("read").is_empty());
    }

    #[test]
    fn a_day_is_closed_once_and_a_number_is_never_given_twice() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("journal.sqlite");
        let journal = Journal::open(&path).expect("open");
        let first = closed(
            journal
                .close_day(date(22), Utc::now(), None)
                .expect("close"),
        );
        sale(&journal, "k1", Phase::Paid);
        match journal
            .close_day(date(22), Utc::now(), None)
            .expect("close")
        {
            Closing::AlreadyClosed(earlier) => assert_eq!(earlier, first),
            Closing::Closed(close) => panic!("closed twice as {}", close.label()),
        }
        assert_eq!(
            journal.sales_since_close().expect("read").len(),
            1,
            "the refused close claimed nothing"
        );
        // Even with the newest close removed by hand, its number is not given again.
        closed(
            journal
                .close_day(date(23), Utc::now(), None)
                .expect("close"),
        );
        journal
            .lock()
            .execute("UPDATE sales SET z_number = NULL WHERE z_number = 2", [])
            .expect("unlink");
        journal
            .lock()
            .execute("DELETE FROM day_closes WHERE number = 2", [])
            .expect("delete");
        drop(journal);
        let journal = Journal::open(&path).expect("reopen");
        let third = closed(
            journal
                .close_day(date(24), Utc::now(), None)
                .expect("close"),
        );
        assert_eq!(third.number, 3);
    }
}
