//! `report --x` (the shift report: every sale since the last close) and `report --z` (close the
//! day). Each shows the report as the paper has it; a close also prints when there is a printer.

use super::console::{say, say_err};
use super::printing::{printer, show_paper};
use crate::books;
use crate::printer::receipt;
use crate::printer::spooler::Job;
use crate::report::ShiftReport;
use crate::terminal::{Terminal, receipt_style};

/// Closes the day: refused, with exit code 1, when today was closed before.
pub async fn close_day(terminal: &Terminal) -> Result<u8, String> {
    let report = books::close_day(terminal, None)
        .await
        .map_err(|error| error.to_string())?;
    show(terminal, &report)?;
    match &terminal.printer {
        Some(_) => print(terminal, report).await?,
        None => say_err!("No printer: the close is kept in the journal only."),
    }
    Ok(0)
}

/// The shift report, printed too when asked.
pub async fn shift(terminal: &Terminal, print_it: bool) -> Result<u8, String> {
    let report = books::shift_report(terminal)
        .await
        .map_err(|error| error.to_string())?;
    show(terminal, &report)?;
    if print_it {
        printer(terminal)?;
        print(terminal, report).await?;
    }
    Ok(0)
}

fn show(terminal: &Terminal, report: &ShiftReport) -> Result<(), String> {
    let style = receipt_style(&terminal.config);
    let now = terminal.services.clock().now();
    let bytes = receipt::shift_report(&style, report, now).map_err(|error| error.to_string())?;
    show_paper(style.width, &bytes);
    Ok(())
}

async fn print(terminal: &Terminal, report: ShiftReport) -> Result<(), String> {
    let title = report.title();
    printer(terminal)?
        .print(Job::Shift(Box::new(report)))
        .await
        .map_err(|error| format!("the {title} was not printed: {error}"))?;
    say!("{title} sent to the printer.");
    Ok(())
}
