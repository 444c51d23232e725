//! The virtual printer: reads an ESC/POS byte stream the way a thermal printer does and keeps
//! what it would have put on paper, as plain text and as a PNG preview. Demo mode prints into
//! it; tests read receipts back from it; `PtyPrinter` puts it behind a pseudo-terminal so the
//! real serial code talks to it, `SocketPrinter` on a TCP port as a network printer.
//!
//! `reader` takes the bytes apart (commands, code pages, status answers), `paper` keeps what
//! is printed (styled lines, dot images, cuts) and its text, `render` draws it as a PNG
//! (with the `previews` feature: the device build leaves the drawing and its fonts out), and
//! `link` is what the pseudo-terminal and the TCP port share.

mod link;
mod paper;
mod reader;
#[cfg(feature = "previews")]
mod render;

use std::path::{Path, PathBuf};

pub use link::VirtualPrinter;
pub(in crate::printer) use link::{LinkThread, QUIET_WAIT};
pub use paper::{Block, Justify, Paper, Span};
pub use reader::{Emulator, StatusAnswers};

impl Paper {
    /// Saves the paper in `folder` as `name.txt` and, in builds with previews, as `name.png`;
    /// gives the file a person would open.
    pub fn save_preview(&self, folder: &Path, name: &str) -> Result<PathBuf, String> {
        let text = folder.join(format!("{name}.txt"));
        std::fs::write(&text, self.text())
            .map_err(|error| format!("cannot write {}: {error}", text.display()))?;
        self.save_picture(folder, name)
            .map(|picture| picture.unwrap_or(text))
    }

    #[cfg(feature = "previews")]
    fn save_picture(&self, folder: &Path, name: &str) -> Result<Option<PathBuf>, String> {
        let png = folder.join(format!("{name}.png"));
        self.save_png(&png)
            .map_err(|error| format!("cannot write {}: {error}", png.display()))?;
        Ok(Some(png))
    }

    #[cfg(not(feature = "previews"))]
    fn save_picture(&self, _: &Path, _: &str) -> Result<Option<PathBuf>, String> {
        Ok(None)
    }
}
