#!/usr/bin/env python3
"""test_attacks.py - attacks on money end to end: order numbers reused across journals and
terminals, a replayed signed refusal, verified replies that leave out a fact, a refund the
gateway grants for less than asked.

    test_attacks.py BUILD_DIR CASE        (CASE from CASES below, or "all")

Every case judges money by the simulator's ledger (what the gateway charged whom, and what it
gave back), not only by what posterm printed: customers are told apart by their payment
codes (harness.wechat_code/alipay_code's customer digits), and harness.money_problems checks
that each was charged exactly once, the amount asked, and that no order number served two
sales (the ledger's reused_orders). harness.audit_ledger then checks the journals against it.
"""
import os
import shutil
import sys

import harness

W, A = harness.wechat_code, harness.alipay_code


def ready(pt):
    return pt.wait(lambda e: e.get("event") == "ready", what="ready")


def pay_final(pt, amount, code, timeout=60):
    """One customer at the till: returns the payment's final event."""
    order = pt.pay(amount, code)
    return pt.wait_state(harness.FINAL, order, timeout=timeout)


def fen(amount):
    yuan, _, cents = amount.partition(".")
    return int(yuan) * 100 + int((cents + "00")[:2])


def journal_files(journal):
    return [journal + suffix for suffix in ("", "-wal", "-shm") if os.path.exists(journal + suffix)]


def serve(pt, customers, sales, problems):
    """Each (amount, code) of sales paid at pt; every one must end PAID."""
    for amount, code in sales:
        ev = pay_final(pt, amount, code)
        customers[code] = fen(amount)
        if ev["state"] != "PAID":
            problems.append("customer ...%s (%s) ended %s at the till: %s" % (
                code[-4:], ev["order"], ev["state"], ev.get("error")))


def finish(pt, problems, name):
    status = pt.finish()
    if status != 0:
        problems.append("%s exited %s" % (name, status))


def series(order):
    """An order number without its sequence: the part that says whose numbers they are."""
    return order.rsplit("-", 1)[0]


# --- 1. order numbers unique across journals and terminals ---

def clone_terminal(build):
    """Two terminals installed from one config image: the same terminal_id, a journal each.
    They take turns; same amounts first (a repeated number answers ORDERPAID), then other
    amounts (a repeated number is refused as inconsistent)."""
    problems, customers = [], {}
    with harness.Workspace(build) as ws:
        a, ja = ws.terminal("till_a")
        b, jb = ws.terminal("till_b")
        ready(a)
        ready(b)
        serve(a, customers, [("12.30", W(0, 10))], problems)
        serve(b, customers, [("12.30", W(0, 11))], problems)
        serve(a, customers, [("8.00", A(0, 12))], problems)
        serve(b, customers, [("8.00", A(0, 13))], problems)
        serve(a, customers, [("5.00", W(0, 14))], problems)
        serve(b, customers, [("7.00", W(0, 15))], problems)
        finish(a, problems, "till A")
        finish(b, problems, "till B")
        ledger = ws.sim.audit()
        rows, dup = harness.merged_rows([ja, jb])
        problems += dup + harness.money_problems(ledger, customers)
        problems += harness.audit_ledger(None, ledger, rows)[0]
        print("orders: %s" % sorted(rows))
    return problems


