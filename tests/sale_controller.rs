//! Whole sales through the real controller, the real journal and the simulator over real HTTP,
//! with the faults a shop's network brings.

mod common;

use std::time::Duration;

use common::{
    code_id, codes_for_key, finish, sale, sell, shape, shop, shop_with, stored, wait_for,
};
use paycode_kiosk::controller::{Services, resume_unsettled, start_sale};
use paycode_kiosk::journal::Receipt;
use paycode_kiosk::monime::{ApiVersion, ClientSettings, CodeStatus, MonimeClient};
use paycode_kiosk::sale::{Phase, Timing};
use paycode_kiosk::simulator::{Endpoint, Fault, FaultRule, SimulatorOptions};

#[tokio::test]
async fn a_sale_is_paid_only_once_monime_says_completed() {
    let shop = shop().await;
    let handle = sell(&shop, 1250).await;
    let id = code_id(&handle).await;
    let waiting = wait_for(&handle, "awaiting", |s| {
        s.record.phase == Phase::AwaitingPayment
    })
    .await;
    assert_eq!(waiting.status_line(), "Waiting for payment");
    // Longer than a pending code's check interval (4 x POLL), so the sale sees it.
    shop.sim
        .pay(&id, Some(Duration::from_millis(1500)))
        .expect("pay");
    let in_progress = wait_for(&handle, "processing", |s| {
        s.record.phase == Phase::PaymentInProgress
    })
    .await;
    assert_eq!(in_progress.status_line(), "Payment in progress");
    assert!(
        shop.sim.codes()[0].status == CodeStatus::Processing,
        "not completed yet, so not paid"
    );
    let sale = finish(handle).await;
    assert_eq!(sale.record.phase, Phase::Paid);
    assert_eq!(shop.sim.codes()[0].status, CodeStatus::Completed);
    assert!(
        sale.record
            .payment
            .as_ref()
            .and_then(|p| p.order_number.clone())
            .is_some()
    );

    let stored = stored(&shop, sale.record.number);
    assert_eq!(stored.record.phase, Phase::Paid);
    assert_eq!(stored.receipt, Receipt::NoPrinter);
    let phases: Vec<Phase> = shop
        .services
        .journal
        .events(sale.record.number)
        .expect("events")
        .iter()
        .map(|event| event.phase)
        .collect();
    assert_eq!(
        phases,
        vec![
            Phase::CreatingCode,
            Phase::AwaitingPayment,
            Phase::PaymentInProgress,
            Phase::Paid
        ]
    );
}

#[tokio::test]
async fn the_key_is_in_the_journal_before_the_first_create() {
    let shop = shop().await;
    shop.sim.push_fault(FaultRule {
        endpoint: Endpoint::Create,
        fault: Fault::Delay { ms: 800 },
        times: 1,
    });
    let handle = sell(&shop, 100).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stored = shop.services.journal.unsettled().expect("unsettled");
    assert_eq!(stored.len(), 1);
    let key = &stored[0].record.idempotency_key;
    let sent: Vec<_> = shop
        .sim
        .requests()
        .iter()
        .filter_map(|r| r.idempotency_key.clone())
        .collect();
    assert_eq!(
        sent,
        vec![key.clone()],
        "the create in flight carries the stored key"
    );
    handle.cancel();
    assert_eq!(finish(handle).await.record.phase, Phase::Cancelled);
}

#[tokio::test]
async fn server_errors_on_create_still_make_exactly_one_code() {
    let shop = shop().await;
    // More failures than the client's own retries, so the sale itself comes back to it.
    shop.sim.push_fault(FaultRule {
        endpoint: Endpoint::Create,
        fault: Fault::ServerError { status: 503 },
        times: 5,
    });
    let handle = sell(&shop, 100).await;
    // Monime answered, if with errors: not a lost connection.
    let lost = wait_for(&handle, "Monime's errors", |s| {
        s.status_line().starts_with("Monime is having trouble")
    })
    .await;
    assert_eq!(lost.record.phase, Phase::CreatingCode);
    let id = code_id(&handle).await;
    let key = handle.updates.borrow().record.idempotency_key.clone();
    assert_eq!(codes_for_key(&shop, &key), 1);
    assert_eq!(shop.sim.codes().len(), 1);
    let creates: Vec<_> = shop
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.endpoint == Endpoint::Create)
        .collect();
    assert_eq!(creates.len(), 6);
    assert!(
        creates
            .iter()
            .all(|r| r.idempotency_key.as_deref() == Some(key.as_str()))
    );
    shop.sim.pay(&id, Some(Duration::ZERO)).expect("pay");
    assert_eq!(finish(handle).await.record.phase, Phase::Paid);
}

