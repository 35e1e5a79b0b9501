#!/usr/bin/env python3
"""test_till.py - the till's promises end to end: the till stays free, refunds are not
repeated by accident, unresolved payments come first and fail closed, a wrong clock is
said, and no whole payment code is left on disk.

    test_till.py BUILD_DIR CASE        (CASE from CASES below, or "all")

Money is judged by the simulator's ledger (what the gateway charged and gave back) and the
journal is audited against it (harness.audit), not only by what posterm printed.
"""
import json
import os
import subprocess
import sys
import time

import harness

W, A = harness.wechat_code, harness.alipay_code


def refused_new_payment(pt, needles, problems, what, known):
    """Sends amount 1.00 and expects it refused (a message with one of needles), with no
    payment event for any order but those known; records a problem otherwise."""
    mark = len(pt.seen)
    pt.send("amount 1.00")
    try:
        msg = pt.wait(lambda e: e.get("event") == "message" and e["level"] in ("warn", "error")
                      and any(n in e["text"] for n in needles), timeout=10,
                      what="amount 1.00 refused (%s)" % what, since=mark)
    except AssertionError as e:
        problems.append("amount 1.00 was not refused with a reason (%s): %s" % (what, e))
        msg = None
    if msg:
        print("amount 1.00 -> %s" % msg["text"])
    pt.drain(2)
    made = sorted({e["order"] for e in pt.seen[mark:] if e.get("event") == "payment"
                   and e["order"] not in known})
    if made:
        problems.append("%s: a new order was started anyway: %s" % (what, made))
    return msg


# --- 1. the till stays free while an old payment is being cancelled ---

def next_customer(pt, old, problems):
    """amount 1.00 while old is CANCELLING: must be taken at once. Returns the new order, or
    None (a problem recorded) when the till refused it."""
    mark = len(pt.seen)
    t0 = time.time()
    pt.send("amount 1.00")
    try:
        created = pt.wait(lambda e: e.get("event") == "payment" and e["transition"] == "created"
                          and e["order"] != old, timeout=5, what="the next customer's order",
                          since=mark)
    except AssertionError:
        said = [e["text"] for e in pt.seen[mark:] if e.get("event") == "message"]
        problems.append("the till refused the next customer while %s was cancelling: %s" % (
            old, said))
        return None
    print("%s cancelling; next order %s taken after %.0f ms" % (
        old, created["order"], (time.time() - t0) * 1000))
    return created["order"]


def still_cancelling(ws, pt, old, new, problems):
    """Status while old cancels behind new: one in the background, new at the counter, old
    CANCELLING in the journal."""
    status = pt.status()
    if status.get("background") != 1:
        problems.append("status shows %s in the background, expected 1: %s" % (
            status.get("background"), status))
    if status.get("current", {}).get("order") != new:
        problems.append("status's current payment is not the new order: %s" % status)
    state = harness.journal_rows(ws.journal)[old]["state"]
    if state != "CANCELLING":
        problems.append("%s is %s while its cancel is unanswered, expected CANCELLING" % (
            old, state))


def end_background(ws, pt, old, new, code, problems):
    ev = pt.wait_state(harness.FINAL, new, timeout=30)
    if ev["state"] != "PAID":
        problems.append("the new order %s ended %s" % (new, ev["state"]))
    pt.wait_state(harness.FINAL, old, timeout=40)
    if pt.finish() != 0:
        problems.append("posterm did not exit cleanly")
    audit_problems, rows, ledger = harness.audit(ws.journal, ws.sim)
    problems += audit_problems
    if rows[old]["state"] != "CANCELLED":
        problems.append("%s ended %s, expected CANCELLED" % (old, rows[old]["state"]))
    problems += harness.money_problems(ledger, {code: 100})
    return ledger


