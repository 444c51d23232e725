//! The network printer: ESC/POS over a raw TCP connection (port 9100), as 80 mm printers at
//! bigger counters are sold. Most take one connection at a time, so the terminal connects when
//! it has something to print or ask, and lets go when the queue rests: the shop's other till or
//! PC can print between receipts. Every connect, write and status answer has a deadline.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use super::status::{STATUS_TIMEOUT, StatusLink, read_status};
use super::{PrintError, PrinterPort, PrinterStatus};

/// How long a connection may take: a printer on the shop's LAN answers in milliseconds.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long the printer may take to accept more of a document.
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a printer gets to acknowledge a document it has read (see `write_confirmed`).
const CONFIRM_TIMEOUT: Duration = Duration::from_secs(1);
/// While the printer cannot be reached, it is tried again this often to see it come back.
const PROBE_EVERY: Duration = Duration::from_secs(2);

pub struct NetworkPrinter {
    host: String,
    port: u16,
    stream: Option<TcpStream>,
    /// Whether the last attempt reached it; `present` answers from this and only connects
    /// again (every `PROBE_EVERY`) while it is false.
    reachable: bool,
    last_probe: Option<Instant>,
}

impl NetworkPrinter {
    pub fn new(host: String, port: u16) -> NetworkPrinter {
        NetworkPrinter {
            host,
            port,
            stream: None,
            reachable: true,
            last_probe: None,
        }
    }

    fn connected(&mut self) -> Result<&mut TcpStream, String> {
        if self.stream.is_none() {
            let stream = self.connect();
            self.reachable = stream.is_ok();
            self.stream = Some(stream?);
        }
        self.stream
            .as_mut()
            .ok_or_else(|| "the connection closed".to_string())
    }

    fn connect(&self) -> Result<TcpStream, String> {
        let addresses: Vec<SocketAddr> = (self.host.as_str(), self.port)
            .to_socket_addrs()
            .map_err(|error| format!("cannot find {} on the network: {error}", self.host))?
            .collect();
        let mut last_error = format!("{} has no address", self.host);
        for address in addresses {
            match TcpStream::connect_timeout(&address, CONNECT_TIMEOUT) {
                Ok(stream) => {
                    let ready = stream
                        .set_write_timeout(Some(WRITE_TIMEOUT))
                        .and_then(|()| stream.set_nodelay(true));
                    return ready.map(|()| stream).map_err(|error| error.to_string());
                }
                Err(error) => last_error = connect_failure(&error),
            }
        }
        Err(last_error)
    }

    fn failed(&mut self) {
        self.stream = None;
        self.reachable = false;
        self.last_probe = Some(Instant::now());
    }
}

impl StatusLink for NetworkPrinter {
    fn ask(&mut self, n: u8) -> Result<Option<u8>, String> {
        let stream = self.connected()?;
        let failed = |error: std::io::Error| format!("status query: {error}");
        // What the printer said before this question is not its answer.
        stream.set_nonblocking(true).map_err(failed)?;
        let mut stale = [0u8; 64];
        loop {
            match stream.read(&mut stale) {
                Ok(0) => return Err("the printer closed the connection".into()),
                Ok(_) => {}
                Err(error) if error.kind() == ErrorKind::WouldBlock => break,
                Err(error) => return Err(failed(error)),
            }
        }
        stream.set_nonblocking(false).map_err(failed)?;
        stream.write_all(&[0x10, 0x04, n]).map_err(failed)?;
        stream
            .set_read_timeout(Some(STATUS_TIMEOUT))
            .map_err(failed)?;
        let mut answer = [0u8; 1];
        match stream.read(&mut answer) {
            Ok(1) => Ok(Some(answer[0])),
            Ok(_) => Err("the printer closed the connection".into()),
            Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                Ok(None)
            }
            Err(error) => Err(failed(error)),
        }
    }
}

impl PrinterPort for NetworkPrinter {
    fn describe(&self) -> String {
        if self.host.contains(':') {
            format!("tcp://[{}]:{}", self.host, self.port)
        } else {
            format!("tcp://{}:{}", self.host, self.port)
        }
    }

