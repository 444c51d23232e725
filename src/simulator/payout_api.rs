//! Monime's payout API as the simulator serves it (`/v1/payouts`, and `/payouts` for
//! 2024-08-01): create under a required idempotency key with Monime's closed body, read, list
//! with its filters and pages, delete before processing; and a payout's JSON in either shape.
//! The payments list and provider KYC are answered here too; `api` finds their routes.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::accounts::render_kyc;
use super::payments::SimPayment;
use super::payouts::{DeleteRefused, NewSimPayout, SimPayout};
use super::reply::{Reply, error_reply, reply_json, success};
use super::state::{SimRequest, SimState};
use crate::money::Currency;
use crate::monime::{MOMO_PROVIDERS, PayoutFailureCode, PayoutStatus};

impl SimState {
    /// `POST /v1/payouts`: a new payout, or the one this idempotency key already made.
    pub(super) fn create_payout(
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
            let order = match new_payout(&body, legacy_path) {
                Ok(order) => order,
                Err(message) => return error_reply(400, "validation_failed", &message),
            };
            let payout = state.payouts.open(order, key, &state.options, now);
            success(render_payout(payout, answer_legacy))
        })
    }

    pub(super) fn get_payout(&mut self, id: &str, legacy: bool, now: DateTime<Utc>) -> Reply {
        match self.payouts.find(id, now, &self.accounts) {
            Some(payout) => success(render_payout(payout, legacy)),
            None => error_reply(404, "not_found", "payout not found"),
        }
    }

    /// `GET /v1/payouts`, newest first. The 2024-08-01 list takes only `after`, `before` and
    /// `limit` and, like Monime, ignores any other filter it is sent.
    pub(super) fn list_payouts(
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
        let status = match query("status") {
            None => None,
            Some(text @ ("pending" | "processing" | "completed" | "failed")) => {
                text.parse::<PayoutStatus>().ok()
            }
            Some(_) => {
                return error_reply(
                    400,
                    "validation_failed",
                    "status must be pending, processing, completed or failed",
                );
            }
        };
        let same = |name: &str, actual: Option<&str>| query(name).is_none_or(|v| Some(v) == actual);
        let matching: Vec<&SimPayout> = self
            .payouts
            .all(now, &self.accounts)
            .iter()
            .rev()
            .filter(|payout| status.is_none_or(|status| shown_status(payout, legacy) == status))
            .filter(|payout| same("sourceFinancialAccountId", Some(&payout.source_account)))
            .filter(|payout| {
                same(
                    "sourceTransactionReference",
                    payout.source_transaction_reference.as_deref(),
                )
            })
            .filter(|payout| {
                same(
                    "destinationTransactionReference",
                    payout.destination_transaction_reference.as_deref(),
                )
            })
            .collect();
        let start = match query("after") {
            None => 0,
            Some(cursor) => match matching.iter().position(|payout| payout.id == cursor) {
                Some(index) => index + 1,
                None => return error_reply(400, "validation_failed", "unknown pagination cursor"),
            },
        };
        let page: Vec<&SimPayout> = matching.iter().skip(start).take(limit).copied().collect();
        let next = match page.last() {
            Some(last) if start + page.len() < matching.len() => json!(last.id),
            _ => Value::Null,
        };
        let items: Vec<Value> = page.iter().map(|p| render_payout(p, legacy)).collect();
        reply_json(
            200,
            json!({"success": true, "messages": [], "result": items,
                   "pagination": {"count": items.len(), "next": next}}),
        )
    }

    /// `DELETE /v1/payouts/{id}`: only before Monime takes the payout up.
    pub(super) fn delete_payout(&mut self, id: &str, now: DateTime<Utc>) -> Reply {
        match self.payouts.delete(id, now, &self.accounts) {
            Ok(()) => reply_json(
                200,
                json!({"success": true, "messages": [], "result": null}),
            ),
            Err(DeleteRefused::NotFound) => error_reply(404, "not_found", "payout not found"),
            Err(DeleteRefused::Started) => error_reply(
                400,
                "payout_processing",
                "only a payout that has not started processing can be deleted",
            ),
        }
    }
}

