//! The sentences the terminal shows: every notice, title, badge and line of the screen that
//! Rust writes, in the cashier's language (`Language`, from the catalogues in `lang/`). `flow`
//! decides which one applies; this module only says how it reads, so wording is changed in one
//! place. The words drawn by the .slint files themselves are translated by Slint.
//!
//! Monime's own messages, file paths and error details stay as they came: they are for the
//! technician, who reads them on the admin screen and in the log.

mod refunds;

pub use refunds::*;

use std::fmt::Display;

use chrono::{DateTime, Local, TimeDelta, Utc};

use super::keypad::Refusal;
use super::network::{MonimeLink, NetworkNote};
use crate::journal::{PayerProof, ProblemKind, Receipt};
use crate::lang::Language;
use crate::monime::MonimeError;
use crate::printer::{PrintError, PrinterState, PrinterStatus};
use crate::report::{receipt_label, receipt_note};
use crate::sale::{
    CHECK_THE_DASHBOARD, NOTHING_CHARGED, Phase, check_the_dashboard, nothing_charged,
};
use crate::terminal::OpenError;

/// A sale's outcome in the history list: "Paid · printed", "Paid · receipt owed", "Expired".
pub fn history_status(language: Language, phase: Phase, receipt: Receipt) -> String {
    let status = phase.label_in(language);
    match (phase, receipt) {
        (Phase::Paid, Receipt::Printed) => {
            language.trf("{} · {}", &[&status, &receipt_label(receipt, language)])
        }
        (Phase::Paid, Receipt::Owed | Receipt::NotKnown) => {
            language.trf("{} · {}", &[&status, &receipt_note(receipt, language)])
        }
        _ => status.to_string(),
    }
}

/// The payer's proof in the history list: "Orange Money · ref MP2512.1234", as the payer's SMS
/// names the payment.
pub fn payer_proof(language: Language, proof: &PayerProof) -> String {
    match (proof.provider_name(), proof.reference.as_deref()) {
        (Some(provider), Some(reference)) => language.trf("{} · ref {}", &[&provider, &reference]),
        (None, Some(reference)) => language.trf("ref {}", &[&reference]),
        (Some(provider), None) => provider.to_string(),
        (None, None) => String::new(),
    }
}

/// When a sale was started, in the history list: "22 Nov 20:01"; in French, whose month names
/// chrono does not know, "22/11 20:01".
pub fn history_time(language: Language, at: DateTime<Utc>) -> String {
    let format = match language {
        Language::French => "%d/%m %H:%M",
        Language::English | Language::Krio => "%d %b %H:%M",
    };
    at.with_timezone(&Local).format(format).to_string()
}

/// The admin screen's line about Monime: "Monime: connected", "Monime: reachable at 20:01:07";
/// when Monime refuses the key, its answer and where the key was read from, which is what the
/// technician fixes.
pub fn network_line(language: Language, note: &NetworkNote) -> String {
    match note {
        NetworkNote::NotContacted => language.tr("Monime: not contacted yet").into(),
        NetworkNote::Connected => language.tr("Monime: connected").into(),
        NetworkNote::ReachableAt(at) => {
            language.trf("Monime: reachable at {}", &[&at.format("%H:%M:%S")])
        }
        NetworkNote::KeyRefused {
            message,
            origin: Some(origin),
        } => language.trf("{}. The key is read from {}.", &[message, origin]),
        NetworkNote::KeyRefused { message, .. } => message.clone(),
        NetworkNote::Trouble(message) => language.trf("Monime: {}", &[message]),
    }
}

/// The status bar's network badge: "Monime online" only when the last request was answered.
pub fn network_badge(language: Language, link: MonimeLink) -> &'static str {
    match link {
        MonimeLink::NotContacted => language.tr("Monime not contacted"),
        MonimeLink::Online => language.tr("Monime online"),
        MonimeLink::Offline => language.tr("Monime offline"),
        MonimeLink::KeyRefused => language.tr("Monime refused the key"),
    }
}

/// The status bar's network badge while Monime answers but this terminal's clock is wrong:
/// "Clock off by 3 days".
pub fn clock_off(language: Language, off_by: TimeDelta) -> String {
    language.trf(
        "Clock off by {}",
        &[&crate::clock::span_in(off_by, language)],
    )
}

