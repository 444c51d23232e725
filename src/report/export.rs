//! The sales and refunds as rows for a spreadsheet or another program (`export`): one row a
//! sale and one a refund, as CSV (RFC 4180) or as a JSON array of objects with the same fields.
//! A refund's row says so in `kind` and carries its amount as a negative one: money going back,
//! so that summing `amount_minor` over the rows Monime settled (`paid` sales, `completed`
//! refunds) gives the net takings.

use std::io::Write;
use std::str::FromStr;

use chrono::{DateTime, Local, Utc};
use serde::{Deserialize, Serialize};

use super::receipt_label;
use crate::journal::{StoredRefund, StoredSale};
use crate::lang::Language;
use crate::money::{CurrencyStyle, Money};
use crate::monime::provider_name;
use crate::refund::RefundPhase;
use crate::sale::Phase;

/// What a row is: `kind`'s values.
pub const SALE_ROW: &str = "sale";
pub const REFUND_ROW: &str = "refund";

/// One sale or one refund, as exported. The field names are the CSV header and the JSON keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportRow {
    /// The sale number, as `history` and the receipt show it; for a refund, the sale it pays
    /// back.
    pub sale: i64,
    /// When it was started, in the terminal's time zone: `2026-11-22 14:03:05`, a form both
    /// LibreOffice Calc and Excel read as a date and time.
    pub local_time: String,
    /// Who took the sale; for a refund, who made it (a cashier, or `Admin`).
    pub cashier: Option<String>,
    /// What was paid (Monime's figure when it gave one), else what was asked, in minor units;
    /// for a refund, what was sent back, negative.
    pub amount_minor: i64,
    /// The same, for people: `Le 1,250.00`, `Le -4.00`.
    pub amount: String,
    pub currency: String,
    /// The sale's phase as the journal names it: `paid`, `expired`, `cancelled`, `failed`,
    /// `unknown`, or one still under way such as `awaiting_payment`. A refund's: `completed`
    /// (the money went back), `failed` or `refused` (it did not), `unknown` (not confirmed),
    /// or one still under way such as `processing`.
    pub outcome: String,
    pub code_id: Option<String>,
    pub ussd_code: Option<String>,
    pub provider: Option<String>,
    pub order_number: Option<String>,
    pub payment_id: Option<String>,
    pub reference: Option<String>,
    /// The items, with what each line came to: `2 x Soap = 25.00; Rice = 40.00`; empty for a
    /// keyed sale.
    pub items: Option<String>,
    /// The tip within `amount_minor`, in minor units (0 without one): the sale itself is the
    /// amount less the tip.
    pub tip_minor: i64,
    /// A paid sale's or completed refund's receipt: `printed`, `owed`, `no printer`, `not
    /// known`; empty otherwise.
    pub receipt: Option<String>,
    /// The day close that counted it; empty until one has.
    pub z_number: Option<i64>,
    /// Brought back from Monime by `reconcile --restore`.
    pub restored: bool,
    /// The payer's proof, from Monime's payment (empty until found): the operator's reference
    /// that the payer's SMS shows, and the number as Monime masks it. For a refund, the
    /// provider's reference for the credit and the number it went to, masked.
    pub operator_reference: Option<String>,
    pub payer_number: Option<String>,
    /// What Monime kept of the payment, in minor units; for a refund, what it charged on top.
    pub monime_fees_minor: Option<i64>,
    /// `sale` or `refund`.
    pub kind: String,
    /// The refund's number; empty on a sale's row.
    pub refund: Option<i64>,
    /// The refund's payout at Monime; empty on a sale's row.
    pub payout_id: Option<String>,
}

