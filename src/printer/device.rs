//! Where the printer is: the forms `[printer] device` accepts, and the printers plugged into
//! this machine right now.
//!
//! A path is read by its name (`/dev/usb/lp*` is a USB printer-class device, `/dev/tty*`,
//! `/dev/serial/*` and `/dev/rfcomm*` are serial); a name of the shop's own (a udev symlink) is
//! a USB printer if it points at one now and serial otherwise, and `serial:` or `usb:` says
//! which for certain.

use std::fmt;
use std::path::{Path, PathBuf};

/// The forms `device` accepts, for every message that refuses one.
pub const ACCEPTED_FORMS: &str = "\"auto\" (the one printer plugged in), a serial port (\"/dev/ttyUSB0\", \"/dev/serial/by-id/...\", \"/dev/ttyAMA0\", Bluetooth \"/dev/rfcomm0\"), a USB printer (\"/dev/usb/lp0\"), a network printer (\"tcp://192.168.1.50\" or \"tcp://HOST:PORT\", port 9100 by default), \"serial:PATH\" or \"usb:PATH\" for a device under another name, or \"virtual\" (receipts saved as files)";

/// The port network receipt printers listen on (the "raw" or "JetDirect" port).
pub const DEFAULT_NETWORK_PORT: u16 = 9100;

/// Where receipts go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrinterDevice {
    /// A serial port: RS-232, a USB-serial adapter, the board's UART, Bluetooth SPP.
    Serial(PathBuf),
    /// A USB printer-class device (the kernel's `usblp`), written as a file.
    Usb(PathBuf),
    /// A network printer's raw TCP port.
    Network { host: String, port: u16 },
    /// The one printer found in these places, found again when it is plugged back.
    Auto(SearchPlaces),
    /// The virtual printer: a PNG and a text file for each receipt, in this folder.
    Virtual(PathBuf),
}

impl PrinterDevice {
    /// Reads `device` as the configuration gives it; `virtual_folder` is where the virtual
    /// printer saves receipts.
    pub fn parse(device: &str, virtual_folder: &Path) -> Result<PrinterDevice, String> {
        let refusal =
            |why: &str| format!("[printer] device \"{device}\" {why}; use {ACCEPTED_FORMS}");
        let refuse = |why: &str| Err(refusal(why));
        let device_text = device.trim();
        if device_text.is_empty() {
            return refuse("is empty");
        }
        if device_text == "auto" {
            return Ok(PrinterDevice::Auto(SearchPlaces::system()));
        }
        if device_text == "virtual" {
            return Ok(PrinterDevice::Virtual(virtual_folder.to_path_buf()));
        }
        if let Some(address) = device_text.strip_prefix("tcp://") {
            return match parse_network_address(address.trim_end_matches('/')) {
                Ok((host, port)) => Ok(PrinterDevice::Network { host, port }),
                Err(why) => refuse(&why),
            };
        }
        if let Some((scheme, _)) = device_text.split_once("://") {
            return refuse(&format!(
                "is a {scheme}:// address the terminal cannot print to"
            ));
        }
        if let Some(path) = device_text.strip_prefix("serial:") {
            return absolute(path)
                .map(PrinterDevice::Serial)
                .or_else(|why| refuse(&why));
        }
        if let Some(path) = device_text.strip_prefix("usb:") {
            return absolute(path)
                .map(PrinterDevice::Usb)
                .or_else(|why| refuse(&why));
        }
        let path = absolute(device_text).map_err(|why| refusal(&why))?;
        let name = path.to_string_lossy();
        if is_usb_printer_name(&name) {
            Ok(PrinterDevice::Usb(path))
        } else if is_serial_name(&name) {
            Ok(PrinterDevice::Serial(path))
        } else if name.starts_with("/dev/") {
            // A name of the shop's own (a udev symlink): what it points at now says which kind;
            // otherwise serial, as every device was before USB and network printers.
            let target = std::fs::canonicalize(&path).unwrap_or_default();
            if is_usb_printer_name(&target.to_string_lossy()) {
                Ok(PrinterDevice::Usb(path))
            } else {
                Ok(PrinterDevice::Serial(path))
            }
        } else {
            refuse("is not a device (devices are under /dev)")
        }
    }

    /// The device node, for a printer that has one.
    pub fn path(&self) -> Option<&Path> {
        match self {
            PrinterDevice::Serial(path) | PrinterDevice::Usb(path) => Some(path),
            _ => None,
        }
    }

    /// The kind of connection, for people.
    pub fn kind(&self) -> &'static str {
        match self {
            PrinterDevice::Serial(path) if path.to_string_lossy().contains("rfcomm") => {
                "Bluetooth (serial)"
            }
            PrinterDevice::Serial(_) => "serial",
            PrinterDevice::Usb(_) => "USB printer",
            PrinterDevice::Network { .. } => "network",
            PrinterDevice::Auto(_) => "found by itself",
            PrinterDevice::Virtual(_) => "virtual",
        }
    }

    /// Whether the baud rate and flow control mean anything for it.
    pub fn is_serial(&self) -> bool {
        matches!(self, PrinterDevice::Serial(_) | PrinterDevice::Auto(_))
    }
}

