#!/usr/bin/env python3
"""test_shifts.py - cashiers, shifts and the closed day, through the real posterm (headless).

    test_shifts.py BUILD_DIR CASE|all

Cases:
  signin      with cashiers configured, amount and refund are refused until one signs in; a
              wrong PIN and an unknown id get the same answer; five wrong PINs lock the sign-in,
              and a restart does not undo the lock (the journal keeps its end); a shift left open by a stop is taken up by its cashier and ended by another's
  handover    two cashiers one after the other: each payment and refund records its cashier
              (journal), each handover report counts only its own (one refunds the other's
              sale), and the report prints on the virtual printer
  close       the day closes as Z-0001 then Z-0002 (the second covers only what came after
              the first), is refused while a payment is unresolved, and stays as stored;
              `export` writes the X, Z and shift reports as CSV (a file, or in the event)
  hash_pin    `posterm --hash-pin` reads the PIN on stdin and prints a hash the config takes
  screen_en, screen_zh   the cashier screen (tmux, as test_screen.py) in each language: it
              starts at the sign-in, refuses a wrong PIN, takes a payment for the cashier,
              shows the handover report (O), saves it as CSV (X) beside the journal, ends the
              shift (Enter) back to the sign-in, and after a sign-in closes the day from the
              end of day (*, Z, Enter) as Z-0001, printed, saved as CSV
"""
import csv
import io
import os
import sqlite3
import subprocess
import sys
import time

import harness


def lock_over(journal, column):
    """Stands for the lock's end passing (30 s or a minute: too long to wait in a test)."""
    db = sqlite3.connect(journal)
    db.execute("UPDATE journal_meta SET %s = 0" % column)
    db.commit()
    db.close()

PIN = "2468"


