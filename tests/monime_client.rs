//! The Monime client against the simulator, over real HTTP on loopback: every error class, the
//! retry and idempotency rules, both API shapes, pagination, and a token that never leaks; and
//! what follows a paid code: its payment, payouts that send money back, and whose number it is.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use paycode_kiosk::money::{Currency, Money};
use paycode_kiosk::monime::{
    ApiVersion, ClientSettings, CodeStatus, ListFilter, MonimeClient, MonimeError, NewPaymentCode,
    NewPayout, Payout, PayoutFailureCode, PayoutFilter, PayoutStatus, RetryPolicy, SpaceLoad,
};
use paycode_kiosk::secret::AccessToken;
use paycode_kiosk::simulator::{DEMO_ACCESS_TOKEN, DEMO_SPACE_ID};
use paycode_kiosk::simulator::{
    Endpoint, Fault, FaultRule, Handshakes, SimulatorHandle, SimulatorOptions, SimulatorTls,
};

async fn simulator() -> SimulatorHandle {
    SimulatorHandle::start(SimulatorOptions::default())
        .await
        .expect("simulator starts")
}

fn settings(sim: &SimulatorHandle) -> ClientSettings {
    ClientSettings {
        base_url: sim.base_url(),
        space_id: DEMO_SPACE_ID.into(),
        access_token: AccessToken::new(DEMO_ACCESS_TOKEN),
        api_version: ApiVersion::default(),
        request_timeout: Duration::from_secs(5),
        retry: RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
        },
        min_request_gap: Duration::ZERO,
        shared_space: false,
        extra_root_certificate: None,
    }
}

fn client(sim: &SimulatorHandle) -> MonimeClient {
    MonimeClient::new(settings(sim)).expect("client")
}

fn sale(minor: i64) -> NewPaymentCode {
    NewPaymentCode::new("Test shop sale 1", Money::new(Currency::Sle, minor))
        .with_reference(Some("REF-1".into()))
        .with_metadata("terminal", "T1")
        .with_providers(vec!["m17".into(), "m18".into()])
}

fn fault(endpoint: Endpoint, fault: Fault, times: u32) -> FaultRule {
    FaultRule {
        endpoint,
        fault,
        times,
    }
}

fn requests_to(sim: &SimulatorHandle, endpoint: Endpoint) -> usize {
    sim.requests()
        .iter()
        .filter(|record| record.endpoint == endpoint)
        .count()
}

#[tokio::test]
async fn a_code_is_created_read_listed_and_cancelled() {
    let sim = simulator().await;
    let client = client(&sim);
    let code = client.create(&sale(1250), "sale-1").await.expect("create");
    assert!(code.id.starts_with("pmc-"));
    assert_eq!(code.status, CodeStatus::Pending);
    assert_eq!(code.amount, Some(Money::new(Currency::Sle, 1250)));
    let ussd = code.ussd_code.clone().expect("ussd code");
    assert!(ussd.starts_with("*715*1*") && ussd.ends_with('#'), "{ussd}");
    assert_eq!(code.reference.as_deref(), Some("REF-1"));
    assert!(code.expire_time.is_some());

    let read = client.get(&code.id).await.expect("get");
    assert_eq!(read, code);

    let listed = client.list(&ListFilter::default(), 10).await.expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, code.id);

    let cancelled = client.cancel(&code.id).await.expect("cancel");
    assert_eq!(cancelled.status, CodeStatus::Cancelled);
    assert!(!cancelled.enabled);
    let record = &sim.requests()[0];
    assert_eq!(record.idempotency_key.as_deref(), Some("sale-1"));
}

#[tokio::test]
async fn a_paid_code_carries_monimes_payment_data() {
    let sim = simulator().await;
    let client = client(&sim);
    let code = client
        .create(&sale(500), "sale-paid")
        .await
        .expect("create");
    sim.pay(&code.id, Some(Duration::ZERO)).expect("pay");
    let paid = client.get(&code.id).await.expect("get");
    assert_eq!(paid.status, CodeStatus::Completed);
    let payment = paid.payment.expect("payment data");
    assert_eq!(payment.amount, Some(Money::new(Currency::Sle, 500)));
    assert!(payment.order_number.is_some() && payment.payment_id.is_some());
    assert_eq!(payment.provider_name(), Some("Orange Money"));
}

/// The real TLS path, rustls on ring with the certificate checked: an untrusted server is
/// refused, and a trusted one serves a code's whole life over one connection and one handshake.
#[tokio::test]
async fn https_checks_the_certificate_and_keeps_one_connection() {
    let identity =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).expect("certificate");
    let sim = SimulatorHandle::start_with_tls(
        SimulatorOptions::default(),
        SimulatorTls {
            certificate_der: identity.cert.der().to_vec(),
            private_key_der: identity.signing_key.serialize_der(),
        },
    )
    .await
    .expect("simulator");
    assert_eq!(sim.base_url().scheme(), "https");

    let error = client(&sim)
        .get("pmc-anything")
        .await
        .expect_err("a self-signed server is not trusted");
    let MonimeError::Network { message } = &error else {
        panic!("not a network error: {error:?}");
    };
    assert!(message.contains("certificate"), "{message}");
    assert_eq!(sim.tls_handshakes(), Handshakes::default());

    let trusting = MonimeClient::new(ClientSettings {
        extra_root_certificate: Some(identity.cert.pem().into_bytes()),
        ..settings(&sim)
    })
    .expect("client");
    let connections_before = sim.connections_accepted();
    let code = trusting.create(&sale(1250), "tls-1").await.expect("create");
    sim.pay(&code.id, Some(Duration::ZERO)).expect("pay");
    let paid = trusting.get(&code.id).await.expect("get");
    assert_eq!(paid.status, CodeStatus::Completed);
    let other = trusting.create(&sale(700), "tls-2").await.expect("create");
    trusting.cancel(&other.id).await.expect("cancel");
    assert_eq!(sim.connections_accepted() - connections_before, 1);
    assert_eq!(
        sim.tls_handshakes(),
        Handshakes {
            full: 1,
            resumed: 0
        }
    );
}

