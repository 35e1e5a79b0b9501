#!/usr/bin/env python3
"""test_outage.py - the gateway is unreachable for a long time while cancels pile up.

    test_outage.py BUILD_DIR [--seconds N] [--payments K]

posterm-sim refuses connections for N seconds (default 35; the slow suite uses minutes).
Meanwhile K payments are taken (default 3): the first waits out its payment window, the
others are aborted by the cashier, and posterm is restarted between them, so K cancels are
pending at once (K-1 resumed in the background and the current one). Checked:
- while it waits, posterm uses next to no CPU (utime+stime from /proc/PID/stat; the bound
  asserted, 5% of one core, is far above what an idle poll() costs, so it cannot flake,
  but a busy loop fails it);
- the cancels are retried with back-off, not hammered (attempts counted in posterm's log);
- once the gateway answers, every pending cancel lands and the invariant holds (audit).
"""
import argparse
import os
import sys
import time

import harness

POLICY = {"window_ms": 6000, "min_cancel_ms": 1500, "backoff_first_ms": 200,
          "backoff_max_ms": 4000}
CODES = [harness.alipay_code(0), harness.wechat_code(0)]


def cpu_seconds(pid):
    """utime + stime of a process, in seconds (/proc/PID/stat fields 14 and 15)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--seconds", type=int, default=35)
    ap.add_argument("--payments", type=int, default=3)
    args = ap.parse_args()
    problems = []
    with harness.Workspace(args.build) as ws:
        log = os.path.join(ws.dir, "posterm.log")
        config = ws.config(POLICY, {"log": log})
        down_at = time.time()
        ws.sim.control("/_sim/unreachable?seconds=%d" % args.seconds)
        back_at = down_at + args.seconds * harness.slowdown(args.build)  # the sim stretches it
        time.sleep(0.2)

        orders = []
        for i in range(args.payments):
            pt = harness.Posterm(args.build, config)
            ready = pt.wait(lambda e: e.get("event") == "ready", what="ready")
            if ready.get("background") != i:
                problems.append("start %d resumed %s payments, expected %d" % (
                    i + 1, ready.get("background"), i))
            order = pt.pay("%d.00" % (i + 1), CODES[i % 2])
            orders.append(order)
            pt.wait_state("QUERYING", order)
            if i > 0:
                pt.send("abort")  # the first one waits out its window instead
            pt.wait_state("CANCELLING", order, timeout=20)
            if i < args.payments - 1:
                pt.send("quit")
                pt.finish(timeout=20)
        if time.time() > back_at - 3:
            return harness.verdict(["the payments took longer than the outage: use a longer "
                                    "--seconds"])

        # All K cancels are pending now. Nothing to do until the gateway is back.
        pt.send("status")
        status = pt.wait(lambda e: e.get("event") == "status", timeout=5, what="status")
        pending = status["background"] + (1 if status.get("current", {}).get("state")
                                          == "CANCELLING" else 0)
        if (pending != args.payments or status["gateway_reachable"]
                or status.get("gateway") != "down"):
            problems.append("expected %d pending cancels with the gateway unreachable: %s" % (
                args.payments, status))
        t0, c0 = time.time(), cpu_seconds(pt.proc.pid)
        time.sleep(max(0.0, back_at - 0.5 - time.time()))
        waited, used = time.time() - t0, cpu_seconds(pt.proc.pid) - c0
        share = used / waited
        print("waited %.1f s with %d cancels pending: posterm used %.3f s of CPU (%.2f%% of one "
              "core)" % (waited, pending, used, 100 * share))
        if share > 0.05:
            problems.append("posterm used %.1f%% of a core while waiting (busy loop?)" % (
                100 * share))

        for order in orders:
            pt.wait_state("CANCELLED", order, timeout=POLICY["backoff_max_ms"] / 1000 + 30)
        landed = time.time() - back_at
        print("gateway back; all %d cancels landed %.1f s later (back-off at most %.1f s)" % (
            len(orders), landed, POLICY["backoff_max_ms"] / 1000))
        code = pt.finish()
        if code != 0:
            problems.append("posterm exited %d" % code)

        # Back-off: attempts per order while down, from posterm's request log.
        with open(log) as f:
            lines = f.read().splitlines()
        outage = back_at - down_at
        for order in orders:
            sent = [l for l in lines if order in l and "cancel" in l and l.endswith(": sent")]
            # A retry every backoff_first_ms would be outage/0.2 attempts; doubling to 4 s
            # gives about outage/4 + 5. One per second on average separates the two.
            print("%s: %d cancel attempts over a %.0f s outage%s" % (
                order, len(sent), outage, " (%s)" % sent[0] if sent else ""))
            if len(sent) < 2:
                problems.append("%s: the cancel was not retried (%d attempts)" % (order, len(sent)))
            if len(sent) > outage:
                problems.append("%s: %d cancel attempts in %.0f s: no back-off" % (
                    order, len(sent), outage))

        audit_problems, rows, _ = harness.audit(ws.journal, ws.sim)
        problems += audit_problems
        for order in orders:
            if rows[order]["state"] != "CANCELLED":
                problems.append("%s ended %s" % (order, rows[order]["state"]))
        return harness.verdict(problems)


if __name__ == "__main__":
    sys.exit(main())
