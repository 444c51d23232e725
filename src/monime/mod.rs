//! A typed client for Monime's payment codes, and for what follows a paid code: the payment
//! that settled it (`payment`), money sent back (`payout`) and whose number that is (`kyc`).
//! It knows headers, envelopes, both API shapes, errors, retries, rate limits and idempotency,
//! and nothing about kiosks or sales.
//!
//! Retries follow Monime's rules: reads and creates are retried after network errors, timeouts,
//! 5xx and 429 (a create always with the caller's one idempotency key, so Monime returns the
//! same code or payout instead of making a second); cancel and delete are retried only after a
//! 429, which Monime guarantees had no effect.

pub mod duration;
mod error;
mod kyc;
mod list;
mod model;
mod pace;
mod payment;
mod payout;
mod retry;
mod tally;

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

pub use error::MonimeError;
pub use kyc::ProviderKyc;
pub use list::{MAX_DAY_PAGES, Page, PageOf};
pub use model::{
    ApiVersion, CodeStatus, Fee, ListFilter, NewPaymentCode, PaymentCode, ProcessedPayment,
    provider_name, sum_fees,
};
pub use payment::{Owner, Payment, PaymentChannel, PaymentStatus};
pub use payout::{
    MOMO_PROVIDERS, NewPayout, Payout, PayoutDestination, PayoutFailure, PayoutFailureCode,
    PayoutFilter, PayoutStatus,
};
pub use retry::{RetryPolicy, backoff_delay};
pub use tally::{AnswerClass, RequestCounts, RequestTally};

use crate::clock::Clock;
use crate::secret::AccessToken;
use error::{body_excerpt, parse_retry_after};
use model::WireCode;
pub use pace::SpaceLoad;
use pace::{Attempt, Pace};

/// Monime's limit on `Idempotency-Key`.
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 64;
/// See `ClientSettings::min_request_gap`.
pub const DEFAULT_REQUEST_GAP: Duration = Duration::from_millis(250);
/// Monime's largest page of the list endpoint.
pub const MAX_PAGE_SIZE: usize = 50;

/// Where and as whom the client talks to Monime.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    pub base_url: reqwest::Url,
    pub space_id: String,
    pub access_token: AccessToken,
    pub api_version: ApiVersion,
    pub request_timeout: Duration,
    pub retry: RetryPolicy,
    /// Least time between two requests from this client and its clones. 250 ms keeps a
    /// terminal under Monime's test-mode cap of 5 requests a second whatever happens.
    pub min_request_gap: Duration,
    /// Other terminals share the space's rate limit (`[monime] shared_space`): check evenly
    /// from the first sale instead of after the first 429; see `pace`.
    pub shared_space: bool,
    /// A PEM certificate to trust besides the system's, for a simulator served over TLS.
    pub extra_root_certificate: Option<Vec<u8>>,
}

impl ClientSettings {
    /// Settings for Monime at `base_url`, with the default retry policy and request spacing.
    pub fn new(
        base_url: reqwest::Url,
        space_id: String,
        access_token: AccessToken,
        api_version: ApiVersion,
        request_timeout: Duration,
    ) -> ClientSettings {
        ClientSettings {
            base_url,
            space_id,
            access_token,
            api_version,
            request_timeout,
            retry: RetryPolicy::default(),
            min_request_gap: DEFAULT_REQUEST_GAP,
            shared_space: false,
            extra_root_certificate: None,
        }
    }
}

/// The client. Cheap to clone: clones share one connection pool, so a sale's requests reuse one
/// TCP and TLS connection.
#[derive(Debug, Clone)]
pub struct MonimeClient {
    http: reqwest::Client,
    settings: Arc<ClientSettings>,
    /// When the next request may go out.
    next_slot: Arc<tokio::sync::Mutex<tokio::time::Instant>>,
    /// How much the space's other terminals leave for this one; see `pace`.
    pace: Arc<std::sync::Mutex<Pace>>,
    /// Learns Monime's time from every answer's `Date` header.
    clock: Clock,
    /// Every request's answer, counted by class, for the metrics.
    tally: Arc<RequestTally>,
}

/// Whether a request may be sent again after a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RetryRule {
    /// Network errors, timeouts, 5xx and 429: reads, and creates under one idempotency key.
    WhenSafe,
    /// Only 429, which Monime promises had no effect: changes without an idempotency key.
    OnlyWhenThrottled,
}

#[derive(Deserialize)]
struct Envelope {
    success: Option<bool>,
    result: Option<Value>,
    pagination: Option<Pagination>,
}

