//! The control socket: how a technician's command reaches the running terminal. One process owns
//! the journal and the printer (the terminal, or else the command itself); `charge`, `refund`,
//! `recover`, `reprint`, `print-test`, `report --print`, `report --z` and `reconcile` are
//! handed to that owner when it runs, so a sale started over SSH shows on the counter's screen
//! and no two processes drive one sale, one refund or one printer. The socket is a Unix socket
//! (owner and group only, never a network listener); each connection carries one command as a
//! JSON line, then the command's output back as JSON lines (with any question it asks), and
//! the technician's Ctrl-C and answers the other way. The server bounds what a client can hold:
//! a line of `MAX_LINE` bytes, `FIRST_LINE_WITHIN` to send the command, `MAX_CONNECTIONS` at
//! once; and when `accept` fails (no descriptor left) it pauses rather than retry at once.
//!
//! This module is the protocol and the two ends of the socket; what a command does and prints
//! is the command line's (`cli`), handed to `serve` as a `Handler` by whoever runs the
//! terminal, so the screen starts the socket without knowing the commands.
//! `console` sends a command's words and stops to whichever end it runs at.

pub mod console;

use std::future::Future;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch};

use crate::shop::Shop;
use console::{Remote, Reply};

/// A command that sells or prints: carried out by whichever process owns the journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum OwnerCommand {
    Charge {
        amount: String,
        phone: Option<String>,
        reference: Option<String>,
        /// Seconds of "not found" before the sale ends unknown, instead of the usual bound
        /// (tests).
        unknown_after: Option<u64>,
    },
    Recover {
        cancel_pending: bool,
    },
    Reprint {
        sale: Option<i64>,
    },
    /// Restart at the next idle moment (an update was installed), within `within_secs` at most.
    RestartWhenIdle {
        within_secs: u64,
    },
    /// A completed refund's receipt, again.
    ReprintRefund {
        refund: i64,
    },
    PrintTest,
    PrintReport {
        date: Option<NaiveDate>,
    },
    /// The shift report (X), printed.
    PrintShift,
    /// Close the day (Z).
    CloseDay,
    /// Check a day with Monime; with `restore`, write back the paid codes the journal lacks.
    /// Handed to the running terminal even without `restore`: in demo mode only its simulator
    /// knows the day's codes, and its client keeps to Monime's request limits.
    Reconcile {
        date: Option<NaiveDate>,
        restore: bool,
    },
    /// Send money back to sale `sale`'s payer at `to`: `amount` of it (all that is left when
    /// `None`), asked for by whoever `pin` is; without `yes`, after the technician confirms the
    /// quote.
    Refund {
        sale: i64,
        amount: Option<String>,
        to: PayerNumber,
        pin: SecretPin,
        yes: bool,
        /// Seconds to follow the payout before saying it is not confirmed yet.
        wait: Option<u64>,
    },
}

/// A PIN on its way to the terminal: kept out of Debug output, and so out of the log line
/// that records each command.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretPin(pub String);

impl std::fmt::Debug for SecretPin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretPin(****)")
    }
}

/// A payer's number as typed, on its way to the terminal: Debug (and so the log) shows it
/// masked, as the terminal keeps a payer's whole number nowhere it does not need it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PayerNumber(pub String);

impl std::fmt::Debug for PayerNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match crate::refund::FullNumber::parse(&self.0) {
            Ok(number) => write!(f, "PayerNumber({})", number.shown()),
            Err(_) => f.write_str("PayerNumber(not a whole number)"),
        }
    }
}

/// Carries an owner command out on the shop this process owns; its words go through `console`.
pub type Handler =
    fn(Arc<Shop>, OwnerCommand) -> Pin<Box<dyn Future<Output = Result<u8, String>> + Send>>;

/// What a command's process sends to the running terminal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
enum Message {
    Run(OwnerCommand),
    /// The technician pressed Ctrl-C (or the command got SIGTERM).
    Stop,
    /// The technician's answer to the command's question (`Reply::Ask`).
    Answer(String),
}

