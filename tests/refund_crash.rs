//! Power cuts in the middle of refunds: a real `paycode-kiosk refund` process is killed with
//! SIGKILL at a random moment, again and again, now and then while Monime holds its answer or
//! drops it, and `paycode-kiosk recover` is run after each. Afterwards every refund the journal
//! holds has exactly one payout at Monime under its key, every payout at Monime has its refund,
//! and no refund says "Refunded" without Monime's `completed`.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use chrono::Utc;
use paycode_kiosk::journal::Journal;
use paycode_kiosk::money::{Currency, Money};
use paycode_kiosk::monime::{PayoutStatus, ProcessedPayment};
use paycode_kiosk::refund::RefundPhase;
use paycode_kiosk::sale::{CodeInfo, CodeShape, NewSale, Phase};
use paycode_kiosk::simulator::{Endpoint, Fault, FaultRule, SimulatorHandle, SimulatorOptions};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const KILLS: usize = 12;

fn write_config(dir: &Path, sim: &SimulatorHandle) -> std::path::PathBuf {
    let path = dir.join("config.toml");
    let text = format!(
        r#"
[monime]
base_url = "{}"
space_id = "{}"
access_token = "{}"
request_timeout_secs = 2

[kiosk]
merchant_name = "Crash Test Shop"
terminal_id = "CRASH-1"
poll_interval_ms = 250

[refunds]
enabled = true
daily_limit = 100000

[storage]
path = "journal.sqlite"
"#,
        sim.base_url(),
        paycode_kiosk::simulator::DEMO_SPACE_ID,
        paycode_kiosk::simulator::DEMO_ACCESS_TOKEN,
    );
    std::fs::write(&path, text).expect("config written");
    path
}

fn kiosk() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_paycode-kiosk"));
    command
        .env_remove("PAYCODE_KIOSK_CONFIG")
        .env_remove("MONIME_ACCESS_TOKEN")
        .stdin(Stdio::null());
    command
}

/// A sale of `minor` leones paid by AMINATA KAMARA's Orange Money number, as the journal holds
/// one once Monime said it was paid.
fn paid_sale(journal: &Journal, minor: i64) -> i64 {
    let now = Utc::now();
    let shape = CodeShape::new("Crash sale {sale}", "CRASH-1");
    let key = uuid::Uuid::new_v4().to_string();
    let sale = NewSale::of(Money::new(Currency::Sle, minor));
    let mut record = journal.begin_sale(&key, now, &shape, &sale).expect("begin");
    record.code = Some(CodeInfo {
        id: format!("pmc-crash{}", record.number),
        ussd_code: "*715*1*1#".into(),
        expire_time: None,
    });
    record.phase = Phase::Paid;
    record.payment = Some(ProcessedPayment {
        provider_id: Some("m17".into()),
        account_id: Some("+23276***456".into()),
        ..ProcessedPayment::default()
    });
    journal.save(&record, now, Some("paid")).expect("save");
    record.number
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_refunds_end_with_one_payout_each() {
    let seed: u64 = std::env::var("CRASH_SEED")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(rand::random);
    println!("CRASH_SEED={seed}");
    let mut rng = StdRng::seed_from_u64(seed);
    let sim = SimulatorHandle::start(SimulatorOptions {
        payout_pending_time: Duration::from_millis(200),
        payout_processing_time: Some(Duration::from_millis(300)),
        ..SimulatorOptions::default()
    })
    .await
    .expect("simulator");
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path(), &sim);
    let journal_path = dir.path().join("journal.sqlite");
    let sales: Vec<(i64, i64)> = {
        let journal = Journal::open(&journal_path).expect("journal");
        (0..KILLS)
            .map(|_| {
                let minor = rng.random_range(100..50_000);
                (paid_sale(&journal, minor), minor)
            })
            .collect()
    };

    for (round, (sale, minor)) in sales.iter().enumerate() {
        match rng.random_range(0..4) {
            0 => sim.push_fault(FaultRule {
                endpoint: Endpoint::CreatePayout,
                fault: Fault::Delay { ms: 600 },
                times: 1,
            }),
            1 => sim.push_fault(FaultRule {
                endpoint: Endpoint::CreatePayout,
                fault: Fault::DropAfterProcessing,
                times: 1,
            }),
            _ => {}
        }
        // Some refunds give back part of the sale, the rest the whole.
        let amount = if rng.random_bool(0.5) {
            Money::new(Currency::Sle, minor / 2 + 1).plain()
        } else {
            Money::new(Currency::Sle, *minor).plain()
        };
        let mut refund = kiosk()
            .args(["refund", &sale.to_string(), "--amount", &amount])
            .args(["--to", "076123456", "--yes", "--pin", "0000", "--config"])
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("refund starts");
        let kill_after = Duration::from_millis(rng.random_range(0..2500));
        tokio::time::sleep(kill_after).await;
        // SIGKILL: no handler runs, as at a power cut.
        let _ = refund.kill();
        let _ = refund.wait();
        sim.clear_faults();

        let recover = tokio::task::spawn_blocking({
            let config = config.clone();
            move || kiosk().args(["recover", "--config"]).arg(&config).output()
        })
        .await
        .expect("recover task")
        .expect("recover runs");
        assert!(
            recover.status.success(),
            "round {round} (seed {seed}): recover failed: {}{}",
            String::from_utf8_lossy(&recover.stdout),
            String::from_utf8_lossy(&recover.stderr)
        );
    }

    let journal = Journal::open(&journal_path).expect("journal");
    let mut refunds = Vec::new();
    for (sale, _) in &sales {
        refunds.extend(journal.refunds_of_sale(*sale).expect("refunds"));
    }
    let payouts = sim.payouts();
    assert!(
        refunds.len() >= KILLS / 3,
        "seed {seed}: most refunds got as far as the journal: {}",
        refunds.len()
    );
    let mut payouts_per_key: HashMap<&str, usize> = HashMap::new();
    for payout in &payouts {
        *payouts_per_key
            .entry(payout.idempotency_key.as_str())
            .or_default() += 1;
        let refund = refunds
            .iter()
            .find(|refund| refund.record.idempotency_key == payout.idempotency_key)
            .unwrap_or_else(|| panic!("seed {seed}: payout {} has no refund", payout.id));
        assert_eq!(
            refund.record.amount.minor, payout.amount_minor,
            "seed {seed}"
        );
        assert_eq!(
            refund.record.payout_id(),
            Some(payout.id.as_str()),
            "seed {seed}: the journal follows the payout Monime holds"
        );
    }
    for refund in &refunds {
        let record = &refund.record;
        let count = payouts_per_key
            .get(record.idempotency_key.as_str())
            .copied()
            .unwrap_or(0);
        assert_eq!(
            count, 1,
            "seed {seed}: refund {} has {count} payouts",
            record.number
        );
        assert!(
            record.phase.is_final(),
            "seed {seed}: refund {} left {:?}",
            record.number,
            record.phase
        );
        let completed = payouts.iter().any(|p| {
            p.idempotency_key == record.idempotency_key && p.status == PayoutStatus::Completed
        });
        assert_eq!(
            record.phase == RefundPhase::Completed,
            completed,
            "seed {seed}: refund {} is {:?}",
            record.number,
            record.phase
        );
        assert!(
            record.request.is_none(),
            "seed {seed}: a settled refund keeps no number"
        );
    }
}
