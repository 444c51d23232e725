//! The virtual printer behind a pseudo-terminal: the terminal's real serial code opens the
//! pty's device path as it would a printer's, and the emulator on the other end reads the
//! bytes and answers status queries. Tests use it; so can a technician without a printer
//! (`paycode-kiosk virtual-printer`).

use std::fs::File;
use std::io::{Read, Write};
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serialport::{SerialPort, TTYPort};

use super::emulator::{LinkThread, QUIET_WAIT, StatusAnswers, VirtualPrinter};

pub struct PtyPrinter {
    path: PathBuf,
    printer: Arc<VirtualPrinter>,
    _reader: LinkThread,
    /// The terminal end held open, as a printer's cable is always there: when the last
    /// process using a pty closes it, the kernel may drop what the printer end has not read
    /// yet (seen here when a short command printed and exited at once).
    _terminal_end: File,
}

impl PtyPrinter {
    /// Opens a pty pair and starts reading its printer end.
    pub fn start(columns: usize, status: Option<StatusAnswers>) -> std::io::Result<PtyPrinter> {
        let (mut printer_end, terminal_end) = TTYPort::pair().map_err(std::io::Error::from)?;
        let path = terminal_end
            .name()
            .map(PathBuf::from)
            .ok_or_else(|| std::io::Error::other("the pty has no device path"))?;
        // The terminal side is opened again by path, as a real printer's would be.
        drop(terminal_end);
        let held_open = {
            use std::os::unix::fs::OpenOptionsExt;
            std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .custom_flags(libc::O_NOCTTY)
                .open(&path)?
        };
        make_raw(&held_open)?;
        printer_end
            .set_timeout(QUIET_WAIT)
            .map_err(std::io::Error::from)?;
        let printer = Arc::new(VirtualPrinter::new(columns, status));
        let reader_printer = Arc::clone(&printer);
        let reader = LinkThread::spawn("virtual-printer", move |stop| {
            read_loop(printer_end, &reader_printer, stop)
        })?;
        Ok(PtyPrinter {
            path,
            printer,
            _reader: reader,
            _terminal_end: held_open,
        })
    }

    /// The device path to configure as the printer.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Deref for PtyPrinter {
    type Target = VirtualPrinter;

    fn deref(&self) -> &VirtualPrinter {
        &self.printer
    }
}

/// Puts the pty in raw mode, for every process that opens it after. A cooked terminal would
/// turn the host's LF into CR LF, echo the printer's status answers back to it, and hold them
/// until a line ends. Serial code sets raw mode itself when it opens the path; a USB
/// printer-class transport opens it as a plain file and sets nothing. serialport's `pair`
/// happens to leave the pty raw too (4.10), but does not promise to: set here, it is this
/// printer's own guarantee.
fn make_raw(terminal: &File) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    let fd = terminal.as_raw_fd();
    let mut settings = std::mem::MaybeUninit::<libc::termios>::uninit();
    // SAFETY: `fd` is an open terminal while `terminal` is borrowed, and tcgetattr fills the
    // whole termios it is pointed at when it succeeds, the only case read.
    let mut settings = unsafe {
        if libc::tcgetattr(fd, settings.as_mut_ptr()) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        settings.assume_init()
    };
    // SAFETY: cfmakeraw only changes flags of the termios it is given; tcsetattr only reads
    // it, for the same open terminal as above.
    let set = unsafe {
        libc::cfmakeraw(&mut settings);
        libc::tcsetattr(fd, libc::TCSANOW, &settings)
    };
    if set != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

fn read_loop(mut port: TTYPort, printer: &VirtualPrinter, stop: &AtomicBool) {
    let mut buffer = [0u8; 1024];
    while !stop.load(Ordering::Relaxed) {
        match port.read(&mut buffer) {
            Ok(0) => {}
            Ok(n) => {
                let replies = printer.take_in(&buffer[..n]);
                if !replies.is_empty() {
                    let _ = port.write_all(&replies).and_then(|()| port.flush());
                }
            }
            Err(error) if error.kind() == std::io::ErrorKind::TimedOut => {}
            // With no process holding the terminal end the master reads EIO; wait for one.
            Err(_) => std::thread::sleep(QUIET_WAIT),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::os::fd::AsRawFd;
    use std::time::{Duration, Instant};

    use super::*;

    const WAIT: Duration = Duration::from_secs(5);

    /// Reads what `file` has within `timeout`, waiting with poll(2) so that a test of a
    /// printer that does not answer ends instead of hanging.
    fn read_within(file: &mut File, timeout: Duration) -> Vec<u8> {
        let deadline = Instant::now() + timeout;
        let mut got = Vec::new();
        while got.is_empty() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            let mut ready = libc::pollfd {
                fd: file.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            let millis = libc::c_int::try_from(left.as_millis()).unwrap_or(libc::c_int::MAX);
            // SAFETY: one pollfd, valid for the call, for a descriptor `file` keeps open.
            let polled = unsafe { libc::poll(&mut ready, 1, millis) };
            if polled > 0 {
                let mut buffer = [0u8; 64];
                let n = file.read(&mut buffer).expect("read the answer");
                got.extend_from_slice(&buffer[..n]);
            }
        }
        got
    }

    #[test]
    fn a_plain_file_opener_sends_and_reads_bytes_unchanged() {
        let printer = PtyPrinter::start(32, Some(StatusAnswers::PAPER_OUT)).expect("pty");
        // As a USB printer-class device is opened: a plain file, no terminal settings.
        let mut device = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(printer.path())
            .expect("open the pty as a file");
        // Line ends both ways, code-page letters above 0x7F (PC858: é, £, ß), the control
        // characters a cooked terminal acts on (^C, ^D, ^Q, ^S, ^R, DEL), then a cut and a
        // status query.
        let mut receipt = b"\x1b@\x1bt\x13Caf\x82 \x9c5\r\n".to_vec();
        receipt.extend(b"Stra\xe1e\n\x03\x04\x11\x13\x12\x7f\n");
        receipt.extend(b"\x1dVA\x00");
        receipt.extend(b"\x10\x04\x01");
        device.write_all(&receipt).expect("write");

        let answer = read_within(&mut device, WAIT);
        assert_eq!(answer, [StatusAnswers::PAPER_OUT.printer], "status answer");
        assert_eq!(printer.received(), receipt, "the bytes at the printer");
        assert!(printer.wait_for_cuts(1, WAIT));
        let text = printer.emulator().documents()[0].text();
        assert!(text.starts_with("Café £5\nStraße\n"), "{text}");
    }
}
