//! How hard this terminal may ask, given the other terminals of its Monime space. Monime's rate
//! limits are shared by every client of a space, so a 429 says the shop's terminals together
//! ask too much. Two things follow from it:
//!
//! - **A crowded space.** A terminal alone in its space spends the checks it saved while a code
//!   waited in quick bursts while the customer confirms (`sale::poll`); forty terminals doing
//!   that at once ask in bursts no shared limit holds. Once a 429 has shown the space is shared,
//!   the terminal checks evenly instead, for a week after the last one. The week outlives a
//!   restart (the journal keeps the time of the last 429), so a shop's fleet starts each morning
//!   at the pace it found, instead of every terminal learning it again from a 429 of its own.
//!   A technician who knows the space is shared says so (`[monime] shared_space`), and the
//!   terminal checks evenly from its first sale: a new fleet then does not pay for its
//!   learning in 429s on its first day.
//! - **A slowdown.** A 429 to a terminal already checking evenly slows its checks by half
//!   again, and the slowdown fades over minutes, not seconds: a fleet that found its level stays
//!   near it instead of probing the limit (and collecting 429s) again and again. The fade is
//!   smooth, so terminals throttled together do not come back together.
//!
//! Two 429s teach nothing beyond the crowded space, and do not slow:
//!
//! - **The first 429 of a terminal that thought itself alone.** It says the space is shared,
//!   and checking evenly is the answer to that; whether the even pace is still too much only a
//!   429 at that pace can say. Forty terminals learning at once (a shop's power back, a queue at
//!   every till) would otherwise each slow for minutes for the bursts of the minute before,
//!   and sell their next sales at a slow pace the space no longer needs.
//! - **A 429 to a request already refused**, sent again after Monime's `Retry-After`: it is
//!   the same busy moment, which that request's first 429 has already counted.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

/// Each 429 multiplies the slowdown by this.
const SLOWER_BY: f64 = 1.5;
/// The slowdown never goes past this: checks stay within reach of a waiting cashier.
const SLOWEST: f64 = 6.0;
/// The part of the slowdown above 1 halves in this long without a 429.
const FADES_HALF_IN: Duration = Duration::from_secs(120);
/// 429s this close together are one sign, not several: the retries of one busy second.
const ONE_SIGN_WITHIN: Duration = Duration::from_secs(1);
/// A space stays crowded this long after its last 429: long enough to outlast a closed
/// weekend, short enough that a terminal moved to a quiet space soon checks quickly again.
const CROWDED_FOR: chrono::TimeDelta = chrono::TimeDelta::days(7);

/// What the space's rate limit asks of this terminal's checks now.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpaceLoad {
    /// How many times longer than planned to wait between checks.
    pub slowdown: f64,
    /// Other terminals share the limit: check evenly, spend no saved checks in bursts.
    pub crowded: bool,
}

impl SpaceLoad {
    /// A space nobody else asks of.
    pub const QUIET: SpaceLoad = SpaceLoad {
        slowdown: 1.0,
        crowded: false,
    };
}

/// Whether a request Monime refused was being sent for the first time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    First,
    /// Sent again after a 429.
    Again,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pace {
    /// The configuration says other terminals share the space: crowded whatever Monime says.
    shared: bool,
    /// The slowdown at `since`.
    slowdown: f64,
    since: Instant,
    /// When Monime last answered 429, by the terminal's clock of Monime's time.
    last_throttled: Option<DateTime<Utc>>,
    /// `last_throttled` is newer than what the journal keeps.
    unsaved: bool,
}

impl Pace {
    pub fn new(now: Instant, shared: bool) -> Pace {
        Pace {
            shared,
            slowdown: 1.0,
            since: now,
            last_throttled: None,
            unsaved: false,
        }
    }

    /// What the space asks of this terminal now.
    pub fn load(&self, now: Instant, time: DateTime<Utc>) -> SpaceLoad {
        let halvings =
            now.saturating_duration_since(self.since).as_secs_f64() / FADES_HALF_IN.as_secs_f64();
        SpaceLoad {
            slowdown: 1.0 + (self.slowdown - 1.0) * 0.5_f64.powf(halvings),
            crowded: self.shared
                || self
                    .last_throttled
                    .is_some_and(|at| time.signed_duration_since(at) < CROWDED_FOR),
        }
    }

    /// Monime answered 429 to a request sent for the first time (`Attempt::First`) or again
    /// after a 429 (`Attempt::Again`).
    pub fn throttled(&mut self, now: Instant, time: DateTime<Utc>, attempt: Attempt) {
        let was_crowded = self.load(now, time).crowded;
        self.last_throttled = Some(time);
        self.unsaved = true;
        if !was_crowded || attempt == Attempt::Again {
            // The space is crowded from now on (above); see the module's comment for why
            // this 429 does not slow.
            return;
        }
        if self.slowdown > 1.0 && now.saturating_duration_since(self.since) < ONE_SIGN_WITHIN {
            return;
        }
        self.slowdown = (self.load(now, time).slowdown * SLOWER_BY).min(SLOWEST);
        self.since = now;
    }

    /// The journal remembers a 429 at `at`, from before this start.
    pub fn recall(&mut self, at: DateTime<Utc>) {
        if self.last_throttled.is_none_or(|known| known < at) {
            self.last_throttled = Some(at);
        }
    }

