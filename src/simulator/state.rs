//! The whole simulated space: its codes and the payments that settled them, its payouts and
//! balance, the mobile-money accounts its providers know, its scripted faults, its rate limits
//! and the log of the requests it was sent; tests pay codes, move payouts along and script
//! faults through it. `api` applies Monime's rules to it, one request at a time. No sockets
//! here, so every rule is plain code.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::accounts::{Accounts, SimAccount};
use super::chaos::{Chaos, ChaosKind};
use super::codes::{Codes, SimCode};
use super::faults::{Endpoint, FaultRule, Faults, RateLimit};
use super::options::SimulatorOptions;
use super::payments::{Payer, SimPayment};
use super::payouts::{Payouts, SimPayout};
use super::reply::Reply;
use crate::money::{Currency, Money};
use crate::monime::{CodeStatus, PayoutFailureCode};

/// One request as the simulator saw it, for tests to count.
#[derive(Debug, Clone, Serialize)]
pub struct RequestRecord {
    pub at: DateTime<Utc>,
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub endpoint: Endpoint,
    /// The `Monime-Space-Id` and `Monime-Version` headers, as sent.
    pub space_id: Option<String>,
    pub version: Option<String>,
    pub idempotency_key: Option<String>,
    /// The body as sent (empty for none).
    pub body: String,
    pub connection: u64,
    /// The HTTP status answered, or `None` when the connection was dropped or held.
    pub status: Option<u16>,
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

impl SimRequest {
    /// Query parameter `name` of a list. The 2024-08-01 lists (`legacy_path`) take only `after`,
    /// `before` and `limit` and, like Monime, ignore any other filter they are sent.
    pub(super) fn list_parameter(&self, name: &str, legacy_path: bool) -> Option<&str> {
        let filter = !matches!(name, "limit" | "after" | "before");
        self.query
            .iter()
            .find(|(key, _)| key == name && !(legacy_path && filter))
            .map(|(_, value)| value.as_str())
    }

    /// A list's page size: 10 unless `limit` says, which Monime allows from 1 to 50.
    pub(super) fn page_limit(&self) -> Result<usize, Reply> {
        match self.list_parameter("limit", false).map(str::parse::<usize>) {
            None => Ok(10),
            Some(Ok(limit)) if (1..=50).contains(&limit) => Ok(limit),
            Some(_) => Err(super::reply::error_reply(
                400,
                "validation_failed",
                "limit must be from 1 to 50",
            )),
        }
    }
}

/// The whole simulated space.
#[derive(Debug)]
pub struct SimState {
    pub(super) options: SimulatorOptions,
    pub(super) codes: Codes,
    pub(super) payouts: Payouts,
    pub(super) accounts: Accounts,
    /// Each create's idempotency key, with the request it came with and the reply it got.
    pub(super) idempotency: HashMap<String, (String, Reply)>,
    pub(super) faults: Faults,
    pub(super) requests: Vec<RequestRecord>,
    pub(super) rate_limit: RateLimit,
    /// The seeded source of wrong answers, when chaos is on.
    pub(super) chaos: Option<Chaos>,
}

impl SimState {
    pub fn new(options: SimulatorOptions) -> SimState {
        SimState {
            rate_limit: RateLimit::new(
                options.rate_limit_per_second,
                options.space_rate_limit_per_second,
            ),
            payouts: Payouts::new(options.opening_balance),
            chaos: options.chaos.map(Chaos::new),
            options,
            codes: Codes::new(),
            accounts: Accounts::demo(),
            idempotency: HashMap::new(),
            faults: Faults::default(),
            requests: Vec::new(),
        }
    }

    pub fn push_fault(&mut self, rule: FaultRule) {
        self.faults.push(rule);
    }

    /// Drops every fault still waiting: the network is well again.
    pub fn clear_faults(&mut self) {
        self.faults.clear();
    }

    /// How many requests chaos answered wrongly, by kind (empty when chaos is off).
    pub fn chaos_tally(&self) -> BTreeMap<ChaosKind, u64> {
        self.chaos.as_ref().map(Chaos::tally).unwrap_or_default()
    }

    pub fn requests(&self) -> &[RequestRecord] {
        &self.requests
    }

    pub fn codes(&mut self, now: DateTime<Utc>) -> Vec<SimCode> {
        self.codes.all(now).to_vec()
    }

    /// The customer pays: the code goes `processing` and completes after `processing_for`
    /// (at once when zero; never by itself when `None`, see `finish_payment`).
    pub fn pay(
        &mut self,
        id: &str,
        processing_for: Option<Duration>,
        now: DateTime<Utc>,
    ) -> Result<CodeStatus, String> {
        self.codes.pay(id, processing_for, None, now)
    }

