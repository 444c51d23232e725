//! The journal's promises: written before acted on, read back as written, kept across reopening.

use rusqlite::Connection;
use rusqlite_migration::{M, Migrations};

use super::open::{MIGRATIONS, PAGE_CACHE_KIB};
use super::*;
use crate::money::{Currency, Money};

pub(super) fn shape() -> CodeShape {
    CodeShape::new("Shop sale {sale}", "T1")
}

pub(super) fn sale() -> NewSale {
    NewSale {
        reference: Some("R1".into()),
        ..NewSale::of(Money::new(Currency::Sle, 1250))
    }
}

pub(super) fn open() -> (tempfile::TempDir, Journal) {
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = Journal::open(&dir.path().join("state/journal.sqlite")).expect("open");
    (dir, journal)
}

#[test]
fn a_sale_is_stored_before_it_is_sent_and_read_back_whole() {
    let (_dir, journal) = open();
    let now = Utc::now();
    let record = journal
        .begin_sale("key-1", now, &shape(), &sale())
        .expect("begin");
    assert_eq!(record.number, 1);
    assert_eq!(record.request.name, "Shop sale 1");
    let unsettled = journal.unsettled().expect("unsettled");
    assert_eq!(unsettled.len(), 1);
    assert_eq!(unsettled[0].record, record);

    let mut paid = record.clone();
    paid.phase = Phase::Paid;
    paid.code = Some(CodeInfo {
        id: "pmc-1".into(),
        ussd_code: "*715*1*1#".into(),
        expire_time: Some(now),
    });
    paid.payment = Some(ProcessedPayment {
        order_number: Some("ORD".into()),
        ..ProcessedPayment::default()
    });
    journal.save(&paid, now, Some("completed")).expect("save");
    let stored = journal.sale(1).expect("read").expect("present");
    assert_eq!(
        stored.record.code,
        paid.code.clone().map(|mut c| {
            c.expire_time = c
                .expire_time
                .map(|t| parse_time(&timestamp(t)).expect("time"));
            c
        })
    );
    assert_eq!(stored.record.payment, paid.payment);
    assert!(
        stored.receipt_owed(),
        "a paid sale owes its receipt until printed"
    );
    assert_eq!(journal.unsettled().expect("unsettled").len(), 1);
    journal.set_receipt(1, Receipt::Printed).expect("printed");
    assert!(journal.unsettled().expect("unsettled").is_empty());
    let phases: Vec<Phase> = journal
        .events(1)
        .expect("events")
        .iter()
        .map(|e| e.phase)
        .collect();
    assert_eq!(phases, vec![Phase::CreatingCode, Phase::Paid]);
}

#[test]
fn keys_are_unique() {
    let (_dir, journal) = open();
    journal
        .begin_sale("same", Utc::now(), &shape(), &sale())
        .expect("first");
    let error = journal
        .begin_sale("same", Utc::now(), &shape(), &sale())
        .expect_err("second");
    assert!(error.message.contains("UNIQUE"), "{error}");
    assert_eq!(
        journal.recent(10).expect("recent").len(),
        1,
        "the failed one left nothing"
    );
}

#[test]
fn reopening_keeps_everything_and_does_not_migrate_twice() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("journal.sqlite");
    {
        let journal = Journal::open(&path).expect("open");
        journal
            .begin_sale("k1", Utc::now(), &shape(), &sale())
            .expect("begin");
    }
    let journal = Journal::open(&path).expect("reopen");
    assert_eq!(journal.recent(5).expect("recent").len(), 1);
    let version: i64 = journal
        .lock()
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .expect("version");
    assert_eq!(version, MIGRATIONS.len() as i64);
    let synchronous: i64 = journal
        .lock()
        .query_row("PRAGMA synchronous", [], |row| row.get(0))
        .expect("synchronous");
    assert_eq!(synchronous, 2, "FULL");
    let cache_size: i64 = journal
        .lock()
        .query_row("PRAGMA cache_size", [], |row| row.get(0))
        .expect("cache size");
    assert_eq!(
        cache_size,
        -i64::from(PAGE_CACHE_KIB),
        "the page cache's bound"
    );
}

#[test]
fn the_migrations_are_valid() {
    let migrations = Migrations::new(MIGRATIONS.iter().map(|sql| M::up(sql)).collect());
    assert!(migrations.validate().is_ok());
}

#[test]
fn an_unwritable_place_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "x").expect("write");
    let error = Journal::open(&blocker.join("journal.sqlite")).expect_err("not a folder");
    assert!(error.to_string().contains("[storage] path"), "{error}");
}

