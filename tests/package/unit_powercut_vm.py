#!/usr/bin/env python3
"""unit_powercut_vm.py - boots the VM unit-powercut-vm.sh built: once to install the package,
then CUTS times with the power cut (SIGKILL to QEMU) at a random moment while posterm.service
takes payments, then once more with the unit as shipped, which must resolve every payment by
itself; the simulator's ledger is then audited against posterm's journal, both read off the
disk (harness.audit_ledger, the e2e rules).

After every cut a copy of the disk is checked as the next boot would mount it (e2fsck replays
ext4's journal) and posterm's journal, in the overlay's upper layer, must open and be read.
"""
import argparse
import json
import os
import random
import subprocess
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "vm"))
sys.path.insert(0, os.path.join(here, "..", "e2e"))
import harness  # noqa: E402
import vm_boot  # noqa: E402

UPPER = "/up"  # the overlay's upper layer on the disk: the VM's / as far as it wrote it


class UnitBoot(vm_boot.Boot):
    """One power-on; posterm's payment transitions (work boots print posterm's output)."""

    def __init__(self, args, n, plan):
        append = ("vmtest.plan=%s rdinit=/init systemd.unit=multi-user.target "
                  "systemd.show_status=0 systemd.firstboot=0" % plan)
        qemu = ["-m", "1024", "-virtfs",
                "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"]
        super().__init__(args, n, "virtio-blk-pci", append, drain_on_cut=True, extra_qemu=qemu)
        self.transitions = []
        self.vmtest = []
        self.created = set()
        self.earlier = {}  # order from before this power-on -> the last state it reached here

    def on_event(self, ev):
        if ev.get("event") == "payment":
            self.transitions.append(ev["transition"])
            if ev["transition"] == "created":
                self.created.add(ev["order"])
            elif ev["order"] not in self.created:
                self.earlier[ev["order"]] = ev["state"]

    def carried(self):
        """The payments from before this power-on it moved on: 'N (STATE k, ...)'."""
        states = {}
        for s in self.earlier.values():
            states[s] = states.get(s, 0) + 1
        return "%d (%s)" % (len(self.earlier), ", ".join("%s %d" % kv for kv in sorted(states.items())))

    def on_line(self, line):
        if "VMTEST" in line:
            self.vmtest.append(line[line.index("VMTEST"):])


