//! `paycode-kiosk charge AMOUNT`: one whole sale without the screen, through the same
//! controller the touchscreen uses. It is how a technician checks a deployed terminal over SSH.
//!
//! Exit codes: 0 paid, 2 expired, 3 cancelled, 4 unknown (Monime cannot find the code: check
//! the dashboard), 1 failed or error. Ctrl-C or SIGTERM cancels the code at Monime first; a
//! second one, or a cancel Monime does not confirm within `sale::CANCEL_GIVES_UP_AFTER`, leaves
//! the sale to `recover`.

use std::time::Duration;

use chrono::Local;

use super::console::{self, say};
use super::journal_read;
use crate::controller::{SaleExtras, resume_unsettled, start_sale_with};
use crate::journal::Receipt;
use crate::money::Money;
use crate::qr;
use crate::sale::{Bounds, Phase, Reachability, Sale};
use crate::terminal::Terminal;
use crate::terminal::{REFERENCE_MAX_CHARS, code_request};

pub const EXIT_EXPIRED: u8 = 2;
pub const EXIT_CANCELLED: u8 = 3;
pub const EXIT_UNKNOWN: u8 = 4;

/// What to charge, as the command line gave it.
#[derive(Debug, Clone, Copy)]
pub struct Order<'a> {
    pub amount: &'a str,
    pub phone: Option<&'a str>,
    pub reference: Option<&'a str>,
    /// Instead of `sale::UNKNOWN_AFTER` (tests).
    pub unknown_after: Option<Duration>,
}

pub async fn run(terminal: &Terminal, order: Order<'_>) -> Result<u8, String> {
    let Order {
        amount: amount_text,
        phone,
        reference,
        unknown_after,
    } = order;
    let config = &terminal.config;
    let amount = Money::parse(amount_text, config.monime.currency).map_err(|e| e.to_string())?;
    if amount.minor > config.kiosk.max_amount_minor {
        let limit = Money::new(amount.currency, config.kiosk.max_amount_minor);
        return Err(format!(
            "{} is above this terminal's limit of {} ([kiosk] max_amount)",
            amount.display(config.kiosk.currency_style),
            limit.display(config.kiosk.currency_style)
        ));
    }
    let extras = SaleExtras {
        phone: phone.map(normalize_msisdn).transpose()?,
        reference: reference.map(check_reference).transpose()?,
        // A sale from the command line is the technician's, not a signed-in cashier's.
        cashier: None,
        order: crate::order::Order::default(),
    };
    let mut stops = console::stops()?;

    if console::is_remote() {
        // The running terminal already follows every unsettled sale; a second one at the
        // counter while one is under way would take the screen from the cashier.
        let unsettled = journal_read(terminal, |journal| journal.unsettled()).await?;
        if let Some(busy) = unsettled.iter().find(|sale| !sale.record.phase.is_final()) {
            return Err(format!(
                "the terminal is taking sale {} now; try again when it is settled",
                busy.record.number
            ));
        }
    } else {
        let earlier = resume_unsettled(&terminal.services)
            .await
            .map_err(|e| e.to_string())?;
        if !earlier.is_empty() {
            say!(
                "Settling {} earlier unsettled sale(s) alongside this one.",
                earlier.len()
            );
        }
    }
    let request_config = config.clone();
    let bounds = Bounds {
        unknown_after: unknown_after.unwrap_or(Bounds::ATTENDED.unknown_after),
        ..Bounds::ATTENDED
    };
    let handle = start_sale_with(&terminal.services, bounds, move |number| {
        code_request(&request_config, number, amount, &extras)
    })
    .await
    .map_err(|error| format!("{error}; nothing was charged"))?;
    let style = config.kiosk.currency_style;
    say!("Sale {}: {}", handle.number(), amount.display(style));
    terminal.show_on_screen(&handle);

    let mut updates = handle.updates.clone();
    let mut shown_code = false;
    let mut last_line = String::new();
    let mut stop_requests = 0;
    loop {
        let sale = updates.borrow_and_update().clone();
        if !shown_code && let Some(code) = &sale.record.code {
            shown_code = true;
            show_code(terminal, &sale, &code.ussd_code);
        }
        let line = sale.status_line();
        if line != last_line {
            let now = terminal.services.clock().now().with_timezone(&Local);
            say!("{}  {line}", now.format("%H:%M:%S"));
            if let Reachability::KeyRefused { message, .. } = &sale.reachability {
                let origin = &config.monime.token_origin;
                say!("          {message}. The key is read from {origin}.");
                tracing::error!(sale = sale.record.number, key_from = %origin, "{message}");
            }
            last_line = line;
        }
        if sale.is_done() {
            break;
        }
        tokio::select! {
            changed = updates.changed() => {
                if changed.is_err() {
                    break;
                }
            }
            stopped = stops.changed() => {
                if stopped.is_ok() {
                    stop_requests = *stops.borrow_and_update();
                }
            }
        }
        match stop_requests {
            0 => {}
            1 => {
                if !sale.record.cancel_requested {
                    say!(
                        "Cancelling the code at Monime (press Ctrl-C again to leave it to `paycode-kiosk recover`)"
                    );
                    handle.cancel();
                }
            }
            _ => {
                return Err(format!(
                    "stopped; sale {} stays in the journal and `paycode-kiosk recover` settles it",
                    sale.record.number
                ));
            }
        }
    }
    let sale = handle
        .finished
        .await
        .map_err(|error| format!("the sale task stopped: {error}"))?;
    if let Some(notice) = &sale.notice {
        say!("Note: {notice}");
    }
    if let Some(off_by) = terminal.services.clock().off_by() {
        say!("Note: {}", super::clock_is_off(off_by));
    }
    if sale.left_for_recover {
        return Err(format!(
            "sale {} stays in the journal; `paycode-kiosk recover` settles it",
            sale.record.number
        ));
    }
    if sale.record.phase == Phase::Paid {
        print_payment(&sale, style);
        say!(
            "Receipt: {}",
            receipt_result(terminal, sale.record.number).await
        );
    }
    Ok(exit_code(sale.record.phase))
}

