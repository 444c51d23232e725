//! How soon a payment shows as PAID, and the status requests that costs: fixed polling at
//! each interval, and the terminal's adaptive polling beside fixed 1 s polling in sales that
//! sit pending and then processing for as long as real customers take.

use std::fmt::Write as _;
use std::rc::Rc;
use std::time::{Duration, Instant};

use paycode_kiosk::sale::Polling;
use paycode_kiosk::simulator::{Endpoint, Fault, FaultRule};
use paycode_kiosk::ui::{Kiosk, Page, PaidPage};
use slint::ComponentHandle;

use crate::{Bench, charge, median, ms};

/// From the simulator completing the payment to the PAID frame, for each interval of fixed
/// polling and network delay, with the status requests a second that cost.
pub async fn paid_detection(bench: &Bench) {
    let intervals: &[u64] = if bench.quick {
        &[250, 1000]
    } else {
        &[250, 500, 1000, 2000]
    };
    let delays: &[u64] = if bench.quick { &[0] } else { &[0, 150] };
    let mut table = String::new();
    for &delay in delays {
        for &interval in intervals {
            let mut terminal = bench.terminal(&format!("paid-{interval}-{delay}"), interval);
            terminal.services_mut().timing.polling = Polling::Fixed;
            let (window, _app) = bench.open_terminal(terminal);
            let kiosk = window.global::<Kiosk>();
            let mut latencies = Vec::new();
            let mut rates = Vec::new();
            let samples = bench.samples(11, 3) as u64;
            for sample in 0..samples {
                if delay > 0 {
                    bench.sim.push_fault(FaultRule {
                        endpoint: Endpoint::Get,
                        fault: Fault::Delay { ms: delay },
                        times: 10_000,
                    });
                }
                let id = charge(bench, &window, "5").await;
                let shown = Instant::now();
                // The customer pays after a few polls, at points spread evenly over the poll
                // cycle (the interval plus the answer's delay; the middle of each of `samples`
                // slices): the median is then what a customer paying at a random moment would
                // see, not an artefact of the sample times.
                let cycle = interval + delay;
                let slice = (2 * sample + 1) * cycle / (2 * samples);
                bench.pause(3 * interval + slice).await;
                let paid_from = Instant::now();
                bench.sim.pay(&id, Some(Duration::ZERO)).expect("pay");
                bench.until(|| kiosk.get_page() == Page::Paid).await;
                window.window().take_snapshot().expect("frame");
                latencies.push(ms(paid_from.elapsed()));
                rates.push(gets(bench, &id) as f64 / shown.elapsed().as_secs_f64());
                bench.sim.clear_faults();
                window.global::<PaidPage>().invoke_new_sale();
            }
            let latency = median(latencies);
            let rate = median(rates);
            let _ = writeln!(
                table,
                "| {interval} ms | {delay} ms | {latency:.0} ms | {rate:.2} |"
            );
            if interval == 1000 && delay == 0 {
                bench.row(
                    "Payment completed to PAID frame, fixed 1 s polling",
                    format!("{latency:.0} ms at {rate:.2} status requests/s"),
                    "≤ 600 ms at ≤ 1 request/s",
                    if latency <= 600.0 && rate <= 1.0 {
                        "met"
                    } else {
                        "missed"
                    },
                );
            }
        }
    }
    println!(
        "\nPaid detection (median of {} sales each)\n\n| poll interval | network delay | completed to PAID frame | status requests/s |\n|---|---|---|---|\n{table}",
        bench.samples(11, 3)
    );
}

pub fn gets(bench: &Bench, id: &str) -> usize {
    bench
        .sim
        .requests()
        .iter()
        .filter(|r| r.endpoint == Endpoint::Get && r.path.ends_with(id))
        .count()
}

/// A sale as a customer makes it: the code sits pending while they find their phone, then
/// processing while they confirm.
struct Customer {
    pending: Duration,
    processing: Duration,
}

/// The slowest check cycle of either polling (adaptive polling checks a pending code every
/// 4 s): the moments the customer starts paying are spread evenly over it.
const CYCLE: Duration = Duration::from_secs(4);

