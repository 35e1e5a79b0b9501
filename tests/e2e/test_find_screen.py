#!/usr/bin/env python3
"""test_find_screen.py - finding a payment on the real cashier screen (issue 18), in tmux
against posterm-sim, in English and in Chinese.

    test_find_screen.py BUILD_DIR CASE

history / zh_history: the list's labelled start and finish columns and short order numbers,
the find line (an amount, a code's last four digits), the channel and state keys, another
day and every day, and a refund started from a row. refund_limits / zh_refund_limits: a
refund above the per-refund or the day's limit refused in the cashier's words. refund_code / zh_refund_code: the
customer's payment code scanned on the refund screen lists that customer's payments to pick
from; the order number's last digits open the order. refund_pin / zh_refund_pin: a wrong
supervisor's PIN refused with the tries left, the right one refunds. scanner_refund /
zh_scanner_refund: the same customer's code from a hardware scanner (not typed): posterm's
evdev source reading input events from a FIFO (fake_evdev.so answers the ioctls a FIFO
cannot) pays on the scan screen and, on the refund screen, finds the payments instead of
paying. Each ends with the ledger audit.
"""
import os
import struct
import subprocess
import sys
import time

import harness
from test_screen import Screen, charge

W, A = harness.wechat_code, harness.alipay_code

WORDS = {
    "en": {"ready": "enter the amount", "scan": "Scan the customer's payment code",
           "paid": "PAID", "today": "Today's payments", "started": "Started",
           "finished": "Finished", "every": "Payments of every day",
           "find": "Find: amount", "code": "code ****6100", "wechat": "WeChat Pay",
           "alipay": "Alipay", "state_paid": "paid", "refund": "Refund",
           "refundable": "Refundable", "pick": "Payments with the code ****6000: pick one",
           "so_far": "Refunded so far: ¥ %s of ¥ %s", "pin": "Supervisor PIN: ",
           "wrong": "Wrong PIN: 4 more tries",
           "none": "No order number's last digits match 999999",
           "amount_filter": "amount ¥ 4.50", "empty": "No payments."},
    "zh": {"ready": "请输入金额", "scan": "请扫描顾客的付款码", "paid": "收款成功",
           "today": "今日收款", "started": "开始", "finished": "结束",
           "every": "全部日期的收款", "find": "查找：金额", "code": "付款码 ****6100",
           "wechat": "微信支付", "alipay": "支付宝", "state_paid": "已支付", "refund": "退款",
           "refundable": "可退", "pick": "付款码 ****6000 的收款：请选择",
           "so_far": "累计已退：¥ %s / ¥ %s", "pin": "主管密码：", "wrong": "密码错误：还可再试 4 次",
           "none": "没有订单号末几位与 999999 相符的订单", "amount_filter": "金额 ¥ 4.50",
           "empty": "没有记录。"},
}


def pay(scr, w, amount, code):
    scr.type(amount)
    scr.keys("Enter")
    scr.wait(w["scan"])
    scr.type(code)
    scr.keys("Enter")
    scr.wait(w["paid"])
    scr.keys("Enter")
    scr.wait(w["ready"])


def settled(scr, needles, absent, timeout=10):
    """The screen once it shows every needle and none of absent. Under qemu a capture can
    land inside one redraw (the new title over the old rows), so a filter is judged on a
    screen that has settled, never on the first capture that shows its label."""
    end = time.time() + timeout * scr.stretch
    while True:
        s = scr.wait(*needles)
        if not any(a in s for a in absent) or time.time() > end:
            return s
        time.sleep(0.1)


def orders(ws):
    """The journal's orders, oldest first."""
    rows = harness.journal_rows(ws.journal)
    return [o for o, _ in sorted(rows.items(), key=lambda kv: kv[1]["created_at"])]