    /// As `pay`, by `payer` (a provider and a number) rather than the code's default payer.
    pub fn pay_from(
        &mut self,
        id: &str,
        processing_for: Option<Duration>,
        payer: Payer,
        now: DateTime<Utc>,
    ) -> Result<CodeStatus, String> {
        self.codes.pay(id, processing_for, Some(payer), now)
    }

    /// Completes a payment held open by `pay(id, None, ..)`.
    pub fn finish_payment(&mut self, id: &str, now: DateTime<Utc>) -> Result<(), String> {
        self.codes.finish_payment(id, now)
    }

    /// Every payment that settled a code by `now`, newest first.
    pub fn payments(&mut self, now: DateTime<Utc>) -> Vec<SimPayment> {
        self.codes.payments(now)
    }

    /// Every payout, as it stands at `now`, oldest first.
    pub fn payouts(&mut self, now: DateTime<Utc>) -> Vec<SimPayout> {
        self.settle(now);
        self.payouts.all(now, &self.accounts).to_vec()
    }

    /// What the space's main account holds in `currency` at `now`.
    pub fn balance(&mut self, currency: Currency, now: DateTime<Utc>) -> i64 {
        self.settle(now);
        self.payouts.balance(currency)
    }

    /// Sets what the account holds, payments settled so far counted in.
    pub fn set_balance(&mut self, balance: Money, now: DateTime<Utc>) {
        self.settle(now);
        self.payouts.set_balance(balance);
    }

    /// The next payout made fails with `code` when its provider answers.
    pub fn fail_next_payout(&mut self, code: PayoutFailureCode) {
        self.payouts.fail_next(code);
    }

    /// The provider answers payout `id` now: it completes, or fails as it would have.
    pub fn complete_payout(&mut self, id: &str, now: DateTime<Utc>) -> Result<(), String> {
        self.settle(now);
        self.payouts.complete_now(id, now, &self.accounts)
    }

    /// Payout `id` fails now with `code`.
    pub fn fail_payout(
        &mut self,
        id: &str,
        code: PayoutFailureCode,
        now: DateTime<Utc>,
    ) -> Result<(), String> {
        self.settle(now);
        self.payouts.fail_now(id, code, now, &self.accounts)
    }

    /// The provider holds payout `id` up (`delayed`, shown `processing` by caph).
    pub fn delay_payout(
        &mut self,
        id: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<(), String> {
        self.settle(now);
        self.payouts.delay(id, reason, now, &self.accounts)
    }

    /// `provider` knows `phone` as `holder_name`'s account.
    pub fn register_account(
        &mut self,
        provider: &str,
        phone: &str,
        holder_name: &str,
    ) -> Result<(), String> {
        self.accounts.register(provider, phone, holder_name)
    }

    /// `provider` blocks the account of `phone`: payouts to it fail.
    pub fn block_account(&mut self, provider: &str, phone: &str) -> Result<(), String> {
        self.accounts.block(provider, phone)
    }

    pub fn accounts(&self) -> Vec<SimAccount> {
        self.accounts.all()
    }

    /// Brings the account up to `now`: the payments settled since the last time pay in (less
    /// Monime's fees), before any payout moves on. Payments and payouts are each in time order;
    /// between them, payments come first, which a test never sees.
    pub(super) fn settle(&mut self, now: DateTime<Utc>) {
        for takings in self.codes.take_new_takings(now) {
            self.payouts.credit(takings);
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::simulator::faults::Fault;
    use crate::simulator::reply::Outcome;

    fn state() -> SimState {
        SimState::new(SimulatorOptions::default())
    }

    fn request(method: &str, path: &str, key: Option<&str>, body: Value) -> SimRequest {
        SimRequest {
            method: method.into(),
            path: path.into(),
            query: Vec::new(),
            authorization: Some(format!("Bearer {}", crate::simulator::DEMO_ACCESS_TOKEN)),
            space_id: Some(crate::simulator::DEMO_SPACE_ID.into()),
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
    fn the_space_limit_counts_every_endpoint_together() {
        let mut sim = SimState::new(SimulatorOptions {
            space_rate_limit_per_second: Some(3),
            ..SimulatorOptions::default()
        });
        let now = Utc::now();
        let list = request("GET", "/v1/payment-codes", None, Value::Null);
        let get = request("GET", "/v1/payment-codes/pmc-none", None, Value::Null);
        assert_eq!(reply(sim.handle(&list, now)).0, 200);
        assert_eq!(reply(sim.handle(&get, now)).0, 404);
        assert_eq!(reply(sim.handle(&list, now)).0, 200);
        let Outcome::Reply(throttled) = sim.handle(&get, now) else {
            panic!("reply")
        };
        assert_eq!(throttled.status, 429);
        assert!(
            throttled
                .headers
                .contains(&("Monime-Rate-Limit", "space-limit".into()))
        );
        assert!(throttled.headers.contains(&("Retry-After", "1".into())));
        assert_eq!(
            reply(sim.handle(&get, now + chrono::Duration::seconds(1))).0,
            404
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
