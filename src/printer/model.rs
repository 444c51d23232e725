//! The commands that differ between printer families (`[printer] model`): how the buzzer
//! sounds, how the paper is cut, which number selects each code page, and whether the printer
//! draws QR codes itself. Everything else on a receipt is ESC/POS every one of them reads.
//!
//! The numbers are from the manufacturers' command references and the community ESC/POS
//! printer database (receipt-print-hq/escpos-printer-db); docs/DEPLOY.md has the table.

use serde::Deserialize;

use super::codepage::CodePage;

/// How the QR code of the payment code's id is printed, if at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReceiptQr {
    /// The printer draws it from the text (`GS ( k`): few bytes, most printers.
    #[default]
    Native,
    /// Sent as a raster image (`GS v 0`), for printers without QR support.
    Image,
    None,
}

/// A family of printers that take the same commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PrinterModel {
    /// Anything ESC/POS: Epson's code page numbers, `ESC B` buzzer, feed-and-cut.
    #[default]
    Generic,
    /// Epson TM-T20, TM-T88, TM-m30: the buzzer is `ESC ( A`.
    Epson,
    /// Xprinter XP-58 and XP-80 series.
    Xprinter,
    /// Rongta RP326, RP332: Cyrillic is page 7, and the cut is a full one.
    Rongta,
    /// HOIN and the unbranded "POS-5890" / "ZJ-5870" 58 mm printers: no cutter, no buzzer, no
    /// QR command, and a Chinese mode that must be switched off.
    Pos58,
}

/// What a model's printer is sent for each thing that differs.
#[derive(Debug)]
pub struct ModelCommands {
    /// Two short beeps; `None` for printers sold without a buzzer.
    pub chime: Option<&'static [u8]>,
    /// Sent at the end of each document: feed past the cutter and cut, or feed to tear off.
    pub cut: &'static [u8],
    /// Sent after `ESC @`, before the code page (a mode to leave).
    pub after_init: &'static [u8],
    /// `(page, n of ESC t n)` for each page the model has.
    pub code_pages: &'static [(CodePage, u8)],
    /// How QR codes print unless `[printer] qr` says otherwise.
    pub qr: ReceiptQr,
}

/// Epson's numbers, which most printers copy.
const EPSON_PAGES: &[(CodePage, u8)] = &[
    (CodePage::Pc437, 0),
    (CodePage::Pc850, 2),
    (CodePage::Wpc1252, 16),
    (CodePage::Pc866, 17),
    (CodePage::Pc852, 18),
    (CodePage::Pc858, 19),
];

/// `ESC B 2 3`: two beeps of 150 ms on the printers with a buzzer; ignored by those without.
const ESC_B_CHIME: &[u8] = &[0x1B, b'B', 2, 3];
/// `GS V 66 0`: feed to the cutter and cut (partially, which every cutter can).
const FEED_AND_CUT: &[u8] = &[0x1D, b'V', 66, 0];

impl PrinterModel {
    pub const ALL: [PrinterModel; 5] = [
        PrinterModel::Generic,
        PrinterModel::Epson,
        PrinterModel::Xprinter,
        PrinterModel::Rongta,
        PrinterModel::Pos58,
    ];

    pub fn name(self) -> &'static str {
        match self {
            PrinterModel::Generic => "generic",
            PrinterModel::Epson => "epson",
            PrinterModel::Xprinter => "xprinter",
            PrinterModel::Rongta => "rongta",
            PrinterModel::Pos58 => "pos58",
        }
    }

    pub fn commands(self) -> &'static ModelCommands {
        match self {
            PrinterModel::Generic => &ModelCommands {
                chime: Some(ESC_B_CHIME),
                cut: FEED_AND_CUT,
                after_init: &[],
                code_pages: EPSON_PAGES,
                qr: ReceiptQr::Native,
            },
            PrinterModel::Epson => &ModelCommands {
                // ESC ( A, function 48: sound 0x33 (1320 Hz, 200 ms) twice, 1 s apart.
                chime: Some(&[0x1B, b'(', b'A', 4, 0, 48, 0x33, 2, 10]),
                cut: FEED_AND_CUT,
                after_init: &[],
                code_pages: EPSON_PAGES,
                qr: ReceiptQr::Native,
            },
            PrinterModel::Xprinter => &ModelCommands {
                chime: Some(ESC_B_CHIME),
                cut: FEED_AND_CUT,
                after_init: &[],
                code_pages: EPSON_PAGES,
                qr: ReceiptQr::Native,
            },
            PrinterModel::Rongta => &ModelCommands {
                chime: Some(ESC_B_CHIME),
                // GS V 65 0: feed and cut fully, which the RP332 (full cut only) and the RP326
                // both take.
                cut: &[0x1D, b'V', 65, 0],
                after_init: &[],
                code_pages: &[
                    (CodePage::Pc437, 0),
                    (CodePage::Pc850, 2),
                    (CodePage::Pc866, 7),
                    (CodePage::Wpc1252, 16),
                    (CodePage::Pc852, 18),
                    (CodePage::Pc858, 19),
                ],
                qr: ReceiptQr::Native,
            },
            PrinterModel::Pos58 => &ModelCommands {
                chime: None,
                // No cutter: four lines past the tear bar.
                cut: &[0x1B, b'd', 4],
                // FS . leaves the Chinese mode some power up in, where every byte from 0x80
                // would start a Chinese character.
                after_init: &[0x1C, b'.'],
                code_pages: EPSON_PAGES,
                qr: ReceiptQr::Image,
            },
        }
    }

    /// The `n` of `ESC t n` for `page` on this model, if it has the page.
    pub fn page_number(self, page: CodePage) -> Option<u8> {
        self.commands()
            .code_pages
            .iter()
            .find(|(known, _)| *known == page)
            .map(|(_, n)| *n)
    }

    /// The page `ESC t n` selects on this model, if it is one the terminal knows.
    pub fn page_for(self, n: u8) -> Option<CodePage> {
        self.commands()
            .code_pages
            .iter()
            .find(|(_, number)| *number == n)
            .map(|(page, _)| *page)
    }

    /// The names of the pages it has, for a message.
    pub fn page_names(self) -> Vec<&'static str> {
        self.commands()
            .code_pages
            .iter()
            .map(|(page, _)| page.name())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_model_has_every_page_once_and_reads_its_numbers_back() {
        for model in PrinterModel::ALL {
            for page in CodePage::ALL {
                let n = model.page_number(page).expect("each model has each page");
                assert_eq!(
                    model.page_for(n),
                    Some(page),
                    "{} {}",
                    model.name(),
                    page.name()
                );
            }
        }
    }

    #[test]
    fn the_generic_model_numbers_pages_as_epson_does() {
        for page in CodePage::ALL {
            assert_eq!(
                PrinterModel::Generic.page_number(page),
                Some(page.selector())
            );
        }
        assert_eq!(PrinterModel::Rongta.page_number(CodePage::Pc866), Some(7));
    }
}