    /// The time of the last 429, once, if the journal does not have it yet.
    pub fn take_unsaved(&mut self) -> Option<DateTime<Utc>> {
        std::mem::take(&mut self.unsaved)
            .then_some(self.last_throttled)
            .flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> DateTime<Utc> {
        DateTime::from_timestamp(1_790_000_000, 0).expect("a time")
    }

    #[test]
    fn each_throttle_at_the_even_pace_slows_and_the_slowdown_fades() {
        let start = Instant::now();
        let slowdown = |pace: &Pace, at| pace.load(at, today()).slowdown;
        // Checking evenly already: the space was said to be shared.
        let mut pace = Pace::new(start, true);
        assert_eq!(slowdown(&pace, start), 1.0);
        pace.throttled(start, today(), Attempt::First);
        assert!((slowdown(&pace, start) - 1.5).abs() < 1e-9);
        // A second 429 within the same second is the same sign.
        pace.throttled(start + Duration::from_millis(300), today(), Attempt::First);
        assert!((slowdown(&pace, start) - 1.5).abs() < 1e-9);
        pace.throttled(start + Duration::from_secs(2), today(), Attempt::First);
        let slowed = slowdown(&pace, start + Duration::from_secs(2));
        assert!(slowed > 2.2 && slowed < 2.25, "{slowed}");
        let later = start + Duration::from_secs(2) + FADES_HALF_IN;
        assert!((slowdown(&pace, later) - (1.0 + (slowed - 1.0) / 2.0)).abs() < 1e-9);
        for second in 3..60 {
            pace.throttled(
                start + Duration::from_secs(second * 2),
                today(),
                Attempt::First,
            );
        }
        let most = slowdown(&pace, start + Duration::from_secs(118));
        assert!(
            (most - SLOWEST).abs() < 1e-9,
            "never slower than {SLOWEST}: {most}"
        );
    }

    #[test]
    fn a_429_makes_the_space_crowded_for_a_week() {
        let start = Instant::now();
        let mut pace = Pace::new(start, false);
        assert!(!pace.load(start, today()).crowded);
        assert_eq!(pace.take_unsaved(), None, "nothing to keep before a 429");
        pace.throttled(start, today(), Attempt::First);
        // Long after the slowdown has faded, the space is still known to be shared.
        let six_days = today() + chrono::TimeDelta::days(6);
        let faded = start + FADES_HALF_IN * 40;
        let load = pace.load(faded, six_days);
        assert!(load.crowded && load.slowdown < 1.001, "{load:?}");
        assert!(!pace.load(faded, today() + CROWDED_FOR).crowded);
        assert_eq!(pace.take_unsaved(), Some(today()));
        assert_eq!(pace.take_unsaved(), None, "kept once");
    }

    #[test]
    fn a_429_from_before_the_start_is_recalled() {
        let start = Instant::now();
        let mut pace = Pace::new(start, false);
        pace.recall(today() - chrono::TimeDelta::days(2));
        let load = pace.load(start, today());
        assert!(load.crowded, "remembered from the journal");
        assert_eq!(load.slowdown, 1.0, "no slowdown carried over");
        assert_eq!(pace.take_unsaved(), None, "the journal has it already");
        pace.recall(today() - CROWDED_FOR * 2);
        assert!(
            pace.load(start, today()).crowded,
            "an older one changes nothing"
        );
    }

    #[test]
    fn a_space_said_to_be_shared_is_crowded_from_the_start() {
        let start = Instant::now();
        let pace = Pace::new(start, true);
        let load = pace.load(start, today());
        assert!(load.crowded && load.slowdown == 1.0, "{load:?}");
        let months_later = today() + CROWDED_FOR * 8;
        assert!(pace.load(start, months_later).crowded, "with no 429 ever");
    }

    #[test]
    fn the_first_429_of_a_terminal_that_thought_itself_alone_only_makes_the_space_crowded() {
        let start = Instant::now();
        let mut pace = Pace::new(start, false);
        pace.throttled(start, today(), Attempt::First);
        let load = pace.load(start, today());
        assert!(load.crowded && load.slowdown == 1.0, "{load:?}");
        assert_eq!(
            pace.take_unsaved(),
            Some(today()),
            "kept for the next start"
        );
        // At the even pace, the next 429 says the space is full even so: it slows.
        let later = start + Duration::from_secs(30);
        pace.throttled(later, today(), Attempt::First);
        let load = pace.load(later, today());
        assert!(
            load.crowded && (load.slowdown - 1.5).abs() < 1e-9,
            "{load:?}"
        );
    }

    #[test]
    fn a_terminal_that_remembers_a_crowded_space_slows_at_its_first_429() {
        let start = Instant::now();
        let mut pace = Pace::new(start, false);
        pace.recall(today() - chrono::TimeDelta::days(1));
        pace.throttled(start, today(), Attempt::First);
        assert!((pace.load(start, today()).slowdown - 1.5).abs() < 1e-9);
        // A 429 remembered from longer ago than a week teaches the lesson again.
        let mut pace = Pace::new(start, false);
        pace.recall(today() - CROWDED_FOR * 2);
        pace.throttled(start, today(), Attempt::First);
        assert_eq!(pace.load(start, today()).slowdown, 1.0);
    }

    #[test]
    fn a_request_refused_again_does_not_slow_again() {
        let start = Instant::now();
        let mut pace = Pace::new(start, true);
        pace.throttled(start, today(), Attempt::First);
        // Its retries after Retry-After and its jitter, refused too: the same busy moment.
        let mut last = today();
        for (tries, ms) in [(2, 1_400), (3, 3_100), (4, 5_800)] {
            let at = start + Duration::from_millis(ms);
            last = today() + chrono::TimeDelta::milliseconds(ms as i64);
            pace.throttled(at, last, Attempt::Again);
            let load = pace.load(at, last);
            assert!(
                load.slowdown <= 1.5 && load.crowded,
                "try {tries}: {load:?}"
            );
        }
        // Each of them still says the space is crowded: the week runs from the last.
        assert_eq!(pace.take_unsaved(), Some(last));
    }
}