def background_outage(build):
    """The gateway stops answering altogether during a payment and the cashier aborts it: it
    is CANCELLING, and the next customer's order is taken at once while the old payment goes
    on cancelling in the background. When the gateway is back both end as they must: the
    old one cancelled, the new one paid."""
    problems = []
    outage = 16
    with harness.Workspace(build) as ws:
        pt = ws.posterm()
        pt.ready()
        ws.sim.control("/_sim/unreachable?seconds=%d" % outage)
        down_at = time.time()
        old = pt.pay("2.00", W(0, 10))
        pt.wait_state("QUERYING", old)
        pt.send("abort")
        pt.wait_state("CANCELLING", old, timeout=15)
        new = next_customer(pt, old, problems)
        if new is None:
            pt.kill()
            return problems
        still_cancelling(ws, pt, old, new, problems)
        if time.time() > down_at + outage - 1:
            problems.append("the checks took longer than the outage: they prove nothing")
        harness.wait_sim_back(ws.sim, outage + 10)
        code = W(0, 11)
        pt.send("scan " + code)
        end_background(ws, pt, old, new, code, problems)
    return problems


def background_charged(build, channel):
    """The customer was charged but the pay's reply was lost and queries find nothing, so the
    payment's window closes: posterm must cancel it (the money goes back), and the gateway
    takes each cancel but does not answer it (replies held past posterm's timeout). Meanwhile
    the next customer is served and PAID; the old payment is still cancelling behind it, and
    ends CANCELLED with the money returned once a cancel is answered."""
    problems = []
    unanswered = 4
    with harness.Workspace(build) as ws:
        ws.sim.control("/_sim/script", [
            {"scenario": "drop_after_commit", "op": "pay", "channel": channel},
            {"scenario": "query_not_found", "op": "query", "channel": channel, "count": 100,
             "seconds": 60},
            {"scenario": "slow_reply", "op": "cancel", "channel": channel,
             "count": unanswered, "seconds": 4}])
        pt = ws.posterm()
        pt.ready()
        old = pt.pay("2.00", W(0, 12) if channel == "wechat" else A(0, 12))
        pt.wait_state("CANCELLING", old, timeout=20)
        new = next_customer(pt, old, problems)
        if new is None:
            pt.kill()
            return problems
        code = W(0, 13) if channel == "alipay" else A(0, 13)  # the other channel: no script
        pt.send("scan " + code)
        pt.wait_state("PAID", new, timeout=10)
        still_cancelling(ws, pt, old, new, problems)
        ledger = end_background(ws, pt, old, new, code, problems)
        trade = next((t for t in ledger["trades"] if t["out_trade_no"] == old), {})
        print("%s at the gateway: %s, charged %s, %s cancel requests" % (
            old, trade.get("state"), trade.get("charged"), trade.get("cancel_requests")))
        if trade.get("charged") != 1 or trade.get("state") != "cancelled":
            problems.append("%s was meant to be charged then cancelled: %s" % (old, trade))
        elif trade.get("cancel_requests", 0) <= unanswered:
            problems.append("%s: only %s cancel requests; the unanswered ones were not retried" % (
                old, trade.get("cancel_requests")))
    return problems


# --- 2. refunds: keys, one at a time ---

def refunded(pt, order, amount, timeout=30):
    """Waits until order shows amount refunded in all, the refund finished."""
    return pt.wait(lambda e: e.get("event") == "payment" and e["order"] == order
                   and e["refunded"] == amount and e["state"] != "REFUNDING", timeout,
                   "%s refunded %s" % (order, amount))


def paid_order(pt, amount, code):
    order = pt.pay(amount, code)
    ev = pt.wait_state(harness.FINAL, order)
    assert ev["state"] == "PAID", ev
    return order


def ledger_refunds(ws, order):
    trade = next(t for t in ws.sim.audit()["trades"] if t["out_trade_no"] == order)
    return trade["refunds"], trade["refunded_fen"]