impl ExportRow {
    pub fn of(sale: &StoredSale, style: CurrencyStyle) -> ExportRow {
        let record = &sale.record;
        let amount = record.paid_amount();
        let payment = record.payment.as_ref();
        let proof = sale.proof.as_ref();
        ExportRow {
            sale: record.number,
            local_time: local_time(sale.created_at),
            cashier: sale.books.cashier.clone(),
            amount_minor: amount.minor,
            amount: amount.display(style),
            currency: amount.currency.code().to_string(),
            outcome: record.phase.as_str().to_string(),
            code_id: record.code.as_ref().map(|code| code.id.clone()),
            ussd_code: record.code.as_ref().map(|code| code.ussd_code.clone()),
            provider: proof
                .and_then(|proof| proof.provider_name())
                .or_else(|| payment?.provider_name())
                .map(str::to_string),
            order_number: payment.and_then(|payment| payment.order_number.clone()),
            payment_id: payment.and_then(|payment| payment.payment_id.clone()),
            reference: record.request.reference.clone(),
            items: (!sale.order.items.is_empty()).then(|| {
                sale.order
                    .items
                    .iter()
                    .map(|line| {
                        let total = Money::new(amount.currency, line.total_minor());
                        format!("{} = {}", line.label(), total.plain())
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            }),
            tip_minor: sale.order.tip_minor,
            receipt: (record.phase == Phase::Paid)
                .then(|| receipt_label(sale.receipt, Language::English).to_string()),
            z_number: sale.books.z_number,
            restored: sale.books.restored,
            operator_reference: proof.and_then(|proof| proof.reference.clone()),
            payer_number: proof.and_then(|proof| proof.masked_number.clone()),
            monime_fees_minor: proof
                .and_then(|proof| proof.fee_total(amount.currency))
                .map(|fees| fees.minor),
            kind: SALE_ROW.into(),
            refund: None,
            payout_id: None,
        }
    }

    pub fn of_refund(refund: &StoredRefund, style: CurrencyStyle) -> ExportRow {
        let record = &refund.record;
        let back = Money::new(record.amount.currency, -record.amount.minor);
        let payout = record.payout.as_ref();
        ExportRow {
            sale: record.sale,
            local_time: local_time(refund.created_at),
            cashier: Some(refund.refunder.name_in(Language::English)),
            amount_minor: back.minor,
            amount: back.display(style),
            currency: back.currency.code().to_string(),
            outcome: record.phase.as_str().to_string(),
            code_id: None,
            ussd_code: None,
            provider: (!record.provider_id.is_empty())
                .then(|| provider_name(&record.provider_id).to_string()),
            order_number: None,
            payment_id: None,
            reference: None,
            items: None,
            tip_minor: 0,
            receipt: (record.phase == RefundPhase::Completed)
                .then(|| receipt_label(refund.receipt, Language::English).to_string()),
            z_number: refund.books.z_number,
            restored: refund.books.restored,
            operator_reference: payout.and_then(|payout| payout.reference.clone()),
            payer_number: Some(record.phone_shown.clone()),
            monime_fees_minor: payout.and_then(|payout| payout.fee).map(|fee| fee.minor),
            kind: REFUND_ROW.into(),
            refund: Some(record.number),
            payout_id: record.payout_id().map(str::to_string),
        }
    }

    /// The sales' and the refunds' rows, in the order they were made (a sale before a refund
    /// made at the same moment).
    pub fn of_all(
        sales: &[StoredSale],
        refunds: &[StoredRefund],
        style: CurrencyStyle,
    ) -> Vec<ExportRow> {
        let mut rows: Vec<(DateTime<Utc>, ExportRow)> = sales
            .iter()
            .map(|sale| (sale.created_at, ExportRow::of(sale, style)))
            .chain(
                refunds
                    .iter()
                    .map(|refund| (refund.created_at, ExportRow::of_refund(refund, style))),
            )
            .collect();
        // Stable: same-moment rows keep sales first.
        rows.sort_by_key(|(at, _)| *at);
        rows.into_iter().map(|(_, row)| row).collect()
    }
}

/// `at` in the terminal's time zone, as the rows give it.
fn local_time(at: DateTime<Utc>) -> String {
    at.with_timezone(&Local)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// How the rows are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExportFormat {
    #[default]
    Csv,
    Json,
}

impl FromStr for ExportFormat {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "csv" => Ok(ExportFormat::Csv),
            "json" => Ok(ExportFormat::Json),
            _ => Err(format!("unknown format \"{text}\": use csv or json")),
        }
    }
}

