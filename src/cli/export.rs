//! `paycode-kiosk export`: the sales and refunds of a span of local days as CSV or JSON, to a
//! file or to stdout, for the shop's spreadsheet or accountant.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::control::console::say_err;
use crate::report::{ExportFormat, ExportRow, REFUND_ROW, write_rows};
use crate::shop::Shop;

/// What `export` was asked for.
#[derive(Debug, Clone)]
pub struct Export {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub format: ExportFormat,
    pub out: Option<PathBuf>,
}

/// Writes every sale and refund made from the first day to the last (local days, both included).
/// Without days it is today; `--from` alone runs to today, `--to` alone is that one day.
pub async fn export(shop: &Shop, asked: Export) -> Result<u8, String> {
    let today = shop.clock().today();
    let (from, to) = match (asked.from, asked.to) {
        (None, None) => (today, today),
        (Some(from), None) => (from, today.max(from)),
        (None, Some(to)) => (to, to),
        (Some(from), Some(to)) => (from, to),
    };
    if from > to {
        return Err(format!(
            "--from {from} is after --to {to}: give the earlier day as --from"
        ));
    }
    let rows = shop
        .export_rows(from, to)
        .await
        .map_err(|error| error.to_string())?;
    match &asked.out {
        Some(path) => {
            write_file(path, &rows, asked.format)?;
            let refunds = rows.iter().filter(|row| row.kind == REFUND_ROW).count();
            let sales = rows.len() - refunds;
            match refunds {
                0 => say_err!(
                    "{sales} sale(s) from {from} to {to} written to {}",
                    path.display()
                ),
                _ => say_err!(
                    "{sales} sale(s) and {refunds} refund(s) from {from} to {to} written to {}",
                    path.display()
                ),
            }
        }
        None => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            write_rows(&rows, asked.format, &mut out)
                .and_then(|()| out.flush())
                .map_err(|error| format!("the export could not be written: {error}"))?;
        }
    }
    Ok(0)
}

/// Writes the file whole or not at all: beside it first, then renamed over it, so a full card
/// never leaves half an export that looks complete.
fn write_file(path: &Path, rows: &[ExportRow], format: ExportFormat) -> Result<(), String> {
    let failed =
        |error: std::io::Error| format!("{} could not be written ({error})", path.display());
    let partial = PathBuf::from(format!("{}.partial", path.display()));
    let file = std::fs::File::create(&partial).map_err(failed)?;
    let mut out = std::io::BufWriter::new(file);
    write_rows(rows, format, &mut out)
        .and_then(|()| out.flush())
        .map_err(failed)
        .and_then(|()| std::fs::rename(&partial, path).map_err(failed))
        .inspect_err(|_| {
            let _ = std::fs::remove_file(&partial);
        })
}
