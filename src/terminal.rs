//! The composition root: the one place where a running terminal is built from a checked
//! `Config`. It opens the journal, makes the Monime client, starts the printer queue with the
//! receipt style, in demo mode starts the simulator the configuration points at, and hands each
//! part its own settings (the shop's, the screen's, the printer's, the client's). The screen
//! (`ui`) and the command line (`cli`) both start from here; nothing below this module reads
//! the configuration.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::Local;

use crate::config::{Config, ConfigError};
use crate::controller::{Receipts, Services};
use crate::journal::{Journal, JournalError, OwnerError, OwnerLock, keep_daily_backups};
use crate::lang::SharedLanguage;
use crate::monime::{MonimeClient, MonimeError};
use crate::printer::{ReceiptStyle, SpoolTiming};
use crate::sale::{CodeShape, Timing};
use crate::shop::{DEMO_PAYMENT_TAKES, ScreenSettings, Shop, ShopParts, ShopSettings};
use crate::simulator::{DEMO_ACCESS_TOKEN, DEMO_SPACE_ID, SimulatorHandle, SimulatorOptions};

/// How long a demo customer of a command takes to start paying.
const DEMO_PAYS_AFTER: Duration = Duration::from_secs(6);

/// How this process was started: the configuration it was pointed at, and whether demo mode
/// (the built-in simulator, a green PAID for money that never moved) may stand in for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launch {
    /// `--config FILE`; `None` looks at `$PAYCODE_KIOSK_CONFIG`, then the system file.
    pub config_path: Option<PathBuf>,
    pub demo: DemoMode,
}

/// When the built-in simulator stands in for Monime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoMode {
    /// `--demo`: asked for, whatever configuration there is.
    Asked,
    /// A developer's desktop session (`cargo run`): when no configuration is found.
    WithoutConfiguration,
    /// Anywhere else (under systemd, on the device, over SSH): never. A missing configuration
    /// is a problem that `setup` fixes.
    Never,
}

impl Launch {
    /// As the command line and this process's surroundings say: demo mode when asked, or on a
    /// developer's desktop with no configuration.
    pub fn from_command_line(config_path: Option<PathBuf>, demo_asked: bool) -> Launch {
        let demo = if demo_asked {
            DemoMode::Asked
        } else if developers_desktop(|name| std::env::var_os(name), std::process::id()) {
            DemoMode::WithoutConfiguration
        } else {
            DemoMode::Never
        };
        Launch { config_path, demo }
    }

    /// The configuration at `path`, never demo mode.
    pub fn with_config(path: &Path) -> Launch {
        Launch {
            config_path: Some(path.to_path_buf()),
            demo: DemoMode::Never,
        }
    }

    /// The configuration to run with: `None` for demo mode, or why there is none.
    pub fn configuration(&self) -> Result<Option<Config>, OpenError> {
        if self.demo == DemoMode::Asked {
            return Ok(None);
        }
        match (Config::find(self.config_path.as_deref())?, self.demo) {
            (Some(config), _) => Ok(Some(config)),
            (None, DemoMode::WithoutConfiguration) => Ok(None),
            (None, _) => Err(OpenError::NotSetUp),
        }
    }
}

/// Whether this process (`pid`) runs in a developer's desktop session: the desktop build, in a
/// graphical session, and not itself a systemd service. A service's own process is the one
/// `SYSTEMD_EXEC_PID` names; a shell in a terminal emulator that runs as a user service inherits
/// the variable with another process's number, so `cargo run` there is still a desktop. A
/// terminal's unit, the device build and an SSH session without a display are not.
fn developers_desktop(variable: impl Fn(&str) -> Option<std::ffi::OsString>, pid: u32) -> bool {
    let set = |name: &str| variable(name).is_some_and(|value| !value.is_empty());
    let a_service = variable("SYSTEMD_EXEC_PID")
        .and_then(|value| value.to_str()?.parse::<u32>().ok())
        == Some(pid);
    cfg!(feature = "desktop") && !a_service && (set("DISPLAY") || set("WAYLAND_DISPLAY"))
}

/// Why a terminal could not be opened, by kind, so the screen can say what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error(transparent)]
    Monime(#[from] MonimeError),
    /// Another process owns the journal.
    #[error("{0}")]
    Owned(String),
    /// No configuration, and demo mode was not asked for.
    #[error(
        "this terminal is not set up yet: no configuration at --config, ${}, or {}; run `sudo paycode-kiosk setup`",
        crate::config::CONFIG_ENV,
        crate::config::SYSTEM_CONFIG_PATH
    )]
    NotSetUp,
    #[error("{0}")]
    Other(String),
}

impl From<OwnerError> for OpenError {
    fn from(error: OwnerError) -> OpenError {
        match error {
            OwnerError::Owned(message) => OpenError::Owned(message),
            OwnerError::Other(message) => OpenError::Other(message),
        }
    }
}

