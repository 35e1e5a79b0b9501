#!/usr/bin/env python3
"""confirm_wait.py - from the customer confirming on the phone to "paid" on the screen (issue 23).

A customer whose wallet asks for a password or a fingerprint is "confirming": the pay reply
says so (WeChat USERPAYING, Alipay 10003) and posterm queries until the trade is paid. What
the customer waits for after confirming is set by the query cadence. Here the simulator's
customer confirms a given time after the pay request reached it (script confirm_then_paid,
confirm_ms); the wait is from that moment to posterm's "paid" event. One confirm time in each
of N equal slices of the first SPAN seconds, so the mean is the mean wait of a customer
confirming at any moment in that span.

Each cadence gets its own posterm-sim (HTTPS, the gateways' 60 s idle close, and
--query-limit-ms LIMIT: a query sooner than that after the order's last one is refused
as a gateway refuses it) behind a delay relay of the round trip asked, and one posterm per
channel; all four run at once. "throttled" counts the queries the sim refused: 0 means the
cadence stayed within the limit.

    confirm_wait.py BUILD_DIR [--quick] [--rtt 40] [--n 20] [--span 20] [--limit-ms 2000]
"""
import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench  # noqa: E402
import latency  # noqa: E402

# Before issue 23: one query 3 s after the pay reply, then every 5 s.
CADENCES = (("before: 3 s, then every 5 s",
             {"first_query_ms": 3000, "query_every_ms": 5000, "query_fast_for_ms": 0}),
            ("after: 1 s, every 2 s to 20 s, then 5 s", {}))
PAY_MARKER = {"wechat": "/v3/pay/transactions/codepay", "alipay": "alipay.trade.pay"}
LIMIT_MS = 2000  # posterm's fast pace: no query of an order sooner than that after its last
IDLE_CLOSE_S = 60  # as posterm-sim's default: a gateway keeps an idle connection a while


def confirm_times(n, span_s):
    """One time in each of n equal slices of span_s, at offsets that differ slice to slice
    (golden-ratio steps): a cadence's queries cannot line up with all of them."""
    return [(k + (0.5 + 0.618034 * k) % 1.0) * span_s / n for k in range(n)]


def one_till(sim, till, channel, times_s, out):
    """Pays once per confirm time; out gets (confirm_s, wait_s, order) each."""
    for x in times_s:
        sim.script({"scenario": "confirm_then_paid", "confirm_ms": int(round(x * 1000)),
                    "channel": channel, "op": "pay"})
        t0, t1, done = till.pay(channel, 0, with_event=True)
        later = [ns for ns in sim.arrivals(PAY_MARKER[channel]) if ns >= t0]
        if not later:
            raise RuntimeError("%s: no pay request reached the sim" % channel)
        confirmed = later[0] + x * 1e9
        out.append((x, (t1 - confirmed) / 1e9, done["order"]))


def run(build, work, rtt_ms, n, span_s, limit_ms, exe_dir, say=print):
    times = confirm_times(n, span_s)
    sims, relays, tills, threads = [], [], [], []
    results = {}  # (cadence, channel) -> [(confirm_s, wait_s, order)]
    errors = []

    def worker(sim, till, channel, key):
        try:
            one_till(sim, till, channel, times, results.setdefault(key, []))
        except Exception as e:  # reported after the join, with the others
            errors.append("%s %s: %s" % (key[0], channel, e))

    try:
        for i, (name, policy) in enumerate(CADENCES):
            d = os.path.join(work, "cadence%d" % i)
            os.makedirs(d)
            sim = latency.TlsSim(build, d, IDLE_CLOSE_S, ["--query-limit-ms", str(limit_ms)])
            sims.append(sim)
            relay = latency.Relay(sim, d, rtt_ms)
            relays.append(relay)
            for j, ch in enumerate(latency.CHANNELS):
                till = latency.Till(exe_dir, d, relay, 50 + 2 * i + j, policy=policy,
                                    name="till-" + ch)
                tills.append(till)
                threads.append(threading.Thread(target=worker, args=(sim, till, ch, (name, ch))))
        say("  confirm to paid: %d confirm times over %g s per channel and cadence, RTT %d ms"
            % (n, span_s, rtt_ms))
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise RuntimeError("; ".join(errors))
        audits = [sim.audit() for sim in sims]
    finally:
        for till in tills:
            till.quit()
        for relay in relays:
            relay.stop()
        for sim in sims:
            sim.stop()
    rows = []
    for (name, _), audit in zip(CADENCES, audits):
        trades = {t["out_trade_no"]: t for t in audit["trades"]}
        for ch in latency.CHANNELS:
            got = results[(name, ch)]
            waits = [w for _, w, _ in got]
            queries = [trades[o]["query_requests"] + trades[o].get("queries_throttled", 0)
                       for _, _, o in got]
            rows.append({"cadence": name, "channel": ch, "n": len(waits),
                         "mean": statistics.mean(waits), "p50": bench.pct(waits, 50),
                         "max": max(waits), "queries": statistics.mean(queries),
                         "throttled": sum(trades[o].get("queries_throttled", 0)
                                          for _, _, o in got)})
    return rows


