#!/usr/bin/env python3
"""test_reconcile.py - the gateways' daily bills against the journal (issue 21), through the
real posterm (headless) and the real posterm-sim.

    test_reconcile.py BUILD_DIR CASE|all

Cases:
  clean        a day of payments and a refund on both channels: every row matched, no
               difference, no alert, the CSV holds only its header; a date that is no day and
               extra words get the usage, the CSV of a day not reconciled is refused
  differences  a charge at the gateway this terminal never saw (its own order prefix), a
               payment PAID here but missing from the bill, an amount changed, a refund made
               in the merchant portal, and another terminal's charge: each found once, nothing
               else; journaled; each an alert in status until `reconcile ack`; the day run
               again replaces its rows; the CSV lists them
  slow         the bill's download held back: while it runs the till answers status at once
               and takes a payment to PAID, then the reconciliation ends; quit during another
               one does not wait for it
  garbled      a damaged zip, a gzip cut short and a WeChat hash that does not match each end
               in reconcile_failed naming the channel, and leave the day's last good result in
               the journal as it was
  printed      with a printer configured (the virtual one), a run that finds differences
               prints the day's slip once (each channel's counts, each difference); a clean
               run prints none
  daily        with reconcile.daily_at passed, posterm reconciles the last week by itself,
               newest day first; a day whose bill is damaged fails without holding up the
               others; after a restart only that day is tried again
"""
import datetime
import os
import sqlite3
import sys
import time
import urllib.request

import harness


def bill_date():
    """The gateways' bill day: the Beijing date of the payments just made."""
    return (datetime.datetime.now(datetime.timezone.utc)
            + datetime.timedelta(hours=8)).strftime("%Y-%m-%d")


def not_near_midnight():
    """A day's payments and its bill must fall on the same Beijing day."""
    now = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=8)
    if now.hour == 23 and now.minute >= 58:
        time.sleep((60 - now.minute) * 60 - now.second + 5)


def reconcile(pt, date, timeout=30):
    """Runs the day; returns (differences, summary) or (None, the reconcile_failed event)."""
    since = len(pt.seen)
    pt.send("reconcile " + date)
    pt.wait(lambda e: e.get("event") == "reconcile_started", what="reconcile_started",
            since=since)
    end = pt.wait(lambda e: e.get("event") in ("reconcile", "reconcile_failed"), timeout,
                  "the reconciliation's end", since)
    if end["event"] == "reconcile_failed":
        return None, end
    diffs = [e for e in pt.seen[since:] if e.get("event") == "reconcile_difference"]
    return diffs, end


def alerts(pt):
    return pt.status().get("reconcile_alerts")


def journal_items(path):
    db = sqlite3.connect(path)
    rows = sorted(db.execute("SELECT channel, kind, order_no, refund_no, bill_fen, journal_fen,"
                             " acknowledged_at FROM reconcile_items"))
    runs = sorted(db.execute("SELECT date, channel, started_at FROM reconciliations"))
    db.close()
    return rows, runs


def day_of_payments(pt):
    """One payment on each channel and a partial refund: returns the orders."""
    a = pt.pay("12.30", harness.alipay_code(0))
    pt.wait_state("PAID", a)
    w = pt.pay("5.00", harness.wechat_code(0))
    pt.wait_state("PAID", w)
    pt.send("refund %s 1.00" % w)
    pt.wait(lambda e: e.get("event") == "payment" and e["order"] == w
            and e["transition"] == "refunded", what="refund of the WeChat order")
    return a, w


