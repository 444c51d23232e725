//! The control socket under the loads a generated case cannot make quickly: a connection that
//! sends nothing or trickles a line, more connections than the terminal serves at once, one
//! kept open after its command, and a process out of file descriptors. Each runs the real
//! server (`control::serve` with the terminal's handler) on a real Unix socket.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use paycode_kiosk::control::console::Reply;
use paycode_kiosk::control::{FIRST_LINE_WITHIN, MAX_CONNECTIONS, OwnerCommand};
use paycode_kiosk::simulator::{SimulatorHandle, SimulatorOptions};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;

/// A terminal serving its control socket: the simulator it sells through, its files.
struct Terminal {
    socket: PathBuf,
    _sim: SimulatorHandle,
    _dir: tempfile::TempDir,
}

/// Starts a terminal on the current runtime and waits until its socket is there.
async fn terminal() -> Terminal {
    let sim = SimulatorHandle::start(SimulatorOptions::default())
        .await
        .expect("simulator");
    let dir = tempfile::tempdir().expect("tempdir");
    let token = dir.path().join("token");
    std::fs::write(&token, paycode_kiosk::simulator::DEMO_ACCESS_TOKEN).expect("token");
    // As `setup` leaves it: the terminal warns about a token others can read.
    std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[monime]\nbase_url = \"{}\"\nspace_id = \"{}\"\naccess_token_file = \"token\"\n\
             [kiosk]\nmerchant_name = \"Shop\"\npoll_interval_ms = 250\n\
             [printer]\ndevice = \"virtual\"\n\
             [storage]\npath = \"journal.sqlite\"\n",
            sim.base_url(),
            paycode_kiosk::simulator::DEMO_SPACE_ID,
        ),
    )
    .expect("config");
    let (socket, _) = common::cli::serving(&config, paycode_kiosk::cli::owner_commands).await;
    Terminal {
        socket,
        _sim: sim,
        _dir: dir,
    }
}

/// A command's line, as `paycode-kiosk` sends it.
fn run_line(command: &OwnerCommand) -> String {
    format!("{}\n", json!({ "Run": command }))
}

/// A command anyone may send, answered at once: there is no sale -1.
fn probe() -> String {
    run_line(&OwnerCommand::Reprint { sale: Some(-1) })
}

/// The replies on `reading` until the terminal closes the connection or `within` passes;
/// whether it closed.
async fn replies_until_closed(
    mut reading: impl tokio::io::AsyncRead + Unpin,
    within: Duration,
) -> (Vec<Reply>, bool) {
    let mut got = Vec::new();
    let closed = tokio::time::timeout(within, async {
        // A reset after the terminal's last line still ends the connection.
        let _ = reading.read_to_end(&mut got).await;
    })
    .await
    .is_ok();
    let replies = String::from_utf8_lossy(&got)
        .lines()
        .map(|line| serde_json::from_str(line).expect("a reply"))
        .collect();
    (replies, closed)
}

fn exit(replies: &[Reply]) -> Option<u8> {
    replies.iter().find_map(|reply| match reply {
        Reply::Exit(code) => Some(*code),
        _ => None,
    })
}

fn said(replies: &[Reply], words: &str) -> bool {
    replies
        .iter()
        .any(|reply| matches!(reply, Reply::Err(text) if text.contains(words)))
}

/// Sends the probe on a new connection and gives its replies.
async fn ask_probe(socket: &Path) -> Vec<Reply> {
    let stream = UnixStream::connect(socket).await.expect("connect");
    let (reading, mut writing) = stream.into_split();
    // A busy terminal may refuse and close before the probe is written; its words are read
    // all the same.
    let _ = writing.write_all(probe().as_bytes()).await;
    let (replies, closed) = replies_until_closed(reading, Duration::from_secs(20)).await;
    assert!(closed, "no end to the probe: {replies:?}");
    replies
}

