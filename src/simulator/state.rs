//! Monime's payment-code rules as the simulator keeps them: codes and their life, idempotency,
//! header checks, rate limits and scripted faults. No sockets here: the server hands a request
//! in and gets an outcome back, so every rule is plain code.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;
use rand::distr::Alphanumeric;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::money::Currency;
use crate::monime::CodeStatus;
use crate::monime::duration::parse_go_duration;

/// The endpoints a fault or a log line is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    Any,
    Create,
    Get,
    List,
    Update,
    Delete,
    Unknown,
}

/// What a scripted fault does to the request it hits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// Answers with this 5xx status and Monime's error envelope; nothing is done.
    ServerError { status: u16 },
    /// Answers 429 with `Retry-After`; nothing is done.
    RateLimited { retry_after_secs: u64 },
    /// Closes the connection without an answer; nothing is done.
    DropConnection,
    /// Does the work (a create makes its code) and then closes without an answer.
    DropAfterProcessing,
    /// Does the work and answers after this many milliseconds.
    Delay { ms: u64 },
    /// Never answers (the connection is held for `Hang::HOLD`).
    Hang,
    /// Answers 200 with an HTML page.
    NotJson,
    /// Answers with this status and body, as given.
    Raw { status: u16, body: String },
    /// Does the work and answers in the 2024-08-01 shape.
    LegacyShape,
}

/// A fault for the next `times` requests to `endpoint`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultRule {
    pub endpoint: Endpoint,
    pub fault: Fault,
    #[serde(default = "one")]
    pub times: u32,
}

fn one() -> u32 {
    1
}

/// How long a hanging request is held before the connection is dropped.
pub const HANG_HOLD: Duration = Duration::from_secs(120);

/// Settings of one simulated Monime space.
#[derive(Debug, Clone)]
pub struct SimulatorOptions {
    pub port: u16,
    pub access_token: String,
    pub space_id: String,
    /// When set, every new code starts being paid this long after it was created.
    pub auto_pay_after: Option<Duration>,
    /// How long a payment stays `processing` before it completes.
    pub processing_time: Duration,
    /// Requests per second allowed on each endpoint; Monime allows 5 in test mode.
    pub rate_limit_per_second: Option<u32>,
}

impl Default for SimulatorOptions {
    fn default() -> Self {
        SimulatorOptions {
            port: 0,
            access_token: crate::config::DEMO_ACCESS_TOKEN.into(),
            space_id: crate::config::DEMO_SPACE_ID.into(),
            auto_pay_after: None,
            processing_time: Duration::from_secs(2),
            rate_limit_per_second: None,
        }
    }
}

/// One request as the simulator saw it, for tests to count.
#[derive(Debug, Clone, Serialize)]
pub struct RequestRecord {
    pub at: DateTime<Utc>,
    pub method: String,
    pub path: String,
    pub endpoint: Endpoint,
    pub idempotency_key: Option<String>,
    pub connection: u64,
    /// The HTTP status answered, or `None` when the connection was dropped or held.
    pub status: Option<u16>,
}

/// A code as the simulator holds it.
#[derive(Debug, Clone, Serialize)]
pub struct SimCode {
    pub id: String,
    pub name: String,
    pub status: CodeStatus,
    pub enabled: bool,
    pub currency: Currency,
    pub amount_minor: i64,
    pub ussd_code: String,
    pub reference: Option<String>,
    pub metadata: Value,
    pub authorized_providers: Vec<String>,
    pub authorized_phone_number: Option<String>,
    pub customer_name: Option<String>,
    pub financial_account_id: Option<String>,
    pub idempotency_key: String,
    pub create_time: DateTime<Utc>,
    pub update_time: DateTime<Utc>,
    pub expire_time: DateTime<Utc>,
    /// When a payment starts (from auto-pay); `None` until someone pays.
    payment_starts: Option<DateTime<Utc>>,
    /// When a payment in progress completes; `None` while it is held open.
    payment_completes: Option<DateTime<Utc>>,
    pub payment: Option<Value>,
}

/// A request, reduced to what the rules need.
#[derive(Debug, Clone)]
pub struct SimRequest {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub authorization: Option<String>,
    pub space_id: Option<String>,
    pub version: Option<String>,
    pub idempotency_key: Option<String>,
    pub body: Vec<u8>,
    pub connection: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

/// What the server does with a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Reply(Reply),
    ReplyAfter(Duration, Reply),
    Drop,
    Hang,
}

