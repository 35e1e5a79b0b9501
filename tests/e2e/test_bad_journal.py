#!/usr/bin/env python3
"""test_bad_journal.py - posterm with a journal it cannot trust refuses payments, says why,
and leaves the file byte for byte as it was.

    test_bad_journal.py BUILD_DIR KIND      KIND: garbage | newer | truncated
"""
import hashlib
import os
import sqlite3
import sys

import harness


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


def main():
    build, kind = sys.argv[1], sys.argv[2]
    with harness.Workspace(build) as ws:
        # A real journal with one paid payment, then spoiled.
        pt = ws.posterm()
        order = pt.pay("3.00", harness.wechat_code(0))
        pt.wait_state("PAID", order)
        assert pt.finish() == 0
        spoil(ws.journal, kind)
        before = digest(ws.journal)

        pt = ws.posterm()
        msg, refusal = pt.refused_for_journal()
        problems = []
        if ws.journal not in msg["text"]:
            problems.append("the error does not name the file: %s" % msg["text"])
        if any(e.get("event") == "payment" for e in pt.seen):
            problems.append("a payment was started on a bad journal")
        if digest(ws.journal) != before:
            problems.append("the journal file was changed")
        if ws.sim.audit()["totals"]["trades"] != 1:
            problems.append("the gateway saw a request it should not have")
        print("%s journal: %s | %s" % (kind, msg["text"], refusal["text"]))
        return harness.verdict(problems)


if __name__ == "__main__":
    sys.exit(main())
