//! The payer's proof of a paid sale: the sale's Monime payment found after PAID, through the
//! real controller and journal against the simulator over real HTTP, with at most two extra
//! requests a sale; and what the receipt, the history and the books make of it.

mod common;

use std::time::Duration;

use common::{code_id, finish, sell, shop, shop_with, stored};
use paycode_kiosk::journal::{Journal, MAX_PROOF_ASKS};
use paycode_kiosk::monime::{ApiVersion, ClientSettings, MonimeClient};
use paycode_kiosk::sale::Phase;
use paycode_kiosk::simulator::SimulatorOptions;

/// Requests for the list of payments the simulator has had.
fn payment_lists(shop: &common::Shop) -> usize {
    shop.sim
        .requests()
        .iter()
        .filter(|request| request.method == "GET" && request.path == "/v1/payments")
        .count()
}

async fn paid_sale(shop: &common::Shop, minor: i64) -> i64 {
    let handle = sell(shop, minor).await;
    let id = code_id(&handle).await;
    shop.sim.pay(&id, Some(Duration::ZERO)).expect("pay");
    let sale = finish(handle).await;
    assert_eq!(sale.record.phase, Phase::Paid);
    sale.record.number
}

#[tokio::test]
async fn a_paid_sale_keeps_the_payers_proof_from_one_request() {
    let shop = shop().await;
    let number = paid_sale(&shop, 1250).await;
    let proof = stored(&shop, number)
        .proof
        .expect("the proof is kept before the sale ends");
    let payment = shop
        .sim
        .payments()
        .into_iter()
        .find(|payment| {
            Some(&payment.code_id) == stored(&shop, number).record.code.as_ref().map(|c| &c.id)
        })
        .expect("the simulator's payment");
    assert_eq!(proof.payment_id, payment.id);
    assert_eq!(
        proof.provider_id.as_deref(),
        Some(payment.provider_id.as_str())
    );
    assert_eq!(proof.reference.as_deref(), Some(payment.reference.as_str()));
    let masked = proof.masked_number.clone().expect("a masked number");
    assert!(masked.contains("***"), "{masked}");
    assert_eq!(
        proof
            .fee_total(paycode_kiosk::money::Currency::Sle)
            .map(|fee| fee.minor),
        Some(payment.fee_minor)
    );
    assert_eq!(payment_lists(&shop), 1, "one extra request for the proof");
}

#[tokio::test]
async fn a_payment_listed_late_is_asked_for_once_more_and_never_a_third_time() {
    let mut shop = shop_with(
        SimulatorOptions {
            payment_listed_after: Duration::from_secs(3),
            ..SimulatorOptions::default()
        },
        ApiVersion::default(),
    )
    .await;
    shop.services.timing.proof_second_ask = Duration::from_secs(3);
    let number = paid_sale(&shop, 2000).await;
    assert!(
        stored(&shop, number).proof.is_none(),
        "not listed yet when the sale was paid"
    );
    proof_comes(&shop, number).await;
    assert_eq!(payment_lists(&shop), 2);
    // A restart asks again only for proofs still missing and not asked twice: none here.
    let resumed = paycode_kiosk::controller::resume_unsettled(&shop.services)
        .await
        .expect("resume");
    assert!(resumed.is_empty());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(payment_lists(&shop), 2);
}

#[tokio::test]
async fn a_payment_never_listed_costs_two_requests_in_all_even_across_restarts() {
    let mut shop = shop_with(
        SimulatorOptions {
            payment_listed_after: Duration::from_secs(3600),
            ..SimulatorOptions::default()
        },
        ApiVersion::default(),
    )
    .await;
    shop.services.timing.proof_second_ask = Duration::from_millis(100);
    let number = paid_sale(&shop, 700).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while payment_lists(&shop) < 2 {
        assert!(tokio::time::Instant::now() < deadline, "no second ask");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for _ in 0..3 {
        paycode_kiosk::controller::resume_unsettled(&shop.services)
            .await
            .expect("resume");
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(payment_lists(&shop), MAX_PROOF_ASKS as usize);
    assert!(stored(&shop, number).proof.is_none());
    let wanted = shop
        .services
        .journal
        .call(Journal::proofs_wanted)
        .await
        .expect("read");
    assert!(wanted.is_empty(), "{wanted:?}");
}

/// In a crowded space the receipt does not wait for the proof: the sale ends without it, with
/// no payments list asked, and the proof comes from one request on its own a few seconds later.
#[tokio::test]
async fn a_crowded_space_asks_for_the_proof_after_the_receipt() {
    let mut shop = shop().await;
    shop.services.client = MonimeClient::new(ClientSettings {
        shared_space: true,
        ..shop.services.client.settings().clone()
    })
    .expect("client");
    shop.services.timing.proof_second_ask = Duration::from_secs(2);
    let number = paid_sale(&shop, 1100).await;
    let ended = stored(&shop, number);
    assert!(ended.proof.is_none(), "the receipt did not wait for it");
    assert!(!ended.receipt_owed(), "no printer: nothing owed");
    assert_eq!(payment_lists(&shop), 0);
    proof_comes(&shop, number).await;
    assert_eq!(payment_lists(&shop), 1, "one request, as at once");
}

#[tokio::test]
async fn the_legacy_api_has_no_payments_and_asks_nothing() {
    let shop = shop_with(SimulatorOptions::default(), ApiVersion::Legacy).await;
    let number = paid_sale(&shop, 900).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(stored(&shop, number).proof.is_none());
    assert_eq!(payment_lists(&shop), 0);
}

/// Waits, 10 s at most, for sale `number`'s proof to be kept.
async fn proof_comes(shop: &common::Shop, number: i64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while stored(shop, number).proof.is_none() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the proof never came"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
