//! Monime's payment-code API as the simulator serves it: routing (`/v1/payment-codes` and the
//! legacy `/payment-codes`, and through `payout_api` the payouts, payments and provider-KYC
//! paths), the header checks, the create, get, list, update and delete endpoints with their
//! validation and idempotency, and a code's JSON in the shape of either API version
//! (`caph.2025-08-23`, or 2024-08-01 for legacy paths and the `LegacyShape` fault).

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::chaos::Draw;
use super::codes::{NewCode, SimCode};
use super::faults::{Endpoint, Fault};
use super::reply::{Outcome, Reply, error_reply, reply_json, success};
use super::state::{RequestRecord, SimRequest, SimState};
use crate::money::Currency;
use crate::monime::CodeStatus;
use crate::monime::duration::parse_go_duration;

#[derive(Debug, PartialEq)]
pub(super) enum Route {
    Create,
    Get(String),
    List,
    Update(String),
    Delete(String),
    CreatePayout,
    GetPayout(String),
    ListPayouts,
    DeletePayout(String),
    ListPayments,
    /// The provider's id.
    ProviderKyc(String),
    Unknown,
}

impl Route {
    pub(super) fn endpoint(&self) -> Endpoint {
        match self {
            Route::Create => Endpoint::Create,
            Route::Get(_) => Endpoint::Get,
            Route::List => Endpoint::List,
            Route::Update(_) => Endpoint::Update,
            Route::Delete(_) => Endpoint::Delete,
            Route::CreatePayout => Endpoint::CreatePayout,
            Route::GetPayout(_) => Endpoint::GetPayout,
            Route::ListPayouts => Endpoint::ListPayouts,
            Route::DeletePayout(_) => Endpoint::DeletePayout,
            Route::ListPayments => Endpoint::ListPayments,
            Route::ProviderKyc(_) => Endpoint::ProviderKyc,
            Route::Unknown => Endpoint::Unknown,
        }
    }
}

