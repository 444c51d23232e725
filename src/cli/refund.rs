//! `paycode-kiosk refund SALE [--amount A] --to PHONE`: money back to a paid sale's payer, as a
//! Monime payout, through the same shop operation as the screen's History. The quote (whose
//! number it is, the amount, Monime's fee) is shown and confirmed before anything moves, unless
//! `--yes`; then the payout is followed to Monime's word, or to a clear "not confirmed".
//!
//! The PIN (the admin's, or a cashier's with `can_refund`) is asked without echo on a terminal,
//! or read from the first line of standard input (`--pin-stdin`), or given with `--pin` (which
//! shows in the process list), before the command is handed to the running terminal.
//!
//! Exit codes: 0 refunded, 2 not sent (Monime's `failed`, or its refusal), 3 not confirmed by
//! whoever refunds, 4 not confirmed by Monime (check the dashboard; `recover` settles it), 1 a
//! refusal before anything was sent, or an error.

use std::io::IsTerminal;
use std::time::Duration;

use chrono::Local;
use tokio::time::Instant;

use crate::control::console::{self, say, say_err};
use crate::journal::Receipt;
use crate::lang::Language;
use crate::money::Money;
use crate::monime::provider_name;
use crate::refund::{NOT_CONFIRMED, Refund, RefundPhase};
use crate::report::receipt_label;
use crate::shop::{RefundRequest, Shop};

pub const EXIT_NOT_SENT: u8 = 2;
pub const EXIT_DECLINED: u8 = 3;
pub const EXIT_NOT_CONFIRMED: u8 = 4;

/// How long the command follows a payout before it says Monime has not confirmed it yet.
pub const FOLLOW_FOR: Duration = Duration::from_secs(120);
/// How long it waits for the refund's receipt to come out before leaving it to the queue.
const RECEIPT_WAIT: Duration = Duration::from_secs(15);

/// What to refund, as the command line gave it.
#[derive(Clone)]
pub struct Asked {
    pub sale: i64,
    pub amount: Option<String>,
    pub to: String,
    pub pin: String,
    pub yes: bool,
    /// Instead of `FOLLOW_FOR` (tests).
    pub wait: Option<Duration>,
}

/// The PIN for a refund, in this (the technician's) process: given, read from standard input,
/// or asked without echo on a terminal.
pub fn pin(given: Option<String>, from_stdin: bool) -> Result<String, String> {
    if let Some(pin) = given {
        return Ok(pin);
    }
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .map_err(|error| format!("cannot read the PIN from standard input: {error}"))?;
        return Ok(line.trim().to_string());
    }
    if std::io::stdin().is_terminal() {
        return rpassword::prompt_password(
            "PIN (the admin's, or a cashier's who may refund; not shown): ",
        )
        .map(|pin| pin.trim().to_string())
        .map_err(|error| format!("cannot read the PIN: {error}"));
    }
    Err(
        "a refund needs the PIN: type it when asked, or give it on standard input with --pin-stdin"
            .into(),
    )
}

