#!/usr/bin/env python3
"""test_fleet.py - the journal's events to head office over MQTT (issue 24, app/FLEET.md).

    test_fleet.py BUILD_DIR CASE|all

A real mosquitto broker, started here on a free loopback port (never the system's service),
and a head-office subscriber (python3-paho-mqtt) whose session is persistent (clean_session
false, QoS 1), so the broker keeps what arrives while it is away and a broker restart keeps
the session (persistence on). Every case rebuilds the terminal's ledger from the messages,
deduplicated by (journal, seq), and compares it with the journal's outbox: every row arrived,
seq 1..N without a gap, in order on first arrival, the code's last four digits only; and
head office's books (fleet_consumer.py: the last event of each order) with the journal's
payments: the same orders, states, money and code digits.

Cases:
- events: payments and a refund via headless mode arrive in seq order; the day's totals count
  them; status
  is retained "online" with the version, and "offline" after a clean stop.
- outage: the broker SIGKILLed while payments go on, down a stretched 3 s, then started:
  everything arrives; head office's session survives (autosave); headless status's "fleet"
  says disconnected with the backlog, then connected with none and a recent PUBACK.
- kill: posterm SIGKILLs itself on the first PUBACK (crash point fleet_puback: the broker has
  the message, the journal does not know it yet): the last will leaves status "offline", the
  restart resends that message (a duplicate the subscriber drops) and nothing is missing.
- crash_<point>: posterm killed at each other outbox point - right after the commit of a
  created, paid or refunded event (its row written with it, not yet published), with a row
  handed to the connection before its PUBACK (fleet_published), right after the mark's
  commit (fleet_marked) - and started again: nothing lost, a duplicate only a (journal, seq)
  repeat, never of a row already marked.
- zreport: the day closed while the broker is down: the Z report waits in the outbox and
  reaches .../totals afterwards, numbered with the events, its totals those stored.
- disk_full: the disk full while a payment waits: its transition and its outbox row are
  both refused; once space returns everything is delivered.
- outage_long: outage for the issue's 30 s (POSTERM_SLOW_TESTS).
- tls: TLS with the broker's certificate verified and the terminal's own certificate; a
  broker certificate from another CA is not believed (nothing sent, every row kept).
- tls_name: fleet.host a name ("localhost"), resolved by posterm without blocking its loop
  and connected to by address: the broker's certificate is checked against the name, not the
  address - one for DNS:localhost is believed, one for another name (and for 127.0.0.1) is
  refused and nothing is sent.
- tls_sni: the TLS hello names the broker as fleet.host says ("localhost"), not the address
  posterm connected to, for a broker behind a proxy that routes by name (openssl s_server
  here, which shows the name it got).
- tls_refused: a TLS broker's port that refuses connections (a name with an address where
  nothing listens, as "localhost" on ::1 for a broker on 127.0.0.1) is a failed attempt at
  once: posterm does not spin on the socket's error until the connect deadline.
- dns_hang: a name server that never answers (a private mount namespace whose resolv.conf
  names a silent UDP socket here): the broker's name never resolves while payments go on at
  their pace and headless status answers at once; posterm stops at once too. (Needs root.)
- password: fleet.password_file readable by others stops posterm; a wrong password sends
  nothing; the right one sends everything.
"""
import ctypes
import json
import os
import random
import pwd
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time

import fleet_consumer
import harness
import test_disk_full

try:
    import paho.mqtt.client as mqtt
except ImportError:
    # A Python of its own (pyenv, a venv) does not see Debian's python3-paho-mqtt.
    sys.path.append("/usr/lib/python3/dist-packages")
    import paho.mqtt.client as mqtt

MERCHANT = "shop_7"
TERMINAL = "E2E1"  # harness.write_config's terminal_id
PREFIX = "posterm/%s/%s/" % (MERCHANT, TERMINAL)
CODES = [harness.wechat_code(0, customer) for customer in range(60, 66)] + \
    [harness.alipay_code(3)]  # apart: no dedupe