impl fmt::Display for PrinterDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PrinterDevice::Serial(path) | PrinterDevice::Usb(path) => {
                write!(f, "{}", path.display())
            }
            PrinterDevice::Network { host, port } if host.contains(':') => {
                write!(f, "tcp://[{host}]:{port}")
            }
            PrinterDevice::Network { host, port } => write!(f, "tcp://{host}:{port}"),
            PrinterDevice::Auto(_) => f.write_str("auto"),
            PrinterDevice::Virtual(folder) => write!(f, "virtual printer in {}", folder.display()),
        }
    }
}

fn absolute(path: &str) -> Result<PathBuf, String> {
    let path = path.trim();
    if path.starts_with('/') {
        Ok(PathBuf::from(path))
    } else {
        Err("is not a full device path (it starts with /dev/)".into())
    }
}

/// `HOST`, `HOST:PORT`, `[IPv6]` or `[IPv6]:PORT`.
fn parse_network_address(address: &str) -> Result<(String, u16), String> {
    let (host, port) = if let Some(rest) = address.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or("has an IPv6 address without its closing ]")?;
        (host, after.strip_prefix(':'))
    } else if address.matches(':').count() > 1 {
        return Err("has an IPv6 address: write it in brackets, as tcp://[fd00::50]:9100".into());
    } else {
        match address.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (address, None),
        }
    };
    let host_ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '_'));
    if !host_ok {
        return Err("has no printer's address or host name after tcp://".into());
    }
    let port = match port {
        None => DEFAULT_NETWORK_PORT,
        Some(port) => match port.parse::<u16>() {
            Ok(port) if port > 0 => port,
            _ => {
                return Err(format!(
                    "has port \"{port}\", which is not a port number (1-65535; receipt printers use 9100)"
                ));
            }
        },
    };
    Ok((host.to_string(), port))
}

fn is_usb_printer_name(path: &str) -> bool {
    path.starts_with("/dev/usb/lp") || path.starts_with("/dev/usblp")
}

fn is_serial_name(path: &str) -> bool {
    // A pseudo-terminal is the virtual printer's (`paycode-kiosk virtual-printer`).
    [
        "/dev/tty",
        "/dev/serial",
        "/dev/rfcomm",
        "/dev/pts/",
        "/dev/cu.",
    ]
    .iter()
    .any(|prefix| path.starts_with(prefix))
}

/// Where printers plugged into this machine appear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchPlaces {
    /// USB-serial adapters and USB CDC printers by their lasting names (`/dev/serial/by-id`).
    pub serial_by_id: PathBuf,
    /// USB printer-class devices (`/dev/usb`, holding `lp0`, `lp1`, ...).
    pub usb: PathBuf,
    /// Where the rest live: Bluetooth (`rfcomm*`), serial ports without an id, the board's
    /// UART (`/dev`).
    pub dev: PathBuf,
}

impl SearchPlaces {
    pub fn system() -> SearchPlaces {
        SearchPlaces {
            serial_by_id: "/dev/serial/by-id".into(),
            usb: "/dev/usb".into(),
            dev: "/dev".into(),
        }
    }
}

/// A printer, or a port one may be on, seen on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub device: PrinterDevice,
    /// Whether it is surely something plugged in (a USB or Bluetooth device) rather than a
    /// port that is always there (the board's UART): `auto` only takes these.
    pub plugged: bool,
}