/// The status bar's printer badge: "Printer ready (2 owed)"; `None` before the first check.
pub fn printer_badge(
    language: Language,
    has_printer: bool,
    state: Option<&PrinterState>,
) -> String {
    let Some(state) = state.filter(|_| has_printer) else {
        return if has_printer {
            language.tr("Printer")
        } else {
            language.tr("No printer")
        }
        .into();
    };
    let badge = match state.status {
        PrinterStatus::Unknown => language.tr("Printer checking"),
        PrinterStatus::Ready => language.tr("Printer ready"),
        PrinterStatus::PaperLow => language.tr("Printer paper low"),
        PrinterStatus::PaperOut => language.tr("Printer out of paper"),
        PrinterStatus::CoverOpen => language.tr("Printer cover open"),
        PrinterStatus::Offline => language.tr("Printer offline"),
        PrinterStatus::NotAnswering => language.tr("Printer connected"),
        PrinterStatus::Unreachable(_) => language.tr("Printer not connected"),
    };
    match i64::try_from(state.owed) {
        Ok(0) => badge.into(),
        Ok(owed) => language.trn("{0} ({n} owed)", "{0} ({n} owed)", owed, &[&badge]),
        Err(_) => badge.into(),
    }
}

/// The status bar's name before the configuration (and the merchant's name) is read.
pub const PRODUCT: &str = "paycode-kiosk";

/// Shown while the terminal opens. The language is not known before the configuration and
/// the journal are read, so the start-up screen speaks the system's (its locale), else English.
pub fn starting(language: Language) -> &'static str {
    language.tr("Starting…")
}

/// Why the terminal cannot start, as a title and what to do, in plain words; the exact error
/// goes under it in small type for the technician, and to the log.
pub fn start_problem(language: Language, error: &OpenError) -> (&'static str, &'static str) {
    match error {
        OpenError::Config(_) => (
            language.tr("The settings need fixing"),
            language.tr("A technician must correct the configuration file. The terminal tries again by itself."),
        ),
        OpenError::Journal(error) if error.kind == ProblemKind::DiskFull => (
            language.tr("The memory card is full"),
            language.tr("Free some space or fit a larger card. The terminal tries again by itself."),
        ),
        OpenError::Journal(_) => (
            language.tr("The sales record cannot be opened"),
            language.tr("Call the technician to check the memory card. The terminal tries again by itself."),
        ),
        OpenError::Monime(MonimeError::TrustStore { .. }) => (
            language.tr("Monime cannot be checked"),
            language.tr("This system has no security certificates: install ca-certificates. The terminal tries again by itself."),
        ),
        OpenError::Owned(_) => (
            language.tr("The terminal is busy"),
            language.tr("Another paycode-kiosk program is using the sales record. The terminal tries again by itself."),
        ),
        OpenError::NotSetUp => (
            language.tr("This terminal is not set up yet"),
            language.tr("A technician connects (SSH or a keyboard) and runs\nsudo paycode-kiosk setup\nThe terminal starts by itself once it is set up."),
        ),
        OpenError::Monime(_) | OpenError::Other(_) => (
            language.tr("The terminal cannot start yet"),
            language.tr("Call the technician. The terminal tries again by itself."),
        ),
    }
}

/// The cart's line for the amount typed beside the items.
pub fn typed_amount(language: Language) -> &'static str {
    language.tr("Amount typed")
}

/// A tip button: "10%".
pub fn tip_percent(language: Language, percent: u8) -> String {
    language.trf("{}%", &[&percent])
}

/// The tip button that rounds the total up.
pub fn round_up(language: Language) -> &'static str {
    language.tr("Round up")
}

/// Charge with nothing to charge; with item keys, tapping an item is the other way.
pub fn type_amount_first(language: Language, has_items: bool) -> &'static str {
    match has_items {
        true => language.tr("Tap an item or type the amount first"),
        false => language.tr("Type the amount first"),
    }
}

pub fn wrong_pin(language: Language) -> &'static str {
    language.tr("Wrong PIN")
}

/// On the sign-in screen after the idle sign-out.
pub fn signed_out_idle(language: Language, minutes: u32) -> String {
    language.trn(
        "Signed out after {n} minute without use.",
        "Signed out after {n} minutes without use.",
        i64::from(minutes),
        &[],
    )
}

pub fn getting_code(language: Language) -> &'static str {
    language.tr("Getting a payment code")
}

