#!/usr/bin/env python3
"""test_qr.py - dynamic QR payments (the customer scans the terminal) end to end: the real
posterm in headless mode against posterm-sim over HTTP, both channels, the customer played by
POST /_sim/scan with the payload posterm printed.

    test_qr.py BUILD_DIR CASE        (CASE from CASES below, or "all")

Scenarios: pays at once, pays after N s, never pays (the order is closed at the window's end
and nothing is taken; Alipay's order, unknown to Alipay until scanned, is called closed only
past its expiry), pays while the close is out (the close is refused as paid, a query proves
PAID), the cashier aborts (the order is closed). And kill -9 right after each journal point a
QR payment has (crash builds only, POSTERM_CRASH_POINTS): posterm is started again and must
finish the payment right - the same QR shown again where it was shown.

Every case is judged by the simulator's ledger (what the gateway charged) and the journal is
audited against it (harness.audit); a customer who scans after the close must be refused.
"""
import json
import sys
import urllib.error
import urllib.request

import harness

# The QR window: short enough for a test, long enough for the customer's scan to land inside.
QR_POLICY = {"qr_window_ms": 4000}


def scan(sim, body):
    """POST /_sim/scan: (HTTP status, reply)."""
    try:
        return 200, sim.control("/_sim/scan", body)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def forget_script(sim):
    req = urllib.request.Request(sim.url("/_sim/script"), method="DELETE")
    with urllib.request.urlopen(req, timeout=5, context=sim.tls_context()) as r:
        r.read()


def start_qr(pt, channel, amount="3.20"):
    """amount, then qr CHANNEL: returns the new order's number."""
    known = {e["order"] for e in pt.seen if e.get("event") == "payment"}
    pt.send("amount " + amount)
    created = pt.wait(lambda e: e.get("event") == "payment" and e["transition"] == "created"
                      and e["order"] not in known, what="order created")
    pt.send("qr " + channel)
    return created["order"]


def wait_qr(pt, order, since=0, timeout=20):
    return pt.wait(lambda e: e.get("event") == "qr" and e["order"] == order, timeout,
                   "the QR of %s" % order, since)


def trade(sim, order):
    return next((t for t in sim.audit()["trades"] if t["out_trade_no"] == order), None)


def transitions(pt, order):
    return [e["transition"] for e in pt.seen
            if e.get("event") == "payment" and e["order"] == order]


def check_common(ws, order, channel, payload, state, charged, problems):
    """The journal's row, the ledger's trade and the audit."""
    found, rows, ledger = harness.audit(ws.journal, ws.sim)
    problems += found
    row = rows.get(order)
    t = next((t for t in ledger["trades"] if t["out_trade_no"] == order), None)
    if row is None:
        problems.append("%s is not in the journal" % order)
        return
    if row["state"] != state:
        problems.append("%s is %s in the journal, wanted %s" % (order, row["state"], state))
    if row["kind"] != "qr" or row["channel"] != channel:
        problems.append("%s journaled as %s/%s" % (order, row["kind"], row["channel"]))
    if payload is not None and row["qr_payload"] != payload:
        problems.append("journal payload %r, shown %r" % (row["qr_payload"], payload))
    got = t["charged"] if t else 0
    if got != charged:
        problems.append("%s charged %d times at the gateway, wanted %d" % (order, got, charged))
    if t and payload is not None and t["qr"] != payload:
        problems.append("gateway's QR %r, shown %r" % (t["qr"], payload))


def late_scan_refused(ws, payload, problems):
    """A customer scanning the closed order's QR must be refused by the wallet."""
    status, reply = scan(ws.sim, {"qr": payload})
    if status != 409 or reply.get("result") not in ("refused_closed", "refused_expired"):
        problems.append("a scan after the close was not refused: %s %s" % (status, reply))


# --- the scenarios ---

