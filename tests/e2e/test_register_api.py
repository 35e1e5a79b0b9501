#!/usr/bin/env python3
"""test_register_api.py - the cash register drives posterm (issue 22) over its Unix socket,
against posterm-sim over real HTTP; a small register client in Python (Register, below).

    test_register_api.py BUILD_DIR CASE|all

posterm runs headless with api.enabled: its stdin stands for the scanner (`scan CODE`) and
its stdout for the cashier screen. Every case ends with the ledger audit (harness.audit).

Cases:
  sale        a normal sale: created (waiting_for_code), the code scanned at the counter, sent,
              customer confirming, paid, each event naming the sale; headless (the screen)
              shows the same payment; `status` and `totals` agree; a refund by sale_id and
              key, its key again answers the first refund and sends nothing; abort before the
              code (nothing sent) and after it (cancelled at the gateway); a client that shuts
              its side after the request (echo | socat) still hears the sale to its end;
              `close_day` refused while a payment waits for its code, then Z-0001
  register_crash   the register disconnects mid-payment (after the code was sent): the payment
              goes on, and a new connection's `status` says PAID; an unknown sale says known
              false
  posterm_kill     posterm is killed (SIGKILL) with the register waiting on a customer who is
              confirming: the register sees the connection end, posterm restarts, resumes
              the payment, and `status` on a new connection says how it ended; then both
              crash (the register, then posterm) mid-payment and `status` after both restart
  crash_points     posterm dies right after committing the order's creation (the sale's row
              in the same transaction) and right after the pay intent: after the restart
              `status` knows the sale and its order and how it ended; the sale again is "known"
  repeat      the same sale_id again, while waiting for the code and after PAID, answers that
              payment's state ("known"): no second order in the journal, one charge
  ten_registers    10 registers ask for a payment at once: one is taken, nine refused busy
              with the reason; then each pays in turn; every client hears only its own events
  slow_reader a client that starts a payment then floods requests without reading is dropped
              when its queue passes api.max_queue; the till answers all along, the payment
              goes on to PAID, and `status` says so to another client
  malicious   garbage, not an object, unknown command, unknown field, missing field, a number
              for money, all refused with an error naming the field (the client stays); a
              line over api.max_line is refused and the client dropped; too many clients are
              told so; the till then still takes a register's payment
  config      a file that is no socket at api.socket stops posterm (exit 2), untouched; a
              socket left by a killed posterm is replaced; the socket is made 0660
  description the sale's description is the order's subject at the gateway (the simulator's
              ledger keeps it), on both channels: a long one cut between characters to 127
              bytes, none at all gives the config's subject; a control character is refused
              (bad_value, naming it) and nothing is started
  tcp         api.listen: the test makes two CAs and their certificates with openssl in its
              temporary folder (never committed); a register over TLS with a certificate of
              the configured CA runs a sale while another client sits mid-handshake (it is
              not waited for); a client without a certificate, and one whose certificate
              another CA signed, are refused at the handshake; a TLS client that stops
              reading does not hold the till; plain TCP on loopback answers;
              at start, plain TCP on a non-loopback address and a key file others may read
              are refused (exit 2, the reason named)
  screen      the cashier screen (tmux) shows the register's amount and scan prompt, the code
              is typed at the counter, the screen and the register both see PAID
"""
import json
import os
import socket
import ssl
import stat
import subprocess
import sys
import time

import harness

SLOW_POLICY = {"window_ms": 30000}  # a customer confirms for 8 s: within the window


