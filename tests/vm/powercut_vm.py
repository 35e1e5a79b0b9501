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
import queue
import random
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import field_vm  # noqa: E402  (disk_files: the disk as the next boot sees it)
from field_vm import harness  # noqa: E402

RUNNING = []


class Boot:
    """One power-on of the amd64 VM; posterm's payment events from the console."""

    def __init__(self, args, n, plan):
        self.n = n
        self.started = time.time()
        cmd = args.qemu + [
            "-m", "512", "-smp", "1", "-nographic", "-no-reboot", "-nic", "none",
            "-kernel", args.kernel, "-initrd", args.initrd,
            # directsync: what the guest flushed is in the image file when QEMU is killed
            "-drive", "file=%s,format=raw,if=none,id=disk,cache=directsync" % args.disk,
            "-device", "virtio-blk-pci,drive=disk",
            "-append", "console=%s quiet panic=-1 field.boot=%d field.plan=%s" % (
                args.console, n, plan)]
        self.log = open(os.path.join(args.work, "console-%d.txt" % n), "w")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        RUNNING.append(self.proc)
        self.lines = queue.Queue()
        self.transitions = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for raw in self.proc.stdout:
            line = raw.decode(errors="replace").replace("\r", "").rstrip("\n")
            self.log.write(line + "\n")
            self.log.flush()
            self.lines.put(line)
        self.lines.put(None)

    def wait(self, pred, timeout, what):
        deadline = time.time() + timeout
        while True:
            left = deadline - time.time()
            if left <= 0:
                raise AssertionError("boot %d: timed out after %d s waiting for %s" % (
                    self.n, timeout, what))
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                self.lines.put(None)
                raise AssertionError("boot %d: the VM stopped while waiting for %s" % (self.n, what))
            if "FIELD-FAIL" in line:
                raise AssertionError("boot %d: %s" % (self.n, line[line.index("FIELD-FAIL"):]))
            at = line.find('{"event"')
            ev = None
            if at >= 0:
                try:
                    ev = json.loads(line[at:])
                except ValueError:
                    pass
            if ev and ev.get("event") == "payment":
                self.transitions.append(ev["transition"])
            if pred(line, ev):
                return ev

    def drain(self):
        """Reads what the console already printed (without waiting)."""
        try:
            self.wait(lambda line, ev: False, 0.01, "")
        except AssertionError:
            pass

    def cut(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.drain()
        self.log.close()

    def finish(self, timeout):
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.cut()
            raise AssertionError("boot %d did not power off" % self.n)
        self.log.close()


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
        b = Boot(args, n, "work")
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

    b = Boot(args, args.cuts + 1, "finish")
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
        for proc in RUNNING:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
