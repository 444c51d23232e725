//! An in-repo stand-in for Monime, served over real HTTP on loopback. Demo mode sells and
//! refunds against it and the tests drive it: they pay codes, move payouts along, script faults
//! and count requests through `SimulatorHandle`, or over HTTP through the `/_sim/...` control
//! endpoints:
//!
//! - `POST /_sim/codes/{id}/pay` with optional `{"processing_ms": N}`: the customer pays
//! - `POST /_sim/codes/{id}/begin-payment` and `/finish-payment`: a payment held open
//! - `POST /_sim/payouts/{id}/complete`, `/fail` with `{"code": "fund_insufficient"}`: the
//!   provider answers a payout now
//! - `POST /_sim/balance` with `{"currency": "SLE", "value": N}`: what the account holds
//! - `POST /_sim/accounts` with `{"provider": "m17", "phone": "+232...", "holderName": "..."}`:
//!   a number the provider knows
//! - `POST /_sim/faults` with a `FaultRule`: the next requests misbehave
//! - `GET /_sim/codes`, `/_sim/payments`, `/_sim/payouts`, `/_sim/accounts`,
//!   `/_sim/requests`: what the simulator holds and has seen
//! - `GET /_sim/chaos`: how many requests chaos (`SimulatorOptions::chaos`) answered wrongly,
//!   by kind
//!
//! Besides payment codes it serves what follows a paid code: the payment that settled it
//! (`/v1/payments`), payouts (`/v1/payouts`, with a lifecycle, fees, a balance and failures) and
//! provider KYC (`/v1/provider-kyc`), in both API shapes.
//!
//! Every answer carries a `Date` header, as Monime's do, from the simulator's own clock, which
//! `SimulatorOptions::clock_offset` and `set_clock_offset` can put ahead of or behind the
//! machine's.
//!
//! `start_with_tls` serves HTTPS with a given certificate instead, so the client's real TLS
//! path (rustls with ring) is exercised and its handshakes can be counted.

mod accounts;
mod api;
mod chaos;
mod codes;
mod faults;
mod ids;
mod options;
mod payments;
mod payout_api;
mod payouts;
mod reply;
mod state;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, TimeDelta, Utc};
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;

pub use accounts::{DEMO_ACCOUNTS, SimAccount, fingerprint, masked, national_number};
pub use chaos::{ChaosKind, ChaosOptions};
pub use codes::SimCode;
pub use faults::{Endpoint, Fault, FaultRule, HANG_HOLD};
pub use options::{FeeRule, SimulatorOptions};
pub use payments::{Payer, SimPayment};
pub use payouts::{MAIN_ACCOUNT_ID, SimFailure, SimPayout};
pub use reply::{Outcome, Reply};
pub use state::{RequestRecord, SimRequest, SimState};

use crate::money::{Currency, Money};
use crate::monime::{CodeStatus, PayoutFailureCode};
use crate::sync::lock;

/// The space id the simulator accepts unless told otherwise; demo mode uses it.
pub const DEMO_SPACE_ID: &str = "spc-demo";
/// The token the simulator accepts unless told otherwise (test mode, as its prefix says).
pub const DEMO_ACCESS_TOKEN: &str = "mon_test_demo_token";

/// A running simulator. Dropping it stops the server and closes its connections.
pub struct SimulatorHandle {
    address: SocketAddr,
    state: Arc<Mutex<SimState>>,
    counters: Arc<Counters>,
    tls: bool,
    server: tokio::task::JoinHandle<()>,
}

/// A certificate and its key for serving HTTPS, both DER (the key PKCS#8).
#[derive(Clone)]
pub struct SimulatorTls {
    pub certificate_der: Vec<u8>,
    pub private_key_der: Vec<u8>,
}

impl std::fmt::Debug for SimulatorTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimulatorTls")
            .field(
                "certificate_der",
                &format_args!("{} bytes", self.certificate_der.len()),
            )
            .field("private_key_der", &"<hidden>")
            .finish()
    }
}

