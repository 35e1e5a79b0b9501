#!/usr/bin/env python3
"""test_warm_up.py - the pay after an idle spell goes on a connection opened when the amount
was keyed, and a warm-up never makes a second pay (issue 23).

    test_warm_up.py BUILD_DIR

posterm-sim over HTTPS closes connections idle IDLE_CLOSE seconds (times the slowdown), as a
gateway does, and logs each accepted connection ("@accept") and each request line
(--timing-log). Three payments:
1. after the sim closed the idle connection, the amount opens a new one (a HEAD for "/",
   before the scan) and the pay arrives on it: no connection accepted between the warm-up's
   request and the pay;
2. right after, with that connection still open: the amount opens nothing, the pay reuses it;
3. after idling again, the scan sent at once after the amount (the warm-up still under way):
   still exactly one pay request.
Every payment ends PAID with one trade at the sim. Not a timing test: it reads the order of
events in the sim's log.
"""
import os
import shutil
import sys
import tempfile
import time

import harness

IDLE_CLOSE = 3  # s, times the slowdown: the warm-up's connection must outlive the checks
PAY_URI = "/v3/pay/transactions/codepay"


def log_lines(path):
    """[(ns, what)] of the sim's timing log, in order."""
    with open(path) as f:
        return [(int(ns), what.strip()) for ns, what in (line.split(" ", 1) for line in f)]


def wait_for(pred, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.02)
    raise AssertionError("timed out waiting for " + what)


def main():
    build = sys.argv[1]
    problems = []
    stretch = harness.slowdown(build)
    idle_close = int(IDLE_CLOSE * stretch + 0.999)
    timing_dir = tempfile.mkdtemp(prefix="posterm-warm-up-")
    timing = os.path.join(timing_dir, "timing.log")
    with harness.Workspace(build, tls=True,
                           sim_args=["--idle-close", str(idle_close), "--timing-log", timing]) as ws:
        pt = ws.posterm()
        pt.ready()
        orders = []

        def pay_and_check(code, label):
            order = pt.pay("0.01", code)
            done = pt.wait_state(harness.FINAL, order)
            orders.append(order)
            if done["state"] != "PAID":
                problems.append("%s: payment ended %s" % (label, done["state"]))

        def idle():
            # The sim closes at idle_close s; its close reaches posterm at once on loopback.
            time.sleep(idle_close + 1.0 * stretch)

        # 0: a first payment, then idle until the sim has closed its connection.
        pay_and_check(harness.wechat_code(0, customer=61), "first")
        idle()

        # 1: the amount opens a connection before the scan; the pay arrives on it.
        mark = len(log_lines(timing))
        pt.send("amount 0.01")
        created = pt.wait(lambda e: e.get("event") == "payment" and e["transition"] == "created"
                          and e["order"] not in orders, what="order created")
        wait_for(lambda: any(w == "/" for _, w in log_lines(timing)[mark:]), 10 * stretch,
                 "the warm-up's request at the sim")
        time.sleep(0.5 * stretch)  # its answer back at posterm: the connection free again
        warm = log_lines(timing)[mark:]
        pt.send("scan " + harness.wechat_code(0, customer=62))
        done = pt.wait_state(harness.FINAL, created["order"])
        orders.append(created["order"])
        if done["state"] != "PAID":
            problems.append("after idle: payment ended %s" % done["state"])
        after = log_lines(timing)[mark:]
        accepts = [ns for ns, w in after if w == "@accept"]
        head = [ns for ns, w in after if w == "/"]
        pays = [ns for ns, w in after if w == PAY_URI]
        print("after idle: %d connection(s) accepted, warm-up requests %d, pays %d" % (
            len(accepts), len(head), len(pays)))
        if len(head) != 1 or not [ns for ns, w in warm if w == "@accept"]:
            problems.append("after idle: no warm-up connection before the scan: %s" % warm)
        if len(pays) != 1:
            problems.append("after idle: %d pay requests, not 1" % len(pays))
        elif head and any(head[0] < ns < pays[0] for ns in accepts):
            problems.append("after idle: the pay opened a connection of its own: %s" % after)

        # 2: the connection is open: the amount opens nothing, the pay reuses it.
        mark = len(log_lines(timing))
        pay_and_check(harness.wechat_code(0, customer=63), "kept")
        after = log_lines(timing)[mark:]
        print("connection open: %s" % [w for _, w in after])
        if [w for _, w in after] != [PAY_URI]:
            problems.append("with the connection open: expected the pay alone, saw %s" % after)

        # 3: scan at once after the amount, the warm-up still going: one pay all the same.
        idle()
        mark = len(log_lines(timing))
        pay_and_check(harness.alipay_code(0, customer=64), "scan at once")
        after = log_lines(timing)[mark:]
        alipay_pays = [w for _, w in after if "/gateway.do" in w]
        print("scan at once after idling: %s" % [w[:40] for _, w in after])
        if len(alipay_pays) != 1:
            problems.append("scan at once: %d Alipay requests, not 1: %s" % (
                len(alipay_pays), after))

        status = pt.finish()
        if status != 0:
            problems.append("posterm exited %d" % status)
        more, rows, ledger = harness.audit(ws.journal, ws.sim)
        problems += more
        if len(ledger["trades"]) != len(orders):
            problems.append("%d trades at the sim for %d payments" % (len(ledger["trades"]),
                                                                      len(orders)))
    shutil.rmtree(timing_dir, ignore_errors=True)
    return harness.verdict(problems)


if __name__ == "__main__":
    sys.exit(main())
