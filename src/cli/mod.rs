//! The command line: what a technician types over SSH, and what systemd starts. Each command
//! prints for people; errors go to stderr with exit code 1.

mod books;
mod chain;
mod charge;
mod codes;
mod export;
mod history;
mod printing;
mod refund;
mod setup;

use std::future::Future;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::config::{Config, DEBIAN_TEXTFILE_DIR, MetricsTarget};
use crate::control::console::say;
use crate::control::{self, OwnerCommand, PayerNumber, SecretPin};
use crate::metrics::FILE_NAME;
use crate::monime::CodeStatus;
use crate::printer::PRINTER_WIDTHS;
use crate::report::ExportFormat;
use crate::shop::Shop;
use crate::simulator::{ChaosOptions, SimulatorOptions};
use crate::terminal::{self, Launch, OpenError, monime_client};

#[derive(Debug, Parser)]
#[command(
    name = "paycode-kiosk",
    version,
    about = "Point-of-sale terminal for Monime payment codes",
    long_about = "Point-of-sale terminal for Monime payment codes.\n\n\
        With no command it runs the terminal. The configuration is read from --config FILE, \
        else $PAYCODE_KIOSK_CONFIG, else /etc/paycode-kiosk/config.toml; `setup` writes it. \
        With none of them it runs in demo mode against a built-in Monime simulator only on a \
        developer's desktop, or with --demo; anywhere else it asks to be set up."
)]
pub struct Cli {
    /// Configuration file (TOML)
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Demo mode: a built-in Monime simulator and a customer who pays, no account needed
    #[arg(long, global = true)]
    pub demo: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Take one payment without the screen: show the code, follow it, report the outcome
    ///
    /// Exit code 0 paid, 2 expired, 3 cancelled, 4 unknown (Monime cannot find the code: check
    /// the Monime dashboard before handing over goods), 1 failed or error. Ctrl-C cancels the
    /// code at Monime; a cancel Monime does not confirm within 30 s leaves the sale to
    /// `recover`.
    Charge {
        /// Amount, such as 12.50
        amount: String,
        /// Only this mobile-money number may pay
        #[arg(long, value_name = "MSISDN")]
        phone: Option<String>,
        /// The shop's reference for this sale
        #[arg(long, value_name = "TEXT")]
        reference: Option<String>,
        /// Seconds of "not found" from Monime before the sale ends unknown (for tests)
        #[arg(long, value_name = "SECONDS", hide = true, value_parser = clap::value_parser!(u64).range(1..=3600))]
        unknown_after: Option<u64>,
    },
    /// Send money back to a paid sale's payer, as a Monime payout
    ///
    /// All that is left of the sale, or --amount of it. The payer's whole number is typed
    /// (Monime shows it masked) and checked against the digits Monime showed; the provider is
    /// asked whose number it is, and the quote ("Send Le 12.50 to AMINATA KAMARA, Orange Money
    /// 076 ··· 456? Monime's fee: ...") is confirmed before anything moves, unless --yes. Needs
    /// [refunds] enabled = true and the admin PIN, or the PIN of a cashier with can_refund.
    /// The refund and its idempotency key are written before the payout is sent, so a power cut
    /// at any moment ends, after `recover`, with one payout.
    ///
    /// Exit code 0 refunded, 2 not sent (Monime's failure or refusal, said why), 3 not
    /// confirmed at the prompt, 4 not confirmed by Monime (check the Monime dashboard;
    /// `recover` settles it), 1 refused before anything was sent, or an error.
    Refund {
        /// Sale number, as `history` shows it
        sale: i64,
        /// How much to send back, such as 5.00; all that is left of the sale when absent
        #[arg(long, value_name = "AMOUNT")]
        amount: Option<String>,
        /// The payer's whole mobile number, such as 076123456
        #[arg(long, value_name = "PHONE")]
        to: String,
        /// Send without asking (the quote is still shown)
        #[arg(long)]
        yes: bool,
        /// The admin PIN, or a refunding cashier's (a flag shows in the process list; left
        /// out, it is asked without echo)
        #[arg(long, value_name = "DIGITS", conflicts_with = "pin_stdin")]
        pin: Option<String>,
        /// Read the PIN from the first line of standard input
        #[arg(long)]
        pin_stdin: bool,
        /// Seconds to follow the payout before saying it is not confirmed yet (for tests)
        #[arg(long, value_name = "SECONDS", hide = true, value_parser = clap::value_parser!(u64).range(1..=3600))]
        wait: Option<u64>,
    },
    /// List recent sales from the journal
    History {
        /// How many sales
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Settle every unfinished sale and refund in the journal and exit once all are settled
    Recover {
        /// Switch off codes still waiting for payment instead of waiting for them
        #[arg(long)]
        cancel_pending: bool,
    },
    /// Print a test page (after showing the printer's status)
    PrintTest,
    /// Print a paid sale's receipt again, or a refund's; it is marked COPY once the original has
    /// printed
    #[command(group = clap::ArgGroup::new("which").required(true))]
    Reprint {
        /// Sale number, as `history` shows it
        #[arg(group = "which")]
        sale: Option<i64>,
        /// The newest paid sale
        #[arg(long, group = "which")]
        last: bool,
        /// A completed refund's receipt, by the refund's number (`history` shows it under its
        /// sale)
        #[arg(long, group = "which", value_name = "REFUND")]
        refund: Option<i64>,
    },
    /// End-of-day summary: paid sales and their total, expired, cancelled, failed
    ///
    /// With --x, the shift report: every sale since the last day close, by provider and cashier.
    /// With --z, close the day: it takes the next Z number, counts every settled sale since the
    /// last close, is kept in the journal and printed; a day closes once.
    Report {
        /// The day, as YYYY-MM-DD; today when absent
        #[arg(long, value_name = "YYYY-MM-DD", conflicts_with_all = ["x", "z"])]
        date: Option<chrono::NaiveDate>,
        /// Also print it on the receipt printer
        #[arg(long, conflicts_with = "z")]
        print: bool,
        /// The shift report (X): running totals since the last day close
        #[arg(long, conflicts_with = "z")]
        x: bool,
        /// Close the day (Z) and print its report
        #[arg(long)]
        z: bool,
    },
    /// Check the day's sales with Monime: paid there but not here, paid here but not there,
    /// and this terminal's codes missing from the journal
    ///
    /// Reads every code Monime lists for the day and matches it with the journal by code id;
    /// a code is this terminal's by its `terminal` metadata. Without --date the day is the
    /// business day: every sale since the last day close (Z). With --restore, paid codes
    /// missing from the journal (after it was lost or moved aside as damaged) are written back,
    /// marked restored, so the X and Z totals are right; their receipts reprint as copies.
    /// Restoring twice adds nothing. `report --z` makes the same check before it closes.
    ///
    /// Exit code 0 when the journal and Monime agree (after restoring, with --restore), 2 when
    /// they differ, 1 when the check could not be made (Monime not reached, a bad
    /// configuration).
    Reconcile {
        /// A past local day, as YYYY-MM-DD, instead of the business day
        #[arg(long, value_name = "YYYY-MM-DD")]
        date: Option<chrono::NaiveDate>,
        /// Write the paid codes missing from the journal back into it
        #[arg(long)]
        restore: bool,
    },
    /// Write the sales of some days as CSV or JSON, one row a sale
    ///
    /// Days are local and both included; without them it is today, --from alone runs to today.
    /// Each row: sale, local_time, cashier, amount_minor, amount, currency, outcome, code_id,
    /// ussd_code, provider, order_number, payment_id, reference, receipt, z_number, restored.
    /// CSV is RFC 4180 in UTF-8 with a byte order mark (so Excel reads the accents), CRLF line
    /// ends and one header row; JSON is an array of objects with the same keys.
    Export {
        /// The first day, as YYYY-MM-DD
        #[arg(long, value_name = "YYYY-MM-DD")]
        from: Option<chrono::NaiveDate>,
        /// The last day, as YYYY-MM-DD
        #[arg(long, value_name = "YYYY-MM-DD")]
        to: Option<chrono::NaiveDate>,
        /// csv or json
        #[arg(long, default_value = "csv", value_parser = parse_format)]
        format: ExportFormat,
        /// Write to this file instead of stdout
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Run a virtual printer on a pseudo-terminal until Ctrl-C, saving what it prints
    ///
    /// Point [printer] device at the path it shows to try the serial printing path without a
    /// printer. With --listen it is a network printer on a TCP port instead, for a device
    /// of the form tcp://HOST:PORT.
    VirtualPrinter {
        /// Characters per line
        #[arg(long, default_value_t = 32, value_parser = parse_width)]
        width: u16,
        /// Folder for the PNG and text of each document
        #[arg(long, value_name = "FOLDER", default_value = "virtual-printer")]
        out: PathBuf,
        /// Answer no status queries, like many cheap printers
        #[arg(long)]
        silent: bool,
        /// Listen on this address as a network printer (raw TCP, as on port 9100), e.g.
        /// 127.0.0.1:9100, or 0.0.0.0:9100 for other machines too
        #[arg(long, value_name = "HOST:PORT", value_parser = parse_listen_address)]
        listen: Option<SocketAddr>,
    },
    /// List the printers plugged into this machine and how each is; print a test page on one
    ///
    /// Lists USB printers, serial ports (USB adapters by id, the board's UART) and Bluetooth
    /// ports. A printer the running terminal is using shows as in use: `print-test` prints
    /// through the terminal.
    Printers {
        /// Print a test page on this device (a number from the list, a path, or tcp://ADDRESS)
        #[arg(long, value_name = "DEVICE")]
        test_page: Option<String>,
    },
    /// Ask the running terminal to restart at its next idle moment (no sale waiting for Monime,
    /// no refund under way, no receipt owed), so that an update takes effect without breaking a
    /// sale; the package's maintainer script runs it after an upgrade
    ///
    /// A terminal still busy after --within restarts anyway, and its sale is taken up again as
    /// after a power cut. Exit code 0 when asked (or when no terminal is running).
    RestartWhenIdle {
        /// The longest wait, in minutes
        #[arg(long, value_name = "MINUTES", default_value_t = 60)]
        within: u64,
    },
    /// Look at or cancel payment codes at Monime
    Codes {
        #[command(subcommand)]
        action: CodesCommand,
    },
    /// The chain's day as Monime has it: every terminal of the space, from any of them
    Chain {
        #[command(subcommand)]
        action: ChainCommand,
    },
    /// Set this terminal up: Monime's space and token, the shop, the admin PIN, the language
    /// and the printer
    ///
    /// Asks for each setting with its current value as the default, checking each answer as the
    /// terminal will; every question has a flag, and --non-interactive asks nothing. The token
    /// is typed without echo (or read with --token-stdin) into the service's credential file,
    /// owner only, never into the configuration. Then Monime is asked whether it accepts the
    /// token and space, the service is restarted, and a test page printed when asked. Run it
    /// with sudo on a terminal.
    Setup(setup::SetupFlags),
    /// Check the configuration and exit 0 if it is valid, 1 if not
    CheckConfig {
        /// Also ask Monime whether the token and space id are accepted
        #[arg(long)]
        online: bool,
    },
    /// Run the built-in Monime simulator on loopback until Ctrl-C
    Simulate {
        /// Port on 127.0.0.1
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// Pay every new code by itself after this many seconds
        #[arg(long, value_name = "SECONDS")]
        auto_pay_after: Option<u64>,
        /// Requests per second per endpoint before answering 429 (Monime's test mode: 5)
        #[arg(long, value_name = "N")]
        rate_limit: Option<u32>,
        /// Requests per second across the space, all terminals together, before answering 429
        #[arg(long, value_name = "N")]
        space_rate_limit: Option<u32>,
        /// How long a payment stays processing before it completes, in milliseconds
        #[arg(long, value_name = "MS", default_value_t = 2000)]
        processing_ms: u64,
        /// Chaos: answer a share of the requests wrongly on purpose (faults and mutated
        /// answers), drawn from this seed
        #[arg(long, value_name = "SEED")]
        chaos_seed: Option<u64>,
        /// The share of requests chaos answers wrongly, from 0 to 1
        #[arg(long, value_name = "RATE", default_value_t = 0.2, value_parser = parse_rate, requires = "chaos_seed")]
        chaos_rate: f64,
    },
}

#[derive(Debug, Subcommand)]
pub enum ChainCommand {
    /// A day's codes and refunds of the whole space, totalled per terminal and per cashier
    /// from what each terminal wrote on them, with the codes no terminal claims listed apart
    ///
    /// Reads Monime only (the space's token, from the configuration); changes nothing. Exit
    /// code 0 when the day was read, 1 when Monime could not be read.
    Report {
        /// The local day, as YYYY-MM-DD; today by default
        #[arg(long, value_name = "YYYY-MM-DD")]
        date: Option<chrono::NaiveDate>,
        /// text (a table) or csv (one row a terminal, cashier or unclaimed code, and currency)
        #[arg(long, default_value = "text", value_parser = parse_chain_format)]
        format: chain::ChainFormat,
    },
}

#[derive(Debug, Subcommand)]
pub enum CodesCommand {
    /// List codes, newest first
    List {
        /// Only codes with this status: pending, processing, completed, expired, cancelled
        #[arg(long, value_parser = parse_status)]
        status: Option<CodeStatus>,
        /// How many codes at most
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u16).range(1..=1000))]
        limit: u16,
    },
    /// Show one code in full
    Show { id: String },
    /// Switch a code off so it can no longer be paid
    Cancel { id: String },
}

