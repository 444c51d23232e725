#!/usr/bin/env bash
# The whole-system test: the terminal as shipped, booted in a virtual machine.
#
# Builds the device .deb with `cargo deb`, a minimal Debian bookworm image (cached under
# target/field/, keyed by what it is made of), installs the package in it with apt exactly as
# docs/DEPLOY.md tells a technician (so a missing dependency shows), writes the configuration and
# the token file, then runs the driver (tests/field/) which boots the image with QEMU and checks
# the terminal through its screen, its touch panel, its printer UART, systemd, and
# node_exporter's port (prometheus-node-exporter comes with the package, which recommends it).
#
#   scripts/field-test.sh               build what is missing, then run every check
#   FIELD_SEED=1234 scripts/field-test.sh   repeat the random power cuts of an earlier run
#   FIELD_POWER_CUTS=100 scripts/field-test.sh   a hundred power cuts instead of five (about a
#                                            minute and a half each under TCG); the last lines
#                                            count how every sale ended, its codes and receipts,
#                                            and what the journal, read on the host, holds
#   FIELD_ACCEL=kvm scripts/field-test.sh    KVM instead of TCG (nested KVM hangs on CI machines)
#   FIELD_ARCH=arm64 scripts/field-test.sh   the arm64 package (scripts/cross-aarch64.sh) on an
#                                            arm64 image in qemu-system-aarch64 -M virt
#
# Needs root (apt-get, mmdebstrap, chroot, mke2fs) and the Debian mirror. Leaves the image, its
# kernel, the logs and the last screens in target/field/ (target/field-arm64/ for arm64; about
# 1.5 GB each with the cached base).
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
phase() { echo "== [$((SECONDS - started)) s] $*"; }

if [ "$(id -u)" -ne 0 ]; then
    echo "FAIL: run as root (apt-get, mmdebstrap, chroot, mke2fs): sudo env PATH=\"\$PATH\" $0" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive

arch=${FIELD_ARCH:-amd64}
work=target/field
case "$arch" in
    # The printer is the second 16550 on a PC; the virt board's only UART is the console, so
    # there it is a PCI 16550, the guest's first ttyS.
    amd64) qemu_package=qemu-system-x86 printer=/dev/ttyS1 ;;
    arm64) qemu_package=qemu-system-arm printer=/dev/ttyS0 work=target/field-arm64 ;;
    *) echo "FAIL: FIELD_ARCH=$arch: use amd64 or arm64" >&2; exit 1 ;;
esac

