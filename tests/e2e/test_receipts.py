#!/usr/bin/env python3
"""test_receipts.py - receipts printed by the real posterm (headless) on the virtual printer.

    test_receipts.py BUILD_DIR CASE|all

The virtual printer appends each receipt as plain text to a file beside the journal. Cases:
  sale_refund    a sale and a refund print their receipts (order number, amount, the code's
                 last four digits only); `print ORDER` prints the sale again marked REPRINT
  crash_sending  posterm killed right after a job was marked sending (crash point
                 print_sending): after the restart the receipt prints once, marked as a
                 reprint, and never unmarked
  folder_missing the printer's folder is missing: the job waits (status says so), the payment
                 is paid; once the folder appears the receipt prints, once, unmarked
  end_of_input   the cashier's input ends the moment a payment is PAID: posterm prints its
                 receipt before it exits (the owed count is read from the journal then, not
                 taken from the last probe, which may predate the payment)
  screen         the cashier screen (tmux, as test_screen.py): the header shows the printer's
                 state and the receipts waiting while its folder is missing, and neither once
                 printed; P in the history reprints the selected payment, marked
"""
import os
import sys
import time

import harness

SALE_TITLE = "SALE"
REPRINT = "*** REPRINT ***"


def printer_extra(ws, path):
    return {"merchant": {"name": "E2E Shop", "store": "Counter 1"},
            "printer": {"kind": "virtual", "path": path, "paper_mm": 58}}


def start(ws, path, env=None):
    pt = harness.Posterm(ws.build, ws.config(extra=printer_extra(ws, path)), env)
    pt.ready()
    return pt


def paper(path):
    if not os.path.exists(path):
        return ""
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def lines_equal(text, wanted):
    return sum(1 for line in text.splitlines() if line.strip() == wanted)


def printed(pt, order, kind="sale", since=0, timeout=20):
    return pt.wait(lambda e: e.get("event") == "print" and e["what"] == "printed"
                   and e.get("order") == order and e.get("kind") == kind, timeout,
                   "%s receipt of %s printed" % (kind, order), since)


def sale_refund(build):
    problems = []
    with harness.Workspace(build) as ws:
        path = os.path.join(ws.dir, "receipts.txt")
        pt = start(ws, path)
        code = harness.wechat_code(0)
        order = pt.pay("12.30", code)
        pt.wait_state("PAID", order)
        printed(pt, order)
        text = paper(path)
        if order not in text:
            problems.append("the sale receipt does not name order %s" % order)
        if "12.30" not in text:
            problems.append("the sale receipt does not show 12.30")
        if "****" + code[-4:] not in text:
            problems.append("the sale receipt does not show the code's last four digits")
        if code in text or code[:-4] in text:
            problems.append("the receipt shows more of the payment code than its last four")
        if lines_equal(text, SALE_TITLE) != 1 or REPRINT in text:
            problems.append("one unmarked sale receipt expected: %r" % text)

        pt.send("refund %s 5.00" % order)
        pt.wait_state("PAID", order)
        printed(pt, order, kind="refund")
        text = paper(path)
        if "REFUND" not in text or "5.00" not in text:
            problems.append("the refund slip is missing or lacks its amount")

        since = len(pt.seen)
        pt.send("print " + order)
        printed(pt, order, since=since)
        text = paper(path)
        if lines_equal(text, SALE_TITLE) != 2 or lines_equal(text, REPRINT) != 2:
            problems.append("the reprint is not marked (top and bottom): %r" % text)
        pt.send("print T01-NOSUCHOR-000001")
        pt.message("no order T01-NOSUCHOR-000001")
        st = pt.status()
        if st.get("printer", {}).get("waiting") != 0 or not st["printer"].get("ready"):
            problems.append("status after printing: %s" % st.get("printer"))
        code_exit = pt.finish()
        if code_exit != 0:
            problems.append("posterm exited %s" % code_exit)
    return problems


def crash_sending(build):
    problems = []
    with harness.Workspace(build) as ws:
        path = os.path.join(ws.dir, "receipts.txt")
        pt = start(ws, path, env={"POSTERM_CRASH_AFTER": "print_sending"})
        order = pt.pay("8.80", harness.wechat_code(0))
        pt.killed()
        if paper(path).strip():
            problems.append("bytes went out before the crash point: %r" % paper(path))
        rows = harness.journal_rows(ws.journal)
        if rows[order]["state"] != "PAID":
            problems.append("the payment is %s, not PAID" % rows[order]["state"])

        again = start(ws, path)
        ev = printed(again, order)
        if not ev.get("reprint"):
            problems.append("the job found sending was printed without the reprint mark")
        text = paper(path)
        if lines_equal(text, SALE_TITLE) != 1 or lines_equal(text, REPRINT) != 2:
            problems.append("one receipt, marked as a reprint, expected: %r" % text)
        code_exit = again.finish()
        if code_exit != 0:
            problems.append("posterm exited %s" % code_exit)
    return problems