CODE = CODES[0]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Broker:
    """mosquitto on 127.0.0.1:port with its own config and persistence folder."""

    def __init__(self, workdir, port, stretch, more="", autosave=False):
        """more: further listeners, each with its own settings (per_listener_settings);
        autosave: the sessions saved every second, so a SIGKILLed broker keeps them."""
        self.dir = os.path.join(workdir, "broker")
        os.makedirs(self.dir, exist_ok=True)
        self.port, self.stretch, self.proc = port, stretch, None
        self.conf = os.path.join(self.dir, "mosquitto.conf")
        with open(self.conf, "w") as f:
            # max_queued_messages 0: the broker drops nothing for a slow head office (FLEET.md);
            # user: started as root, mosquitto would become user mosquitto, who cannot read
            # this private folder (its persistence, the TLS key).
            f.write("per_listener_settings true\npersistence true\nmax_queued_messages 0\n"
                    "persistence_location %s/\nlog_dest file %s/log\nuser %s\n"
                    "listener %d 127.0.0.1\nallow_anonymous true\n%s"
                    % (self.dir, self.dir, pwd.getpwuid(os.getuid()).pw_name, port, more))
            if autosave:
                f.write("autosave_interval 1\n")

    def start(self):
        self.proc = subprocess.Popen(["mosquitto", "-c", self.conf],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10 * self.stretch
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise AssertionError("mosquitto did not start on port %d" % self.port)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: the sessions are saved for the next start
            self.proc.wait(10)
        self.proc = None

    def saved_after(self, mark):
        """Waits until the broker's database was written after wall time mark (autosave)."""
        db = os.path.join(self.dir, "mosquitto.db")
        return wait_until(lambda: os.path.exists(db) and os.path.getmtime(db) > mark, 5,
                          self.stretch)

    def kill(self):
        """SIGKILL: what the broker had not saved is gone (autosave keeps the sessions)."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None


class HeadOffice:
    """The subscriber: every message on the terminal's topics, in arrival order."""

    def __init__(self, port):
        self.port = port
        self.events, self.status, self.totals = [], [], []
        self.lock = threading.Lock()
        self.client = None
        self.session_present = False

    def _on_message(self, client, userdata, msg):
        with self.lock:
            if msg.topic == PREFIX + "events":
                self.events.append(json.loads(msg.payload))
            elif msg.topic == PREFIX + "status":
                self.status.append((json.loads(msg.payload), msg.retain))
            elif msg.topic == PREFIX + "totals":
                body = json.loads(msg.payload)
                # A closed day is an outbox row: numbered with the events (FLEET.md).
                (self.events if body.get("type") == "zreport" else self.totals).append(body)

    def connect(self):
        c = mqtt.Client(client_id="head-office-test", clean_session=False)
        c.on_message = self._on_message
        subscribed = threading.Event()
        c.on_subscribe = lambda *a: subscribed.set()
        def on_connect(cl, userdata, flags, rc):
            self.session_present = bool(flags.get("session present"))
            cl.subscribe(PREFIX + "#", qos=1)
        c.on_connect = on_connect
        c.reconnect_delay_set(1, 1)  # back soon after a broker outage, however long
        c.connect("127.0.0.1", self.port, keepalive=30)
        c.loop_start()
        if not subscribed.wait(10):
            raise AssertionError("the subscriber could not subscribe")
        self.client = c
        return self

    def disconnect(self):
        if self.client:
            self.client.disconnect()
            self.client.loop_stop()
        self.client = None

    def ledger(self):
        """Events deduplicated by (journal, seq), in order of first arrival; duplicates."""
        seen, out, dups = set(), [], 0
        with self.lock:
            for e in self.events:
                key = (e["journal"], e["seq"])
                if key in seen:
                    dups += 1
                    continue
                seen.add(key)
                out.append(e)
        return out, dups

    def last_status(self):
        with self.lock:
            return self.status[-1] if self.status else (None, None)


def retained_status(port, stretch):
    """What a new subscriber gets on .../status: the retained message."""
    got = []
    c = mqtt.Client(client_id="status-reader-%d" % os.getpid(), clean_session=True)
    c.on_message = lambda cl, u, m: got.append((json.loads(m.payload), m.retain))
    c.connect("127.0.0.1", port)
    c.subscribe(PREFIX + "status", qos=1)
    deadline = time.time() + 3 * stretch
    while not got and time.time() < deadline:
        c.loop(0.1)
    c.disconnect()
    return got[0] if got else (None, None)


def outbox_rows(journal):
    db = sqlite3.connect("file:%s?mode=ro" % journal, uri=True)
    try:
        return db.execute("SELECT seq, kind, payload, sent_at FROM outbox ORDER BY seq").fetchall()
    finally:
        db.close()


def wait_until(pred, seconds, stretch):
    deadline = time.time() + seconds * stretch
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.1)
    return pred()