class Register:
    """A cash register on posterm's socket: JSON lines out, events in."""

    def __init__(self, path, stretch=1.0, timeout=10, sock=None):
        self.path = path
        self.stretch = stretch
        self.buf = b""
        self.seen = []
        self.closed = False
        if sock is not None:
            self.sock = sock  # already connected (TCP, TLS)
            return
        deadline = time.time() + timeout * stretch
        while True:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(path)
                break
            except OSError:
                s.close()
                if time.time() > deadline:
                    raise AssertionError("could not connect to %s" % path)
                time.sleep(0.1)
        self.sock = s

    def send(self, **req):
        self.raw((json.dumps(req) + "\n").encode())

    def raw(self, data):
        self.sock.sendall(data)

    def next(self, timeout=10):
        """The next event, or None when posterm closed the connection."""
        deadline = time.time() + timeout * self.stretch
        while b"\n" not in self.buf:
            left = deadline - time.time()
            if left <= 0:
                raise AssertionError("no event within %.0f s; saw: %s" % (timeout, self.seen[-6:]))
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                self.closed = True
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        ev = json.loads(line)
        self.seen.append(ev)
        return ev

    def wait(self, pred, timeout=20, what="event"):
        deadline = time.time() + timeout * self.stretch
        for ev in self.seen:
            if pred(ev):
                return ev
        while True:
            ev = self.next(max(0.1, (deadline - time.time()) / self.stretch))
            if ev is None:
                raise AssertionError("connection closed waiting for %s; saw %s"
                                     % (what, self.seen[-6:]))
            if pred(ev):
                return ev

    def ask(self, event, **req):
        """Sends a request; returns the first reply of that event (or an error)."""
        since = len(self.seen)
        self.send(**req)
        while True:
            for ev in self.seen[since:]:
                if ev["event"] in (event, "error"):
                    return ev
            since = len(self.seen)
            if self.next() is None:
                raise AssertionError("connection closed waiting for %s" % event)

    def step(self, sale, steps, timeout=30):
        steps = {steps} if isinstance(steps, str) else set(steps)
        return self.wait(lambda e: e["event"] == "payment" and e.get("sale_id") == sale
                         and e["step"] in steps, timeout, "sale %s %s" % (sale, sorted(steps)))

    def eof(self, timeout=10):
        """True when posterm closes the connection within timeout (events before it kept)."""
        deadline = time.time() + timeout * self.stretch
        while time.time() < deadline:
            try:
                if self.next(max(0.1, (deadline - time.time()) / self.stretch)) is None:
                    return True
            except AssertionError:
                return False
            except OSError:
                return True
        return False

    def close(self):
        self.sock.close()


def api_extra(ws, **more):
    api = {"enabled": True, "socket": os.path.join(ws.dir, "register.sock")}
    api.update(more)
    return {"api": api}


def start(ws, policy=None, **api):
    pt = harness.Posterm(ws.build, ws.config(policy=policy, extra=api_extra(ws, **api)))
    pt.ready()
    return pt


def register(ws, pt):
    return Register(os.path.join(ws.dir, "register.sock"), pt.stretch)


def sale_done(pt, reg, sale):
    """Waits for the sale's end as the register hears it; returns that event."""
    return reg.step(sale, ("paid", "failed", "cancelled", "not_started", "referred"))


def finish(pt, ws, problems):
    """Ends posterm (every payment must be final by then) and audits the ledger."""
    pt.send("quit")
    code = pt.finish()
    if code != 0:
        problems.append("posterm exited %s; stderr: %s" % (code, pt.stderr_tail(1500)))
    found, _, _ = harness.audit(ws.journal, ws.sim)
    problems += found


def sales_rows(ws):
    import sqlite3
    db = sqlite3.connect("file:%s?mode=ro" % ws.journal, uri=True)
    rows = dict(db.execute("SELECT sale_id, order_no FROM sales"))
    db.close()
    return rows


def run(build, body, policy=None, **api):
    problems = []
    with harness.Workspace(build) as ws:
        pt = start(ws, policy, **api)
        try:
            body(ws, pt, problems)
            finish(pt, ws, problems)
        except AssertionError as e:
            problems.append(str(e))
        finally:
            pt.kill()
    return problems


