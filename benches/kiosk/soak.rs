//! Long runs of the real terminal process against a misbehaving Monime, and what they cost the
//! SD card. Three settings of one tool, each run only when named:
//!
//! - `chaos`: the simulator in chaos mode (`simulate --chaos-seed`), a fifth of its answers
//!   wrong on purpose; every sale must end as the simulator has it, or unknown.
//! - `soak`: chaos at a lower rate, the printer running out of paper and coming back, and the
//!   terminal killed (SIGKILL) every few hundred sales and started again.
//! - `wear`: a plain run on a real disk, counting what the terminal writes (`/proc/PID/io`) and
//!   syncs (`strace -c`) per sale, and what its daily backup writes.
//!
//! `cargo bench --bench kiosk -- soak --seed 7 --sales 10000` (also `--rate 0.05`). Each runs
//! the terminal binary (`CARGO_BIN_EXE_paycode-kiosk`: the release build under `cargo bench`)
//! as the shop does: the screen on Xvfb (software renderer), sales handed to it by `charge`
//! through its control socket, Monime the `simulate` command, the printer a virtual one on a
//! pseudo-terminal in this process. The customer is this process too: it reads the code off
//! `charge`'s output and pays it through the simulator, or cancels, or lets it expire.
//!
//! At the end it checks every promise against the simulator's own record: each sale settled;
//! paid only where the simulator completed the code, expired or cancelled only where it says
//! so, failed only where it made no code, otherwise unknown; one code a sale's key and no code
//! under a key no sale has; each paid sale's receipt printed once (copies aside), none for a
//! sale not paid; `PRAGMA integrity_check` clean; and the terminal never died by itself.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use paycode_kiosk::printer::emulator::StatusAnswers;
use paycode_kiosk::printer::pty::PtyPrinter;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;

use crate::Bench;

/// Which setting of the tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Chaos,
    Soak,
    Wear,
}

/// The run's settings, from the command line after `--`.
#[derive(Debug, Clone)]
pub struct Settings {
    pub mode: Mode,
    pub seed: u64,
    pub sales: usize,
    /// The share of requests chaos answers wrongly (none in `wear`).
    pub rate: f64,
    /// How many terminals sell side by side, each with its own journal, printer and process,
    /// sharing the sales out (`--terminals N`).
    pub terminals: usize,
}

impl Settings {
    pub fn new(mode: Mode, args: &[String], quick: bool) -> Settings {
        let value = |flag: &str| {
            args.iter()
                .position(|arg| arg == flag)
                .and_then(|at| args.get(at + 1))
                .cloned()
        };
        let default_sales = match (mode, quick) {
            (_, true) => 12,
            (Mode::Chaos, false) => 500,
            (Mode::Soak, false) => 10_000,
            (Mode::Wear, false) => 500,
        };
        let default_rate = match mode {
            Mode::Chaos => 0.2,
            Mode::Soak => 0.05,
            Mode::Wear => 0.0,
        };
        Settings {
            mode,
            seed: value("--seed")
                .and_then(|text| text.parse().ok())
                .unwrap_or(1),
            sales: value("--sales")
                .and_then(|text| text.parse().ok())
                .unwrap_or(default_sales),
            rate: value("--rate")
                .and_then(|text| text.parse().ok())
                .filter(|rate: &f64| (0.0..=1.0).contains(rate))
                .unwrap_or(default_rate),
            terminals: value("--terminals")
                .and_then(|text| text.parse().ok())
                .unwrap_or(1),
        }
    }

    fn name(&self) -> &'static str {
        match self.mode {
            Mode::Chaos => "chaos",
            Mode::Soak => "soak",
            Mode::Wear => "wear",
        }
    }
}

/// What the customer does with a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Customer {
    /// Pays at once; the payment completes after this many ms.
    Pays(u64),
    /// The cashier cancels (Ctrl-C to `charge`).
    Cancels,
    /// Nobody pays: the code expires.
    Walks,
}

/// How one `charge` went, as the customer saw it.
#[derive(Debug, Default)]
struct Charge {
    sale: Option<i64>,
    exit: Option<i32>,
    output: String,
    /// The terminal was busy with an earlier sale and refused this one: nothing was started.
    busy: bool,
    /// The terminal was killed while this `charge` ran.
    killed_during_sale: bool,
}

/// A sale's journal row.
#[derive(Debug, Clone)]
struct JournalSale {
    number: i64,
    key: String,
    phase: String,
    receipt: String,
}

/// A code at the simulator.
#[derive(Debug, Clone)]
struct SimCode {
    key: String,
    status: String,
}

/// The terminal process and what has been read of it.
struct Terminal {
    child: Child,
    /// `/proc/PID/io` of each process that has ended (killed or stopped), summed.
    io_done: Io,
    /// The latest reading of the running process.
    io_now: Io,
    started: usize,
    crashed: Vec<String>,
}