fn parse_status(text: &str) -> Result<CodeStatus, String> {
    text.parse()
}

fn parse_chain_format(text: &str) -> Result<chain::ChainFormat, String> {
    text.parse()
}

fn parse_format(text: &str) -> Result<ExportFormat, String> {
    text.parse()
}

fn parse_listen_address(text: &str) -> Result<SocketAddr, String> {
    let form = "give it as HOST:PORT, for example 127.0.0.1:9100 or 0.0.0.0:9100";
    let mut addresses = text
        .to_socket_addrs()
        .map_err(|error| format!("{error}: {form}"))?;
    addresses
        .next()
        .ok_or_else(|| format!("{text} names no address: {form}"))
}

fn parse_rate(text: &str) -> Result<f64, String> {
    text.parse::<f64>()
        .ok()
        .filter(|rate| (0.0..=1.0).contains(rate))
        .ok_or_else(|| "give a share from 0 to 1, such as 0.2".into())
}

fn parse_width(text: &str) -> Result<u16, String> {
    text.parse()
        .ok()
        .filter(|width| PRINTER_WIDTHS.contains(width))
        .ok_or_else(|| format!("choose one of {PRINTER_WIDTHS:?}"))
}

/// Runs `command` and returns the process exit code. (With no command the binary runs the
/// screen, `ui::run`.)
pub fn run(launch: &Launch, command: Command) -> ExitCode {
    let outcome =
        terminal::async_runtime().and_then(|runtime| runtime.block_on(dispatch(launch, command)));
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn dispatch(launch: &Launch, command: Command) -> Result<u8, String> {
    let reading = || async {
        terminal::open_for_reading(launch)
            .await
            .map_err(|error| error.to_string())
    };
    match command {
        Command::Charge {
            amount,
            phone,
            reference,
            unknown_after,
        } => {
            let charge = OwnerCommand::Charge {
                amount,
                phone,
                reference,
                unknown_after,
            };
            run_by_owner(launch, charge).await
        }
        Command::Refund {
            sale,
            amount,
            to,
            yes,
            pin,
            pin_stdin,
            wait,
        } => {
            // Asked here, on the technician's terminal, before the command goes anywhere.
            let pin = SecretPin(refund::pin(pin, pin_stdin)?);
            let refund = OwnerCommand::Refund {
                sale,
                amount,
                to: PayerNumber(to),
                pin,
                yes,
                wait,
            };
            run_by_owner(launch, refund).await
        }
        Command::Recover { cancel_pending } => {
            run_by_owner(launch, OwnerCommand::Recover { cancel_pending }).await
        }
        Command::PrintTest => run_by_owner(launch, OwnerCommand::PrintTest).await,
        Command::Reprint {
            refund: Some(refund),
            ..
        } => run_by_owner(launch, OwnerCommand::ReprintRefund { refund }).await,
        Command::Reprint { sale, .. } => run_by_owner(launch, OwnerCommand::Reprint { sale }).await,
        Command::Report { z: true, .. } => run_by_owner(launch, OwnerCommand::CloseDay).await,
        Command::Report {
            x: true,
            print: true,
            ..
        } => run_by_owner(launch, OwnerCommand::PrintShift).await,
        Command::Report {
            x: true,
            print: false,
            ..
        } => books::shift(&reading().await?, false).await,
        Command::Report {
            date, print: true, ..
        } => run_by_owner(launch, OwnerCommand::PrintReport { date }).await,
        Command::Report {
            date, print: false, ..
        } => printing::report(&reading().await?, date, false).await,
        Command::Reconcile { date, restore } => {
            run_by_owner(launch, OwnerCommand::Reconcile { date, restore }).await
        }
        Command::Export {
            from,
            to,
            format,
            out,
        } => {
            let asked = export::Export {
                from,
                to,
                format,
                out,
            };
            export::export(&reading().await?, asked).await
        }
        Command::History { limit } => history::history(&reading().await?, limit).await,
        Command::VirtualPrinter {
            width,
            out,
            silent,
            listen,
        } => printing::virtual_printer(usize::from(width), &out, !silent, listen).await,
        Command::CheckConfig { online } => check_config(launch, online).await,
        Command::Printers { test_page } => printing::printers(launch, test_page).await,
        Command::Setup(flags) => setup::setup(launch.config_path.as_deref(), flags).await,
        Command::Codes { action } => {
            let config = require_config(launch)?;
            codes::run(&config, action).await
        }
        Command::RestartWhenIdle { within } => {
            let socket = terminal::control_socket_for(launch).map_err(|error| error.to_string())?;
            let asked = OwnerCommand::RestartWhenIdle {
                within_secs: within.saturating_mul(60),
            };
            match control::hand_over(&socket, &asked).await? {
                Some(code) => Ok(code),
                None => {
                    say!("No terminal is running here: nothing to restart.");
                    Ok(0)
                }
            }
        }
        Command::Chain {
            action: ChainCommand::Report { date, format },
        } => {
            let config = require_config(launch)?;
            chain::report(&config, date, format).await
        }
        Command::Simulate {
            port,
            auto_pay_after,
            rate_limit,
            space_rate_limit,
            processing_ms,
            chaos_seed,
            chaos_rate,
        } => {
            let options = SimulatorOptions {
                port,
                auto_pay_after: auto_pay_after.map(Duration::from_secs),
                rate_limit_per_second: rate_limit,
                space_rate_limit_per_second: space_rate_limit,
                processing_time: Duration::from_millis(processing_ms),
                chaos: chaos_seed.map(|seed| ChaosOptions {
                    seed,
                    rate: chaos_rate,
                }),
                ..SimulatorOptions::default()
            };
            crate::simulator::run_until_interrupted(options)
                .await
                .map_err(|error| {
                    format!("the simulator cannot listen on 127.0.0.1:{port}: {error}")
                })?;
            Ok(0)
        }
    }
}

/// Hands a command that sells or prints to the running terminal; with none running, this
/// process takes the journal and the printer and carries it out itself.
async fn run_by_owner(launch: &Launch, command: OwnerCommand) -> Result<u8, String> {
    let socket = terminal::control_socket_for(launch).map_err(|error| error.to_string())?;
    if let Some(code) = control::hand_over(&socket, &command).await? {
        return Ok(code);
    }
    let shop = terminal::open_for_command(launch)
        .await
        .map_err(|error| error.to_string())?;
    run_on_shop(&shop, command).await
}

/// The commands a running terminal carries out for a technician, for `control::serve`.
pub fn owner_commands(
    shop: Arc<Shop>,
    command: OwnerCommand,
) -> Pin<Box<dyn Future<Output = Result<u8, String>> + Send>> {
    Box::pin(async move { run_on_shop(&shop, command).await })
}

/// Carries `command` out on `shop`, which this process owns.
async fn run_on_shop(shop: &Shop, command: OwnerCommand) -> Result<u8, String> {
    match command {
        OwnerCommand::Charge {
            amount,
            phone,
            reference,
            unknown_after,
        } => {
            let asked = charge::Asked {
                amount,
                phone,
                reference,
                unknown_after: unknown_after.map(Duration::from_secs),
            };
            charge::run(shop, asked).await
        }
        OwnerCommand::Recover { cancel_pending } => history::recover(shop, cancel_pending).await,
        OwnerCommand::Reprint { sale } => printing::reprint(shop, sale).await,
        OwnerCommand::ReprintRefund { refund } => printing::reprint_refund(shop, refund).await,
        OwnerCommand::RestartWhenIdle { within_secs } => {
            let within = Duration::from_secs(within_secs);
            shop.restart_when_idle(within, |code| std::process::exit(code));
            say!(
                "The terminal restarts at its next idle moment (no sale or refund under way, no receipt owed), within {} min at most.",
                within.as_secs().div_ceil(60)
            );
            Ok(0)
        }
        OwnerCommand::PrintTest => printing::print_test(shop).await,
        OwnerCommand::PrintReport { date } => printing::report(shop, date, true).await,
        OwnerCommand::PrintShift => books::shift(shop, true).await,
        OwnerCommand::CloseDay => books::close_day(shop).await,
        OwnerCommand::Reconcile { date, restore } => books::reconcile(shop, date, restore).await,
        OwnerCommand::Refund {
            sale,
            amount,
            to,
            pin,
            yes,
            wait,
        } => {
            let asked = refund::Asked {
                sale,
                amount,
                to: to.0,
                pin: pin.0,
                yes,
                wait: wait.map(Duration::from_secs),
            };
            refund::run(shop, asked).await
        }
    }
}

/// What a command says when the terminal's clock is wrong.
fn clock_is_off(off_by: chrono::TimeDelta) -> String {
    format!(
        "this terminal's clock is off by {}; sales are dated by Monime's clock until it is set right",
        crate::clock::span(off_by)
    )
}

/// `check-config`'s word on the metrics: the file node_exporter reads, or why there is none.
fn metrics_line(target: &MetricsTarget) -> String {
    let folder = match target {
        MetricsTarget::Off => return "off ([metrics] textfile_dir = \"\")".into(),
        MetricsTarget::DebianIfInstalled => Path::new(DEBIAN_TEXTFILE_DIR),
        MetricsTarget::Folder(folder) => folder.as_path(),
    };
    let debian = folder == Path::new(DEBIAN_TEXTFILE_DIR);
    match (folder.is_dir(), debian) {
        (true, true) => format!("written to {}", folder.join(FILE_NAME).display()),
        // The unit's sandbox lets the service write Debian's folder and no other.
        (true, false) => format!(
            "written to {} (the unit needs ReadWritePaths= for it)",
            folder.join(FILE_NAME).display()
        ),
        (false, true) => format!(
            "none: {} is missing (install prometheus-node-exporter or set [metrics] textfile_dir)",
            folder.display()
        ),
        (false, false) => format!(
            "none: {} is missing (create it or set [metrics] textfile_dir)",
            folder.display()
        ),
    }
}

/// The configuration, for a command that talks to Monime on its own.
fn require_config(launch: &Launch) -> Result<Config, String> {
    match launch.configuration() {
        Ok(Some(config)) => Ok(config),
        Ok(None) | Err(OpenError::NotSetUp) => Err(format!(
            "no configuration found (looked at --config, ${}, {}); this command talks to Monime and needs one: run `sudo paycode-kiosk setup`",
            crate::config::CONFIG_ENV,
            crate::config::SYSTEM_CONFIG_PATH
        )),
        Err(error) => Err(error.to_string()),
    }
}

async fn check_config(launch: &Launch, online: bool) -> Result<u8, String> {
    let config = match launch.configuration() {
        Ok(Some(config)) => config,
        Ok(None) => {
            say!("Demo mode: the terminal sells against its built-in simulator.");
            return Ok(0);
        }
        Err(error) => return Err(error.to_string()),
    };
    let monime = &config.monime;
    let source = config
        .source
        .as_ref()
        .map(|path| path.display().to_string())
        .unwrap_or_default();
    say!("{source}: valid");
    say!(
        "  Monime     {} (API {}), space {}, {} token",
        monime.client.base_url,
        monime.client.api_version,
        monime.client.space_id,
        if monime.client.access_token.is_test_mode() {
            "test-mode"
        } else {
            "live"
        }
    );
    say!(
        "  codes      {} in {}, last {}, named \"{}\"",
        if monime.authorized_providers.is_empty() {
            "any provider".to_string()
        } else {
            monime.authorized_providers.join(", ")
        },
        monime.currency,
        monime.code_duration,
        config.code_name_for(1)
    );
    say!(
        "  terminal   {} at {}, polling every {} ms{}",
        config.kiosk.terminal_id,
        config.kiosk.merchant_name,
        config.kiosk.poll_interval.as_millis(),
        if monime.client.shared_space {
            " evenly (space shared with other terminals)"
        } else {
            ""
        }
    );
    match &config.printer {
        Some(printer) => {
            for line in printing::printer_lines(printer, online).await? {
                say!("  {line}");
            }
        }
        None => say!("  printer    none"),
    }
    say!("  journal    {}", config.storage.path.display());
    if let Some(warning) =
        crate::config::token_exposed(&monime.token_origin, config.source.as_deref())
    {
        say!("  warning    {warning}");
    }
    say!("  metrics    {}", metrics_line(&config.metrics));
    if online {
        monime_client(&config)?.check().await.map_err(|error| {
            let mut message = format!("the configuration is valid but Monime said no: {error}");
            if error.refuses_key() {
                message.push_str(&format!(". The key is read from {}", monime.token_origin));
            }
            message
        })?;
        say!("  online     Monime accepted the token and space id");
    }
    Ok(0)
}
