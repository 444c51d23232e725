//! The control socket's line protocol, on a real socket served by a shop over the simulator:
//! commands with any values, garbage lines, invalid UTF-8, oversize lines, lines cut short,
//! connections closed at once, several at the same time. Each line is answered (the command's
//! output and its exit) or refused with a word and exit 1; nothing panics anywhere in the
//! process; and the server goes on serving.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::NaiveDate;
use paycode_kiosk::control::{OwnerCommand, PayerNumber, SecretPin, console::Reply};
use paycode_kiosk::shop::Shop;
use paycode_kiosk::simulator::{SimulatorHandle, SimulatorOptions};
use proptest::prelude::*;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;

use super::support::cases;

/// The terminal under test: its runtime, its simulator and files, and its socket.
struct Terminal {
    runtime: tokio::runtime::Runtime,
    socket: PathBuf,
    _sim: SimulatorHandle,
    _dir: tempfile::TempDir,
}

/// Panics anywhere in this test binary since it started: a task of the server that panicked
/// would otherwise only be a line on stderr.
static PANICS: AtomicUsize = AtomicUsize::new(0);

/// A restart asked over the socket: the real one ends the process, which here is the tests.
fn restart(_: i32) {}

/// The terminal's own handler (`cli::owner_commands`), but for the restart, whose waiting is
/// the shop's and whose exit is `restart` above.
fn handler(
    shop: Arc<Shop>,
    command: OwnerCommand,
) -> Pin<Box<dyn Future<Output = Result<u8, String>> + Send>> {
    match command {
        OwnerCommand::RestartWhenIdle { within_secs } => Box::pin(async move {
            shop.restart_when_idle(Duration::from_secs(within_secs), restart);
            Ok(0)
        }),
        command => paycode_kiosk::cli::owner_commands(shop, command),
    }
}

fn terminal() -> &'static Terminal {
    static TERMINAL: OnceLock<Terminal> = OnceLock::new();
    TERMINAL.get_or_init(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICS.fetch_add(1, Ordering::SeqCst);
            previous(info);
        }));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let dir = tempfile::tempdir().expect("tempdir");
        let (sim, socket) = runtime.block_on(async {
            let sim = SimulatorHandle::start(SimulatorOptions::default())
                .await
                .expect("simulator");
            let config = dir.path().join("config.toml");
            std::fs::write(
                dir.path().join("token"),
                paycode_kiosk::simulator::DEMO_ACCESS_TOKEN,
            )
            .expect("token");
            std::fs::write(
                &config,
                format!(
                    "[monime]\nbase_url = \"{}\"\nspace_id = \"{}\"\naccess_token_file = \"token\"\n\
                     [kiosk]\nmerchant_name = \"Shop\"\npoll_interval_ms = 250\nmax_amount = 1000\n\
                     [printer]\ndevice = \"virtual\"\n\
                     [refunds]\nenabled = true\ndaily_limit = 100\n\
                     [storage]\npath = \"journal.sqlite\"\n",
                    sim.base_url(),
                    paycode_kiosk::simulator::DEMO_SPACE_ID,
                ),
            )
            .expect("config");
            let (socket, _) = crate::common::cli::serving(&config, handler).await;
            (sim, socket)
        });
        Terminal {
            runtime,
            socket,
            _sim: sim,
            _dir: dir,
        }
    })
}

fn date() -> impl Strategy<Value = Option<NaiveDate>> {
    prop::option::of(prop_oneof![
        Just(NaiveDate::MAX),
        Just(NaiveDate::MIN),
        (-262_000i32..=262_000, 1u32..=366).prop_filter_map("a day of that year", |(year, day)| {
            NaiveDate::from_yo_opt(year, day)
        }),
        (2020i32..=2030, 1u32..=366).prop_filter_map("a day of that year", |(year, day)| {
            NaiveDate::from_yo_opt(year, day)
        }),
    ])
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,12}",
        "[0-9.,]{0,8}",
        Just("1.00".to_string()),
        Just("0".to_string())
    ]
}

