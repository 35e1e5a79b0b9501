#!/usr/bin/env bash
# toolchain/figures.sh [--root DIR] [--check] [FILE.md...] - the figures the READMEs claim
# (package sizes, test counts, suite times), measured from the build trees that exist, written
# into the blocks that hold them, so that a figure cannot go stale unnoticed.
#
#   toolchain/figures.sh                  measure this checkout's trees, rewrite the blocks
#   toolchain/figures.sh --root DIR       measure DIR's trees (DIR/build, DIR/build-arm64, ...,
#                                         DIR/build-logs); only this checkout's files are written
#   toolchain/figures.sh --check          read only: every block is well formed, stamped, and
#                                         unchanged since the script wrote it (ctest repo_figures)
#
# FILE.md...: the files to rewrite or check; default every tracked *.md of this checkout.
#
# A block is
#   <!-- figures: NAME -->
#   <!-- stamp: toolchain/figures.sh build=TYPE commit=DESCRIBE date=YYYY-MM-DD sum=HEX -->
#   ...table...
#   <!-- /figures -->
# NAME is "sizes" (stripped /usr/bin/posterm and .deb per architecture) or "suites" (the
# suites of `toolchain/dev test`: tests each runs, and the last run's result and time). Every
# row ends with its own stamp, "TYPE, COMMIT, DATE": the build type of the tree it was measured
# in, the commit the measured checkout was at (git describe --always --dirty) and the day the
# tree's artefact was made. A row the script cannot measure (that tree was not built) keeps its
# old values and its old stamp. sum= covers the block's lines, so an edit by hand inside a
# block fails --check; edit the script or rebuild and run it again instead.
#
# Sources, read only (nothing in the measured trees is written):
#   sizes   build-ARCH/package/posterm_*_ARCH.deb (toolchain/cross-build.sh); amd64:
#           build/package/*.deb, else a package made in a scratch folder from build/release
#           (the release tree tests/package/release_deb.sh leaves)
#   suites  the tests each suite registers, from the trees' CTestTestfile.cmake files and the
#           label filters of toolchain/dev; passed, failed and time from build-logs/summary.txt
set -euo pipefail
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
exec python3 - "$src" "$@" <<'PY'
import datetime, hashlib, os, re, shutil, subprocess, sys, tempfile

src = sys.argv[1]
args = sys.argv[2:]
root, check, files = src, False, []
while args:
    a = args.pop(0)
    if a == "--root" and args:
        root = os.path.abspath(args.pop(0))
    elif a == "--check":
        check = True
    elif a.startswith("-"):
        sys.exit("usage: toolchain/figures.sh [--root DIR] [--check] [FILE.md...]")
    else:
        files.append(os.path.abspath(a))

OPEN = re.compile(r"^<!-- figures: ([a-z-]+) -->$")
STAMP = re.compile(r"^<!-- stamp: toolchain/figures\.sh build=(\S+) commit=(\S+) "
                   r"date=(\d{4}-\d{2}-\d{2}) sum=([0-9a-f]{12}) -->$")
CLOSE = "<!-- /figures -->"
ROW_STAMP = re.compile(r"^[A-Za-z]+, [0-9a-z.-]+, \d{4}-\d{2}-\d{2}$")
NAMES = ("sizes", "suites")


def run(*cmd, cwd=None):
    # GIT_OPTIONAL_LOCKS=0: git describe --dirty would otherwise refresh the measured
    # checkout's index.
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True,
                          env=dict(os.environ, GIT_OPTIONAL_LOCKS="0")).stdout.strip()


def tracked_markdown():
    out = run("git", "-C", src, "ls-files", "*.md", "**/*.md")
    if out:
        return sorted({os.path.join(src, p) for p in out.splitlines()})
    found = []
    for d, dirs, names in os.walk(src):
        dirs[:] = [x for x in dirs if not x.startswith((".", "build"))]
        found += [os.path.join(d, n) for n in names if n.endswith(".md")]
    return sorted(found)


def body_sum(lines):
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:12]


