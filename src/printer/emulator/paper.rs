//! The paper model of the virtual printer: the print mode in force, the line being filled, and
//! what has come out so far (lines of styled spans, dot images, cuts), with the plain text of
//! it. The reader decides what the bytes ask for; this only keeps what the paper shows.

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

/// The print mode the next characters are printed in.
#[derive(Debug, Clone, Copy)]
pub(super) struct Style {
    pub(super) bold: bool,
    pub(super) underline: bool,
    pub(super) reverse: bool,
    pub(super) width: u8,
    pub(super) height: u8,
    pub(super) justify: Justify,
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

/// The paper and the print head over it: characters gather in the current line, in the style
/// in force, until a feed prints the line.
#[derive(Debug)]
pub(super) struct Printout {
    pub(super) style: Style,
    line: Vec<Span>,
    paper: Paper,
}

impl Printout {
    pub(super) fn new(columns: usize) -> Printout {
        Printout {
            style: Style::default(),
            line: Vec::new(),
            paper: Paper {
                columns,
                blocks: Vec::new(),
            },
        }
    }

    pub(super) fn paper(&self) -> &Paper {
        &self.paper
    }

    pub(super) fn push_char(&mut self, c: char) {
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

    /// Prints the current line, blank if nothing is in it.
    pub(super) fn end_line(&mut self) {
        let spans = std::mem::take(&mut self.line);
        self.paper.blocks.push(Block::Line {
            spans,
            justify: self.style.justify,
        });
    }

    /// Prints the current line if anything is in it.
    pub(super) fn flush_partial_line(&mut self) {
        if !self.line.is_empty() {
            self.end_line();
        }
    }

    /// Prints what is buffered and feeds `n` lines in all.
    pub(super) fn feed_lines(&mut self, n: u8) {
        let mut n = usize::from(n);
        if !self.line.is_empty() {
            self.end_line();
            n = n.saturating_sub(1);
        }
        for _ in 0..n {
            self.end_line();
        }
    }

    /// Prints a dot image of `width` by `height` dots, row by row, on a line of its own.
    pub(super) fn image(
        &mut self,
        width: usize,
        height: usize,
        dots: Vec<bool>,
        qr_text: Option<String>,
    ) {
        self.flush_partial_line();
        self.paper.blocks.push(Block::Image {
            width,
            height,
            dots,
            justify: self.style.justify,
            qr_text,
        });
    }

    pub(super) fn cut(&mut self) {
        self.flush_partial_line();
        self.paper.blocks.push(Block::Cut);
    }
}

/// What came out of the printer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paper {
    pub(super) columns: usize,
    pub(super) blocks: Vec<Block>,
}

impl Paper {
    pub fn blocks(&self) -> &[Block] {
        &self.blocks
    }

    pub fn cuts(&self) -> usize {
        self.blocks.iter().filter(|b| **b == Block::Cut).count()
    }

    /// The paper cut into the documents printed so far (an uncut rest is left out).
    pub(super) fn documents(&self) -> Vec<Paper> {
        self.blocks
            .split_inclusive(|block| *block == Block::Cut)
            .filter(|blocks| blocks.last() == Some(&Block::Cut))
            .map(|blocks| Paper {
                columns: self.columns,
                blocks: blocks.to_vec(),
            })
            .collect()
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
}

/// How far `used` of `room` is pushed in by `justify`, in the same units (columns or dots).
pub(super) fn indent(room: usize, used: usize, justify: Justify) -> usize {
    let spare = room.saturating_sub(used);
    match justify {
        Justify::Left => 0,
        Justify::Center => spare / 2,
        Justify::Right => spare,
    }
}
