//! `paycode-kiosk charge AMOUNT`: one whole sale without the screen, through the same
//! controller the touchscreen uses. It is how a technician checks a deployed terminal over SSH.
//!
//! Exit codes: 0 paid, 2 expired, 3 cancelled, 4 unknown (Monime cannot find the code: check
//! the dashboard), 1 failed or error. Ctrl-C or SIGTERM cancels the code at Monime first; a
//! second one, or a cancel Monime does not confirm within `sale::CANCEL_GIVES_UP_AFTER`, leaves
//! the sale to `recover`.

use std::time::Duration;

use chrono::Local;

use crate::control::console::{self, say};
use crate::journal::Receipt;
use crate::lang::Language;
use crate::money::{CurrencyStyle, Money};
use crate::qr;
use crate::report::receipt_label;
use crate::sale::{Bounds, NewSale, Phase, Reachability, Sale, check_reference, normalize_msisdn};
use crate::shop::Shop;

pub const EXIT_EXPIRED: u8 = 2;
pub const EXIT_CANCELLED: u8 = 3;
pub const EXIT_UNKNOWN: u8 = 4;

/// What to charge, as the command line gave it.
#[derive(Debug, Clone)]
pub struct Asked {
    pub amount: String,
    pub phone: Option<String>,
    pub reference: Option<String>,
    /// Instead of `sale::UNKNOWN_AFTER` (tests).
    pub unknown_after: Option<Duration>,
}

impl Asked {
    /// The sale asked for, or what is wrong with it.
    fn sale(&self, shop: &Shop) -> Result<NewSale, String> {
        let amount = Money::parse(&self.amount, shop.settings().currency)
            .map_err(|error| error.to_string())?;
        Ok(NewSale {
            payer_phone: self.phone.as_deref().map(normalize_msisdn).transpose()?,
            reference: self.reference.as_deref().map(check_reference).transpose()?,
            // A sale from the command line is the technician's, not a signed-in cashier's.
            cashier: None,
            ..NewSale::of(amount)
        })
    }
}

pub async fn run(shop: &Shop, asked: Asked) -> Result<u8, String> {
    let sale = asked.sale(shop)?;
    // Refused before anything else happens, earlier sales' settling included.
    shop.check_amount(&sale)
        .map_err(|error| format!("{error}; nothing was charged"))?;
    let amount = sale.amount;
    let mut stops = console::stops()?;

    if console::is_remote() {
        // The running terminal already follows every unsettled sale; a second one at the
        // counter while one is under way would take the screen from the cashier.
        let unsettled = shop
            .journal()
            .call(|journal| journal.unsettled())
            .await
            .map_err(|error| error.to_string())?;
        if let Some(busy) = unsettled.iter().find(|sale| !sale.record.phase.is_final()) {
            return Err(format!(
                "the terminal is taking sale {} now; try again when it is settled",
                busy.record.number
            ));
        }
    } else {
        let earlier = shop
            .resume_unsettled(Bounds::SETTLING)
            .await
            .map_err(|error| error.to_string())?;
        if !earlier.is_empty() {
            say!(
                "Settling {} earlier unsettled sale(s) alongside this one.",
                earlier.len()
            );
        }
    }
    let bounds = Bounds {
        unknown_after: asked
            .unknown_after
            .unwrap_or(Bounds::ATTENDED.unknown_after),
        ..Bounds::ATTENDED
    };
    let handle = shop
        .start_sale(sale, bounds)
        .await
        .map_err(|error| format!("{error}; nothing was charged"))?;
    let style = shop.settings().currency_style;
    say!("Sale {}: {}", handle.number(), amount.display(style));
    shop.show_on_screen(&handle);

    let mut updates = handle.updates.clone();
    let mut shown_code = false;
    let mut last_line = String::new();
    let mut stop_requests = 0;
    loop {
        let sale = updates.borrow_and_update().clone();
        if !shown_code && let Some(code) = &sale.record.code {
            shown_code = true;
            show_code(shop, &sale, &code.ussd_code);
        }
        let line = sale.status_line();
        if line != last_line {
            let now = shop.clock().now().with_timezone(&Local);
            say!("{}  {line}", now.format("%H:%M:%S"));
            if let Reachability::KeyRefused { message, .. } = &sale.reachability {
                let origin = &shop.settings().token_origin;
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
    if let Some(off_by) = shop.clock().off_by() {
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
            receipt_result(shop, sale.record.number).await
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

fn show_code(shop: &Shop, sale: &Sale, ussd_code: &str) {
    say!("Dial {ussd_code} to pay, or scan:");
    let payload = shop.settings().qr_payload.for_ussd(ussd_code);
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

fn print_payment(sale: &Sale, style: CurrencyStyle) {
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
async fn receipt_result(shop: &Shop, number: i64) -> String {
    let deadline = tokio::time::Instant::now() + RECEIPT_WAIT;
    loop {
        let receipt = match shop.sale(number).await {
            Ok(Some(stored)) => stored.receipt,
            Ok(None) => return "unknown: the sale is missing from the journal".into(),
            Err(error) => return format!("unknown: {error}"),
        };
        match receipt {
            Receipt::NoPrinter => return format!("{} configured", label(receipt)),
            // A sale just charged is never a restored one; said as it is all the same.
            Receipt::Printed | Receipt::NotKnown => return label(receipt).into(),
            Receipt::Owed if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Receipt::Owed => {
                let status = match shop.printer() {
                    Some(printer) => printer.state().borrow().status.to_string(),
                    None => "no printer".into(),
                };
                return format!(
                    "{}, the printer is {status}; it prints when the kiosk runs and the printer is ready, or with `paycode-kiosk reprint {number}`",
                    label(receipt)
                );
            }
        }
    }
}

/// The receipt in the command line's words.
fn label(receipt: Receipt) -> &'static str {
    receipt_label(receipt, Language::English)
}