/// The countdown of a code: "9:41".
pub fn countdown(seconds: u64) -> String {
    format!("{}:{:02}", seconds / 60, seconds % 60)
}

/// One dot a PIN digit typed.
pub fn pin_dots(digits: usize) -> String {
    "●".repeat(digits)
}

pub fn no_receipt_printer(language: Language) -> &'static str {
    language.tr("No receipt printer")
}

pub fn receipt_printed(language: Language) -> &'static str {
    language.tr("Receipt printed")
}

pub fn printing_receipt(language: Language) -> &'static str {
    language.tr("Printing the receipt…")
}

/// The paid screen while the printer cannot print the receipt.
pub fn receipt_waits_for(language: Language, status: &PrinterStatus) -> String {
    language.trf(
        "Printer {}. The receipt prints once it is fixed.",
        &[&status.describe(language)],
    )
}

/// Title and reason of a sale that could not be started: no code was asked for, so nothing
/// can have been charged. The raw error goes to the log and the admin screen
/// (`last_problem`), not to the cashier.
pub fn not_started(language: Language, failure: &str) -> (String, String) {
    let reason = if failure.contains("the disk is full") {
        language.tr("Nothing was charged. The memory card is full: call the technician.")
    } else {
        language.tr("Nothing was charged. Try again; if it happens again, call the technician.")
    };
    (language.tr("Sale not started").into(), reason.into())
}

/// The admin screen's line for the last problem the cashier was shown, in full.
pub fn last_problem(language: Language, problem: &str) -> String {
    language.trf("Last problem: {}", &[&problem])
}

/// Title and reason of a sale that ended without a payment; empty for any other phase.
/// "Nothing was charged" only where Monime said so: it called the code expired or cancelled;
/// a failure's own words say it when Monime refused the code. The failure's words are
/// English, as the sale machine stored them; what they mean is said in `language`.
pub fn outcome(language: Language, phase: Phase, failure: Option<&str>) -> (String, String) {
    let (title, reason) = match phase {
        Phase::Expired => (
            language.tr("Code expired"),
            language.trf(
                "The customer did not pay in time. {}",
                &[&nothing_charged(language)],
            ),
        ),
        Phase::Cancelled => (
            language.tr("Cancelled"),
            language.trf(
                "The code was switched off. {}",
                &[&nothing_charged(language)],
            ),
        ),
        // The failure's own text (Monime's message, the HTTP status) is for the technician;
        // the cashier reads what it means for the money.
        Phase::Failed => (
            language.tr("Payment failed"),
            match failure {
                Some(text) if text.contains(CHECK_THE_DASHBOARD) => language.trf(
                    "Monime could not confirm this sale. {}",
                    &[&check_the_dashboard(language)],
                ),
                Some(text) if text.contains(NOTHING_CHARGED) => language.trf(
                    "Monime refused this payment. {}",
                    &[&nothing_charged(language)],
                ),
                _ => language
                    .tr("The payment did not go through. Call the technician.")
                    .into(),
            },
        ),
        Phase::Unknown => (
            language.tr("Payment not confirmed"),
            language.trf(
                "Monime cannot find this sale's code. {}",
                &[&check_the_dashboard(language)],
            ),
        ),
        _ => return (String::new(), String::new()),
    };
    (title.into(), reason)
}

/// Title and reason when Monime never confirmed a cancel: the code may still be live.
pub fn cancel_not_confirmed(language: Language) -> (String, String) {
    (
        language.tr("Cancel not confirmed").into(),
        language.trf(
            "Monime did not confirm the cancel. {}",
            &[&check_the_dashboard(language)],
        ),
    )
}

/// The admin screen's lines: version and terminal, Monime, printer.
pub fn admin_lines(
    language: Language,
    terminal_id: &str,
    network: &str,
    has_printer: bool,
    printer: Option<&PrinterState>,
    last_problem: Option<&str>,
) -> Vec<String> {
    let printer = match printer {
        Some(state) => language.trn(
            "Printer: {0} ({1}), {n} receipt owed",
            "Printer: {0} ({1}), {n} receipts owed",
            i64::try_from(state.owed).unwrap_or(i64::MAX),
            &[&state.status.describe(language), &state.device],
        ),
        None if has_printer => language.tr("Printer: not checked yet").into(),
        None => language.tr("Printer: none configured").into(),
    };
    let mut lines = vec![
        language.trf(
            "paycode-kiosk {} · terminal {}",
            &[&env!("CARGO_PKG_VERSION"), &terminal_id],
        ),
        network.to_string(),
        printer,
    ];
    lines.extend(last_problem.map(|problem| self::last_problem(language, problem)));
    lines
}