def case_clean(build):
    problems = []
    not_near_midnight()
    with harness.Workspace(build) as ws:
        pt = ws.posterm()
        pt.ready()
        day_of_payments(pt)
        date = bill_date()
        for bad in ("reconcile 2026-02-30", "reconcile", "reconcile ack 26-12-08",
                    "reconcile %s extra" % date):
            since = len(pt.seen)
            pt.send(bad)
            pt.message("usage: reconcile YYYY-MM-DD", "warn", since=since)
        since = len(pt.seen)
        pt.send("reconcile csv " + date)
        pt.message("that day was not reconciled", "warn", since=since)
        diffs, end = reconcile(pt, date)
        if diffs is None:
            return ["reconcile failed: %s" % end]
        counts = {c["channel"]: (c["matched"], c["refund_matched"]) for c in end["channels"]}
        if diffs or end["differences"] != 0:
            problems.append("differences on a clean day: %s" % diffs)
        if counts != {"alipay": (1, 0), "wechat": (1, 1)}:
            problems.append("matched counts: %s" % end["channels"])
        if alerts(pt) != 0:
            problems.append("an alert on a clean day")
        since = len(pt.seen)
        pt.send("reconcile csv " + date)
        csv = pt.wait(lambda e: e.get("event") == "export", what="csv", since=since)["csv"]
        if csv.splitlines() != ["date,channel,kind,order_no,refund_no,trade_no,bill_amount,"
                                "journal_amount,bill_line,acknowledged_at"]:
            problems.append("csv of a clean day: %r" % csv)
        pt.send("quit")
        pt.finish()
        rows, runs = journal_items(ws.journal)
        if rows or [r[:2] for r in runs] != [(date, "alipay"), (date, "wechat")]:
            problems.append("journal: %s %s" % (rows, runs))
    return problems


def case_differences(build):
    problems = []
    not_near_midnight()
    with harness.Workspace(build) as ws:
        pt = ws.posterm()
        pt.ready()
        a, w = day_of_payments(pt)
        changed = pt.pay("8.00", harness.alipay_code(0, customer=35))
        pt.wait_state("PAID", changed)
        missing = pt.pay("3.00", harness.wechat_code(0, customer=61))
        pt.wait_state("PAID", missing)
        date = bill_date()
        prefix = a[:a.rindex("-") + 1]
        unseen = prefix + "999999"
        inject = [
            {"channel": "alipay", "inject": "charge", "order": unseen, "fen": 4200},
            {"channel": "alipay", "inject": "amount", "order": changed, "fen": 799},
            {"channel": "wechat", "inject": "missing", "order": missing},
            {"channel": "wechat", "inject": "portal_refund", "order": w, "fen": 150,
             "refund_no": "PORTAL1"},
            {"channel": "wechat", "inject": "charge", "order": "OTHER-TILL-000001", "fen": 5},
        ]
        for body in inject:
            ws.sim.control("/_sim/bill", dict(body, date=date))
        want = sorted([("alipay", "charged_not_paid", unseen, "", "42.00", "0.00"),
                       ("alipay", "amount_differs", changed, "", "7.99", "8.00"),
                       ("wechat", "paid_not_in_bill", missing, "", "0.00", "3.00"),
                       ("wechat", "refund_outside", w, "PORTAL1", "1.50", "0.00")])
        for attempt in ("first", "again"):
            diffs, end = reconcile(pt, date)
            if diffs is None:
                return ["reconcile failed: %s" % end]
            got = sorted((d["channel"], d["kind"], d["order"], d["refund_no"], d["bill"],
                          d["journal"]) for d in diffs)
            if got != want or end["differences"] != 4:
                problems.append("%s run: differences %s, expected %s" % (attempt, got, want))
            foreign = {c["channel"]: c["foreign_rows"] for c in end["channels"]}
            if foreign != {"alipay": 0, "wechat": 1}:
                problems.append("%s run: foreign rows %s" % (attempt, foreign))
            if alerts(pt) != 4:
                problems.append("%s run: alerts %s, expected 4" % (attempt, alerts(pt)))
        path = os.path.join(ws.dir, "recon.csv")
        since = len(pt.seen)
        pt.send("reconcile csv %s %s" % (date, path))
        pt.wait(lambda e: e.get("event") == "export", what="csv export", since=since)
        lines = open(path).read().splitlines()
        if len(lines) != 5 or not any(unseen in l and "42.00" in l for l in lines):
            problems.append("csv: %s" % lines)
        since = len(pt.seen)
        pt.send("reconcile ack " + date)
        ack = pt.wait(lambda e: e.get("event") == "reconcile_ack", what="ack", since=since)
        if ack["acknowledged"] != 4 or ack["reconcile_alerts"] != 0 or alerts(pt) != 0:
            problems.append("ack: %s, status alerts %s" % (ack, alerts(pt)))
        pt.send("quit")
        pt.finish()
        rows, runs = journal_items(ws.journal)
        if len(rows) != 4 or any(r[6] == 0 for r in rows):
            problems.append("journal items after the second run and the ack: %s" % rows)
    return problems


