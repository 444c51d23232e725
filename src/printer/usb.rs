//! The USB printer-class printer (`/dev/usb/lp*`, the kernel's `usblp`): most cheap 58 mm
//! printers plug in so. The device is a plain file: documents are written in chunks, each
//! given a deadline, so a printer that stopped taking data fails the document instead of
//! hanging the queue; status is `DLE EOT` written and read back through the same file, and a
//! printer whose USB side only takes data (many do) is "connected, status unknown".

use std::fs::File;
use std::io::{ErrorKind, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::status::{STATUS_TIMEOUT, StatusLink, read_status};
use super::{PrintError, PrinterPort, PrinterStatus};

/// Bytes written before waiting for the printer to take them.
const CHUNK: usize = 512;
/// How long the printer may take over one chunk (a cut, a long raster image).
const CHUNK_DEADLINE: Duration = Duration::from_secs(5);

pub struct UsbPrinter {
    device: PathBuf,
    file: Option<File>,
}

impl UsbPrinter {
    pub fn new(device: PathBuf) -> UsbPrinter {
        UsbPrinter { device, file: None }
    }

    fn file(&mut self) -> Result<&mut File, String> {
        if self.file.is_none() {
            // Non-blocking, so every wait below has a deadline; no controlling terminal, in
            // case the name is a pseudo-terminal's (the tests' printer).
            let file = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
                .open(&self.device)
                .map_err(|error| open_failure(&error))?;
            self.file = Some(file);
        }
        self.file
            .as_mut()
            .ok_or_else(|| "the device closed".to_string())
    }

    /// Writes `bytes`; a failure says whether part of the document had left.
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), (String, bool)> {
        let file = self.file().map_err(|reason| (reason, false))?;
        let mut written = 0;
        for chunk in bytes.chunks(CHUNK) {
            let deadline = Instant::now() + CHUNK_DEADLINE;
            let mut rest = chunk;
            while !rest.is_empty() {
                match file.write(rest) {
                    Ok(0) => return Err(("the printer took nothing".into(), written > 0)),
                    Ok(n) => {
                        rest = &rest[n..];
                        written += n;
                    }
                    Err(error) if error.kind() == ErrorKind::WouldBlock => {
                        let left = deadline.saturating_duration_since(Instant::now());
                        if left.is_zero() || !wait_for(file, libc::POLLOUT, left) {
                            return Err((
                                "the printer stopped taking data (paper out or cover open?)".into(),
                                written > 0,
                            ));
                        }
                    }
                    Err(error) if error.kind() == ErrorKind::Interrupted => {}
                    Err(error) => return Err((write_failure(&error), written > 0)),
                }
            }
        }
        Ok(())
    }
}

impl StatusLink for UsbPrinter {
    fn ask(&mut self, n: u8) -> Result<Option<u8>, String> {
        let file = self.file()?;
        drain(file);
        if let Err(error) = file.write_all(&[0x10, 0x04, n]) {
            return match error.kind() {
                // The previous document is still going out: nothing to say now.
                ErrorKind::WouldBlock => Ok(None),
                _ => Err(format!("status query: {}", write_failure(&error))),
            };
        }
        if !wait_for(file, libc::POLLIN, STATUS_TIMEOUT) {
            return Ok(None);
        }
        let mut answer = [0u8; 1];
        match file.read(&mut answer) {
            Ok(1) => Ok(Some(answer[0])),
            // usblp refuses reads from a printer whose USB side only takes data.
            Ok(_) => Ok(None),
            Err(error)
                if matches!(
                    error.kind(),
                    ErrorKind::WouldBlock | ErrorKind::InvalidInput
                ) =>
            {
                Ok(None)
            }
            Err(error) => Err(format!("status query: {error}")),
        }
    }
}

impl PrinterPort for UsbPrinter {
    fn describe(&self) -> String {
        self.device.display().to_string()
    }

    fn present(&mut self) -> bool {
        self.device.exists()
    }

    fn status(&mut self) -> PrinterStatus {
        match read_status(self) {
            Ok(status) => status,
            Err(reason) => {
                // Unplugged and plugged back is a new device behind the name: open it afresh.
                self.file = None;
                PrinterStatus::Unreachable(format!("{}: {reason}", self.device.display()))
            }
        }
    }

    fn send(&mut self, _name: &str, bytes: &[u8]) -> Result<(), PrintError> {
        self.write_all(bytes).map_err(|(reason, torn)| {
            self.file = None;
            PrintError::sending(&self.device.display(), reason, torn)
        })
    }
}

/// Waits up to `timeout` for `events` on `file`.
fn wait_for(file: &File, events: libc::c_short, timeout: Duration) -> bool {
    let mut poll = libc::pollfd {
        fd: file.as_raw_fd(),
        events,
        revents: 0,
    };
    let millis = libc::c_int::try_from(timeout.as_millis()).unwrap_or(libc::c_int::MAX);
    // SAFETY: one valid pollfd for the duration of the call.
    let ready = unsafe { libc::poll(&mut poll, 1, millis) };
    ready > 0 && poll.revents & events != 0
}

/// Throws away whatever the printer said before this question.
fn drain(file: &mut File) {
    let mut stale = [0u8; 64];
    while matches!(file.read(&mut stale), Ok(n) if n > 0) {}
}

fn open_failure(error: &std::io::Error) -> String {
    match error.raw_os_error() {
        Some(libc::ENOENT) | Some(libc::ENODEV) | Some(libc::ENXIO) => {
            "no such device (is the printer plugged in and on?)".into()
        }
        Some(libc::EACCES) | Some(libc::EPERM) => {
            "permission denied (the kiosk user must be in the lp group)".into()
        }
        Some(libc::EBUSY) => {
            "in use by another program (the kiosk service? `systemctl stop paycode-kiosk` frees it)"
                .into()
        }
        _ => error.to_string(),
    }
}

fn write_failure(error: &std::io::Error) -> String {
    match error.raw_os_error() {
        // usblp's answer to a printer that reports its paper out.
        Some(libc::ENOSPC) => "out of paper (the printer says so)".into(),
        Some(libc::ENODEV) | Some(libc::EIO) | Some(libc::ENXIO) => {
            "the printer went away (unplugged or switched off?)".into()
        }
        _ => error.to_string(),
    }
}
