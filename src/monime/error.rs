//! Everything that can go wrong talking to Monime, sorted by what the caller should do about
//! it. Messages are for the technician or cashier reading them and never carry the token.

use std::time::Duration;

use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MonimeError {
    #[error(
        "Monime refused the access token ({message}): check that the access_token is this space's and not revoked"
    )]
    Unauthenticated { message: String },

    #[error(
        "Monime refused access ({message}): check space_id and that the token may use payment codes in that space"
    )]
    Forbidden { message: String },

    #[error("Monime refused the request: {message}")]
    Validation { message: String },

    #[error("Monime has no such {what}: check the id")]
    NotFound { what: String },

    #[error(
        "Monime already used this sale's idempotency key for a different request ({message}); the sale was not charged twice"
    )]
    IdempotencyConflict { message: String },

    #[error("Monime asks to slow down ({}); retry after {} s", limit.as_deref().unwrap_or("rate limit"), retry_after.as_secs())]
    RateLimited {
        retry_after: Duration,
        limit: Option<String>,
    },

    #[error("Monime had a server error (HTTP {status}{}); it is safe to try again", if message.is_empty() { String::new() } else { format!(": {message}") })]
    Server { status: u16, message: String },

    #[error("Monime answered HTTP {status}: {message}")]
    Rejected { status: u16, message: String },

    #[error("cannot reach Monime ({message}): check the network cable or Wi-Fi")]
    Network { message: String },

    /// The system has no trusted root certificates to check Monime's with: not the network.
    #[error(
        "this system cannot check Monime's certificate ({message}): install the ca-certificates package"
    )]
    TrustStore { message: String },

    #[error("Monime did not answer within {} s: the network may be slow, it will be tried again", after.as_secs())]
    Timeout { after: Duration },

    #[error("Monime's answer could not be read ({message})")]
    Malformed { message: String },

    /// The API version the terminal speaks has no such endpoint; nothing was sent.
    #[error(
        "Monime's {version} API has no {what}: set [monime] api_version to {} to use it",
        super::ApiVersion::CAPH_VERSIONS[0]
    )]
    Unsupported { version: String, what: String },
}

impl MonimeError {
    /// Failures after which the same request may be sent again unchanged. A create is only
    /// retried with its original idempotency key, so a retry never makes a second code.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            MonimeError::RateLimited { .. }
                | MonimeError::Server { .. }
                | MonimeError::Network { .. }
                | MonimeError::Timeout { .. }
        )
    }

    /// True when the request may never have reached Monime, or its answer was lost.
    pub fn is_connection_problem(&self) -> bool {
        matches!(
            self,
            MonimeError::Network { .. } | MonimeError::Timeout { .. }
        )
    }

    /// True when something answered over HTTP, even with an error: Monime is online. A page
    /// that is not Monime's (a captive portal's HTML) does not count, nor does no answer.
    pub fn is_answer(&self) -> bool {
        !matches!(
            self,
            MonimeError::Network { .. }
                | MonimeError::Timeout { .. }
                | MonimeError::Malformed { .. }
        )
    }

    /// Monime refused the caller's key (401) or its use of the space (403).
    pub fn refuses_key(&self) -> bool {
        matches!(
            self,
            MonimeError::Unauthenticated { .. } | MonimeError::Forbidden { .. }
        )
    }

    /// The same error, with a 404 naming `what` was not found instead of a payment code.
    pub(crate) fn about(self, what: &str) -> MonimeError {
        match self {
            MonimeError::NotFound { .. } => MonimeError::NotFound { what: what.into() },
            other => other,
        }
    }

    /// Builds the error for a non-success HTTP answer from its status, headers and body.
    pub(crate) fn from_response(
        status: u16,
        retry_after: Option<Duration>,
        rate_limit: Option<String>,
        body: &[u8],
    ) -> MonimeError {
        let envelope = serde_json::from_slice::<ErrorEnvelope>(body).ok();
        let detail = envelope.as_ref().and_then(|e| e.error.as_ref());
        let reason = detail.and_then(|d| d.reason.clone()).unwrap_or_default();
        let message = detail
            .map(ErrorDetail::describe)
            .unwrap_or_else(|| body_excerpt(body));
        match status {
            400 | 422 => MonimeError::Validation { message },
            401 => MonimeError::Unauthenticated { message },
            403 => MonimeError::Forbidden { message },
            404 => MonimeError::NotFound {
                what: "payment code".into(),
            },
            409 if reason == "idempotency_key_in_use" => {
                MonimeError::IdempotencyConflict { message }
            }
            429 => MonimeError::RateLimited {
                retry_after: retry_after.unwrap_or(Duration::from_secs(1)),
                limit: rate_limit,
            },
            500..=599 => MonimeError::Server { status, message },
            _ => MonimeError::Rejected { status, message },
        }
    }

    /// Builds the error for `success: false` on an HTTP success.
    pub(crate) fn from_unsuccessful_envelope(status: u16, body: &[u8]) -> MonimeError {
        match serde_json::from_slice::<ErrorEnvelope>(body) {
            Ok(ErrorEnvelope {
                error: Some(detail),
            }) => {
                let code = detail.code.unwrap_or(status);
                MonimeError::from_response(code, None, None, body)
            }
            _ => MonimeError::Malformed {
                message: "it said success: false but gave no error".into(),
            },
        }
    }
}

