#!/usr/bin/env python3
"""test_bad_journal.py - posterm with a journal it cannot trust refuses payments, says why,
and never writes to it.

    test_bad_journal.py BUILD_DIR KIND

KIND:
  garbage | newer | truncated   spoiled after a payment: refused at start, file byte for byte
                                as it was
  empty                         an existing 0-byte file: refused with a clear message, never
                                taken for a new journal
  damaged_page                  a page in the middle of a small journal scribbled over: the
                                full check at start refuses it
  damaged_page_background       the same in a journal too big to check within the start-up
                                budget: posterm starts, the check runs in the background, and
                                once it has spoken a payment is refused and the damaged page is
                                as it was
  init                          posterm --init-journal: makes a journal where none is or over
                                an empty file, exits 0; refuses (exit 2) a journal with content
                                and one a running posterm holds
  copied                        a used journal started on another machine (POSTERM_MACHINE_ID,
                                test builds): it takes a new identity and posterm says so; on
                                its own machine again, nothing is said
"""
import hashlib
import os
import sqlite3
import subprocess
import sys
import time

import harness

PAGE = 4096


def spoil(path, kind):
    if kind == "garbage":
        with open(path, "wb") as f:
            f.write(os.urandom(64 * 1024))
    elif kind == "newer":
        db = sqlite3.connect(path)
        db.execute("PRAGMA user_version = 999")
        db.commit()
        db.close()
    elif kind == "truncated":
        size = os.path.getsize(path)
        with open(path, "r+b") as f:
            f.truncate(size // 2)


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def page_bytes(path, page):
    with open(path, "rb") as f:
        f.seek((page - 1) * PAGE)
        return f.read(PAGE)


def damage_middle_page(path):
    """Scribbles over a b-tree page in the middle of the file; returns its number."""
    pages = os.path.getsize(path) // PAGE
    page = pages // 2
    with open(path, "r+b") as f:
        f.seek((page - 1) * PAGE)
        f.write(bytes((i * 7 + 13) & 0xFF for i in range(PAGE)))
    return page


def paid_journal(ws, payments=1):
    """A real journal made by posterm, with paid payments, closed cleanly."""
    pt = ws.posterm()
    for i in range(payments):
        code = harness.alipay_code(0) if i % 2 else harness.wechat_code(0)
        order = pt.pay("3.00", code)
        pt.wait_state("PAID", order)
    assert pt.finish() == 0


def refused_at_start(ws, problems, trades):
    """posterm on the (spoiled) journal: refused, said, the file unchanged."""
    before = digest(ws.journal)
    pt = ws.posterm()
    msg, refusal = pt.refused_for_journal()
    if ws.journal not in msg["text"]:
        problems.append("the error does not name the file: %s" % msg["text"])
    if any(e.get("event") == "payment" for e in pt.seen):
        problems.append("a payment was started on a bad journal")
    if digest(ws.journal) != before:
        problems.append("the journal file was changed")
    if ws.sim.audit()["totals"]["trades"] != trades:
        problems.append("the gateway saw a request it should not have")
    return msg, refusal


def background(ws, problems):
    maker = os.path.join(ws.build, "tests", "bench", "bench_journal")
    # 20,000 paid payments: about 1,600 pages, above the foreground check's 1,000.
    subprocess.run([maker, "make", ws.journal, "20000", "0"], check=True,
                   stdout=subprocess.DEVNULL)
    page = damage_middle_page(ws.journal)
    damaged = page_bytes(ws.journal, page)

    pt = ws.posterm()
    pt.wait(lambda e: e.get("event") == "ready", what="ready")
    # The verdict: a message about it once the loop reports it (journal_check_poll); the
    # check of 1,600 pages takes some 30 ms, so a few seconds are plenty either way.
    try:
        pt.wait(lambda e: e.get("event") == "message" and "integrity" in e.get("text", ""),
                timeout=5, what="the check's verdict")
    except AssertionError:
        pass
    pt.send("amount 1.00")
    refusal = pt.wait(lambda e: e.get("event") == "message" and e["level"] == "error"
                      and "damaged" in e["text"], what="the payment refused")
    pt.send("quit")
    pt.finish()
    if any(e.get("event") == "payment" for e in pt.seen):
        problems.append("a payment was started on a journal found damaged")
    if page_bytes(ws.journal, page) != damaged:
        problems.append("the damaged page %d was written to" % page)
    if ws.sim.audit()["totals"]["trades"] != 0:
        problems.append("the gateway saw a request it should not have")
    print("damaged page %d in the background: %s" % (page, refusal["text"]))


def init(ws, problems):
    exe = os.path.join(ws.build, "posterm")
    config = ws.config()

    def run(what):
        """posterm --init-journal with the config last written (the config names the journal)."""
        r = subprocess.run([exe, "--init-journal", "--config", config], input=b"",
                           capture_output=True, timeout=20)
        out = (r.stdout + r.stderr).decode(errors="replace").strip()
        print("--init-journal, %s: exit %d: %s" % (what, r.returncode, out))
        return r.returncode, out

    status, out = run("no file")
    if status != 0 or ws.journal not in out or not os.path.getsize(ws.journal):
        problems.append("--init-journal made no journal where none was (exit %d)" % status)
    paid_journal(ws)
    before = digest(ws.journal)
    status, out = run("a journal with a payment")
    if status != 2 or ws.journal not in out:
        problems.append("--init-journal on a journal with content: exit %d, expected 2" % status)
    if digest(ws.journal) != before:
        problems.append("--init-journal changed a journal with content")

    # Over an empty file, then paid with: a simulator of its own, which has not seen this
    # journal's order numbers (until they carry the journal's identity, a new journal
    # repeats them).
    with harness.Workspace(ws.build) as fresh:
        config = fresh.config()
        open(fresh.journal, "wb").close()
        # Not while a posterm has it (refusing payments, but holding the journal's lock).
        pt = fresh.posterm()
        pt.wait(lambda e: e.get("event") == "message" and e["level"] == "error",
                what="the empty journal refused")
        status, out = run("an empty file a posterm holds")
        if status != 2 or "in use by another posterm" not in out or os.path.getsize(fresh.journal):
            problems.append("--init-journal replaced a journal a running posterm holds")
        pt.send("quit")
        pt.finish()
        status, out = run("an empty file")
        if status != 0 or not os.path.getsize(fresh.journal):
            problems.append("--init-journal did not replace an empty file (exit %d)" % status)
        pt = fresh.posterm()
        order = pt.pay("2.00", harness.wechat_code(0))
        pt.wait_state("PAID", order)
        if pt.finish() != 0:
            problems.append("posterm on the journal --init-journal made did not exit cleanly")


def identities(path):
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    rows = [r[0] for r in db.execute("SELECT id FROM identities ORDER BY since")]
    current = db.execute("SELECT id FROM journal_meta").fetchone()[0]
    db.close()
    return rows, current


def copied(ws, problems):
    said = "this journal was copied from another terminal: new order numbers from "
    for machine, payments in (("terminal-one", 1), ("terminal-one", 1), ("terminal-two", 1)):
        before = os.path.getsize(ws.journal) if os.path.exists(ws.journal) else 0
        log = os.path.join(ws.dir, "posterm.stderr")  # where harness.Posterm appends stderr
        start = os.path.getsize(log) if os.path.exists(log) else 0
        pt = ws.posterm(env={"POSTERM_MACHINE_ID": machine})
        order = pt.pay("3.00", harness.wechat_code(0))
        pt.wait_state("PAID", order)
        if pt.finish() != 0:
            problems.append("posterm on %s did not exit cleanly" % machine)
        with open(pt.log_path, "rb") as f:
            f.seek(start)
            err = f.read().decode(errors="replace")
        ids, current = identities(ws.journal)
        print("%s (journal %d bytes before): identities %s, now %s" % (machine, before, ids,
                                                                     current))
        expect_renewal = machine == "terminal-two"
        if expect_renewal and said + current not in err:
            problems.append("on another machine, posterm did not say the journal was copied "
                            "and its new identity %s: %r" % (current, err[-400:]))
        if not expect_renewal and said in err:
            problems.append("on its own machine, posterm said the journal was copied")
    if len(ids) != 2 or ids[-1] != current:
        problems.append("expected two identities, the second current: %s, %s" % (ids, current))


def main():
    build, kind = sys.argv[1], sys.argv[2]
    problems = []
    with harness.Workspace(build) as ws:
        if kind in ("garbage", "newer", "truncated"):
            paid_journal(ws)
            spoil(ws.journal, kind)
            msg, refusal = refused_at_start(ws, problems, trades=1)
        elif kind == "empty":
            open(ws.journal, "wb").close()
            msg, refusal = refused_at_start(ws, problems, trades=0)
            if "empty" not in msg["text"] or "--init-journal" not in msg["text"]:
                problems.append("the error does not say the file is empty and what to do: %s"
                                % msg["text"])
            if os.path.getsize(ws.journal) != 0:
                problems.append("the empty file was taken for a new journal")
        elif kind == "damaged_page":
            paid_journal(ws, payments=3)
            damage_middle_page(ws.journal)
            msg, refusal = refused_at_start(ws, problems, trades=3)
            if "integrity" not in msg["text"] and "malformed" not in msg["text"]:
                problems.append("the error does not say the check failed: %s" % msg["text"])
        elif kind == "damaged_page_background":
            background(ws, problems)
            return harness.verdict(problems)
        elif kind == "init":
            init(ws, problems)
            return harness.verdict(problems)
        elif kind == "copied":
            copied(ws, problems)
            return harness.verdict(problems)
        else:
            raise SystemExit("unknown kind %s" % kind)
        print("%s journal: %s | %s" % (kind, msg["text"], refusal["text"]))
    return harness.verdict(problems)


if __name__ == "__main__":
    sys.exit(main())
