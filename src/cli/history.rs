//! `paycode-kiosk history` and `paycode-kiosk recover`: what the journal holds, and settling
//! what it holds unsettled (sales and refunds), receipts owed included.

use std::time::Duration;

use chrono::Local;
use tokio::time::Instant;

use crate::control::console::{self, say, say_err};
use crate::journal::{Journal, JournalError, Receipt, StoredRefund, StoredSale};
use crate::lang::Language;
use crate::money::CurrencyStyle;
use crate::report::receipt_note;
use crate::sale::{Bounds, Phase};
use crate::shop::Shop;

pub async fn history(shop: &Shop, limit: usize) -> Result<u8, String> {
    let sales = shop
        .recent_sales(limit)
        .await
        .map_err(|error| error.to_string())?;
    for kept in shop.journal().kept_aside() {
        say_err!(
            "note: a damaged journal was kept as {}; its sales are not listed here",
            kept.display()
        );
    }
    if sales.is_empty() {
        say!("no sales yet in {}", shop.journal().path().display());
    }
    let style = shop.settings().currency_style;
    for sale in &sales {
        say!("{}", sale_line(sale, style));
        let number = sale.record.number;
        let refunds = shop
            .refunds_of_sale(number)
            .await
            .map_err(|error| error.to_string())?;
        for refund in &refunds {
            say!("        {}", refund_line(refund, style));
        }
    }
    Ok(0)
}

/// One refund on one line, under its sale: number, time, amount, where it went, how it stands.
pub fn refund_line(refund: &StoredRefund, style: CurrencyStyle) -> String {
    let record = &refund.record;
    let outcome = match record.phase {
        crate::refund::RefundPhase::Completed => format!(
            "refunded, {}",
            receipt_note(refund.receipt, Language::English)
        ),
        phase => phase.as_str().to_string(),
    };
    format!(
        "refund #{} {}  {:>14}  to {} {}  {} ({})  {outcome}",
        record.number,
        refund
            .created_at
            .with_timezone(&Local)
            .format("%Y-%m-%d %H:%M"),
        record.amount.display(style),
        crate::monime::provider_name(&record.provider_id),
        record.phone_shown,
        record.payout_id().unwrap_or("no payout yet"),
        refund.refunder.name_in(Language::English),
    )
}

/// One sale on one line: number, time, amount, phase, code, receipt, and the payer's operator
/// reference once Monime's payment gave it.
pub fn sale_line(sale: &StoredSale, style: CurrencyStyle) -> String {
    let record = &sale.record;
    let receipt = match record.phase {
        Phase::Paid => receipt_note(sale.receipt, Language::English),
        _ => "",
    };
    let proof = match sale
        .proof
        .as_ref()
        .and_then(|proof| proof.reference.as_deref())
    {
        Some(reference) => format!("  ref {reference}"),
        None => String::new(),
    };
    let code = record.code.as_ref();
    format!(
        "#{:<6} {}  {:>14}  {:<19}  {:<30} {:<22} {receipt}{proof}",
        record.number,
        sale.created_at
            .with_timezone(&Local)
            .format("%Y-%m-%d %H:%M"),
        record.amount().display(style),
        record.phase.as_str(),
        code.map(|c| c.id.as_str()).unwrap_or("-"),
        code.map(|c| c.ussd_code.as_str()).unwrap_or("-"),
    )
}

/// How long `recover` waits for the printer to print the receipts still owed.
pub const RECEIPTS_WAIT: Duration = Duration::from_secs(30);

/// Settles every unsettled sale and refund, then sees every owed receipt printed; with
/// `cancel_pending`, codes nobody is paying are switched off instead of waited for (a payment
/// already under way still completes and is recorded). A refund is settled under its one key:
/// its payout's create, if it may have gone, is only sent again as it was. Exits 1 while a
/// sale or refund is unsettled or a receipt owed.
pub async fn recover(shop: &Shop, cancel_pending: bool) -> Result<u8, String> {
    let paid = if console::is_remote() {
        await_settling(shop, cancel_pending).await?
    } else {
        settle_here(shop, cancel_pending).await?
    };
    let refunded = settle_refunds(shop).await?;
    match print_owed_receipts(shop, &paid, &refunded).await? {
        0 => Ok(0),
        owed => Err(format!(
            "{owed} receipt(s) still owed: fix the printer, then run recover again \
             (a running terminal prints them by itself)"
        )),
    }
}