/// Counters of `/proc/PID/io`.
#[derive(Debug, Clone, Copy, Default)]
struct Io {
    wchar: u64,
    syscw: u64,
    write_bytes: u64,
}

impl Io {
    fn of(pid: u32) -> Option<Io> {
        let text = std::fs::read_to_string(format!("/proc/{pid}/io")).ok()?;
        let field = |name: &str| {
            text.lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|rest| rest.trim().parse::<u64>().ok())
        };
        Some(Io {
            wchar: field("wchar:")?,
            syscw: field("syscw:")?,
            write_bytes: field("write_bytes:")?,
        })
    }

    fn plus(self, other: Io) -> Io {
        Io {
            wchar: self.wchar + other.wchar,
            syscw: self.syscw + other.syscw,
            write_bytes: self.write_bytes + other.write_bytes,
        }
    }
}

/// Everything the run needs to reach.
struct Shop {
    binary: PathBuf,
    dir: PathBuf,
    config: PathBuf,
    monime: reqwest::Url,
    display: String,
    strace: Option<PathBuf>,
}

impl Shop {
    fn journal(&self) -> PathBuf {
        self.dir.join("journal.sqlite")
    }

    fn socket(&self) -> PathBuf {
        self.dir.join("control.sock")
    }

    fn start_terminal(&self) -> Child {
        let _ = std::fs::remove_file(self.socket());
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("terminal.log"))
            .expect("the terminal's log");
        let mut command = match &self.strace {
            Some(counts) => {
                let mut command = Command::new("strace");
                command
                    .args([
                        "-f",
                        "-c",
                        "-e",
                        "trace=fsync,fdatasync,sync_file_range,msync",
                    ])
                    .arg("-o")
                    .arg(counts)
                    .arg(&self.binary);
                command
            }
            None => Command::new(&self.binary),
        };
        let child = command
            .arg("--config")
            .arg(&self.config)
            .current_dir(&self.dir)
            .env("DISPLAY", &self.display)
            .env("HOME", &self.dir)
            .env("SLINT_BACKEND", "winit-software")
            .env("RUST_LOG", "paycode_kiosk=warn")
            .env_remove("PAYCODE_KIOSK_CONFIG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("the terminal starts");
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::os::unix::net::UnixStream::connect(self.socket()).is_err() {
            assert!(
                Instant::now() < deadline,
                "the terminal opened no control socket within 60 s (see terminal.log)"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        child
    }

    /// The process whose io and memory are the terminal's: the child, or strace's child.
    fn terminal_pid(&self, child: &Child) -> u32 {
        if self.strace.is_none() {
            return child.id();
        }
        std::fs::read_to_string(format!("/proc/{0}/task/{0}/children", child.id()))
            .ok()
            .and_then(|text| text.split_whitespace().next()?.parse().ok())
            .unwrap_or(child.id())
    }

    fn pay(&self, code: &str, processing_ms: u64) -> bool {
        let body = serde_json::json!({ "processing_ms": processing_ms }).to_string();
        http(
            &self.monime,
            "POST",
            &format!("_sim/codes/{code}/pay"),
            &body,
        )
        .is_some_and(|(status, _)| status == 200)
    }
}

/// One request to the simulator's control endpoints over plain HTTP/1.1, the connection
/// closed after it: the status and the body.
fn http(base: &reqwest::Url, method: &str, path: &str, body: &str) -> Option<(u16, String)> {
    use std::io::Write;
    let address = format!("{}:{}", base.host_str()?, base.port()?);
    let mut stream = std::net::TcpStream::connect(address).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .ok()?;
    write!(
        stream,
        "{method} /{path} HTTP/1.1\r\nHost: simulator\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).ok()?;
    let answer = String::from_utf8_lossy(&answer);
    let (head, body) = answer.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, body.to_string()))
}

impl Terminal {
    fn pid(&self, shop: &Shop) -> u32 {
        shop.terminal_pid(&self.child)
    }

    /// Reads the running process's counters; notes and restarts a terminal that died by
    /// itself.
    fn watch(&mut self, shop: &Shop) {
        if let Some(io) = Io::of(self.pid(shop)) {
            self.io_now = io;
        }
        if let Ok(Some(status)) = self.child.try_wait() {
            self.crashed.push(format!(
                "the terminal ended by itself ({status}) after sale {}",
                self.started
            ));
            self.io_done = self.io_done.plus(self.io_now);
            self.io_now = Io::default();
            self.child = shop.start_terminal();
        }
    }

    fn kill_and_restart(&mut self, shop: &Shop) {
        if let Some(io) = Io::of(self.pid(shop)) {
            self.io_now = io;
        }
        signal(self.pid(shop), libc::SIGKILL);
        let _ = self.child.wait();
        self.io_done = self.io_done.plus(self.io_now);
        self.io_now = Io::default();
        self.child = shop.start_terminal();
    }

