//! When to check a code next. A code sits `pending` while the customer finds their phone, and
//! nothing is gained by asking often then; it turns `processing` once they dial it, and the
//! payment is then seconds away. So the sale checks slowly while pending and quickly while
//! processing, spending the checks it saved, within a budget of one status check per
//! `Timing::poll_interval` averaged over the sale. The budget matters beyond one terminal:
//! every terminal of a shop shares its Monime space's rate limit. Once Monime has shown the
//! space is crowded (`monime::pace`), the saved checks are not spent at all: the terminal
//! checks evenly, as slowed, so that forty terminals' quick bursts do not meet.
//!
//! Errors and `Retry-After` are not decided here: `trouble` backs off on them.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::monime::{CodeStatus, SpaceLoad};

/// How the checks are spaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Polling {
    /// Slow while pending, quick while processing, one check per interval on average.
    Adaptive,
    /// One check per interval whatever the status: the terminal's first way, kept for
    /// comparison in the benchmarks.
    Fixed,
}

/// While pending, one check per this many intervals. Tuned with the benchmark's sales (pending
/// 5 to 60 s, then processing 5 to 20 s): slower leaves too little of a short sale's budget
/// unspent to matter, quicker leaves too little saved for the processing that follows.
const PENDING_EVERY: u32 = 4;
/// While processing, the check rate is one per interval plus one per interval for every this
/// many checks saved: a large saving is spent quickly, a small one gently, so that it lasts
/// through a slow confirmation.
const SPENT_PER_INTERVAL: f64 = 3.0;
/// While processing, never more often than once per this share of an interval.
const QUICKEST_SHARE: f64 = 0.4;
/// In a crowded space, one check per this many intervals while pending, and one per interval
/// while processing: fewer checks in all than a quiet space's bursts, and the ones kept where
/// the payment is about to show. Tuned with the fleet benchmark (40 terminals, 20 requests/s).
const CROWDED_PENDING_EVERY: u32 = 6;
/// In a crowded space, however slowed, a pending code waits no longer than this many
/// intervals between checks: a customer confirming within 5 to 10 s would otherwise be seen
/// only after a whole slow pending wait.
const CROWDED_PENDING_LONGEST: u32 = 8;
/// At most this many saved checks are kept. After a long wait a terminal could otherwise
/// spend minutes asking at full speed, crowding out the shop's other terminals.
const MOST_SAVED: f64 = 30.0;

/// The checks a sale has spent against the ones it has earned.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PollBudget {
    /// When the sale's code was first seen: the budget is earned from then.
    since: Option<DateTime<Utc>>,
    /// Checks sent, plus savings forfeited above `MOST_SAVED`.
    spent: f64,
}

impl PollBudget {
    /// One status check was sent.
    pub fn spent_one(&mut self) {
        self.spent += 1.0;
    }

    /// Checks earned and not yet spent, at most `MOST_SAVED`.
    fn saved(&mut self, interval: Duration, now: DateTime<Utc>) -> f64 {
        let since = *self.since.get_or_insert(now);
        let elapsed = (now - since).to_std().unwrap_or_default();
        let earned = elapsed.as_secs_f64() / interval.as_secs_f64().max(f64::EPSILON);
        self.spent = self.spent.max(earned - MOST_SAVED);
        earned - self.spent
    }

    /// How long to wait before checking a code Monime has just reported as `status`, in a
    /// space loaded as `space`.
    pub fn wait(
        &mut self,
        polling: Polling,
        interval: Duration,
        status: CodeStatus,
        space: SpaceLoad,
        now: DateTime<Utc>,
    ) -> Duration {
        let saved = self.saved(interval, now);
        let slowed = |wait: Duration| wait.mul_f64(space.slowdown);
        match (polling, status, space.crowded) {
            (Polling::Fixed, ..) => slowed(interval),
            (Polling::Adaptive, CodeStatus::Pending, true) => {
                slowed(interval * CROWDED_PENDING_EVERY).min(interval * CROWDED_PENDING_LONGEST)
            }
            (Polling::Adaptive, CodeStatus::Pending, false) => slowed(interval * PENDING_EVERY),
            (Polling::Adaptive, CodeStatus::Processing, false) => slowed(
                interval
                    .div_f64(1.0 + saved.max(0.0) / SPENT_PER_INTERVAL)
                    .max(interval.mul_f64(QUICKEST_SHARE)),
            ),
            (Polling::Adaptive, ..) => slowed(interval),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_790_000_000 + seconds, 0).expect("time")
    }

    /// Runs one sale at whole-millisecond steps: pending until `processing_at`, processing
    /// until `completed_at`. Returns the checks made and when the completion was seen.
    fn run(polling: Polling, processing_at: f64, completed_at: f64) -> (u32, f64) {
        run_in(SpaceLoad::QUIET, polling, processing_at, completed_at)
    }