/// Finds the endpoint and whether the path is the legacy one (no `/v1`).
pub(super) fn route(method: &str, path: &str) -> (bool, Route) {
    if let Some(found) = money_route(method, path) {
        return found;
    }
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

impl SimState {
    /// Applies Monime's rules to one request.
    pub fn handle(&mut self, request: &SimRequest, now: DateTime<Utc>) -> Outcome {
        let (legacy, route) = route(&request.method, &request.path);
        let endpoint = route.endpoint();
        // A scripted fault comes first; chaos only draws for a request none was scripted for.
        let (fault, mutation) = match self.faults.take(endpoint) {
            Some(fault) => (Some(fault), None),
            None => match self.chaos.as_mut().and_then(|chaos| chaos.draw(endpoint)) {
                Some(Draw::Fault(fault)) => (Some(fault), None),
                Some(Draw::Mutate(mutation)) => (None, Some(mutation)),
                None => (None, None),
            },
        };
        let outcome = match fault.as_ref().and_then(Fault::instead) {
            Some(outcome) => outcome,
            None => {
                let answer_legacy = legacy || fault == Some(Fault::LegacyShape);
                let served =
                    Outcome::Reply(self.serve(request, &route, legacy, answer_legacy, now));
                match (&fault, &mutation) {
                    (Some(fault), _) => fault.after(served),
                    (None, Some(mutation)) => mutation.apply(served),
                    (None, None) => served,
                }
            }
        };
        self.requests.push(RequestRecord {
            at: now,
            method: request.method.clone(),
            path: request.path.clone(),
            query: request.query.clone(),
            endpoint,
            space_id: request.space_id.clone(),
            version: request.version.clone(),
            idempotency_key: request.idempotency_key.clone(),
            body: String::from_utf8_lossy(&request.body).into_owned(),
            connection: request.connection,
            status: match &outcome {
                Outcome::Reply(reply) | Outcome::ReplyAfter(_, reply) => Some(reply.status),
                Outcome::Drop | Outcome::Hang => None,
            },
        });
        outcome
    }

    /// Checks the headers and the rate limit, then does what `route` asks.
    pub(super) fn serve(
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
        if !legacy_path
            && let Some(version) = &request.version
            && !crate::monime::ApiVersion::CAPH_VERSIONS.contains(&version.as_str())
        {
            return error_reply(400, "invalid_version", "unsupported Monime-Version");
        }
        if let Some(reply) = self.rate_limit.check(route.endpoint(), now) {
            return reply;
        }
        let render = |code: &SimCode| render_code(code, answer_legacy);
        match route {
            Route::Create => self.create(request, legacy_path, answer_legacy, now),
            Route::Get(id) => match self.codes.find_mut(id, now) {
                Ok(code) => success(render(code)),
                Err(_) => error_reply(404, "not_found", "payment code not found"),
            },
            Route::List => self.list(request, legacy_path, answer_legacy, now),
            Route::Update(id) => self.update(id, &request.body, answer_legacy, now),
            Route::Delete(id) => self.delete(id, now),
            money_out => {
                // Payments settled since the last request pay into the account first.
                self.settle(now);
                match money_out {
                    Route::CreatePayout => {
                        self.create_payout(request, legacy_path, answer_legacy, now)
                    }
                    Route::GetPayout(id) => self.get_payout(id, answer_legacy, now),
                    Route::ListPayouts => {
                        self.list_payouts(request, legacy_path, answer_legacy, now)
                    }
                    Route::DeletePayout(id) => self.delete_payout(id, now),
                    Route::ListPayments => self.list_payments(request, now),
                    Route::ProviderKyc(provider) => {
                        self.provider_kyc(provider, request, answer_legacy)
                    }
                    _ => error_reply(404, "not_found", "no such endpoint"),
                }
            }
        }
    }

    /// Monime's idempotency for a create: the key is required (1 to 64 characters); a key seen
    /// before with the same method, path and body replays the first answer (`Monime-Cache:
    /// irc`), with another is refused 409. `make` does the work; its success is kept for the key.
    pub(super) fn idempotent(
        &mut self,
        request: &SimRequest,
        make: impl FnOnce(&mut SimState, &str) -> Reply,
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
        let reply = make(self, &key);
        if reply.status == 200 {
            self.idempotency.insert(key, (fingerprint, reply.clone()));
        }
        reply
    }

    fn create(
        &mut self,
        request: &SimRequest,
        legacy_path: bool,
        answer_legacy: bool,
        now: DateTime<Utc>,
    ) -> Reply {
        self.idempotent(request, |state, key| {
            let body: Value = match serde_json::from_slice(&request.body) {
                Ok(body) => body,
                Err(_) => return error_reply(400, "invalid_body", "the body is not JSON"),
            };
            let order = match new_code(&body, legacy_path) {
                Ok(order) => order,
                Err(message) => return error_reply(400, "validation_failed", &message),
            };
            let code = state.codes.open(order, key, &state.options, now);
            let reply = success(render_code(&code, answer_legacy));
            state.codes.push(code);
            reply
        })
    }

    /// The list. The 2024-08-01 list (`legacy_path`) takes only `after`, `before` and `limit`
    /// and, like Monime, ignores any other filter it is sent.
    fn list(
        &mut self,
        request: &SimRequest,
        legacy_path: bool,
        legacy: bool,
        now: DateTime<Utc>,
    ) -> Reply {
        let query = |name: &str| request.list_parameter(name, legacy_path);
        let limit = match request.page_limit() {
            Ok(limit) => limit,
            Err(refusal) => return refusal,
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
        let matching: Vec<&SimCode> = self
            .codes
            .all(now)
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
        let Ok(code) = self.codes.find_mut(id, now) else {
            return error_reply(404, "not_found", "payment code not found");
        };
        let switch_off = body.get("enable") == Some(&json!(false))
            || body.get("isActive") == Some(&json!(false))
            || body.get("status") == Some(&json!("cancelled"));
        if switch_off {
            code.switch_off(now);
        }
        if let Some(name) = body.get("name").and_then(Value::as_str) {
            code.name = name.to_string();
        }
        success(render_code(code, legacy))
    }

    fn delete(&mut self, id: &str, now: DateTime<Utc>) -> Reply {
        let Ok(code) = self.codes.find_mut(id, now) else {
            return error_reply(404, "not_found", "payment code not found");
        };
        if code.status != CodeStatus::Pending {
            return error_reply(
                400,
                "payment_code_used",
                "only an unused payment code can be deleted",
            );
        }
        self.codes.remove(id);
        reply_json(
            200,
            json!({"success": true, "messages": [], "result": null}),
        )
    }
}

/// Reads and checks a create's body, in the legacy shape when `legacy`.
fn new_code(body: &Value, legacy: bool) -> Result<NewCode, String> {
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
    Ok(NewCode {
        name,
        currency,
        amount_minor,
        lifetime,
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
    })
}

/// A code's JSON, in the 2024-08-01 shape when `legacy`.
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
    let mut rendered = json!({
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
    });
    // Monime's schema has this a string, never null: a code for any number leaves it out.
    if code.authorized_phone_number.is_none()
        && let Some(fields) = rendered.as_object_mut()
    {
        fields.remove("authorizedPhoneNumber");
    }
    rendered
}

fn body_fingerprint(body: &[u8]) -> String {
    serde_json::from_slice::<Value>(body)
        .map(|value| value.to_string())
        .unwrap_or_else(|_| String::from_utf8_lossy(body).into_owned())
}

/// The route of a payout, payment or provider-KYC path, and whether it is the 2024-08-01 one;
/// `None` for any other path.
fn money_route(method: &str, path: &str) -> Option<(bool, Route)> {
    let single = |rest: &str| {
        rest.strip_prefix('/')
            .filter(|id| !id.is_empty() && !id.contains('/'))
            .map(str::to_string)
    };
    if let Some((legacy, rest)) = path
        .strip_prefix("/v1/payouts")
        .map(|rest| (false, rest))
        .or_else(|| path.strip_prefix("/payouts").map(|rest| (true, rest)))
    {
        let route = match (method, rest, single(rest)) {
            ("POST", "" | "/", _) => Route::CreatePayout,
            ("GET", "" | "/", _) => Route::ListPayouts,
            ("GET", _, Some(id)) => Route::GetPayout(id),
            ("DELETE", _, Some(id)) => Route::DeletePayout(id),
            _ => Route::Unknown,
        };
        return Some((legacy, route));
    }
    if let Some(rest) = path.strip_prefix("/v1/payments") {
        let route = match (method, rest) {
            ("GET", "" | "/") => Route::ListPayments,
            _ => Route::Unknown,
        };
        return Some((false, route));
    }
    if let Some((legacy, rest)) = path
        .strip_prefix("/v1/provider-kyc")
        .map(|rest| (false, rest))
        .or_else(|| {
            path.strip_prefix("/kyc-verifications")
                .map(|rest| (true, rest))
        })
    {
        let route = match (method, single(rest)) {
            ("GET", Some(provider)) => Route::ProviderKyc(provider),
            _ => Route::Unknown,
        };
        return Some((legacy, route));
    }
    None
}