/// A command with any values, as a technician's command could send it.
fn command() -> impl Strategy<Value = OwnerCommand> {
    prop_oneof![
        any::<bool>().prop_map(|cancel_pending| OwnerCommand::Recover { cancel_pending }),
        prop::option::of(any::<i64>()).prop_map(|sale| OwnerCommand::Reprint { sale }),
        any::<i64>().prop_map(|refund| OwnerCommand::ReprintRefund { refund }),
        prop_oneof![any::<u64>(), Just(u64::MAX), 3600u64..=86_400]
            .prop_map(|within_secs| OwnerCommand::RestartWhenIdle { within_secs }),
        Just(OwnerCommand::PrintTest),
        date().prop_map(|date| OwnerCommand::PrintReport { date }),
        Just(OwnerCommand::PrintShift),
        date().prop_map(|date| OwnerCommand::Reconcile {
            date,
            restore: false
        }),
        (
            any::<i64>(),
            prop::option::of(text()),
            text(),
            text(),
            prop::option::of(0u64..2)
        )
            .prop_map(|(sale, amount, to, pin, wait)| OwnerCommand::Refund {
                sale,
                amount,
                to: PayerNumber(to),
                pin: SecretPin(pin),
                yes: false,
                wait,
            }),
        text().prop_map(|amount| OwnerCommand::Charge {
            amount,
            phone: None,
            reference: None,
            unknown_after: None,
        }),
    ]
}

/// What one connection sends.
#[derive(Debug, Clone)]
enum Request {
    /// A command, then more lines (stops and answers), then the connection closed.
    Run(OwnerCommand, Vec<String>),
    /// One line of any bytes (a newline ends it).
    Garbage(Vec<u8>),
    /// A line of JSON that is not a command: a stop or an answer first, a wrong shape.
    NotACommand(String),
    /// A line far longer than any command, ended by a newline, or not ended and the
    /// connection left open.
    Oversize(usize, bool),
    /// Bytes without a newline, then the connection closed: a last line, cut short.
    CutShort(Vec<u8>),
    /// Connected and closed at once.
    Nothing,
}

fn request() -> impl Strategy<Value = Request> {
    let more = prop::collection::vec(
        prop_oneof![
            Just(json!("Stop").to_string()),
            "\\PC{0,10}".prop_map(|answer| json!({"Answer": answer}).to_string()),
            "\\PC{0,20}",
        ],
        0..3,
    );
    prop_oneof![
        4 => (command(), more).prop_map(|(command, more)| Request::Run(command, more)),
        2 => prop::collection::vec(any::<u8>().prop_filter("one line", |b| *b != b'\n'), 0..200)
            .prop_map(Request::Garbage),
        2 => prop_oneof![
            Just(json!("Stop").to_string()),
            Just(json!({"Answer": "yes"}).to_string()),
            Just(json!({"Run": "Charge"}).to_string()),
            Just(json!({"Run": {"Charge": {"amount": 5}}}).to_string()),
            Just(json!({"Run": {"Reprint": {"sale": "one"}}}).to_string()),
            Just(json!({"Run": {"RestartWhenIdle": {"within_secs": -1}}}).to_string()),
            Just(json!({"Run": {"PrintReport": {"date": "2026-02-30"}}}).to_string()),
            Just(json!({"Run": {"PrintReport": {"date": "+999999-01-01"}}}).to_string()),
            Just(json!([]).to_string()),
            Just("null".to_string()),
            Just(String::new()),
        ]
        .prop_map(Request::NotACommand),
        1 => (prop_oneof![70_000usize..200_000, 1_000_000usize..3_000_000], any::<bool>())
            .prop_map(|(len, ended)| Request::Oversize(len, ended)),
        1 => prop::collection::vec(any::<u8>().prop_filter("no newline", |b| *b != b'\n'), 0..50)
            .prop_map(Request::CutShort),
        1 => Just(Request::Nothing),
    ]
}

/// What came back on one connection: the replies read, and whether it ended with an exit.
#[derive(Debug)]
struct Heard {
    replies: Vec<Reply>,
    not_replies: Vec<String>,
    timed_out: bool,
}

