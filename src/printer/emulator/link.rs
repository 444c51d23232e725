//! The virtual printer as a device, whichever link brings it bytes (`pty` a pseudo-terminal,
//! `socket` a TCP port): the emulator, every byte received, the controls tests and the
//! `virtual-printer` command use, and the thread that reads the link until it is told to stop.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::{Emulator, StatusAnswers};
use crate::sync::lock;

/// How long a link's thread waits for bytes before it looks at its stop flag again: what
/// stopping a virtual printer may take.
pub(in crate::printer) const QUIET_WAIT: Duration = Duration::from_millis(20);

/// The printer's side of a link. `PtyPrinter` and `SocketPrinter` dereference to it, so their
/// controls are these whichever link a test uses.
pub struct VirtualPrinter {
    emulator: Mutex<Emulator>,
    received: Mutex<Vec<u8>>,
}

impl VirtualPrinter {
    /// A printer `columns` characters wide answering status queries with `status`, or silent.
    pub(in crate::printer) fn new(columns: usize, status: Option<StatusAnswers>) -> VirtualPrinter {
        VirtualPrinter {
            emulator: Mutex::new(Emulator::new(columns, status)),
            received: Mutex::new(Vec::new()),
        }
    }

    /// What the printer answers from now on; `None` answers nothing.
    pub fn set_status(&self, status: Option<StatusAnswers>) {
        self.emulator().set_status(status);
    }

    /// Every byte received so far. A byte is here only once the emulator has read it.
    pub fn received(&self) -> Vec<u8> {
        lock(&self.received).clone()
    }

    pub fn emulator(&self) -> MutexGuard<'_, Emulator> {
        lock(&self.emulator)
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

    /// Reads `bytes` as they came off the link and gives the status answers to send back.
    pub(in crate::printer) fn take_in(&self, bytes: &[u8]) -> Vec<u8> {
        let mut emulator = self.emulator();
        emulator.feed(bytes);
        // Recorded under the emulator's lock, after it has read them: a test that sees its
        // bytes in `received` knows any answer to them is decided.
        lock(&self.received).extend_from_slice(bytes);
        emulator.take_replies()
    }
}

/// The thread reading one link. Dropping it tells the thread to stop and waits for it, so
/// that what the thread holds (a port, a listener, a connection) is closed when the drop
/// returns.
pub(in crate::printer) struct LinkThread {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl LinkThread {
    /// Runs `read` on a thread named `name`. `read` returns once the flag it is given is set,
    /// within about `QUIET_WAIT`.
    pub(in crate::printer) fn spawn(
        name: &str,
        read: impl FnOnce(&AtomicBool) + Send + 'static,
    ) -> io::Result<LinkThread> {
        let stop = Arc::new(AtomicBool::new(false));
        let thread_stop = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || read(&thread_stop))?;
        Ok(LinkThread {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for LinkThread {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