def sale(build):
    def body(ws, pt, problems):
        reg = register(ws, pt)
        reg.send(command="payment", sale_id="R-1", amount="12.30", description="2 coffees")
        created = reg.step("R-1", "waiting_for_code")
        order = created["order"]
        if created["transition"] != "created" or created["amount"] != "12.30":
            problems.append("created: %s" % created)
        # The counter (the screen, here headless) shows the register's payment.
        pt.wait(lambda e: e.get("event") == "payment" and e["order"] == order
                and e["transition"] == "created", what="the screen's created")
        pt.send("scan " + harness.wechat_code(3))  # confirms for 8 s, then paid
        reg.step("R-1", "sent")
        reg.step("R-1", "customer_confirming")
        paid = reg.step("R-1", "paid")
        if paid["order"] != order or not paid["final"] or paid["code"][-4:] != "6003":
            problems.append("paid: %s" % paid)
        st = reg.ask("status", command="status", sale_id="R-1")
        if st.get("state") != "PAID" or st.get("order") != order or st.get("known") is not True:
            problems.append("status: %s" % st)
        tot = reg.ask("totals", command="totals")
        if tot.get("all", {}).get("paid") != 1 or tot["all"]["charged"] != "12.30":
            problems.append("totals: %s" % tot)

        # A refund by sale and key; the key again sends nothing.
        since = len(reg.seen)
        r = reg.ask("refund", command="refund", sale_id="R-1", amount="2.30", key="RF-1")
        if r.get("accepted") is not True:
            problems.append("refund: %s" % r)
        if not any(e["event"] == "payment" and e["transition"] == "refund_requested"
                   and e.get("sale_id") == "R-1" for e in reg.seen[since:]):
            problems.append("no refund_requested event before the refund's answer: %s"
                            % reg.seen[since:])
        back = reg.wait(lambda e: e["event"] == "payment" and e["transition"] == "refunded",
                        what="refunded")
        if back["refunded"] != "2.30" or back["state"] != "PAID":
            problems.append("refunded: %s" % back)
        again = reg.ask("refund", command="refund", sale_id="R-1", amount="2.30", key="RF-1")
        if again.get("known") is not True or again.get("state") != "REFUNDED":
            problems.append("refund again: %s" % again)
        refunds = [t for t in ws.sim.audit()["trades"] if t["out_trade_no"] == order]
        if refunds and refunds[0]["refunded_fen"] != 230:
            problems.append("the gateway refunded %s" % refunds[0]["refunded_fen"])

        # Abort before the code: nothing was sent; after it: cancelled at the gateway.
        reg.send(command="payment", sale_id="R-2", amount="5.00")
        reg.step("R-2", "waiting_for_code")
        z = reg.ask("z", command="close_day")
        if z.get("error") != "busy":
            problems.append("close_day with a payment waiting: %s" % z)
        ab = reg.ask("abort", command="abort", sale_id="R-2")
        if ab.get("accepted") is not True:
            problems.append("abort before the code: %s" % ab)
        reg.step("R-2", "not_started")  # the abort's own event, to the aborter
        reg.send(command="payment", sale_id="R-3", amount="6.00")
        reg.step("R-3", "waiting_for_code")
        pt.send("scan " + harness.wechat_code(4, customer=61))  # confirms for 8 s
        reg.step("R-3", "customer_confirming")
        ab = reg.ask("abort", command="abort", sale_id="R-3")
        if ab.get("accepted") is not True:
            problems.append("abort after the code: %s" % ab)
        end = reg.step("R-3", ("cancelled", "paid", "failed"), timeout=60)
        if end["step"] != "cancelled":
            problems.append("aborted sale ended %s" % end)
        twice = reg.ask("abort", command="abort", sale_id="R-3")
        if twice.get("accepted") is not False:
            problems.append("abort of an ended sale: %s" % twice)
        unknown = reg.ask("abort", command="abort", sale_id="nobody")
        if unknown.get("error") != "unknown_sale":
            problems.append("abort of an unknown sale: %s" % unknown)
        reg.close()

        # As `echo ... | socat` does: one request, its side shut at once; the events still
        # come, and the connection ends after the final one.
        once = register(ws, pt)
        once.send(command="payment", sale_id="R-4", amount="1.50")
        once.sock.shutdown(socket.SHUT_WR)
        once.step("R-4", "waiting_for_code")
        pt.send("scan " + harness.wechat_code(0, customer=62))
        once.step("R-4", "paid")
        if not once.eof(5):
            problems.append("the connection stayed open after the final event")
        once.close()

        reg = register(ws, pt)
        z = reg.ask("z", command="close_day")
        if z.get("number") != "Z-0001" or z.get("all", {}).get("paid") != 2:
            problems.append("close_day: %s" % z)
        reg.close()
    return run(build, body, SLOW_POLICY)


def register_crash(build):
    def body(ws, pt, problems):
        reg = register(ws, pt)
        reg.send(command="payment", sale_id="C-1", amount="8.00")
        order = reg.step("C-1", "waiting_for_code")["order"]
        pt.send("scan " + harness.wechat_code(3))
        reg.step("C-1", "sent")
        reg.close()  # the register dies while the customer confirms
        pt.wait_state("PAID", order, timeout=40)
        reg = register(ws, pt)
        st = reg.ask("status", command="status", sale_id="C-1")
        if st.get("state") != "PAID" or st.get("order") != order:
            problems.append("status after the register's crash: %s" % st)
        st = reg.ask("status", command="status", sale_id="C-404")
        if st.get("known") is not False:
            problems.append("an unknown sale: %s" % st)
        st = reg.ask("status", command="status")
        if st.get("busy") is not False or st.get("current", {}).get("sale_id") != "C-1":
            problems.append("terminal status: %s" % st)
        reg.close()
    return run(build, body, SLOW_POLICY)


