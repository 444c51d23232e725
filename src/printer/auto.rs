//! `device = "auto"`: the one printer plugged into this machine, whatever it is and whichever
//! name it has today. Plugged out and back (as `lp1` after `lp0`, or into another USB socket),
//! it is found again; two printers are not guessed between.

use super::device::{Found, PrinterDevice, SearchPlaces, plugged_in};
use super::{FlowControl, PrintError, PrinterPort, PrinterStatus, serial, usb};

pub struct AutoPrinter {
    places: SearchPlaces,
    baud: u32,
    flow_control: FlowControl,
    /// The printer in use and its port.
    current: Option<(PrinterDevice, Box<dyn PrinterPort>)>,
    /// Why there is none, for the status.
    missing: String,
}

impl AutoPrinter {
    pub fn new(places: SearchPlaces, baud: u32, flow_control: FlowControl) -> AutoPrinter {
        AutoPrinter {
            places,
            baud,
            flow_control,
            current: None,
            missing: "not looked for yet".into(),
        }
    }

    /// Keeps the printer in use while it is there, else looks for the one plugged in now.
    fn find(&mut self) -> Option<&mut Box<dyn PrinterPort>> {
        let still_there = self
            .current
            .as_mut()
            .is_some_and(|(_, port)| port.present());
        if !still_there {
            self.current = None;
            let candidates: Vec<Found> = plugged_in(&self.places)
                .into_iter()
                .filter(|found| found.plugged)
                .collect();
            match candidates.as_slice() {
                [] => {
                    self.missing = "no printer is plugged in (USB or Bluetooth)".into();
                }
                [one] => {
                    tracing::info!(device = %one.device, "printer found");
                    let port: Box<dyn PrinterPort> = match &one.device {
                        PrinterDevice::Usb(path) => Box::new(usb::UsbPrinter::new(path.clone())),
                        _ => Box::new(serial::SerialPrinter::new(
                            one.device.path().map(ToOwned::to_owned).unwrap_or_default(),
                            self.baud,
                            self.flow_control,
                        )),
                    };
                    self.current = Some((one.device.clone(), port));
                }
                several => {
                    let names: Vec<String> = several
                        .iter()
                        .map(|found| found.device.to_string())
                        .collect();
                    self.missing = format!(
                        "{} printers are plugged in ({}): name one in [printer] device",
                        several.len(),
                        names.join(", ")
                    );
                }
            }
        }
        self.current.as_mut().map(|(_, port)| port)
    }
}

impl PrinterPort for AutoPrinter {
    fn describe(&self) -> String {
        match &self.current {
            Some((_, port)) => format!("{} (found by itself)", port.describe()),
            None => "auto".into(),
        }
    }

    fn present(&mut self) -> bool {
        self.find().is_some()
    }

    /// What the last look found instead of one printer: none, or several to choose from.
    fn absence(&self) -> String {
        self.missing.clone()
    }

    fn status(&mut self) -> PrinterStatus {
        let missing = self.missing.clone();
        match self.find() {
            Some(port) => port.status(),
            None => PrinterStatus::Unreachable(missing),
        }
    }

    fn send(&mut self, name: &str, bytes: &[u8]) -> Result<(), PrintError> {
        match self.find() {
            Some(port) => port.send(name, bytes),
            None => Err(PrintError::Transport(self.missing.clone())),
        }
    }

    fn rest(&mut self) {
        if let Some((_, port)) = &mut self.current {
            port.rest();
        }
    }
}
