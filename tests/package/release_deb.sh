#!/bin/sh
# release_deb.sh BUILD_DIR SOURCE_DIR CPACK OUT_DIR - make the .deb a terminal installs, from
# a release configuration of BUILD_DIR's target, and print its path.
#
# The test builds compile the crash points in (POSTERM_CRASH_AFTER=<event> SIGKILLs posterm
# after that commit); a package must never carry them. The package's tree is a release tree of
# its own in BUILD_DIR/release: the same compiler, toolchain file, sysroot and screen option,
# crash points off, no simulator, and Debian's hardening flags (dpkg-buildflags' defaults with
# hardening=+all: fortified libc calls, stack protector, format checks, full RELRO with
# immediate binding; -fno-ident keeps the compiler's version out of the binary, as dh_strip's
# removal of .comment would). Only the posterm program is built there (tests are not), so a
# rebuild after a change costs one compile and a link. A tree this script configured
# (POSTERM_DEB_HARDENED in its cache) is packaged as it is. Output of configure and build goes
# to BUILD_DIR/release.log; the exit status is non-zero on any failure.
set -eu
build=$1 src=$2 cpack=$3 out=$4

cached() { sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt"; }

tree=$build
if [ "$(cached POSTERM_DEB_HARDENED)" != ON ]; then
    tree=$build/release
    log=$build/release.log
    # CMAKE_SKIP_INSTALL_ALL_DEPENDENCY: cpack's install step would otherwise build every
    # target, the tests too.
    set -- -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPOSTERM_CRASH_POINTS=OFF -DPOSTERM_SANITIZE=OFF \
           -DPOSTERM_FUZZ=OFF -DPOSTERM_WITH_SIM=OFF -DPOSTERM_SLOW_TESTS=OFF \
           -DPOSTERM_WITH_UI="$(cached POSTERM_WITH_UI)" -DPOSTERM_WERROR="$(cached POSTERM_WERROR)" \
           -DCMAKE_SKIP_INSTALL_ALL_DEPENDENCY=ON -DPOSTERM_DEB_HARDENED=ON \
           -DCMAKE_C_FLAGS="-D_FORTIFY_SOURCE=2 -fstack-protector-strong -Wformat -Werror=format-security -fno-ident" \
           -DCMAKE_EXE_LINKER_FLAGS="-Wl,-z,relro -Wl,-z,now"
    # A cross tree names its compiler in the toolchain file, not in the cache: passing an
    # empty one would make cmake throw the release tree's cache away.
    compiler=$(cached CMAKE_C_COMPILER)
    [ -n "$compiler" ] && set -- "$@" -DCMAKE_C_COMPILER="$compiler"
    toolchain=$(cached CMAKE_TOOLCHAIN_FILE)
    [ -n "$toolchain" ] && set -- "$@" -DCMAKE_TOOLCHAIN_FILE="$toolchain"
    sysroot=$(cached POSTERM_CROSS_SYSROOT)
    [ -n "$sysroot" ] && set -- "$@" -DPOSTERM_CROSS_SYSROOT="$sysroot"
    if ! { cmake -S "$src" -B "$tree" "$@" && cmake --build "$tree" --target posterm -j 2; } >"$log" 2>&1; then
        tail -n 30 "$log" >&2
        echo "release_deb.sh: the release build failed (log: $log)" >&2
        exit 1
    fi
fi

rm -rf "$out"
if ! "$cpack" -G DEB --config "$tree/CPackConfig.cmake" -B "$out" >"$out.log" 2>&1; then
    cat "$out.log" >&2
    echo "release_deb.sh: cpack -G DEB failed" >&2
    exit 1
fi
ls "$out"/posterm_*.deb