/// The whole simulated space.
#[derive(Debug)]
pub struct SimState {
    options: SimulatorOptions,
    codes: Vec<SimCode>,
    idempotency: HashMap<String, (String, Reply)>,
    faults: Vec<FaultRule>,
    requests: Vec<RequestRecord>,
    recent: HashMap<Endpoint, VecDeque<DateTime<Utc>>>,
    next_ussd: u64,
}

impl SimState {
    pub fn new(options: SimulatorOptions) -> SimState {
        SimState {
            options,
            codes: Vec::new(),
            idempotency: HashMap::new(),
            faults: Vec::new(),
            requests: Vec::new(),
            recent: HashMap::new(),
            next_ussd: 1_000_000_000 + rand::rng().random_range(0..8_000_000_000),
        }
    }

    pub fn push_fault(&mut self, rule: FaultRule) {
        self.faults.push(rule);
    }

    /// Drops every fault still waiting: the network is well again.
    pub fn clear_faults(&mut self) {
        self.faults.clear();
    }

    pub fn requests(&self) -> &[RequestRecord] {
        &self.requests
    }

    pub fn codes(&mut self, now: DateTime<Utc>) -> Vec<SimCode> {
        self.codes.iter_mut().for_each(|code| advance(code, now));
        self.codes.clone()
    }

    /// The customer pays: the code goes `processing` and completes after `processing_for`
    /// (at once when zero; never by itself when `None`, see `finish_payment`).
    pub fn pay(
        &mut self,
        id: &str,
        processing_for: Option<Duration>,
        now: DateTime<Utc>,
    ) -> Result<CodeStatus, String> {
        let code = self.find_mut(id, now)?;
        if code.status != CodeStatus::Pending || !code.enabled {
            return Err(format!("{id} is {} and cannot be paid", code.status));
        }
        code.status = CodeStatus::Processing;
        code.update_time = now;
        code.payment_starts = Some(now);
        code.payment_completes = processing_for.map(|wait| now + wait);
        advance(code, now);
        Ok(code.status)
    }

    /// Completes a payment held open by `pay(id, None, ..)`.
    pub fn finish_payment(&mut self, id: &str, now: DateTime<Utc>) -> Result<(), String> {
        let code = self.find_mut(id, now)?;
        if code.status != CodeStatus::Processing {
            return Err(format!("{id} is {}, not processing", code.status));
        }
        code.payment_completes = Some(now);
        advance(code, now);
        Ok(())
    }

    fn find_mut(&mut self, id: &str, now: DateTime<Utc>) -> Result<&mut SimCode, String> {
        let code = self
            .codes
            .iter_mut()
            .find(|code| code.id == id)
            .ok_or_else(|| format!("no code {id}"))?;
        advance(code, now);
        Ok(code)
    }

    /// Applies Monime's rules to one request.
    pub fn handle(&mut self, request: &SimRequest, now: DateTime<Utc>) -> Outcome {
        let (legacy, route) = route(&request.method, &request.path);
        let endpoint = route.endpoint();
        let fault = self.take_fault(endpoint);
        let mut outcome = match &fault {
            Some(Fault::ServerError { status }) => Outcome::Reply(error_reply(
                *status,
                "internal_error",
                "simulated server error",
            )),
            Some(Fault::RateLimited { retry_after_secs }) => {
                Outcome::Reply(throttled(*retry_after_secs, "endpoint-limit"))
            }
            Some(Fault::DropConnection) => Outcome::Drop,
            Some(Fault::Hang) => Outcome::Hang,
            Some(Fault::NotJson) => Outcome::Reply(Reply {
                status: 200,
                headers: vec![("Content-Type", "text/html".into())],
                body: "<html><body>Gateway login required</body></html>".into(),
            }),
            Some(Fault::Raw { status, body }) => Outcome::Reply(Reply {
                status: *status,
                headers: vec![("Content-Type", "application/json".into())],
                body: body.clone(),
            }),
            None | Some(Fault::DropAfterProcessing | Fault::Delay { .. } | Fault::LegacyShape) => {
                let answer_legacy = legacy || fault == Some(Fault::LegacyShape);
                Outcome::Reply(self.serve(request, &route, legacy, answer_legacy, now))
            }
        };
        match fault {
            Some(Fault::DropAfterProcessing) => outcome = Outcome::Drop,
            Some(Fault::Delay { ms }) => {
                if let Outcome::Reply(reply) = outcome {
                    outcome = Outcome::ReplyAfter(Duration::from_millis(ms), reply);
                }
            }
            _ => {}
        }
        self.requests.push(RequestRecord {
            at: now,
            method: request.method.clone(),
            path: request.path.clone(),
            endpoint,
            idempotency_key: request.idempotency_key.clone(),
            connection: request.connection,
            status: match &outcome {
                Outcome::Reply(reply) | Outcome::ReplyAfter(_, reply) => Some(reply.status),
                Outcome::Drop | Outcome::Hang => None,
            },
        });
        outcome
    }