/// Reads and checks a create's body, in the legacy shape when `legacy`. The caph body is
/// closed: a field Monime does not know is refused, as Monime refuses it.
fn new_payout(body: &Value, legacy: bool) -> Result<NewSimPayout, String> {
    let fields = body.as_object().ok_or("the body must be an object")?;
    // Only the caph body is declared closed; the 2024-08-01 one is taken as Monime took it.
    let closed = |object: &Map<String, Value>, allowed: &[&str], prefix: &str| {
        if legacy {
            Ok(())
        } else {
            closed(object, allowed, prefix)
        }
    };
    closed(fields, &["amount", "destination", "source", "metadata"], "")?;
    let amount = fields.get("amount").ok_or("amount is required")?;
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
    let destination = fields
        .get("destination")
        .and_then(Value::as_object)
        .ok_or("destination is required")?;
    let text = |name: &str| destination.get(name).and_then(Value::as_str);
    let (provider_id, phone_number) = if legacy {
        closed(destination, &["providerCode", "accountId"], "destination.")?;
        (
            text("providerCode").ok_or("destination.providerCode is required")?,
            text("accountId").ok_or("destination.accountId is required")?,
        )
    } else {
        closed(
            destination,
            &["type", "providerId", "phoneNumber"],
            "destination.",
        )?;
        if text("type") != Some("momo") {
            return Err("only destination.type momo is simulated".into());
        }
        (
            text("providerId").ok_or("destination.providerId is required")?,
            text("phoneNumber").ok_or("destination.phoneNumber is required")?,
        )
    };
    if !MOMO_PROVIDERS.contains(&provider_id) {
        return Err("destination provider must be m17 or m18".into());
    }
    let source_account = match fields.get("source") {
        None | Some(Value::Null) => None,
        Some(source) => {
            let source = source.as_object().ok_or("source must be an object")?;
            closed(source, &["financialAccountId"], "source.")?;
            let account = source
                .get("financialAccountId")
                .and_then(Value::as_str)
                .filter(|account| account.starts_with("fac-"))
                .ok_or("source.financialAccountId must be a fac-... id")?;
            Some(account.to_string())
        }
    };
    let metadata = match fields.get("metadata") {
        None | Some(Value::Null) => json!({}),
        Some(Value::Object(entries)) if entries.len() <= 64 => Value::Object(entries.clone()),
        Some(_) => return Err("metadata must be an object of at most 64 entries".into()),
    };
    Ok(NewSimPayout {
        currency,
        amount_minor,
        provider_id: provider_id.to_string(),
        phone_number: phone_number.to_string(),
        source_account,
        metadata,
    })
}

/// Refuses a field of `object` not in `allowed`.
fn closed(object: &Map<String, Value>, allowed: &[&str], prefix: &str) -> Result<(), String> {
    match object.keys().find(|key| !allowed.contains(&key.as_str())) {
        Some(key) => Err(format!("{prefix}{key} is not a field of a payout")),
        None => Ok(()),
    }
}

/// The status an answer shows: caph has no `delayed`, and shows such a payout processing.
fn shown_status(payout: &SimPayout, legacy: bool) -> PayoutStatus {
    match payout.status {
        PayoutStatus::Delayed if !legacy => PayoutStatus::Processing,
        status => status,
    }
}

/// A payout's JSON, in the 2024-08-01 shape when `legacy`.
pub(super) fn render_payout(payout: &SimPayout, legacy: bool) -> Value {
    let time = |at: DateTime<Utc>| at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let money = |minor: i64| json!({"currency": payout.currency.code(), "value": minor});
    // Fees are listed once Monime has taken the payout up.
    let fees: Vec<Value> = if payout.fee_minor > 0 && payout.status != PayoutStatus::Pending {
        let name = if legacy { "name" } else { "code" };
        vec![json!({name: "payout_fee", "amount": money(payout.fee_minor), "metadata": null})]
    } else {
        Vec::new()
    };
    let source = json!({
        "financialAccountId": payout.source_account,
        "transactionReference": payout.source_transaction_reference,
    });
    if legacy {
        return json!({
            "id": payout.id, "status": shown_status(payout, true),
            "amount": money(payout.amount_minor), "source": source,
            "destination": {"providerCode": payout.provider_id, "accountId": payout.phone_number,
                            "transactionReference": payout.destination_transaction_reference},
            "charges": fees, "delayedReason": payout.delayed_reason,
            "failureDetail": payout.failure.as_ref().map(|failure| json!({
                "code": PayoutFailureCode::parse(&failure.code).legacy_str(),
                "explanation": failure.message,
            })),
            "createTime": time(payout.create_time), "metadata": payout.metadata,
        });
    }
    json!({
        "id": payout.id, "status": shown_status(payout, false),
        "amount": money(payout.amount_minor), "source": source,
        "destination": {"type": "momo", "providerId": payout.provider_id,
                        "phoneNumber": payout.phone_number,
                        "transactionReference": payout.destination_transaction_reference},
        "fees": fees,
        "failureDetail": payout.failure.as_ref().map(|failure| json!({
            "code": failure.code, "message": failure.message,
        })),
        "createTime": time(payout.create_time), "updateTime": time(payout.update_time),
        "ownershipGraph": null, "metadata": payout.metadata,
    })
}

