#!/usr/bin/env python3
"""test_crash_matrix.py - every journal commit point x every gateway scenario: posterm killed
right after the commit, restarted, and the simulator's ledger audited against the journal.

    test_crash_matrix.py BUILD_DIR [-j N] [--quick] [--points a,b] [--scenarios x,y] [--cases p:s,...]

A case is one (point, scenario): posterm (built with POSTERM_CRASH_POINTS) runs a real payment
against posterm-sim with POSTERM_CRASH_AFTER=point and SIGKILLs itself right after committing
that journal event, before the action it precedes. It is started again without the crash
point, recovery runs until nothing is unresolved, and harness.audit checks the invariant of
RELIABILITY.md: no charge the journal does not show PAID or cancelled/refunded, no order charged
twice, every payment final. A case whose point is never reached fails: the table below says
which cases are expected to reach their point. After every kill, neither the journal nor its
-wal file may hold the whole payment code: only its last four digits may ever be written.

Some points need the cashier: "aborted" (abort before the scan), "abort_requested" (abort
while the pay is undecided; also how cancel_decided/cancelled are reached when the gateway
answers), "refund_*" (refund a paid order). "resumed" is only journaled by a restart, so its
case crashes twice: after pay_intent, then after resumed.

A dynamic QR payment journals the same names for its own steps (app/core/engine.c "dynamic
QR"); its crash cases, each point reached the QR way on both channels, are in test_qr.py
(crash_<point>_<channel>).

Prints one line per case, a table, and "N cases ran, N held".
"""
import argparse
import concurrent.futures
import io
import os
import sys
import time
import traceback

import harness

W, A = harness.wechat_code, harness.alipay_code

# Every name engine.c journals (app/core/engine.c journal(...)), in lifecycle order.
POINTS = ["created", "pay_intent", "paid", "pay_failed", "pay_confirming", "pay_unknown",
          "abort_requested", "aborted", "cancel_decided", "cancel_refused", "cancelled",
          "paid_cancel_refused", "refund_requested", "refunded", "refund_failed", "resumed"]

# scenario -> payment code, simulator script, policy changes, seconds unreachable before scan
SCENARIOS = {
    "success": dict(code=W(0)),
    # The customer confirms for 2 s (Alipay 10003), then pays: within the 6 s window.
    "confirming": dict(code=A(3), script=[{"scenario": "confirm_then_paid", "seconds": 2}]),
    # Charged, then the connection closes without a reply: only a query can tell.
    "dropped": dict(code=W(6)),
    # Connections refused for longer than the payment window: the cancel waits for the gateway.
    "down": dict(code=A(0), unreachable=9),
    # Refused at once (insufficient funds): the one way to reach pay_failed.
    "refused": dict(code=W(1)),
}
DEFAULT_SCENARIOS = ["success", "confirming", "dropped", "down", "refused"]

ABORT_POLICY = {"first_query_ms": 3000}  # the cashier's abort comes before the first query

NOT_SIM = "posterm-sim never refuses a cancel definitively (it closes, reverses or asks for a retry); the engine table test covers it (tests/unit/core)"
NOT_SIM_REFUND = "posterm-sim refuses a refund only when posterm would not send it (not paid, more than is left); the engine table test covers it"
UNREACHABLE = {
    # point: {scenario: why} ("*" = every scenario)
    "paid": {"down": "the gateway is down past the window: the payment is cancelled, never paid",
             "refused": "refused at once: nothing is charged"},
    "pay_failed": {"success": "the gateway never refuses in this scenario",
                   "confirming": "the customer pays in the end",
                   "dropped": "the charge succeeds (only the reply is lost)",
                   "down": "no definite answer ever comes before the cancel"},
    "pay_confirming": {s: "the gateway never says the customer is confirming"
                       for s in ("success", "dropped", "down", "refused")},
    "pay_unknown": {"success": "answered at once and definitely",
                    "confirming": "the pay is answered PAYING, a definite kind",
                    "refused": "answered at once and definitely"},
    "abort_requested": {"success": "paid at once: there is no undecided moment to abort in",
                        "refused": "refused at once: there is no undecided moment to abort in"},
    "cancel_decided": {"success": "paid at once: nothing to cancel",
                       "refused": "refused at once: nothing to cancel"},
    "cancelled": {"success": "paid at once: nothing to cancel",
                  "refused": "refused at once: nothing to cancel"},
    "cancel_refused": {"*": NOT_SIM},
    "paid_cancel_refused": {"*": NOT_SIM},
    "refund_requested": {"down": "cancelled: nothing was charged to refund",
                         "refused": "refused: nothing was charged to refund"},
    "refunded": {"down": "cancelled: nothing was charged to refund",
                 "refused": "refused: nothing was charged to refund"},
    "refund_failed": {"*": NOT_SIM_REFUND},
}


