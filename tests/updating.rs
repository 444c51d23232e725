//! Updates that wait for the sale: a terminal asked to restart for an update (what the
//! package's maintainer script asks after an upgrade) waits while a code is on screen and
//! restarts once the sale is settled, or when the wait runs out. Real sales through the
//! simulator over HTTP; the process's exit is replaced by a recorder.

mod common;

use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Duration;

use common::cli::{args, run, setup, text};
use paycode_kiosk::money::{Currency, Money};
use paycode_kiosk::sale::{Bounds, NewSale, Phase};
use paycode_kiosk::shop::Shop;
use paycode_kiosk::simulator::SimulatorOptions;
use paycode_kiosk::terminal::{Launch, open_for_command};

static AFTER_THE_SALE: AtomicI32 = AtomicI32::new(-1);
static WAIT_RAN_OUT: AtomicI32 = AtomicI32::new(-1);

/// A sale whose code waits for the customer, and the shop it runs in.
async fn busy(config: &std::path::Path) -> (Shop, paycode_kiosk::controller::SaleHandle) {
    let shop = open_for_command(&Launch::with_config(config))
        .await
        .expect("the terminal opens");
    let handle = shop
        .start_sale(
            NewSale::of(Money::new(Currency::Sle, 500)),
            Bounds::ATTENDED,
        )
        .await
        .expect("the sale starts");
    let mut updates = handle.updates.clone();
    updates
        .wait_for(|sale| sale.record.phase == Phase::AwaitingPayment)
        .await
        .expect("the code on screen");
    (shop, handle)
}

async fn until_exit(recorded: &AtomicI32, within: Duration) -> Option<i32> {
    let started = tokio::time::Instant::now();
    while started.elapsed() < within {
        let code = recorded.load(Ordering::SeqCst);
        if code >= 0 {
            return Some(code);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_for_an_update_waits_until_the_sale_on_screen_is_paid() {
    let setup = setup(SimulatorOptions::default(), "").await;
    let (shop, handle) = busy(&setup.config).await;
    assert!(!shop.is_idle().await.expect("read"));
    shop.restart_when_idle(Duration::from_secs(600), |code| {
        AFTER_THE_SALE.store(code, Ordering::SeqCst)
    });
    assert_eq!(
        until_exit(&AFTER_THE_SALE, Duration::from_secs(3)).await,
        None,
        "no restart while the code is on screen"
    );
    let code = setup.sim.codes().remove(0);
    setup.sim.pay(&code.id, None).expect("paid");
    setup.sim.finish_payment(&code.id).expect("completed");
    let sale = handle.finished.await.expect("the sale ends");
    assert_eq!(sale.record.phase, Phase::Paid);
    assert_eq!(
        until_exit(&AFTER_THE_SALE, Duration::from_secs(5)).await,
        Some(0),
        "restarted once the sale was settled"
    );
    assert_eq!(setup.sim.codes().len(), 1, "one code");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_terminal_never_idle_restarts_when_the_wait_runs_out() {
    let setup = setup(SimulatorOptions::default(), "").await;
    let (shop, _handle) = busy(&setup.config).await;
    shop.restart_when_idle(Duration::from_secs(2), |code| {
        WAIT_RAN_OUT.store(code, Ordering::SeqCst)
    });
    assert_eq!(
        until_exit(&WAIT_RAN_OUT, Duration::from_secs(6)).await,
        Some(0)
    );
    let unsettled = shop.journal().unsettled().expect("read");
    assert_eq!(
        unsettled.len(),
        1,
        "the sale stays for the restart to take up"
    );
}

#[tokio::test]
async fn with_no_terminal_running_there_is_nothing_to_restart() {
    let setup = setup(SimulatorOptions::default(), "").await;
    let output = run(args(&["restart-when-idle"], &setup.config)).await;
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("nothing to restart"), "{stdout}");
}
