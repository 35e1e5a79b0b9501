#!/usr/bin/env python3
"""test_second_posterm.py - one posterm per journal.

    test_second_posterm.py BUILD_DIR

A posterm is running with a payment unresolved (the customer is confirming). A second posterm
started on the same journal must refuse to start (exit 2) naming the first one's pid, and
change nothing: the first finishes the payment alone and the audit holds. Once the first is
killed, the kernel has dropped its lock and a new posterm starts and resumes what is left.
"""
import subprocess
import sys

import harness

SLOW = {"window_ms": 14000}


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

        second = subprocess.run([first.exe, "--headless", "--config", ws.config(SLOW)],
                                input=b"", capture_output=True, timeout=20)
        err = second.stderr.decode(errors="replace")
        print("second posterm: exit %d: %s" % (second.returncode, err.strip()))
        if second.returncode != 2:
            problems.append("second posterm exited %d, expected 2" % second.returncode)
        if "in use by another posterm (pid %d)" % first.proc.pid not in err:
            problems.append("the refusal does not name the first posterm's pid %d" % first.proc.pid)
        if second.stdout.strip():
            problems.append("the second posterm said something on stdout: %r" % second.stdout[:200])

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
