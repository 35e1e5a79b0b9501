#!/usr/bin/env python3
"""powercut_vm.py - boots the terminal powercut-vm.sh built from one disk, again and again,
cutting the power (SIGKILL to QEMU) at a random moment while the cashier takes payments;
then one last boot lets every payment resolve, and the simulator's ledger is audited against
posterm's journal, both read off the disk (harness.audit_ledger, the e2e rules).

After every cut a copy of the disk is checked as the next boot would mount it (e2fsck
replays ext4's journal) and posterm's journal must open and be readable there.
"""
import argparse
import json
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import field_vm  # noqa: E402  (disk_files: the disk as the next boot sees it)
from field_vm import harness  # noqa: E402
import vm_boot  # noqa: E402


class PowercutBoot(vm_boot.Boot):
    """One power-on of the amd64 VM; posterm's payment transitions, in console order."""

    def __init__(self, args, n, plan):
        # drain_on_cut: the last transition reported for a cut is the last one posterm
        # printed before the power went, not the last one this script happened to read.
        super().__init__(args, n, "virtio-blk-pci", "field.plan=%s" % plan, drain_on_cut=True)
        self.transitions = []

    def on_event(self, ev):
        if ev.get("event") == "payment":
            self.transitions.append(ev["transition"])


def main():
    ap = argparse.ArgumentParser()
    for opt in ("work", "kernel", "initrd", "disk", "console"):
        ap.add_argument("--" + opt, required=True)
    ap.add_argument("--cuts", type=int, default=20)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("qemu", nargs="+")
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else int(time.time())
    rnd = random.Random(seed)
    print("power cuts: %d, seed %d (--seed to repeat the moments)" % (args.cuts, seed))
    t0 = time.time()
    problems = []
    cut_in = {}  # last transition before the cut -> how many cuts

    for n in range(1, args.cuts + 1):
        b = PowercutBoot(args, n, "work")
        b.wait(lambda line, ev: ev and ev.get("event") == "ready", 240, "posterm ready")
        after = rnd.uniform(0.2, 7.0)
        time.sleep(after)
        b.cut()
        last = b.transitions[-1] if b.transitions else "(none yet)"
        cut_in[last] = cut_in.get(last, 0) + 1
        rows = field_vm.journal_after(args, "after-cut-%d" % n)
        unresolved = sum(1 for r in rows.values() if r["state"] not in harness.FINAL)
        print("cut %2d: %.1f s after ready, last event %s; journal on disk: %d payments, "
              "%d unresolved" % (n, after, last, len(rows), unresolved))

    b = PowercutBoot(args, args.cuts + 1, "finish")
    b.wait(lambda line, ev: "FIELD-DONE" in line, 400, "every payment resolved")
    b.finish(60)
    files = field_vm.disk_files(args, "final", ["journal.db", "journal.db-wal", "audit.json"])
    if files["audit.json"] is None:
        raise AssertionError("no audit.json on the disk")
    with open(files["audit.json"]) as f:
        ledger = json.load(f)
    found, rows, ledger = harness.audit_ledger(files["journal.db"], ledger)
    problems += found
    states = {}
    for r in rows.values():
        states[r["state"]] = states.get(r["state"], 0) + 1
    charged = sum(1 for t in ledger["trades"] if t["charged"])
    print("cut during: %s" % ", ".join("%s %d" % kv for kv in sorted(cut_in.items())))
    print("audit: %d payments in the journal (%s), %d trades at the gateway, %d charged" % (
        len(rows), ", ".join("%s %d" % kv for kv in sorted(states.items())),
        len(ledger["trades"]), charged))
    print("%d power cuts survived: %s, %.0f s in all" % (
        args.cuts, "invariant held" if not problems else "INVARIANT BROKEN",
        time.time() - t0))
    return harness.verdict(problems)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except AssertionError as e:
        print("power cuts: FAIL: %s" % e)
        print("0 passed, 1 failed")
        sys.exit(1)
    finally:
        vm_boot.stop_all()