#[tokio::test]
async fn the_legacy_api_is_spoken_and_read() {
    let sim = simulator().await;
    let client = MonimeClient::new(ClientSettings {
        api_version: ApiVersion::Legacy,
        ..settings(&sim)
    })
    .expect("client");
    let code = client.create(&sale(700), "legacy-1").await.expect("create");
    assert_eq!(
        code.reference.as_deref(),
        Some("REF-1"),
        "read from customerTarget"
    );
    assert_eq!(
        code.authorized_providers,
        vec!["m17", "m18"],
        "read from allowedProviders"
    );
    let cancelled = client.cancel(&code.id).await.expect("cancel");
    assert_eq!(cancelled.status, CodeStatus::Cancelled);
    let paths: Vec<String> = sim.requests().iter().map(|r| r.path.clone()).collect();
    assert!(
        paths.iter().all(|path| !path.starts_with("/v1")),
        "{paths:?}"
    );
}

#[tokio::test]
async fn a_legacy_shaped_answer_on_the_current_api_is_read() {
    let sim = simulator().await;
    let client = client(&sim);
    let code = client.create(&sale(900), "shape-1").await.expect("create");
    sim.push_fault(fault(Endpoint::Get, Fault::LegacyShape, 1));
    let read = client.get(&code.id).await.expect("get");
    assert_eq!(read.id, code.id);
    assert_eq!(read.status, CodeStatus::Pending);
    assert_eq!(read.ussd_code, code.ussd_code);
    assert_eq!(read.authorized_providers, code.authorized_providers);
}

#[tokio::test]
async fn credentials_errors_say_what_to_check() {
    let sim = simulator().await;
    let wrong_token = MonimeClient::new(ClientSettings {
        access_token: AccessToken::new("mon_test_WRONG_SECRET"),
        ..settings(&sim)
    })
    .expect("client");
    let error = wrong_token.get("pmc-x").await.expect_err("refused");
    assert!(
        matches!(error, MonimeError::Unauthenticated { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("access_token"), "{error}");
    assert!(!format!("{error} {error:?}").contains("WRONG_SECRET"));

    let wrong_space = MonimeClient::new(ClientSettings {
        space_id: "spc-other".into(),
        ..settings(&sim)
    })
    .expect("client");
    let error = wrong_space.get("pmc-x").await.expect_err("refused");
    assert!(matches!(error, MonimeError::Forbidden { .. }), "{error:?}");
    assert!(error.to_string().contains("space_id"), "{error}");
    assert_eq!(sim.requests().len(), 2, "4xx are not retried");
}

#[tokio::test]
async fn validation_and_not_found_carry_monimes_words() {
    let sim = simulator().await;
    let client = client(&sim);
    let mut bad = sale(100);
    bad.name = "ab".into();
    let error = client.create(&bad, "bad-name").await.expect_err("refused");
    assert_eq!(
        error,
        MonimeError::Validation {
            message: "name must be 3 to 64 characters".into()
        }
    );
    let error = client.get("pmc-doesnotexist").await.expect_err("missing");
    assert!(matches!(error, MonimeError::NotFound { .. }), "{error:?}");
    let error = client.get("../etc/passwd").await.expect_err("not an id");
    assert!(matches!(error, MonimeError::Validation { .. }), "{error:?}");
    assert_eq!(
        sim.requests().len(),
        2,
        "the bad id never left the terminal"
    );
}

#[tokio::test]
async fn one_key_with_another_body_is_an_idempotency_conflict() {
    let sim = simulator().await;
    let client = client(&sim);
    let first = client.create(&sale(100), "key-A").await.expect("create");
    let again = client.create(&sale(100), "key-A").await.expect("replay");
    assert_eq!(
        first.id, again.id,
        "the same key and body return the same code"
    );
    let error = client
        .create(&sale(200), "key-A")
        .await
        .expect_err("conflict");
    assert!(
        matches!(error, MonimeError::IdempotencyConflict { .. }),
        "{error:?}"
    );
    assert_eq!(sim.codes().len(), 1);
}

#[tokio::test]
async fn server_errors_are_retried_with_the_same_key_and_make_one_code() {
    let sim = simulator().await;
    let client = client(&sim);
    sim.push_fault(fault(
        Endpoint::Create,
        Fault::ServerError { status: 502 },
        2,
    ));
    let code = client
        .create(&sale(100), "key-5xx")
        .await
        .expect("third try");
    assert_eq!(sim.codes().len(), 1);
    assert_eq!(sim.codes()[0].id, code.id);
    let keys: Vec<Option<String>> = sim
        .requests()
        .iter()
        .map(|r| r.idempotency_key.clone())
        .collect();
    assert_eq!(keys, vec![Some("key-5xx".to_string()); 3]);
}

#[tokio::test]
async fn a_lost_answer_to_a_create_returns_the_code_already_made() {
    let sim = simulator().await;
    let client = client(&sim);
    sim.push_fault(fault(Endpoint::Create, Fault::DropAfterProcessing, 1));
    let code = client
        .create(&sale(100), "key-reset")
        .await
        .expect("retried");
    let codes = sim.codes();
    assert_eq!(codes.len(), 1, "one code, not two");
    assert_eq!(codes[0].id, code.id);
    assert_eq!(requests_to(&sim, Endpoint::Create), 2);
}

#[tokio::test]
async fn reads_survive_a_dropped_connection() {
    let sim = simulator().await;
    let client = client(&sim);
    let code = client.create(&sale(100), "key-drop").await.expect("create");
    sim.push_fault(fault(Endpoint::Get, Fault::DropConnection, 1));
    assert_eq!(client.get(&code.id).await.expect("retried").id, code.id);
}

#[tokio::test]
async fn throttling_waits_retry_after() {
    let sim = simulator().await;
    let client = client(&sim);
    sim.push_fault(fault(
        Endpoint::Create,
        Fault::RateLimited {
            retry_after_secs: 1,
        },
        1,
    ));
    let started = Instant::now();
    client
        .create(&sale(100), "key-429")
        .await
        .expect("after the wait");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited {:?}",
        started.elapsed()
    );
    let creates: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|r| r.endpoint == Endpoint::Create)
        .collect();
    assert_eq!(creates.len(), 2);
    let gap = creates[1].at - creates[0].at;
    assert!(
        gap >= chrono::Duration::milliseconds(1000),
        "second try after {gap}"
    );
}

