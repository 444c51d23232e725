//! The paper drawn as a PNG preview: 12 by 24 dot characters in the bundled DejaVu Sans Mono
//! (as on a font-A printer, one pixel a dot), dot images as printed, cuts as dashed lines.

use std::path::Path;

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};
use image::{GrayImage, Luma};

use super::paper::{Block, Paper, Span, indent};

const CELL_WIDTH: usize = 12;
const CELL_HEIGHT: usize = 24;
/// Font A with the default 1/6 inch line spacing leaves 6 dots between lines.
const LINE_GAP: usize = 6;
const MARGIN: usize = 16;
const CUT_HEIGHT: usize = 24;

impl Paper {
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

fn line_height(spans: &[Span]) -> usize {
    let tallest = spans
        .iter()
        .map(|s| usize::from(s.height))
        .max()
        .unwrap_or(1);
    CELL_HEIGHT * tallest + LINE_GAP
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn receipt_font(bold: bool) -> FontRef<'static> {
    let bytes: &'static [u8] = if bold {
        include_bytes!("../../../assets/DejaVuSansMono-Bold.ttf")
    } else {
        include_bytes!("../../../assets/DejaVuSansMono.ttf")
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