/// TLS handshakes the simulator completed, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Handshakes {
    pub full: u64,
    pub resumed: u64,
}

#[derive(Default)]
struct Counters {
    connections: AtomicU64,
    full_handshakes: AtomicU64,
    resumed_handshakes: AtomicU64,
}

/// The connection was closed on purpose, to simulate a reset or a lost answer.
#[derive(Debug, thiserror::Error)]
#[error("connection dropped by the simulator")]
struct Dropped;

impl SimulatorHandle {
    /// Binds `127.0.0.1:port` (0 for any free port) and serves on the current tokio runtime.
    pub async fn start(options: SimulatorOptions) -> std::io::Result<SimulatorHandle> {
        SimulatorHandle::launch(options, None).await
    }

    /// As `start`, but serving HTTPS for `127.0.0.1` with `tls`'s certificate.
    pub async fn start_with_tls(
        options: SimulatorOptions,
        tls: SimulatorTls,
    ) -> std::io::Result<SimulatorHandle> {
        let certificate = rustls::pki_types::CertificateDer::from(tls.certificate_der);
        let key = rustls::pki_types::PrivatePkcs8KeyDer::from(tls.private_key_der);
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .and_then(|builder| {
            builder
                .with_no_client_auth()
                .with_single_cert(vec![certificate], key.into())
        })
        .map_err(|error| std::io::Error::new(std::io::ErrorKind::InvalidInput, error))?;
        SimulatorHandle::launch(options, Some(TlsAcceptor::from(Arc::new(config)))).await
    }

