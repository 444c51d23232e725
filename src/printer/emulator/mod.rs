//! The virtual printer: reads an ESC/POS byte stream the way a thermal printer does and keeps
//! what it would have put on paper, as plain text and as a PNG preview. Demo mode prints into
//! it; tests read receipts back from it; `PtyPrinter` puts it behind a pseudo-terminal so the
//! real serial code talks to it.
//!
//! `reader` takes the bytes apart (commands, code pages, status answers), `paper` keeps what
//! is printed (styled lines, dot images, cuts) and its text, and `render` draws it as a PNG.

mod paper;
mod reader;
mod render;

pub use paper::{Block, Justify, Paper, Span};
pub use reader::{Emulator, StatusAnswers};
