#!/usr/bin/env python3
"""test_disk_full.py - the journal stops taking writes in the middle of a payment.

    test_disk_full.py BUILD_DIR

posterm's file-size limit is lowered (prlimit) while the customer is confirming, so the
journal cannot record the payment's outcome. posterm must say so, show nothing it has not
journaled, refuse new payments, keep the payment, and finish it once writes work again.
"""
import subprocess
import sys
import time

import harness


def set_fsize(pid, limit):
    # Only the soft limit moves, so raising it again needs no privilege.
    subprocess.run(["prlimit", "--pid", str(pid), "--fsize=%s:" % limit], check=True)


def main():
    build = sys.argv[1]
    with harness.Workspace(build) as ws:
        pt = ws.posterm(policy={"window_ms": 20000})
        pt.wait(lambda e: e.get("event") == "ready", what="ready")
        order = pt.pay("8.80", harness.alipay_code(3))  # customer confirms for 8 s, then pays
        pt.wait(lambda e: e.get("event") == "payment" and e["confirming"], what="confirming")

        set_fsize(pt.proc.pid, 4096)  # every journal write now fails with EFBIG
        held = pt.wait(lambda e: e.get("event") == "message" and "held" in e["text"],
                       timeout=30, what="the journal failure reported")
        shown_paid = [e for e in pt.seen if e.get("state") == "PAID"]
        pt.send("amount 1.00")
        refused = pt.wait(lambda e: e.get("event") == "message" and "cannot take payments"
                          in e["text"], what="a new payment refused")
        journaled = harness.journal_rows(ws.journal)[order]["state"]

        time.sleep(1.5)
        set_fsize(pt.proc.pid, "unlimited")
        pt.wait_state("PAID", order, timeout=10)
        order2 = pt.pay("1.00", harness.wechat_code(0))
        pt.wait_state("PAID", order2)
        status = pt.finish()

        problems, rows, _ = harness.audit(ws.journal, ws.sim)
        if shown_paid:
            problems.append("PAID was shown before it was journaled")
        if any("no reply within" in (e.get("error") or "") for e in pt.seen):
            problems.append("the reply held for the journal was dropped (taken as lost)")
        if journaled == "PAID":
            problems.append("the journal took the write despite the limit (test is void)")
        if rows[order]["state"] != "PAID":
            problems.append("the held payment ended %s" % rows[order]["state"])
        if status != 0:
            problems.append("posterm exited %d" % status)
        print("held: %s\nrefused: %s\njournal meanwhile: %s; in the end: %s, %s" % (
            held["text"], refused["text"], journaled, rows[order]["state"],
            rows[order2]["state"]))
        return harness.verdict(problems)


if __name__ == "__main__":
    sys.exit(main())
