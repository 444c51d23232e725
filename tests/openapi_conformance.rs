//! Conformance with Monime's published API: every request the client sends (payment codes,
//! payouts, payments, provider KYC) is checked against Monime's schemas for its API version, caph
//! 2025-08-23 and 2024-08-01, and so are the simulator's answers, so the simulator the tests
//! trust speaks as Monime does. The schemas are restated in tests/openapi/ (see its README).
//!
//! A request passes when its operation is one Monime describes; its required headers are there
//! and every declared header, path parameter and query parameter it sends is valid; it sends no
//! query parameter the operation does not declare; and its body, if any, is valid. An answer
//! passes when it is a successful envelope whose `result` (each item of it for a list, with its
//! `pagination`) is valid.

use std::collections::BTreeMap;
use std::time::Duration;

use paycode_kiosk::money::{Currency, Money};
use paycode_kiosk::monime::{
    ApiVersion, ClientSettings, CodeStatus, ListFilter, MonimeClient, NewPaymentCode, NewPayout,
    PayoutFailureCode, PayoutFilter, PayoutStatus, RetryPolicy,
};
use paycode_kiosk::secret::AccessToken;
use paycode_kiosk::simulator::{
    DEMO_ACCESS_TOKEN, DEMO_SPACE_ID, RequestRecord, SimulatorHandle, SimulatorOptions,
};
use serde_json::{Value, json};

/// One version's restated schemas.
struct Spec {
    document: Value,
}

impl Spec {
    fn load(file: &str) -> Spec {
        let path = format!("{}/tests/openapi/{file}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).expect("the restated schemas");
        Spec {
            document: serde_json::from_str(&text).expect("JSON"),
        }
    }

    fn caph() -> Spec {
        Spec::load("caph-2025-08-23.json")
    }

    fn legacy() -> Spec {
        Spec::load("2024-08-01.json")
    }

    /// The operation `method path` falls under, with the values of its path parameters.
    fn operation(&self, method: &str, path: &str) -> Option<(&Value, BTreeMap<String, String>)> {
        let operations = self.document["operations"].as_object()?;
        operations.iter().find_map(|(key, operation)| {
            let (op_method, template) = key.split_once(' ')?;
            if op_method != method {
                return None;
            }
            let wanted: Vec<&str> = template.split('/').collect();
            let given: Vec<&str> = path.split('/').collect();
            if wanted.len() != given.len() {
                return None;
            }
            let mut parameters = BTreeMap::new();
            for (part, value) in wanted.iter().zip(&given) {
                match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                    Some(name) => {
                        parameters.insert(name.to_string(), value.to_string());
                    }
                    None if part == value => {}
                    None => return None,
                }
            }
            Some((operation, parameters))
        })
    }

    /// What is wrong with `instance` by `schema`, one line a fault.
    fn faults(&self, schema: &Value, instance: &Value) -> Vec<String> {
        let mut root = schema.clone();
        if let Some(fields) = root.as_object_mut() {
            fields.insert(
                "$schema".into(),
                json!("https://json-schema.org/draft/2020-12/schema"),
            );
            fields.insert("$defs".into(), self.document["$defs"].clone());
        }
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .build(&root)
            .expect("a schema jsonschema accepts");
        validator
            .iter_errors(instance)
            .map(|error| format!("{} at {}", error, error.instance_path()))
            .collect()
    }

    /// Whether `schema` (through its `$ref`) takes an integer: query text is read as one then.
    fn takes_integer(&self, schema: &Value) -> bool {
        let schema = match schema["$ref"].as_str() {
            Some(reference) => {
                let name = reference.trim_start_matches("#/$defs/");
                &self.document["$defs"][name]
            }
            None => schema,
        };
        schema["type"] == "integer"
    }