def history(scr, ws, w):
    pay(scr, w, "12.30", W(0))
    pay(scr, w, "4.50", A(0))
    pay(scr, w, "7.00", W(0, customer=61))
    a, b, c = orders(ws)
    scr.type("/")
    s = scr.wait(w["today"], w["started"], w["finished"], " " + c[-6:] + " ")
    assert c not in s, "the list shows the whole order number, not its short form:\n" + s
    first = [l for l in s.splitlines() if l.startswith(">")][0]
    assert first.count(":") == 4, "the first row has no start and finish times: %r" % first
    scr.type("f")
    scr.wait(w["find"])
    scr.type("6100")
    scr.keys("Enter")
    s = settled(scr, (w["code"], " " + c[-6:] + " "), (" " + a[-6:] + " ", " " + b[-6:] + " "))
    assert " " + a[-6:] + " " not in s and " " + b[-6:] + " " not in s, s
    scr.type("0")
    scr.type("4.50")
    scr.keys("Enter")
    s = settled(scr, (w["amount_filter"], " " + b[-6:] + " "), (" " + c[-6:] + " ",))
    assert " " + c[-6:] + " " not in s, s
    scr.type("f")
    scr.keys("Enter")  # an empty find line clears the filter
    scr.type("c")  # WeChat only: the filter's label, not a row's channel, says it is applied
    s = settled(scr, (" · " + w["wechat"], " " + a[-6:] + " ", " " + c[-6:] + " "),
                (" " + b[-6:] + " ",))
    assert " " + b[-6:] + " " not in s, s
    scr.type("c")
    scr.type("c")  # every channel again
    scr.type("s")  # paid only
    scr.wait(" · " + w["state_paid"], " " + b[-6:] + " ")
    scr.type("s")
    scr.type("s")
    scr.type("s")
    scr.type("s")
    scr.type("s")  # all states again
    scr.keys("Left")  # yesterday: nothing
    scr.wait(w["empty"])
    scr.type("a")
    scr.wait(w["every"], " " + a[-6:] + " ")
    scr.keys("Right")
    scr.wait(w["today"])
    # A refund from the selected row (the newest: c).
    scr.type("-")
    scr.wait(w["refundable"], c)
    scr.keys("Enter")
    scr.keys("Enter")
    scr.wait(w["so_far"] % ("7.00", "7.00"), timeout=20)


def refund_code(scr, ws, w):
    # Two codes of one customer's app (a code is used once; its last four digits repeat).
    first, second = W(0), "13456789012399" + W(0)[-4:]
    pay(scr, w, "3.00", first)
    pay(scr, w, "5.00", second)
    pay(scr, w, "6.00", A(0))
    a, b, c = orders(ws)
    scr.type("-")
    # The customer's payment code, from a keyboard-mode scanner: both of its payments.
    scr.type(second)
    scr.keys("Enter")
    s = scr.wait(w["pick"], a, b)
    assert c not in s and second not in s, s
    scr.keys("Down")
    scr.keys("Enter")  # the older one: a, 3.00
    scr.wait(w["refundable"], a)
    scr.keys("Escape")  # back to the order step, its field empty: the code is not kept
    s = scr.wait("_")
    assert second[-8:] not in s, s
    scr.type("999999")
    scr.keys("Enter")
    scr.wait(w["none"])
    scr.keys("BSpace", "BSpace", "BSpace", "BSpace", "BSpace", "BSpace")
    scr.type(str(int(c[-6:])))  # the order number's last digits, without leading zeros
    scr.keys("Enter")
    scr.wait(w["refundable"], c)
    scr.type("1")
    scr.keys("Enter")
    scr.keys("Enter")
    scr.wait(w["so_far"] % ("1.00", "6.00"), timeout=20)


def refund_pin(scr, ws, w):
    pay(scr, w, "9.00", A(0))
    (a,) = orders(ws)
    scr.type("-")
    scr.type(a[-6:])
    scr.keys("Enter")
    scr.wait(w["refundable"], a)
    scr.keys("Enter")  # all of it
    scr.wait(w["pin"] + "_")
    scr.type("0000")
    scr.wait(w["pin"] + "****_")
    s = scr.text()
    assert "0000" not in s.split(w["pin"])[1].splitlines()[0], s
    scr.keys("Enter")
    scr.wait(w["wrong"])
    scr.type("4711")
    scr.keys("Enter")
    scr.wait(w["so_far"] % ("9.00", "9.00"), timeout=20)


LIMIT_WORDS = {"en": ("One refund may return at most ¥ 5.00",
                      "Today's refunds may total ¥ 8.00: ¥ 3.00 is left"),
               "zh": ("单笔退款最多 ¥ 5.00", "今日退款合计最多 ¥ 8.00：还剩 ¥ 3.00")}


def refund_limits(scr, ws, w):
    """refund.max_amount 5.00 and max_day_amount 8.00 on the screen: a refund above either
    is refused with the limit in the cashier's words; within both it goes."""
    one, day = LIMIT_WORDS["zh" if w is WORDS["zh"] else "en"]
    pay(scr, w, "9.00", A(0))
    (a,) = orders(ws)
    for amount, refused in (("6.00", one), ("5.00", None), ("4.00", day), ("3.00", None)):
        scr.type("-")
        scr.type(a[-6:])
        scr.keys("Enter")
        scr.wait(w["refundable"], a)
        scr.type(amount)
        scr.keys("Enter")
        scr.keys("Enter")
        if refused:
            scr.wait(refused)
        else:
            done = {"5.00": "5.00", "3.00": "8.00"}[amount]
            scr.wait(w["so_far"] % (done, "9.00"), timeout=20)
        scr.keys("Escape")
        scr.keys("Escape")
        scr.keys("Escape")
        scr.wait(w["ready"])


