//! The `paycode-kiosk` binary: parses the command line, sets up logging, and hands over to the
//! library.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

fn main() -> ExitCode {
    // clap would exit 2 on a usage error, which `charge` uses for "expired": usage errors exit 1.
    let cli = match paycode_kiosk::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    // Warnings (retries, printer trouble) reach the technician's terminal or the journal of
    // systemd; RUST_LOG=paycode_kiosk=debug shows each request. `Targets` reads the
    // `target=level` lists this needs without `EnvFilter`'s regex engine, 0.4 MB of a device
    // binary.
    let filter = match std::env::var("RUST_LOG") {
        Ok(wanted) if !wanted.trim().is_empty() => wanted.parse::<Targets>().unwrap_or_else(|error| {
            eprintln!(
                "warning: RUST_LOG={wanted:?} is not a list like `paycode_kiosk=debug` ({error}); \
                 logging warnings only"
            );
            default_log_filter()
        }),
        _ => default_log_filter(),
    };
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(std::io::stderr().is_terminal()),
        )
        .with(filter)
        .init();
    paycode_kiosk::memory::settle_allocator();
    let launch = paycode_kiosk::terminal::Launch::from_command_line(cli.config, cli.demo);
    match cli.command {
        Some(command) => paycode_kiosk::cli::run(&launch, command),
        // No command: the terminal itself. The screen owns the main thread; its async runtime
        // runs beside it.
        None => match paycode_kiosk::ui::run(&launch, paycode_kiosk::cli::owner_commands) {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                eprintln!("error: {message}");
                ExitCode::FAILURE
            }
        },
    }
}

fn default_log_filter() -> Targets {
    Targets::new().with_target("paycode_kiosk", tracing::Level::WARN)
}