pub fn no_printer(language: Language) -> &'static str {
    language.tr("This terminal has no printer")
}

/// The books screen's title while its report is read.
pub fn books_loading(language: Language) -> &'static str {
    language.tr("Reading the books…")
}

pub fn closing_day(language: Language) -> &'static str {
    language.tr("Checking with Monime, then closing the day…")
}

/// What Close day asks before it closes.
pub fn confirm_close(language: Language, since: Option<i64>) -> String {
    match since {
        Some(number) => language.trf(
            "Today is checked with Monime, then gets the next Z number and every finished sale since {}. A day closes once; sales after the close belong to the next day.",
            &[&crate::journal::z_label(number)],
        ),
        None => language
            .tr("Today is checked with Monime, then gets the next Z number and every finished sale so far. A day closes once; sales after the close belong to the next day.")
            .into(),
    }
}

/// The line under a day just closed: "Z 0004 closed and sent to the printer".
pub fn day_closed(
    language: Language,
    label: &str,
    printed: Option<Result<(), PrintError>>,
) -> String {
    match printed {
        None => language.trf(
            "{} closed. No printer: it is kept in the journal",
            &[&label],
        ),
        Some(Ok(())) => language.trf("{} closed and sent to the printer", &[&label]),
        Some(Err(error)) => language.trf(
            "{} closed but not printed: {}",
            &[&label, &print_error(language, &error)],
        ),
    }
}

/// What is being printed, in a printing's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Printing {
    Reprint(i64),
    TestPage,
    DayReport,
    /// The shift report (X) or a day close (Z n).
    Books(Option<i64>),
    /// A refund's receipt.
    Refund(i64),
}

/// How a print went: "Test page sent to the printer".
pub fn printed(language: Language, what: Printing, result: Result<(), PrintError>) -> String {
    let what = match what {
        Printing::Reprint(number) => language.trf("Receipt of sale {}", &[&number]),
        Printing::Refund(number) => language.trf("Receipt of refund {}", &[&number]),
        Printing::TestPage => language.tr("Test page").into(),
        Printing::DayReport => language.tr("End-of-day report").into(),
        Printing::Books(None) => language.tr("Shift report (X)").into(),
        Printing::Books(Some(number)) => {
            language.trf("Day close {}", &[&crate::journal::z_label(number)])
        }
    };
    match result {
        Ok(()) => language.trf("{} sent to the printer", &[&what]),
        Err(error) => language.trf(
            "{} not printed: {}",
            &[&what, &print_error(language, &error)],
        ),
    }
}

/// Why something did not print: the printer's state in the cashier's words; anything else
/// (a transport or journal error) as the system said it, for the technician.
fn print_error(language: Language, error: &PrintError) -> String {
    match error {
        PrintError::NotReady(status) => {
            language.trf("the printer is {}", &[&status.describe(language)])
        }
        other => other.to_string(),
    }
}

/// The journal was damaged and put aside when the terminal started.
pub fn journal_kept_aside(language: Language) -> &'static str {
    language.tr("The sales record was damaged and a new one was started. Call the technician.")
}

/// The sales a power cut left unsettled could not be read.
pub fn earlier_sales(language: Language, error: impl Display) -> String {
    language.trf("Earlier sales: {}", &[&error])
}

pub fn demo_cannot_pay(language: Language, error: impl Display) -> String {
    language.trf("The demo customer cannot pay: {}", &[&error])
}

/// Why a keypad key was refused.
pub fn refusal(language: Language, refusal: &Refusal) -> String {
    match refusal {
        Refusal::SecondPoint => language.tr("The amount already has a decimal point").into(),
        Refusal::TooManyDecimals(decimals) => language.trn(
            "Only {n} digit after the point",
            "Only {n} digits after the point",
            i64::from(*decimals),
            &[],
        ),
        Refusal::OverTheLimit(limit) => {
            language.trf("The most this terminal takes is {}", &[limit])
        }
    }
}

/// Said on the admin screen when the language is switched, in the new language.
pub fn language_chosen(language: Language) -> String {
    language.trf("Language: {}", &[&language.name()])
}