    fn take_fault(&mut self, endpoint: Endpoint) -> Option<Fault> {
        let index = self.faults.iter().position(|rule| {
            rule.times > 0 && (rule.endpoint == Endpoint::Any || rule.endpoint == endpoint)
        })?;
        let rule = &mut self.faults[index];
        rule.times -= 1;
        let fault = rule.fault.clone();
        if rule.times == 0 {
            self.faults.remove(index);
        }
        Some(fault)
    }

    fn serve(
        &mut self,
        request: &SimRequest,
        route: &Route,
        legacy_path: bool,
        answer_legacy: bool,
        now: DateTime<Utc>,
    ) -> Reply {
        if matches!(route, Route::Unknown) {
            return error_reply(404, "not_found", "no such endpoint");
        }
        if request.authorization.as_deref()
            != Some(&format!("Bearer {}", self.options.access_token))
        {
            return error_reply(401, "unauthenticated", "invalid or missing access token");
        }
        if request.space_id.as_deref() != Some(self.options.space_id.as_str()) {
            return error_reply(403, "forbidden", "the token has no access to this space");
        }
        if !legacy_path {
            if let Some(version) = &request.version {
                if !crate::monime::ApiVersion::CAPH_VERSIONS.contains(&version.as_str()) {
                    return error_reply(400, "invalid_version", "unsupported Monime-Version");
                }
            }
        }
        if let Some(reply) = self.throttle(route.endpoint(), now) {
            return reply;
        }
        let render = |code: &SimCode| render_code(code, answer_legacy);
        match route {
            Route::Create => self.create(request, legacy_path, answer_legacy, now),
            Route::Get(id) => match self.find_mut(id, now) {
                Ok(code) => success(render(code)),
                Err(_) => error_reply(404, "not_found", "payment code not found"),
            },
            Route::List => self.list(request, answer_legacy, now),
            Route::Update(id) => self.update(id, &request.body, answer_legacy, now),
            Route::Delete(id) => self.delete(id, now),
            Route::Unknown => unreachable!("answered above"),
        }
    }

    fn throttle(&mut self, endpoint: Endpoint, now: DateTime<Utc>) -> Option<Reply> {
        let limit = self.options.rate_limit_per_second?;
        let window = self.recent.entry(endpoint).or_default();
        while window
            .front()
            .is_some_and(|at| now.signed_duration_since(*at) >= chrono::Duration::seconds(1))
        {
            window.pop_front();
        }
        if window.len() >= limit as usize {
            return Some(throttled(1, "endpoint-limit"));
        }
        window.push_back(now);
        None
    }

    fn create(
        &mut self,
        request: &SimRequest,
        legacy_path: bool,
        answer_legacy: bool,
        now: DateTime<Utc>,
    ) -> Reply {
        let Some(key) = request.idempotency_key.clone() else {
            return error_reply(
                400,
                "missing_idempotency_key",
                "the Idempotency-Key header is required",
            );
        };
        if key.is_empty() || key.len() > 64 {
            return error_reply(
                400,
                "invalid_idempotency_key",
                "Idempotency-Key must be 1 to 64 characters",
            );
        }
        let fingerprint = format!(
            "{} {} {}",
            request.method,
            request.path,
            body_fingerprint(&request.body)
        );
        if let Some((seen, reply)) = self.idempotency.get(&key) {
            if *seen != fingerprint {
                return error_reply(
                    409,
                    "idempotency_key_in_use",
                    "this idempotency key was used with a different request",
                );
            }
            let mut replay = reply.clone();
            replay.headers.push(("Monime-Cache", "irc".into()));
            return replay;
        }
        let body: Value = match serde_json::from_slice(&request.body) {
            Ok(body) => body,
            Err(_) => return error_reply(400, "invalid_body", "the body is not JSON"),
        };
        let code = match self.new_code(&body, &key, legacy_path, now) {
            Ok(code) => code,
            Err(message) => return error_reply(400, "validation_failed", &message),
        };
        let reply = success(render_code(&code, answer_legacy));
        self.codes.push(code);
        self.idempotency.insert(key, (fingerprint, reply.clone()));
        reply
    }

