#!/usr/bin/env python3
"""test_scenario.py - one gateway behaviour, end to end, audited.

    test_scenario.py BUILD_DIR NAME [--restart] [--https]

Starts posterm-sim and posterm (headless), pays once under the named scenario, and checks the
payment's final state and the invariant between the simulator's ledger and the journal. With
--restart, posterm is SIGKILLed while the payment is unresolved and started again. With
--https, the simulator serves HTTPS with a throw-away CA that posterm's config trusts.
"""
import sys
import time

import harness

W, A = harness.wechat_code, harness.alipay_code
SLOW = {"window_ms": 14000}  # the customer confirms for 8 s: the window must outlast that

# name: (code, expected final state, script for the simulator, policy, cause journaled with
# the reason: app/core/pay_cause.h, what a screen in any language words)
CASES = {
    "success_wechat": (W(0), "PAID", None, None, ""),
    "success_alipay": (A(0), "PAID", None, None, ""),
    "insufficient_funds_wechat": (W(1), "FAILED", None, None, "balance"),
    "insufficient_funds_alipay": (A(1), "FAILED", None, None, "balance"),
    "code_invalid_wechat": (W(2), "FAILED", None, None, "code_expired"),
    "code_invalid_alipay": (A(2), "FAILED", None, None, "code_invalid"),
    "confirm_then_paid_wechat": (W(3), "PAID", None, SLOW, ""),
    "confirm_then_paid_alipay": (A(3), "PAID", None, SLOW, ""),
    "confirm_then_gave_up": (W(4), "FAILED", None, SLOW, "scan_again"),
    "confirm_past_window": (A(3), "CANCELLED", None, None, "window_closed"),
    "slow_reply": (W(5), "PAID", None, None, ""),
    "drop_after_commit_wechat": (W(6), "PAID", None, None, ""),
    "drop_after_commit_alipay": (A(6), "PAID", None, None, ""),
    "http_503": (A(7), "CANCELLED", None, None, "window_closed"),
    "http_500": (W(14), "CANCELLED", None, None, "window_closed"),
    "http_502": (A(15), "CANCELLED", None, None, "window_closed"),
    "malformed_json": (W(8), "PAID", None, None, ""),
    "truncated_body": (A(9), "PAID", None, None, ""),
    "bad_signature_wechat": (W(10), "PAID", None, None, ""),
    "bad_signature_alipay": (A(10), "PAID", None, None, ""),
    "query_not_found": (W(11), "PAID", None, {"window_ms": 10000}, ""),
    "system_error": (A(13), "CANCELLED", None, None, "window_closed"),
    # The pay's reply is lost, every query fails, so the window closes and the cancel must
    # be retried three times before the gateway reverses the charge.
    "cancel_retry": (W(0), "CANCELLED", [
        {"scenario": "drop_after_commit", "op": "pay"},
        {"scenario": "http_503", "op": "query", "count": 100},
        {"scenario": "cancel_retry", "op": "cancel", "count": 3}], None, "window_closed"),
    # The whole gateway refuses connections for longer than the payment window: the cancel
    # is stored, retried with back-off, and lands when the gateway is back.
    "gateway_down": (A(0), "CANCELLED", "unreachable:10", None, "window_closed"),
}


def main():
    build, name = sys.argv[1], sys.argv[2]
    restart = "--restart" in sys.argv[3:]
    tls = "--https" in sys.argv[3:]
    code, want, script, policy, cause = CASES[name]
    with harness.Workspace(build, tls=tls) as ws:
        if isinstance(script, list):
            ws.sim.control("/_sim/script", script)
        pt = ws.posterm(policy=policy)
        pt.wait(lambda e: e.get("event") == "ready", what="ready")
        pt.send("amount 12.30")
        created = pt.wait(lambda e: e.get("transition") == "created", what="order created")
        order = created["order"]
        if script and isinstance(script, str):
            ws.sim.control("/_sim/unreachable?seconds=" + script.split(":")[1])
            time.sleep(0.2)
        pt.send("scan " + code)
        pt.wait_state("PAYING", order)

        state = None
        if restart:
            time.sleep(0.5)  # usually after the pay left; the audit holds either way
            pt.kill()
            state = harness.journal_rows(ws.journal)[order]["state"]
            print("posterm killed with %s %s in the journal; restarting" % (order, state))
            pt = ws.posterm(policy=policy)
            ready = pt.wait(lambda e: e.get("event") == "ready", what="ready after restart")
            if state not in harness.FINAL and ready["background"] != 1:
                return harness.verdict(["the unresolved payment was not resumed"])

        if state not in harness.FINAL:
            pt.wait_state(harness.FINAL, order, timeout=90)
        status = pt.finish()
        problems, rows, ledger = harness.audit(ws.journal, ws.sim)
        row = rows[order]
        # After a kill the outcome depends on whether the pay had left: the invariant, not
        # the final state, is what must hold.
        if row["state"] != want and not (restart and row["state"] in ("PAID", "CANCELLED")):
            problems.append("%s ended %s, expected %s (%s)" % (order, row["state"], want,
                                                              row["last_error"]))
        # A restart may turn a cancel into a payment, or the reverse: the cause then differs.
        if row["state"] == want and row["last_cause"] != cause:
            problems.append("cause %r (%s), expected %r" % (row["last_cause"], row["last_error"],
                                                          cause))
        if row["last_cause"] and not row["last_error"]:
            problems.append("cause %r without words for the log" % row["last_cause"])
        if status != 0:
            problems.append("posterm exited %d" % status)
        trades = [t for t in ledger["trades"] if t["out_trade_no"] == order]
        print("%s: %s ended %s (%s; cause %r); gateway: %s" % (
            name, order, row["state"], row["last_error"] or "no error", row["last_cause"],
            trades[0]["state"] if trades else "no trade"))
        return harness.verdict(problems)


if __name__ == "__main__":
    sys.exit(main())