def compare(hq, journal, stretch, problems, want_dups=None):
    """Every outbox row arrives once the terminal has acknowledgements for all."""
    if not wait_until(lambda: all(r[3] > 0 for r in outbox_rows(journal)), 15, stretch):
        problems.append("outbox rows still unsent: %s" % [r[0] for r in outbox_rows(journal)
                                                            if r[3] == 0])
    rows = outbox_rows(journal)
    wait_until(lambda: len(hq.ledger()[0]) >= len(rows), 5, stretch)
    ledger, dups = hq.ledger()
    seqs = [e["seq"] for e in ledger]
    if seqs != list(range(1, len(rows) + 1)):
        problems.append("head office has seqs %s, the journal 1..%d" % (seqs, len(rows)))
    for e, (seq, kind, payload, _) in zip(ledger, rows):
        body = json.loads(payload)
        if e["type"] != kind or any(e.get(k) != v for k, v in body.items()):
            problems.append("seq %d differs: %s vs journal %s" % (seq, e, body))
    for e in ledger:
        if any(c in json.dumps(e) for c in CODES) or \
                e.get("code_last4", "") not in [""] + [c[-4:] for c in CODES]:
            problems.append("a message carries more than the code's last four digits: %s" % e)
    if want_dups is not None and not want_dups(dups):
        problems.append("%d duplicates (a resend expected: %s)" % (dups, want_dups.__doc__))
    with hq.lock:
        arrived = list(hq.events)
    problems += fleet_consumer.compare(fleet_consumer.rebuild(arrived), journal, CODES)
    return ledger


def fleet_status_is(pt, **want):
    """headless status's "fleet" object has these values."""
    fleet = pt.status().get("fleet") or {}
    return all(fleet.get(k) == v for k, v in want.items())


def fleet_config(ws, port, policy=None):
    return ws.config(policy, {"fleet": {"host": "127.0.0.1", "port": port, "merchant": MERCHANT,
                                        "tls": False, "keepalive_s": 5,
                                        "reconnect_max_ms": 1000}})


def pay(pt, n, first=0):
    orders = []
    for i in range(n):
        order = pt.pay("%d.%02d" % (i + 1, i + 1), CODES[first + i])
        pt.wait_state("PAID", order)
        orders.append(order)
    return orders


def case_events(build):
    problems = []
    with harness.Workspace(build) as ws:
        stretch = harness.slowdown(build)
        port = free_port()
        broker = Broker(ws.dir, port, stretch).start()
        hq = HeadOffice(port).connect()
        try:
            pt = harness.Posterm(build, fleet_config(ws, port))
            pt.ready()
            orders = pay(pt, 3)
            pt.send("refund %s 0.50 K-fleet-1" % orders[0])
            pt.wait(lambda e: e.get("event") == "payment" and e["order"] == orders[0]
                    and e["refunded"] == "0.50" and e["state"] == "PAID", what="the refund")
            ledger = compare(hq, ws.journal, stretch, problems)
            refunds = [(e["event"], e["refund_fen"], e["refunded_fen"]) for e in ledger
                       if e["type"] == "refund"]
            if refunds != [("refund_requested", 50, 0), ("refunded", 50, 50)]:
                problems.append("the refund's events: %s" % refunds)
            if [e["order"] for e in ledger if e["event"] == "paid"] != orders:
                problems.append("the paid events are not those of %s" % orders)
            if not any(e["amount_fen"] == 101 and e["event"] == "paid" for e in ledger):
                problems.append("no paid event of 101 fen")
            # .../totals: the day so far, as the end-of-day report counts it
            if not wait_until(lambda: hq.totals and hq.totals[-1]["all"]["paid_count"] == 3,
                              10, stretch):
                problems.append("the totals never counted 3 payments: %s" % hq.totals[-1:])
            elif not wait_until(lambda: hq.totals[-1]["all"]["refunded_fen"] == 50, 10, stretch) \
                    or hq.totals[-1]["all"]["charged_fen"] != 606 \
                    or hq.totals[-1]["wechat"]["net_fen"] != 556:
                problems.append("the totals are not 606 - 50 fen: %s" % hq.totals[-1])
            status, retained = retained_status(port, stretch)
            if not status or status.get("state") != "online" or not retained or \
                    not status.get("version") or status.get("gateway") != "online":
                problems.append("status is not retained online with a version: %s" % status)
            if pt.finish() != 0:
                problems.append("posterm did not exit 0")
            status, retained = retained_status(port, stretch)
            if not status or status.get("state") != "offline" or not retained:
                problems.append("after a clean stop, status is %s" % status)
        finally:
            hq.disconnect()
            broker.stop()
    return problems


