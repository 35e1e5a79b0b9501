#!/usr/bin/env python3
"""latency.py - scan to result as the customer feels it, over a real round trip (issue 23).

posterm-sim serves HTTPS and closes connections idle --idle-close seconds, as a gateway does;
each round trip is made by delay_relay.py in front of it (one relay per RTT, 0 ms included).
One posterm --headless per RTT, production policy, TLS verified against the sim's CA. Figures:

- steady: payments one after another, 0.1 s from amount to scan (the connection has just
  been used), per channel;
- after idle: the first payment after every connection was closed for idling (the sim's
  --idle-close plus a margin), the cashier taking --keying-ms from amount to scan (the
  moment posterm may open connections ahead of the pay);
- first payment after start (WeChat), the same keying time;
- then confirm to paid (confirm_wait.py) at the first RTT: the customer confirming on the phone.

Floor, same run: the same payments through the 0 ms relay (posterm's work, the simulator's
and the relay's) plus one RTT: what a payment costs when the network costs exactly one round
trip. "conn" counts the connections the sim accepted between scan and result: a handshake on
the critical path. Figures only, no pass/fail.

    latency.py BUILD_DIR [--quick] [--rtt 40,100] [--pays N] [--idle-rounds M]
               [--idle-close S] [--keying-ms K] [--posterm PATH]
"""
import argparse
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench  # noqa: E402  (Headless, pct, the production policy, harness)

harness = bench.harness
CHANNELS = ("wechat", "alipay")
# Amount to scan in steady state: no cashier is faster, and posterm has finished the last
# payment's own work (its final event comes before its last commits), which back to back
# would land on the next scan - and on the floor.
STEADY_KEYING_S = 0.1


def code(channel, rtt_index, i):
    """A payment code paid at once (scenario 00), unique in the run."""
    n = rtt_index * 100000 + i
    return ("13%014d00" if channel == "wechat" else "28%014d00") % n


def wait_file(path, proc, what):
    deadline = time.monotonic() + 20
    while not (os.path.exists(path) and open(path).read().strip()):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(what + " did not start")
        time.sleep(0.02)
    return int(open(path).read())


class TlsSim:
    """posterm-sim over HTTPS, closing idle connections, logging arrivals and accepts."""

    def __init__(self, build, work, idle_close, extra=()):
        exe = os.path.join(build, "posterm-sim")
        self.keys = os.path.join(work, "keys")
        tls = os.path.join(work, "tls")
        subprocess.run([exe, "--make-keys", self.keys], check=True, stdout=subprocess.DEVNULL)
        subprocess.run([exe, "--make-tls", tls], check=True, stdout=subprocess.DEVNULL)
        self.ca_file = os.path.join(tls, "ca.pem")
        self.timing = os.path.join(work, "arrivals.log")
        port_file = os.path.join(work, "sim.port")
        self.proc = subprocess.Popen(
            [exe, "--keys", self.keys, "--port-file", port_file, "--timing-log", self.timing,
             "--tls-cert", os.path.join(tls, "server.pem"), "--tls-key",
             os.path.join(tls, "server.key"), "--idle-close", str(idle_close), "--quiet"]
            + list(extra),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.port = wait_file(port_file, self.proc, "posterm-sim")

    def arrivals(self, marker):
        """[ns] of the requests whose URI contains marker, in arrival order."""
        with open(self.timing) as f:
            return [int(line.split(" ", 1)[0]) for line in f if marker in line]

    def audit(self):
        ctx = ssl.create_default_context(cafile=self.ca_file)
        url = "https://127.0.0.1:%d/_sim/audit" % self.port
        with urllib.request.urlopen(url, timeout=10, context=ctx) as r:
            return json.loads(r.read())

    def script(self, entry):
        ctx = ssl.create_default_context(cafile=self.ca_file)
        req = urllib.request.Request("https://127.0.0.1:%d/_sim/script" % self.port,
                                     data=json.dumps(entry).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10, context=ctx) as r:
            r.read()

    def accepts(self):
        with open(self.timing) as f:
            return [int(line.split(" ", 1)[0]) for line in f if line.endswith(" @accept\n")]

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


class Relay:
    """delay_relay.py in front of the sim; as a gateway for harness.write_config."""

    def __init__(self, sim, work, rtt_ms):
        self.rtt_ms = rtt_ms
        self.keys, self.ca_file, self.tls = sim.keys, sim.ca_file, True
        port_file = os.path.join(work, "relay%d.port" % rtt_ms)
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "delay_relay.py"), "--target",
             "127.0.0.1:%d" % sim.port, "--rtt-ms", str(rtt_ms), "--port-file", port_file])
        self.port = wait_file(port_file, self.proc, "delay_relay.py")

    def url(self, path=""):
        return "https://127.0.0.1:%d%s" % (self.port, path)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