    /// What is wrong with a request the simulator recorded.
    fn request_faults(&self, record: &RequestRecord) -> Vec<String> {
        let Some((operation, path_values)) = self.operation(&record.method, &record.path) else {
            return vec!["Monime describes no such operation".into()];
        };
        let mut faults = Vec::new();
        let sent_header = |name: &str| match name {
            "Monime-Space-Id" => record.space_id.clone(),
            "Monime-Version" => record.version.clone(),
            "Idempotency-Key" => record.idempotency_key.clone(),
            other => panic!("the simulator does not record header {other}"),
        };
        let empty = serde_json::Map::new();
        let headers = operation["headers"].as_object().unwrap_or(&empty);
        for (name, declared) in headers {
            match sent_header(name) {
                None if declared["required"] == true => {
                    faults.push(format!("header {name} is required"));
                }
                None => {}
                Some(value) => faults.extend(
                    self.faults(&declared["schema"], &json!(value))
                        .into_iter()
                        .map(|fault| format!("header {name}: {fault}")),
                ),
            }
        }
        for (name, value) in &path_values {
            let schema = &operation["path"][name];
            faults.extend(
                self.faults(schema, &json!(value))
                    .into_iter()
                    .map(|fault| format!("path {name}: {fault}")),
            );
        }
        let query = operation["query"].as_object().unwrap_or(&empty);
        for (name, declared) in query {
            let sent = record.query.iter().any(|(key, _)| key == name);
            if declared["required"] == true && !sent {
                faults.push(format!("query {name} is required"));
            }
        }
        for (name, value) in &record.query {
            let Some(declared) = query.get(name) else {
                faults.push(format!("query {name} is not a parameter of this operation"));
                continue;
            };
            let instance = match value.parse::<i64>() {
                Ok(number) if self.takes_integer(&declared["schema"]) => json!(number),
                _ => json!(value),
            };
            faults.extend(
                self.faults(&declared["schema"], &instance)
                    .into_iter()
                    .map(|fault| format!("query {name}: {fault}")),
            );
        }
        match (operation.get("body"), record.body.is_empty()) {
            (None, true) => {}
            (None, false) => faults.push("this operation takes no body".into()),
            (Some(_), true) => faults.push("the body is missing".into()),
            (Some(schema), false) => match serde_json::from_str::<Value>(&record.body) {
                Ok(body) => faults.extend(
                    self.faults(schema, &body)
                        .into_iter()
                        .map(|fault| format!("body: {fault}")),
                ),
                Err(error) => faults.push(format!("the body is not JSON: {error}")),
            },
        }
        faults
    }

    /// What is wrong with the answer `answer` to `method path`.
    fn answer_faults(&self, method: &str, path: &str, answer: &Value) -> Vec<String> {
        let Some((operation, _)) = self.operation(method, path) else {
            return vec![format!("Monime describes no operation {method} {path}")];
        };
        if answer["success"] != true {
            return vec![format!("not a success: {answer}")];
        }
        let mut faults = Vec::new();
        if !answer["messages"].is_array() {
            faults.push("messages is not a list".into());
        }
        if let Some(schema) = operation.get("result") {
            faults.extend(self.faults(schema, &answer["result"]));
        }
        if let Some(schema) = operation.get("list") {
            let pagination = json!({
                "type": "object",
                "properties": {
                    "count": {"type": "integer", "minimum": 0},
                    "next": {"type": ["string", "null"]}
                }
            });
            faults.extend(self.faults(&pagination, &answer["pagination"]));
            match answer["result"].as_array() {
                Some(items) => {
                    for item in items {
                        faults.extend(self.faults(schema, item));
                    }
                }
                None => faults.push("a list's result is not a list".into()),
            }
        }
        faults
    }
}

fn client(sim: &SimulatorHandle, api_version: ApiVersion) -> MonimeClient {
    MonimeClient::new(ClientSettings {
        base_url: sim.base_url(),
        space_id: DEMO_SPACE_ID.into(),
        access_token: AccessToken::new(DEMO_ACCESS_TOKEN),
        api_version,
        request_timeout: Duration::from_secs(5),
        retry: RetryPolicy {
            max_attempts: 2,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
        },
        min_request_gap: Duration::ZERO,
        shared_space: false,
        extra_root_certificate: None,
    })
    .expect("client")
}

async fn simulator() -> SimulatorHandle {
    SimulatorHandle::start(SimulatorOptions {
        payout_pending_time: Duration::from_secs(60),
        payout_processing_time: None,
        ..SimulatorOptions::default()
    })
    .await
    .expect("simulator")
}

fn sale(minor: i64) -> NewPaymentCode {
    NewPaymentCode::new("Conformance sale 1", Money::new(Currency::Sle, minor))
        .with_reference(Some("R-1".into()))
        .with_metadata("terminal", "T1")
        .with_providers(vec!["m17".into(), "m18".into()])
        .with_phone(Some("+23276123456".into()))
        .with_financial_account(Some("fac-shop0001".into()))
}

