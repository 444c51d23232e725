//! The host's side of the shop: the Monime simulator (with the run's token), the virtual
//! printer whose pty QEMU wires to the guest's second UART, and the virtual network printer
//! QEMU's network reaches at `NETWORK_PRINTER`.

use std::path::Path;
use std::time::Duration;

use paycode_kiosk::printer::emulator::{StatusAnswers, VirtualPrinter};
use paycode_kiosk::printer::pty::PtyPrinter;
use paycode_kiosk::printer::socket::SocketPrinter;
use paycode_kiosk::simulator::{SimCode, SimulatorHandle, SimulatorOptions};

pub struct Shop {
    /// The run's Monime token, which the simulator accepts and `setup` is given.
    pub token: String,
    pub simulator: SimulatorHandle,
    pub printer: PtyPrinter,
    /// An 80 mm printer on the shop's network, as the guest sees it at `NETWORK_PRINTER`.
    pub network_printer: SocketPrinter,
    _runtime: tokio::runtime::Runtime,
}

impl Shop {
    pub fn open(dir: &Path) -> Result<Shop, String> {
        let token_file = dir.join("token");
        let token = std::fs::read_to_string(&token_file)
            .map_err(|e| format!("the token file {}: {e}", token_file.display()))?
            .trim()
            .to_string();
        let runtime = tokio::runtime::Runtime::new().map_err(|e| format!("tokio: {e}"))?;
        let simulator = runtime
            .block_on(SimulatorHandle::start(SimulatorOptions {
                access_token: token.clone(),
                processing_time: Duration::from_secs(1),
                ..SimulatorOptions::default()
            }))
            .map_err(|e| format!("the simulator: {e}"))?;
        let printer = PtyPrinter::start(32, Some(StatusAnswers::READY))
            .map_err(|e| format!("the virtual printer: {e}"))?;
        let network_printer = SocketPrinter::start(
            SocketPrinter::ANY_LOCAL_PORT,
            48,
            Some(StatusAnswers::READY),
        )
        .map_err(|e| format!("the virtual network printer: {e}"))?;
        Ok(Shop {
            token,
            simulator,
            printer,
            network_printer,
            _runtime: runtime,
        })
    }

    /// Every code made so far, oldest first.
    pub fn codes(&self) -> Vec<SimCode> {
        self.simulator.codes()
    }

    /// The printed documents (cut receipts) on the UART's printer that name `code_id`.
    pub fn receipts_for(&self, code_id: &str) -> Vec<String> {
        receipts_on(&self.printer, code_id)
    }

    /// The printed documents that name `code_id` on either printer.
    pub fn receipts_anywhere(&self, code_id: &str) -> Vec<String> {
        let mut receipts = self.receipts_for(code_id);
        receipts.extend(receipts_on(&self.network_printer, code_id));
        receipts
    }
}

/// Where the guest finds the network printer: QEMU forwards it to the host's virtual one.
pub const NETWORK_PRINTER: &str = "tcp://10.0.2.101:9100";

/// The printed documents (cut receipts) on `printer` that name `code_id`.
pub fn receipts_on(printer: &VirtualPrinter, code_id: &str) -> Vec<String> {
    printer
        .emulator()
        .documents()
        .iter()
        .map(|paper| paper.text())
        .filter(|text| text.contains(code_id))
        .collect()
}