/// The byte order mark that starts the CSV. Excel opens a double-clicked .csv in the
/// computer's legacy code page unless the file starts with it, which turns "Café" into
/// "CafÃ©"; LibreOffice Calc and the `csv` crate's reader take it as UTF-8 either way.
pub const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Writes `rows` to `out`: CSV (a byte order mark, one header row, CRLF line ends, fields
/// quoted where they hold a comma, a quote or a line break, as RFC 4180 says) or a JSON array.
pub fn write_rows(
    rows: &[ExportRow],
    format: ExportFormat,
    mut out: impl Write,
) -> std::io::Result<()> {
    match format {
        ExportFormat::Csv => {
            out.write_all(UTF8_BOM)?;
            let mut writer = csv::WriterBuilder::new()
                .terminator(csv::Terminator::CRLF)
                .quote_style(csv::QuoteStyle::Necessary)
                .from_writer(out);
            // With no rows serde writes no header: the header is written by hand then, so
            // an empty day is still a file with its columns.
            if rows.is_empty() {
                writer.write_record(HEADER)?;
            }
            for row in rows {
                writer.serialize(row)?;
            }
            writer.flush()
        }
        ExportFormat::Json => {
            serde_json::to_writer_pretty(&mut out, rows)?;
            out.write_all(b"\n")?;
            out.flush()
        }
    }
}

/// The CSV header: `ExportRow`'s fields in order (a unit test keeps the two alike).
const HEADER: [&str; 24] = [
    "sale",
    "local_time",
    "cashier",
    "amount_minor",
    "amount",
    "currency",
    "outcome",
    "code_id",
    "ussd_code",
    "provider",
    "order_number",
    "payment_id",
    "reference",
    "items",
    "tip_minor",
    "receipt",
    "z_number",
    "restored",
    "operator_reference",
    "payer_number",
    "monime_fees_minor",
    "kind",
    "refund",
    "payout_id",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::SaleBooks;
    use crate::money::{Currency, Money};
    use crate::monime::NewPaymentCode;
    use crate::sale::SaleRecord;

    fn row(reference: &str) -> ExportRow {
        let request = NewPaymentCode::new("sale", Money::new(Currency::Sle, 125_000))
            .with_reference(Some(reference.into()));
        let mut record = SaleRecord::new(7, "key".into(), request);
        record.phase = Phase::Paid;
        ExportRow::of(
            &StoredSale {
                books: SaleBooks {
                    cashier: Some("Aminata".into()),
                    z_number: Some(3),
                    restored: false,
                },
                ..StoredSale::for_test(record)
            },
            CurrencyStyle::Symbol,
        )
    }

    #[test]
    fn csv_quotes_what_rfc_4180_says_and_ends_lines_with_crlf() {
        let mut out = Vec::new();
        write_rows(
            &[row("INV 1, \"Sàlone\"\nline two")],
            ExportFormat::Csv,
            &mut out,
        )
        .expect("write");
        let text = std::str::from_utf8(&out).expect("UTF-8");
        let text = text.strip_prefix('\u{feff}').expect("a byte order mark");
        let (header, rest) = text.split_once("\r\n").expect("CRLF after the header");
        assert_eq!(header, HEADER.join(","));
        assert!(
            rest.contains(",\"INV 1, \"\"Sàlone\"\"\nline two\","),
            "{rest}"
        );
        assert!(rest.contains(",\"Le 1,250.00\","), "{rest}");
        assert!(rest.ends_with(",printed,3,false,,,,sale,,\r\n"), "{rest}");
    }

    #[test]
    fn an_item_sale_lists_its_items_and_keeps_the_tip_apart() {
        let request = NewPaymentCode::new("sale", Money::new(Currency::Sle, 7700));
        let sale = StoredSale {
            order: crate::order::Order::for_test(),
            ..StoredSale::for_test(SaleRecord::new(4, "key-4".into(), request))
        };
        let row = ExportRow::of(&sale, CurrencyStyle::Symbol);
        assert_eq!(
            row.items.as_deref(),
            Some("2 x Soap = 25.00; Rice 1 kg = 40.00")
        );
        assert_eq!((row.amount_minor, row.tip_minor), (7700, 700));
    }

    #[test]
    fn a_refund_is_its_own_row_with_its_amount_negative() {
        use crate::monime::PayoutStatus;
        use crate::refund::{PayoutSeen, RefundRecord, Refunder};
        let refund = StoredRefund {
            refunder: Refunder::Cashier("Aminata".into()),
            ..StoredRefund::for_test(RefundRecord {
                number: 2,
                sale: 7,
                idempotency_key: "key-2".into(),
                amount: Money::new(Currency::Sle, 400),
                provider_id: "m17".into(),
                phone_shown: "076 ··· 456".into(),
                request: None,
                phase: RefundPhase::Completed,
                sent_at: None,
                payout: Some(PayoutSeen {
                    id: "pyt-1".into(),
                    status: PayoutStatus::Completed,
                    fee: Some(Money::new(Currency::Sle, 50)),
                    reference: Some("CI1".into()),
                }),
                failure: None,
            })
        };
        let sale = {
            let request = NewPaymentCode::new("sale", Money::new(Currency::Sle, 1000));
            let mut record = SaleRecord::new(7, "key".into(), request);
            record.phase = Phase::Paid;
            StoredSale {
                created_at: refund.created_at - chrono::Duration::minutes(5),
                ..StoredSale::for_test(record)
            }
        };
        let rows = ExportRow::of_all(&[sale], &[refund], CurrencyStyle::Symbol);
        let kinds: Vec<&str> = rows.iter().map(|row| row.kind.as_str()).collect();
        assert_eq!(kinds, [SALE_ROW, REFUND_ROW], "in the order they were made");
        let row = &rows[1];
        assert_eq!((row.sale, row.refund), (7, Some(2)));
        assert_eq!((row.amount_minor, row.amount.as_str()), (-400, "Le -4.00"));
        assert_eq!(row.outcome, "completed");
        assert_eq!(row.cashier.as_deref(), Some("Aminata"));
        assert_eq!(row.provider.as_deref(), Some("Orange Money"));
        assert_eq!(row.payout_id.as_deref(), Some("pyt-1"));
        assert_eq!(row.operator_reference.as_deref(), Some("CI1"));
        assert_eq!(row.monime_fees_minor, Some(50));
        assert_eq!(row.receipt.as_deref(), Some("printed"));
        let net: i64 = rows.iter().map(|row| row.amount_minor).sum();
        assert_eq!(net, 600, "the sum is the net takings");
    }

    #[test]
    fn an_empty_export_still_has_its_header() {
        let mut out = Vec::new();
        write_rows(&[], ExportFormat::Csv, &mut out).expect("write");
        assert_eq!(
            out,
            [UTF8_BOM, HEADER.join(",").as_bytes(), b"\r\n"].concat()
        );
        let mut json = Vec::new();
        write_rows(&[], ExportFormat::Json, &mut json).expect("write");
        assert_eq!(json, b"[]\n");
    }
}
