//! The in-process virtual printer of demo mode: every document it is sent is read by the
//! emulator and saved as a text file and (in builds with previews) a PNG in a folder, where a
//! person can look at what the paper would have shown.

use std::path::PathBuf;

use super::emulator::Emulator;
use super::{PrintError, PrinterModel, PrinterPort, PrinterStatus};

pub struct PreviewPrinter {
    folder: PathBuf,
    columns: usize,
    model: PrinterModel,
}

impl PreviewPrinter {
    pub fn new(folder: PathBuf, columns: usize, model: PrinterModel) -> PreviewPrinter {
        PreviewPrinter {
            folder,
            columns,
            model,
        }
    }
}

impl PrinterPort for PreviewPrinter {
    fn describe(&self) -> String {
        format!("virtual printer ({})", self.folder.display())
    }

    fn present(&mut self) -> bool {
        true
    }

    fn status(&mut self) -> PrinterStatus {
        match std::fs::create_dir_all(&self.folder) {
            Ok(()) => PrinterStatus::Ready,
            Err(error) => PrinterStatus::Unreachable(format!("{}: {error}", self.folder.display())),
        }
    }

    /// Nothing to hear and nothing to print: the log says it rang.
    fn chime(&mut self, _: PrinterModel) -> Result<(), PrintError> {
        tracing::info!("the virtual printer chimes");
        Ok(())
    }

    fn send(&mut self, name: &str, bytes: &[u8]) -> Result<(), PrintError> {
        let mut emulator = Emulator::new(self.columns, None);
        emulator.set_model(self.model);
        emulator.feed(bytes);
        let failed =
            |error: String| PrintError::Transport(format!("{}: {error}", self.folder.display()));
        std::fs::create_dir_all(&self.folder).map_err(|e| failed(e.to_string()))?;
        emulator
            .paper()
            .save_preview(&self.folder, name)
            .map(|_| ())
            .map_err(PrintError::Transport)
    }
}