#[derive(Deserialize)]
struct Pagination {
    next: Option<String>,
}

impl MonimeClient {
    pub fn new(settings: ClientSettings) -> Result<MonimeClient, MonimeError> {
        // reqwest is built without a TLS provider of its own (see Cargo.toml); a second install
        // by another client in the same process is refused harmlessly.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("paycode-kiosk/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(settings.request_timeout.min(Duration::from_secs(10)))
            .pool_idle_timeout(Duration::from_secs(90))
            .tcp_keepalive(Duration::from_secs(30));
        if let Some(pem) = &settings.extra_root_certificate {
            let certificate =
                reqwest::Certificate::from_pem(pem).map_err(|error| MonimeError::Malformed {
                    message: format!("the extra root certificate is not PEM: {error}"),
                })?;
            builder = builder.add_root_certificate(certificate);
        }
        // With TLS set up here, the one way the builder fails is finding no root certificate
        // to trust (a minimal system without ca-certificates): say so, not "network".
        let http = builder.build().map_err(|error| MonimeError::TrustStore {
            message: error_chain(&error),
        })?;
        let pace = Pace::new(Instant::now(), settings.shared_space);
        Ok(MonimeClient {
            http,
            settings: Arc::new(settings),
            next_slot: Arc::new(tokio::sync::Mutex::new(tokio::time::Instant::now())),
            pace: Arc::new(std::sync::Mutex::new(pace)),
            clock: Clock::new(),
            tally: Arc::default(),
        })
    }

    pub fn settings(&self) -> &ClientSettings {
        &self.settings
    }

    /// Monime's time as its answers tell it; shared by the client's clones.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Creates a one-time payment code. `idempotency_key` must be the sale's stored key: sent
    /// again after a lost answer, Monime returns the code it already made.
    pub async fn create(
        &self,
        request: &NewPaymentCode,
        idempotency_key: &str,
    ) -> Result<PaymentCode, MonimeError> {
        if idempotency_key.is_empty() || idempotency_key.len() > MAX_IDEMPOTENCY_KEY_LEN {
            return Err(MonimeError::Validation {
                message: format!(
                    "the idempotency key must be 1 to {MAX_IDEMPOTENCY_KEY_LEN} characters"
                ),
            });
        }
        let body = request.to_body(&self.settings.api_version);
        let path = self.settings.api_version.collection_path().to_string();
        let envelope = self
            .call(
                Method::POST,
                &path,
                &[],
                Some(&body),
                Some(idempotency_key),
                RetryRule::WhenSafe,
            )
            .await?;
        code_from(envelope.result)
    }

    /// Reads one code.
    pub async fn get(&self, id: &str) -> Result<PaymentCode, MonimeError> {
        let path = self.code_path(id)?;
        let envelope = self
            .call(Method::GET, &path, &[], None, None, RetryRule::WhenSafe)
            .await?;
        code_from(envelope.result)
    }

    /// Switches a code off so nobody can pay it any more, and returns it as Monime then sees it.
    /// A code that is already `processing` or `completed` stays so: read its status.
    pub async fn cancel(&self, id: &str) -> Result<PaymentCode, MonimeError> {
        let path = self.code_path(id)?;
        let body = match self.settings.api_version {
            ApiVersion::Caph(_) => json!({ "enable": false }),
            ApiVersion::Legacy => json!({ "status": "cancelled" }),
        };
        let envelope = self
            .call(
                Method::PATCH,
                &path,
                &[],
                Some(&body),
                None,
                RetryRule::OnlyWhenThrottled,
            )
            .await?;
        code_from(envelope.result)
    }

    /// Deletes a code that has never been used.
    pub async fn delete(&self, id: &str) -> Result<(), MonimeError> {
        let path = self.code_path(id)?;
        self.call(
            Method::DELETE,
            &path,
            &[],
            None,
            None,
            RetryRule::OnlyWhenThrottled,
        )
        .await
        .map(|_| ())
    }

    fn code_path(&self, id: &str) -> Result<String, MonimeError> {
        item_path(
            self.settings.api_version.collection_path(),
            id,
            "a payment code id (they look like pmc-...)",
        )
    }