pub fn exit_code(phase: Phase) -> u8 {
    match phase {
        Phase::Paid => 0,
        Phase::Expired => EXIT_EXPIRED,
        Phase::Cancelled => EXIT_CANCELLED,
        Phase::Unknown => EXIT_UNKNOWN,
        _ => 1,
    }
}

fn show_code(terminal: &Terminal, sale: &Sale, ussd_code: &str) {
    say!("Dial {ussd_code} to pay, or scan:");
    let payload = terminal.config.kiosk.qr_payload.for_ussd(ussd_code);
    match qr::encode(&payload) {
        Ok(code) => console::out(qr::to_terminal(&code)),
        Err(error) => say!("({error})"),
    }
    if let Some(code) = &sale.record.code {
        let expiry = code
            .expire_time
            .map(|at| format!(", expires {}", at.with_timezone(&Local).format("%H:%M:%S")))
            .unwrap_or_default();
        say!("Code {}{expiry}", code.id);
    }
}

fn print_payment(sale: &Sale, style: crate::money::CurrencyStyle) {
    let Some(payment) = &sale.record.payment else {
        return;
    };
    let mut parts = Vec::new();
    if let Some(amount) = payment.amount {
        parts.push(format!("paid {}", amount.display(style)));
    }
    if let Some(provider) = payment.provider_name() {
        parts.push(format!("via {provider}"));
    }
    if let Some(order) = &payment.order_number {
        parts.push(format!("order {order}"));
    }
    if let Some(id) = &payment.payment_id {
        parts.push(format!("payment {id}"));
    }
    if !parts.is_empty() {
        say!("Monime: {}", parts.join(", "));
    }
}

/// How long `charge` waits for the receipt to come out before leaving it to the queue.
const RECEIPT_WAIT: Duration = Duration::from_secs(15);

/// Waits (a while) for the receipt and says how it went.
async fn receipt_result(terminal: &Terminal, number: i64) -> String {
    let deadline = tokio::time::Instant::now() + RECEIPT_WAIT;
    loop {
        let receipt = match journal_read(terminal, move |journal| journal.sale(number)).await {
            Ok(Some(stored)) => stored.receipt,
            Ok(None) => return "unknown: the sale is missing from the journal".into(),
            Err(error) => return format!("unknown: {error}"),
        };
        match receipt {
            Receipt::NoPrinter => return format!("{} configured", receipt.label()),
            // A sale just charged is never a restored one; said as it is all the same.
            Receipt::Printed | Receipt::NotKnown => return receipt.label().into(),
            Receipt::Owed if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Receipt::Owed => {
                let status = match &terminal.printer {
                    Some(printer) => printer.state().borrow().status.to_string(),
                    None => "no printer".into(),
                };
                return format!(
                    "{}, the printer is {status}; it prints when the kiosk runs and the printer is ready, or with `paycode-kiosk reprint {number}`",
                    receipt.label()
                );
            }
        }
    }
}

/// Accepts `076 123456`, `+232-76-123456` and the like; keeps the digits and a leading `+`.
pub fn normalize_msisdn(text: &str) -> Result<String, String> {
    let trimmed = text.trim();
    let plus = trimmed.starts_with('+');
    let body = trimmed.trim_start_matches('+');
    if !body
        .chars()
        .all(|c| c.is_ascii_digit() || c == ' ' || c == '-')
    {
        return Err(format!(
            "\"{text}\" is not a phone number: use digits, such as 076123456 or +23276123456"
        ));
    }
    let digits: String = body.chars().filter(char::is_ascii_digit).collect();
    if !(8..=15).contains(&digits.len()) {
        return Err(format!(
            "\"{text}\" has {} digits; a mobile number has 8 to 15",
            digits.len()
        ));
    }
    Ok(if plus { format!("+{digits}") } else { digits })
}

fn check_reference(text: &str) -> Result<String, String> {
    let trimmed = text.trim();
    if trimmed.is_empty()
        || trimmed.chars().count() > REFERENCE_MAX_CHARS
        || trimmed.chars().any(char::is_control)
    {
        return Err(format!(
            "the reference must be 1 to {REFERENCE_MAX_CHARS} printable characters"
        ));
    }
    Ok(trimmed.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_are_tidied_or_refused() {
        assert_eq!(normalize_msisdn("076 123456"), Ok("076123456".into()));
        assert_eq!(
            normalize_msisdn("+232-76-123456"),
            Ok("+23276123456".into())
        );
        assert!(normalize_msisdn("0761").is_err());
        assert!(normalize_msisdn("07612345a").is_err());
        assert!(normalize_msisdn("1234567890123456").is_err());
    }

    #[test]
    fn references_are_bounded() {
        assert_eq!(check_reference(" INV-9 "), Ok("INV-9".into()));
        assert!(check_reference("").is_err());
        assert!(check_reference(&"x".repeat(65)).is_err());
    }
}
