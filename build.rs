//! Compiles the screens in ui/ into Rust, with the translations in lang/ bundled into them, and
//! turns the same catalogues into a table for the words Rust writes (receipts, reports, the
//! screen's sentences), so one `.po` file a language holds everything a cashier or customer
//! reads. Debug info keeps element ids, which the UI tests find elements by.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use rspolib::prelude::*;

/// Where the catalogues are: `lang/<code>/LC_MESSAGES/paycode-kiosk.po`, the layout Slint reads.
const LANG_DIR: &str = "lang";

fn main() {
    let config = slint_build::CompilerConfiguration::new()
        .with_debug_info(true)
        .with_bundled_translations(LANG_DIR)
        // One msgid for one English text wherever it appears, as the Rust side looks it up: no
        // component name as a hidden context.
        .with_default_translation_context(slint_build::DefaultTranslationContext::None);
    if let Err(error) = slint_build::compile_with_config("ui/main.slint", config) {
        panic!("the UI in ui/ does not compile: {error}");
    }
    let table = match catalogue_table(Path::new(LANG_DIR)) {
        Ok(table) => table,
        Err(error) => panic!("the catalogues in {LANG_DIR}/ cannot be read: {error}"),
    };
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    if let Err(error) = std::fs::write(out.join("catalogues.rs"), table) {
        panic!("cannot write the catalogue table: {error}");
    }
    println!("cargo:rerun-if-changed={LANG_DIR}");
}

/// Rust source for `src/lang/catalogue.rs`: each language's translated entries, sorted by
/// msgid for a binary search. Untranslated and fuzzy entries are left out, so English shows
/// instead, as Slint does for the screens.
fn catalogue_table(dir: &Path) -> Result<String, String> {
    let mut codes: Vec<String> = std::fs::read_dir(dir)
        .map_err(|error| format!("{}: {error}", dir.display()))?
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.path().is_dir())
        .filter_map(|entry| entry.file_name().into_string().ok())
        .collect();
    codes.sort();
    let mut out = String::from("&[\n");
    for code in codes {
        let path = dir.join(&code).join("LC_MESSAGES").join("paycode-kiosk.po");
        println!("cargo:rerun-if-changed={}", path.display());
        let file = rspolib::pofile(path.as_path())
            .map_err(|error| format!("{}: {error}", path.display()))?;
        let plural_forms = file
            .metadata
            .get("Plural-Forms")
            .cloned()
            .unwrap_or_default();
        let mut entries: Vec<(String, Vec<String>)> = file
            .entries
            .iter()
            .filter(|entry| entry.translated())
            .map(|entry| {
                let key = match &entry.msgctxt {
                    Some(context) => format!("{context}\u{4}{}", entry.msgid),
                    None => entry.msgid.clone(),
                };
                let forms = match &entry.msgstr {
                    Some(text) if entry.msgid_plural.is_none() => vec![text.clone()],
                    _ => entry.msgstr_plural.clone(),
                };
                (key, forms)
            })
            .collect();
        entries.sort();
        writeln!(
            out,
            "    Catalogue {{ code: {code:?}, plural_forms: {plural_forms:?}, entries: &["
        )
        .map_err(|error| error.to_string())?;
        for (key, forms) in entries {
            writeln!(out, "        ({key:?}, &{forms:?}),").map_err(|error| error.to_string())?;
        }
        out.push_str("    ] },\n");
    }
    out.push(']');
    Ok(out)
}
