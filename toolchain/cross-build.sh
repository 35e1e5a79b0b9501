#!/usr/bin/env bash
# toolchain/cross-build.sh ARCH [--build-only|--emulated|--vm] - build posterm for an ARM
# terminal and run the test suite under qemu-user, then (arm64) the VM tests.
#
#   toolchain/cross-build.sh arm64              build build-arm64/, run the suite under qemu-aarch64-static, then the arm64 VMs
#   toolchain/cross-build.sh arm64 --emulated   build, and the suite under qemu-user only
#   toolchain/cross-build.sh arm64 --vm         build (incremental), and the arm64 VMs only (label armvm)
#   toolchain/cross-build.sh armhf --build-only build build-armhf/ and its package only
#   further arguments go to cmake, e.g. -DPOSTERM_WITH_UI=OFF
#
# Promises: installs only what is missing (Debian's cross gcc, qemu-user-static, the target's
# multiarch -dev packages after `dpkg --add-architecture`), non-interactively, so a second run
# is cheap; builds with the same -Wall -Wextra -Werror as the native build; exits non-zero on
# any build error or failed test.
#
# Left out under emulation (ctest -LE), and why:
#   vm, armvm  they boot a whole VM (qemu-system) themselves; running that inside qemu-user
#              would emulate an emulator. The plain amd64 build runs the vm label; for arm64
#              this script runs the armvm label afterwards, directly (tests/vm/README.md).
#   usb        anything that calls libusb_init() with device discovery: under qemu-user it can
#              spin forever on the USB/netlink probing. Tests that need a
#              real USB stack run in the vm/armvm suites instead, on a real (emulated) kernel.
#   bench      timings taken under instruction-by-instruction emulation mean nothing.
#   fuzz       libFuzzer targets are built only natively with clang (POSTERM_FUZZ stays OFF).
#
# Tests whose script starts other ARM programs (posterm-sim, posterm) need those to run too:
# ctest's emulator prefix wraps only the test command itself. This script registers qemu's
# binfmt_misc handlers when the kernel allows it, so ARM programs then start directly, and
# exports POSTERM_EMULATOR (the qemu command line) for scripts that prefer to say it.
#
# If the Debian mirror cannot satisfy the multiarch install (the target's Multi-Arch: same
# libraries must match the installed amd64 versions exactly, and a mirror whose security index
# for ARCH is out of step breaks that), the same packages are unpacked into a private sysroot
# (build-ARCH-sysroot/) and the build uses that instead; nothing on the system changes then.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
jobs=$(nproc 2>/dev/null || echo 2)
[ "$jobs" -gt 2 ] && jobs=2

usage() { sed -n '2,7p' "$0" >&2; exit 2; }
say() { printf '\n== [%s] %s\n' "$arch" "$*"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
# Another apt or dpkg run (a colleague's install, unattended-upgrades) holds the lock for a
# while; wait for it rather than take a held lock for "cannot be installed".
apt_install() {
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        -o DPkg::Lock::Timeout=600 "$@"
}

arch=${1:-}
[ $# -gt 0 ] && shift
mode=all
case "${1:-}" in
    --build-only) mode=build; shift ;;
    --emulated) mode=emulated; shift ;;
    --vm) mode=vm; shift ;;
esac
case "$arch" in
    arm64) triplet=aarch64-linux-gnu;   qemu=qemu-aarch64-static; binfmt=qemu-aarch64 ;;
    armhf) triplet=arm-linux-gnueabihf; qemu=qemu-arm-static;     binfmt=qemu-arm ;;
    *) usage ;;
esac
build_dir="$root/build-$arch"
sysroot="$root/build-$arch-sysroot"