/// Hands `command` to the terminal listening on `socket` and relays its output here until it is
/// done. `None` when no terminal listens there.
pub async fn hand_over(socket: &Path, command: &OwnerCommand) -> Result<Option<u8>, String> {
    let stream = match UnixStream::connect(socket).await {
        Ok(stream) => stream,
        Err(error)
            if matches!(
                error.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
            ) =>
        {
            return Ok(None);
        }
        Err(error) => {
            return Err(format!(
                "the running terminal's control socket {} cannot be reached ({error}); run the \
                 command as the paycode-kiosk user or with sudo",
                socket.display()
            ));
        }
    };
    let (reading, mut writing) = stream.into_split();
    // A terminal that refuses at once (it is busy) may close before the command is written:
    // what it said is read all the same, and the failed write is the error only when it said
    // nothing.
    let sent = write_line(&mut writing, &Message::Run(command.clone())).await;
    let mut stops = console::stops()?;
    let mut replies = BufReader::new(reading).lines();
    let (answered, mut answers) = mpsc::unbounded_channel();
    loop {
        tokio::select! {
            answer = answers.recv() => {
                // The question's answer, or the end of standard input: an empty line says no.
                let answer: Option<String> = answer.unwrap_or_default();
                write_line(&mut writing, &Message::Answer(answer.unwrap_or_default())).await?;
            }
            line = replies.next_line() => {
                let line = line.map_err(|error| {
                    sent.clone()
                        .err()
                        .unwrap_or_else(|| format!("the control socket failed: {error}"))
                })?;
                let Some(line) = line else {
                    return Err(sent.clone().err().unwrap_or_else(|| {
                        "the terminal stopped before the command was done; `paycode-kiosk \
                         history` shows where its sale stands"
                            .into()
                    }));
                };
                match serde_json::from_str::<Reply>(&line) {
                    Ok(Reply::Out(text)) => print!("{text}"),
                    Ok(Reply::Err(text)) => eprint!("{text}"),
                    Ok(Reply::Exit(code)) => return Ok(Some(code)),
                    Ok(Reply::Ask(question)) => {
                        print!("{question}");
                        let _ = std::io::Write::flush(&mut std::io::stdout());
                        let answered = answered.clone();
                        tokio::spawn(async move {
                            let line = console::read_stdin_line().await.ok().flatten();
                            let _ = answered.send(line);
                        });
                    }
                    Err(error) => {
                        return Err(format!(
                            "the terminal answered something this command does not understand \
                             ({error}); are the terminal and this command the same version?"
                        ));
                    }
                }
            }
            stopped = stops.changed() => {
                if stopped.is_ok() {
                    stops.borrow_and_update();
                    write_line(&mut writing, &Message::Stop).await?;
                }
            }
        }
    }
}

/// Listens on the terminal's control socket for as long as the runtime runs. The caller owns
/// the journal, so a socket file already there was left by a terminal that is gone.
pub async fn serve(shop: Arc<Shop>, handler: Handler) -> Result<(), String> {
    let path = shop.settings().control_socket.clone();
    let _ = std::fs::remove_file(&path);
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder)
            .map_err(|error| format!("cannot create {} ({error})", folder.display()))?;
    }
    let listener = UnixListener::bind(&path).map_err(|error| {
        format!(
            "cannot listen on the control socket {} ({error})",
            path.display()
        )
    })?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o660))
        .map_err(|error| format!("cannot restrict {} ({error})", path.display()))?;
    tracing::info!(socket = %path.display(), "listening for commands");
    let places = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut failures: u64 = 0;
    let mut pause = ACCEPT_PAUSE_FIRST;
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                if failures > 0 {
                    tracing::info!(failures, "the control socket accepts connections again");
                    failures = 0;
                    pause = ACCEPT_PAUSE_FIRST;
                }
                match Arc::clone(&places).try_acquire_owned() {
                    Ok(place) => {
                        tokio::spawn(answer(Arc::clone(&shop), handler, stream, place));
                    }
                    Err(_) => refuse_busy(stream),
                }
            }
            Err(error) => {
                // One warning an outage: even with the pauses, a warning a failure would be a
                // line every two seconds in the journal for as long as the outage lasts.
                if failures == 0 {
                    tracing::warn!(
                        %error,
                        "the control socket cannot accept connections; trying again, less and \
                         less often, until it can"
                    );
                }
                failures = failures.saturating_add(1);
                tokio::time::sleep(pause).await;
                pause = pause.saturating_mul(2).min(ACCEPT_PAUSE_MOST);
            }
        }
    }
}