def table(rows, rtt_ms, span_s, limit_ms):
    head = ("cadence", "channel", "n", "mean s", "p50 s", "max s", "queries/pay", "throttled")
    out = [(r["cadence"], r["channel"], str(r["n"]), "%.2f" % r["mean"], "%.2f" % r["p50"],
            "%.2f" % r["max"], "%.1f" % r["queries"], str(r["throttled"])) for r in rows]
    widths = [max(len(x[i]) for x in out + [head]) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(x, widths)).rstrip() for x in [head] + out]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.insert(0, "confirm to paid: customer confirms 0-%g s after the pay reached the gateway,"
                    " RTT %d ms, gateway query limit %d ms per order (goal: mean under 1.5 s)"
                 % (span_s, rtt_ms, limit_ms))
    return "\n".join(lines)


def section(build, work, rtt_ms, quick, exe_dir, say=print):
    """The figures as run.sh and latency.py print them: quick (2 times over 4 s) or full."""
    n, span = (2, 4.0) if quick else (20, 20.0)
    folder = os.path.join(work, "confirm")
    os.makedirs(folder)
    rows = run(build, folder, rtt_ms, n, span, LIMIT_MS, exe_dir, say=say)
    say("")
    say(table(rows, rtt_ms, span, LIMIT_MS))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("build")
    ap.add_argument("--quick", action="store_true", help="seconds: 2 confirm times over 4 s")
    ap.add_argument("--rtt", type=int, default=40, help="round trip, ms")
    ap.add_argument("--n", type=int, default=20, help="confirm times per channel and cadence")
    ap.add_argument("--span", type=float, default=20.0, help="confirm times spread over, s")
    ap.add_argument("--limit-ms", type=int, default=LIMIT_MS,
                    help="the sim's per-order query limit")
    ap.add_argument("--posterm", help="another posterm binary (a before/after comparison)")
    a = ap.parse_args()
    if a.quick:
        a.n, a.span = 2, 4.0
    build = os.path.abspath(a.build)
    work = tempfile.mkdtemp(prefix="confirm-", dir=os.environ.get("POSTERM_BENCH_DIR", build))
    exe_dir = build
    try:
        if a.posterm:
            exe_dir = os.path.join(work, "bin")
            os.makedirs(exe_dir)
            shutil.copy(a.posterm, os.path.join(exe_dir, "posterm"))
        print("machine:", bench.machine(), flush=True)
        t = time.monotonic()
        rows = run(build, work, a.rtt, a.n, a.span, a.limit_ms, exe_dir,
                   say=lambda s: print(s, flush=True))
        print("  (%.0f s)" % (time.monotonic() - t))
        print()
        print(table(rows, a.rtt, a.span, a.limit_ms))
    finally:
        if os.environ.get("POSTERM_KEEP_TMP"):
            print("kept", work)
        else:
            shutil.rmtree(work)


if __name__ == "__main__":
    main()
