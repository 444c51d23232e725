//! What the printer-queue tests share: a journal with paid sales in it, a receipt style, the
//! receipt a sale should print as, fast queue timings, and waiting with a deadline.

use std::path::Path;
use std::time::Duration;

use chrono::{FixedOffset, Utc};
use paycode_kiosk::journal::{Journal, Receipt};
use paycode_kiosk::money::{Currency, CurrencyStyle, Money};
use paycode_kiosk::monime::ProcessedPayment;
use paycode_kiosk::printer::receipt::{self, ReceiptStyle};
use paycode_kiosk::printer::{CodePage, PrinterModel, ReceiptQr, ShopLines, SpoolTiming};
use paycode_kiosk::sale::{CodeInfo, CodeShape, NewSale, Phase};

/// How long anything a test waits for may take before the test fails.
pub const WAIT: Duration = Duration::from_secs(10);

/// A 58 mm generic printer's receipts for `merchant`, with an address under the name.
pub fn style(width: usize, merchant: &str) -> ReceiptStyle {
    ReceiptStyle {
        merchant_name: merchant.into(),
        terminal_id: "SHOP1-TILL1".into(),
        header: ShopLines::same(vec!["12 Siaka Stevens Street".into(), "Freetown".into()]),
        footer: None,
        model: PrinterModel::Generic,
        width,
        code_page: CodePage::Pc858,
        qr: ReceiptQr::Native,
        currency_style: CurrencyStyle::Symbol,
        zone: FixedOffset::east_opt(0).expect("UTC"),
        language: Default::default(),
    }
}

/// A fresh journal in `folder`.
pub fn journal(folder: &Path) -> Journal {
    Journal::open(&folder.join("journal.sqlite")).expect("journal")
}

/// Writes a paid sale of `minor` leones into the journal, its receipt owed, and gives its
/// number.
pub fn paid_sale(journal: &Journal, minor: i64) -> i64 {
    let now = Utc::now();
    let sale = NewSale {
        reference: Some("INV-7".into()),
        ..NewSale::of(Money::new(Currency::Sle, minor))
    };
    let shape = CodeShape::new("Shop sale", "SHOP1-TILL1");
    let key = uuid::Uuid::new_v4().to_string();
    let mut record = journal.begin_sale(&key, now, &shape, &sale).expect("begin");
    record.code = Some(CodeInfo {
        id: format!("pmc-test{}", record.number),
        ussd_code: format!("*715*1*{:08}#", record.number),
        expire_time: None,
    });
    record.phase = Phase::Paid;
    record.payment = Some(ProcessedPayment {
        provider_id: Some("m17".into()),
        order_number: Some("ORD-55".into()),
        payment_id: Some("pay-abc".into()),
        ..Default::default()
    });
    journal.save(&record, now, Some("paid")).expect("save");
    record.number
}

pub fn receipt_state(journal: &Journal, number: i64) -> Receipt {
    journal
        .sale(number)
        .expect("read")
        .expect("the sale is there")
        .receipt
}

/// The bytes of sale `number`'s receipt in `style`, as the queue lays it out.
pub fn receipt_bytes(journal: &Journal, style: &ReceiptStyle, number: i64) -> Vec<u8> {
    let sale = journal.sale(number).expect("read").expect("the sale");
    let paid_at = journal
        .paid_at(number)
        .expect("read")
        .unwrap_or(sale.updated_at);
    receipt::sale_receipt(style, &sale, paid_at, false).expect("layout")
}

/// Waits until `condition` holds, or `WAIT` passes; says whether it held.
pub async fn wait_until(mut condition: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + WAIT;
    while tokio::time::Instant::now() < deadline {
        if condition() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    condition()
}

/// Owed receipts tried every 200 ms, the device looked for every 50 ms.
pub fn fast() -> SpoolTiming {
    SpoolTiming {
        retry_every: Duration::from_millis(200),
        presence_poll: Duration::from_millis(50),
    }
}

/// How many times `needle` occurs in `haystack`, overlaps included.
pub fn occurrences(haystack: &[u8], needle: &[u8]) -> usize {
    if needle.is_empty() {
        return 0;
    }
    haystack
        .windows(needle.len())
        .filter(|window| *window == needle)
        .count()
}

/// Where `needle` first occurs in `haystack`.
pub fn position(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}
