//! The field test reads the terminal's screen from screendumps (`tests/field/screen.rs`); here
//! it reads the screenshots `tests/ui.rs` makes of the same screens at the same size, so a
//! change of the screens that would blind the field test fails in a plain `cargo test`.

#[path = "field/screen.rs"]
mod screen;

use std::path::Path;

use screen::{Bar, Screen, bar, button, classify};

fn shot(name: &str) -> image::RgbaImage {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("docs/screenshots")
        .join(format!("{name}.png"));
    image::open(&path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()))
        .to_rgba8()
}

#[test]
fn the_field_test_reads_each_screen_as_it_is() {
    assert_eq!(classify(&shot("amount")), Screen::Amount);
    assert_eq!(classify(&shot("paid")), Screen::Paid);
    assert!(
        matches!(classify(&shot("payment")), Screen::Payment(text) if text.starts_with("tel:"))
    );
    for name in [
        "not-set-up",
        "fr-not-set-up",
        "kri-not-set-up",
        "starting-problem",
    ] {
        assert_eq!(classify(&shot(name)), Screen::Starting, "{name}");
    }
}

#[test]
fn the_status_bar_says_whether_monime_is_online_and_whether_it_is_a_demo() {
    let online = bar(&shot("amount"));
    assert_eq!(
        online,
        Bar {
            lights_ok: 2,
            lights_problem: 0,
            demo: false
        }
    );
    let lost = bar(&shot("connection-lost"));
    assert!(lost.lights_problem >= 1 && !lost.demo, "{lost:?}");
    // Before it has started, the start-up page lights nothing.
    assert_eq!(bar(&shot("not-set-up")).lights_ok, 0);
}

#[test]
fn the_field_test_taps_land_on_the_keys() {
    let amount = shot("amount");
    for key in [
        "1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "00", ".", "C",
    ] {
        let (x, y) = button(key).expect("a key the field test taps");
        // Beside the label, which the tap's very point may land on.
        let image::Rgba([red, green, blue, _]) = *amount.get_pixel(x - 30, y);
        assert!(
            red > 240 && green > 240 && blue > 240,
            "{key} at ({x}, {y}) is not on a key: {:?}",
            [red, green, blue]
        );
    }
}