/// Adaptive polling against fixed 1 s polling, each over the same sales, the samples of one
/// row run side by side, each on its own terminal and journal. A sale's lateness spreads over
/// up to half a second, so a row takes 41 sales: its median is then the customers' median, not
/// the luck of where a few samples fell (as many start moments as the unit test of
/// `sale::poll`'s arithmetic).
pub async fn paid_by_customer(bench: &Rc<Bench>) {
    let customers: &[Customer] = if bench.quick {
        &[Customer {
            pending: Duration::from_secs(5),
            processing: Duration::from_secs(5),
        }]
    } else {
        &[
            Customer {
                pending: Duration::from_secs(5),
                processing: Duration::from_secs(5),
            },
            Customer {
                pending: Duration::from_secs(20),
                processing: Duration::from_secs(10),
            },
            Customer {
                pending: Duration::from_secs(60),
                processing: Duration::from_secs(20),
            },
        ]
    };
    let samples = bench.samples(41, 3);
    let mut table = String::new();
    for customer in customers {
        for polling in [Polling::Fixed, Polling::Adaptive] {
            let mut sales = Vec::new();
            for sample in 0..samples {
                let start = CYCLE.mul_f64((2 * sample + 1) as f64 / (2 * samples) as f64);
                let name = format!(
                    "customer-{}-{}-{polling:?}-{sample}",
                    customer.pending.as_secs(),
                    customer.processing.as_secs()
                );
                let bench = Rc::clone(bench);
                let (pending, processing) = (customer.pending + start, customer.processing);
                sales.push(
                    slint::spawn_local(async move {
                        one_sale(&bench, &name, polling, pending, processing).await
                    })
                    .expect("spawn"),
                );
            }
            let mut latencies = Vec::new();
            let mut rates = Vec::new();
            for sale in sales {
                let (latency, rate) = sale.await;
                latencies.push(latency);
                rates.push(rate);
            }
            latencies.sort_by(f64::total_cmp);
            let p95 = latencies[(latencies.len() * 95).div_ceil(100) - 1];
            let (latency, rate) = (median(latencies), rates.iter().copied().fold(0.0, f64::max));
            let polling = match polling {
                Polling::Fixed => "fixed 1 s",
                Polling::Adaptive => "adaptive",
            };
            let _ = writeln!(
                table,
                "| {} s then {} s | {polling} | {latency:.0} ms | {p95:.0} ms | {rate:.2} |",
                customer.pending.as_secs(),
                customer.processing.as_secs()
            );
            if polling == "adaptive" {
                let met = latency <= 300.0 && p95 <= 800.0 && rate <= 1.0;
                bench.row(
                    &format!(
                        "Payment completed to PAID frame, adaptive polling, pending {} s then processing {} s",
                        customer.pending.as_secs(),
                        customer.processing.as_secs()
                    ),
                    format!(
                        "median {latency:.0} ms, p95 {p95:.0} ms, at most {rate:.2} status requests/s"
                    ),
                    "median ≤ 300 ms, p95 ≤ 800 ms, ≤ 1 request/s",
                    if met { "met" } else { "missed" },
                );
            }
        }
    }
    println!(
        "\nPaid detection by customer ({samples} sales each, side by side)\n\n| customer: pending, then processing | polling | completed to PAID frame, median | p95 | status requests/s over the sale, most |\n|---|---|---|---|---|\n{table}"
    );
}

/// One sale on its own terminal: returns the time from completion to the PAID frame, in ms,
/// and the status requests a second from the code on screen to PAID.
async fn one_sale(
    bench: &Bench,
    name: &str,
    polling: Polling,
    pending: Duration,
    processing: Duration,
) -> (f64, f64) {
    let mut terminal = bench.terminal(name, 1000);
    terminal.services_mut().timing.polling = polling;
    let (window, _app) = bench.open_terminal(terminal);
    let kiosk = window.global::<Kiosk>();
    let id = charge(bench, &window, "5").await;
    let shown = Instant::now();
    bench.pause(ms(pending) as u64).await;
    bench.sim.pay(&id, Some(processing)).expect("pay");
    let completed = Instant::now() + processing;
    bench.until(|| kiosk.get_page() == Page::Paid).await;
    window.window().take_snapshot().expect("frame");
    let latency = ms(Instant::now().saturating_duration_since(completed));
    let rate = gets(bench, &id) as f64 / shown.elapsed().as_secs_f64();
    (latency, rate)
}