phase "host packages ($arch guest)"
packages=("$qemu_package" mmdebstrap e2fsprogs pkg-config libinput-dev libudev-dev libxkbcommon-dev)
# An arm64 image is made and the package installed in it by running its arm64 programs
# through qemu-user, which the kernel's binfmt_misc hands them to.
[ "$arch" = arm64 ] && packages+=(qemu-user-static binfmt-support arch-test)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
if [ "$arch" = arm64 ]; then
    [ -e /proc/sys/fs/binfmt_misc/register ] ||
        mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
    [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || update-binfmts --enable qemu-aarch64
    [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || {
        echo "FAIL: arm64 programs cannot run here (binfmt_misc has no qemu-aarch64)" >&2
        exit 1
    }
fi
command -v cargo-deb >/dev/null || {
    phase "cargo install cargo-deb"
    cargo install --locked cargo-deb
}

deb_args=()
if [ "$arch" = arm64 ]; then
    phase "the arm64 device build (scripts/cross-aarch64.sh: release, proven under qemu-user)"
    scripts/cross-aarch64.sh
    deb_args=(--no-build --target aarch64-unknown-linux-gnu)
fi
# cargo deb with the arguments after the first, printing the package's path; when it fails, the
# end of its output and "FAIL: " with the first argument, and the script stops.
package() {
    local failure=$1 log path
    shift
    log=$(mktemp)
    if ! path=$(cargo deb "$@" 2>"$log"); then
        tail -40 "$log" >&2
        rm -f "$log"
        echo "FAIL: $failure (above)" >&2
        return 1
    fi
    rm -f "$log"
    printf '%s\n' "$path" | tail -1
}

phase "the device package (cargo deb${deb_args[*]:+ ${deb_args[*]}})"
deb=$(package "cargo deb could not build the package" "${deb_args[@]}") || exit 1
[ -f "$deb" ] || { echo "FAIL: cargo deb printed no package path (got: $deb)" >&2; exit 1; }
# Kept beside the image: cargo deb deletes a package's other versions from its folder when it
# makes the newer package below.
mkdir -p "$work"
cp "$deb" "$work/"
deb="$work/$(basename "$deb")"
echo "package: $deb"

# The upgrade check (tests/field/upgrade.rs) installs a newer package while a sale's code is on
# the screen: the same binary packaged again under a higher version, so no second release build.
version=$(dpkg-deb -f "$deb" Version)
upgrade_version="$version+fieldtest1"
dpkg --compare-versions "$upgrade_version" gt "$version" || {
    echo "FAIL: $upgrade_version is not newer than $version for dpkg" >&2
    exit 1
}
mkdir -p "$work/newer"
upgrade_args=(--no-build --deb-version "$upgrade_version" --output "$work/newer/")
[ "$arch" = arm64 ] && upgrade_args+=(--target aarch64-unknown-linux-gnu)
phase "the newer package for the upgrade check (cargo deb ${upgrade_args[*]})"
upgrade_deb=$(package "cargo deb could not package the binary again as $upgrade_version" \
    "${upgrade_args[@]}") || exit 1
[ -f "$upgrade_deb" ] && [ "$(dpkg-deb -f "$upgrade_deb" Version)" = "$upgrade_version" ] || {
    echo "FAIL: no package of version $upgrade_version (got: $upgrade_deb)" >&2
    exit 1
}
echo "newer package: $upgrade_deb"

mkdir -p "$work"

# The base system: what every terminal's SD card has before the technician's `apt install`.
# dbus: `systemd-analyze security` asks the running systemd over the system bus. Keyed by
# what makes it, rebuilt when that changes.
base_packages=linux-image-$arch,systemd-sysv,udev,dbus,qemu-guest-agent,kmod,initramfs-tools
mmdebstrap_args=(--variant=minbase --architectures="$arch" --include="$base_packages"
                 --skip=cleanup/apt/lists bookworm)
key=$(printf '%s\n' "${mmdebstrap_args[@]}" | sha256sum | cut -c1-12)
base="$work/base-bookworm-$key.tar"
if [ ! -f "$base" ]; then
    phase "the base image (mmdebstrap minbase bookworm $arch; cached as $base)"
    rm -f "$work"/base-bookworm-*.tar
    mmdebstrap "${mmdebstrap_args[@]}" "$work/partial.tar" http://deb.debian.org/debian
    mv "$work/partial.tar" "$base"
fi

# What stands in for the shop around the installed package: the network to the simulator on the
# host, reached through a proxy on the guest's loopback so the terminal's base_url stays a
# loopback http one. The terminal's own settings are not written here: the driver runs `setup`
# in the booted guest, as a technician does (docs/DEPLOY.md, section 4).
guest_setup() {
    local root=$1
    [ -n "$root" ] && [ -d "$root/etc/paycode-kiosk/credentials" ] || {
        echo "FAIL: the package did not create /etc/paycode-kiosk/credentials in the image" >&2
        exit 1
    }
    [ ! -e "$root/etc/paycode-kiosk/config.toml" ] || {
        echo "FAIL: the package installed a config.toml: a fresh terminal must ask to be set up" >&2
        exit 1
    }
    echo kiosk >"$root/etc/hostname"
    echo "/dev/vda / ext4 rw,errors=remount-ro 0 1" >"$root/etc/fstab"
    cat >"$root/etc/systemd/network/10-qemu.network" <<EOF
[Match]
Name=en*
[Network]
Address=10.0.2.15/24
Gateway=10.0.2.2
EOF
    cat >"$root/etc/systemd/system/monime-proxy.socket" <<EOF
[Unit]
Description=the simulated Monime on the host, on the guest's loopback
[Socket]
ListenStream=127.0.0.1:8080
[Install]
WantedBy=sockets.target
EOF
    cat >"$root/etc/systemd/system/monime-proxy.service" <<EOF
[Unit]
Description=proxy to the simulated Monime on the host (QEMU guestfwd to 10.0.2.100:8080)
[Service]
ExecStart=/lib/systemd/systemd-socket-proxyd 10.0.2.100:8080
EOF
    chroot "$root" systemctl enable -q systemd-networkd monime-proxy.socket
}

phase "install the package with apt, as docs/DEPLOY.md says"
root="$work/root"
rm -rf "$root"
mkdir -p "$root"
tar -C "$root" -xf "$base"
cp "$deb" "$root/root/"
deb_name=$(basename "$deb")
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"
trap 'umount "$root/proc" 2>/dev/null || true' EXIT
install_log="$work/apt-install.log"
set +e
apt_started=$(date +%s.%N)
chroot "$root" sh -c "cd /root && apt-get update -q && apt-get install -y -q ./$deb_name" \
    >"$install_log" 2>&1
apt_status=$?
set -e
# The technician's clock starts here: the driver adds the boot, setup and the keypad to it.
awk -v from="$apt_started" -v to="$(date +%s.%N)" 'BEGIN { printf "%.1f\n", to - from }' \
    >"$work/apt-seconds"
umount "$root/proc"
trap - EXIT
if [ "$apt_status" -ne 0 ]; then
    tail -30 "$install_log" >&2
    echo "FAIL: apt could not install the package (exit $apt_status; log above, $install_log)" >&2
    exit 1
fi
rm -f "$root/root/$deb_name"
chroot "$root" dpkg-query -W paycode-kiosk
# The package recommends prometheus-node-exporter and apt installs it alongside, as on a
# terminal: the metrics check scrapes it from the host.
chroot "$root" dpkg-query -W -f='${Status}' prometheus-node-exporter 2>/dev/null |
    grep -q "install ok installed" || {
    echo "FAIL: apt did not install prometheus-node-exporter, which the package recommends" >&2
    exit 1
}

phase "the rig's guest side: network, proxy to the simulator"
# A fresh token each run: the driver gives it to the simulator and to `setup`, and looks for it
# in the journal.
token="mon_field_$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
(umask 077; printf '%s\n' "$token" >"$work/token")
echo "$printer" >"$work/guest-printer"
guest_setup "$root"
# The newer package waits in root's home for the upgrade check, which installs it with dpkg -i.
cp "$upgrade_deb" "$root/root/"
echo "/root/$(basename "$upgrade_deb")" >"$work/upgrade-package"
echo "$upgrade_version" >"$work/upgrade-version"

phase "the disk image"
image="$work/disk.ext4"
rm -f "$image"
mke2fs -q -t ext4 -L kiosk -d "$root" "$image" 3G
cp "$root"/boot/vmlinuz-* "$work/vmlinuz"
cp "$root"/boot/initrd.img-* "$work/initrd.img"
rm -rf "$root"

phase "the checks (tests/field)"
FIELD_DIR="$PWD/$work" FIELD_ARCH="$arch" cargo test --test field
phase "done"