/// How long a new connection has to send its command's line. `hand_over` sends it as soon as
/// it connects, so a connection without a whole line after this long is no technician's
/// command (a script that connected and stalled, a line trickled a byte at a time). It is
/// closed, so that it holds neither a descriptor nor one of the `MAX_CONNECTIONS` places. Only
/// the first line has a limit: a Ctrl-C or an answer may come at any time while a command runs.
pub const FIRST_LINE_WITHIN: Duration = Duration::from_secs(5);

/// How many connections the terminal serves at once, counting the commands they started (a
/// command goes on when its connection closes). A technician runs one command at a time and an
/// update's `restart-when-idle` one more. Each connection holds a descriptor and two tasks, and
/// its command may ask Monime or the printer; without a limit, a script gone wrong could take
/// the descriptors and the runtime's two workers that the screen's sale needs. The connection
/// past the limit is told so and closed.
pub const MAX_CONNECTIONS: usize = 16;

/// The pause after `accept` fails, doubling up to the longest while it fails. It fails for the
/// whole process at once (no descriptor left, no memory), and a listener tried again at once
/// fails again at once: a core kept busy and the log flooded.
const ACCEPT_PAUSE_FIRST: Duration = Duration::from_millis(100);
const ACCEPT_PAUSE_MOST: Duration = Duration::from_secs(2);

/// Tells a connection past `MAX_CONNECTIONS` that the terminal is busy, and closes it. Written
/// at once and without waiting (two short lines fit a fresh socket's buffer), so the loop that
/// accepts never waits on a client.
fn refuse_busy(stream: UnixStream) {
    let Ok(mut stream) = stream.into_std() else {
        return;
    };
    let mut lines = String::new();
    for reply in [
        Reply::Err(format!(
            "error: the terminal is serving {MAX_CONNECTIONS} commands already; try again when \
             one is done\n"
        )),
        Reply::Exit(1),
    ] {
        if let Ok(line) = serde_json::to_string(&reply) {
            lines.push_str(&line);
            lines.push('\n');
        }
    }
    let _ = std::io::Write::write_all(&mut stream, lines.as_bytes());
}

/// The longest line the terminal reads from a connection: a command or an answer is a few
/// hundred bytes, and a line read without a limit could take all the memory there is.
pub const MAX_LINE: usize = 64 * 1024;

/// Why a connection's line was not read.
enum LineError {
    TooLong,
    NotText,
    Failed,
}

/// The next line of a connection (without its line end), `None` at its end.
async fn read_line(
    reading: &mut BufReader<tokio::net::unix::OwnedReadHalf>,
) -> Result<Option<String>, LineError> {
    let mut line = Vec::new();
    let limit = u64::try_from(MAX_LINE + 1).unwrap_or(u64::MAX);
    let read = (&mut *reading)
        .take(limit)
        .read_until(b'\n', &mut line)
        .await
        .map_err(|_| LineError::Failed)?;
    if read == 0 {
        return Ok(None);
    }
    if line.last() == Some(&b'\n') {
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
    } else if line.len() > MAX_LINE {
        return Err(LineError::TooLong);
    }
    String::from_utf8(line)
        .map(Some)
        .map_err(|_| LineError::NotText)
}