    /// `run` in a space loaded as `space`.
    fn run_in(
        space: SpaceLoad,
        polling: Polling,
        processing_at: f64,
        completed_at: f64,
    ) -> (u32, f64) {
        let mut checks = 0;
        let mut budget = PollBudget::default();
        let start = at(0);
        let mut now = 0.0;
        // The create's answer: pending.
        let mut wait = budget.wait(polling, SECOND, CodeStatus::Pending, space, start);
        loop {
            now += wait.as_secs_f64();
            budget.spent_one();
            checks += 1;
            if now >= completed_at {
                return (checks, now);
            }
            let status = if now >= processing_at {
                CodeStatus::Processing
            } else {
                CodeStatus::Pending
            };
            let time = start + chrono::Duration::milliseconds((now * 1000.0) as i64);
            wait = budget.wait(polling, SECOND, status, space, time);
        }
    }

    #[test]
    fn fixed_polling_checks_every_interval() {
        let (checks, seen) = run(Polling::Fixed, 5.0, 10.2);
        assert_eq!(checks, 11);
        assert!((seen - 11.0).abs() < 1e-9);
    }

    /// The benchmark's goals, on the terminal's own arithmetic: the payment seen a median
    /// 0.3 s and a 95th percentile 0.8 s after it completes, at no more than one check a
    /// second, for customers who start paying at any moment of the slow pending cycle.
    #[test]
    fn adaptive_polling_sees_the_payment_sooner_within_the_budget() {
        for (pending, processing) in [(5.0, 5.0), (20.0, 10.0), (60.0, 20.0)] {
            let mut lateness = Vec::new();
            for tenth in 0..40 {
                let offset = f64::from(tenth) / 10.0;
                let (processing_at, completed_at) =
                    (pending + offset, pending + processing + offset);
                let (checks, seen) = run(Polling::Adaptive, processing_at, completed_at);
                lateness.push(seen - completed_at);
                assert!(
                    f64::from(checks) <= seen,
                    "{pending}+{processing} s at {offset}: {checks} checks in {seen} s"
                );
            }
            lateness.sort_by(f64::total_cmp);
            let (median, p95) = (lateness[20], lateness[37]);
            assert!(median <= 0.3, "{pending}+{processing} s: median {median} s");
            assert!(p95 <= 0.8, "{pending}+{processing} s: p95 {p95} s");
        }
    }

    /// In a crowded space the saved checks are not spent: a pending code is checked every 6
    /// intervals (never more than 8 apart however slowed), a processing one every interval as
    /// slowed, so the payment shows within one slowed interval and the sale asks less.
    #[test]
    fn a_crowded_space_is_checked_evenly() {
        let crowded = |slowdown| SpaceLoad {
            slowdown,
            crowded: true,
        };
        for offset in [0.0, 1.3, 2.7, 5.9] {
            let (processing_at, completed_at) = (20.0 + offset, 30.0 + offset);
            let (quiet_checks, _) = run(Polling::Adaptive, processing_at, completed_at);
            let (checks, seen) =
                run_in(crowded(1.0), Polling::Adaptive, processing_at, completed_at);
            assert!(checks < quiet_checks, "{checks} against {quiet_checks}");
            assert!(seen - completed_at <= 1.0 + 1e-9, "seen at {seen}");
            let (slowed_checks, seen) =
                run_in(crowded(2.0), Polling::Adaptive, processing_at, completed_at);
            assert!(slowed_checks < checks, "{slowed_checks} against {checks}");
            assert!(seen - completed_at <= 2.0 + 1e-9, "seen at {seen}");
        }
        let mut budget = PollBudget::default();
        let slowest = budget.wait(
            Polling::Adaptive,
            SECOND,
            CodeStatus::Pending,
            crowded(6.0),
            at(0),
        );
        assert_eq!(slowest, SECOND * CROWDED_PENDING_LONGEST);
    }

    #[test]
    fn a_long_processing_falls_back_to_the_interval() {
        let (checks, seen) = run(Polling::Adaptive, 4.0, 600.0);
        assert!(
            f64::from(checks) <= seen + 1.0,
            "{checks} checks in {seen} s"
        );
    }

    #[test]
    fn saved_checks_are_capped() {
        let mut budget = PollBudget::default();
        budget.wait(
            Polling::Adaptive,
            SECOND,
            CodeStatus::Pending,
            SpaceLoad::QUIET,
            at(0),
        );
        budget.spent_one();
        // Ten minutes pending earn far more than the cap: a minute of processing after it
        // spends no more than the minute's own checks and the cap.
        let mut now = 600.0;
        let mut checks = 0;
        while now < 660.0 {
            let time = at(0) + chrono::Duration::milliseconds((now * 1000.0) as i64);
            now += budget
                .wait(
                    Polling::Adaptive,
                    SECOND,
                    CodeStatus::Processing,
                    SpaceLoad::QUIET,
                    time,
                )
                .as_secs_f64();
            budget.spent_one();
            checks += 1;
        }
        assert!(
            f64::from(checks) <= 60.0 + MOST_SAVED + 1.0,
            "{checks} checks in a minute"
        );
        assert!(f64::from(checks) > 60.0, "the saving was spent: {checks}");
    }
}
