//! Sales when Monime cannot be read, through the real controller and journal and the simulator
//! over real HTTP: a code deleted mid-sale, a key revoked mid-sale, a cancel that never gets
//! through.

mod common;

use std::time::Duration;

use common::cli::every_time;
use common::{POLL, Shop, code_id, finish, monime_says, sale, shape, shop, stored, wait_for};
use paycode_kiosk::controller::{SaleHandle, resume_unsettled, start_sale_with};
use paycode_kiosk::monime::CodeStatus;
use paycode_kiosk::sale::{Bounds, KEY_REFUSED, Phase, Reachability};
use paycode_kiosk::simulator::{Endpoint, Fault};

/// A sale held to `bounds`, once its code is on screen: the handle and the code's id.
async fn awaiting_within(shop: &Shop, bounds: Bounds) -> (SaleHandle, String) {
    let handle = start_sale_with(&shop.services, bounds, &shape("10m"), sale(100))
        .await
        .expect("sale starts");
    let id = code_id(&handle).await;
    wait_for(&handle, "awaiting", |s| {
        s.record.phase == Phase::AwaitingPayment
    })
    .await;
    (handle, id)
}

#[tokio::test]
async fn a_code_deleted_at_monime_mid_sale_ends_unknown_not_failed() {
    let shop = shop().await;
    let bounds = Bounds {
        unknown_after: Duration::from_secs(2),
        ..Bounds::ATTENDED
    };
    let (handle, id) = awaiting_within(&shop, bounds).await;
    shop.services.client.delete(&id).await.expect("deleted");
    let checking = wait_for(&handle, "not found", |s| s.not_found_since.is_some()).await;
    assert_eq!(
        checking.record.phase,
        Phase::AwaitingPayment,
        "still checking"
    );
    assert_eq!(
        checking.status_line(),
        "Monime cannot find the code, still checking"
    );
    assert_eq!(checking.reachability, Reachability::Answering);
    let sale = finish(handle).await;
    assert_eq!(sale.record.phase, Phase::Unknown);
    assert!(sale.status_line().contains("Check the Monime dashboard"));
    assert_eq!(
        stored(&shop, sale.record.number).record.phase,
        Phase::Unknown
    );
    let gets = shop
        .sim
        .requests()
        .iter()
        .filter(|r| r.endpoint == Endpoint::Get && r.status == Some(404))
        .count();
    assert!(gets >= 3, "checked again before giving up: {gets}");
}

#[tokio::test]
async fn a_key_revoked_mid_sale_is_reported_as_refused_and_the_code_still_followed() {
    let shop = shop().await;
    let (handle, _) = awaiting_within(&shop, Bounds::ATTENDED).await;
    shop.sim.push_fault(every_time(
        Endpoint::Get,
        monime_says(401, "unauthenticated", "the token was revoked"),
    ));
    let refused = wait_for(&handle, "the refused key", |s| {
        matches!(s.reachability, Reachability::KeyRefused { .. })
    })
    .await;
    assert_eq!(refused.status_line(), KEY_REFUSED);
    assert_eq!(refused.record.phase, Phase::AwaitingPayment);
    let Reachability::KeyRefused { message, .. } = &refused.reachability else {
        unreachable!()
    };
    assert!(message.contains("the token was revoked"), "{message}");
    // Followed still, but slowly: no check within a couple of poll intervals.
    let gets = || {
        shop.sim
            .requests()
            .iter()
            .filter(|r| r.endpoint == Endpoint::Get)
            .count()
    };
    let before = gets();
    tokio::time::sleep(POLL * 5).await;
    assert_eq!(gets(), before, "checked slowly");
    assert!(!handle.updates.borrow().is_done());
    // Cancelling goes through (only reading is refused here).
    handle.cancel();
    assert_eq!(finish(handle).await.record.phase, Phase::Cancelled);
}

#[tokio::test]
async fn a_cancel_that_hangs_is_given_up_on_time_and_left_for_recover() {
    let shop = shop().await;
    let bounds = Bounds {
        cancel_for: Some(Duration::from_secs(1)),
        ..Bounds::ATTENDED
    };
    let (handle, id) = awaiting_within(&shop, bounds).await;
    // The cancel is sent and never answered (held for minutes).
    shop.sim
        .push_fault(every_time(Endpoint::Update, Fault::Hang));
    let pressed = std::time::Instant::now();
    handle.cancel();
    let sale = finish(handle).await;
    assert!(
        pressed.elapsed() < Duration::from_secs(3),
        "given up after {:?}",
        pressed.elapsed()
    );
    assert!(sale.left_for_recover && !sale.is_final());
    assert_eq!(
        sale.status_line(),
        "Cancel not confirmed; the sale is left for recover"
    );
    let journal = &shop.services.journal;
    let unsettled = journal.unsettled().expect("unsettled");
    assert_eq!(unsettled.len(), 1, "left in the journal");
    assert_eq!(unsettled[0].record.phase, Phase::Cancelling);
    let events = journal.events(sale.record.number).expect("events");
    assert_eq!(
        events.last().and_then(|e| e.detail.as_deref()),
        Some("Cancel not confirmed; the sale is left for recover")
    );
    // `recover` finishes it once Monime takes the cancel.
    shop.sim.clear_faults();
    let handles = resume_unsettled(&shop.services).await.expect("resume");
    let recovered = finish(handles.into_iter().next().expect("one")).await;
    assert_eq!(recovered.record.phase, Phase::Cancelled);
    let code = shop
        .sim
        .codes()
        .into_iter()
        .find(|c| c.id == id)
        .expect("code");
    assert_eq!(code.status, CodeStatus::Cancelled);
}
