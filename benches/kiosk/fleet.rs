//! Many terminals in one Monime space, whose rate limit they share: forty terminals (each its
//! own client and journal, as in forty shops' tills) sell through a simulator that answers 429
//! `space-limit` past 20 requests a second across the space. Five runs: a first day on fresh
//! journals, where every terminal must learn the space is shared; a first day of terminals
//! whose technician declared it (`[monime] shared_space`); a rush, the first day again but with
//! every terminal's first sale in the same second (a shop's power coming back: fresh journals,
//! nothing declared); the next day on the first run's journals, which remember it
//! (`monime::pace`); and that next day with Monime gone for a minute in the middle. Reports the
//! sales that failed, doubled or went missing, completed-to-PAID times, the share of 429s, the
//! space's request rate second by second (also drawn to docs/fleet-requests.png by a full run),
//! and where the time and the 429s went: requests and 429s by kind, and the slowest sales'
//! waits.
//!
//! `BENCH_FLEET_RUNS=first,rush` (of first, declared, rush, next, outage) runs only those; the
//! next day's runs bring the first day's, whose journals they need.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use paycode_kiosk::controller::{self, Receipts, Services};
use paycode_kiosk::journal::Journal;
use paycode_kiosk::money::{Currency, Money};
use paycode_kiosk::monime::{ApiVersion, ClientSettings, MonimeClient};
use paycode_kiosk::sale::{CodeShape, NewSale, Phase, Timing};
use paycode_kiosk::secret::AccessToken;
use paycode_kiosk::simulator::{
    DEMO_ACCESS_TOKEN, DEMO_SPACE_ID, Endpoint, Fault, FaultRule, SimulatorHandle, SimulatorOptions,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::plot::Rates;
use crate::{Bench, median};

/// One fleet run's shape.
struct Plan {
    /// Which day: "first day", "next day", "first day, all at once".
    day: &'static str,
    /// Every terminal's first sale starts at once, instead of over the opening half minute.
    together: bool,
    /// The most 429s the run may see, in percent of its requests: 1 % for a fleet that knows
    /// its space is shared; 5 % for one that must learn it on its first day, from the first
    /// second (issue 30, item 5).
    most_throttled: f64,
    /// The terminals are configured with `shared_space`.
    declared_shared: bool,
    terminals: usize,
    sales: usize,
    space_limit: u32,
    /// How long a customer leaves the code pending, then processing, and the pause before
    /// the next customer: each drawn evenly from its range, in ms.
    pending_ms: (u64, u64),
    processing_ms: (u64, u64),
    between_ms: (u64, u64),
    /// Monime unreachable for this long, this far into the run.
    outage: Option<(Duration, Duration)>,
    /// `Timing::proof_second_ask`: the terminal's own in a full run, shorter in the short
    /// one so that its proofs asked late do not make it long.
    proof_second_ask: Duration,
}

impl Plan {
    fn new(
        bench: &Bench,
        day: &'static str,
        declared_shared: bool,
        together: bool,
        outage: bool,
    ) -> Plan {
        if bench.quick {
            Plan {
                day,
                together,
                most_throttled: if day.starts_with("first day") && !declared_shared {
                    5.0
                } else {
                    1.0
                },
                declared_shared,
                terminals: 8,
                sales: 2,
                space_limit: 4,
                pending_ms: (2_000, 5_000),
                processing_ms: (2_000, 4_000),
                between_ms: (500, 2_000),
                outage: outage.then_some((Duration::from_secs(6), Duration::from_secs(8))),
                proof_second_ask: Duration::from_secs(6),
            }
        } else {
            Plan {
                day,
                together,
                most_throttled: if day.starts_with("first day") && !declared_shared {
                    5.0
                } else {
                    1.0
                },
                declared_shared,
                terminals: 40,
                sales: 10,
                space_limit: 20,
                pending_ms: (5_000, 20_000),
                processing_ms: (5_000, 10_000),
                between_ms: (3_000, 8_000),
                outage: outage.then_some((Duration::from_secs(90), Duration::from_secs(60))),
                proof_second_ask: Timing::new(Duration::from_secs(1)).proof_second_ask,
            }
        }
    }
}

/// What became of one sale.
struct Settled {
    phase: Phase,
    /// From Monime completing the payment to the terminal's PAID.
    completed_to_paid: Option<Duration>,
    /// Which terminal sold it, and its sale number there (from 0).
    terminal: usize,
    number: usize,
    /// Its code's id, and when Monime completed the payment (the simulator's clock).
    code: Option<String>,
    completed_at: Option<DateTime<Utc>>,
}

pub fn fleet(bench: &Bench) {
    let mut report = String::new();
    let mut plot = None;
    // The learning terminals' journals, kept from one day to the next.
    let learning = tempfile::tempdir().expect("tempdir");
    let declared = tempfile::tempdir().expect("tempdir");
    let rush = tempfile::tempdir().expect("tempdir");
    let chosen = std::env::var("BENCH_FLEET_RUNS").ok();
    let chosen: Option<Vec<&str>> = chosen
        .as_deref()
        .map(|runs| runs.split(',').map(str::trim).collect());
    let wanted = |key: &str| {
        chosen.as_ref().is_none_or(|runs| {
            runs.contains(&key)
                // The next day's runs start from the first day's journals.
                || (key == "first" && (runs.contains(&"next") || runs.contains(&"outage")))
        })
    };
    for (key, day, declared_shared, together, outage, journals) in [
        ("first", "first day", false, false, false, &learning),
        ("declared", "first day", true, false, false, &declared),
        ("rush", "first day, all at once", false, true, false, &rush),
        ("next", "next day", false, false, false, &learning),
        ("outage", "next day", false, false, true, &learning),
    ] {
        if !wanted(key) {
            continue;
        }
        let plan = Plan::new(bench, day, declared_shared, together, outage);
        let run = bench.runtime.block_on(run_fleet(&plan, journals.path()));
        let _ = writeln!(report, "{}", run.summary(&plan, bench));
        if outage {
            plot = Some(run.per_second(&plan));
        }
    }
    println!("\nFleet in one space\n\n{report}");
    if let Some(rates) = plot
        && !bench.quick
    {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/fleet-requests.png");
        match crate::plot::request_rate(&rates).save(&path) {
            Ok(()) => println!("Request rate drawn to {}", path.display()),
            Err(error) => println!("The request rate could not be drawn: {error}"),
        }
    }
}

/// The whole run as the simulator and the terminals saw it.
struct FleetRun {
    started: DateTime<Utc>,
    sales: Vec<Settled>,
    codes: usize,
    /// Every request, as it reached the simulator.
    requests: Vec<Request>,
}

async fn run_fleet(plan: &Plan, journals: &std::path::Path) -> FleetRun {
    let sim = Arc::new(
        SimulatorHandle::start(SimulatorOptions {
            space_rate_limit_per_second: Some(plan.space_limit),
            ..SimulatorOptions::default()
        })
        .await
        .expect("simulator"),
    );
    let started = Utc::now();
    let mut terminals = Vec::new();
    let mut journals_kept = Vec::new();
    for number in 0..plan.terminals {
        let services = services(
            &sim,
            &journals.join(format!("t{number}.sqlite")),
            plan.declared_shared,
            plan.proof_second_ask,
        );
        journals_kept.push(services.journal.clone());
        let sim = Arc::clone(&sim);
        let together = plan.together;
        let plan = (
            plan.sales,
            plan.pending_ms,
            plan.processing_ms,
            plan.between_ms,
        );
        terminals.push(tokio::spawn(async move {
            // Each terminal's customers, seeded by its number: the same run every time.
            let mut rng = StdRng::seed_from_u64(number as u64);
            // The first customers of the day do not all come in the same second, unless the
            // shop's power has just come back with a queue at every till. The draw is made
            // either way, so that the customers after it are the same in both runs.
            let opening = rng.random_range(0..=plan.3.1 + plan.1.1);
            if !together {
                tokio::time::sleep(Duration::from_millis(opening)).await;
            }
            let shape = CodeShape::new("Fleet sale {sale}", &format!("T{number}"));
            let mut settled = Vec::new();
            for sale in 0..plan.0 {
                let pending = Duration::from_millis(rng.random_range(plan.1.0..=plan.1.1));
                let processing = Duration::from_millis(rng.random_range(plan.2.0..=plan.2.1));
                let mut done = one_sale(&services, &shape, &sim, pending, processing).await;
                done.terminal = number;
                done.number = sale;
                settled.push(done);
                tokio::time::sleep(Duration::from_millis(rng.random_range(plan.3.0..=plan.3.1)))
                    .await;
            }
            settled
        }));
    }
    if let Some((after, lasting)) = plan.outage {
        tokio::time::sleep(after).await;
        sim.push_fault(FaultRule {
            endpoint: Endpoint::Any,
            fault: Fault::DropConnection,
            times: u32::MAX,
        });
        tokio::time::sleep(lasting).await;
        sim.clear_faults();
    }
    let mut sales = Vec::new();
    for terminal in terminals {
        sales.extend(terminal.await.expect("a terminal's task"));
    }
    // In a crowded space the payer's proof is asked after the sale has ended, on a task of its
    // own (`controller::proof`): its requests are the run's too, so wait for them (two asks at
    // most, each within `proof_second_ask` of the one before and 10 s long at most).
    let asks_end = Instant::now() + plan.proof_second_ask * 2 + Duration::from_secs(20);
    for journal in &journals_kept {
        while journal
            .call(Journal::proofs_wanted)
            .await
            .is_ok_and(|wanted| !wanted.is_empty())
            && Instant::now() < asks_end
        {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
    FleetRun {
        started,
        sales,
        codes: sim.codes().len(),
        requests: sim
            .requests()
            .iter()
            .map(|request| Request {
                at: request.at,
                status: request.status,
                kind: Kind::of(request.endpoint),
                code: (request.endpoint == Endpoint::Get).then(|| {
                    request
                        .path
                        .rsplit('/')
                        .next()
                        .unwrap_or_default()
                        .to_string()
                }),
            })
            .collect(),
    }
}

/// One request as the simulator saw it.
struct Request {
    at: DateTime<Utc>,
    /// The HTTP status answered (`None`: dropped).
    status: Option<u16>,
    kind: Kind,
    /// The code a status check read.
    code: Option<String>,
}

impl Request {
    fn throttled(&self) -> bool {
        self.status == Some(429)
    }
}

/// What a request was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Kind {
    /// Listing codes: a new terminal asking Monime the time.
    TimeCheck,
    Create,
    /// Reading one code: a sale's status check.
    Status,
    /// Listing payments: the payer's proof.
    Proof,
    /// Cancels and anything else.
    Other,
}

impl Kind {
    fn of(endpoint: Endpoint) -> Kind {
        match endpoint {
            Endpoint::List => Kind::TimeCheck,
            Endpoint::Create => Kind::Create,
            Endpoint::Get => Kind::Status,
            Endpoint::ListPayments => Kind::Proof,
            _ => Kind::Other,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::TimeCheck => "time check (list codes)",
            Kind::Create => "create",
            Kind::Status => "status check",
            Kind::Proof => "payer's proof (list payments)",
            Kind::Other => "other",
        }
    }
}

fn services(
    sim: &SimulatorHandle,
    journal: &std::path::Path,
    shared_space: bool,
    proof_second_ask: Duration,
) -> Services {
    let client = MonimeClient::new(ClientSettings {
        shared_space,
        ..ClientSettings::new(
            sim.base_url(),
            DEMO_SPACE_ID.into(),
            AccessToken::new(DEMO_ACCESS_TOKEN),
            ApiVersion::default(),
            Duration::from_secs(10),
        )
    })
    .expect("client");
    let services = Services {
        client,
        journal: Journal::open(journal).expect("journal"),
        timing: Timing {
            proof_second_ask,
            ..Timing::new(Duration::from_secs(1))
        },
        receipts: Receipts::NoPrinter,
        tallies: Default::default(),
    };
    // As the terminal starts: what the journal remembers of the space.
    services.recall_throttled().expect("the journal reads");
    services
}

/// A customer pays the sale's code after `pending`, taking `processing` to confirm.
async fn one_sale(
    services: &Services,
    shape: &CodeShape,
    sim: &SimulatorHandle,
    pending: Duration,
    processing: Duration,
) -> Settled {
    let amount = NewSale::of(Money::new(Currency::Sle, 500));
    let sale = controller::start_sale(services, shape, amount)
        .await
        .expect("the journal takes the sale");
    let mut updates = sale.updates.clone();
    let code = loop {
        if let Some(code) = updates.borrow_and_update().record.code.clone() {
            break Some(code.id);
        }
        if updates.changed().await.is_err() {
            break None;
        }
    };
    let mut completed = None;
    let mut completed_at = None;
    if let Some(id) = &code {
        tokio::time::sleep(pending).await;
        if sim.pay(id, Some(processing)).is_ok() {
            completed = Some(Instant::now() + processing);
            completed_at = chrono::TimeDelta::from_std(processing)
                .ok()
                .map(|processing| Utc::now() + processing);
        }
    }
    let mut paid_at = None;
    loop {
        let phase = updates.borrow_and_update().record.phase;
        if phase == Phase::Paid && paid_at.is_none() {
            paid_at = Some(Instant::now());
        }
        if phase.is_final() || updates.changed().await.is_err() {
            break;
        }
    }
    let finished = sale.finished.await.expect("the sale's task");
    Settled {
        phase: finished.record.phase,
        completed_to_paid: completed
            .zip(paid_at)
            .map(|(completed, paid)| paid.saturating_duration_since(completed)),
        terminal: 0,
        number: 0,
        code,
        completed_at,
    }
}

impl FleetRun {
    /// Requests that reached the simulator in each second of the run, and of them the ones
    /// answered 429.
    fn per_second(&self, plan: &Plan) -> Rates {
        let mut rates = Rates {
            all: Vec::new(),
            throttled: Vec::new(),
            limit: plan.space_limit,
            outage: plan.outage.map(|(after, lasting)| {
                (
                    after.as_secs() as usize,
                    (after + lasting).as_secs() as usize,
                )
            }),
        };
        for request in &self.requests {
            let second = (request.at - self.started).num_seconds().max(0) as usize;
            if rates.all.len() <= second {
                rates.all.resize(second + 1, 0);
                rates.throttled.resize(second + 1, 0);
            }
            rates.all[second] += 1;
            if request.throttled() {
                rates.throttled[second] += 1;
            }
        }
        rates
    }

    fn summary(&self, plan: &Plan, bench: &Bench) -> String {
        let paid = self
            .sales
            .iter()
            .filter(|sale| sale.phase == Phase::Paid)
            .count();
        let not_paid = self.sales.len() - paid;
        let expected = plan.terminals * plan.sales;
        let mut latencies: Vec<f64> = self
            .sales
            .iter()
            .filter_map(|sale| sale.completed_to_paid)
            .map(|latency| latency.as_secs_f64() * 1000.0)
            .collect();
        latencies.sort_by(f64::total_cmp);
        let p95 = latencies
            .get((latencies.len() * 95).div_ceil(100).saturating_sub(1))
            .copied()
            .unwrap_or(f64::NAN);
        let throttled = self
            .requests
            .iter()
            .filter(|request| request.throttled())
            .count();
        let share = 100.0 * throttled as f64 / self.requests.len().max(1) as f64;
        let Rates {
            all: rates,
            limit,
            outage,
            ..
        } = self.per_second(plan);
        let settled_ok = paid == expected && self.codes == expected;
        let day = if plan.declared_shared {
            format!("{}, space declared shared", plan.day)
        } else {
            plan.day.to_string()
        };
        let name = if plan.outage.is_some() {
            format!("{day}, with Monime gone for a while")
        } else {
            format!("{day}, steady")
        };
        let mut text = format!(
            "{} terminals x {} sales, space limit {} requests/s, {name}:\n\n\
             | measure | figure | goal |\n|---|---|---|\n\
             | sales paid, of {expected} | {paid} ({not_paid} not paid) | all |\n\
             | payment codes made | {} | one per sale |\n\
             | completed to PAID | median {:.0} ms, p95 {p95:.0} ms | p95 ≤ 2 s |\n\
             | 429 answers | {throttled} of {} requests ({share:.2} %) | ≤ {most_throttled} % |\n",
            plan.terminals,
            plan.sales,
            plan.space_limit,
            self.codes,
            median(latencies.clone()),
            self.requests.len(),
            most_throttled = plan.most_throttled,
        );
        if let Some((_, back)) = outage {
            let after: Vec<u32> = rates.iter().skip(back).copied().collect();
            let peak = after.iter().copied().max().unwrap_or(0);
            let over = after
                .iter()
                .filter(|&&rate| f64::from(rate) > 1.2 * f64::from(limit))
                .count();
            let _ = writeln!(
                text,
                "| requests/s after Monime is back | peak {peak}, {over} seconds above {:.0} | never above 120 % of the limit |",
                1.2 * f64::from(limit)
            );
            bench.row(
                "Fleet: Monime back after an outage, request rate",
                format!("peak {peak}/s, {over} s above 120 % of {limit}/s; {paid} of {expected} sales paid"),
                "≤ 120 % of the limit every second; every sale settles",
                if over == 0 && settled_ok { "met" } else { "missed" },
            );
        } else {
            bench.row(
                &format!(
                    "Fleet: {} terminals in one space, {} requests/s, {day}",
                    plan.terminals, plan.space_limit
                ),
                format!(
                    "{paid} of {expected} paid, {} codes; p95 completed to PAID {p95:.0} ms; 429s {share:.2} %",
                    self.codes
                ),
                &format!(
                    "none failed, doubled or lost; p95 ≤ 2 s; 429s ≤ {} %",
                    plan.most_throttled
                ),
                if settled_ok && p95 <= 2000.0 && share <= plan.most_throttled {
                    "met"
                } else {
                    "missed"
                },
            );
        }
        text.push_str(&self.breakdown(p95));
        text
    }

    /// Where the 429s and the time went: requests and 429s by kind and by moment, and what
    /// kept the slowest sales from PAID: the wait for the first status check after the
    /// payment completed, and the 429s it met after.
    fn breakdown(&self, p95_ms: f64) -> String {
        let mut text = String::from("\n| request | sent | 429 |\n|---|---|---|\n");
        let mut kinds: HashMap<Kind, (usize, usize)> = HashMap::new();
        for request in &self.requests {
            let count = kinds.entry(request.kind).or_default();
            count.0 += 1;
            count.1 += usize::from(request.throttled());
        }
        let mut kinds: Vec<_> = kinds.into_iter().collect();
        kinds.sort();
        for (kind, (sent, throttled)) in kinds {
            let _ = writeln!(text, "| {} | {sent} | {throttled} |", kind.name());
        }
        let mut moments = [0_usize; 3];
        for request in self.requests.iter().filter(|request| request.throttled()) {
            let second = (request.at - self.started).num_seconds();
            moments[usize::from(second >= 10) + usize::from(second >= 60)] += 1;
        }
        let _ = writeln!(
            text,
            "\n429s in the first 10 s: {}; from 10 s to 60 s: {}; after: {}",
            moments[0], moments[1], moments[2]
        );
        // Each code's status checks, in order.
        let mut checks: HashMap<&str, Vec<&Request>> = HashMap::new();
        for request in &self.requests {
            if let Some(code) = &request.code {
                checks.entry(code).or_default().push(request);
            }
        }
        let mut parts = Vec::new();
        for sale in &self.sales {
            let (Some(code), Some(completed), Some(latency)) =
                (&sale.code, sale.completed_at, sale.completed_to_paid)
            else {
                continue;
            };
            let seen = checks.get(code.as_str()).map_or(&[][..], Vec::as_slice);
            let after: Vec<&&Request> = seen.iter().filter(|check| check.at >= completed).collect();
            let before: Vec<&&Request> = seen
                .iter()
                .filter(|check| check.at < completed && check.status == Some(200))
                .collect();
            let ms = |delta: chrono::TimeDelta| delta.num_milliseconds() as f64;
            parts.push(Part {
                latency_ms: latency.as_secs_f64() * 1000.0,
                terminal: sale.terminal,
                number: sale.number,
                completed_s: ms(completed - self.started) / 1000.0,
                first_check_ms: after.first().map(|check| ms(check.at - completed)),
                answered_ms: after
                    .iter()
                    .find(|check| check.status == Some(200))
                    .map(|check| ms(check.at - completed)),
                throttled_after: after.iter().filter(|check| check.throttled()).count(),
                throttled_all: seen.iter().filter(|check| check.throttled()).count(),
                pace_ms: before
                    .windows(2)
                    .last()
                    .map(|pair| ms(pair[1].at - pair[0].at)),
            });
        }
        parts.sort_by(|a, b| b.latency_ms.total_cmp(&a.latency_ms));
        let mean = |parts: &[&Part], of: fn(&Part) -> Option<f64>| {
            let values: Vec<f64> = parts.iter().filter_map(|part| of(part)).collect();
            values.iter().sum::<f64>() / values.len().max(1) as f64
        };
        let everyone: Vec<&Part> = parts.iter().collect();
        let slowest: Vec<&Part> = parts
            .iter()
            .filter(|part| part.latency_ms >= p95_ms)
            .collect();
        let _ = writeln!(
            text,
            "\nFrom the payment's completion, mean: first status check sent after {:.0} ms, \
             the first one answered after {:.0} ms, {:.2} checks refused on the way \
             (all sales); {:.0} ms, {:.0} ms and {:.2} for the {} at or above the p95.",
            mean(&everyone, |part| part.first_check_ms),
            mean(&everyone, |part| part.answered_ms),
            mean(&everyone, |part| Some(part.throttled_after as f64)),
            mean(&slowest, |part| part.first_check_ms),
            mean(&slowest, |part| part.answered_ms),
            mean(&slowest, |part| Some(part.throttled_after as f64)),
            slowest.len(),
        );
        text.push_str(
            "\n| slowest sales: terminal, sale | completed at | to PAID | first check after | \
             answered after | 429s after, in all | last pace before |\n|---|---|---|---|---|---|---|\n",
        );
        let show = |value: Option<f64>| value.map_or("-".into(), |ms| format!("{ms:.0} ms"));
        for part in parts.iter().take(10) {
            let _ = writeln!(
                text,
                "| T{} #{} | {:.1} s | {:.0} ms | {} | {} | {}, {} | {} |",
                part.terminal,
                part.number,
                part.completed_s,
                part.latency_ms,
                show(part.first_check_ms),
                show(part.answered_ms),
                part.throttled_after,
                part.throttled_all,
                show(part.pace_ms),
            );
        }
        text
    }
}

/// One paid sale's way from the payment's completion to PAID, as the simulator saw its
/// status checks.
struct Part {
    latency_ms: f64,
    terminal: usize,
    number: usize,
    /// Seconds into the run.
    completed_s: f64,
    /// The first status check to reach Monime after the completion, answered or refused.
    first_check_ms: Option<f64>,
    /// The first answered one: the one that saw it paid.
    answered_ms: Option<f64>,
    /// Status checks refused with 429 after the completion, and over the whole sale.
    throttled_after: usize,
    throttled_all: usize,
    /// Between the last two answered checks before the completion: the pace it was checked at.
    pace_ms: Option<f64>,
}