/// One command from one connection: run it, send its output back, relay its stops. `place` is
/// the connection's among `MAX_CONNECTIONS`, held until both the connection and its command
/// are done.
async fn answer(
    shop: Arc<Shop>,
    handler: Handler,
    stream: UnixStream,
    place: OwnedSemaphorePermit,
) {
    let place = Arc::new(place);
    let (reading, mut writing) = stream.into_split();
    let mut requests = BufReader::new(reading);
    let Ok(first) = tokio::time::timeout(FIRST_LINE_WITHIN, read_line(&mut requests)).await else {
        let refusal = Reply::Err(format!(
            "error: no command came within {} s; the terminal closed the connection\n",
            FIRST_LINE_WITHIN.as_secs()
        ));
        let _ = write_line(&mut writing, &refusal).await;
        let _ = write_line(&mut writing, &Reply::Exit(1)).await;
        return;
    };
    let not_understood = match first {
        Ok(Some(line)) => match serde_json::from_str::<Message>(&line) {
            Ok(Message::Run(command)) => Ok(command),
            Ok(Message::Stop | Message::Answer(_)) | Err(_) => {
                let shown: String = line.chars().take(200).collect();
                Err(format!("{shown:?}"))
            }
        },
        Ok(None) | Err(LineError::Failed) => return,
        Err(LineError::TooLong) => Err(format!("a line of more than {MAX_LINE} bytes")),
        Err(LineError::NotText) => Err("a line that is not UTF-8 text".to_string()),
    };
    let command = match not_understood {
        Ok(command) => command,
        Err(what) => {
            let refusal = Reply::Err(format!(
                "error: the terminal does not understand {what}; are the terminal and this \
                 command the same version?\n"
            ));
            let _ = write_line(&mut writing, &refusal).await;
            let _ = write_line(&mut writing, &Reply::Exit(1)).await;
            return;
        }
    };
    tracing::info!(?command, "a command over the control socket");
    let (replies, mut outbox) = mpsc::unbounded_channel();
    let (count_stops, stops) = watch::channel(0);
    let (answered, answers) = mpsc::unbounded_channel();
    let reader = tokio::spawn(async move {
        while let Ok(Some(line)) = read_line(&mut requests).await {
            match serde_json::from_str(&line) {
                Ok(Message::Stop) => count_stops.send_modify(|stops| *stops += 1),
                Ok(Message::Answer(answer)) => {
                    let _ = answered.send(answer);
                }
                _ => {}
            }
        }
    });
    // The command goes on if the technician's connection drops: a sale under way is followed
    // on the screen either way.
    let remote = Remote {
        replies: replies.clone(),
        stops,
        answers: Arc::new(tokio::sync::Mutex::new(answers)),
    };
    let command_place = Arc::clone(&place);
    tokio::spawn(async move {
        let _place = command_place;
        let code = match console::run_remote(remote, handler(shop, command)).await {
            Ok(code) => code,
            Err(message) => {
                let _ = replies.send(Reply::Err(format!("error: {message}\n")));
                1
            }
        };
        let _ = replies.send(Reply::Exit(code));
    });
    while let Some(reply) = outbox.recv().await {
        let done = matches!(reply, Reply::Exit(_));
        if write_line(&mut writing, &reply).await.is_err() || done {
            break;
        }
    }
    // The command is done or its technician gone: the connection closes now, even if the other
    // end keeps it open, rather than hold a descriptor and a task for as long as it does.
    reader.abort();
}

async fn write_line(
    writing: &mut tokio::net::unix::OwnedWriteHalf,
    message: &impl Serialize,
) -> Result<(), String> {
    let mut line = serde_json::to_string(message).map_err(|error| error.to_string())?;
    line.push('\n');
    writing
        .write_all(line.as_bytes())
        .await
        .map_err(|error| format!("the control socket failed: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refund_command_logs_neither_its_pin_nor_the_whole_number() {
        let command = OwnerCommand::Refund {
            sale: 7,
            amount: Some("5".into()),
            to: PayerNumber("076123456".into()),
            pin: SecretPin("4821".into()),
            yes: true,
            wait: None,
        };
        let logged = format!("{command:?}");
        assert!(
            !logged.contains("4821") && !logged.contains("076123456"),
            "{logged}"
        );
        assert!(logged.contains("076 ··· 456"), "{logged}");
        let line = serde_json::to_string(&Message::Run(command.clone())).expect("json");
        assert!(
            line.contains("\"4821\"") && line.contains("\"076123456\""),
            "{line}"
        );
        let back: Message = serde_json::from_str(&line).expect("read back");
        assert_eq!(back, Message::Run(command));
    }
}
