//! Sales brought back from Monime into the journal (`reconcile --restore`): after a journal is
//! lost or moved aside as damaged, the codes Monime says were paid are written back as paid
//! sales, marked restored, with their cashier, so the day's totals are right again. A code is restored once: its id
//! is looked for in the same write that would add it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, TransactionBehavior, params};
use serde_json::Value;

use super::{Journal, JournalError, Receipt, insert_event, next_number, timestamp};
use crate::monime::{CodeStatus, NewPaymentCode, PaymentCode};
use crate::sale::CASHIER_METADATA;
use crate::sale::Phase;

/// What came of restoring one code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Restored {
    /// Written as this sale number.
    Added(i64),
    /// The journal has the code already, as this sale: nothing was written.
    AlreadyThere(i64),
    /// Not written, and why (in words for the owner).
    Refused(String),
}

impl Journal {
    /// Writes the paid code `code` as a paid sale of `terminal_id`, marked restored, with what
    /// Monime says of it: amount, USSD code, reference, provider, order and payment. It is
    /// dated by Monime (created at the code's creation, paid at its last change); its receipt
    /// is `NotKnown`, so nothing prints by itself and a reprint is a copy. A restored sale
    /// belongs to no close yet: the next Z counts it.
    pub fn restore_paid(
        &self,
        code: &PaymentCode,
        terminal_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Restored, JournalError> {
        if code.status != CodeStatus::Completed {
            return Ok(Restored::Refused(format!(
                "{} is {} at Monime, not paid",
                code.id, code.status
            )));
        }
        let Some(amount) = code.paid_amount().filter(|amount| amount.minor > 0) else {
            return Ok(Restored::Refused(format!(
                "Monime gives no amount for {}: restore it by hand from the Monime dashboard",
                code.id
            )));
        };
        let mut connection = self.lock();
        let transaction = connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| self.error(e))?;
        let existing: Option<i64> = transaction
            .query_row(
                "SELECT id FROM sales WHERE code_id = ?1",
                params![code.id],
                |row| row.get(0),
            )
            .optional()
            .map_err(|e| self.error(e))?;
        if let Some(number) = existing {
            return Ok(Restored::AlreadyThere(number));
        }
        let number = next_number(&transaction, "sales", "id").map_err(|e| self.error(e))?;
        let request = request_of(code, amount);
        let request_json = serde_json::to_string(&request).map_err(|e| self.error(e))?;
        let payment_json = code
            .payment
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| self.error(e))?;
        let created = timestamp(code.create_time.unwrap_or(now));
        let paid = timestamp(code.update_time.or(code.create_time).unwrap_or(now));
        transaction
            .execute(
                "INSERT INTO sales (id, terminal_id, created_at, updated_at, amount_minor, currency,
                                    idempotency_key, request_json, phase, code_id, ussd_code,
                                    expire_time, payment_json, receipt, cashier, restored)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, 1)",
                params![
                    number,
                    terminal_id,
                    created,
                    paid,
                    request.amount.minor,
                    request.amount.currency.code(),
                    // Unique like every key; never sent, since the sale is already paid.
                    format!("restored-{}", code.id),
                    request_json,
                    Phase::Paid.as_str(),
                    code.id,
                    code.ussd_code.as_deref().unwrap_or_default(),
                    code.expire_time.map(timestamp),
                    payment_json,
                    Receipt::NotKnown.as_str(),
                    // Monime keeps who took the sale with the code, as `begin_sale` files it.
                    request.metadata.get(CASHIER_METADATA),
                ],
            )
            .map_err(|e| self.error(e))?;
        // The paid line is what dates the receipt: Monime's time of the payment.
        insert_event(
            &transaction,
            number,
            &paid,
            Phase::Paid,
            Some(&format!("restored from Monime at {}", timestamp(now))),
        )
        .map_err(|e| self.error(e))?;
        transaction.commit().map_err(|e| self.error(e))?;
        Ok(Restored::Added(number))
    }
}

