//! The 2024-08-01 API's list takes only `after`, `before` and `limit`: the simulator ignores any
//! other filter on that path, as Monime does, and the client filters on the terminal's side.

use std::time::Duration;

use paycode_kiosk::money::{Currency, Money};
use paycode_kiosk::monime::{
    ApiVersion, ClientSettings, CodeStatus, ListFilter, MonimeClient, NewPaymentCode, RetryPolicy,
};
use paycode_kiosk::secret::AccessToken;
use paycode_kiosk::simulator::{
    DEMO_ACCESS_TOKEN, DEMO_SPACE_ID, Endpoint, SimulatorHandle, SimulatorOptions,
};

fn legacy_client(sim: &SimulatorHandle) -> MonimeClient {
    MonimeClient::new(ClientSettings {
        base_url: sim.base_url(),
        space_id: DEMO_SPACE_ID.into(),
        access_token: AccessToken::new(DEMO_ACCESS_TOKEN),
        api_version: ApiVersion::Legacy,
        request_timeout: Duration::from_secs(5),
        retry: RetryPolicy::default(),
        min_request_gap: Duration::ZERO,
        shared_space: false,
        extra_root_certificate: None,
    })
    .expect("client")
}

#[tokio::test]
async fn the_legacy_list_is_filtered_by_the_terminal() {
    let sim = SimulatorHandle::start(SimulatorOptions::default())
        .await
        .expect("simulator");
    let client = legacy_client(&sim);
    let mut ids = Vec::new();
    for index in 0..60 {
        let request = NewPaymentCode::new("Old shop sale", Money::new(Currency::Sle, 100 + index));
        let code = client
            .create(&request, &format!("old-{index}"))
            .await
            .expect("create");
        ids.push(code.id);
    }
    // One paid on each page of 50, newest first.
    for index in [3, 55] {
        sim.pay(&ids[index], Some(Duration::ZERO)).expect("pay");
    }

    // Like Monime, the old path ignores a status filter it is sent.
    let raw: serde_json::Value = reqwest::Client::new()
        .get(format!(
            "{}payment-codes?status=completed&limit=50",
            sim.base_url()
        ))
        .bearer_auth(DEMO_ACCESS_TOKEN)
        .header("Monime-Space-Id", DEMO_SPACE_ID)
        .send()
        .await
        .expect("raw list")
        .json()
        .await
        .expect("json");
    assert_eq!(raw["result"].as_array().map(Vec::len), Some(50), "{raw}");

    let lists_before = list_requests(&sim);
    let completed = client
        .list(
            &ListFilter {
                status: Some(CodeStatus::Completed),
                ..ListFilter::default()
            },
            10,
        )
        .await
        .expect("filtered");
    assert_eq!(
        completed.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        vec![ids[55].as_str(), ids[3].as_str()],
        "both pages read, only completed codes kept"
    );
    assert_eq!(list_requests(&sim) - lists_before, 2);

    let first = client
        .list(
            &ListFilter {
                status: Some(CodeStatus::Completed),
                ..ListFilter::default()
            },
            1,
        )
        .await
        .expect("one");
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].id, ids[55]);

    let ussd = client.get(&ids[20]).await.expect("get").ussd_code;
    let by_ussd = client
        .list(
            &ListFilter {
                ussd_code: ussd,
                ..ListFilter::default()
            },
            10,
        )
        .await
        .expect("by ussd");
    assert_eq!(by_ussd.len(), 1);
    assert_eq!(by_ussd[0].id, ids[20]);

    let page = client
        .list_page(
            &ListFilter {
                status: Some(CodeStatus::Pending),
                ..ListFilter::default()
            },
            50,
            None,
        )
        .await
        .expect("page");
    assert_eq!(page.codes.len(), 49, "one of the newest 50 was paid");
    assert!(page.next.is_some(), "a filtered page still leads on");
}

fn list_requests(sim: &SimulatorHandle) -> usize {
    sim.requests()
        .iter()
        .filter(|request| request.endpoint == Endpoint::List)
        .count()
}