# read_list FILE: package names, one a line, '#' comments allowed.
read_list() { sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$1"; }

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

# Host tools: the cross compilers, qemu-user-static, dpkg-dev (cpack's dpkg-shlibdeps).
host_deps() {
    local missing=() pkg
    while read -r pkg; do installed "$pkg" || missing+=("$pkg"); done < <(read_list "$root/toolchain/packages/cross.txt")
    [ ${#missing[@]} -eq 0 ] && return 0
    say "installing host tools: ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq || true
    apt_install "${missing[@]}"
}

# apt_update_for ARCH: refresh the indexes of amd64 and ARCH only, so that a mirror fault in
# some other foreign architecture's index cannot fail this one. A partial failure is not fatal:
# the install that follows says whether what we need is there.
apt_update_for() {
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
        -o APT::Architectures::="$(dpkg --print-architecture)" -o APT::Architectures::="$1" || true
}

# Target libraries as multiarch packages (pkg:ARCH); returns non-zero if apt cannot install them.
# An architecture added here and then left without packages is removed again: a foreign
# architecture whose index the mirror serves broken makes every later `apt-get update` fail,
# for every user of this machine.
target_deps_multiarch() {
    local missing=() pkg added=0
    if ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
        say "dpkg --add-architecture $arch"
        as_root dpkg --add-architecture "$arch" || return 1
        added=1
    fi
    while read -r pkg; do installed "$pkg:$arch" || missing+=("$pkg:$arch"); done < <(read_list "$root/toolchain/packages/cross-target.txt")
    [ ${#missing[@]} -eq 0 ] && return 0
    say "installing target libraries: ${missing[*]}"
    apt_update_for "$arch"
    apt_install "${missing[@]}" && return 0
    if [ "$added" -eq 1 ] && ! dpkg-query -W -f='${Architecture}\n' 2>/dev/null | grep -qx "$arch"; then
        as_root dpkg --remove-architecture "$arch" || true
    fi
    return 1
}

# The same libraries unpacked into a private sysroot, with every library they need.
target_deps_sysroot() {
    local stamp="$sysroot/.complete" wanted=() pkg
    [ -f "$stamp" ] && return 0
    say "multiarch install impossible here; unpacking the $arch libraries into $sysroot"
    while read -r pkg; do wanted+=("$pkg:$arch"); done < <(read_list "$root/toolchain/packages/cross-target.txt")
    wanted+=("libc6-dev:$arch")
    rm -rf "$sysroot"
    mkdir -p "$sysroot/debs"
    # Said to apt directly: dpkg need not know the architecture for a download.
    local closure=() aptarch=(-o APT::Architectures::="$(dpkg --print-architecture)" -o APT::Architectures::="$arch")
    apt_update_for "$arch"
    mapfile -t closure < <(apt-cache "${aptarch[@]}" depends --recurse --no-recommends --no-suggests \
                               --no-conflicts --no-breaks --no-replaces --no-enhances "${wanted[@]}" \
                           | grep -E "^[a-z0-9][a-z0-9.+-]*:$arch\$" | sort -u)
    [ ${#closure[@]} -gt 0 ] || { echo "cross-build.sh: apt knows no $arch packages" >&2; return 1; }
    # apt-get download drops privileges to _apt; the directory must let it write.
    chmod 0777 "$sysroot/debs"
    (cd "$sysroot/debs" && apt-get "${aptarch[@]}" download -qq "${closure[@]}")
    for deb in "$sysroot"/debs/*.deb; do dpkg-deb -x "$deb" "$sysroot"; done
    # Debian's absolute .so symlinks (e.g. libfoo.so -> /lib/<triplet>/libfoo.so.1) would point
    # at the build machine; make them point inside the sysroot.
    find "$sysroot" -type l -lname '/*' | while read -r link; do
        ln -sfn "$sysroot$(readlink "$link")" "$link"
    done
    rm -rf "$sysroot/debs"
    touch "$stamp"
}

# qemu's binfmt_misc handlers let a test script start ARM programs as if they were native.
binfmt_register() {
    local dir=/proc/sys/fs/binfmt_misc
    [ -e "$dir/$binfmt" ] && return 0
    [ -e "$dir/register" ] || as_root mount -t binfmt_misc binfmt_misc "$dir" 2>/dev/null || true
    if [ -e "$dir/register" ] && [ -f "/usr/lib/binfmt.d/$binfmt.conf" ]; then
        as_root /lib/systemd/systemd-binfmt "/usr/lib/binfmt.d/$binfmt.conf" 2>/dev/null || true
    fi
    if [ -e "$dir/$binfmt" ]; then
        say "binfmt_misc: $binfmt registered, ARM programs start directly"
    else
        say "binfmt_misc not available: tests that start ARM programs must use \$POSTERM_EMULATOR"
    fi
}

host_deps
# A test build: the crash points are on for the crash suites; the package comes from a release
# tree without them (below).
cmake_args=(-DCMAKE_TOOLCHAIN_FILE="$root/toolchain/$triplet.cmake" -DCMAKE_BUILD_TYPE=RelWithDebInfo
            -DPOSTERM_FUZZ=OFF -DPOSTERM_CRASH_POINTS=ON -DPOSTERM_WERROR=ON "$@")
ld_prefix=
if [ -f "$sysroot/.complete" ] || ! target_deps_multiarch; then
    target_deps_sysroot
    cmake_args+=(-DPOSTERM_CROSS_SYSROOT="$sysroot")
    ld_prefix=$sysroot
fi

say "configure and build in $build_dir"
start=$(date +%s)
cmake -S "$root" -B "$build_dir" "${cmake_args[@]}" >/dev/null
# The toolchain must never hand the build an amd64 library: check what configure found.
if grep -E '^[A-Za-z_]*(LIBRARY|pkgcfg_lib_[A-Za-z_0-9.-]*):FILEPATH=' "$build_dir/CMakeCache.txt" \
        | grep -v -e "/$triplet/" -e '-NOTFOUND$'; then
    echo "cross-build.sh: configure picked libraries outside /usr/lib/$triplet (above)" >&2
    exit 1
fi
cmake --build "$build_dir" -j "$jobs"
say "built in $(( $(date +%s) - start )) s"

# The installable package, and the two figures a terminal's flash budget cares about. It is
# made from a release configuration of the same target, without the crash points
# ($build_dir/release, see tests/package/release_deb.sh).
if [ "$mode" != vm ] && [ -f "$build_dir/CPackConfig.cmake" ]; then
    say "release build (no crash points) and package"
    deb=$(sh "$root/tests/package/release_deb.sh" "$build_dir" "$root" cpack "$build_dir/package")
    stripped=$(dpkg-deb -c "$deb" | awk '$6 == "./usr/bin/posterm" { print $3 }')
    say "package $deb: $(stat -c %s "$deb") bytes; stripped /usr/bin/posterm: $stripped bytes"
fi

if [ "$mode" = build ]; then
    exit 0
fi

binfmt_register
# Only a sysroot build needs qemu told where the target's loader is (see DebianCross.cmake).
if [ -n "$ld_prefix" ]; then
    export QEMU_LD_PREFIX=$ld_prefix
    export POSTERM_EMULATOR="$qemu -L $ld_prefix"
else
    unset QEMU_LD_PREFIX
    export POSTERM_EMULATOR=$qemu
fi
if [ "$mode" != vm ]; then
    say "tests under $qemu (left out: vm armvm usb bench fuzz, see the header of this script)"
    start=$(date +%s)
    # Emulation is slower than native by roughly 5-20x; the per-test limit is generous, and the
    # whole run is bounded so that a hung test cannot eat CI's time (about 5-8 minutes normally;
    # the e2e windows stretch with the measured slowdown, tests/e2e/harness.py).
    (cd "$build_dir" && timeout 1500 ctest --output-on-failure -j "$jobs" --timeout 300 -LE 'vm|armvm|usb|bench|fuzz')
    say "tests passed in $(( $(date +%s) - start )) s"
fi

# The arm64 VMs (label armvm): the cross-built programs on an emulated arm64 board with a real
# kernel. These scripts start qemu-system-aarch64 themselves, so ctest runs them directly (no
# emulator prefix: they are not target programs); one VM at a time, each bounded by TIMEOUT.
if [ "$arch" = arm64 ] && [ "$mode" != emulated ]; then
    say "arm64 VMs (label armvm): scanner over USB, the field test"
    start=$(date +%s)
    (cd "$build_dir" && timeout 1500 ctest --output-on-failure -L armvm --repeat until-pass:2)
    say "arm64 VMs passed in $(( $(date +%s) - start )) s"
fi