def case_outage(build, seconds=3):
    """Payments go on while the broker is down (SIGKILLed: nothing it had not saved survives),
    for seconds (stretched) - 30 with POSTERM_SLOW_TESTS (outage_long). Posterm keeps every
    row unsent meanwhile; once the broker is back, head office's books equal the journal."""
    problems = []
    with harness.Workspace(build) as ws:
        stretch = harness.slowdown(build)
        port = free_port()
        broker = Broker(ws.dir, port, stretch, autosave=True).start()
        hq = HeadOffice(port).connect()
        try:
            pt = harness.Posterm(build, fleet_config(ws, port))
            pt.ready()
            pay(pt, 2)
            if not wait_until(lambda: all(r[3] for r in outbox_rows(ws.journal)), 10, stretch):
                problems.append("the first payments were not delivered before the outage")
            if not broker.saved_after(time.time()):
                problems.append("the broker never saved its sessions (autosave_interval 1)")
            broker.kill()
            sent_before = sum(1 for r in outbox_rows(ws.journal) if r[3])
            started = time.time()
            pay(pt, 3, first=2)
            left = seconds * stretch - (time.time() - started)
            if left > 0:
                time.sleep(left)
            rows = outbox_rows(ws.journal)
            if sum(1 for r in rows if r[3]) != sent_before:
                problems.append("a row was marked sent with the broker down")
            unsent = len(rows) - sent_before
            # headless status's "fleet": the till knows head office is away, and the backlog
            # (counted at most a second ago)
            if not wait_until(lambda: fleet_status_is(pt, connected=False, unsent=unsent), 3,
                              stretch):
                problems.append("status during the outage (%d unsent): %s"
                                % (unsent, pt.status().get("fleet")))
            broker.start()
            pay(pt, 1, first=5)
            compare(hq, ws.journal, stretch, problems)
            if not wait_until(lambda: fleet_status_is(pt, connected=True, unsent=0), 3,
                              stretch) or \
                    not 0 <= pt.status()["fleet"]["last_puback_age_ms"] < 60000 * stretch:
                problems.append("status after the outage: %s" % pt.status().get("fleet"))
            if not hq.session_present:
                problems.append("the broker lost head office's session: a message published "
                                "before the subscriber came back would be missed")
            if pt.finish() != 0:
                problems.append("posterm did not exit 0")
        finally:
            hq.disconnect()
            broker.stop()
    return problems


def case_zreport(build):
    """The day closed (headless "close") while the broker is down: the Z report is kept in
    the outbox and reaches .../totals once the broker is back, with the seq after the day's
    events and the totals the journal stored; X reports go on beside it."""
    problems = []
    with harness.Workspace(build) as ws:
        stretch = harness.slowdown(build)
        port = free_port()
        broker = Broker(ws.dir, port, stretch).start()
        hq = HeadOffice(port).connect()
        try:
            pt = harness.Posterm(build, fleet_config(ws, port))
            pt.ready()
            pay(pt, 2)
            broker.stop()
            pt.send("close")
            z = pt.wait(lambda e: e.get("event") == "z", what="the Z report")
            rows = outbox_rows(ws.journal)
            if not rows or rows[-1][1] != "zreport" or rows[-1][3]:
                problems.append("the Z report is not the last outbox row, unsent: %s"
                                % [r[:2] + r[3:] for r in rows])
            broker.start()
            ledger = compare(hq, ws.journal, stretch, problems)
            zs = [e for e in ledger if e["type"] == "zreport"]
            if len(zs) != 1 or zs[0]["number"] != int(z["number"][2:]) or \
                    zs[0]["all"]["paid_count"] != 2 or zs[0]["all"]["charged_fen"] != 303:
                problems.append("head office's Z reports %s, the terminal's %s" % (zs, z))
            if pt.finish() != 0:
                problems.append("posterm did not exit 0")
        finally:
            hq.disconnect()
            broker.stop()
    return problems


def case_disk_full(build):
    """The disk full while a payment waits for the customer (test_disk_full.py's pattern): its
    "paid" transition and its outbox row are refused together - neither on disk, nothing
    half-written. The rows already on disk are delivered meanwhile (the broker restarted with
    the disk full), their marks refused; once space returns the marks are written without a
    restart, the payment ends PAID and everything reaches head office."""
    problems = []
    with harness.Workspace(build) as ws:
        stretch = harness.slowdown(build)
        port = free_port()
        broker = Broker(ws.dir, port, stretch).start()
        hq = HeadOffice(port).connect()
        try:
            pt = harness.Posterm(build, ws.config({"window_ms": 20000}, {"fleet": {
                "host": "127.0.0.1", "port": port, "merchant": MERCHANT, "tls": False,
                "keepalive_s": 5, "reconnect_max_ms": 1000}}))
            pt.ready()
            pay(pt, 1)
            wait_until(lambda: all(r[3] for r in outbox_rows(ws.journal)), 10, stretch)
            sent = len(outbox_rows(ws.journal))
            broker.stop()  # the next rows are acknowledged while the disk is full
            code = harness.alipay_code(3)  # the customer confirms for 8 s, then pays
            order = pt.pay("8.80", code)
            pt.wait(lambda e: e.get("event") == "payment" and e["confirming"], what="confirming")
            test_disk_full.set_fsize(pt.proc.pid, 4096)  # every journal write fails (EFBIG)
            broker.start()
            on_disk = len(outbox_rows(ws.journal))
            if not wait_until(lambda: len(hq.ledger()[0]) >= on_disk, 10, stretch):
                problems.append("the rows on disk were not delivered with the disk full")
            elif any(r[3] for r in outbox_rows(ws.journal)[sent:]):
                problems.append("a mark was written with the disk full (test is void)")
            pt.wait(lambda e: e.get("event") == "message" and "held" in e["text"], timeout=30,
                    what="the journal failure reported")
            state = harness.journal_rows(ws.journal)[order]["state"]
            paid_rows = [r for r in outbox_rows(ws.journal)
                         if json.loads(r[2])["order"] == order and
                         json.loads(r[2])["event"] == "paid"]
            if state == "PAID" or paid_rows:
                problems.append("with the disk full: the payment %s, its paid rows %s"
                                % (state, paid_rows))
            time.sleep(1)
            test_disk_full.set_fsize(pt.proc.pid, "unlimited")
            pt.wait_state("PAID", order, timeout=10)
            pay(pt, 1, first=1)
            compare(hq, ws.journal, stretch, problems)
            if pt.finish() != 0:
                problems.append("posterm did not exit 0")
        finally:
            hq.disconnect()
            broker.stop()
    return problems


