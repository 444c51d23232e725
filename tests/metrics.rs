//! The metrics file node_exporter reads, as the terminal's writer leaves it after real sales
//! through the simulator over HTTP (one paid, one expired, one unknown): parsed back and every
//! value checked, free of anything secret or personal, and accepted by `promtool check
//! metrics` (Debian's `prometheus` package, which CI installs; CI sets
//! `PAYCODE_KIOSK_NEED_PROMTOOL` so that its absence fails there).

mod common;

use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;
use std::time::Duration;

use common::{code_id, finish, sale, sell, shape, shop, wait_for};
use paycode_kiosk::controller::{start_sale, start_sale_with};
use paycode_kiosk::metrics::{self, FILE_NAME, Sources};
use paycode_kiosk::sale::{Bounds, Phase};
use paycode_kiosk::simulator::DEMO_ACCESS_TOKEN;

/// The file's samples, by name and labels as written: `name{label="value"}`.
fn samples(text: &str) -> HashMap<String, f64> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .map(|line| {
            let (key, value) = line.rsplit_once(' ').expect("a sample has a value");
            let value = match value {
                "+Inf" => f64::INFINITY,
                number => number.parse().expect("a number"),
            };
            (key.to_string(), value)
        })
        .collect()
}

#[tokio::test]
async fn the_metrics_file_after_a_paid_an_expired_and_an_unknown_sale() {
    let shop = shop().await;
    let paid = sell(&shop, 1250).await;
    let id = code_id(&paid).await;
    shop.sim
        .pay(&id, Some(Duration::from_millis(100)))
        .expect("paid");
    assert_eq!(finish(paid).await.record.phase, Phase::Paid);
    let expiring = start_sale(&shop.services, &shape("1s"), sale(300))
        .await
        .expect("sale");
    assert_eq!(finish(expiring).await.record.phase, Phase::Expired);
    let bounds = Bounds {
        unknown_after: Duration::from_secs(1),
        ..Bounds::ATTENDED
    };
    let lost = start_sale_with(&shop.services, bounds, &shape("10m"), sale(700))
        .await
        .expect("sale");
    let id = code_id(&lost).await;
    wait_for(&lost, "awaiting", |s| {
        s.record.phase == Phase::AwaitingPayment
    })
    .await;
    shop.services.client.delete(&id).await.expect("deleted");
    assert_eq!(finish(lost).await.record.phase, Phase::Unknown);

    let folder = tempfile::tempdir().expect("tempdir");
    let sources = Sources::new(&shop.services, None, Arc::default());
    // Written under the unit's UMask=0077, as on a terminal: node_exporter, another user, must
    // still read it. (The only test in this binary, so no other test sees the umask.)
    // SAFETY: umask only swaps the process's file-creation mask.
    let umask = unsafe { libc::umask(0o077) };
    let written = metrics::write(&sources, folder.path()).await;
    // SAFETY: as above, putting the mask back.
    unsafe { libc::umask(umask) };
    written.expect("written");
    let file = folder.path().join(FILE_NAME);
    let mode = std::fs::metadata(&file)
        .expect("the file")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, metrics::FILE_MODE, "mode {mode:o}");
    let text = std::fs::read_to_string(&file).expect("the file");
    let found = samples(&text);
    let value = |key: &str| {
        *found
            .get(key)
            .unwrap_or_else(|| panic!("{key} is not in\n{text}"))
    };
    for (outcome, count) in [
        ("paid", 1.0),
        ("expired", 1.0),
        ("unknown", 1.0),
        ("cancelled", 0.0),
        ("failed", 0.0),
    ] {
        let key = format!("paycode_kiosk_sales_total{{outcome=\"{outcome}\"}}");
        assert_eq!(value(&key), count, "{key}");
    }
    assert_eq!(value("paycode_kiosk_sales_unsettled"), 0.0);
    assert_eq!(
        value("paycode_kiosk_paid_minor_units_total{currency=\"SLE\"}"),
        1250.0
    );
    assert_eq!(value("paycode_kiosk_paid_latency_seconds_count"), 1.0);
    assert_eq!(
        value("paycode_kiosk_paid_latency_seconds_bucket{le=\"+Inf\"}"),
        1.0
    );
    assert!(value("paycode_kiosk_paid_latency_seconds_bucket{le=\"5\"}") == 1.0);
    assert_eq!(value("paycode_kiosk_monime_up"), 1.0);
    assert!(value("paycode_kiosk_monime_requests_total{answer=\"ok\"}") >= 6.0);
    assert!(
        value("paycode_kiosk_monime_requests_total{answer=\"client_error\"}") >= 1.0,
        "the deleted code's 404s"
    );
    assert_eq!(value("paycode_kiosk_receipts_owed"), 0.0);
    assert_eq!(value("paycode_kiosk_cashiers_signed_in"), 0.0);
    assert!(value("paycode_kiosk_journal_size_bytes") > 0.0);
    let version = format!(
        "paycode_kiosk_build_info{{version=\"{}\"}}",
        env!("CARGO_PKG_VERSION")
    );
    assert_eq!(value(&version), 1.0);
    let now = chrono::Utc::now().timestamp() as f64;
    let last_sale = value("paycode_kiosk_last_sale_timestamp_seconds");
    assert!((now - last_sale).abs() < 120.0, "{last_sale} vs {now}");

    // Nothing secret or personal: no token, no code, no number.
    for secret in [DEMO_ACCESS_TOKEN, "pmc-", "+232", "Bearer"] {
        assert!(!text.contains(secret), "{secret:?} in\n{text}");
    }
    promtool_checks(&file);
}

/// `promtool check metrics` on the file, where promtool is installed.
fn promtool_checks(file: &std::path::Path) {
    let text = std::fs::read(file).expect("the file");
    let run = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let mut child = match run {
        Ok(child) => child,
        Err(error) if std::env::var_os("PAYCODE_KIOSK_NEED_PROMTOOL").is_some() => {
            panic!("promtool is needed here (apt-get install prometheus): {error}")
        }
        Err(_) => {
            eprintln!("promtool is not installed: the file was only parsed here");
            return;
        }
    };
    use std::io::Write;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&text)
        .expect("written to promtool");
    let output = child.wait_with_output().expect("promtool ends");
    assert!(
        output.status.success(),
        "promtool check metrics:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
