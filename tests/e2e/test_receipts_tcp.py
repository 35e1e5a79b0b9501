#!/usr/bin/env python3
"""test_receipts_tcp.py - receipts printed by the real posterm (headless) on a network printer:
raw TCP to tests/printer/fake_printer.py, whose bytes the tests' own escpos-decode reads back.

    test_receipts_tcp.py BUILD_DIR CASE|all

Cases:
  sale       a sale prints one receipt over TCP: the order number as text and as a QR code,
             the amount, the payment code's last four digits only, one cut, no reprint mark
  dropped    the printer drops the connection mid-receipt (close_after): the job waits (a
             print event says it failed with bytes out, marked as a reprint), the payment
             stays PAID; on the next connection the receipt prints once, complete, marked
  killed     the printer is SIGKILLed mid-receipt (die_after) and restarted on the same port
             after a pause: while it is away, status says one receipt waits and the printer
             is not ready; once back, the receipt prints once, complete, marked
  paper_out  the printer reports paper out (DLE EOT): the job is held and nothing but status
             requests reaches the printer; the paper back, the receipt prints once, unmarked

A complete receipt is the decoded elements from ESC @ to a cut. Every case also checks that no
receipt came out twice unmarked, and that the payment code never reached the printer whole.
"""
import glob
import json
import os
import signal
import subprocess
import sys
import time

import harness

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "..", "printer", "fake_printer.py")
REPRINT = "*** REPRINT ***"
STATUS_REQUESTS = {b"\x10\x04\x01", b"\x10\x04\x02", b"\x10\x04\x04"}
# A sale receipt is about 530 bytes here (58 mm, native QR): 250 bytes into the connection is
# inside it, past the title and before the QR code and the cut, even after some seconds of idle
# status requests (9 bytes a second) on the same connection before the sale.
MID_RECEIPT = 250


class FakePrinter:
    """fake_printer.py in its own folder, restartable on the same port."""

    def __init__(self, build, folder, port=0):
        self.build = build
        self.dir = folder
        self.decoder = os.path.join(build, "tests", "printer", "escpos-decode")
        self.proc = None
        self.port = port
        self.start()

    def start(self):
        port_file = os.path.join(self.dir, "port")
        if os.path.exists(port_file):
            os.unlink(port_file)
        self.proc = subprocess.Popen([sys.executable, FAKE, self.dir, "--port", str(self.port),
                                      "--decode", self.decoder])
        deadline = time.time() + 10 * harness.slowdown(self.build)
        while not os.path.exists(port_file):
            if self.proc.poll() is not None or time.time() > deadline:
                raise AssertionError("the fake printer did not start (%s)" % self.proc.poll())
            time.sleep(0.05)
        self.port = int(open(port_file).read())

    def events(self):
        try:
            with open(os.path.join(self.dir, "events.jsonl")) as f:
                return [json.loads(line) for line in f if line.strip()]
        except FileNotFoundError:
            return []

    def wait_dead(self, timeout=10):
        code = self.proc.wait(timeout * harness.slowdown(self.build))
        if code != -signal.SIGKILL:
            raise AssertionError("the fake printer exited %s, not by SIGKILL" % code)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

    def connection_bytes(self, k):
        with open(os.path.join(self.dir, "conn-%d.bin" % k), "rb") as f:
            return f.read()

    def decoded(self):
        """{connection: (elements, decoded_ok)} for every connection: the printer's own
        decoded.jsonl, or escpos-decode run here for a connection it died in."""
        out = {}
        elements = []
        try:
            with open(os.path.join(self.dir, "decoded.jsonl")) as f:
                for line in f:
                    o = json.loads(line)
                    if "connection" in o:
                        out[o["connection"]] = (elements, o["decoded"])
                        elements = []
                    else:
                        elements.append(o)
        except FileNotFoundError:
            pass
        for path in glob.glob(os.path.join(self.dir, "conn-*.bin")):
            k = int(os.path.basename(path)[5:-4])
            if k not in out:
                run = subprocess.run([self.decoder, path], capture_output=True, text=True)
                out[k] = ([json.loads(line) for line in run.stdout.splitlines() if line.strip()],
                          run.returncode == 0)
        return out


def write_status(folder, words):
    """The fake printer's status file (read at each status request and each connection)."""
    path = os.path.join(folder, "status")
    with open(path + ".tmp", "w") as f:
        f.write(words + "\n")
    os.rename(path + ".tmp", path)


def receipts(decoded):
    """The receipts the printer printed, in order: {connection, texts, qrs, complete}; one
    starts at ESC @, a complete one ends at a cut."""
    found = []
    for k in sorted(decoded):
        current = None
        for el in decoded[k][0]:
            if el.get("init"):
                current = {"connection": k, "texts": [], "qrs": [], "complete": False}
                found.append(current)
            elif current is None or current["complete"]:
                continue
            elif "text" in el:
                current["texts"].append(el["text"].strip())
            elif "qr" in el:
                current["qrs"].append(el["qr"])
            elif "cut" in el:
                current["complete"] = True
    return found


