#!/usr/bin/env bash
# Writes licenses/third-party.txt, the licences of what the terminal's binary is built from,
# which the .deb installs as /usr/share/doc/paycode-kiosk/third-party-licenses.txt: every crate
# of the device build with the licence it is used under and that licence's text (taken from
# the crate's own files where it has them), then the screen's fonts. It also writes
# licenses/left-out.txt, the crates of Cargo.lock that are not in that binary.
#
# Run it after any change to Cargo.lock: tests/licenses.rs fails until the two files and
# Cargo.lock agree. It needs cargo-about (cargo install --locked cargo-about --features cli)
# and no network: the crates' sources are read from cargo's cache.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v cargo-about >/dev/null || {
    echo "cargo-about is not installed: cargo install --locked cargo-about --features cli" >&2
    exit 1
}
# The features the package is built with ([package.metadata.deb] in Cargo.toml).
build=(--no-default-features --features device)
# The crates' sources, all of them, for every system; then nothing more is fetched.
cargo fetch --locked
out=licenses/third-party.txt
cargo about generate --frozen --fail -c licenses/about.toml "${build[@]}" licenses/about.hbs \
    | sed -e 's/[[:space:]]*$//' | cat -s > "$out.new"
{
    echo "--------------------------------------------------------------------------------"
    echo "The screen's fonts: DejaVu Sans and DejaVu Sans Bold (assets/), cut down to the"
    echo "characters the terminal shows (scripts/subset-fonts.sh), under this licence:"
    echo
    cat assets/LICENSE-DejaVu.txt
} >> "$out.new"
mv "$out.new" "$out"

# Every crate of Cargo.lock but the terminal itself, then those the file above leaves out.
all=$(awk '/^\[\[package\]\]/ { name = "" }
           /^name = / { gsub(/"/, "", $3); name = $3 }
           /^version = / && name != "" && name != "paycode-kiosk" { gsub(/"/, "", $3); print name, $3 }' \
    Cargo.lock | sort -u)
shipped=$(sed -n 's/^  - \([^ ]*\) \([^:]*\):.*/\1 \2/p' "$out" | sort -u)
{
    echo "# The crates of Cargo.lock not built into the terminal's binary: tests, build tools, the"
    echo "# desktop window, other systems. Their licences are not shipped. Written with"
    echo "# licenses/third-party.txt by scripts/third-party-licenses.sh; tests/licenses.rs checks"
    echo "# that the two together name every crate of Cargo.lock."
    comm -23 <(echo "$all") <(echo "$shipped")
} > licenses/left-out.txt
echo "$(echo "$shipped" | wc -l) crates shipped with their licences, $(comm -23 <(echo "$all") <(echo "$shipped") | wc -l) left out"