impl Heard {
    fn exit(&self) -> Option<u8> {
        self.replies.iter().find_map(|reply| match reply {
            Reply::Exit(code) => Some(*code),
            _ => None,
        })
    }

    fn refused(&self) -> bool {
        self.exit() == Some(1)
            && self.replies.iter().any(|reply| matches!(reply, Reply::Err(text) if text.contains("does not understand") || text.contains("too long")))
    }
}

/// Sends `request` on a new connection and reads what comes back, for at most `within`.
async fn send(socket: &PathBuf, request: &Request, within: Duration) -> Heard {
    let mut stream = UnixStream::connect(socket)
        .await
        .expect("the terminal listens");
    let mut out: Vec<u8> = Vec::new();
    match request {
        Request::Run(command, more) => {
            out.extend(json!({"Run": command}).to_string().bytes());
            out.push(b'\n');
            // A sale charged goes on until it is paid, unless the technician stops it (once:
            // a second stop leaves the sale to settle by itself, in its own time).
            let charge = matches!(command, OwnerCommand::Charge { .. });
            if charge {
                out.extend(json!("Stop").to_string().bytes());
                out.push(b'\n');
            }
            let stop = json!("Stop").to_string();
            for line in more.iter().filter(|line| !charge || **line != stop) {
                out.extend(line.bytes());
                out.push(b'\n');
            }
        }
        Request::Garbage(bytes) => {
            out.extend(bytes);
            out.push(b'\n');
        }
        Request::NotACommand(line) => {
            out.extend(line.bytes());
            out.push(b'\n');
        }
        Request::Oversize(len, ended) => {
            out.push(b'{');
            out.resize(*len, b'x');
            if *ended {
                out.push(b'\n');
            }
        }
        Request::CutShort(bytes) => out.extend(bytes),
        Request::Nothing => {}
    }
    let (mut reading, mut writing) = stream.split();
    // A line that never ends is left open: the terminal has to refuse it by itself.
    let endless = matches!(request, Request::Oversize(_, false));
    let write = async {
        // The terminal may refuse a long line before it is all sent, and close.
        let _ = writing.write_all(&out).await;
        if !endless {
            let _ = writing.shutdown().await;
        }
    };
    let read = async {
        let mut got = Vec::new();
        let _ = reading.read_to_end(&mut got).await;
        got
    };
    let (got, timed_out) =
        match tokio::time::timeout(within, async { tokio::join!(write, read).1 }).await {
            Ok(got) => (got, false),
            Err(_) => (Vec::new(), true),
        };
    let mut replies = Vec::new();
    let mut not_replies = Vec::new();
    for line in String::from_utf8_lossy(&got).lines() {
        match serde_json::from_str::<Reply>(line) {
            Ok(reply) => replies.push(reply),
            Err(_) => not_replies.push(line.to_string()),
        }
    }
    Heard {
        replies,
        not_replies,
        timed_out,
    }
}

/// Whether a request is a command the terminal should carry out, by what its JSON says.
fn is_command(request: &Request) -> bool {
    matches!(request, Request::Run(..))
}

/// Whether the terminal owes an answer: a whole first line arrived.
fn owes_an_answer(request: &Request) -> bool {
    match request {
        Request::Run(..) | Request::Garbage(_) | Request::NotACommand(_) => true,
        Request::Oversize(_, _) => true,
        Request::CutShort(bytes) => !bytes.is_empty(),
        Request::Nothing => false,
    }
}

