//! `export` with the real binary: the CSV, read back with the `csv` crate, and the JSON, read back
//! with serde_json, hold the journal's sales field by field, with a comma, a quote, a line break
//! and non-ASCII text in them; the CSV is RFC 4180 with a byte order mark and CRLF line ends.

mod common;

use std::collections::BTreeMap;

use chrono::{Local, Utc};
use common::cli::{args, run, setup, text};
use paycode_kiosk::journal::{Journal, Receipt, StoredSale};
use paycode_kiosk::lang::Language;
use paycode_kiosk::money::{Currency, Money};
use paycode_kiosk::monime::ProcessedPayment;
use paycode_kiosk::order::{Order, OrderLine};
use paycode_kiosk::report::receipt_label;
use paycode_kiosk::sale::{CodeInfo, CodeShape, NewSale, Phase};
use paycode_kiosk::simulator::SimulatorOptions;

const REFERENCE: &str = "Fatmata's \"Big\" shop, Freetown — Sàlone €";
const CASHIER: &str = "Aminata \"Ami\", Bo";

/// A sale written into the journal as a finished one leaves it.
fn sale(journal: &Journal, key: &str, minor: i64, phase: Phase, reference: Option<&str>) -> i64 {
    sale_of(journal, key, minor, phase, reference, Order::default())
}

/// `sale` made of `order`.
fn sale_of(
    journal: &Journal,
    key: &str,
    minor: i64,
    phase: Phase,
    reference: Option<&str>,
    order: Order,
) -> i64 {
    let mut record = journal
        .begin_sale(
            key,
            Utc::now(),
            &CodeShape::new("sale {sale}", "KIOSK-1"),
            &NewSale {
                reference: reference.map(str::to_string),
                order,
                ..NewSale::of(Money::new(Currency::Sle, minor))
            },
        )
        .expect("begin");
    record.phase = phase;
    record.code = Some(CodeInfo {
        id: format!("pmc-{key}"),
        ussd_code: format!("*715*1*{minor:010}#"),
        expire_time: None,
    });
    if phase == Phase::Paid {
        record.payment = Some(ProcessedPayment {
            amount: Some(Money::new(Currency::Sle, minor)),
            order_number: Some(format!("ord-{key}")),
            payment_id: Some(format!("pay-{key}")),
            provider_id: Some("m18".into()),
            ..Default::default()
        });
    }
    journal.save(&record, Utc::now(), None).expect("save");
    record.number
}

