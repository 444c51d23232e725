//! The journal after the power cuts, read on the host: the service stopped, the journal and its
//! WAL copied out of the guest, SQLite's `PRAGMA integrity_check` run on the copy, and every
//! sale in it counted against Monime (the simulator): settled, paid sales' receipts printed, one
//! code at most for each, each code's status the sale's. No journal was moved aside as damaged.

use std::collections::BTreeMap;

use base64::Engine;
use paycode_kiosk::journal::{Journal, Receipt};
use paycode_kiosk::monime::CodeStatus;
use paycode_kiosk::sale::Phase;
use serde_json::Value;

use crate::shop::Shop;
use crate::vm::{Machine, Rig};

const STATE: &str = "/var/lib/paycode-kiosk";

pub fn after_cuts(machine: &Machine, rig: &Rig, shop: &Shop) -> Result<String, String> {
    let stopped = machine.run(&format!("systemctl stop paycode-kiosk && ls -1 {STATE}"))?;
    if stopped.status != 0 {
        return Err(format!(
            "the terminal would not stop: {}{}",
            stopped.stdout, stopped.stderr
        ));
    }
    let copied = copy_out(machine, rig, &stopped.stdout);
    let started = machine.run("systemctl start paycode-kiosk")?;
    let files = copied?;
    if started.status != 0 {
        return Err(format!(
            "the terminal would not start again: {}",
            started.stderr
        ));
    }
    let aside: Vec<&str> = stopped
        .stdout
        .lines()
        .filter(|name| name.starts_with("journal.sqlite.corrupt-"))
        .collect();
    if !aside.is_empty() {
        return Err(format!(
            "the terminal moved a damaged journal aside: {}",
            aside.join(", ")
        ));
    }
    let copy = rig.dir.join("journal-after-cuts").join("journal.sqlite");
    let integrity = {
        let connection = rusqlite::Connection::open(&copy)
            .map_err(|error| format!("the copy {}: {error}", copy.display()))?;
        let mut statement = connection
            .prepare("PRAGMA integrity_check")
            .map_err(|error| format!("integrity_check: {error}"))?;
        let rows: Result<Vec<String>, _> = statement
            .query_map([], |row| row.get(0))
            .map_err(|error| format!("integrity_check: {error}"))?
            .collect();
        rows.map_err(|error| format!("integrity_check: {error}"))?
    };
    if integrity != ["ok"] {
        return Err(format!(
            "PRAGMA integrity_check on the copy says: {}",
            integrity.join("; ")
        ));
    }
    let journal = Journal::open(&copy).map_err(|error| format!("the copy: {error}"))?;
    let sales = journal
        .recent(usize::MAX >> 1)
        .map_err(|error| format!("the copy's sales: {error}"))?;
    let codes = shop.codes();
    let mut phases: BTreeMap<String, usize> = BTreeMap::new();
    let mut codes_per_sale: BTreeMap<usize, usize> = BTreeMap::new();
    let mut printed = 0;
    for sale in &sales {
        let number = sale.record.number;
        let phase = sale.record.phase;
        if !phase.is_final() {
            return Err(format!("sale {number} is still open ({phase:?})"));
        }
        *phases.entry(phase.label().to_lowercase()).or_default() += 1;
        let made: Vec<_> = codes
            .iter()
            .filter(|code| {
                code.metadata.get("sale").and_then(Value::as_str) == Some(&number.to_string())
            })
            .collect();
        *codes_per_sale.entry(made.len()).or_default() += 1;
        if made.len() > 1 {
            return Err(format!("sale {number} has {} codes", made.len()));
        }
        if let Some(code) = &sale.record.code {
            let Some(at_monime) = codes.iter().find(|made| made.id == code.id) else {
                return Err(format!(
                    "sale {number}'s code {} is not one Monime made",
                    code.id
                ));
            };
            let agrees = match phase {
                Phase::Paid => at_monime.status == CodeStatus::Completed,
                Phase::Expired => at_monime.status == CodeStatus::Expired,
                Phase::Cancelled => at_monime.status == CodeStatus::Cancelled,
                _ => at_monime.status != CodeStatus::Completed,
            };
            if !agrees {
                return Err(format!(
                    "sale {number} is {phase:?} in the journal, its code {} is {:?} at Monime",
                    code.id, at_monime.status
                ));
            }
        }
        if phase == Phase::Paid {
            if sale.receipt != Receipt::Printed {
                return Err(format!(
                    "paid sale {number}'s receipt is {:?} in the journal",
                    sale.receipt
                ));
            }
            printed += 1;
        }
    }
    let phases: Vec<String> = phases
        .iter()
        .map(|(phase, count)| format!("{count} {phase}"))
        .collect();
    let per_sale: Vec<String> = codes_per_sale
        .iter()
        .map(|(made, sales)| format!("{sales} with {made}"))
        .collect();
    Ok(format!(
        "integrity_check ok on {files}; no journal moved aside; {} sales, every one settled: {}; codes a sale: {}; {printed} paid sales, each receipt printed",
        sales.len(),
        phases.join(", "),
        per_sale.join(", "),
    ))
}

/// Copies the journal and its WAL (if any) out of the stopped guest's `STATE`, whose names are
/// `listing`, into target/field/journal-after-cuts/. Gives what was copied.
fn copy_out(machine: &Machine, rig: &Rig, listing: &str) -> Result<String, String> {
    let folder = rig.dir.join("journal-after-cuts");
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(&folder).map_err(|error| format!("{}: {error}", folder.display()))?;
    let mut copied = Vec::new();
    for name in ["journal.sqlite", "journal.sqlite-wal"] {
        if !listing.lines().any(|line| line == name) {
            continue;
        }
        let output = machine.run(&format!("base64 -w0 {STATE}/{name}"))?;
        if output.status != 0 {
            return Err(format!("reading {name} in the guest: {}", output.stderr));
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(output.stdout.trim())
            .map_err(|error| format!("{name} came out garbled: {error}"))?;
        std::fs::write(folder.join(name), &bytes)
            .map_err(|error| format!("{}: {error}", folder.display()))?;
        copied.push(format!("{name} ({} KiB)", bytes.len().div_ceil(1024)));
    }
    if copied.is_empty() {
        return Err(format!("no journal in {STATE}: {listing}"));
    }
    Ok(copied.join(" and "))
}
