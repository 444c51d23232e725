//! The journal's figures for the terminal's metrics: its sales by phase, the money paid and
//! refunded by currency, the newest sale's time, and the file's size. The sales' counts and
//! sums come from `sale_tallies`, which triggers keep in the writes that change sales (migration
//! 9), so reading them costs a few rows however many sales the journal holds; nothing here
//! changes the journal.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension};

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
        figures.size_bytes = self.bytes_on_disk();
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

    /// The journal's size on its disk: the file and its WAL.
    pub fn bytes_on_disk(&self) -> u64 {
        let size = |suffix: &str| {
            let mut path = self.path().as_os_str().to_owned();
            path.push(suffix);
            std::fs::metadata(path).map_or(0, |meta| meta.len())
        };
        size("") + size("-wal")
    }
}

fn read_figures(connection: &Connection) -> Result<JournalFigures, String> {
    let text = |e: rusqlite::Error| e.to_string();
    let mut by_phase = connection
        .prepare_cached("SELECT phase, SUM(sales) FROM sale_tallies GROUP BY phase")
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
        "SELECT currency, amount_minor FROM sale_tallies WHERE phase = ?1 AND sales > 0 ORDER BY currency",
        Phase::Paid.as_str(),
    )?;
    let refunded_minor = sums(
        "SELECT currency, SUM(amount_minor) FROM refunds WHERE phase = ?1 GROUP BY currency ORDER BY currency",
        RefundPhase::Completed.as_str(),
    )?;
    let newest: Option<String> = connection
        .query_row(
            "SELECT created_at FROM sales ORDER BY id DESC LIMIT 1",
            [],
            |row| row.get(0),
        )
        .optional()
        .map_err(text)?;
    Ok(JournalFigures {
        sales_by_phase,
        paid_minor,
        refunded_minor,
        last_sale_at: newest.as_deref().map(parse_time).transpose()?,
        ..JournalFigures::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::{Currency, Money};
    use crate::sale::{CodeShape, NewSale};
    use chrono::Utc;

    /// Rows of a name and a number.
    type Named = Vec<(String, i64)>;

    /// What a count over every sale says, to hold the tallies to.
    fn counted(journal: &Journal) -> (Named, Named) {
        let connection = journal.lock();
        let rows = |sql: &str| -> Vec<(String, i64)> {
            let mut statement = connection.prepare(sql).expect("sql");
            statement
                .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
                .expect("rows")
                .collect::<Result<_, _>>()
                .expect("read")
        };
        (
            rows("SELECT phase, COUNT(*) FROM sales GROUP BY phase ORDER BY phase"),
            rows(
                "SELECT currency, SUM(amount_minor) FROM sales WHERE phase = 'paid' GROUP BY currency",
            ),
        )
    }

    #[test]
    fn the_tallies_the_triggers_keep_agree_with_counting_every_sale() {
        let folder = tempfile::tempdir().expect("tempdir");
        let journal = Journal::open(&folder.path().join("journal.sqlite")).expect("journal");
        let shape = CodeShape::new("Sale {sale}", "T1");
        for (number, phase) in [
            Phase::Paid,
            Phase::Paid,
            Phase::Expired,
            Phase::AwaitingPayment,
            Phase::Paid,
            Phase::Unknown,
        ]
        .into_iter()
        .enumerate()
        {
            let sale = NewSale::of(Money::new(Currency::Sle, 100 * (number as i64 + 1)));
            let mut record = journal
                .begin_sale(&format!("key-{number}"), Utc::now(), &shape, &sale)
                .expect("begun");
            record.phase = phase;
            journal.save(&record, Utc::now(), None).expect("saved");
            // Saved again unchanged: the tallies do not count it twice.
            journal.save(&record, Utc::now(), None).expect("saved");
        }
        let figures = journal.figures().expect("figures");
        let (by_phase, paid) = counted(&journal);
        let mut tallied: Named = figures
            .sales_by_phase
            .iter()
            .filter(|(_, count)| *count > 0)
            .map(|(phase, count)| (phase.as_str().to_string(), *count as i64))
            .collect();
        tallied.sort();
        assert_eq!(tallied, by_phase);
        assert_eq!(figures.paid_minor, paid);
        assert_eq!(figures.paid_minor, [("SLE".to_string(), 100 + 200 + 500)]);
        assert!(figures.last_sale_at.is_some());
    }
}
