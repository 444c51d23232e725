//! How Monime has been answering this terminal: every request counted by the class of its
//! answer, for the terminal's metrics. Shared by the client's clones; counting is a relaxed
//! atomic add, nothing on a sale's path waits for it.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use super::MonimeError;

/// The class of an answer, as the metrics label it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerClass {
    /// 2xx.
    Ok,
    /// 429: the space's rate limit, which Monime promises had no effect.
    RateLimited,
    /// Any other 4xx: a refused key, a request Monime will not take, a code it cannot find.
    ClientError,
    /// 5xx.
    ServerError,
    /// An answer the client cannot read (not Monime's envelope, an unknown API shape).
    Unreadable,
    /// No answer: the network, a timeout, no root certificate.
    None,
}

impl AnswerClass {
    pub const ALL: [AnswerClass; 6] = [
        AnswerClass::Ok,
        AnswerClass::RateLimited,
        AnswerClass::ClientError,
        AnswerClass::ServerError,
        AnswerClass::Unreadable,
        AnswerClass::None,
    ];

    /// The label's value.
    pub fn label(self) -> &'static str {
        match self {
            AnswerClass::Ok => "ok",
            AnswerClass::RateLimited => "rate_limited",
            AnswerClass::ClientError => "client_error",
            AnswerClass::ServerError => "server_error",
            AnswerClass::Unreadable => "unreadable",
            AnswerClass::None => "none",
        }
    }

    pub fn of(outcome: Result<(), &MonimeError>) -> AnswerClass {
        match outcome {
            Ok(()) => AnswerClass::Ok,
            Err(error) => match error {
                MonimeError::RateLimited { .. } => AnswerClass::RateLimited,
                MonimeError::Server { .. } => AnswerClass::ServerError,
                MonimeError::Unauthenticated { .. }
                | MonimeError::Forbidden { .. }
                | MonimeError::Validation { .. }
                | MonimeError::NotFound { .. }
                | MonimeError::IdempotencyConflict { .. }
                | MonimeError::Rejected { .. } => AnswerClass::ClientError,
                MonimeError::Malformed { .. } | MonimeError::Unsupported { .. } => {
                    AnswerClass::Unreadable
                }
                MonimeError::Network { .. }
                | MonimeError::Timeout { .. }
                | MonimeError::TrustStore { .. } => AnswerClass::None,
            },
        }
    }
}

/// The counts, and whether Monime's last answer came at all.
#[derive(Debug, Default)]
pub struct RequestTally {
    counts: [AtomicU64; AnswerClass::ALL.len()],
    asked: AtomicBool,
    answered: AtomicBool,
}

/// The tally read at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestCounts {
    pub by_class: Vec<(AnswerClass, u64)>,
    /// `None` before the first request; else whether the last one got an answer (any HTTP
    /// status counts: Monime is there).
    pub reachable: Option<bool>,
}

impl RequestTally {
    pub fn count(&self, class: AnswerClass) {
        if let Some(place) = AnswerClass::ALL.iter().position(|each| *each == class) {
            self.counts[place].fetch_add(1, Ordering::Relaxed);
        }
        self.asked.store(true, Ordering::Relaxed);
        self.answered
            .store(class != AnswerClass::None, Ordering::Relaxed);
    }

    pub fn read(&self) -> RequestCounts {
        RequestCounts {
            by_class: AnswerClass::ALL
                .iter()
                .zip(&self.counts)
                .map(|(class, count)| (*class, count.load(Ordering::Relaxed)))
                .collect(),
            reachable: self
                .asked
                .load(Ordering::Relaxed)
                .then(|| self.answered.load(Ordering::Relaxed)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_answer_is_counted_in_its_class_and_the_last_says_whether_monime_is_there() {
        let tally = RequestTally::default();
        assert_eq!(tally.read().reachable, None);
        tally.count(AnswerClass::of(Ok(())));
        tally.count(AnswerClass::of(Err(&MonimeError::RateLimited {
            retry_after: std::time::Duration::from_secs(1),
            limit: None,
        })));
        assert_eq!(tally.read().reachable, Some(true));
        tally.count(AnswerClass::of(Err(&MonimeError::Network {
            message: "down".into(),
        })));
        let read = tally.read();
        assert_eq!(read.reachable, Some(false));
        let count = |class| {
            read.by_class
                .iter()
                .find(|(each, _)| *each == class)
                .map(|(_, n)| *n)
        };
        assert_eq!(count(AnswerClass::Ok), Some(1));
        assert_eq!(count(AnswerClass::RateLimited), Some(1));
        assert_eq!(count(AnswerClass::None), Some(1));
        assert_eq!(count(AnswerClass::ServerError), Some(0));
    }
}
