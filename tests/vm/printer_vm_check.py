#!/usr/bin/env python3
"""printer_vm_check.py - the host side of printer-vm.sh: the bytes the USB printer gadget
received (hex blocks on the VM's console) decoded with the tests' ESC/POS decoder and held to
what printer-probe's built-in receipt must look like on paper.

    usage: printer_vm_check.py usb|lp WORK DECODER [DECODER_ARGS...]
           printer_vm_check.py posterm WORK CODE DECODER [DECODER_ARGS...]

WORK holds console.txt; DECODER (with an emulator in front for an arm64 build) is escpos-decode.
usb, lp (printer-vm.sh): while the paper was out (block HELD) nothing but status requests and
resets reached the printer; in all (block HEX), after dropping status requests and resets,
exactly printer-probe's receipt below, once.
posterm (printer-posterm-vm.sh): the same for the held part; then two receipts, each ended by
one cut: the sale's (its order number as text and as a QR code, 12.34, the payment code CODE
only by its last four digits, no reprint mark) and the refund slip (12.34); posterm said the
sale PAID while its receipt waited, and printed two receipts, neither a reprint.
Exit 0 when all hold.
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


def held_and_printed(work, decoder):
    """The decoded elements of everything printed, after checking the held part; (ok, elements)."""
    with open(os.path.join(work, "console.txt"), encoding="utf-8", errors="replace") as f:
        console = f.read().splitlines()
    held, printed = block(console, "HELD"), block(console, "HEX")
    if held is None or printed is None:
        print("printer-vm: FAIL: the VM did not dump the gadget's bytes")
        return False, []
    print("printer-vm: the gadget received %d bytes (%d while the paper was out)"
          % (len(printed), len(held)))
    ok = True
    rc, elements, err = decode(decoder, held, os.path.join(work, "held.bin"))
    extra = [e for e in elements if "status_request" not in e and "init" not in e]
    if rc != 0 or extra:
        print("printer-vm: FAIL: printed while out of paper: %s %s" % (extra, err))
        ok = False
    rc, elements, err = decode(decoder, printed, os.path.join(work, "printed.bin"))
    for e in elements:
        if "status_request" not in e:
            print("printer-vm: decoded " + json.dumps(e, ensure_ascii=False))
    if rc != 0:
        print("printer-vm: FAIL: the printed bytes do not decode: %s" % err)
        ok = False
    return ok, elements


def check_posterm(work, code, decoder):
    ok, elements = held_and_printed(work, decoder)
    with open(os.path.join(work, "console.txt"), encoding="utf-8", errors="replace") as f:
        lines = f.read().splitlines()
    events = []
    for text in lines:
        if text.startswith("VM-POSTERM {"):
            try:
                events.append(json.loads(text[len("VM-POSTERM "):]))
            except ValueError:
                pass

    def fail(what):
        print("printer-posterm-vm: FAIL: " + what)
        return False

    if "VM-POSTERM-EXIT=0" not in lines:
        ok = fail("posterm did not exit 0 at the end of its input")
    paid = [e for e in events if e.get("event") == "payment" and e.get("state") == "PAID"]
    order = paid[0]["order"] if paid else None
    if not order:
        return fail("the sale was not paid")
    prints = [e for e in events if e.get("event") == "print"]
    printed = [e for e in prints if e.get("what") == "printed"]
    first_printed = events.index(printed[0]) if printed else len(events)
    if events.index(paid[0]) > first_printed or \
            not any(e.get("what") == "waiting" for e in prints):
        ok = fail("the sale was not PAID with its receipt waiting for the paper")
    status = [e for e in events if e.get("event") == "status"]
    if not status or status[0].get("printer", {}).get("ready", True) or \
            status[0]["printer"].get("waiting", 0) < 1:
        ok = fail("'status' did not show the printer not ready and the receipt waiting: %s" % status[:1])
    if len(printed) != 2 or any(e.get("reprint") for e in prints):
        ok = fail("posterm did not print exactly two receipts, neither a reprint: %s" % prints)

    # The paper: split at the cuts.
    receipts, current = [], []
    for e in elements:
        if "status_request" in e or "init" in e:
            continue
        current.append(e)
        if "cut" in e:
            receipts.append(current)
            current = []
    if current:
        ok = fail("elements after the last cut: %s" % current)
    if len(receipts) != 2:
        return fail("%d receipts on paper, not 2 (the sale's and the refund slip)" % len(receipts))
    texts = [" ".join(e["text"] for e in r if "text" in e) for r in receipts]
    qrs = [[e["qr"] for e in r if "qr" in e] for r in receipts]
    if qrs[0] != [order]:
        ok = fail("the sale's receipt QR codes are %s, not its order number %s" % (qrs[0], order))
    if order not in texts[0] or "12.34" not in texts[0]:
        ok = fail("the sale's receipt lacks its order number or amount")
    if code[-4:] not in texts[0]:
        ok = fail("the sale's receipt lacks the payment code's last four digits")
    for t in texts:
        if code[:-4] in t.replace(" ", ""):
            ok = fail("a receipt shows more of the payment code than its last four digits")
        if "REPRINT" in t.upper() or "重印" in t or "补打" in t:
            ok = fail("a receipt is marked as a reprint")
    if "12.34" not in texts[1]:
        ok = fail("the refund slip lacks the amount refunded")
    if ok:
        print("printer-posterm-vm: order %s: sale receipt %d elements, refund slip %d elements"
              % (order, len(receipts[0]), len(receipts[1])))
    return ok


def main():
    if sys.argv[1] == "posterm":
        return 0 if check_posterm(sys.argv[2], sys.argv[3], sys.argv[4:]) else 1
    mode, work, decoder = sys.argv[1], sys.argv[2], sys.argv[3:]
    ok, elements = held_and_printed(work, decoder)
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
