#!/usr/bin/env python3
"""bench_fleet.py - head office over MQTT at a chain's scale (issue 24, app/FLEET.md): figures,
never pass/fail on timing.

    bench_fleet.py BUILD_DIR [--quick] [--terminals 300] [--seconds 10] [--backlog 100000]

1. Many terminals through one mosquitto (started here on a free loopback port, as the tests'):
   a load generator speaks the terminals' protocol - one MQTT client per terminal, client id
   the terminal's, a retained "online" status with the "offline" last will, events on
   posterm/<merchant>/<terminal>/events at QoS 1 with at most 32 in flight (FLEET_INFLIGHT_MAX),
   payloads the size of real ones - and one head-office subscriber on posterm/# (QoS 1) takes
   them all. Three runs: every terminal at 1 and at 10 events/s (a real till makes a few
   events a minute) and every terminal as fast as its window allows (the ceiling here).
   Printed: messages/s through the broker and the delay from publish to head office, p50/p99;
   and whether every acknowledged message reached head office once.
2. A real posterm's outbox of --backlog unsent events (written straight into its journal)
   drains into the broker while the till takes payments against posterm-sim: the drain's rate
   and each payment's latency (amount keyed to PAID, headless) during the drain against the
   same with the broker down (no drain): the till's loop turn stays short.

The generator and the subscriber are Python (paho-mqtt), spread over processes: on a small
machine they, not mosquitto, may be what limits the ceiling, so it is a lower bound for the
broker. Clocks: CLOCK_MONOTONIC, one machine.
"""
import argparse
import json
import multiprocessing
import os
import sqlite3
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
import harness  # noqa: E402
import test_fleet  # noqa: E402  (the tests' broker and free port)

mqtt = test_fleet.mqtt
MERCHANT = "bench"
WINDOW = 32  # app/fleet_publish.h FLEET_INFLIGHT_MAX
PAD = "x" * 330  # a real event's payload is about 400 bytes


def now_ns():
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC)


def pct(values, q):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q / 100.0 * (len(s) - 1))))] if s else float("nan")


def terminals(port, names, seconds, rate, start_at, out):
    """One process's share of the terminals. rate: events/s per terminal, 0 = window-bound.
    Puts (published, acknowledged) on out."""
    clients = []
    for name in names:
        c = mqtt.Client(client_id=name, clean_session=True)
        c.will_set("posterm/%s/%s/status" % (MERCHANT, name), '{"state":"offline"}', 1, True)
        c.max_inflight_messages_set(WINDOW + 2)
        st = {"name": name, "seq": 0, "inflight": 0, "acked": 0, "next": 0.0, "status": None}
        def on_publish(cl, userdata, mid, st=st):
            if mid == st["status"]:
                return
            st["inflight"] -= 1
            st["acked"] += 1
        c.on_publish = on_publish
        c.connect("127.0.0.1", port, keepalive=60)
        st["status"] = c.publish("posterm/%s/%s/status" % (MERCHANT, name),
                                 '{"state":"online"}', 1, True).mid
        clients.append((c, st))
    while time.time() < start_at:
        for c, _ in clients:
            c.loop(0)
        time.sleep(0.01)
    end = time.time() + seconds
    period = 1.0 / rate if rate else 0
    for i, (_, st) in enumerate(clients):
        st["next"] = time.time() + (period * i / len(clients) if period else 0)
    while time.time() < end:
        t = time.time()
        for c, st in clients:
            while st["inflight"] < WINDOW and t >= st["next"]:
                st["seq"] += 1
                body = json.dumps({"journal": st["name"], "seq": st["seq"], "type": "payment",
                                   "sent_ns": now_ns(), "pad": PAD})
                st["inflight"] += 1
                c.publish("posterm/%s/%s/events" % (MERCHANT, st["name"]), body, 1, False)
                if period:
                    st["next"] += period
            c.loop(0)
        if period:
            time.sleep(0.002)
    settle = time.time() + 10
    while time.time() < settle and any(st["inflight"] for _, st in clients):
        for c, _ in clients:
            c.loop(0)
    out.put((sum(st["seq"] for _, st in clients), sum(st["acked"] for _, st in clients)))
    for c, _ in clients:
        c.disconnect()


