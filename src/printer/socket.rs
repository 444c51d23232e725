//! The virtual printer on a TCP port, as a network receipt printer is reached: raw ESC/POS
//! on a port such as 9100, one connection at a time (the next waits until the first closes),
//! status queries answered on the same connection. Tests point the terminal's network
//! printing at it and can make it fail as a real one does: switched off (connections
//! refused), or a connection dropped mid-receipt (the printer rebooting, a cable pulled). A
//! technician without a printer runs it with `paycode-kiosk virtual-printer --listen`.

use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpListener, TcpStream};
use std::ops::Deref;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::emulator::{LinkThread, QUIET_WAIT, StatusAnswers, VirtualPrinter};
use crate::sync::lock;

/// How long writing a status answer may take before the connection is given up: a host
/// that never reads must not keep the printer from stopping.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(2);

pub struct SocketPrinter {
    /// Where it listens, with the port the system gave when asked for port 0.
    address: SocketAddr,
    link: Arc<Link>,
    /// The thread listening and serving connections; none while switched off.
    listening: Mutex<Option<LinkThread>>,
}

/// What the handle and the listening thread share.
struct Link {
    printer: VirtualPrinter,
    connections: AtomicUsize,
    /// Bytes still to read before the connection is dropped, when a drop was asked for.
    drop_after: Mutex<Option<usize>>,
}

impl SocketPrinter {
    /// A free port on this machine alone: what tests listen on.
    pub const ANY_LOCAL_PORT: SocketAddr =
        SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0));

    /// Listens on `address` (port 0 for any free one) with a printer `columns` characters
    /// wide that answers status queries with `status`, or stays silent with `None`.
    pub fn start(
        address: SocketAddr,
        columns: usize,
        status: Option<StatusAnswers>,
    ) -> std::io::Result<SocketPrinter> {
        let listener = TcpListener::bind(address)?;
        let address = listener.local_addr()?;
        let link = Arc::new(Link {
            printer: VirtualPrinter::new(columns, status),
            connections: AtomicUsize::new(0),
            drop_after: Mutex::new(None),
        });
        let listening = listen(listener, &link)?;
        Ok(SocketPrinter {
            address,
            link,
            listening: Mutex::new(Some(listening)),
        })
    }

    /// The address to configure as the printer, as `tcp://{address}`.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// How many connections have been accepted so far.
    pub fn connections(&self) -> usize {
        self.link.connections.load(Ordering::Relaxed)
    }

    /// Once: after `bytes` more bytes have been read, whichever connection brings them, the
    /// connection is closed and the rest of that read is thrown away. The emulator is not
    /// reset, as a pulled cable would not reset a printer: what was printed stays on the
    /// paper, and a command cut in two is completed by the next connection's first bytes.
    pub fn drop_connection_after(&self, bytes: usize) {
        *lock(&self.link.drop_after) = Some(bytes);
    }

    /// Closes the listener and the connection being served (those waiting to be served are
    /// reset with the listener), and returns once all are closed: connecting is refused until
    /// `switch_on`.
    pub fn switch_off(&self) {
        let listening = lock(&self.listening).take();
        drop(listening);
    }

    /// Listens again on the same address and port; nothing happens if it is on already.
    pub fn switch_on(&self) -> std::io::Result<()> {
        let mut listening = lock(&self.listening);
        if listening.is_none() {
            let listener = TcpListener::bind(self.address)?;
            *listening = Some(listen(listener, &self.link)?);
        }
        Ok(())
    }
}

impl Deref for SocketPrinter {
    type Target = VirtualPrinter;

    fn deref(&self) -> &VirtualPrinter {
        &self.link.printer
    }
}

impl Link {
    /// How many of the `read` bytes just read to keep, and whether to drop the connection
    /// after them.
    fn keep_of(&self, read: usize) -> (usize, bool) {
        let mut drop_after = lock(&self.drop_after);
        match *drop_after {
            Some(left) if left <= read => {
                *drop_after = None;
                (left, true)
            }
            Some(left) => {
                *drop_after = Some(left - read);
                (read, false)
            }
            None => (read, false),
        }
    }
}

fn listen(listener: TcpListener, link: &Arc<Link>) -> std::io::Result<LinkThread> {
    // Not blocking, so that the thread sees its stop flag while nobody connects.
    listener.set_nonblocking(true)?;
    let link = Arc::clone(link);
    LinkThread::spawn("virtual-network-printer", move |stop| {
        serve(&listener, &link, stop)
    })
}

