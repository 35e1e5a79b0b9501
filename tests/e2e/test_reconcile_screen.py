#!/usr/bin/env python3
"""test_reconcile_screen.py - the reconciliation's differences on the real cashier screen
(issue 21), in tmux against posterm-sim, in English and in Chinese.

    test_reconcile_screen.py BUILD_DIR CASE

ack / zh_ack: yesterday's bills (Beijing) hold two charges with this terminal's order prefix
that posterm never made. With reconcile.daily_at passed, the screen's own schedule reconciles
the week; the ready screen then shows the alert naming the two differences and the day. A
lists them (what differs, the order's short form, the bill's amount); a wrong supervisor's PIN
is refused with the tries left and acknowledges nothing (the alert stays); the right one
acknowledges both in the journal and the alert goes.
"""
import datetime
import os
import sqlite3
import subprocess
import sys

import harness
from test_screen import Screen

PIN = "4711"

WORDS = {
    "en": {"ready": "enter the amount", "alert": "Reconciliation: 2 to check on %s",
           "press": "supervisor: press A", "title": "differences with the gateways' bills",
           "charged": "charged, not paid here", "pin": "Supervisor PIN: ",
           "needed": "A supervisor must acknowledge the differences",
           "wrong": "Wrong PIN: 4 more tries", "acked": "2 checked and acknowledged"},
    "zh": {"ready": "请输入金额", "alert": "对账：2 笔差异（%s）", "press": "请主管按 A 查看",
           "title": "与网关账单不符之处", "charged": "网关已扣款，本机未收款",
           "pin": "主管密码：", "needed": "差异需由主管确认", "wrong": "密码错误：还可再试 4 次",
           "acked": "对账：已确认 2 笔差异"},
}


def yesterday():
    """The newest day the schedule reconciles: yesterday in Beijing, the gateways' bill day."""
    now = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=8)
    return (now - datetime.timedelta(days=1)).strftime("%Y-%m-%d")


def open_items(journal):
    db = sqlite3.connect(journal)
    rows = sorted(db.execute("SELECT date, order_no, acknowledged_at FROM reconcile_items"))
    db.close()
    return rows


def ack(scr, ws, w, date):
    unseen = ["E2E1-SIM-999991", "E2E1-SIM-999992"]
    alert = w["alert"] % date
    s = scr.wait(alert, w["press"], timeout=60)  # seven days reconciled, newest first
    assert w["ready"] in s, "the alert is not on the ready screen:\n" + s
    scr.type("A")
    s = scr.wait(w["title"], "999991", "999992", "42.00", "5.00")
    assert s.count(w["charged"]) == 2, "each difference is listed once:\n" + s
    assert s.count(date) >= 2, "each row names its day:\n" + s
    scr.keys("Enter")
    scr.wait(w["needed"])
    scr.type("1234")
    scr.wait(w["pin"] + "****_")
    scr.keys("Enter")
    scr.wait(w["wrong"])
    assert all(at == 0 for _, _, at in open_items(ws.journal)), \
        "a wrong PIN acknowledged: %s" % open_items(ws.journal)
    scr.keys("Escape")
    s = scr.wait(w["ready"], alert)
    scr.type("A")
    scr.wait(w["title"], "999991")
    scr.type(PIN)
    scr.keys("Enter")
    s = scr.wait(w["ready"], w["acked"])
    assert alert not in s, "the alert stayed after the acknowledgement:\n" + s
    items = open_items(ws.journal)
    if sorted((d, o) for d, o, _ in items) != sorted((date, o) for o in unseen):
        raise AssertionError("journaled differences: %s" % items)
    assert all(at > 0 for _, _, at in items), "not acknowledged in the journal: %s" % items
    scr.type("A")  # nothing left: A means nothing on the ready screen
    s = scr.wait(w["ready"])
    assert w["title"] not in s, "A opened an empty list:\n" + s


CASES = {"ack": ack}


def main():
    build, name = sys.argv[1], sys.argv[2]
    language = "zh" if name.startswith("zh_") else "en"
    case = CASES[name[3:] if language == "zh" else name]
    w = WORDS[language]
    date = yesterday()
    with harness.Workspace(build) as ws:
        made = subprocess.run([os.path.join(build, "posterm"), "--hash-pin"], input=PIN + "\n",
                              capture_output=True, text=True, check=True)
        ws.sim.control("/_sim/bill", {"channel": "alipay", "date": date, "inject": "charge",
                                      "order": "E2E1-SIM-999991", "fen": 4200})
        ws.sim.control("/_sim/bill", {"channel": "wechat", "date": date, "inject": "charge",
                                      "order": "E2E1-SIM-999992", "fen": 500})
        extra = {"language": language, "reconcile": {"daily_at": "00:00"},
                 "refund": {"supervisor_pin_hash": made.stdout.strip()}}
        scr = Screen(build, ws.config(extra=extra), name)
        try:
            case(scr, ws, w, date)
            problems = []
        except AssertionError as e:
            problems = [str(e)]
        finally:
            scr.close()
    for p in problems:
        print("FAIL:", p)
    print("%s: %s" % (name, "ok" if not problems else "FAILED"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
