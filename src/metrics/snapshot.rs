//! The terminal's state at one moment, as the metrics show it, and its rendering in
//! Prometheus's text format. Pure data: `metrics` gathers it, this names it. Counts and sums
//! only, in minor units for money: never a token, PIN, phone number, name or code.

use chrono::{DateTime, Utc};

use super::exposition::{Exposition, Kind};
use crate::controller::{Histogram, PAID_LATENCY_BUCKETS};
use crate::journal::JournalFigures;
use crate::monime::RequestCounts;
use crate::printer::{PrinterState, PrinterStatus};

/// What the metrics file says.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub version: &'static str,
    pub journal: JournalFigures,
    pub paid_latency: Histogram,
    pub requests: RequestCounts,
    /// Monime has said the space is crowded (a 429), or the configuration says it is shared.
    pub crowded: bool,
    /// `None`: the terminal has no printer.
    pub printer: Option<PrinterState>,
    /// Monime's clock less this terminal's, once Monime has answered.
    pub clock_offset_seconds: Option<f64>,
    pub cashiers_signed_in: u32,
}

/// Every printer state the metrics name, and its label.
const PRINTER_STATES: [&str; 8] = [
    "unknown",
    "ready",
    "paper_low",
    "paper_out",
    "cover_open",
    "offline",
    "not_answering",
    "unreachable",
];

fn printer_state(status: &PrinterStatus) -> &'static str {
    match status {
        PrinterStatus::Unknown => "unknown",
        PrinterStatus::Ready => "ready",
        PrinterStatus::PaperLow => "paper_low",
        PrinterStatus::PaperOut => "paper_out",
        PrinterStatus::CoverOpen => "cover_open",
        PrinterStatus::Offline => "offline",
        PrinterStatus::NotAnswering => "not_answering",
        PrinterStatus::Unreachable(_) => "unreachable",
    }
}

fn seconds(at: DateTime<Utc>) -> f64 {
    at.timestamp_millis() as f64 / 1000.0
}

