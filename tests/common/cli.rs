//! What the command-line tests share: the real binary, its output, a configuration for a
//! simulator, and a terminal serving its control socket.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::Duration;

use paycode_kiosk::control::Handler;
use paycode_kiosk::printer::pty::PtyPrinter;
use paycode_kiosk::simulator::{Endpoint, Fault, FaultRule, SimulatorHandle, SimulatorOptions};
use paycode_kiosk::terminal::{Launch, open_for_command};
use tokio::task::JoinHandle;

pub fn kiosk() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_paycode-kiosk"));
    command
        .env_remove("PAYCODE_KIOSK_CONFIG")
        .env_remove("MONIME_ACCESS_TOKEN")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null());
    command
}

pub async fn run(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || kiosk().args(args).output().expect("the binary runs"))
        .await
        .expect("task")
}

pub fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

pub fn args(items: &[&str], config: &Path) -> Vec<String> {
    let mut all: Vec<String> = items.iter().map(|item| item.to_string()).collect();
    all.push("--config".into());
    all.push(config.display().to_string());
    all
}

pub struct Setup {
    pub sim: SimulatorHandle,
    pub config: PathBuf,
    pub dir: tempfile::TempDir,
}

impl Setup {
    /// The journal the configuration names.
    pub fn journal(&self) -> PathBuf {
        self.dir.path().join("journal.sqlite")
    }
}

pub async fn setup(options: SimulatorOptions, extra_monime: &str) -> Setup {
    let sim = SimulatorHandle::start(options).await.expect("simulator");
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config.toml");
    std::fs::write(
        dir.path().join("token"),
        format!("{}\n", paycode_kiosk::simulator::DEMO_ACCESS_TOKEN),
    )
    .expect("token");
    std::fs::write(
        &config,
        format!(
            "[monime]\nbase_url = \"{}\"\nspace_id = \"{}\"\naccess_token_file = \"token\"\n{extra_monime}\n\
             [kiosk]\nmerchant_name = \"Mama Salone Shop\"\npoll_interval_ms = 250\nmax_amount = 1000\n\
             [storage]\npath = \"journal.sqlite\"\n",
            sim.base_url(),
            paycode_kiosk::simulator::DEMO_SPACE_ID,
        ),
    )
    .expect("config");
    Setup { sim, config, dir }
}

/// Adds a 42-column printer at 9600 baud, the virtual one behind `pty`, to `config`.
pub fn add_printer(config: &Path, pty: &PtyPrinter) {
    let mut text = std::fs::read_to_string(config).expect("config");
    text.push_str(&format!(
        "[printer]\ndevice = \"{}\"\nwidth_chars = 42\nbaud = 9600\n",
        pty.path().display()
    ));
    std::fs::write(config, text).expect("config");
}

/// A copy of the setup's configuration, as `NAME.toml` beside it, with `section` as its
/// `[printer]` section.
pub fn with_printer(setup: &Setup, name: &str, section: &str) -> PathBuf {
    let base = std::fs::read_to_string(&setup.config).expect("config");
    let config = setup.dir.path().join(format!("{name}.toml"));
    std::fs::write(&config, format!("{base}[printer]\n{section}\n")).expect("config");
    config
}

/// Runs `charge` with `extra` arguments; on the first line containing `signal_on`, SIGTERM.
/// Gives the exit status, stdout, stderr, and how long the exit took after the signal.
pub async fn charge_until(
    config: &Path,
    extra: &[&str],
    signal_on: &'static str,
) -> (std::process::ExitStatus, String, String, Option<Duration>) {
    let mut command = kiosk();
    command
        .arg("charge")
        .args(extra)
        .arg("--config")
        .arg(config)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    tokio::task::spawn_blocking(move || {
        let mut child = command.spawn().expect("charge");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = Vec::new();
        let mut signalled = None;
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("line");
            if signalled.is_none() && line.contains(signal_on) {
                let status = Command::new("kill")
                    .args(["-TERM", &child.id().to_string()])
                    .status();
                assert!(status.expect("kill runs").success());
                signalled = Some(std::time::Instant::now());
            }
            lines.push(line);
        }
        let output = child.wait_with_output().expect("exit");
        let took = signalled.map(|at| at.elapsed());
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        (output.status, lines.join("\n"), stderr, took)
    })
    .await
    .expect("task")
}

pub fn every_time(endpoint: Endpoint, fault: Fault) -> FaultRule {
    FaultRule {
        endpoint,
        fault,
        times: 10_000,
    }
}

/// Opens the terminal `config` names, as the running one does, and serves its control socket
/// with `handler` on the current runtime. Gives the socket once it listens, and the server.
pub async fn serving(config: &Path, handler: Handler) -> (PathBuf, JoinHandle<Result<(), String>>) {
    let shop = open_for_command(&Launch::with_config(config))
        .await
        .expect("the terminal");
    let socket = shop.settings().control_socket.clone();
    let server = tokio::spawn(paycode_kiosk::control::serve(Arc::new(shop), handler));
    assert!(
        super::printing::wait_until(|| socket.exists()).await,
        "the terminal never listened on {}",
        socket.display()
    );
    (socket, server)
}