def posterm_kill(build):
    problems = []
    with harness.Workspace(build) as ws:
        pt = start(ws, SLOW_POLICY)
        try:
            reg = register(ws, pt)
            reg.send(command="payment", sale_id="K-1", amount="9.00")
            order = reg.step("K-1", "waiting_for_code")["order"]
            pt.send("scan " + harness.wechat_code(3))
            reg.step("K-1", "customer_confirming")
            pt.kill()
            if not reg.eof(5):
                problems.append("the register's connection outlived posterm")
            pt = start(ws, SLOW_POLICY)  # the old socket file is replaced
            reg = register(ws, pt)
            deadline = time.time() + 60 * pt.stretch
            st = {}
            while time.time() < deadline:
                st = reg.ask("status", command="status", sale_id="K-1")
                if st.get("final"):
                    break
                time.sleep(0.5)
            if st.get("order") != order or st.get("state") not in ("PAID", "CANCELLED"):
                problems.append("status after posterm's restart: %s" % st)

            # Both crash: the register first, then posterm, mid-payment; both come back.
            reg.send(command="payment", sale_id="K-2", amount="4.00")
            order = reg.step("K-2", "waiting_for_code")["order"]
            pt.send("scan " + harness.wechat_code(3, customer=61))
            reg.step("K-2", "sent")
            reg.close()
            pt.wait(lambda e: e.get("event") == "payment" and e["order"] == order
                    and e.get("confirming"), what="K-2 confirming")
            pt.kill()
            pt = start(ws, SLOW_POLICY)
            reg = register(ws, pt)
            deadline = time.time() + 60 * pt.stretch
            while time.time() < deadline:
                st = reg.ask("status", command="status", sale_id="K-2")
                if st.get("final"):
                    break
                time.sleep(0.5)
            if st.get("order") != order or st.get("state") not in ("PAID", "CANCELLED"):
                problems.append("status after both crashed: %s" % st)
            reg.close()
            finish(pt, ws, problems)
        except AssertionError as e:
            problems.append(str(e))
        finally:
            pt.kill()
    return problems


def crash_points(build):
    """posterm dies right after the order's creation is committed (crash point `created`: the
    sale's row in the same transaction) and right after the pay intent (`pay_intent`: before
    the request left): after the restart `status` knows the sale, with the order it was
    given, and says how it ended; nothing is charged twice."""
    problems = []
    with harness.Workspace(build) as ws:
        cfg = ws.config(extra=api_extra(ws))
        for n, point in enumerate(("created", "pay_intent")):
            sale = "X-%d" % n
            pt = harness.Posterm(build, cfg, env={"POSTERM_CRASH_AFTER": point})
            try:
                pt.ready()
                reg = register(ws, pt)
                reg.send(command="payment", sale_id=sale, amount="2.50")
                if point == "pay_intent":
                    reg.step(sale, "waiting_for_code")
                    pt.send("scan " + harness.wechat_code(0, customer=70 + n))
                pt.killed()
                reg.close()
                orders = set(harness.journal_rows(ws.journal))
                pt = start(ws)
                reg = register(ws, pt)
                deadline = time.time() + 60 * pt.stretch
                while True:
                    st = reg.ask("status", command="status", sale_id=sale)
                    if st.get("final") or time.time() > deadline:
                        break
                    time.sleep(0.3)
                mapped = sales_rows(ws).get(sale)
                if st.get("known") is not True or st.get("order") != mapped \
                        or mapped not in orders or not st.get("final"):
                    problems.append("after a crash at %s: %s (sales: %s)"
                                    % (point, st, sales_rows(ws)))
                if point == "created" and st.get("step") != "not_started":
                    problems.append("crash at created: %s" % st)
                again = reg.ask("payment", command="payment", sale_id=sale, amount="2.50")
                if again.get("transition") != "known":
                    problems.append("the sale again after a crash at %s: %s" % (point, again))
                reg.close()
                finish(pt, ws, problems)
            except AssertionError as e:
                problems.append("%s: %s" % (point, e))
            finally:
                pt.kill()
    return problems


