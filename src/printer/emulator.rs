//! The virtual printer: reads an ESC/POS byte stream the way a thermal printer does and keeps
//! what it would have put on paper, as plain text and as a PNG preview. Demo mode prints into
//! it; tests read receipts back from it; `PtyPrinter` puts it behind a pseudo-terminal so the
//! real serial code talks to it.

use std::path::Path;

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};
use image::{GrayImage, Luma};
use qrcode::{EcLevel, QrCode};

use super::codepage::CodePage;

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

/// A run of text printed in one style.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub text: String,
    pub bold: bool,
    pub underline: bool,
    pub reverse: bool,
    pub width: u8,
    pub height: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Justify {
    #[default]
    Left,
    Center,
    Right,
}

/// One thing on the paper, top to bottom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// A printed line; empty spans mean a blank line.
    Line {
        spans: Vec<Span>,
        justify: Justify,
    },
    /// A dot image (raster or a QR code the printer drew), `width` by `height` dots.
    Image {
        width: usize,
        height: usize,
        dots: Vec<bool>,
        justify: Justify,
        /// The text of a QR code the printer drew itself.
        qr_text: Option<String>,
    },
    Cut,
}

#[derive(Debug, Clone, Copy)]
struct Style {
    bold: bool,
    underline: bool,
    reverse: bool,
    width: u8,
    height: u8,
    justify: Justify,
}

impl Default for Style {
    fn default() -> Self {
        Style {
            bold: false,
            underline: false,
            reverse: false,
            width: 1,
            height: 1,
            justify: Justify::Left,
        }
    }
}

