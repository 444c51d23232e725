//! The `paycode-kiosk` binary: parses the command line, sets up logging, and hands over to the
//! library.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

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
    // systemd; RUST_LOG=paycode_kiosk=debug shows each request.
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("paycode_kiosk=warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    match cli.command {
        Some(command) => paycode_kiosk::cli::run(cli.config.as_deref(), command),
        // No command: the terminal itself. The screen owns the main thread; its async runtime
        // runs beside it.
        None => match paycode_kiosk::ui::run(cli.config.as_deref()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                eprintln!("error: {message}");
                ExitCode::FAILURE
            }
        },
    }
}