#[tokio::test]
async fn retries_stop_after_the_policy_and_report_the_last_error() {
    let sim = simulator().await;
    let client = client(&sim);
    sim.push_fault(fault(Endpoint::Get, Fault::ServerError { status: 503 }, 10));
    let error = client.get("pmc-any").await.expect_err("gives up");
    assert_eq!(
        error,
        MonimeError::Server {
            status: 503,
            message: "simulated server error".into()
        }
    );
    assert_eq!(requests_to(&sim, Endpoint::Get), 4);
}

#[tokio::test]
async fn requests_are_spaced_to_stay_under_monimes_rate_limit() {
    let sim = SimulatorHandle::start(SimulatorOptions {
        rate_limit_per_second: Some(5),
        ..SimulatorOptions::default()
    })
    .await
    .expect("simulator");
    let client = MonimeClient::new(ClientSettings {
        min_request_gap: Duration::from_millis(250),
        ..settings(&sim)
    })
    .expect("client");
    let code = client
        .create(&sale(100), "key-paced")
        .await
        .expect("create");
    let reads = (0..12).map(|_| {
        let client = client.clone();
        let id = code.id.clone();
        tokio::spawn(async move { client.get(&id).await })
    });
    for read in reads {
        read.await.expect("task").expect("never throttled");
    }
    let times: Vec<_> = sim.requests().iter().map(|r| r.at).collect();
    assert_eq!(times.len(), 13, "no 429 and so no retries");
    // The limit is five a second, so no six may fall within one. Five may: the client spaces
    // the moments it sends, and their arrival here moves by a few milliseconds on a busy
    // machine (five within 996 ms was seen).
    for window in times.windows(6) {
        assert!(
            window[5] - window[0] >= chrono::Duration::milliseconds(1000),
            "six requests within {}",
            window[5] - window[0]
        );
    }
}

#[tokio::test]
async fn a_full_space_slows_the_terminal_down() {
    let sim = SimulatorHandle::start(SimulatorOptions {
        space_rate_limit_per_second: Some(2),
        ..SimulatorOptions::default()
    })
    .await
    .expect("simulator");
    // Another terminal of the same space has used this second's requests.
    let other = MonimeClient::new(settings(&sim)).expect("client");
    let client = MonimeClient::new(ClientSettings {
        retry: RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        },
        ..settings(&sim)
    })
    .expect("client");
    let code = other.create(&sale(100), "key-space").await.expect("create");
    other.get(&code.id).await.expect("read");
    assert_eq!(client.space_load(), SpaceLoad::QUIET);
    assert_eq!(client.throttled_to_save(), None);
    let refused = client.get(&code.id).await;
    assert!(
        matches!(&refused, Err(MonimeError::RateLimited { limit: Some(limit), .. }) if limit == "space-limit"),
        "{refused:?}"
    );
    // The first 429 of a terminal that thought itself alone says the space is shared: it
    // checks evenly from now on, and is not slowed for it.
    let load = client.space_load();
    assert!(load.crowded && load.slowdown == 1.0, "{load:?}");
    assert!(
        client.throttled_to_save().is_some(),
        "the 429 is there for the journal"
    );
    // A 429 at the even pace says the space is full even so: that slows.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    other.get(&code.id).await.expect("read");
    other.get(&code.id).await.expect("read");
    let refused = client.get(&code.id).await;
    assert!(
        matches!(&refused, Err(MonimeError::RateLimited { .. })),
        "{refused:?}"
    );
    let load = client.space_load();
    assert!(load.slowdown > 1.4 && load.crowded, "{load:?}");
    assert_eq!(
        other.space_load(),
        SpaceLoad::QUIET,
        "only the terminal told slows down"
    );
    // A terminal whose configuration says the space is shared checks evenly from the start,
    // and is not slowed for it.
    let declared = MonimeClient::new(ClientSettings {
        shared_space: true,
        ..settings(&sim)
    })
    .expect("client");
    let load = declared.space_load();
    assert!(load.crowded && load.slowdown == 1.0, "{load:?}");
    assert_eq!(declared.throttled_to_save(), None, "no 429 to keep");
}

