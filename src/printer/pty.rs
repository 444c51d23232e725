//! The virtual printer behind a pseudo-terminal: the terminal's real serial code opens the
//! pty's device path as it would a printer's, and the emulator on the other end reads the
//! bytes and answers status queries. Tests use it; so can a technician without a printer
//! (`paycode-kiosk virtual-printer`).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serialport::{SerialPort, TTYPort};

use super::emulator::{Emulator, StatusAnswers};
use crate::sync::lock;

pub struct PtyPrinter {
    path: PathBuf,
    shared: Arc<Shared>,
    reader: Option<JoinHandle<()>>,
    /// The terminal end held open, as a printer's cable is always there: when the last
    /// process using a pty closes it, the kernel may drop what the printer end has not read
    /// yet (seen here when a short command printed and exited at once).
    _terminal_end: std::fs::File,
}

struct Shared {
    emulator: Mutex<Emulator>,
    received: Mutex<Vec<u8>>,
    stop: AtomicBool,
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
        printer_end
            .set_timeout(Duration::from_millis(20))
            .map_err(std::io::Error::from)?;
        let shared = Arc::new(Shared {
            emulator: Mutex::new(Emulator::new(columns, status)),
            received: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
        });
        let reader_shared = Arc::clone(&shared);
        let reader = std::thread::Builder::new()
            .name("virtual-printer".into())
            .spawn(move || read_loop(printer_end, &reader_shared))?;
        Ok(PtyPrinter {
            path,
            shared,
            reader: Some(reader),
            _terminal_end: held_open,
        })
    }

    /// The device path to configure as the printer.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn set_status(&self, status: Option<StatusAnswers>) {
        self.emulator().set_status(status);
    }

    /// Every byte received so far.
    pub fn received(&self) -> Vec<u8> {
        lock(&self.shared.received).clone()
    }

    pub fn emulator(&self) -> MutexGuard<'_, Emulator> {
        lock(&self.shared.emulator)
    }

    /// Waits until `count` documents have been cut, or `timeout` passes.
    pub fn wait_for_cuts(&self, count: usize, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if self.emulator().cuts() >= count {
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        self.emulator().cuts() >= count
    }
}

impl Drop for PtyPrinter {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
    }
}

fn read_loop(mut port: TTYPort, shared: &Shared) {
    let mut buffer = [0u8; 1024];
    while !shared.stop.load(Ordering::Relaxed) {
        match port.read(&mut buffer) {
            Ok(0) => {}
            Ok(n) => {
                lock(&shared.received).extend_from_slice(&buffer[..n]);
                let replies = {
                    let mut emulator = lock(&shared.emulator);
                    emulator.feed(&buffer[..n]);
                    emulator.take_replies()
                };
                if !replies.is_empty() {
                    let _ = port.write_all(&replies).and_then(|()| port.flush());
                }
            }
            Err(error) if error.kind() == std::io::ErrorKind::TimedOut => {}
            // With no process holding the terminal end the master reads EIO; wait for one.
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}
