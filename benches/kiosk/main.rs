//! What a cashier, a shop owner and Monime's rate limiter would notice, measured: charge-to-QR
//! latency, how soon a payment shows as PAID (fixed polling at each interval, and adaptive
//! polling for customers of several speeds), a fleet of terminals in one space, connections per
//! sale, memory over many sales, receipt size and time on the wire, how soon a receipt reaches a
//! network printer, and full-frame render times.
//!
//! `cargo bench --bench kiosk` runs it all, optimised, and prints a Markdown table of medians
//! (also saved to target/bench/kiosk.md). `cargo test --bench kiosk` (a debug build, as CI
//! has) or `cargo bench --bench kiosk -- --quick` is the short run. Names after `--` run only
//! those parts: receipts, memory, rendering, charge, paid, customers, connections,
//! network-printer, metrics, fleet, desktop, size; and, only when named, the long runs of
//! soak.rs: chaos, soak, wear (with `--seed N`, `--sales N`, `--rate R`, `--terminals N`).
//! Goals are reported, never asserted: these machines are shared and noisy.
//!
//! The screen runs headless (Slint's testing backend with the software renderer) against the
//! simulator over loopback HTTPS (a throwaway certificate the client is told to trust), through
//! the same `App`, worker and controller as the terminal.

use std::cell::RefCell;
use std::fmt::Write as _;
use std::rc::Rc;
use std::time::{Duration, Instant};

use chrono::Utc;
use i_slint_backend_testing::{TestingBackend, TestingBackendOptions};
use paycode_kiosk::cli::owner_commands;
use paycode_kiosk::journal::StoredSale;
use paycode_kiosk::monime::{ClientSettings, ListFilter, MonimeClient};
use paycode_kiosk::printer::emulator::StatusAnswers;
use paycode_kiosk::printer::receipt::{self, ReceiptStyle};
use paycode_kiosk::printer::socket::SocketPrinter;
use paycode_kiosk::printer::{CodePage, PrinterModel, ReceiptQr, ShopLines};
use paycode_kiosk::sale::NewSale;
use paycode_kiosk::shop::Shop;
use paycode_kiosk::simulator::{SimulatorHandle, SimulatorOptions, SimulatorTls};
use paycode_kiosk::terminal;
use paycode_kiosk::ui::{
    AmountPage, App, Kiosk, MainWindow, OutcomePage, Page, PaidPage, PaymentPage, StatusBar,
};
use slint::ComponentHandle;

mod fleet;
mod plot;
mod polling;
mod soak;

struct Bench {
    quick: bool,
    runtime: tokio::runtime::Handle,
    sim: SimulatorHandle,
    /// The simulator's certificate, which each terminal's client trusts.
    certificate_pem: Vec<u8>,
    dir: tempfile::TempDir,
    rows: RefCell<Vec<[String; 4]>>,
    /// The parts asked for by name; all when empty.
    filters: Vec<String>,
}

impl Bench {
    /// Whether the part called `name` is to run.
    fn runs(&self, name: &str) -> bool {
        self.filters.is_empty()
            || self
                .filters
                .iter()
                .any(|filter| name.contains(filter.as_str()))
    }

    fn row(&self, what: &str, figure: String, goal: &str, verdict: &str) {
        self.rows.borrow_mut().push([
            what.to_string(),
            figure,
            goal.to_string(),
            verdict.to_string(),
        ]);
    }

    fn samples(&self, full: usize, quick: usize) -> usize {
        if self.quick { quick } else { full }
    }

    fn terminal(&self, name: &str, poll_ms: u64) -> Shop {
        self.terminal_at(&self.sim.base_url(), name, poll_ms)
    }

    fn terminal_at(&self, monime: &reqwest::Url, name: &str, poll_ms: u64) -> Shop {
        self.terminal_with(monime, name, poll_ms, "")
    }

    /// A terminal whose configuration ends with `more` (TOML sections).
    fn terminal_with(&self, monime: &reqwest::Url, name: &str, poll_ms: u64, more: &str) -> Shop {
        let folder = self.dir.path().join(name);
        std::fs::create_dir_all(&folder).expect("folder");
        let config = folder.join("config.toml");
        std::fs::write(
            &config,
            format!(
                "[monime]\nbase_url = \"{}\"\nspace_id = \"{}\"\naccess_token = \"{}\"\n\
                 code_duration = \"10m\"\n[kiosk]\npoll_interval_ms = {poll_ms}\n\
                 [storage]\npath = \"journal.sqlite\"\n{more}",
                monime,
                paycode_kiosk::simulator::DEMO_SPACE_ID,
                paycode_kiosk::simulator::DEMO_ACCESS_TOKEN,
            ),
        )
        .expect("config");
        let mut shop = self
            .runtime
            .block_on(terminal::open_for_command(&terminal::Launch::with_config(
                &config,
            )))
            .expect("terminal");
        let client = MonimeClient::new(ClientSettings {
            extra_root_certificate: Some(self.certificate_pem.clone()),
            ..shop.services().client.settings().clone()
        })
        .expect("client");
        shop.services_mut().client = client;
        shop
    }

    fn open(&self, name: &str, poll_ms: u64) -> (MainWindow, App) {
        self.open_terminal(self.terminal(name, poll_ms))
    }

    fn open_terminal(&self, shop: Shop) -> (MainWindow, App) {
        let window = MainWindow::new().expect("window");
        window.window().set_size(slint::PhysicalSize::new(800, 480));
        window.show().expect("show");
        let app = App::start(&window, shop, &self.runtime, owner_commands);
        (window, app)
    }

    /// Lets the event loop run for about `ms` of real time.
    async fn pause(&self, ms: u64) {
        let _ = self
            .runtime
            .spawn(async move { tokio::time::sleep(Duration::from_millis(ms)).await })
            .await;
    }