def repeat(build):
    def body(ws, pt, problems):
        reg = register(ws, pt)
        reg.send(command="payment", sale_id="P-1", amount="3.00")
        order = reg.step("P-1", "waiting_for_code")["order"]
        again = reg.ask("payment", command="payment", sale_id="P-1", amount="3.00")
        if again.get("transition") != "known" or again.get("order") != order:
            problems.append("repeated while waiting for the code: %s" % again)
        pt.send("scan " + harness.wechat_code(0))
        reg.step("P-1", "paid")
        for amount in ("3.00", "4.00"):  # even with another amount: that sale's state
            again = reg.ask("payment", command="payment", sale_id="P-1", amount=amount)
            if again.get("transition") != "known" or again.get("state") != "PAID" \
                    or again.get("order") != order:
                problems.append("repeated after PAID: %s" % again)
        rows = harness.journal_rows(ws.journal)
        if len(rows) != 1 or sales_rows(ws) != {"P-1": order}:
            problems.append("orders %s, sales %s" % (sorted(rows), sales_rows(ws)))
        charged = [t for t in ws.sim.audit()["trades"] if t["charged"]]
        if len(charged) != 1:
            problems.append("charges: %s" % charged)
        reg.close()
    return run(build, body)


def ten_registers(build):
    def body(ws, pt, problems):
        regs = [register(ws, pt) for _ in range(10)]
        for i, reg in enumerate(regs):
            reg.send(command="payment", sale_id="T-%d" % i, amount="1.%02d" % i)
        taken, refused = [], []
        for i, reg in enumerate(regs):
            ev = reg.wait(lambda e: e["event"] in ("payment", "error"), what="an answer")
            (taken if ev["event"] == "payment" else refused).append((i, ev))
        if len(taken) != 1 or len(refused) != 9:
            problems.append("taken %s, refused %s" % (taken, refused))
        for i, ev in refused:
            if ev.get("error") != "busy" or "under way" not in ev.get("text", ""):
                problems.append("register %d refused: %s" % (i, ev))
        first = taken[0][0] if taken else 0
        order = [first] + [i for i in range(10) if i != first]
        codes = {}
        for n, i in enumerate(order):
            sale = "T-%d" % i
            if n > 0:
                regs[i].send(command="payment", sale_id=sale, amount="1.%02d" % i)
            regs[i].step(sale, "waiting_for_code")
            code = harness.wechat_code(0, customer=10 + i)
            codes[code] = 100 + i
            pt.send("scan " + code)
            regs[i].step(sale, "paid")
        for i, reg in enumerate(regs):
            others = [e for e in reg.seen if e.get("sale_id") not in (None, "T-%d" % i)]
            if others:
                problems.append("register %d heard another's events: %s" % (i, others[:2]))
            reg.close()
        problems += harness.money_problems(ws.sim.audit(), codes)
    return run(build, body)


def slow_reader(build):
    def body(ws, pt, problems):
        slow = register(ws, pt)
        slow.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        slow.send(command="payment", sale_id="S-1", amount="7.00")
        line = (json.dumps({"command": "totals"}) + "\n").encode()
        slow.sock.settimeout(5)
        sent = 0
        try:
            for _ in range(5000):  # never reads: its answers pile up in posterm
                slow.raw(line)
                sent += 1
        except OSError:
            pass  # dropped: the socket is closed under it
        t0 = time.time()
        st = pt.status()  # the till still answers
        if time.time() - t0 > 2 * pt.stretch:
            problems.append("the till took %.1f s to answer status" % (time.time() - t0))
        if not slow.eof(10) and not slow.closed:
            # Reading now drains what was queued before the drop; then the end must come.
            problems.append("the slow reader was not dropped (%d requests sent)" % sent)
        order = pt.wait(lambda e: e.get("event") == "payment" and e["transition"] == "created",
                        what="S-1 created")["order"]
        pt.send("scan " + harness.wechat_code(0))
        pt.wait_state("PAID", order)
        reg = register(ws, pt)
        st = reg.ask("status", command="status", sale_id="S-1")
        if st.get("state") != "PAID":
            problems.append("status of the dropped client's sale: %s" % st)
        reg.close()
    return run(build, body, max_queue=4096)


