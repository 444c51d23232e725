//! Reading ESC/POS the way a thermal printer does: commands and their arguments (a command
//! split across reads is completed by the next), code pages, the printer's own QR codes and
//! raster images, and answers to status queries. What the commands print goes to the paper
//! model.

use qrcode::{EcLevel, QrCode};

use super::paper::{Justify, Paper, Printout, Style};
use crate::printer::codepage::CodePage;
use crate::printer::model::PrinterModel;
use crate::qr::{QUIET_ZONE, QrDots};

const ESC: u8 = 0x1B;
const GS: u8 = 0x1D;
const DLE: u8 = 0x10;
const FS: u8 = 0x1C;
const EOT: u8 = 0x04;

/// What the virtual printer answers to `DLE EOT 1..4`: printer, offline cause, error cause,
/// roll paper sensor (Epson's bit layouts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusAnswers {
    pub printer: u8,
    pub offline_cause: u8,
    pub error_cause: u8,
    pub paper: u8,
}

impl StatusAnswers {
    pub const READY: StatusAnswers = StatusAnswers {
        printer: 0x12,
        offline_cause: 0x12,
        error_cause: 0x12,
        paper: 0x12,
    };
    pub const PAPER_OUT: StatusAnswers = StatusAnswers {
        printer: 0x1A,
        offline_cause: 0x32,
        error_cause: 0x12,
        paper: 0x7E,
    };
    pub const PAPER_LOW: StatusAnswers = StatusAnswers {
        paper: 0x1E,
        ..StatusAnswers::READY
    };
    pub const COVER_OPEN: StatusAnswers = StatusAnswers {
        printer: 0x1A,
        offline_cause: 0x16,
        error_cause: 0x12,
        paper: 0x12,
    };
}

/// The printer's reading of the stream so far.
#[derive(Debug)]
pub struct Emulator {
    printout: Printout,
    page: CodePage,
    /// Whose numbers `ESC t n` is read by.
    model: PrinterModel,
    pending: Vec<u8>,
    qr_data: Vec<u8>,
    qr_module: u8,
    qr_level: EcLevel,
    status: Option<StatusAnswers>,
    replies: Vec<u8>,
    unknown: Vec<String>,
    /// Beeps asked for with `ESC B n t` or `ESC ( A`.
    beeps: usize,
}

enum Step {
    /// A whole command of this many bytes was handled.
    Took(usize),
    /// The command is not complete yet.
    NeedMore,
}

impl Emulator {
    /// A printer `columns` characters wide (font A, 12 dots each) that answers status
    /// queries with `status`, or stays silent with `None` as many cheap printers do.
    pub fn new(columns: usize, status: Option<StatusAnswers>) -> Emulator {
        Emulator {
            printout: Printout::new(columns),
            page: CodePage::Pc437,
            model: PrinterModel::Generic,
            pending: Vec::new(),
            qr_data: Vec::new(),
            qr_module: 3,
            qr_level: EcLevel::M,
            status,
            replies: Vec::new(),
            unknown: Vec::new(),
            beeps: 0,
        }
    }

    pub fn set_status(&mut self, status: Option<StatusAnswers>) {
        self.status = status;
    }

    /// Reads code page numbers as `model`'s printers do.
    pub fn set_model(&mut self, model: PrinterModel) {
        self.model = model;
    }

