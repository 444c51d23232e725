#!/usr/bin/env bash
# Builds the device binary for aarch64-unknown-linux-gnu (Raspberry Pi 3/4/5, 64-bit Pi OS)
# without Docker, using Debian's multiarch and Debian's own Rust with its arm64 standard
# library, then runs it under qemu-aarch64-static: --version, check-config, and a whole
# headless sale (`charge`) against the simulator, the aarch64 binary playing both parts.
#
#   scripts/cross-aarch64.sh            build (release) and prove
#   scripts/cross-aarch64.sh --debug    the same with a debug build (quicker, for CI)
#
# Needs root or sudo for apt-get. The binary lands in target/aarch64-unknown-linux-gnu/<profile>/.
set -euo pipefail
cd "$(dirname "$0")/.."

profile=release
[ "${1:-}" = "--debug" ] && profile=debug
target=aarch64-unknown-linux-gnu

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    $sudo dpkg --add-architecture arm64
fi
packages=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross pkg-config qemu-user-static
          rustc-web cargo-web libstd-rust-web-dev:arm64
          libinput-dev:arm64 libudev-dev:arm64 libxkbcommon-dev:arm64)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
    $sudo apt-get update -q
    $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Debian's compiler, which has the arm64 standard library; rustup's has none offline.
export RUSTC=/usr/bin/rustc
cargo_bin=/usr/bin/cargo
[ -x "$cargo_bin" ] || cargo_bin=cargo
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc
export PKG_CONFIG_ALLOW_CROSS=1
export PKG_CONFIG_LIBDIR=/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig
"$RUSTC" --version

build_flags=(--no-default-features --features device --target "$target" --bin paycode-kiosk)
[ "$profile" = release ] && build_flags+=(--release)
echo "== building the device binary for $target ($profile)"
"$cargo_bin" build "${build_flags[@]}"
binary="target/$target/$profile/paycode-kiosk"
file "$binary" 2>/dev/null || true

run() { qemu-aarch64-static "$binary" "$@"; }
work=$(mktemp -d)
trap 'kill "${simulator:-}" 2>/dev/null || true; rm -rf "$work"' EXIT

echo "== $binary --version (under qemu)"
run --version

port=$((20000 + RANDOM % 20000))
cat > "$work/config.toml" <<CONFIG
[monime]
base_url = "http://127.0.0.1:$port"
space_id = "spc-demo"
access_token = "mon_test_demo_token"
code_duration = "1m"
[kiosk]
merchant_name = "aarch64 proof"
poll_interval_ms = 250
[storage]
path = "journal.sqlite"
CONFIG
echo "== check-config (under qemu)"
run check-config --config "$work/config.toml"

echo "== charge 1.00 against the simulator, both under qemu"
# qemu itself in the background (not the `run` function, whose subshell would be the pid
# killed on exit, leaving qemu and the simulator running).
qemu-aarch64-static "$binary" simulate --port "$port" --auto-pay-after 1 > "$work/simulator.log" 2>&1 &
simulator=$!
for _ in $(seq 1 100); do
    grep -q "listening" "$work/simulator.log" 2>/dev/null && break
    sleep 0.2
done
run charge 1.00 --config "$work/config.toml"
echo "== aarch64 proof passed: $binary"