/// Settles every unsettled sale in this process, which owns the journal; returns the sales
/// that ended paid.
async fn settle_here(shop: &Shop, cancel_pending: bool) -> Result<Vec<i64>, String> {
    let handles = shop
        .resume_unsettled(Bounds::SETTLING)
        .await
        .map_err(|error| error.to_string())?;
    if handles.is_empty() {
        say!("nothing to recover: every sale in the journal is settled");
        return Ok(Vec::new());
    }
    say!("settling {} sale(s)", handles.len());
    if cancel_pending {
        handles.iter().for_each(|handle| handle.cancel());
    }
    let style = shop.settings().currency_style;
    let mut unsettled = 0;
    let mut paid = Vec::new();
    for handle in handles {
        let number = handle.number();
        match handle.finished.await {
            Ok(sale) => {
                say!(
                    "#{number} {}: {}",
                    sale.record.amount().display(style),
                    sale.status_line()
                );
                if sale.record.phase == Phase::Paid {
                    paid.push(number);
                }
            }
            Err(error) => {
                unsettled += 1;
                say_err!("#{number} could not be settled: {error}");
            }
        }
    }
    if unsettled > 0 {
        return Err(format!(
            "{unsettled} sale(s) are still unsettled; run recover again"
        ));
    }
    Ok(paid)
}

