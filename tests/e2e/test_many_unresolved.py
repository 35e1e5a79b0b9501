#!/usr/bin/env python3
"""test_many_unresolved.py - a terminal back from a long outage owes a hundred payments.

    test_many_unresolved.py BUILD_DIR

A journal with 100 unresolved payments (pays whose answer never came, cancels still owed,
all long past their window) is opened by posterm while the gateway answers slowly. posterm
must report ready at once, keep every payment, replay all of them - more requests out at
once than it keeps connections - and end with each one final.
"""
import os
import subprocess
import sys
import time

import harness

UNRESOLVED = 100


def main():
    build = sys.argv[1]
    with harness.Workspace(build) as ws:
        maker = os.path.join(build, "tests", "bench", "bench_journal")
        subprocess.run([maker, "make", ws.journal, "0", str(UNRESOLVED)], check=True,
                       stdout=subprocess.DEVNULL)
        # Every cancel's first answer comes after posterm's cancel timeout: with the resumes
        # 20 ms apart, about a hundred requests are out at once, more than posterm keeps
        # connections (16) or its poll set has room for sockets (64).
        ws.sim.control("/_sim/script", {"scenario": "slow_reply", "op": "cancel",
                                        "count": UNRESOLVED, "seconds": 3})

        started = time.monotonic()
        pt = ws.posterm()
        ready = pt.wait(lambda e: e.get("event") == "ready", what="ready")
        to_ready = time.monotonic() - started
        status = pt.finish(timeout=120)

        problems, rows, ledger = harness.audit(ws.journal, ws.sim)
        states = {}
        for row in rows.values():
            states[row["state"]] = states.get(row["state"], 0) + 1
        if ready["background"] != UNRESOLVED:
            problems.append("ready reported %d in the background, not %d" % (
                ready["background"], UNRESOLVED))
        if len(rows) != UNRESOLVED or states.get("CANCELLED", 0) != UNRESOLVED:
            problems.append("expected %d cancelled payments, journal has %s" % (UNRESOLVED, states))
        if status != 0:
            problems.append("posterm exited %d" % status)
        print("%d unresolved: ready after %.0f ms, then %s; the gateway saw %d trades" % (
            UNRESOLVED, to_ready * 1000, states, len(ledger["trades"])))
        return harness.verdict(problems)


if __name__ == "__main__":
    sys.exit(main())