def head_office(port, ready, stop, count, out):
    """Subscribes to posterm/<merchant>/+/events; puts (delays ms, messages, unique, first,
    last arrival) on out when stop is set."""
    delays, seen, times = [], set(), []
    dups = [0]
    def on_message(cl, userdata, msg):
        t = now_ns()
        e = json.loads(msg.payload)
        key = (e["journal"], e["seq"])
        if key in seen:
            dups[0] += 1
            return
        seen.add(key)
        count.value += 1
        delays.append((t - e["sent_ns"]) / 1e6)
        times.append(t)
    c = mqtt.Client(client_id="bench-head-office", clean_session=True)
    c.on_message = on_message
    c.on_subscribe = lambda *a: ready.set()
    c.connect("127.0.0.1", port, keepalive=60)
    c.subscribe("posterm/%s/+/events" % MERCHANT, qos=1)
    c.loop_start()
    stop.wait()
    c.loop_stop()
    c.disconnect()
    out.put((delays, len(seen), dups[0], times[0] if times else 0, times[-1] if times else 0))


def fleet_run(port, n, seconds, rate, procs):
    ready, stop = multiprocessing.Event(), multiprocessing.Event()
    ho_out, gen_out = multiprocessing.Queue(), multiprocessing.Queue()
    count = multiprocessing.Value("q", 0, lock=False)  # one writer
    ho = multiprocessing.Process(target=head_office, args=(port, ready, stop, count, ho_out))
    ho.start()
    ready.wait(10)
    names = ["T%04d" % i for i in range(n)]
    start_at = time.time() + 2 + n / 200.0  # every client connected before the clock starts
    gens = [multiprocessing.Process(target=terminals,
                                    args=(port, names[i::procs], seconds, rate, start_at, gen_out))
            for i in range(procs)]
    for g in gens:
        g.start()
    published = acked = 0
    for _ in gens:
        p, a = gen_out.get(timeout=seconds + 120)
        published += p
        acked += a
    for g in gens:
        g.join()
    # Head office may lag behind the broker: wait while it still catches up.
    last, still = -1, time.time()
    while count.value < acked and time.time() - still < 5:
        if count.value != last:
            last, still = count.value, time.time()
        time.sleep(0.1)
    stop.set()
    delays, unique, dups, first, last = ho_out.get(timeout=60)
    ho.join()
    span = (last - first) / 1e9 if last > first else float("nan")
    return {"terminals": n, "rate": rate or "window", "published": published, "acked": acked,
            "received": unique, "dups": dups, "in_per_s": acked / seconds,
            "msgs_per_s": unique / span if span else 0,
            "p50_ms": pct(delays, 50), "p99_ms": pct(delays, 99), "max_ms": pct(delays, 100)}


def fill_outbox(journal, n):
    """n unsent rows as journal_save writes them (kind payment, a real event's payload)."""
    db = sqlite3.connect(journal)
    t = int(time.time() * 1000)
    rows = []
    for i in range(n):
        rows.append(("payment", json.dumps({
            "at": t, "order": "BENCH-%06d" % (i // 3), "event": ("created", "pay_intent",
                                                                 "paid")[i % 3],
            "state": ("NEW", "PAYING", "PAID")[i % 3], "channel": "wechat",
            "method": "barcode", "amount_fen": 1230, "refunded_fen": 0, "refund_no": "",
            "refund_fen": 0, "code_last4": "6078", "cause": "",
            "trade_no": "42002026120800000%011d" % i}), t))
    with db:
        db.executemany("INSERT INTO outbox(kind, payload, created_at) VALUES (?, ?, ?)", rows)
    db.close()


def unsent(journal, up_to):
    """Rows up to seq up_to not yet acknowledged (the payments' own rows come after)."""
    db = sqlite3.connect("file:%s?mode=ro" % journal, uri=True)
    try:
        return db.execute("SELECT count(*) FROM outbox WHERE sent_at = 0 AND seq <= ?",
                          (up_to,)).fetchone()[0]
    finally:
        db.close()


