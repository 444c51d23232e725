//! The composition root: the one place where a running terminal is built from a checked
//! `Config`. It opens the journal, makes the Monime client, starts the printer queue with the
//! receipt style, and in demo mode starts the simulator the configuration points at. The screen
//! (`ui`) and the command line (`cli`) both start from here; nothing below this module knows
//! about the configuration file.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use chrono::Local;
use std::time::Duration;
use tokio::sync::mpsc;

use crate::config::{Config, ConfigError};
use crate::controller::{Receipts, SaleExtras, SaleHandle, SaleLink, Services};
use crate::journal::{CASHIER_METADATA, Journal, JournalError, SaleRequest};
use crate::lang::Choice;
use crate::money::Money;
use crate::monime::{MonimeClient, MonimeError, NewPaymentCode};
use crate::printer::{PrinterHandle, ReceiptStyle, SpoolTiming};
use crate::sale::Timing;
use crate::simulator::{DEMO_ACCESS_TOKEN, DEMO_SPACE_ID, SimulatorHandle, SimulatorOptions};

/// How long the demo customer's payment takes once they start paying.
pub const DEMO_PAYMENT_TAKES: Duration = Duration::from_secs(2);
/// How long a demo customer of a command takes to start paying.
const DEMO_PAYS_AFTER: Duration = Duration::from_secs(6);

/// Everything a sale needs, from the configuration or, with none, from demo mode.
pub struct Terminal {
    pub config: Config,
    pub services: Services,
    /// The printer queue, when the terminal has a printer.
    pub printer: Option<PrinterHandle>,
    /// The built-in simulator in demo mode; it serves as long as this lives.
    pub simulator: Option<SimulatorHandle>,
    /// The language of the screen and the paper: the one chosen on the admin screen (kept in
    /// the journal), else the configuration's. The printer queue shares it.
    pub language: Choice,
    /// Where a damaged journal was moved when this terminal opened; a fresh one took its place.
    pub journal_moved_aside: Option<PathBuf>,
    /// Held while this process owns the journal and the printer.
    _owner: Option<OwnerLock>,
    /// The screen, when there is one: sales started by a command are shown there.
    screen: OnceLock<mpsc::UnboundedSender<SaleLink>>,
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
    #[error("{0}")]
    Other(String),
}

/// How a process uses the terminal it opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Use {
    /// The screen: owns the journal and the printer, keeps the backups; in demo mode the
    /// customer pays when the cashier taps the demo button.
    Screen,
    /// A command that sells or prints, with no terminal running: owns the journal and the
    /// printer while it runs; in demo mode the customer pays every code by itself.
    Command,
    /// A command that only reads (`history`, `report`): reads the journal beside a running
    /// terminal and never opens the printer.
    Reading,
}

impl Terminal {
    /// For a command that sells or prints while no terminal runs.
    pub async fn open(cli_path: Option<&Path>) -> Result<Terminal, OpenError> {
        Terminal::open_for(cli_path, Use::Command).await
    }

    /// For the screen. The running terminal also keeps the journal's daily backups.
    pub async fn open_for_screen(cli_path: Option<&Path>) -> Result<Terminal, OpenError> {
        let terminal = Terminal::open_for(cli_path, Use::Screen).await?;
        tokio::spawn(keep_daily_backups(terminal.services.journal.clone()));
        Ok(terminal)
    }

    /// For a command that only reads the journal: no lock, no printer, nothing resumed.
    pub async fn open_for_reading(cli_path: Option<&Path>) -> Result<Terminal, OpenError> {
        Terminal::open_for(cli_path, Use::Reading).await
    }