def clone_image(build):
    """A used terminal's disk image copied to another machine: both go on taking payments.
    The copy must notice it is not on the machine its journal belongs to and take a new
    identity; every number stays unique. POSTERM_MACHINE_ID stands for the machine."""
    problems, customers = [], {}
    with harness.Workspace(build) as ws:
        a, ja = ws.terminal("till_a", env={"POSTERM_MACHINE_ID": "machine-a"})
        ready(a)
        serve(a, customers, [("12.30", W(0, 20)), ("3.00", A(0, 21))], problems)
        finish(a, problems, "till A before the copy")
        before = set(harness.journal_rows(ja))

        os.makedirs(os.path.join(ws.dir, "till_b"))
        for path in journal_files(ja):
            shutil.copy2(path, path.replace("till_a", "till_b"))
        a, ja = ws.terminal("till_a", env={"POSTERM_MACHINE_ID": "machine-a"})
        b, jb = ws.terminal("till_b", env={"POSTERM_MACHINE_ID": "machine-b"})
        ready(a)
        ready(b)
        serve(a, customers, [("12.30", W(0, 22))], problems)
        serve(b, customers, [("12.30", W(0, 23))], problems)
        serve(a, customers, [("3.00", A(0, 24))], problems)
        serve(b, customers, [("4.00", A(0, 25))], problems)
        finish(a, problems, "till A")
        finish(b, problems, "till B (the copy)")

        ledger = ws.sim.audit()
        rows, dup = harness.merged_rows([ja, jb], shared=before)
        problems += dup + harness.money_problems(ledger, customers)
        problems += harness.audit_ledger(None, ledger, rows)[0]
        new_a = set(harness.journal_rows(ja)) - before
        new_b = set(harness.journal_rows(jb)) - before
        if {series(o) for o in new_a} & {series(o) for o in new_b}:
            problems.append("the copy kept the original's identity: %s and %s" % (
                sorted(new_a), sorted(new_b)))
        if {series(o) for o in before} & {series(o) for o in new_b}:
            problems.append("the copy numbers as the image it came from did: %s then %s" % (
                sorted(before), sorted(new_b)))
        print("before the copy: %s; original after: %s; copy: %s" % (
            sorted(before), sorted(new_a), sorted(new_b)))
    return problems


def reuse_journal(build):
    """One day, one terminal: a restart on the same journal, then a fresh journal after the
    old one was moved aside (as after damage, or a reinstall)."""
    problems, customers = [], {}
    with harness.Workspace(build) as ws:
        pt = ws.posterm()
        ready(pt)
        serve(pt, customers, [("12.30", W(0, 30)), ("2.00", A(0, 31))], problems)
        finish(pt, problems, "the first run")
        pt = ws.posterm()
        ready(pt)
        serve(pt, customers, [("12.30", W(0, 32))], problems)
        finish(pt, problems, "the run after a restart")
        old = ws.journal + ".moved-aside"
        for path in journal_files(ws.journal):
            os.rename(path, path.replace(ws.journal, old))
        pt = ws.posterm()
        ready(pt)
        serve(pt, customers, [("12.30", W(0, 33)), ("2.00", A(0, 34)), ("6.00", W(0, 35))],
              problems)
        finish(pt, problems, "the run on a fresh journal")
        ledger = ws.sim.audit()
        rows, dup = harness.merged_rows([old, ws.journal])
        problems += dup + harness.money_problems(ledger, customers)
        problems += harness.audit_ledger(None, ledger, rows)[0]
        print("orders: %s" % sorted(rows))
    return problems


# --- 2. what a reply proves ---

def replayed_refusal(build, channel):
    """A genuine signed refusal captured from one order is replayed as the answer to the next
    pay, which the gateway did charge. WeChat: the reply's nonce was seen before, so the reply
    is refused; Alipay: the refusal names no order, so it is UNKNOWN and a query finds the
    charge. Either way the charged customer must see PAID, never FAILED."""
    problems, customers = [], {}
    with harness.Workspace(build) as ws:
        pt = ws.posterm()
        ready(pt)
        if channel == "wechat":
            refused_code, victim_code = W(1, 40), W(0, 41)
        else:
            ws.sim.control("/_sim/script", {"scenario": "unbound_refusal", "channel": "alipay"})
            refused_code, victim_code = A(0, 40), A(0, 41)
        first = pay_final(pt, "9.90", refused_code)
        armed = ws.sim.control("/_sim/replay", {"op": "pay", "from_order": first["order"]})
        print("captured %s's refusal (HTTP %d); replaying it to the next pay" % (
            first["order"], armed["armed"]["status"]))
        ev = pay_final(pt, "9.90", victim_code)
        customers[victim_code] = 990
        if ev["state"] == "FAILED":
            problems.append("the replayed refusal was believed: %s FAILED (%s) although the "
                            "gateway charged the customer" % (ev["order"], ev.get("error")))
        elif ev["state"] != "PAID":
            problems.append("%s ended %s, expected PAID" % (ev["order"], ev["state"]))
        finish(pt, problems, "posterm")
        ledger = ws.sim.audit()
        health = ws.sim.get("/_sim/health")
        if health["replayed"] != 1:
            problems.append("the simulator replayed %d replies, expected 1" % health["replayed"])
        problems += harness.money_problems(ledger, customers)
        problems += harness.audit(ws.journal, ws.sim)[0]
    return problems


