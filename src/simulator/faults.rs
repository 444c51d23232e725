//! Misbehaviour on purpose: the faults tests script for the next requests to an endpoint, what
//! each does to the request it hits, and Monime's limit of requests per second on an endpoint.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::reply::{Outcome, Reply, error_reply, throttled};

/// The endpoints a fault or a log line is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    Any,
    /// The payment-code endpoints.
    Create,
    Get,
    List,
    Update,
    Delete,
    CreatePayout,
    GetPayout,
    ListPayouts,
    DeletePayout,
    ListPayments,
    ProviderKyc,
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
    /// Does the work (a create makes its code or payout) and then closes without an answer:
    /// the lost answer a retry under the same idempotency key must recover from.
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
    /// Does the work and answers with this `Date` header instead of the simulator's time.
    WrongDate { date: String },
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

impl Fault {
    /// What happens instead of the work, for a fault that stops it; `None` when the work is
    /// done (`after` may still change its answer).
    pub(super) fn instead(&self) -> Option<Outcome> {
        match self {
            Fault::ServerError { status } => Some(Outcome::Reply(error_reply(
                *status,
                "internal_error",
                "simulated server error",
            ))),
            Fault::RateLimited { retry_after_secs } => Some(Outcome::Reply(throttled(
                *retry_after_secs,
                "endpoint-limit",
            ))),
            Fault::DropConnection => Some(Outcome::Drop),
            Fault::Hang => Some(Outcome::Hang),
            Fault::NotJson => Some(Outcome::Reply(Reply {
                status: 200,
                headers: vec![("Content-Type", "text/html".into())],
                body: "<html><body>Gateway login required</body></html>".into(),
            })),
            Fault::Raw { status, body } => Some(Outcome::Reply(Reply {
                status: *status,
                headers: vec![("Content-Type", "application/json".into())],
                body: body.clone(),
            })),
            Fault::DropAfterProcessing
            | Fault::Delay { .. }
            | Fault::LegacyShape
            | Fault::WrongDate { .. } => None,
        }
    }

    /// The outcome of the work done, as this fault changes it.
    pub(super) fn after(&self, outcome: Outcome) -> Outcome {
        match (self, outcome) {
            (Fault::DropAfterProcessing, _) => Outcome::Drop,
            (Fault::Delay { ms }, Outcome::Reply(reply)) => {
                Outcome::ReplyAfter(Duration::from_millis(*ms), reply)
            }
            (Fault::WrongDate { date }, Outcome::Reply(mut reply)) => {
                reply.headers.push(("Date", date.clone()));
                Outcome::Reply(reply)
            }
            (_, outcome) => outcome,
        }
    }
}

/// The faults waiting for their requests, in the order they were scripted.
#[derive(Debug, Default)]
pub(super) struct Faults(Vec<FaultRule>);

impl Faults {
    pub(super) fn push(&mut self, rule: FaultRule) {
        self.0.push(rule);
    }

    pub(super) fn clear(&mut self) {
        self.0.clear();
    }

    /// The fault for a request to `endpoint`, if one is waiting; a rule used `times` times is
    /// gone.
    pub(super) fn take(&mut self, endpoint: Endpoint) -> Option<Fault> {
        let index = self.0.iter().position(|rule| {
            rule.times > 0 && (rule.endpoint == Endpoint::Any || rule.endpoint == endpoint)
        })?;
        let rule = &mut self.0[index];
        rule.times -= 1;
        let fault = rule.fault.clone();
        if rule.times == 0 {
            self.0.remove(index);
        }
        Some(fault)
    }
}

/// Monime's rate limits over a sliding second: requests per second on each endpoint, and
/// across the whole space (every endpoint, every client of the space). `None`: no limit.
#[derive(Debug)]
pub(super) struct RateLimit {
    per_endpoint: Option<u32>,
    per_space: Option<u32>,
    recent: HashMap<Endpoint, VecDeque<DateTime<Utc>>>,
    recent_in_space: VecDeque<DateTime<Utc>>,
}

impl RateLimit {
    pub(super) fn new(per_endpoint: Option<u32>, per_space: Option<u32>) -> RateLimit {
        RateLimit {
            per_endpoint,
            per_space,
            recent: HashMap::new(),
            recent_in_space: VecDeque::new(),
        }
    }

    /// Counts a request to `endpoint` at `now`, or answers 429 past a limit (not counted).
    pub(super) fn check(&mut self, endpoint: Endpoint, now: DateTime<Utc>) -> Option<Reply> {
        let space_full = self
            .per_space
            .is_some_and(|limit| last_second(&mut self.recent_in_space, now) >= limit as usize);
        if space_full {
            return Some(throttled(1, "space-limit"));
        }
        let window = self.recent.entry(endpoint).or_default();
        let endpoint_full = self
            .per_endpoint
            .is_some_and(|limit| last_second(window, now) >= limit as usize);
        if endpoint_full {
            return Some(throttled(1, "endpoint-limit"));
        }
        if self.per_endpoint.is_some() {
            window.push_back(now);
        }
        if self.per_space.is_some() {
            self.recent_in_space.push_back(now);
        }
        None
    }
}

/// Forgets the requests more than a second before `now`; returns how many are left.
fn last_second(window: &mut VecDeque<DateTime<Utc>>, now: DateTime<Utc>) -> usize {
    while window
        .front()
        .is_some_and(|at| now.signed_duration_since(*at) >= chrono::Duration::seconds(1))
    {
        window.pop_front();
    }
    window.len()
}