    async fn launch(
        options: SimulatorOptions,
        tls: Option<TlsAcceptor>,
    ) -> std::io::Result<SimulatorHandle> {
        let listener = TcpListener::bind(("127.0.0.1", options.port)).await?;
        let address = listener.local_addr()?;
        let state = Arc::new(Mutex::new(SimState::new(options)));
        let counters = Arc::new(Counters::default());
        let secure = tls.is_some();
        let server = tokio::spawn(serve(listener, tls, state.clone(), counters.clone()));
        Ok(SimulatorHandle {
            address,
            state,
            counters,
            tls: secure,
            server,
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub fn base_url(&self) -> reqwest::Url {
        let scheme = if self.tls { "https" } else { "http" };
        reqwest::Url::parse(&format!("{scheme}://{}", self.address))
            .expect("a socket address makes a valid URL")
    }

    /// The customer pays `id`; the payment completes after `processing_for` (`None`: held
    /// open until `finish_payment`).
    pub fn pay(&self, id: &str, processing_for: Option<Duration>) -> Result<CodeStatus, String> {
        let mut state = self.lock();
        let now = simulated_now(&state);
        state.pay(id, processing_for, now)
    }

    pub fn finish_payment(&self, id: &str) -> Result<(), String> {
        let mut state = self.lock();
        let now = simulated_now(&state);
        state.finish_payment(id, now)
    }

    /// As `pay`, by `provider`'s customer `phone` rather than the code's default payer (the
    /// number the code is for, else the first demo account of a provider it allows).
    pub fn pay_from(
        &self,
        id: &str,
        processing_for: Option<Duration>,
        provider: &str,
        phone: &str,
    ) -> Result<CodeStatus, String> {
        let mut state = self.lock();
        let now = simulated_now(&state);
        state.pay_from(id, processing_for, Payer::new(provider, phone), now)
    }

    /// The payments that settled codes, newest first.
    pub fn payments(&self) -> Vec<SimPayment> {
        let mut state = self.lock();
        let now = simulated_now(&state);
        state.payments(now)
    }

    /// The payouts, oldest first, as they stand now.
    pub fn payouts(&self) -> Vec<SimPayout> {
        let mut state = self.lock();
        let now = simulated_now(&state);
        state.payouts(now)
    }

    /// What the space's main account holds in `currency`, in minor units.
    pub fn balance(&self, currency: Currency) -> i64 {
        let mut state = self.lock();
        let now = simulated_now(&state);
        state.balance(currency, now)
    }

    /// Sets what the space's main account holds: too little makes payouts fail
    /// `fund_insufficient`.
    pub fn set_balance(&self, balance: Money) {
        let mut state = self.lock();
        let now = simulated_now(&state);
        state.set_balance(balance, now);
    }

    /// The next payout made fails with `code` when its provider answers.
    pub fn fail_next_payout(&self, code: PayoutFailureCode) {
        self.lock().fail_next_payout(code);
    }

    /// The provider answers payout `id` now: it completes, unless it fails as it would have
    /// (an unknown number, a scripted failure, too little in the account).
    pub fn complete_payout(&self, id: &str) -> Result<(), String> {
        let mut state = self.lock();
        let now = simulated_now(&state);
        state.complete_payout(id, now)
    }

    /// Payout `id` fails now with `code`; its money goes back to the account.
    pub fn fail_payout(&self, id: &str, code: PayoutFailureCode) -> Result<(), String> {
        let mut state = self.lock();
        let now = simulated_now(&state);
        state.fail_payout(id, code, now)
    }

    /// The provider holds payout `id` up: `delayed` in the 2024-08-01 API, `processing` in
    /// caph, until completed or failed.
    pub fn delay_payout(&self, id: &str, reason: &str) -> Result<(), String> {
        let mut state = self.lock();
        let now = simulated_now(&state);
        state.delay_payout(id, reason, now)
    }

    /// `provider` (`m17`, `m18`) knows `phone` as `holder_name`'s account: KYC answers the
    /// name, and payouts to it land.
    pub fn register_account(
        &self,
        provider: &str,
        phone: &str,
        holder_name: &str,
    ) -> Result<(), String> {
        self.lock().register_account(provider, phone, holder_name)
    }

    /// `provider` blocks the account of `phone`: payouts to it fail
    /// `provider_account_blocked`.
    pub fn block_account(&self, provider: &str, phone: &str) -> Result<(), String> {
        self.lock().block_account(provider, phone)
    }

    /// Puts the simulated Monime's clock `offset` ahead of this machine's from now on.
    pub fn set_clock_offset(&self, offset: TimeDelta) {
        self.lock().options.clock_offset = offset;
    }

    pub fn push_fault(&self, rule: FaultRule) {
        self.lock().push_fault(rule);
    }

    pub fn clear_faults(&self) {
        self.lock().clear_faults();
    }

    pub fn requests(&self) -> Vec<RequestRecord> {
        self.lock().requests().to_vec()
    }

    /// How many requests chaos answered wrongly so far, by kind (empty when chaos is off).
    pub fn chaos_tally(&self) -> std::collections::BTreeMap<ChaosKind, u64> {
        self.lock().chaos_tally()
    }

    pub fn codes(&self) -> Vec<SimCode> {
        let mut state = self.lock();
        let now = simulated_now(&state);
        state.codes(now)
    }

    /// TCP connections accepted so far.
    pub fn connections_accepted(&self) -> u64 {
        self.counters.connections.load(Ordering::Relaxed)
    }

    /// TLS handshakes completed so far (none when serving plain HTTP).
    pub fn tls_handshakes(&self) -> Handshakes {
        Handshakes {
            full: self.counters.full_handshakes.load(Ordering::Relaxed),
            resumed: self.counters.resumed_handshakes.load(Ordering::Relaxed),
        }
    }

    fn lock(&self) -> MutexGuard<'_, SimState> {
        lock(&self.state)
    }
}

impl Drop for SimulatorHandle {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    state: Arc<Mutex<SimState>>,
    counters: Arc<Counters>,
) {
    // Connection tasks live in the set, so aborting the server task closes them all.
    let mut tasks = JoinSet::new();
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                tracing::warn!(%error, "simulator could not accept a connection");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let connection = counters.connections.fetch_add(1, Ordering::Relaxed) + 1;
        let (state, counters, tls) = (state.clone(), counters.clone(), tls.clone());
        tasks.spawn(async move {
            let Some(acceptor) = tls else {
                return serve_http(stream, state, connection).await;
            };
            match acceptor.accept(stream).await {
                Ok(stream) => {
                    let counter = match stream.get_ref().1.handshake_kind() {
                        Some(rustls::HandshakeKind::Resumed) => &counters.resumed_handshakes,
                        _ => &counters.full_handshakes,
                    };
                    counter.fetch_add(1, Ordering::Relaxed);
                    serve_http(stream, state, connection).await;
                }
                Err(error) => tracing::debug!(%error, connection, "simulator TLS handshake failed"),
            }
        });
        while tasks.try_join_next().is_some() {}
    }
}

async fn serve_http(
    stream: impl AsyncRead + AsyncWrite + Unpin + Send + 'static,
    state: Arc<Mutex<SimState>>,
    connection: u64,
) {
    let service = service_fn(move |request| answer(request, state.clone(), connection));
    if let Err(error) = http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .await
    {
        tracing::debug!(%error, connection, "simulator connection ended");
    }
}

async fn answer(
    request: Request<hyper::body::Incoming>,
    state: Arc<Mutex<SimState>>,
    connection: u64,
) -> Result<Response<Full<Bytes>>, Dropped> {
    let (parts, body) = request.into_parts();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes().to_vec(),
        Err(_) => return Err(Dropped),
    };
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_string)
    };
    let path = parts.uri.path().to_string();
    let query: Vec<(String, String)> = parts
        .uri
        .query()
        .map(|query| {
            url::form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let clock_offset = lock(&state).options.clock_offset;
    if let Some(control) = path.strip_prefix("/_sim/") {
        let reply = control_request(parts.method.as_str(), control, &body, &state);
        return Ok(to_response(reply, clock_offset));
    }
    let simulated = SimRequest {
        method: parts.method.to_string(),
        path,
        query,
        authorization: header("authorization"),
        space_id: header("monime-space-id"),
        version: header("monime-version"),
        idempotency_key: header("idempotency-key"),
        body,
        connection,
    };
    let outcome = lock(&state).handle(&simulated, Utc::now() + clock_offset);
    match outcome {
        Outcome::Reply(reply) => Ok(to_response(reply, clock_offset)),
        Outcome::ReplyAfter(wait, reply) => {
            tokio::time::sleep(wait).await;
            Ok(to_response(reply, clock_offset))
        }
        Outcome::Drop => Err(Dropped),
        Outcome::Hang => {
            tokio::time::sleep(HANG_HOLD).await;
            Err(Dropped)
        }
    }
}

fn control_request(method: &str, path: &str, body: &[u8], state: &Mutex<SimState>) -> Reply {
    let ok = |result: Value| Reply {
        status: 200,
        headers: vec![("Content-Type", "application/json".into())],
        body: json!({"success": true, "result": result}).to_string(),
    };
    let refused = |status: u16, message: String| Reply {
        status,
        headers: vec![("Content-Type", "application/json".into())],
        body: json!({"success": false, "error": {"code": status, "message": message}}).to_string(),
    };
    let mut state = lock(state);
    let now = simulated_now(&state);
    let segments: Vec<&str> = path.split('/').collect();
    let field = |name: &str| {
        serde_json::from_slice::<Value>(body)
            .ok()
            .and_then(|value| value.get(name).cloned())
    };
    let text = |name: &str| field(name).and_then(|value| value.as_str().map(str::to_string));
    let done = |result: Result<(), String>| match result {
        Ok(()) => ok(Value::Null),
        Err(message) => refused(409, message),
    };
    match (method, segments.as_slice()) {
        ("GET", ["codes"]) => ok(json!(state.codes(now))),
        ("GET", ["requests"]) => ok(json!(state.requests())),
        ("GET", ["chaos"]) => ok(json!(state.chaos_tally())),
        ("GET", ["payments"]) => ok(json!(state.payments(now))),
        ("GET", ["payouts"]) => ok(json!(state.payouts(now))),
        ("GET", ["accounts"]) => ok(json!(state.accounts())),
        ("POST", ["payouts", id, "complete"]) => done(state.complete_payout(id, now)),
        ("POST", ["payouts", id, "fail"]) => {
            let code = text("code").unwrap_or_else(|| "unknown".into());
            done(state.fail_payout(id, PayoutFailureCode::parse(&code), now))
        }
        ("POST", ["balance"]) => match field("value").and_then(|value| value.as_i64()) {
            Some(minor) => {
                let currency = text("currency")
                    .and_then(|code| code.parse().ok())
                    .unwrap_or(Currency::Sle);
                state.set_balance(Money::new(currency, minor), now);
                ok(Value::Null)
            }
            None => refused(
                400,
                "give {\"currency\": \"SLE\", \"value\": minor units}".into(),
            ),
        },
        ("POST", ["accounts"]) => match (text("provider"), text("phone"), text("holderName")) {
            (Some(provider), Some(phone), Some(holder)) => {
                done(state.register_account(&provider, &phone, &holder))
            }
            _ => refused(400, "give provider, phone and holderName".into()),
        },
        ("POST", ["faults"]) => match serde_json::from_slice::<FaultRule>(body) {
            Ok(rule) => {
                state.push_fault(rule);
                ok(Value::Null)
            }
            Err(error) => refused(400, format!("not a fault rule: {error}")),
        },
        ("POST", ["codes", id, action]) => {
            let processing_ms = serde_json::from_slice::<Value>(body)
                .ok()
                .and_then(|value| value.get("processing_ms").and_then(Value::as_u64))
                .unwrap_or(0);
            let result = match *action {
                "pay" => state
                    .pay(id, Some(Duration::from_millis(processing_ms)), now)
                    .map(|status| json!(status)),
                "begin-payment" => state.pay(id, None, now).map(|status| json!(status)),
                "finish-payment" => state.finish_payment(id, now).map(|()| Value::Null),
                other => Err(format!("unknown action {other}")),
            };
            match result {
                Ok(result) => ok(result),
                Err(message) => refused(409, message),
            }
        }
        _ => refused(404, format!("no control endpoint {method} /_sim/{path}")),
    }
}

/// The simulated Monime's time now.
fn simulated_now(state: &SimState) -> DateTime<Utc> {
    Utc::now() + state.options.clock_offset
}

/// The HTTP answer, dated by the simulated clock (`clock_offset` ahead of this machine's).
fn to_response(reply: Reply, clock_offset: TimeDelta) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(reply.body)));
    *response.status_mut() = hyper::StatusCode::from_u16(reply.status)
        .unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    let date = (Utc::now() + clock_offset).format("%a, %d %b %Y %H:%M:%S GMT");
    if let Ok(value) = hyper::header::HeaderValue::from_str(&date.to_string()) {
        response.headers_mut().insert(hyper::header::DATE, value);
    }
    for (name, value) in reply.headers {
        if let Ok(value) = hyper::header::HeaderValue::from_str(&value) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}

/// Runs a simulator until Ctrl-C, for `paycode-kiosk simulate`. What it says goes to standard
/// output; once that is closed (a script that read the address and went on) it serves on,
/// saying nothing, where `println!` would have panicked.
pub async fn run_until_interrupted(options: SimulatorOptions) -> std::io::Result<()> {
    use std::io::Write;
    let (token, space) = (options.access_token.clone(), options.space_id.clone());
    let chaos = options.chaos;
    let handle = SimulatorHandle::start(options).await?;
    let mut said = format!(
        "Monime simulator listening on {}\n  test token {token}, space {space}\n",
        handle.base_url()
    );
    if let Some(chaos) = chaos {
        said.push_str(&format!(
            "  chaos: {:.0} % of requests answered wrongly, seed {}\n",
            chaos.rate * 100.0,
            chaos.seed
        ));
    }
    said.push_str(&format!(
        "  pay a code with: curl -X POST {}_sim/codes/ID/pay\n",
        handle.base_url()
    ));
    let mut stdout = std::io::stdout();
    let _ = stdout
        .write_all(said.as_bytes())
        .and_then(|()| stdout.flush());
    tokio::signal::ctrl_c().await?;
    Ok(())
}
