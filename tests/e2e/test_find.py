#!/usr/bin/env python3
"""test_find.py - finding a payment in headless mode (issue 18), against the simulator.

    test_find.py BUILD_DIR CASE|all

history: pages newest first across days, filtered by day, amount, last four digits, channel
and state, each row with its start and finish times; an amount abandoned before the scan is
NOT_STARTED, not FAILED. find: a payment code's last four digits
and the short form of an order number list their candidates. refund_short: a refund by the
last digits of the order number; one that names several orders is refused and lists them.
refund_pin: with a supervisor's PIN configured (posterm --hash-pin), a refund without it or
with a wrong one is refused, five wrong ones lock it, the right one refunds and the journal
records who approved it (the supervisor) and, with a cashier signed in, who made it.
refund_limits: one refund's and the day's limit.
"""
import os
import sqlite3
import subprocess
import sys
import time

import harness

W, A = harness.wechat_code, harness.alipay_code


def pay_three(pt):
    """Three paid orders: 12.30 WeChat (code ...6000), 4.50 Alipay (...3400), 12.30 WeChat
    (...6100). Returns their numbers, oldest first."""
    orders = []
    for amount, code in (("12.30", W(0)), ("4.50", A(0)), ("12.30", W(0, customer=61))):
        order = pt.pay(amount, code)
        pt.wait_state("PAID", order)
        orders.append(order)
    return orders


def ask(pt, line, event):
    since = len(pt.seen)
    pt.send(line)
    return pt.wait(lambda e: e.get("event") in (event, "message"), what=event, since=since)


def history(build):
    problems = []
    with harness.Workspace(build) as ws:
        pt = ws.posterm()
        pt.ready()
        a, b, c = pay_three(pt)

        def rows(line, want, event="history"):
            got = ask(pt, line, event)
            orders = [r["order"] for r in got.get("rows", [])]
            if orders != want:
                problems.append("%s: %s, expected %s (%s)" % (line, orders, want, got))
            return got

        page = rows("history", [c, b, a])
        first = page["rows"][0] if page.get("rows") else {}
        if not first.get("started") or not first.get("finished"):
            problems.append("a row without its labelled start and finish: %s" % first)
        rows("history today", [c, b, a])
        rows("history %s" % time.strftime("%Y%m%d"), [c, b, a])
        rows("history 20000101", [])
        rows("history amount 12.30", [c, a])
        rows("history last4 3400", [b])
        rows("history channel wechat", [c, a])
        rows("history all state PAID channel alipay", [b])
        # An amount abandoned before the scan: NOT_STARTED, never FAILED.
        pt.send("amount 8.00")
        left = pt.wait(lambda e: e.get("event") == "payment" and e["transition"] == "created"
                       and e["order"] not in (a, b, c), what="order created")["order"]
        pt.send("abort")
        pt.wait_state("FAILED", left)
        listed = rows("history", [left, c, b, a])
        if listed.get("rows") and listed["rows"][0].get("state") != "NOT_STARTED":
            problems.append("an abandoned amount is listed as %s" % listed["rows"][0])
        rows("history state FAILED", [])
        rows("history state NOT_STARTED", [left])
        one = rows("history limit 3", [left, c, b])
        if one.get("more") is not True or one.get("next") != b:
            problems.append("first page of two: more %s next %s" % (one.get("more"),
                                                                     one.get("next")))
        two = rows("history limit 2 after %s" % b, [a])
        if two.get("more") is not False:
            problems.append("last page says more follows")
        bad = ask(pt, "history amount lots", "history")
        if bad.get("event") != "message" or "usage: history" not in bad.get("text", ""):
            problems.append("a bad filter was not refused with the usage: %s" % bad)
        bad = ask(pt, "history 20261399", "history")
        if "is no day" not in bad.get("text", ""):
            problems.append("a bad day was not refused: %s" % bad)
        if pt.finish() != 0:
            problems.append("posterm did not exit cleanly")
    return problems


def find(build):
    problems = []
    with harness.Workspace(build) as ws:
        pt = ws.posterm()
        pt.ready()
        a, b, c = pay_three(pt)
        got = ask(pt, "find last4 6000", "found")
        if [r["order"] for r in got.get("rows", [])] != [a]:
            problems.append("find last4 6000: %s" % got)
        elif got["rows"][0]["code"].replace("*", "")[-4:] != "6000":
            problems.append("the row's code is not masked to its last four: %s" % got["rows"][0])
        short = b[-6:]
        got = ask(pt, "find order %s" % short.lstrip("0"), "found")
        if [r["order"] for r in got.get("rows", [])] != [b]:
            problems.append("find order %s: %s" % (short, got))
        got = ask(pt, "find order 99999", "found")
        if got.get("rows") != []:
            problems.append("find order 99999 found %s" % got)
        got = ask(pt, "find last4 12", "found")
        if got.get("event") != "message":
            problems.append("find last4 12 was not refused: %s" % got)
        pt.finish()
    return problems


def approvals(journal):
    db = sqlite3.connect("file:%s?mode=ro" % journal, uri=True)
    rows = db.execute("SELECT order_no, state, approved_by FROM refunds ORDER BY rowid").fetchall()
    db.close()
    return rows


