#!/usr/bin/env python3
"""test_demo_walk.py - a newcomer walks every screen of the demo (toolchain/demo.sh) and finds
no developer text on any of them (issue 18).

    test_demo_walk.py BUILD_DIR LANG [--dump DIR]

The demo as README.md starts it, its config then edited as its comments invite (a cashier, a
supervisor's PIN): the sign-in, the amount, a code before the amount, a bad scan, each demo
code of README.md's table (paid, confirming then paid, insufficient funds, no usable reply
aborted), the wait before a cancel, the result, history with each filter, the detail, a
reprint, a refund by the order's last digits with the PIN, the end of day, its CSV, the Z
report, the shift handover, and the printer gone (its line in the header). Every screen is
captured and checked: no library, protocol or errno words, no raw state names in capitals, no
sentence cut at the edge; in Chinese no ASCII word outside a short allow-list (order numbers,
amounts, masked codes, key names). --dump DIR keeps each capture for a reader.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import harness
from test_demo import Demo

CASHIER_PIN = "2468"
SUPERVISOR_PIN = "1357"

# Never on a cashier's screen, in either language.
DEVELOPER = re.compile(
    r"curl|HTTP|JSON|SQLite|sqlite|errno|Errno|ECONN|ETIMEDOUT|EPIPE|ENOENT|EACCES|EISDIR|"
    r"Is a directory|No such file|Permission denied|Connection refused|Timeout was reached|"
    r"Empty reply|NULL|\(null\)|0x[0-9a-f]|Gateway trade|\b(NEW|PAYING|QUERYING|CANCELLING|"
    r"REFUNDING|REFERRED)\b|_[a-z]+_|\b[a-z]+_[a-z_]+\b")

# ASCII a Chinese screen may show: the product's name, key names, the terminal and order
# numbers, Z report numbers, the cashier's id and name (config), a saved file's path, and
# the table's rule (tmux's capture shows curses' line-drawing characters as the letter q).
ZH_ASCII_ALLOWED = re.compile(
    r"^ posterm |DEMO1[-0-9A-Z]*|F10|F[1-9]|Ctrl-X|Esc|Enter|Bksp|Up/Dn|PgUp/Dn|PgUp|PgDn|"
    r"Z-[0-9]{4}|\b[A-Z]\b|\bc1\b|Li Na|/\S+\.csv|\bq{10,}\b")
# The payment detail's event list is where the technical detail goes (issue 18: "the technical
# detail goes to the log and the history's event list"): not read below its heading.
EVENTS_HEADING = {"en": "Events", "zh": "事件记录"}


def words(lang):
    zh = lang == "zh"
    return {
        "signin": "收银员登录" if zh else "Cashier sign-in",
        "ready": "请输入金额" if zh else "enter the amount",
        "scan": "请扫描顾客的付款码" if zh else "Scan the customer's payment code",
        "paid": "收款成功" if zh else "PAID",
        "failed": "收款失败" if zh else "PAYMENT FAILED",
        "cancelled": "已撤销" if zh else "CANCELLED",
        "confirming": "顾客正在手机上确认支付" if zh else "Customer is confirming on the phone",
        "history": "今日收款" if zh else "Today's payments",
        "refund": "退款" if zh else "Refund",
        "pin": "主管密码" if zh else "Supervisor PIN",
        "eod": "日结" if zh else "End of day",
        "close": "关账" if zh else "Close the day",
        "shift": "交班" if zh else "Shift handover",
        "printer": "打印机" if zh else "Printer",
        "wrong_signin": "收银员编号或密码错误" if zh else "Unknown cashier number or wrong PIN",
        "code_first": "这是付款码" if zh else "That is a payment code",
        "bad_scan": "扫码无效" if zh else "not a WeChat Pay or Alipay payment code",
        "none": "没有订单号末几位与 999" if zh else "No order number's last digits match 999",
        "refundable": "12.30",
        "pin_needed": "主管批准" if zh else "A supervisor must approve",
        "pin_wrong": "密码错误" if zh else "Wrong PIN",
        "so_far": "累计已退" if zh else "Refunded so far",
        "saved": ".csv",
        "z": "Z-0001",
        "cashier": "c1 Li Na",
        "every": "全部日期的收款" if zh else "Payments of every day",
        "events": EVENTS_HEADING[lang],
        "reprint": "没有小票" if zh else "has no receipt",
    }


# Sentences that were once cut at their region's edge: each must be seen whole on its screen
# (its rows joined).
WHOLE = {
    "en": {"refund-order": "Scan the receipt's QR code or the customer's payment code, or type "
                           "the order number's last digits.",
           "close": "Everything since the first payment goes into this report; it cannot be "
                    "changed later."},
    "zh": {"refund-order": "扫描小票上的二维码或顾客的付款码，或输入订单号的末几位。",
           "close": "自第一笔收款以来的全部收款计入本报表，关账后不可更改。"},
}


def joined(screen):
    """The screen's text as one line: rows stripped and joined (a wrapped sentence whole)."""
    return " ".join(line.strip() for line in screen.splitlines() if line.strip())