def hash_pin(build, pin):
    out = subprocess.run([os.path.join(build, "posterm"), "--hash-pin"], input=pin + "\n",
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


def cashier_extra(build, path=None):
    h = hash_pin(build, PIN)
    extra = {"cashiers": [{"id": "c1", "name": "Li Na", "pin_hash": h},
                          {"id": "c2", "name": "王芳", "pin_hash": hash_pin(build, "1357")}]}
    if path:
        extra["merchant"] = {"name": "E2E Shop", "store": "Counter 1"}
        extra["printer"] = {"kind": "virtual", "path": path, "paper_mm": 58}
    return extra


def start(ws, extra):
    pt = harness.Posterm(ws.build, ws.config(extra=extra))
    pt.ready()
    return pt


def signin(build):
    problems = []
    with harness.Workspace(build) as ws:
        pt = start(ws, cashier_extra(build))
        try:
            pt.send("amount 1.00")
            pt.message("sign in first", level="warn")
            if pt.status()["cashier"] != "":
                problems.append("status names a cashier before any sign-in")
            since = len(pt.seen)
            pt.send("signin c1 1111")
            wrong = pt.message("signin:", since=since)["text"]
            since = len(pt.seen)
            pt.send("signin nobody %s" % PIN)
            unknown = pt.message("signin:", since=since)["text"]
            if wrong != unknown:
                problems.append("a wrong PIN and an unknown id are told apart: %r / %r"
                                % (wrong, unknown))
            for _ in range(3):
                pt.send("signin c1 0000")
            since = len(pt.seen)
            pt.send("signin c1 %s" % PIN)  # right, but the sixth try after five wrong
            pt.message("locked", since=since)
            pt.send("quit")
            pt.finish()
        except AssertionError as e:
            problems.append(str(e))
        finally:
            pt.kill()

        # Restarted within the lock: still locked.
        pt = start(ws, cashier_extra(build))
        try:
            since = len(pt.seen)
            pt.send("signin c1 %s" % PIN)
            pt.message("locked", since=since)
            pt.send("quit")
            pt.finish()
        except AssertionError as e:
            problems.append(str(e))
        finally:
            pt.kill()
        lock_over(ws.journal, "signin_locked_until")

        pt = start(ws, cashier_extra(build))
        first = None
        try:
            since = len(pt.seen)
            pt.send("signin c1 %s" % PIN)
            ev = pt.wait(lambda e: e.get("event") == "signin", what="signed in", since=since)
            first = ev["shift"]
            if ev["cashier"] != "c1" or ev["name"] != "Li Na":
                problems.append("sign-in event: %s" % ev)
            if pt.status()["cashier"] != "c1":
                problems.append("status does not name the signed-in cashier")
            order = pt.pay("3.00", harness.wechat_code(0))
            pt.wait_state("PAID", order)
            pt.send("quit")  # the shift stays open, as after a power cut
            pt.finish()
        except AssertionError as e:
            problems.append(str(e))
        finally:
            pt.kill()

        # The same cashier takes the shift up again; another one ends it first.
        pt = start(ws, cashier_extra(build))
        try:
            pt.send("signin c1 %s" % PIN)
            again = pt.wait(lambda e: e.get("event") == "signin", what="c1 again")
            if again["shift"] != first:
                problems.append("c1's open shift was not taken up: %s then %s"
                                % (first, again["shift"]))
            pt.send("quit")
            pt.finish()
        except AssertionError as e:
            problems.append(str(e))
        finally:
            pt.kill()
        pt = start(ws, cashier_extra(build))
        try:
            pt.send("signin c2 1357")
            other = pt.wait(lambda e: e.get("event") == "signin", what="c2 in")
            if other["shift"] == first:
                problems.append("c2 signed into c1's shift")
            since = len(pt.seen)
            pt.send("shift %s" % first)
            old = pt.wait(lambda e: e.get("event") == "shift", what="c1's shift", since=since)
            if not old["ended_at"] or old["all"]["charged"] != "3.00":
                problems.append("c1's shift after c2 signed in: %s" % old)
            pt.send("quit")
            pt.finish()
        except AssertionError as e:
            problems.append(str(e))
        finally:
            pt.kill()
    return problems


def handover(build):
    problems = []
    with harness.Workspace(build) as ws:
        paper = os.path.join(ws.dir, "receipts.txt")
        pt = start(ws, cashier_extra(build, paper))
        try:
            pt.send("signin c1 %s" % PIN)
            pt.wait(lambda e: e.get("event") == "signin", what="c1 signed in")
            a = pt.pay("10.00", harness.wechat_code(0))
            pt.wait_state("PAID", a)
            b = pt.pay("20.00", harness.alipay_code(0))
            pt.wait_state("PAID", b)
            pt.send("refund %s 1.00" % a)
            pt.wait(lambda e: e.get("event") == "payment" and e["order"] == a
                    and e["transition"] == "refunded", what="refund of a")
            since = len(pt.seen)
            pt.send("signout")
            rep = pt.wait(lambda e: e.get("event") == "shift", what="c1's handover", since=since)
            if (rep["cashier"], rep["all"]["paid"], rep["all"]["charged"], rep["all"]["refunds"],
                    rep["all"]["net"]) != ("c1", 2, "30.00", "1.00", "29.00"):
                problems.append("c1's handover report: %s" % rep)
            if rep["wechat"]["charged"] != "10.00" or rep["alipay"]["charged"] != "20.00":
                problems.append("c1's report per channel: %s" % rep)
            if not rep["ended_at"]:
                problems.append("the handover does not end the shift: %s" % rep)
            pt.wait(lambda e: e.get("event") == "print" and e["what"] == "printed"
                    and e.get("kind") == "shift", what="the handover printed", since=since)
            text = open(paper, encoding="utf-8").read()
            if "SHIFT HANDOVER" not in text or "c1 Li Na" not in text or "30.00" not in text:
                problems.append("the printed handover: %r" % text[-600:])

            pt.send("amount 1.00")
            pt.message("sign in first", since=since)

            pt.send("signin c2 1357")
            pt.wait(lambda e: e.get("event") == "signin" and e["cashier"] == "c2", what="c2 in")
            c = pt.pay("5.00", harness.wechat_code(0, customer=61))
            pt.wait_state("PAID", c)
            pt.send("refund %s 20.00" % b)  # c2 refunds c1's sale
            pt.wait(lambda e: e.get("event") == "payment" and e["order"] == b
                    and e["state"] == "REFUNDED", what="refund of b")
            since = len(pt.seen)
            pt.send("shift")
            rep = pt.wait(lambda e: e.get("event") == "shift", what="c2's report", since=since)
            if (rep["cashier"], rep["ended_at"], rep["all"]["paid"], rep["all"]["charged"],
                    rep["all"]["refunds"]) != ("c2", 0, 1, "5.00", "20.00"):
                problems.append("c2's running report: %s" % rep)
            pt.send("quit")
            pt.finish()
        except AssertionError as e:
            problems.append(str(e))
        finally:
            pt.kill()
        db = sqlite3.connect(ws.journal)
        rows = dict(db.execute("SELECT order_no, cashier FROM payments"))
        refunds = sorted(db.execute("SELECT order_no, cashier FROM refunds"))
        db.close()
        if rows != {a: "c1", b: "c1", c: "c2"}:
            problems.append("payments' cashiers in the journal: %s" % rows)
        if refunds != sorted([(a, "c1"), (b, "c2")]):
            problems.append("refunds' cashiers in the journal: %s" % refunds)
    return problems


def close(build):
    problems = []
    with harness.Workspace(build) as ws:
        paper = os.path.join(ws.dir, "receipts.txt")
        pt = start(ws, {"merchant": {"name": "E2E Shop", "store": "Counter 1"},
                        "printer": {"kind": "virtual", "path": paper, "paper_mm": 58}})
        try:
            a = pt.pay("12.30", harness.wechat_code(0))
            pt.wait_state("PAID", a)
            since = len(pt.seen)
            pt.send("close")
            z1 = pt.wait(lambda e: e.get("event") == "z", what="Z-0001", since=since)
            if (z1["number"], z1["all"]["paid"], z1["all"]["charged"]) != ("Z-0001", 1, "12.30"):
                problems.append("first Z report: %s" % z1)
            pt.wait(lambda e: e.get("event") == "print" and e["what"] == "printed"
                    and e.get("kind") == "z", what="Z printed", since=since)
            if "Z-0001" not in open(paper, encoding="utf-8").read():
                problems.append("the printed Z report has no number")

            # A payment still being resolved holds the close.
            b = pt.pay("2.00", harness.alipay_code(5))  # the reply comes 5 s late
            pt.wait(lambda e: e.get("event") == "payment" and e["order"] == b
                    and e["state"] in ("PAYING", "QUERYING"), what="b under way")
            since = len(pt.seen)
            pt.send("close")
            pt.message("still being resolved", since=since)
            pt.wait_state("PAID", b, timeout=60)

            since = len(pt.seen)
            pt.send("close")
            z2 = pt.wait(lambda e: e.get("event") == "z", what="Z-0002", since=since)
            if (z2["number"], z2["all"]["paid"], z2["all"]["charged"]) != ("Z-0002", 1, "2.00"):
                problems.append("second Z report (only what came after the first): %s" % z2)
            if z2["from_at"] != z1["closed_at"]:
                problems.append("Z-0002 does not start where Z-0001 closed: %s %s" % (z1, z2))

            since = len(pt.seen)
            pt.send("z 1")
            back = pt.wait(lambda e: e.get("event") == "zreport", what="Z 1 again", since=since)
            if back["all"] != z1["all"] or back["closed_at"] != z1["closed_at"]:
                problems.append("Z-0001 read back differs: %s vs %s" % (back, z1))

            out = os.path.join(ws.dir, "z1.csv")
            since = len(pt.seen)
            pt.send("export z 1 %s" % out)
            pt.wait(lambda e: e.get("event") == "export" and e.get("path") == out,
                    what="exported to a file", since=since)
            rows = list(csv.DictReader(open(out, newline="", encoding="utf-8")))
            by = {r["channel"]: r for r in rows}
            if (by["all"]["number"], by["all"]["charged"], by["wechat"]["payments"]) != (
                    "Z-0001", "12.30", "1"):
                problems.append("z1.csv: %s" % rows)

            since = len(pt.seen)
            pt.send("export x")
            ev = pt.wait(lambda e: e.get("event") == "export", what="X as CSV", since=since)
            rows = list(csv.DictReader(io.StringIO(ev["csv"])))
            if [r["channel"] for r in rows] != ["wechat", "alipay", "all"] or \
                    rows[2]["charged"] != "14.30" or rows[2]["report"] != "x":
                problems.append("export x: %r" % ev["csv"])
            since = len(pt.seen)
            pt.send("export z 9")
            pt.message("no such Z report", since=since)
            pt.send("export nonsense")
            pt.message("usage: export", since=since)
            pt.send("quit")
            pt.finish()
        except AssertionError as e:
            problems.append(str(e))
        finally:
            pt.kill()
        db = sqlite3.connect(ws.journal)
        for sql in ("UPDATE z_report_totals SET charged_fen = 0",
                    "DELETE FROM z_reports WHERE number = 2"):
            try:
                db.execute(sql)
                db.commit()
                problems.append("the journal took: %s" % sql)
            except sqlite3.DatabaseError:
                db.rollback()
        db.close()
    return problems


def hash_pin_case(build):
    problems = []
    h = hash_pin(build, "123456")
    if not h.startswith("pbkdf2:100000:") or "123456" in h[14:]:
        problems.append("hash: %r" % h)
    if hash_pin(build, "123456") == h:
        problems.append("two hashes of one PIN are equal: no salt?")
    bad = subprocess.run([os.path.join(build, "posterm"), "--hash-pin"], input="12\n",
                         capture_output=True, text=True)
    if bad.returncode != 2 or "4 to 12 digits" not in bad.stderr:
        problems.append("a 2-digit PIN: %s %r" % (bad.returncode, bad.stderr))
    return problems


WORDS = {
    "en": {"signin": "Cashier sign-in", "wrong": "Unknown cashier number or wrong PIN",
           "ready": "enter the amount", "scan": "Scan the customer's payment code",
           "paid": "PAID", "who": "Cashier: c1 Li Na", "shift": "Shift handover: c1 Li Na",
           "saved": "Saved:", "ended": "Shift of Li Na ended", "eod": "End of day",
           "close": "Close the day: Z-0001", "closed": "stored as Z-0001"},
    "zh": {"signin": "收银员登录", "wrong": "收银员编号或密码错误", "ready": "请输入金额",
           "scan": "请扫描顾客的付款码", "paid": "收款成功", "who": "收银员：c1 Li Na",
           "shift": "交班报表：c1 Li Na", "saved": "已保存：", "ended": "Li Na 已交班",
           "eod": "日结", "close": "日结关账：Z-0001", "closed": "编号 Z-0001"},
}


def screen(build, lang):
    from test_screen import Screen
    w = WORDS[lang]
    problems = []
    with harness.Workspace(build) as ws:
        paper = os.path.join(ws.dir, "receipts.txt")
        extra = cashier_extra(build, paper)
        extra["language"] = lang
        scr = Screen(build, ws.config(extra=extra), "shifts-" + lang)
        try:
            scr.wait(w["signin"])
            scr.type("c1")
            scr.keys("Enter")
            scr.type("1111")
            scr.keys("Enter")
            scr.wait(w["wrong"])
            if "1111" in scr.text() or PIN in scr.text():
                problems.append("a PIN shows on the screen")
            scr.type("c1")
            scr.keys("Enter")
            scr.type(PIN)
            shown = scr.text()
            if PIN in shown:
                problems.append("the PIN shows as typed")
            scr.keys("Enter")
            scr.wait(w["ready"], w["who"])
            scr.type("8.80")
            scr.keys("Enter")
            scr.wait(w["scan"])
            scr.type(harness.wechat_code(0))
            scr.keys("Enter")
            scr.wait(w["paid"])
            scr.keys("Enter")
            scr.wait(w["ready"])
            scr.type("o")
            text = scr.wait(w["shift"], "8.80")
            scr.type("x")
            text = scr.wait(w["saved"])
            saved = [f for f in os.listdir(ws.dir) if f.startswith("posterm-shift-")]
            if len(saved) != 1 or "8.80" not in open(os.path.join(ws.dir, saved[0])).read():
                problems.append("the shift's CSV beside the journal: %s" % saved)
            scr.keys("Enter")
            scr.wait(w["signin"], w["ended"])
            def printed():  # the virtual printer makes the file with its first receipt
                return open(paper).read() if os.path.exists(paper) else ""
            deadline = time.time() + 20
            while ("SHIFT HANDOVER" not in printed() and "交班报表" not in printed() and
                   time.time() < deadline):
                time.sleep(0.1)
            if "SHIFT HANDOVER" not in printed() and "交班报表" not in printed():
                problems.append("the handover did not print")

            scr.type("c2")
            scr.keys("Enter")
            scr.type("1357")
            scr.keys("Enter")
            scr.wait(w["ready"])
            scr.type("*")
            scr.wait(w["eod"])
            scr.type("z")
            scr.wait(w["close"])
            scr.keys("Enter")
            scr.wait(w["closed"], "8.80")
            scr.type("x")
            scr.wait(w["saved"])
            if not os.path.exists(os.path.join(ws.dir, "posterm-z-0001.csv")):
                problems.append("no posterm-z-0001.csv beside the journal")
            scr.keys("Enter")
            scr.wait(w["ready"])
            scr.keys("F10")
        except AssertionError as e:
            problems.append(str(e))
        finally:
            scr.close()
        db = sqlite3.connect(ws.journal)
        if [r[0] for r in db.execute("SELECT cashier FROM payments")] != ["c1"]:
            problems.append("the payment's cashier in the journal")
        if db.execute("SELECT count(*) FROM z_reports").fetchone()[0] != 1:
            problems.append("one Z report expected in the journal")
        db.close()
    return problems


CASES = {"signin": signin, "handover": handover, "close": close, "hash_pin": hash_pin_case,
         "screen_en": lambda b: screen(b, "en"), "screen_zh": lambda b: screen(b, "zh")}

if __name__ == "__main__":
    sys.exit(harness.run_cases("test_shifts.py", CASES, sys.argv))