    /// Sends a request, retrying by `rule` and the client's policy.
    async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
        idempotency_key: Option<&str>,
        rule: RetryRule,
    ) -> Result<Envelope, MonimeError> {
        let policy = &self.settings.retry;
        let mut attempt = 1;
        // This request has been refused with 429 already: its next 429 is the same sign.
        let mut refused_before = false;
        loop {
            let started = Instant::now();
            let outcome = self
                .send_once(&method, path, query, body, idempotency_key)
                .await;
            self.tally
                .count(AnswerClass::of(outcome.as_ref().map(|_| ())));
            if let Err(MonimeError::RateLimited { .. }) = &outcome {
                let sent = if refused_before {
                    Attempt::Again
                } else {
                    Attempt::First
                };
                refused_before = true;
                crate::sync::lock(&self.pace).throttled(Instant::now(), self.clock.now(), sent);
            }
            let retry = match &outcome {
                Ok(_) => false,
                Err(error) => match rule {
                    RetryRule::WhenSafe => error.is_retryable(),
                    RetryRule::OnlyWhenThrottled => {
                        matches!(error, MonimeError::RateLimited { .. })
                    }
                },
            };
            match outcome {
                Ok(envelope) => {
                    tracing::debug!(%method, path, attempt, elapsed_ms = started.elapsed().as_millis() as u64, "monime answered");
                    return Ok(envelope);
                }
                Err(error) if retry && attempt < policy.max_attempts => {
                    let delay = policy.delay_after(attempt, &error);
                    tracing::warn!(%method, path, attempt, delay_ms = delay.as_millis() as u64, %error, "monime request failed, retrying");
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
                Err(error) => {
                    // The caller reports the error; a warning here is only owed when retries
                    // ran out, which a technician reading the logs should see.
                    if attempt > 1 {
                        tracing::warn!(%method, path, attempt, %error, "monime request failed, giving up");
                    } else {
                        tracing::debug!(%method, path, %error, "monime request failed");
                    }
                    return Err(error);
                }
            }
        }
    }

    async fn send_once(
        &self,
        method: &Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
        idempotency_key: Option<&str>,
    ) -> Result<Envelope, MonimeError> {
        self.wait_for_slot().await;
        let settings = &self.settings;
        let url = format!("{}{path}", settings.base_url.as_str().trim_end_matches('/'));
        let mut request = self
            .http
            .request(method.clone(), url)
            .headers(self.headers(idempotency_key)?)
            .timeout(settings.request_timeout);
        if !query.is_empty() {
            request = request.query(query);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let sent = Instant::now();
        let response = request
            .send()
            .await
            .map_err(|error| self.transport_error(&error))?;
        let status = response.status();
        let headers = response.headers().clone();
        let date = headers.get(reqwest::header::DATE);
        self.clock.heard(
            date.and_then(|value| value.to_str().ok()),
            sent,
            Instant::now(),
        );
        let bytes = response
            .bytes()
            .await
            .map_err(|error| self.transport_error(&error))?;
        read_envelope(status, &headers, &bytes)
    }

    /// How a sale should space its checks, because the space's rate limit is shared and
    /// Monime has said it was reached; see `pace`.
    pub fn space_load(&self) -> SpaceLoad {
        crate::sync::lock(&self.pace).load(Instant::now(), self.clock.now())
    }

    /// How Monime has answered this client and its clones so far.
    pub fn request_counts(&self) -> RequestCounts {
        self.tally.read()
    }

    /// The journal remembers Monime answering 429 at `at`, before this start.
    pub fn recall_throttled(&self, at: chrono::DateTime<chrono::Utc>) {
        crate::sync::lock(&self.pace).recall(at);
    }

    /// The time of the last 429, once, when the journal does not have it yet.
    pub fn throttled_to_save(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        crate::sync::lock(&self.pace).take_unsaved()
    }

    /// Spaces requests `min_request_gap` apart; waiting callers queue on the lock in order.
    async fn wait_for_slot(&self) {
        let mut next_slot = self.next_slot.lock().await;
        tokio::time::sleep_until(*next_slot).await;
        *next_slot = tokio::time::Instant::now() + self.settings.min_request_gap;
    }

    fn headers(&self, idempotency_key: Option<&str>) -> Result<HeaderMap, MonimeError> {
        let settings = &self.settings;
        let invalid = |what: &str| MonimeError::Validation {
            message: format!("the {what} holds characters an HTTP header cannot carry"),
        };
        let mut headers = HeaderMap::new();
        let mut authorization =
            HeaderValue::from_str(&format!("Bearer {}", settings.access_token.expose()))
                .map_err(|_| invalid("access token"))?;
        authorization.set_sensitive(true);
        headers.insert(reqwest::header::AUTHORIZATION, authorization);
        headers.insert(
            "Monime-Space-Id",
            HeaderValue::from_str(&settings.space_id).map_err(|_| invalid("space id"))?,
        );
        if let Some(version) = settings.api_version.header() {
            headers.insert("Monime-Version", HeaderValue::from_static(version));
        }
        if let Some(key) = idempotency_key {
            headers.insert(
                "Idempotency-Key",
                HeaderValue::from_str(key).map_err(|_| invalid("idempotency key"))?,
            );
        }
        headers.insert(
            reqwest::header::ACCEPT,
            HeaderValue::from_static("application/json"),
        );
        Ok(headers)
    }

    fn transport_error(&self, error: &reqwest::Error) -> MonimeError {
        if error.is_timeout() {
            MonimeError::Timeout {
                after: self.settings.request_timeout,
            }
        } else if error.is_decode() || error.is_body() {
            MonimeError::Network {
                message: format!("the answer was cut off: {}", error_chain(error)),
            }
        } else {
            MonimeError::Network {
                message: error_chain(error),
            }
        }
    }
}

/// Which request's answer `read_answer` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerTo {
    /// Creating, reading or cancelling a payment code.
    Code,
    /// A page of the codes list.
    Codes,
    /// A page of the payments list.
    Payments,
    /// Creating or reading a payout.
    Payout,
    /// A page of the payouts list.
    Payouts,
    /// Whose account a number is, at provider `m17`.
    Kyc,
    /// Deleting a code or a payout: nothing but success is read.
    Delete,
}