def harness_width(line):
    """Terminal cells of a captured line (CJK characters take two)."""
    import unicodedata
    line = line.rstrip()
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


class Walk:
    def __init__(self, scr, lang, dump):
        self.scr, self.lang, self.dump = scr, lang, dump
        self.shots = []
        self.w = words(lang)

    def shot(self, name, *needles, timeout=20):
        s = self.scr.wait(*needles, timeout=timeout) if needles else self.scr.text()
        self.shots.append((name, s))
        if self.dump:
            with open(os.path.join(self.dump, "%s-%02d-%s.txt" % (self.lang, len(self.shots),
                                                                  name)), "w") as f:
                f.write(s)
        return s

    def keys(self, *k):
        self.scr.keys(*k)
        time.sleep(0.15)

    def type(self, t):
        self.scr.type(t)
        time.sleep(0.15)

    def charge(self, amount, code):
        self.type(amount)
        self.keys("Enter")
        self.scr.wait(self.w["scan"])
        self.type(code)
        self.keys("Enter")

    def problems(self):
        found = []
        for name, s in self.shots:
            whole = WHOLE[self.lang].get(name)
            if whole and whole not in joined(s) and whole not in joined(s).replace(" ", ""):
                found.append("%s: the sentence %r is cut:\n%s" % (name, whole, s))
            for line in s.splitlines():
                if line.strip() == EVENTS_HEADING[self.lang]:
                    break
                # A file's path (where a CSV was saved) is the cashier's to read, whatever the
                # random name of this walk's folder happens to contain ("_" looks like code).
                m = DEVELOPER.search(re.sub(r"/\S+", "/PATH", line))
                if m:
                    found.append("%s: developer text %r in %r" % (name, m.group(0), line))
                if self.lang == "zh":
                    rest = ZH_ASCII_ALLOWED.sub(" ", line)
                    m = re.search(r"[A-Za-z]{2,}", rest)
                    if m:
                        found.append("%s: English %r in %r" % (name, m.group(0), line))
                if harness_width(line) >= 80:
                    found.append("%s: a line reaches the edge (cut?): %r" % (name, line))
        return found