    fn new_code(
        &mut self,
        body: &Value,
        key: &str,
        legacy: bool,
        now: DateTime<Utc>,
    ) -> Result<SimCode, String> {
        let text = |name: &str| body.get(name).and_then(Value::as_str).map(str::to_string);
        let name = text("name").unwrap_or_default();
        if !(3..=64).contains(&name.chars().count()) {
            return Err("name must be 3 to 64 characters".into());
        }
        let one_time = if legacy { "oneTime" } else { "one_time" };
        if text("mode").is_some_and(|mode| mode != one_time) {
            return Err(format!("only mode {one_time} is simulated"));
        }
        let amount = body.get("amount").ok_or("amount is required")?;
        let currency: Currency = amount
            .get("currency")
            .and_then(Value::as_str)
            .ok_or("amount.currency is required")?
            .parse()?;
        let amount_minor = amount
            .get("value")
            .and_then(Value::as_i64)
            .filter(|value| *value > 0)
            .ok_or("amount.value must be a positive whole number of minor units")?;
        let lifetime = parse_go_duration(&text("duration").unwrap_or_else(|| "10m".into()))?;
        let target = body.get("customerTarget");
        let target_text = |name: &str| {
            target
                .and_then(|t| t.get(name))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        let reference = if legacy {
            target_text("reference")
        } else {
            text("reference")
        };
        if reference.as_ref().is_some_and(|r| r.len() > 64) {
            return Err("reference must be at most 64 characters".into());
        }
        let providers_key = if legacy {
            "allowedProviders"
        } else {
            "authorizedProviders"
        };
        let authorized_providers: Vec<String> = match body.get(providers_key) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) if (1..=10).contains(&items.len()) => items
                .iter()
                .map(|item| {
                    item.as_str()
                        .map(str::to_string)
                        .ok_or("provider ids are strings")
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(format!("{providers_key} must list 1 to 10 provider ids")),
        };
        self.next_ussd += 1;
        let payment_starts = self.options.auto_pay_after.map(|wait| now + wait);
        Ok(SimCode {
            id: format!("pmc-{}", random_text(24)),
            name,
            status: CodeStatus::Pending,
            enabled: true,
            currency,
            amount_minor,
            ussd_code: format!("*715*1*{:010}#", self.next_ussd % 10_000_000_000),
            reference,
            metadata: body.get("metadata").cloned().unwrap_or(json!({})),
            authorized_providers,
            authorized_phone_number: if legacy {
                target_text("payingPhoneNumber")
            } else {
                text("authorizedPhoneNumber")
            },
            customer_name: if legacy {
                target_text("name")
            } else {
                body.pointer("/customer/name")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            },
            financial_account_id: text("financialAccountId"),
            idempotency_key: key.to_string(),
            create_time: now,
            update_time: now,
            expire_time: now + lifetime,
            payment_starts,
            payment_completes: payment_starts.map(|start| start + self.options.processing_time),
            payment: None,
        })
    }

    fn list(&mut self, request: &SimRequest, legacy: bool, now: DateTime<Utc>) -> Reply {
        let query = |name: &str| {
            request
                .query
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.as_str())
        };
        let limit = match query("limit").map(str::parse::<usize>) {
            None => 10,
            Some(Ok(limit)) if (1..=50).contains(&limit) => limit,
            Some(_) => return error_reply(400, "validation_failed", "limit must be from 1 to 50"),
        };
        let status = match query("status").map(str::parse::<CodeStatus>) {
            None => None,
            Some(Ok(status)) => Some(status),
            Some(Err(message)) => return error_reply(400, "validation_failed", &message),
        };
        let mode_ok = |mode: &str| mode == "one_time" || mode == "oneTime";
        if query("mode").is_some_and(|mode| !mode_ok(mode)) && query("mode") != Some("recurrent") {
            return error_reply(
                400,
                "validation_failed",
                "mode must be one_time or recurrent",
            );
        }
        let wants_recurrent = query("mode") == Some("recurrent");
        self.codes.iter_mut().for_each(|code| advance(code, now));
        let matching: Vec<&SimCode> = self
            .codes
            .iter()
            .rev()
            .filter(|code| status.is_none_or(|status| code.status == status))
            .filter(|code| query("ussd_code").is_none_or(|ussd| code.ussd_code == ussd))
            .filter(|_| !wants_recurrent)
            .collect();
        let start = match query("after") {
            None => 0,
            Some(cursor) => match matching.iter().position(|code| code.id == cursor) {
                Some(index) => index + 1,
                None => return error_reply(400, "validation_failed", "unknown pagination cursor"),
            },
        };
        let page: Vec<&SimCode> = matching.iter().skip(start).take(limit).copied().collect();
        let next = if start + page.len() < matching.len() {
            page.last()
                .map(|code| json!(code.id))
                .unwrap_or(Value::Null)
        } else {
            Value::Null
        };
        let items: Vec<Value> = page.iter().map(|code| render_code(code, legacy)).collect();
        reply_json(
            200,
            json!({"success": true, "messages": [], "result": items,
                   "pagination": {"count": items.len(), "next": next}}),
        )
    }

