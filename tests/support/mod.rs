//! What the tests that run the real binary share: running it, and a configuration for the
//! simulator (and a virtual printer) in a folder of its own.
#![allow(dead_code)] // Each test file uses its own part of this.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use paycode_kiosk::printer::pty::PtyPrinter;
use paycode_kiosk::simulator::{SimulatorHandle, SimulatorOptions};

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

/// A simulator, and a configuration for it in a folder of its own.
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

/// Starts a simulator with `options` and writes a configuration for it; `extra_monime` goes in
/// `[monime]`.
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
