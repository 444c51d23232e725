//! What the sale tests share: a shop (simulator, client, journal) and ways to start a sale,
//! wait on it and finish it.
#![allow(dead_code)]

pub mod cli;
pub mod printing;
pub mod refunding;

use std::time::Duration;

use paycode_kiosk::controller::{Receipts, SaleHandle, Services, start_sale};
use paycode_kiosk::journal::{Journal, StoredSale};
use paycode_kiosk::money::{Currency, Money};
use paycode_kiosk::monime::{ApiVersion, ClientSettings, MonimeClient, RetryPolicy};
use paycode_kiosk::sale::{CodeShape, NewSale, Sale, Timing};
use paycode_kiosk::secret::AccessToken;
use paycode_kiosk::simulator::{DEMO_ACCESS_TOKEN, DEMO_SPACE_ID};
use paycode_kiosk::simulator::{Fault, SimulatorHandle, SimulatorOptions};

pub const POLL: Duration = Duration::from_millis(200);

pub struct Shop {
    pub sim: SimulatorHandle,
    pub services: Services,
    _dir: tempfile::TempDir,
}

pub async fn shop_with(options: SimulatorOptions, version: ApiVersion) -> Shop {
    let sim = SimulatorHandle::start(options).await.expect("simulator");
    let dir = tempfile::tempdir().expect("tempdir");
    let client = MonimeClient::new(ClientSettings {
        base_url: sim.base_url(),
        space_id: DEMO_SPACE_ID.into(),
        access_token: AccessToken::new(DEMO_ACCESS_TOKEN),
        api_version: version,
        request_timeout: Duration::from_secs(2),
        retry: RetryPolicy {
            max_attempts: 2,
            base_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(100),
        },
        min_request_gap: Duration::from_millis(50),
        shared_space: false,
        extra_root_certificate: None,
    })
    .expect("client");
    let services = Services {
        client,
        journal: Journal::open(&dir.path().join("journal.sqlite")).expect("journal"),
        timing: Timing::new(POLL),
        receipts: Receipts::NoPrinter,
        tallies: Default::default(),
    };
    Shop {
        sim,
        services,
        _dir: dir,
    }
}

pub async fn shop() -> Shop {
    shop_with(SimulatorOptions::default(), ApiVersion::default()).await
}

/// The test shop's codes, lasting `duration`.
pub fn shape(duration: &str) -> CodeShape {
    CodeShape {
        duration: duration.to_string(),
        ..CodeShape::new("Test shop sale {sale}", "T1")
    }
}

/// A keyed sale of `minor` leones.
pub fn sale(minor: i64) -> NewSale {
    NewSale::of(Money::new(Currency::Sle, minor))
}

pub async fn sell(shop: &Shop, minor: i64) -> SaleHandle {
    start_sale(&shop.services, &shape("10m"), sale(minor))
        .await
        .expect("sale starts")
}

/// Waits until the sale's state satisfies `ready`, and returns it.
pub async fn wait_for(handle: &SaleHandle, what: &str, ready: impl Fn(&Sale) -> bool) -> Sale {
    let mut updates = handle.updates.clone();
    let waited = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let sale = updates.borrow_and_update().clone();
            if ready(&sale) {
                return sale;
            }
            if updates.changed().await.is_err() {
                return updates.borrow().clone();
            }
        }
    })
    .await;
    waited.unwrap_or_else(|_| {
        panic!(
            "timed out waiting for {what}: {:?}",
            handle.updates.borrow()
        )
    })
}

pub async fn code_id(handle: &SaleHandle) -> String {
    let sale = wait_for(handle, "a code", |sale| sale.record.code.is_some()).await;
    sale.record.code.expect("code").id
}

pub async fn finish(handle: SaleHandle) -> Sale {
    tokio::time::timeout(Duration::from_secs(30), handle.finished)
        .await
        .expect("the sale ends")
        .expect("the sale task")
}

pub fn codes_for_key(shop: &Shop, key: &str) -> usize {
    shop.sim
        .codes()
        .iter()
        .filter(|code| code.idempotency_key == key)
        .count()
}

/// The sale as the journal holds it.
pub fn stored(shop: &Shop, number: i64) -> StoredSale {
    shop.services
        .journal
        .sale(number)
        .expect("read")
        .expect("stored")
}

/// Monime answering `status` with its error envelope, as the simulator's `Raw` fault.
pub fn monime_says(status: u16, reason: &str, message: &str) -> Fault {
    let body = serde_json::json!({"success": false, "messages": [], "error": {
        "code": status, "reason": reason, "message": message, "details": []}});
    Fault::Raw {
        status,
        body: body.to_string(),
    }
}