def end_refund_case(ws, pt, problems, order, want_refunds, want_fen):
    if pt.finish() != 0:
        problems.append("posterm did not exit cleanly")
    refunds, fen = ledger_refunds(ws, order)
    print("%s: the gateway made %d refund(s), %d fen in all: %s" % (
        order, len(refunds), fen, [(r["request_no"], r["amount_fen"]) for r in refunds]))
    if len(refunds) != want_refunds or fen != want_fen:
        problems.append("%s: expected %d refund(s), %d fen; the gateway made %d, %d fen" % (
            order, want_refunds, want_fen, len(refunds), fen))
    problems += harness.audit(ws.journal, ws.sim)[0]


def refund_key(build, channel):
    """The same refund asked again with its key (a retried script, a double click): the
    first refund's state comes back as a message, nothing is sent, one refund."""
    problems = []
    with harness.Workspace(build) as ws:
        pt = ws.posterm()
        pt.ready()
        order = paid_order(pt, "10.00", W(0, 20) if channel == "wechat" else A(0, 20))
        pt.send("refund %s 3.00 K-%s-1" % (order, channel))
        refunded(pt, order, "3.00")
        mark = len(pt.seen)
        pt.send("refund %s 3.00 K-%s-1" % (order, channel))
        try:
            msg = pt.message("was asked before with this key", since=mark)
            if msg["level"] != "info" or "nothing sent" not in msg["text"]:
                problems.append("the repeat's answer: %s" % msg)
            print("the repeat: %s" % msg["text"])
        except AssertionError as e:
            problems.append("the same key again was not answered with the first refund: %s" % e)
        pt.drain(2)
        again = [e for e in pt.seen[mark:] if e.get("event") == "payment"
                 and e["order"] == order and e["state"] == "REFUNDING"]
        if again:
            problems.append("the repeat started another refund: %s" % again[0])
        end_refund_case(ws, pt, problems, order, 1, 300)
    return problems


def refund_under_way(build):
    """A refund is still processing at the gateway when another is asked for the same order
    (another amount, another key): refused, saying one is under way. The same key as the one
    under way gets its state back. One refund, the first amount."""
    problems = []
    with harness.Workspace(build) as ws:
        pt = ws.posterm()
        pt.ready()
        order = paid_order(pt, "10.00", A(0, 21))
        ws.sim.control("/_sim/script", {"scenario": "refund_processing", "op": "refund",
                                        "seconds": 6})
        pt.send("refund %s 1.00 K-first" % order)
        pt.wait_state("REFUNDING", order)
        for line, needle in (("refund %s 3.00 K-second" % order, "is under way"),
                             ("refund %s 3.00" % order, "is under way"),
                             ("refund %s 1.00 K-first" % order, "was asked before with this key")):
            mark = len(pt.seen)
            pt.send(line)
            try:
                msg = pt.message(needle, since=mark)
                print("%s -> %s" % (line, msg["text"]))
            except AssertionError as e:
                problems.append("%r while a refund was under way: no %r message (%s)" % (
                    line, needle, e))
        refunded(pt, order, "1.00", timeout=40)
        pt.drain(1)
        end_refund_case(ws, pt, problems, order, 1, 100)
    return problems


def refund_key_other(build):
    """A key already used for one refund, sent with another amount or another order: refused,
    saying what the key was used for; nothing sent."""
    problems = []
    with harness.Workspace(build) as ws:
        pt = ws.posterm()
        pt.ready()
        order = paid_order(pt, "10.00", W(0, 22))
        other = paid_order(pt, "5.00", A(0, 23))
        pt.send("refund %s 3.00 K-used" % order)
        refunded(pt, order, "3.00")
        for line in ("refund %s 2.00 K-used" % order, "refund %s 3.00 K-used" % other):
            mark = len(pt.seen)
            pt.send(line)
            try:
                msg = pt.message("that refund key was used for a refund of", since=mark)
                print("%s -> %s" % (line, msg["text"]))
            except AssertionError as e:
                problems.append("%r was not refused: %s" % (line, e))
        pt.drain(2)
        end_refund_case(ws, pt, problems, order, 1, 300)
        refunds, fen = ledger_refunds(ws, other)
        if refunds or fen:
            problems.append("%s was refunded under another order's key: %s" % (other, refunds))
    return problems