def marked(receipt):
    return receipt["texts"].count(REPRINT)


def start_posterm(ws, printer, env=None):
    extra = {"merchant": {"name": "E2E Shop", "store": "Counter 1"},
             "printer": {"kind": "tcp", "host": "127.0.0.1", "port": printer.port,
                         "paper_mm": 58, "native_qr": True}}
    pt = harness.Posterm(ws.build, ws.config(extra=extra), env)
    pt.ready()
    return pt


def print_event(pt, what, order, since=0, timeout=20, **fields):
    def match(e):
        return (e.get("event") == "print" and e["what"] == what and e.get("order") == order
                and all(e.get(k) == v for k, v in fields.items()))
    return pt.wait(match, timeout, "print %s of %s %s" % (what, order, fields), since)


def sale_content(r, order, amount, code):
    """What a sale receipt must show, and must not."""
    problems = []
    joined = "\n".join(r["texts"])
    if not any(order in t for t in r["texts"]):
        problems.append("the receipt does not name order %s: %s" % (order, r["texts"]))
    if r["qrs"] != [order]:
        problems.append("the receipt's QR codes are %s, not [%s]" % (r["qrs"], order))
    if not any(amount in t for t in r["texts"]):
        problems.append("the receipt does not show %s" % amount)
    if "****" + code[-4:] not in joined:
        problems.append("the receipt does not show the code's last four digits")
    return problems


def code_never_whole(printer, code):
    with open(os.path.join(printer.dir, "received.bin"), "rb") as f:
        data = f.read()
    if code.encode() in data or code[:-4].encode() in data:
        return ["the printer received more of the payment code than its last four digits"]
    return []


def finish(pt, printer, problems):
    """posterm quits (its connection ends, so the printer decodes it); checks the exit."""
    code = pt.finish()
    if code != 0:
        problems.append("posterm exited %s" % code)
    deadline = time.time() + 10 * harness.slowdown(printer.build)
    while time.time() < deadline:
        ends = [e for e in printer.events() if e["event"] == "close"]
        connects = [e for e in printer.events() if e["event"] == "connect"]
        killed = {e["connection"] for e in printer.events() if e["event"] == "killed"}
        if len(ends) + len(killed) >= len(connects):
            return
        time.sleep(0.05)
    problems.append("the printer never saw posterm's connection end")


def reprinted_once(printer, order, amount, code, partial_connection):
    """After a job lost mid-receipt: the partial receipt on partial_connection, then exactly
    one complete receipt, marked as a reprint at top and bottom; never one unmarked."""
    problems = []
    found = receipts(printer.decoded())
    partial = [r for r in found if r["connection"] == partial_connection]
    if len(partial) != 1 or partial[0]["complete"]:
        problems.append("connection %d should hold one receipt cut off before its end: %s" % (
            partial_connection, partial))
    elif marked(partial[0]):
        problems.append("the first try was already marked as a reprint")
    complete = [r for r in found if r["complete"]]
    if len(complete) != 1:
        problems.append("%d complete receipts printed, one expected: %s" % (len(complete), complete))
    for r in complete:
        if marked(r) != 2:
            problems.append("a receipt printed again after bytes went out is not marked "
                            "(top and bottom): %s" % r["texts"])
        problems += sale_content(r, order, amount, code)
    if sum(1 for r in complete if not marked(r)) > 1:
        problems.append("the receipt came out twice unmarked")
    return problems


def payment_paid(ws, order):
    rows = harness.journal_rows(ws.journal)
    if rows.get(order, {}).get("state") != "PAID":
        return ["the payment is %s, not PAID" % rows.get(order, {}).get("state")]
    return []


def sale(build):
    problems = []
    with harness.Workspace(build) as ws:
        printer = FakePrinter(build, os.path.join(ws.dir, "printer"))
        try:
            pt = start_posterm(ws, printer)
            code = harness.wechat_code(0)
            order = pt.pay("12.30", code)
            pt.wait_state("PAID", order)
            ev = print_event(pt, "printed", order)
            if ev.get("reprint"):
                problems.append("the first print of a receipt is marked as a reprint")
            st = pt.status()
            if st.get("printer", {}).get("waiting") != 0 or not st["printer"].get("ready"):
                problems.append("status after printing: %s" % st.get("printer"))
            finish(pt, printer, problems)
            found = receipts(printer.decoded())
            complete = [r for r in found if r["complete"]]
            if len(found) != 1 or len(complete) != 1:
                problems.append("one complete receipt expected, printed: %s" % found)
            for r in complete:
                problems += sale_content(r, order, "12.30", code)
                if marked(r):
                    problems.append("the receipt is marked as a reprint")
            problems += code_never_whole(printer, code)
        finally:
            printer.stop()
    return problems