#[tokio::test]
async fn a_hanging_answer_times_out() {
    let sim = simulator().await;
    let client = MonimeClient::new(ClientSettings {
        request_timeout: Duration::from_millis(300),
        retry: RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        },
        ..settings(&sim)
    })
    .expect("client");
    sim.push_fault(fault(Endpoint::Get, Fault::Hang, 1));
    let error = client.get("pmc-any").await.expect_err("times out");
    assert_eq!(
        error,
        MonimeError::Timeout {
            after: Duration::from_millis(300)
        }
    );
    assert!(error.is_retryable());
}

#[tokio::test]
async fn a_slow_answer_within_the_timeout_is_accepted() {
    let sim = simulator().await;
    let client = client(&sim);
    sim.push_fault(fault(Endpoint::Create, Fault::Delay { ms: 300 }, 1));
    let started = Instant::now();
    client
        .create(&sale(100), "key-slow")
        .await
        .expect("slow but fine");
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(requests_to(&sim, Endpoint::Create), 1);
}

#[tokio::test]
async fn malformed_answers_are_named() {
    let sim = simulator().await;
    let client = client(&sim);
    let cases = [
        (Fault::NotJson, "not JSON"),
        (
            Fault::Raw {
                status: 200,
                body: r#"{"success": false}"#.into(),
            },
            "success: false",
        ),
        (
            Fault::Raw {
                status: 200,
                body: r#"{"success": true, "result": {"id": 7}}"#.into(),
            },
            "unexpected layout",
        ),
        (
            Fault::Raw {
                status: 200,
                body: r#"{"success": true}"#.into(),
            },
            "no payment code",
        ),
        (
            Fault::Raw {
                status: 200,
                body: "[1, 2]".into(),
            },
            "unexpected layout",
        ),
    ];
    for (scripted, expected) in cases {
        sim.push_fault(fault(Endpoint::Get, scripted.clone(), 1));
        let error = client.get("pmc-any").await.expect_err("malformed");
        assert!(
            matches!(error, MonimeError::Malformed { .. }),
            "{scripted:?}: {error:?}"
        );
        assert!(
            error.to_string().contains(expected),
            "{scripted:?}: {error}"
        );
    }
}

#[tokio::test]
async fn an_unreachable_monime_is_a_network_error() {
    let closed_port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address").port()
    };
    let sim = simulator().await;
    let client = MonimeClient::new(ClientSettings {
        base_url: reqwest::Url::parse(&format!("http://127.0.0.1:{closed_port}")).expect("url"),
        retry: RetryPolicy {
            max_attempts: 2,
            ..settings(&sim).retry
        },
        ..settings(&sim)
    })
    .expect("client");
    let error = client.get("pmc-any").await.expect_err("unreachable");
    assert!(matches!(error, MonimeError::Network { .. }), "{error:?}");
    assert!(error.to_string().contains("cannot reach Monime"), "{error}");
}

#[tokio::test]
async fn cancel_is_not_retried_blindly_but_waits_out_throttling() {
    let sim = simulator().await;
    let client = client(&sim);
    let code = client
        .create(&sale(100), "key-cancel")
        .await
        .expect("create");
    sim.push_fault(fault(
        Endpoint::Update,
        Fault::ServerError { status: 500 },
        1,
    ));
    let error = client.cancel(&code.id).await.expect_err("not retried");
    assert!(matches!(error, MonimeError::Server { .. }));
    assert_eq!(requests_to(&sim, Endpoint::Update), 1);

    sim.push_fault(fault(
        Endpoint::Update,
        Fault::RateLimited {
            retry_after_secs: 1,
        },
        1,
    ));
    let cancelled = client.cancel(&code.id).await.expect("after 429");
    assert_eq!(cancelled.status, CodeStatus::Cancelled);
    assert_eq!(requests_to(&sim, Endpoint::Update), 3);
}

#[tokio::test]
async fn cancel_during_a_payment_leaves_it_to_complete() {
    let sim = simulator().await;
    let client = client(&sim);
    let code = client.create(&sale(100), "key-race").await.expect("create");
    sim.pay(&code.id, None).expect("payment starts");
    let after_cancel = client.cancel(&code.id).await.expect("cancel answered");
    assert_eq!(after_cancel.status, CodeStatus::Processing);
    sim.finish_payment(&code.id).expect("finish");
    assert_eq!(
        client.get(&code.id).await.expect("get").status,
        CodeStatus::Completed
    );
}