def blocks(text, path, allow_new=False):
    """[(start, end, name, stamp_match, body_lines)] with start/end the marker line indexes;
    raises ValueError naming the first malformed block. allow_new: an empty block (the two
    markers alone, as a new block is written by hand) is accepted, with stamp None."""
    lines, found, i = text.split("\n"), [], 0
    while i < len(lines):
        m = OPEN.match(lines[i])
        if not m:
            if lines[i].startswith("<!-- figures") or lines[i] == CLOSE:
                raise ValueError("%s:%d: a figures marker out of place: %s" % (path, i + 1, lines[i]))
            i += 1
            continue
        name = m.group(1)
        if name not in NAMES:
            raise ValueError("%s:%d: unknown figures block '%s' (known: %s)" % (path, i + 1, name, ", ".join(NAMES)))
        try:
            end = lines.index(CLOSE, i + 1)
        except ValueError:
            raise ValueError("%s:%d: figures block '%s' has no %s" % (path, i + 1, name, CLOSE))
        if allow_new and end == i + 1:
            found.append((i, end, name, None, []))
            i = end + 1
            continue
        stamp = STAMP.match(lines[i + 1]) if i + 1 < end else None
        if not stamp:
            raise ValueError("%s:%d: figures block '%s' has no stamp line in toolchain/figures.sh's format"
                             % (path, i + 2, name))
        body = lines[i + 2:end]
        if any(OPEN.match(x) for x in body):
            raise ValueError("%s:%d: figures block '%s' opens another inside it" % (path, i + 1, name))
        if body_sum(body) != stamp.group(4):
            raise ValueError("%s:%d: figures block '%s' was changed by hand since toolchain/figures.sh wrote it "
                             "(sum %s, stamp says %s)" % (path, i + 1, name, body_sum(body), stamp.group(4)))
        rows = [r for r in body if r.startswith("|") and not r.startswith("|---")][1:]
        if not rows:
            raise ValueError("%s:%d: figures block '%s' holds no table" % (path, i + 1, name))
        for r in rows:
            cell = r.strip("|").split("|")[-1].strip()
            if not ROW_STAMP.match(cell):
                raise ValueError("%s: figures block '%s': row without a stamp 'TYPE, COMMIT, DATE': %s" % (path, name, r))
        found.append((i, end, name, stamp, body))
        i = end + 1
    return found


def table_rows(body):
    """{first cell: row line} of a block's table."""
    out = {}
    for r in body:
        if r.startswith("|") and not r.startswith("|---"):
            out[r.strip("|").split("|")[0].strip()] = r
    return out


if check:
    bad = 0
    for f in files or tracked_markdown():
        try:
            blocks(open(f, encoding="utf-8").read(), os.path.relpath(f, src))
        except ValueError as e:
            print(e)
            bad += 1
    if bad:
        sys.exit(1)
    print("every figures block is stamped and as toolchain/figures.sh wrote it")
    sys.exit(0)

# --- measuring
commit = run("git", "-C", root, "describe", "--always", "--dirty") or "unknown"


def cached(tree, key):
    try:
        for line in open(os.path.join(tree, "CMakeCache.txt")):
            if line.startswith(key + ":"):
                return line.split("=", 1)[1].strip()
    except OSError:
        pass
    return ""


def day(path):
    return datetime.datetime.fromtimestamp(os.path.getmtime(path), datetime.timezone.utc).strftime("%Y-%m-%d")


def stamp(tree, artefact):
    return "%s, %s, %s" % (cached(tree, "CMAKE_BUILD_TYPE") or "unknown", commit, day(artefact))


