#!/bin/sh
# test_package.sh BUILD_DIR SOURCE_DIR CPACK - build the .deb of BUILD_DIR's target in a
# scratch directory, from a release configuration (release_deb.sh: crash points off), and
# check what a terminal would get from it:
#   metadata   name, version, architecture of the build's target, Depends covering every
#              library the binary needs, conffiles, maintainer scripts in debhelper's form
#   contents   /usr/bin/posterm stripped, for the right machine and without the crash-test
#              hooks (POSTERM_CRASH_AFTER), the unit, each driver's udev rule once, the
#              config, keys/ and the journal directory 0700, sysusers.d and tmpfiles.d files,
#              copyright, changelog, the manual page (naming every option and config key)
#   lintian    its whole output printed; any error or warning fails, and so does any other
#              tag not in lintian-allowed.txt (overrides in the package carry their reasons)
#   the unit   starts at boot, restarts on failure, never waits for the network, runs as
#              the group the udev rules give the devices to, and scores at most 2.5 by
#              `systemd-analyze security --offline=yes` (the figure is printed)
#   install    (build machine's architecture, as root) dpkg --root into a scratch tree with
#              its maintainer scripts run chrootless: the service user exists, the journal
#              directory and keys/ are 0700 and its own, the unit is enabled; removing the
#              package keeps the journal, purging deletes it after a warning.
# Prints "N passed, N failed" like the C tests.
set -u
build=$1 src=$2 cpack=$3
passed=0 failed=0
ok()   { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL: $*" >&2; }
check() { # check DESCRIPTION COMMAND...
    what=$1; shift
    if "$@" >/dev/null 2>&1; then ok; else fail "$what"; fi
}
finish() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit $?
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/posterm-package.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")
debarch=$(sed -n 's/^CPACK_DEBIAN_PACKAGE_ARCHITECTURE:.*=//p' "$build/CMakeCache.txt")
[ -n "$debarch" ] || debarch=$(grep -o 'CPACK_DEBIAN_PACKAGE_ARCHITECTURE "[^"]*"' "$build/CPackConfig.cmake" | cut -d'"' -f2)

if ! sh "$src/tests/package/release_deb.sh" "$build" "$src" "$cpack" "$tmp/out" >/dev/null; then
    fail "release build and cpack -G DEB"
    finish
fi
deb="$tmp/out/posterm_${version}_${debarch}.deb"
check "package file named posterm_${version}_${debarch}.deb" test -f "$deb"
[ -f "$deb" ] || finish

# --- metadata
field() { dpkg-deb -f "$deb" "$1"; }
check "Package: posterm" test "$(field Package)" = posterm
check "Version: $version" test "$(field Version)" = "$version"
check "Architecture: $debarch" test "$(field Architecture)" = "$debarch"
check "Depends names systemd (postinst runs systemd-sysusers and systemd-tmpfiles)" \
    sh -c "dpkg-deb -f '$deb' Depends | tr ',' '\n' | grep -qx ' *systemd'"
check "Maintainer is not a local address" sh -c "! dpkg-deb -f '$deb' Maintainer | grep -Eq '@(localhost|[^.>]*>)'"
dpkg-deb -e "$deb" "$tmp/control"
check "conffiles lists /etc/posterm/posterm.json" grep -qx /etc/posterm/posterm.json "$tmp/control/conffiles"
for script in postinst prerm postrm; do
    check "$script is an executable shell script" test -x "$tmp/control/$script"
    check "$script parses" sh -n "$tmp/control/$script"
    # debhelper's way: the helpers, never a bare systemctl beyond daemon-reload, never
    # /etc/passwd read or written by hand.
    check "$script calls systemctl only for daemon-reload" \
        sh -c "! grep -v '^ *#' '$tmp/control/$script' | grep 'systemctl' | grep -vq 'systemctl --system daemon-reload'"
    check "$script does not read or edit /etc/passwd or /etc/group" \
        sh -c "! grep -v '^ *#' '$tmp/control/$script' | grep -Eq 'etc/(passwd|group)|useradd|groupadd'"
done
check "postinst makes the user with systemd-sysusers" grep -q 'systemd-sysusers.*posterm.conf' "$tmp/control/postinst"
check "postinst enables the unit with deb-systemd-helper" grep -q "deb-systemd-helper enable 'posterm.service'" "$tmp/control/postinst"
check "postinst (re)starts it with deb-systemd-invoke" grep -q 'deb-systemd-invoke $_dh_action' "$tmp/control/postinst"
check "prerm stops it with deb-systemd-invoke" grep -q "deb-systemd-invoke stop 'posterm.service'" "$tmp/control/prerm"

# --- contents: "mode owner path" for each entry we promise
dpkg-deb -c "$deb" | awk '{ print $1, $2, $6 }' >"$tmp/contents"
has() { grep -qx -e "$1" "$tmp/contents"; }
check "usr/bin/posterm 0755 root"           has '-rwxr-xr-x root/root ./usr/bin/posterm'
check "systemd unit 0644"                   has '-rw-r--r-- root/root ./lib/systemd/system/posterm.service'
check "config 0640 (group posterm after postinst)" has '-rw-r----- root/root ./etc/posterm/posterm.json'
check "etc/posterm/keys 0700"               has 'drwx------ root/root ./etc/posterm/keys/'
check "var/lib/posterm 0700"                has 'drwx------ root/root ./var/lib/posterm/'
check "sysusers.d file"                    has '-rw-r--r-- root/root ./usr/lib/sysusers.d/posterm.conf'
check "tmpfiles.d file"                    has '-rw-r--r-- root/root ./usr/lib/tmpfiles.d/posterm.conf'
check "copyright file"                     has '-rw-r--r-- root/root ./usr/share/doc/posterm/copyright'
check "changelog (native package)"         has '-rw-r--r-- root/root ./usr/share/doc/posterm/changelog.gz'
check "manual page posterm(1)"             has '-rw-r--r-- root/root ./usr/share/man/man1/posterm.1.gz'
check "lintian overrides"                  has '-rw-r--r-- root/root ./usr/share/lintian/overrides/posterm'
# Each driver's rule once, in /lib/udev/rules.d (never also in /usr/lib: one file, two owners
# under usrmerge).
for rule in "$src"/drivers/*/99-posterm-*.rules; do
    [ -f "$rule" ] || continue
    name=$(basename "$rule")
    check "udev rule $name"                has "-rw-r--r-- root/root ./lib/udev/rules.d/$name"
    check "udev rule $name only once" test "$(grep -c "/$name\$" "$tmp/contents")" -eq 1
done
# Nothing of the build tree leaks in: no static libraries, no test programs, no headers.
check "only the promised files" sh -c "! grep -Ev '/$|usr/bin/posterm$|posterm.service$|posterm.json$|rules.d/99-posterm-[a-z]+.rules$|(sysusers|tmpfiles).d/posterm.conf$|doc/posterm/(copyright|changelog.gz)$|man1/posterm.1.gz$|overrides/posterm$' '$tmp/contents'"

dpkg-deb -x "$deb" "$tmp/x"
bin="$tmp/x/usr/bin/posterm"
case $debarch in
    amd64) machine='X86-64' ;;
    arm64) machine='AArch64' ;;
    armhf) machine='ARM' ;;
    *) machine=unknown ;;
esac
check "posterm is an ELF for $debarch ($machine)" sh -c "readelf -h '$bin' | grep -q 'Machine:.*$machine'"
check "posterm is stripped (no .symtab)" sh -c "! readelf -S '$bin' | grep -q '\.symtab'"
# The crash-test hooks (POSTERM_CRASH_AFTER=<event> -> SIGKILL) stay in the test builds. The
# name is in a binary that has them; seen in this tree's own posterm when it was built with
# them, so the check below is known to be able to see them.
if [ "$(sed -n 's/^POSTERM_CRASH_POINTS:[A-Z]*=//p' "$build/CMakeCache.txt")" != OFF ] && [ -f "$build/posterm" ]; then
    check "the test build's posterm has crash points (so strings would see them)" \
        sh -c "strings -a '$build/posterm' | grep -q POSTERM_CRASH_AFTER"
fi
check "packaged posterm has no crash points (no POSTERM_CRASH_AFTER)" \
    sh -c "! strings -a '$bin' | grep -q POSTERM_CRASH_AFTER"
# The stripped program still runs and is this version: natively, or through the emulator that
# cross-build.sh exports for ARM packages.
if [ "$debarch" = "$(dpkg --print-architecture)" ]; then
    run=""
elif [ -n "${POSTERM_EMULATOR:-}" ]; then
    run=$POSTERM_EMULATOR
else
    run=skip
fi
if [ "$run" != skip ]; then
    # $run is a command line (qemu and its options): split on purpose.
    # shellcheck disable=SC2086
    check "packaged posterm --version says $version" sh -c "$run '$bin' --version | grep -qx 'posterm $version'"
else
    echo "posterm --version: not run ($debarch binary, no POSTERM_EMULATOR)"
fi
# The same packages provide these sonames on every Debian architecture, so the build
# machine's own dpkg database names the package for each one.
depends=$(field Depends)
for soname in $(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    # Several packages may ship the soname (libc6:arm64 and the cross toolchain's
    # libc6-arm64-cross both have ld-linux-aarch64.so.1): one of them must be in Depends.
    pkgs=$(dpkg -S "*/$soname" 2>/dev/null | cut -d: -f1 | tr ',' '\n' | sed 's/^ *//' | sort -u)
    named=$(printf '%s\n' "$depends" | tr ',' '\n' | sed 's/^ *//; s/ .*//')
    if [ -z "$pkgs" ]; then
        fail "no Debian package found for $soname"
    elif printf '%s\n' "$pkgs" | grep -qxF "$named"; then
        ok
    else
        fail "posterm needs $soname but Depends names none of: $(echo $pkgs)"
    fi
done

# --- documentation: the changelog's entry is this version; the manual page names every
# option and every config key (config.c's table is the list of keys).
check "changelog's entry is posterm ($version)" sh -c "zcat '$tmp/x/usr/share/doc/posterm/changelog.gz' | head -n1 | grep -q '^posterm ($version) '"
man1="$tmp/x/usr/share/man/man1/posterm.1.gz"
zcat "$man1" | MANWIDTH=200 man -l - 2>/dev/null >"$tmp/man.txt"
check "man -l renders posterm(1)" grep -q 'checkout-counter client' "$tmp/man.txt"
for option in $(sed -n 's/^ *{"\([a-z-]*\)", *[a-z_]*_argument.*/\1/p' "$src/app/main.c"); do
    check "posterm(1) names --$option" grep -q -- "--$option" "$tmp/man.txt"
done
for key in $(sed -n 's/^ *{"\([a-z_.0-9]*\)", F_.*/\1/p' "$src/app/config.c"); do
    check "posterm(1) names the config key $key" grep -qw -- "$key" "$tmp/man.txt"
done
if command -v mandoc >/dev/null 2>&1; then
    zcat "$man1" | mandoc -Tlint -W warning >"$tmp/mandoc.log" 2>&1
    check "mandoc -Tlint finds no warning in posterm(1)" test ! -s "$tmp/mandoc.log"
    cat "$tmp/mandoc.log"
fi

# --- lintian: every tag fails unless lintian-allowed.txt names it (with its reason); an error or
# a warning always fails, overridden or not (the package's overrides hide theirs, each with
# a reason in the override file).
sed 's/#.*//; s/[[:space:]]//g; /^$/d' "$src/tests/package/lintian-allowed.txt" >"$tmp/allowed"
lintian --no-cfg --display-info --pedantic --tag-display-limit 0 "$deb" >"$tmp/lintian.log" 2>&1
echo "lintian $(lintian --print-version) on $(basename "$deb"):"
grep -v 'running with root privileges' "$tmp/lintian.log"
grep -Eo '^[EWIPX]: posterm[^:]*: [a-z0-9.+-]+' "$tmp/lintian.log" | sed 's/.*: //' | sort -u >"$tmp/tags"
check "lintian reported no error or warning" sh -c "! grep -q '^[EW]: ' '$tmp/lintian.log'"
while read -r tag; do
    if grep -qx "$tag" "$tmp/allowed"; then ok; else fail "lintian tag $tag is new (not in tests/package/lintian-allowed.txt)"; fi
done <"$tmp/tags"

# --- the unit
unit="$tmp/x/lib/systemd/system/posterm.service"
check "unit runs /usr/bin/posterm with the default config" grep -q '^ExecStart=/usr/bin/posterm --config /etc/posterm/posterm.json$' "$unit"
check "unit restarts on failure" grep -qx 'Restart=on-failure' "$unit"
check "unit starts at boot" grep -qx 'WantedBy=multi-user.target' "$unit"
check "unit runs as posterm" grep -qx 'User=posterm' "$unit"
check "unit does not wait for the network" sh -c "! grep -E '^(After|Wants|Requires)=.*network' '$unit'"
check "unit runs in group posterm" grep -qx 'Group=posterm' "$unit"
for rule in "$src"/drivers/*/99-posterm-*.rules; do
    [ -f "$rule" ] || continue
    for group in $(sed -n 's/.*GROUP="\([^"]*\)".*/\1/p' "$rule" | sort -u); do
        check "$(basename "$rule") gives its devices to the unit's group ($group)" test "$group" = posterm
    done
    check "$(basename "$rule"): mode 0660 (never 0666)" sh -c "! grep -E 'MODE=\"0?[0-7]{2}[1-7]\"' '$rule'"
done
check "journal path in the config is under /var/lib/posterm" grep -q '"journal": "/var/lib/posterm/' "$tmp/x/etc/posterm/posterm.json"
# Unknown keys and bad values are reported here; the binary itself is not installed on this
# machine, which is the one complaint allowed. Documentation=man:posterm(1) is looked up in the
# package's own manual pages.
MANPATH="$tmp/x/usr/share/man" systemd-analyze verify "$unit" >"$tmp/verify.log" 2>&1
cat "$tmp/verify.log"
check "systemd-analyze verify finds nothing wrong with the unit" \
    sh -c "! grep -v 'Command /usr/bin/posterm is not executable' '$tmp/verify.log' | grep -q ."
# The exposure score: 10 is a service with every door open, 2.5 and below is "OK".
systemd-analyze security --offline=yes --no-pager "$unit" >"$tmp/security.log" 2>&1
exposure=$(sed -n 's/.*Overall exposure level for posterm.service: \([0-9.]*\).*/\1/p' "$tmp/security.log")
grep -v '✓' "$tmp/security.log"
echo "exposure of posterm.service: ${exposure:-unknown} (at most 2.5)"
check "systemd-analyze security: exposure ${exposure:-unknown} <= 2.5" \
    awk -v e="${exposure:-99}" 'BEGIN { exit !(e + 0 <= 2.5) }'


# --- install into a scratch root (needs the build machine's architecture, and root for chown)
if [ "$debarch" != "$(dpkg --print-architecture)" ] || [ "$(id -u)" -ne 0 ]; then
    echo "install check: only for $(dpkg --print-architecture) as root (this is $debarch, uid $(id -u))"
    finish
fi
root="$tmp/root"
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/var/log" "$root/etc"
: >"$root/var/lib/dpkg/status"
echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
echo 'root:x:0:' >"$root/etc/group"
dpkgr() { dpkg --root="$root" --force-script-chrootless --force-depends --force-not-root "$@"; }
if ! dpkgr -i "$deb" >"$tmp/dpkg.log" 2>&1; then
    cat "$tmp/dpkg.log" >&2
    fail "dpkg --root -i"
    finish
fi
ok
user=$(grep '^posterm:' "$root/etc/passwd")
check "postinst created the user posterm" test -n "$user"
uid=$(echo "$user" | cut -d: -f3) gid=$(echo "$user" | cut -d: -f4)
check "posterm is a system user (uid < 1000)" test "${uid:-1000}" -lt 1000
check "posterm cannot log in" test "$(echo "$user" | cut -d: -f7)" = /usr/sbin/nologin
check "group posterm exists" grep -q "^posterm:[^:]*:$gid:" "$root/etc/group"
statof() { stat -c '%a %u:%g' "$root$1"; }
check "/usr/bin/posterm 755 root"      test "$(statof /usr/bin/posterm)" = "755 0:0"
check "/var/lib/posterm 700 posterm"   test "$(statof /var/lib/posterm)" = "700 $uid:$gid"
check "/etc/posterm/keys 700 posterm"  test "$(statof /etc/posterm/keys)" = "700 $uid:$gid"
check "/etc/posterm/posterm.json 640 root:posterm" test "$(statof /etc/posterm/posterm.json)" = "640 0:$gid"
check "/lib/systemd/system/posterm.service 644" test "$(statof /lib/systemd/system/posterm.service)" = "644 0:0"
if command -v systemctl >/dev/null 2>&1; then
    check "unit enabled for boot" test -L "$root/etc/systemd/system/multi-user.target.wants/posterm.service"
fi

# Reinstall (an upgrade runs postinst again): the user is not created twice.
dpkgr -i "$deb" >"$tmp/dpkg2.log" 2>&1 || { cat "$tmp/dpkg2.log" >&2; fail "reinstall"; }
check "reinstall keeps one posterm user" test "$(grep -c '^posterm:' "$root/etc/passwd")" -eq 1

# A journal written by the service survives removal of the package; a purge deletes it, and
# says so first. Keys the operator put in keys/ are left to the operator.
echo journal >"$root/var/lib/posterm/journal.db"
echo key >"$root/etc/posterm/keys/alipay_app_private_key.pem"
dpkgr -r posterm >"$tmp/dpkg3.log" 2>&1 || { cat "$tmp/dpkg3.log" >&2; fail "dpkg -r"; }
check "binary removed" test ! -e "$root/usr/bin/posterm"
check "config kept on remove (conffile)" test -f "$root/etc/posterm/posterm.json"
check "journal kept on remove" test -f "$root/var/lib/posterm/journal.db"
check "remove says the journal is kept and purge would delete it" grep -q 'journal in .* is kept; purging' "$tmp/dpkg3.log"
dpkgr --purge posterm >"$tmp/dpkg4.log" 2>&1 || { cat "$tmp/dpkg4.log" >&2; fail "dpkg --purge"; }
cat "$tmp/dpkg4.log"
check "config gone on purge" test ! -e "$root/etc/posterm/posterm.json"
check "purge warns before deleting the journal" grep -q 'WARNING: purging deletes the payment journal' "$tmp/dpkg4.log"
check "journal deleted on purge" test ! -e "$root/var/lib/posterm"
check "operator's key kept on purge" test -f "$root/etc/posterm/keys/alipay_app_private_key.pem"
if command -v systemctl >/dev/null 2>&1; then
    check "unit no longer enabled after purge" test ! -e "$root/etc/systemd/system/multi-user.target.wants/posterm.service"
fi
finish