#[tokio::test]
async fn delete_works_only_while_unused() {
    let sim = simulator().await;
    let client = client(&sim);
    let unused = client
        .create(&sale(100), "key-del-1")
        .await
        .expect("create");
    client.delete(&unused.id).await.expect("deleted");
    assert!(matches!(
        client.get(&unused.id).await,
        Err(MonimeError::NotFound { .. })
    ));
    let used = client
        .create(&sale(100), "key-del-2")
        .await
        .expect("create");
    sim.pay(&used.id, None).expect("pay");
    let error = client.delete(&used.id).await.expect_err("in use");
    assert!(matches!(error, MonimeError::Validation { .. }), "{error:?}");
}

#[tokio::test]
async fn listing_follows_pagination_and_filters() {
    let sim = simulator().await;
    let client = client(&sim);
    let mut ids = Vec::new();
    for index in 0..57 {
        let code = client
            .create(&sale(100 + index), &format!("page-{index}"))
            .await
            .expect("create");
        ids.push(code.id);
    }
    sim.pay(&ids[3], Some(Duration::ZERO)).expect("pay");
    let all = client
        .list(&ListFilter::default(), 500)
        .await
        .expect("list");
    assert_eq!(all.len(), 57);
    let mut newest_first = ids.clone();
    newest_first.reverse();
    assert_eq!(
        all.iter().map(|c| c.id.clone()).collect::<Vec<_>>(),
        newest_first
    );
    assert_eq!(
        requests_to(&sim, Endpoint::List),
        2,
        "two pages of up to 50"
    );

    let first_five = client.list(&ListFilter::default(), 5).await.expect("list");
    assert_eq!(first_five.len(), 5);

    let completed = client
        .list(
            &ListFilter {
                status: Some(CodeStatus::Completed),
                ..ListFilter::default()
            },
            50,
        )
        .await
        .expect("filtered");
    assert_eq!(
        completed.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        vec![ids[3].as_str()]
    );

    let ussd = all[10].ussd_code.clone();
    let by_ussd = client
        .list(
            &ListFilter {
                ussd_code: ussd,
                ..ListFilter::default()
            },
            50,
        )
        .await
        .expect("by ussd");
    assert_eq!(by_ussd.len(), 1);
    assert_eq!(by_ussd[0].id, all[10].id);

    let page = client
        .list_page(&ListFilter::default(), 20, None)
        .await
        .expect("page");
    let next = client
        .list_page(&ListFilter::default(), 20, page.next.as_deref())
        .await
        .expect("page 2");
    assert_eq!(next.codes[0].id, all[20].id);
}

#[tokio::test]
async fn a_days_codes_are_read_over_every_page_back_to_the_first_older_one() {
    let sim = simulator().await;
    let client = client(&sim);
    // Yesterday's codes, made while the simulated Monime's clock was two hours back.
    sim.set_clock_offset(chrono::TimeDelta::hours(-2));
    for index in 0..45 {
        client
            .create(&sale(100 + index), &format!("old-{index}"))
            .await
            .expect("create");
    }
    sim.set_clock_offset(chrono::TimeDelta::zero());
    let mut today = Vec::new();
    for index in 0..60 {
        let code = client
            .create(&sale(500 + index), &format!("new-{index}"))
            .await
            .expect("create");
        today.push(code.id);
    }
    let before = requests_to(&sim, Endpoint::List);
    let since = chrono::Utc::now() - chrono::TimeDelta::hours(1);
    let listed = client.list_created_since(since).await.expect("list");
    today.reverse();
    assert_eq!(
        listed.iter().map(|c| c.id.clone()).collect::<Vec<_>>(),
        today,
        "today's 60, newest first, none older"
    );
    assert_eq!(
        requests_to(&sim, Endpoint::List) - before,
        2,
        "the second page reaches older codes, so no third is read"
    );
}

