#!/usr/bin/env bash
# Makes the screen's fonts (assets/DejaVuSans.ttf and assets/DejaVuSans-Bold.ttf) from Debian's
# DejaVu 2.37: the Latin scripts, punctuation, currency signs, arrows and the few symbols the
# screens draw, and nothing else. The full fonts (Greek, Cyrillic, Arabic, mathematics, Braille
# and more) are 1.5 MB of the binary; these are 0.35 MB. Latin Extended-B and IPA carry Krio's
# ɛ and ɔ, Latin Extended Additional the letters of Sierra Leone's other written languages.
# tests/fonts.rs fails when the screens or the catalogues use a character left out here.
#
# Names stay "DejaVu Sans": the DejaVu changes are public domain and the Bitstream Vera licence
# asks only that modified fonts not be called "Bitstream" or "Vera".
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v pyftsubset >/dev/null || [ ! -d /usr/share/fonts/truetype/dejavu ]; then
    sudo=$([ "$(id -u)" = 0 ] || echo sudo)
    $sudo apt-get install -y fonts-dejavu-core fonttools
fi

keep="U+0020-007E,U+00A0-024F,U+0250-02FF,U+0300-036F,U+1E00-1EFF,U+2000-206F,U+20A0-20CF"
keep+=",U+2100-214F,U+2190-21FF,U+2212,U+2248,U+2260,U+2264,U+2265,U+2300-23FF,U+2500-25FF"
keep+=",U+2713-2718,U+FFFD"

for font in DejaVuSans DejaVuSans-Bold; do
    pyftsubset "/usr/share/fonts/truetype/dejavu/$font.ttf" --unicodes="$keep" \
        --layout-features='*' --name-IDs='*' --name-languages='*' --notdef-outline \
        --output-file="assets/$font.ttf"
done
ls -l assets/DejaVuSans.ttf assets/DejaVuSans-Bold.ttf