def why_unreachable(point, scenario):
    reasons = UNREACHABLE.get(point, {})
    return reasons.get("*") or reasons.get(scenario)


def cashier_action(point, scenario):
    """What the cashier does in the first run so that point is reached."""
    if point == "created":
        return "amount"
    if point == "aborted":
        return "abort_before_scan"
    if point == "abort_requested" or (point in ("cancel_decided", "cancelled")
                                      and scenario != "down"):
        return "abort"
    if point.startswith("refund"):
        return "refund"
    return "pay"


def start_pay(pt, ws, scen):
    """Keys an amount and scans; the gateway goes down in between when the scenario says."""
    pt.send("amount 12.30")
    created = pt.wait(lambda e: e.get("event") == "payment" and e["transition"] == "created",
                      what="order created")
    if scen.get("unreachable"):
        ws.sim.control("/_sim/unreachable?seconds=%d" % scen["unreachable"])
        time.sleep(0.2)
    pt.send("scan " + scen["code"])
    return created["order"]


def full_code_on_disk(journal, code):
    """The journal files that hold the whole payment code, as digits: posterm may write only
    its last four. Checked right after a kill, so nothing could have been wiped since."""
    found = []
    for path in (journal, journal + "-wal"):
        if os.path.exists(path):
            with open(path, "rb") as f:
                if code.encode() in f.read():
                    found.append(os.path.basename(path))
    return found