/// Who opens the terminal, and so what it may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Opener {
    /// The screen: owns the journal and the printer, keeps the backups; in demo mode the
    /// customer pays when the cashier taps the demo button.
    Screen,
    /// A command that sells or prints, with no terminal running: owns the journal and the
    /// printer while it runs; in demo mode the customer pays every code by itself.
    Command,
    /// A command that only reads (`history`, `report`): reads the journal beside a running
    /// terminal and never opens the printer.
    Reader,
}

/// For a command that sells or prints while no terminal runs.
pub async fn open_for_command(launch: &Launch) -> Result<Shop, OpenError> {
    open(launch, Opener::Command).await
}

/// For the screen. The running terminal also keeps the journal's daily backups, and settles
/// the refunds left unsettled.
pub async fn open_for_screen(launch: &Launch) -> Result<Shop, OpenError> {
    let shop = open(launch, Opener::Screen).await?;
    tokio::spawn(keep_daily_backups(shop.journal().clone()));
    crate::metrics::keep_writing(&shop);
    // A refund a power cut or a killed command left unsettled goes on (under its one key).
    shop.settle_refunds_in_background();
    Ok(shop)
}

/// For a command that only reads the journal: no lock, no printer, nothing resumed.
pub async fn open_for_reading(launch: &Launch) -> Result<Shop, OpenError> {
    open(launch, Opener::Reader).await
}

async fn open(launch: &Launch, opener: Opener) -> Result<Shop, OpenError> {
    let (config, simulator) = match launch.configuration()? {
        Some(config) => {
            let origin = &config.monime.token_origin;
            if let Some(warning) = crate::config::token_exposed(origin, config.source.as_deref()) {
                tracing::warn!("{warning}");
            }
            (config, None)
        }
        None => {
            let simulator = SimulatorHandle::start(SimulatorOptions {
                auto_pay_after: (opener != Opener::Screen).then_some(DEMO_PAYS_AFTER),
                processing_time: DEMO_PAYMENT_TAKES,
                ..SimulatorOptions::default()
            })
            .await
            .map_err(|error| {
                OpenError::Other(format!("the demo simulator cannot start: {error}"))
            })?;
            let config = Config::demo(
                &simulator.base_url(),
                (DEMO_SPACE_ID, DEMO_ACCESS_TOKEN),
                &crate::config::demo_data_dir(),
            )?;
            (config, Some(simulator))
        }
    };
    let journal_path = &config.storage.path;
    let (owner, journal, journal_moved_aside) = if opener == Opener::Reader {
        (None, Journal::open(journal_path)?, None)
    } else {
        let owner = OwnerLock::take(journal_path)?;
        let opened = Journal::open_or_start_afresh(journal_path, Local::now())?;
        (Some(owner), opened.journal, opened.moved_aside)
    };
    let language = SharedLanguage::new(journal.chosen_language()?.unwrap_or(config.kiosk.language));
    // The client's clock learns Monime's time; sales, receipts and reports are dated by it.
    let client = MonimeClient::new(config.monime.client.clone())?;
    let printer = match opener {
        Opener::Reader => None,
        Opener::Screen | Opener::Command => crate::printer::start(
            config.printer.as_ref(),
            ReceiptStyle {
                language: language.clone(),
                ..receipt_style(&config)
            },
            &journal,
            SpoolTiming::default(),
            client.clock().clone(),
        )
        .map_err(OpenError::Other)?,
    };
    let services = Services {
        client,
        journal,
        timing: Timing::new(config.kiosk.poll_interval),
        receipts: printer
            .clone()
            .map_or(Receipts::NoPrinter, Receipts::Printer),
        tallies: Default::default(),
    };
    services.recall_throttled()?;
    Ok(Shop::new(ShopParts {
        settings: shop_settings(&config),
        services,
        printer,
        simulator,
        language,
        journal_moved_aside,
        owner,
    }))
}

/// The shop's settings, and its screen's, as the configuration gives them.
fn shop_settings(config: &Config) -> ShopSettings {
    let kiosk = &config.kiosk;
    ShopSettings {
        currency: config.monime.currency,
        currency_style: kiosk.currency_style,
        max_amount_minor: kiosk.max_amount_minor,
        code_shape: code_shape(config),
        qr_payload: kiosk.qr_payload,
        token_origin: config.monime.token_origin.to_string(),
        chime_when_paid: config
            .printer
            .as_ref()
            .is_some_and(|printer| printer.buzzer),
        control_socket: control_socket(config),
        receipt_style: receipt_style(config),
        refunds: config.refunds,
        metrics: config.metrics.clone(),
        screen: ScreenSettings {
            merchant_name: kiosk.merchant_name.clone(),
            admin_pin: kiosk.admin_pin.clone(),
            paid_screen_secs: kiosk.paid_screen_secs,
            cashiers: config.cashiers.clone(),
            idle_sign_out: kiosk.idle_sign_out,
            items: config.items.clone(),
            tips: kiosk.tips.clone(),
            screen_idle: kiosk.screen_idle,
        },
    }
}