def refund_twice(build):
    """Without a key, the same refund asked again after the first finished is a second
    refund, by design (the cashier screen asks first; headless callers use keys): the
    gateway's ledger shows two."""
    problems = []
    with harness.Workspace(build) as ws:
        pt = ws.posterm()
        pt.ready()
        order = paid_order(pt, "10.00", W(0, 24))
        pt.send("refund %s 3.00" % order)
        refunded(pt, order, "3.00")
        pt.send("refund %s 3.00" % order)
        refunded(pt, order, "6.00")
        end_refund_case(ws, pt, problems, order, 2, 600)
    return problems


# --- 3. unresolved payments are resumed before a new one ---

def resume_first(build):
    """posterm starts on a journal holding unresolved payments (left by SIGKILL while the
    gateway was down) and is asked for a new payment the moment it is ready: every unresolved
    payment's resume must come before the new order is created."""
    problems = []
    outage = 20
    with harness.Workspace(build) as ws:
        ws.sim.control("/_sim/unreachable?seconds=%d" % outage)
        unresolved = harness.leave_unresolved(ws, [W(0, 30), A(0, 31), W(0, 32)])
        pt = ws.posterm()
        pt.ready()
        pt.send("amount 1.00")
        new = pt.wait(lambda e: e.get("event") == "payment" and e["transition"] == "created",
                      timeout=10, what="the new order")
        at = pt.seen.index(new)
        for order in unresolved:
            first = next((i for i, e in enumerate(pt.seen) if e.get("event") == "payment"
                          and e["order"] == order), None)
            if first is None or first > at:
                problems.append("%s was not resumed before the new order %s was created" % (
                    order, new["order"]))
            elif pt.seen[first]["transition"] not in ("resumed", "cancel_decided"):
                problems.append("%s's first event after the restart was %s" % (
                    order, pt.seen[first]["transition"]))
        print("events up to the new order: %s" % [
            (e.get("order"), e.get("transition")) for e in pt.seen[:at + 1]
            if e.get("event") == "payment"])
        harness.wait_sim_back(ws.sim, outage + 10)
        pt.send("scan " + W(0, 33))
        pt.wait_state(harness.FINAL, new["order"], timeout=30)
        for order in unresolved:
            pt.wait_state(harness.FINAL, order, timeout=60)
        if pt.finish() != 0:
            problems.append("posterm did not exit cleanly")
        problems += harness.audit(ws.journal, ws.sim)[0]
    return problems


# --- 4. a damaged unresolved index stops new payments ---