/// What is plugged in, by the names that last: USB-serial adapters by id, USB printers,
/// Bluetooth ports, then the serial ports no id names and the board's UART. Each device once.
pub fn plugged_in(places: &SearchPlaces) -> Vec<Found> {
    let listed = |folder: &Path, keep: &dyn Fn(&str) -> bool| -> Vec<PathBuf> {
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
    let mut found = Vec::new();
    let mut seen: Vec<PathBuf> = Vec::new();
    let mut add = |path: PathBuf, device: PrinterDevice, plugged: bool| {
        let real = std::fs::canonicalize(&path).unwrap_or(path);
        if !seen.contains(&real) {
            seen.push(real);
            found.push(Found { device, plugged });
        }
    };
    for port in listed(&places.serial_by_id, &|_| true) {
        add(port.clone(), PrinterDevice::Serial(port), true);
    }
    for printer in listed(&places.usb, &|name| name.starts_with("lp")) {
        add(printer.clone(), PrinterDevice::Usb(printer), true);
    }
    for port in listed(&places.dev, &|name| name.starts_with("rfcomm")) {
        add(port.clone(), PrinterDevice::Serial(port), true);
    }
    for port in listed(&places.dev, &|name| {
        ["ttyUSB", "ttyACM"]
            .iter()
            .any(|prefix| name.starts_with(prefix))
            || name == "serial0"
            || name == "serial1"
    }) {
        let plugged = port
            .file_name()
            .is_some_and(|name| name.to_string_lossy().starts_with("tty"));
        add(port.clone(), PrinterDevice::Serial(port), plugged);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<PrinterDevice, String> {
        PrinterDevice::parse(text, Path::new("/var/lib/paycode-kiosk/receipts"))
    }

    #[test]
    fn each_form_is_read_as_its_transport() {
        let serial = |p: &str| Ok(PrinterDevice::Serial(p.into()));
        assert_eq!(parse("/dev/ttyUSB0"), serial("/dev/ttyUSB0"));
        assert_eq!(
            parse("/dev/serial/by-id/usb-1a86_USB2.0-Ser_-if00-port0"),
            serial("/dev/serial/by-id/usb-1a86_USB2.0-Ser_-if00-port0")
        );
        assert_eq!(parse("/dev/rfcomm0"), serial("/dev/rfcomm0"));
        assert_eq!(parse("/dev/ttyAMA0"), serial("/dev/ttyAMA0"));
        assert_eq!(parse("serial:/dev/receipts"), serial("/dev/receipts"));
        // A symlink of the shop's own, as earlier versions took it.
        assert_eq!(
            parse("/dev/receipt-printer"),
            serial("/dev/receipt-printer")
        );
        assert_eq!(
            parse("/dev/usb/lp0"),
            Ok(PrinterDevice::Usb("/dev/usb/lp0".into()))
        );
        assert_eq!(
            parse("usb:/dev/pts/4"),
            Ok(PrinterDevice::Usb("/dev/pts/4".into()))
        );
        let network = |host: &str, port| {
            Ok(PrinterDevice::Network {
                host: host.into(),
                port,
            })
        };
        assert_eq!(
            parse("tcp://192.168.1.50:9100"),
            network("192.168.1.50", 9100)
        );
        assert_eq!(parse("tcp://192.168.1.50"), network("192.168.1.50", 9100));
        assert_eq!(
            parse("tcp://printer.local:9101/"),
            network("printer.local", 9101)
        );
        assert_eq!(parse("tcp://[fd00::50]:9100"), network("fd00::50", 9100));
        assert_eq!(
            parse("auto"),
            Ok(PrinterDevice::Auto(SearchPlaces::system()))
        );
        assert!(matches!(parse("virtual"), Ok(PrinterDevice::Virtual(_))));
    }

    #[test]
    fn a_form_it_does_not_understand_is_refused_with_the_forms_it_does() {
        for wrong in [
            "",
            "lp0",
            "COM3",
            "/home/shop/printer",
            "http://192.168.1.50",
            "tcp://",
            "tcp://192.168.1.50:0",
            "tcp://192.168.1.50:99999",
            "tcp://192.168.1.50:port",
            "tcp://fd00::50",
            "tcp://[fd00::50",
            "tcp://bad host",
            "usb:lp0",
            "serial:",
        ] {
            let message = parse(wrong).expect_err(wrong);
            assert!(message.contains("tcp://HOST:PORT"), "{wrong}: {message}");
            assert!(message.contains("/dev/usb/lp0"), "{wrong}: {message}");
        }
    }

    #[test]
    fn a_device_reads_back_as_it_is_written() {
        for text in [
            "/dev/ttyUSB0",
            "/dev/usb/lp1",
            "tcp://10.0.0.9:9100",
            "tcp://[fd00::50]:9100",
            "auto",
        ] {
            assert_eq!(
                parse(text).map(|device| device.to_string()),
                Ok(text.to_string())
            );
        }
    }

    #[test]
    fn what_is_plugged_in_is_listed_once_each_by_its_lasting_name() {
        let dev = tempfile::tempdir().expect("temp dir");
        let places = SearchPlaces {
            serial_by_id: dev.path().join("serial/by-id"),
            usb: dev.path().join("usb"),
            dev: dev.path().to_path_buf(),
        };
        std::fs::create_dir_all(&places.serial_by_id).expect("by-id");
        std::fs::create_dir_all(&places.usb).expect("usb");
        for name in ["ttyUSB0", "ttyUSB1", "rfcomm0", "serial0", "sda", "usb/lp0"] {
            std::fs::write(dev.path().join(name), "").expect("node");
        }
        let by_id = places.serial_by_id.join("usb-1a86_USB_Serial-if00-port0");
        std::os::unix::fs::symlink(dev.path().join("ttyUSB0"), &by_id).expect("link");
        let found = plugged_in(&places);
        let listed: Vec<_> = found
            .iter()
            .map(|f| (f.device.clone(), f.plugged))
            .collect();
        assert_eq!(
            listed,
            [
                (PrinterDevice::Serial(by_id), true),
                (PrinterDevice::Usb(places.usb.join("lp0")), true),
                (PrinterDevice::Serial(dev.path().join("rfcomm0")), true),
                (PrinterDevice::Serial(dev.path().join("serial0")), false),
                (PrinterDevice::Serial(dev.path().join("ttyUSB1")), true),
            ]
        );
    }
}