proptest! {
    #![proptest_config(cases(600))]

    /// Several connections at once, each with any request: each line answered or refused, no
    /// panic, and the terminal still serving afterwards.
    #[test]
    fn every_line_is_answered_or_refused_and_the_terminal_serves_on(
        requests in prop::collection::vec(request(), 1..6),
    ) {
        let terminal = terminal();
        let before = PANICS.load(Ordering::SeqCst);
        let heard = terminal.runtime.block_on(async {
            let all = requests
                .iter()
                .map(|request| send(&terminal.socket, request, Duration::from_secs(30)));
            futures_join_all(all).await
        });
        for (request, heard) in requests.iter().zip(&heard) {
            prop_assert!(!heard.timed_out, "no end to {:?}: {:?}", request, heard);
            prop_assert!(heard.not_replies.is_empty(), "{:?}", heard);
            if owes_an_answer(request) {
                prop_assert!(heard.exit().is_some(), "{:?} got {:?}", request, heard);
                if !is_command(request) {
                    prop_assert!(heard.refused(), "{:?} got {:?}", request, heard);
                }
            }
        }
        // Still serving: a command anyone may send is carried out.
        let probe = terminal.runtime.block_on(send(
            &terminal.socket,
            &Request::Run(OwnerCommand::Reprint { sale: Some(-1) }, Vec::new()),
            Duration::from_secs(30),
        ));
        prop_assert!(probe.exit().is_some(), "the terminal stopped serving: {:?}", probe);
        prop_assert_eq!(PANICS.load(Ordering::SeqCst), before, "a panic in the terminal");
    }
}

/// `join_all` without the futures crate: every future, at the same time, in order.
async fn futures_join_all<F: Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    let handles: Vec<_> = futures.map(Box::pin).collect();
    let mut outputs = Vec::with_capacity(handles.len());
    let mut pending: Vec<_> = handles.into_iter().map(Some).collect();
    let mut results: Vec<Option<F::Output>> = (0..pending.len()).map(|_| None).collect();
    std::future::poll_fn(|context| {
        let mut all_done = true;
        for (slot, result) in pending.iter_mut().zip(results.iter_mut()) {
            if let Some(future) = slot {
                match future.as_mut().poll(context) {
                    std::task::Poll::Ready(output) => {
                        *result = Some(output);
                        *slot = None;
                    }
                    std::task::Poll::Pending => all_done = false,
                }
            }
        }
        if all_done {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    outputs.extend(results.into_iter().map(|result| result.expect("done")));
    outputs
}

/// One request on its own connection, read back.
fn ask(request: Request) -> Heard {
    let terminal = terminal();
    terminal
        .runtime
        .block_on(send(&terminal.socket, &request, Duration::from_secs(20)))
}

/// Found by the socket's property: a line that never ended was read for ever, into memory,
/// and never answered.
#[test]
fn a_line_that_never_ends_is_refused() {
    let heard = ask(Request::Oversize(1_000_000, false));
    assert!(heard.refused(), "{heard:?}");
}

/// Found by the socket's property: a line that is not UTF-8 text closed the connection
/// without a word.
#[test]
fn a_line_that_is_not_text_is_refused() {
    let heard = ask(Request::Garbage(vec![b'{', 0xff, 0xfe, b'}']));
    assert!(heard.refused(), "{heard:?}");
}

/// Found by the socket's property: a restart asked within u64::MAX seconds overflowed the
/// clock's instant and panicked (in the release build, an abort of the terminal).
#[test]
fn a_restart_within_any_number_of_seconds_is_taken() {
    let before = PANICS.load(Ordering::SeqCst);
    let heard = ask(Request::Run(
        OwnerCommand::RestartWhenIdle {
            within_secs: u64::MAX,
        },
        Vec::new(),
    ));
    assert_eq!(heard.exit(), Some(0), "{heard:?}");
    assert_eq!(
        PANICS.load(Ordering::SeqCst),
        before,
        "a panic in the terminal"
    );
}

/// The day report and the day's check with Monime, for the first and last days a date holds.
#[test]
fn a_report_of_any_day_is_answered() {
    for date in [NaiveDate::MAX, NaiveDate::MIN] {
        for command in [
            OwnerCommand::PrintReport { date: Some(date) },
            OwnerCommand::Reconcile {
                date: Some(date),
                restore: false,
            },
        ] {
            let before = PANICS.load(Ordering::SeqCst);
            let heard = ask(Request::Run(command.clone(), Vec::new()));
            assert!(heard.exit().is_some(), "{command:?}: {heard:?}");
            assert_eq!(
                PANICS.load(Ordering::SeqCst),
                before,
                "{command:?}: a panic in the terminal"
            );
        }
    }
}