def paid_now(channel):
    def case(build):
        problems = []
        with harness.Workspace(build) as ws:
            pt = ws.posterm(policy=QR_POLICY)
            try:
                pt.ready()
                order = start_qr(pt, channel)
                qr = wait_qr(pt, order)
                status, reply = scan(ws.sim, {"qr": qr["payload"]})
                if status != 200 or reply.get("result") != "paid":
                    problems.append("scan: %s %s" % (status, reply))
                paid = pt.wait_state({"PAID", "FAILED", "CANCELLED"}, order)
                if paid["state"] != "PAID" or paid["transition"] != "paid":
                    problems.append("ended %s (%s)" % (paid["state"], paid["transition"]))
                pt.send("quit")
                pt.finish()
            finally:
                pt.kill()
            t = trade(ws.sim, order)
            if t and t["close_requests"]:
                problems.append("a paid order was closed %d times" % t["close_requests"])
            if qr["channel"] != channel or qr["amount"] != "3.20":
                problems.append("the qr event: %s" % qr)
            order_of = transitions(pt, order)
            if order_of[:3] != ["created", "pay_intent", "pay_confirming"]:
                problems.append("transitions %s" % order_of)
            check_common(ws, order, channel, qr["payload"], "PAID", 1, problems)
        return problems
    return case