def case_slow(build):
    problems = []
    not_near_midnight()
    with harness.Workspace(build) as ws:
        pt = ws.posterm()
        pt.ready()
        a = pt.pay("12.30", harness.alipay_code(0))
        pt.wait_state("PAID", a)
        date = bill_date()
        hold = 4  # the simulator stretches it by the slowdown, as the waits below are
        ws.sim.control("/_sim/bill", {"channel": "wechat", "date": date, "inject": "slow",
                                      "seconds": hold})
        # Three gateway requests (Alipay's bill address, WeChat's, WeChat's file: the sim
        # counts them as they arrive; Alipay's file is not counted) mean the download is held
        base = ws.sim.get("/_sim/health")["requests"]
        since = len(pt.seen)
        start = time.time()
        pt.send("reconcile " + date)
        pt.wait(lambda e: e.get("event") == "reconcile_started", what="started", since=since)
        while ws.sim.get("/_sim/health")["requests"] < base + 3:
            if time.time() - start > hold * pt.stretch:
                return problems + ["the bill's download never reached the simulator"]
            time.sleep(0.02)
        asked = time.time()
        st = pt.status(timeout=1)
        answered = time.time() - asked
        if not st.get("reconciling"):
            problems.append("status while reconciling: %s" % st)
        if answered > 0.5 * pt.stretch:
            problems.append("status took %.2f s while the bill downloaded" % answered)
        # Alipay: its bill was read before WeChat's download began, so this payment is in
        # neither bill nor in the journal's list read at the start (the simulator serves
        # today's bill before the day ends, unlike the real gateways)
        b = pt.pay("2.00", harness.alipay_code(0, customer=36))
        pt.wait_state("PAID", b, timeout=hold)
        paid_at = time.time()
        end = pt.wait(lambda e: e.get("event") in ("reconcile", "reconcile_failed"),
                      hold * 4, "the reconciliation's end", since)
        if end["event"] != "reconcile" or end["differences"] != 0:
            problems.append("end of the slow reconciliation: %s" % end)
        ended = [i for i, e in enumerate(pt.seen) if e is end][0]
        paid = [i for i, e in enumerate(pt.seen)
                if e.get("event") == "payment" and e.get("order") == b and e["state"] == "PAID"]
        if not paid or paid[0] > ended:
            problems.append("the payment waited for the bill (paid %.1f s after the start)"
                            % (paid_at - start))
        if time.time() - start < hold * 0.9:
            problems.append("the bill was not held back: the test proves nothing")
        # quit while a download is held back: posterm ends at once, the child with it
        since = len(pt.seen)
        pt.send("reconcile " + date)
        pt.wait(lambda e: e.get("event") == "reconcile_started", what="started", since=since)
        asked = time.time()
        pt.send("quit")
        pt.finish()
        if time.time() - asked > hold * 0.5:
            problems.append("quit waited %.1f s for the download" % (time.time() - asked))
    return problems


def case_garbled(build):
    problems = []
    not_near_midnight()
    with harness.Workspace(build) as ws:
        pt = ws.posterm()
        pt.ready()
        a, w = day_of_payments(pt)
        date = bill_date()
        ws.sim.control("/_sim/bill", {"channel": "alipay", "date": date, "inject": "missing",
                                      "order": a})
        diffs, end = reconcile(pt, date)
        if diffs is None or len(diffs) != 1:
            return ["the good run before the damage: %s %s" % (diffs, end)]
        good = journal_items(ws.journal)
        damages = [({"channel": "alipay", "inject": "garble"}, "alipay bill"),
                   ({"channel": "wechat", "inject": "garble"}, "wechat bill"),
                   ({"channel": "wechat", "inject": "bad_hash"}, "wechat bill")]
        for body, said in damages:
            req = urllib.request.Request(ws.sim.url("/_sim/bill"), method="DELETE")
            urllib.request.urlopen(req, timeout=5).close()
            ws.sim.control("/_sim/bill", {"channel": "alipay", "date": date,
                                          "inject": "missing", "order": a})
            ws.sim.control("/_sim/bill", dict(body, date=date))
            diffs, end = reconcile(pt, date)
            if diffs is not None:
                problems.append("%s: reconciled anyway: %s" % (body["inject"], end))
                continue
            if not end["error"].startswith(said):
                problems.append("%s: error %r does not name the %s" % (body, end["error"], said))
            if journal_items(ws.journal) != good:
                problems.append("%s: the journal changed" % body)
        if alerts(pt) != 1:
            problems.append("alerts after the failed runs: %s" % alerts(pt))
        pt.send("quit")
        pt.finish()
    return problems