impl Snapshot {
    /// The metrics file's text.
    pub fn render(&self) -> String {
        let mut out = Exposition::default();
        let one = |flag: bool| if flag { 1.0 } else { 0.0 };

        out.family(
            "paycode_kiosk_build_info",
            Kind::Gauge,
            "The running build: always 1, its version as a label.",
        );
        out.sample(
            "paycode_kiosk_build_info",
            &[("version", self.version)],
            1.0,
        );

        out.family(
            "paycode_kiosk_sales_total",
            Kind::Counter,
            "Settled sales in the journal, by outcome.",
        );
        let settled = self
            .journal
            .sales_by_phase
            .iter()
            .filter(|(p, _)| p.is_final());
        for outcome in crate::sale::Phase::ALL
            .iter()
            .filter(|phase| phase.is_final())
        {
            let count = settled
                .clone()
                .filter(|(phase, _)| phase == outcome)
                .map(|(_, count)| *count)
                .sum::<u64>();
            out.sample(
                "paycode_kiosk_sales_total",
                &[("outcome", outcome.as_str())],
                count as f64,
            );
        }
        out.family(
            "paycode_kiosk_sales_unsettled",
            Kind::Gauge,
            "Sales waiting for Monime's last word.",
        );
        let unsettled: u64 = self
            .journal
            .sales_by_phase
            .iter()
            .filter(|(phase, _)| !phase.is_final())
            .map(|(_, count)| count)
            .sum();
        out.sample("paycode_kiosk_sales_unsettled", &[], unsettled as f64);

        for (name, help, sums) in [
            (
                "paycode_kiosk_paid_minor_units_total",
                "Money paid for sales, by currency, in minor units (cents).",
                &self.journal.paid_minor,
            ),
            (
                "paycode_kiosk_refunded_minor_units_total",
                "Money Monime completed sending back to payers, by currency, in minor units.",
                &self.journal.refunded_minor,
            ),
        ] {
            out.family(name, Kind::Counter, help);
            for (currency, minor) in sums {
                out.sample(name, &[("currency", currency)], *minor as f64);
            }
        }

        let latency = "paycode_kiosk_paid_latency_seconds";
        out.family(
            latency,
            Kind::Histogram,
            "From Monime's completed to PAID on the terminal, since the terminal started.",
        );
        let bucket = format!("{latency}_bucket");
        for (bound, count) in PAID_LATENCY_BUCKETS.iter().zip(self.paid_latency.buckets) {
            out.sample(&bucket, &[("le", &bound.to_string())], count as f64);
        }
        let count = self.paid_latency.count as f64;
        out.sample(&bucket, &[("le", "+Inf")], count);
        out.sample(
            &format!("{latency}_sum"),
            &[],
            self.paid_latency.sum_seconds,
        );
        out.sample(&format!("{latency}_count"), &[], count);

        if let Some(reachable) = self.requests.reachable {
            out.family(
                "paycode_kiosk_monime_up",
                Kind::Gauge,
                "1 when Monime answered the terminal's last request, 0 when it did not.",
            );
            out.sample("paycode_kiosk_monime_up", &[], one(reachable));
        }
        out.family(
            "paycode_kiosk_monime_requests_total",
            Kind::Counter,
            "Requests to Monime since the terminal started, by answer (rate_limited is 429).",
        );
        for (class, count) in &self.requests.by_class {
            out.sample(
                "paycode_kiosk_monime_requests_total",
                &[("answer", class.label())],
                *count as f64,
            );
        }
        out.family(
            "paycode_kiosk_monime_space_crowded",
            Kind::Gauge,
            "1 while the terminal paces its checks for a space other terminals share.",
        );
        out.sample("paycode_kiosk_monime_space_crowded", &[], one(self.crowded));
        if let Some(offset) = self.clock_offset_seconds {
            out.family(
                "paycode_kiosk_clock_offset_seconds",
                Kind::Gauge,
                "Monime's clock less the terminal's.",
            );
            out.sample("paycode_kiosk_clock_offset_seconds", &[], offset);
        }

        if let Some(printer) = &self.printer {
            out.family(
                "paycode_kiosk_printer_state",
                Kind::Gauge,
                "The receipt printer's state: 1 for the state it is in.",
            );
            let current = printer_state(&printer.status);
            for state in PRINTER_STATES {
                out.sample(
                    "paycode_kiosk_printer_state",
                    &[("state", state)],
                    one(state == current),
                );
            }
        }
        out.family(
            "paycode_kiosk_receipts_owed",
            Kind::Gauge,
            "Receipts of paid sales and refunds not printed yet.",
        );
        let owed = self.printer.as_ref().map_or(0, |printer| printer.owed);
        out.sample("paycode_kiosk_receipts_owed", &[], owed as f64);

        out.family(
            "paycode_kiosk_journal_size_bytes",
            Kind::Gauge,
            "The journal's size on the card, with its write-ahead log.",
        );
        out.sample(
            "paycode_kiosk_journal_size_bytes",
            &[],
            self.journal.size_bytes as f64,
        );
        for (name, help, at) in [
            (
                "paycode_kiosk_last_backup_timestamp_seconds",
                "When the journal's newest daily backup was written.",
                self.journal.last_backup_at,
            ),
            (
                "paycode_kiosk_last_sale_timestamp_seconds",
                "When the newest sale was started.",
                self.journal.last_sale_at,
            ),
        ] {
            if let Some(at) = at {
                out.family(name, Kind::Gauge, help);
                out.sample(name, &[], seconds(at));
            }
        }
        out.family(
            "paycode_kiosk_cashiers_signed_in",
            Kind::Gauge,
            "Cashiers signed in at the screen.",
        );
        out.sample(
            "paycode_kiosk_cashiers_signed_in",
            &[],
            f64::from(self.cashiers_signed_in),
        );
        out.finish()
    }
}
