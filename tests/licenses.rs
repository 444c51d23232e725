//! The package ships the licences of the crates it is built from (licenses/third-party.txt, in
//! the .deb as /usr/share/doc/paycode-kiosk/third-party-licenses.txt). Written by
//! scripts/third-party-licenses.sh with cargo-about, which CI does not install: this test
//! needs no tool, and fails when Cargo.lock has changed since the file was written.

use std::collections::BTreeSet;
use std::path::Path;

const REGENERATE: &str = "run scripts/third-party-licenses.sh (it needs cargo-about: cargo install \
     --locked cargo-about --features cli) and commit what it writes";

fn read(path: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()))
}

/// Every crate of Cargo.lock but the terminal itself, as "name version".
fn locked() -> BTreeSet<String> {
    let lock: toml::Table = read("Cargo.lock").parse().expect("Cargo.lock is TOML");
    let packages = lock
        .get("package")
        .and_then(|packages| packages.as_array())
        .expect("Cargo.lock lists packages");
    packages
        .iter()
        .filter_map(|package| {
            let name = package.get("name")?.as_str()?;
            let version = package.get("version")?.as_str()?;
            (name != env!("CARGO_PKG_NAME")).then(|| format!("{name} {version}"))
        })
        .collect()
}

/// The crates licenses/third-party.txt lists ("  - name version: licence").
fn shipped(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|line| line.strip_prefix("  - ")?.split_once(':'))
        .map(|(krate, _)| krate.to_string())
        .collect()
}

/// The crates licenses/left-out.txt names, a line each after its comments.
fn left_out(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn every_crate_of_cargo_lock_is_shipped_with_its_licence_or_left_out() {
    let locked = locked();
    let shipped = shipped(&read("licenses/third-party.txt"));
    let left_out = left_out(&read("licenses/left-out.txt"));
    assert!(
        shipped.len() > 100,
        "licenses/third-party.txt lists {} crates",
        shipped.len()
    );
    let both: Vec<_> = shipped.intersection(&left_out).collect();
    assert!(both.is_empty(), "shipped and left out at once: {both:?}");
    let known: BTreeSet<String> = shipped.union(&left_out).cloned().collect();
    let new: Vec<_> = locked.difference(&known).collect();
    let gone: Vec<_> = known.difference(&locked).collect();
    assert!(
        new.is_empty() && gone.is_empty(),
        "Cargo.lock has changed since licenses/third-party.txt was written.\n\
         In Cargo.lock, not in the licence files: {new:?}\n\
         In the licence files, not in Cargo.lock: {gone:?}\n{REGENERATE}"
    );
}

#[test]
fn the_screens_fonts_licence_is_shipped() {
    let text = read("licenses/third-party.txt");
    let fonts = read("assets/LICENSE-DejaVu.txt");
    assert!(
        text.contains(fonts.trim()),
        "licenses/third-party.txt lacks assets/LICENSE-DejaVu.txt; {REGENERATE}"
    );
}

/// The file is what the package installs: Cargo.toml's deb assets name it.
#[test]
fn the_package_installs_the_licences() {
    let manifest: toml::Table = read("Cargo.toml").parse().expect("Cargo.toml is TOML");
    let assets = manifest
        .get("package")
        .and_then(|package| package.get("metadata"))
        .and_then(|metadata| metadata.get("deb"))
        .and_then(|deb| deb.get("assets"))
        .and_then(|assets| assets.as_array())
        .expect("[package.metadata.deb] assets");
    let installed = assets.iter().any(|asset| {
        let asset = asset.as_array();
        asset.and_then(|asset| asset.first()?.as_str()) == Some("licenses/third-party.txt")
            && asset.and_then(|asset| asset.get(1)?.as_str())
                == Some("usr/share/doc/paycode-kiosk/third-party-licenses.txt")
    });
    assert!(
        installed,
        "the .deb does not install licenses/third-party.txt"
    );
}