def refund_short(build):
    problems = []
    with harness.Workspace(build) as ws:
        pt = ws.posterm()
        pt.ready()
        a, b, c = pay_three(pt)
        pt.send("refund %s 1.00" % int(b[-6:]))
        pt.wait(lambda e: e.get("event") == "payment" and e["order"] == b
                and e["refunded"] == "1.00", what="refunded 1.00")
        # "00000" is none of them: the orders whose last digits start so are listed.
        msg = ask(pt, "refund 00000 1.00", "nothing")
        if "orders end so in 00000" not in msg.get("text", ""):
            problems.append("an ambiguous short form was not refused: %s" % msg)
        listed = [e for e in pt.seen if e.get("event") == "found"]
        if not listed or sorted(r["order"] for r in listed[-1]["rows"]) != sorted([a, b, c]):
            problems.append("the candidates were not listed: %s" % listed[-1:])
        msg = ask(pt, "refund 999999 1.00", "nothing")
        if "no order number ends in 999999" not in msg.get("text", ""):
            problems.append("a short form of no order was not refused: %s" % msg)
        pt.finish()
        if approvals(ws.journal) != [(b, "REFUNDED", "")]:
            problems.append("refunds: %s" % approvals(ws.journal))
    return problems


def hash_pin(build, pin):
    out = subprocess.run([os.path.join(build, "posterm"), "--hash-pin"], input=pin + "\n",
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


def refund_pin(build):
    problems = []
    made = hash_pin(build, "4711")  # --hash-pin itself: test_shifts.py hash_pin
    with harness.Workspace(build) as ws:
        cfg = ws.config(extra={"refund": {"supervisor_pin_hash": made}})
        pt = harness.Posterm(build, cfg)
        pt.ready()
        order = pt.pay("12.30", W(0))
        pt.wait_state("PAID", order)
        msg = ask(pt, "refund %s 1.00" % order, "nothing")
        if "a supervisor's PIN is needed" not in msg.get("text", ""):
            problems.append("a refund without the PIN: %s" % msg)
        for left in (4, 3, 2, 1):
            msg = ask(pt, "refund %s 1.00 pin 0000" % order, "nothing")
            if "wrong supervisor PIN (%d more tries" % left not in msg.get("text", ""):
                problems.append("wrong PIN, %d left: %s" % (left, msg))
        msg = ask(pt, "refund %s 1.00 pin 0000" % order, "nothing")
        if "too many wrong PINs; try again in 60 s" not in msg.get("text", ""):
            problems.append("the fifth wrong PIN did not lock: %s" % msg)
        msg = ask(pt, "refund %s 1.00 pin 4711" % order, "nothing")
        if "too many wrong PINs" not in msg.get("text", ""):
            problems.append("the right PIN was taken while locked: %s" % msg)
        pt.finish()
        if approvals(ws.journal):
            problems.append("a refund was made: %s" % approvals(ws.journal))

        # A fresh posterm within the minute: still locked (the journal keeps the lock's end).
        pt = harness.Posterm(build, cfg)
        pt.ready()
        since = len(pt.seen)
        pt.send("refund %s 1.00 pin 4711" % order)
        msg = pt.wait(lambda e: e.get("event") == "message" and "refund" in e.get("text", ""),
                      what="the refund's answer", since=since)
        if "too many wrong PINs" not in msg.get("text", ""):
            problems.append("a restart undid the lock: %s" % msg)
        pt.finish()
        # The minute passed (standing in for it: too long to wait in a test).
        db = sqlite3.connect(ws.journal)
        db.execute("UPDATE journal_meta SET refund_pin_locked_until = 0")
        db.commit()
        db.close()

        # Now with a cashier signed in: the right PIN refunds, approved by the supervisor and
        # made by the cashier.
        cfg = ws.config(extra={"refund": {"supervisor_pin_hash": made},
                               "cashiers": [{"id": "c1", "name": "Li Na",
                                             "pin_hash": hash_pin(build, "2468")}]})
        pt = harness.Posterm(build, cfg)
        pt.ready()
        pt.send("signin c1 2468")
        pt.send("refund %s 2.00 key-1 pin 4711" % order)
        pt.wait(lambda e: e.get("event") == "payment" and e["order"] == order
                and e["refunded"] == "2.00", what="refunded 2.00")
        pt.finish()
        if approvals(ws.journal) != [(order, "REFUNDED", "supervisor")]:
            problems.append("refunds: %s" % approvals(ws.journal))
        db = sqlite3.connect("file:%s?mode=ro" % ws.journal, uri=True)
        made_by = db.execute("SELECT cashier FROM refunds").fetchall()
        db.close()
        if made_by != [("c1",)]:
            problems.append("the refund's cashier: %s" % made_by)
    return problems


def refund_limits(build):
    problems = []
    with harness.Workspace(build) as ws:
        cfg = ws.config(extra={"refund": {"max_amount": "5.00", "max_day_amount": "8.00"}})
        pt = harness.Posterm(build, cfg)
        pt.ready()
        order = pt.pay("12.30", W(0))
        pt.wait_state("PAID", order)
        msg = ask(pt, "refund %s 5.01" % order, "nothing")
        if "one refund may return at most 5.00" not in msg.get("text", ""):
            problems.append("above one refund's limit: %s" % msg)
        pt.send("refund %s 5.00" % order)
        pt.wait(lambda e: e.get("event") == "payment" and e["order"] == order
                and e["refunded"] == "5.00", what="refunded 5.00")
        msg = ask(pt, "refund %s 3.01" % order, "nothing")
        if "today's refunds may total 8.00; 3.00 is left" not in msg.get("text", ""):
            problems.append("above the day's limit: %s" % msg)
        pt.send("refund %s 3.00" % order)
        pt.wait(lambda e: e.get("event") == "payment" and e["order"] == order
                and e["refunded"] == "8.00", what="refunded 8.00")
        pt.finish()
    return problems


CASES = {"history": history, "find": find, "refund_short": refund_short,
         "refund_pin": refund_pin, "refund_limits": refund_limits}

if __name__ == "__main__":
    sys.exit(harness.run_cases(__file__, CASES, sys.argv))