def walk(build, folder, lang, dump):
    config = os.path.join(folder, "posterm.json")
    first = Demo(build, folder, ["--lang", lang], "walk-%s-0" % lang)
    try:
        first.wait(words(lang)["ready"], timeout=30)
        first.keys("F10")
        time.sleep(1)
    finally:
        first.close()

    def hash_pin(pin):
        return subprocess.run([os.path.join(build, "posterm"), "--hash-pin"], input=pin + "\n",
                              capture_output=True, text=True, check=True).stdout.strip()

    cfg = json.load(open(config))
    cfg["cashiers"] = [{"id": "c1", "name": "Li Na", "pin_hash": hash_pin(CASHIER_PIN)}]
    cfg.setdefault("refund", {})["supervisor_pin_hash"] = hash_pin(SUPERVISOR_PIN)
    with open(config, "w") as f:
        json.dump(cfg, f, ensure_ascii=False)

    scr = Demo(build, folder, [], "walk-%s" % lang)
    wk = Walk(scr, lang, dump)
    w = wk.w
    try:
        wk.shot("signin", w["signin"], timeout=30)
        wk.type("c1")
        wk.keys("Enter")
        wk.type("0000")
        wk.keys("Enter")
        wk.shot("signin-wrong", w["wrong_signin"])
        wk.keys("Escape")
        wk.keys("Escape")
        wk.type("c1")
        wk.keys("Enter")
        wk.type(CASHIER_PIN)
        wk.keys("Enter")
        wk.shot("ready", w["ready"])

        wk.type("134567890123456700")
        wk.keys("Enter")
        wk.shot("code-before-amount", w["code_first"])
        wk.keys("Escape")
        wk.type("99999999")
        wk.keys("Enter")
        wk.shot("amount-too-large")
        wk.keys("Escape")

        wk.type("12.30")
        wk.keys("Enter")
        wk.shot("scan", w["scan"])
        wk.type("6901234567892")
        wk.keys("Enter")
        wk.shot("bad-scan", w["bad_scan"])
        wk.type("134567890123456700")
        wk.keys("Enter")
        wk.shot("paid", w["paid"])
        wk.keys("Enter")

        wk.charge("1.00", "287654321098765403")
        wk.shot("confirming", w["confirming"])
        wk.shot("paid-after-confirming", w["paid"], timeout=30)
        wk.keys("Enter")

        wk.charge("2.00", "134567890123456701")
        wk.shot("failed", w["failed"])
        wk.keys("Enter")

        wk.charge("3.00", "287654321098765407")
        time.sleep(1)
        wk.shot("no-usable-reply")
        wk.keys("Escape")
        time.sleep(0.5)
        wk.shot("cancel-wait")
        wk.shot("cancelled", w["cancelled"], timeout=40)
        wk.keys("Enter")
        wk.shot("ready-again", w["ready"])

        wk.keys("/")
        wk.shot("history", w["history"])
        for k, name in (("c", "channel"), ("s", "state"), ("s", "state2")):
            wk.keys(k)
            wk.shot("history-" + name)
        wk.keys("c")
        wk.keys("c")
        for _ in range(4):
            wk.keys("s")
        wk.keys("f")
        wk.type("0700")
        wk.shot("history-find-typing")
        wk.keys("Enter")
        wk.shot("history-find")
        wk.keys("f")
        wk.keys("Enter")
        wk.keys("Left")
        wk.shot("history-yesterday")
        wk.keys("a")
        wk.shot("history-every-day", w["every"])
        wk.keys("Enter")
        wk.shot("detail", w["events"])
        wk.keys("p")
        wk.shot("reprint", w["reprint"])
        wk.keys("Escape")
        wk.keys("Escape")

        wk.keys("-")
        wk.shot("refund-order", w["refund"])
        wk.type("999")
        wk.keys("Enter")
        wk.shot("refund-none", w["none"])
        for _ in range(3):
            wk.keys("BSpace")
        wk.type("1")
        wk.keys("Enter")
        wk.shot("refund-found", w["refundable"])
        wk.type("1.00")
        wk.keys("Enter")
        wk.shot("refund-confirm", w["pin"])
        wk.keys("Enter")
        wk.shot("refund-pin-missing", w["pin_needed"])
        wk.type("9999")
        wk.keys("Enter")
        wk.shot("refund-pin-wrong", w["pin_wrong"])
        wk.type(SUPERVISOR_PIN)
        wk.keys("Enter")
        wk.shot("refund-sent", w["so_far"])
        wk.keys("Enter")

        wk.keys("*")
        wk.shot("eod", w["eod"])
        wk.keys("x")
        wk.shot("eod-csv", w["saved"])
        wk.keys("z")
        wk.shot("close", w["z"])
        wk.keys("Enter")
        wk.shot("z-report", w["z"], "13.30")
        wk.keys("x")
        wk.shot("z-csv", w["saved"])
        wk.keys("Escape")

        wk.keys("o")
        wk.shot("shift", w["shift"], w["cashier"])
        wk.keys("x")
        wk.shot("shift-csv", w["saved"])
        wk.keys("Escape")

        # The printer gone: its file replaced by a folder it cannot write.
        receipts = os.path.join(folder, "receipts.txt")
        os.replace(receipts, receipts + ".old")
        os.mkdir(receipts)
        wk.charge("4.00", "134567890123456700")
        wk.shot("paid-printer-gone", w["paid"])
        time.sleep(2)
        wk.keys("Enter")
        wk.shot("printer-gone", w["printer"], timeout=30)
        wk.keys("o")
        wk.keys("Enter")
        wk.shot("signed-out", w["signin"])
        wk.keys("F10")
        time.sleep(1)
    except AssertionError as e:
        return [str(e)]
    finally:
        scr.close()
    return wk.problems()


def main():
    build, lang = sys.argv[1], sys.argv[2]
    dump = sys.argv[4] if len(sys.argv) > 4 and sys.argv[3] == "--dump" else None
    folder = tempfile.mkdtemp(prefix="posterm-walk-")
    try:
        problems = walk(build, folder, lang, dump)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return harness.verdict(problems)


if __name__ == "__main__":
    sys.exit(main())