def missing_fact(build, channel, scenario):
    """A verified pay reply that leaves out the amount (or the order number) is not proof of
    payment: posterm must find out by a query, and end PAID for the right amount."""
    problems, customers = [], {}
    with harness.Workspace(build) as ws:
        ws.sim.control("/_sim/script", {"scenario": scenario, "channel": channel})
        pt = ws.posterm()
        ready(pt)
        code = W(0, 50) if channel == "wechat" else A(0, 50)
        ev = pay_final(pt, "12.30", code)
        customers[code] = 1230
        if ev["state"] != "PAID":
            problems.append("%s ended %s, expected PAID" % (ev["order"], ev["state"]))
        finish(pt, problems, "posterm")
        ledger = ws.sim.audit()
        trade = next((t for t in ledger["trades"] if t["out_trade_no"] == ev["order"]), None)
        if trade is not None and trade["query_requests"] == 0:
            problems.append("%s: the pay reply without %s was believed as it stood (the "
                            "gateway was never queried)" % (
                                ev["order"], "an amount" if "amount" in scenario else
                                "an order number"))
        problems += harness.money_problems(ledger, customers)
        problems += harness.audit(ws.journal, ws.sim)[0]
    return problems


def refund_short(build, channel):
    """The gateway grants 1.50 of a 4.00 refund and says so: the journal must record 1.50,
    the gateway's amount, not the 4.00 asked."""
    problems, customers = [], {}
    with harness.Workspace(build) as ws:
        pt = ws.posterm()
        ready(pt)
        code = W(0, 60) if channel == "wechat" else A(0, 60)
        ev = pay_final(pt, "10.00", code)
        customers[code] = 1000
        ws.sim.control("/_sim/script", {"scenario": "refund_short", "fen": 150,
                                        "channel": channel})
        pt.send("refund %s 4.00" % ev["order"])
        finish(pt, problems, "posterm")
        ledger = ws.sim.audit()
        trade = next(t for t in ledger["trades"] if t["out_trade_no"] == ev["order"])
        row = harness.journal_rows(ws.journal)[ev["order"]]
        if trade["refunded_fen"] != 150:
            problems.append("the simulator gave back %d fen, expected 150" % trade["refunded_fen"])
        if row["refunded_fen"] != trade["refunded_fen"]:
            problems.append("%s: the gateway gave back %d fen, the journal says %d" % (
                ev["order"], trade["refunded_fen"], row["refunded_fen"]))
        print("%s: asked 4.00 back, gateway gave %d fen, journal %d fen (%s)" % (
            ev["order"], trade["refunded_fen"], row["refunded_fen"], row["state"]))
        # The customer was charged once and kept the charge (less a part refund): what
        # money_problems checks, for a trade still "charged".
        problems += harness.money_problems(ledger, customers)
        problems += harness.audit(ws.journal, ws.sim)[0]
    return problems


CASES = {
    "clone_terminal": clone_terminal,
    "clone_image": clone_image,
    "reuse_journal": reuse_journal,
    "replay_wechat": lambda b: replayed_refusal(b, "wechat"),
    "replay_alipay": lambda b: replayed_refusal(b, "alipay"),
    "no_amount_wechat": lambda b: missing_fact(b, "wechat", "success_no_amount"),
    "no_amount_alipay": lambda b: missing_fact(b, "alipay", "success_no_amount"),
    "no_order_wechat": lambda b: missing_fact(b, "wechat", "success_no_order"),
    "no_order_alipay": lambda b: missing_fact(b, "alipay", "success_no_order"),
    "refund_short_wechat": lambda b: refund_short(b, "wechat"),
    "refund_short_alipay": lambda b: refund_short(b, "alipay"),
}


if __name__ == "__main__":
    sys.exit(harness.run_cases("test_attacks.py", CASES, sys.argv))
