#!/usr/bin/env python3
"""test_second_posterm.py - one posterm per journal.

    test_second_posterm.py BUILD_DIR

A posterm is running with a payment unresolved (the customer is confirming). A second posterm
started on the same journal must refuse to start (exit 2) naming the first one's pid, and
change nothing - whether it names the journal by its path, through a symlink or through a
hard link (the lock is on the file itself, not on its name). A journal whose lock cannot be
taken at all (a dangling symlink, a folder, a FIFO where the journal should be) stops
posterm too, with the reason. The first finishes the payment alone and the audit holds. Once
the first is killed, the kernel has dropped its lock and a new posterm starts and resumes
what is left.
"""
import hashlib
import os
import subprocess
import sys

import harness

SLOW = {"window_ms": 14000}


def second(ws, journal, what):
    """Starts a posterm on `journal`; returns (exit status, stderr, stdout)."""
    config = ws.config(SLOW, {"journal": journal})
    run = subprocess.run([os.path.join(ws.build, "posterm"), "--headless", "--config", config],
                         input=b"", capture_output=True, timeout=20)
    err = run.stderr.decode(errors="replace").strip()
    print("%s: exit %d: %s" % (what, run.returncode, err))
    return run.returncode, err, run.stdout


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def main():
    build = sys.argv[1]
    problems = []
    with harness.Workspace(build) as ws:
        first = ws.posterm(policy=SLOW)
        first.wait(lambda e: e.get("event") == "ready", what="ready")
        first.send("amount 7.00")
        order = first.wait(lambda e: e.get("transition") == "created", what="created")["order"]
        first.send("scan " + harness.wechat_code(3))  # the customer confirms for a while
        first.wait(lambda e: e.get("order") == order and e.get("confirming"), what="confirming")

        # The same journal by its path, by a symlink, and by a hard link: one file, one lock.
        symlink = os.path.join(ws.dir, "symlink.db")
        os.symlink(ws.journal, symlink)
        hardlink = os.path.join(ws.dir, "hardlink.db")
        os.link(ws.journal, hardlink)
        for journal, what in ((ws.journal, "second posterm"), (symlink, "through a symlink"),
                              (hardlink, "through a hard link")):
            status, err, out = second(ws, journal, what)
            if status != 2:
                problems.append("%s: exited %d, expected 2" % (what, status))
            if "in use by another posterm (pid %d)" % first.proc.pid not in err:
                problems.append("%s: the refusal does not name the first posterm's pid %d" % (
                    what, first.proc.pid))
            if out.strip():
                problems.append("%s: said something on stdout: %r" % (what, out[:200]))
        if os.path.exists(ws.journal + ".lock"):
            problems.append("a lock file was made beside the journal")

        # A lock that cannot be taken at all: posterm does not start without it.
        dangling = os.path.join(ws.dir, "dangling.db")
        os.symlink(os.path.join(ws.dir, "nowhere", "journal.db"), dangling)
        folder = os.path.join(ws.dir, "folder.db")
        os.mkdir(folder)
        fifo = os.path.join(ws.dir, "fifo.db")
        os.mkfifo(fifo)
        for journal, what in ((dangling, "a dangling symlink"), (folder, "a folder"),
                              (fifo, "a FIFO")):
            status, err, out = second(ws, journal, "lock on " + what)
            if status != 2 or "cannot lock the journal" not in err or journal not in err:
                problems.append("a journal that is %s: exit %d, %r; expected 2 and the reason" % (
                    what, status, err))

        # The first goes on alone; killed in the middle, its lock goes with it.
        first.kill()
        third = ws.posterm(policy=SLOW)
        ready = third.wait(lambda e: e.get("event") == "ready", what="ready after the first died")
        if harness.journal_rows(ws.journal)[order]["state"] not in harness.FINAL and \
                ready.get("background") != 1:
            problems.append("the new posterm did not resume the unresolved payment")
        third.wait_state(harness.FINAL, order, timeout=60)
        if third.finish() != 0:
            problems.append("the new posterm did not exit cleanly")
        audit_problems, rows, _ = harness.audit(ws.journal, ws.sim)
        problems += audit_problems
        print("%s ended %s" % (order, rows[order]["state"]))
    return harness.verdict(problems)


if __name__ == "__main__":
    sys.exit(main())