def malicious(build):
    def body(ws, pt, problems):
        bad = register(ws, pt)
        cases = [
            (b"hello\n", "bad_json"),
            (b"[1,2]\n", "bad_json"),
            (b'{"command":"payment"} {"x":1}\n', "bad_json"),
            (b'{"command":"launch"}\n', "unknown_command"),
            (b'{"amount":"1.00"}\n', "unknown_command"),
            (b'{"command":"payment","sale_id":"M-1","amount":"1.00","tip":"1"}\n',
             "unknown_field"),
            (b'{"command":"payment","sale_id":"M-1"}\n', "missing_field"),
            (b'{"command":"payment","sale_id":"M-1","amount":1.5}\n', "bad_value"),
            (b'{"command":"payment","sale_id":"M-1","amount":"-1"}\n', "bad_value"),
            (b'{"command":"payment","sale_id":"","amount":"1.00"}\n', "bad_value"),
            (b'{"command":"refund","amount":"1.00","key":"k"}\n', "missing_field"),
            (b"\xff\xfe\x00garbage\n", "bad_json"),
        ]
        for data, error in cases:
            bad.raw(data)
            ev = bad.next()
            if ev is None or ev.get("error") != error or not ev.get("text"):
                problems.append("%r: %s (expected %s)" % (data, ev, error))
        if harness.journal_rows(ws.journal):
            problems.append("a refused request made an order")
        # A huge line: refused, and the client dropped.
        try:
            bad.raw(b'{"command":"status","sale_id":"' + b"x" * 20000)
        except OSError:
            pass
        ev = bad.next()
        if ev is None or ev.get("error") != "line_too_long":
            problems.append("huge line: %s" % ev)
        if not bad.eof(5):
            problems.append("the client with the huge line stayed connected")
        # Too many clients: the third of two is told so and closed.
        a, b = register(ws, pt), register(ws, pt)
        c = register(ws, pt)
        ev = c.next()
        if ev is None or ev.get("error") != "too_many_clients" or not c.eof(5):
            problems.append("a client over api.max_clients: %s" % ev)
        for r in (a, b, c):
            r.close()
        # The till still takes a register's payment, once it has seen the two go.
        deadline = time.time() + 10 * pt.stretch
        while True:
            reg = register(ws, pt)
            if reg.ask("status", command="status").get("event") == "status":
                break
            reg.close()
            if time.time() > deadline:
                raise AssertionError("the closed clients' places were never freed")
            time.sleep(0.1)
        reg.send(command="payment", sale_id="M-2", amount="2.00")
        reg.step("M-2", "waiting_for_code")
        pt.send("scan " + harness.wechat_code(0))
        reg.step("M-2", "paid")
        reg.close()
    return run(build, body, max_clients=2, max_line=1024)


def config(build):
    problems = []
    with harness.Workspace(build) as ws:
        path = os.path.join(ws.dir, "register.sock")
        with open(path, "w") as f:
            f.write("not a socket")
        cfg = ws.config(extra=api_extra(ws))
        out = subprocess.run([os.path.join(build, "posterm"), "--headless", "--config", cfg],
                             input="", capture_output=True, text=True, timeout=30)
        if out.returncode != 2 or "no socket" not in out.stderr:
            problems.append("a file in the socket's place: exit %d, %s" % (out.returncode,
                                                                            out.stderr[-300:]))
        if open(path).read() != "not a socket":
            problems.append("the file in the socket's place was changed")
        os.unlink(path)
        pt = start(ws)
        try:
            mode = stat.S_IMODE(os.stat(path).st_mode)
            if mode != 0o660:
                problems.append("socket mode %o" % mode)
            pt.kill()  # leaves its socket file behind
            if not os.path.exists(path):
                problems.append("no socket left behind by the kill (test premise)")
            pt = start(ws)
            reg = register(ws, pt)
            st = reg.ask("status", command="status")
            if st.get("event") != "status":
                problems.append("after a stale socket: %s" % st)
            reg.close()
            finish(pt, ws, problems)
            if os.path.exists(path):
                problems.append("the socket file stayed after a clean exit")
        except AssertionError as e:
            problems.append(str(e))
        finally:
            pt.kill()
    return problems


def description(build):
    coffee = "\u5496"  # 3 bytes in UTF-8: 50 of them are cut to 42 (126 bytes)

    def subject_of(ws, order):
        trades = [t for t in ws.sim.audit()["trades"] if t["out_trade_no"] == order]
        return trades[0].get("subject") if trades else None

    def pay(pt, reg, sale, code, **more):
        reg.send(command="payment", sale_id=sale, amount="3.00", **more)
        order = reg.step(sale, "waiting_for_code")["order"]
        pt.send("scan " + code)
        reg.step(sale, "paid")
        return order

    def body(ws, pt, problems):
        reg = register(ws, pt)
        bad = reg.ask("payment", command="payment", sale_id="D-0", amount="1.00",
                      description="two\ncoffees")
        if bad.get("error") != "bad_value" or "U+000A" not in bad.get("text", ""):
            problems.append("a newline in the description: %s" % bad)
        order = pay(pt, reg, "D-1", harness.wechat_code(0), description=coffee * 50)
        got = subject_of(ws, order)
        if got != coffee * 42:
            problems.append("WeChat Pay's description: %r, wanted 42 characters" % got)
        order = pay(pt, reg, "D-2", harness.alipay_code(0), description="2 coffees, 1 cake")
        if subject_of(ws, order) != "2 coffees, 1 cake":
            problems.append("Alipay's subject: %r" % subject_of(ws, order))
        order = pay(pt, reg, "D-3", harness.wechat_code(0, customer=61))
        if subject_of(ws, order) != "posterm purchase":
            problems.append("no description: %r, wanted the config's subject"
                            % subject_of(ws, order))
        st = reg.ask("status", command="status", sale_id="D-0")
        if st.get("known") is not False:
            problems.append("the refused payment was started: %s" % st)
        reg.close()

    return run(build, body)


