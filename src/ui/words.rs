//! The sentences the terminal shows: every notice, title, badge and line of the screen, and the
//! words for a sale's phase and a receipt's state that the command line shares. `flow` decides
//! which one applies; this module only says how it reads, so wording is changed in one place.

use std::fmt::Display;

use chrono::{DateTime, Local, TimeDelta, Utc};

use crate::journal::{ProblemKind, Receipt};
use crate::monime::MonimeError;
use crate::printer::{PrintError, PrinterState, PrinterStatus};
use crate::sale::Phase;
use crate::terminal::OpenError;

/// A sale's outcome in the history list: "Paid · printed", "Paid · receipt owed", "Expired".
pub fn history_status(phase: Phase, receipt: Receipt) -> String {
    let status = phase.label();
    let note = match (phase, receipt) {
        (Phase::Paid, Receipt::Printed) => receipt.label().to_string(),
        (Phase::Paid, Receipt::Owed) => receipt.note(),
        _ => return status.to_string(),
    };
    format!("{status} · {note}")
}

/// When a sale was started, in the history list: "22 Nov 20:01".
pub fn history_time(at: DateTime<Utc>) -> String {
    at.with_timezone(&Local).format("%d %b %H:%M").to_string()
}

/// A line about Monime: "Monime: connected", "Monime: reachable at 20:01:07".
pub fn monime(news: impl Display) -> String {
    format!("Monime: {news}")
}

pub fn monime_not_contacted() -> String {
    monime("not contacted yet")
}

pub fn monime_connected() -> String {
    monime("connected")
}

pub fn monime_reachable(at: DateTime<Local>) -> String {
    monime(format_args!("reachable at {}", at.format("%H:%M:%S")))
}

/// The status bar's network badge.
pub fn network_badge(ok: bool) -> &'static str {
    if ok {
        "Monime online"
    } else {
        "Monime offline"
    }
}

/// The status bar's network badge while Monime answers but this terminal's clock is wrong:
/// "Clock off by 3 days".
pub fn clock_off(off_by: TimeDelta) -> String {
    format!("Clock off by {}", crate::clock::span(off_by))
}

/// The status bar's printer badge: "Printer ready (2 owed)"; `None` before the first check.
pub fn printer_badge(has_printer: bool, state: Option<&PrinterState>) -> String {
    match state {
        _ if !has_printer => "No printer".into(),
        None => "Printer".into(),
        Some(state) if state.owed > 0 => {
            format!("Printer {} ({} owed)", state.status.short(), state.owed)
        }
        Some(state) => format!("Printer {}", state.status.short()),
    }
}

/// The status bar's name before the configuration (and the merchant's name) is read.
pub const PRODUCT: &str = "paycode-kiosk";

/// Shown while the terminal opens.
pub const STARTING: &str = "Starting…";

/// Why the terminal cannot start, as a title and what to do, in plain words; the exact error
/// goes under it in small type for the technician, and to the log.
pub fn start_problem(error: &OpenError) -> (&'static str, &'static str) {
    match error {
        OpenError::Config(_) => (
            "The settings need fixing",
            "A technician must correct the configuration file. The terminal tries again by itself.",
        ),
        OpenError::Journal(error) if error.kind == ProblemKind::DiskFull => (
            "The memory card is full",
            "Free some space or fit a larger card. The terminal tries again by itself.",
        ),
        OpenError::Journal(_) => (
            "The sales record cannot be opened",
            "Call the technician to check the memory card. The terminal tries again by itself.",
        ),
        OpenError::Monime(MonimeError::TrustStore { .. }) => (
            "Monime cannot be checked",
            "This system has no security certificates: install ca-certificates. The terminal tries again by itself.",
        ),
        OpenError::Owned(_) => (
            "The terminal is busy",
            "Another paycode-kiosk program is using the sales record. The terminal tries again by itself.",
        ),
        OpenError::Monime(_) | OpenError::Other(_) => (
            "The terminal cannot start yet",
            "Call the technician. The terminal tries again by itself.",
        ),
    }
}

pub const TYPE_AMOUNT_FIRST: &str = "Type the amount first";
pub const WRONG_PIN: &str = "Wrong PIN";
pub const GETTING_CODE: &str = "Getting a payment code";

/// The countdown of a code: "9:41".
pub fn countdown(seconds: u64) -> String {
    format!("{}:{:02}", seconds / 60, seconds % 60)
}

/// One dot a PIN digit typed.
pub fn pin_dots(digits: usize) -> String {
    "●".repeat(digits)
}

