#!/usr/bin/env python3
"""field_vm.py - boots the terminal field-vm.sh built, three times, from one disk; cuts the
power by killing QEMU from outside at moments chosen from posterm's JSON lines on the serial
console; then audits the simulator's ledger against posterm's journal, both read off the disk
(the ledger lives in the simulator's --ledger file; the last boot saves GET /_sim/audit).

    boot 1 (online):  A paid; B paid after the customer confirmed for 8 s; C confirming when
                      the power goes (cut 1: a payment unresolved)
    boot 2 (offline): C resumed; D cannot reach the gateway, the cashier aborts it; the power
                      goes while D's cancel is pending (cut 2)
    boot 3 (offline 15 s, then online): C and D resumed, their query and cancel replayed when
                      the gateway answers; E paid; F (WeChat Pay) and G (Alipay) paid by the
                      customer scanning the terminal's QR; H asked for by the cash register
                      over the register API (busybox nc on api.listen, the VM's loopback) and
                      paid with a scanned code; the till closed, a clean power-off

After each cut a copy of the disk is checked (e2fsck replays ext4's journal as the next boot
would) to show what posterm's journal held at the moment the power went.

Every paid payment's receipt is printed on the emulated USB printer across the cuts. What the
printer received is kept outside the board (paper-N.bin, one per boot, written by QEMU from a
virtio serial port) and decoded with the tests' escpos-decode. The receipt audit: each paid
payment has a complete receipt (ESC @ to the cut) showing its order number as text and QR
code, its amount and only its code's last four digits; at most one of them unmarked, any
other marked as a reprint (a cut between a job's "sending" and "printed" in the journal makes
the next boot print it again, marked); none for a payment not paid; a receipt cut off part-way
only as the last thing on a boot's paper; every print job in the journal printed. A QR
payment's receipt shows no payment code at all (there was none).

The QR payments: the payload posterm printed in its qr event (what a customer display would
draw) is the one the customer scanned (the cashier script posts it to the simulator's
/_sim/scan inside the VM), the one the journal holds and the one the gateway created the order
with; each ends PAID in the journal and charged once in the ledger.

The register's payment: the register (the cashier script's nc) heard its sale's events on its
own connection, from created to the final PAID, all for H's order, and then a status that says
PAID; the journal's sales table maps its sale_id to H's order and nothing else. A FIELD-FAIL
line from the cashier script (a register that never heard PAID, a status not PAID) fails the
test as soon as it is read (vm_boot.Boot.wait).

Head office (app/FLEET.md): a mosquitto started here on two free loopback ports - TLS with the
terminal's certificate required for the board, plain for head office - and a paho subscriber
with a persistent session that keeps every message across the three boots. The board's
network is QEMU's user-mode stack, restricted: its one way out is 10.0.2.100:8883, forwarded
(a socat per connection) to the broker's TLS port. Boot 1 publishes A's events live; once A's
paid has reached head office the broker is stopped, so the events after it (B's paid, C's)
are committed but unacknowledged when the power goes: they must reach head office in boot 2
(the broker started again before it). In boot 2, once D's created has reached head office,
the broker is frozen (SIGSTOP): D's later events reach its socket unacknowledged. Thawed after
cut 2, it delivers what it had read (head office's copy of a row the journal never saw
acknowledged) and publishes the terminal's last will (offline); every row unacknowledged at
cut 2 must arrive again in boot 3, a duplicate head office drops by (journal, seq). At the end
fleet_consumer rebuilds head office's books, deduplicated by (journal, seq), and compares them
with the journal read off the disk: every outbox row arrived, seq without a gap, each order in
its journal state with its money and code digits, a repeat identical to the first.
"""
import argparse
import json
import os
import re
import pwd
import shlex
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time

import vm_boot  # the script's own directory is on sys.path: it is run as a script
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import harness  # noqa: E402  (the audit rules every e2e test uses)
import fleet_consumer  # noqa: E402  (head office's books rebuilt from the messages)

try:
    import paho.mqtt.client as mqtt
except ImportError:
    # A Python of its own (pyenv, a venv) does not see Debian's python3-paho-mqtt.
    sys.path.append("/usr/lib/python3/dist-packages")
    import paho.mqtt.client as mqtt

UNRESOLVED = {"NEW", "PAYING", "QUERYING", "CANCELLING", "REFUNDING"}
BOOTED = []    # every Boot, for its events
# Last four digits of the codes the scanner types for A to E and H (field-vm.sh's CODES).
TYPED = ["6000", "3403", "7003", "3500", "8000", "3600"]
CODES = {"A": "134567890123456000", "B": "2876543210123403", "C": "134567890123457003",
         "D": "2876543210123500", "E": "134567890123458000", "H": "2876543210123600"}