    fn stop(&mut self, shop: &Shop) {
        if let Some(io) = Io::of(self.pid(shop)) {
            self.io_now = io;
        }
        signal(self.pid(shop), libc::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(20);
        while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.io_done = self.io_done.plus(self.io_now);
        self.io_now = Io::default();
    }
}

fn signal(pid: u32, signal: libc::c_int) {
    if let Ok(pid) = libc::pid_t::try_from(pid) {
        // SAFETY: kill takes no pointers; the pid is a child of this process (or strace's).
        unsafe { libc::kill(pid, signal) };
    }
}

/// Where a run keeps its files: under the target folder, on the machine's disk (not a tmpfs,
/// so the bytes written reach a block device and are counted).
fn run_folder(settings: &Settings) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    let folder = target
        .join("soak")
        .join(format!("{}-{}", settings.name(), settings.seed));
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(&folder).expect("the run's folder");
    folder
}

/// Starts `simulate` and returns it with its address.
fn start_simulator(binary: &Path, settings: &Settings, dir: &Path) -> (Child, reqwest::Url) {
    let log = std::fs::File::create(dir.join("simulator.log")).expect("log");
    let mut command = Command::new(binary);
    command.args(["simulate", "--port", "0", "--processing-ms", "300"]);
    if settings.rate > 0.0 {
        command
            .args(["--chaos-seed", &settings.seed.to_string()])
            .args(["--chaos-rate", &settings.rate.to_string()]);
    }
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .expect("the simulator starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().and_then(Result::ok).unwrap_or_default();
    let url = first
        .rsplit(' ')
        .next()
        .and_then(|url| reqwest::Url::parse(url).ok())
        .expect("the simulator says where it listens");
    // The rest of what it says is drained, so that it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, url)
}

/// Starts Xvfb on the first free display from `:60 + seed % 30` on; `None` if none starts.
fn start_xvfb(seed: u64) -> Option<(Child, String)> {
    for number in (60 + seed % 30)..200 {
        let taken = Path::new(&format!("/tmp/.X{number}-lock")).exists()
            || Path::new(&format!("/tmp/.X11-unix/X{number}")).exists();
        if taken {
            continue;
        }
        let display = format!(":{number}");
        let mut xvfb = Command::new("Xvfb")
            .args([
                display.as_str(),
                "-screen",
                "0",
                "800x480x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        std::thread::sleep(Duration::from_millis(800));
        if matches!(xvfb.try_wait(), Ok(None)) {
            return Some((xvfb, display));
        }
    }
    None
}

/// One `charge`, with the customer playing their part; `kill_after` kills the terminal that
/// long into it.
fn charge(
    shop: &Shop,
    terminal: &mut Terminal,
    amount: &str,
    customer: Customer,
    kill_after: Option<Duration>,
) -> Charge {
    let mut child = Command::new(&shop.binary)
        .arg("--config")
        .arg(&shop.config)
        .args(["charge", amount])
        .current_dir(&shop.dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("charge starts");
    let (lines_in, lines) = mpsc::channel();
    let stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines_in.send(line).is_err() {
                break;
            }
        }
    });
    let mut stderr = child.stderr.take().expect("stderr");
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let started = Instant::now();
    let mut result = Charge::default();
    let mut killed = false;
    // Long enough for a sale that ends unknown (two minutes of "not found") and a cancel
    // Monime never confirms (30 s), with chaos's waits on top.
    let deadline = started + Duration::from_secs(600);
    loop {
        match lines.recv_timeout(Duration::from_millis(20)) {
            Ok(line) => {
                if let Some(number) = line
                    .strip_prefix("Sale ")
                    .and_then(|rest| rest.split(':').next())
                    .and_then(|number| number.parse().ok())
                {
                    result.sale = Some(number);
                }
                if let Some(code) = line
                    .strip_prefix("Code ")
                    .and_then(|rest| rest.split(',').next())
                {
                    match customer {
                        Customer::Pays(ms) => {
                            shop.pay(code, ms);
                        }
                        Customer::Cancels => signal(child.id(), libc::SIGINT),
                        Customer::Walks => {}
                    }
                }
                result.output.push_str(&line);
                result.output.push('\n');
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                if let Ok(status) = child.wait() {
                    result.exit = status.code();
                }
                break;
            }
        }
        if !killed && kill_after.is_some_and(|after| started.elapsed() >= after) {
            killed = true;
            terminal.kill_and_restart(shop);
        }
        if Instant::now() > deadline {
            result
                .output
                .push_str("(charge hung for 10 minutes: killed)\n");
            let _ = child.kill();
        }
    }
    if kill_after.is_some() && !killed {
        // The sale ended before its moment came: the terminal is killed between sales.
        terminal.kill_and_restart(shop);
    }
    result.killed_during_sale = killed;
    let _ = reader.join();
    let errors = errors.join().unwrap_or_default();
    result.busy = errors.contains("the terminal is taking sale");
    result.output.push_str(&errors);
    result
}

/// The journal's sales, read beside the running terminal.
fn journal_sales(path: &Path) -> Vec<JournalSale> {
    let Ok(db) = rusqlite::Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    ) else {
        return Vec::new();
    };
    let _ = db.busy_timeout(Duration::from_secs(5));
    let Ok(mut query) =
        db.prepare("SELECT id, idempotency_key, phase, receipt FROM sales ORDER BY id")
    else {
        return Vec::new();
    };
    query
        .query_map([], |row| {
            Ok(JournalSale {
                number: row.get(0)?,
                key: row.get(1)?,
                phase: row.get(2)?,
                receipt: row.get(3)?,
            })
        })
        .map(|rows| rows.filter_map(Result::ok).collect())
        .unwrap_or_default()
}

fn settled(phase: &str) -> bool {
    matches!(
        phase,
        "paid" | "expired" | "cancelled" | "failed" | "unknown"
    )
}

/// Waits until every sale is settled and no receipt is owed, for at most `within`.
fn wait_for_quiet(shop: &Shop, terminal: &mut Terminal, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    loop {
        terminal.watch(shop);
        let sales = journal_sales(&shop.journal());
        let busy = sales
            .iter()
            .any(|sale| !settled(&sale.phase) || (sale.phase == "paid" && sale.receipt == "owed"));
        if !busy {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// Each sale's original receipts (copies and interrupted pieces aside), and the copies.
fn receipts_printed(printer: &PtyPrinter) -> (HashMap<i64, usize>, usize) {
    let mut originals = HashMap::new();
    let mut copies = 0;
    for document in printer.emulator().documents() {
        let text = document.text();
        if text.contains("*** INTERRUPTED ***") {
            continue;
        }
        let number = text.lines().find_map(|line| {
            let rest = line.trim().strip_prefix("Sale")?;
            rest.trim().parse::<i64>().ok()
        });
        let Some(number) = number else { continue };
        if text.contains("*** COPY ***") {
            copies += 1;
        } else {
            *originals.entry(number).or_insert(0) += 1;
        }
    }
    (originals, copies)
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|line| line.starts_with("VmRSS"))
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|kib| kib.parse().ok())
        .unwrap_or(0)
}

/// What one terminal's lane of the run found.
#[derive(Default)]
struct Lane {
    sales: Vec<JournalSale>,
    originals: HashMap<i64, usize>,
    copies: usize,
    rss: Vec<(usize, u64)>,
    io: Io,
    fsyncs: Option<BTreeMap<String, u64>>,
    kills: usize,
    /// Of those, while a `charge` ran (the others came between sales).
    kills_during_sales: usize,
    paper_outs: usize,
    refused_busy: usize,
    /// Times `recover` was run because the terminal refused sales for 90 s.
    recovers: usize,
    crashed: Vec<String>,
    wrong_exits: Vec<String>,
    exits: BTreeMap<String, usize>,
    integrity: String,
    quiet: bool,
    journal_bytes: u64,
    backup_bytes: u64,
    /// The daily backup of the journal as the run left it, in bytes.
    last_backup_bytes: u64,
}

/// Sells `sales` sales on one terminal of its own (journal, printer, control socket), killing
/// it and taking its paper as the mode says, then settles and reads what it did.
fn lane(
    settings: &Settings,
    index: usize,
    sales: usize,
    monime: &reqwest::Url,
    display: &str,
    dir: &Path,
) -> Lane {
    let binary = dir.join("paycode-kiosk");
    let dir = dir.join(format!("terminal-{index}"));
    std::fs::create_dir_all(&dir).expect("the terminal's folder");
    let have_strace = Command::new("sh")
        .args(["-c", "command -v strace"])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    let printer = PtyPrinter::start(32, Some(StatusAnswers::READY)).expect("virtual printer");
    let metrics = dir.join("metrics");
    std::fs::create_dir_all(&metrics).expect("metrics folder");
    let config = dir.join("config.toml");
    // A code lives 20 s, so a customer who walks away costs the run little; checks every
    // 250 ms, the shortest the terminal allows. The wear run writes the metrics file, as a
    // terminal beside node_exporter does.
    std::fs::write(
        &config,
        format!(
            "[monime]\nbase_url = \"{monime}\"\nspace_id = \"{}\"\naccess_token = \"{}\"\n\
             code_duration = \"20s\"\n\n[kiosk]\nmerchant_name = \"Soak Shop\"\n\
             terminal_id = \"SOAK-{index}\"\npoll_interval_ms = 250\n\n[printer]\ndevice = \"{}\"\n\n\
             [storage]\npath = \"journal.sqlite\"\n\n[metrics]\ntextfile_dir = \"{}\"\n",
            paycode_kiosk::simulator::DEMO_SPACE_ID,
            paycode_kiosk::simulator::DEMO_ACCESS_TOKEN,
            printer.path().display(),
            if settings.mode == Mode::Wear {
                metrics.display().to_string()
            } else {
                String::new()
            },
        ),
    )
    .expect("config");
    let shop = Shop {
        binary,
        dir: dir.clone(),
        config,
        monime: monime.clone(),
        display: display.to_string(),
        strace: (settings.mode == Mode::Wear && have_strace).then(|| dir.join("fsyncs.txt")),
    };
    let mut random = StdRng::seed_from_u64(settings.seed.wrapping_add(index as u64 * 7919));
    let mut terminal = Terminal {
        child: shop.start_terminal(),
        io_done: Io::default(),
        io_now: Io::default(),
        started: 0,
        crashed: Vec::new(),
    };
    let soak = settings.mode == Mode::Soak;
    let mut found = Lane::default();
    let mut next_kill = random.random_range(150..450usize).min(sales / 2);
    let mut next_paper_out = random.random_range(100..300usize);
    let mut paper_back_at = None;
    let began = Instant::now();
    let mut busy_since: Option<Instant> = None;
    let mut done = 0;
    while done < sales {
        terminal.watch(&shop);
        if soak && paper_back_at.is_none() && done >= next_paper_out {
            printer.set_status(Some(StatusAnswers::PAPER_OUT));
            found.paper_outs += 1;
            // A few sales without paper: each paid one's `charge` waits 15 s for its receipt
            // before leaving it owed, so a long outage would mostly measure that wait.
            paper_back_at = Some(done + random.random_range(2..8usize));
        }
        if paper_back_at.is_some_and(|at| done >= at) {
            printer.set_status(Some(StatusAnswers::READY));
            paper_back_at = None;
            next_paper_out = done + random.random_range(200..500usize);
        }
        let customer = match (settings.mode, random.random_range(0..100)) {
            (Mode::Wear, _) => Customer::Pays(300),
            (_, 0..=2) => Customer::Cancels,
            (_, 3) => Customer::Walks,
            (_, _) => Customer::Pays(random.random_range(0..1000)),
        };
        let kill_after = (soak && done == next_kill)
            .then(|| Duration::from_millis(random.random_range(0..4000)));
        let minor: i64 = random.random_range(100..50_000);
        let amount = format!("{}.{:02}", minor / 100, minor % 100);
        let result = charge(&shop, &mut terminal, &amount, customer, kill_after);
        if kill_after.is_some() {
            found.kills += 1;
            found.kills_during_sales += usize::from(result.killed_during_sale);
            next_kill = done + random.random_range(150..450usize);
        }
        if result.busy {
            // An earlier sale (one a kill interrupted) is still being settled.
            found.refused_busy += 1;
            let since = *busy_since.get_or_insert_with(Instant::now);
            if since.elapsed() > Duration::from_secs(90) {
                // A sale whose cancel Monime never confirmed is left for `recover`, and the
                // terminal takes no `charge` until then: the technician runs it.
                found.recovers += 1;
                let recovered = Command::new(&shop.binary)
                    .arg("--config")
                    .arg(&shop.config)
                    .arg("recover")
                    .current_dir(&shop.dir)
                    .stdin(Stdio::null())
                    .output();
                println!(
                    "terminal {index}: refused for 90 s, recover ran: {:?}",
                    recovered.map(|out| out.status)
                );
                busy_since = None;
            }
            std::thread::sleep(Duration::from_millis(500));
            continue;
        }
        busy_since = None;
        done += 1;
        terminal.started = done;
        let exit = match result.exit {
            Some(code) => code.to_string(),
            None => "signal".into(),
        };
        *found.exits.entry(exit).or_default() += 1;
        // What `charge` said must match what the customer did, unless the terminal was killed
        // under it (then the journal and the simulator are checked at the end).
        let expected: &[i32] = match customer {
            Customer::Pays(_) => &[0, 4],
            Customer::Cancels => &[3, 0, 4],
            Customer::Walks => &[2, 4],
        };
        if kill_after.is_none() && !result.exit.is_some_and(|code| expected.contains(&code)) {
            found.wrong_exits.push(format!(
                "terminal {index} sale {:?} ({customer:?}) exited {:?}:\n{}",
                result.sale, result.exit, result.output
            ));
        }
        found.rss.push((done, rss_kib(terminal.pid(&shop))));
        if done % 250 == 0 {
            println!(
                "{} terminal {index}: {done} sales, {:.0} s, {} kills, RSS {} KiB",
                settings.name(),
                began.elapsed().as_secs_f64(),
                found.kills,
                found.rss.last().map_or(0, |(_, kib)| *kib)
            );
        }
    }
    printer.set_status(Some(StatusAnswers::READY));
    found.quiet = wait_for_quiet(&shop, &mut terminal, Duration::from_secs(600));
    terminal.stop(&shop);
    found.io = terminal.io_done;
    found.crashed = terminal.crashed;
    found.sales = journal_sales(&shop.journal());
    (found.originals, found.copies) = receipts_printed(&printer);
    found.integrity = rusqlite::Connection::open(shop.journal())
        .and_then(|db| db.query_row("PRAGMA integrity_check", [], |row| row.get(0)))
        .unwrap_or_else(|error| error.to_string());
    found.fsyncs = shop
        .strace
        .as_ref()
        .and_then(|path| std::fs::read_to_string(path).ok())
        .map(|text| fsync_counts(&text));
    found.journal_bytes = file_size(&shop.journal());
    found.backup_bytes = std::fs::read_dir(dir.join("backups"))
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| file_size(&entry.path()))
                .sum()
        })
        .unwrap_or(0);
    found.last_backup_bytes = backup_now(&shop.journal());
    found
}

