"""vm_boot.py - one power-on of a test terminal under QEMU, shared by field_vm.py and
powercut_vm.py: starts QEMU with the terminal's disk, keeps its serial console (to
console-N.txt and to a queue), hands posterm's JSON events and the other console lines to
hooks the test overrides, cuts the power (SIGKILL to QEMU) or waits for a clean power-off.

RUNNING lists every QEMU started; stop_all() kills those still alive, so that a failing test
leaves none behind.
"""
import json
import os
import queue
import signal
import subprocess
import threading
import time

RUNNING = []


class Boot:
    """One power-on. args: the scripts' common options (qemu, kernel, initrd, disk, console,
    work); disk_device: the QEMU device the board attaches the disk with; extra_append: words
    added to the kernel command line after field.boot=N; drain_on_cut: read what the console
    had already printed when the power went, so that the events reflect the moment of the cut;
    extra_qemu: further QEMU arguments (devices) for this power-on."""

    def __init__(self, args, n, disk_device, extra_append="", drain_on_cut=False,
                 extra_qemu=()):
        self.n = n
        self.drain_on_cut = drain_on_cut
        self.started = time.time()
        append = "console=%s quiet panic=-1 field.boot=%d" % (args.console, n)
        if extra_append:
            append += " " + extra_append
        cmd = args.qemu + [
            "-m", "512", "-smp", "1", "-nographic", "-no-reboot", "-nic", "none",
            "-kernel", args.kernel, "-initrd", args.initrd,
            # directsync: what the guest flushed is in the image file when QEMU is killed
            "-drive", "file=%s,format=raw,if=none,id=disk,cache=directsync" % args.disk,
            "-device", "%s,drive=disk" % disk_device,
            "-append", append] + list(extra_qemu)
        self.log = open(os.path.join(args.work, "console-%d.txt" % n), "w")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        RUNNING.append(self.proc)
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def on_event(self, ev):
        """Called with each JSON object posterm printed, in console order."""

    def on_line(self, line):
        """Called with each console line that carries no posterm event."""

    def _read(self):
        for raw in self.proc.stdout:
            line = raw.decode(errors="replace").replace("\r", "").rstrip("\n")
            self.log.write(line + "\n")
            self.log.flush()
            self.lines.put(line)
        self.lines.put(None)

    def wait(self, pred, timeout, what):
        """Consumes console lines until pred(line, event) is true; event is posterm's JSON
        object when the line carries one."""
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
            ev = None
            at = line.find('{"event"')
            if at >= 0:
                try:
                    ev = json.loads(line[at:])
                except ValueError:
                    ev = None
            if ev is not None:
                self.on_event(ev)
            else:
                self.on_line(line)
            if pred(line, ev):
                return ev

    def drain(self):
        """Reads what the console already printed (without waiting)."""
        try:
            self.wait(lambda line, ev: False, 0.01, "")
        except AssertionError:
            pass

    def cut(self):
        """The power cut: SIGKILL to QEMU, no shutdown of any kind. Returns the seconds since
        the power-on."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        if self.drain_on_cut:
            self.drain()
        self.log.close()
        return time.time() - self.started

    def finish(self, timeout):
        """Waits for the VM to power itself off. Returns the seconds since the power-on."""
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.cut()
            raise AssertionError("boot %d did not power off" % self.n)
        self.log.close()
        return time.time() - self.started


def stop_all():
    for proc in RUNNING:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