#[derive(Deserialize)]
struct ErrorEnvelope {
    error: Option<ErrorDetail>,
}

#[derive(Deserialize)]
struct ErrorDetail {
    code: Option<u16>,
    reason: Option<String>,
    message: Option<String>,
    #[serde(default)]
    details: Vec<serde_json::Value>,
}

impl ErrorDetail {
    fn describe(&self) -> String {
        let mut text = self
            .message
            .clone()
            .or_else(|| self.reason.clone())
            .unwrap_or_else(|| "no reason given".into());
        let details: Vec<String> = self
            .details
            .iter()
            .map(|detail| match detail {
                serde_json::Value::String(text) => text.clone(),
                other => other.to_string(),
            })
            .collect();
        if !details.is_empty() {
            text.push_str(&format!(" ({})", details.join("; ")));
        }
        text
    }
}

/// The start of a body that is not Monime's error envelope, for a person to recognise.
pub(crate) fn body_excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return "empty answer".into();
    }
    let excerpt: String = text.chars().take(120).collect();
    if excerpt.len() < text.len() {
        format!("\"{excerpt}...\"")
    } else {
        format!("\"{excerpt}\"")
    }
}

/// Reads `Retry-After` in seconds, as Monime sends it. An HTTP date is taken as one second.
pub(crate) fn parse_retry_after(value: Option<&str>) -> Option<Duration> {
    let value = value?.trim();
    match value.parse::<u64>() {
        Ok(seconds) => Some(Duration::from_secs(seconds.clamp(1, 3600))),
        Err(_) => Some(Duration::from_secs(1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope(code: u16, reason: &str, message: &str) -> Vec<u8> {
        serde_json::json!({"success": false, "messages": [], "error": {
            "code": code, "reason": reason, "message": message, "details": []}})
        .to_string()
        .into_bytes()
    }

    #[test]
    fn statuses_map_to_what_the_caller_does() {
        let error = MonimeError::from_response(
            400,
            None,
            None,
            &envelope(400, "invalid", "name is too short"),
        );
        assert_eq!(
            error,
            MonimeError::Validation {
                message: "name is too short".into()
            }
        );
        assert!(!error.is_retryable());
        let error = MonimeError::from_response(
            409,
            None,
            None,
            &envelope(409, "idempotency_key_in_use", "in use"),
        );
        assert!(matches!(error, MonimeError::IdempotencyConflict { .. }));
        let error =
            MonimeError::from_response(409, None, None, &envelope(409, "conflict", "other"));
        assert!(matches!(error, MonimeError::Rejected { status: 409, .. }));
        let error = MonimeError::from_response(503, None, None, b"<html>Bad gateway</html>");
        assert!(error.is_retryable());
        assert!(error.to_string().contains("Bad gateway"), "{error}");
        let error = MonimeError::from_response(
            429,
            Some(Duration::from_secs(3)),
            Some("space-limit".into()),
            b"",
        );
        assert_eq!(
            error,
            MonimeError::RateLimited {
                retry_after: Duration::from_secs(3),
                limit: Some("space-limit".into())
            }
        );
    }

    #[test]
    fn success_false_without_error_is_malformed() {
        let error = MonimeError::from_unsuccessful_envelope(200, br#"{"success": false}"#);
        assert!(matches!(error, MonimeError::Malformed { .. }));
        let error = MonimeError::from_unsuccessful_envelope(
            200,
            &envelope(401, "unauthenticated", "bad token"),
        );
        assert!(matches!(error, MonimeError::Unauthenticated { .. }));
    }

    #[test]
    fn retry_after_is_read_in_seconds() {
        assert_eq!(parse_retry_after(Some("2")), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after(Some("0")), Some(Duration::from_secs(1)));
        assert_eq!(
            parse_retry_after(Some("Wed, 21 Oct 2026 07:28:00 GMT")),
            Some(Duration::from_secs(1))
        );
        assert_eq!(parse_retry_after(None), None);
    }

    #[test]
    fn long_bodies_are_cut() {
        let excerpt = body_excerpt("x".repeat(500).as_bytes());
        assert!(
            excerpt.len() < 130 && excerpt.ends_with("...\""),
            "{excerpt}"
        );
    }
}
