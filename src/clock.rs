//! The time sales are filed under. A Raspberry Pi has no battery-backed clock: after a power cut
//! without network it can start days off, and its sales would be filed under the wrong day.
//!
//! Every answer from Monime carries a `Date` header. The clock keeps the latest reading of
//! Monime's time, tied to the machine's monotonic clock (so when NTP later sets the local clock
//! right, the reading still holds and the clock is seen to be right at once). While the local
//! clock is off by more than `OFF_AFTER`, `now` tells Monime's time instead of the local one.
//! Sale times, the day a sale belongs to, printed times and the payment countdown come from
//! here; log timestamps keep the local clock.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{
    DateTime, Datelike, FixedOffset, Local, NaiveDate, NaiveTime, TimeDelta, TimeZone, Utc,
};

use crate::lang::Language;
use crate::sync::lock;

/// How far the local clock may be from Monime's before Monime's time is used instead.
pub const OFF_AFTER: TimeDelta = TimeDelta::minutes(2);
/// An answer that took longer than this places Monime's time too loosely to be used.
pub const MAX_ROUND_TRIP: Duration = Duration::from_secs(60);

/// Monime's time at one instant of this machine's monotonic clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    monime: DateTime<Utc>,
    at: Instant,
}

impl Reading {
    /// What one answer tells: `date` from its `Date` header, for a request sent at `sent` whose
    /// answer arrived at `received`. Monime wrote the date somewhere between the two, so the
    /// middle is the best guess, and the header counts whole seconds, so the true time was half
    /// a second later on average. `None` when the answer took longer than `MAX_ROUND_TRIP`.
    pub fn from_answer(date: DateTime<Utc>, sent: Instant, received: Instant) -> Option<Reading> {
        let round_trip = received.checked_duration_since(sent)?;
        (round_trip <= MAX_ROUND_TRIP).then(|| Reading {
            monime: date + TimeDelta::milliseconds(500),
            at: sent + round_trip / 2,
        })
    }

    /// Monime's time at `at`, counted on from the reading by the monotonic clock.
    fn monime_at(&self, at: Instant) -> DateTime<Utc> {
        let since = |earlier: Instant, later: Instant| {
            TimeDelta::from_std(later.saturating_duration_since(earlier)).unwrap_or(TimeDelta::MAX)
        };
        if at >= self.at {
            self.monime + since(self.at, at)
        } else {
            self.monime - since(at, self.at)
        }
    }
}

/// How far apart two readings of Monime's time may be and still agree: the `Date` header counts
/// whole seconds and a reading's round trip may be up to `MAX_ROUND_TRIP`, half of it unknown.
pub const READINGS_AGREE_WITHIN: TimeDelta = TimeDelta::seconds(60);

/// The terminal's clock. Clones share one reading: the Monime client feeds it, sales read it.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    readings: Arc<Mutex<Readings>>,
}

/// The reading the clock tells by, and one that disagreed with it, waiting for a second answer
/// to say the same before it is believed.
#[derive(Debug, Clone, Copy, Default)]
struct Readings {
    kept: Option<Reading>,
    doubted: Option<Reading>,
}

impl Reading {
    /// Whether two readings tell the same Monime time, within `READINGS_AGREE_WITHIN`.
    fn agrees_with(&self, other: &Reading) -> bool {
        let at = self.at.max(other.at);
        (self.monime_at(at) - other.monime_at(at)).abs() <= READINGS_AGREE_WITHIN
    }
}

impl Clock {
    /// A clock that has not heard from Monime yet: it tells the local time.
    pub fn new() -> Clock {
        Clock::default()
    }

    /// Takes the `Date` header of an answer (`None` or unreadable: nothing is learnt).
    pub fn heard(&self, date_header: Option<&str>, sent: Instant, received: Instant) {
        let Some(date) = date_header.and_then(parse_http_date) else {
            return;
        };
        if let Some(reading) = Reading::from_answer(date, sent, received) {
            self.learn(reading);
        }
    }

    /// Keeps `reading` as the latest word on Monime's time. The first is taken at once (a Pi
    /// after a power cut needs it before its first sale). A later one that disagrees with the
    /// kept reading is believed only once a second answer agrees with it: one answer with a
    /// wrong `Date` (a proxy's, a captive portal's, a server's bad clock) would otherwise file
    /// the sales of that moment under another day, or another century.
    pub fn learn(&self, reading: Reading) {
        let mut readings = lock(&self.readings);
        let Some(kept) = readings.kept else {
            let offset = reading.monime_at(Instant::now()) - Utc::now();
            if offset.abs() > OFF_AFTER {
                tracing::warn!(
                    off_by = %span(offset),
                    "the local clock is off; sales follow Monime's time"
                );
            }
            readings.kept = Some(reading);
            return;
        };
        let confirmed = readings
            .doubted
            .is_some_and(|doubted| doubted.agrees_with(&reading));
        if reading.agrees_with(&kept) || confirmed {
            if confirmed {
                tracing::warn!("Monime's time moved; sales follow the new time");
            }
            readings.kept = Some(reading);
            readings.doubted = None;
        } else {
            tracing::debug!("an answer's Date disagrees with Monime's time so far; kept aside");
            readings.doubted = Some(reading);
        }
    }

