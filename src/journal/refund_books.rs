//! Refunds in the books: the refunds a day close (Z) counted or the next will, a refund looked
//! up by the payout Monime made for it, and a completed payout written back as a refund after
//! the journal lost it (`reconcile --restore`), as `restore.rs` does for paid codes.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::refunds::{insert_refund_event, standing};
use super::{Journal, JournalError, Receipt, StoredRefund, next_number, timestamp};
use crate::monime::{Payout, PayoutStatus};
use crate::refund::{REFUND_KEY_METADATA, RefundPhase, SALE_METADATA};
use crate::sale::{CASHIER_METADATA, Phase};

/// What came of restoring one payout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestoredRefund {
    /// Written as this refund number.
    Added(i64),
    /// The journal has the payout already, as this refund: nothing was written.
    AlreadyThere(i64),
    /// Not written, and why (in words for the owner).
    Refused(String),
}

impl Journal {
    /// Every refund no close has counted yet (the X report), oldest first, with those under way.
    pub fn refunds_since_close(&self) -> Result<Vec<StoredRefund>, JournalError> {
        self.refunds_where("z_number IS NULL", params![])
    }

    /// The refunds a close counted, oldest first.
    pub fn refunds_of_close(&self, number: i64) -> Result<Vec<StoredRefund>, JournalError> {
        self.refunds_where("z_number = ?1", params![number])
    }

    /// The refund Monime's payout `payout_id` was made for, found by that id or by the refund's
    /// idempotency key `key` (which the payout's metadata names: the journal may not have
    /// heard the payout's id).
    pub fn refund_of_payout(
        &self,
        payout_id: &str,
        key: Option<&str>,
    ) -> Result<Option<StoredRefund>, JournalError> {
        Ok(self
            .refunds_where(
                "payout_id = ?1 OR idempotency_key = ?2",
                params![payout_id, key],
            )?
            .pop())
    }

    /// Writes the completed payout `payout` as a completed refund of `terminal_id`, marked
    /// restored, against the sale its metadata names, if that sale is in the journal, was paid
    /// before the payout was made, and has that much left to refund. It is dated by Monime,
    /// filed under the cashier the metadata names (else the admin), and its receipt is
    /// `NotKnown`, so nothing prints by itself. A payout is restored once: it is looked for by
    /// its id and its refund key in the same write that would add it. A restored refund
    /// belongs to no close yet: the next Z counts it.
    pub fn restore_refund(
        &self,
        payout: &Payout,
        terminal_id: &str,
        now: DateTime<Utc>,
    ) -> Result<RestoredRefund, JournalError> {
        let refused = |why: String| Ok(RestoredRefund::Refused(why));
        if payout.status != PayoutStatus::Completed {
            return refused(format!(
                "{} is {} at Monime, not completed",
                payout.id, payout.status
            ));
        }
        let Some(amount) = payout.amount.filter(|amount| amount.minor > 0) else {
            return refused(format!(
                "Monime gives no amount for {}: enter it by hand from the Monime dashboard",
                payout.id
            ));
        };
        let named = |key: &str| payout.metadata_text(key);
        let Some(sale) = named(SALE_METADATA).and_then(|sale| sale.parse::<i64>().ok()) else {
            return refused(format!(
                "{} names no sale: enter it by hand from the Monime dashboard",
                payout.id
            ));
        };
        let key = named(REFUND_KEY_METADATA).filter(|key| (1..=64).contains(&key.len()));
        let mut connection = self.lock();
        let transaction = connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| self.error(e))?;
        let existing: Option<i64> = transaction
            .query_row(
                "SELECT id FROM refunds WHERE payout_id = ?1 OR idempotency_key = ?2",
                params![payout.id, key],
                |row| row.get(0),
            )
            .optional()
            .map_err(|e| self.error(e))?;
        if let Some(number) = existing {
            return Ok(RestoredRefund::AlreadyThere(number));
        }
        // Only the sale's own refunds matter here, not a day's: the money has gone already.
        let Some((stored, standing)) =
            standing(&transaction, sale, (now, now)).map_err(|e| self.error(e))?
        else {
            return refused(format!(
                "{} is for sale {sale}, which is not in the journal: restore the sales first, or look the payout up on the Monime dashboard",
                payout.id
            ));
        };
        if stored.record.phase != Phase::Paid {
            return refused(format!(
                "{} is for sale {sale}, which the journal has as {}, not paid: look it up on the Monime dashboard",
                payout.id,
                stored.record.phase.as_str()
            ));
        }
        let made = payout.create_time.unwrap_or(now);
        if stored.created_at > made {
            // The journal's sale of that number came after the payout: another sale, numbered
            // again after the journal was lost.
            return refused(format!(
                "{} was made before sale {sale} in the journal, so it pays back another sale: enter it by hand from the Monime dashboard",
                payout.id
            ));
        }
        if let Err(refusal) = standing.check(amount, i64::MAX) {
            return refused(format!("{} for sale {sale}: {refusal}", payout.id));
        }
        let number = next_number(&transaction, "refunds", "id").map_err(|e| self.error(e))?;
        let fee = payout.fee_total();
        let settled = timestamp(payout.update_time.unwrap_or(made));
        let destination = &payout.destination;
        transaction
            .execute(
                "INSERT INTO refunds (id, sale_id, terminal_id, created_at, updated_at,
                                      amount_minor, currency, provider_id, phone_shown,
                                      idempotency_key, cashier, phase, sent_at, payout_id,
                                      monime_status, fee_minor, fee_currency,
                                      transaction_reference, receipt, restored)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?4, ?13, ?14, ?15,
                         ?16, ?17, ?18, 1)",
                params![
                    number,
                    sale,
                    terminal_id,
                    timestamp(made),
                    settled,
                    amount.minor,
                    amount.currency.code(),
                    destination.provider_id.as_deref().unwrap_or_default(),
                    shown_number(destination.phone_number.as_deref()),
                    // Unique like every key; never sent, since the payout is made.
                    key.map_or_else(|| format!("restored-{}", payout.id), str::to_string),
                    named(CASHIER_METADATA),
                    RefundPhase::Completed.as_str(),
                    payout.id,
                    payout.status.as_str(),
                    fee.map(|fee| fee.minor),
                    fee.map(|fee| fee.currency.code()),
                    destination.transaction_reference,
                    Receipt::NotKnown.as_str(),
                ],
            )
            .map_err(|e| self.error(e))?;
        insert_refund_event(
            &transaction,
            number,
            &settled,
            RefundPhase::Completed,
            Some(&format!("restored from Monime at {}", timestamp(now))),
        )
        .map_err(|e| self.error(e))?;
        transaction.commit().map_err(|e| self.error(e))?;
        Ok(RestoredRefund::Added(number))
    }
}

