//! The printer's character set: which code page receipts are sent in, and how a character the
//! page lacks becomes a readable substitute ("Ł" prints as "L", "€" as "EUR") instead of bytes
//! the printer would turn into garbage.
//!
//! The byte tables are the `escpos` crate's. It keeps them private and falls back to UTF-8 for
//! a character outside the page, so each table is read once by asking the crate to encode every
//! non-ASCII candidate character and keeping those that come back as one byte. ASCII is sent
//! as ASCII by `encode` here, not by the crate: its PC850 and PC858 tables list the ASCII
//! hyphen where the soft hyphen belongs, which would send every "-" as byte 0xF0.

use std::collections::HashMap;
use std::sync::OnceLock;

use escpos::driver::Driver;
use escpos::printer::Printer;
use escpos::printer_options::PrinterOptions;
use escpos::utils::{PageCode, Protocol};
use serde::Deserialize;

/// The code pages a terminal can be configured with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CodePage {
    /// The original IBM PC page: a few accented letters, box drawing.
    Pc437,
    /// Western European (DOS).
    Pc850,
    /// Central European (DOS): Polish, Czech, Hungarian, ...
    Pc852,
    /// PC850 with the euro sign; the default, as most printers sold today have it.
    #[default]
    Pc858,
    /// Cyrillic (DOS).
    Pc866,
    /// Western European (Windows).
    Wpc1252,
}

/// Everything outside ASCII that a code page could hold: Latin-1, Latin Extended-A, Greek,
/// Cyrillic, punctuation, currency, box drawing and blocks.
const CANDIDATES: [std::ops::RangeInclusive<u32>; 6] = [
    0x00A0..=0x017F,
    0x0192..=0x0192,
    0x0370..=0x045F,
    0x2010..=0x20AC,
    0x2190..=0x221F,
    0x2248..=0x25A0,
];

/// One page's characters and bytes, both ways.
#[derive(Debug)]
struct Table {
    to_byte: HashMap<char, u8>,
    to_char: [Option<char>; 128],
}

impl CodePage {
    pub const ALL: [CodePage; 6] = [
        CodePage::Pc437,
        CodePage::Pc850,
        CodePage::Pc852,
        CodePage::Pc858,
        CodePage::Pc866,
        CodePage::Wpc1252,
    ];

    pub fn name(self) -> &'static str {
        match self {
            CodePage::Pc437 => "pc437",
            CodePage::Pc850 => "pc850",
            CodePage::Pc852 => "pc852",
            CodePage::Pc858 => "pc858",
            CodePage::Pc866 => "pc866",
            CodePage::Wpc1252 => "wpc1252",
        }
    }

    pub(crate) fn page_code(self) -> PageCode {
        match self {
            CodePage::Pc437 => PageCode::PC437,
            CodePage::Pc850 => PageCode::PC850,
            CodePage::Pc852 => PageCode::PC852,
            CodePage::Pc858 => PageCode::PC858,
            CodePage::Pc866 => PageCode::PC866,
            CodePage::Wpc1252 => PageCode::WPC1252,
        }
    }

    /// The `n` of `ESC t n` that selects this page in Epson's numbering, as the `escpos` crate
    /// has it (the models' tables are checked against it).
    #[cfg(test)]
    pub(crate) fn selector(self) -> u8 {
        self.page_code().into()
    }

    /// `text` with every character the page lacks replaced by a readable stand-in, so that what
    /// is laid out is exactly what prints, one byte a character. Control characters become
    /// spaces.
    pub fn printable(self, text: &str) -> String {
        let table = self.table();
        let mut out = String::with_capacity(text.len());
        for c in text.chars() {
            if c.is_ascii_graphic() || c == ' ' || table.to_byte.contains_key(&c) {
                out.push(c);
            } else if c.is_control() || c.is_whitespace() {
                out.push(' ');
            } else {
                // deunicode answers in ASCII, with nothing for a combining accent (whose
                // letter was already printed) and `None` for what it cannot spell.
                let substitute = deunicode::deunicode_char(c).unwrap_or("?").trim_end();
                out.extend(
                    substitute
                        .chars()
                        .filter(|s| s.is_ascii_graphic() || *s == ' '),
                );
            }
        }
        out
    }

    /// The bytes for text already made `printable`; anything else becomes `?`.
    pub fn encode(self, text: &str) -> Vec<u8> {
        let table = self.table();
        text.chars()
            .map(|c| match c {
                ' '..='~' => c as u8,
                _ => table.to_byte.get(&c).copied().unwrap_or(b'?'),
            })
            .collect()
    }

    /// The character a byte stands for on this page (for the virtual printer).
    pub fn decode(self, byte: u8) -> char {
        if byte < 0x80 {
            return char::from(byte);
        }
        self.table().to_char[usize::from(byte - 0x80)].unwrap_or('?')
    }

    fn table(self) -> &'static Table {
        static TABLES: [OnceLock<Table>; 6] = [const { OnceLock::new() }; 6];
        let index = CodePage::ALL
            .iter()
            .position(|page| *page == self)
            .expect("every page is in ALL");
        TABLES[index].get_or_init(|| self.read_table())
    }

    fn read_table(self) -> Table {
        let mut to_byte = HashMap::new();
        let mut to_char = [None; 128];
        let options = PrinterOptions::new(Some(self.page_code()), None, 42);
        let sink = ByteSink::default();
        let mut printer = Printer::new(sink.clone(), Protocol::default(), Some(options));
        for c in CANDIDATES
            .iter()
            .cloned()
            .flatten()
            .filter_map(char::from_u32)
        {
            let encoded = printer
                .write(c.encode_utf8(&mut [0; 4]))
                .and_then(|printer| printer.print());
            let bytes = sink.take();
            if encoded.is_err() {
                continue;
            }
            if let [byte @ 0x80..=0xFF] = bytes[..] {
                to_byte.insert(c, byte);
                to_char[usize::from(byte - 0x80)].get_or_insert(c);
            }
        }
        Table { to_byte, to_char }
    }
}