    fn update(&mut self, id: &str, body: &[u8], legacy: bool, now: DateTime<Utc>) -> Reply {
        let Ok(body) = serde_json::from_slice::<Value>(body) else {
            return error_reply(400, "invalid_body", "the body is not JSON");
        };
        let Ok(code) = self.find_mut(id, now) else {
            return error_reply(404, "not_found", "payment code not found");
        };
        let switch_off = body.get("enable") == Some(&json!(false))
            || body.get("isActive") == Some(&json!(false))
            || body.get("status") == Some(&json!("cancelled"));
        if switch_off {
            // A payment already under way is not stopped: it completes, as Monime's does.
            code.enabled = false;
            if code.status == CodeStatus::Pending {
                code.status = CodeStatus::Cancelled;
                code.payment_starts = None;
                code.payment_completes = None;
            }
            code.update_time = now;
        }
        if let Some(name) = body.get("name").and_then(Value::as_str) {
            code.name = name.to_string();
        }
        success(render_code(code, legacy))
    }

    fn delete(&mut self, id: &str, now: DateTime<Utc>) -> Reply {
        let Ok(code) = self.find_mut(id, now) else {
            return error_reply(404, "not_found", "payment code not found");
        };
        if code.status != CodeStatus::Pending {
            return error_reply(
                400,
                "payment_code_used",
                "only an unused payment code can be deleted",
            );
        }
        self.codes.retain(|code| code.id != id);
        reply_json(
            200,
            json!({"success": true, "messages": [], "result": null}),
        )
    }
}

/// Moves a code along its life as time passes: payment start, completion, expiry.
fn advance(code: &mut SimCode, now: DateTime<Utc>) {
    if code.status == CodeStatus::Pending {
        match code.payment_starts {
            Some(start) if start <= now && start < code.expire_time && code.enabled => {
                code.status = CodeStatus::Processing;
                code.update_time = start;
            }
            _ if now >= code.expire_time => {
                code.status = CodeStatus::Expired;
                code.update_time = code.expire_time;
            }
            _ => {}
        }
    }
    if code.status == CodeStatus::Processing && code.payment_completes.is_some_and(|at| at <= now) {
        let at = code.payment_completes.unwrap_or(now);
        code.status = CodeStatus::Completed;
        code.update_time = at;
        code.payment = Some(json!({
            "amount": {"currency": code.currency.code(), "value": code.amount_minor},
            "orderId": format!("ord-{}", random_text(16)),
            "orderNumber": format!("{}", rand::rng().random_range(100_000..999_999)),
            "paymentId": format!("pay-{}", random_text(16)),
            "channelData": {"providerId": "m17", "accountId": "+23276000000", "reference": random_text(10)},
            "financialTransactionReference": random_text(12),
            "metadata": {}
        }));
    }
}

