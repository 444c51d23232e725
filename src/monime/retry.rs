//! When to try a failed request again: capped exponential backoff with jitter, and Monime's own
//! `Retry-After` when it throttles.

use std::time::Duration;

use rand::Rng;

use super::MonimeError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries in all, the first included.
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(8),
        }
    }
}

impl RetryPolicy {
    /// How long to wait after failed try number `attempt` (from 1).
    pub fn delay_after(&self, attempt: u32, error: &MonimeError) -> Duration {
        match error {
            // Monime says when, and never sooner. The requests of one crowded second (the
            // space's terminals share its limit) would crowd the next one together if each
            // came back right on time, so each takes up to as long again at random.
            MonimeError::RateLimited { retry_after, .. } => {
                let jitter_ms = rand::rng().random_range(0..=retry_after.as_millis() as u64);
                *retry_after + Duration::from_millis(jitter_ms)
            }
            _ => backoff_delay(attempt, self.base_delay, self.max_delay),
        }
    }
}

/// `base * 2^(attempt-1)`, capped at `max`, of which a random half is taken away ("equal
/// jitter"): never less than half the step, so the backoff still grows.
pub fn backoff_delay(attempt: u32, base: Duration, max: Duration) -> Duration {
    let exponent = attempt.saturating_sub(1).min(20);
    let step = base.saturating_mul(1 << exponent).min(max);
    let half = step / 2;
    let jitter_ms = rand::rng().random_range(0..=half.as_millis() as u64);
    half + Duration::from_millis(jitter_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_then_stays_under_the_cap() {
        let base = Duration::from_millis(100);
        let max = Duration::from_secs(2);
        for _ in 0..200 {
            let first = backoff_delay(1, base, max);
            assert!(first >= Duration::from_millis(50) && first <= base);
            let fourth = backoff_delay(4, base, max);
            assert!(fourth >= Duration::from_millis(400) && fourth <= Duration::from_millis(800));
            let late = backoff_delay(40, base, max);
            assert!(late >= Duration::from_secs(1) && late <= max);
        }
    }

    #[test]
    fn throttling_waits_at_least_retry_after() {
        let policy = RetryPolicy::default();
        let error = MonimeError::RateLimited {
            retry_after: Duration::from_secs(2),
            limit: None,
        };
        for _ in 0..100 {
            let delay = policy.delay_after(1, &error);
            assert!(delay >= Duration::from_secs(2) && delay <= Duration::from_secs(4));
        }
    }
}