# Linux input events as an evdev node delivers them (struct input_event on a 64-bit kernel).
EV_SYN, EV_KEY, SYN_REPORT = 0, 1, 0
KEY_CODES = dict({str(d): 1 + d for d in range(1, 10)}, **{"0": 11, "\n": 28})


class ScannerScreen(Screen):
    """The real screen with a keyboard-mode scanner on posterm's evdev source: a FIFO the
    test writes key events into, opened by posterm as its input node."""

    def __init__(self, build, config, name, fifo):
        self.preload = os.path.join(build, "tests", "e2e", "fake_evdev.so")
        # Held open for reading and writing, so posterm never sees the writer go away.
        self.fifo = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)
        super().__init__(build, config, name)

    def shell(self):
        # A sanitizer build's runtime must come first among the libraries, unless told that a
        # preloaded one ahead of it is fine.
        return ("env LD_PRELOAD=%s ASAN_OPTIONS=verify_asan_link_order=0 TERM=xterm-256color "
                "LANG=C.UTF-8 %s; sleep 600" % (self.preload, self.cmd))

    def scan(self, code):
        """The scanner types code and Enter: a key down and up, each with its report."""
        events = b""
        for ch in code + "\n":
            for value in (1, 0):
                events += struct.pack("llHHi", 0, 0, EV_KEY, KEY_CODES[ch], value)
                events += struct.pack("llHHi", 0, 0, EV_SYN, SYN_REPORT, 0)
        os.write(self.fifo, events)

    def close(self):
        super().close()
        os.close(self.fifo)


def scanner_refund(scr, ws, w):
    scr.wait("(evdev)")
    # Paid with codes from the scanner: the scan screen takes them as the keyboard's.
    first, second = W(0), "13456789012399" + W(0)[-4:]
    for amount, code in (("3.00", first), ("5.00", second)):
        scr.type(amount)
        scr.keys("Enter")
        scr.wait(w["scan"])
        scr.scan(code)
        scr.wait(w["paid"], amount)
        scr.keys("Enter")
        scr.wait(w["ready"])
    a, b = orders(ws)
    # On the refund screen the same customer's code from the scanner finds its payments and
    # pays nothing.
    scr.type("-")
    # The refund screen's own prompt (its title's word is on the amount screen's keys too).
    scr.wait("扫描小票上的二维码" if w is WORDS["zh"] else "Scan the receipt's QR code")
    scr.scan(second)
    s = scr.wait(w["pick"], a, b)
    assert second not in s, s
    scr.keys("Enter")  # the newer one: b, 5.00
    scr.wait(w["refundable"], b)
    scr.type("1")
    scr.keys("Enter")
    scr.keys("Enter")
    scr.wait(w["so_far"] % ("1.00", "5.00"), timeout=20)
    assert len(orders(ws)) == 2, "the scan on the refund screen started a payment: %s" % orders(ws)


CASES = {"history": history, "refund_code": refund_code, "refund_pin": refund_pin,
         "scanner_refund": scanner_refund, "refund_limits": refund_limits}


def main():
    build, name = sys.argv[1], sys.argv[2]
    language = "zh" if name.startswith("zh_") else "en"
    case = CASES[name[3:] if language == "zh" else name]
    w = WORDS[language]
    with harness.Workspace(build) as ws:
        extra = {"language": language}
        if case is refund_pin:
            made = subprocess.run([os.path.join(build, "posterm"), "--hash-pin"],
                                  input="4711\n", capture_output=True, text=True, check=True)
            extra["refund"] = {"supervisor_pin_hash": made.stdout.strip()}
        if case is refund_limits:
            extra["refund"] = {"max_amount": "5.00", "max_day_amount": "8.00"}
        fifo = os.path.join(ws.dir, "scanner.fifo")
        if case is scanner_refund:
            os.mkfifo(fifo)
            extra["scanner"] = {"source": "evdev", "evdev": fifo, "dedupe_ms": 500}
        config = ws.config(policy={"window_ms": 15000}, extra=extra)
        scr = ScannerScreen(build, config, name, fifo) if case is scanner_refund else \
            Screen(build, config, name)
        try:
            scr.wait(w["ready"])
            case(scr, ws, w)
            problems, rows, _ = harness.audit(ws.journal, ws.sim)
        except AssertionError as e:
            problems = [str(e)]
        finally:
            scr.close()
        if not problems and case is refund_pin:
            db = __import__("sqlite3").connect("file:%s?mode=ro" % ws.journal, uri=True)
            approved = db.execute("SELECT approved_by FROM refunds").fetchall()
            db.close()
            if approved != [("supervisor",)]:
                problems.append("refunds approved by %s" % approved)
        print("%s: %d payment(s) in the journal" % (name, len(harness.journal_rows(ws.journal))))
        return harness.verdict(problems)


if __name__ == "__main__":
    sys.exit(main())