def paid_later(channel):
    """The customer scans, then confirms for 2 s: queried waiting, then paid."""
    def case(build):
        problems = []
        with harness.Workspace(build) as ws:
            pt = ws.posterm(policy=dict(QR_POLICY, qr_window_ms=8000))
            try:
                pt.ready()
                order = start_qr(pt, channel)
                qr = wait_qr(pt, order)
                st = pt.status()["current"]
                # The config's stretched window, journaled in whole seconds (rounded up).
                window = -(-int(8000 * harness.slowdown(build)) // 1000) * 1000
                if st.get("qr") != qr["payload"] or not 0 < st.get("cancel_in_ms", 0) <= window:
                    problems.append("status while the QR is shown: %s" % st)
                status, reply = scan(ws.sim, {"order": order, "seconds": 2})
                if status != 200 or reply.get("result") != "confirming":
                    problems.append("scan: %s %s" % (status, reply))
                paid = pt.wait_state({"PAID", "FAILED", "CANCELLED"}, order)
                if paid["state"] != "PAID":
                    problems.append("ended %s (%s)" % (paid["state"], paid["transition"]))
                pt.send("quit")
                pt.finish()
            finally:
                pt.kill()
            t = trade(ws.sim, order)
            if t and t["query_requests"] < 2:
                problems.append("paid after %d queries: the wait was not polled" %
                                t["query_requests"])
            check_common(ws, order, channel, qr["payload"], "PAID", 1, problems)
        return problems
    return case


def never(channel):
    """Nobody scans: the order is closed at the window's end and nothing is taken. Alipay has
    no trade until the scan, so its close finds none: posterm waits for the QR's expiry and a
    query that finds nothing (about 70 s here)."""
    def case(build):
        problems = []
        with harness.Workspace(build) as ws:
            pt = ws.posterm(policy=QR_POLICY)
            try:
                pt.ready()
                order = start_qr(pt, channel)
                qr = wait_qr(pt, order)
                pt.wait(lambda e: e.get("event") == "payment" and e["order"] == order
                        and e["transition"] == "cancel_decided", 20, "cancel_decided")
                end = pt.wait_state({"PAID", "FAILED", "CANCELLED"}, order, timeout=150)
                if end["state"] != "CANCELLED" or end["cause"] != "window_closed":
                    problems.append("ended %s (%s)" % (end["state"], end["cause"]))
                pt.send("quit")
                pt.finish()
            finally:
                pt.kill()
            late_scan_refused(ws, qr["payload"], problems)
            t = trade(ws.sim, order)
            if t is None or t["close_requests"] < 1:
                problems.append("the order was never closed at the gateway: %s" % t)
            check_common(ws, order, channel, qr["payload"], "CANCELLED", 0, problems)
        return problems
    return case


def paid_after_close(channel):
    """The window ends while the customer is paying: the closes are lost (HTTP 503) until the
    customer has paid, then the close is refused as paid and a query proves PAID."""
    def case(build):
        problems = []
        with harness.Workspace(build) as ws:
            pt = ws.posterm(policy=QR_POLICY)
            try:
                pt.ready()
                ws.sim.control("/_sim/script", {"scenario": "http_503", "op": "close",
                                                "count": 1000, "channel": channel})
                order = start_qr(pt, channel)
                qr = wait_qr(pt, order)
                pt.wait(lambda e: e.get("event") == "payment" and e["order"] == order
                        and e["transition"] == "cancel_decided", 20, "cancel_decided")
                status, reply = scan(ws.sim, {"qr": qr["payload"]})
                if status != 200 or reply.get("result") != "paid":
                    problems.append("scan: %s %s" % (status, reply))
                forget_script(ws.sim)
                end = pt.wait_state({"PAID", "FAILED", "CANCELLED"}, order, timeout=30)
                if end["state"] != "PAID" or end["transition"] != "paid_cancel_refused":
                    problems.append("ended %s (%s)" % (end["state"], end["transition"]))
                if "cancel_refused" not in transitions(pt, order):
                    problems.append("no cancel_refused: %s" % transitions(pt, order))
                pt.send("quit")
                pt.finish()
            finally:
                pt.kill()
            check_common(ws, order, channel, qr["payload"], "PAID", 1, problems)
        return problems
    return case


def abort(channel):
    """The cashier aborts while the QR is shown: the order is closed, nothing is taken. (On
    Alipay the customer has scanned without paying, so the trade exists to be closed.)"""
    def case(build):
        problems = []
        with harness.Workspace(build) as ws:
            pt = ws.posterm(policy=dict(QR_POLICY, qr_window_ms=60000))
            try:
                pt.ready()
                order = start_qr(pt, channel)
                qr = wait_qr(pt, order)
                if channel == "alipay":
                    status, reply = scan(ws.sim, {"order": order, "seconds": 30, "pays": False})
                    if status != 200:
                        problems.append("scan: %s %s" % (status, reply))
                pt.send("abort")
                end = pt.wait_state({"PAID", "FAILED", "CANCELLED"}, order, timeout=20)
                if end["state"] != "CANCELLED" or end["cause"] != "aborted":
                    problems.append("ended %s (%s)" % (end["state"], end["cause"]))
                pt.send("quit")
                pt.finish()
            finally:
                pt.kill()
            late_scan_refused(ws, qr["payload"], problems)
            check_common(ws, order, channel, qr["payload"], "CANCELLED", 0, problems)
        return problems
    return case


def refused(build):
    """qr before an amount, without a channel, and WeChat without notify_url: refused."""
    problems = []
    with harness.Workspace(build) as ws:
        pt = ws.posterm(policy=QR_POLICY)
        try:
            pt.ready()
            pt.send("qr wechat")
            pt.message("enter the amount first")
            pt.send("amount 1.00")
            pt.wait_state("NEW")
            pt.send("qr")
            pt.message("qr wechat or qr alipay")
            pt.send("qr unionpay")
            pt.message("qr wechat or qr alipay", since=len(pt.seen))
            pt.send("quit")
            pt.finish()
        finally:
            pt.kill()
        cfg = harness.write_config(ws.dir, ws.sim, QR_POLICY)
        with open(cfg) as f:
            doc = json.load(f)
        doc["wechat"]["notify_url"] = ""
        with open(cfg, "w") as f:
            json.dump(doc, f)
        pt = harness.Posterm(build, cfg)
        try:
            pt.ready()
            pt.send("amount 1.00")
            pt.wait_state("NEW")
            pt.send("qr wechat")
            pt.message("needs wechat.notify_url")
            pt.send("quit")
            pt.finish()
        finally:
            pt.kill()
        if [t for t in ws.sim.audit()["trades"]]:
            problems.append("a refused QR reached the gateway")
    return problems


# --- kill -9 at each journal point of a QR payment ---

def crash(point, channel):
    """posterm dies right after committing `point`; started again, it finishes the payment.
    The points are the barcode payment's names for the same steps (engine.c "dynamic QR").
    How each is reached: pay_intent, pay_confirming (the QR shown), paid: the customer pays at
    once once the QR is printed (after the restart for the first two); cancel_decided,
    cancelled: nobody pays; cancel_refused, paid_cancel_refused: the customer pays while the
    closes are lost;
    abort_requested: the cashier aborts while the create's reply is late (the QR never shown:
    on Alipay the close then waits out the QR's expiry); resumed: killed after pay_confirming, then
    after resumed."""
    def case(build):
        problems = []
        with harness.Workspace(build) as ws:
            policy = dict(QR_POLICY, qr_window_ms=8000 if point in ("pay_intent", "pay_confirming",
                                                                    "resumed") else 4000)
            first = "pay_confirming" if point == "resumed" else point
            if point in ("cancel_refused", "paid_cancel_refused"):
                ws.sim.control("/_sim/script", {"scenario": "http_503", "op": "close",
                                                "count": 1000})
            if point == "abort_requested":
                ws.sim.control("/_sim/script", {"scenario": "slow_reply", "op": "qr",
                                                "seconds": 2})
            pt = ws.posterm(env={"POSTERM_CRASH_AFTER": first}, policy=policy)
            payload = None
            try:
                pt.ready()
                order = start_qr(pt, channel)
                if point == "abort_requested":
                    pt.wait(lambda e: e.get("event") == "payment" and e["order"] == order
                            and e["transition"] == "pay_intent", 10, "pay_intent")
                    pt.send("abort")
                if point in ("paid", "cancel_decided", "cancelled", "cancel_refused",
                             "paid_cancel_refused"):
                    payload = wait_qr(pt, order)["payload"]
                if point == "paid":
                    scan(ws.sim, {"qr": payload})
                if point in ("cancel_decided", "cancelled") and channel == "alipay":
                    # Scanned, never paid: Alipay has a trade to close (unscanned, the close
                    # would wait out the QR's expiry: never_alipay covers that).
                    scan(ws.sim, {"order": order, "seconds": 60, "pays": False})
                if point in ("cancel_refused", "paid_cancel_refused"):
                    pt.wait(lambda e: e.get("event") == "payment" and e["order"] == order
                            and e["transition"] == "cancel_decided", 20, "cancel_decided")
                    scan(ws.sim, {"qr": payload})
                    forget_script(ws.sim)
                pt.killed(timeout=150)
            finally:
                pt.kill()
            if point == "resumed":
                pt = ws.posterm(env={"POSTERM_CRASH_AFTER": "resumed"}, policy=policy)
                try:
                    pt.killed(timeout=30)
                finally:
                    pt.kill()
            rows = harness.journal_rows(ws.journal)
            if order not in rows or rows[order]["kind"] != "qr":
                problems.append("%s not journaled as a QR payment: %s" % (order, rows.get(order)))
            pt = ws.posterm(policy=policy)
            try:
                pt.ready()
                if point in ("pay_intent", "pay_confirming", "resumed"):
                    qr = wait_qr(pt, order)
                    if payload is None:
                        payload = qr["payload"]
                    scan(ws.sim, {"qr": qr["payload"]})
                code = pt.finish(timeout=150)
                if code != 0:
                    problems.append("posterm exited %s after the restart" % code)
            finally:
                pt.kill()
            want = {"pay_intent": "PAID", "pay_confirming": "PAID", "resumed": "PAID", "paid": "PAID",
                    "cancel_decided": "CANCELLED", "cancelled": "CANCELLED",
                    "cancel_refused": "PAID", "paid_cancel_refused": "PAID",
                    "abort_requested": "CANCELLED"}[point]
            if point == "pay_confirming" and rows.get(order, {}).get("qr_payload") != payload:
                problems.append("after the restart the QR %r, journaled before the crash %r" % (
                    payload, rows.get(order, {}).get("qr_payload")))
            check_common(ws, order, channel, payload, want, 1 if want == "PAID" else 0,
                         problems)
            if want == "CANCELLED" and payload:
                late_scan_refused(ws, payload, problems)
        return problems
    return case


CASES = {}
for ch in ("wechat", "alipay"):
    CASES["paid_now_" + ch] = paid_now(ch)
    CASES["paid_later_" + ch] = paid_later(ch)
    CASES["never_" + ch] = never(ch)
    CASES["paid_after_close_" + ch] = paid_after_close(ch)
    CASES["abort_" + ch] = abort(ch)
CASES["refused"] = refused
CRASH_POINTS = ["pay_intent", "pay_confirming", "paid", "cancel_decided", "cancelled", "cancel_refused",
                "paid_cancel_refused", "abort_requested", "resumed"]
for p in CRASH_POINTS:
    for ch in ("wechat", "alipay"):
        CASES["crash_%s_%s" % (p, ch)] = crash(p, ch)

if __name__ == "__main__":
    sys.exit(harness.run_cases(sys.argv[0], CASES, sys.argv))
