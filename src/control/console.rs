//! Where a command's words go, and where its Ctrl-C comes from. A command run in this process
//! prints to its own stdout and stderr and is stopped by SIGINT or SIGTERM; a command the running
//! terminal carries out for a technician (`remote`) sends the same lines back over the control
//! socket and is stopped by the technician's Ctrl-C forwarded there. A question (`ask`,
//! `confirm`) is answered on the technician's terminal either way. The commands use `say!`,
//! `say_err!`, `stops()` and `ask` and never know which.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};
use tokio::sync::{Mutex, mpsc, watch};

/// What the running terminal sends back while it carries out a command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reply {
    /// Text for stdout, printed as it is.
    Out(String),
    /// Text for stderr, printed as it is.
    Err(String),
    /// The command is over; the process exits with this code.
    Exit(u8),
    /// A question for the technician (printed as it is); the answer comes back as a line.
    Ask(String),
}

/// A command carried out for a technician on the other end of the control socket.
pub struct Remote {
    pub replies: mpsc::UnboundedSender<Reply>,
    /// How many times the technician pressed Ctrl-C.
    pub stops: watch::Receiver<u32>,
    /// The technician's answers to `Reply::Ask`, a line each; closed when they left.
    pub answers: Arc<Mutex<mpsc::UnboundedReceiver<String>>>,
}

tokio::task_local! {
    static REMOTE: Remote;
}

/// Runs `command` with its words sent to `remote` instead of this process's stdout.
pub async fn run_remote<T>(remote: Remote, command: impl Future<Output = T>) -> T {
    REMOTE.scope(remote, command).await
}

/// Sends `text` to the command's stdout.
pub fn out(text: String) {
    let sent = REMOTE.try_with(|remote| remote.replies.send(Reply::Out(text.clone())));
    if sent.is_err() {
        write_here(&mut std::io::stdout(), &text);
    }
}

/// Sends `text` to the command's stderr.
pub fn err(text: String) {
    let sent = REMOTE.try_with(|remote| remote.replies.send(Reply::Err(text.clone())));
    if sent.is_err() {
        write_here(&mut std::io::stderr(), &text);
    }
}

/// Writes to this process's own output. Output that went away (`charge 1.00 | head -2`, a
/// closed SSH session) is no reason to abandon a sale half-way: the command is asked to stop,
/// as by Ctrl-C, and what it says from then on goes nowhere.
fn write_here(output: &mut impl Write, text: &str) {
    if OUTPUT_GONE.load(Ordering::Relaxed) {
        return;
    }
    if output
        .write_all(text.as_bytes())
        .and_then(|()| output.flush())
        .is_err()
    {
        OUTPUT_GONE.store(true, Ordering::Relaxed);
        local_stops().send_modify(|stops| *stops += 1);
    }
}

/// This process's output was closed under it.
static OUTPUT_GONE: AtomicBool = AtomicBool::new(false);
/// The requests to stop this process's command: Ctrl-C, SIGTERM, its output gone.
static LOCAL_STOPS: OnceLock<watch::Sender<u32>> = OnceLock::new();

fn local_stops() -> &'static watch::Sender<u32> {
    LOCAL_STOPS.get_or_init(|| watch::channel(0).0)
}

/// Counts the requests to stop: Ctrl-C or SIGTERM here (or this process's output closed), or
/// the technician's Ctrl-C over the socket. The count starts at 0.
pub fn stops() -> Result<watch::Receiver<u32>, String> {
    if let Ok(stops) = REMOTE.try_with(|remote| remote.stops.clone()) {
        return Ok(stops);
    }
    static WATCHING: OnceLock<Result<(), String>> = OnceLock::new();
    WATCHING.get_or_init(watch_signals).clone()?;
    let mut stops = local_stops().subscribe();
    // A stop asked before this command looked (its output already closed) still counts.
    if *stops.borrow() > 0 {
        stops.mark_changed();
    }
    Ok(stops)
}

/// Counts SIGTERM and SIGINT into the local stops, for as long as the process runs.
fn watch_signals() -> Result<(), String> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate())
        .map_err(|error| format!("cannot watch for SIGTERM: {error}"))?;
    let mut interrupt = signal(SignalKind::interrupt())
        .map_err(|error| format!("cannot watch for Ctrl-C: {error}"))?;
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = terminate.recv() => {}
                _ = interrupt.recv() => {}
            }
            local_stops().send_modify(|stops| *stops += 1);
        }
    });
    Ok(())
}

/// Asks the technician `question` (printed as it is, without a line end) and gives the line
/// they answer; `None` when there is no answer to be had (standard input closed, or the
/// technician gone).
pub async fn ask(question: &str) -> Result<Option<String>, String> {
    let remote = REMOTE.try_with(|remote| (remote.replies.clone(), Arc::clone(&remote.answers)));
    if let Ok((replies, answers)) = remote {
        if replies.send(Reply::Ask(question.to_string())).is_err() {
            return Ok(None);
        }
        return Ok(answers.lock().await.recv().await);
    }
    print!("{question}");
    let _ = std::io::stdout().flush();
    read_stdin_line().await
}

/// A yes or no to `question`; no unless the answer is "y" or "yes" (none is no).
pub async fn confirm(question: &str) -> Result<bool, String> {
    let answer = ask(question).await?;
    Ok(answer.is_some_and(|line| matches!(line.trim().to_lowercase().as_str(), "y" | "yes")))
}

/// One line of this process's standard input, without its line end; `None` at its end.
pub async fn read_stdin_line() -> Result<Option<String>, String> {
    tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        match std::io::stdin().read_line(&mut line) {
            Ok(0) => Ok(None),
            Ok(_) => Ok(Some(line.trim_end_matches(['\r', '\n']).to_string())),
            Err(error) => Err(format!("cannot read the answer: {error}")),
        }
    })
    .await
    .map_err(|error| format!("cannot read the answer: {error}"))?
}

/// Whether the command runs for a technician through the control socket.
pub fn is_remote() -> bool {
    REMOTE.try_with(|_| ()).is_ok()
}

/// `println!` for commands: to this process's stdout, or back over the control socket.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::control::console::out(format!("{}\n", format_args!($($arg)*)))
    };
}

/// `eprintln!` for commands.
macro_rules! say_err {
    ($($arg:tt)*) => {
        $crate::control::console::err(format!("{}\n", format_args!($($arg)*)))
    };
}

pub(crate) use {say, say_err};
