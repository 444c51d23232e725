//! The screen's fonts are cut down to the Latin scripts and a few symbols
//! (scripts/subset-fonts.sh). This fails when a screen, a word the Rust side puts on screen, or
//! a translation uses a character the fonts no longer have, which would otherwise show as an
//! empty box at the counter.

use std::collections::BTreeSet;
use std::path::Path;

#[path = "common/files.rs"]
mod files;

use files::files_with_extension;

/// Letters French and Krio need whether or not a catalogue uses them yet.
const LANGUAGE_LETTERS: &str = "àâæçéèêëîïôœùûüÿÀÂÆÇÉÈÊËÎÏÔŒÙÛÜŸ«»\u{202F}\u{A0}’ɛɔƐƆ";

#[test]
fn the_screen_fonts_have_every_character_the_screens_use() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut sources = Vec::new();
    sources.extend(files_with_extension(&root.join("ui"), &["slint"]));
    sources.extend(files_with_extension(&root.join("src/ui"), &["rs"]));
    sources.extend(files_with_extension(root, &["po", "pot"]));
    assert!(sources.len() > 5, "found only {sources:?}");

    let mut used: BTreeSet<char> = LANGUAGE_LETTERS.chars().collect();
    for source in &sources {
        let text = std::fs::read_to_string(source).expect("a source file");
        used.extend(text.chars().filter(|c| !c.is_control()));
    }

    for font in ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf"] {
        let bytes = std::fs::read(root.join("assets").join(font)).expect("the font");
        let face = ttf_parser::Face::parse(&bytes, 0).expect("a TrueType font");
        let missing: String = used
            .iter()
            .filter(|c| face.glyph_index(**c).is_none())
            .collect();
        assert!(
            missing.is_empty(),
            "{font} lacks {missing:?}: add them to scripts/subset-fonts.sh and run it"
        );
    }
}