def damaged_unresolved(build, big):
    """The partial index that finds unresolved payments is damaged while posterm is stopped.
    posterm must not take a payment it could not tell apart from those it cannot read: it
    says why (at the read of the unresolved payments, or earlier when the journal's own check
    refuses the file), status says it is not taking payments, amount 1.00 is refused, and no
    order is created. big: a journal of 20,000 payments (bench_journal), too big for the full
    check at start, so that the read of the unresolved payments is the first to meet the
    damage; otherwise a small one with payments left unresolved by SIGKILL."""
    problems = []
    with harness.Workspace(build) as ws:
        if big:
            maker = os.path.join(build, "tests", "bench", "bench_journal")
            subprocess.run([maker, "make", ws.journal, "20000", "3"], check=True,
                           stdout=subprocess.DEVNULL)
            rows = harness.journal_rows(ws.journal)
            unresolved = sorted(o for o, r in rows.items() if r["state"] not in harness.FINAL)
        else:
            ws.sim.control("/_sim/unreachable?seconds=10")
            unresolved = harness.leave_unresolved(ws, [W(0, 40), A(0, 41)])
        harness.checkpoint(ws.journal)
        before = set(harness.journal_rows(ws.journal))
        pages = harness.damage_index(ws.journal, "payments_unresolved")
        print("unresolved %s; index pages %s overwritten" % (unresolved, pages))

        pt = ws.posterm()
        try:
            said = pt.wait(lambda e: e.get("event") == "message" and e["level"] == "error"
                           and ("cannot read unresolved payments" in e["text"]
                                or "journal" in e["text"]), 20, "the journal's problem said")
            print("posterm said: %s" % said["text"])
        except AssertionError as e:
            problems.append("posterm did not say why it cannot take payments: %s" % e)
        if pt.proc.poll() is None:
            status = pt.status()
            if status.get("taking_payments") is not False:
                problems.append("status does not say payments are refused: %s" % status)
            # "cannot take payments": the refusal itself, whether for the unresolved payments
            # (could not all be read) or for the journal refused at open; not a journal error
            # met while writing a payment already under way.
            refused_new_payment(pt, ("could not all be read", "cannot take payments"),
                                problems, "damaged unresolved index", before)
            pt.send("quit")
            pt.kill()
        else:
            print("posterm refused to start (exit %s): %s" % (
                pt.proc.returncode, pt.stderr_tail(400)))
        after = set(harness.journal_rows(ws.journal))
        if after - before:
            problems.append("new orders in the journal: %s" % sorted(after - before))
        harness.wait_sim_back(ws.sim)
        trades = {t["out_trade_no"] for t in ws.sim.audit()["trades"]}
        if trades - before:
            problems.append("the gateway saw orders posterm made after the damage: %s" % (
                sorted(trades - before)))
    return problems


# --- 5. the clock alarm ---

def clock_alarm(build, channel):
    """The gateway's clock is 15 minutes ahead of the terminal's. After a payment attempt,
    headless status shows the skew and an error about the clock is said, once (a second
    payment does not repeat it). Alipay pays regardless; WeChat refuses the terminal's
    stale requests, so its payment is cancelled once the clock is put right."""
    problems = []
    with harness.Workspace(build) as ws:
        pt = ws.posterm()
        pt.ready()
        ws.sim.control("/_sim/clock", {"offset_s": 900})
        code = W(0, 50) if channel == "wechat" else A(0, 50)
        first = pt.pay("4.00", code)
        if channel == "alipay":
            ev = pt.wait_state(harness.FINAL, first)
            if ev["state"] != "PAID":
                problems.append("%s ended %s with the clock off" % (first, ev["state"]))
        try:
            msg = pt.wait(lambda e: e.get("event") == "message" and e["level"] == "error"
                          and "clock" in e["text"], 15, "the clock alarm")
            print("posterm said: %s" % msg["text"])
        except AssertionError as e:
            problems.append("no error about the clock: %s" % e)
        status = pt.status()
        skew = status.get("clock_skew_s")
        print("status: clock_skew_s %s" % skew)
        if not isinstance(skew, (int, float)) or abs(skew) <= 300 or abs(abs(skew) - 900) > 30:
            problems.append("status clock_skew_s is %s, expected about 900" % skew)
        if channel == "alipay":
            second = pt.pay("5.00", A(0, 51))
            pt.wait_state(harness.FINAL, second)
        else:
            pt.drain(3)  # the query after the refused pay, refused as well
        said = [e for e in pt.seen if e.get("event") == "message" and "clock" in e["text"]]
        if len(said) != 1:
            problems.append("the clock alarm was said %d times: %s" % (
                len(said), [e["text"] for e in said]))

        ws.sim.control("/_sim/clock", {"offset_s": 0})
        pt.wait_state(harness.FINAL, first, timeout=60)
        if pt.finish() != 0:
            problems.append("posterm did not exit cleanly")
        problems += harness.audit(ws.journal, ws.sim)[0]
    return problems


