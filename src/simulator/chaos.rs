//! Chaos: the simulator answers a share of requests wrongly on purpose, each by a random fault
//! (a 5xx, a 429 with `Retry-After`, a dropped connection, the work done and the answer lost,
//! a slow answer) or a random mutation of the right answer (nulls, wrong types, huge and
//! negative numbers, fields added or taken away, a body cut short, another content type, a
//! wrong `Date`, the 2024-08-01 shape). The draws come from a fixed seed, so a run can be
//! talked about and repeated: the same seed gives the same stream of choices, request after
//! request (which request gets which choice still depends on the order they arrive in).
//!
//! A mutation never writes a status Monime could mean: a terminal that took a forged
//! "completed" for a payment would be right to, so that is not a fault a terminal can survive.
//! Everything else is fair: the terminal must read it or refuse it, and never end a sale on it.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::faults::{Endpoint, Fault};
use super::reply::{Outcome, Reply};

/// How chaos is set up: the seed of its draws and the share of requests it answers wrongly.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChaosOptions {
    pub seed: u64,
    /// From 0 (none) to 1 (every request).
    pub rate: f64,
}

/// What chaos did to one request, by kind; `/_sim/chaos` and `SimulatorHandle::chaos_tally`
/// count them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChaosKind {
    ServerError,
    RateLimited,
    DropConnection,
    DropAfterProcessing,
    Delay,
    LegacyShape,
    Null,
    WrongType,
    HugeNumber,
    NegativeNumber,
    ExtraField,
    MissingField,
    Truncated,
    WrongContentType,
    WrongDate,
}

impl ChaosKind {
    pub const ALL: [ChaosKind; 15] = [
        ChaosKind::ServerError,
        ChaosKind::RateLimited,
        ChaosKind::DropConnection,
        ChaosKind::DropAfterProcessing,
        ChaosKind::Delay,
        ChaosKind::LegacyShape,
        ChaosKind::Null,
        ChaosKind::WrongType,
        ChaosKind::HugeNumber,
        ChaosKind::NegativeNumber,
        ChaosKind::ExtraField,
        ChaosKind::MissingField,
        ChaosKind::Truncated,
        ChaosKind::WrongContentType,
        ChaosKind::WrongDate,
    ];
}

/// What chaos does to one request: a fault in place of (or after) the work, or a change to the
/// answer once the work is done.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Draw {
    Fault(Fault),
    Mutate(Mutation),
}

/// A change to a served answer, with the random numbers it needs already drawn.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Mutation {
    kind: ChaosKind,
    /// Which node of the JSON: a child picked by each number in turn, as far as there are
    /// children.
    walk: Vec<u64>,
    /// Which of the kind's values, or where a body is cut.
    pick: u64,
}

/// The seeded source of chaos, and what it has done so far.
#[derive(Debug)]
pub(super) struct Chaos {
    rate: f64,
    random: SplitMix64,
    tally: BTreeMap<ChaosKind, u64>,
}

impl Chaos {
    pub(super) fn new(options: ChaosOptions) -> Chaos {
        Chaos {
            rate: options.rate.clamp(0.0, 1.0),
            random: SplitMix64(options.seed),
            tally: BTreeMap::new(),
        }
    }

    /// What chaos does to the next request to `endpoint`, if anything. Requests the
    /// simulator does not serve as Monime (unknown paths) are left alone.
    pub(super) fn draw(&mut self, endpoint: Endpoint) -> Option<Draw> {
        if endpoint == Endpoint::Unknown || self.random.unit() >= self.rate {
            return None;
        }
        let kinds = ChaosKind::ALL;
        let kind = kinds[self.random.below(kinds.len() as u64) as usize];
        *self.tally.entry(kind).or_default() += 1;
        let draw = match kind {
            ChaosKind::ServerError => {
                let statuses = [500, 502, 503, 504];
                Draw::Fault(Fault::ServerError {
                    status: statuses[self.random.below(statuses.len() as u64) as usize],
                })
            }
            ChaosKind::RateLimited => Draw::Fault(Fault::RateLimited {
                retry_after_secs: 1 + self.random.below(3),
            }),
            ChaosKind::DropConnection => Draw::Fault(Fault::DropConnection),
            ChaosKind::DropAfterProcessing => Draw::Fault(Fault::DropAfterProcessing),
            // Below the client's shortest timeout, so the answer is late, not lost.
            ChaosKind::Delay => Draw::Fault(Fault::Delay {
                ms: 50 + self.random.below(LONGEST_DELAY.as_millis() as u64 - 50),
            }),
            ChaosKind::LegacyShape => Draw::Fault(Fault::LegacyShape),
            kind => {
                let depth = 1 + self.random.below(5) as usize;
                let walk = (0..depth).map(|_| self.random.next()).collect();
                Draw::Mutate(Mutation {
                    kind,
                    walk,
                    pick: self.random.next(),
                })
            }
        };
        Some(draw)
    }

