//! The host's side of the shop: the Monime simulator (with the run's token) and the virtual
//! printer whose pty QEMU wires to the guest's second UART.

use std::path::Path;
use std::time::Duration;

use paycode_kiosk::printer::emulator::StatusAnswers;
use paycode_kiosk::printer::pty::PtyPrinter;
use paycode_kiosk::simulator::{SimCode, SimulatorHandle, SimulatorOptions};

pub struct Shop {
    /// The run's Monime token, which the simulator accepts and `setup` is given.
    pub token: String,
    pub simulator: SimulatorHandle,
    pub printer: PtyPrinter,
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
        Ok(Shop {
            token,
            simulator,
            printer,
            _runtime: runtime,
        })
    }

    /// Every code made so far, oldest first.
    pub fn codes(&self) -> Vec<SimCode> {
        self.simulator.codes()
    }

    /// The printed documents (cut receipts) that name `code_id`.
    pub fn receipts_for(&self, code_id: &str) -> Vec<String> {
        self.printer
            .emulator()
            .documents()
            .iter()
            .map(|paper| paper.text())
            .filter(|text| text.contains(code_id))
            .collect()
    }
}