def disk_files(args, label, paths):
    """Copies the named files (paths in the VM) off a copy of the disk, after e2fsck replayed
    ext4's journal as the next boot's mount would. Returns {path: local path or None}."""
    out = os.path.join(args.work, label)
    os.makedirs(out, exist_ok=True)
    img = os.path.join(out, "disk.img")
    subprocess.run(["cp", "--sparse=always", args.disk, img], check=True)
    fsck = subprocess.run(["e2fsck", "-fy", img], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if fsck.returncode >= 4:
        raise AssertionError("%s: e2fsck found errors it could not fix:\n%s" % (
            label, fsck.stdout.decode(errors="replace")))
    got = {}
    for path in paths:
        dest = os.path.join(out, os.path.basename(path))
        subprocess.run(["debugfs", "-R", "dump %s%s %s" % (UPPER, path, dest), img],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        got[path] = dest if os.path.exists(dest) and os.path.getsize(dest) > 0 else None
    os.unlink(img)
    return got


JOURNAL = ["/var/lib/posterm/journal.db", "/var/lib/posterm/journal.db-wal"]


def journal_rows(args, label):
    files = disk_files(args, label, JOURNAL)
    if files[JOURNAL[0]] is None:
        return {}
    return harness.journal_rows(files[JOURNAL[0]])


def main():
    ap = argparse.ArgumentParser()
    for opt in ("work", "kernel", "initrd", "disk", "console"):
        ap.add_argument("--" + opt, required=True)
    ap.add_argument("--cuts", type=int, default=3)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("qemu", nargs="+")
    args = ap.parse_args()
    if args.cuts < 1:
        ap.error("--cuts: at least 1")
    seed = args.seed if args.seed is not None else int(time.time())
    rnd = random.Random(seed)
    print("power cuts under posterm.service: %d, seed %d (--seed to repeat the moments)" % (
        args.cuts, seed))
    t0 = time.time()
    problems = []
    cut_in = {}  # last transition before the cut -> how many cuts

    carried = {}  # order left unresolved by a cut -> the boot after which it was
    for n in range(1, args.cuts + 1):
        plan = "install" if n == 1 else "work"
        b = UnitBoot(args, n, plan)
        seen = set()

        def up_and_checked(line, ev):
            if ev and ev.get("event") == "ready":
                seen.add("ready")
            if "VMTEST sandbox" in line:
                seen.add("sandbox")
            return len(seen) == 2
        b.wait(up_and_checked, 900 if n == 1 else 300, "posterm ready and its sandbox checked")
        up = time.time() - b.started
        # Moments from just after the service came up (the payments it resumed) to well into
        # the cashier's stream (a pay, a query, a cancel in flight).
        after = rnd.uniform(0.2, 8.0)
        time.sleep(after)
        b.cut()
        last = b.transitions[-1] if b.transitions else "(none yet)"
        cut_in[last] = cut_in.get(last, 0) + 1
        rows = journal_rows(args, "after-cut-%d" % n)
        open_now = [o for o, r in rows.items() if r["state"] not in harness.FINAL]
        for o in open_now:
            carried.setdefault(o, n)
        print("boot %d (%s): posterm.service running %.0f s after power-on, %s; moved on "
              "from before the power-on: %s; "
              "cut %.1f s later, last event %s; journal on disk: %d payments, %d unresolved" % (
                  n, "installed, started by systemctl" if n == 1 else "started by systemd",
                  up, next((v[len("VMTEST sandbox: "):] for v in b.vmtest
                            if v.startswith("VMTEST sandbox")), "?"),
                  b.carried(), after, last, len(rows), len(open_now)))

    n = args.cuts + 1
    b = UnitBoot(args, n, "finish")
    b.wait(lambda line, ev: "VMTEST-DONE" in line, 600, "every payment resolved by the unit")
    took = b.finish(120)
    for line in b.vmtest:
        print("boot %d: %s" % (n, line))
    screen = "\n".join(line for line in b.vmtest if line.startswith("VMTEST screen"))
    if "New payment" not in screen and "新收款" not in screen:
        problems.append("the cashier screen on tty1 does not show the ready screen")
    if not any(line.startswith("VMTEST stopped: Result=success") for line in b.vmtest):
        problems.append("posterm.service did not stop cleanly")

    files = disk_files(args, "final", JOURNAL + ["/var/lib/vmtest-audit.json"])
    if files["/var/lib/vmtest-audit.json"] is None:
        raise AssertionError("no audit on the disk")
    if files[JOURNAL[0]] is None:
        raise AssertionError("no journal on the disk")
    with open(files["/var/lib/vmtest-audit.json"]) as f:
        ledger = json.load(f)
    found, rows, ledger = harness.audit_ledger(files[JOURNAL[0]], ledger)
    problems += found
    states = {}
    for r in rows.values():
        states[r["state"]] = states.get(r["state"], 0) + 1
    if not rows:
        problems.append("no payment was taken")
    for o, after_cut in sorted(carried.items()):
        print("unresolved after cut %d: %s, now %s" % (
            after_cut, o, rows[o]["state"] if o in rows else "MISSING"))
    if not carried:
        print("note: no cut left a payment unresolved (run again, or more cuts)")
    charged = sum(1 for t in ledger["trades"] if t["charged"])
    print("cut during: %s" % ", ".join("%s %d" % kv for kv in sorted(cut_in.items())))
    print("audit: %d payments in the journal (%s), %d trades at the gateway, %d charged" % (
        len(rows), ", ".join("%s %d" % kv for kv in sorted(states.items())),
        len(ledger["trades"]), charged))
    print("%d power cuts under posterm.service survived: %s, last boot %.0f s, %.0f s in all" % (
        args.cuts, "invariant held" if not problems else "INVARIANT BROKEN", took,
        time.time() - t0))
    return harness.verdict(problems)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except AssertionError as e:
        print("power cuts under posterm.service: FAIL: %s" % e)
        print("0 passed, 1 failed")
        sys.exit(1)
    finally:
        vm_boot.stop_all()
