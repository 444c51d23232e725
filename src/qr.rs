//! What the payment QR code holds, and how it is drawn: in a terminal, and as a square of dots
//! for the screen's image, a receipt's raster image and the virtual printer. Monime documents
//! no QR format, so the payload is configurable: a `tel:` URI (a phone camera offers to dial it)
//! or the bare USSD string.

use qrcode::render::unicode::Dense1x2;
use qrcode::{Color, EcLevel, QrCode};
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QrPayload {
    /// `tel:*715*1*0123456789%23`: `#` must be escaped in a URI.
    #[default]
    Tel,
    /// `*715*1*0123456789#` as Monime gave it.
    Ussd,
}

impl QrPayload {
    pub fn for_ussd(self, ussd_code: &str) -> String {
        match self {
            QrPayload::Tel => format!("tel:{}", ussd_code.replace('#', "%23")),
            QrPayload::Ussd => ussd_code.to_string(),
        }
    }
}

/// The QR code of `payload`, built with medium error correction (readable through a smudged
/// screen or glare).
pub fn encode(payload: &str) -> Result<QrCode, String> {
    QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M)
        .map_err(|error| format!("the QR code cannot hold \"{payload}\": {error}"))
}

/// The QR code as text, two modules per character cell, with a quiet zone. Light modules are
/// drawn as blocks in the terminal's (usually light) text colour on its (usually dark)
/// background, so the code reads dark-on-light as scanners expect.
pub fn to_terminal(code: &QrCode) -> String {
    let mut text = code
        .render::<Dense1x2>()
        .dark_color(Dense1x2::Light)
        .light_color(Dense1x2::Dark)
        .quiet_zone(true)
        .build();
    text.push('\n');
    text
}

/// The light margin the QR standard asks for around a code, in modules.
pub const QUIET_ZONE: usize = 4;

/// A QR code as a square of dots: each module `scale` dots a side (at least 1), inside a light
/// margin `margin` modules wide. Screen pixels, printer dots and raster bits all come from here.
#[derive(Clone)]
pub struct QrDots {
    code: QrCode,
    scale: usize,
    margin: usize,
}

impl QrDots {
    pub fn new(code: QrCode, scale: usize, margin: usize) -> QrDots {
        QrDots {
            code,
            scale,
            margin,
        }
    }

    /// Dots on each side, margin included.
    pub fn side(&self) -> usize {
        (self.code.width() + 2 * self.margin) * self.scale
    }

    /// Whether the dot `x` from the left and `y` from the top is dark; the margin, and
    /// anything past the side, is light.
    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        let modules = self.code.width();
        let (mx, my) = (
            (x / self.scale).wrapping_sub(self.margin),
            (y / self.scale).wrapping_sub(self.margin),
        );
        mx < modules && my < modules && self.code[(mx, my)] == Color::Dark
    }

    /// Every dot, row by row from the top left: `side() * side()` of them.
    pub fn dots(&self) -> impl Iterator<Item = bool> + '_ {
        let side = self.side();
        (0..side * side).map(move |i| self.is_dark(i % side, i / side))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tel_payload_escapes_the_hash() {
        assert_eq!(
            QrPayload::Tel.for_ussd("*715*1*0123456789#"),
            "tel:*715*1*0123456789%23"
        );
        assert_eq!(
            QrPayload::Ussd.for_ussd("*715*1*0123456789#"),
            "*715*1*0123456789#"
        );
    }

    #[test]
    fn terminal_drawing_is_square_and_uses_half_blocks() {
        let code = encode("tel:*715*1*0123456789%23").expect("encodes");
        let drawing = to_terminal(&code);
        let lines: Vec<&str> = drawing.lines().collect();
        let width = code.width() + 8;
        assert_eq!(lines.len(), width.div_ceil(2));
        assert!(lines.iter().all(|line| line.chars().count() == width));
        assert!(drawing.contains('▀') || drawing.contains('▄'));
    }

    #[test]
    fn dots_scale_the_modules_inside_a_light_margin() {
        let code = encode("pmc-1").expect("encodes");
        let modules = code.width();
        let colors = code.to_colors();
        let dots = QrDots::new(code, 3, 2);
        let side = dots.side();
        assert_eq!(side, (modules + 4) * 3);
        let all: Vec<bool> = dots.dots().collect();
        assert_eq!(all.len(), side * side);
        for (i, dark) in all.into_iter().enumerate() {
            let (mx, my) = ((i % side) / 3, (i / side) / 3);
            let inside = (2..modules + 2).contains(&mx) && (2..modules + 2).contains(&my);
            let expected = inside && colors[(my - 2) * modules + (mx - 2)] == Color::Dark;
            assert_eq!(dark, expected, "dot {i}");
        }
        // The top left finder pattern starts right after the margin.
        assert!(!dots.is_dark(5, 5) && dots.is_dark(6, 6));
        assert!(!dots.is_dark(side, 6), "past the side is light");
    }
}
