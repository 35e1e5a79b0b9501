"""test_upgrade.py BUILD SOURCE CPACK FROM_REF - an upgrade keeps the journal and the config.

The package of an earlier commit (FROM_REF: the release a terminal runs, built from the git
history with its own packaging, in BUILD/upgrade-from/<commit>/ and kept there) is installed
into a scratch root with dpkg --root (maintainer scripts chrootless, as tests/package/
test_package.sh does), its posterm takes payments against posterm-sim - one paid, one left
unresolved while the customer is still confirming - and the operator's config is edited. Then
this tree's package is installed over it, and:
  - dpkg kept the operator's config (a conffile) byte for byte, and the one service user;
  - this tree's posterm migrates the journal (SQLite user_version goes up; the payment codes
    the old schema kept are gone), finds the paid payment, resumes the unresolved one to PAID,
    and the day's totals count both;
  - remove keeps the journal; purge deletes it after a warning.
Prints "N passed, N failed"; exit 77 (skipped) when the source is not a git checkout holding
FROM_REF, the one thing a release tarball cannot give. Needs root (dpkg --root chowns) and the
build machine's architecture.
"""
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile

build, src, cpack, from_ref = sys.argv[1:5]
sys.path.insert(0, os.path.join(src, "tests", "e2e"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402  (the simulator and posterm drivers every e2e test uses)
from installed_posterm import InstalledPosterm  # noqa: E402

passed = failed = 0


def check(what, ok):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL: " + what, file=sys.stderr)
    return ok


def finish():
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(0 if failed == 0 else 1)


def run(args, log, **kw):
    """Runs a command with its output in log; returns its exit status."""
    with open(log, "ab") as f:
        return subprocess.run(args, stdout=f, stderr=subprocess.STDOUT, **kw).returncode


def old_package(tmp):
    """The .deb of from_ref, built once per commit in BUILD/upgrade-from/<commit>/."""
    try:
        commit = subprocess.run(["git", "-C", src, "rev-parse", "--verify", from_ref + "^{commit}"],
                                check=True, capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        print("skipped: %s is not a commit of a git checkout at %s" % (from_ref, src))
        sys.exit(77)
    home = os.path.join(build, "upgrade-from", commit)
    out = os.path.join(home, "out")
    debs = [f for f in os.listdir(out) if f.endswith(".deb")] if os.path.isdir(out) else []
    if debs:
        return os.path.join(out, debs[0])
    shutil.rmtree(home, ignore_errors=True)
    os.makedirs(os.path.join(home, "src"))
    log = os.path.join(home, "build.log")
    archive = subprocess.Popen(["git", "-C", src, "archive", commit], stdout=subprocess.PIPE)
    untar = run(["tar", "-x", "-C", os.path.join(home, "src")], log, stdin=archive.stdout)
    if archive.wait() != 0 or untar != 0:
        sys.exit("cannot export %s (log: %s)" % (commit, log))
    # The release configuration release_deb.sh uses, as that commit knew it.
    tree = os.path.join(home, "tree")
    steps = [
        ["cmake", "-S", os.path.join(home, "src"), "-B", tree, "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
         "-DPOSTERM_CRASH_POINTS=OFF", "-DPOSTERM_SANITIZE=OFF", "-DPOSTERM_FUZZ=OFF",
         "-DPOSTERM_WITH_SIM=OFF", "-DPOSTERM_SLOW_TESTS=OFF", "-DCMAKE_SKIP_INSTALL_ALL_DEPENDENCY=ON"],
        ["cmake", "--build", tree, "--target", "posterm", "-j", "2"],
        [cpack, "-G", "DEB", "--config", os.path.join(tree, "CPackConfig.cmake"), "-B", out],
    ]
    for step in steps:
        if run(step, log) != 0:
            sys.exit("building the package of %s failed (log: %s)" % (commit, log))
    return os.path.join(out, [f for f in os.listdir(out) if f.endswith(".deb")][0])


def new_package(tmp):
    out = subprocess.run(["sh", os.path.join(src, "tests", "package", "release_deb.sh"), build, src,
                          cpack, os.path.join(tmp, "new")], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit("release_deb.sh failed: " + out.stderr)
    return out.stdout.strip()


def user_version(journal):
    with sqlite3.connect("file:%s?mode=ro" % journal, uri=True) as db:
        return db.execute("PRAGMA user_version").fetchone()[0]


def main():
    if os.geteuid() != 0:
        print("skipped: dpkg --root needs root to give files to the service user")
        sys.exit(77)
    tmp = tempfile.mkdtemp(prefix="posterm-upgrade.")
    try:
        upgrade(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    finish()


def upgrade(tmp):
    old_deb, new_deb = old_package(tmp), new_package(tmp)
    old_version = subprocess.run(["dpkg-deb", "-f", old_deb, "Version"], capture_output=True,
                                 text=True).stdout.strip()
    new_version = subprocess.run(["dpkg-deb", "-f", new_deb, "Version"], capture_output=True,
                                 text=True).stdout.strip()
    print("upgrade: %s (%s) -> %s (this tree)" % (old_version, from_ref, new_version))
    if old_version == new_version:
        # dpkg runs the same scripts with the same arguments (prerm upgrade, postinst
        # configure <old version>) for a same-version reinstall: the path is exercised.
        print("note: both packages are version %s; bump project(VERSION) for a release" % new_version)

    root = os.path.join(tmp, "root")
    for d in ("var/lib/dpkg/info", "var/lib/dpkg/updates", "var/log", "etc"):
        os.makedirs(os.path.join(root, d))
    open(os.path.join(root, "var/lib/dpkg/status"), "w").close()
    with open(os.path.join(root, "etc/passwd"), "w") as f:
        f.write("root:x:0:0:root:/root:/bin/sh\n")
    with open(os.path.join(root, "etc/group"), "w") as f:
        f.write("root:x:0:\n")
    log = os.path.join(tmp, "dpkg.log")

    def dpkg(*args):
        start = os.path.getsize(log) if os.path.exists(log) else 0
        rc = run(["dpkg", "--root=" + root, "--force-script-chrootless", "--force-depends",
                  "--force-not-root", "--force-confdef", "--force-confold"] + list(args), log)
        with open(log) as f:
            f.seek(start)
            text = f.read()
        print(text, end="")
        return rc, text

    if not check("install the old package", dpkg("-i", old_deb)[0] == 0):
        return
    passwd = os.path.join(root, "etc/passwd")
    user_before = [l for l in open(passwd) if l.startswith("posterm:")]

    # The operator's config: the simulator's gateways, the journal where the package put it.
    work = os.path.join(tmp, "work")
    os.makedirs(work)
    sim = harness.Sim(build, work).start()
    try:
        # A payment window longer than the customer's confirming (8 s), so the payment left
        # unresolved is still open when the upgraded posterm resumes it.
        lab = harness.write_config(work, sim, policy={"window_ms": 40000})
        config = os.path.join(root, "etc/posterm/posterm.json")
        journal = os.path.join(root, "var/lib/posterm/journal.db")
        operator = json.loads(open(lab).read().replace(os.path.join(work, "journal.db"), journal))
        # The old version's config: no key it did not know (it refuses them). The upgraded
        # posterm starts with this same file, as an operator's would be kept.
        operator["wechat"].pop("notify_url", None)
        edited = json.dumps(operator, indent=1)
        with open(config, "w") as f:  # keeps the file's owner and mode, as an editor would
            f.write(edited)

        old = InstalledPosterm(os.path.join(root, "usr/bin/posterm"), config, build)
        old.ready()
        paid = old.pay("12.30", harness.alipay_code(0))
        old.wait_state("PAID", paid)
        pending = old.pay("4.56", harness.wechat_code(3))  # the customer confirms for a while
        old.wait_state("QUERYING", pending)
        old.send("quit")
        check("the old posterm quits with a payment unresolved", old.finish() == 0)
        version_before = user_version(journal)

        rc, _ = dpkg("-i", new_deb)
        if not check("upgrade to this tree's package", rc == 0):
            return
        check("the operator's config is kept byte for byte", open(config).read() == edited)
        check("one service user, the same as before",
              [l for l in open(passwd) if l.startswith("posterm:")] == user_before)
        check("the journal is still there", os.path.exists(journal))

        new = InstalledPosterm(os.path.join(root, "usr/bin/posterm"), config, build)
        new.ready()
        new.wait_state("PAID", pending, timeout=60)
        since = len(new.seen)
        new.send("eod")
        eod = new.wait(lambda e: e.get("event") == "eod", 10, "eod", since)
        new.send("quit")
        new.finish()
        version_after = user_version(journal)
        print("journal schema: v%d before the upgrade, v%d after" % (version_before, version_after))
        check("the journal was migrated (user_version %d -> %d)" % (version_before, version_after),
              version_after > version_before)
        with sqlite3.connect("file:%s?mode=ro" % journal, uri=True) as db:
            states = dict(db.execute("SELECT order_no, state FROM payments"))
            codes = db.execute("SELECT count(*) FROM payments WHERE auth_code IS NOT NULL").fetchone()[0]
        check("the payment taken before the upgrade is PAID in the journal", states.get(paid) == "PAID")
        check("the unresolved payment was resumed to PAID", states.get(pending) == "PAID")
        check("no payment code left on disk after the migration", codes == 0)
        check("the day's totals count both payments and nothing unresolved (%s)" % eod["all"],
              eod["all"]["paid"] == 2 and eod["all"]["unresolved"] == 0)
    finally:
        sim.stop()

    rc, _ = dpkg("-r", "posterm")
    check("remove keeps the journal", rc == 0 and os.path.exists(journal))
    rc, text = dpkg("--purge", "posterm")
    check("purge warns about the journal", "WARNING: purging deletes the payment journal" in text)
    check("purge deletes the journal", rc == 0 and not os.path.exists(os.path.dirname(journal)))


main()