impl SimState {
    /// `GET /v1/provider-kyc/{provider}?accountId=` (caph) or
    /// `GET /kyc-verifications/{provider}?accountId=` (2024-08-01): the holder of a number.
    pub(super) fn provider_kyc(&self, provider: &str, request: &SimRequest, legacy: bool) -> Reply {
        let Some(phone) = request
            .query
            .iter()
            .find(|(name, _)| name == "accountId")
            .map(|(_, value)| value.as_str())
        else {
            return error_reply(400, "validation_failed", "accountId is required");
        };
        if !MOMO_PROVIDERS.contains(&provider) {
            return error_reply(400, "validation_failed", "unknown provider");
        }
        match self.accounts.find(provider, phone) {
            Some(account) => success(render_kyc(account, legacy)),
            None => error_reply(
                404,
                "not_found",
                "the provider has no account with this number",
            ),
        }
    }
}

impl SimState {
    /// `GET /v1/payments`: the space's payments, newest first, a page at a time.
    pub(super) fn list_payments(&mut self, request: &SimRequest, now: DateTime<Utc>) -> Reply {
        let query = |name: &str| request.list_parameter(name, false);
        let limit = match request.page_limit() {
            Ok(limit) => limit,
            Err(refusal) => return refusal,
        };
        let lag =
            chrono::TimeDelta::from_std(self.options.payment_listed_after).unwrap_or_default();
        let payments: Vec<SimPayment> = self
            .codes
            .payments(now)
            .into_iter()
            .filter(|payment| payment.create_time + lag <= now)
            .collect();
        let start = match query("after") {
            None => 0,
            Some(cursor) => match payments.iter().position(|payment| payment.id == cursor) {
                Some(index) => index + 1,
                None => return error_reply(400, "validation_failed", "unknown pagination cursor"),
            },
        };
        let page: Vec<&SimPayment> = payments.iter().skip(start).take(limit).collect();
        let next = match page.last() {
            Some(last) if start + page.len() < payments.len() => json!(last.id),
            _ => Value::Null,
        };
        let items: Vec<Value> = page.iter().map(|payment| payment.render()).collect();
        reply_json(
            200,
            json!({"success": true, "messages": [], "result": items,
                   "pagination": {"count": items.len(), "next": next}}),
        )
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::TimeDelta;

    use super::*;
    use crate::money::Money;
    use crate::simulator::faults::{Endpoint, Fault, FaultRule};
    use crate::simulator::options::SimulatorOptions;
    use crate::simulator::reply::Outcome;

    fn state() -> SimState {
        SimState::new(SimulatorOptions {
            payout_pending_time: Duration::from_secs(1),
            payout_processing_time: Some(Duration::from_secs(2)),
            ..SimulatorOptions::default()
        })
    }

    fn request(method: &str, path: &str, key: Option<&str>, body: Value) -> SimRequest {
        SimRequest {
            method: method.into(),
            path: path.into(),
            query: Vec::new(),
            authorization: Some(format!("Bearer {}", crate::simulator::DEMO_ACCESS_TOKEN)),
            space_id: Some(crate::simulator::DEMO_SPACE_ID.into()),
            version: (!path.starts_with("/payouts") && !path.starts_with("/kyc"))
                .then(|| "caph.2025-08-23".into()),
            idempotency_key: key.map(str::to_string),
            body: if body.is_null() {
                Vec::new()
            } else {
                body.to_string().into_bytes()
            },
            connection: 1,
        }
    }

    fn get(path: &str, query: &[(&str, &str)]) -> SimRequest {
        let mut request = request("GET", path, None, Value::Null);
        request.query = query
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        request
    }

    fn payout_body(minor: i64, phone: &str) -> Value {
        json!({"amount": {"currency": "SLE", "value": minor},
               "destination": {"type": "momo", "providerId": "m17", "phoneNumber": phone}})
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

    fn create(sim: &mut SimState, key: &str, body: Value, now: DateTime<Utc>) -> (u16, Value) {
        reply(sim.handle(&request("POST", "/v1/payouts", Some(key), body), now))
    }

    #[test]
    fn a_payout_goes_pending_processing_completed_with_its_fee_on_top() {
        let mut sim = state();
        let now = Utc::now();
        let before = sim.balance(Currency::Sle, now);
        let (status, body) = create(&mut sim, "refund-1", payout_body(1250, "+23276123456"), now);
        assert_eq!(status, 200, "{body}");
        let id = body["result"]["id"].as_str().expect("id").to_string();
        assert!(id.starts_with("pyt-"));
        assert_eq!(body["result"]["status"], "pending");
        assert_eq!(
            body["result"]["fees"],
            json!([]),
            "no fee before processing"
        );
        let read = |sim: &mut SimState, at| {
            reply(sim.handle(&get(&format!("/v1/payouts/{id}"), &[]), at)).1
        };
        let processing = read(&mut sim, now + TimeDelta::milliseconds(1500));
        assert_eq!(processing["result"]["status"], "processing");
        assert_eq!(processing["result"]["fees"][0]["amount"]["value"], 50);
        assert_eq!(
            processing["result"]["destination"]["transactionReference"],
            Value::Null
        );
        let done = read(&mut sim, now + TimeDelta::seconds(4));
        assert_eq!(done["result"]["status"], "completed");
        assert!(done["result"]["destination"]["transactionReference"].is_string());
        assert_eq!(
            sim.balance(Currency::Sle, now + TimeDelta::seconds(4)),
            before - 1300
        );
    }

    #[test]
    fn one_key_one_payout_and_another_body_is_refused() {
        let mut sim = state();
        let now = Utc::now();
        let (_, first) = create(&mut sim, "k", payout_body(100, "076123456"), now);
        let Outcome::Reply(replayed) = sim.handle(
            &request(
                "POST",
                "/v1/payouts",
                Some("k"),
                payout_body(100, "076123456"),
            ),
            now,
        ) else {
            panic!("a reply")
        };
        assert!(replayed.headers.contains(&("Monime-Cache", "irc".into())));
        let replayed: Value = serde_json::from_str(&replayed.body).expect("json");
        assert_eq!(first["result"]["id"], replayed["result"]["id"]);
        let (status, body) = create(&mut sim, "k", payout_body(200, "076123456"), now);
        assert_eq!(
            (status, body["error"]["reason"].as_str()),
            (409, Some("idempotency_key_in_use"))
        );
        let (status, _) = reply(sim.handle(
            &request("POST", "/v1/payouts", None, payout_body(100, "076123456")),
            now,
        ));
        assert_eq!(status, 400, "the key is required");
        assert_eq!(sim.payouts(now).len(), 1);
    }

    #[test]
    fn a_lost_answer_still_made_the_payout_and_the_retry_finds_it() {
        let mut sim = state();
        let now = Utc::now();
        sim.push_fault(FaultRule {
            endpoint: Endpoint::CreatePayout,
            fault: Fault::DropAfterProcessing,
            times: 1,
        });
        let send = request(
            "POST",
            "/v1/payouts",
            Some("lost"),
            payout_body(100, "076123456"),
        );
        assert_eq!(sim.handle(&send, now), Outcome::Drop);
        let (_, retried) = reply(sim.handle(&send, now));
        let payouts = sim.payouts(now);
        assert_eq!(payouts.len(), 1);
        assert_eq!(retried["result"]["id"], payouts[0].id.as_str());
    }

    #[test]
    fn too_little_in_the_account_fails_and_takes_nothing() {
        let mut sim = state();
        let now = Utc::now();
        sim.set_balance(Money::new(Currency::Sle, 1000), now);
        let (_, body) = create(&mut sim, "big", payout_body(990, "076123456"), now);
        let id = body["result"]["id"].as_str().expect("id").to_string();
        let later = now + TimeDelta::seconds(5);
        let (_, read) = reply(sim.handle(&get(&format!("/v1/payouts/{id}"), &[]), later));
        assert_eq!(read["result"]["status"], "failed");
        assert_eq!(read["result"]["failureDetail"]["code"], "fund_insufficient");
        assert_eq!(read["result"]["fees"], json!([]));
        assert_eq!(sim.balance(Currency::Sle, later), 1000);
    }

    #[test]
    fn an_unknown_or_blocked_number_fails_and_the_money_comes_back() {
        let mut sim = state();
        let now = Utc::now();
        let before = sim.balance(Currency::Sle, now);
        create(&mut sim, "nobody", payout_body(100, "+23279999999"), now);
        sim.block_account("m17", "+23278654321").expect("known");
        create(&mut sim, "blocked", payout_body(100, "+23278654321"), now);
        let later = now + TimeDelta::seconds(5);
        let codes: Vec<Option<String>> = sim
            .payouts(later)
            .into_iter()
            .map(|payout| payout.failure.map(|failure| failure.code))
            .collect();
        assert_eq!(
            codes,
            vec![
                Some("provider_account_missing".into()),
                Some("provider_account_blocked".into())
            ]
        );
        assert_eq!(sim.balance(Currency::Sle, later), before);
    }

    #[test]
    fn delete_works_only_before_processing() {
        let mut sim = state();
        let now = Utc::now();
        let (_, first) = create(&mut sim, "a", payout_body(100, "076123456"), now);
        let (_, second) = create(&mut sim, "b", payout_body(100, "076123456"), now);
        let path = |body: &Value| {
            format!(
                "/v1/payouts/{}",
                body["result"]["id"].as_str().unwrap_or("")
            )
        };
        let delete = |body: &Value| request("DELETE", &path(body), None, Value::Null);
        assert_eq!(reply(sim.handle(&delete(&first), now)).0, 200);
        assert_eq!(reply(sim.handle(&get(&path(&first), &[]), now)).0, 404);
        let later = now + TimeDelta::milliseconds(1500);
        assert_eq!(reply(sim.handle(&delete(&second), later)).0, 400);
    }

    #[test]
    fn the_closed_body_refuses_what_monime_does_not_know() {
        let mut sim = state();
        let now = Utc::now();
        let mut extra = payout_body(100, "076123456");
        extra["note"] = json!("refund");
        let (status, body) = create(&mut sim, "x", extra, now);
        assert_eq!(status, 400);
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap_or("")
                .contains("note"),
            "{body}"
        );
        let mut bank = payout_body(100, "076123456");
        bank["destination"]["type"] = json!("bank");
        assert_eq!(create(&mut sim, "y", bank, now).0, 400);
    }

    #[test]
    fn the_legacy_shape_has_charges_delays_and_camel_case_reasons() {
        let mut sim = state();
        let now = Utc::now();
        let body = json!({"amount": {"currency": "SLE", "value": 100},
                          "destination": {"providerCode": "m17", "accountId": "+23276123456"}});
        let (status, created) =
            reply(sim.handle(&request("POST", "/payouts", Some("old"), body), now));
        assert_eq!(status, 200, "{created}");
        let id = created["result"]["id"].as_str().expect("id").to_string();
        assert_eq!(
            created["result"]["destination"]["accountId"],
            "+23276123456"
        );
        let later = now + TimeDelta::milliseconds(1500);
        sim.delay_payout(&id, "provider busy", later)
            .expect("delayed");
        let (_, read) = reply(sim.handle(&get(&format!("/payouts/{id}"), &[]), later));
        assert_eq!(read["result"]["status"], "delayed");
        assert_eq!(read["result"]["charges"][0]["amount"]["value"], 50);
        let (_, caph) = reply(sim.handle(&get(&format!("/v1/payouts/{id}"), &[]), later));
        assert_eq!(
            caph["result"]["status"], "processing",
            "caph has no delayed"
        );
        sim.fail_payout(&id, PayoutFailureCode::AuthorizationFailed, later)
            .expect("failed");
        let (_, read) = reply(sim.handle(&get(&format!("/payouts/{id}"), &[]), later));
        assert_eq!(
            read["result"]["failureDetail"]["code"],
            "authorizationFailed"
        );
    }

    #[test]
    fn the_list_filters_and_pages_newest_first() {
        let mut sim = state();
        let now = Utc::now();
        for index in 0..5 {
            create(
                &mut sim,
                &format!("p{index}"),
                payout_body(100 + index, "076123456"),
                now,
            );
        }
        sim.fail_next_payout(PayoutFailureCode::ProviderAccountQuotaExhausted);
        create(&mut sim, "p5", payout_body(105, "076123456"), now);
        let later = now + TimeDelta::seconds(5);
        let (_, page) = reply(sim.handle(&get("/v1/payouts", &[("limit", "2")]), later));
        assert_eq!(page["result"][0]["amount"]["value"], 105, "newest first");
        let next = page["pagination"]["next"]
            .as_str()
            .expect("more")
            .to_string();
        let (_, page) = reply(sim.handle(
            &get("/v1/payouts", &[("limit", "2"), ("after", &next)]),
            later,
        ));
        assert_eq!(page["result"][0]["amount"]["value"], 103);
        let (_, failed) = reply(sim.handle(&get("/v1/payouts", &[("status", "failed")]), later));
        assert_eq!(failed["result"].as_array().map(Vec::len), Some(1));
        assert_eq!(
            failed["result"][0]["failureDetail"]["code"],
            "provider_account_quota_exhausted"
        );
        let (_, legacy) = reply(sim.handle(&get("/payouts", &[("status", "failed")]), later));
        assert_eq!(
            legacy["result"].as_array().map(Vec::len),
            Some(6),
            "ignored there"
        );
    }

    #[test]
    fn a_paid_code_makes_a_payment_that_pays_into_the_account() {
        let mut sim = state();
        let now = Utc::now();
        let before = sim.balance(Currency::Sle, now);
        let code_body = json!({"name": "Shop sale 1", "mode": "one_time",
                               "amount": {"currency": "SLE", "value": 1250}, "duration": "5m"});
        let (_, code) = reply(sim.handle(
            &request("POST", "/v1/payment-codes", Some("c"), code_body),
            now,
        ));
        let code_id = code["result"]["id"].as_str().expect("id").to_string();
        sim.pay_from(
            &code_id,
            Some(Duration::ZERO),
            crate::simulator::Payer::new("m18", "077123456"),
            now,
        )
        .expect("paid");
        let (status, list) = reply(sim.handle(&get("/v1/payments", &[]), now));
        assert_eq!(status, 200);
        let payment = &list["result"][0];
        assert_eq!(
            payment["ownershipGraph"]["owner"],
            json!({"id": code_id, "type": "payment_code", "metadata": null})
        );
        assert_eq!(payment["channel"]["provider"], "m18");
        assert_eq!(payment["channel"]["phoneNumber"], "+23277***456");
        assert_eq!(payment["fees"][0]["amount"]["value"], 13);
        let (_, code) = reply(sim.handle(&get(&format!("/v1/payment-codes/{code_id}"), &[]), now));
        assert_eq!(
            code["result"]["processedPaymentData"]["paymentId"],
            payment["id"]
        );
        assert_eq!(sim.balance(Currency::Sle, now), before + 1250 - 13);
        assert_eq!(
            reply(sim.handle(&get("/payments", &[]), now)).0,
            404,
            "not in 2024-08-01"
        );
    }

    #[test]
    fn kyc_names_known_numbers_only() {
        let mut sim = state();
        let now = Utc::now();
        let (status, body) = reply(sim.handle(
            &get("/v1/provider-kyc/m17", &[("accountId", "+23276123456")]),
            now,
        ));
        assert_eq!(status, 200);
        assert_eq!(body["result"]["account"]["holderName"], "AMINATA KAMARA");
        let (status, _) = reply(sim.handle(
            &get("/v1/provider-kyc/m18", &[("accountId", "+23276123456")]),
            now,
        ));
        assert_eq!(status, 404, "the number is Orange Money's");
        let (_, legacy) = reply(sim.handle(
            &get("/kyc-verifications/m17", &[("accountId", "076123456")]),
            now,
        ));
        assert_eq!(
            legacy["result"]["accountHolderProfile"]["lastName"],
            "KAMARA"
        );
    }
}
