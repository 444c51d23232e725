//! How hard this terminal may ask, given the other terminals of its Monime space. Monime's rate
//! limits are shared by every client of a space, so a 429 says the shop's terminals together
//! ask too much. Each 429 slows this terminal's checks by half again, and the slowdown fades
//! over minutes, not seconds: a fleet that found its level stays near it instead of probing
//! the limit (and collecting 429s) again and again. The fade is smooth, so terminals throttled
//! together do not come back together.

use std::time::{Duration, Instant};

/// Each 429 multiplies the slowdown by this.
const SLOWER_BY: f64 = 1.5;
/// The slowdown never goes past this: checks stay within reach of a waiting cashier.
const SLOWEST: f64 = 6.0;
/// The part of the slowdown above 1 halves in this long without a 429.
const FADES_HALF_IN: Duration = Duration::from_secs(120);
/// 429s this close together are one sign, not several: the retries of one busy second.
const ONE_SIGN_WITHIN: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pace {
    /// The slowdown at `since`.
    slowdown: f64,
    since: Instant,
}

impl Pace {
    pub fn new(now: Instant) -> Pace {
        Pace {
            slowdown: 1.0,
            since: now,
        }
    }

    /// How many times longer than planned to wait between checks, now.
    pub fn slowdown(&self, now: Instant) -> f64 {
        let halvings =
            now.saturating_duration_since(self.since).as_secs_f64() / FADES_HALF_IN.as_secs_f64();
        1.0 + (self.slowdown - 1.0) * 0.5_f64.powf(halvings)
    }

    /// Monime answered 429.
    pub fn throttled(&mut self, now: Instant) {
        if self.slowdown > 1.0 && now.saturating_duration_since(self.since) < ONE_SIGN_WITHIN {
            return;
        }
        self.slowdown = (self.slowdown(now) * SLOWER_BY).min(SLOWEST);
        self.since = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_throttle_slows_and_the_slowdown_fades() {
        let start = Instant::now();
        let mut pace = Pace::new(start);
        assert_eq!(pace.slowdown(start), 1.0);
        pace.throttled(start);
        assert!((pace.slowdown(start) - 1.5).abs() < 1e-9);
        // A second 429 within the same second is the same sign.
        pace.throttled(start + Duration::from_millis(300));
        assert!((pace.slowdown(start) - 1.5).abs() < 1e-9);
        pace.throttled(start + Duration::from_secs(2));
        let slowed = pace.slowdown(start + Duration::from_secs(2));
        assert!(slowed > 2.2 && slowed < 2.25, "{slowed}");
        let later = start + Duration::from_secs(2) + FADES_HALF_IN;
        assert!((pace.slowdown(later) - (1.0 + (slowed - 1.0) / 2.0)).abs() < 1e-9);
        for second in 3..60 {
            pace.throttled(start + Duration::from_secs(second * 2));
        }
        let most = pace.slowdown(start + Duration::from_secs(118));
        assert!(
            (most - SLOWEST).abs() < 1e-9,
            "never slower than {SLOWEST}: {most}"
        );
    }
}
