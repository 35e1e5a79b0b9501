#!/usr/bin/env python3
"""rsa_cost.py - the RSA-2048 request signature's cost: native time, and instructions per
signature on x86-64 and on arm64 (issue 23: the terminal is an ARM board).

This machine is a VM without hardware counters (`perf stat -e instructions`: not supported)
and Debian's qemu-user is built without TCG plugins (no libinsn.so), so instructions are
counted from qemu-user's own log: `-d in_asm,exec,nochain` prints every translated block's
instructions once and one line per block executed; the count is the sum over executions of
the block's length. bench_rsa runs with N signatures and with 0 (key loading and start-up
alone): the difference over N is one signature. The same counting on both architectures, so
the two figures compare; time under emulation is printed too but says little about an ARM
core (qemu runs ARM code at a fraction of native speed, unevenly).

    rsa_cost.py BUILD_DIR [ARM64_BUILD_DIR] [--n 5]
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

QEMU = {"x86_64": "qemu-x86_64-static", "aarch64": "qemu-aarch64-static"}
TRACE = re.compile(rb"^Trace \d+: 0x[0-9a-f]+ \[[0-9a-f]+/([0-9a-f]+)/")
INSN = re.compile(rb"^0x([0-9a-f]+):")


def count_instructions(qemu, exe, key, n):
    """Instructions bench_rsa executes for n signatures, from qemu's block log."""
    proc = subprocess.Popen([qemu, "-d", "in_asm,exec,nochain", exe, key, str(n)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, bufsize=1 << 20)
    size, runs = {}, {}
    block, block_len = None, 0
    for line in proc.stderr:
        m = TRACE.match(line)
        if m:
            pc = int(m.group(1), 16)
            runs[pc] = runs.get(pc, 0) + 1
            continue
        if line.startswith(b"IN:"):
            block, block_len = None, 0
            continue
        m = INSN.match(line)
        if m:
            if block is None:
                block = int(m.group(1), 16)
            block_len += 1
            size[block] = block_len
    if proc.wait() != 0:
        raise RuntimeError("%s %s failed" % (qemu, exe))
    missing = sum(c for pc, c in runs.items() if pc not in size)
    if missing:
        print("  (%d block runs without a disassembly, left out)" % missing, file=sys.stderr)
    return sum(c * size.get(pc, 0) for pc, c in runs.items())


def per_signature(qemu, exe, key, n):
    return (count_instructions(qemu, exe, key, n) - count_instructions(qemu, exe, key, 0)) / n


def timed(cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("build")
    ap.add_argument("arm64_build", nargs="?")
    ap.add_argument("--n", type=int, default=5, help="signatures counted under qemu")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as keys:
        keys = os.path.join(keys, "k")
        subprocess.run([os.path.join(a.build, "posterm-sim"), "--make-keys", keys], check=True,
                       stdout=subprocess.DEVNULL)
        key = os.path.join(keys, "wechat_merchant_private.pem")
        native = os.path.join(a.build, "tests", "bench", "bench_rsa")
        print("x86-64 native:   ", timed([native, key, "200"]))
        print("x86-64 per signature: %.2f M instructions (qemu-x86_64 block log)"
              % (per_signature(QEMU["x86_64"], native, key, a.n) / 1e6))
        if a.arm64_build:
            arm = os.path.join(a.arm64_build, "tests", "bench", "bench_rsa")
            print("arm64 under qemu:", timed([QEMU["aarch64"], arm, key, "20"]))
            print("arm64 per signature:  %.2f M instructions (qemu-aarch64 block log)"
                  % (per_signature(QEMU["aarch64"], arm, key, a.n) / 1e6))


if __name__ == "__main__":
    main()