# F and G: the customer scans the terminal (field-cashier.sh's qr_pay), no payment code.
QR_CHANNELS = {"F": "wechat", "G": "alipay"}
AMOUNTS = {"A": "1.00", "B": "2.00", "C": "3.00", "D": "4.00", "E": "5.00", "F": "6.00",
           "G": "7.00", "H": "8.00"}
# H: the cash register's sale (field-cashier.sh's register_pay), by its own id.
REGISTER_SALES = {"H": "FIELD-H"}
HEARD = "FIELD-STEP register hears:"
REPRINT = "*** REPRINT ***"
# Head office's topics for the board (field-vm.sh: fleet.merchant, terminal_id).
FLEET_PREFIX = "posterm/field/FIELD1/"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Broker:
    """mosquitto on this machine: tls_port for the board (the test CA's broker certificate,
    the terminal's own certificate required), plain_port for head office, both on loopback.
    Stopped with SIGTERM, it saves head office's session for its next start."""

    def __init__(self, work, pki):
        self.dir = os.path.join(work, "broker")
        os.makedirs(self.dir, exist_ok=True)
        self.plain_port, self.tls_port, self.proc = free_port(), free_port(), None
        self.conf = os.path.join(self.dir, "mosquitto.conf")
        with open(self.conf, "w") as f:
            # max_queued_messages 0: nothing dropped for head office (FLEET.md); user: as
            # root, mosquitto would become user mosquitto, who cannot read this folder.
            f.write("per_listener_settings true\npersistence true\nmax_queued_messages 0\n"
                    "persistence_location %s/\nlog_dest file %s/log\nuser %s\n"
                    "listener %d 127.0.0.1\nallow_anonymous true\n"
                    "listener %d 127.0.0.1\nallow_anonymous true\ncafile %s/ca.pem\n"
                    "certfile %s/broker.pem\nkeyfile %s/broker.key\nrequire_certificate true\n"
                    % (self.dir, self.dir, pwd.getpwuid(os.getuid()).pw_name, self.plain_port,
                       self.tls_port, pki, pki, pki))

    def start(self):
        self.proc = subprocess.Popen(["mosquitto", "-c", self.conf],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.plain_port), 0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise AssertionError("mosquitto did not start on port %d" % self.plain_port)

    def pause(self):
        """SIGSTOP: connections stay open, what the board sends waits in the socket unread
        and unacknowledged."""
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self):
        self.proc.send_signal(signal.SIGCONT)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)  # a paused broker would not take SIGTERM
            self.proc.terminate()
            self.proc.wait(30)
        self.proc = None

    def log_tail(self, n=30):
        try:
            with open(os.path.join(self.dir, "log")) as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return "(no broker log)"


class HeadOffice:
    """The subscriber, QoS 1 with a persistent session: every message on the board's topics
    with the boot it arrived in (boot: the board's power-on under way, set by main)."""

    def __init__(self, port):
        self.port = port
        self.boot = 1
        self.events = []   # (boot, event) in arrival order: .../events and the Z reports
        self.status = []   # (time, status)
        self.lock = threading.Lock()
        self.client = None

    def _on_message(self, client, userdata, msg):
        body = json.loads(msg.payload)
        with self.lock:
            if msg.topic == FLEET_PREFIX + "status":
                self.status.append((time.time(), body))
            elif msg.topic == FLEET_PREFIX + "events" or body.get("type") == "zreport":
                self.events.append((self.boot, body))

    def connect(self):
        c = mqtt.Client(client_id="field-head-office", clean_session=False)
        c.on_message = self._on_message
        subscribed = threading.Event()
        c.on_subscribe = lambda *a: subscribed.set()
        c.on_connect = lambda cl, u, flags, rc: cl.subscribe(FLEET_PREFIX + "#", qos=1)
        c.reconnect_delay_set(1, 1)  # back soon after the broker's outage in boot 1
        c.connect("127.0.0.1", self.port, keepalive=30)
        c.loop_start()
        if not subscribed.wait(30):
            raise AssertionError("head office could not subscribe")
        self.client = c
        return self

    def disconnect(self):
        if self.client:
            self.client.disconnect()
            self.client.loop_stop()
        self.client = None

    def arrived(self):
        with self.lock:
            return list(self.events)

    def wait(self, pred, timeout, what):
        deadline = time.time() + timeout
        while not pred():
            if time.time() > deadline:
                raise AssertionError("head office: timed out after %d s waiting for %s" % (
                    timeout, what))
            time.sleep(0.1)

    def statuses_since(self, t):
        with self.lock:
            return [s for at, s in self.status if at >= t]


