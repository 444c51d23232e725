//! A small bar chart of requests per second, with the space's limit and the 120 % line, drawn
//! with the crates the terminal already has (image, ab_glyph) and its bundled font.

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};
use image::{Rgb, RgbImage};

/// Requests per second over a run, for the table and the plot.
pub struct Rates {
    pub all: Vec<u32>,
    pub throttled: Vec<u32>,
    pub limit: u32,
    /// The seconds Monime was away, from and to.
    pub outage: Option<(usize, usize)>,
}

const WIDTH: u32 = 1000;
const HEIGHT: u32 = 390;
const LEFT: u32 = 60;
const RIGHT: u32 = 20;
const TOP: u32 = 50;
const BOTTOM: u32 = 50;

const INK: Rgb<u8> = Rgb([40, 40, 40]);
const BAR: Rgb<u8> = Rgb([70, 110, 180]);
const THROTTLED: Rgb<u8> = Rgb([240, 140, 60]);
const LIMIT: Rgb<u8> = Rgb([200, 40, 40]);
const OUTAGE: Rgb<u8> = Rgb([232, 232, 232]);
const GRID: Rgb<u8> = Rgb([215, 215, 215]);

/// Requests per second (one bar a second, the part answered 429 in orange), the limit as a
/// red line, 120 % of it dashed, and the seconds Monime was away shaded.
pub fn request_rate(rates: &Rates) -> RgbImage {
    let mut canvas = Canvas::new();
    let seconds = rates.all.len().max(1);
    let highest = rates.all.iter().copied().max().unwrap_or(0);
    let top_rate = highest.max(rates.limit * 3 / 2).max(1);
    let (plot_w, plot_h) = (WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM);
    let x_of = |second: usize| LEFT + (second as u64 * u64::from(plot_w) / seconds as u64) as u32;
    let y_of = |rate: f64| TOP + plot_h - (rate / f64::from(top_rate) * f64::from(plot_h)) as u32;
    let bottom = TOP + plot_h;

    if let Some((from, to)) = rates.outage {
        canvas.fill(x_of(from), TOP, x_of(to), bottom, OUTAGE);
    }
    let step = [1, 2, 5, 10, 20, 50, 100]
        .into_iter()
        .find(|step| top_rate / step <= 6)
        .unwrap_or(200);
    for rate in (0..=top_rate).step_by(step as usize) {
        let y = y_of(f64::from(rate));
        canvas.fill(LEFT, y, LEFT + plot_w, y + 1, GRID);
        canvas.text(20, y + 5, &rate.to_string(), INK);
    }
    for (second, &rate) in rates.all.iter().enumerate() {
        let (x0, x1) = (x_of(second), x_of(second + 1).max(x_of(second) + 2) - 1);
        let refused = rates.throttled.get(second).copied().unwrap_or(0);
        let answered_top = y_of(f64::from(rate - refused));
        canvas.fill(x0, y_of(f64::from(rate)), x1, answered_top, THROTTLED);
        canvas.fill(x0, answered_top, x1, bottom, BAR);
    }
    let limit_y = y_of(f64::from(rates.limit));
    canvas.fill(LEFT, limit_y, LEFT + plot_w, limit_y + 2, LIMIT);
    canvas.dashes(LEFT, LEFT + plot_w, y_of(1.2 * f64::from(rates.limit)));
    for second in (0..=seconds).step_by(60) {
        canvas.text(
            x_of(second).saturating_sub(8),
            bottom + 20,
            &second.to_string(),
            INK,
        );
    }
    canvas.text(LEFT, HEIGHT - 10, "seconds into the run", INK);
    canvas.text(
        LEFT,
        16,
        "Requests per second reaching Monime, all terminals together",
        INK,
    );

    // The legend, above the bars so that nothing hides it.
    let y = 38;
    canvas.fill(LEFT, y - 5, LEFT + 30, y - 3, LIMIT);
    canvas.text(
        LEFT + 36,
        y,
        &format!("space limit, {} requests/s", rates.limit),
        INK,
    );
    canvas.dashes(LEFT + 290, LEFT + 320, y - 5);
    canvas.text(LEFT + 326, y, "120 % of the limit", INK);
    canvas.fill(LEFT + 490, y - 12, LEFT + 502, y, THROTTLED);
    canvas.text(LEFT + 508, y, "answered 429", INK);
    if rates.outage.is_some() {
        canvas.fill(LEFT + 640, y - 12, LEFT + 670, y, OUTAGE);
        canvas.text(LEFT + 676, y, "Monime away (connections dropped)", INK);
    }
    canvas.image
}

struct Canvas {
    image: RgbImage,
    font: FontRef<'static>,
}

impl Canvas {
    fn new() -> Canvas {
        let font = FontRef::try_from_slice(include_bytes!("../../assets/DejaVuSans.ttf"))
            .expect("the bundled font is a valid TrueType file");
        Canvas {
            image: RgbImage::from_pixel(WIDTH, HEIGHT, Rgb([255, 255, 255])),
            font,
        }
    }

    fn fill(&mut self, x0: u32, y0: u32, x1: u32, y1: u32, colour: Rgb<u8>) {
        for y in y0..y1.min(HEIGHT) {
            for x in x0..x1.min(WIDTH) {
                self.image.put_pixel(x, y, colour);
            }
        }
    }

    fn dashes(&mut self, from: u32, to: u32, y: u32) {
        for x in (from..to).step_by(12) {
            self.fill(x, y, (x + 6).min(to), y + 1, LIMIT);
        }
    }

    /// Writes `words` with the baseline at `baseline`.
    fn text(&mut self, x: u32, baseline: u32, words: &str, colour: Rgb<u8>) {
        let scale = PxScale::from(15.0);
        let mut caret = x as f32;
        for c in words.chars() {
            let id = self.font.glyph_id(c);
            let glyph = id.with_scale_and_position(scale, point(caret, baseline as f32));
            caret += self.font.as_scaled(scale).h_advance(id);
            let Some(outline) = self.font.outline_glyph(glyph) else {
                continue;
            };
            let bounds = outline.px_bounds();
            let image = &mut self.image;
            outline.draw(|gx, gy, coverage| {
                let px = bounds.min.x as i64 + i64::from(gx);
                let py = bounds.min.y as i64 + i64::from(gy);
                if px < 0 || py < 0 || px >= i64::from(WIDTH) || py >= i64::from(HEIGHT) {
                    return;
                }
                let pixel = image.get_pixel_mut(px as u32, py as u32);
                for (channel, ink) in pixel.0.iter_mut().zip(colour.0) {
                    let blended =
                        f32::from(*channel) * (1.0 - coverage) + f32::from(ink) * coverage;
                    *channel = blended as u8;
                }
            });
        }
    }
}
