#!/usr/bin/env python3
"""test_crash.py - posterm killed right after a journal commit, restarted, resuming correctly.

    test_crash.py BUILD_DIR CRASH_POINT SCENARIO

posterm (built with POSTERM_CRASH_POINTS) is started with POSTERM_CRASH_AFTER=CRASH_POINT and
SIGKILLs itself right after committing that journal event, before the action it precedes.
It is then started again without the crash point, recovery runs, and the simulator's ledger
is audited against the journal (harness.audit).
"""
import sys

import harness

# scenario name -> the payment code that selects it in posterm-sim (tests/sim/README.md)
SCENARIOS = {
    "success": harness.wechat_code(0),
    "alipay_success": harness.alipay_code(0),
    "confirming": harness.wechat_code(3),
    "dropped": harness.wechat_code(6),
    "unavailable": harness.alipay_code(7),
    "refund": harness.alipay_code(0),
    "abort": harness.wechat_code(3),
}


def main():
    build, point, scenario = sys.argv[1], sys.argv[2], sys.argv[3]
    code = SCENARIOS[scenario]
    with harness.Workspace(build) as ws:
        pt = ws.posterm(env={"POSTERM_CRASH_AFTER": point})
        pt.wait(lambda e: e.get("event") == "ready", what="ready")
        order = None
        if point == "created":
            pt.send("amount 12.30")  # dies before the order is shown: nothing to scan
        else:
            order = pt.pay("12.30", code)
            if scenario == "refund":
                pt.wait_state("PAID", order)
                pt.send("refund %s 5.00" % order)
            elif scenario == "abort":
                pt.wait_state("QUERYING", order)
                pt.send("abort")
        pt.killed()
        print("posterm died after %s (%s), %d events seen" % (point, scenario, len(pt.seen)))

        again = ws.posterm()
        again.wait(lambda e: e.get("event") == "ready", what="ready after restart")
        if scenario == "refund":
            # The refund may or may not have been committed before the crash; ask again -
            # the same request number makes a second one harmless.
            row = harness.journal_rows(ws.journal)[order]
            if row["state"] == "PAID" and row["refunded_fen"] == 0:
                again.send("refund %s 5.00" % order)
        code_exit = again.finish(timeout=90)
        assert code_exit == 0, "posterm exited %s" % code_exit

        problems, rows, ledger = harness.audit(ws.journal, ws.sim)
        if order is None:
            assert len(rows) == 1, rows
            order = next(iter(rows))
        row = rows[order]
        print("order %s ended %s (sim: %s)" % (order, row["state"], [
            t["state"] for t in ledger["trades"] if t["out_trade_no"] == order]))
        if scenario == "refund" and row["state"] == "PAID" and row["refunded_fen"] != 500:
            problems.append("refund not completed: refunded %d" % row["refunded_fen"])
        return harness.verdict(problems)


if __name__ == "__main__":
    sys.exit(main())