def dropped(build):
    problems = []
    with harness.Workspace(build) as ws:
        folder = os.path.join(ws.dir, "printer")
        os.makedirs(folder)
        # Read when posterm connects: its first connection is dropped MID_RECEIPT bytes in.
        write_status(folder, "close_after %d" % MID_RECEIPT)
        printer = FakePrinter(build, folder)
        try:
            pt = start_posterm(ws, printer)
            code = harness.wechat_code(0)
            order = pt.pay("12.30", code)
            pt.wait_state("PAID", order)
            failed = print_event(pt, "failed", order)
            if not failed.get("bytes_out") or not failed.get("reprint"):
                problems.append("the job cut off mid-receipt did not fail with bytes out, "
                                "marked as a reprint: %s" % failed)
            if failed.get("waiting") != 1:
                problems.append("after the drop %s receipts wait, not 1" % failed.get("waiting"))
            problems += payment_paid(ws, order)
            ev = print_event(pt, "printed", order, timeout=30)
            if not ev.get("reprint"):
                problems.append("the receipt printed again unmarked")
            finish(pt, printer, problems)
            problems += reprinted_once(printer, order, "12.30", code, 1)
            problems += code_never_whole(printer, code)
        finally:
            printer.stop()
    return problems


def killed(build):
    problems = []
    with harness.Workspace(build) as ws:
        folder = os.path.join(ws.dir, "printer")
        os.makedirs(folder)
        # Read when posterm connects: the printer dies MID_RECEIPT bytes into that connection.
        write_status(folder, "die_after %d" % MID_RECEIPT)
        printer = FakePrinter(build, folder)
        try:
            pt = start_posterm(ws, printer)
            code = harness.wechat_code(0)
            order = pt.pay("12.30", code)
            pt.wait_state("PAID", order)
            printer.wait_dead()
            died = [e for e in printer.events() if e["event"] == "killed"]
            failed = print_event(pt, "failed", order)
            if not failed.get("bytes_out") or not failed.get("reprint"):
                problems.append("the job the printer died in did not fail with bytes out, "
                                "marked as a reprint: %s" % failed)
            # The printer stays dead for a while: the job waits, status says so.
            pt.drain(3)
            st = pt.status()
            pr = st.get("printer", {})
            if pr.get("ready") or pr.get("waiting") != 1:
                problems.append("status with the printer dead: %s" % pr)
            if [e for e in pt.seen if e.get("event") == "print" and e["what"] == "printed"]:
                problems.append("a receipt reported printed while the printer was dead")
            problems += payment_paid(ws, order)
            printer.start()
            ev = print_event(pt, "printed", order, timeout=30)
            if not ev.get("reprint"):
                problems.append("the receipt printed again unmarked")
            finish(pt, printer, problems)
            problems += reprinted_once(printer, order, "12.30", code, died[0]["connection"])
            problems += code_never_whole(printer, code)
        finally:
            printer.stop()
    return problems


def paper_out(build):
    problems = []
    with harness.Workspace(build) as ws:
        folder = os.path.join(ws.dir, "printer")
        os.makedirs(folder)
        write_status(folder, "paper_out")
        printer = FakePrinter(build, folder)
        try:
            pt = start_posterm(ws, printer)
            pt.wait(lambda e: e.get("event") == "printer" and "paper out" in e.get("status", ""),
                    10, "the printer seen out of paper")
            code = harness.wechat_code(0)
            order = pt.pay("12.30", code)
            pt.wait_state("PAID", order)
            pt.wait(lambda e: e.get("event") == "print" and e["what"] == "waiting"
                    and e["waiting"] == 1, 10, "one receipt waiting")
            pt.drain(3)
            st = pt.status()
            pr = st.get("printer", {})
            if pr.get("ready") or pr.get("waiting") != 1 or "paper out" not in pr.get("status", ""):
                problems.append("status while out of paper: %s" % pr)
            held = printer.connection_bytes(1)
            chunks = {held[i:i + 3] for i in range(0, len(held), 3)}
            if not held or len(held) % 3 or not chunks <= STATUS_REQUESTS:
                problems.append("out of paper, the printer got more than status requests: %r"
                                % held[:80])
            if [e for e in pt.seen if e.get("event") == "print" and e["what"] == "printed"]:
                problems.append("a receipt reported printed while out of paper")
            problems += payment_paid(ws, order)
            write_status(folder, "")
            ev = print_event(pt, "printed", order, timeout=30)
            if ev.get("reprint"):
                problems.append("a receipt never sent came out marked as a reprint")
            finish(pt, printer, problems)
            found = receipts(printer.decoded())
            complete = [r for r in found if r["complete"]]
            if len(found) != 1 or len(complete) != 1 or marked(complete[0]):
                problems.append("one complete unmarked receipt expected, printed: %s" % found)
            for r in complete:
                problems += sale_content(r, order, "12.30", code)
            problems += code_never_whole(printer, code)
        finally:
            printer.stop()
    return problems


CASES = {"sale": sale, "dropped": dropped, "killed": killed, "paper_out": paper_out}

if __name__ == "__main__":
    sys.exit(harness.run_cases("test_receipts_tcp.py", CASES, sys.argv))