/// What `read_answer` read.
#[derive(Debug, Clone)]
pub enum Answered {
    Code(PaymentCode),
    Codes(Page),
    Payments(PageOf<Payment>),
    Payout(Payout),
    Payouts(PageOf<Payout>),
    Kyc(Option<ProviderKyc>),
    Deleted,
}

/// Reads one HTTP answer (status, headers, body) as the request `to` reads it, through the
/// same functions the client's requests use, without the network: for the property tests
/// that feed it answers Monime never sent (`tests/properties`).
pub fn read_answer(
    to: AnswerTo,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Answered, MonimeError> {
    let answer = read_envelope(status, headers, body);
    match to {
        AnswerTo::Code => code_from(answer?.result).map(Answered::Code),
        AnswerTo::Codes => list::codes_page(answer?).map(Answered::Codes),
        AnswerTo::Payments => payment::payments_page(answer?).map(Answered::Payments),
        AnswerTo::Payout => payout::payout_from(answer?.result).map(Answered::Payout),
        AnswerTo::Payouts => payout::payouts_page(answer?).map(Answered::Payouts),
        AnswerTo::Kyc => kyc::kyc_from(answer, "m17").map(Answered::Kyc),
        AnswerTo::Delete => answer.map(|_| Answered::Deleted),
    }
}

/// Checks an HTTP answer and opens Monime's envelope.
fn read_envelope(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Envelope, MonimeError> {
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    if !status.is_success() {
        return Err(MonimeError::from_response(
            status.as_u16(),
            parse_retry_after(header("Retry-After")),
            header("Monime-Rate-Limit").map(str::to_string),
            body,
        ));
    }
    let envelope: Envelope = serde_json::from_slice(body).map_err(|error| {
        let what = if serde_json::from_slice::<Value>(body).is_ok() {
            format!("unexpected layout: {error}")
        } else {
            format!("not JSON: {}", body_excerpt(body))
        };
        MonimeError::Malformed { message: what }
    })?;
    if envelope.success == Some(false) {
        return Err(MonimeError::from_unsuccessful_envelope(
            status.as_u16(),
            body,
        ));
    }
    Ok(envelope)
}

fn code_from(result: Option<Value>) -> Result<PaymentCode, MonimeError> {
    let value = result.ok_or_else(|| MonimeError::Malformed {
        message: "the answer holds no payment code".into(),
    })?;
    serde_json::from_value::<WireCode>(value)
        .map(PaymentCode::from)
        .map_err(|error| MonimeError::Malformed {
            message: format!("a payment code in an unexpected layout: {error}"),
        })
}

/// `collection/id`, for an id that can only name an object: one made of the characters Monime's
/// ids use, so nothing typed can reach another path. `what` says what the id should look like.
fn item_path(collection: &str, id: &str, what: &str) -> Result<String, MonimeError> {
    let valid = !id.is_empty()
        && id.len() <= 128
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !valid {
        return Err(MonimeError::Validation {
            message: format!("\"{id}\" is not {what}"),
        });
    }
    Ok(format!("{collection}/{id}"))
}

/// An error and its causes on one line: reqwest's own message alone says little.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