#[tokio::test]
async fn a_reset_during_create_gives_one_code_under_one_key() {
    let shop = shop().await;
    shop.sim.push_fault(FaultRule {
        endpoint: Endpoint::Create,
        fault: Fault::DropAfterProcessing,
        times: 3,
    });
    let handle = sell(&shop, 100).await;
    let id = code_id(&handle).await;
    let codes = shop.sim.codes();
    assert_eq!(codes.len(), 1, "one code, though three answers were lost");
    assert_eq!(codes[0].id, id);
    let keys: std::collections::HashSet<_> = shop
        .sim
        .requests()
        .iter()
        .filter_map(|r| r.idempotency_key.clone())
        .collect();
    assert_eq!(keys.len(), 1);
    handle.cancel();
    assert_eq!(finish(handle).await.record.phase, Phase::Cancelled);
}

#[tokio::test]
async fn throttling_while_following_waits_retry_after() {
    let shop = shop().await;
    let handle = sell(&shop, 100).await;
    code_id(&handle).await;
    // Both tries of the client answer 429, so the sale itself must wait Retry-After.
    shop.sim.push_fault(FaultRule {
        endpoint: Endpoint::Get,
        fault: Fault::RateLimited {
            retry_after_secs: 2,
        },
        times: 2,
    });
    // The client waits Retry-After (up to twice, at random) between its two tries; the sale
    // waits it again after, slowed down for the throttle.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let (gets, throttled) = loop {
        let gets: Vec<_> = shop
            .sim
            .requests()
            .into_iter()
            .filter(|r| r.endpoint == Endpoint::Get)
            .collect();
        let throttled = gets.iter().rposition(|r| r.status == Some(429));
        let both_tries = gets.iter().filter(|r| r.status == Some(429)).count() == 2;
        if let Some(throttled) = throttled
            && both_tries
            && gets.len() > throttled + 1
        {
            break (gets, throttled);
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never checked again"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let next = &gets[throttled + 1];
    let gap = next.at - gets[throttled].at;
    assert!(
        gap >= chrono::Duration::milliseconds(2000),
        "checked again after only {gap}"
    );
    handle.cancel();
    finish(handle).await;
}

/// A 429 says the space's rate limit is shared; the journal keeps it, so that the terminal
/// started again next morning checks at a crowded space's even pace from its first sale.
#[tokio::test]
async fn a_429_is_remembered_across_a_restart() {
    let shop = shop().await;
    assert!(!shop.services.client.space_load().crowded);
    let handle = sell(&shop, 100).await;
    code_id(&handle).await;
    shop.sim.push_fault(FaultRule {
        endpoint: Endpoint::Get,
        fault: Fault::RateLimited {
            retry_after_secs: 1,
        },
        times: 2,
    });
    shop.sim
        .pay(&code_id(&handle).await, Some(Duration::ZERO))
        .expect("pay");
    assert_eq!(finish(handle).await.record.phase, Phase::Paid);
    let kept = shop
        .services
        .journal
        .last_throttled()
        .expect("the journal reads");
    assert!(kept.is_some(), "the 429 is in the journal");
    let restarted = Services {
        client: MonimeClient::new(shop.services.client.settings().clone()).expect("client"),
        ..shop.services.clone()
    };
    assert!(!restarted.client.space_load().crowded);
    restarted.recall_throttled().expect("the journal reads");
    let load = restarted.client.space_load();
    assert!(load.crowded, "{load:?}");
    assert_eq!(load.slowdown, 1.0, "the slowdown is not carried over");
}

#[tokio::test]
async fn a_cancel_that_races_a_payment_ends_paid() {
    let shop = shop().await;
    let handle = sell(&shop, 100).await;
    let id = code_id(&handle).await;
    shop.sim.pay(&id, None).expect("the customer starts paying");
    handle.cancel();
    let waiting = wait_for(&handle, "waiting for the outcome", |s| {
        s.record.phase == Phase::PaymentInProgress && s.record.cancel_requested
    })
    .await;
    assert!(
        waiting.status_line().contains("waits for its outcome"),
        "{}",
        waiting.status_line()
    );
    shop.sim.finish_payment(&id).expect("payment completes");
    let sale = finish(handle).await;
    assert_eq!(sale.record.phase, Phase::Paid);
    assert!(
        sale.status_line().contains("paid before the cancel"),
        "{}",
        sale.status_line()
    );
}

#[tokio::test]
async fn a_cancel_switches_the_code_off_at_monime() {
    let shop = shop().await;
    let handle = sell(&shop, 100).await;
    let id = code_id(&handle).await;
    handle.cancel();
    let sale = finish(handle).await;
    assert_eq!(sale.record.phase, Phase::Cancelled);
    assert_eq!(shop.sim.codes()[0].status, CodeStatus::Cancelled);
    assert!(
        shop.sim.pay(&id, None).is_err(),
        "nobody can pay it any more"
    );
}

#[tokio::test]
async fn a_cancel_during_create_switches_off_the_code_that_arrives() {
    let shop = shop().await;
    shop.sim.push_fault(FaultRule {
        endpoint: Endpoint::Create,
        fault: Fault::Delay { ms: 500 },
        times: 1,
    });
    let handle = sell(&shop, 100).await;
    handle.cancel();
    let sale = finish(handle).await;
    assert_eq!(sale.record.phase, Phase::Cancelled);
    let codes = shop.sim.codes();
    assert_eq!(codes.len(), 1);
    assert_eq!(codes[0].status, CodeStatus::Cancelled);
}

#[tokio::test]
async fn an_unpaid_code_expires_on_monimes_word() {
    let shop = shop().await;
    let handle = start_sale(&shop.services, &shape("1s"), sale(100))
        .await
        .expect("sale");
    let sale = finish(handle).await;
    assert_eq!(sale.record.phase, Phase::Expired);
    assert_eq!(shop.sim.codes()[0].status, CodeStatus::Expired);
}

#[tokio::test]
async fn one_answer_with_a_wrong_date_does_not_redate_the_sale() {
    use chrono::Datelike;
    let shop = shop().await;
    // A first sale, so the terminal has heard Monime's time.
    let first = sell(&shop, 300).await;
    let id = code_id(&first).await;
    shop.sim.pay(&id, Some(Duration::ZERO)).expect("pay");
    assert_eq!(finish(first).await.record.phase, Phase::Paid);
    // The next code's answer carries a date Monime never means (found by the chaos run).
    shop.sim.push_fault(FaultRule {
        endpoint: Endpoint::Create,
        fault: Fault::WrongDate {
            date: "Fri, 31 Dec 9999 23:59:59 GMT".into(),
        },
        times: 1,
    });
    let second = sell(&shop, 400).await;
    let waiting = wait_for(&second, "awaiting", |s| {
        s.record.phase == Phase::AwaitingPayment
    })
    .await;
    let this_year = chrono::Utc::now().year();
    let events = shop
        .services
        .journal
        .events(waiting.record.number)
        .expect("events");
    assert!(
        events.iter().all(|event| event.at.year() == this_year),
        "{events:?}"
    );
    assert!(!shop.services.client.clock().is_off());
    let id = code_id(&second).await;
    shop.sim.pay(&id, Some(Duration::ZERO)).expect("pay");
    let sale = finish(second).await;
    assert_eq!(sale.record.phase, Phase::Paid);
    assert_eq!(
        stored(&shop, sale.record.number).updated_at.year(),
        this_year
    );
}

#[tokio::test]
async fn a_lost_connection_never_ends_the_sale() {
    let shop = shop().await;
    let handle = sell(&shop, 100).await;
    let id = code_id(&handle).await;
    shop.sim.push_fault(FaultRule {
        endpoint: Endpoint::Get,
        fault: Fault::DropConnection,
        times: 6,
    });
    let lost = wait_for(&handle, "connection lost", |s| {
        s.status_line() == "Connection lost, still checking"
    })
    .await;
    assert_eq!(lost.record.phase, Phase::AwaitingPayment);
    shop.sim
        .pay(&id, Some(Duration::ZERO))
        .expect("paid meanwhile");
    let sale = finish(handle).await;
    assert_eq!(sale.record.phase, Phase::Paid);
}

#[tokio::test]
async fn a_refused_create_fails_with_monimes_words() {
    let shop = shop().await;
    let handle = start_sale(&shop.services, &shape("forever"), sale(100))
        .await
        .expect("sale");
    let sale = finish(handle).await;
    assert_eq!(sale.record.phase, Phase::Failed);
    assert!(
        sale.status_line().contains("is not a duration"),
        "{}",
        sale.status_line()
    );
    assert!(shop.sim.codes().is_empty());
}

#[tokio::test]
async fn a_sale_speaks_the_legacy_api_too() {
    let shop = shop_with(SimulatorOptions::default(), ApiVersion::Legacy).await;
    let handle = sell(&shop, 700).await;
    let id = code_id(&handle).await;
    shop.sim.pay(&id, Some(Duration::ZERO)).expect("pay");
    assert_eq!(finish(handle).await.record.phase, Phase::Paid);
    assert!(
        shop.sim
            .requests()
            .iter()
            .all(|r| !r.path.starts_with("/v1"))
    );
}

#[tokio::test]
async fn one_sale_uses_one_connection() {
    let shop = shop().await;
    let handle = sell(&shop, 100).await;
    let id = code_id(&handle).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    shop.sim.pay(&id, Some(Duration::ZERO)).expect("pay");
    finish(handle).await;
    let requests = shop.sim.requests();
    assert!(
        requests.len() >= 4,
        "create and several checks: {}",
        requests.len()
    );
    assert_eq!(shop.sim.connections_accepted(), 1);
}

#[tokio::test]
async fn a_terminal_never_exceeds_five_requests_a_second() {
    let shop = shop_with(
        SimulatorOptions {
            rate_limit_per_second: Some(5),
            ..SimulatorOptions::default()
        },
        ApiVersion::default(),
    )
    .await;
    // The real gap, and a poll interval at the configuration's minimum.
    let services = Services {
        client: MonimeClient::new(ClientSettings {
            min_request_gap: paycode_kiosk::monime::DEFAULT_REQUEST_GAP,
            ..shop.services.client.settings().clone()
        })
        .expect("client"),
        timing: Timing::new(Duration::from_millis(250)),
        ..shop.services.clone()
    };
    shop.sim.push_fault(FaultRule {
        endpoint: Endpoint::Any,
        fault: Fault::DropConnection,
        times: 4,
    });
    let handles = [
        start_sale(&services, &shape("10m"), sale(100))
            .await
            .expect("sale"),
        start_sale(&services, &shape("10m"), sale(200))
            .await
            .expect("sale"),
        start_sale(&services, &shape("10m"), sale(300))
            .await
            .expect("sale"),
    ];
    tokio::time::sleep(Duration::from_secs(3)).await;
    for handle in &handles {
        handle.cancel();
    }
    for handle in handles {
        finish(handle).await;
    }
    let requests = shop.sim.requests();
    assert!(requests.len() >= 10);
    assert!(
        requests.iter().all(|r| r.status != Some(429)),
        "Monime never had to throttle"
    );
    for window in requests.windows(6) {
        assert!(window[5].at - window[0].at >= chrono::Duration::milliseconds(1000));
    }
}

#[tokio::test]
async fn unsettled_sales_are_resumed_from_the_journal() {
    let shop = shop().await;
    // A sale whose key was stored, and whose create reached Monime, before a power cut.
    let journal = &shop.services.journal;
    let record = journal
        .begin_sale(
            "key-before-the-cut",
            chrono::Utc::now(),
            &shape("10m"),
            &sale(900),
        )
        .expect("begin");
    let direct = shop
        .services
        .client
        .create(&record.request, &record.idempotency_key)
        .await
        .expect("create");
    let handles = resume_unsettled(&shop.services).await.expect("resume");
    assert_eq!(handles.len(), 1);
    let resumed = wait_for(&handles[0], "awaiting", |s| {
        s.record.phase == Phase::AwaitingPayment
    })
    .await;
    assert_eq!(
        resumed.record.code.as_ref().map(|c| c.id.clone()),
        Some(direct.id.clone())
    );
    assert_eq!(codes_for_key(&shop, "key-before-the-cut"), 1);
    shop.sim.pay(&direct.id, Some(Duration::ZERO)).expect("pay");
    let handle = handles.into_iter().next().expect("one");
    assert_eq!(finish(handle).await.record.phase, Phase::Paid);
    assert!(journal.unsettled().expect("unsettled").is_empty());
}