def case_daily(build):
    problems = []
    not_near_midnight()
    now = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=8)
    week = [(now - datetime.timedelta(days=d)).strftime("%Y-%m-%d") for d in range(1, 8)]
    with harness.Workspace(build) as ws:
        ws.sim.control("/_sim/bill", {"channel": "alipay", "date": week[2], "inject": "garble"})
        config = ws.config(extra={"reconcile": {"daily_at": "00:00"}})
        pt = harness.Posterm(build, config)
        pt.ready()
        ends = []
        while len(ends) < 7:
            ends.append(pt.wait(lambda e: e.get("event") in ("reconcile", "reconcile_failed")
                                and e not in ends, 20, "scheduled day %d" % (len(ends) + 1)))
        got = [(e["date"], e["event"], e.get("scheduled")) for e in ends]
        want = [(d, "reconcile_failed" if d == week[2] else "reconcile", True) for d in week]
        if got != want:
            problems.append("the scheduled days: %s, expected %s" % (got, want))
        pt.send("quit")
        pt.finish()
        db = sqlite3.connect(ws.journal)
        days = sorted({r[0] for r in db.execute("SELECT date FROM reconciliations")})
        db.close()
        if days != sorted(d for d in week if d != week[2]):
            problems.append("days journaled: %s" % days)
        # the bill repaired, a restart tries that day (and only that day) again
        req = urllib.request.Request(ws.sim.url("/_sim/bill"), method="DELETE")
        urllib.request.urlopen(req, timeout=5).close()
        pt = harness.Posterm(build, config)
        pt.ready()
        end = pt.wait(lambda e: e.get("event") in ("reconcile", "reconcile_failed"), 20,
                      "the day that failed, again")
        if (end["event"], end["date"]) != ("reconcile", week[2]):
            problems.append("after the restart: %s" % end)
        pt.drain(1)
        more = [e for e in pt.seen if e.get("event", "").startswith("reconcile") and e is not end
                and e.get("event") != "reconcile_started"]
        if more:
            problems.append("days done again: %s" % more)
        pt.send("quit")
        pt.finish()
    return problems


def case_printed(build):
    problems = []
    not_near_midnight()
    with harness.Workspace(build) as ws:
        path = os.path.join(ws.dir, "receipts.txt")
        extra = {"merchant": {"name": "E2E Shop"},
                 "printer": {"kind": "virtual", "path": path, "paper_mm": 58}}
        pt = harness.Posterm(build, ws.config(extra=extra))
        pt.ready()
        a, _ = day_of_payments(pt)
        date = bill_date()
        diffs, end = reconcile(pt, date)
        if diffs is None or diffs:
            return ["the clean run: %s %s" % (diffs, end)]
        unseen = a[:a.rindex("-") + 1] + "999999"
        ws.sim.control("/_sim/bill", {"channel": "alipay", "inject": "charge", "order": unseen,
                                      "fen": 4200, "date": date})
        since = len(pt.seen)
        diffs, end = reconcile(pt, date)
        if diffs is None or len(diffs) != 1:
            return ["the run with a difference: %s %s" % (diffs, end)]
        pt.wait(lambda e: e.get("event") == "print" and e["what"] == "printed"
                and e.get("kind") == "recon", 20, "the reconciliation's slip printed", since)
        pt.drain(1)
        pt.send("quit")
        pt.finish()
        with open(path, encoding="utf-8") as f:
            paper = f.read()
        slips = paper.count("RECONCILIATION")
        if slips != 1:
            problems.append("%d reconciliation slips printed, expected 1" % slips)
        slip = paper[paper.find("RECONCILIATION"):]
        for want in (date, "Alipay", "WeChat Pay", "charged, not paid here", unseen,
                     "42.00", "Differences"):
            if want not in slip:
                problems.append("the slip does not say %r:\n%s" % (want, slip))
    return problems


CASES = {"clean": case_clean, "printed": case_printed, "differences": case_differences, "slow": case_slow,
         "garbled": case_garbled, "daily": case_daily}

if __name__ == "__main__":
    sys.exit(harness.run_cases(sys.argv[0], CASES, sys.argv))