    /// Reads more of the stream; a command split across calls is completed by the next.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.pending.extend_from_slice(bytes);
        let pending = std::mem::take(&mut self.pending);
        let mut at = 0;
        while at < pending.len() {
            match self.step(&pending[at..]) {
                Step::Took(n) => at += n,
                Step::NeedMore => break,
            }
        }
        self.pending = pending[at..].to_vec();
    }

    /// Status answers waiting to go back to the host.
    pub fn take_replies(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.replies)
    }

    /// Everything on the paper so far.
    pub fn paper(&self) -> &Paper {
        self.printout.paper()
    }

    /// The paper cut into the documents printed so far (an uncut rest is left out).
    pub fn documents(&self) -> Vec<Paper> {
        self.paper().documents()
    }

    /// Commands the printer did not know, for tests to insist there are none.
    pub fn unknown_commands(&self) -> &[String] {
        &self.unknown
    }

    /// How many times the buzzer sounded.
    pub fn beeps(&self) -> usize {
        self.beeps
    }

    pub fn cuts(&self) -> usize {
        self.paper().cuts()
    }

    fn step(&mut self, bytes: &[u8]) -> Step {
        let byte = bytes[0];
        match byte {
            b'\n' => {
                self.printout.end_line();
                Step::Took(1)
            }
            ESC => self.escape(bytes),
            GS => self.group(bytes),
            DLE => self.realtime(bytes),
            FS => need(bytes, 2).map_or(Step::NeedMore, |_| Step::Took(2)),
            0x00..=0x1F | 0x7F => Step::Took(1),
            _ => {
                let c = self.page.decode(byte);
                self.printout.push_char(c);
                Step::Took(1)
            }
        }
    }

    fn escape(&mut self, bytes: &[u8]) -> Step {
        let Some(&command) = bytes.get(1) else {
            return Step::NeedMore;
        };
        match command {
            b'@' => {
                self.printout.flush_partial_line();
                self.printout.style = Style::default();
                self.page = CodePage::Pc437;
                Step::Took(2)
            }
            b't' => self.with_arg(bytes, |e, n| {
                e.page = e.model.page_for(n).unwrap_or(CodePage::Pc437)
            }),
            b'E' | b'G' => self.with_arg(bytes, |e, n| e.printout.style.bold = n & 1 == 1),
            b'-' => self.with_arg(bytes, |e, n| e.printout.style.underline = n & 3 != 0),
            b'a' => self.with_arg(bytes, |e, n| {
                e.printout.style.justify = match n {
                    1 | b'1' => Justify::Center,
                    2 | b'2' => Justify::Right,
                    _ => Justify::Left,
                }
            }),
            b'!' => self.with_arg(bytes, |e, n| {
                e.printout.style.bold = n & 0x08 != 0;
                e.printout.style.height = if n & 0x10 != 0 { 2 } else { 1 };
                e.printout.style.width = if n & 0x20 != 0 { 2 } else { 1 };
                e.printout.style.underline = n & 0x80 != 0;
            }),
            b'd' => self.with_arg(bytes, |e, n| e.printout.feed_lines(n)),
            b'M' | b'R' | b'V' | b'{' | b'3' | b'J' | b' ' | b'U' => {
                self.with_arg(bytes, |_, _| {})
            }
            b'2' => Step::Took(2),
            b'p' => need(bytes, 5).map_or(Step::NeedMore, |_| Step::Took(5)),
            b'c' => need(bytes, 4).map_or(Step::NeedMore, |_| Step::Took(4)),
            b'B' => match need(bytes, 4) {
                Some(command) => {
                    self.beeps += usize::from(command[2]);
                    Step::Took(4)
                }
                None => Step::NeedMore,
            },
            // ESC ( A pL pH fn n c ...: Epson's buzzer, c beeps.
            b'(' => {
                let Some(header) = need(bytes, 5) else {
                    return Step::NeedMore;
                };
                let length = usize::from(u16::from_le_bytes([header[3], header[4]]));
                let Some(command) = need(bytes, 5 + length) else {
                    return Step::NeedMore;
                };
                if header[2] == b'A' {
                    self.beeps += usize::from(command.get(7).copied().unwrap_or(0));
                } else {
                    self.unknown.push(format!("ESC ( {:#04x}", header[2]));
                }
                Step::Took(5 + length)
            }
            other => {
                self.unknown.push(format!("ESC {other:#04x}"));
                Step::Took(2)
            }
        }
    }

    fn group(&mut self, bytes: &[u8]) -> Step {
        let Some(&command) = bytes.get(1) else {
            return Step::NeedMore;
        };
        match command {
            b'!' => self.with_arg(bytes, |e, n| {
                e.printout.style.width = (n >> 4) + 1;
                e.printout.style.height = (n & 0x0F) + 1;
            }),
            b'B' => self.with_arg(bytes, |e, n| e.printout.style.reverse = n & 1 == 1),
            b'b' | b'H' | b'h' | b'w' | b'f' => self.with_arg(bytes, |_, _| {}),
            b'V' => match bytes.get(2) {
                Some(65 | 66 | 97 | 98 | 103 | 104) => {
                    need(bytes, 4).map_or(Step::NeedMore, |_| self.cut(4))
                }
                Some(_) => self.cut(3),
                None => Step::NeedMore,
            },
            b'(' => self.two_dimensional(bytes),
            b'v' => self.raster(bytes),
            other => {
                self.unknown.push(format!("GS {other:#04x}"));
                Step::Took(2)
            }
        }
    }

    /// A three-byte command (`ESC x n`, `GS x n`): applies `n` once it has come.
    fn with_arg(&mut self, bytes: &[u8], apply: fn(&mut Emulator, u8)) -> Step {
        match bytes.get(2) {
            Some(&n) => {
                apply(self, n);
                Step::Took(3)
            }
            None => Step::NeedMore,
        }
    }

    /// `DLE EOT n`: answered at once, whatever else is going on.
    fn realtime(&mut self, bytes: &[u8]) -> Step {
        let Some(&command) = bytes.get(1) else {
            return Step::NeedMore;
        };
        let Some(&n) = bytes.get(2) else {
            return Step::NeedMore;
        };
        if command == EOT
            && let Some(status) = self.status
        {
            let answer = match n {
                1 => Some(status.printer),
                2 => Some(status.offline_cause),
                3 => Some(status.error_cause),
                4 => Some(status.paper),
                _ => None,
            };
            self.replies.extend(answer);
        }
        Step::Took(3)
    }

    /// `GS ( k pL pH cn fn ...`: the printer's own QR codes.
    fn two_dimensional(&mut self, bytes: &[u8]) -> Step {
        let Some(header) = need(bytes, 5) else {
            return Step::NeedMore;
        };
        if header[2] != b'k' {
            self.unknown.push(format!("GS ( {:#04x}", header[2]));
            return Step::Took(3);
        }
        let length = usize::from(u16::from_le_bytes([header[3], header[4]]));
        let Some(command) = need(bytes, 5 + length) else {
            return Step::NeedMore;
        };
        let body = &command[5..];
        if let [49, function, params @ ..] = body {
            match (*function, params) {
                (67, [size, ..]) => self.qr_module = (*size).clamp(1, 16),
                (69, [level, ..]) => {
                    self.qr_level = match level {
                        48 => EcLevel::L,
                        50 => EcLevel::Q,
                        51 => EcLevel::H,
                        _ => EcLevel::M,
                    }
                }
                (80, [_, data @ ..]) => self.qr_data = data.to_vec(),
                (81, _) => self.print_qr(),
                _ => {}
            }
        }
        Step::Took(5 + length)
    }

    /// `GS v 0 m xL xH yL yH d...`: a raster image.
    fn raster(&mut self, bytes: &[u8]) -> Step {
        let Some(header) = need(bytes, 8) else {
            return Step::NeedMore;
        };
        let row_bytes = usize::from(u16::from_le_bytes([header[4], header[5]]));
        let rows = usize::from(u16::from_le_bytes([header[6], header[7]]));
        let Some(command) = need(bytes, 8 + row_bytes * rows) else {
            return Step::NeedMore;
        };
        let data = &command[8..];
        let width = row_bytes * 8;
        let dots = (0..rows * width)
            .map(|i| data[(i / width) * row_bytes + (i % width) / 8] & (0x80 >> (i % 8)) != 0)
            .collect();
        self.printout.image(width, rows, dots, None);
        Step::Took(8 + row_bytes * rows)
    }

    fn print_qr(&mut self) {
        let Ok(code) = QrCode::with_error_correction_level(&self.qr_data, self.qr_level) else {
            self.unknown.push("QR code the printer cannot draw".into());
            return;
        };
        let grid = QrDots::new(code, usize::from(self.qr_module), QUIET_ZONE);
        let side = grid.side();
        let qr_text = String::from_utf8_lossy(&self.qr_data).into_owned();
        self.printout
            .image(side, side, grid.dots().collect(), Some(qr_text));
    }

    fn cut(&mut self, length: usize) -> Step {
        self.printout.cut();
        Step::Took(length)
    }
}