def end_of_input(build):
    problems = []
    with harness.Workspace(build) as ws:
        path = os.path.join(ws.dir, "receipts.txt")
        pt = start(ws, path)
        order = pt.pay("4.40", harness.wechat_code(0))
        pt.wait_state("PAID", order)
        code_exit = pt.finish()
        if code_exit != 0:
            problems.append("posterm exited %s" % code_exit)
        if not any(e.get("event") == "print" and e["what"] == "printed" and e.get("order") == order
                   for e in pt.seen):
            problems.append("posterm exited without printing the receipt of %s" % order)
        if lines_equal(paper(path), SALE_TITLE) != 1:
            problems.append("one receipt expected on the paper: %r" % paper(path))
    return problems


def folder_missing(build):
    problems = []
    with harness.Workspace(build) as ws:
        folder = os.path.join(ws.dir, "paper")
        path = os.path.join(folder, "receipts.txt")
        pt = start(ws, path)
        order = pt.pay("3.30", harness.wechat_code(0))
        pt.wait_state("PAID", order)
        pt.wait(lambda e: e.get("event") == "print" and e["what"] == "waiting"
                and e["waiting"] == 1, 10, "one receipt waiting")
        st = pt.status()
        printer = st.get("printer", {})
        if printer.get("ready") or printer.get("waiting") != 1:
            problems.append("status with the folder missing: %s" % printer)
        if [e for e in pt.seen if e.get("event") == "print" and e["what"] == "printed"]:
            problems.append("printed with the folder missing")
        os.makedirs(folder)
        ev = printed(pt, order, timeout=30)
        if ev.get("reprint"):
            problems.append("a receipt never printed came out marked as a reprint")
        text = paper(path)
        if lines_equal(text, SALE_TITLE) != 1 or REPRINT in text:
            problems.append("one unmarked receipt expected: %r" % text)
        code_exit = pt.finish()
        if code_exit != 0:
            problems.append("posterm exited %s" % code_exit)
    return problems


def screen(build):
    import test_screen  # tmux and the cashier screen: only this case needs them
    problems = []
    with harness.Workspace(build) as ws:
        folder = os.path.join(ws.dir, "paper")
        path = os.path.join(folder, "receipts.txt")
        scr = test_screen.Screen(build, ws.config(extra=printer_extra(ws, path)), "receipts")
        stretch = harness.slowdown(build)  # the screen's waits, as the harness's own
        try:
            scr.wait("enter the amount", timeout=20 * stretch)
            test_screen.charge(scr, "12.30", harness.wechat_code(0))
            scr.wait("PAID", "1 receipt waiting", "Printer: ", timeout=20 * stretch)
            os.makedirs(folder)
            deadline = time.time() + 20 * stretch
            while "receipt waiting" in scr.text() and time.time() < deadline:
                time.sleep(0.1)
            shown = scr.text()
            if "receipt waiting" in shown or "Printer: " in shown:
                problems.append("the header still shows the printer once printed:\n" + shown)
            scr.keys("Escape")
            scr.type("/")
            scr.wait("Today's payments", "P reprint", timeout=20 * stretch)
            scr.type("p")
            scr.wait("queued for printing", timeout=20 * stretch)
            while lines_equal(paper(path), REPRINT) < 2 and time.time() < deadline + 10 * stretch:
                time.sleep(0.1)
            text = paper(path)
            if lines_equal(text, SALE_TITLE) != 2 or lines_equal(text, REPRINT) != 2:
                problems.append("one receipt and one marked reprint expected: %r" % text)
            scr.keys("Escape")
            scr.type("q")
        except AssertionError as e:
            problems.append(str(e))
        finally:
            scr.close()
    return problems


CASES = {"sale_refund": sale_refund, "crash_sending": crash_sending,
         "folder_missing": folder_missing, "end_of_input": end_of_input, "screen": screen}

if __name__ == "__main__":
    sys.exit(harness.run_cases("test_receipts.py", CASES, sys.argv))