def last_seq(journal):
    db = sqlite3.connect("file:%s?mode=ro" % journal, uri=True)
    try:
        return db.execute("SELECT max(seq) FROM outbox").fetchone()[0]
    finally:
        db.close()


def timed_payments(pt, count, first):
    """Amount keyed to PAID, ms each (posterm-sim answers at once)."""
    out = []
    for i in range(count):
        code = harness.wechat_code(0, 60 + (first + i) % 40)
        t = now_ns()
        order = pt.pay("1.%02d" % ((first + i) % 100), code)
        pt.wait_state("PAID", order)
        out.append((now_ns() - t) / 1e6)
    return out


def drain_run(build, backlog, payments):
    with harness.Workspace(build) as ws:
        stretch = harness.slowdown(build)
        port = test_fleet.free_port()
        broker = test_fleet.Broker(ws.dir, port, stretch)
        config = test_fleet.fleet_config(ws, port)
        pt = harness.Posterm(build, config)  # makes the journal (schema and identity)
        pt.ready()
        pt.finish()
        fill_outbox(ws.journal, backlog)
        pt = harness.Posterm(build, config)
        pt.ready()
        timed_payments(pt, 3, 0)  # warm-up
        quiet = timed_payments(pt, payments, 3)  # broker down: nothing drains
        up_to = last_seq(ws.journal)
        before = unsent(ws.journal, up_to)
        broker.start()
        t0 = time.time()
        during = []
        # Payments back to back, the till's busiest, until the backlog is acknowledged.
        while unsent(ws.journal, up_to) > 0 and time.time() - t0 < 600:
            during += timed_payments(pt, 1, 3 + len(quiet) + len(during))
        drained_at = time.time() - t0
        pt.finish()
        broker.stop()
        return {"backlog": before, "drain_s": drained_at, "drain_rate": before / drained_at,
                "quiet": quiet, "during": during}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--quick", action="store_true", help="seconds: what ctest runs")
    ap.add_argument("--terminals", type=int, default=300)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--backlog", type=int, default=100000)
    ap.add_argument("--procs", type=int, default=4, help="load generator processes")
    a = ap.parse_args()
    if a.quick:
        a.terminals, a.seconds, a.backlog, a.procs = 20, 1, 2000, 2
    with tempfile.TemporaryDirectory(dir=a.build) as tmp:
        port = test_fleet.free_port()
        broker = test_fleet.Broker(tmp, port, 1.0).start()
        try:
            runs = [fleet_run(port, a.terminals, a.seconds, rate, a.procs)
                    for rate in (1, 10, 0)]
        finally:
            broker.stop()
    # in/s: PUBACKed by the broker per second of the run; out/s: reaching head office.
    print("%-10s %-7s %10s %10s %10s %5s %9s %9s %8s %8s %8s" % (
        "terminals", "rate/s", "published", "acked", "received", "dups", "in/s", "out/s",
        "p50 ms", "p99 ms", "max ms"))
    lost = False
    for r in runs:
        print("%-10d %-7s %10d %10d %10d %5d %9.0f %9.0f %8.1f %8.1f %8.1f" % (
            r["terminals"], r["rate"], r["published"], r["acked"], r["received"], r["dups"],
            r["in_per_s"], r["msgs_per_s"], r["p50_ms"], r["p99_ms"], r["max_ms"]))
        lost = lost or r["received"] < r["acked"]
    d = drain_run(a.build, a.backlog, 5 if a.quick else 20)
    print("outbox of %d events drained in %.1f s (%.0f events/s) while %d payments were taken"
          % (d["backlog"], d["drain_s"], d["drain_rate"], len(d["during"])))
    for label, xs in (("broker down (no drain)", d["quiet"]), ("during the drain", d["during"])):
        print("payment latency %-22s n=%-4d p50 %6.1f ms  p99 %6.1f ms  max %6.1f ms" % (
            label, len(xs), statistics.median(xs), pct(xs, 99), max(xs)))
    if lost:
        print("MISSING: head office received fewer messages than the broker acknowledged")
    # Figures only, but a lost message is a broken benchmark, not a slow one.
    return 1 if lost or not d["during"] else 0


if __name__ == "__main__":
    sys.exit(main())