def case_outage_long(build):
    return case_outage(build, 30)


def resend_after_kill(build, crash_after, want_dups):
    """posterm SIGKILLed at crash_after (a journal commit, whose outbox row is written with
    it, or one of the publisher's points: fleet_published, fleet_puback, fleet_marked), then
    started again: the last will says "offline", nothing is lost, a duplicate is only a
    (journal, seq) repeat of a row not yet marked sent at the kill."""
    problems = []
    with harness.Workspace(build) as ws:
        stretch = harness.slowdown(build)
        port = free_port()
        broker = Broker(ws.dir, port, stretch).start()
        hq = HeadOffice(port).connect()
        try:
            config = fleet_config(ws, port)
            pt = harness.Posterm(build, config, env={"POSTERM_CRASH_AFTER": crash_after})
            pt.ready()
            if not wait_until(lambda: (hq.last_status()[0] or {}).get("state") == "online",
                              10, stretch):
                problems.append("posterm never came online at the broker")
            if crash_after == "paid":
                pt.pay("1.01", CODE)
            elif crash_after.startswith("refund"):
                order = pay(pt, 1)[0]
                pt.send("refund %s 0.50 K-fleet-crash" % order)
            else:
                pt.send("amount 1.01")  # "created": its row is the first one published
            pt.killed()
            rows = outbox_rows(ws.journal)
            marked = {r[0] for r in rows if r[3]}
            if crash_after in ("paid", "created", "refunded") and not any(
                    json.loads(r[2])["event"] == crash_after and r[3] == 0 for r in rows):
                problems.append("the %s row was not left unsent by the kill" % crash_after)
            if crash_after == "fleet_marked" and not marked:
                problems.append("killed at fleet_marked with nothing marked")
            if not wait_until(lambda: hq.last_status()[0] and
                              hq.last_status()[0].get("state") == "offline", 5, stretch):
                problems.append("no last will: status %s" % (hq.last_status(),))
            status, retained = retained_status(port, stretch)
            if not status or status.get("state") != "offline" or not retained:
                problems.append("after the kill the retained status is %s" % status)
            pt = harness.Posterm(build, config)
            pt.ready()
            pay(pt, 1, first=3)
            compare(hq, ws.journal, stretch, problems, want_dups)
            with hq.lock:
                seqs = [e["seq"] for e in hq.events]
            again = sorted({q for q in seqs if seqs.count(q) > 1 and q in marked})
            if again:
                problems.append("rows marked sent before the kill were sent again: %s" % again)
            if pt.finish() != 0:
                problems.append("posterm did not exit 0 after the restart")
        finally:
            hq.disconnect()
            broker.stop()
    return problems


def case_kill(build):
    def resent(d):
        """the message acknowledged but not marked"""
        return d >= 1
    return resend_after_kill(build, "fleet_puback", resent)


def crash_case(point):
    return lambda build: resend_after_kill(build, point, None)


def make_pki(folder):
    """A CA, the broker's certificate for 127.0.0.1 and the terminal's client certificate,
    with openssl; and a second CA nobody signed with. Returns their paths."""
    os.makedirs(folder, exist_ok=True)
    p = {k: os.path.join(folder, k) for k in
         ("ca.key", "ca.pem", "other.key", "other.pem", "broker.key", "broker.csr", "broker.pem",
          "term.key", "term.csr", "term.pem", "san.cnf")}

    def run(*args):
        subprocess.run(["openssl"] + list(args), check=True, capture_output=True)
    for ca, name in (("ca", "fleet test CA"), ("other", "another CA")):
        run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-days", "2", "-subj", "/CN=" + name, "-keyout", p[ca + ".key"], "-out", p[ca + ".pem"])
    with open(p["san.cnf"], "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\n")
    for who, cn, ext in (("broker", "127.0.0.1", True), ("term", TERMINAL, False)):
        run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-subj", "/CN=" + cn, "-keyout", p[who + ".key"], "-out", p[who + ".csr"])
        run("x509", "-req", "-in", p[who + ".csr"], "-CA", p["ca.pem"], "-CAkey", p["ca.key"],
            "-CAcreateserial", "-days", "2", "-out", p[who + ".pem"],
            *(["-extfile", p["san.cnf"]] if ext else []))
    for key in ("broker.key", "term.key"):
        os.chmod(p[key], 0o600)
    return p