/// A connection that sends nothing held a descriptor and a task for as long as its other end
/// kept it open: it is told why and closed once `FIRST_LINE_WITHIN` has passed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_that_sends_nothing_is_closed() {
    let terminal = terminal().await;
    let started = Instant::now();
    let silent = UnixStream::connect(&terminal.socket)
        .await
        .expect("connect");
    let (reading, _writing) = silent.into_split();
    let (replies, closed) =
        replies_until_closed(reading, FIRST_LINE_WITHIN + Duration::from_secs(10)).await;
    assert!(closed, "a silent connection was kept open: {replies:?}");
    assert!(
        started.elapsed() >= FIRST_LINE_WITHIN,
        "{:?}",
        started.elapsed()
    );
    assert_eq!(exit(&replies), Some(1), "{replies:?}");
    assert!(said(&replies, "no command came"), "{replies:?}");
    assert_eq!(exit(&ask_probe(&terminal.socket).await), Some(1));
}

/// A line sent a byte at a time never ended the wait: the limit is on the whole first line, not
/// on the pause between bytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_line_trickled_a_byte_at_a_time_is_closed() {
    let terminal = terminal().await;
    let started = Instant::now();
    let stream = UnixStream::connect(&terminal.socket)
        .await
        .expect("connect");
    let (reading, mut writing) = stream.into_split();
    let trickle = tokio::spawn(async move {
        // Two bytes a second for ten seconds, twice the limit, and never a line's end.
        let line = run_line(&OwnerCommand::PrintTest);
        let bytes = line.trim_end().as_bytes().to_vec();
        for byte in bytes.iter().cycle().take(20) {
            if writing.write_all(&[*byte]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        writing
    });
    let (replies, closed) =
        replies_until_closed(reading, FIRST_LINE_WITHIN + Duration::from_secs(10)).await;
    let elapsed = started.elapsed();
    assert!(closed, "a trickled line was waited on: {replies:?}");
    assert!(
        elapsed >= FIRST_LINE_WITHIN && elapsed < FIRST_LINE_WITHIN + Duration::from_secs(3),
        "closed after {elapsed:?}"
    );
    assert!(said(&replies, "no command came"), "{replies:?}");
    let _ = trickle.await;
    assert_eq!(exit(&ask_probe(&terminal.socket).await), Some(1));
}

/// The limit is on the first line only: a sale followed for longer than it, with nothing more
/// from the technician, goes on until the technician's Ctrl-C.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_runs_longer_than_the_first_lines_limit() {
    let terminal = terminal().await;
    let stream = UnixStream::connect(&terminal.socket)
        .await
        .expect("connect");
    let (reading, mut writing) = stream.into_split();
    let charge = OwnerCommand::Charge {
        amount: "1.00".into(),
        phone: None,
        reference: None,
        unknown_after: None,
    };
    writing
        .write_all(run_line(&charge).as_bytes())
        .await
        .expect("write");
    let mut lines = tokio::io::BufReader::new(reading).lines();
    let mut replies = Vec::new();
    let past_the_limit = tokio::time::Instant::now() + FIRST_LINE_WITHIN + Duration::from_secs(2);
    loop {
        match tokio::time::timeout_at(past_the_limit, lines.next_line()).await {
            Err(_) => break,
            Ok(Ok(Some(line))) => {
                replies.push(serde_json::from_str::<Reply>(&line).expect("a reply"))
            }
            Ok(other) => panic!("the connection ended under a sale: {other:?} after {replies:?}"),
        }
    }
    assert_eq!(exit(&replies), None, "{replies:?}");
    writing
        .write_all(format!("{}\n", json!("Stop")).as_bytes())
        .await
        .expect("the connection is still open");
    let ended = tokio::time::timeout(Duration::from_secs(30), async {
        while let Ok(Some(line)) = lines.next_line().await {
            replies.push(serde_json::from_str::<Reply>(&line).expect("a reply"));
        }
    })
    .await;
    assert!(ended.is_ok(), "no end after Ctrl-C: {replies:?}");
    // Cancelled at Monime.
    assert_eq!(exit(&replies), Some(3), "{replies:?}");
}

