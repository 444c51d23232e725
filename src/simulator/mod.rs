//! An in-repo stand-in for Monime, served over real HTTP on loopback. Demo mode sells against
//! it and the tests drive it: they pay codes, script faults and count requests through
//! `SimulatorHandle`, or over HTTP through the `/_sim/...` control endpoints:
//!
//! - `POST /_sim/codes/{id}/pay` with optional `{"processing_ms": N}`: the customer pays
//! - `POST /_sim/codes/{id}/begin-payment` and `/finish-payment`: a payment held open
//! - `POST /_sim/faults` with a `FaultRule`: the next requests misbehave
//! - `GET /_sim/codes`, `GET /_sim/requests`: what the simulator holds and has seen
//!
//! Every answer carries a `Date` header, as Monime's do, from the simulator's own clock, which
//! `SimulatorOptions::clock_offset` and `set_clock_offset` can put ahead of or behind the
//! machine's.
//!
//! `start_with_tls` serves HTTPS with a given certificate instead, so the client's real TLS
//! path (rustls with ring) is exercised and its handshakes can be counted.

mod api;
mod codes;
mod faults;
mod options;
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

pub use codes::SimCode;
pub use faults::{Endpoint, Fault, FaultRule, HANG_HOLD};
pub use options::SimulatorOptions;
pub use reply::{Outcome, Reply};
pub use state::{RequestRecord, SimRequest, SimState};

use crate::monime::CodeStatus;
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
    match (method, segments.as_slice()) {
        ("GET", ["codes"]) => ok(json!(state.codes(now))),
        ("GET", ["requests"]) => ok(json!(state.requests())),
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

/// Runs a simulator until Ctrl-C, for `paycode-kiosk simulate`.
pub async fn run_until_interrupted(options: SimulatorOptions) -> std::io::Result<()> {
    let (token, space) = (options.access_token.clone(), options.space_id.clone());
    let handle = SimulatorHandle::start(options).await?;
    println!("Monime simulator listening on {}", handle.base_url());
    println!("  test token {token}, space {space}");
    println!(
        "  pay a code with: curl -X POST {}_sim/codes/ID/pay",
        handle.base_url()
    );
    tokio::signal::ctrl_c().await?;
    Ok(())
}