/// A payout as a refund makes it (`refund::NewRefund::payout_request`), every option set.
fn refund(minor: i64) -> NewPayout {
    use paycode_kiosk::refund::{FullNumber, NewRefund, Refunder};
    NewRefund {
        sale: 7,
        amount: Money::new(Currency::Sle, minor),
        provider_id: "m17".into(),
        phone: FullNumber::parse("076123456").expect("a number"),
        holder_name: Some("AMINATA KAMARA".into()),
        refunder: Refunder::Cashier("Aminata".into()),
        terminal_id: "T1".into(),
        source_account: Some("fac-shop0001".into()),
    }
    .payout_request(3, "9b2f4c1e-7d35-4a8e-9c61-2f0e8d7a5b43")
}

/// Every call the terminal makes of Monime, with every option it can set, on `version`.
async fn use_every_endpoint(sim: &SimulatorHandle, version: ApiVersion) {
    let legacy = version == ApiVersion::Legacy;
    let client = client(sim, version);
    let code = client
        .create(&sale(1250), "conf-code-1")
        .await
        .expect("create");
    client.get(&code.id).await.expect("get");
    sim.pay(&code.id, Some(Duration::ZERO)).expect("pay");
    let other = client
        .create(&sale(700), "conf-code-2")
        .await
        .expect("create");
    client.cancel(&other.id).await.expect("cancel");
    let unused = client
        .create(&sale(300), "conf-code-3")
        .await
        .expect("create");
    client.delete(&unused.id).await.expect("delete");
    for filter in [
        ListFilter::default(),
        ListFilter {
            status: Some(CodeStatus::Completed),
            mode: Some("one_time".into()),
            ussd_code: code.ussd_code.clone(),
        },
    ] {
        client.list(&filter, 5).await.expect("list");
    }
    let page = client
        .list_page(&ListFilter::default(), 1, None)
        .await
        .expect("page");
    client
        .list_page(&ListFilter::default(), 1, page.next.as_deref())
        .await
        .expect("next page");

    let payout = client
        .create_payout("conf-payout-1", &refund(500))
        .await
        .expect("payout");
    client.payout(&payout.id).await.expect("read payout");
    let waiting = client
        .create_payout(
            "conf-payout-2",
            &NewPayout::momo(Money::new(Currency::Sle, 100), "m18", "+23277123456"),
        )
        .await
        .expect("payout");
    client
        .cancel_payout(&waiting.id)
        .await
        .expect("cancel payout");
    for filter in [
        PayoutFilter::default(),
        PayoutFilter {
            status: Some(PayoutStatus::Pending),
            source_account: Some("fac-shop0001".into()),
            source_transaction_reference: Some("ftx-1".into()),
            destination_transaction_reference: Some("CI-1".into()),
        },
    ] {
        client.list_payouts(&filter, 5).await.expect("list payouts");
    }
    client
        .list_payouts_page(&PayoutFilter::default(), 1, Some(&payout.id))
        .await
        .expect("a page after");
    client
        .provider_kyc("m17", "+23276123456")
        .await
        .expect("kyc");
    client
        .provider_kyc("m18", "+23276123456")
        .await
        .expect("kyc of a stranger");
    if !legacy {
        let found = client.payment_for_code(&code.id, 2).await.expect("payment");
        assert!(found.is_some());
        client.list_payments(3, None).await.expect("payments");
    }
}

fn assert_requests_conform(sim: &SimulatorHandle, spec: &Spec) {
    let records = sim.requests();
    assert!(records.len() > 15, "the client was used: {}", records.len());
    let faults: Vec<String> = records
        .iter()
        .flat_map(|record| {
            spec.request_faults(record).into_iter().map(move |fault| {
                format!(
                    "{} {} {:?}: {fault}",
                    record.method, record.path, record.query
                )
            })
        })
        .collect();
    assert!(faults.is_empty(), "{}", faults.join("\n"));
}

#[tokio::test]
async fn every_request_of_the_caph_client_is_valid_against_monimes_schemas() {
    let sim = simulator().await;
    use_every_endpoint(&sim, ApiVersion::default()).await;
    assert_requests_conform(&sim, &Spec::caph());
}

#[tokio::test]
async fn every_request_of_the_2024_08_01_client_is_valid_against_its_schemas() {
    let sim = simulator().await;
    use_every_endpoint(&sim, ApiVersion::Legacy).await;
    assert_requests_conform(&sim, &Spec::legacy());
}