    /// Whether Monime's time has been heard since the terminal started.
    pub fn has_heard(&self) -> bool {
        lock(&self.readings).kept.is_some()
    }

    /// The time to file things under: Monime's when the local clock is off, else the local.
    pub fn now(&self) -> DateTime<Utc> {
        self.now_at(Utc::now(), Instant::now())
    }

    /// The local calendar day `now` falls on.
    pub fn today(&self) -> NaiveDate {
        self.now().with_timezone(&Local).date_naive()
    }

    /// Monime's time less the local time; `None` before Monime has been heard.
    pub fn offset(&self) -> Option<TimeDelta> {
        self.offset_at(Utc::now(), Instant::now())
    }

    /// The offset, when it is larger than `OFF_AFTER` either way.
    pub fn off_by(&self) -> Option<TimeDelta> {
        self.off_by_at(Utc::now(), Instant::now())
    }

    pub fn is_off(&self) -> bool {
        self.off_by().is_some()
    }

    /// `now` for a local clock reading `local` at monotonic instant `at`.
    pub fn now_at(&self, local: DateTime<Utc>, at: Instant) -> DateTime<Utc> {
        local + self.off_by_at(local, at).unwrap_or_default()
    }

    pub fn offset_at(&self, local: DateTime<Utc>, at: Instant) -> Option<TimeDelta> {
        lock(&self.readings)
            .kept
            .map(|reading| reading.monime_at(at) - local)
    }

    pub fn off_by_at(&self, local: DateTime<Utc>, at: Instant) -> Option<TimeDelta> {
        self.offset_at(local, at)
            .filter(|offset| offset.abs() > OFF_AFTER)
    }
}

/// An HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`), as servers write it. Only a date from 1970
/// to 9999 (the Unix epoch to the last year an HTTP date's four digits write) is one: the
/// reader takes years up to 262142, and a clock told such a time would file sales under it
/// and overflow counting on from it.
pub fn parse_http_date(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc2822(text.trim())
        .ok()
        .map(|date| date.to_utc())
        .filter(|date| (1970..=9999).contains(&date.year()))
}

/// An offset for people, by its largest unit, either way: "3 days", "5 hours", "12 minutes".
pub fn span(offset: TimeDelta) -> String {
    span_in(offset, Language::English)
}

/// `span` in `language`: "3 days", "3 jours".
pub fn span_in(offset: TimeDelta, language: Language) -> String {
    const MINUTE: i64 = 60;
    const HOUR: i64 = 60 * MINUTE;
    const DAY: i64 = 24 * HOUR;
    let seconds = offset.num_seconds().saturating_abs();
    // Rounded to the nearest of its unit: a reading half a second short of 3 days is 3 days.
    if seconds >= DAY - HOUR / 2 {
        language.trn("{n} day", "{n} days", (seconds + DAY / 2) / DAY, &[])
    } else if seconds >= HOUR - MINUTE / 2 {
        language.trn("{n} hour", "{n} hours", (seconds + HOUR / 2) / HOUR, &[])
    } else {
        let minutes = (seconds + MINUTE / 2) / MINUTE;
        language.trn("{n} minute", "{n} minutes", minutes, &[])
    }
}

/// The UTC instants a local day starts and ends at.
pub fn day_bounds(date: NaiveDate, zone: FixedOffset) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = zone
        .from_local_datetime(&date.and_time(NaiveTime::MIN))
        .single()
        .map(|start| start.with_timezone(&Utc))
        .unwrap_or_else(|| date.and_time(NaiveTime::MIN).and_utc());
    // The last day a date can hold has no next day to end at: it ends with time itself.
    let end = start
        .checked_add_signed(TimeDelta::days(1))
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    (start, end)
}