    /// How many requests chaos answered wrongly so far, by kind.
    pub(super) fn tally(&self) -> BTreeMap<ChaosKind, u64> {
        self.tally.clone()
    }
}

impl Mutation {
    /// The outcome with its answer changed; a dropped or held connection stays as it is.
    pub(super) fn apply(&self, outcome: Outcome) -> Outcome {
        match outcome {
            Outcome::Reply(reply) => Outcome::Reply(self.change(reply)),
            Outcome::ReplyAfter(wait, reply) => Outcome::ReplyAfter(wait, self.change(reply)),
            other => other,
        }
    }

    fn change(&self, mut reply: Reply) -> Reply {
        let pick = self.pick;
        match self.kind {
            ChaosKind::Truncated => {
                // Cut at a character boundary, somewhere before the end.
                let len = reply.body.len();
                let mut at = if len == 0 {
                    0
                } else {
                    (pick % len as u64) as usize
                };
                while !reply.body.is_char_boundary(at) {
                    at -= 1;
                }
                reply.body.truncate(at);
            }
            ChaosKind::WrongContentType => {
                let types = ["text/html", "text/plain", "application/xml", ""];
                set_header(
                    &mut reply,
                    "Content-Type",
                    types[(pick % types.len() as u64) as usize],
                );
            }
            ChaosKind::WrongDate => {
                let dates = [
                    "Sat, 01 Jan 2000 00:00:00 GMT",
                    "Fri, 31 Dec 9999 23:59:59 GMT",
                    "Thu, 01 Jan 1970 00:00:00 GMT",
                    "yesterday",
                    "",
                ];
                set_header(
                    &mut reply,
                    "Date",
                    dates[(pick % dates.len() as u64) as usize],
                );
            }
            kind => {
                if let Ok(mut value) = serde_json::from_str::<Value>(&reply.body) {
                    change_json(&mut value, kind, &self.walk, pick);
                    reply.body = value.to_string();
                }
            }
        }
        reply
    }
}

fn set_header(reply: &mut Reply, name: &'static str, value: &str) {
    reply
        .headers
        .retain(|(header, _)| !header.eq_ignore_ascii_case(name));
    reply.headers.push((name, value.to_string()));
}

/// Changes one node of `value` as `kind` says: `walk` picks the node, `pick` the new value.
fn change_json(value: &mut Value, kind: ChaosKind, walk: &[u64], pick: u64) {
    let choose = |values: &[Value]| values[(pick % values.len() as u64) as usize].clone();
    match kind {
        ChaosKind::Null => *descend(value, walk) = Value::Null,
        ChaosKind::WrongType => {
            let node = descend(value, walk);
            *node = match node {
                Value::String(_) => choose(&[json!(7), json!(true), json!([]), json!({})]),
                Value::Number(_) => choose(&[json!("12"), json!(true), json!([1]), json!({})]),
                Value::Bool(_) => choose(&[json!("true"), json!(1)]),
                Value::Array(_) => choose(&[json!({}), json!("[]"), json!(0)]),
                Value::Object(_) => choose(&[json!([]), json!("{}"), json!(0)]),
                Value::Null => choose(&[json!(0), json!("x"), json!(false)]),
            };
        }
        ChaosKind::HugeNumber => {
            *descend_to_number(value, walk) = choose(&[
                json!(i64::MAX),
                json!(u64::MAX),
                json!(1e300),
                json!(i64::MIN),
            ]);
        }
        ChaosKind::NegativeNumber => {
            let node = descend_to_number(value, walk);
            *node = match node.as_i64() {
                Some(number) if number > 0 => json!(-number),
                _ => choose(&[json!(-1), json!(-500), json!(-0.5)]),
            };
        }
        ChaosKind::ExtraField => {
            if let Value::Object(map) = descend_to_object(value, walk) {
                let extras = [
                    json!(null),
                    json!("surprise"),
                    json!({"nested": [1, 2, 3]}),
                    json!(i64::MAX),
                    json!("x".repeat(10_000)),
                ];
                map.insert(format!("chaos{}", pick % 100), choose(&extras));
            }
        }
        ChaosKind::MissingField => {
            if let Value::Object(map) = descend_to_object(value, walk)
                && !map.is_empty()
            {
                let at = (pick % map.len() as u64) as usize;
                if let Some(key) = map.keys().nth(at).cloned() {
                    map.remove(&key);
                }
            }
        }
        _ => {}
    }
}