#[test]
fn the_check_itself_finds_what_monime_would_refuse() {
    let spec = Spec::caph();
    let record = |method: &str, path: &str, query: &[(&str, &str)], body: Value| RequestRecord {
        at: chrono::Utc::now(),
        method: method.into(),
        path: path.into(),
        query: query
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect(),
        endpoint: paycode_kiosk::simulator::Endpoint::Unknown,
        space_id: Some("spc-demo".into()),
        version: Some("caph.2025-08-23".into()),
        idempotency_key: Some("key-1".into()),
        body: if body.is_null() {
            String::new()
        } else {
            body.to_string()
        },
        connection: 1,
        status: None,
    };
    let good = json!({"amount": {"currency": "SLE", "value": 100},
                      "destination": {"type": "momo", "providerId": "m17", "phoneNumber": "+23276123456"}});
    assert_eq!(
        spec.request_faults(&record("POST", "/v1/payouts", &[], good.clone())),
        Vec::<String>::new()
    );
    let mut read_only = good.clone();
    read_only["destination"]["transactionReference"] = json!("x");
    let mut wrong_provider = good.clone();
    wrong_provider["destination"]["providerId"] = json!("m99");
    let mut extra = good.clone();
    extra["note"] = json!("refund");
    for body in [read_only, wrong_provider, extra] {
        assert!(
            !spec
                .request_faults(&record("POST", "/v1/payouts", &[], body.clone()))
                .is_empty(),
            "{body}"
        );
    }
    let mut no_key = record("POST", "/v1/payouts", &[], good);
    no_key.idempotency_key = None;
    assert!(!spec.request_faults(&no_key).is_empty());
    let too_many = record("GET", "/v1/payouts", &[("limit", "51")], Value::Null);
    assert!(!spec.request_faults(&too_many).is_empty());
    let unknown = record("GET", "/v1/payouts", &[("status", "delayed")], Value::Null);
    assert!(!spec.request_faults(&unknown).is_empty());
    let undeclared = record("GET", "/v1/payments", &[("code", "pmc-1")], Value::Null);
    assert!(!spec.request_faults(&undeclared).is_empty());
    let bad_id = record("GET", "/v1/payouts/pmc-1", &[], Value::Null);
    assert!(!spec.request_faults(&bad_id).is_empty());
    let legacy_mode = record("GET", "/payment-codes", &[("mode", "oneTime")], Value::Null);
    assert!(!Spec::legacy().request_faults(&legacy_mode).is_empty());
}

/// An answer as the simulator sends it, read without the client.
async fn answer(
    sim: &SimulatorHandle,
    method: reqwest::Method,
    path: &str,
    legacy: bool,
    key: Option<&str>,
    body: Option<Value>,
) -> Value {
    let url = format!("{}{}", sim.base_url().as_str().trim_end_matches('/'), path);
    let mut request = reqwest::Client::new()
        .request(method, url)
        .bearer_auth(DEMO_ACCESS_TOKEN)
        .header("Monime-Space-Id", DEMO_SPACE_ID);
    if !legacy {
        request = request.header("Monime-Version", "caph.2025-08-23");
    }
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("an answer");
    response.json().await.expect("JSON")
}