fn render_code(code: &SimCode, legacy: bool) -> Value {
    let amount = json!({"currency": code.currency.code(), "value": code.amount_minor});
    let time = |at: DateTime<Utc>| at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    if legacy {
        return json!({
            "id": code.id, "name": code.name, "mode": "oneTime", "isActive": code.enabled,
            "status": code.status, "ussdCode": code.ussd_code, "amount": amount,
            "customerTarget": {"name": code.customer_name, "reference": code.reference,
                               "payingPhoneNumber": code.authorized_phone_number},
            "allowedProviders": code.authorized_providers,
            "progress": {"isCompleted": code.status == CodeStatus::Completed,
                         "totalPaymentCount": u8::from(code.status == CodeStatus::Completed)},
            "financialAccountId": code.financial_account_id,
            "expireTime": time(code.expire_time), "createTime": time(code.create_time),
            "metadata": code.metadata,
        });
    }
    json!({
        "id": code.id, "mode": "one_time", "status": code.status, "name": code.name,
        "amount": amount, "enable": code.enabled, "expireTime": time(code.expire_time),
        "customer": code.customer_name.as_ref().map(|name| json!({"name": name})),
        "ussdCode": code.ussd_code, "reference": code.reference,
        "authorizedProviders": code.authorized_providers,
        "authorizedPhoneNumber": code.authorized_phone_number,
        "recurrentPaymentTarget": null, "financialAccountId": code.financial_account_id,
        "processedPaymentData": code.payment,
        "createTime": time(code.create_time), "updateTime": time(code.update_time),
        "ownershipGraph": {"owner": {"id": "spc-sim", "type": "space"}},
        "metadata": code.metadata,
    })
}

#[derive(Debug, PartialEq)]
enum Route {
    Create,
    Get(String),
    List,
    Update(String),
    Delete(String),
    Unknown,
}

impl Route {
    fn endpoint(&self) -> Endpoint {
        match self {
            Route::Create => Endpoint::Create,
            Route::Get(_) => Endpoint::Get,
            Route::List => Endpoint::List,
            Route::Update(_) => Endpoint::Update,
            Route::Delete(_) => Endpoint::Delete,
            Route::Unknown => Endpoint::Unknown,
        }
    }
}

/// Finds the endpoint and whether the path is the legacy one (no `/v1`).
fn route(method: &str, path: &str) -> (bool, Route) {
    let (legacy, rest) = match path.strip_prefix("/v1/payment-codes") {
        Some(rest) => (false, rest),
        None => match path.strip_prefix("/payment-codes") {
            Some(rest) => (true, rest),
            None => return (false, Route::Unknown),
        },
    };
    let id = rest
        .strip_prefix('/')
        .filter(|id| !id.is_empty() && !id.contains('/'));
    let route = match (method, rest, id) {
        ("POST", "" | "/", _) => Route::Create,
        ("GET", "" | "/", _) => Route::List,
        ("GET", _, Some(id)) => Route::Get(id.into()),
        ("PATCH", _, Some(id)) => Route::Update(id.into()),
        ("DELETE", _, Some(id)) => Route::Delete(id.into()),
        _ => Route::Unknown,
    };
    (legacy, route)
}

fn body_fingerprint(body: &[u8]) -> String {
    serde_json::from_slice::<Value>(body)
        .map(|value| value.to_string())
        .unwrap_or_else(|_| String::from_utf8_lossy(body).into_owned())
}

fn random_text(length: usize) -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(length)
        .map(char::from)
        .collect()
}

fn success(result: Value) -> Reply {
    reply_json(
        200,
        json!({"success": true, "messages": [], "result": result}),
    )
}

fn reply_json(status: u16, body: Value) -> Reply {
    Reply {
        status,
        headers: vec![("Content-Type", "application/json".into())],
        body: body.to_string(),
    }
}

fn error_reply(status: u16, reason: &str, message: &str) -> Reply {
    reply_json(
        status,
        json!({"success": false, "messages": [],
               "error": {"code": status, "reason": reason, "message": message, "details": []}}),
    )
}

