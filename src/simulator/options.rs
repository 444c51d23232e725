//! The settings of one simulated Monime space: its port and key, how its customers pay, its
//! rate limits and its clock.

use std::time::Duration;

use chrono::TimeDelta;

/// Settings of one simulated Monime space.
#[derive(Debug, Clone)]
pub struct SimulatorOptions {
    pub port: u16,
    pub access_token: String,
    pub space_id: String,
    /// When set, every new code starts being paid this long after it was created.
    pub auto_pay_after: Option<Duration>,
    /// How long a payment stays `processing` before it completes.
    pub processing_time: Duration,
    /// Requests per second allowed on each endpoint; Monime allows 5 in test mode.
    pub rate_limit_per_second: Option<u32>,
    /// Requests per second allowed across the space: every endpoint, every terminal.
    pub space_rate_limit_per_second: Option<u32>,
    /// How far the simulated Monime's clock is ahead of this machine's (behind when negative):
    /// its codes' times and the `Date` header of its answers follow it.
    pub clock_offset: TimeDelta,
}

impl Default for SimulatorOptions {
    fn default() -> Self {
        SimulatorOptions {
            port: 0,
            access_token: super::DEMO_ACCESS_TOKEN.into(),
            space_id: super::DEMO_SPACE_ID.into(),
            auto_pay_after: None,
            processing_time: Duration::from_secs(2),
            rate_limit_per_second: None,
            space_rate_limit_per_second: None,
            clock_offset: TimeDelta::zero(),
        }
    }
}