    async fn until(&self, mut condition: impl FnMut() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !condition() {
            assert!(Instant::now() < deadline, "the screen never got there");
            self.pause(1).await;
        }
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// Keys `key` and taps Charge; returns the USSD string once the code shows.
async fn show_code(bench: &Bench, window: &MainWindow, key: &str) -> String {
    let payment = window.global::<PaymentPage>();
    window.global::<Kiosk>().invoke_key(key.into());
    window.global::<AmountPage>().invoke_charge();
    bench.until(|| payment.get_has_qr()).await;
    payment.get_ussd().to_string()
}

/// As `show_code`, and returns the code's id from the in-process simulator.
async fn charge(bench: &Bench, window: &MainWindow, key: &str) -> String {
    let ussd = show_code(bench, window, key).await;
    bench
        .sim
        .codes()
        .into_iter()
        .find(|code| code.ussd_code == ussd)
        .map(|code| code.id)
        .expect("the simulator made the code")
}

/// From the tap on Charge to a rendered frame holding the QR code, against the create's
/// own round trip measured on the same loopback; then what the rest is made of, each part
/// timed on its own in the same loop: the two journal commits, drawing the QR image, and the
/// frame.
async fn charge_to_qr(bench: &Bench) {
    let (window, _app) = bench.open("charge", 1000);
    let kiosk = window.global::<Kiosk>();
    let (amount, payment) = (
        window.global::<AmountPage>(),
        window.global::<PaymentPage>(),
    );
    let reference = bench.terminal("charge-rtt", 1000);
    let client = reference.services().client.clone();
    let journal = reference.journal();
    let shape = &reference.settings().code_shape;
    let mut parts: [Vec<f64>; 6] = Default::default();
    let [screen, round_trips, to_qr, frames, commits, qr_images] = &mut parts;
    for run in 0..bench.samples(30, 8) {
        // Steady state: the client spaces requests 250 ms apart, so a create right after the
        // last sale's cancel would wait for that gap.
        bench.pause(400).await;
        kiosk.invoke_key("7".into());
        let started = Instant::now();
        amount.invoke_charge();
        bench.until(|| payment.get_has_qr()).await;
        let qr_shown = started.elapsed();
        window.window().take_snapshot().expect("frame");
        let total = started.elapsed();
        screen.push(ms(total));
        to_qr.push(ms(qr_shown));
        frames.push(ms(total - qr_shown));
        payment.invoke_cancel();
        payment.invoke_cancel_confirmed();
        bench.until(|| kiosk.get_page() == Page::Outcome).await;
        window.global::<OutcomePage>().invoke_new_sale();

        let sale = NewSale::of(paycode_kiosk::money::Money::new(
            paycode_kiosk::money::Currency::Sle,
            700,
        ));
        let request = shape.request_for(1_000_000 + run as i64, &sale);
        let client = client.clone();
        let key = format!(
            "rtt-{run}-{}",
            Utc::now().timestamp_nanos_opt().unwrap_or(0)
        );
        let sent = request.clone();
        let (elapsed, code) = bench
            .runtime
            .spawn(async move {
                let started = Instant::now();
                let code = client.create(&sent, &key).await.expect("create");
                (started.elapsed(), code)
            })
            .await
            .expect("round trip");
        round_trips.push(ms(elapsed));

        // The sale's two commits as the controller makes them: the sale and its key before
        // the request, the code after it.
        let started = Instant::now();
        let record = journal
            .begin_sale(&format!("commit-{run}"), Utc::now(), shape, &sale)
            .expect("begin");
        journal.save(&record, Utc::now(), None).expect("save");
        commits.push(ms(started.elapsed()));

        let started = Instant::now();
        let payload = paycode_kiosk::qr::QrPayload::default()
            .for_ussd(code.ussd_code.as_deref().expect("a USSD code"));
        paycode_kiosk::ui::qr_image(&payload).expect("a QR image");
        qr_images.push(ms(started.elapsed()));
    }
    let [screen, round_trip, to_qr, frame, commits, qr_image] = parts.map(median);
    let above = screen - round_trip;
    bench.row(
        "Charge tap to QR frame, above the create's round trip",
        format!("{above:.1} ms (tap to frame {screen:.1} ms, round trip {round_trip:.1} ms)"),
        "≤ 5 ms",
        if above <= 5.0 { "met" } else { "missed" },
    );
    let rest = to_qr - round_trip - commits - qr_image;
    bench.row(
        "Charge to QR, what the time above the round trip is",
        format!(
            "frame {frame:.1} ms, two journal commits {commits:.1} ms, QR image {qr_image:.1} ms, \
             hops and waiting {rest:.1} ms (medians)"
        ),
        "",
        "",
    );
}

/// TCP connections and TLS handshakes a whole sale costs, the first of the day and after.
async fn connections(bench: &Bench) {
    let (window, _app) = bench.open("connections", 250);
    let kiosk = window.global::<Kiosk>();
    let counts = || (bench.sim.connections_accepted(), bench.sim.tls_handshakes());
    let sell = || async {
        let id = charge(bench, &window, "3").await;
        bench.pause(600).await;
        bench.sim.pay(&id, Some(Duration::ZERO)).expect("pay");
        bench.until(|| kiosk.get_page() == Page::Paid).await;
        window.global::<PaidPage>().invoke_new_sale();
    };
    let (connects, handshakes) = counts();
    sell().await;
    let (warm_connects, warm_handshakes) = counts();
    bench.row(
        "First sale: TCP connects, TLS handshakes",
        format!(
            "{}, {} full + {} resumed",
            warm_connects - connects,
            warm_handshakes.full - handshakes.full,
            warm_handshakes.resumed - handshakes.resumed
        ),
        "1 per sale",
        if warm_connects - connects <= 1 {
            "met"
        } else {
            "missed"
        },
    );
    let sales = bench.samples(10, 3);
    for _ in 0..sales {
        sell().await;
    }
    let (last_connects, last_handshakes) = counts();
    let per_sale = |count: u64| count as f64 / sales as f64;
    let connects = per_sale(last_connects - warm_connects);
    bench.row(
        &format!("Each later sale (of {sales}): TCP connects, TLS handshakes"),
        format!(
            "{connects:.2}, {:.2} full + {:.2} resumed",
            per_sale(last_handshakes.full - warm_handshakes.full),
            per_sale(last_handshakes.resumed - warm_handshakes.resumed)
        ),
        "1 per sale, not 1 per request",
        if connects <= 1.0 { "met" } else { "missed" },
    );
}

/// How soon a paid sale's receipt reaches a network printer (the virtual one on loopback,
/// answering status as most network printers do): from PAID on the screen to the receipt's cut
/// at the printer. A receipt cut before the screen showed PAID counts as 0.
async fn network_receipt(bench: &Bench) {
    let printer = SocketPrinter::start(
        SocketPrinter::ANY_LOCAL_PORT,
        32,
        Some(StatusAnswers::READY),
    )
    .expect("the virtual network printer");
    let more = format!("[printer]\ndevice = \"tcp://{}\"\n", printer.address());
    let shop = bench.terminal_with(&bench.sim.base_url(), "network-printer", 250, &more);
    let (window, _app) = bench.open_terminal(shop);
    let kiosk = window.global::<Kiosk>();
    let mut delays = Vec::new();
    for _ in 0..bench.samples(20, 4) {
        let id = charge(bench, &window, "5").await;
        let cuts = printer.emulator().cuts();
        bench.sim.pay(&id, Some(Duration::ZERO)).expect("pay");
        let (mut paid, mut printed) = (None, None);
        let deadline = Instant::now() + Duration::from_secs(30);
        while paid.is_none() || printed.is_none() {
            assert!(Instant::now() < deadline, "the receipt never came");
            if paid.is_none() && kiosk.get_page() == Page::Paid {
                paid = Some(Instant::now());
            }
            if printed.is_none() && printer.emulator().cuts() > cuts {
                printed = Some(Instant::now());
            }
            bench.pause(1).await;
        }
        if let (Some(paid), Some(printed)) = (paid, printed) {
            delays.push(ms(printed.saturating_duration_since(paid)));
        }
        window.global::<PaidPage>().invoke_new_sale();
    }
    let worst = delays.iter().copied().fold(0.0, f64::max);
    let median = median(delays.clone());
    bench.row(
        &format!(
            "PAID to the receipt's cut at a network printer (of {})",
            delays.len()
        ),
        format!("median {median:.0} ms, worst {worst:.0} ms"),
        "≤ 300 ms",
        if worst <= 300.0 { "met" } else { "missed" },
    );
}

/// Memory over many sales through the screen: the peak, and whether it levels off: growth
/// over the second half of the run, when every cache should have reached its bound. The
/// simulator runs in a process of its own here (`paycode-kiosk simulate`), so its growing
/// record of codes and requests is not counted.
async fn memory(bench: &Bench) {
    // BENCH_MEMORY_SALES runs longer, to see where the swing of the allocator's free memory
    // levels off.
    let sales = std::env::var("BENCH_MEMORY_SALES")
        .ok()
        .and_then(|sales| sales.parse().ok())
        .unwrap_or_else(|| bench.samples(1000, 20));
    let title = format!("Peak RSS over {sales} sales (terminal and screen, headless)");
    let goal = "≤ 40 MB; second half ≤ +1 %";
    let Some((mut simulator, monime)) = simulator_process() else {
        bench.row(
            &title,
            "not measured: `paycode-kiosk simulate` did not start".into(),
            goal,
            "",
        );
        return;
    };
    let mut terminal = bench.terminal_at(&monime, "memory", 250);
    // Fixed polling sees each payment within a quarter second, so a thousand sales take
    // minutes; memory does not depend on how the checks are spaced.
    terminal.services_mut().timing.polling = paycode_kiosk::sale::Polling::Fixed;
    // The customer's own client, so that its requests are not spaced with the terminal's.
    let customer = MonimeClient::new(ClientSettings {
        min_request_gap: Duration::ZERO,
        ..terminal.services().client.settings().clone()
    })
    .expect("the customer's client");
    let (window, _app) = bench.open_terminal(terminal);
    let kiosk = window.global::<Kiosk>();
    let control = reqwest::Client::new();
    let halfway = sales / 2;
    let (mut at_ten, mut at_half) = (Footprint::now(), Footprint::now());
    // Every 50 sales, for target/bench/memory.csv: one reading of a figure that swings by
    // megabytes says little about where it is going.
    let mut series = vec![(0, Footprint::now())];
    for sale in 1..=sales {
        let ussd = show_code(bench, &window, "2").await;
        let (customer, control, monime) = (customer.clone(), control.clone(), monime.clone());
        bench
            .runtime
            .spawn(async move { pay_over_http(&customer, &control, &monime, &ussd).await })
            .await
            .expect("pay task")
            .expect("the simulator process takes the payment");
        bench.until(|| kiosk.get_page() == Page::Paid).await;
        window.global::<PaidPage>().invoke_new_sale();
        if sale == 10 {
            at_ten = Footprint::now();
        }
        if sale == halfway {
            at_half = Footprint::now();
        }
        if sale % 50 == 0 {
            series.push((sale, Footprint::now()));
        }
    }
    // Read before the simulator stops: its connections closing would page in code that no
    // sale runs, and the reading at sale 1,000 should be taken as the one at sale 500 was.
    let (last, peak) = (Footprint::now(), status_kib("self", "VmHWM"));
    stop(&mut simulator);
    let second_half = (last.rss - at_half.rss) as f64 / at_half.rss.max(1) as f64 * 100.0;
    // SQLite's page cache grows with the journal up to its bound (`PAGE_CACHE_KIB`, journal):
    // the growth that is left beside it is what would still have no bound.
    let beside_the_cache = (last.rss - at_half.rss - (last.sqlite - at_half.sqlite)) as f64
        / at_half.rss.max(1) as f64
        * 100.0;
    let later: Vec<i64> = series
        .iter()
        .filter(|(sale, _)| *sale >= halfway)
        .map(|(_, footprint)| footprint.rss)
        .collect();
    let swing = match (later.iter().min(), later.iter().max()) {
        (Some(low), Some(high)) => format!(
            "; RSS every 50 sales of the second half from {:.1} to {:.1} MB",
            *low as f64 / 1024.0,
            *high as f64 / 1024.0
        ),
        _ => String::new(),
    };
    save_memory_series(&series);
    bench.row(
        &title,
        format!(
            "{:.1} MB; sale {halfway} → {sales}: {:+} KiB ({second_half:+.2} %, \
             {beside_the_cache:+.2} % beside SQLite's page cache; {}); \
             sale 10 → {halfway}: {:+} KiB ({}){swing}",
            peak as f64 / 1024.0,
            last.rss - at_half.rss,
            last.growth_since(&at_half),
            at_half.rss - at_ten.rss,
            at_half.growth_since(&at_ten),
        ),
        goal,
        if peak <= 40 * 1024 && second_half <= 1.0 {
            "met"
        } else if peak <= 40 * 1024 && beside_the_cache <= 1.0 {
            "met: what grows is SQLite's page cache, bounded"
        } else {
            "missed"
        },
    );
}

/// This process's memory, in KiB, split so that growth can be named: the heap in use (what
/// the program holds), the anonymous pages resident (the heap with what malloc keeps free,
/// stacks), of them the main heap's (where malloc keeps what is not in pages of their own), the
/// file pages resident (mapped files: the binary, fonts, SQLite's shared memory), and of the
/// heap in use, what SQLite holds (its page cache, mostly).
struct Footprint {
    rss: i64,
    anonymous: i64,
    main_heap: i64,
    files: i64,
    heap_in_use: i64,
    sqlite: i64,
}

impl Footprint {
    /// Read as a settled terminal stands: the terminal hands freed memory back to the system
    /// as each sale settles (`malloc_trim`, src/ui/worker.rs), on a thread of its own and a
    /// moment after the screen moves on, so the reading trims first rather than catch some
    /// readings before that trim and some after.
    fn now() -> Footprint {
        paycode_kiosk::memory::release_freed_memory();
        // SAFETY: mallinfo2 takes nothing and returns glibc's counters by value.
        let heap = unsafe { libc::mallinfo2() };
        Footprint {
            rss: status_kib("self", "VmRSS") as i64,
            anonymous: status_kib("self", "RssAnon") as i64,
            main_heap: main_heap_kib(),
            files: status_kib("self", "RssFile") as i64,
            heap_in_use: ((heap.uordblks + heap.hblkhd) / 1024) as i64,
            // SAFETY: sqlite3_memory_used takes nothing and reads SQLite's own counter.
            sqlite: unsafe { rusqlite::ffi::sqlite3_memory_used() } / 1024,
        }
    }

    fn growth_since(&self, earlier: &Footprint) -> String {
        format!(
            "heap in use {:+} (SQLite {:+}), anonymous {:+} (main heap {:+}), files {:+}",
            self.heap_in_use - earlier.heap_in_use,
            self.sqlite - earlier.sqlite,
            self.anonymous - earlier.anonymous,
            self.main_heap - earlier.main_heap,
            self.files - earlier.files
        )
    }
}

/// The footprint every 50 sales, in KiB, to target/bench/memory.csv.
fn save_memory_series(series: &[(usize, Footprint)]) {
    let mut text = String::from(
        "sale,rss_kib,anonymous_kib,main_heap_kib,files_kib,heap_in_use_kib,sqlite_kib\n",
    );
    for (sale, footprint) in series {
        text.push_str(&format!(
            "{sale},{},{},{},{},{},{}\n",
            footprint.rss,
            footprint.anonymous,
            footprint.main_heap,
            footprint.files,
            footprint.heap_in_use,
            footprint.sqlite
        ));
    }
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    if std::fs::create_dir_all(&folder).is_ok() {
        let _ = std::fs::write(folder.join("memory.csv"), text);
    }
}

/// `paycode-kiosk simulate` on a free port, and its address.
fn simulator_process() -> Option<(std::process::Child, reqwest::Url)> {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_paycode-kiosk"))
        .args(["simulate", "--port", "0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    let mut first_line = String::new();
    let read = child.stdout.take().map(|out| {
        let mut out = std::io::BufReader::new(out);
        let read = out.read_line(&mut first_line);
        // The rest drained, so the simulator never writes into a closed pipe.
        std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        read
    });
    let url = first_line
        .trim()
        .rsplit(' ')
        .next()
        .and_then(|url| reqwest::Url::parse(url).ok());
    match (read, url) {
        (Some(Ok(_)), Some(url)) => Some((child, url)),
        _ => {
            stop(&mut child);
            None
        }
    }
}

/// The customer pays the code showing `ussd`, through the simulator's control endpoints. The
/// code is found as a shop would, by its USSD string through Monime's list, so that what this
/// process reads does not grow with the sales made (the whole list of codes did, and its
/// buffers were measured as the terminal's memory).
async fn pay_over_http(
    customer: &MonimeClient,
    control: &reqwest::Client,
    monime: &reqwest::Url,
    ussd: &str,
) -> Result<(), String> {
    let filter = ListFilter {
        ussd_code: Some(ussd.into()),
        ..ListFilter::default()
    };
    let page = customer
        .list_page(&filter, 1, None)
        .await
        .map_err(|e| e.to_string())?;
    let id = &page
        .codes
        .first()
        .ok_or_else(|| format!("no code with USSD {ussd}"))?
        .id;
    control
        .post(
            monime
                .join(&format!("_sim/codes/{id}/pay"))
                .map_err(|e| e.to_string())?,
        )
        .send()
        .await
        .and_then(|answer| answer.error_for_status())
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// The resident part of this process's `[heap]` mapping (the main arena's `brk` heap), in KiB.
fn main_heap_kib() -> i64 {
    std::fs::read_to_string("/proc/self/smaps")
        .unwrap_or_default()
        .lines()
        .skip_while(|line| !line.ends_with("[heap]"))
        .find(|line| line.starts_with("Rss:"))
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|kib| kib.parse().ok())
        .unwrap_or(0)
}

/// A `kB` field of `/proc/PROCESS/status` (`process` is a pid or `self`); 0 if unreadable.
fn status_kib(process: &str, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{process}/status"))
        .unwrap_or_default()
        .lines()
        .find(|line| line.starts_with(field))
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|kib| kib.parse().ok())
        .unwrap_or(0)
}

/// Receipt bytes and their time on a 9600-baud wire (10 bits a byte), native QR against a
/// raster QR.
fn receipts(bench: &Bench) {
    let sale = sample_sale();
    for (qr, name) in [
        (ReceiptQr::Native, "native QR"),
        (ReceiptQr::Image, "raster QR"),
    ] {
        for width in [32, 48] {
            let style = ReceiptStyle {
                merchant_name: "Mama Salone Shop".into(),
                terminal_id: "TILL-1".into(),
                header: ShopLines::same(vec!["12 Siaka Stevens Street".into(), "Freetown".into()]),
                footer: None,
                model: PrinterModel::Generic,
                width,
                code_page: CodePage::Pc858,
                qr,
                currency_style: paycode_kiosk::money::CurrencyStyle::Symbol,
                zone: chrono::FixedOffset::east_opt(0).expect("UTC"),
                language: Default::default(),
            };
            let bytes = receipt::sale_receipt(&style, &sale, Utc::now(), false)
                .expect("layout")
                .len();
            let seconds = bytes as f64 * 10.0 / 9600.0;
            bench.row(
                &format!("Receipt, {width} columns, {name}"),
                format!("{bytes} bytes, {seconds:.2} s at 9600 baud"),
                "≤ 1 s at 9600 baud",
                if seconds <= 1.0 { "met" } else { "missed" },
            );
        }
    }
}

fn sample_sale() -> StoredSale {
    use paycode_kiosk::monime::{NewPaymentCode, ProcessedPayment};
    use paycode_kiosk::sale::{CodeInfo, Phase, SaleRecord};
    let request = NewPaymentCode::new(
        "Mama Salone Shop sale 1042",
        paycode_kiosk::money::Money::new(paycode_kiosk::money::Currency::Sle, 1_234_550),
    )
    .with_reference(Some("INV-1042".into()));
    let mut record = SaleRecord::new(1042, "key".into(), request);
    record.phase = Phase::Paid;
    record.code = Some(CodeInfo {
        id: "pmc-Z8fK2mQ9xLw4RtY7uVbN3cDe".into(),
        ussd_code: "*715*1*8821440712#".into(),
        expire_time: None,
    });
    record.payment = Some(ProcessedPayment {
        provider_id: Some("m17".into()),
        order_number: Some("9911-4482".into()),
        payment_id: Some("pay-Gh5sK1mNq8Zx".into()),
        ..Default::default()
    });
    StoredSale {
        record,
        terminal_id: "TILL-1".into(),
        created_at: Utc::now(),
        updated_at: Utc::now(),
        receipt: paycode_kiosk::journal::Receipt::Owed,
        books: Default::default(),
        order: Default::default(),
        // A receipt carries the payer's proof once Monime's payment gave it.
        proof: Some(paycode_kiosk::journal::PayerProof {
            payment_id: "pay-Gh5sK1mNq8Zx".into(),
            provider_id: Some("m17".into()),
            reference: Some("MP251206.1403.C77123".into()),
            masked_number: Some("+23276***456".into()),
            fingerprint: None,
            fees: Vec::new(),
        }),
    }
}

/// A terminal whose journal holds a year of a busy counter's sales (500 a day), for the
/// measures that grow with the journal.
struct YearOfSales {
    shop: Shop,
    sales: usize,
    filled: Duration,
}

fn a_year_of_sales(bench: &Bench) -> YearOfSales {
    use paycode_kiosk::sale::Phase;
    let shop = bench.terminal("metrics", 250);
    let journal = shop.journal();
    let sales = bench.samples(182_500, 5_000);
    let started = Instant::now();
    for number in 0..sales {
        let mut record = begin_a_sale(journal, &format!("key-{number}"), number);
        record.phase = if number % 10 == 0 {
            Phase::Expired
        } else {
            Phase::Paid
        };
        journal.save(&record, Utc::now(), None).expect("saved");
    }
    YearOfSales {
        shop,
        sales,
        filled: started.elapsed(),
    }
}

fn begin_a_sale(
    journal: &paycode_kiosk::journal::Journal,
    key: &str,
    number: usize,
) -> paycode_kiosk::sale::SaleRecord {
    use paycode_kiosk::money::{Currency, Money};
    let shape = paycode_kiosk::sale::CodeShape::new("Shop sale {sale}", "TILL-1");
    let minor = 500 + i64::try_from(number % 97).unwrap_or(0) * 25;
    let sale = NewSale::of(Money::new(Currency::Sle, minor));
    journal
        .begin_sale(key, Utc::now(), &shape, &sale)
        .expect("a sale written")
}

/// What the daily backup of a year's journal costs: its time, the bytes it writes to the card,
/// and a sale's write while it runs beside it (on the terminal's connection, as a cashier's
/// sale is) against the same writes without it.
fn backup_cost(bench: &Bench, year: &YearOfSales) {
    use std::sync::atomic::{AtomicBool, Ordering};
    let journal = year.shop.journal();
    let writes = |label: &str, running: &AtomicBool, at_least: usize| -> Vec<f64> {
        let mut times = Vec::new();
        while running.load(Ordering::Relaxed) || times.len() < at_least {
            let started = Instant::now();
            begin_a_sale(journal, &format!("{label}-{}", times.len()), times.len());
            times.push(ms(started.elapsed()));
        }
        times
    };
    let running = AtomicBool::new(true);
    let day = chrono::NaiveDate::from_ymd_opt(2099, 12, 31).expect("a date");
    let (backup, took, beside) = std::thread::scope(|scope| {
        let beside = scope.spawn(|| writes("beside", &running, 20));
        let started = Instant::now();
        let backup = journal
            .back_up_daily(day)
            .expect("backed up")
            .expect("a new file");
        let took = started.elapsed();
        running.store(false, Ordering::Relaxed);
        (backup, took, beside.join().expect("the writes end"))
    });
    // As many writes again without the backup, for a fair worst.
    let alone = writes("alone", &AtomicBool::new(false), beside.len());
    let backup_bytes = std::fs::metadata(&backup).map_or(0, |meta| meta.len());
    let pages: i64 = rusqlite::Connection::open(journal.path())
        .and_then(|db| {
            db.query_row(
                "SELECT page_count * page_size FROM pragma_page_count, pragma_page_size",
                [],
                |row| row.get(0),
            )
        })
        .expect("the journal's size");
    let worst = |times: &[f64]| times.iter().cloned().fold(0.0, f64::max);
    let worst_beside = worst(&beside);
    bench.row(
        &format!(
            "Daily backup, journal of {} sales ({:.0} MB)",
            year.sales,
            pages as f64 / 1e6
        ),
        format!(
            "{:.1} s; {:.1} MB written ({:.1} times smaller, {:.0} bytes a sale); a sale's write beside it: median {:.1} ms, worst {worst_beside:.1} ms ({} writes; alone: median {:.1} ms, worst {:.1} ms)",
            took.as_secs_f64(),
            backup_bytes as f64 / 1e6,
            pages as f64 / backup_bytes.max(1) as f64,
            backup_bytes as f64 / year.sales as f64,
            median(beside.clone()),
            beside.len(),
            median(alone.clone()),
            worst(&alone),
        ),
        // A sale that waited for the copy would wait all of it.
        "sales never wait for it (worst write < a tenth of the backup)",
        if worst_beside < ms(took) / 10.0 {
            "met"
        } else {
            "missed"
        },
    );
}

/// What writing the metrics file costs, over a journal of a year of sales: the journal's
/// figures read, the text made and the file written whole. The writer runs on its own task;
/// the cashier's sale never waits for it.
fn metrics_cost(bench: &Bench, year: &YearOfSales) {
    use paycode_kiosk::metrics::{self, Sources};
    let (shop, sales, filled) = (&year.shop, year.sales, year.filled);
    let sources = Sources::new(shop.services(), None, Default::default());
    let folder = bench.dir.path().join("textfile");
    std::fs::create_dir_all(&folder).expect("folder");
    let times: Vec<f64> = (0..bench.samples(200, 20))
        .map(|_| {
            let started = Instant::now();
            bench
                .runtime
                .block_on(metrics::write(&sources, &folder))
                .expect("written");
            ms(started.elapsed())
        })
        .collect();
    let worst = times.iter().cloned().fold(0.0, f64::max);
    let median = median(times);
    bench.row(
        &format!(
            "Metrics file written, journal of {sales} sales (filled in {:.0} s)",
            filled.as_secs_f64()
        ),
        format!("median {median:.2} ms, worst {worst:.2} ms, on its own task, never the sale's"),
        "< 1 ms a sale",
        if median < 1.0 { "met" } else { "missed" },
    );
}

/// Full-frame software rendering of each screen at the smallest and largest sizes.
fn rendering(bench: &Bench) {
    let window = MainWindow::new().expect("window");
    window.show().expect("show");
    let kiosk = window.global::<Kiosk>();
    window
        .global::<StatusBar>()
        .set_merchant("Mama Salone Shop".into());
    window
        .global::<AmountPage>()
        .set_amount("Le 1,250.5".into());
    let payment = window.global::<PaymentPage>();
    payment.set_amount("Le 1,250.50".into());
    payment.set_ussd("*715*1*8821440712#".into());
    payment.set_countdown("9:41".into());
    payment.set_status_line("Waiting for payment".into());
    if let Some(qr) = paycode_kiosk::ui::qr_image("tel:*715*1*8821440712%23") {
        payment.set_qr(qr);
        payment.set_has_qr(true);
    }
    let outcome = window.global::<OutcomePage>();
    outcome.set_title("Code expired".into());
    outcome.set_amount("Le 1,250.50".into());
    let paid = window.global::<PaidPage>();
    paid.set_amount("Le 1,250.50".into());
    paid.set_receipt_text("Receipt printed".into());
    let pages = [
        (Page::Amount, "amount"),
        (Page::Payment, "payment"),
        (Page::Paid, "paid"),
        (Page::Outcome, "outcome"),
        (Page::History, "history"),
        (Page::Admin, "admin"),
    ];
    let mut table = String::new();
    for (width, height) in [(800, 480), (1280, 800)] {
        window
            .window()
            .set_size(slint::PhysicalSize::new(width, height));
        for (page, name) in pages {
            kiosk.set_page(page);
            window.window().take_snapshot().expect("warm-up frame");
            let times: Vec<f64> = (0..bench.samples(30, 5))
                .map(|_| {
                    let started = Instant::now();
                    window.window().take_snapshot().expect("frame");
                    ms(started.elapsed())
                })
                .collect();
            let _ = writeln!(
                table,
                "| {width}x{height} | {name} | {:.1} ms |",
                median(times)
            );
        }
    }
    let _ = window.hide();
    println!(
        "\nFull-frame software render (Window::take_snapshot, median)\n\n| size | screen | frame |\n|---|---|---|\n{table}"
    );
}

/// Start-up and idle CPU of the real terminal process: the release binary in demo mode in a
/// window on Xvfb with the software renderer. Skipped (and said so) without Xvfb, xdotool,
/// xwd (x11-apps) or a release binary.
fn desktop(bench: &Bench) {
    use std::process::{Command, Stdio};
    let binary = release_binary();
    let not_measured = |why: &str| {
        bench.row(
            "Start-up, idle CPU (desktop process)",
            format!("not measured: {why}"),
            "≤ 300 ms, ≤ 1 % of a core",
            "",
        )
    };
    let have = |tool: &str| {
        Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    };
    if !binary.exists() || !have("Xvfb") || !have("xdotool") || !have("xwd") {
        return not_measured("needs target/release/paycode-kiosk, Xvfb, xdotool and xwd");
    }
    let display = ":87";
    let xdotool = |args: &[&str]| {
        Command::new("xdotool")
            .args(args)
            .env("DISPLAY", display)
            .output()
            .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_string())
            .unwrap_or_default()
    };
    let home = tempfile::tempdir().expect("home");
    let mut starts = Vec::new();
    let mut running = None;
    for _ in 0..bench.samples(5, 1) {
        if let Some((mut xvfb, mut kiosk)) = running.take() {
            stop(&mut kiosk);
            stop(&mut xvfb);
        }
        let Some((xvfb, kiosk, first_frame)) = start_on_xvfb(&binary, display, home.path()) else {
            break;
        };
        starts.push(first_frame);
        running = Some((xvfb, kiosk));
    }
    let Some((mut xvfb, mut kiosk)) = running else {
        return not_measured("the release binary drew no frame within 20 s");
    };
    let mut window = String::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    while window.is_empty() && Instant::now() < deadline {
        window = xdotool(&["search", "--onlyvisible", "--name", "paycode-kiosk"]);
    }
    let Some(window) = window.lines().next().map(str::to_string) else {
        stop(&mut kiosk);
        stop(&mut xvfb);
        return not_measured("xdotool found no window named paycode-kiosk");
    };
    let startup = median(starts.iter().map(|(_, seen)| *seen).collect());
    let unseen = median(starts.iter().map(|(unseen, _)| *unseen).collect());
    let seconds = if bench.quick { 5 } else { 15 };
    std::thread::sleep(Duration::from_secs(2));
    let amount_cpu = cpu_share(kiosk.id(), seconds);
    xdotool(&["windowfocus", "--sync", &window]);
    xdotool(&["type", "--window", &window, "1250"]);
    xdotool(&["key", "--window", &window, "Return"]);
    std::thread::sleep(Duration::from_secs(2));
    let payment_cpu = cpu_share(kiosk.id(), seconds);
    let peak = status_kib(&kiosk.id().to_string(), "VmHWM");
    stop(&mut kiosk);
    stop(&mut xvfb);
    bench.row(
        &format!(
            "Process start to first frame (Xvfb, software renderer, 800x480, median of {})",
            starts.len()
        ),
        format!("{startup:.0} ms (the screen grab before it, started at {unseen:.0} ms, saw none)"),
        "≤ 300 ms",
        if startup <= 300.0 { "met" } else { "missed" },
    );
    bench.row(
        &format!("CPU while idle on the amount screen ({seconds} s)"),
        format!("{:.2} % of a core", amount_cpu * 100.0),
        "≤ 1 %",
        if amount_cpu <= 0.01 { "met" } else { "missed" },
    );
    bench.row(
        &format!("CPU while waiting on the payment screen, countdown running ({seconds} s)"),
        format!("{:.2} % of a core", payment_cpu * 100.0),
        "≤ 1 %",
        if payment_cpu <= 0.01 { "met" } else { "missed" },
    );
    bench.row(
        "Peak RSS of the terminal process (demo, one sale shown)",
        format!("{:.1} MB", peak as f64 / 1024.0),
        "≤ 40 MB",
        if peak <= 40 * 1024 { "met" } else { "missed" },
    );
}

/// Asks a child to end (SIGTERM) and waits; kills it after 5 s. Xvfb removes its lock file
/// only when asked: a killed one leaves /tmp/.X87-lock behind, and a later run finding that
/// pid reused by another process would not start its display.
fn stop(process: &mut std::process::Child) {
    if let Ok(pid) = libc::pid_t::try_from(process.id()) {
        // SAFETY: kill takes no pointers; the pid is our own child, not yet waited for.
        unsafe { libc::kill(pid, libc::SIGTERM) };
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while matches!(process.try_wait(), Ok(None)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = process.kill();
    let _ = process.wait();
}

/// Starts a fresh Xvfb and the terminal on it, and watches the screen until the first frame
/// is on it: returns both processes and, in ms from the terminal's start, when the last grab
/// that saw no frame began and when the grab that saw it ended.
fn start_on_xvfb(
    binary: &std::path::Path,
    display: &str,
    home: &std::path::Path,
) -> Option<(std::process::Child, std::process::Child, (f64, f64))> {
    use std::process::{Command, Stdio};
    let mut xvfb = Command::new("Xvfb")
        // A black root, so the first frame (the light theme) shows.
        .args([display, "-br", "-screen", "0", "800x480x24"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    std::thread::sleep(Duration::from_millis(800));
    let started = Instant::now();
    let Ok(mut kiosk) = Command::new(binary)
        .env("DISPLAY", display)
        .env("HOME", home)
        .env("SLINT_BACKEND", "winit-software")
        .env_remove("PAYCODE_KIOSK_CONFIG")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    else {
        stop(&mut xvfb);
        return None;
    };
    let mut unseen = 0.0;
    while started.elapsed() < Duration::from_secs(20) && matches!(kiosk.try_wait(), Ok(None)) {
        let grab_began = ms(started.elapsed());
        let shows = Command::new("xwd")
            .args(["-root", "-silent", "-display", display])
            .output()
            .is_ok_and(|grab| shows_theme_background(&grab.stdout));
        if shows {
            return Some((xvfb, kiosk, (unseen, ms(started.elapsed()))));
        }
        unseen = grab_began;
    }
    stop(&mut kiosk);
    stop(&mut xvfb);
    None
}

/// Whether an xwd screen dump (32 bits a pixel) is at least a tenth the theme's background
/// colour, #eef0f3.
fn shows_theme_background(xwd: &[u8]) -> bool {
    let field = |index: usize| {
        xwd.get(index * 4..index * 4 + 4)
            .map(|bytes| u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize)
    };
    let (Some(header), Some(byte_order), Some(bits), Some(colours)) =
        (field(0), field(7), field(11), field(19))
    else {
        return false;
    };
    let Some(pixels) = xwd.get(header + colours * 12..).filter(|_| bits == 32) else {
        return false;
    };
    let background = pixels
        .chunks_exact(4)
        .filter(|pixel| {
            let bytes = [pixel[0], pixel[1], pixel[2], pixel[3]];
            let value = if byte_order == 0 {
                u32::from_le_bytes(bytes)
            } else {
                u32::from_be_bytes(bytes)
            };
            value & 0x00ff_ffff == 0x00ee_f0f3
        })
        .count();
    background * 10 >= pixels.len() / 4
}

/// The share of one core a process used over `seconds`.
fn cpu_share(pid: u32, seconds: u64) -> f64 {
    let ticks = || {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|stat| {
                // Fields after the command name (which may hold spaces): utime is 14, stime 15.
                let rest = stat.rsplit_once(')')?.1;
                let fields: Vec<&str> = rest.split_whitespace().collect();
                Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
            })
            .unwrap_or(0)
    };
    let before = ticks();
    let started = Instant::now();
    std::thread::sleep(Duration::from_secs(seconds));
    // Linux counts these in USER_HZ, 100 a second on x86_64 and arm64.
    let used = ticks().saturating_sub(before) as f64 / 100.0;
    used / started.elapsed().as_secs_f64()
}

/// Where `cargo build --release` puts the terminal; the desktop and size figures use it.
fn release_binary() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/paycode-kiosk")
}

/// The stripped release binary, if one has been built.
fn binary_size(bench: &Bench) {
    let path = release_binary();
    let figure = match std::fs::metadata(&path) {
        Ok(meta) => format!(
            "{:.1} MB (x86_64, {})",
            meta.len() as f64 / 1_048_576.0,
            path.display()
        ),
        Err(_) => "not built (cargo build --release)".into(),
    };
    bench.row("Release binary, stripped", figure, "-", "");
}

fn main() {
    // As the terminal's allocator is set up, so that the memory figures are its own.
    paycode_kiosk::memory::settle_allocator();
    // `cargo bench` passes --bench; under `cargo test` this is the short run.
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|arg| arg == "--quick") || !args.iter().any(|arg| arg == "--bench");
    // Words after `--` that are not flags pick the parts to run, as test filters do:
    // `cargo bench --bench kiosk -- fleet`.
    // `--seed N`, `--sales N`, `--rate R` and `--terminals N` set the soak tool's runs (soak.rs).
    let valued = ["--seed", "--sales", "--rate", "--terminals"];
    let filters: Vec<String> = args
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(at, arg)| !arg.starts_with('-') && !valued.contains(&args[at - 1].as_str()))
        .map(|(_, arg)| arg.clone())
        .collect();
    slint::platform::set_platform(Box::new(TestingBackend::new(TestingBackendOptions {
        mock_time: false,
        threading: true,
        renderer_name: Some("software".into()),
    })))
    .expect("the testing platform");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let identity = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()])
        .expect("a test certificate");
    let sim = runtime
        .block_on(SimulatorHandle::start_with_tls(
            SimulatorOptions::default(),
            SimulatorTls {
                certificate_der: identity.cert.der().to_vec(),
                private_key_der: identity.signing_key.serialize_der(),
            },
        ))
        .expect("simulator");
    let bench = Rc::new(Bench {
        quick,
        runtime: runtime.handle().clone(),
        sim,
        certificate_pem: identity.cert.pem().into_bytes(),
        dir: tempfile::tempdir().expect("tempdir"),
        rows: RefCell::default(),
        filters,
    });
    if bench.runs("receipts") {
        receipts(&bench);
    }
    if bench.runs("metrics") || bench.runs("backup") {
        let year = a_year_of_sales(&bench);
        if bench.runs("metrics") {
            metrics_cost(&bench, &year);
        }
        if bench.runs("backup") {
            backup_cost(&bench, &year);
        }
    }
    let running = Rc::clone(&bench);
    slint::spawn_local(async move {
        // First, so the peak it reports is this run's alone.
        if running.runs("memory") {
            memory(&running).await;
        }
        if running.runs("rendering") {
            rendering(&running);
        }
        if running.runs("charge") {
            charge_to_qr(&running).await;
        }
        if running.runs("paid") {
            polling::paid_detection(&running).await;
        }
        if running.runs("customers") {
            polling::paid_by_customer(&running).await;
        }
        if running.runs("connections") {
            connections(&running).await;
        }
        if running.runs("network-printer") {
            network_receipt(&running).await;
        }
        let _ = slint::quit_event_loop();
    })
    .expect("spawn");
    slint::run_event_loop_until_quit().expect("event loop");
    if bench.runs("fleet") {
        fleet::fleet(&bench);
    }
    if bench.runs("desktop") {
        desktop(&bench);
    }
    if bench.runs("size") {
        binary_size(&bench);
    }
    // The long runs go only when named; the short run tries a few sales of chaos.
    for (name, mode) in [
        ("chaos", soak::Mode::Chaos),
        ("soak", soak::Mode::Soak),
        ("wear", soak::Mode::Wear),
    ] {
        let named = bench.filters.iter().any(|filter| filter == name);
        if named || (quick && bench.filters.is_empty() && mode == soak::Mode::Chaos) {
            soak::run(&bench, &soak::Settings::new(mode, &args, quick));
        }
    }

    let mut report = String::from("| measure | figure | goal | |\n|---|---|---|---|\n");
    for [what, figure, goal, verdict] in bench.rows.borrow().iter() {
        let _ = writeln!(report, "| {what} | {figure} | {goal} | {verdict} |");
    }
    println!(
        "\n{}\n{report}",
        if quick {
            "Short run (--quick)"
        } else {
            "Full run"
        }
    );
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    if std::fs::create_dir_all(&folder).is_ok() {
        let _ = std::fs::write(folder.join("kiosk.md"), report);
    }
}
