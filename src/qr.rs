//! What the payment QR code holds, and how it is drawn in a terminal. Monime documents no QR
//! format, so the payload is configurable: a `tel:` URI (a phone camera offers to dial it) or
//! the bare USSD string.

use qrcode::render::unicode::Dense1x2;
use qrcode::{EcLevel, QrCode};
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
}