def gateway_health(build):
    """Headless status says what the cashier's header says: the gateway online, slow while
    a reply takes 5 s, down after an HTTP 503 as after no answer; after an abort, when the
    cancel may go."""
    problems = []
    with harness.Workspace(build) as ws:
        pt = ws.posterm()
        pt.ready()
        if pt.status().get("gateway") != "online":
            problems.append("a fresh terminal's gateway is not online")
        slow = pt.pay("3.00", W(5))  # the reply comes 5 s late
        time.sleep(3)
        status = pt.status()
        if status.get("gateway") != "slow":
            problems.append("gateway %r while a reply is 3 s late" % status.get("gateway"))
        pt.wait_state(harness.FINAL, slow)
        down = pt.pay("5.00", A(7))  # HTTP 503
        pt.wait(lambda e: e.get("event") == "payment" and e["order"] == down
                and e["transition"] != "created" and e["state"] != "PAYING", 20, "the 503")
        status = pt.status()
        if status.get("gateway") != "down" or status.get("gateway_reachable"):
            problems.append("after an HTTP 503 the gateway is %r (reachable %r)" % (
                status.get("gateway"), status.get("gateway_reachable")))
        pt.send("abort")
        pt.wait(lambda e: e.get("event") == "payment" and e["transition"] in
                ("abort_requested", "cancel_decided"), 10, "the abort")
        cur = pt.status().get("current", {})
        if cur.get("state") in ("PAYING", "QUERYING") and "cancel_allowed_in_ms" not in cur:
            problems.append("status after an abort has no cancel_allowed_in_ms: %s" % cur)
        pt.wait_state(harness.FINAL, down, timeout=60)
        if pt.finish() != 0:
            problems.append("posterm did not exit cleanly")
        problems += harness.audit(ws.journal, ws.sim)[0]
    return problems


def config_with(ws, section, values, extra=None):
    """The workspace's config with values merged into one section; its path."""
    path = ws.config(extra=extra)
    with open(path) as f:
        cfg = json.load(f)
    cfg.setdefault(section, {}).update(values)
    with open(path, "w") as f:
        json.dump(cfg, f)
    return path


def gateway_slow_config(build):
    """http.gateway_slow_ms 8000: status keeps the gateway online while a reply is 3 s late
    (the default 2 s would call it slow), as the screen's header does."""
    problems = []
    with harness.Workspace(build) as ws:
        pt = harness.Posterm(build, config_with(ws, "http", {"gateway_slow_ms": 8000}))
        pt.ready()
        late = pt.pay("3.00", W(5))  # the reply comes 5 s late
        time.sleep(2.5)
        status = pt.status()
        if status.get("gateway") != "online":
            problems.append("gateway %r 2.5 s into a reply under an 8 s threshold" %
                            status.get("gateway"))
        pt.wait_state(harness.FINAL, late)
        if pt.status().get("gateway") != "online":
            problems.append("gateway not online after the late reply under an 8 s threshold")
        if pt.finish() != 0:
            problems.append("posterm did not exit cleanly")
        problems += harness.audit(ws.journal, ws.sim)[0]
    return problems


def code_first(build, keep):
    """A payment code before the amount, headless: refused with "enter the amount first" by
    default; with screen.code_before_amount "keep" kept, and paid by the next amount."""
    problems = []
    with harness.Workspace(build) as ws:
        extra = {"screen": {"code_before_amount": "keep"}} if keep else None
        pt = harness.Posterm(build, ws.config(extra=extra))
        pt.ready()
        pt.send("scan " + W(0))
        said = pt.message("kept: key the amount" if keep else "ignored: enter the amount first",
                          level="info" if keep else "warn")
        if W(0) in said["text"]:
            problems.append("the whole code in a message: %s" % said["text"])
        pt.send("amount 12.30")
        created = pt.wait(lambda e: e.get("event") == "payment" and e["transition"] == "created",
                          what="the order")
        if keep:
            paid = pt.wait_state(harness.FINAL, created["order"])
            if paid["state"] != "PAID":
                problems.append("the kept code did not pay: %s" % paid)
        else:
            pt.drain(1.5)
            moved = [e for e in pt.seen if e.get("event") == "payment"
                     and e["order"] == created["order"] and e["state"] != "NEW"]
            if moved:
                problems.append("a refused code paid anyway: %s" % moved)
            pt.send("abort")
        if pt.finish() != 0:
            problems.append("posterm did not exit cleanly")
        problems += harness.audit(ws.journal, ws.sim)[0]
    return problems