    async fn open_for(cli_path: Option<&Path>, use_: Use) -> Result<Terminal, OpenError> {
        let (config, simulator) = match Config::find(cli_path)? {
            Some(config) => (config, None),
            None => {
                let simulator = SimulatorHandle::start(SimulatorOptions {
                    auto_pay_after: (use_ != Use::Screen).then_some(DEMO_PAYS_AFTER),
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
        let (owner, journal, journal_moved_aside) = if use_ == Use::Reading {
            let journal = Journal::open(journal_path)?;
            (None, journal, None)
        } else {
            let owner = OwnerLock::take(journal_path)?;
            let opened = Journal::open_or_start_afresh(journal_path, Local::now())?;
            (Some(owner), opened.journal, opened.moved_aside)
        };
        let language = Choice::new(journal.chosen_language()?.unwrap_or(config.kiosk.language));
        // The client's clock learns Monime's time; sales, receipts and reports are dated by it.
        let client = MonimeClient::new(config.monime.client.clone())?;
        let printer = match use_ {
            Use::Reading => None,
            Use::Screen | Use::Command => crate::printer::start(
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
        Ok(Terminal {
            config,
            services,
            printer,
            simulator,
            language,
            journal_moved_aside,
            _owner: owner,
            screen: OnceLock::new(),
        })
    }

    /// Where the control socket of the terminal owning this journal is.
    pub fn control_socket(&self) -> PathBuf {
        control_socket(&self.config)
    }

    /// Lets the screen show the sales a command starts; called once, by the screen.
    pub fn attach_screen(&self, screen: mpsc::UnboundedSender<SaleLink>) {
        let _ = self.screen.set(screen);
    }

    /// Shows a sale a command started on the screen, if there is one.
    pub fn show_on_screen(&self, sale: &SaleHandle) {
        if let Some(screen) = self.screen.get() {
            let _ = screen.send(sale.link());
        }
    }
}

/// The control socket of the terminal whose journal the configuration names: in the service's
/// runtime directory (`/run/paycode-kiosk`) for the journal in its state directory, else beside
/// the journal, so a technician's command finds the same socket the terminal listens on.
pub fn control_socket(config: &Config) -> PathBuf {
    const SERVICE_STATE: &str = "/var/lib/paycode-kiosk";
    const SERVICE_RUNTIME: &str = "/run/paycode-kiosk";
    let journal = &config.storage.path;
    let folder = journal.parent().unwrap_or_else(|| Path::new("."));
    if folder == Path::new(SERVICE_STATE) {
        return Path::new(SERVICE_RUNTIME).join("control.sock");
    }
    folder.join("control.sock")
}

/// How long to wait for the journal's owner to let go, and how often to look.
const LOCK_PATIENCE: Duration = Duration::from_secs(3);
const LOCK_RETRY: Duration = Duration::from_millis(50);

/// The one process that owns a journal (and so its sales and its printer): a lock on
/// `journal.sqlite.lock` beside it, which the kernel releases when the process ends, however
/// it ends.
#[derive(Debug)]
struct OwnerLock {
    _file: std::fs::File,
}

impl OwnerLock {
    fn take(journal: &Path) -> Result<OwnerLock, OpenError> {
        let path = PathBuf::from(format!("{}.lock", journal.display()));
        if let Some(folder) = path.parent().filter(|f| !f.as_os_str().is_empty()) {
            std::fs::create_dir_all(folder).map_err(|error| {
                OpenError::Other(format!(
                    "cannot create {} ({error}); check [storage] path",
                    folder.display()
                ))
            })?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|error| {
                OpenError::Other(format!(
                    "cannot open the lock file {} ({error})",
                    path.display()
                ))
            })?;
        // A terminal that is just stopping (or a command just ending) lets go within moments.
        let mut waited = Duration::ZERO;
        loop {
            match file.try_lock() {
                Err(std::fs::TryLockError::WouldBlock) if waited < LOCK_PATIENCE => {
                    std::thread::sleep(LOCK_RETRY);
                    waited += LOCK_RETRY;
                }
                result => break Self::taken(file, result, journal, &path),
            }
        }
    }

    fn taken(
        file: std::fs::File,
        result: Result<(), std::fs::TryLockError>,
        journal: &Path,
        path: &Path,
    ) -> Result<OwnerLock, OpenError> {
        match result {
            Ok(()) => Ok(OwnerLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => Err(OpenError::Owned(format!(
                "another paycode-kiosk owns the journal {} (the running terminal, or a command \
                 still running) and did not answer on its control socket; wait for it, or stop it",
                journal.display()
            ))),
            Err(std::fs::TryLockError::Error(error)) => Err(OpenError::Other(format!(
                "cannot lock {} ({error})",
                path.display()
            ))),
        }
    }
}

/// Backs the journal up once a day (checked hourly, so a terminal left on overnight makes the
/// next day's backup soon after midnight), for as long as the runtime runs.
async fn keep_daily_backups(journal: Journal) {
    let mut hourly = tokio::time::interval(Duration::from_secs(3600));
    loop {
        hourly.tick().await;
        let journal = journal.clone();
        let today = Local::now().date_naive();
        match tokio::task::spawn_blocking(move || journal.back_up_daily(today)).await {
            Ok(Ok(Some(file))) => tracing::info!(backup = %file.display(), "journal backed up"),
            Ok(Ok(None)) => {}
            Ok(Err(error)) => tracing::warn!(%error, "the journal's daily backup failed"),
            Err(error) => tracing::warn!(%error, "the journal's backup task stopped"),
        }
    }
}

/// The Monime client the configuration describes.
pub fn monime_client(config: &Config) -> Result<MonimeClient, String> {
    MonimeClient::new(config.monime.client.clone()).map_err(|error| error.to_string())
}

/// How this terminal's receipts look, in English (the command line's paper); the printer
/// queue's style follows `Terminal::language` instead.
pub fn receipt_style(config: &Config) -> ReceiptStyle {
    ReceiptStyle::new(
        &config.kiosk.merchant_name,
        &config.kiosk.terminal_id,
        config.kiosk.currency_style,
        config.printer.as_ref(),
    )
}

/// The create request for sale `number`, as the configuration shapes it.
pub fn code_request(
    config: &Config,
    number: i64,
    amount: Money,
    extras: &SaleExtras,
) -> SaleRequest {
    // An item sale is named at Monime by what was sold, unless the shop gave a reference.
    let reference = extras.reference.clone().or_else(|| {
        (!extras.order.items.is_empty()).then(|| extras.order.summary(REFERENCE_MAX_CHARS))
    });
    let request = NewPaymentCode::new(config.code_name_for(number), amount)
        .with_duration(config.monime.code_duration.clone())
        .with_reference(reference)
        .with_metadata("sale", number.to_string())
        .with_metadata("terminal", config.kiosk.terminal_id.clone())
        .with_providers(config.monime.authorized_providers.clone())
        .with_phone(extras.phone.clone())
        .with_financial_account(config.monime.financial_account_id.clone());
    let request = match &extras.cashier {
        Some(cashier) => request.with_metadata(CASHIER_METADATA, cashier.clone()),
        None => request,
    };
    SaleRequest {
        request,
        order: extras.order.clone(),
    }
}

/// Monime keeps up to 64 characters of a code's reference.
pub const REFERENCE_MAX_CHARS: usize = 64;