#[test]
fn recent_is_newest_first_and_between_selects_by_time() {
    let (_dir, journal) = open();
    let start = Utc::now();
    for index in 0..3 {
        let at = start + chrono::Duration::hours(index);
        journal
            .begin_sale(&format!("k{index}"), at, &shape(), &sale())
            .expect("begin");
    }
    let numbers: Vec<i64> = journal
        .recent(2)
        .expect("recent")
        .iter()
        .map(|s| s.record.number)
        .collect();
    assert_eq!(numbers, vec![3, 2]);
    let window = journal
        .between(
            start + chrono::Duration::minutes(30),
            start + chrono::Duration::hours(2),
        )
        .expect("between");
    assert_eq!(
        window.iter().map(|s| s.record.number).collect::<Vec<_>>(),
        vec![2]
    );
}

#[test]
fn a_damaged_journal_is_kept_aside_and_a_fresh_one_started() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("journal.sqlite");
    let garbage = b"this was a journal until the SD card failed".repeat(200);
    std::fs::write(&path, &garbage).expect("write");

    let refused = Journal::open(&path).expect_err("a damaged file is not opened as is");
    assert_eq!(refused.kind, ProblemKind::Corrupt, "{refused}");

    let when = chrono::Local::now();
    let opened = Journal::open_or_start_afresh(&path, when).expect("a fresh journal");
    let aside = opened
        .moved_aside
        .expect("the damaged file was moved aside");
    assert_eq!(
        aside.file_name().and_then(|name| name.to_str()),
        Some(format!("journal.sqlite.corrupt-{}", when.format("%Y%m%d-%H%M%S")).as_str())
    );
    assert_eq!(
        std::fs::read(&aside).expect("kept"),
        garbage,
        "kept as it was"
    );
    let record = opened
        .journal
        .begin_sale("key-1", Utc::now(), &shape(), &sale())
        .expect("the fresh journal sells");
    assert_eq!(record.number, 1);

    assert_eq!(opened.journal.kept_aside(), vec![aside.clone()]);
    let again = Journal::open_or_start_afresh(&path, chrono::Local::now()).expect("reopen");
    assert!(again.moved_aside.is_none(), "a good journal stays");
    assert_eq!(again.journal.recent(5).expect("recent").len(), 1);
}

#[test]
fn a_journal_from_a_newer_version_is_not_moved_aside() {
    let (dir, journal) = open();
    drop(journal);
    let path = dir.path().join("state/journal.sqlite");
    let connection = Connection::open(&path).expect("open");
    connection
        .pragma_update(None, "user_version", 99)
        .expect("version");
    drop(connection);
    let refused = Journal::open_or_start_afresh(&path, chrono::Local::now())
        .expect_err("a newer journal is refused");
    assert_eq!(refused.kind, ProblemKind::Other);
    assert!(refused.message.contains("newer"), "{refused}");
    assert!(path.exists(), "left where it was");
}

#[test]
fn a_full_disk_refuses_with_what_is_free() {
    let (_dir, journal) = open();
    journal.check_free_space().expect("this machine has room");
    let refused = journal
        .check_free_space_above(u64::MAX)
        .expect_err("no disk has that much");
    assert_eq!(refused.kind, ProblemKind::DiskFull);
    assert!(
        refused.message.contains("the disk is full") && refused.message.contains("free"),
        "{refused}"
    );
}

#[test]
fn a_journal_named_without_a_folder_is_in_the_current_one() {
    let journal = Journal {
        connection: Arc::new(Mutex::new(Connection::open_in_memory().expect("memory"))),
        path: PathBuf::from("journal.sqlite"),
    };
    assert_eq!(journal.folder(), Path::new("."));
    journal
        .check_free_space()
        .expect("the current folder has room");
    assert_eq!(journal.backup_folder(), Path::new("./backups"));
}

#[test]
fn an_item_sale_keeps_its_order_and_a_keyed_sale_stores_none() {
    use crate::order::{Order, OrderLine};
    let (_dir, journal) = open();
    let order = Order {
        items: vec![OrderLine {
            name: "Rice 1 kg".into(),
            unit_minor: 4000,
            quantity: 3,
        }],
        tip_minor: 600,
    };
    let sent = order.clone();
    journal
        .begin_sale(
            "key-1",
            Utc::now(),
            &shape(),
            &NewSale {
                order: sent,
                ..sale()
            },
        )
        .expect("begin");
    journal
        .begin_sale("key-2", Utc::now(), &shape(), &sale())
        .expect("begin");
    assert_eq!(journal.sale(1).expect("read").expect("sale 1").order, order);
    assert!(
        journal
            .sale(2)
            .expect("read")
            .expect("sale 2")
            .order
            .is_plain()
    );
    let stored: Option<String> = journal
        .lock()
        .query_row("SELECT order_json FROM sales WHERE id = 2", [], |row| {
            row.get(0)
        })
        .expect("query");
    assert_eq!(stored, None, "nothing stored for a keyed sale");
}
