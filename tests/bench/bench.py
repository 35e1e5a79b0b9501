"""bench.py - runs every benchmark against one build tree and prints one table.

Each figure is set against a floor measured in the same run (same machine, same moment), so
the ratio means something on a noisy machine. Nothing here passes or fails on timing: the
"target" column only says where the line is drawn. Usage: run.sh BUILD_DIR [--quick].
"""
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import harness  # noqa: E402  (the e2e tests' config writer: same settings as every test)

MONO = time.CLOCK_MONOTONIC
DEFAULT_POLICY = {"first_query_ms": 1000, "query_fast_every_ms": 2000,
                  "query_fast_for_ms": 20000, "query_every_ms": 5000, "window_ms": 45000,
                  "min_cancel_ms": 15000, "backoff_first_ms": 2000, "backoff_max_ms": 60000}


def mono_ns():
    return time.clock_gettime_ns(MONO)


def pct(values, q):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q / 100.0 * (len(s) - 1))))]


def proc_status(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key, _, value = line.partition(":")
            out[key] = value.strip()
    return out


def kib(status, key):
    return int(status[key].split()[0])


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime (fields 14, 15 of stat)


def cpu_ns(pid):
    with open("/proc/%d/schedstat" % pid) as f:
        return int(f.read().split()[0])


class Sim:
    """posterm-sim with its arrival log (--timing-log), in memory (no ledger file)."""

    def __init__(self, build, workdir):
        self.exe = os.path.join(build, "posterm-sim")
        self.dir = workdir
        self.keys = os.path.join(workdir, "keys")
        self.timing = os.path.join(workdir, "arrivals.log")
        subprocess.run([self.exe, "--make-keys", self.keys], check=True, stdout=subprocess.DEVNULL)
        port_file = os.path.join(workdir, "sim.port")
        self.proc = subprocess.Popen([self.exe, "--keys", self.keys, "--port-file", port_file,
                                      "--timing-log", self.timing, "--quiet"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while not (os.path.exists(port_file) and open(port_file).read().strip()):
            if time.time() > deadline or self.proc.poll() is not None:
                raise RuntimeError("posterm-sim did not start")
            time.sleep(0.02)
        self.port = int(open(port_file).read())

    def url(self, path=""):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def arrivals(self, marker):
        """[(ns, uri)] of the requests whose URI contains marker, in arrival order."""
        with open(self.timing) as f:
            rows = [line.split(" ", 1) for line in f]
        return [(int(ns), uri.strip()) for ns, uri in rows if marker in uri]

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(10)


class ClosedPort:
    """A gateway nobody answers: a loopback port that was free a moment ago (connection
    refused at once, so nothing waits on a timeout)."""

    def __init__(self, keys):
        self.keys = keys
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()

    def url(self, path=""):
        return "http://127.0.0.1:%d%s" % (self.port, path)


class Headless:
    """posterm --headless, read synchronously: one JSON object per line."""

    def __init__(self, build, config, journal=None, log=None):
        args = [os.path.join(build, "posterm"), "--headless", "--config", config]
        if journal:
            args += ["--journal", journal]
        self.start_ns = mono_ns()
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=log or subprocess.DEVNULL, bufsize=0)
        self.out = self.proc.stdout

    def send(self, line):
        self.proc.stdin.write((line + "\n").encode())

    def wait(self, pred, what):
        while True:
            line = self.out.readline()
            if not line:
                raise RuntimeError("posterm exited (%s) waiting for %s" % (self.proc.wait(), what))
            ev = json.loads(line)
            if pred(ev):
                return ev

    def ready(self):
        return self.wait(lambda e: e.get("event") == "ready", "ready")

    def quit(self):
        """Asks posterm to exit; returns its exit status (negative: killed by that signal)."""
        try:
            self.send("quit")
            self.proc.stdin.close()
        except BrokenPipeError:
            pass  # it exited by itself: the status says how
        return self.proc.wait(30)


def wechat_code(i):
    return "13%014d00" % i  # 18 digits, WeChat prefix, scenario 00 = paid at once


def bench_payments(build, work, sim, n_pay, n_lat, block):
    """Figures 1 and 4: one posterm process, n_pay payments; scan-to-request over the first
    n_lat, with the floor program run in blocks in between so both see the same machine."""
    cfg = harness.write_config(work, sim, extra={"log": os.path.join(work, "posterm.log"),
                                                 "terminal_id": "BENCH"})
    p = Headless(build, cfg, journal=os.path.join(work, "pay.db"))
    p.ready()
    scans, floors = [], {"floor": [], "signed": []}
    rss = []
    floor_exe = os.path.join(build, "tests", "bench", "bench_floor")
    key = os.path.join(sim.keys, "wechat_merchant_private.pem")
    for i in range(n_pay):
        if i < n_lat and i % block == 0:
            for name, extra in (("floor", []), ("signed", [key])):
                out = subprocess.run([floor_exe, work, sim.url("/_sim/health?%s=" % name),
                                      str(block + 1)] + extra,
                                     check=True, capture_output=True, text=True).stdout
                # Round 0 opens the connection; posterm's is open already.
                floors[name] += [int(line.split()[1]) for line in out.split("\n")[1:] if line]
        p.send("amount 0.01")
        p.wait(lambda e: e.get("event") == "payment" and e["transition"] == "created", "created")
        t0 = mono_ns()
        p.send("scan " + wechat_code(i))
        done = p.wait(lambda e: e.get("event") == "payment" and e["state"] in harness.FINAL,
                      "a final state")
        if done["state"] != "PAID":
            raise RuntimeError("payment %d ended %s" % (i, done["state"]))
        if i < n_lat:
            scans.append(t0)
        if (i + 1) % max(1, n_pay // 100) == 0:
            st = proc_status(p.proc.pid)
            rss.append((i + 1, kib(st, "VmRSS"), kib(st, "RssAnon"), kib(st, "RssFile"),
                        kib(st, "RssShmem")))
    final = proc_status(p.proc.pid)
    if p.quit() != 0:
        raise RuntimeError("posterm did not exit cleanly after the payments")

    pays = [ns for ns, _ in sim.arrivals("/v3/pay/transactions/codepay")][:n_lat]
    if len(pays) != len(scans):
        raise RuntimeError("%d scans but %d pay requests arrived" % (len(scans), len(pays)))
    res = {}
    for name, sent in (("lat", scans), ("floor", floors["floor"]), ("signed", floors["signed"])):
        if name == "lat":
            arrived = pays
        else:  # the floor runs' arrivals in order, without each run's connecting round 0
            arrived = [ns for ns, uri in sim.arrivals("?%s=" % name) if not uri.endswith("=0")]
        ms = [(b - a) / 1e6 for a, b in zip(sent, arrived)]
        res.update({name + "_p50": pct(ms, 50), name + "_p99": pct(ms, 99), name + "_n": len(ms)})
    # Warm-up is the first half: SQLite's page cache (cache_size default, 2,000 KiB) fills
    # with journal pages as the journal grows, which takes some thousands of payments.
    warm = [r for r in rss if r[0] >= n_pay // 2]
    first = warm[0] if warm else rss[-1]
    res.update({
        "rss_peak_kib": kib(final, "VmHWM"), "rss_end_kib": kib(final, "VmRSS"),
        "rss_warm_kib": first[1], "rss_warm_at": first[0],
        "rss_warm_parts": first[2:], "rss_end_parts": (kib(final, "RssAnon"), kib(final, "RssFile"),
                                                      kib(final, "RssShmem")),
        "rss_series": rss, "payments": n_pay,
    })
    return res


def bench_journal_rate(build, work, n):
    exe = os.path.join(build, "tests", "bench", "bench_journal")
    out = subprocess.run([exe, "rate", work, str(n)], check=True, capture_output=True,
                         text=True).stdout
    # WAL pages per commit: where the journal's extra cost goes (its indexes), besides CPU
    out += subprocess.run([exe, "pages", work, "300"], check=True, capture_output=True,
                          text=True).stdout
    return {k: float(v) for k, v in (line.split() for line in out.splitlines())}


def evict(path):
    """Drops the file's pages from the page cache (as after a power cut), leaving every other
    file on the machine cached: the journal alone is read from disk again."""
    for name in (path, path + "-wal", path + "-shm"):
        if os.path.exists(name):
            fd = os.open(name, os.O_RDONLY)
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            os.close(fd)


def start_once(build, cfg, journal, cold, log):
    if cold:
        evict(journal)
    p = Headless(build, cfg, journal=journal, log=log)
    ready = p.ready()
    ms = (mono_ns() - p.start_ns) / 1e6
    return ms, ready.get("background", 0), p.quit()


def bench_startup(build, work, keys, resolved, unresolved, rounds):
    """Figure 3: exec to the "ready" line, journal of history vs empty journal, gateway
    unreachable (a closed loopback port), page cache warm and with the journal evicted."""
    tool = os.path.join(build, "tests", "bench", "bench_journal")
    empty = os.path.join(work, "empty.db")
    full = os.path.join(work, "history.db")
    subprocess.run([tool, "make", empty, "0", "0"], check=True, capture_output=True)
    made = subprocess.run([tool, "make", full, str(resolved), str(unresolved)], check=True,
                          capture_output=True, text=True).stdout
    made = {k: float(v) for k, v in (line.split() for line in made.splitlines())}
    cfg = harness.write_config(work, ClosedPort(keys), policy=DEFAULT_POLICY,
                               extra={"log": os.path.join(work, "startup.log")})
    res = {"made_s": made["made_s"], "pages": int(made["pages"]), "resolved": resolved,
           "unresolved": unresolved}
    for cold in (False, True):
        times = {"empty": [], "full": []}
        for _ in range(rounds):
            for kind, path in (("empty", empty), ("full", full)):
                with open(os.path.join(work, "startup.err"), "ab") as log:
                    ms, bg, status = start_once(build, cfg, path, cold, log)
                times[kind].append(ms)
                # The figure is taken at "ready"; what happens after is reported, not hidden.
                if status != 0:
                    res.setdefault("bad_exits", []).append("%s:%d" % (kind, status))
                if kind == "full":
                    res["resumed"] = bg
        tag = "cold" if cold else "warm"
        res[tag + "_empty_ms"] = statistics.median(times["empty"])
        res[tag + "_full_ms"] = statistics.median(times["full"])
    # The two parts apart: the unresolved payments alone, on a journal without history.
    alone = os.path.join(work, "unresolved.db")
    subprocess.run([tool, "make", alone, "0", str(unresolved)], check=True, capture_output=True)
    times = []
    for _ in range(rounds):
        with open(os.path.join(work, "startup.err"), "ab") as log:
            ms, _, status = start_once(build, cfg, alone, False, log)
        times.append(ms)
        if status != 0:
            res.setdefault("bad_exits", []).append("unresolved:%d" % status)
    res["warm_unresolved_only_ms"] = statistics.median(times)
    opened = subprocess.run([tool, "open", full], check=True, capture_output=True,
                            text=True).stdout
    for line in opened.splitlines():
        k, v = line.split()
        res[k] = float(v)
    return res


def bench_idle(build, work, keys, seconds):
    """Figure 5: CPU used while idle with a cancel pending on an unreachable gateway, the
    scanner source "auto" (USB, looked for every second when none is plugged in) and the
    production policy (cancel retried with back-off 2 s doubling to 60 s)."""
    tool = os.path.join(build, "tests", "bench", "bench_journal")
    journal = os.path.join(work, "idle.db")
    subprocess.run([tool, "make", journal, "0", "1"], check=True, capture_output=True)
    cfg = harness.write_config(work, ClosedPort(keys), policy=DEFAULT_POLICY,
                               extra={"log": os.path.join(work, "idle.log"),
                                      "scanner": {"source": "auto"}})
    p = Headless(build, cfg, journal=journal)
    p.ready()
    time.sleep(min(2.0, seconds / 5))
    pid = p.proc.pid
    ticks0, ns0 = cpu_ticks(pid), cpu_ns(pid)
    sw0 = int(proc_status(pid)["voluntary_ctxt_switches"])
    t0 = time.monotonic()
    time.sleep(seconds)
    elapsed = time.monotonic() - t0
    ticks1, ns1 = cpu_ticks(pid), cpu_ns(pid)
    sw1 = int(proc_status(pid)["voluntary_ctxt_switches"])
    if p.quit() != 0:
        raise RuntimeError("posterm did not exit cleanly after the idle time")
    cancels = sum(1 for line in open(os.path.join(work, "idle.log")) if "cancel" in line)
    hz = os.sysconf("SC_CLK_TCK")
    return {"seconds": elapsed, "stat_ms": (ticks1 - ticks0) * 1000.0 / hz,
            "sched_ms": (ns1 - ns0) / 1e6, "wakeups": sw1 - sw0, "log_cancel_lines": cancels}


def bench_sizes(build):
    """Figure 6: the stripped posterm of each build tree that exists next to this one."""
    root = os.path.dirname(os.path.abspath(build))
    trees = [("amd64", build, "strip"),
             ("arm64", os.path.join(root, "build-arm64"), "aarch64-linux-gnu-strip"),
             ("armhf", os.path.join(root, "build-armhf"), "arm-linux-gnueabihf-strip")]
    sizes = {}
    with tempfile.TemporaryDirectory(prefix="posterm-bench-size-") as tmp:
        for arch, tree, strip in trees:
            exe = os.path.join(tree, "posterm")
            if not os.path.exists(exe) or shutil.which(strip) is None:
                continue
            copy = os.path.join(tmp, "posterm-" + arch)
            shutil.copy(exe, copy)
            subprocess.run([strip, copy], check=True)
            sizes[arch] = os.path.getsize(copy)
    return sizes


def row(figure, measured, floor, ratio, target, ok):
    return (figure, measured, floor, ratio, target, "-" if ok is None else ("met" if ok else "MISSED"))


def table(pay, rate, start, idle, sizes):
    rows = []
    r50 = pay["lat_p50"] / pay["floor_p50"]
    r99 = pay["lat_p99"] / pay["floor_p99"]
    rows.append(row("1 scan to pay request p50 (%d pays)" % pay["lat_n"], "%.2f ms" % pay["lat_p50"],
                    "%.2f ms" % pay["floor_p50"], "%.2f" % r50, "ratio <= 1.3", r50 <= 1.3))
    rows.append(row("1 scan to pay request p99", "%.2f ms" % pay["lat_p99"],
                    "%.2f ms" % pay["floor_p99"], "%.2f" % r99, "ratio <= 1.3", r99 <= 1.3))
    rows.append(row("  same p50 / p99 against floor + RSA-2048 sign",
                    "%.2f / %.2f ms" % (pay["lat_p50"], pay["lat_p99"]),
                    "%.2f / %.2f ms" % (pay["signed_p50"], pay["signed_p99"]),
                    "%.2f / %.2f" % (pay["lat_p50"] / pay["signed_p50"],
                                     pay["lat_p99"] / pay["signed_p99"]), "(diagnosis)", None))
    rr = rate["journal_per_s"] / rate["raw_per_s"]
    rows.append(row("2 journal transitions/s (%d)" % rate["transitions"], "%.0f/s" % rate["journal_per_s"],
                    "%.0f/s raw" % rate["raw_per_s"], "%.2f" % rr, "ratio >= 0.9", rr >= 0.9))
    rows.append(row("  WAL pages per commit", "%.2f" % rate["journal_pages_per_commit"],
                    "%.2f raw" % rate["raw_pages_per_commit"], "", "(diagnosis)", None))
    for tag in ("warm", "cold"):
        f, e = start[tag + "_full_ms"], start[tag + "_empty_ms"]
        rows.append(row("3 start to ready, %s cache (%s + %d)" % (
            tag, "{:,}".format(start["resolved"]), start["unresolved"]), "%.1f ms" % f,
            "%.1f ms empty" % e, "%.2f" % (f / e), "<= 1.5x, < 200 ms", f / e <= 1.5 and f < 200))
    rows.append(row("  start to ready, the %d unresolved alone (warm)" % start["unresolved"],
                    "%.1f ms" % start["warm_unresolved_only_ms"], "%.1f ms empty" % start["warm_empty_ms"],
                    "%.2f" % (start["warm_unresolved_only_ms"] / start["warm_empty_ms"]),
                    "(diagnosis)", None))
    rows.append(row("  journal_open full check / start-up check", "%.1f ms" % start["open_full_ms"],
                    "%.1f ms" % start["open_startup_ms"], "-", "(diagnosis)", None))
    rows.append(row("4 RSS peak over %s payments" % "{:,}".format(pay["payments"]),
                    "%.1f MiB" % (pay["rss_peak_kib"] / 1024), "-", "-", "< 16 MiB",
                    pay["rss_peak_kib"] < 16 * 1024))
    growth = pay["rss_end_kib"] - pay["rss_warm_kib"]
    rows.append(row("4 RSS at payment %s -> end" % "{:,}".format(pay["rss_warm_at"]),
                    "%.1f -> %.1f MiB" % (pay["rss_warm_kib"] / 1024, pay["rss_end_kib"] / 1024),
                    "-", "%+d KiB" % growth, "no growth", growth <= 0))
    wa, ea = pay["rss_warm_parts"], pay["rss_end_parts"]
    rows.append(row("  RSS anon / file / shmem, warm -> end",
                    "%d/%d/%d -> %d/%d/%d KiB" % (tuple(wa) + tuple(ea)), "-", "-", "(diagnosis)", None))
    share = idle["sched_ms"] / (idle["seconds"] * 1000) * 100
    rows.append(row("5 idle CPU in %.0f s (cancel pending)" % idle["seconds"],
                    "%.1f ms (stat %.0f ms)" % (idle["sched_ms"], idle["stat_ms"]), "-",
                    "%.3f%% core" % share, "< 1% of a core", share < 1))
    rows.append(row("5 idle wake-ups", "%d (%.1f/s)" % (idle["wakeups"], idle["wakeups"] / idle["seconds"]),
                    "-", "-", "-", None))
    for arch in ("amd64", "arm64", "armhf"):
        rows.append(row("6 stripped posterm, " + arch,
                        "{:,} B".format(sizes[arch]) if arch in sizes else "(no build)",
                        "-", "-", "-", None))
    head = ("figure", "measured", "floor", "ratio", "target", "")
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in [head] + rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def machine():
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = open("/proc/loadavg").read().split()[:3]
    return "%s, %d cores, load %s, %s" % (model, os.cpu_count(), " ".join(load),
                                         time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    quick = "--quick" in sys.argv
    if len(args) != 1:
        sys.exit("usage: run.sh BUILD_DIR [--quick]")
    build = os.path.abspath(args[0])
    if quick:  # the ctest smoke run: every program and path once, in seconds
        n_pay, n_lat, block, n_rate, hist, unres, rounds, idle_s = 40, 20, 10, 300, 2000, 10, 1, 1
    else:
        n_pay, n_lat, block, n_rate, hist, unres, rounds, idle_s = 10000, 1000, 100, 3000, 1000000, 100, 5, 10
    # Journals live under the build tree (a real disk, like /var/lib/posterm), not a tmpfs.
    base = os.environ.get("POSTERM_BENCH_DIR", build)
    work = tempfile.mkdtemp(prefix="bench-", dir=base)
    print("machine:", machine(), flush=True)
    try:
        run_all(build, work, n_pay, n_lat, block, n_rate, hist, unres, rounds, idle_s, quick)
    finally:
        if os.environ.get("POSTERM_KEEP_TMP"):
            print("kept", work)
        else:
            shutil.rmtree(work)


def run_all(build, work, n_pay, n_lat, block, n_rate, hist, unres, rounds, idle_s, quick):
    sim = Sim(build, work)
    try:
        print("1, 4: %d payments ..." % n_pay, flush=True)
        pay = bench_payments(build, work, sim, n_pay, n_lat, block)
    finally:
        sim.stop()
    print("2: %d journal transitions ..." % n_rate, flush=True)
    rate = bench_journal_rate(build, work, n_rate)
    print("3: start-up, journal of %d payments ..." % hist, flush=True)
    start = bench_startup(build, work, sim.keys, hist, unres, rounds)
    print("   (made in %.1f s, %d pages; %d resumed)" % (start["made_s"], start["pages"],
                                                        start.get("resumed", -1)), flush=True)
    if start.get("bad_exits"):
        print("   WARNING: posterm exited badly after \"ready\" (journal:status, negative ="
              " signal): %s" % " ".join(start["bad_exits"]), flush=True)
    print("5: %d s idle ..." % idle_s, flush=True)
    idle = bench_idle(build, work, sim.keys, idle_s)
    sizes = bench_sizes(build)
    print("RSS samples (payments, VmRSS, anon, file, shmem KiB):",
          " ".join("%d:%d/%d/%d/%d" % r for r in pay["rss_series"][::max(1, len(pay["rss_series"]) // 10)]))
    print()
    print(table(pay, rate, start, idle, sizes))
    print_latency(build, work, quick)


def print_latency(build, work, quick):
    """Scan to result over a real round trip (latency.py; its own table)."""
    import latency  # it imports this file as a module: loaded here, after this one
    if quick:
        rtts, pays, rounds, idle_close, keying_s = [40], 3, 1, 3, 0.5
    else:
        rtts, pays, rounds, idle_close, keying_s = [40, 100], 50, 6, 5, 1.0
    print()
    print("7: scan to result over HTTPS at %s ms round trip ..." % ",".join(map(str, rtts)),
          flush=True)
    folder = os.path.join(work, "latency")
    os.makedirs(folder)
    rows = latency.run(build, folder, rtts, pays, rounds, idle_close, keying_s, build,
                       say=lambda s: print(s, flush=True))
    print()
    print(latency.table(rows))
    import confirm_wait
    print()
    confirm_wait.section(build, folder, rtts[0], quick, build, say=lambda s: print(s, flush=True))


if __name__ == "__main__":
    main()
