//! What the terminal's screen shows, read from a screendump: the amount keypad, the payment
//! code (its QR decoded), PAID, or something else. Positions are those of the 800x480 layout
//! (docs/screenshots/).

use image::{Rgba, RgbaImage};

#[derive(Debug, Clone, PartialEq)]
pub enum Screen {
    /// Nothing drawn yet (the console, or black).
    Nothing,
    Amount,
    /// The payment page, with what its QR code holds.
    Payment(String),
    Paid,
    /// The start-up page: the terminal cannot sell yet and says why (not set up, for one).
    Starting,
    Other,
}

const BAR: [u8; 3] = [0x10, 0x2a, 0x43];
const BACKGROUND: [u8; 3] = [0xee, 0xf0, 0xf3];
const KEY: [u8; 3] = [0xff, 0xff, 0xff];
const PRIMARY: [u8; 3] = [0x0a, 0x7a, 0x3a];
/// The start-up page's title.
const WARNING: [u8; 3] = [0x8a, 0x4b, 0x00];
/// The status bar's lights, and demo mode's badge in it.
const LIGHT_OK: [u8; 3] = [0x3d, 0xdc, 0x84];
const LIGHT_PROBLEM: [u8; 3] = [0xff, 0x6b, 0x5f];
const DEMO: [u8; 3] = [0xf5, 0xb7, 0x00];
/// The middle of the status bar (44 px tall at 800x480), through its lights.
const BAR_MIDDLE: u32 = 22;

/// Where to tap for each key of the amount page, and the buttons the checks use.
pub fn button(label: &str) -> Option<(u32, u32)> {
    Some(match label {
        "7" => (506, 94),
        "8" => (626, 94),
        "9" => (736, 94),
        "4" => (506, 178),
        "5" => (626, 178),
        "6" => (736, 178),
        "1" => (506, 262),
        "2" => (626, 262),
        "3" => (736, 262),
        "00" => (506, 346),
        "0" => (626, 346),
        "." => (736, 346),
        "C" => (506, 430),
        "Charge" => (222, 320),
        "New sale" => (508, 380),
        _ => return None,
    })
}

fn is(image: &RgbaImage, (x, y): (u32, u32), colour: [u8; 3]) -> bool {
    let Rgba([r, g, b, _]) = *image.get_pixel(x, y);
    [r, g, b]
        .iter()
        .zip(colour)
        .all(|(&have, want)| have.abs_diff(want) <= 12)
}

pub fn classify(image: &RgbaImage) -> Screen {
    if image.width() != 800 || image.height() != 480 {
        return Screen::Nothing;
    }
    if !is(image, (4, 4), BAR) {
        return Screen::Nothing;
    }
    if is(image, (20, 100), PRIMARY) && is(image, (780, 460), PRIMARY) {
        return Screen::Paid;
    }
    let keys = [(470, 75), (470, 410), (600, 410)];
    if keys.iter().all(|&at| is(image, at, KEY)) && is(image, (300, 215), BACKGROUND) {
        return Screen::Amount;
    }
    let title_band = (100..260)
        .step_by(2)
        .flat_map(|y| (60..740).step_by(3).map(move |x| (x, y)));
    if is(image, (400, 400), [0xff, 0xff, 0xff])
        && title_band.into_iter().any(|at| is(image, at, WARNING))
    {
        return Screen::Starting;
    }
    match decode_qr(image) {
        Some(text) => Screen::Payment(text),
        None => Screen::Other,
    }
}

/// What the status bar's middle row shows: its lights by colour, and demo mode's badge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bar {
    pub lights_ok: usize,
    pub lights_problem: usize,
    pub demo: bool,
}

pub fn bar(image: &RgbaImage) -> Bar {
    let mut bar = Bar {
        lights_ok: 0,
        lights_problem: 0,
        demo: false,
    };
    if image.width() != 800 || image.height() != 480 {
        return bar;
    }
    // A light is a run of its colour along the row; the same colour again after a gap is the
    // next light.
    let mut previous = None;
    for x in 0..image.width() {
        let at = (x, BAR_MIDDLE);
        let colour = [LIGHT_OK, LIGHT_PROBLEM, DEMO]
            .into_iter()
            .find(|colour| is(image, at, *colour));
        if colour != previous {
            match colour {
                Some(LIGHT_OK) => bar.lights_ok += 1,
                Some(LIGHT_PROBLEM) => bar.lights_problem += 1,
                Some(_) => bar.demo = true,
                None => {}
            }
        }
        previous = colour;
    }
    bar
}

fn decode_qr(image: &RgbaImage) -> Option<String> {
    let gray = image::DynamicImage::ImageRgba8(image.clone()).to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(gray);
    let grids = prepared.detect_grids();
    grids.first()?.decode().ok().map(|(_, text)| text)
}
