//! `paycode-kiosk history` and `paycode-kiosk recover`: what the journal holds, and settling
//! what it holds unsettled.

use std::process::ExitCode;

use chrono::Local;

use crate::controller::resume_unsettled;
use crate::journal::StoredSale;
use crate::money::CurrencyStyle;
use crate::sale::Phase;
use crate::terminal::Terminal;

pub async fn history(terminal: &Terminal, limit: usize) -> Result<ExitCode, String> {
    let journal = terminal.services.journal.clone();
    let sales = tokio::task::spawn_blocking(move || journal.recent(limit))
        .await
        .map_err(|error| error.to_string())?
        .map_err(|error| error.to_string())?;
    if sales.is_empty() {
        println!(
            "no sales yet in {}",
            terminal.services.journal.path().display()
        );
    }
    for sale in &sales {
        println!("{}", sale_line(sale, terminal.config.kiosk.currency_style));
    }
    Ok(ExitCode::SUCCESS)
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
pub async fn recover(terminal: &Terminal, cancel_pending: bool) -> Result<ExitCode, String> {
    let handles = resume_unsettled(&terminal.services)
        .await
        .map_err(|error| error.to_string())?;
    if handles.is_empty() {
        println!("nothing to recover: every sale in the journal is settled");
        return Ok(ExitCode::SUCCESS);
    }
    println!("settling {} sale(s)", handles.len());
    if cancel_pending {
        handles.iter().for_each(|handle| handle.cancel());
    }
    let style = terminal.config.kiosk.currency_style;
    let mut unsettled = 0;
    for handle in handles {
        let number = handle.number();
        match handle.finished.await {
            Ok(sale) => println!(
                "#{number} {}: {}",
                sale.record.amount().display(style),
                sale.status_line()
            ),
            Err(error) => {
                unsettled += 1;
                eprintln!("#{number} could not be settled: {error}");
            }
        }
    }
    if unsettled > 0 {
        return Err(format!(
            "{unsettled} sale(s) are still unsettled; run recover again"
        ));
    }
    Ok(ExitCode::SUCCESS)
}