# --- 6. no whole payment code on disk ---

def code_digits_found(paths, codes):
    """(path, code) for each file that holds a code's digits before its last four."""
    found = []
    for path in paths:
        if not os.path.exists(path):
            continue
        with open(path, "rb") as f:
            data = f.read()
        for code in codes:
            if code[:-4].encode() in data:
                found.append((os.path.basename(path), code))
    return found


def no_full_code(build):
    """After a paid and a refused payment (and one left in doubt by a dropped reply), neither
    the journal, its WAL nor posterm's log holds any payment code's digits beyond the last
    four: checked while posterm runs and after it exits."""
    problems = []
    with harness.Workspace(build) as ws:
        log = os.path.join(ws.dir, "posterm.log")
        config = ws.config(extra={"log": log})
        pt = harness.Posterm(build, config)
        pt.ready()
        codes = [W(0, 60), W(1, 61), A(6, 62)]  # paid, insufficient funds, reply dropped
        for code, amount in zip(codes, ("3.00", "4.00", "5.00")):
            order = pt.pay(amount, code)
            pt.wait_state(harness.FINAL, order, timeout=60)
        files = [ws.journal, ws.journal + "-wal", log, pt.log_path]
        present = [os.path.basename(p) for p in files if os.path.exists(p)]
        running = code_digits_found(files, codes)
        if pt.finish() != 0:
            problems.append("posterm did not exit cleanly")
        after = code_digits_found(files, codes)
        print("searched %s for %d codes: %d found while running, %d after" % (
            present, len(codes), len(running), len(after)))
        for where, code in running:
            problems.append("%s held ...%s's whole code while posterm ran" % (where, code[-4:]))
        for where, code in after:
            problems.append("%s holds ...%s's whole code after posterm exited" % (
                where, code[-4:]))
        if not any(os.path.basename(log) == p for p in present):
            problems.append("posterm wrote no log at %s: nothing was checked there" % log)
        problems += harness.audit(ws.journal, ws.sim)[0]
    return problems


CASES = {
    "background_outage": background_outage,
    "background_charged_wechat": lambda b: background_charged(b, "wechat"),
    "background_charged_alipay": lambda b: background_charged(b, "alipay"),
    "refund_key_wechat": lambda b: refund_key(b, "wechat"),
    "refund_key_alipay": lambda b: refund_key(b, "alipay"),
    "refund_under_way": refund_under_way,
    "refund_key_other": refund_key_other,
    "refund_twice": refund_twice,
    "resume_first": resume_first,
    "damaged_unresolved": lambda b: damaged_unresolved(b, big=False),
    "damaged_unresolved_big": lambda b: damaged_unresolved(b, big=True),
    "clock_alipay": lambda b: clock_alarm(b, "alipay"),
    "clock_wechat": lambda b: clock_alarm(b, "wechat"),
    "no_full_code": no_full_code,
    "gateway_health": gateway_health,
    "gateway_slow_config": gateway_slow_config,
    "code_first": lambda b: code_first(b, keep=False),
    "code_kept": lambda b: code_first(b, keep=True),
}


if __name__ == "__main__":
    sys.exit(harness.run_cases("test_till.py", CASES, sys.argv))