/// The create request the code was made from, as near as Monime's record of it tells.
fn request_of(code: &PaymentCode, amount: crate::money::Money) -> NewPaymentCode {
    // Monime keeps the metadata the terminal sent (`sale`, `terminal`): text values only.
    let metadata: BTreeMap<String, String> = match &code.metadata {
        Some(Value::Object(entries)) => entries
            .iter()
            .filter_map(|(key, value)| value.as_str().map(|text| (key.clone(), text.to_string())))
            .collect(),
        _ => BTreeMap::new(),
    };
    let mut request =
        NewPaymentCode::new(code.name.clone().unwrap_or_else(|| code.id.clone()), amount)
            .with_reference(code.reference.clone())
            .with_providers(code.authorized_providers.clone())
            .with_phone(code.authorized_phone_number.clone());
    request.metadata = metadata;
    // The lifetime it was made with, as Monime writes durations; it is never sent again.
    if let (Some(created), Some(expires)) = (code.create_time, code.expire_time) {
        let seconds = (expires - created).num_seconds();
        if seconds > 0 {
            request.duration = match seconds % 60 {
                0 => format!("{}m", seconds / 60),
                _ => format!("{seconds}s"),
            };
        }
    }
    request
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::{Currency, Money};
    use crate::monime::ProcessedPayment;
    use chrono::SubsecRound;

    fn paid_code(id: &str) -> PaymentCode {
        // Monime's times are to the second.
        let created = (Utc::now() - chrono::Duration::minutes(30)).trunc_subsecs(0);
        PaymentCode {
            id: id.into(),
            name: Some("Shop sale 7".into()),
            status: CodeStatus::Completed,
            enabled: true,
            amount: Some(Money::new(Currency::Sle, 1250)),
            ussd_code: Some("*715*1*0123456789#".into()),
            reference: Some("INV-1, \"déjà\"".into()),
            authorized_providers: vec!["m17".into()],
            authorized_phone_number: None,
            expire_time: Some(created + chrono::Duration::minutes(10)),
            create_time: Some(created),
            update_time: Some(created + chrono::Duration::minutes(2)),
            payment: Some(ProcessedPayment {
                amount: Some(Money::new(Currency::Sle, 1250)),
                order_number: Some("392781".into()),
                payment_id: Some("pay-1".into()),
                provider_id: Some("m17".into()),
                ..Default::default()
            }),
            metadata: Some(serde_json::json!(
                {"sale": "7", "terminal": "T1", "cashier": "Aminata", "n": 3}
            )),
        }
    }

    #[test]
    fn a_paid_code_is_restored_once_with_what_monime_says() {
        let dir = tempfile::tempdir().expect("tempdir");
        let journal = Journal::open(&dir.path().join("journal.sqlite")).expect("open");
        let code = paid_code("pmc-lost");
        let Restored::Added(number) = journal
            .restore_paid(&code, "T1", Utc::now())
            .expect("restore")
        else {
            panic!("not added");
        };
        let sale = journal.sale(number).expect("read").expect("stored");
        assert!(sale.books.restored);
        assert_eq!(sale.books.cashier.as_deref(), Some("Aminata"));
        assert_eq!(sale.record.phase, Phase::Paid);
        assert_eq!(sale.receipt, Receipt::NotKnown);
        assert!(!sale.receipt_owed(), "nothing prints by itself");
        assert_eq!(sale.record.paid_amount(), Money::new(Currency::Sle, 1250));
        let stored_code = sale.record.code.as_ref().expect("code");
        assert_eq!(stored_code.ussd_code, "*715*1*0123456789#");
        assert_eq!(sale.record.request.reference, code.reference);
        assert_eq!(sale.record.request.duration, "10m");
        assert_eq!(sale.record.request.metadata.get("sale"), Some(&"7".into()));
        assert_eq!(sale.record.payment, code.payment);
        assert_eq!(sale.created_at, code.create_time.expect("created"));
        assert_eq!(
            journal.paid_at(number).expect("read"),
            code.update_time,
            "the receipt is dated by Monime's payment"
        );
        assert_eq!(
            journal
                .restore_paid(&code, "T1", Utc::now())
                .expect("again"),
            Restored::AlreadyThere(number)
        );
        assert_eq!(journal.recent(10).expect("read").len(), 1);
    }

    #[test]
    fn only_paid_codes_with_an_amount_are_restored() {
        let dir = tempfile::tempdir().expect("tempdir");
        let journal = Journal::open(&dir.path().join("journal.sqlite")).expect("open");
        let mut pending = paid_code("pmc-pending");
        pending.status = CodeStatus::Pending;
        let mut no_amount = paid_code("pmc-none");
        no_amount.amount = None;
        no_amount.payment = None;
        for code in [pending, no_amount] {
            assert!(matches!(
                journal
                    .restore_paid(&code, "T1", Utc::now())
                    .expect("restore"),
                Restored::Refused(_)
            ));
        }
        assert!(journal.recent(10).expect("read").is_empty());
    }
}