/// Answers of every kind on `version`: codes pending, paid and cancelled; payouts pending,
/// processing, completed and failed (and delayed in 2024-08-01); payments; KYC.
async fn answers_conform(version: ApiVersion, spec: &Spec) {
    let legacy = version == ApiVersion::Legacy;
    let sim = simulator().await;
    let client = client(&sim, version);
    let prefix = if legacy { "" } else { "/v1" };
    let mut faults = Vec::new();
    let mut check = |method: &str, path: &str, value: Value| {
        for fault in spec.answer_faults(method, path, &value) {
            faults.push(format!("{method} {path}: {fault}\n  in {value}"));
        }
    };
    let code_body = sale(1250).to_body(&client.settings().api_version);
    let created = answer(
        &sim,
        reqwest::Method::POST,
        &format!("{prefix}/payment-codes"),
        legacy,
        Some("answer-code"),
        Some(code_body),
    )
    .await;
    check("POST", &format!("{prefix}/payment-codes"), created.clone());
    let code_id = created["result"]["id"].as_str().expect("an id").to_string();
    let bare = client
        .create(
            &NewPaymentCode::new("Bare sale", Money::new(Currency::Sle, 100)),
            "answer-bare",
        )
        .await
        .expect("create");
    sim.pay(&code_id, Some(Duration::ZERO)).expect("pay");
    let cancel_body = if legacy {
        json!({"status": "cancelled"})
    } else {
        json!({"enable": false})
    };
    let path = format!("{prefix}/payment-codes/{}", bare.id);
    let cancelled = answer(
        &sim,
        reqwest::Method::PATCH,
        &path,
        legacy,
        None,
        Some(cancel_body),
    )
    .await;
    check("PATCH", &path, cancelled);
    let path = format!("{prefix}/payment-codes/{code_id}");
    check(
        "GET",
        &path,
        answer(&sim, reqwest::Method::GET, &path, legacy, None, None).await,
    );
    let path = format!("{prefix}/payment-codes");
    check(
        "GET",
        &path,
        answer(&sim, reqwest::Method::GET, &path, legacy, None, None).await,
    );

    let path = format!("{prefix}/payouts");
    let payout_body = refund(500).to_body(&client.settings().api_version);
    let created = answer(
        &sim,
        reqwest::Method::POST,
        &path,
        legacy,
        Some("answer-payout"),
        Some(payout_body),
    )
    .await;
    check("POST", &path, created.clone());
    let pending = created["result"]["id"].as_str().expect("an id").to_string();
    let mut ids = vec![pending];
    for (index, phone) in [
        "+23276123456",
        "+23279000003",
        "+23276123456",
        "+23276123456",
    ]
    .into_iter()
    .enumerate()
    {
        let payout = client
            .create_payout(
                &format!("answer-{index}"),
                &NewPayout::momo(Money::new(Currency::Sle, 200), "m17", phone),
            )
            .await
            .expect("payout");
        ids.push(payout.id);
    }
    sim.complete_payout(&ids[1]).expect("completed");
    sim.complete_payout(&ids[2])
        .expect("fails: nobody has the number");
    sim.fail_payout(&ids[3], PayoutFailureCode::AuthorizationFailed)
        .expect("failed");
    sim.set_balance(Money::new(Currency::Sle, 10));
    sim.complete_payout(&ids[4])
        .expect("fails: too little money");
    for id in &ids {
        let path = format!("{prefix}/payouts/{id}");
        check(
            "GET",
            &path,
            answer(&sim, reqwest::Method::GET, &path, legacy, None, None).await,
        );
    }
    let path = format!("{prefix}/payouts");
    check(
        "GET",
        &path,
        answer(&sim, reqwest::Method::GET, &path, legacy, None, None).await,
    );

    if legacy {
        // A payout is held up once taken up: one taken up at once.
        let processing = SimulatorHandle::start(SimulatorOptions {
            payout_pending_time: Duration::ZERO,
            payout_processing_time: None,
            ..SimulatorOptions::default()
        })
        .await
        .expect("simulator");
        let other = self::client(&processing, ApiVersion::Legacy);
        let held = other
            .create_payout("answer-held", &refund(100))
            .await
            .expect("payout");
        tokio::time::sleep(Duration::from_millis(20)).await;
        processing
            .delay_payout(&held.id, "provider busy")
            .expect("delayed");
        let path = format!("/payouts/{}", held.id);
        check(
            "GET",
            &path,
            answer(&processing, reqwest::Method::GET, &path, true, None, None).await,
        );
        let path = "/kyc-verifications/m17?accountId=%2B23276123456";
        check(
            "GET",
            "/kyc-verifications/m17",
            answer(&sim, reqwest::Method::GET, path, true, None, None).await,
        );
    } else {
        let path = "/v1/payments";
        check(
            "GET",
            path,
            answer(&sim, reqwest::Method::GET, path, false, None, None).await,
        );
        let path = "/v1/provider-kyc/m17?accountId=%2B23276123456";
        check(
            "GET",
            "/v1/provider-kyc/m17",
            answer(&sim, reqwest::Method::GET, path, false, None, None).await,
        );
    }
    assert!(faults.is_empty(), "{}", faults.join("\n"));
}

#[tokio::test]
async fn the_simulators_caph_answers_are_valid_against_monimes_schemas() {
    answers_conform(ApiVersion::default(), &Spec::caph()).await;
}

#[tokio::test]
async fn the_simulators_2024_08_01_answers_are_valid_against_its_schemas() {
    answers_conform(ApiVersion::Legacy, &Spec::legacy()).await;
}