/// The connection past `MAX_CONNECTIONS` is told at once that the terminal is busy, rather than
/// taking another descriptor and task; once the others close, commands are served again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connection_past_the_limit_is_told_the_terminal_is_busy() {
    let terminal = terminal().await;
    let mut held = Vec::new();
    for _ in 0..MAX_CONNECTIONS {
        held.push(
            UnixStream::connect(&terminal.socket)
                .await
                .expect("connect"),
        );
    }
    let started = Instant::now();
    let replies = ask_probe(&terminal.socket).await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(exit(&replies), Some(1), "{replies:?}");
    assert!(said(&replies, "commands already"), "{replies:?}");
    // The refusal is there to read even when the command's line could not be written, the
    // terminal having closed first.
    let late = UnixStream::connect(&terminal.socket)
        .await
        .expect("connect");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (reading, mut writing) = late.into_split();
    let written = writing.write_all(probe().as_bytes()).await;
    assert!(
        written.is_err(),
        "the terminal kept a connection past the limit"
    );
    let (replies, _) = replies_until_closed(reading, Duration::from_secs(5)).await;
    assert!(said(&replies, "commands already"), "{replies:?}");
    // And `paycode-kiosk` itself, whichever comes first, shows it and exits 1.
    let handed = paycode_kiosk::control::hand_over(
        &terminal.socket,
        &OwnerCommand::Reprint { sale: Some(-1) },
    )
    .await;
    assert_eq!(handed, Ok(Some(1)));
    drop(held);
    // The terminal sees the held connections close in its own time.
    let freed = Instant::now();
    loop {
        let replies = ask_probe(&terminal.socket).await;
        if !said(&replies, "commands already") {
            assert_eq!(exit(&replies), Some(1), "{replies:?}");
            break;
        }
        assert!(
            freed.elapsed() < Duration::from_secs(5),
            "still busy: {replies:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A client that keeps its end open after the exit held the connection's descriptor and task
/// for as long as it did: the terminal closes both, so the client's next write fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_kept_open_after_its_command_is_closed() {
    let terminal = terminal().await;
    let stream = UnixStream::connect(&terminal.socket)
        .await
        .expect("connect");
    let (reading, mut writing) = stream.into_split();
    writing.write_all(probe().as_bytes()).await.expect("write");
    let mut lines = tokio::io::BufReader::new(reading).lines();
    let mut replies = Vec::new();
    while exit(&replies).is_none() {
        let line = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
            .await
            .expect("an answer in time")
            .expect("read")
            .expect("a line before the end");
        replies.push(serde_json::from_str::<Reply>(&line).expect("a reply"));
    }
    let stop = format!("{}\n", json!("Stop"));
    let mut refused = false;
    for _ in 0..50 {
        if writing.write_all(stop.as_bytes()).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(refused, "the terminal kept reading a finished connection");
}

/// The descriptors the child may have: enough to start a terminal, few enough to use up.
const CHILD_DESCRIPTORS: u32 = 256;

/// Out of file descriptors, `accept` fails at once every time it is tried. The terminal tried
/// again at once: a core kept busy and a warning written thousands of times a second. It now
/// pauses, warns once, and serves the connection that waited once descriptors are free.
///
/// The limit is lowered in a child process (this test binary, running `descriptors_run_out`),
/// so that the tests beside this one keep theirs.
#[test]
fn out_of_descriptors_the_socket_pauses_and_serves_the_waiting_connection() {
    let exe = std::env::current_exe().expect("this test binary");
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -n {CHILD_DESCRIPTORS} && exec \"$0\" \"$@\""
        ))
        .arg(exe)
        .args([
            "--ignored",
            "--exact",
            "descriptors_run_out",
            "--nocapture",
            "--test-threads=1",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the child");
    let pid = child.id();
    let mut stdin = child.stdin.take().expect("stdin");
    let stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    // Read all along, so that a child writing its log never waits on a full pipe.
    let log = std::thread::spawn(move || {
        let mut log = String::new();
        let _ = stderr.read_to_string(&mut log);
        log
    });
    let (told, heard) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = told.send(line);
        }
    });
    let wait_for = |prefix: &str| -> String {
        loop {
            let line = heard
                .recv_timeout(Duration::from_secs(60))
                .unwrap_or_else(|_| panic!("the child never said {prefix}"));
            // The test runner's "test descriptors_run_out ... " may come first on the line.
            if let Some((_, rest)) = line.split_once(prefix) {
                return rest.trim().to_string();
            }
        }
    };
    let socket = PathBuf::from(wait_for("SOCKET "));
    let opened = wait_for("FULL ");
    assert!(!opened.is_empty(), "the child did not fill its descriptors");

    let mut waiting = std::os::unix::net::UnixStream::connect(&socket).expect("connect");
    waiting.write_all(probe().as_bytes()).expect("write");
    let window = Duration::from_secs(2);
    let before = cpu_seconds(pid);
    std::thread::sleep(window);
    let busy = cpu_seconds(pid) - before;

    stdin.write_all(b"free\n").expect("tell the child");
    waiting
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    let mut got = Vec::new();
    let _ = waiting.read_to_end(&mut got);
    drop(stdin);
    let status = child.wait().expect("the child ends");
    let log = log.join().expect("the child's log");
    let replies: Vec<Reply> = String::from_utf8_lossy(&got)
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();

    let warnings: Vec<&str> = log
        .lines()
        .filter(|line| line.contains("WARN") && line.contains("control socket"))
        .collect();
    let measured = format!(
        "with no descriptor left for {window:?}, the child used {busy:.2} s of CPU and warned \
         {} times; the first: {:?}",
        warnings.len(),
        warnings.first()
    );
    eprintln!("{measured}");
    assert!(warnings.len() <= 1, "{measured}");
    assert!(busy < window.as_secs_f64() / 4.0, "{measured}");
    assert!(status.success(), "the child failed:\n{log}");
    assert!(
        exit(&replies).is_some(),
        "the connection made without descriptors was not served: {replies:?}\n{log}"
    );
}