def case_tls(build):
    """TLS on (the default): the broker's certificate verified against fleet.ca_file, the
    terminal's own certificate required by the broker. A CA that did not sign the broker's
    certificate delivers nothing and leaves every row unsent."""
    problems = []
    with harness.Workspace(build) as ws:
        stretch = harness.slowdown(build)
        pki = make_pki(os.path.join(ws.dir, "pki"))
        plain, port = free_port(), free_port()
        broker = Broker(ws.dir, plain, stretch, "listener %d 127.0.0.1\nallow_anonymous true\n"
                        "cafile %s\ncertfile %s\nkeyfile %s\nrequire_certificate true\n"
                        % (port, pki["ca.pem"], pki["broker.pem"], pki["broker.key"]))
        broker.start()
        hq = HeadOffice(plain).connect()  # head office reads on the plain loopback listener
        try:
            def config(ca):
                return ws.config(None, {"fleet": {
                    "host": "127.0.0.1", "port": port, "merchant": MERCHANT,
                    "ca_file": pki[ca], "cert_file": pki["term.pem"],
                    "key_file": pki["term.key"], "reconnect_max_ms": 1000}})
            pt = harness.Posterm(build, config("other.pem"))
            pt.ready()
            pay(pt, 1)
            time.sleep(2 * stretch)
            if hq.ledger()[0] or any(r[3] for r in outbox_rows(ws.journal)):
                problems.append("a broker certificate from another CA was believed")
            pt.finish()
            pt = harness.Posterm(build, config("ca.pem"))
            pt.ready()
            pay(pt, 1, first=1)
            compare(hq, ws.journal, stretch, problems)
            pt.finish()
        finally:
            hq.disconnect()
            broker.stop()
    return problems