/// Accepts one connection at a time and serves it to the end; the next waits in the
/// listener's backlog meanwhile, as on a printer's port 9100.
fn serve(listener: &TcpListener, link: &Link, stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        match listener.accept() {
            Ok((connection, _)) => {
                link.connections.fetch_add(1, Ordering::Relaxed);
                serve_connection(connection, link, stop);
            }
            // Nobody connecting (WouldBlock), or a connection gone before it was accepted, or
            // no descriptor free: all pass, and the next try may do better.
            Err(_) => std::thread::sleep(QUIET_WAIT),
        }
    }
}

/// Reads the connection into the printer and writes its answers back, until the host closes
/// it, it fails, a drop asked for comes, or the printer stops. Returning closes it.
fn serve_connection(mut connection: TcpStream, link: &Link, stop: &AtomicBool) {
    let set_up = connection
        .set_nonblocking(false)
        .and_then(|()| connection.set_read_timeout(Some(QUIET_WAIT)))
        .and_then(|()| connection.set_write_timeout(Some(ANSWER_TIMEOUT)))
        // Answers go at once rather than wait for the host's acknowledgement of the last.
        .and_then(|()| connection.set_nodelay(true));
    if set_up.is_err() {
        return;
    }
    let mut buffer = [0u8; 4096];
    while !stop.load(Ordering::Relaxed) {
        let read = match connection.read(&mut buffer) {
            Ok(0) => return,
            Ok(read) => read,
            Err(error)
                if matches!(
                    error.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                ) =>
            {
                continue;
            }
            Err(_) => return,
        };
        let (kept, then_drop) = link.keep_of(read);
        let answers = link.printer.take_in(&buffer[..kept]);
        if !answers.is_empty() && connection.write_all(&answers).is_err() {
            return;
        }
        if then_drop {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    const WAIT: Duration = Duration::from_secs(5);

    fn document(line: &str) -> Vec<u8> {
        let mut bytes = b"\x1b@".to_vec();
        bytes.extend(line.as_bytes());
        bytes.extend(b"\n\x1dVA\x00");
        bytes
    }

    fn connect(printer: &SocketPrinter) -> TcpStream {
        let connection = TcpStream::connect(printer.address()).expect("connect");
        connection
            .set_read_timeout(Some(QUIET_WAIT))
            .expect("read timeout");
        connection
    }

    /// Reads until `count` bytes have come, or `WAIT` passes.
    fn read_answers(connection: &mut TcpStream, count: usize) -> Vec<u8> {
        let deadline = Instant::now() + WAIT;
        let mut got = Vec::new();
        let mut buffer = [0u8; 16];
        while got.len() < count && Instant::now() < deadline {
            match connection.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => got.extend_from_slice(&buffer[..n]),
                Err(error)
                    if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(error) => panic!("reading the answers: {error}"),
            }
        }
        got
    }

    /// Whether the printer closed `connection` within `WAIT`.
    fn closed_by_printer(connection: &mut TcpStream) -> bool {
        let deadline = Instant::now() + WAIT;
        let mut buffer = [0u8; 16];
        while Instant::now() < deadline {
            match connection.read(&mut buffer) {
                Ok(0) => return true,
                Ok(_) => {}
                Err(error)
                    if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(_) => return true,
            }
        }
        false
    }

    fn wait_until(condition: impl Fn() -> bool) -> bool {
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            if condition() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        condition()
    }

    #[test]
    fn a_document_is_read_back_and_cut() {
        let printer =
            SocketPrinter::start(SocketPrinter::ANY_LOCAL_PORT, 32, None).expect("listen");
        assert_ne!(printer.address().port(), 0);
        let mut connection = connect(&printer);
        let sent = document("Hello shop");
        connection.write_all(&sent).expect("write");
        assert!(printer.wait_for_cuts(1, WAIT));
        assert_eq!(printer.received(), sent);
        assert_eq!(printer.connections(), 1);
        let emulator = printer.emulator();
        assert!(emulator.unknown_commands().is_empty());
        assert!(emulator.documents()[0].text().starts_with("Hello shop\n"));
    }

    #[test]
    fn status_is_answered_on_the_connection_and_not_by_a_silent_printer() {
        let answering = SocketPrinter::start(
            SocketPrinter::ANY_LOCAL_PORT,
            32,
            Some(StatusAnswers::READY),
        )
        .expect("listen");
        let mut connection = connect(&answering);
        connection.write_all(b"\x10\x04\x01").expect("query");
        assert_eq!(read_answers(&mut connection, 1), [0x12]);
        answering.set_status(Some(StatusAnswers::PAPER_OUT));
        connection
            .write_all(b"\x10\x04\x01\x10\x04\x04")
            .expect("query");
        assert_eq!(read_answers(&mut connection, 2), [0x1A, 0x7E]);

        let silent = SocketPrinter::start(SocketPrinter::ANY_LOCAL_PORT, 32, None).expect("listen");
        let mut connection = connect(&silent);
        connection.write_all(b"\x10\x04\x04").expect("query");
        // Once the printer has read the query its answer, if any, is decided; an answer to
        // the next query, sent with paper out, shows whether one came before it.
        assert!(wait_until(|| silent.received().len() == 3));
        silent.set_status(Some(StatusAnswers::PAPER_OUT));
        connection.write_all(b"\x10\x04\x04").expect("query");
        assert_eq!(
            read_answers(&mut connection, 1),
            [StatusAnswers::PAPER_OUT.paper],
            "the silent printer answered"
        );
    }

    #[test]
    fn a_connection_dropped_mid_document_loses_the_rest_and_the_next_prints_whole() {
        let printer =
            SocketPrinter::start(SocketPrinter::ANY_LOCAL_PORT, 32, None).expect("listen");
        printer.drop_connection_after(10);
        let lost = document("Lost in the middle");
        let mut first = connect(&printer);
        // The printer may close before all is written: the error is what a host would see.
        let _ = first.write_all(&lost);
        assert!(
            closed_by_printer(&mut first),
            "the connection was not dropped"
        );
        assert_eq!(printer.received(), lost[..10]);
        assert_eq!(printer.emulator().cuts(), 0);

        let whole = document("Printed whole");
        let mut second = connect(&printer);
        second.write_all(&whole).expect("write");
        assert!(printer.wait_for_cuts(1, WAIT));
        assert_eq!(printer.received(), [&lost[..10], &whole[..]].concat());
        assert_eq!(printer.connections(), 2);
        let documents = printer.emulator().documents();
        assert!(
            documents[0].text().contains("Printed whole"),
            "{}",
            documents[0].text()
        );
    }

    #[test]
    fn a_second_connection_waits_until_the_first_is_closed() {
        let printer =
            SocketPrinter::start(SocketPrinter::ANY_LOCAL_PORT, 32, None).expect("listen");
        let mut first = connect(&printer);
        assert!(wait_until(|| printer.connections() == 1));
        let waiting = document("Second");
        let mut second = connect(&printer);
        second.write_all(&waiting).expect("write");
        let served = document("First");
        first.write_all(&served).expect("write");
        assert!(printer.wait_for_cuts(1, WAIT));
        assert_eq!(printer.received(), served, "the second was read meanwhile");
        assert_eq!(printer.connections(), 1);

        drop(first);
        assert!(printer.wait_for_cuts(2, WAIT));
        assert_eq!(printer.received(), [served, waiting].concat());
        assert_eq!(printer.connections(), 2);
    }

    #[test]
    fn switched_off_it_refuses_connections_and_switched_on_it_listens_on_the_same_port() {
        let printer =
            SocketPrinter::start(SocketPrinter::ANY_LOCAL_PORT, 32, None).expect("listen");
        let address = printer.address();
        let mut open = connect(&printer);
        assert!(wait_until(|| printer.connections() == 1));

        printer.switch_off();
        assert!(closed_by_printer(&mut open), "the open connection stayed");
        let refused = TcpStream::connect(address).map(|_| ());
        assert_eq!(
            refused.map_err(|error| error.kind()),
            Err(ErrorKind::ConnectionRefused)
        );

        printer.switch_on().expect("listen again");
        assert_eq!(printer.address(), address);
        let mut again = connect(&printer);
        let sent = document("Back on");
        again.write_all(&sent).expect("write");
        assert!(printer.wait_for_cuts(1, WAIT));
        assert_eq!(printer.received(), sent);
        assert_eq!(printer.connections(), 2);
    }
}