/// The terminal's local time zone as it is now.
pub fn local_zone() -> FixedOffset {
    *chrono::Local::now().offset()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("test time")
            .to_utc()
    }

    #[test]
    fn http_dates_are_read() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(at("1994-11-06T08:49:37Z"))
        );
        assert_eq!(parse_http_date("yesterday"), None);
    }

    #[test]
    fn the_reading_is_placed_in_the_middle_of_the_round_trip() {
        let sent = Instant::now();
        let received = sent + Duration::from_secs(2);
        let reading =
            Reading::from_answer(at("2026-11-25T10:00:00Z"), sent, received).expect("reading");
        // Monime wrote 10:00:00.5 (on average) one second after `sent`.
        assert_eq!(reading.monime_at(sent), at("2026-11-25T09:59:59.5Z"));
        assert_eq!(reading.monime_at(received), at("2026-11-25T10:00:01.5Z"));
        assert!(
            Reading::from_answer(at("2026-11-25T10:00:00Z"), received, sent).is_none(),
            "an answer before its request is nonsense"
        );
        let slow = sent + MAX_ROUND_TRIP + Duration::from_secs(1);
        assert!(Reading::from_answer(at("2026-11-25T10:00:00Z"), sent, slow).is_none());
    }

    #[test]
    fn a_clock_three_days_slow_tells_monimes_time() {
        let clock = Clock::new();
        let start = Instant::now();
        let local = at("2026-11-22T10:00:00Z");
        assert_eq!(
            clock.now_at(local, start),
            local,
            "nothing heard: local time"
        );
        assert_eq!(clock.offset_at(local, start), None);
        clock.heard(
            Some("Wed, 25 Nov 2026 10:00:00 GMT"),
            start,
            start + Duration::from_millis(200),
        );
        let offset = clock.offset_at(local, start).expect("heard");
        assert_eq!(offset, TimeDelta::days(3) + TimeDelta::milliseconds(400));
        assert_eq!(clock.off_by_at(local, start), Some(offset));
        // An hour later by both clocks, Monime's time is still counted on.
        let later = start + Duration::from_secs(3600);
        assert_eq!(
            clock.now_at(local + TimeDelta::hours(1), later),
            at("2026-11-25T11:00:00.4Z")
        );
        // NTP sets the local clock right: the reading agrees with it, so the local time is used.
        let set_right = at("2026-11-25T11:00:03Z");
        assert_eq!(clock.off_by_at(set_right, later), None);
        assert_eq!(clock.now_at(set_right, later), set_right);
    }

    #[test]
    fn small_differences_keep_the_local_clock() {
        let clock = Clock::new();
        let start = Instant::now();
        let local = at("2026-11-25T10:00:00Z");
        clock.heard(Some("Wed, 25 Nov 2026 10:01:30 GMT"), start, start);
        assert_eq!(
            clock.now_at(local, start),
            local,
            "90 s is within the limit"
        );
        clock.heard(Some("Wed, 25 Nov 2026 09:57:00 GMT"), start, start);
        assert_eq!(
            clock.now_at(local, start),
            local,
            "one answer that disagrees is not believed yet"
        );
        clock.heard(Some("Wed, 25 Nov 2026 09:57:01 GMT"), start, start);
        assert_eq!(
            clock.now_at(local, start),
            at("2026-11-25T09:57:01.5Z"),
            "a second that agrees with it is, and 3 minutes fast is off"
        );
        clock.heard(Some("not a date"), start, start);
        clock.heard(None, start, start);
        assert_eq!(clock.now_at(local, start), at("2026-11-25T09:57:01.5Z"));
    }

    #[test]
    fn one_answer_with_a_wrong_date_does_not_move_the_clock() {
        let clock = Clock::new();
        let start = Instant::now();
        let local = at("2026-11-25T10:00:00Z");
        clock.heard(Some("Wed, 25 Nov 2026 10:00:00 GMT"), start, start);
        let second = start + Duration::from_secs(1);
        for wrong in [
            "Fri, 31 Dec 9999 23:59:59 GMT",
            "Sat, 01 Jan 2000 00:00:00 GMT",
            "Thu, 01 Jan 1970 00:00:00 GMT",
        ] {
            clock.heard(Some(wrong), second, second);
            assert_eq!(clock.off_by_at(local, second), None, "{wrong}");
            assert_eq!(clock.now_at(local, second), local, "{wrong}");
            // The right time, heard again, clears the doubt.
            clock.heard(Some("Wed, 25 Nov 2026 10:00:01 GMT"), second, second);
        }
        // Two wrong answers that disagree with each other are not believed either.
        clock.heard(Some("Fri, 31 Dec 9999 23:59:59 GMT"), second, second);
        clock.heard(Some("Sat, 01 Jan 2000 00:00:00 GMT"), second, second);
        assert_eq!(clock.now_at(local, second), local);
        // A wrong first answer is corrected by the next two right ones.
        let fresh = Clock::new();
        fresh.heard(Some("Sat, 01 Jan 2000 00:00:00 GMT"), start, start);
        assert!(fresh.off_by_at(local, start).is_some());
        fresh.heard(Some("Wed, 25 Nov 2026 10:00:00 GMT"), start, start);
        fresh.heard(Some("Wed, 25 Nov 2026 10:00:00 GMT"), start, start);
        assert_eq!(fresh.now_at(local, start), local);
    }

    #[test]
    fn offsets_read_by_their_largest_unit() {
        assert_eq!(
            span(TimeDelta::days(3) - TimeDelta::milliseconds(600)),
            "3 days"
        );
        assert_eq!(span(-TimeDelta::days(1)), "1 day");
        assert_eq!(
            span(TimeDelta::hours(5) + TimeDelta::minutes(10)),
            "5 hours"
        );
        assert_eq!(
            span(TimeDelta::minutes(59) + TimeDelta::seconds(45)),
            "1 hour"
        );
        assert_eq!(span(-TimeDelta::minutes(3)), "3 minutes");
        assert_eq!(span(TimeDelta::seconds(150)), "3 minutes");
    }
}