/// The language is switched but could not be written to the journal: after a restart the
/// terminal speaks its configured language again.
pub fn language_not_kept(language: Language, error: impl Display) -> String {
    language.trf(
        "Language: {}, until the terminal restarts (not kept: {})",
        &[&language.name(), &error],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENGLISH: Language = Language::English;

    #[test]
    fn a_failure_reads_as_what_it_means_never_as_the_raw_error() {
        let refused =
            format!("Monime answered HTTP 400: amount_too_large (value). {NOTHING_CHARGED}");
        let (title, reason) = outcome(ENGLISH, Phase::Failed, Some(&refused));
        assert_eq!(title, "Payment failed");
        assert_eq!(reason, "Monime refused this payment. Nothing was charged.");
        let conflict = format!("Monime answered HTTP 409: key reused. {CHECK_THE_DASHBOARD}");
        let (_, reason) = outcome(ENGLISH, Phase::Failed, Some(&conflict));
        assert!(
            reason.contains(CHECK_THE_DASHBOARD) && !reason.contains("409"),
            "{reason}"
        );
        let (_, reason) = not_started(
            ENGLISH,
            "the sales journal /var/lib/x: the disk is full (12 KB free)",
        );
        assert!(
            reason.contains("memory card is full") && !reason.contains("/var"),
            "{reason}"
        );
    }

    #[test]
    fn a_receipt_reads_the_same_wherever_it_is_listed() {
        assert_eq!(
            history_status(ENGLISH, Phase::Paid, Receipt::Printed),
            "Paid · printed"
        );
        assert_eq!(
            history_status(ENGLISH, Phase::Paid, Receipt::Owed),
            "Paid · receipt owed"
        );
        assert_eq!(
            history_status(ENGLISH, Phase::Paid, Receipt::NoPrinter),
            "Paid"
        );
        assert_eq!(
            history_status(ENGLISH, Phase::Expired, Receipt::Owed),
            "Expired"
        );
        assert_eq!(
            history_status(ENGLISH, Phase::AwaitingPayment, Receipt::Owed),
            "Open"
        );
    }

    #[test]
    fn nothing_was_charged_only_on_monimes_word() {
        // Monime called the code expired or cancelled.
        for phase in [Phase::Expired, Phase::Cancelled] {
            let (title, reason) = outcome(ENGLISH, phase, None);
            assert!(!title.is_empty(), "{phase:?}");
            assert!(reason.ends_with(". Nothing was charged."), "{reason}");
        }
        // A failure says it only when its own words (Monime's refusal) do; the raw words
        // themselves are for the admin screen.
        assert_eq!(
            outcome(ENGLISH, Phase::Failed, Some("The wallet refused")).1,
            "The payment did not go through. Call the technician."
        );
        assert_eq!(
            outcome(
                ENGLISH,
                Phase::Failed,
                Some("Monime refused the request: too big. Nothing was charged.")
            )
            .1,
            "Monime refused this payment. Nothing was charged."
        );
        assert!(!outcome(ENGLISH, Phase::Failed, None).1.contains("charged"));
        // Nobody knows: the cashier is sent to the dashboard.
        for (title, reason) in [
            outcome(ENGLISH, Phase::Unknown, None),
            cancel_not_confirmed(ENGLISH),
        ] {
            assert!(!title.is_empty());
            assert!(!reason.contains("charged"), "{reason}");
            assert!(reason.contains("Monime dashboard"), "{reason}");
        }
        assert_eq!(
            outcome(ENGLISH, Phase::Unknown, None).0,
            "Payment not confirmed"
        );
        assert_eq!(
            outcome(ENGLISH, Phase::Paid, None),
            (String::new(), String::new())
        );
    }

    #[test]
    fn monime_online_only_after_an_answer() {
        assert_eq!(network_badge(ENGLISH, MonimeLink::Online), "Monime online");
        assert_ne!(
            network_badge(ENGLISH, MonimeLink::NotContacted),
            "Monime online"
        );
        assert_eq!(
            network_badge(ENGLISH, MonimeLink::KeyRefused),
            "Monime refused the key"
        );
        assert_eq!(
            network_line(
                ENGLISH,
                &NetworkNote::KeyRefused {
                    message: "Monime refused the access token (revoked)".into(),
                    origin: Some("$MONIME_ACCESS_TOKEN".into()),
                }
            ),
            "Monime refused the access token (revoked). The key is read from $MONIME_ACCESS_TOKEN."
        );
    }
}