/// The CPU time (user and system) process `pid` has used, in seconds.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("the child's stat");
    // The fields after the command's name, which is in parentheses and may hold spaces:
    // utime and stime are the 14th and 15th of all.
    let after_name = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: f64 =
        fields[11].parse::<f64>().expect("utime") + fields[12].parse::<f64>().expect("stime");
    let per_second = Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .and_then(|text| text.trim().parse::<f64>().ok())
        .unwrap_or(100.0);
    ticks / per_second
}

/// The child of the test above: a terminal serving its socket, then every descriptor taken
/// until the parent says `free` on standard input.
#[test]
#[ignore = "run by out_of_descriptors_the_socket_pauses_and_serves_the_waiting_connection, in a process of its own"]
fn descriptors_run_out() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let terminal = runtime.block_on(terminal());
    println!("SOCKET {}", terminal.socket.display());
    let mut taken = Vec::new();
    loop {
        match std::fs::File::open("/dev/null") {
            Ok(file) => taken.push(file),
            Err(error) if error.raw_os_error() == Some(libc::EMFILE) => break,
            Err(error) => panic!("cannot open /dev/null: {error}"),
        }
        assert!(
            taken.len() <= usize::try_from(CHILD_DESCRIPTORS).unwrap_or(usize::MAX),
            "the descriptor limit was not lowered"
        );
    }
    println!("FULL {}", taken.len());
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
    drop(taken);
    println!("FREED");
    // Until the parent has its answer and closes standard input.
    let _ = std::io::stdin().read_line(&mut line);
    drop(terminal);
    drop(runtime);
}
