//! What a failed request means for a sale: how Monime answered (`Reachability`), when the
//! failure ends it (a refused create, `Bounds::unknown_after` of 404s, a cancel past
//! `Bounds::cancel_for`) and how long to wait before the next try.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::poll::PollBudget;
use super::{
    CHECK_THE_DASHBOARD, Effect, KEY_REFUSED_RECHECK, MAX_BACKOFF, NOTHING_CHARGED, Phase, Sale,
};
use crate::monime::MonimeError;

/// How Monime answered the sale's last request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reachability {
    /// Monime answered (a 404 too: see `Sale::not_found_since`).
    Answering,
    /// Monime answered with an error that says nothing about the code (5xx, 429, ...).
    Erring {
        since: DateTime<Utc>,
        message: String,
    },
    /// Monime refused the terminal's key (401 or 403).
    KeyRefused {
        since: DateTime<Utc>,
        message: String,
    },
    /// No answer from Monime: the network, a timeout, or a page that is not Monime's.
    Lost {
        since: DateTime<Utc>,
        message: String,
    },
}

impl Reachability {
    /// What a failed request says about Monime, the trouble starting at `since`.
    pub fn after(error: &MonimeError, since: DateTime<Utc>) -> Reachability {
        let message = error.to_string();
        if error.refuses_key() {
            Reachability::KeyRefused { since, message }
        } else if error.is_answer() {
            Reachability::Erring { since, message }
        } else {
            Reachability::Lost { since, message }
        }
    }

    /// What `error` says after this, keeping when the trouble began while it is the same kind
    /// of trouble.
    pub fn then(&self, error: &MonimeError, now: DateTime<Utc>) -> Reachability {
        let next = Reachability::after(error, now);
        let since = if std::mem::discriminant(self) == std::mem::discriminant(&next) {
            self.since().unwrap_or(now)
        } else {
            now
        };
        Reachability::after(error, since)
    }

    /// Since when the trouble has lasted; `None` while Monime answers.
    pub fn since(&self) -> Option<DateTime<Utc>> {
        match self {
            Reachability::Answering => None,
            Reachability::Erring { since, .. }
            | Reachability::KeyRefused { since, .. }
            | Reachability::Lost { since, .. } => Some(*since),
        }
    }
}

impl Sale {
    /// Starts the cancel's clock when the sale is (newly) cancelling, stops it when it is not,
    /// and says whether its time is up.
    pub(super) fn cancel_overdue(&mut self, now: DateTime<Utc>) -> bool {
        if self.record.phase != Phase::Cancelling {
            self.cancelling_since = None;
            return false;
        }
        let since = *self.cancelling_since.get_or_insert(now);
        self.bounds
            .cancel_for
            .is_some_and(|limit| (now - since).to_std().unwrap_or(Duration::ZERO) >= limit)
    }

    pub(super) fn create_failed(&mut self, error: MonimeError, now: DateTime<Utc>) -> Vec<Effect> {
        if !refuses_create(&error) {
            // Not a refusal: the code may exist (an earlier try may have made it), so the
            // create is sent again with the same key until Monime gives a clear answer.
            return self.request_failed(&error, now);
        }
        self.answered();
        if let MonimeError::IdempotencyConflict { .. } = error {
            // The key was used for another request: a code made by an earlier try of this
            // sale may exist, and the terminal cannot follow it.
            self.record.phase = Phase::Failed;
            self.record.failure = Some(format!("{error}. {CHECK_THE_DASHBOARD}"));
        } else if self.record.cancel_requested {
            // Monime refused the create: no code exists for this key, so there is nothing to
            // switch off.
            self.record.phase = Phase::Cancelled;
        } else {
            self.record.phase = Phase::Failed;
            self.record.failure = Some(format!("{error}. {NOTHING_CHARGED}"));
        }
        Vec::new()
    }

    /// Any failed request but a refused create: nothing is concluded but after `UNKNOWN_AFTER`
    /// of 404s; the code is checked again after a wait.
    pub(super) fn request_failed(
        &mut self,
        error: &MonimeError,
        now: DateTime<Utc>,
    ) -> Vec<Effect> {
        // Checks not sent while Monime was away were not saved: spending them the moment it is
        // back would make every terminal of the space ask at once.
        self.poll_budget = PollBudget::default();
        if let MonimeError::NotFound { .. } = error {
            // An answer, and not the network's fault: Monime cannot find the code.
            self.reachability = Reachability::Answering;
            let since = *self.not_found_since.get_or_insert(now);
            let unfound_for = (now - since).to_std().unwrap_or(Duration::ZERO);
            if unfound_for >= self.bounds.unknown_after {
                self.record.phase = Phase::Unknown;
                return Vec::new();
            }
        } else {
            self.reachability = self.reachability.then(error, now);
        }
        self.failures_in_a_row += 1;
        let wait = backoff(
            self.timing.poll_interval,
            self.failures_in_a_row,
            error,
            self.space.slowdown,
        );
        vec![Effect::CheckAfter(wait)]
    }
}

/// How long to wait after the `failures_in_a_row`th failure in a row (`error` the last):
/// doubling from `poll_interval` up to `MAX_BACKOFF`, at least what a 429 or a refused key
/// asks, slowed in a crowded space by `slowdown`. Sales and refunds wait alike.
pub fn backoff(
    poll_interval: Duration,
    failures_in_a_row: u32,
    error: &MonimeError,
    slowdown: f64,
) -> Duration {
    let exponent = failures_in_a_row.saturating_sub(1).min(10);
    let wait = poll_interval.saturating_mul(1 << exponent).min(MAX_BACKOFF);
    let wait = match error {
        MonimeError::RateLimited { retry_after, .. } => wait.max(*retry_after),
        error if error.refuses_key() => wait.max(KEY_REFUSED_RECHECK),
        _ => wait,
    };
    wait.mul_f64(slowdown)
}

/// Monime's clear refusal to make the code: a 4xx other than 401, 403, 404 and 429, which say
/// nothing about whether an earlier try made it.
fn refuses_create(error: &MonimeError) -> bool {
    match error {
        MonimeError::Validation { .. } | MonimeError::IdempotencyConflict { .. } => true,
        MonimeError::Rejected { status, .. } => (400..500).contains(status),
        _ => false,
    }
}
