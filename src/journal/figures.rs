//! The journal's figures for the terminal's metrics: its sales by phase, the money paid and
//! refunded by currency, the newest sale's time, and the file's size. A few aggregate queries
//! over the indexes the journal has; nothing here changes it.

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use super::{Journal, JournalError, parse_time};
use crate::refund::RefundPhase;
use crate::sale::Phase;

/// What the metrics read from the journal.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JournalFigures {
    /// Every sale the journal holds, by phase (settled or not).
    pub sales_by_phase: Vec<(Phase, u64)>,
    /// The paid sales' amounts, by currency code, in minor units.
    pub paid_minor: Vec<(String, i64)>,
    /// The refunds Monime completed, by currency code, in minor units.
    pub refunded_minor: Vec<(String, i64)>,
    /// When the newest sale was started.
    pub last_sale_at: Option<DateTime<Utc>>,
    /// The journal file's size, with its write-ahead log.
    pub size_bytes: u64,
    /// When the newest daily backup was written.
    pub last_backup_at: Option<DateTime<Utc>>,
}

impl Journal {
    pub fn figures(&self) -> Result<JournalFigures, JournalError> {
        let mut figures = {
            let connection = self.lock();
            read_figures(&connection).map_err(|e| self.error(e))?
        };
        let size = |suffix: &str| {
            let mut path = self.path().as_os_str().to_owned();
            path.push(suffix);
            std::fs::metadata(path).map_or(0, |meta| meta.len())
        };
        figures.size_bytes = size("") + size("-wal");
        figures.last_backup_at = self
            .backups()?
            .last()
            .and_then(|newest| {
                std::fs::metadata(newest)
                    .and_then(|meta| meta.modified())
                    .ok()
            })
            .map(DateTime::<Utc>::from);
        Ok(figures)
    }
}

fn read_figures(connection: &Connection) -> Result<JournalFigures, String> {
    let text = |e: rusqlite::Error| e.to_string();
    let mut by_phase = connection
        .prepare_cached("SELECT phase, COUNT(*) FROM sales GROUP BY phase")
        .map_err(text)?;
    let mut sales_by_phase = Vec::new();
    for row in by_phase
        .query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
        })
        .map_err(text)?
    {
        let (phase, count) = row.map_err(text)?;
        let phase = Phase::parse(&phase).ok_or_else(|| format!("unknown phase {phase}"))?;
        sales_by_phase.push((phase, u64::try_from(count).unwrap_or(0)));
    }
    let sums = |sql: &str, phase: &str| -> Result<Vec<(String, i64)>, String> {
        let mut statement = connection.prepare_cached(sql).map_err(text)?;
        let rows = statement
            .query_map([phase], |row| Ok((row.get(0)?, row.get(1)?)))
            .map_err(text)?;
        rows.collect::<Result<_, _>>().map_err(text)
    };
    let paid_minor = sums(
        "SELECT currency, SUM(amount_minor) FROM sales WHERE phase = ?1 GROUP BY currency ORDER BY currency",
        Phase::Paid.as_str(),
    )?;
    let refunded_minor = sums(
        "SELECT currency, SUM(amount_minor) FROM refunds WHERE phase = ?1 GROUP BY currency ORDER BY currency",
        RefundPhase::Completed.as_str(),
    )?;
    let newest: Option<String> = connection
        .query_row("SELECT MAX(created_at) FROM sales", [], |row| row.get(0))
        .map_err(text)?;
    Ok(JournalFigures {
        sales_by_phase,
        paid_minor,
        refunded_minor,
        last_sale_at: newest.as_deref().map(parse_time).transpose()?,
        ..JournalFigures::default()
    })
}
