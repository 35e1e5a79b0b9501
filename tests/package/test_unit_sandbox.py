"""test_unit_sandbox.py BUILD SOURCE CPACK - what the packaged posterm does fits its unit's sandbox.

This machine has no systemd running, so the unit cannot start posterm here. Instead the
packaged program runs under strace, as an unprivileged user as the unit runs it (User=; as root,
SQLite would fchown its side files, which a service user never does) - headless against posterm-sim, the USB scanner looked for
(scanner.source auto: libusb and its hot-plug monitor start), a payment paid, one refunded,
the day's totals, quit - and every system call it made is held against the unit's own
directives, read from toolchain/package/posterm.service:
  SystemCallFilter=   each call is in the allowed set (the groups expanded by
                      `systemd-analyze syscall-filter`, the ~ groups taken away)
  RestrictAddressFamilies=  each socket() is of a listed family
  MemoryDenyWriteExecute=yes  no mapping is made writable and executable, nothing made
                      executable afterwards
A call outside the filter would fail with EPERM under the unit (SystemCallErrorNumber): this
test names it instead. What it cannot see: device access through the cgroup and the tty, which
need the unit started by systemd (a VM booting systemd; not in this test).
Prints "N passed, N failed".
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

build, src, cpack = sys.argv[1:4]
sys.path.insert(0, os.path.join(src, "tests", "e2e"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402  (the simulator and posterm drivers every e2e test uses)
from installed_posterm import InstalledPosterm  # noqa: E402

passed = failed = 0
USER = "nobody:nogroup"  # any user but root: the unit's User=posterm does not exist here


def check(what, ok):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL: " + what, file=sys.stderr)
    return ok


def unit_values(key):
    """Every value of key= in the unit, in order (a key may be given more than once)."""
    unit = os.path.join(src, "toolchain", "package", "posterm.service")
    return [line.split("=", 1)[1].strip() for line in open(unit)
            if line.startswith(key + "=")]


def expand(name, seen=None):
    """The system calls of a name: a group expanded through systemd-analyze, or the call."""
    if not name.startswith("@"):
        return {name}
    seen = seen if seen is not None else set()
    if name in seen:
        return set()
    seen.add(name)
    out = subprocess.run(["systemd-analyze", "syscall-filter", name], check=True,
                         capture_output=True, text=True).stdout
    calls = set()
    for line in out.splitlines()[1:]:
        word = line.strip()
        if word and not word.startswith("#"):
            calls |= expand(word, seen)
    return calls


def allowed_calls():
    allowed, denied = set(), set()
    for value in unit_values("SystemCallFilter"):
        deny = value.startswith("~")
        for name in value.lstrip("~").split():
            (denied if deny else allowed).update(expand(name))
    return allowed - denied


def main():
    if os.geteuid() != 0:
        print("skipped: strace -u (running posterm as another user) needs root")
        sys.exit(77)
    tmp = tempfile.mkdtemp(prefix="posterm-sandbox.")
    try:
        trace(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(0 if failed == 0 else 1)


def trace(tmp):
    out = subprocess.run(["sh", os.path.join(src, "tests", "package", "release_deb.sh"), build, src,
                          cpack, os.path.join(tmp, "deb")], capture_output=True, text=True)
    if not check("the release package builds", out.returncode == 0):
        print(out.stderr)
        return
    subprocess.run(["dpkg-deb", "-x", out.stdout.strip(), os.path.join(tmp, "x")], check=True)
    exe = os.path.join(tmp, "x", "usr", "bin", "posterm")
    strace_log = os.path.join(tmp, "strace.log")

    work = os.path.join(tmp, "work")
    os.makedirs(work)
    sim = harness.Sim(build, work).start()
    try:
        config = harness.write_config(work, sim, extra={
            "scanner": {"source": "auto", "dedupe_ms": 500}})
        # The service user's own copies of the keys (private keys readable by it alone), and a
        # folder it may write the journal in; the config stays root's.
        keys = os.path.join(work, "keys")
        shutil.copytree(sim.keys, keys)
        with open(config) as f:
            text = f.read().replace(sim.keys, keys)
        with open(config, "w") as f:
            f.write(text)
        for d in (tmp, os.path.join(tmp, "x")):
            os.chmod(d, 0o755)
        subprocess.run(["chown", "-R", USER, work], check=True)
        os.chown(config, 0, 0)
        pt = InstalledPosterm(exe, config, build,
                              wrapper=["strace", "-f", "-qq", "-u", USER.split(":")[0],
                                       "-o", strace_log])
        pt.ready(timeout=40)
        paid = pt.pay("12.30", harness.alipay_code(0))
        pt.wait_state("PAID", paid)
        refunded = pt.pay("2.00", harness.wechat_code(0))
        pt.wait_state("PAID", refunded)
        pt.send("refund %s 2.00" % refunded)
        pt.wait_state("REFUNDED", refunded)
        since = len(pt.seen)
        pt.send("eod")
        pt.wait(lambda e: e.get("event") == "eod", 10, "eod", since)
        pt.send("quit")
        check("posterm ran and quit under strace", pt.finish() == 0)
    finally:
        sim.stop()

    calls, families, wx = set(), set(), []
    line_re = re.compile(r"^\d+\s+([a-z0-9_]+)\((.*)")
    for line in open(strace_log):
        m = line_re.match(line)
        if not m:
            continue
        name, args = m.groups()
        calls.add(name)
        if name == "socket":
            families.add(args.split(",")[0].strip())
        if (name in ("mmap", "mmap2") and "PROT_WRITE" in args and "PROT_EXEC" in args) or \
                (name in ("mprotect", "pkey_mprotect") and "PROT_EXEC" in args):
            wx.append(line.strip())
    allowed = allowed_calls()
    print("system calls made: %s" % " ".join(sorted(calls)))
    print("socket families: %s" % " ".join(sorted(families)))
    outside = sorted(calls - allowed)
    check("every system call is allowed by SystemCallFilter= (outside: %s)" % " ".join(outside),
          not outside)
    listed = set(" ".join(unit_values("RestrictAddressFamilies")).split())
    check("every socket family is in RestrictAddressFamilies= (%s)" % " ".join(sorted(families)),
          families <= listed)
    if unit_values("MemoryDenyWriteExecute") == ["yes"]:
        check("no writable+executable or later-executable mapping (MemoryDenyWriteExecute): %s"
              % wx[:3], not wx)


main()
