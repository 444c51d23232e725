//! Power cuts in the middle of sales: a real `paycode-kiosk charge` process is killed with
//! SIGKILL at a random moment, again and again, and `paycode-kiosk recover` is run after each.
//! Afterwards no sale is lost, no sale has a second code, and no sale is paid without Monime's
//! `completed`.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use paycode_kiosk::journal::Journal;
use paycode_kiosk::monime::CodeStatus;
use paycode_kiosk::sale::Phase;
use paycode_kiosk::simulator::{Endpoint, Fault, FaultRule, SimulatorHandle, SimulatorOptions};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const KILLS: usize = 24;

fn write_config(dir: &Path, sim: &SimulatorHandle) -> std::path::PathBuf {
    let path = dir.join("config.toml");
    let text = format!(
        r#"
[monime]
base_url = "{}"
space_id = "{}"
access_token = "{}"
code_duration = "1m"
request_timeout_secs = 2

[kiosk]
merchant_name = "Crash Test Shop"
terminal_id = "CRASH-1"
poll_interval_ms = 250

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_sales_are_settled_without_loss_or_double_codes() {
    let seed: u64 = std::env::var("CRASH_SEED")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(rand::random);
    println!("CRASH_SEED={seed}");
    let mut rng = StdRng::seed_from_u64(seed);
    let sim = SimulatorHandle::start(SimulatorOptions {
        auto_pay_after: Some(Duration::from_millis(900)),
        processing_time: Duration::from_millis(400),
        ..SimulatorOptions::default()
    })
    .await
    .expect("simulator");
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path(), &sim);

    for round in 0..KILLS {
        // Now and then the network misbehaves as well, so kills land mid-request too.
        match rng.random_range(0..4) {
            0 => sim.push_fault(FaultRule {
                endpoint: Endpoint::Create,
                fault: Fault::Delay { ms: 400 },
                times: 1,
            }),
            1 => sim.push_fault(FaultRule {
                endpoint: Endpoint::Create,
                fault: Fault::DropAfterProcessing,
                times: 1,
            }),
            _ => {}
        }
        let amount = format!(
            "{}.{:02}",
            rng.random_range(1..500),
            rng.random_range(0..100)
        );
        let mut charge = kiosk()
            .args(["charge", &amount, "--config"])
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("charge starts");
        let kill_after = Duration::from_millis(rng.random_range(0..1800));
        tokio::time::sleep(kill_after).await;
        // SIGKILL: no handler runs, as at a power cut.
        let _ = charge.kill();
        let _ = charge.wait();

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

    let journal = Journal::open(&dir.path().join("journal.sqlite")).expect("journal");
    let sales = journal.recent(1000).expect("sales");
    let codes = sim.codes();
    assert!(
        sales.len() >= KILLS / 2,
        "most charges got as far as the journal: {}",
        sales.len()
    );

    let sales_by_key: HashMap<&str, _> = sales
        .iter()
        .map(|sale| (sale.record.idempotency_key.as_str(), sale))
        .collect();
    let mut codes_per_key: HashMap<&str, usize> = HashMap::new();
    for code in &codes {
        *codes_per_key
            .entry(code.idempotency_key.as_str())
            .or_default() += 1;
        let sale = sales_by_key
            .get(code.idempotency_key.as_str())
            .unwrap_or_else(|| {
                panic!(
                    "seed {seed}: code {} has no sale in the journal (a lost sale)",
                    code.id
                )
            });
        assert_eq!(
            sale.record.code.as_ref().map(|c| c.id.as_str()),
            Some(code.id.as_str()),
            "seed {seed}: the journal follows the code Monime holds"
        );
        assert_eq!(
            sale.record.amount().minor,
            code.amount_minor,
            "seed {seed}: amounts agree"
        );
    }
    for (key, count) in &codes_per_key {
        assert_eq!(
            *count, 1,
            "seed {seed}: sale with key {key} has {count} codes"
        );
    }
    for sale in &sales {
        let record = &sale.record;
        assert!(
            record.phase.is_final(),
            "seed {seed}: sale {} left {:?}",
            record.number,
            record.phase
        );
        let code = codes
            .iter()
            .find(|code| code.idempotency_key == record.idempotency_key);
        let monime_completed = code.is_some_and(|code| code.status == CodeStatus::Completed);
        assert_eq!(
            record.phase == Phase::Paid,
            monime_completed,
            "seed {seed}: sale {} is {:?} while Monime says {:?}",
            record.number,
            record.phase,
            code.map(|code| code.status)
        );
    }
}