class FieldBoot(vm_boot.Boot):
    """A power-on of the arm64 board; keeps posterm's events and each order's states."""

    def __init__(self, args, n):
        # The printer's paper: a virtio serial port named paper, kept in a file here.
        paper = ["-device", "virtio-serial-device",
                 "-chardev", "file,id=paper,path=%s" % paper_path(args, n),
                 "-device", "virtserialport,chardev=paper,name=paper"]
        # The shop's network: restrict=on lets nothing out but the one forward, each
        # connection to 10.0.2.100:8883 handed to a socat to the broker's TLS port.
        net = ["-netdev", "user,id=net,restrict=on,guestfwd=tcp:10.0.2.100:8883-cmd:"
               "socat - TCP:127.0.0.1:%d" % args.fleet_port,
               "-device", "virtio-net-device,netdev=net"]
        super().__init__(args, n, "virtio-blk-device", extra_qemu=paper + net)
        BOOTED.append(self)
        self.events = []
        self.orders = []      # in the order posterm created them this boot
        self.state = {}       # order -> last state printed
        self.transitions = {}  # order -> transitions printed this boot
        self.qrs = {}          # order -> the qr events posterm printed for it
        self.heard = []        # what the register heard, one {key: value} per event

    def on_event(self, ev):
        self.events.append(ev)
        if ev.get("event") == "qr":
            self.qrs.setdefault(ev["order"], []).append(ev)
        elif ev.get("event") == "payment":
            o = ev["order"]
            if o not in self.state:
                self.orders.append(o)
            self.state[o] = ev["state"]
            self.transitions.setdefault(o, []).append(ev["transition"])
        elif ev.get("event") == "message":
            print("  boot %d posterm: %s" % (self.n, ev.get("text")))
        elif ev.get("event") == "print" and ev["what"] in ("printed", "failed", "unprintable"):
            print("  boot %d print: %s %s %s%s%s" % (
                self.n, ev.get("kind"), ev.get("order"), ev["what"],
                " (reprint)" if ev.get("reprint") else "",
                ": " + ev["reason"] if ev.get("reason") else ""))

    def on_line(self, line):
        if "FIELD-" in line:
            said = line[line.index("FIELD-"):].rstrip()
            print("  boot %d vm: %s" % (self.n, said))
            if said.startswith(HEARD):
                self.heard.append(dict(kv.split("=", 1) for kv in said[len(HEARD):].split()))

    def wait_state(self, index, states, timeout, what):
        """Until the index-th order created this boot is in one of states."""
        def ok(line, ev):
            return len(self.orders) > index and self.state[self.orders[index]] in states
        self.wait(ok, timeout, what)
        return self.orders[index]