/// The JSON pointer of the node `walk` leads to, picking a child by each number in turn, as
/// far as there are children.
fn walk_to(value: &Value, walk: &[u64]) -> String {
    let mut pointer = String::new();
    let mut node = value;
    for step in walk {
        let child = match node {
            Value::Object(map) if !map.is_empty() => {
                let at = (step % map.len() as u64) as usize;
                map.iter().nth(at).map(|(key, child)| (escape(key), child))
            }
            Value::Array(items) if !items.is_empty() => {
                let at = (step % items.len() as u64) as usize;
                items.get(at).map(|child| (at.to_string(), child))
            }
            _ => None,
        };
        let Some((name, child)) = child else {
            break;
        };
        pointer.push('/');
        pointer.push_str(&name);
        node = child;
    }
    pointer
}

/// A key as a JSON pointer writes it.
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// The pointer of the first number at or under `pointer`, if there is one.
fn first_number(value: &Value, pointer: String) -> Option<String> {
    match value.pointer(&pointer)? {
        Value::Number(_) => Some(pointer),
        Value::Object(map) => map
            .keys()
            .find_map(|key| first_number(value, format!("{pointer}/{}", escape(key)))),
        Value::Array(items) => {
            (0..items.len()).find_map(|at| first_number(value, format!("{pointer}/{at}")))
        }
        _ => None,
    }
}

/// The node `walk` leads to.
fn descend<'a>(value: &'a mut Value, walk: &[u64]) -> &'a mut Value {
    let pointer = walk_to(value, walk);
    node_at(value, &pointer)
}

/// The first number at or under the node `walk` leads to, else that node.
fn descend_to_number<'a>(value: &'a mut Value, walk: &[u64]) -> &'a mut Value {
    let pointer = walk_to(value, walk);
    let pointer = first_number(value, pointer.clone()).unwrap_or(pointer);
    node_at(value, &pointer)
}

/// The deepest object on the way `walk` leads (the whole answer when none is).
fn descend_to_object<'a>(value: &'a mut Value, walk: &[u64]) -> &'a mut Value {
    let mut pointer = walk_to(value, walk);
    while !matches!(value.pointer(&pointer), Some(Value::Object(_))) && !pointer.is_empty() {
        let parent = pointer.rfind('/').unwrap_or(0);
        pointer.truncate(parent);
    }
    node_at(value, &pointer)
}

/// The node at `pointer`, which `walk_to` found in this same value (the whole value if not).
fn node_at<'a>(value: &'a mut Value, pointer: &str) -> &'a mut Value {
    if value.pointer(pointer).is_none() {
        return value;
    }
    match value.pointer_mut(pointer) {
        Some(node) => node,
        None => unreachable!("the pointer was just found"),
    }
}

/// SplitMix64: a small, fixed generator, so a seed means the same draws in every build and
/// with every version of the `rand` crate.
#[derive(Debug, Clone)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number from 0 up to (not including) 1.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A number from 0 up to (not including) `bound` (at least 1).
    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound.max(1)
    }
}

