//! A small bar chart of requests per second, with the space's limit and the 120 % line, drawn
//! with the crates the terminal already has (image, ab_glyph) and its bundled font.

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};
use image::{Rgb, RgbImage};

const WIDTH: u32 = 1000;
const HEIGHT: u32 = 380;
const LEFT: u32 = 60;
const RIGHT: u32 = 20;
const TOP: u32 = 50;
const BOTTOM: u32 = 50;

const INK: Rgb<u8> = Rgb([40, 40, 40]);
const BAR: Rgb<u8> = Rgb([70, 110, 180]);
const LIMIT: Rgb<u8> = Rgb([200, 40, 40]);
const OUTAGE: Rgb<u8> = Rgb([235, 235, 235]);
const GRID: Rgb<u8> = Rgb([215, 215, 215]);

/// Requests per second (one bar a second), the limit as a red line, 120 % of it dashed, and
/// the seconds Monime was away (`outage`, from and to) shaded.
pub fn request_rate(rates: &[u32], limit: u32, outage: Option<(usize, usize)>) -> RgbImage {
    let mut image = RgbImage::from_pixel(WIDTH, HEIGHT, Rgb([255, 255, 255]));
    let font = FontRef::try_from_slice(include_bytes!("../../assets/DejaVuSans.ttf"))
        .expect("the bundled font is a valid TrueType file");
    let seconds = rates.len().max(1);
    let top_rate = rates
        .iter()
        .copied()
        .max()
        .unwrap_or(0)
        .max(limit * 3 / 2)
        .max(1);
    let (plot_w, plot_h) = (WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM);
    let x_of = |second: usize| LEFT + (second as u64 * u64::from(plot_w) / seconds as u64) as u32;
    let y_of = |rate: f64| TOP + plot_h - (rate / f64::from(top_rate) * f64::from(plot_h)) as u32;

    if let Some((from, to)) = outage {
        fill(&mut image, x_of(from), TOP, x_of(to), TOP + plot_h, OUTAGE);
    }
    let step = [1, 2, 5, 10, 20, 50, 100]
        .into_iter()
        .find(|step| top_rate / step <= 6)
        .unwrap_or(200);
    for rate in (0..=top_rate).step_by(step as usize) {
        let y = y_of(f64::from(rate));
        fill(&mut image, LEFT, y, LEFT + plot_w, y + 1, GRID);
        text(&mut image, &font, 20, y + 5, &rate.to_string(), INK);
    }
    for (second, &rate) in rates.iter().enumerate() {
        let x1 = x_of(second + 1).saturating_sub(1).max(x_of(second) + 1);
        fill(
            &mut image,
            x_of(second),
            y_of(f64::from(rate)),
            x1,
            TOP + plot_h,
            BAR,
        );
    }
    let limit_y = y_of(f64::from(limit));
    fill(&mut image, LEFT, limit_y, LEFT + plot_w, limit_y + 2, LIMIT);
    dashes(
        &mut image,
        LEFT,
        LEFT + plot_w,
        y_of(1.2 * f64::from(limit)),
    );
    for second in (0..=seconds).step_by(60) {
        let x = x_of(second).saturating_sub(8);
        text(
            &mut image,
            &font,
            x,
            HEIGHT - BOTTOM + 20,
            &second.to_string(),
            INK,
        );
    }
    text(
        &mut image,
        &font,
        LEFT,
        HEIGHT - 10,
        "seconds into the run",
        INK,
    );
    let title = "Requests per second reaching Monime, all terminals together";
    text(&mut image, &font, LEFT, 16, title, INK);
    // The legend, above the bars so nothing hides it.
    let legend_y = 34;
    fill(
        &mut image,
        LEFT,
        legend_y - 5,
        LEFT + 30,
        legend_y - 3,
        LIMIT,
    );
    let limit_words = format!("space limit, {limit} requests/s");
    text(&mut image, &font, LEFT + 36, legend_y, &limit_words, INK);
    dashes(&mut image, LEFT + 300, LEFT + 330, legend_y - 5);
    text(
        &mut image,
        &font,
        LEFT + 336,
        legend_y,
        "120 % of the limit",
        INK,
    );
    if outage.is_some() {
        fill(
            &mut image,
            LEFT + 520,
            legend_y - 12,
            LEFT + 550,
            legend_y,
            OUTAGE,
        );
        text(&mut image, &font, LEFT + 556, legend_y, "Monime away", INK);
    }
    image
}

fn dashes(image: &mut RgbImage, from: u32, to: u32, y: u32) {
    for x in (from..to).step_by(12) {
        fill(image, x, y, (x + 6).min(to), y + 1, LIMIT);
    }
}

fn fill(image: &mut RgbImage, x0: u32, y0: u32, x1: u32, y1: u32, colour: Rgb<u8>) {
    for y in y0..y1.min(HEIGHT) {
        for x in x0..x1.min(WIDTH) {
            image.put_pixel(x, y, colour);
        }
    }
}

/// Writes `words` with the baseline at `baseline`.
fn text(image: &mut RgbImage, font: &FontRef, x: u32, baseline: u32, words: &str, colour: Rgb<u8>) {
    let scale = PxScale::from(15.0);
    let mut caret = x as f32;
    for c in words.chars() {
        let glyph = font
            .glyph_id(c)
            .with_scale_and_position(scale, point(caret, baseline as f32));
        caret += font.as_scaled(scale).h_advance(font.glyph_id(c));
        let Some(outline) = font.outline_glyph(glyph) else {
            continue;
        };
        let bounds = outline.px_bounds();
        outline.draw(|gx, gy, coverage| {
            let (px, py) = (
                bounds.min.x as i64 + i64::from(gx),
                bounds.min.y as i64 + i64::from(gy),
            );
            if px < 0 || py < 0 || px >= i64::from(WIDTH) || py >= i64::from(HEIGHT) {
                return;
            }
            let pixel = image.get_pixel_mut(px as u32, py as u32);
            for (channel, ink) in pixel.0.iter_mut().zip(colour.0) {
                *channel =
                    (f32::from(*channel) * (1.0 - coverage) + f32::from(ink) * coverage) as u8;
            }
        });
    }
}
