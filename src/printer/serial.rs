//! The serial printer: RS-232 or USB-serial, at the configured baud rate and flow control.
//!
//! Documents go out in small chunks, each drained before the next, so a slow printer is never
//! handed more than it can buffer and a stalled one (paper out under RTS/CTS) fails one chunk
//! with a timeout instead of hanging the queue. Status comes from `DLE EOT`, with a short
//! timeout, since many cheap printers never answer it.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::Duration;

use serialport::{ClearBuffer, SerialPort};

use super::status::{STATUS_TIMEOUT, StatusLink, read_status};
use super::{PrintError, PrinterPort, PrinterStatus};

/// Baud rates serial thermal printers are sold with.
pub const BAUD_RATES: [u32; 6] = [9600, 19200, 38400, 57600, 115200, 230400];

/// How the printer says "wait" when its buffer fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FlowControl {
    None,
    /// XON/XOFF bytes in the data.
    Software,
    /// The RTS/CTS lines.
    Hardware,
}

/// Bytes written before waiting for them to leave.
const CHUNK: usize = 256;

pub struct SerialPrinter {
    device: PathBuf,
    baud: u32,
    flow_control: FlowControl,
    port: Option<Box<dyn SerialPort>>,
}

impl SerialPrinter {
    pub fn new(device: PathBuf, baud: u32, flow_control: FlowControl) -> SerialPrinter {
        SerialPrinter {
            device,
            baud,
            flow_control,
            port: None,
        }
    }

    /// How long one chunk may take: its time on the wire at this baud rate (10 bits a byte),
    /// four times over, plus time for a printer busy cutting.
    fn chunk_timeout(&self) -> Duration {
        let wire = Duration::from_micros(CHUNK as u64 * 10 * 1_000_000 / u64::from(self.baud));
        wire * 4 + Duration::from_secs(2)
    }

    fn port(&mut self) -> Result<&mut Box<dyn SerialPort>, String> {
        if self.port.is_none() {
            let path = self.device.to_string_lossy();
            let port = serialport::new(path.as_ref(), self.baud)
                .flow_control(match self.flow_control {
                    FlowControl::None => serialport::FlowControl::None,
                    FlowControl::Software => serialport::FlowControl::Software,
                    FlowControl::Hardware => serialport::FlowControl::Hardware,
                })
                .timeout(self.chunk_timeout())
                .open()
                .map_err(|error| open_failure(&self.device, error))?;
            self.port = Some(port);
        }
        self.port
            .as_mut()
            .ok_or_else(|| "the port closed".to_string())
    }

    /// Writes `bytes` a chunk at a time, each drained before the next; a failure says whether
    /// part of the document had left.
    fn write_all_drained(&mut self, bytes: &[u8]) -> Result<(), (String, bool)> {
        let port = self.port().map_err(|reason| (reason, false))?;
        for (index, chunk) in bytes.chunks(CHUNK).enumerate() {
            port.write_all(chunk)
                .and_then(|()| port.flush())
                .map_err(|error| {
                    let reason = match error.kind() {
                        std::io::ErrorKind::TimedOut => "the printer stopped taking data (paper out, cover open or flow control wiring?)".to_string(),
                        _ => error.to_string(),
                    };
                    (reason, index > 0)
                })?;
        }
        Ok(())
    }
}

impl StatusLink for SerialPrinter {
    fn ask(&mut self, n: u8) -> Result<Option<u8>, String> {
        let chunk_timeout = self.chunk_timeout();
        let port = self.port()?;
        let failed = |error: &dyn std::fmt::Display| format!("status query: {error}");
        port.clear(ClearBuffer::Input).map_err(|e| failed(&e))?;
        port.write_all(&[0x10, 0x04, n]).map_err(|e| failed(&e))?;
        port.flush().map_err(|e| failed(&e))?;
        port.set_timeout(STATUS_TIMEOUT).map_err(|e| failed(&e))?;
        let mut answer = [0u8; 1];
        let read = port.read(&mut answer);
        port.set_timeout(chunk_timeout).map_err(|e| failed(&e))?;
        match read {
            Ok(1) => Ok(Some(answer[0])),
            Ok(_) => Ok(None),
            Err(error) if error.kind() == std::io::ErrorKind::TimedOut => Ok(None),
            Err(error) => Err(failed(&error)),
        }
    }
}

impl PrinterPort for SerialPrinter {
    fn describe(&self) -> String {
        format!("{} at {} baud", self.device.display(), self.baud)
    }

    fn present(&mut self) -> bool {
        self.device.exists()
    }

    fn status(&mut self) -> PrinterStatus {
        match read_status(self) {
            Ok(status) => status,
            Err(reason) => {
                // A port that failed once is reopened next time: a USB adapter that came back
                // is a new device behind the same name.
                self.port = None;
                PrinterStatus::Unreachable(reason)
            }
        }
    }

    fn send(&mut self, _name: &str, bytes: &[u8]) -> Result<(), PrintError> {
        self.write_all_drained(bytes).map_err(|(reason, torn)| {
            self.port = None;
            PrintError::sending(&self.device.display(), reason, torn)
        })
    }
}

fn open_failure(device: &std::path::Path, error: serialport::Error) -> String {
    let what = match error.kind() {
        // serialport reports a port another program holds (TIOCEXCL, flock) as NoDevice.
        serialport::ErrorKind::NoDevice => {
            "in use by another program (the kiosk service? `systemctl stop paycode-kiosk` frees it)"
        }
        serialport::ErrorKind::Io(std::io::ErrorKind::NotFound) => {
            "no such device (is the printer plugged in and on?)"
        }
        serialport::ErrorKind::Io(std::io::ErrorKind::PermissionDenied) => {
            "permission denied (the kiosk user must be in the dialout group)"
        }
        _ => "",
    };
    if what.is_empty() {
        format!("{}: {error}", device.display())
    } else {
        format!("{}: {what}", device.display())
    }
}
