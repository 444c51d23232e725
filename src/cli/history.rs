//! `paycode-kiosk history` and `paycode-kiosk recover`: what the journal holds, and settling
//! what it holds unsettled.

use chrono::Local;

use super::console::{self, say, say_err};
use crate::controller::resume_unsettled;
use crate::journal::StoredSale;
use crate::money::CurrencyStyle;
use crate::sale::Phase;
use crate::terminal::Terminal;

pub async fn history(terminal: &Terminal, limit: usize) -> Result<u8, String> {
    let journal = terminal.services.journal.clone();
    let sales = tokio::task::spawn_blocking(move || journal.recent(limit))
        .await
        .map_err(|error| error.to_string())?
        .map_err(|error| error.to_string())?;
    for kept in terminal.services.journal.kept_aside() {
        say_err!(
            "note: a damaged journal was kept as {}; its sales are not listed here",
            kept.display()
        );
    }
    if sales.is_empty() {
        say!(
            "no sales yet in {}",
            terminal.services.journal.path().display()
        );
    }
    for sale in &sales {
        say!("{}", sale_line(sale, terminal.config.kiosk.currency_style));
    }
    Ok(0)
}

/// One sale on one line: number, time, amount, phase, code, receipt.
pub fn sale_line(sale: &StoredSale, style: CurrencyStyle) -> String {
    let record = &sale.record;
    let receipt = match record.phase {
        Phase::Paid => sale.receipt.note(),
        _ => String::new(),
    };
    let code = record.code.as_ref();
    format!(
        "#{:<6} {}  {:>14}  {:<19}  {:<30} {:<22} {receipt}",
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

/// Settles every unsettled sale; with `cancel_pending`, codes nobody is paying are switched off
/// instead of waited for (a payment already under way still completes and is recorded).
pub async fn recover(terminal: &Terminal, cancel_pending: bool) -> Result<u8, String> {
    if console::is_remote() {
        return await_settling(terminal, cancel_pending).await;
    }
    let handles = resume_unsettled(&terminal.services)
        .await
        .map_err(|error| error.to_string())?;
    if handles.is_empty() {
        say!("nothing to recover: every sale in the journal is settled");
        return Ok(0);
    }
    say!("settling {} sale(s)", handles.len());
    if cancel_pending {
        handles.iter().for_each(|handle| handle.cancel());
    }
    let style = terminal.config.kiosk.currency_style;
    let mut unsettled = 0;
    for handle in handles {
        let number = handle.number();
        match handle.finished.await {
            Ok(sale) => say!(
                "#{number} {}: {}",
                sale.record.amount().display(style),
                sale.status_line()
            ),
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
    Ok(0)
}

/// `recover` carried out by the running terminal: it follows every unsettled sale itself, so
/// this waits until the journal holds none; with `cancel_pending`, codes waiting for a payment
/// are switched off at Monime and the terminal's own checks then see them cancelled.
async fn await_settling(terminal: &Terminal, cancel_pending: bool) -> Result<u8, String> {
    let journal = terminal.services.journal.clone();
    let unsettled = || {
        let journal = journal.clone();
        async move {
            tokio::task::spawn_blocking(move || journal.unsettled())
                .await
                .map_err(|error| error.to_string())?
                .map_err(|error| error.to_string())
        }
    };
    let open: Vec<_> = unsettled()
        .await?
        .into_iter()
        .filter(|sale| !sale.record.phase.is_final())
        .collect();
    if open.is_empty() {
        say!("nothing to recover: every sale in the journal is settled");
        return Ok(0);
    }
    say!(
        "the running terminal is settling {} sale(s); waiting for them",
        open.len()
    );
    if cancel_pending {
        for sale in &open {
            let pending = sale.record.phase == Phase::AwaitingPayment;
            if let (true, Some(code)) = (pending, &sale.record.code)
                && let Err(error) = terminal.services.client.cancel(&code.id).await
            {
                say_err!(
                    "#{}: the code could not be switched off: {error}",
                    sale.record.number
                );
            }
        }
    }
    let style = terminal.config.kiosk.currency_style;
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
    for sale in open {
        let number = sale.record.number;
        let journal = terminal.services.journal.clone();
        if let Ok(Ok(Some(settled))) =
            tokio::task::spawn_blocking(move || journal.sale(number)).await
        {
            say!(
                "#{number} {}: {}",
                settled.record.amount().display(style),
                settled.record.phase.label()
            );
        }
    }
    Ok(0)
}