fn need(bytes: &[u8], length: usize) -> Option<&[u8]> {
    bytes.get(..length)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::printer::emulator::Block;

    #[test]
    fn text_styles_and_justification_are_read() {
        let mut printer = Emulator::new(32, None);
        printer.feed(
            b"\x1b@\x1ba\x01\x1bE\x01\x1d!\x11BIG\x1bd\x01\x1bE\x00\x1d!\x00\x1ba\x00plain\n",
        );
        assert_eq!(printer.paper().text(), "              BIG\nplain\n");
        let Block::Line { spans, justify } = &printer.paper().blocks()[0] else {
            panic!("a line first");
        };
        assert_eq!(*justify, Justify::Center);
        assert!(spans[0].bold && spans[0].width == 2 && spans[0].height == 2);
        assert!(printer.unknown_commands().is_empty());
    }

    #[test]
    fn commands_split_across_reads_are_completed() {
        let mut printer = Emulator::new(32, None);
        for byte in b"\x1b@\x1bt\x13caf\x82\n\x1dVA\x00" {
            printer.feed(&[*byte]);
        }
        assert_eq!(
            printer.paper().text(),
            format!("café\n{}\n", "=".repeat(32))
        );
        assert_eq!(printer.cuts(), 1);
    }

    #[test]
    fn status_queries_are_answered_only_by_a_printer_that_answers() {
        let mut silent = Emulator::new(32, None);
        silent.feed(&[DLE, EOT, 1]);
        assert!(silent.take_replies().is_empty());
        let mut answering = Emulator::new(32, Some(StatusAnswers::PAPER_OUT));
        answering.feed(&[DLE, EOT, 1, DLE, EOT, 4]);
        assert_eq!(answering.take_replies(), [0x1A, 0x7E]);
    }

    #[test]
    fn native_qr_codes_are_drawn_with_their_text() {
        let mut printer = Emulator::new(32, None);
        let data = b"pmc-123";
        let mut stream = vec![GS, b'(', b'k', 3, 0, 49, 67, 4];
        let store_length = u16::try_from(data.len() + 3).expect("short").to_le_bytes();
        stream.extend([GS, b'(', b'k', store_length[0], store_length[1], 49, 80, 48]);
        stream.extend(data);
        stream.extend([GS, b'(', b'k', 3, 0, 49, 81, 48]);
        printer.feed(&stream);
        let Block::Image { width, qr_text, .. } = &printer.paper().blocks()[0] else {
            panic!("an image");
        };
        assert_eq!(qr_text.as_deref(), Some("pmc-123"));
        assert_eq!(*width, (21 + 8) * 4);
        #[cfg(feature = "previews")]
        assert!(printer.paper().render().pixels().any(|p| p.0[0] == 0));
    }
}
