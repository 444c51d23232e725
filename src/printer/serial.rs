//! The serial printer: RS-232 or USB-serial, at the configured baud rate and flow control.
//!
//! Documents go out in small chunks, each drained before the next, so a slow printer is never
//! handed more than it can buffer and a stalled one (paper out under RTS/CTS) fails one chunk
//! with a timeout instead of hanging the queue. Status comes from `DLE EOT`, with a short
//! timeout, since many cheap printers never answer it.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::Duration;

use escpos::utils::{RealTimeStatusRequest, RealTimeStatusResponse};
use serialport::{ClearBuffer, SerialPort};

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
/// How long a printer gets to answer a status query.
const STATUS_TIMEOUT: Duration = Duration::from_millis(300);

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

    /// Asks `DLE EOT n`; `None` when the printer stays silent.
    fn query(&mut self, request: RealTimeStatusRequest) -> Result<Option<u8>, String> {
        let (n, _) = request.into();
        let chunk_timeout = self.chunk_timeout();
        let port = self.port()?;
        let io = |error: std::io::Error| format!("status query: {error}");
        port.clear(ClearBuffer::Input)
            .map_err(|error| format!("status query: {error}"))?;
        port.write_all(&[0x10, 0x04, n]).map_err(io)?;
        port.flush().map_err(io)?;
        port.set_timeout(STATUS_TIMEOUT)
            .map_err(|error| format!("status query: {error}"))?;
        let mut answer = [0u8; 1];
        let read = port.read(&mut answer);
        let restored = port.set_timeout(chunk_timeout);
        restored.map_err(|error| format!("status query: {error}"))?;
        match read {
            Ok(1) => Ok(Some(answer[0])),
            Ok(_) => Ok(None),
            Err(error) if error.kind() == std::io::ErrorKind::TimedOut => Ok(None),
            Err(error) => Err(io(error)),
        }
    }

    fn read_status(&mut self) -> Result<PrinterStatus, String> {
        let flags = |request: RealTimeStatusRequest, byte: u8| {
            RealTimeStatusResponse::parse(request, byte).ok()
        };
        let Some(printer) = self.query(RealTimeStatusRequest::Printer)? else {
            return Ok(PrinterStatus::NotAnswering);
        };
        let Some(printer) = flags(RealTimeStatusRequest::Printer, printer) else {
            return Ok(PrinterStatus::NotAnswering);
        };
        let paper = match self.query(RealTimeStatusRequest::RollPaperSensor)? {
            Some(byte) => flags(RealTimeStatusRequest::RollPaperSensor, byte),
            None => None,
        };
        let paper_flag = |flag: RealTimeStatusResponse| {
            paper
                .as_ref()
                .and_then(|paper| paper.get(&flag).copied())
                .unwrap_or(true)
        };
        if !paper_flag(RealTimeStatusResponse::RollPaperEndSensorPaperPresent) {
            return Ok(PrinterStatus::PaperOut);
        }
        if printer.get(&RealTimeStatusResponse::Online) == Some(&false) {
            let cause = match self.query(RealTimeStatusRequest::OfflineCause)? {
                Some(byte) => flags(RealTimeStatusRequest::OfflineCause, byte),
                None => None,
            };
            let cause_flag =
                |flag| cause.as_ref().and_then(|c| c.get(&flag).copied()) == Some(true);
            return Ok(
                if cause_flag(RealTimeStatusResponse::PrintingStopsDueToPaperEnd) {
                    PrinterStatus::PaperOut
                } else if cause.is_some() && !cause_flag(RealTimeStatusResponse::CoverClosed) {
                    PrinterStatus::CoverOpen
                } else {
                    PrinterStatus::Offline
                },
            );
        }
        if !paper_flag(RealTimeStatusResponse::RollPaperNearEndSensorPaperAdequate) {
            return Ok(PrinterStatus::PaperLow);
        }
        Ok(PrinterStatus::Ready)
    }

    fn write_all_drained(&mut self, bytes: &[u8]) -> Result<(), String> {
        let port = self.port()?;
        for chunk in bytes.chunks(CHUNK) {
            port.write_all(chunk)
                .and_then(|()| port.flush())
                .map_err(|error| match error.kind() {
                    std::io::ErrorKind::TimedOut => {
                        "the printer stopped taking data (paper out, cover open or flow control wiring?)".to_string()
                    }
                    _ => error.to_string(),
                })?;
        }
        Ok(())
    }
}

impl PrinterPort for SerialPrinter {
    fn describe(&self) -> String {
        format!("{} at {} baud", self.device.display(), self.baud)
    }

    fn present(&self) -> bool {
        self.device.exists()
    }

    fn status(&mut self) -> PrinterStatus {
        match self.read_status() {
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
        self.write_all_drained(bytes).map_err(|reason| {
            self.port = None;
            PrintError::Transport(format!("{}: {reason}", self.device.display()))
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

/// The serial ports a receipt printer may be plugged into, by the names that last: each USB
/// adapter by its id (`/dev/serial/by-id/...`, the same after a reboot or another port), then
/// the ports no id names (the board's UART, adapters without a serial number). A port is listed
/// once, under its lasting name where it has one.
pub fn plugged_in() -> Vec<std::path::PathBuf> {
    let listed = |folder: &str, keep: &dyn Fn(&str) -> bool| -> Vec<std::path::PathBuf> {
        let mut found: Vec<_> = std::fs::read_dir(folder)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|entry| entry.file_name().to_str().is_some_and(keep))
            .map(|entry| entry.path())
            .collect();
        found.sort();
        found
    };
    let mut ports = listed("/dev/serial/by-id", &|_| true);
    let mut named: Vec<_> = ports
        .iter()
        .filter_map(|port| std::fs::canonicalize(port).ok())
        .collect();
    for port in listed("/dev", &|name| {
        ["ttyUSB", "ttyACM"]
            .iter()
            .any(|prefix| name.starts_with(prefix))
            || name == "serial0"
            || name == "serial1"
    }) {
        let device = std::fs::canonicalize(&port).unwrap_or_else(|_| port.clone());
        if !named.contains(&device) {
            named.push(device);
            ports.push(port);
        }
    }
    ports
}