    fn present(&mut self) -> bool {
        let probe_due = self
            .last_probe
            .is_none_or(|last| last.elapsed() >= PROBE_EVERY);
        if !self.reachable && probe_due {
            self.last_probe = Some(Instant::now());
            self.reachable = self.connected().is_ok();
        }
        self.reachable
    }

    fn status(&mut self) -> PrinterStatus {
        match read_status(self) {
            Ok(status) => status,
            Err(reason) => {
                self.failed();
                PrinterStatus::Unreachable(format!("{}: {reason}", self.describe()))
            }
        }
    }

    fn send(&mut self, _name: &str, bytes: &[u8]) -> Result<(), PrintError> {
        let sent = self
            .connected()
            .map_err(|reason| (reason, false))
            .and_then(|stream| write_confirmed(stream, bytes));
        // One connection a document: the printer is free for others in between, and a
        // half-closed connection is no use for the next one.
        self.stream = None;
        sent.map_err(|(reason, torn)| {
            self.failed();
            PrintError::sending(&self.describe(), reason, torn)
        })
    }

    fn rest(&mut self) {
        // Closed gracefully, so the printer prints what it has buffered and can serve others.
        if let Some(stream) = self.stream.take() {
            let _ = stream.shutdown(std::net::Shutdown::Write);
        }
    }
}

/// Writes a whole document and makes sure the printer read all of it: the bytes leave into the
/// kernel's buffer at once, so a printer that reboots or a cable pulled mid-receipt only shows
/// afterwards. The printer is asked `DLE EOT 1`, which it answers once it has read everything
/// before it; one that never answers is released with a half-close and must close cleanly.
/// A failure says whether part of the document had left.
fn write_confirmed(stream: &mut TcpStream, bytes: &[u8]) -> Result<(), (String, bool)> {
    let mut written = 0;
    while written < bytes.len() {
        match stream.write(&bytes[written..]) {
            Ok(0) => return Err(("the printer closed the connection".into(), written > 0)),
            Ok(n) => written += n,
            Err(error) if error.kind() == ErrorKind::Interrupted => {}
            Err(error) => return Err((write_failure(&error), written > 0)),
        }
    }
    let torn = |reason: String| (reason, !bytes.is_empty());
    let mut answer = [0u8; 1];
    stream
        .write_all(&[0x10, 0x04, 1])
        .and_then(|()| stream.set_read_timeout(Some(CONFIRM_TIMEOUT)))
        .map_err(|error| torn(write_failure(&error)))?;
    match stream.read(&mut answer) {
        Ok(1) => return Ok(()),
        Ok(_) => {
            return Err(torn(
                "the printer dropped the connection mid-document".into(),
            ));
        }
        Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
        Err(error) => return Err(torn(write_failure(&error))),
    }
    // A printer that answers no status: it has everything once it closes its side after ours.
    stream
        .shutdown(std::net::Shutdown::Write)
        .and_then(|()| stream.set_read_timeout(Some(WRITE_TIMEOUT)))
        .map_err(|error| torn(write_failure(&error)))?;
    let mut rest = [0u8; 64];
    loop {
        match stream.read(&mut rest) {
            Ok(0) => return Ok(()),
            Ok(_) => {}
            // Still open after the deadline: it took the bytes, as far as anyone can tell.
            Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return Ok(());
            }
            Err(error) => return Err(torn(write_failure(&error))),
        }
    }
}

fn connect_failure(error: &std::io::Error) -> String {
    match error.kind() {
        ErrorKind::ConnectionRefused => {
            "it refused the connection (is it switched on, and is the port right? receipt printers use 9100)".into()
        }
        ErrorKind::TimedOut | ErrorKind::WouldBlock => {
            "no answer (switched off, or not on this network?)".into()
        }
        _ => format!("cannot connect: {error}"),
    }
}

fn write_failure(error: &std::io::Error) -> String {
    match error.kind() {
        ErrorKind::TimedOut | ErrorKind::WouldBlock => {
            "the printer stopped taking data (paper out or cover open?)".into()
        }
        ErrorKind::ConnectionReset | ErrorKind::BrokenPipe | ErrorKind::ConnectionAborted => {
            "the printer dropped the connection".into()
        }
        _ => error.to_string(),
    }
}