fn throttled(retry_after_secs: u64, limit: &str) -> Reply {
    let mut reply = error_reply(429, "rate_limited", "too many requests");
    reply
        .headers
        .push(("Retry-After", retry_after_secs.to_string()));
    reply.headers.push(("Monime-Rate-Limit", limit.to_string()));
    reply
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> SimState {
        SimState::new(SimulatorOptions::default())
    }

    fn request(method: &str, path: &str, key: Option<&str>, body: Value) -> SimRequest {
        SimRequest {
            method: method.into(),
            path: path.into(),
            query: Vec::new(),
            authorization: Some(format!("Bearer {}", crate::config::DEMO_ACCESS_TOKEN)),
            space_id: Some(crate::config::DEMO_SPACE_ID.into()),
            version: Some("caph.2025-08-23".into()),
            idempotency_key: key.map(str::to_string),
            body: body.to_string().into_bytes(),
            connection: 1,
        }
    }

    fn create_body() -> Value {
        json!({"name": "Shop sale 1", "mode": "one_time",
               "amount": {"currency": "SLE", "value": 500}, "duration": "1m"})
    }

    fn reply(outcome: Outcome) -> (u16, Value) {
        match outcome {
            Outcome::Reply(reply) => (
                reply.status,
                serde_json::from_str(&reply.body).expect("json"),
            ),
            other => panic!("expected a reply, got {other:?}"),
        }
    }

    #[test]
    fn a_code_lives_pending_processing_completed() {
        let mut sim = state();
        let now = Utc::now();
        let (status, body) = reply(sim.handle(
            &request("POST", "/v1/payment-codes", Some("k1"), create_body()),
            now,
        ));
        assert_eq!(status, 200);
        let id = body["result"]["id"].as_str().expect("id").to_string();
        assert!(id.starts_with("pmc-"));
        assert_eq!(body["result"]["status"], "pending");
        sim.pay(&id, Some(Duration::from_secs(2)), now)
            .expect("pay");
        let get = request("GET", &format!("/v1/payment-codes/{id}"), None, Value::Null);
        assert_eq!(
            reply(sim.handle(&get, now)).1["result"]["status"],
            "processing"
        );
        let later = now + chrono::Duration::seconds(3);
        let (_, body) = reply(sim.handle(&get, later));
        assert_eq!(body["result"]["status"], "completed");
        assert_eq!(
            body["result"]["processedPaymentData"]["amount"]["value"],
            500
        );
    }

    #[test]
    fn an_unpaid_code_expires_but_a_payment_in_progress_does_not() {
        let mut sim = state();
        let now = Utc::now();
        let (_, first) = reply(sim.handle(
            &request("POST", "/v1/payment-codes", Some("a"), create_body()),
            now,
        ));
        let (_, second) = reply(sim.handle(
            &request("POST", "/v1/payment-codes", Some("b"), create_body()),
            now,
        ));
        let paid_id = second["result"]["id"].as_str().expect("id");
        sim.pay(paid_id, None, now + chrono::Duration::seconds(30))
            .expect("pay");
        let codes = sim.codes(now + chrono::Duration::minutes(5));
        let status_of = |id: &Value| {
            codes
                .iter()
                .find(|c| c.id == id.as_str().unwrap_or(""))
                .map(|c| c.status)
        };
        assert_eq!(status_of(&first["result"]["id"]), Some(CodeStatus::Expired));
        assert_eq!(
            status_of(&second["result"]["id"]),
            Some(CodeStatus::Processing)
        );
    }

    #[test]
    fn idempotency_replays_and_refuses_another_body() {
        let mut sim = state();
        let now = Utc::now();
        let create = request("POST", "/v1/payment-codes", Some("key"), create_body());
        let (_, first) = reply(sim.handle(&create, now));
        let Outcome::Reply(replayed) = sim.handle(&create, now) else {
            panic!("reply")
        };
        assert!(replayed.headers.contains(&("Monime-Cache", "irc".into())));
        let replayed: Value = serde_json::from_str(&replayed.body).expect("json");
        assert_eq!(first["result"]["id"], replayed["result"]["id"]);
        let mut other = create_body();
        other["amount"]["value"] = json!(900);
        let (status, body) = reply(sim.handle(
            &request("POST", "/v1/payment-codes", Some("key"), other),
            now,
        ));
        assert_eq!(status, 409);
        assert_eq!(body["error"]["reason"], "idempotency_key_in_use");
        assert_eq!(sim.codes(now).len(), 1);
    }

    #[test]
    fn headers_are_checked() {
        let mut sim = state();
        let now = Utc::now();
        let mut bad_token = request("GET", "/v1/payment-codes", None, Value::Null);
        bad_token.authorization = Some("Bearer nope".into());
        assert_eq!(reply(sim.handle(&bad_token, now)).0, 401);
        let mut bad_space = request("GET", "/v1/payment-codes", None, Value::Null);
        bad_space.space_id = Some("spc-other".into());
        assert_eq!(reply(sim.handle(&bad_space, now)).0, 403);
        let no_key = request("POST", "/v1/payment-codes", None, create_body());
        assert_eq!(reply(sim.handle(&no_key, now)).0, 400);
    }

    #[test]
    fn cancelling_stops_only_an_unused_code() {
        let mut sim = state();
        let now = Utc::now();
        let (_, body) = reply(sim.handle(
            &request("POST", "/v1/payment-codes", Some("k"), create_body()),
            now,
        ));
        let id = body["result"]["id"].as_str().expect("id").to_string();
        sim.pay(&id, None, now).expect("pay");
        let patch = request(
            "PATCH",
            &format!("/v1/payment-codes/{id}"),
            None,
            json!({"enable": false}),
        );
        let (_, body) = reply(sim.handle(&patch, now));
        assert_eq!(body["result"]["status"], "processing");
        sim.finish_payment(&id, now).expect("finish");
        assert_eq!(sim.codes(now)[0].status, CodeStatus::Completed);
    }

    #[test]
    fn faults_hit_their_endpoint_the_given_number_of_times() {
        let mut sim = state();
        let now = Utc::now();
        sim.push_fault(FaultRule {
            endpoint: Endpoint::Create,
            fault: Fault::ServerError { status: 503 },
            times: 2,
        });
        let create = request("POST", "/v1/payment-codes", Some("k"), create_body());
        let list = request("GET", "/v1/payment-codes", None, Value::Null);
        assert_eq!(reply(sim.handle(&list, now)).0, 200);
        assert_eq!(reply(sim.handle(&create, now)).0, 503);
        assert_eq!(reply(sim.handle(&create, now)).0, 503);
        assert_eq!(reply(sim.handle(&create, now)).0, 200);
        sim.push_fault(FaultRule {
            endpoint: Endpoint::Create,
            fault: Fault::DropAfterProcessing,
            times: 1,
        });
        let second = request("POST", "/v1/payment-codes", Some("k2"), create_body());
        assert_eq!(sim.handle(&second, now), Outcome::Drop);
        assert_eq!(
            sim.codes(now).len(),
            2,
            "the dropped create still made its code"
        );
    }

    #[test]
    fn rate_limit_answers_429_past_the_limit() {
        let mut sim = SimState::new(SimulatorOptions {
            rate_limit_per_second: Some(5),
            ..SimulatorOptions::default()
        });
        let now = Utc::now();
        let list = request("GET", "/v1/payment-codes", None, Value::Null);
        for _ in 0..5 {
            assert_eq!(reply(sim.handle(&list, now)).0, 200);
        }
        let Outcome::Reply(throttled) = sim.handle(&list, now) else {
            panic!("reply")
        };
        assert_eq!(throttled.status, 429);
        assert!(throttled.headers.contains(&("Retry-After", "1".into())));
        assert_eq!(
            reply(sim.handle(&list, now + chrono::Duration::seconds(1))).0,
            200
        );
    }

    #[test]
    fn legacy_paths_answer_in_the_legacy_shape() {
        let mut sim = state();
        let now = Utc::now();
        let body = json!({"name": "Shop sale 1", "mode": "oneTime", "amount": {"currency": "SLE", "value": 100},
                          "customerTarget": {"reference": "R9"}, "allowedProviders": ["m18"]});
        let (status, body) =
            reply(sim.handle(&request("POST", "/payment-codes", Some("k"), body), now));
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["result"]["mode"], "oneTime");
        assert_eq!(body["result"]["isActive"], true);
        assert_eq!(body["result"]["customerTarget"]["reference"], "R9");
        assert_eq!(body["result"]["allowedProviders"], json!(["m18"]));
    }
}