/// What a row must hold for `sale`, read from the journal's own record, as text.
fn expected(sale: &StoredSale) -> BTreeMap<String, String> {
    let record = &sale.record;
    let text = |value: Option<&str>| value.unwrap_or_default().to_string();
    let payment = record.payment.as_ref();
    let proof = sale.proof.as_ref();
    let paid = record.phase == Phase::Paid;
    [
        ("sale", record.number.to_string()),
        (
            "local_time",
            sale.created_at
                .with_timezone(&Local)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string(),
        ),
        ("cashier", text(sale.books.cashier.as_deref())),
        ("amount_minor", record.paid_amount().minor.to_string()),
        ("amount", record.paid_amount().to_string()),
        ("currency", record.paid_amount().currency.code().to_string()),
        ("outcome", record.phase.as_str().to_string()),
        ("code_id", text(record.code.as_ref().map(|c| c.id.as_str()))),
        (
            "ussd_code",
            text(record.code.as_ref().map(|c| c.ussd_code.as_str())),
        ),
        ("provider", text(payment.and_then(|p| p.provider_name()))),
        (
            "order_number",
            text(payment.and_then(|p| p.order_number.as_deref())),
        ),
        (
            "payment_id",
            text(payment.and_then(|p| p.payment_id.as_deref())),
        ),
        ("reference", text(record.request.reference.as_deref())),
        ("items", String::new()),
        ("tip_minor", sale.order.tip_minor.to_string()),
        (
            "receipt",
            if paid {
                receipt_label(sale.receipt, Language::English).to_string()
            } else {
                String::new()
            },
        ),
        (
            "z_number",
            sale.books
                .z_number
                .map(|z| z.to_string())
                .unwrap_or_default(),
        ),
        ("restored", sale.books.restored.to_string()),
        (
            "operator_reference",
            text(proof.and_then(|p| p.reference.as_deref())),
        ),
        (
            "payer_number",
            text(proof.and_then(|p| p.masked_number.as_deref())),
        ),
        (
            "monime_fees_minor",
            proof
                .and_then(|p| p.fee_total(record.paid_amount().currency))
                .map(|fee| fee.minor.to_string())
                .unwrap_or_default(),
        ),
        ("kind", "sale".into()),
        ("refund", String::new()),
        ("payout_id", String::new()),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_string(), value))
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csv_and_json_read_back_equal_the_journal() {
    let setup = setup(SimulatorOptions::default(), "").await;
    let journal = Journal::open(&setup.journal()).expect("journal");
    // Two bags of rice and a soap, Le 1,138 typed beside them and a tip of Le 10.
    let line = |name: &str, unit_minor, quantity| OrderLine {
        name: name.into(),
        unit_minor,
        quantity,
    };
    let order = Order {
        items: vec![line("Rice 1 kg", 4500, 2), line("Soap", 1250, 1)],
        tip_minor: 1000,
    };
    let first = sale_of(&journal, "a1", 125_050, Phase::Paid, Some(REFERENCE), order);
    journal
        .set_receipt(first, Receipt::Printed)
        .expect("printed");
    // Monime's payment gave the first sale's payer's proof.
    journal
        .set_proof(
            first,
            &paycode_kiosk::journal::PayerProof {
                payment_id: "pay-a1".into(),
                provider_id: Some("m18".into()),
                reference: Some("AM251206.0930.B12345".into()),
                masked_number: Some("+23230***912".into()),
                fingerprint: Some("fp-1".into()),
                fees: vec![paycode_kiosk::monime::Fee {
                    code: Some("processing".into()),
                    amount: paycode_kiosk::money::Money::new(
                        paycode_kiosk::money::Currency::Sle,
                        1250,
                    ),
                }],
            },
        )
        .expect("proof");
    sale(&journal, "a2", 700, Phase::Expired, None);
    rusqlite::Connection::open(setup.journal())
        .expect("sqlite")
        .execute(
            "UPDATE sales SET cashier = ?1 WHERE id = ?2",
            rusqlite::params![CASHIER, first],
        )
        .expect("a cashier");
    journal
        .close_day(Local::now().date_naive(), Utc::now(), None)
        .expect("close");
    sale(&journal, "a3", 99, Phase::Paid, Some("line one\nline two"));
    let mut sales = journal.recent(10).expect("read");
    sales.sort_by_key(|sale| sale.record.number);
    assert_eq!(sales.len(), 3);

    // CSV to a file: a byte order mark, CRLF line ends, and every field back as it was.
    let file = setup.dir.path().join("sales.csv");
    let out = file.display().to_string();
    let output = run(args(&["export", "--out", &out], &setup.config)).await;
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}{stderr}");
    assert!(stderr.contains("3 sale(s)"), "{stderr}");
    let bytes = std::fs::read(&file).expect("the file");
    assert!(
        bytes.starts_with(b"\xEF\xBB\xBF"),
        "a UTF-8 byte order mark"
    );
    let csv_text = std::str::from_utf8(&bytes).expect("UTF-8");
    assert_eq!(
        csv_text.matches("\r\n").count(),
        4,
        "a header and three rows, each ended by CRLF: {csv_text:?}"
    );
    assert!(
        csv_text.contains("\"line one\nline two\""),
        "a line break is kept, quoted"
    );
    let mut reader = csv::Reader::from_path(&file).expect("csv");
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(header[0], "sale", "the byte order mark is not in the name");
    let rows: Vec<BTreeMap<String, String>> = reader
        .records()
        .map(|record| {
            let record = record.expect("a record");
            header
                .iter()
                .cloned()
                .zip(record.iter().map(str::to_string))
                .collect()
        })
        .collect();
    let mut wanted: Vec<BTreeMap<String, String>> = sales.iter().map(expected).collect();
    wanted[0].insert("items".into(), "2 x Rice 1 kg = 90.00; Soap = 12.50".into());
    assert_eq!(rows, wanted);
    assert_eq!(rows[0]["reference"], REFERENCE);
    assert_eq!(rows[0]["cashier"], CASHIER);
    assert_eq!(rows[0]["amount"], "Le 1,250.50");
    assert_eq!(rows[0]["z_number"], "1");
    assert_eq!(rows[0]["tip_minor"], "1000", "the tip apart from the sale");
    assert_eq!(rows[0]["operator_reference"], "AM251206.0930.B12345");
    assert_eq!(rows[0]["payer_number"], "+23230***912");
    assert_eq!(rows[0]["monime_fees_minor"], "1250");
    assert_eq!(rows[2]["z_number"], "", "not yet closed");

    // JSON to stdout: an array of objects with the same fields.
    let output = run(args(&["export", "--format", "json"], &setup.config)).await;
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stderr}");
    let json: Vec<serde_json::Map<String, serde_json::Value>> =
        serde_json::from_str(&stdout).expect("a JSON array of objects");
    let rows: Vec<BTreeMap<String, String>> = json
        .iter()
        .map(|object| {
            object
                .iter()
                .map(|(name, value)| {
                    let value = match value {
                        serde_json::Value::Null => String::new(),
                        serde_json::Value::String(text) => text.clone(),
                        other => other.to_string(),
                    };
                    (name.clone(), value)
                })
                .collect()
        })
        .collect();
    assert_eq!(rows, wanted);
    assert!(json[0]["amount_minor"].is_i64() && json[2]["z_number"].is_null());

    // Another day holds nothing here; days in the wrong order are refused with what to do.
    let output = run(args(
        &["export", "--from", "2020-01-01", "--to", "2020-01-01"],
        &setup.config,
    ))
    .await;
    let (stdout, _) = text(&output);
    assert!(output.status.success());
    assert_eq!(stdout.trim_start_matches('\u{feff}').lines().count(), 1);
    let output = run(args(
        &["export", "--from", "2020-01-02", "--to", "2020-01-01"],
        &setup.config,
    ))
    .await;
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output).1.contains("give the earlier day as --from"));
}