/// How this terminal's codes look at Monime.
fn code_shape(config: &Config) -> CodeShape {
    CodeShape {
        name: config.code_name_for_template(),
        terminal_id: config.kiosk.terminal_id.clone(),
        duration: config.monime.code_duration.clone(),
        providers: config.monime.authorized_providers.clone(),
        financial_account: config.monime.financial_account_id.clone(),
    }
}

/// How this terminal's receipts look, in English (the command line's paper); the printer
/// queue's style follows the language chosen instead.
fn receipt_style(config: &Config) -> ReceiptStyle {
    ReceiptStyle::new(
        &config.kiosk.merchant_name,
        &config.kiosk.terminal_id,
        config.kiosk.currency_style,
        config.printer.as_ref(),
    )
}

/// The control socket of the terminal whose journal the configuration names: in the service's
/// runtime directory (`/run/paycode-kiosk`) for the journal in its state directory, else beside
/// the journal, so a technician's command finds the same socket the terminal listens on.
fn control_socket(config: &Config) -> PathBuf {
    const SERVICE_STATE: &str = "/var/lib/paycode-kiosk";
    const SERVICE_RUNTIME: &str = "/run/paycode-kiosk";
    let journal = &config.storage.path;
    let folder = journal.parent().unwrap_or_else(|| Path::new("."));
    if folder == Path::new(SERVICE_STATE) {
        return Path::new(SERVICE_RUNTIME).join("control.sock");
    }
    folder.join("control.sock")
}

/// Where the running terminal of `launch` (the demo's, in demo mode) listens for commands,
/// worked out before anything is opened.
pub fn control_socket_for(launch: &Launch) -> Result<PathBuf, OpenError> {
    Ok(match launch.configuration()? {
        Some(config) => control_socket(&config),
        None => crate::config::demo_data_dir().join("control.sock"),
    })
}

/// The Monime client the configuration describes.
pub fn monime_client(config: &Config) -> Result<MonimeClient, String> {
    MonimeClient::new(config.monime.client.clone()).map_err(|error| error.to_string())
}

/// The async runtime a terminal or a command runs on: two workers, as the board has few cores.
pub fn async_runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|error| format!("cannot start the async runtime: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Process 42 with these variables.
    fn session(variables: &[(&str, &str)]) -> bool {
        developers_desktop(
            |name| {
                variables
                    .iter()
                    .find(|(key, _)| *key == name)
                    .map(|(_, value)| value.into())
            },
            42,
        )
    }

    #[test]
    fn only_a_developers_desktop_session_may_fall_back_to_demo() {
        let desktop = cfg!(feature = "desktop");
        assert_eq!(session(&[("DISPLAY", ":0")]), desktop);
        assert_eq!(session(&[("WAYLAND_DISPLAY", "wayland-0")]), desktop);
        // The unit: no display, and systemd names the process it started.
        assert!(!session(&[("SYSTEMD_EXEC_PID", "42")]));
        assert!(!session(&[("SYSTEMD_EXEC_PID", "42"), ("DISPLAY", ":0")]));
        // A shell in a terminal emulator that runs as a user service: another process's number.
        assert_eq!(
            session(&[("SYSTEMD_EXEC_PID", "1234"), ("DISPLAY", ":0")]),
            desktop
        );
        // An SSH session without X forwarding.
        assert!(!session(&[("SSH_CONNECTION", "10.0.0.2 5022 10.0.0.9 22")]));
        assert!(!session(&[("DISPLAY", "")]));
    }

    #[test]
    fn without_a_configuration_only_a_desktop_or_an_ask_gets_demo_mode() {
        let missing = std::env::temp_dir().join("paycode-kiosk-no-such-config.toml");
        let launch = |demo| Launch {
            config_path: None,
            demo,
        };
        // `--config` naming a missing file is an error in every mode but an asked demo.
        let named = Launch {
            config_path: Some(missing),
            demo: DemoMode::WithoutConfiguration,
        };
        assert!(matches!(named.configuration(), Err(OpenError::Config(_))));
        assert!(matches!(launch(DemoMode::Asked).configuration(), Ok(None)));
        // With nothing named, the outcome hangs on the machine's own files; a named file that
        // exists is read in every mode.
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("config.toml");
        std::fs::write(
            &path,
            "[monime]\nspace_id = \"spc-1\"\naccess_token = \"mon_test_x\"\n[kiosk]\nmerchant_name = \"Shop\"\nterminal_id = \"T1\"\nadmin_pin = \"4821\"\n",
        )
        .expect("write");
        for demo in [DemoMode::Never, DemoMode::WithoutConfiguration] {
            let found = Launch {
                config_path: Some(path.clone()),
                demo,
            }
            .configuration();
            assert!(matches!(found, Ok(Some(_))), "{found:?}");
        }
    }
}