class Till:
    """One posterm behind one relay; pay() times scan to the final state, in ms."""

    def __init__(self, exe_dir, work, relay, index, policy=None, name=None):
        self.relay, self.index, self.n = relay, index, 0
        d = os.path.join(work, name or "till%d" % relay.rtt_ms)
        os.makedirs(d)
        policy = dict(bench.DEFAULT_POLICY, **(policy or {}))
        cfg = harness.write_config(d, relay, policy=policy,
                                   extra={"log": os.path.join(d, "posterm.log"),
                                          "terminal_id": "LAT%d" % index})
        self.log = open(os.path.join(d, "posterm.stderr"), "ab")
        self.p = bench.Headless(exe_dir, cfg, journal=os.path.join(d, "pay.db"), log=self.log)
        self.p.ready()

    def pay(self, channel, keying_s, with_event=False):
        self.p.send("amount 0.01")
        self.p.wait(lambda e: e.get("event") == "payment" and e["transition"] == "created",
                    "created")
        if keying_s:
            time.sleep(keying_s)
        self.n += 1
        t0 = bench.mono_ns()
        self.p.send("scan " + code(channel, self.index, self.n))
        done = self.p.wait(lambda e: e.get("event") == "payment" and e["state"] in harness.FINAL,
                           "a final state")
        t1 = bench.mono_ns()
        if done["state"] != "PAID":
            raise RuntimeError("%s payment ended %s" % (channel, done["state"]))
        return (t0, t1, done) if with_event else (t0, t1)

    def quit(self):
        self.p.quit()
        self.log.close()


def run(build, work, rtts, pays, idle_rounds, idle_close, keying_s, exe_dir, say=print):
    sim = TlsSim(build, work, idle_close)
    relays, tills = [], []
    samples = {}  # (rtt, kind, channel) -> [(t0, t1)]

    def add(rtt, kind, channel, t):
        samples.setdefault((rtt, kind, channel), []).append(t)

    try:
        for i, rtt in enumerate([0] + rtts):
            relays.append(Relay(sim, work, rtt))
        say("  cold start: first payment of each till (%.1f s keying)" % keying_s)
        for i, relay in enumerate(relays):
            tills.append(Till(exe_dir, work, relay, i))
            add(relay.rtt_ms, "first", "wechat", tills[-1].pay("wechat", keying_s))
        say("  steady: %d payments per channel per RTT" % pays)
        for _ in range(2):  # not counted: every till's connections open
            for till in tills:
                for ch in CHANNELS:
                    till.pay(ch, 0)
        for k in range(pays):
            for till in tills:
                for ch in CHANNELS:
                    add(till.relay.rtt_ms, "steady", ch, till.pay(ch, STEADY_KEYING_S))
        say("  after idle: %d rounds of %d s idle" % (idle_rounds, idle_close + 2))
        for k in range(idle_rounds):
            time.sleep(idle_close + 2)  # every connection closed by the sim, the FIN arrived
            ch = CHANNELS[k % 2]
            for till in tills:
                add(till.relay.rtt_ms, "idle", ch, till.pay(ch, keying_s))
                # the next till has idled the longer: nothing to wait for
    finally:
        for till in tills:
            till.quit()
        for relay in relays:
            relay.stop()
        sim.stop()
    accepts = sim.accepts()
    return figures(samples, accepts, rtts)


