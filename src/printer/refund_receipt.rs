//! What a refund prints: REFUND over the sale's number, the amount sent back, where it went
//! (the provider and the number, masked), the payer's own reference for the sale's payment
//! where it is known, the payout and the provider's reference for the credit, who refunded and
//! when. It is owed once Monime says the payout completed, and printed like any receipt.

use chrono::{DateTime, Utc};

use super::receipt::{Layout, ReceiptStyle, shop_heading};
use crate::journal::{StoredRefund, StoredSale};
use crate::monime::provider_name;

/// The receipt of a completed refund of `sale`. `copy` marks a reprint.
pub fn refund_receipt(
    style: &ReceiptStyle,
    refund: &StoredRefund,
    sale: Option<&StoredSale>,
    refunded_at: DateTime<Utc>,
    copy: bool,
) -> Layout<Vec<u8>> {
    let language = style.language.get();
    let record = &refund.record;
    let mut doc = shop_heading(style)?;
    doc.centered(language.tr("REFUND"), true, true)?;
    if copy {
        doc.centered(language.tr("*** COPY ***"), true, false)?;
    }
    doc.rule()?;
    doc.pair(language.tr("Terminal"), &refund.terminal_id)?;
    doc.pair(
        language.tr("Date"),
        &refunded_at
            .with_timezone(&style.zone)
            .format("%Y-%m-%d %H:%M")
            .to_string(),
    )?;
    doc.pair(language.tr("Sale"), &record.sale.to_string())?;
    doc.pair(language.tr("Refund"), &record.number.to_string())?;
    doc.pair(
        language.tr("Refunded by"),
        &refund.refunder.name_in(language),
    )?;
    doc.rule()?;
    doc.centered(&record.amount.display(style.currency_style), true, true)?;
    doc.centered(language.tr("SENT BACK"), true, false)?;
    doc.rule()?;
    doc.pair(
        language.tr("Sent to"),
        &format!(
            "{} {}",
            provider_name(&record.provider_id),
            record.phone_shown
        ),
    )?;
    if let Some(holder) = &refund.holder_name {
        doc.pair(language.tr("Account holder"), holder)?;
    }
    if let Some(reference) = sale.and_then(payer_reference) {
        doc.pair(language.tr("Payer's reference"), reference)?;
    }
    if let Some(payout) = &record.payout {
        doc.pair(language.tr("Payout"), &payout.id)?;
        if let Some(reference) = &payout.reference {
            doc.pair(language.tr("Refund reference"), reference)?;
        }
    }
    doc.finish()
}

/// The operator's reference of the sale's payment, as the payer's SMS showed it, where the
/// terminal has it: from the payer's proof, else the code's processed payment data.
pub fn payer_reference(sale: &StoredSale) -> Option<&str> {
    sale.proof
        .as_ref()
        .and_then(|proof| proof.reference.as_deref())
        .or_else(|| {
            sale.record
                .payment
                .as_ref()
                .and_then(|payment| payment.channel_reference.as_deref())
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::Receipt;
    use crate::money::{Currency, CurrencyStyle, Money};
    use crate::monime::{PayoutStatus, ProcessedPayment};
    use crate::refund::{PayoutSeen, RefundPhase, RefundRecord, Refunder};
    use crate::sale::{Phase, SaleRecord};

    fn paper_text(style: &ReceiptStyle, bytes: &[u8]) -> String {
        let mut paper = crate::printer::emulator::Emulator::new(style.width, None);
        paper.feed(bytes);
        paper.paper().text_without_cuts()
    }

    fn refund() -> StoredRefund {
        StoredRefund {
            record: RefundRecord {
                number: 3,
                sale: 7,
                idempotency_key: "key-3".into(),
                amount: Money::new(Currency::Sle, 1250),
                provider_id: "m17".into(),
                phone_shown: "076 ··· 456".into(),
                request: None,
                phase: RefundPhase::Completed,
                sent_at: Some(Utc::now()),
                payout: Some(PayoutSeen {
                    id: "pyt-abc".into(),
                    status: PayoutStatus::Completed,
                    fee: None,
                    reference: Some("CI250901.1200.123456".into()),
                }),
                failure: None,
            },
            terminal_id: "T1".into(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
            refunder: Refunder::Cashier("Aminata".into()),
            holder_name: Some("AMINATA KAMARA".into()),
            receipt: Receipt::Owed,
            books: Default::default(),
        }
    }

    #[test]
    fn a_refund_receipt_says_what_went_back_where_and_by_whom() {
        let style = ReceiptStyle::new("Shop", "T1", CurrencyStyle::Symbol, None);
        let request = crate::monime::NewPaymentCode::new("sale", Money::new(Currency::Sle, 1250));
        let mut record = SaleRecord::new(7, "key-7".into(), request);
        record.phase = Phase::Paid;
        record.payment = Some(ProcessedPayment {
            channel_reference: Some("MP250901.1100.A12345".into()),
            ..Default::default()
        });
        let sale = StoredSale::for_test(record);
        let bytes =
            refund_receipt(&style, &refund(), Some(&sale), Utc::now(), false).expect("layout");
        let text = paper_text(&style, &bytes);
        for expected in [
            "REFUND",
            "Le 12.50",
            "Sale                           7",
            "Refund                         3",
            "Refunded by              Aminata",
            "Orange Money 076 ··· 456",
            "AMINATA KAMARA",
            "MP250901.1100.A12345",
            "pyt-abc",
            "CI250901.1200.123456",
        ] {
            assert!(text.contains(expected), "{expected:?} in\n{text}");
        }
        assert!(!text.contains("COPY"), "{text}");
        let admin = StoredRefund {
            refunder: Refunder::Admin,
            ..refund()
        };
        let text = paper_text(
            &style,
            &refund_receipt(&style, &admin, None, Utc::now(), true).expect("layout"),
        );
        assert!(
            text.contains("Admin") && text.contains("*** COPY ***"),
            "{text}"
        );
        assert!(!text.contains("Payer's reference"), "{text}");

        // The payer's proof, once Monime's payment gave it, names the reference first.
        let proven = StoredSale {
            proof: Some(crate::journal::PayerProof {
                payment_id: "pay-1".into(),
                provider_id: Some("m17".into()),
                reference: Some("MP250901.1100.PROOF1".into()),
                masked_number: Some("+23276***456".into()),
                fingerprint: None,
                fees: Vec::new(),
            }),
            ..sale
        };
        let text = paper_text(
            &style,
            &refund_receipt(&style, &refund(), Some(&proven), Utc::now(), false).expect("layout"),
        );
        assert!(text.contains("MP250901.1100.PROOF1"), "{text}");
    }
}
