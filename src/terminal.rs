//! The composition root: the one place where a running terminal is built from a checked
//! `Config`. It opens the journal, makes the Monime client, starts the printer queue with the
//! receipt style, and in demo mode starts the simulator the configuration points at. The screen
//! (`ui`) and the command line (`cli`) both start from here; nothing below this module knows
//! about the configuration file.

use std::path::{Path, PathBuf};

use chrono::Local;
use std::time::Duration;

use crate::config::Config;
use crate::controller::{Receipts, SaleExtras, Services};
use crate::journal::{Journal, Opened};
use crate::money::Money;
use crate::monime::{MonimeClient, NewPaymentCode};
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
    /// Where a damaged journal was moved when this terminal opened; a fresh one took its place.
    pub journal_moved_aside: Option<PathBuf>,
}

impl Terminal {
    /// For a command: in demo mode the simulated customer pays every code by itself.
    pub async fn open(cli_path: Option<&Path>) -> Result<Terminal, String> {
        Terminal::open_with(cli_path, Some(DEMO_PAYS_AFTER)).await
    }

    /// For the screen: in demo mode the customer pays when the cashier taps the demo button.
    /// The running terminal also keeps the journal's daily backups.
    pub async fn open_for_screen(cli_path: Option<&Path>) -> Result<Terminal, String> {
        let terminal = Terminal::open_with(cli_path, None).await?;
        tokio::spawn(keep_daily_backups(terminal.services.journal.clone()));
        Ok(terminal)
    }

    async fn open_with(
        cli_path: Option<&Path>,
        demo_pays_after: Option<Duration>,
    ) -> Result<Terminal, String> {
        let (config, simulator) = match Config::find(cli_path).map_err(|e| e.to_string())? {
            Some(config) => (config, None),
            None => {
                let simulator = SimulatorHandle::start(SimulatorOptions {
                    auto_pay_after: demo_pays_after,
                    processing_time: DEMO_PAYMENT_TAKES,
                    ..SimulatorOptions::default()
                })
                .await
                .map_err(|error| format!("the demo simulator cannot start: {error}"))?;
                let config = Config::demo(
                    &simulator.base_url(),
                    (DEMO_SPACE_ID, DEMO_ACCESS_TOKEN),
                    &crate::config::demo_data_dir(),
                )
                .map_err(|error| error.to_string())?;
                (config, Some(simulator))
            }
        };
        let Opened {
            journal,
            moved_aside: journal_moved_aside,
        } = Journal::open_or_start_afresh(&config.storage.path, Local::now())
            .map_err(|error| error.to_string())?;
        let printer = crate::printer::start(
            config.printer.as_ref(),
            receipt_style(&config),
            &journal,
            SpoolTiming::default(),
        )?;
        let services = Services {
            client: monime_client(&config)?,
            journal,
            timing: Timing {
                poll_interval: config.kiosk.poll_interval,
            },
            receipts: printer
                .clone()
                .map_or(Receipts::NoPrinter, Receipts::Printer),
            terminal_id: config.kiosk.terminal_id.clone(),
        };
        Ok(Terminal {
            config,
            services,
            printer,
            simulator,
            journal_moved_aside,
        })
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

/// How this terminal's receipts look.
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
) -> NewPaymentCode {
    NewPaymentCode::new(config.code_name_for(number), amount)
        .with_duration(config.monime.code_duration.clone())
        .with_reference(extras.reference.clone())
        .with_metadata("sale", number.to_string())
        .with_metadata("terminal", config.kiosk.terminal_id.clone())
        .with_providers(config.monime.authorized_providers.clone())
        .with_phone(extras.phone.clone())
        .with_financial_account(config.monime.financial_account_id.clone())
}
