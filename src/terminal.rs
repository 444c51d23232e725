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
pub async fn open_for_command(config_path: Option<&Path>) -> Result<Shop, OpenError> {
    open(config_path, Opener::Command).await
}

/// For the screen. The running terminal also keeps the journal's daily backups.
pub async fn open_for_screen(config_path: Option<&Path>) -> Result<Shop, OpenError> {
    let shop = open(config_path, Opener::Screen).await?;
    tokio::spawn(keep_daily_backups(shop.journal().clone()));
    Ok(shop)
}

/// For a command that only reads the journal: no lock, no printer, nothing resumed.
pub async fn open_for_reading(config_path: Option<&Path>) -> Result<Shop, OpenError> {
    open(config_path, Opener::Reader).await
}

async fn open(config_path: Option<&Path>, opener: Opener) -> Result<Shop, OpenError> {
    let (config, simulator) = match Config::find(config_path)? {
        Some(config) => (config, None),
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
        terminal_id: config.kiosk.terminal_id.clone(),
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

/// Where the running terminal of the configuration at `config_path` (the demo's, without one)
/// listens for commands, worked out before anything is opened.
pub fn control_socket_for(config_path: Option<&Path>) -> Result<PathBuf, ConfigError> {
    Ok(match Config::find(config_path)? {
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