def figures(samples, accepts, rtts):
    def ms(ts):
        return [(b - a) / 1e6 for a, b in ts]

    def conns(ts):
        return sum(1 for a, b in ts for t in accepts if a <= t <= b)

    rows = []
    for ch in CHANNELS:
        base = ms(samples[(0, "steady", ch)])
        b50, b99 = bench.pct(base, 50), bench.pct(base, 99)
        for rtt in [0] + rtts:
            for kind in ("steady", "idle", "first"):
                ts = samples.get((rtt, kind, ch))
                if not ts:
                    continue
                v = ms(ts)
                p50, p99 = bench.pct(v, 50), bench.pct(v, 99)
                f50, f99 = b50 + rtt, b99 + rtt
                rows.append({"channel": ch, "rtt": rtt, "kind": kind, "n": len(v), "p50": p50,
                             "p99": p99, "floor50": f50, "floor99": f99,
                             "conn": conns(ts)})
    return rows


def table(rows):
    head = ("channel", "RTT", "payment", "n", "p50 ms", "p99 ms", "floor p50/p99", "ratio p50/p99",
            "conn")
    names = {"steady": "steady", "idle": "after idle", "first": "first after start"}
    out = []
    for r in rows:
        out.append((r["channel"], "%d ms" % r["rtt"], names[r["kind"]], str(r["n"]),
                    "%.1f" % r["p50"], "%.1f" % r["p99"],
                    "%.1f / %.1f" % (r["floor50"], r["floor99"]),
                    "%.2f / %.2f" % (r["p50"] / r["floor50"], r["p99"] / r["floor99"]),
                    str(r["conn"])))
    widths = [max(len(x[i]) for x in out + [head]) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(x, widths)).rstrip() for x in [head] + out]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("build")
    ap.add_argument("--quick", action="store_true", help="seconds: one RTT, few payments")
    ap.add_argument("--rtt", default="40,100", help="round trips in ms, comma-separated")
    ap.add_argument("--pays", type=int, default=50, help="steady payments per channel per RTT")
    ap.add_argument("--idle-rounds", type=int, default=6)
    # The sim (libmicrohttpd) counts idle time in whole seconds: it closes a connection idle
    # between S-1 and S seconds. Keying must stay well below that.
    ap.add_argument("--idle-close", type=int, default=5, help="the sim's idle close, s")
    ap.add_argument("--keying-ms", type=int, default=1000, help="amount to scan after idling")
    ap.add_argument("--posterm", help="another posterm binary (a before/after comparison)")
    a = ap.parse_args()
    if a.quick:
        a.rtt, a.pays, a.idle_rounds, a.idle_close, a.keying_ms = "40", 3, 1, 3, 500
    build = os.path.abspath(a.build)
    rtts = [int(x) for x in a.rtt.split(",") if x]
    if not rtts or min(rtts) <= 0:
        ap.error("--rtt needs round trips above 0 ms (0 ms is always run, for the floor)")
    work = tempfile.mkdtemp(prefix="latency-", dir=os.environ.get("POSTERM_BENCH_DIR", build))
    exe_dir = build
    try:
        if a.posterm:
            exe_dir = os.path.join(work, "bin")
            os.makedirs(exe_dir)
            shutil.copy(a.posterm, os.path.join(exe_dir, "posterm"))
        print("machine:", bench.machine(), flush=True)
        print("latency: RTT %s ms, idle close %d s, keying %d ms, posterm %s" % (
            a.rtt, a.idle_close, a.keying_ms, a.posterm or os.path.join(build, "posterm")),
            flush=True)
        rows = run(build, work, rtts, a.pays, a.idle_rounds, a.idle_close, a.keying_ms / 1000.0,
                   exe_dir, say=lambda s: print(s, flush=True))
        print()
        print(table(rows))
        print()
        import confirm_wait  # it imports this file as a module: loaded here, after this one
        confirm_wait.section(build, work, rtts[0], a.quick, exe_dir,
                             say=lambda s: print(s, flush=True))
    finally:
        if os.environ.get("POSTERM_KEEP_TMP"):
            print("kept", work)
        else:
            shutil.rmtree(work)


if __name__ == "__main__":
    main()
