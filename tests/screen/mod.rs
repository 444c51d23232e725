//! The screen tests' small tools: checks that report instead of panicking (the screen's event
//! loop must keep running), taps and keys, screenshots, and reading back the QR and countdown.

use std::path::{Path, PathBuf};

use i_slint_backend_testing::{AccessibleRole, ElementHandle};
use paycode_kiosk::ui::{Kiosk, MainWindow, Page};
use slint::ComponentHandle;
use slint::platform::WindowEvent;

pub type Outcome = Result<(), String>;

pub fn ensure(condition: bool, message: impl FnOnce() -> String) -> Outcome {
    if condition { Ok(()) } else { Err(message()) }
}

/// Taps what `label` names: a button before a text that reads the same (an item key before
/// its line in the cart).
pub fn tap(window: &MainWindow, label: &str) -> Outcome {
    let found: Vec<ElementHandle> =
        ElementHandle::find_by_accessible_label(window, label).collect();
    let button = found
        .iter()
        .find(|element| element.accessible_role() == Some(AccessibleRole::Button))
        .or(found.first())
        .ok_or_else(|| format!("no \"{label}\" on the {:?} page", page(window)))?;
    button.invoke_accessible_default_action();
    Ok(())
}

pub fn press(window: &MainWindow, key: impl Into<slint::SharedString>) {
    let text: slint::SharedString = key.into();
    window
        .window()
        .dispatch_event(WindowEvent::KeyPressed { text: text.clone() });
    window
        .window()
        .dispatch_event(WindowEvent::KeyReleased { text });
}

pub fn page(window: &MainWindow) -> Page {
    window.global::<Kiosk>().get_page()
}

pub fn snapshot(window: &MainWindow) -> Result<image::RgbaImage, String> {
    let pixels = window
        .window()
        .take_snapshot()
        .map_err(|error| format!("snapshot: {error}"))?;
    image::RgbaImage::from_raw(pixels.width(), pixels.height(), pixels.as_bytes().to_vec())
        .ok_or_else(|| "snapshot buffer has the wrong size".to_string())
}

/// Saves a screenshot into target/ (and docs/screenshots/ with UPDATE_SCREENSHOTS=1).
pub fn screenshot(window: &MainWindow, name: &str) -> Outcome {
    let image = snapshot(window)?;
    let dark = image.pixels().filter(|p| p.0[0] < 100).count();
    ensure(dark > 500, || format!("{name}: the screen is blank"))?;
    let mut folders = vec![PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots")];
    if std::env::var_os("UPDATE_SCREENSHOTS").is_some() {
        folders.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots"));
    }
    for folder in folders {
        std::fs::create_dir_all(&folder).map_err(|e| e.to_string())?;
        image
            .save(folder.join(format!("{name}.png")))
            .map_err(|e| format!("{name}: {e}"))?;
    }
    Ok(())
}

pub fn decode_qr(image: &image::RgbaImage) -> Result<String, String> {
    let gray = image::DynamicImage::ImageRgba8(image.clone()).to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(gray);
    let grids = prepared.detect_grids();
    let grid = grids.first().ok_or("no QR code on the screen")?;
    grid.decode()
        .map(|(_, text)| text)
        .map_err(|error| format!("the QR code does not decode: {error}"))
}

pub fn seconds(countdown: &str) -> Result<i64, String> {
    let (minutes, seconds) = countdown
        .split_once(':')
        .ok_or_else(|| format!("countdown {countdown:?}"))?;
    let parse = |part: &str| part.parse::<i64>().map_err(|e| format!("{countdown}: {e}"));
    Ok(parse(minutes)? * 60 + parse(seconds)?)
}
