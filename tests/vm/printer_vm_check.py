#!/usr/bin/env python3
"""printer_vm_check.py - the host side of printer-vm.sh: the bytes the USB printer gadget
received (hex blocks on the VM's console) decoded with the tests' ESC/POS decoder and held to
what printer-probe's built-in receipt must look like on paper.

    usage: printer_vm_check.py usb|lp WORK DECODER [DECODER_ARGS...]

WORK holds console.txt; DECODER (with an emulator in front for an arm64 build) is escpos-decode.
Checks: while the paper was out (block HELD) nothing but status requests and resets reached
the printer; in all (block HEX), after dropping status requests and resets, exactly the
receipt below, once. Exit 0 when both hold.
"""
import json
import os
import subprocess
import sys

COLUMNS = 32
ORDER = "P20261207000001"


def width(text):
    """Display width on the printer: CJK two columns, ASCII one."""
    return sum(2 if ord(c) >= 0x1100 else 1 for c in text)


def pair(label, value):
    return label + " " * (COLUMNS - width(label) - width(value)) + value


def line(text, align="left", bold=False, double=False):
    return {"text": text, "align": align, "bold": bold, "double": double}


def expected(mode):
    rule = line("-" * COLUMNS)
    return [
        line("收银小票", "center", bold=True, double=True),
        line("POSTERM VM TEST", "center"),
        rule,
        line(pair("Order", ORDER)),
        line(pair("Amount", "12.34")),
        line(pair("金额", "12.34")),
        rule,
        {"qr": ORDER, "how": "native" if mode == "usb" else "raster", "align": "center"},
        {"feed": 2},
        {"cut": "partial"},
    ]


def block(console, name):
    """The bytes of one hex block (od -An -tx1 lines between VM-NAME-BEGIN and VM-NAME-END)."""
    out, inside, seen = bytearray(), False, False
    for text in console:
        if text == "VM-%s-BEGIN" % name:
            inside, seen = True, True
        elif text == "VM-%s-END" % name:
            inside = False
        elif inside and text.startswith("VM-%s " % name):
            out += bytes.fromhex(text[len(name) + 4:])
    return bytes(out) if seen else None


def decode(decoder, data, path):
    with open(path, "wb") as f:
        f.write(data)
    run = subprocess.run(decoder + [path], capture_output=True, text=True)
    elements = [json.loads(x) for x in run.stdout.splitlines() if x.strip()]
    return run.returncode, elements, run.stderr.strip()


def normalise(elements):
    """What reached the paper: no status requests or resets, consecutive feeds as one, a line
    as wide as the paper with its alignment dropped (it looks the same either way), a QR code
    without the settings the printer may choose (model, module, size)."""
    out = []
    for e in elements:
        if "status_request" in e or "init" in e:
            continue
        if "feed" in e and out and "feed" in out[-1]:
            out[-1] = {"feed": out[-1]["feed"] + e["feed"]}
            continue
        if "qr" in e:
            e = {k: e[k] for k in ("qr", "how", "align")}
        out.append(dict(e))
    for e in out:
        if "text" in e and width(e["text"]) == COLUMNS:
            e["align"] = "any"
    return out


def main():
    mode, work, decoder = sys.argv[1], sys.argv[2], sys.argv[3:]
    with open(os.path.join(work, "console.txt"), encoding="utf-8", errors="replace") as f:
        console = f.read().splitlines()
    held, printed = block(console, "HELD"), block(console, "HEX")
    ok = True
    if held is None or printed is None:
        print("printer-vm: FAIL: the VM did not dump the gadget's bytes")
        return 1
    print("printer-vm: the gadget received %d bytes (%d while the paper was out)"
          % (len(printed), len(held)))

    rc, elements, err = decode(decoder, held, os.path.join(work, "held.bin"))
    extra = [e for e in elements if "status_request" not in e and "init" not in e]
    if rc != 0 or extra:
        print("printer-vm: FAIL: printed while out of paper: %s %s" % (extra, err))
        ok = False

    rc, elements, err = decode(decoder, printed, os.path.join(work, "printed.bin"))
    for e in elements:
        print("printer-vm: decoded " + json.dumps(e, ensure_ascii=False))
    if rc != 0:
        print("printer-vm: FAIL: the printed bytes do not decode: %s" % err)
        ok = False
    got, want = normalise(elements), normalise(expected(mode))
    # The feed before the cut is the driver's to choose beyond the document's own two lines
    # (some printers' cutters sit further from the head); it must not be fewer.
    if len(got) == len(want) and "feed" in got[-2] and got[-2]["feed"] >= want[-2]["feed"]:
        got[-2] = want[-2]
    if got != want:
        print("printer-vm: FAIL: the receipt on paper is not the probe's receipt, once")
        for i in range(max(len(got), len(want))):
            g = json.dumps(got[i], ensure_ascii=False) if i < len(got) else "-"
            w = json.dumps(want[i], ensure_ascii=False) if i < len(want) else "-"
            print("  %s %s\n     want %s" % ("  " if g == w else "!!", g, w))
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
