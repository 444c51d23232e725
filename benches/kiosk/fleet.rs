//! Many terminals in one Monime space, whose rate limit they share: forty terminals (each its
//! own client and journal, as in forty shops' tills) sell through a simulator that answers 429
//! `space-limit` past 20 requests a second across the space. Four runs: a first day on fresh
//! journals, where every terminal must learn the space is shared; a first day of terminals
//! whose technician declared it (`[monime] shared_space`); the next day on the first run's
//! journals, which remember it (`monime::pace`); and that next day with Monime gone for a
//! minute in the middle. Reports the sales that failed, doubled or went missing,
//! completed-to-PAID times, the share of 429s, and the space's request rate second by second
//! (also drawn to docs/fleet-requests.png by a full run).

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
    /// Which day: "first day", "next day".
    day: &'static str,
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
}

impl Plan {
    fn new(bench: &Bench, day: &'static str, declared_shared: bool, outage: bool) -> Plan {
        if bench.quick {
            Plan {
                day,
                declared_shared,
                terminals: 8,
                sales: 2,
                space_limit: 4,
                pending_ms: (2_000, 5_000),
                processing_ms: (2_000, 4_000),
                between_ms: (500, 2_000),
                outage: outage.then_some((Duration::from_secs(6), Duration::from_secs(8))),
            }
        } else {
            Plan {
                day,
                declared_shared,
                terminals: 40,
                sales: 10,
                space_limit: 20,
                pending_ms: (5_000, 20_000),
                processing_ms: (5_000, 10_000),
                between_ms: (3_000, 8_000),
                outage: outage.then_some((Duration::from_secs(90), Duration::from_secs(60))),
            }
        }
    }
}

/// What became of one sale.
struct Settled {
    phase: Phase,
    /// From Monime completing the payment to the terminal's PAID.
    completed_to_paid: Option<Duration>,
}

pub fn fleet(bench: &Bench) {
    let mut report = String::new();
    let mut plot = None;
    // The learning terminals' journals, kept from one day to the next.
    let learning = tempfile::tempdir().expect("tempdir");
    let declared = tempfile::tempdir().expect("tempdir");
    for (day, declared_shared, outage, journals) in [
        ("first day", false, false, &learning),
        ("first day", true, false, &declared),
        ("next day", false, false, &learning),
        ("next day", false, true, &learning),
    ] {
        let plan = Plan::new(bench, day, declared_shared, outage);
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
    /// When each request reached the simulator, and its status (`None`: dropped).
    requests: Vec<(DateTime<Utc>, Option<u16>)>,
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
    for number in 0..plan.terminals {
        let services = services(
            &sim,
            &journals.join(format!("t{number}.sqlite")),
            plan.declared_shared,
        );
        let sim = Arc::clone(&sim);
        let plan = (
            plan.sales,
            plan.pending_ms,
            plan.processing_ms,
            plan.between_ms,
        );
        terminals.push(tokio::spawn(async move {
            // Each terminal's customers, seeded by its number: the same run every time.
            let mut rng = StdRng::seed_from_u64(number as u64);
            // The first customers of the day do not all come in the same second.
            let opening = rng.random_range(0..=plan.3.1 + plan.1.1);
            tokio::time::sleep(Duration::from_millis(opening)).await;
            let shape = CodeShape::new("Fleet sale {sale}", &format!("T{number}"));
            let mut settled = Vec::new();
            for _ in 0..plan.0 {
                let pending = Duration::from_millis(rng.random_range(plan.1.0..=plan.1.1));
                let processing = Duration::from_millis(rng.random_range(plan.2.0..=plan.2.1));
                settled.push(one_sale(&services, &shape, &sim, pending, processing).await);
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
    FleetRun {
        started,
        sales,
        codes: sim.codes().len(),
        requests: sim
            .requests()
            .iter()
            .map(|request| (request.at, request.status))
            .collect(),
    }
}

fn services(sim: &SimulatorHandle, journal: &std::path::Path, shared_space: bool) -> Services {
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
        timing: Timing::new(Duration::from_secs(1)),
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
    if let Some(id) = code {
        tokio::time::sleep(pending).await;
        if sim.pay(&id, Some(processing)).is_ok() {
            completed = Some(Instant::now() + processing);
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
        for (at, status) in &self.requests {
            let second = (*at - self.started).num_seconds().max(0) as usize;
            if rates.all.len() <= second {
                rates.all.resize(second + 1, 0);
                rates.throttled.resize(second + 1, 0);
            }
            rates.all[second] += 1;
            if *status == Some(429) {
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
            .filter(|(_, status)| *status == Some(429))
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
             | 429 answers | {throttled} of {} requests ({share:.2} %) | ≤ 1 % |\n",
            plan.terminals,
            plan.sales,
            plan.space_limit,
            self.codes,
            median(latencies.clone()),
            self.requests.len(),
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
                "none failed, doubled or lost; p95 ≤ 2 s; 429s ≤ 1 %",
                if settled_ok && p95 <= 2000.0 && share <= 1.0 {
                    "met"
                } else {
                    "missed"
                },
            );
        }
        text
    }
}