def amd64_deb(scratch):
    """build/package/*.deb, else one made by cpack from a copy of build/release."""
    pkg = os.path.join(root, "build", "package")
    debs = sorted(f for f in os.listdir(pkg) if f.endswith("_amd64.deb")) if os.path.isdir(pkg) else []
    if debs:
        return os.path.join(pkg, debs[-1]), os.path.join(root, "build")
    rel = os.path.join(root, "build", "release")
    if not (os.path.isfile(os.path.join(rel, "CPackConfig.cmake")) and os.path.isfile(os.path.join(rel, "posterm"))):
        return None, None
    # cpack builds the tree's preinstall target and installs from the tree it is given, so it
    # writes into it: give it a copy in which every text file (CMake scripts, Makefiles) names
    # the copy, so the measured tree stays as it was.
    copy = os.path.join(scratch, "release")
    shutil.copytree(rel, copy, symlinks=True)
    old_path, new_path = rel.encode(), copy.encode()
    for d, _, names in os.walk(copy):
        for n in names:
            p = os.path.join(d, n)
            if os.path.islink(p):
                continue
            data = open(p, "rb").read()
            if b"\0" not in data and old_path in data:
                open(p, "wb").write(data.replace(old_path, new_path))
    out = os.path.join(scratch, "out")
    r = subprocess.run(["cpack", "-G", "DEB", "--config", os.path.join(copy, "CPackConfig.cmake"), "-B", out],
                       capture_output=True, text=True)
    debs = [f for f in os.listdir(out) if f.endswith(".deb")] if r.returncode == 0 and os.path.isdir(out) else []
    if not debs:
        print("figures: amd64: cpack from build/release failed; its row is kept", file=sys.stderr)
        return None, None
    deb = os.path.join(out, debs[0])
    os.utime(deb, (os.path.getmtime(os.path.join(rel, "posterm")),) * 2)
    return deb, rel


measured_sizes = None


def sizes(old_body):
    """Measured once per run, so that every file gets the same figures."""
    global measured_sizes
    if measured_sizes is None:
        measured_sizes = measure_sizes()
    old = table_rows(old_body)
    rows = [measured_sizes.get(arch) or old.get(arch) for arch in ("amd64", "arm64", "armhf")]
    return ["| arch | stripped `/usr/bin/posterm` | `.deb` | measured in (build, commit, day) |",
            "|---|---|---|---|"] + [r for r in rows if r]


def measure_sizes():
    """{arch: table row} for every architecture whose package exists or can be made."""
    rows = {}
    with tempfile.TemporaryDirectory() as scratch:
        for arch in ("amd64", "arm64", "armhf"):
            if arch == "amd64":
                deb, tree = amd64_deb(scratch)
            else:
                tree = os.path.join(root, "build-" + arch)
                pkg = os.path.join(tree, "package")
                debs = sorted(f for f in os.listdir(pkg) if f.endswith("_%s.deb" % arch)) if os.path.isdir(pkg) else []
                deb = os.path.join(pkg, debs[-1]) if debs else None
                if os.path.isfile(os.path.join(tree, "release", "CMakeCache.txt")):
                    tree = os.path.join(tree, "release")
            if deb:
                listing = run("dpkg-deb", "-c", deb)
                stripped = next((l.split()[2] for l in listing.splitlines() if l.split()[-1] == "./usr/bin/posterm"), None)
                if stripped:
                    rows[arch] = "| %s | %s B | %s B | %s |" % (arch, format(int(stripped), ","),
                                                             format(os.path.getsize(deb), ","), stamp(tree, deb))
    return rows


# The suites of toolchain/dev test: the tree each runs in and its ctest label filter
# (include regex, exclude regex), as toolchain/dev and toolchain/cross-build.sh say them.
SUITES = [
    ("plain", "build", None, "vm|package"),
    ("package", "build", "package", None),
    ("vm", "build", "vm", None),
    ("asan", "build-asan", None, "vm|armvm|bench|package"),
    ("fuzz", "build-fuzz", "fuzz", None),
    ("arm64", "build-arm64", None, "vm|armvm|usb|bench|fuzz"),
    ("armvm", "build-arm64", "armvm", None),
    ("armhf", "build-armhf", None, None),  # build and package only: no tests run
]


def registered(tree):
    """[(test, [labels])] from a tree's CTestTestfile.cmake files (its release/ left out)."""
    tests = {}
    for d, dirs, names in os.walk(tree):
        dirs[:] = [x for x in dirs if x not in ("release", "_CPack_Packages", "CMakeFiles")]
        if "CTestTestfile.cmake" not in names:
            continue
        for line in open(os.path.join(d, "CTestTestfile.cmake"), encoding="utf-8", errors="replace"):
            m = re.match(r"add_test\(\[=\[(.+?)\]=\]", line)
            if m:
                tests.setdefault(m.group(1), [])
            m = re.match(r'set_tests_properties\(\[=\[(.+?)\]=\] PROPERTIES .*?LABELS "([^"]*)"', line)
            if m:
                tests[m.group(1)] = m.group(2).split(";")
    return tests


