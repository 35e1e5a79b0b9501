"""fleet_consumer.py - head office's side of app/FLEET.md, for the tests: rebuilds each
terminal's ledger from the messages on .../events and compares it with the terminal's journal.

A head office knows nothing but the messages. It deduplicates by (journal, seq), keeps the last
event of each order (which holds the order's state and money) and each closed day (a Z
report, on .../totals but numbered in the same seq as the events), and notes what would betray a
broken delivery: a seq that skips ahead (a message lost, or sent out of order) and a repeat
that is not a true repeat (same (journal, seq), different content).

    ledgers = rebuild(events)                 # events: the decoded messages, in arrival order
    problems = compare(ledgers, journal_path)  # [] when head office's books equal the journal's
"""
import json

import harness

# The payment's columns a message carries, and what the journal calls them.
FIELDS = ("state", "channel", "amount_fen", "refunded_fen", "code_last4")


class Ledger:
    """One terminal's books at head office: the orders, and how the messages came."""

    def __init__(self, journal):
        self.journal = journal
        self.orders = {}     # order -> its last event
        self.zreports = {}   # number -> the closed day (on .../totals, in the same seq)
        self.by_seq = {}     # seq -> the event, first arrival
        self.highest = 0     # the highest seq applied: everything up to it arrived in order
        self.duplicates = 0  # (journal, seq) seen again
        self.problems = []

    def apply(self, event):
        seq = event["seq"]
        first = self.by_seq.get(seq)
        if first is not None:
            self.duplicates += 1
            if first != event:
                self.problems.append("journal %s seq %d came twice with different contents: "
                                     "%s then %s" % (self.journal, seq, first, event))
            return
        if seq != self.highest + 1:
            # FLEET.md: one connection, in seq order, a reconnection resumes at the oldest
            # unacknowledged row. A first arrival past a gap breaks that promise.
            self.problems.append("journal %s: seq %d arrived after %d" % (self.journal, seq,
                                                                          self.highest))
        self.by_seq[seq] = event
        self.highest = max(self.highest, seq)
        if event["type"] == "zreport":
            self.zreports[event["number"]] = event
        else:
            self.orders[event["order"]] = event


def rebuild(events):
    """{journal id: Ledger} from the messages in arrival order."""
    ledgers = {}
    for event in events:
        ledger = ledgers.setdefault(event["journal"], Ledger(event["journal"]))
        ledger.apply(event)
    return ledgers


def journal_identity(journal_path):
    import sqlite3
    db = sqlite3.connect("file:%s?mode=ro" % journal_path, uri=True)
    try:
        return db.execute("SELECT id FROM journal_meta").fetchone()[0]
    finally:
        db.close()


def compare_zreports(ledger, journal_path):
    """Every closed day of the journal reached head office with its totals per channel."""
    import sqlite3
    problems = []
    db = sqlite3.connect("file:%s?mode=ro" % journal_path, uri=True)
    db.row_factory = sqlite3.Row
    try:
        stored = db.execute("SELECT * FROM z_reports ORDER BY number").fetchall()
        totals = db.execute("SELECT * FROM z_report_totals").fetchall()
    finally:
        db.close()
    for z in stored:
        got = ledger.zreports.get(z["number"])
        if got is None:
            problems.append("Z report %d never reached head office" % z["number"])
            continue
        for key in ("day", "from_at", "closed_at"):
            if got[key] != z[key]:
                problems.append("Z report %d: %s %r at head office, %r in the journal"
                                % (z["number"], key, got[key], z[key]))
        for t in totals:
            if t["number"] != z["number"] or t["channel"] == "none":
                continue
            for key in ("paid_count", "refunded_count", "charged_fen", "refunded_fen",
                        "net_fen", "unresolved_count", "referred_count"):
                if got[t["channel"]][key] != t[key]:
                    problems.append("Z report %d %s: %s %r at head office, %r in the journal"
                                    % (z["number"], t["channel"], key,
                                       got[t["channel"]][key], t[key]))
    for number in ledger.zreports:
        if number not in [z["number"] for z in stored]:
            problems.append("head office has Z report %d, unknown to the journal" % number)
    return problems


def compare(ledgers, journal_path, codes=()):
    """What head office's books say against what the terminal's journal says: the same orders,
    each in the same state with the same money and code digits; every outbox row arrived; no
    message carrying a whole payment code (codes: the codes the test used). [] when equal."""
    import sqlite3
    problems = []
    journal = journal_identity(journal_path)
    ledger = ledgers.get(journal)
    if ledger is None:
        return ["head office has nothing from journal %s (got %s)" % (journal, sorted(ledgers))]
    problems += ledger.problems
    db = sqlite3.connect("file:%s?mode=ro" % journal_path, uri=True)
    try:
        rows_in_outbox = db.execute("SELECT count(*) FROM outbox").fetchone()[0]
    finally:
        db.close()
    if ledger.highest != rows_in_outbox or len(ledger.by_seq) != rows_in_outbox:
        problems.append("head office has seqs up to %d (%d distinct), the journal's outbox %d rows"
                        % (ledger.highest, len(ledger.by_seq), rows_in_outbox))
    rows = harness.journal_rows(journal_path)
    for order, row in rows.items():
        event = ledger.orders.get(order)
        if event is None:
            problems.append("%s (%s in the journal) never reached head office" % (order,
                                                                                 row["state"]))
            continue
        for field in FIELDS:
            if event[field] != row[field]:
                problems.append("%s: head office has %s %r, the journal %r" % (
                    order, field, event[field], row[field]))
        if event["trade_no"] != (row["trade_no"] or ""):
            problems.append("%s: head office has trade_no %r, the journal %r" % (
                order, event["trade_no"], row["trade_no"]))
    problems += compare_zreports(ledger, journal_path)
    for order in ledger.orders:
        if order not in rows:
            problems.append("head office has %s, unknown to the journal" % order)
    for event in ledger.by_seq.values():
        text = json.dumps(event)
        if any(code in text for code in codes):
            problems.append("a message carries a whole payment code: seq %d" % event["seq"])
    return problems