/// Runs the tool with `settings` and adds its rows to the bench's table.
pub fn run(bench: &Bench, settings: &Settings) {
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_paycode-kiosk"));
    let have_xvfb = Command::new("sh")
        .args(["-c", "command -v Xvfb"])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !have_xvfb {
        bench.row(
            &format!("{} run", settings.name()),
            "not run: needs Xvfb (apt-get install xvfb)".into(),
            "-",
            "",
        );
        return;
    }
    let dir = run_folder(settings);
    // The run keeps its own copy, so that a build during it changes nothing under it.
    let copy = dir.join("paycode-kiosk");
    std::fs::copy(&binary, &copy).expect("a copy of the terminal binary");
    let binary = copy;
    let Some((mut xvfb, display)) = start_xvfb(settings.seed) else {
        bench.row(
            &format!("{} run", settings.name()),
            "not run: Xvfb would not start".into(),
            "-",
            "",
        );
        return;
    };
    let (mut simulator, monime) = start_simulator(&binary, settings, &dir);
    let began = Instant::now();
    let terminals = settings.terminals.max(1);
    let lanes: Vec<Lane> = std::thread::scope(|scope| {
        let running: Vec<_> = (0..terminals)
            .map(|index| {
                // The sales shared out, the first terminals taking what does not divide.
                let sales =
                    settings.sales / terminals + usize::from(index < settings.sales % terminals);
                let (monime, display, dir) = (&monime, &display, &dir);
                scope.spawn(move || lane(settings, index, sales, monime, display, dir))
            })
            .collect();
        running
            .into_iter()
            .map(|lane| lane.join().expect("a lane of the run"))
            .collect()
    });
    let elapsed = began.elapsed();

    // The simulator's record.
    let codes: Vec<SimCode> = http(&monime, "GET", "_sim/codes", "")
        .and_then(|(_, body)| serde_json::from_str::<Value>(&body).ok())
        .and_then(|body| {
            body["result"].as_array().map(|codes| {
                codes
                    .iter()
                    .map(|code| SimCode {
                        key: code["idempotency_key"].as_str().unwrap_or("").to_string(),
                        status: code["status"].as_str().unwrap_or("").to_string(),
                    })
                    .collect()
            })
        })
        .unwrap_or_default();
    let tally = http(&monime, "GET", "_sim/chaos", "")
        .and_then(|(_, body)| serde_json::from_str::<Value>(&body).ok())
        .map(|body| body["result"].clone())
        .unwrap_or(Value::Null);
    stop_child(&mut simulator);
    stop_child(&mut xvfb);

    let mut by_key: HashMap<&str, Vec<&SimCode>> = HashMap::new();
    for code in &codes {
        by_key.entry(code.key.as_str()).or_default().push(code);
    }
    let mut wrong = Vec::new();
    let mut outcomes: BTreeMap<&str, usize> = BTreeMap::new();
    let mut keys = std::collections::HashSet::new();
    for (index, lane) in lanes.iter().enumerate() {
        for sale in &lane.sales {
            keys.insert(sale.key.as_str());
            *outcomes.entry(sale.phase.as_str()).or_default() += 1;
            let found = by_key.get(sale.key.as_str()).map_or(&[][..], Vec::as_slice);
            if found.len() > 1 {
                wrong.push(format!(
                    "terminal {index} sale {}: {} codes",
                    sale.number,
                    found.len()
                ));
            }
            let status = found.first().map(|code| code.status.as_str());
            let right = match sale.phase.as_str() {
                "paid" => status == Some("completed"),
                "expired" => status == Some("expired"),
                "cancelled" => status == Some("cancelled"),
                "failed" => status.is_none(),
                "unknown" => true,
                _ => false,
            };
            if !right {
                wrong.push(format!(
                    "terminal {index} sale {}: {} here, {:?} at the simulator",
                    sale.number, sale.phase, status
                ));
            }
            let printed = lane.originals.get(&sale.number).copied().unwrap_or(0);
            if printed != usize::from(sale.phase == "paid") {
                wrong.push(format!(
                    "terminal {index} sale {} ({}): {printed} receipts printed, receipt {}",
                    sale.number, sale.phase, sale.receipt
                ));
            }
        }
        if lane.integrity != "ok" {
            wrong.push(format!(
                "terminal {index}: integrity_check {}",
                lane.integrity
            ));
        }
        if !lane.quiet {
            wrong.push(format!(
                "terminal {index}: not settled within 10 minutes of its last sale"
            ));
        }
    }
    let strays = codes
        .iter()
        .filter(|code| !keys.contains(code.key.as_str()))
        .count();
    if strays > 0 {
        wrong.push(format!("{strays} codes under keys no sale has"));
    }
    let sold: usize = lanes.iter().map(|lane| lane.sales.len()).sum();
    let kills: usize = lanes.iter().map(|lane| lane.kills).sum();
    let kills_during_sales: usize = lanes.iter().map(|lane| lane.kills_during_sales).sum();
    let paper_outs: usize = lanes.iter().map(|lane| lane.paper_outs).sum();
    let refused_busy: usize = lanes.iter().map(|lane| lane.refused_busy).sum();
    let recovers: usize = lanes.iter().map(|lane| lane.recovers).sum();
    let copies: usize = lanes.iter().map(|lane| lane.copies).sum();
    let originals: usize = lanes
        .iter()
        .map(|lane| lane.originals.values().sum::<usize>())
        .sum();
    let crashed: Vec<&String> = lanes.iter().flat_map(|lane| &lane.crashed).collect();
    let wrong_exits: Vec<&String> = lanes.iter().flat_map(|lane| &lane.wrong_exits).collect();
    let mut exits: BTreeMap<&str, usize> = BTreeMap::new();
    for lane in &lanes {
        for (exit, count) in &lane.exits {
            *exits.entry(exit.as_str()).or_default() += count;
        }
    }

    // Memory: each terminal's first and last thousand sales (a tenth of a shorter run).
    let per_lane = settings.sales / terminals;
    let span = (per_lane / 10).clamp(1, 1000);
    let mean = |from: usize, to: usize| {
        let readings: Vec<u64> = lanes
            .iter()
            .flat_map(|lane| &lane.rss)
            .filter(|(sale, kib)| *sale > from && *sale <= to && *kib > 0)
            .map(|(_, kib)| *kib)
            .collect();
        readings.iter().sum::<u64>() as f64 / readings.len().max(1) as f64
    };
    let first = mean(0, span);
    let last = mean(per_lane.saturating_sub(span), per_lane);
    let peak = lanes
        .iter()
        .flat_map(|lane| &lane.rss)
        .map(|(_, kib)| *kib)
        .max()
        .unwrap_or(0);
    for (index, lane) in lanes.iter().enumerate() {
        let _ = std::fs::write(
            dir.join(format!("rss-{index}.csv")),
            lane.rss
                .iter()
                .map(|(sale, kib)| format!("{sale},{kib}\n"))
                .collect::<String>(),
        );
    }

    // Wear: what the terminals wrote per sale, and their syncs.
    let io = lanes
        .iter()
        .fold(Io::default(), |sum, lane| sum.plus(lane.io));
    let per_sale = |total: u64| total as f64 / sold.max(1) as f64;
    let syncs: Option<u64> = lanes
        .iter()
        .map(|lane| {
            lane.fsyncs
                .as_ref()
                .map(|counts| counts.values().sum::<u64>())
        })
        .sum();
    let journal_bytes: u64 = lanes.iter().map(|lane| lane.journal_bytes).sum();
    let backup_bytes: u64 = lanes.iter().map(|lane| lane.backup_bytes).sum();
    let last_backup_bytes: u64 = lanes.iter().map(|lane| lane.last_backup_bytes).sum();

    let name = settings.name();
    let faults: Vec<String> = tally
        .as_object()
        .map(|map| {
            map.iter()
                .map(|(kind, count)| format!("{kind} {count}"))
                .collect()
        })
        .unwrap_or_default();
    let faults_total: u64 = tally
        .as_object()
        .map(|map| map.values().filter_map(Value::as_u64).sum())
        .unwrap_or(0);
    let outcome_text: Vec<String> = outcomes
        .iter()
        .map(|(phase, count)| format!("{phase} {count}"))
        .collect();
    println!(
        "\n{name}, seed {}, {sold} sales on {terminals} terminal(s), chaos rate {}",
        settings.seed, settings.rate
    );
    println!(
        "  time: {:.0} s selling and settling",
        elapsed.as_secs_f64()
    );
    println!("  outcomes: {}", outcome_text.join(", "));
    println!(
        "  charge exits: {exits:?}; refused while busy {refused_busy}; recover run {recovers} times"
    );
    println!("  faults injected: {faults_total} ({})", faults.join(", "));
    println!(
        "  codes at the simulator: {}, under keys no sale has: {strays}",
        codes.len()
    );
    println!(
        "  receipts: {originals} originals for {} paid sales, {copies} copies",
        outcomes.get("paid").copied().unwrap_or(0)
    );
    println!(
        "  kills: {kills} ({kills_during_sales} while a charge ran), paper outs: {paper_outs}, crashes: {}",
        crashed.len()
    );
    for crash in &crashed {
        println!("    {crash}");
    }
    let integrity: Vec<&str> = lanes.iter().map(|lane| lane.integrity.as_str()).collect();
    println!(
        "  integrity_check: {integrity:?}; all settled in time: {}",
        lanes.iter().all(|lane| lane.quiet)
    );
    println!(
        "  RSS: first {span} sales of each terminal {:.1} MB, last {span} {:.1} MB ({:+.1} %), peak {:.1} MB",
        first / 1024.0,
        last / 1024.0,
        (last - first) / first.max(1.0) * 100.0,
        peak as f64 / 1024.0
    );
    println!(
        "  written: {:.0} write_bytes, {:.0} wchar, {:.1} write calls per sale; journals {journal_bytes} bytes, backups {backup_bytes} bytes",
        per_sale(io.write_bytes),
        per_sale(io.wchar),
        per_sale(io.syscw),
    );
    println!(
        "  a daily backup of the journals as they ended: {last_backup_bytes} bytes ({:.0} a sale, {:.1} times smaller than the journals)",
        per_sale(last_backup_bytes),
        journal_bytes as f64 / last_backup_bytes.max(1) as f64,
    );
    for (index, lane) in lanes.iter().enumerate() {
        if let Some(counts) = &lane.fsyncs {
            println!("  terminal {index} syncs: {counts:?}");
        }
    }
    if let Some(total) = syncs {
        println!("  syncs: {:.2} per sale", per_sale(total));
    }
    for line in wrong.iter().take(40) {
        println!("  WRONG: {line}");
    }
    for line in wrong_exits.iter().take(20) {
        println!("  EXIT: {line}");
    }

    let verdict = |ok: bool| if ok { "met" } else { "missed" };
    let promises = wrong.is_empty() && crashed.is_empty() && wrong_exits.is_empty();
    let soak = settings.mode == Mode::Soak;
    bench.row(
        &format!(
            "{name}: seed {}, {sold} sales on {terminals} terminal(s), chaos rate {}{}",
            settings.seed,
            settings.rate,
            if soak {
                format!(", {kills} kills, {paper_outs} paper outs")
            } else {
                String::new()
            }
        ),
        format!(
            "{:.0} s; {}; {faults_total} faults; {} wrong, {} crashes",
            elapsed.as_secs_f64(),
            outcome_text.join(", "),
            wrong.len() + wrong_exits.len(),
            crashed.len()
        ),
        "every sale settled and right, one code and one receipt each, no crash",
        verdict(promises),
    );
    if settings.mode != Mode::Wear {
        let growth = (last - first) / first.max(1.0) * 100.0;
        bench.row(
            &format!("{name}: terminal RSS, first vs last {span} sales"),
            format!(
                "{:.1} MB → {:.1} MB ({growth:+.1} %), peak {:.1} MB",
                first / 1024.0,
                last / 1024.0,
                peak as f64 / 1024.0
            ),
            "flat (≤ +5 %)",
            verdict(growth <= 5.0),
        );
    } else {
        bench.row(
            &format!("wear: {sold} sales"),
            format!(
                "{:.1} KiB written (write_bytes), {:.1} KiB wchar, {:.1} write calls, {} syncs a sale; journal {:.0} bytes a sale, its daily backup {:.0}",
                per_sale(io.write_bytes) / 1024.0,
                per_sale(io.wchar) / 1024.0,
                per_sale(io.syscw),
                syncs.map_or("?".into(), |total| format!("{:.1}", per_sale(total))),
                per_sale(journal_bytes),
                per_sale(last_backup_bytes),
            ),
            "docs/RELIABILITY.md: card wear",
            "",
        );
    }
}

/// Calls by name from `strace -c`'s table.
fn fsync_counts(text: &str) -> BTreeMap<String, u64> {
    text.lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            // "% time seconds usecs/call calls [errors] syscall"
            let name = fields.last()?;
            if !name.contains("sync") || fields.len() < 5 {
                return None;
            }
            let calls = fields.get(3)?.parse().ok()?;
            Some((name.to_string(), calls))
        })
        .collect()
}

/// The size of the daily backup the terminal would make of `journal` now, its last sale
/// settled (made for a day no run has, then left beside the others).
fn backup_now(journal: &Path) -> u64 {
    let day = chrono::NaiveDate::from_ymd_opt(2099, 12, 31).expect("a date");
    paycode_kiosk::journal::Journal::open(journal)
        .and_then(|journal| journal.back_up_daily(day))
        .ok()
        .flatten()
        .map_or(0, |backup| file_size(&backup))
}

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|meta| meta.len()).unwrap_or(0)
}

fn stop_child(child: &mut Child) {
    signal(child.id(), libc::SIGTERM);
    let deadline = Instant::now() + Duration::from_secs(5);
    while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}