/// How long a chaos delay can be at most; below the client's shortest request timeout (1 s is
/// allowed, but the terminal's default is 10 s and tests use more).
pub const LONGEST_DELAY: Duration = Duration::from_millis(3_000);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monime::CodeStatus;

    fn code_answer() -> Reply {
        super::super::reply::success(json!({
            "id": "pmc-abc", "mode": "one_time", "status": "pending", "name": "Shop sale 1",
            "amount": {"currency": "SLE", "value": 500}, "enable": true,
            "ussdCode": "*715*1*1000000001#", "metadata": {"terminal": "T-1"},
            "processedPaymentData": null, "authorizedProviders": ["m17", "m18"],
        }))
    }

    #[test]
    fn the_rate_decides_how_many_requests_chaos_takes() {
        let mut none = Chaos::new(ChaosOptions { seed: 1, rate: 0.0 });
        assert!((0..1_000).all(|_| none.draw(Endpoint::Get).is_none()));
        let mut all = Chaos::new(ChaosOptions { seed: 1, rate: 1.0 });
        assert!((0..1_000).all(|_| all.draw(Endpoint::Get).is_some()));
        assert_eq!(all.tally().values().sum::<u64>(), 1_000);
        assert_eq!(all.tally().len(), ChaosKind::ALL.len(), "every kind drawn");
        let mut fifth = Chaos::new(ChaosOptions { seed: 9, rate: 0.2 });
        let taken = (0..10_000)
            .filter(|_| fifth.draw(Endpoint::Create).is_some())
            .count();
        assert!((1_800..2_200).contains(&taken), "{taken}");
        let mut unknown = Chaos::new(ChaosOptions { seed: 1, rate: 1.0 });
        assert!(unknown.draw(Endpoint::Unknown).is_none());
    }

    #[test]
    fn a_seed_gives_the_same_draws() {
        let draws = |seed| {
            let mut chaos = Chaos::new(ChaosOptions { seed, rate: 0.5 });
            (0..200)
                .map(|_| chaos.draw(Endpoint::Get))
                .collect::<Vec<_>>()
        };
        assert_eq!(draws(7), draws(7));
        assert_ne!(draws(7), draws(8));
    }

    #[test]
    fn no_mutation_writes_a_status_monime_could_mean() {
        let mut chaos = Chaos::new(ChaosOptions { seed: 3, rate: 1.0 });
        let mut mutated = 0;
        for _ in 0..20_000 {
            let Some(Draw::Mutate(mutation)) = chaos.draw(Endpoint::Get) else {
                continue;
            };
            mutated += 1;
            let Outcome::Reply(reply) = mutation.apply(Outcome::Reply(code_answer())) else {
                panic!("a mutation keeps the answer an answer");
            };
            let Ok(body) = serde_json::from_str::<Value>(&reply.body) else {
                continue;
            };
            if let Some(status) = body.pointer("/result/status").and_then(Value::as_str) {
                let read: Result<CodeStatus, _> = status.parse();
                assert!(
                    status == "pending" || read.is_err(),
                    "{mutation:?} wrote status {status}"
                );
            }
        }
        assert!(mutated > 10_000, "{mutated}");
    }

    #[test]
    fn each_mutation_changes_the_answer_as_its_kind_says() {
        let mutate = |kind, walk: Vec<u64>, pick| {
            let mutation = Mutation { kind, walk, pick };
            match mutation.apply(Outcome::Reply(code_answer())) {
                Outcome::Reply(reply) => reply,
                other => panic!("{other:?}"),
            }
        };
        let body = |reply: &Reply| serde_json::from_str::<Value>(&reply.body).expect("json");
        let truncated = mutate(ChaosKind::Truncated, vec![], 40);
        assert_eq!(truncated.body.len(), 40);
        assert!(serde_json::from_str::<Value>(&truncated.body).is_err());
        let html = mutate(ChaosKind::WrongContentType, vec![], 0);
        assert!(html.headers.contains(&("Content-Type", "text/html".into())));
        assert_eq!(html.headers.len(), 1, "the JSON content type is gone");
        let dated = mutate(ChaosKind::WrongDate, vec![], 0);
        assert!(
            dated
                .headers
                .contains(&("Date", "Sat, 01 Jan 2000 00:00:00 GMT".into()))
        );
        // "result" is the second key of the envelope (serde_json keeps keys sorted).
        let result = 1;
        let keys = |value: &Value| value["result"].as_object().map(|map| map.len());
        let missing = mutate(ChaosKind::MissingField, vec![result], 0);
        assert_eq!(keys(&body(&missing)), Some(9));
        assert!(body(&missing)["result"].get("amount").is_none());
        let extra = mutate(ChaosKind::ExtraField, vec![result], 5);
        assert_eq!(keys(&body(&extra)), Some(11));
        assert!(body(&extra)["result"].get("chaos5").is_some());
        // A walk that ends on a number changes the object holding it.
        let deeper = mutate(ChaosKind::ExtraField, vec![result, 0, 1], 5);
        assert!(body(&deeper)["result"]["amount"].get("chaos5").is_some());
        let negative = mutate(ChaosKind::NegativeNumber, vec![result, 0], 0);
        assert_eq!(body(&negative)["result"]["amount"]["value"], json!(-500));
        let huge = mutate(ChaosKind::HugeNumber, vec![result, 0], 0);
        assert_eq!(body(&huge)["result"]["amount"]["value"], json!(i64::MAX));
        let null = mutate(ChaosKind::Null, vec![result], 0);
        assert_eq!(body(&null)["result"], Value::Null);
    }
}