pub async fn run(shop: &Shop, asked: Asked) -> Result<u8, String> {
    let settings = shop.settings();
    let style = settings.currency_style;
    let amount = asked
        .amount
        .as_deref()
        .map(|text| Money::parse(text, settings.currency))
        .transpose()
        .map_err(|error| format!("{error}; nothing was sent"))?;
    let request = RefundRequest {
        sale: asked.sale,
        amount,
        phone: asked.to.clone(),
        pin: asked.pin.clone(),
    };
    if !console::is_remote() {
        // The running terminal settles earlier refunds itself; here nobody else does.
        let earlier = shop
            .settle_refunds()
            .await
            .map_err(|error| error.to_string())?;
        if !earlier.is_empty() {
            say!(
                "Settling {} earlier unsettled refund(s) alongside this one.",
                earlier.len()
            );
        }
    }
    let offer = shop
        .prepare_refund(&request)
        .await
        .map_err(|error| format!("{error}; nothing was sent"))?;
    say!("{}", offer.quote().sentence_in(Language::English, style));
    if !asked.yes && !console::confirm("Send it? [y/N] ").await? {
        say!("Nothing was sent.");
        return Ok(EXIT_DECLINED);
    }
    let quote = offer.quote().clone();
    let handle = shop
        .refund(offer)
        .await
        .map_err(|error| format!("{error}; nothing was sent"))?;
    let number = handle.number();
    say!(
        "Refund {number} of sale {}: {} to {} {}",
        quote.sale,
        quote.amount.display(style),
        provider_name(&quote.provider_id),
        quote.phone_shown
    );
    let refund = follow(shop, handle.updates, asked.wait.unwrap_or(FOLLOW_FOR)).await?;
    let record = &refund.record;
    match record.phase {
        RefundPhase::Completed => {
            if let Some(payout) = &record.payout {
                let mut parts = vec![format!("payout {}", payout.id)];
                if let Some(reference) = &payout.reference {
                    parts.push(format!("reference {reference}"));
                }
                if let Some(fee) = payout.fee {
                    parts.push(format!("Monime's fee {}", fee.display(style)));
                }
                say!("Monime: {}", parts.join(", "));
            }
            say!("Receipt: {}", receipt_result(shop, number).await);
            Ok(0)
        }
        RefundPhase::Failed | RefundPhase::Refused => Ok(EXIT_NOT_SENT),
        RefundPhase::Unknown => {
            if let Some(why) = record.failure.as_ref().and_then(|f| f.message.as_deref()) {
                say_err!("refund {number}: {why}");
            }
            Ok(EXIT_NOT_CONFIRMED)
        }
        RefundPhase::Written
        | RefundPhase::Sending
        | RefundPhase::Pending
        | RefundPhase::Processing => {
            let who_goes_on = if console::is_remote() {
                "the terminal keeps asking Monime"
            } else {
                "`paycode-kiosk recover` asks Monime again"
            };
            say!(
                "{NOT_CONFIRMED}. Monime has not said yet whether refund {number} went ({}); {who_goes_on}, never sending it twice.",
                refund.status_line().to_lowercase()
            );
            Ok(EXIT_NOT_CONFIRMED)
        }
    }
}

/// Says each new state of the refund until it is settled, `wait` passes, or the technician
/// stops following it; gives its last state.
async fn follow(
    shop: &Shop,
    mut updates: tokio::sync::watch::Receiver<Refund>,
    wait: Duration,
) -> Result<Refund, String> {
    let deadline = Instant::now() + wait;
    let mut stops = console::stops()?;
    let mut last_line = String::new();
    loop {
        let refund = updates.borrow_and_update().clone();
        let line = refund.status_line();
        if line != last_line {
            let now = shop.clock().now().with_timezone(&Local);
            say!("{}  {line}", now.format("%H:%M:%S"));
            last_line = line;
        }
        if refund.is_final() {
            return Ok(refund);
        }
        tokio::select! {
            changed = updates.changed() => {
                if changed.is_err() {
                    return Ok(updates.borrow().clone());
                }
            }
            () = tokio::time::sleep_until(deadline) => return Ok(refund),
            stopped = stops.changed() => {
                if stopped.is_ok() {
                    return Err(format!(
                        "stopped following refund {}; it stays in the journal under its one key, and `paycode-kiosk recover` settles it",
                        refund.record.number
                    ));
                }
            }
        }
    }
}

/// Waits (a while) for the refund's receipt and says how it went.
async fn receipt_result(shop: &Shop, number: i64) -> String {
    let deadline = Instant::now() + RECEIPT_WAIT;
    loop {
        let receipt = match shop.stored_refund(number).await {
            Ok(Some(stored)) => stored.receipt,
            Ok(None) => return "unknown: the refund is missing from the journal".into(),
            Err(error) => return format!("unknown: {error}"),
        };
        let label = receipt_label(receipt, Language::English);
        match receipt {
            Receipt::NoPrinter => return format!("{label} configured"),
            Receipt::Printed | Receipt::NotKnown => return label.into(),
            Receipt::Owed if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Receipt::Owed => {
                let status = match shop.printer() {
                    Some(printer) => printer.state().borrow().status.to_string(),
                    None => "no printer".into(),
                };
                return format!(
                    "{label}, the printer is {status}; it prints when the kiosk runs and the printer is ready"
                );
            }
        }
    }
}
