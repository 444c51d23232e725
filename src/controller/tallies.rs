//! What the running sales tell the terminal's metrics as they go: how long after Monime's
//! `completed` each sale showed PAID, as a histogram, and a signal each time a sale settles so
//! the metrics are written then. Shared by every sale of the process; a sale only takes a lock
//! for the few nanoseconds of adding one observation.

use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::Notify;

/// The upper bounds of the completed-to-PAID histogram's buckets, in seconds: the fleet's goal
/// is 2 s at the 95th percentile.
pub const PAID_LATENCY_BUCKETS: [f64; 9] = [0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0];

/// A Prometheus histogram's figures: cumulative counts per bucket, the sum and the count.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Histogram {
    /// Observations at or under each bound of `PAID_LATENCY_BUCKETS`, cumulative.
    pub buckets: [u64; PAID_LATENCY_BUCKETS.len()],
    pub sum_seconds: f64,
    pub count: u64,
}

impl Histogram {
    pub fn observe(&mut self, seconds: f64) {
        for (bound, bucket) in PAID_LATENCY_BUCKETS.iter().zip(&mut self.buckets) {
            if seconds <= *bound {
                *bucket += 1;
            }
        }
        self.sum_seconds += seconds;
        self.count += 1;
    }
}

#[derive(Debug, Default)]
pub struct SaleTallies {
    paid_latency: Mutex<Histogram>,
    settled: Notify,
}

impl SaleTallies {
    /// A sale showed PAID `after` Monime said its code completed.
    pub fn paid(&self, after: Duration) {
        crate::sync::lock(&self.paid_latency).observe(after.as_secs_f64());
    }

    /// A sale settled (paid, expired, cancelled, failed, unknown).
    pub fn settled(&self) {
        self.settled.notify_one();
    }

    /// Waits for the next sale to settle (or for one that settled since the last wait).
    pub async fn next_settled(&self) {
        self.settled.notified().await;
    }

    pub fn paid_latency(&self) -> Histogram {
        crate::sync::lock(&self.paid_latency).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_observation_counts_in_every_bucket_it_fits() {
        let mut histogram = Histogram::default();
        histogram.observe(0.7);
        histogram.observe(2.0);
        histogram.observe(45.0);
        assert_eq!(histogram.buckets, [0, 0, 1, 1, 2, 2, 2, 2, 2]);
        assert_eq!(histogram.count, 3);
        assert!((histogram.sum_seconds - 47.7).abs() < 1e-9);
    }
}