/// The printer's reading of the stream so far.
#[derive(Debug)]
pub struct Emulator {
    paper: Paper,
    page: CodePage,
    style: Style,
    line: Vec<Span>,
    pending: Vec<u8>,
    qr_data: Vec<u8>,
    qr_module: u8,
    qr_level: EcLevel,
    status: Option<StatusAnswers>,
    replies: Vec<u8>,
    unknown: Vec<String>,
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
            paper: Paper {
                columns,
                blocks: Vec::new(),
            },
            page: CodePage::Pc437,
            style: Style::default(),
            line: Vec::new(),
            pending: Vec::new(),
            qr_data: Vec::new(),
            qr_module: 3,
            qr_level: EcLevel::M,
            status,
            replies: Vec::new(),
            unknown: Vec::new(),
        }
    }

    pub fn set_status(&mut self, status: Option<StatusAnswers>) {
        self.status = status;
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
        &self.paper
    }

    /// The paper cut into the documents printed so far (an uncut rest is left out).
    pub fn documents(&self) -> Vec<Paper> {
        self.paper
            .blocks
            .split_inclusive(|block| *block == Block::Cut)
            .filter(|blocks| blocks.last() == Some(&Block::Cut))
            .map(|blocks| Paper {
                columns: self.paper.columns,
                blocks: blocks.to_vec(),
            })
            .collect()
    }

    /// Commands the printer did not know, for tests to insist there are none.
    pub fn unknown_commands(&self) -> &[String] {
        &self.unknown
    }

    pub fn cuts(&self) -> usize {
        self.paper.cuts()
    }

    fn step(&mut self, bytes: &[u8]) -> Step {
        let byte = bytes[0];
        match byte {
            b'\n' => {
                self.end_line();
                Step::Took(1)
            }
            ESC => self.escape(bytes),
            GS => self.group(bytes),
            DLE => self.realtime(bytes),
            FS => need(bytes, 2).map_or(Step::NeedMore, |_| Step::Took(2)),
            0x00..=0x1F | 0x7F => Step::Took(1),
            _ => {
                let c = self.page.decode(byte);
                self.push_char(c);
                Step::Took(1)
            }
        }
    }

    fn escape(&mut self, bytes: &[u8]) -> Step {
        let Some(&command) = bytes.get(1) else {
            return Step::NeedMore;
        };
        let arg = bytes.get(2).copied();
        let with_arg = |emulator: &mut Emulator, apply: fn(&mut Emulator, u8)| match arg {
            Some(n) => {
                apply(emulator, n);
                Step::Took(3)
            }
            None => Step::NeedMore,
        };
        match command {
            b'@' => {
                self.flush_partial_line();
                self.style = Style::default();
                self.page = CodePage::Pc437;
                Step::Took(2)
            }
            b't' => with_arg(self, |e, n| {
                e.page = CodePage::from_selector(n).unwrap_or(CodePage::Pc437)
            }),
            b'E' | b'G' => with_arg(self, |e, n| e.style.bold = n & 1 == 1),
            b'-' => with_arg(self, |e, n| e.style.underline = n & 3 != 0),
            b'a' => with_arg(self, |e, n| {
                e.style.justify = match n {
                    1 | b'1' => Justify::Center,
                    2 | b'2' => Justify::Right,
                    _ => Justify::Left,
                }
            }),
            b'!' => with_arg(self, |e, n| {
                e.style.bold = n & 0x08 != 0;
                e.style.height = if n & 0x10 != 0 { 2 } else { 1 };
                e.style.width = if n & 0x20 != 0 { 2 } else { 1 };
                e.style.underline = n & 0x80 != 0;
            }),
            b'd' => with_arg(self, |e, n| e.feed_lines(n)),
            b'M' | b'R' | b'V' | b'{' | b'3' | b'J' | b' ' | b'U' => with_arg(self, |_, _| {}),
            b'2' => Step::Took(2),
            b'p' => need(bytes, 5).map_or(Step::NeedMore, |_| Step::Took(5)),
            b'c' => need(bytes, 4).map_or(Step::NeedMore, |_| Step::Took(4)),
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
            b'!' => match bytes.get(2) {
                Some(&n) => {
                    self.style.width = (n >> 4) + 1;
                    self.style.height = (n & 0x0F) + 1;
                    Step::Took(3)
                }
                None => Step::NeedMore,
            },
            b'B' => match bytes.get(2) {
                Some(&n) => {
                    self.style.reverse = n & 1 == 1;
                    Step::Took(3)
                }
                None => Step::NeedMore,
            },
            b'b' | b'H' | b'h' | b'w' | b'f' => {
                need(bytes, 3).map_or(Step::NeedMore, |_| Step::Took(3))
            }
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

    /// `DLE EOT n`: answered at once, whatever else is going on.
    fn realtime(&mut self, bytes: &[u8]) -> Step {
        let Some(&command) = bytes.get(1) else {
            return Step::NeedMore;
        };
        let Some(&n) = bytes.get(2) else {
            return Step::NeedMore;
        };
        if command == EOT {
            if let Some(status) = self.status {
                let answer = match n {
                    1 => Some(status.printer),
                    2 => Some(status.offline_cause),
                    3 => Some(status.error_cause),
                    4 => Some(status.paper),
                    _ => None,
                };
                self.replies.extend(answer);
            }
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
        self.flush_partial_line();
        self.paper.blocks.push(Block::Image {
            width,
            height: rows,
            dots,
            justify: self.style.justify,
            qr_text: None,
        });
        Step::Took(8 + row_bytes * rows)
    }

    fn print_qr(&mut self) {
        let Ok(code) = QrCode::with_error_correction_level(&self.qr_data, self.qr_level) else {
            self.unknown.push("QR code the printer cannot draw".into());
            return;
        };
        let module = usize::from(self.qr_module);
        let quiet = 4;
        let modules = code.width();
        let side = (modules + 2 * quiet) * module;
        let dots = (0..side * side)
            .map(|i| {
                let (mx, my) = (
                    (i % side / module).wrapping_sub(quiet),
                    (i / side / module).wrapping_sub(quiet),
                );
                mx < modules && my < modules && code[(mx, my)] == qrcode::Color::Dark
            })
            .collect();
        self.flush_partial_line();
        self.paper.blocks.push(Block::Image {
            width: side,
            height: side,
            dots,
            justify: self.style.justify,
            qr_text: Some(String::from_utf8_lossy(&self.qr_data).into_owned()),
        });
    }

    fn cut(&mut self, length: usize) -> Step {
        self.flush_partial_line();
        self.paper.blocks.push(Block::Cut);
        Step::Took(length)
    }

    fn push_char(&mut self, c: char) {
        let style = self.style;
        match self.line.last_mut() {
            Some(span)
                if span.bold == style.bold
                    && span.underline == style.underline
                    && span.reverse == style.reverse
                    && span.width == style.width
                    && span.height == style.height =>
            {
                span.text.push(c)
            }
            _ => self.line.push(Span {
                text: c.to_string(),
                bold: style.bold,
                underline: style.underline,
                reverse: style.reverse,
                width: style.width,
                height: style.height,
            }),
        }
    }

    fn end_line(&mut self) {
        let spans = std::mem::take(&mut self.line);
        self.paper.blocks.push(Block::Line {
            spans,
            justify: self.style.justify,
        });
    }

    fn flush_partial_line(&mut self) {
        if !self.line.is_empty() {
            self.end_line();
        }
    }

    /// `ESC d n`: prints what is buffered and feeds `n` lines in all.
    fn feed_lines(&mut self, n: u8) {
        let mut n = usize::from(n);
        if !self.line.is_empty() {
            self.end_line();
            n = n.saturating_sub(1);
        }
        for _ in 0..n {
            self.end_line();
        }
    }
}

/// What came out of the printer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paper {
    columns: usize,
    blocks: Vec<Block>,
}

impl Paper {
    pub fn blocks(&self) -> &[Block] {
        &self.blocks
    }

    pub fn cuts(&self) -> usize {
        self.blocks.iter().filter(|b| **b == Block::Cut).count()
    }

    /// The paper as plain text: one line a printed line, justified in the paper's columns, a
    /// QR code as `[QR: text]`, an image as `[image WxH]`, a cut as a row of `=`. Double-size
    /// text shows as ordinary letters; `render` draws it as printed.
    pub fn text(&self) -> String {
        self.render_text(true)
    }

    /// The same without the cut marks, for a screen.
    pub fn text_without_cuts(&self) -> String {
        self.render_text(false)
    }

    fn render_text(&self, cut_marks: bool) -> String {
        let mut out = String::new();
        for block in &self.blocks {
            let (content, columns, justify) = match block {
                Block::Line { spans, justify } => {
                    // Double-width text is written once, so it is placed by its letters.
                    let text: String = spans.iter().map(|s| s.text.as_str()).collect();
                    let columns = text.chars().count();
                    (text, columns, *justify)
                }
                Block::Image {
                    width,
                    height,
                    justify,
                    qr_text,
                    ..
                } => {
                    let text = match qr_text {
                        Some(text) => format!("[QR: {text}]"),
                        None => format!("[image {width}x{height}]"),
                    };
                    let columns = text.chars().count();
                    (text, columns, *justify)
                }
                Block::Cut if cut_marks => ("=".repeat(self.columns), self.columns, Justify::Left),
                Block::Cut => continue,
            };
            out.push_str(&" ".repeat(indent(self.columns, columns, justify)));
            out.push_str(content.trim_end());
            out.push('\n');
        }
        out
    }

    /// The paper as a picture: 12 by 24 dot characters as on a real font-A printer, one pixel
    /// a dot, with a margin.
    pub fn render(&self) -> GrayImage {
        let regular = receipt_font(false);
        let bold = receipt_font(true);
        let paper_width = self.columns * CELL_WIDTH;
        let height: usize = MARGIN * 2
            + self
                .blocks
                .iter()
                .map(|block| match block {
                    Block::Line { spans, .. } => line_height(spans),
                    Block::Image { height, .. } => *height,
                    Block::Cut => CUT_HEIGHT,
                })
                .sum::<usize>();
        let mut image = GrayImage::from_pixel(
            to_u32(paper_width + 2 * MARGIN),
            to_u32(height),
            Luma([255]),
        );
        let mut y = MARGIN;
        for block in &self.blocks {
            match block {
                Block::Line { spans, justify } => {
                    let used = spans_columns(spans) * CELL_WIDTH;
                    let mut x = MARGIN + indent(paper_width, used, *justify);
                    let row = line_height(spans);
                    for span in spans {
                        let font = if span.bold { &bold } else { &regular };
                        for c in span.text.chars() {
                            draw_char(&mut image, font, c, x, y + row, span);
                            x += CELL_WIDTH * usize::from(span.width);
                        }
                    }
                    y += row;
                }
                Block::Image {
                    width,
                    height,
                    dots,
                    justify,
                    ..
                } => {
                    let left = MARGIN + indent(paper_width, *width, *justify);
                    for (i, _) in dots.iter().enumerate().filter(|(_, dark)| **dark) {
                        let (px, py) = (left + i % width, y + i / width);
                        if px < image.width() as usize {
                            image.put_pixel(to_u32(px), to_u32(py), Luma([0]));
                        }
                    }
                    y += height;
                }
                Block::Cut => {
                    for x in (0..image.width()).step_by(6) {
                        for dx in 0..3 {
                            if x + dx < image.width() {
                                image.put_pixel(x + dx, to_u32(y + CUT_HEIGHT / 2), Luma([150]));
                            }
                        }
                    }
                    y += CUT_HEIGHT;
                }
            }
        }
        image
    }

    /// Writes the preview PNG.
    pub fn save_png(&self, path: &Path) -> Result<(), image::ImageError> {
        self.render().save(path)
    }
}

fn spans_columns(spans: &[Span]) -> usize {
    spans
        .iter()
        .map(|s| s.text.chars().count() * usize::from(s.width))
        .sum()
}

const CELL_WIDTH: usize = 12;
const CELL_HEIGHT: usize = 24;
/// Font A with the default 1/6 inch line spacing leaves 6 dots between lines.
const LINE_GAP: usize = 6;
const MARGIN: usize = 16;
const CUT_HEIGHT: usize = 24;

fn line_height(spans: &[Span]) -> usize {
    let tallest = spans
        .iter()
        .map(|s| usize::from(s.height))
        .max()
        .unwrap_or(1);
    CELL_HEIGHT * tallest + LINE_GAP
}

fn indent(room: usize, used: usize, justify: Justify) -> usize {
    let spare = room.saturating_sub(used);
    match justify {
        Justify::Left => 0,
        Justify::Center => spare / 2,
        Justify::Right => spare,
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn receipt_font(bold: bool) -> FontRef<'static> {
    let bytes: &'static [u8] = if bold {
        include_bytes!("../../assets/DejaVuSansMono-Bold.ttf")
    } else {
        include_bytes!("../../assets/DejaVuSansMono.ttf")
    };
    FontRef::try_from_slice(bytes).expect("the bundled font is a valid TrueType file")
}

/// Draws one character with its cell's bottom at `bottom`.
fn draw_char(image: &mut GrayImage, font: &FontRef, c: char, x: usize, bottom: usize, span: &Span) {
    let (w, h) = (usize::from(span.width), usize::from(span.height));
    let cell_top = bottom - LINE_GAP - CELL_HEIGHT * h;
    let cell_bottom = bottom - LINE_GAP;
    if span.reverse {
        for py in cell_top..cell_bottom {
            for px in x..x + CELL_WIDTH * w {
                put(image, px, py, 0);
            }
        }
    }
    // DejaVu Sans Mono advances 0.6 em, so 20 px type fills a 12-dot cell.
    let scale = PxScale {
        x: 20.0 * w as f32,
        y: 20.0 * h as f32,
    };
    let ascent = font.as_scaled(scale).ascent();
    let baseline = cell_top as f32 + ascent + 2.0 * h as f32;
    let glyph = font
        .glyph_id(c)
        .with_scale_and_position(scale, point(x as f32, baseline));
    if let Some(outline) = font.outline_glyph(glyph) {
        let bounds = outline.px_bounds();
        outline.draw(|gx, gy, coverage| {
            let px = bounds.min.x as i64 + i64::from(gx);
            let py = bounds.min.y as i64 + i64::from(gy);
            if px < 0 || py < 0 {
                return;
            }
            let ink = (coverage.clamp(0.0, 1.0) * 255.0) as u8;
            let (px, py) = (px as usize, py as usize);
            let current = image
                .get_pixel_checked(to_u32(px), to_u32(py))
                .map_or(255, |p| p.0[0]);
            let value = if span.reverse {
                current.saturating_add(ink)
            } else {
                current.saturating_sub(ink)
            };
            put(image, px, py, value);
        });
    }
    if span.underline {
        for px in x..x + CELL_WIDTH * w {
            put(image, px, cell_bottom - 2, 0);
        }
    }
}

fn put(image: &mut GrayImage, x: usize, y: usize, value: u8) {
    if x < image.width() as usize && y < image.height() as usize {
        image.put_pixel(to_u32(x), to_u32(y), Luma([value]));
    }
}

fn need(bytes: &[u8], length: usize) -> Option<&[u8]> {
    bytes.get(..length)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let png = printer.paper().render();
        assert!(png.pixels().any(|p| p.0[0] == 0));
    }
}