def openssl(*args):
    subprocess.run(["openssl"] + list(args), check=True, capture_output=True, timeout=60)


def make_certs(folder):
    """Two CAs (P-256), the terminal's certificate for 127.0.0.1 from the first, and a
    register's certificate from each; every key 0600. Returns {name: path}."""
    p = {}
    for name in ("ca", "other_ca", "server", "client", "stranger"):
        p[name + ".key"] = os.path.join(folder, name + ".key")
        p[name] = os.path.join(folder, name + ".pem")
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-out", p[name + ".key"])
        os.chmod(p[name + ".key"], 0o600)
    for ca in ("ca", "other_ca"):
        openssl("req", "-x509", "-new", "-key", p[ca + ".key"], "-out", p[ca], "-days", "2",
                "-subj", "/CN=posterm test %s" % ca)
    ext = os.path.join(folder, "server.ext")
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    cext = os.path.join(folder, "client.ext")
    with open(cext, "w") as f:
        f.write("extendedKeyUsage=clientAuth\n")
    for name, ca, e in (("server", "ca", ext), ("client", "ca", cext),
                        ("stranger", "other_ca", cext)):
        csr = os.path.join(folder, name + ".csr")
        openssl("req", "-new", "-key", p[name + ".key"], "-out", csr, "-subj", "/CN=" + name)
        openssl("x509", "-req", "-in", csr, "-CA", p[ca], "-CAkey", p[ca + ".key"],
                "-CAcreateserial", "-out", p[name], "-days", "2", "-extfile", e)
    return p


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def tls_connect(port, certs, client=None, timeout=10, rcvbuf=None):
    """A TLS connection to posterm's api.listen, verifying the terminal's certificate; with
    client ("client", "stranger") presenting that certificate; rcvbuf: a small receive
    window, set before connecting (TCP fixes its window scale then)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(certs["ca"])
    if client:
        ctx.load_cert_chain(certs[client], certs[client + ".key"])
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    raw.settimeout(timeout)
    try:
        raw.connect(("127.0.0.1", port))
    except BaseException:
        raw.close()
        raise
    try:
        return ctx.wrap_socket(raw, server_hostname="127.0.0.1")
    except BaseException:
        raw.close()
        raise


def refused_at_handshake(port, certs, client, stretch):
    """True when the terminal will not hear this client: the handshake fails, or (TLS 1.3
    clients learn it late) the first request gets the connection closed, never an answer."""
    try:
        s = tls_connect(port, certs, client, timeout=10 * stretch)
    except (ssl.SSLError, OSError):
        return True
    try:
        s.sendall(b'{"command":"status"}\n')
        return s.recv(4096) == b""
    except (ssl.SSLError, OSError):
        return True
    finally:
        s.close()


def tcp(build):
    problems = []
    with harness.Workspace(build) as ws:
        certs = make_certs(ws.dir)
        port = free_port()

        def exits(what, needle, **api):
            cfg = ws.config(extra=api_extra(ws, **api))
            out = subprocess.run([os.path.join(build, "posterm"), "--headless", "--config", cfg],
                                 input="", capture_output=True, text=True, timeout=30)
            if out.returncode != 2 or needle not in out.stderr:
                problems.append("%s: exit %d, %s" % (what, out.returncode, out.stderr[-300:]))

        exits("plain TCP off loopback", "10.1.2.3 is not loopback", listen="10.1.2.3:%d" % port)
        os.chmod(certs["server.key"], 0o644)
        exits("a key others may read", "run chmod 600", listen="127.0.0.1:%d" % port,
              tls_cert=certs["server"], tls_key=certs["server.key"], tls_client_ca=certs["ca"])
        os.chmod(certs["server.key"], 0o600)

        pt = start(ws, listen="127.0.0.1:%d" % port, tls_cert=certs["server"],
                   tls_key=certs["server.key"], tls_client_ca=certs["ca"], max_queue=4096)
        try:
            # One client sits mid-handshake (half a hello), another connected and silent.
            stalled = socket.create_connection(("127.0.0.1", port))
            stalled.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")
            silent = socket.create_connection(("127.0.0.1", port))
            reg = Register(None, pt.stretch, sock=tls_connect(port, certs, "client"))
            reg.send(command="payment", sale_id="T-1", amount="7.50", description="TLS sale")
            reg.step("T-1", "waiting_for_code")
            pt.send("scan " + harness.wechat_code(0))
            paid = reg.step("T-1", "paid")
            if paid["amount"] != "7.50":
                problems.append("paid over TLS: %s" % paid)
            for who in (None, "stranger"):
                if not refused_at_handshake(port, certs, who, pt.stretch):
                    problems.append("a client with %s was heard"
                                    % ("no certificate" if who is None else
                                       "another CA's certificate"))
            # A TLS register that stops reading is dropped; the till answers all along.
            slow = tls_connect(port, certs, "client", rcvbuf=4096)
            slow.settimeout(5 * pt.stretch)
            dropped = False
            try:
                for _ in range(5000):
                    slow.sendall(b'{"command":"totals"}\n')
            except (ssl.SSLError, OSError):
                dropped = True  # the socket closed under it
            t0 = time.time()
            pt.status()
            if time.time() - t0 > 2 * pt.stretch:
                problems.append("the till took %.1f s to answer status" % (time.time() - t0))
            # The drop is awaited without reading: under emulation posterm may still be
            # working through the requests, and a client that reads is no longer one that
            # stopped reading.
            deadline = time.time() + 20 * pt.stretch
            while not dropped and time.time() < deadline and \
                    "a client stopped reading" not in pt.stderr_tail(20000):
                time.sleep(0.1)
            if not dropped:
                # Reading now drains what was queued before the drop; then the end must come.
                slow.settimeout(1)
                deadline = time.time() + 10 * pt.stretch
                while not dropped and time.time() < deadline:
                    try:
                        dropped = not slow.recv(65536)
                    except socket.timeout:
                        continue
                    except OSError:  # ssl.SSLError too: the connection is gone
                        dropped = True
            if not dropped:
                problems.append("a TLS client that stopped reading was not dropped")
            slow.close()
            st = reg.ask("status", command="status", sale_id="T-1")
            if st.get("state") != "PAID":
                problems.append("status over TLS after the refusals: %s" % st)
            reg.close()
            stalled.close()
            silent.close()
            finish(pt, ws, problems)
        except AssertionError as e:
            problems.append(str(e))
        finally:
            pt.kill()

        # Plain TCP on loopback: no certificate asked.
        pt = start(ws, listen="127.0.0.1:%d" % port)
        try:
            reg = Register(None, pt.stretch,
                           sock=socket.create_connection(("127.0.0.1", port), timeout=10))
            st = reg.ask("status", command="status", sale_id="T-1")
            if st.get("state") != "PAID":
                problems.append("status over plain TCP on loopback: %s" % st)
            reg.close()
            finish(pt, ws, problems)
        except AssertionError as e:
            problems.append(str(e))
        finally:
            pt.kill()
    return problems


def screen(build):
    """The cashier screen (tmux, as test_screen.py) shows the register's payment: the amount
    and the scan prompt, then PAID; the code is typed at the counter as a keyboard scanner
    would."""
    import test_screen
    problems = []
    with harness.Workspace(build) as ws:
        scr = test_screen.Screen(build, ws.config(extra=api_extra(ws)), "register")
        try:
            scr.wait("F1")  # the amount screen is up
            reg = Register(os.path.join(ws.dir, "register.sock"), scr.stretch)
            reg.send(command="payment", sale_id="SCR-1", amount="43.21")
            reg.step("SCR-1", "waiting_for_code")
            scr.wait("Scan the customer's payment code", "43.21")
            scr.type(harness.wechat_code(0))
            scr.keys("Enter")
            reg.step("SCR-1", "paid")
            scr.wait("PAID", "WeChat Pay", "43.21")
            reg.close()
        except AssertionError as e:
            problems.append(str(e))
        finally:
            scr.close()
        found, _, _ = harness.audit(ws.journal, ws.sim)
        problems += found
    return problems


CASES = {
    "sale": sale,
    "register_crash": register_crash,
    "posterm_kill": posterm_kill,
    "crash_points": crash_points,
    "repeat": repeat,
    "ten_registers": ten_registers,
    "slow_reader": slow_reader,
    "malicious": malicious,
    "config": config,
    "description": description,
    "tcp": tcp,
    "screen": screen,
}

if __name__ == "__main__":
    sys.exit(harness.run_cases(sys.argv[0], CASES, sys.argv))