/// Captures every log line, the HTTP stack's own included, at the most verbose level.
#[derive(Clone, Default)]
struct CapturedLog(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for CapturedLog {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_token_never_appears_in_logs_errors_or_debug_output() {
    let secret = "mon_test_TOPSECRET_7f3a";
    let log = CapturedLog::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let _ = tracing_log::LogTracer::init();

    let sim = SimulatorHandle::start(SimulatorOptions {
        access_token: secret.into(),
        ..SimulatorOptions::default()
    })
    .await
    .expect("simulator");
    let client = MonimeClient::new(ClientSettings {
        access_token: AccessToken::new(secret),
        ..settings(&sim)
    })
    .expect("client");
    sim.push_fault(fault(
        Endpoint::Create,
        Fault::ServerError { status: 500 },
        1,
    ));
    let code = client.create(&sale(100), "key-log").await.expect("create");
    client.get(&code.id).await.expect("get");
    let wrong = MonimeClient::new(ClientSettings {
        access_token: AccessToken::new(format!("{secret}x")),
        ..settings(&sim)
    })
    .expect("client");
    let error = wrong.get(&code.id).await.expect_err("refused");

    let logged = String::from_utf8(log.0.lock().expect("log").clone()).expect("utf-8");
    assert!(
        logged.contains("monime"),
        "the capture saw the client's lines: {logged}"
    );
    let everything = format!(
        "{logged}\n{error}\n{error:?}\n{client:?}\n{:?}",
        client.settings()
    );
    assert!(
        !everything.contains("TOPSECRET"),
        "token leaked:\n{everything}"
    );
}

/// A simulator whose payouts are taken up and answered within a fraction of a second.
async fn quick_payouts() -> SimulatorHandle {
    SimulatorHandle::start(SimulatorOptions {
        payout_pending_time: Duration::from_millis(50),
        payout_processing_time: Some(Duration::from_millis(100)),
        ..SimulatorOptions::default()
    })
    .await
    .expect("simulator starts")
}

fn legacy_client(sim: &SimulatorHandle) -> MonimeClient {
    MonimeClient::new(ClientSettings {
        api_version: ApiVersion::Legacy,
        ..settings(sim)
    })
    .expect("client")
}

fn refund(minor: i64, phone: &str) -> NewPayout {
    NewPayout::momo(Money::new(Currency::Sle, minor), "m17", phone).with_metadata("sale", "7")
}

/// Reads the payout until Monime says it is over.
async fn follow(client: &MonimeClient, id: &str) -> Payout {
    for _ in 0..100 {
        let payout = client.payout(id).await.expect("read");
        if payout.status.is_final() {
            return payout;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("payout {id} never finished");
}

#[tokio::test]
async fn a_payout_is_followed_to_completed_with_its_fee_on_top() {
    let sim = quick_payouts().await;
    let client = client(&sim);
    let before = sim.balance(Currency::Sle);
    let made = client
        .create_payout("refund-1", &refund(1250, "+23276123456"))
        .await
        .expect("create");
    assert!(made.id.starts_with("pyt-"), "{}", made.id);
    assert_eq!(made.status, PayoutStatus::Pending);
    assert_eq!(made.amount, Some(Money::new(Currency::Sle, 1250)));
    assert_eq!(
        made.destination.phone_number.as_deref(),
        Some("+23276123456")
    );
    assert!(made.destination.transaction_reference.is_none());
    assert_eq!(made.metadata, Some(serde_json::json!({"sale": "7"})));

    let done = follow(&client, &made.id).await;
    assert_eq!(done.status, PayoutStatus::Completed);
    assert!(done.failure.is_none());
    assert!(done.destination.transaction_reference.is_some());
    assert_eq!(done.fee_total(), Some(Money::new(Currency::Sle, 50)));
    assert_eq!(sim.balance(Currency::Sle), before - 1250 - 50);
    let record = sim
        .requests()
        .into_iter()
        .find(|record| record.endpoint == Endpoint::CreatePayout)
        .expect("the create");
    assert_eq!(record.idempotency_key.as_deref(), Some("refund-1"));
}

#[tokio::test]
async fn a_lost_payout_answer_is_retried_under_its_key_and_pays_once() {
    let sim = quick_payouts().await;
    let client = client(&sim);
    sim.push_fault(fault(Endpoint::CreatePayout, Fault::DropAfterProcessing, 1));
    let payout = client
        .create_payout("refund-lost", &refund(700, "+23276123456"))
        .await
        .expect("the retry finds the payout");
    let payouts = sim.payouts();
    assert_eq!(payouts.len(), 1, "one payout, not two");
    assert_eq!(payouts[0].id, payout.id);
    assert_eq!(requests_to(&sim, Endpoint::CreatePayout), 2);

    // A second try after the terminal restarted, with the key it wrote down: the same payout.
    let again = client
        .create_payout("refund-lost", &refund(700, "+23276123456"))
        .await
        .expect("replayed");
    assert_eq!(again.id, payout.id);
    let error = client
        .create_payout("refund-lost", &refund(800, "+23276123456"))
        .await
        .expect_err("another refund under the same key");
    assert!(
        matches!(error, MonimeError::IdempotencyConflict { .. }),
        "{error:?}"
    );
    assert_eq!(sim.payouts().len(), 1);
}

#[tokio::test]
async fn a_failed_payout_carries_its_reason_and_gives_the_money_back() {
    let sim = quick_payouts().await;
    let client = client(&sim);
    let before = sim.balance(Currency::Sle);
    let stranger = client
        .create_payout("refund-stranger", &refund(300, "+23279000001"))
        .await
        .expect("create");
    let failed = follow(&client, &stranger.id).await;
    assert_eq!(failed.status, PayoutStatus::Failed);
    let failure = failed.failure.expect("a reason");
    assert_eq!(failure.code, PayoutFailureCode::ProviderAccountMissing);
    assert!(failure.message.is_some());
    assert!(failed.destination.transaction_reference.is_none());

    sim.fail_next_payout(PayoutFailureCode::AuthorizationFailed);
    let refused = client
        .create_payout("refund-refused", &refund(300, "+23276123456"))
        .await
        .expect("create");
    let failed = follow(&client, &refused.id).await;
    assert_eq!(
        failed.failure.map(|failure| failure.code),
        Some(PayoutFailureCode::AuthorizationFailed)
    );
    assert_eq!(sim.balance(Currency::Sle), before, "nothing moved");
}

#[tokio::test]
async fn too_little_in_the_account_fails_fund_insufficient() {
    let sim = quick_payouts().await;
    let client = client(&sim);
    sim.set_balance(Money::new(Currency::Sle, 1000));
    let payout = client
        .create_payout("refund-big", &refund(980, "+23276123456"))
        .await
        .expect("create");
    let failed = follow(&client, &payout.id).await;
    assert_eq!(
        failed.failure.map(|failure| failure.code),
        Some(PayoutFailureCode::FundInsufficient),
        "980 and the fee of 50 are more than 1000"
    );
    assert!(failed.fees.is_empty());
    assert_eq!(sim.balance(Currency::Sle), 1000);
}

#[tokio::test]
async fn a_payout_is_cancelled_only_before_processing_and_listed_by_status() {
    let sim = SimulatorHandle::start(SimulatorOptions {
        payout_pending_time: Duration::from_secs(60),
        ..SimulatorOptions::default()
    })
    .await
    .expect("simulator");
    let client = client(&sim);
    let waiting = client
        .create_payout("refund-a", &refund(100, "+23276123456"))
        .await
        .expect("create");
    let sent = client
        .create_payout("refund-b", &refund(200, "+23278654321"))
        .await
        .expect("create");
    sim.complete_payout(&sent.id).expect("completed");
    client.cancel_payout(&waiting.id).await.expect("cancelled");
    let error = client.payout(&waiting.id).await.expect_err("gone");
    assert_eq!(
        error,
        MonimeError::NotFound {
            what: "payout".into()
        }
    );
    let error = client.cancel_payout(&sent.id).await.expect_err("too late");
    assert!(matches!(error, MonimeError::Validation { .. }), "{error:?}");
    let error = client.payout("../payment-codes").await.expect_err("no id");
    assert!(matches!(error, MonimeError::Validation { .. }), "{error:?}");

    for index in 0..3 {
        client
            .create_payout(
                &format!("refund-{index}"),
                &refund(300 + index, "+23276123456"),
            )
            .await
            .expect("create");
    }
    let completed = client
        .list_payouts(
            &PayoutFilter {
                status: Some(PayoutStatus::Completed),
                ..PayoutFilter::default()
            },
            50,
        )
        .await
        .expect("list");
    assert_eq!(
        completed.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
        vec![sent.id.as_str()]
    );
    let page = client
        .list_payouts_page(&PayoutFilter::default(), 2, None)
        .await
        .expect("page");
    assert_eq!(page.items.len(), 2);
    assert_eq!(
        page.items[0].amount,
        Some(Money::new(Currency::Sle, 302)),
        "newest first"
    );
    let all = client
        .list_payouts(&PayoutFilter::default(), 50)
        .await
        .expect("all");
    assert_eq!(all.len(), 4);
}

#[tokio::test]
async fn kyc_names_the_holder_of_a_known_number_only() {
    let sim = simulator().await;
    let client = client(&sim);
    sim.register_account("m18", "+23277555000", "ISATU CONTEH")
        .expect("registered");
    let known = client
        .provider_kyc("m18", "+23277555000")
        .await
        .expect("asked")
        .expect("known");
    assert_eq!(known.holder_name.as_deref(), Some("ISATU CONTEH"));
    assert_eq!(known.provider_name.as_deref(), Some("Africell AfriMoney"));
    let demo = client
        .provider_kyc("m17", "+23276123456")
        .await
        .expect("asked");
    assert_eq!(
        demo.and_then(|kyc| kyc.holder_name).as_deref(),
        Some("AMINATA KAMARA")
    );
    assert_eq!(
        client.provider_kyc("m17", "+23277555000").await,
        Ok(None),
        "the number is not Orange Money's"
    );
    let legacy = legacy_client(&sim)
        .provider_kyc("m18", "+23277555000")
        .await
        .expect("asked")
        .expect("known");
    assert_eq!(legacy.holder_name.as_deref(), Some("ISATU CONTEH"));
}

#[tokio::test]
async fn the_payment_of_a_paid_code_is_found_with_the_payers_proof() {
    let sim = simulator().await;
    let client = client(&sim);
    let code = client
        .create(&sale(1250), "sale-proof")
        .await
        .expect("create");
    assert_eq!(
        client.payment_for_code(&code.id, 2).await,
        Ok(None),
        "not paid yet"
    );
    sim.pay_from(&code.id, Some(Duration::ZERO), "m18", "077123456")
        .expect("paid");
    let payment = client
        .payment_for_code(&code.id, 2)
        .await
        .expect("asked")
        .expect("found");
    assert_eq!(payment.amount, Some(Money::new(Currency::Sle, 1250)));
    assert_eq!(payment.channel.provider_id.as_deref(), Some("m18"));
    assert_eq!(payment.channel.provider_name(), Some("Africell AfriMoney"));
    assert_eq!(
        payment.channel.phone_number.as_deref(),
        Some("+23277***456")
    );
    let reference = payment
        .channel
        .reference
        .clone()
        .expect("operator reference");
    assert!(reference.starts_with("MP"), "{reference}");
    assert!(payment.channel.fingerprint.is_some());
    assert_eq!(payment.fee_total(), Some(Money::new(Currency::Sle, 13)));
    assert!(payment.is_for_code(&code.id));
    let read = client.get(&code.id).await.expect("get");
    assert_eq!(
        read.payment.and_then(|data| data.payment_id),
        Some(payment.id.clone()),
        "the code tells of the same payment"
    );
}

#[tokio::test]
async fn a_payment_is_looked_for_in_the_newest_pages_only() {
    let sim = simulator().await;
    let client = client(&sim);
    let mut ids = Vec::new();
    for index in 0..60 {
        let code = client
            .create(&sale(100 + index), &format!("paid-{index}"))
            .await
            .expect("create");
        sim.pay(&code.id, Some(Duration::ZERO)).expect("paid");
        ids.push(code.id);
    }
    let oldest = &ids[0];
    let before = requests_to(&sim, Endpoint::ListPayments);
    assert_eq!(client.payment_for_code(oldest, 1).await, Ok(None));
    let found = client.payment_for_code(oldest, 2).await.expect("asked");
    assert!(found.is_some_and(|payment| payment.is_for_code(oldest)));
    assert_eq!(requests_to(&sim, Endpoint::ListPayments) - before, 3);
    let newest = client
        .payment_for_code(&ids[59], 5)
        .await
        .expect("asked")
        .expect("found");
    assert_eq!(newest.amount, Some(Money::new(Currency::Sle, 159)));
    assert_eq!(
        requests_to(&sim, Endpoint::ListPayments) - before,
        4,
        "found in the first page"
    );
}

#[tokio::test]
async fn payouts_speak_the_legacy_api_too() {
    let sim = SimulatorHandle::start(SimulatorOptions {
        payout_pending_time: Duration::from_secs(60),
        ..SimulatorOptions::default()
    })
    .await
    .expect("simulator");
    let client = legacy_client(&sim);
    let payout = client
        .create_payout("old-refund", &refund(400, "+23276123456"))
        .await
        .expect("create");
    assert_eq!(payout.destination.provider_id.as_deref(), Some("m17"));
    assert_eq!(
        payout.destination.phone_number.as_deref(),
        Some("+23276123456")
    );
    let missing = client
        .create_payout("old-missing", &refund(400, "+23279000002"))
        .await
        .expect("create");
    sim.complete_payout(&payout.id).expect("answered");
    sim.complete_payout(&missing.id).expect("answered");
    let done = client.payout(&payout.id).await.expect("read");
    assert_eq!(done.status, PayoutStatus::Completed);
    assert_eq!(
        done.fee_total(),
        Some(Money::new(Currency::Sle, 50)),
        "from charges"
    );
    let failed = client.payout(&missing.id).await.expect("read");
    assert_eq!(
        failed.failure.map(|failure| failure.code),
        Some(PayoutFailureCode::ProviderAccountMissing),
        "read from providerAccountMissing"
    );
    let only_failed = client
        .list_payouts(
            &PayoutFilter {
                status: Some(PayoutStatus::Failed),
                ..PayoutFilter::default()
            },
            10,
        )
        .await
        .expect("filtered by the terminal");
    assert_eq!(only_failed.len(), 1);
    assert_eq!(only_failed[0].id, missing.id);

    let before = sim.requests().len();
    let error = client
        .payment_for_code("pmc-any", 2)
        .await
        .expect_err("no payments in 2024-08-01");
    assert!(
        matches!(error, MonimeError::Unsupported { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("caph.2025-08-23"), "{error}");
    assert_eq!(sim.requests().len(), before, "nothing was sent");
    let paths: Vec<String> = sim.requests().iter().map(|r| r.path.clone()).collect();
    assert!(
        paths.iter().all(|path| !path.starts_with("/v1")),
        "{paths:?}"
    );
}

#[tokio::test]
async fn a_delayed_legacy_payout_is_not_over() {
    let sim = SimulatorHandle::start(SimulatorOptions {
        payout_pending_time: Duration::ZERO,
        payout_processing_time: None,
        ..SimulatorOptions::default()
    })
    .await
    .expect("simulator");
    let client = legacy_client(&sim);
    let payout = client
        .create_payout("old-slow", &refund(100, "+23276123456"))
        .await
        .expect("create");
    tokio::time::sleep(Duration::from_millis(20)).await;
    sim.delay_payout(&payout.id, "provider busy")
        .expect("delayed");
    let delayed = client.payout(&payout.id).await.expect("read");
    assert_eq!(delayed.status, PayoutStatus::Delayed);
    assert!(!delayed.status.is_final());
    assert_eq!(delayed.delayed_reason.as_deref(), Some("provider busy"));
    let caph = client_for_caph(&sim)
        .payout(&payout.id)
        .await
        .expect("read");
    assert_eq!(caph.status, PayoutStatus::Processing);
}

fn client_for_caph(sim: &SimulatorHandle) -> MonimeClient {
    client(sim)
}

#[tokio::test]
async fn what_monime_would_refuse_never_leaves_the_terminal() {
    let sim = simulator().await;
    let client = client(&sim);
    let masked = client
        .create_payout("refund-masked", &refund(100, "+23276***456"))
        .await
        .expect_err("a masked number");
    assert!(
        matches!(masked, MonimeError::Validation { .. }),
        "{masked:?}"
    );
    let long_key = "k".repeat(65);
    let error = client
        .create_payout(&long_key, &refund(100, "+23276123456"))
        .await
        .expect_err("a key too long");
    assert!(error.to_string().contains("1 to 64"), "{error}");
    assert!(sim.requests().is_empty());
}
