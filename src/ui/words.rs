//! The sentences the terminal shows: every notice, title, badge and line of the screen, and the
//! words for a sale's phase and a receipt's state that the command line shares. `flow` decides
//! which one applies; this module only says how it reads, so wording is changed in one place.

use std::fmt::Display;

use chrono::{DateTime, Local, TimeDelta, Utc};

use super::flow::Link;
use crate::journal::{ProblemKind, Receipt};
use crate::monime::MonimeError;
use crate::printer::{PrintError, PrinterState, PrinterStatus};
use crate::sale::{CHECK_THE_DASHBOARD, NOTHING_CHARGED, Phase};
use crate::terminal::OpenError;

/// A sale's outcome in the history list: "Paid · printed", "Paid · receipt owed", "Expired".
pub fn history_status(phase: Phase, receipt: Receipt) -> String {
    let status = phase.label();
    let note = match (phase, receipt) {
        (Phase::Paid, Receipt::Printed) => receipt.label().to_string(),
        (Phase::Paid, Receipt::Owed | Receipt::NotKnown) => receipt.note(),
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

/// The admin screen's line when Monime refuses the terminal's key: its answer, and where the
/// key was read from, which is what the technician fixes.
pub fn key_refused(message: &str, origin: Option<&str>) -> String {
    match origin {
        Some(origin) => format!("{message}. The key is read from {origin}."),
        None => message.to_string(),
    }
}

/// The status bar's network badge: "Monime online" only when the last request was answered.
pub fn network_badge(link: Link) -> &'static str {
    match link {
        Link::NotContacted => "Monime not contacted",
        Link::Online => "Monime online",
        Link::Offline => "Monime offline",
        Link::KeyRefused => "Monime refused the key",
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

/// On the sign-in screen after the idle sign-out.
pub fn signed_out_idle(minutes: u32) -> String {
    match minutes {
        1 => "Signed out after 1 minute without use.".into(),
        _ => format!("Signed out after {minutes} minutes without use."),
    }
}
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

/// Title and reason of a sale that could not be started: it stopped before any code was asked
/// for, so nothing can have been charged.
/// Title and reason of a sale that could not be started: no code was asked for. The raw
/// error goes to the log and the admin screen (`last_problem`), not to the cashier.
pub fn not_started(failure: &str) -> (String, String) {
    let cause = if failure.contains("the disk is full") {
        "The memory card is full: call the technician."
    } else {
        "Try again; if it happens again, call the technician."
    };
    (
        "Sale not started".into(),
        format!("{NOTHING_CHARGED} {cause}"),
    )
}

/// The admin screen's line for the last problem the cashier was shown, in full.
pub fn last_problem(problem: &str) -> String {
    format!("Last problem: {problem}")
}

/// Title and reason of a sale that ended without a payment; empty for any other phase.
/// "Nothing was charged" only where Monime said so: it called the code expired or cancelled;
/// a failure's own words say it when Monime refused the code.
pub fn outcome(phase: Phase, failure: Option<&str>) -> (String, String) {
    let (title, reason) = match phase {
        Phase::Expired => (
            "Code expired",
            format!("The customer did not pay in time. {NOTHING_CHARGED}"),
        ),
        Phase::Cancelled => (
            "Cancelled",
            format!("The code was switched off. {NOTHING_CHARGED}"),
        ),
        // The failure's own text (Monime's message, the HTTP status) is for the technician;
        // the cashier reads what it means for the money.
        Phase::Failed => (
            "Payment failed",
            match failure {
                Some(text) if text.contains(CHECK_THE_DASHBOARD) => {
                    format!("Monime could not confirm this sale. {CHECK_THE_DASHBOARD}")
                }
                Some(text) if text.contains(NOTHING_CHARGED) => {
                    format!("Monime refused this payment. {NOTHING_CHARGED}")
                }
                _ => "The payment did not go through. Call the technician.".to_string(),
            },
        ),
        Phase::Unknown => (
            "Payment not confirmed",
            format!("Monime cannot find this sale's code. {CHECK_THE_DASHBOARD}"),
        ),
        _ => return (String::new(), String::new()),
    };
    (title.into(), reason)
}

/// Title and reason when Monime never confirmed a cancel: the code may still be live.
pub fn cancel_not_confirmed() -> (String, String) {
    (
        "Cancel not confirmed".into(),
        format!("Monime did not confirm the cancel. {CHECK_THE_DASHBOARD}"),
    )
}

/// The admin screen's lines: version and terminal, Monime, printer.
pub fn admin_lines(
    terminal_id: &str,
    network: &str,
    has_printer: bool,
    printer: Option<&PrinterState>,
    last_problem: Option<&str>,
) -> Vec<String> {
    let printer = match printer {
        Some(state) => format!(
            "Printer: {} ({}), {} receipt(s) owed",
            state.status, state.device, state.owed
        ),
        None if has_printer => "Printer: not checked yet".into(),
        None => "Printer: none configured".into(),
    };
    let mut lines = vec![
        format!(
            "paycode-kiosk {} · terminal {terminal_id}",
            env!("CARGO_PKG_VERSION")
        ),
        network.to_string(),
        printer,
    ];
    lines.extend(last_problem.map(self::last_problem));
    lines
}

pub const NO_PRINTER: &str = "This terminal has no printer";
pub const TEST_PAGE: &str = "Test page";
pub const DAY_REPORT: &str = "End-of-day report";

/// The books screen's title while its report is read.
pub const BOOKS_LOADING: &str = "Reading the books…";
pub const CLOSING_DAY: &str = "Checking with Monime, then closing the day…";

/// What Close day asks before it closes.
pub fn confirm_close(since: Option<i64>) -> String {
    let since = match since {
        Some(number) => format!("since {}", crate::journal::z_label(number)),
        None => "so far".into(),
    };
    format!(
        "Today is checked with Monime, then gets the next Z number and every finished sale \
         {since}. A day closes once; sales after the close belong to the next day."
    )
}

/// The line under a day just closed: "Z 0004 closed and sent to the printer".
pub fn day_closed(label: &str, printed: Option<Result<(), PrintError>>) -> String {
    match printed {
        None => format!("{label} closed. No printer: it is kept in the journal"),
        Some(Ok(())) => format!("{label} closed and sent to the printer"),
        Some(Err(error)) => format!("{label} closed but not printed: {error}"),
    }
}

/// A report line the owner must look into is shown in red: money Monime has that the
/// terminal does not, or the other way round.
pub fn is_alert(label: &str) -> bool {
    label.starts_with(crate::books::ALERT_MARK)
}

/// A report line's label without its alert mark.
pub fn unmarked(label: &str) -> &str {
    label
        .strip_prefix(crate::books::ALERT_MARK)
        .unwrap_or(label)
}

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
    fn a_failure_reads_as_what_it_means_never_as_the_raw_error() {
        let refused =
            format!("Monime answered HTTP 400: amount_too_large (value). {NOTHING_CHARGED}");
        let (title, reason) = outcome(Phase::Failed, Some(&refused));
        assert_eq!(title, "Payment failed");
        assert_eq!(reason, "Monime refused this payment. Nothing was charged.");
        let conflict = format!("Monime answered HTTP 409: key reused. {CHECK_THE_DASHBOARD}");
        let (_, reason) = outcome(Phase::Failed, Some(&conflict));
        assert!(
            reason.contains(CHECK_THE_DASHBOARD) && !reason.contains("409"),
            "{reason}"
        );
        let (_, reason) =
            not_started("the sales journal /var/lib/x: the disk is full (12 KB free)");
        assert!(
            reason.contains("memory card is full") && !reason.contains("/var"),
            "{reason}"
        );
    }

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
    fn nothing_was_charged_only_on_monimes_word() {
        // Monime called the code expired or cancelled.
        for phase in [Phase::Expired, Phase::Cancelled] {
            let (title, reason) = outcome(phase, None);
            assert!(!title.is_empty(), "{phase:?}");
            assert!(reason.ends_with(". Nothing was charged."), "{reason}");
        }
        // A failure says it only when its own words (Monime's refusal) do; the raw words
        // themselves are for the admin screen.
        assert_eq!(
            outcome(Phase::Failed, Some("The wallet refused")).1,
            "The payment did not go through. Call the technician."
        );
        assert_eq!(
            outcome(
                Phase::Failed,
                Some("Monime refused the request: too big. Nothing was charged.")
            )
            .1,
            "Monime refused this payment. Nothing was charged."
        );
        assert!(!outcome(Phase::Failed, None).1.contains("charged"));
        // Nobody knows: the cashier is sent to the dashboard.
        for (title, reason) in [outcome(Phase::Unknown, None), cancel_not_confirmed()] {
            assert!(!title.is_empty());
            assert!(!reason.contains("charged"), "{reason}");
            assert!(reason.contains("Monime dashboard"), "{reason}");
        }
        assert_eq!(outcome(Phase::Unknown, None).0, "Payment not confirmed");
        assert_eq!(outcome(Phase::Paid, None), (String::new(), String::new()));
    }

    #[test]
    fn monime_online_only_after_an_answer() {
        assert_eq!(network_badge(Link::Online), "Monime online");
        assert_ne!(network_badge(Link::NotContacted), "Monime online");
        assert_eq!(network_badge(Link::KeyRefused), "Monime refused the key");
        assert_eq!(
            key_refused(
                "Monime refused the access token (revoked)",
                Some("$MONIME_ACCESS_TOKEN")
            ),
            "Monime refused the access token (revoked). The key is read from $MONIME_ACCESS_TOKEN."
        );
    }
}