def sign_broker(pki, name, san):
    """Another broker certificate from the test CA, for subjectAltName san."""
    folder = os.path.dirname(pki["ca.pem"])
    key, csr, pem, cnf = (os.path.join(folder, name + ext) for ext in (".key", ".csr", ".pem",
                                                                        ".cnf"))
    with open(cnf, "w") as f:
        f.write("subjectAltName=%s\n" % san)
    for args in (["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                  "-subj", "/CN=" + name, "-keyout", key, "-out", csr],
                 ["x509", "-req", "-in", csr, "-CA", pki["ca.pem"], "-CAkey", pki["ca.key"],
                  "-CAcreateserial", "-days", "2", "-out", pem, "-extfile", cnf]):
        subprocess.run(["openssl"] + args, check=True, capture_output=True)
    os.chmod(key, 0o600)
    return pem, key


def case_tls_name(build):
    """fleet.host "localhost": posterm looks the name up itself and hands libmosquitto the
    address, so the name check must still be against the name. A certificate for
    DNS:localhost only (not the address) is believed; one for head-office.example and
    IP:127.0.0.1 (what a check against the address would believe) delivers nothing, every row
    kept, payments going on."""
    problems = []
    with harness.Workspace(build) as ws:
        stretch = harness.slowdown(build)
        pki = make_pki(os.path.join(ws.dir, "pki"))
        named = sign_broker(pki, "named", "DNS:localhost")
        other = sign_broker(pki, "other-name", "DNS:head-office.example,IP:127.0.0.1")
        plain, good, bad = free_port(), free_port(), free_port()
        listeners = "".join("listener %d 127.0.0.1\nallow_anonymous true\ncafile %s\n"
                            "certfile %s\nkeyfile %s\nrequire_certificate true\n"
                            % (port, pki["ca.pem"], cert, key)
                            for port, (cert, key) in ((good, named), (bad, other)))
        broker = Broker(ws.dir, plain, stretch, listeners).start()
        hq = HeadOffice(plain).connect()
        try:
            def config(port):
                return ws.config(None, {"fleet": {
                    "host": "localhost", "port": port, "merchant": MERCHANT,
                    "ca_file": pki["ca.pem"], "cert_file": pki["term.pem"],
                    "key_file": pki["term.key"], "reconnect_max_ms": 1000}})
            pt = harness.Posterm(build, config(bad))
            pt.ready()
            pay(pt, 1)
            time.sleep(2 * stretch)
            if hq.ledger()[0] or any(r[3] for r in outbox_rows(ws.journal)):
                problems.append("a certificate for another name (and the address) was believed")
            if not fleet_status_is(pt, connected=False):
                problems.append("connected to a broker whose certificate names another host")
            pt.finish()
            pt = harness.Posterm(build, config(good))
            pt.ready()
            pay(pt, 1, first=1)
            compare(hq, ws.journal, stretch, problems)
            if not fleet_status_is(pt, connected=True):
                problems.append("not connected to the broker named localhost: %s"
                                % pt.status().get("fleet"))
            pt.finish()
        finally:
            hq.disconnect()
            broker.stop()
    return problems


def case_tls_sni(build):
    """openssl s_server as the broker's proxy: it hands out the certificate for DNS:localhost
    only to a hello that names localhost (SNI), and the 127.0.0.1 one otherwise (which
    posterm refuses for the name localhost)."""
    problems = []
    with harness.Workspace(build) as ws:
        stretch = harness.slowdown(build)
        pki = make_pki(os.path.join(ws.dir, "pki"))
        cert, key = sign_broker(pki, "named", "DNS:localhost")
        port = free_port()
        out_path = os.path.join(ws.dir, "s_server.out")
        with open(out_path, "w") as out:
            server = subprocess.Popen(
                ["openssl", "s_server", "-accept", "127.0.0.1:%d" % port,
                 "-cert", pki["broker.pem"], "-key", pki["broker.key"],
                 "-servername", "localhost", "-cert2", cert, "-key2", key],
                stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT)
        try:
            if not wait_until(lambda: "ACCEPT" in open(out_path).read(), 10, stretch):
                raise AssertionError("openssl s_server did not start")
            pt = harness.Posterm(build, ws.config(None, {"fleet": {
                "host": "localhost", "port": port, "merchant": MERCHANT,
                "ca_file": pki["ca.pem"], "reconnect_max_ms": 1000}}))
            pt.ready()
            if not wait_until(lambda: 'TLS extension: "localhost"' in open(out_path).read(),
                              10, stretch):
                problems.append("the TLS hello did not name localhost: %s"
                                % open(out_path).read()[-300:])
            pt.finish()
        finally:
            server.kill()
            server.wait()
    return problems


def cpu_seconds(pid):
    """The process's user and system time so far (/proc/PID/stat)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def case_tls_refused(build):
    """TLS to a port where nothing listens: libmosquitto reads the refused connect as a
    handshake to be continued, and the loop's poll, woken by the socket's error each turn,
    spun a core until the connect deadline (fleet.keepalive_s). Now it is a failed attempt:
    over a few seconds posterm uses a small fraction of that."""
    problems = []
    with harness.Workspace(build) as ws:
        stretch = harness.slowdown(build)
        pki = make_pki(os.path.join(ws.dir, "pki"))
        pt = harness.Posterm(build, ws.config(None, {"fleet": {
            "host": "127.0.0.1", "port": free_port(), "merchant": MERCHANT,
            "ca_file": pki["ca.pem"], "keepalive_s": 60, "reconnect_max_ms": 1000}}))
        pt.ready()
        window = 3 * stretch
        before, start = cpu_seconds(pt.proc.pid), time.time()
        time.sleep(window)
        used = cpu_seconds(pt.proc.pid) - before
        wall = time.time() - start
        # A spinning loop takes all the core it is given (the whole window when idle, a good
        # part of it under load); an attempt a second takes milliseconds (0.00 s of 3 here).
        if used > 0.2 * wall:
            problems.append("posterm used %.2f s of CPU in %.1f s with the broker's port closed"
                            % (used, wall))
        if not fleet_status_is(pt, connected=False):
            problems.append("fleet says connected to a closed port")
        pt.finish()
    return problems


class SilentNameServer:
    """UDP port 53 on a loopback address of its own: reads the queries, answers none."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for _ in range(20):  # another test may hold one address: another one, then
            self.address = "127.53.%d.%d" % (random.randint(0, 255), random.randint(1, 254))
            try:
                self.sock.bind((self.address, 53))
                break
            except OSError:
                continue
        else:
            raise AssertionError("no loopback address with port 53 free")
        self.queries = 0
        threading.Thread(target=self._swallow, daemon=True).start()

    def _swallow(self):
        while True:
            try:
                self.sock.recvfrom(4096)
            except OSError:
                return
            self.queries += 1


def private_resolv_conf(folder, text):
    """This process (and what it starts from now on) in a mount namespace of its own where
    /etc/resolv.conf is text; the machine's own is untouched. Needs root."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(0x00020000) != 0:  # CLONE_NEWNS
        raise AssertionError("unshare(CLONE_NEWNS): %s (the case needs root)"
                             % os.strerror(ctypes.get_errno()))
    # Private first: a bind mount must not propagate back to the machine's namespace.
    subprocess.run(["mount", "--make-rprivate", "/"], check=True, capture_output=True)
    path = os.path.join(folder, "resolv.conf")
    with open(path, "w") as f:
        f.write(text)
    subprocess.run(["mount", "--bind", path, "/etc/resolv.conf"], check=True,
                   capture_output=True)


def case_dns_hang(build):
    """The broker named by a name the name server never answers for (it waits 30 s per query
    here): the lookup runs beside the loop, so headless status answers at once and payments
    complete at their usual pace meanwhile, and posterm stops at once with the lookup still
    pending. (A blocking lookup froze the till for the resolver's whole timeout.)"""
    problems = []
    with harness.Workspace(build) as ws:
        stretch = harness.slowdown(build)
        dns = SilentNameServer()
        private_resolv_conf(ws.dir, "nameserver %s\noptions timeout:30 attempts:1\n"
                            % dns.address)
        pt = harness.Posterm(build, ws.config(None, {"fleet": {
            "host": "broker.posterm-dns-test.example", "port": free_port(),
            "merchant": MERCHANT, "reconnect_max_ms": 1000}}))
        pt.ready()
        if not wait_until(lambda: dns.queries > 0, 5, stretch):
            problems.append("the name server was never asked: the case tests nothing")
        slowest = 0.0
        for i in range(5):
            start = time.time()
            pt.status()
            slowest = max(slowest, time.time() - start)
        if slowest > 0.5 * stretch:
            problems.append("headless status took %.2f s while the name was looked up"
                            % slowest)
        start = time.time()
        pay(pt, 3)
        took = time.time() - start
        if took > 3 * stretch:
            problems.append("3 payments took %.1f s while the name was looked up" % took)
        if not fleet_status_is(pt, connected=False):
            problems.append("fleet says connected: %s" % pt.status().get("fleet"))
        start = time.time()
        if pt.finish() != 0:
            problems.append("posterm did not exit 0")
        if time.time() - start > 3 * stretch:
            problems.append("posterm took %.1f s to stop" % (time.time() - start))
    return problems


def case_password(build):
    """A broker that wants a user name and password: a password file others may read stops
    posterm at start (exit 2, naming the key); a wrong password delivers nothing and keeps
    every row; the right one delivers everything."""
    problems = []
    with harness.Workspace(build) as ws:
        stretch = harness.slowdown(build)
        plain, port = free_port(), free_port()
        users = os.path.join(ws.dir, "broker-users")
        open(users, "w").close()
        subprocess.run(["mosquitto_passwd", "-b", users, TERMINAL, "s3cret-pass"], check=True,
                       capture_output=True)
        broker = Broker(ws.dir, plain, stretch, "listener %d 127.0.0.1\nallow_anonymous false\n"
                        "password_file %s\n" % (port, users))
        broker.start()
        hq = HeadOffice(plain).connect()
        secret = os.path.join(ws.dir, "mqtt-password")
        try:
            def config():
                return ws.config(None, {"fleet": {
                    "host": "127.0.0.1", "port": port, "merchant": MERCHANT, "tls": False,
                    "username": TERMINAL, "password_file": secret, "reconnect_max_ms": 1000}})
            with open(secret, "w") as f:
                f.write("s3cret-pass\n")
            os.chmod(secret, 0o644)
            pt = harness.Posterm(build, config())
            code = pt.proc.wait(20 * stretch)
            if code != 2 or "fleet.password_file" not in pt.stderr_tail():
                problems.append("a password file others may read: exit %s, %s"
                                % (code, pt.stderr_tail(300)))
            os.chmod(secret, 0o600)
            with open(secret, "w") as f:
                f.write("wrong\n")
            pt = harness.Posterm(build, config())
            pt.ready()
            pay(pt, 1)
            time.sleep(2 * stretch)
            if hq.ledger()[0] or any(r[3] for r in outbox_rows(ws.journal)):
                problems.append("a wrong password delivered or marked something")
            pt.finish()
            with open(secret, "w") as f:
                f.write("s3cret-pass\n")
            pt = harness.Posterm(build, config())
            pt.ready()
            compare(hq, ws.journal, stretch, problems)
            pt.finish()
        finally:
            hq.disconnect()
            broker.stop()
    return problems


CASES = {"events": case_events, "outage": case_outage, "outage_long": case_outage_long,
         "kill": case_kill, "zreport": case_zreport, "disk_full": case_disk_full,
         "tls": case_tls, "tls_name": case_tls_name,
         "tls_sni": case_tls_sni, "tls_refused": case_tls_refused, "dns_hang": case_dns_hang,
         "password": case_password}
# Every outbox point: the row committed with its event, before publishing (created, paid,
# refunded), handed to the connection before its PUBACK, its mark committed.
CASES.update({"crash_" + p: crash_case(p) for p in
              ("created", "paid", "refunded", "fleet_published", "fleet_marked")})

if __name__ == "__main__":
    sys.exit(harness.run_cases(sys.argv[0], CASES, sys.argv))