pub const NO_RECEIPT_PRINTER: &str = "No receipt printer";
pub const RECEIPT_PRINTED: &str = "Receipt printed";
pub const PRINTING_RECEIPT: &str = "Printing the receipt…";

/// The paid screen while the printer cannot print the receipt.
pub fn receipt_waits_for(status: &PrinterStatus) -> String {
    format!("Printer {status}. The receipt prints once it is fixed.")
}

/// Title and reason of a sale that could not be started.
pub fn not_started(failure: &str) -> (String, String) {
    ("Sale not started".into(), nothing_charged(failure))
}

/// Title and reason of a sale that ended without a payment; empty for any other phase.
pub fn outcome(phase: Phase, failure: Option<&str>) -> (String, String) {
    let (title, reason) = match phase {
        Phase::Expired => ("Code expired", "The customer did not pay in time"),
        Phase::Cancelled => ("Cancelled", "The code was switched off"),
        Phase::Failed => ("Payment failed", failure.unwrap_or("Monime gave no reason")),
        _ => return (String::new(), String::new()),
    };
    (title.into(), nothing_charged(reason))
}

fn nothing_charged(reason: &str) -> String {
    format!("{reason}. Nothing was charged.")
}

/// The admin screen's lines: version and terminal, Monime, printer.
pub fn admin_lines(
    terminal_id: &str,
    network: &str,
    has_printer: bool,
    printer: Option<&PrinterState>,
) -> Vec<String> {
    let printer = match printer {
        Some(state) => format!(
            "Printer: {} ({}), {} receipt(s) owed",
            state.status, state.device, state.owed
        ),
        None if has_printer => "Printer: not checked yet".into(),
        None => "Printer: none configured".into(),
    };
    vec![
        format!(
            "paycode-kiosk {} · terminal {terminal_id}",
            env!("CARGO_PKG_VERSION")
        ),
        network.to_string(),
        printer,
    ]
}

pub const NO_PRINTER: &str = "This terminal has no printer";
pub const TEST_PAGE: &str = "Test page";
pub const DAY_REPORT: &str = "End-of-day report";

/// What a reprint is called in its answer.
pub fn reprint(number: i64) -> String {
    format!("Receipt of sale {number}")
}

/// How a print went: "Test page sent to the printer".
pub fn printed(what: &str, result: Result<(), PrintError>) -> String {
    match result {
        Ok(()) => format!("{what} sent to the printer"),
        Err(error) => format!("{what} not printed: {error}"),
    }
}

/// The sales a power cut left unsettled could not be read.
/// The journal was damaged and put aside when the terminal started.
pub const JOURNAL_KEPT_ASIDE: &str =
    "The sales record was damaged and a new one was started. Call the technician.";

pub fn earlier_sales(error: impl Display) -> String {
    format!("Earlier sales: {error}")
}

pub fn demo_cannot_pay(error: impl Display) -> String {
    format!("The demo customer cannot pay: {error}")
}

/// Why a keypad key was refused.
pub const SECOND_POINT: &str = "The amount already has a decimal point";

pub fn too_many_decimals(decimals: u32) -> String {
    format!("Only {decimals} digits after the point")
}

pub fn over_the_limit(limit: impl Display) -> String {
    format!("The most this terminal takes is {limit}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_receipt_reads_the_same_wherever_it_is_listed() {
        assert_eq!(Receipt::Printed.note(), "receipt printed");
        assert_eq!(Receipt::Owed.note(), "receipt owed");
        assert_eq!(Receipt::NoPrinter.note(), "no printer");
        assert_eq!(
            history_status(Phase::Paid, Receipt::Printed),
            "Paid · printed"
        );
        assert_eq!(
            history_status(Phase::Paid, Receipt::Owed),
            "Paid · receipt owed"
        );
        assert_eq!(history_status(Phase::Paid, Receipt::NoPrinter), "Paid");
        assert_eq!(history_status(Phase::Expired, Receipt::Owed), "Expired");
        assert_eq!(
            history_status(Phase::AwaitingPayment, Receipt::Owed),
            "Open"
        );
    }

    #[test]
    fn every_ending_without_payment_says_nothing_was_charged() {
        for phase in [Phase::Expired, Phase::Cancelled, Phase::Failed] {
            let (title, reason) = outcome(phase, None);
            assert!(!title.is_empty(), "{phase:?}");
            assert!(reason.ends_with(". Nothing was charged."), "{reason}");
        }
        assert_eq!(
            outcome(Phase::Failed, Some("The wallet refused")).1,
            "The wallet refused. Nothing was charged."
        );
        assert_eq!(outcome(Phase::Paid, None), (String::new(), String::new()));
    }
}