/// The payer's number as the journal shows it, its middle hidden: `076 ··· 456` from the whole
/// number Monime gives, else the last digits it shows.
fn shown_number(number: Option<&str>) -> String {
    let number = number.unwrap_or_default();
    if let Ok(full) = crate::refund::FullNumber::parse(number) {
        return full.shown();
    }
    let last: String = number
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .take(3)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("··· {last}").trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::{Currency, Money};
    use crate::monime::{Fee, PayoutDestination, ProcessedPayment};
    use crate::refund::Refunder;
    use crate::sale::{CodeShape, NewSale};

    fn open() -> (tempfile::TempDir, Journal) {
        let dir = tempfile::tempdir().expect("tempdir");
        let journal = Journal::open(&dir.path().join("journal.sqlite")).expect("open");
        (dir, journal)
    }

    fn paid_sale(journal: &Journal, minor: i64, at: DateTime<Utc>) -> i64 {
        let shape = CodeShape::new("Shop sale {sale}", "T1");
        let key = uuid::Uuid::new_v4().to_string();
        let new = NewSale::of(Money::new(Currency::Sle, minor));
        let mut record = journal.begin_sale(&key, at, &shape, &new).expect("begin");
        record.phase = Phase::Paid;
        record.payment = Some(ProcessedPayment::default());
        journal.save(&record, at, Some("paid")).expect("save");
        record.number
    }

    fn payout(id: &str, sale: &str, minor: i64) -> Payout {
        Payout {
            id: id.into(),
            status: PayoutStatus::Completed,
            amount: Some(Money::new(Currency::Sle, minor)),
            destination: PayoutDestination {
                kind: Some("momo".into()),
                provider_id: Some("m17".into()),
                phone_number: Some("+23276123456".into()),
                transaction_reference: Some("CI1".into()),
            },
            source_account: None,
            source_transaction_reference: None,
            fees: vec![Fee {
                code: Some("payout_fee".into()),
                amount: Money::new(Currency::Sle, 50),
            }],
            failure: None,
            delayed_reason: None,
            create_time: Some(Utc::now()),
            update_time: Some(Utc::now()),
            metadata: Some(serde_json::json!({
                "terminal": "T1", "sale": sale, "refund": "1",
                "refund_key": format!("key-{id}"), "cashier": "Aminata"
            })),
        }
    }

    #[test]
    fn a_completed_payout_is_restored_once_as_a_completed_refund() {
        let (_dir, journal) = open();
        let sale = paid_sale(&journal, 1000, Utc::now() - chrono::Duration::hours(1));
        let lost = payout("pyt-lost", &sale.to_string(), 400);
        let RestoredRefund::Added(number) = journal
            .restore_refund(&lost, "T1", Utc::now())
            .expect("restore")
        else {
            panic!("not added");
        };
        let refund = journal.refund(number).expect("read").expect("stored");
        assert!(refund.books.restored);
        assert_eq!(refund.books.z_number, None, "the next Z counts it");
        assert_eq!(refund.record.phase, RefundPhase::Completed);
        assert_eq!(refund.record.sale, sale);
        assert_eq!(refund.record.amount, Money::new(Currency::Sle, 400));
        assert_eq!(refund.record.payout_id(), Some("pyt-lost"));
        assert_eq!(refund.record.idempotency_key, "key-pyt-lost");
        assert_eq!(refund.record.phone_shown, "076 ··· 456");
        assert_eq!(refund.refunder, Refunder::Cashier("Aminata".into()));
        assert_eq!(refund.receipt, Receipt::NotKnown);
        assert!(!refund.receipt_owed(), "nothing prints by itself");
        let seen = refund.record.payout.as_ref().expect("payout");
        assert_eq!(seen.fee, Some(Money::new(Currency::Sle, 50)));
        assert_eq!(seen.reference.as_deref(), Some("CI1"));
        assert_eq!(
            journal
                .restore_refund(&lost, "T1", Utc::now())
                .expect("again"),
            RestoredRefund::AlreadyThere(number)
        );
        assert_eq!(
            journal
                .refund_of_payout("pyt-other", Some("key-pyt-lost"))
                .expect("read")
                .map(|refund| refund.record.number),
            Some(number),
            "found by its key too"
        );
        assert_eq!(journal.refunds_since_close().expect("read").len(), 1);
    }

    #[test]
    fn a_payout_is_refused_when_its_sale_is_not_the_journals_to_pay_back() {
        let (_dir, journal) = open();
        let refused = |payout: &Payout, expected: &str| match journal
            .restore_refund(payout, "T1", Utc::now())
            .expect("restore")
        {
            RestoredRefund::Refused(why) => assert!(why.contains(expected), "{why}"),
            other => panic!("{expected}: {other:?}"),
        };
        refused(
            &payout("pyt-1", "9", 100),
            "sale 9, which is not in the journal",
        );
        let sale = paid_sale(&journal, 500, Utc::now() - chrono::Duration::hours(1));
        refused(
            &payout("pyt-2", &sale.to_string(), 600),
            "more than is left",
        );
        let mut pending = payout("pyt-3", &sale.to_string(), 100);
        pending.status = PayoutStatus::Processing;
        refused(&pending, "not completed");
        let mut unnamed = payout("pyt-4", &sale.to_string(), 100);
        unnamed.metadata = None;
        refused(&unnamed, "names no sale");
        let later = paid_sale(&journal, 500, Utc::now() + chrono::Duration::hours(1));
        refused(&payout("pyt-5", &later.to_string(), 100), "another sale");
        assert!(journal.refunds_since_close().expect("read").is_empty());
    }

    #[test]
    fn a_close_counts_settled_refunds_and_leaves_those_under_way() {
        let (_dir, journal) = open();
        let sale = paid_sale(&journal, 1000, Utc::now() - chrono::Duration::hours(1));
        let RestoredRefund::Added(done) = journal
            .restore_refund(&payout("pyt-1", &sale.to_string(), 300), "T1", Utc::now())
            .expect("restore")
        else {
            panic!("not added");
        };
        let new = crate::refund::NewRefund {
            sale,
            amount: Money::new(Currency::Sle, 200),
            provider_id: "m17".into(),
            phone: crate::refund::FullNumber::parse("076123456").expect("number"),
            holder_name: None,
            refunder: Refunder::Admin,
            terminal_id: "T1".into(),
            source_account: None,
        };
        let day = (Utc::now() - chrono::Duration::days(1), Utc::now());
        let under_way = journal
            .begin_refund("key-under-way", Utc::now(), &new, 10_000, day)
            .expect("journal")
            .expect("written");
        let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).expect("date");
        journal.close_day(date, Utc::now(), None).expect("close");
        let numbers = |refunds: Vec<StoredRefund>| -> Vec<i64> {
            refunds.iter().map(|refund| refund.record.number).collect()
        };
        assert_eq!(numbers(journal.refunds_of_close(1).expect("read")), [done]);
        assert_eq!(
            numbers(journal.refunds_since_close().expect("read")),
            [under_way.number]
        );
    }

    #[test]
    fn a_number_is_shown_with_its_middle_hidden() {
        assert_eq!(shown_number(Some("+23276123456")), "076 ··· 456");
        assert_eq!(shown_number(Some("+23276***456")), "··· 456");
        assert_eq!(shown_number(None), "···");
    }
}