/// `recover` carried out by the running terminal: it follows every unsettled sale itself, so
/// this waits until the journal holds none; with `cancel_pending`, codes waiting for a payment
/// are switched off at Monime and the terminal's own checks then see them cancelled. Returns the
/// sales that ended paid.
async fn await_settling(shop: &Shop, cancel_pending: bool) -> Result<Vec<i64>, String> {
    let unsettled = || read(shop, Journal::unsettled);
    let open: Vec<_> = unsettled()
        .await?
        .into_iter()
        .filter(|sale| !sale.record.phase.is_final())
        .collect();
    if open.is_empty() {
        say!("nothing to recover: every sale in the journal is settled");
        return Ok(Vec::new());
    }
    say!(
        "the running terminal is settling {} sale(s); waiting for them",
        open.len()
    );
    if cancel_pending {
        for sale in &open {
            let pending = sale.record.phase == Phase::AwaitingPayment;
            if let (true, Some(code)) = (pending, &sale.record.code)
                && let Err(error) = shop.cancel_code(&code.id).await
            {
                say_err!(
                    "#{}: the code could not be switched off: {error}",
                    sale.record.number
                );
            }
        }
    }
    let style = shop.settings().currency_style;
    loop {
        let still: Vec<i64> = unsettled()
            .await?
            .iter()
            .filter(|sale| !sale.record.phase.is_final())
            .map(|sale| sale.record.number)
            .collect();
        if still.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    let mut paid = Vec::new();
    for sale in open {
        let number = sale.record.number;
        if let Ok(Some(settled)) = shop.sale(number).await {
            say!(
                "#{number} {}: {}",
                settled.record.amount().display(style),
                settled.record.phase.label()
            );
            if settled.record.phase == Phase::Paid {
                paid.push(number);
            }
        }
    }
    Ok(paid)
}

/// Settles every unsettled refund (the running terminal's own drive on; this process takes up
/// the rest), waiting for Monime's word on each; returns the refunds that completed.
async fn settle_refunds(shop: &Shop) -> Result<Vec<i64>, String> {
    let states = shop
        .settle_refunds()
        .await
        .map_err(|error| error.to_string())?;
    if states.is_empty() {
        return Ok(Vec::new());
    }
    say!("settling {} refund(s)", states.len());
    let style = shop.settings().currency_style;
    let mut stops = console::stops()?;
    let mut unsettled = 0;
    let mut completed = Vec::new();
    for mut state in states {
        let number = state.borrow().record.number;
        let settled = tokio::select! {
            settled = state.wait_for(|refund| refund.is_final()) => settled.map(|refund| refund.clone()).ok(),
            stopped = stops.changed() => {
                if stopped.is_ok() {
                    return Err(format!("stopped; refund {number} and those after it stay unsettled, and recover settles them"));
                }
                None
            }
        };
        match settled {
            Some(refund) => {
                let record = &refund.record;
                say!(
                    "refund #{number} (sale #{}) {}: {}",
                    record.sale,
                    record.amount.display(style),
                    refund.status_line()
                );
                if record.phase == crate::refund::RefundPhase::Completed {
                    completed.push(number);
                }
            }
            None => {
                unsettled += 1;
                say_err!("refund #{number} could not be settled");
            }
        }
    }
    if unsettled > 0 {
        return Err(format!(
            "{unsettled} refund(s) are still unsettled; run recover again"
        ));
    }
    Ok(completed)
}

/// Waits (at most `RECEIPTS_WAIT`, less when the printer cannot print) while the printer queue
/// prints every owed receipt; says which printed of those owed when this command began (or when
/// its printer queue started) and those `paid` (and `refunded`) now, and names each one still
/// owed and why. Returns how many stay owed.
async fn print_owed_receipts(shop: &Shop, paid: &[i64], refunded: &[i64]) -> Result<usize, String> {
    let Some(printer) = shop.printer() else {
        return Ok(0);
    };
    let deadline = Instant::now() + RECEIPTS_WAIT;
    let mut watched_refunds: Vec<i64> = read(shop, Journal::owed_refund_receipts)
        .await?
        .iter()
        .map(|refund| refund.record.number)
        .chain(refunded.iter().copied())
        .collect();
    watched_refunds.sort_unstable();
    watched_refunds.dedup();
    let owed_now = read(shop, Journal::owed_receipts).await?;
    let mut watched: Vec<i64> = owed_now.iter().map(|sale| sale.record.number).collect();
    if !console::is_remote() {
        // This process's queue started moments ago and may have printed some already.
        watched.extend(printer.owed_at_start());
    }
    watched.extend(paid);
    watched.sort_unstable();
    watched.dedup();
    // A fresh look at the printer (after whatever it is printing now): whether waiting helps.
    if let Ok(checked) = tokio::time::timeout_at(deadline, printer.check()).await {
        checked.map_err(|error| error.to_string())?;
    }
    // Ctrl-C stops the waiting; what is still owed is named all the same.
    let mut stops = console::stops()?;
    let mut stopped = false;
    let (still_owed, refunds_owed, status) = loop {
        let owed = read(shop, Journal::owed_receipts).await?;
        let refunds_owed = read(shop, Journal::owed_refund_receipts).await?;
        let status = printer.state().borrow().status.clone();
        let none_owed = owed.is_empty() && refunds_owed.is_empty();
        if none_owed || status.is_problem() || stopped || Instant::now() >= deadline {
            break (owed, refunds_owed, status);
        }
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(200)) => {}
            changed = stops.changed() => stopped = changed.is_ok(),
        }
    };
    let style = shop.settings().currency_style;
    let name = |sale: &StoredSale| {
        let amount = sale.record.amount().display(style);
        format!("#{} {amount}", sale.record.number)
    };
    for number in watched {
        let sale = shop.sale(number).await.map_err(|error| error.to_string())?;
        if let Some(sale) = sale.filter(|sale| sale.receipt == Receipt::Printed) {
            say!("{}: receipt printed", name(&sale));
        }
    }
    let why = if status.is_problem() {
        format!("the printer is {status}")
    } else if stopped {
        format!("waiting was stopped (the printer is {status})")
    } else {
        let waited = RECEIPTS_WAIT.as_secs();
        format!("not printed within {waited} s (the printer is {status})")
    };
    for sale in &still_owed {
        say!("{}: receipt still owed: {why}", name(sale));
    }
    let refund_name = |refund: &StoredRefund| {
        let amount = refund.record.amount.display(style);
        format!("refund #{} {amount}", refund.record.number)
    };
    for number in watched_refunds {
        let refund = shop
            .stored_refund(number)
            .await
            .map_err(|error| error.to_string())?;
        if let Some(refund) = refund.filter(|refund| refund.receipt == Receipt::Printed) {
            say!("{}: receipt printed", refund_name(&refund));
        }
    }
    for refund in &refunds_owed {
        say!("{}: receipt still owed: {why}", refund_name(refund));
    }
    Ok(still_owed.len() + refunds_owed.len())
}

/// A journal read, its error in words.
async fn read<T: Send + 'static>(
    shop: &Shop,
    call: fn(&Journal) -> Result<T, JournalError>,
) -> Result<T, String> {
    shop.journal()
        .call(call)
        .await
        .map_err(|error| error.to_string())
}