def summary():
    """{suite: (tests, passed, failed, time, day)} from build-logs/summary.txt."""
    path = os.path.join(root, "build-logs", "summary.txt")
    out = {}
    if not os.path.isfile(path):
        return out
    for line in open(path):
        f = line.split()
        if len(f) >= 6 and f[1].isdigit() and f[4].endswith("s"):
            out[f[0]] = (int(f[1]), int(f[2]), int(f[3]), int(f[4][:-1]), day(path))
    return out


def suites(old_body):
    old = table_rows(old_body)
    last = summary()
    rows, total = [], 0
    for name, tree_name, inc, exc in SUITES:
        tree = os.path.join(root, tree_name)
        # `toolchain/dev test SUITE` writes a summary of that suite alone: a suite it did not
        # run keeps its row from the last run that did, with that row's stamp.
        ran_before = name in old and " | - | - | " not in old[name]
        if not os.path.isfile(os.path.join(tree, "CTestTestfile.cmake")) or (name not in last and ran_before):
            if name in old:
                rows.append(old[name])
            continue
        tests = registered(tree)
        if name == "armhf":
            n = 0
        else:
            n = sum(1 for labels in tests.values()
                    if (inc is None or any(re.search(inc, l) for l in labels))
                    and (exc is None or not any(re.search(exc, l) for l in labels)))
        total += n
        if name in last:
            t, p, fl, secs, d = last[name]
            ran = "%d / %d / %d | %d min %02d s" % (t, p, fl, secs // 60, secs % 60)
            when = d
        else:
            ran, when = "- | -", day(os.path.join(tree, "CTestTestfile.cmake"))
        rows.append("| %s | %d | %s | %s, %s, %s |" % (name, n, ran, cached(tree, "CMAKE_BUILD_TYPE") or "unknown",
                                                     commit, when))
    if last and all(s[0] in last for s in SUITES):
        secs = sum(v[3] for v in last.values())
        rows.append("| all eight | %d | %d / %d / %d | %d min %02d s | %s, %s, %s |" % (
            total, sum(v[0] for v in last.values()), sum(v[1] for v in last.values()),
            sum(v[2] for v in last.values()), secs // 60, secs % 60,
            cached(os.path.join(root, "build"), "CMAKE_BUILD_TYPE") or "unknown", commit,
            day(os.path.join(root, "build-logs", "summary.txt"))))
    return ["| suite | tests it runs | last run: tests / passed / failed | last run: time | measured in (build, commit, day) |",
            "|---|---|---|---|---|"] + rows


MAKERS = {"sizes": sizes, "suites": suites}
written = 0
for f in files or tracked_markdown():
    text = open(f, encoding="utf-8").read()
    try:
        found = blocks(text, os.path.relpath(f, src), allow_new=True)
    except ValueError as e:
        sys.exit("figures: %s (fix the block by hand, then run again)" % e)
    if not found:
        continue
    lines = text.split("\n")
    for start, end, name, st, body in reversed(found):
        new = MAKERS[name](body)
        if st and new == body:
            continue
        if len(new) <= 2:
            print("figures: %s: block '%s': nothing measured, left empty" % (os.path.relpath(f, src), name),
                  file=sys.stderr)
            continue
        line = "<!-- stamp: toolchain/figures.sh build=%s commit=%s date=%s sum=%s -->" % (
            cached(os.path.join(root, "build"), "CMAKE_BUILD_TYPE") or (st.group(1) if st else "unknown"), commit,
            datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"), body_sum(new))
        lines[start + 1:end] = [line] + new
    new_text = "\n".join(lines)
    if new_text != text:
        open(f, "w", encoding="utf-8").write(new_text)
        print("figures: rewrote", os.path.relpath(f, src))
        written += 1
if not written:
    print("figures: nothing changed")
PY