/// An `escpos` driver that keeps what is written, so documents are built in memory and sent
/// by the terminal's own transport.
#[derive(Debug, Clone, Default)]
pub(crate) struct ByteSink {
    bytes: std::rc::Rc<std::cell::RefCell<Vec<u8>>>,
}

impl ByteSink {
    pub(crate) fn take(&self) -> Vec<u8> {
        std::mem::take(&mut self.bytes.borrow_mut())
    }
}

impl Driver for ByteSink {
    fn name(&self) -> String {
        "memory".into()
    }

    fn write(&self, data: &[u8]) -> escpos::errors::Result<()> {
        self.bytes.borrow_mut().extend_from_slice(data);
        Ok(())
    }

    fn read(&self, _buf: &mut [u8]) -> escpos::errors::Result<usize> {
        Ok(0)
    }

    fn flush(&self) -> escpos::errors::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accented_latin_letters_are_kept_on_the_default_page() {
        let page = CodePage::default();
        assert_eq!(page.printable("Café Amélie à Noël"), "Café Amélie à Noël");
        assert_eq!(page.printable("€5"), "€5");
    }

    #[test]
    fn missing_characters_become_readable_substitutes() {
        assert_eq!(CodePage::Pc858.printable("Łódź"), "Lódz");
        assert_eq!(CodePage::Pc437.printable("€5"), "EUR5");
        assert_eq!(CodePage::Pc858.printable("“Ọjà”"), "\"Ojà\"");
        assert_eq!(CodePage::Pc858.printable("北"), "Bei");
        assert_eq!(CodePage::Pc858.printable("Ẹ̀kó"), "Ekó");
        assert_eq!(CodePage::Pc858.printable("\u{E000}"), "?");
        assert_eq!(CodePage::Pc858.printable("a\tb\u{7}"), "a b ");
        assert_eq!(CodePage::Pc866.printable("Привет"), "Привет");
    }

    #[test]
    fn every_page_decodes_what_it_encodes() {
        for page in CodePage::ALL {
            let table = page.table();
            assert!(table.to_byte.len() > 60, "{page:?} has too few characters");
            for (c, byte) in &table.to_byte {
                let back = page.decode(*byte);
                assert_eq!(
                    table.to_byte.get(&back),
                    Some(byte),
                    "{page:?}: {c} -> {byte:#x} -> {back}"
                );
            }
        }
    }

    #[test]
    fn ascii_goes_out_as_ascii() {
        for page in CodePage::ALL {
            let text = "Sale 12 - pmc-AbC_9 *715*1#";
            assert_eq!(page.encode(text), text.as_bytes(), "{page:?}");
        }
        assert_eq!(CodePage::Pc858.encode("é€"), [0x82, 0xD5]);
    }
}