def run_case(build, point, scenario):
    """Returns (held, text): held is True when the invariant held after the crash."""
    out = io.StringIO()
    scen = SCENARIOS[scenario]
    action = cashier_action(point, scenario)
    policy = dict(ABORT_POLICY) if action == "abort" else {}
    started = time.time()
    try:
        with harness.Workspace(build) as ws:
            if scen.get("script"):
                ws.sim.control("/_sim/script", scen["script"])
            first = "pay_intent" if point == "resumed" else point
            pt = ws.posterm(env={"POSTERM_CRASH_AFTER": first}, policy=policy)
            pt.wait(lambda e: e.get("event") == "ready", what="ready")
            order = None
            if action == "amount":
                pt.send("amount 12.30")
            elif action == "abort_before_scan":
                pt.send("amount 12.30")
                order = pt.wait(lambda e: e.get("transition") == "created", what="created")["order"]
                pt.send("abort")
            else:
                order = start_pay(pt, ws, scen)
                if action == "abort":
                    pt.wait_state("QUERYING", order)
                    pt.send("abort")
                elif action == "refund":
                    pt.wait_state("PAID", order)
                    pt.send("refund %s 5.00" % order)
            try:
                pt.killed(timeout=40)
            except Exception:
                pt.kill()
                return False, "point %s was never reached (saw %s)" % (
                    first, [e.get("transition") for e in pt.seen if e.get("event") == "payment"])
            leaks = ["after the kill at %s the whole payment code is in %s (only its last four "
                     "digits may be written)" % (first, ", ".join(found))
                     for found in [full_code_on_disk(ws.journal, scen["code"])] if found]
            deaths = 1
            if point == "resumed":
                pt = ws.posterm(env={"POSTERM_CRASH_AFTER": "resumed"}, policy=policy)
                try:
                    pt.killed(timeout=40)
                except Exception:
                    pt.kill()
                    return False, "resumed was never journaled after the restart"
                deaths = 2
                found = full_code_on_disk(ws.journal, scen["code"])
                if found:
                    leaks.append("after the kill at resumed the whole payment code is in %s "
                                 "(only its last four digits may be written)" % ", ".join(found))

            again = ws.posterm(policy=policy)
            again.wait(lambda e: e.get("event") == "ready", what="ready after restart")
            rows = harness.journal_rows(ws.journal)
            if action == "refund" and order in rows:
                # The refund may not have been committed before the crash: ask again - the
                # same request number makes a second one harmless.
                row = rows[order]
                if row["state"] == "PAID" and row["refunded_fen"] == 0:
                    again.send("refund %s 5.00" % order)
            status = again.finish(timeout=120)

            problems, rows, ledger = harness.audit(ws.journal, ws.sim)
            problems = leaks + problems
            if status != 0:
                problems.append("posterm exited %s after recovery" % status)
            if order is None and rows:
                order = next(iter(rows))
            row = rows.get(order) if order else None
            if action == "refund" and row and row["state"] == "PAID" and row["refunded_fen"] != 500:
                problems.append("refund not completed: refunded %d" % row["refunded_fen"])
            trades = [t["state"] for t in ledger["trades"] if t["out_trade_no"] == order]
            out.write("%s died %d time%s, ended %s (gateway: %s) in %.1f s" % (
                order, deaths, "" if deaths == 1 else "s", row["state"] if row else "no order",
                trades[0] if trades else "no trade", time.time() - started))
            for p in problems:
                out.write("\n    " + p)
            return not problems, out.getvalue()
    except Exception as exc:  # a harness timeout is a failed case, with what it saw
        return False, "error: %s\n%s" % (exc, traceback.format_exc(limit=3))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("-j", type=int, default=2, help="cases at once (default 2, one per core)")
    ap.add_argument("--points", default=",".join(POINTS))
    ap.add_argument("--scenarios", default=",".join(DEFAULT_SCENARIOS))
    ap.add_argument("--cases", default="", help="point:scenario,... (instead of the grid)")
    ap.add_argument("--quick", action="store_true",
                    help="leave out the cases that wait out a whole payment window after the "
                         "restart (the gateway-down column, pay_intent, resumed but one)")
    args = ap.parse_args()

    points = args.points.split(",")
    scenarios = args.scenarios.split(",")
    if args.cases:
        grid = [tuple(c.split(":")) for c in args.cases.split(",")]
        points = [p for p in POINTS if any(p == g[0] for g in grid)]
        scenarios = [s for s in SCENARIOS if any(s == g[1] for g in grid)]
    else:
        grid = [(p, s) for p in points for s in scenarios]
    if args.quick:
        scenarios = [s for s in scenarios if s != "down"]
        grid = [(p, s) for p, s in grid if s != "down" and p != "pay_intent"
                and (p != "resumed" or s == "dropped")]
    for p, s in grid:
        if p not in POINTS or s not in SCENARIOS:
            print("unknown case %s:%s" % (p, s))
            return 2

    skipped = {(p, s): why_unreachable(p, s) for p, s in grid if why_unreachable(p, s)}
    todo = [c for c in grid if c not in skipped]
    results = {}
    started = time.time()
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.j)) as pool:
        futures = {pool.submit(run_case, args.build, p, s): (p, s) for p, s in todo}
        for f in concurrent.futures.as_completed(futures):
            p, s = futures[f]
            held, text = f.result()
            results[(p, s)] = held
            print("%-4s %s x %s: %s" % ("ok" if held else "FAIL", p, s, text), flush=True)

    width = max(len(p) for p in points)
    print("\n%-*s  %s" % (width, "point \\ scenario", "  ".join("%-10s" % s for s in scenarios)))
    for p in points:
        cells = []
        for s in scenarios:
            if (p, s) in results:
                cells.append("held" if results[(p, s)] else "FAILED")
            elif (p, s) in skipped:
                cells.append("-")
            else:
                cells.append("")
        print("%-*s  %s" % (width, p, "  ".join("%-10s" % c for c in cells)))
    if skipped:
        print("\nnot reachable against posterm-sim (\"-\"):")
        reasons = {}
        for (p, s), why in skipped.items():
            reasons.setdefault((p, why), []).append(s)
        for (p, why), ss in reasons.items():
            print("  %s x %s: %s" % (p, ",".join(ss), why))

    held = sum(1 for v in results.values() if v)
    print("\n%d cases ran, %d held, %d not reachable, in %.0f s" % (
        len(results), held, len(skipped), time.time() - started))
    return harness.verdict([] if held == len(results) else
                           ["%d of %d cases failed" % (len(results) - held, len(results))])


if __name__ == "__main__":
    sys.exit(main())