def disk_files(args, label, names):
    """Copies the named files off a copy of the disk, after e2fsck replayed ext4's journal
    as the next boot's mount would. Returns {name: local path or None}."""
    out = os.path.join(args.work, label)
    os.makedirs(out, exist_ok=True)
    img = os.path.join(out, "disk.img")
    shutil.copyfile(args.disk, img)
    fsck = subprocess.run(["e2fsck", "-fy", img], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if fsck.returncode >= 4:
        raise AssertionError("%s: e2fsck found errors it could not fix:\n%s" % (
            label, fsck.stdout.decode(errors="replace")))
    listing = subprocess.run(["debugfs", "-R", "ls -p /", img], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL).stdout.decode()
    present = {f.split("/")[5] for f in listing.splitlines() if f.count("/") >= 6}
    got = {}
    for name in names:
        if name not in present:
            got[name] = None
            continue
        dest = os.path.join(out, name)
        subprocess.run(["debugfs", "-R", "dump /%s %s" % (name, dest), img], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        got[name] = dest
    os.unlink(img)
    return got


def journal_after(args, label):
    """The journal's payments on the disk, and the outbox rows not yet acknowledged (seqs)."""
    files = disk_files(args, label, ["journal.db", "journal.db-wal"])
    if files["journal.db"] is None:
        raise AssertionError("%s: no journal on the disk" % label)
    return harness.journal_rows(files["journal.db"]), unsent_rows(files["journal.db"])


def unsent_rows(journal_path):
    db = sqlite3.connect(journal_path)
    try:
        return [r[0] for r in db.execute("SELECT seq FROM outbox WHERE sent_at = 0 ORDER BY seq")]
    finally:
        db.close()


def seq_span(seqs):
    return "none" if not seqs else "seq %d-%d" % (seqs[0], seqs[-1]) if len(seqs) > 1 \
        else "seq %d" % seqs[0]


def audit_head_office(hq, journal_path, unsent_at_cut):
    """Head office's books against the journal (fleet_consumer), and each row unacknowledged
    at a power cut arrived again after the next power-on. Prints the FIELD line, returns the
    problems."""
    arrived = hq.arrived()
    ledgers = fleet_consumer.rebuild([e for _, e in arrived])
    problems = fleet_consumer.compare(ledgers, journal_path, codes=CODES.values())
    journal = fleet_consumer.journal_identity(journal_path)
    mine = [(boot, e) for boot, e in arrived if e["journal"] == journal]
    never = 0
    for cut, seqs in sorted(unsent_at_cut.items()):
        late = {e["seq"] for boot, e in mine if boot > cut}
        lost = [s for s in seqs if s not in late]
        never += len(lost)
        if lost:
            problems.append("outbox rows unacknowledged at cut %d never arrived after it: %s" % (
                cut, lost))
    ledger = ledgers.get(journal)
    seqs = sorted(ledger.by_seq) if ledger else []
    print("FIELD head office: %d messages received, %d duplicates, %s from journal %s; "
          "by boot %s; unacknowledged at cut 1: %s, at cut 2: %s, %s" % (
              len(mine), ledger.duplicates if ledger else 0,
              "seq %d..%d (%d distinct)" % (seqs[0], seqs[-1], len(seqs)) if seqs else "nothing",
              journal, "/".join(str(sum(1 for b, _ in mine if b == n)) for n in (1, 2, 3)),
              seq_span(unsent_at_cut.get(1, [])), seq_span(unsent_at_cut.get(2, [])),
              "%d of them never arrived after their cut" % never if never
              else "each arrived after its cut"))
    return problems


def squeeze(transitions):
    """created,resumed,resumed,paid -> created,resumed x2,paid"""
    out = []
    for t in transitions:
        if out and out[-1][0] == t:
            out[-1][1] += 1
        else:
            out.append([t, 1])
    return ",".join(t if n == 1 else "%s x%d" % (t, n) for t, n in out)


REQUEST = re.compile(r" (alipay|wechat) (pay|query|cancel|refund) order (\S+)(?: code \S+ \S+)? -> (\w+)")


def requests_by_order(log_path):
    """posterm's request log: order -> [(op, reply kind, connection refused?)] in order."""
    by_order = {}
    with open(log_path) as f:
        for line in f:
            m = REQUEST.search(line)
            if m:
                by_order.setdefault(m.group(3), []).append(
                    (m.group(2), m.group(4), "Couldn't connect" in line))
    return by_order


def paper_path(args, n):
    return os.path.join(args.work, "paper-%d.bin" % n)


def read_paper(args, n):
    """Boot n's paper decoded: (receipts, problems). A receipt is {boot, texts, qrs, complete};
    the decoder stops at the first thing it cannot read, which is allowed only for a receipt
    cut off by the power cut, at the end of the boot's paper."""
    path = paper_path(args, n)
    if not os.path.exists(path):
        return [], ["boot %d: no paper file" % n]
    with open(path, "rb") as f:
        data = f.read()
    run = subprocess.run(shlex.split(args.decoder) + [path], capture_output=True, text=True)
    found, problems, current = [], [], None
    for line in run.stdout.splitlines():
        el = json.loads(line)
        if el.get("init"):
            current = {"boot": n, "texts": [], "qrs": [], "complete": False}
            found.append(current)
        elif "error" in el:
            tail = data[el.get("offset", 0):]
            if b"\x1dV" in tail or b"\x1b@" in tail[1:]:
                problems.append("boot %d: paper undecodable at byte %s of %d, with more receipts "
                                "after it: %s" % (n, el.get("offset"), len(data), el["error"]))
        elif current is None or current["complete"]:
            continue
        elif "text" in el:
            current["texts"].append(el["text"].strip())
        elif "qr" in el:
            current["qrs"].append(el["qr"])
        elif "cut" in el:
            current["complete"] = True
    for r in found[:-1]:
        if not r["complete"]:
            problems.append("boot %d: a receipt cut off in the middle of the paper: %s" % (
                n, r["texts"]))
    for code in CODES.values():
        if code[:-4].encode() in data:
            problems.append("boot %d: the printer received more of a payment code than its last "
                            "four digits" % n)
    return found, problems


def receipt_order(r, orders):
    """The order a receipt is for: its QR code, else (cut off before it) its Order line."""
    if r["qrs"]:
        return r["qrs"][0]
    for o in orders:
        if any(o in t for t in r["texts"]):
            return o
    return None


def audit_receipts(args, names, rows, journal_path):
    """The receipt audit (see the header); prints the figures, returns the problems."""
    problems = []
    papers = []
    for boot in BOOTED:
        found, trouble = read_paper(args, boot.n)
        papers += found
        problems += trouble
    by_order = {}
    for r in papers:
        by_order.setdefault(receipt_order(r, names), []).append(r)
    paid = [o for o, row in rows.items() if row["state"] == "PAID"]
    for o in sorted(set(by_order) - set(paid)):
        problems.append("receipts printed for %s, not a paid payment (%s)" % (
            names.get(o, o), rows.get(o, {}).get("state", "unknown")))
    complete_n = unmarked_n = marked_n = partial_n = 0
    print("receipts on the printer's paper:")
    for o in sorted(paid, key=lambda x: names.get(x, x)):
        letter = names.get(o, "?")
        mine = by_order.get(o, [])
        complete = [r for r in mine if r["complete"]]
        unmarked = [r for r in complete if r["texts"].count(REPRINT) == 0]
        marked = [r for r in complete if r["texts"].count(REPRINT) == 2]
        partial = [r for r in mine if not r["complete"]]
        complete_n += len(complete)
        unmarked_n += len(unmarked)
        marked_n += len(marked)
        partial_n += len(partial)
        print("  %s %s: %d complete (%d unmarked, %d marked reprints), %d cut off; boots %s" % (
            letter, o, len(complete), len(unmarked), len(marked), len(partial),
            ",".join(str(r["boot"]) for r in mine) or "-"))
        if not complete:
            problems.append("%s was paid and its receipt never printed whole" % letter)
        if len(unmarked) > 1:
            problems.append("%s's receipt printed %d times unmarked" % (letter, len(unmarked)))
        if len(unmarked) + len(marked) != len(complete):
            problems.append("%s: a receipt marked as a reprint at one end only" % letter)
        code, amount = CODES.get(letter, ""), AMOUNTS.get(letter, "")
        for r in complete:
            text = "\n".join(r["texts"])
            if r["qrs"] != [o] or o not in text:
                problems.append("%s: a receipt without its order number as text and QR code: %s"
                                % (letter, r["qrs"]))
            if "￥" + amount not in text:
                problems.append("%s: a receipt without its amount: %s" % (letter, r["texts"]))
            if code and "****" + code[-4:] not in text:
                problems.append("%s: a receipt without its code's last four digits: %s" % (
                    letter, r["texts"]))
            if not code and "****" in text:
                problems.append("%s: a QR payment's receipt shows a payment code: %s" % (
                    letter, r["texts"]))
    db = sqlite3.connect("file:%s?mode=ro" % journal_path, uri=True)
    jobs = db.execute("SELECT order_no, state, reprint, attempts FROM print_jobs").fetchall()
    db.close()
    for order_no, state, reprint, attempts in jobs:
        if state != "printed":
            problems.append("the journal's print job for %s is %s" % (
                names.get(order_no, order_no), state))
    print("  %d print jobs in the journal, %d attempts; %d complete receipts on paper: %d "
          "unmarked, %d marked reprints; %d cut off by a power cut" % (
              len(jobs), sum(j[3] for j in jobs), complete_n, unmarked_n, marked_n, partial_n))
    return problems


def audit_qr(boot, names, rows, trades):
    """F and G: one QR shown each, its payload the journal's and the gateway's, scanned once
    and charged once; the QR payment's transitions. Prints them, returns the problems."""
    problems = []
    for letter, channel in sorted(QR_CHANNELS.items()):
        o = next((k for k, v in names.items() if v == letter), None)
        shown = boot.qrs.get(o, [])
        row, t = rows.get(o, {}), trades.get(o) or {}
        if len(shown) != 1:
            problems.append("%s: posterm printed %d qr events, not one" % (letter, len(shown)))
            continue
        qr = shown[0]
        print("  QR %s %s: %s %s shown as %s; journal %s %s, gateway %s scanned %s charged %d" % (
            letter, o, qr["channel"], qr["amount"], qr["payload"], row.get("kind"),
            row.get("state"), t.get("state"), t.get("scanned"), t.get("charged", 0)))
        if qr["channel"] != channel or qr["amount"] != AMOUNTS[letter]:
            problems.append("%s: the qr event is for %s %s" % (letter, qr["channel"], qr["amount"]))
        if row.get("kind") != "qr" or row.get("channel") != channel:
            problems.append("%s journaled as %s/%s" % (letter, row.get("kind"), row.get("channel")))
        if row.get("qr_payload") != qr["payload"] or t.get("qr") != qr["payload"]:
            problems.append("%s: shown %r, journal %r, gateway %r" % (
                letter, qr["payload"], row.get("qr_payload"), t.get("qr")))
        if not t.get("scanned") or t.get("charged") != 1:
            problems.append("%s: the gateway's trade was not scanned and charged once: %s" % (
                letter, t))
        if boot.transitions.get(o, [])[:3] != ["created", "pay_intent", "pay_confirming"] or \
                boot.transitions[o][-1] != "paid":
            problems.append("%s: transitions %s" % (letter, boot.transitions.get(o)))
    return problems


def audit_register(boot, names, journal_path):
    """H: what the register heard on its connection, and the journal's sales table. Prints
    them, returns the problems."""
    problems = []
    db = sqlite3.connect("file:%s?mode=ro" % journal_path, uri=True)
    sales = dict(db.execute("SELECT sale_id, order_no FROM sales"))
    db.close()
    want = {sale: next((o for o, v in names.items() if v == letter), None)
            for letter, sale in REGISTER_SALES.items()}
    print("  register sales in the journal: %s" % sales)
    if sales != want:
        problems.append("the journal's sales are %s, the register asked for %s" % (sales, want))
    for letter, sale in sorted(REGISTER_SALES.items()):
        o = want[sale]
        heard = [e for e in boot.heard if e.get("sale_id") == sale]
        events = [e for e in heard if e.get("event") == "payment"]
        status = [e for e in heard if e.get("event") == "status"]
        print("  register %s %s: heard %s; status %s" % (
            letter, sale, ",".join("%s/%s" % (e.get("transition"), e.get("step")) for e in events)
            or "nothing", ", ".join("%s %s" % (e.get("state"), e.get("order")) for e in status)
            or "never answered"))
        if not events or events[0].get("transition") != "created" or \
                events[-1].get("state") != "PAID" or events[-1].get("final") != "true":
            problems.append("%s: the register heard %s, not created to a final PAID" % (
                letter, events))
        if any(e.get("order") != o for e in events + status):
            problems.append("%s: the register heard of other orders than %s: %s" % (
                letter, o, heard))
        if [e.get("state") for e in status] != ["PAID"] or status[0].get("known") != "true":
            problems.append("%s: the register's status answers %s, not one PAID" % (letter, status))
        if events and events[-1].get("code") != "****" + CODES[letter][-4:]:
            problems.append("%s: the register heard the code as %s" % (
                letter, events[-1].get("code")))
    return problems


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pki", required=True,
                    help="the test CA, the broker's certificate and key (field-vm.sh)")
    ap.add_argument("--decoder", required=True,
                    help="the escpos-decode command line (shell words) run on each boot's paper")
    for opt in ("work", "kernel", "initrd", "disk", "console"):
        ap.add_argument("--" + opt, required=True)
    ap.add_argument("qemu", nargs="+")
    args = ap.parse_args()
    broker = Broker(args.work, args.pki).start()
    args.fleet_port = broker.tls_port
    hq = None
    try:
        hq = HeadOffice(broker.plain_port).connect()
        return field_test(args, broker, hq)
    finally:
        if hq:
            hq.disconnect()
        broker.stop()


def field_test(args, broker, hq):
    t0 = time.time()
    names = {}   # order -> the letter of the cashier's plan
    problems = []
    unsent_at_cut = {}  # cut -> the outbox rows the journal on the disk had not seen acknowledged

    # --- boot 1: online; cut while C's customer is still confirming ---
    b = FieldBoot(args, 1)
    b.wait(lambda line, ev: ev and ev.get("event") == "ready", 240, "posterm ready (boot 1)")
    a = b.wait_state(0, {"PAID"}, 120, "A paid")
    names[a] = "A"
    hq.wait(lambda: any(e.get("order") == a and e.get("event") == "paid"
                        for _, e in hq.arrived()), 120, "A's paid event")
    # The broker goes: what follows is committed with no PUBACK to mark it, until boot 2.
    broker.stop()
    print("  head office got A's paid over TLS from the board %.0f s after boot 1 started; "
          "broker stopped" % (time.time() - b.started))
    names[b.wait_state(1, {"PAID"}, 120, "B paid")] = "B"
    c = b.wait_state(2, {"QUERYING"}, 120, "C confirming")
    names[c] = "C"
    time.sleep(0.5)
    took = b.cut()
    print("cut 1: power off %.0f s after boot 1 started, C (%s) %s, its customer confirming" % (
        took, c, b.state[c]))
    print("  boot 1 paid: A %s, B %s (transitions %s)" % (
        b.orders[0], b.orders[1], ",".join(b.transitions[b.orders[1]])))
    rows, unsent_at_cut[1] = journal_after(args, "after-cut-1")
    print("  outbox on disk after cut 1: %s unacknowledged" % seq_span(unsent_at_cut[1]))
    if not unsent_at_cut[1]:
        problems.append("after cut 1 (the broker down since A) the outbox holds nothing "
                        "unacknowledged: B's paid was committed without its row?")
    if rows.get(c, {}).get("state") not in UNRESOLVED:
        problems.append("after cut 1 the journal shows C as %s, not unresolved" %
                        rows.get(c, {}).get("state"))
    print("  journal on disk after cut 1: %s" % {names.get(o, o): r["state"] for o, r in rows.items()})

    # --- boot 2: offline; C resumed; D aborted; cut while D's cancel is pending ---
    broker.start()
    hq.boot = 2
    b = FieldBoot(args, 2)
    b.wait(lambda line, ev: ev and ev.get("event") == "ready", 240, "posterm ready (boot 2)")
    def d_created(line, ev):
        return any(o != c for o in b.orders)
    b.wait(d_created, 120, "D created")
    d = [o for o in b.orders if o != c][0]
    hq.wait(lambda: any(e.get("order") == d and e.get("event") == "created"
                        for _, e in hq.arrived()), 120, "D's created event")
    # The broker freezes: D's later events (at least its cancel_decided, seconds away) reach
    # its socket but are never acknowledged before the power goes.
    broker.pause()
    def d_cancelling(line, ev):
        new = [o for o in b.orders if o != c]
        return bool(new) and b.state[new[0]] == "CANCELLING"
    b.wait(d_cancelling, 120, "D's cancel decided")
    d = [o for o in b.orders if o != c][0]
    names[d] = "D"
    time.sleep(2)   # a cancel attempt or two fail against the unreachable gateway
    cut_at = time.time()  # before the cut: the will may reach head office within ms of it
    took = b.cut()
    # Thawed, the broker reads what the board sent before it died (delivered to head office,
    # never acknowledged to the board: boot 3 sends it again) and the closed connection.
    broker.resume()
    print("cut 2: power off %.0f s after boot 2 started, D (%s) %s (cancel pending), C %s" % (
        took, d, b.state[d], b.state.get(c, "not resumed yet")))
    print("  boot 2 resumed C: %s; D: %s" % (squeeze(b.transitions.get(c, [])),
                                             squeeze(b.transitions[d])))
    if "resumed" not in b.transitions.get(c, []):
        problems.append("boot 2 did not resume C")
    rows, unsent_at_cut[2] = journal_after(args, "after-cut-2")
    print("  outbox on disk after cut 2: %s unacknowledged" % seq_span(unsent_at_cut[2]))
    if not unsent_at_cut[2]:
        problems.append("after cut 2 (the broker frozen since D's created) the outbox holds "
                        "nothing unacknowledged: D's cancel_decided was committed without its row?")
    # The board's connection died with it: the broker publishes the terminal's last will.
    try:
        hq.wait(lambda: {"state": "offline"} in hq.statuses_since(cut_at), 60,
                "the last will after cut 2")
        print("  head office: status offline (the last will) %.1f s after cut 2" % (
            time.time() - cut_at))
    except AssertionError as e:
        problems.append(str(e))
    if rows.get(d, {}).get("state") != "CANCELLING":
        problems.append("after cut 2 the journal shows D as %s, not CANCELLING" %
                        rows.get(d, {}).get("state"))
    print("  journal on disk after cut 2: %s" % {names.get(o, o): r["state"] for o, r in rows.items()})

    # --- boot 3: offline 15 s, then online; everything replayed; E; clean power-off ---
    hq.boot = 3
    b = FieldBoot(args, 3)
    b.wait(lambda line, ev: "FIELD-DONE" in line, 300, "the till closed (boot 3)")
    took = b.finish(60)
    new = [o for o in b.orders if o not in names]
    for o, letter in zip(new, "EFGH"):
        names[o] = letter
    if len(new) != 4:
        problems.append("boot 3 created %d orders, the cashier and the register made 4 "
                        "(E, F, G, H)" % len(new))
    print("boot 3: %.0f s to a clean power-off" % took)
    for o, letter in sorted(names.items(), key=lambda x: x[1]):
        if o in b.transitions:
            print("  %s (%s): %s -> %s" % (letter, o, squeeze(b.transitions[o]), b.state[o]))
    for o, letter in ((c, "C"), (d, "D")):
        if "resumed" not in b.transitions.get(o, []):
            problems.append("boot 3 did not resume %s" % letter)
        elif b.state.get(o) not in harness.FINAL:
            problems.append("boot 3 left %s %s" % (letter, b.state.get(o)))

    # --- the audit: the simulator's ledger against posterm's journal, both off the disk ---
    files = disk_files(args, "final", ["journal.db", "journal.db-wal", "audit.json", "posterm.log"])
    if files["audit.json"] is None:
        raise AssertionError("no audit.json on the disk: the simulator's ledger was not read")
    with open(files["audit.json"]) as f:
        ledger = json.load(f)
    found, rows, ledger = harness.audit_ledger(files["journal.db"], ledger)
    problems += found
    if len(rows) != 8:
        problems.append("the journal holds %d payments, the cashier and the register made 8" %
                        len(rows))
    for letter, want in (("A", "PAID"), ("B", "PAID"), ("D", "CANCELLED"), ("E", "PAID"),
                         ("F", "PAID"), ("G", "PAID"), ("H", "PAID")):
        o = [k for k, v in names.items() if v == letter]
        if not o or rows.get(o[0], {}).get("state") != want:
            problems.append("%s ended %s, expected %s" % (
                letter, rows.get(o[0], {}).get("state") if o else "missing", want))
    # Replayed: each request the unreachable gateway refused, then the one it answered. The
    # request log is written but not synced, so the boots cut short may have lost their last
    # lines; boot 3, where the replays happen, ended with a clean unmount.
    requests = requests_by_order(files["posterm.log"])
    for o, letter in ((c, "C"), (d, "D")):
        tried = requests.get(o, [])
        refused = [r for r in tried if r[2]]
        answered = [r for r in tried if not r[2] and r[1] != "UNKNOWN"]
        print("  replayed %s: %d requests refused while offline (%s), then %s" % (
            letter, len(refused), ", ".join(sorted({r[0] for r in refused})) or "-",
            "%s -> %s" % answered[-1][:2] if answered else "no answer"))
        if not refused or not answered:
            problems.append("%s was not replayed after the outage" % letter)
    # The cashier never sends "scan": every pay left with a code posterm read over USB.
    scanned = [ev["code"][-4:] for boot in BOOTED for ev in boot.events
               if ev.get("event") == "payment" and ev["transition"] == "pay_intent"
               and ev["kind"] == "barcode"]
    print("  codes read from the USB scanner (last four digits): %s" % " ".join(scanned))
    if scanned != TYPED:
        problems.append("posterm paid with codes ending %s, the scanner typed %s" % (scanned, TYPED))
    trades = {t["out_trade_no"]: t for t in ledger["trades"]}
    problems += audit_qr(b, names, rows, trades)
    problems += audit_register(b, names, files["journal.db"])
    print("audit: journal and ledger, %d payments, %d trades at the gateway:" % (
        len(rows), len(trades)))
    for o, letter in sorted(names.items(), key=lambda x: x[1]):
        t = trades.get(o)
        print("  %s %s: journal %s %d fen; gateway %s" % (
            letter, o, rows[o]["state"] if o in rows else "-",
            rows[o]["amount_fen"] if o in rows else 0,
            "%s, charged %d, cancel %s" % (t["state"], t["charged"], t["cancel_action"] or "-")
            if t else "never reached"))
    problems += audit_receipts(args, names, rows, files["journal.db"])
    # Head office: the cashier closed the till once the broker had every event (its PUBACKs).
    db = sqlite3.connect(files["journal.db"])
    rows_in_outbox = db.execute("SELECT count(*) FROM outbox").fetchone()[0]
    db.close()
    try:
        hq.wait(lambda: len({e["seq"] for _, e in hq.arrived()}) >= rows_in_outbox, 30,
                "the %d outbox rows" % rows_in_outbox)
    except AssertionError as e:
        problems.append(str(e))
    problems += audit_head_office(hq, files["journal.db"], unsent_at_cut)
    last = hq.statuses_since(0)[-1:]
    if last != [{"state": "offline"}]:
        problems.append("head office's last status after the till closed is %s, not offline" %
                        last)
    print("field test: 8 payments (2 by QR, 1 asked for by the register), 2 power cuts, "
          "%.0f s in all" % (time.time() - t0))
    if problems:
        print("---- the broker's log ----")
        print(broker.log_tail())
        print("---- last console lines (boot 3) ----")
        with open(os.path.join(args.work, "console-3.txt")) as f:
            print("".join(f.readlines()[-40:]))
    return harness.verdict(problems)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except AssertionError as e:
        print("field test: FAIL: %s" % e)
        print("0 passed, 1 failed")
        sys.exit(1)
    finally:
        vm_boot.stop_all()
