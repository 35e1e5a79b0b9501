#!/usr/bin/env python3
"""printer_vm_check.py - the host side of printer-vm.sh: the bytes the USB printer gadget
received (hex blocks on the VM's console) decoded with the tests' ESC/POS decoder and held to
what printer-probe's built-in receipt must look like on paper.

    usage: printer_vm_check.py usb|lp WORK DECODER [DECODER_ARGS...]
           printer_vm_check.py posterm WORK CODE_A CODE_B DECODER [DECODER_ARGS...]

WORK holds console.txt; DECODER (with an emulator in front for an arm64 build) is escpos-decode.
usb, lp (printer-vm.sh): while the paper was out (block HELD) nothing but status requests and
resets reached the printer; in all (block HEX), after dropping status requests and resets,
exactly printer-probe's receipt below, once.
posterm (printer-posterm-vm.sh): the same for the held part (sale B's, paper out); posterm
started with no printer plugged in and said so (a "printer" event and "status" not ready);
sale A (12.34, CODE_A) PAID while its receipt waited, printed once the printer was plugged in;
sale B (5.60, CODE_B) PAID while the paper was out, printed when it was back; the printer
unplugged while idle, seen unplugged, sale A refunded while it was, its slip waiting until it was
plugged back in. On paper exactly three receipts, each ended by one cut, in that order: the two
sales' (each its order number as text and as a QR code, its amount, only its code's last four
digits) and the refund slip (sale A's order number, 12.34); none marked as a reprint.
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


def check_posterm(work, codes, decoder):
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

    def first(pred, after=-1):
        """The index of the first event after `after` for which pred holds, else len(events)."""
        return next((i for i, e in enumerate(events) if i > after and pred(e)), len(events))

    if "VM-POSTERM-EXIT=0" not in lines:
        ok = fail("posterm did not exit 0 at the end of its input")
    paid = [i for i, e in enumerate(events) if e.get("event") == "payment" and e.get("state") == "PAID"]
    if len(paid) != 2:
        return fail("%d sales paid, not 2" % len(paid))
    orders = [events[i]["order"] for i in paid]
    printed = [i for i, e in enumerate(events) if e.get("event") == "print" and e.get("what") == "printed"]
    if len(printed) != 3:
        return fail("posterm printed %d receipts, not 3: %s" % (len(printed), [events[i] for i in printed]))
    jobs = [(events[i].get("kind"), events[i].get("order")) for i in printed]
    if jobs != [("sale", orders[0]), ("sale", orders[1]), ("refund", orders[0])]:
        ok = fail("printed %s, not sale A, sale B, refund of A" % jobs)
    if any(e.get("reprint") for e in events if e.get("event") == "print"):
        ok = fail("a print job is a reprint")

    def printer_event(i, text):
        e = events[i]
        return e.get("event") == "printer" and text in e.get("status", "")

    # Plugged in later: posterm found no printer, A was paid and waited (the status said so),
    # the printer came (a printer event ready) and A printed.
    absent = first(lambda e: e.get("event") == "printer" and not e.get("ready", True))
    status = [i for i, e in enumerate(events) if e.get("event") == "status"]
    came = first(lambda e: e.get("event") == "printer" and e.get("ready"), paid[0])
    if absent > paid[0] or not status or status[0] > came or \
            status[0] < paid[0] or events[status[0]].get("printer", {}).get("ready", True) or \
            events[status[0]]["printer"].get("waiting", 0) != 1:
        ok = fail("posterm did not start without a printer, sale A's receipt waiting: %s"
                  % (events[status[0]] if status else "no status"))
    if not paid[0] < came < printed[0]:
        ok = fail("sale A's receipt was not printed after the printer was plugged in")
    if len(status) != 3:
        return fail("%d answers to status, not 3" % len(status))
    # The paper out: B paid while it was, its receipt waiting until it came back.
    paper_out = first(lambda e: e.get("event") == "printer" and "paper out" in e.get("status", ""))
    if not (printed[0] < paper_out < paid[1] < status[1] < printed[1]) or \
            events[status[1]]["printer"].get("ready", True) or \
            events[status[1]]["printer"].get("waiting", 0) != 1:
        ok = fail("sale B was not paid while the paper was out, its receipt waiting: %s"
                  % events[status[1]])
    # Unplugged while idle: seen as unplugged, A refunded, its slip waiting (status), printed
    # once the printer was back.
    gone = first(lambda e: e.get("event") == "printer" and "unplugged" in e.get("status", ""),
                 printed[1])
    refunded = first(lambda e: e.get("event") == "payment" and e.get("state") == "REFUNDED")
    back = first(lambda e: e.get("event") == "printer" and e.get("ready"), gone)
    if not (printed[1] < gone < refunded < status[2] < back < printed[2]) or \
            events[status[2]]["printer"].get("ready", True) or \
            events[status[2]]["printer"].get("waiting", 0) != 1:
        ok = fail("the refund slip did not wait while the printer was unplugged, then print: %s"
                  % events[status[2]])

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
    if len(receipts) != 3:
        return fail("%d receipts on paper, not 3 (sales A and B, the refund slip)" % len(receipts))
    texts = [" ".join(e["text"] for e in r if "text" in e) for r in receipts]
    qrs = [[e["qr"] for e in r if "qr" in e] for r in receipts]
    for n, (name, amount) in enumerate((("A", "12.34"), ("B", "5.60"))):
        if qrs[n] != [orders[n]]:
            ok = fail("sale %s's receipt QR codes are %s, not its order number %s"
                      % (name, qrs[n], orders[n]))
        if orders[n] not in texts[n] or amount not in texts[n]:
            ok = fail("sale %s's receipt lacks its order number or amount %s" % (name, amount))
        if codes[n][-4:] not in texts[n]:
            ok = fail("sale %s's receipt lacks its payment code's last four digits" % name)
    for t in texts:
        for code in codes:
            if code[:-4] in t.replace(" ", ""):
                ok = fail("a receipt shows more of a payment code than its last four digits")
        if "REPRINT" in t.upper() or "重印" in t or "补打" in t:
            ok = fail("a receipt is marked as a reprint")
    if qrs[2] or orders[0] not in texts[2] or "12.34" not in texts[2]:
        ok = fail("the refund slip lacks sale A's order number or the amount refunded")
    if ok:
        print("printer-posterm-vm: orders %s: receipts of %s elements (sale A, sale B, refund slip)"
              % (" ".join(orders), "/".join(str(len(r)) for r in receipts)))
    return ok


def main():
    if sys.argv[1] == "posterm":
        return 0 if check_posterm(sys.argv[2], sys.argv[3:5], sys.argv[5:]) else 1
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
