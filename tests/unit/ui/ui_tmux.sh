#!/usr/bin/env bash
# ui_tmux.sh [EMULATOR...] DEMO - the real cashier screen in a real terminal (tmux), as the cashier sees it.
#
# Runs tests/unit/ui/ui_demo inside a detached tmux session of 80x24 on a private socket,
# steers it through its control pipe and with keys, and asserts on the captured text: every
# screen, what keys mean (the demo logs each command), a resize to 120x40, below the minimum
# and back, where the screen must be exactly what it was before (no garbage), and Chinese.
set -euo pipefail
unset TMUX # a private server even when run from inside tmux

# The demo's command line, quoted for the shell tmux starts (an emulator may come first).
demo=$(printf "'%s' " "$@")
dir=$(mktemp -d)
sock="posterm-ui-$$-$RANDOM"
passed=0
failed=0

cleanup() {
    tmux -L "$sock" kill-server 2>/dev/null || true
    rm -rf "$dir"
}
trap cleanup EXIT

tm() { tmux -L "$sock" "$@"; }
screen() { tm capture-pane -p -t t; }
ctl() { printf '%s\n' "$*" > "$dir/ctl"; }
keys() { tm send-keys -t t "$@"; }

ok() { passed=$((passed + 1)); }
fail() {
    failed=$((failed + 1))
    echo "FAIL: $*"
    echo "---- screen ----"
    screen || true
    echo "----------------"
}

# has TEXT: the screen shows TEXT now (captured whole first: grep -q must not cut the pipe).
has() {
    local s
    s=$(screen)
    grep -qF -- "$1" <<<"$s"
}

# see TEXT: the screen shows TEXT within 5 s.
see() {
    for _ in $(seq 100); do
        if has "$1"; then ok; return 0; fi
        sleep 0.05
    done
    fail "screen never showed: $1"
}

# not_see TEXT: the screen (as it is now) does not show TEXT.
not_see() {
    if has "$1"; then fail "screen shows what it must not: $1"; else ok; fi
}

# gone TEXT: the screen stops showing TEXT within 5 s (after a change nothing else shows).
gone() {
    for _ in $(seq 100); do
        if ! has "$1"; then ok; return 0; fi
        sleep 0.05
    done
    fail "screen still shows: $1"
}

# command LINE: the next line the demo logs is LINE (within 5 s). Lines are taken in order,
# so a key that meant something it should not shows up as the wrong next line.
logged=0
command() {
    local n line
    for _ in $(seq 100); do
        n=$(wc -l < "$dir/log")
        if [ "$n" -gt "$logged" ]; then
            logged=$((logged + 1))
            line=$(sed -n "${logged}p" "$dir/log")
            if [ "$line" = "$1" ]; then ok; else fail "expected command '$1', got '$line'"; fi
            return 0
        fi
        sleep 0.05
    done
    fail "no command: $1"
}

# size COLS ROWS: resize and wait until the pane has that size.
size() {
    tm resize-window -t t -x "$1" -y "$2"
    for _ in $(seq 100); do
        [ "$(tm display-message -p -t t '#{pane_width}x#{pane_height}')" = "$1x$2" ] && return 0
        sleep 0.05
    done
    fail "pane never became $1x$2"
}

# drawn COLS: the header ends at column COLS-1 (its right edge), i.e. the screen was drawn
# for this width; display cells are counted, so Chinese counts two a character.
drawn() {
    for _ in $(seq 100); do
        local s
        s=$(screen)
        [ "$(sed -n 1p <<<"$s" | LC_ALL=C.UTF-8 wc -L)" -eq $(($1 - 1)) ] && { ok; return 0; }
        sleep 0.05
    done
    fail "the screen was not drawn for $1 columns"
}

# settled: two captures in a row agree (the demo has finished drawing).
settled() {
    local a b
    a=$(screen)
    for _ in $(seq 50); do
        sleep 0.1
        b=$(screen)
        [ "$a" = "$b" ] && { printf '%s\n' "$b"; return 0; }
        a=$b
    done
    printf '%s\n' "$b"
}

mkfifo "$dir/ctl"
: > "$dir/log"
tm -f /dev/null new-session -d -x 80 -y 24 -s t \
    "env LANG=C.UTF-8 LC_ALL=C.UTF-8 TZ=UTC $demo '$dir/ctl' '$dir/log' 2>'$dir/err'; echo \$? > '$dir/rc'; sleep 30"
tm set-option -t t status off >/dev/null
# Every bell the screen rings lands in a file (tmux may report one bell more than once, so the
# test asks only whether one rang).
tm set-option -g bell-action any >/dev/null
tm set-option -g monitor-bell on >/dev/null
tm set-hook -g alert-bell "run-shell 'echo bell >> $dir/bells'"
: > "$dir/bells"
rang() {
    for _ in $(seq 40); do [ -s "$dir/bells" ] && { ok; : > "$dir/bells"; return 0; }; sleep 0.05; done
    fail "no bell: $1"
}
quiet() {
    sleep 0.5
    if [ -s "$dir/bells" ]; then fail "a bell rang: $1"; : > "$dir/bells"; else ok; fi
}
# has_sgr TEXT SGR: the line showing TEXT is drawn with the SGR code (e.g. 32 green, 41 red).
has_sgr() {
    local line
    line=$(tm capture-pane -e -p -t t | grep -F -- "$1" | head -1)
    if grep -qE $'\e\\[([0-9]+;)*'"$2"'(;[0-9]+)*m' <<<"$line"; then ok; else
        fail "'$1' not drawn with SGR $2: $(printf '%q' "$line")"
    fi
}

command "ready"

# --- ready: header, amount typing, refusal with the parser's reason, then the command ---
see "Terminal T01"
see "Gateway: online"
see "Scanner: Honeywell 1900 (HID POS)"
see "Background: 2"
not_see "Resolving"
see "New payment - enter the amount"
see "Enter charge"
see "* end of day"
see "F10 quit"
keys 1 2 . 3 4 5 Enter
see "at most two decimals (fen)"
see "Amount: ¥ 12.345"
keys BSpace BSpace 0
see "Amount: ¥ 12.30"
not_see "at most two decimals"
keys Enter
command "AMOUNT_ENTERED 1230 "
# The numeric keypad alone, in the application mode curses puts it in (ESC O x sequences).
keys Escape KP5 KP. KP5 KPEnter
command "AMOUNT_ENTERED 550 "
see "Amount: ¥ 5.5"
keys KP/
command "SHOW_HISTORY 0 "
keys KP*
command "END_OF_DAY 0 "
keys KP-
command "REFUND_START 0 "
keys q
keys F10
command "QUIT 0 "
keys C-x
command "QUIT 0 "
ctl "gateway 2"
see "Gateway: slow"
ctl "gateway 0"
ctl "scanner 0"
see "Gateway: not answering"
see "Scanner: not connected (type codes)"
# The printer's trouble in the cashier's words, never the driver's line.
ctl "printer 1"
see "Printer: out of paper"
ctl "printer 0"
see "Printer: not connected"
ctl "printer none"
gone "Printer:"
# Head office (MQTT): a word only while it needs attention, in both languages.
ctl "fleet up 3"
gone "Head office"
ctl "fleet down 0"
see "Head office: unreachable"
ctl "fleet down 12"
see "Head office: unreachable, 12 to send"
ctl "fleet up 250"
see "Head office: 250 to send"
ctl "fleet off"
gone "Head office"
ctl "lab 2"
see "TEST SETTINGS - never for real money: gateway certificate not checked"
# Every lab setting, in the cashier's words, wraps onto a second row: none is cut at the edge.
ctl "lab 7"
see "unencrypted local test gateway,"
see "gateway certificate not checked, cancels before"
see "cancels before WeChat Pay's 15 s"
not_see "TLS"
not_see "min_cancel_ms"
ctl "clock 420"
see "CLOCK WRONG: 7 min behind the gateway"
ctl "gateway 1"
ctl "scanner 1"
ctl "lab "
ctl "clock 0"
see "Gateway: online"
# Text from outside is cut to its columns and cannot move the cursor: a Chinese name longer
# than the row (cut in the middle of a character by the model's 63 bytes), a tab.
ctl "scanner_name 扫码枪名称很长很长很长很长很长很长很长很长很长很长很长很长很长很长很长很长很长很长"
see "Scanner: 扫码枪名称很长"
s=$(screen)
if [ "$(sed -n 2p <<<"$s" | LC_ALL=C.UTF-8 wc -L)" -le 79 ] && [ -z "$(sed -n 3p <<<"$s")" ]; then ok; else
    fail "a long scanner name spilled out of its row"
fi
ctl "scanner_name Honeywell 1900 (HID POS)"
# A long message wraps onto a second row instead of being cut at the screen's edge.
ctl "message journal: the disk is full (database or disk is full); payment T01-20261123-000042 is held until it can be written"
see "is held until it can be written"
printf 'message tab\there\n' > "$dir/ctl"
see "tab here"
ctl "clear_message"
see "Scanner: Honeywell 1900 (HID POS)"

# --- scan: amount, prompt, back key; a bad scan's message ---
ctl "show scan"
see "Show payment code"
see "WeChat Pay or Alipay"
see "Amount: ¥ 12.30"
see "Esc/Bksp back"
# Without a scanner the keyboard still types codes, and the screen says so.
ctl "scanner 0"
see "No scanner: type the code and press Enter"
ctl "scanner 1"
see "Scanner: Honeywell 1900"
gone "No scanner"
ctl "bad_scan"
see "Bad scan: not a WeChat Pay or Alipay payment code"
ctl "clear_message"
# A keyboard-mode scanner types into the screen: the code shows masked, Enter hands it over.
keys 1 3 4 5 6 7 8 9 0 1 2 3 4 5
see "Payment code: ****2345"
not_see "13456789012345"
keys 6 7 8 9 Enter
command "SCAN 0 ****6789"
gone "Payment code:"
keys Escape
command "BACK 0 "

# --- paying: each phase in plain words; the code masked; abort only while it means something ---
ctl "show sending"
see "Sending the payment to the gateway..."
ctl "show confirming"
see "Customer is confirming on the phone"
see "Automatic cancel in 0:42"
see "****6789"
not_see "134567890123456789"
see "Esc/Bksp abort (cancels the payment)"
ctl "show checking"
see "Checking the payment with the gateway"
see "Automatic cancel in 0:17"
see "Why it takes long: the payment service is not answering"
not_see "Timeout was reached"
not_see "gateway:"
keys Escape
command "ABORT 0 "
# After Esc: why the cancel waits, for how long, and that paying meanwhile is refunded.
ctl "show aborted"
see "Abort requested: the payment will be cancelled"
see "Cancelling in 13 s: WeChat Pay allows a cancel 15 s after the payment"
see "If the customer pays now, the cancel gives the money back (or PAID shows)."
not_see "Automatic cancel"
ctl "show cancelling"
see "Cancel not confirmed yet: retrying (attempt 3)"
see "If the customer pays now, the cancel gives the money back (or PAID shows)."
not_see "abort"
not_see "Automatic cancel"

# --- results: green, red, yellow; one short bell each, when first shown ---
: > "$dir/bells"
ctl "show paid"
see "PAID"
rang "paid"
has_sgr "PAID" 32
see "WeChat Pay"
see "T01-20261123-000042"
see "****6789"
see "12:34:56"
see "Enter next payment"
paid_80x24=$(settled)
ctl "show failed"
see "PAYMENT FAILED"
see "Reason: the customer's balance is not enough"
quiet "the same order's result drawn again"
has_sgr "PAYMENT FAILED" 41
ctl "order T01-20261123-000043"
ctl "show failed"
rang "failed"
ctl "bell 0"
ctl "order T01-20261123-000044"
ctl "show failed"
see "T01-20261123-000044"
quiet "screen.bell false"
ctl "bell 1"
ctl "order T01-20261123-000042"
see "Tell the customer: Ask the customer to pay another way."
not_see "insufficient funds"
not_see "ACQ."
not_see "PAID "
ctl "show cancelled"
see "CANCELLED"
has_sgr "CANCELLED" 41
see "the money was returned"
see "cancelled by the cashier"
ctl "show unresolved"
see "NOT FINISHED"
has_sgr "NOT FINISHED" 33
see "Still being resolved in the background: do not hand over goods"
see "Checking the payment with the gateway"
not_see "PAID"
keys Enter
command "BACK 0 "

# --- fewer keys: a digit on the result starts the next amount; R retries after a failure ---
ctl "show failed"
see "R/+ retry, new code"
see "0-9 next amount"
keys r
command "AMOUNT_ENTERED 1230 "
keys 7
command "BACK 0 "
see "Amount: ¥ 7"
keys 5 Enter
command "AMOUNT_ENTERED 7500 "
ctl "show paid"
see "Enter next payment"
not_see "retry"
# Quick amounts on F1..F3, the last amount on +.
ctl "show ready"
ctl "quick 1"
see "F1 10.00   F2 20.00   F3 50.00   + last amount 12.30"
keys F2
command "AMOUNT_ENTERED 2000 "
keys +
command "AMOUNT_ENTERED 1230 "
# A payment code on the amount screen (a keyboard-mode scanner): a code, never "too large".
keys 1 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9
see "That is a payment code: key the amount first, then scan"
not_see "amount too large"
keys Enter
see "That is a payment code: key the amount first, then scan"
# ... or kept for the amount (screen.code_before_amount "keep").
ctl "keep 1"
keys 2 8 7 6 5 4 3 2 1 0 9 8 7 6 5 4 Enter
command "CODE_KEPT 0 ****7654"
ctl "keep 0"
ctl "quick 0"

# --- history: rows, selection, detail, filter ---
ctl "show history"
see "Today's payments"
see "Started  Finished No."
see " 000037 "
see "reversed"
# An amount keyed and abandoned before a scan is "not started", never "failed".
see "000036"
s=$(screen)
if grep -q "000036.*not started" <<<"$s" && ! grep -q "000036.*failed" <<<"$s"; then ok; else
    fail "an order abandoned before the scan is not shown as not started"
fi
see ">12:34:56 12:34:56 000042"
keys Down Down
see ">12:32:56 12:32:56 000040"
keys Enter
command "SHOW_DETAIL 0 T01-20261123-000040"
keys .
command "HISTORY_FILTER_TOGGLE 0 "
see "Today's payments - unresolved only"
see "S state"
ctl "show history_long"
see " 000040 "
keys End
see ">11:55:56 11:55:56 000001"
not_see " 000040 "
keys PPage
see ">12:05:56 12:05:56 000011"
keys Home
see ">12:34:56 12:34:56 000040"
not_see " 000001 "
ctl "show detail"
see "Payment T01-20261123-000039"
see "refunded           3.00 by T01-20261123-000039R1"
keys -
command "REFUND_LOOKUP 0 T01-20261123-000039"

# --- refund: the limit is paid less refunded; a confirmation step ---
ctl "show refund_order"
see "Order number: _"
keys T 0 1 - 2 0 2 6 1 1 2 3 - 0 0 0 0 3 9 Enter
command "REFUND_LOOKUP 0 T01-20261123-000039"
ctl "show refund_amount"
see "Refundable  ¥ 7.00"
keys 8 Enter
see "Above what can be refunded (at most ¥ 7.00)"
keys BSpace Enter
command "REFUND_REQUEST 700 T01-20261123-000039"
ctl "show refund_confirm"
see "Refund ¥ 7.00 of order T01-20261123-000039?"
keys Enter
command "REFUND_CONFIRM 700 T01-20261123-000039"
ctl "show refund_sent"
see "Refund of ¥ 7.00 is being sent..."
see "Refundable  A refund of this order is still in progress"
ctl "show refund_done"
see "Refunded so far: ¥ 10.00 of ¥ 10.00"
see "State       refunded"
keys Enter
command "BACK 0 "

# --- end of day ---
ctl "show eod"
see "End of day 2026-11-23"
see "WeChat Pay         2         22.30          3.00         19.30"
see "All                3       1021.30       1002.00         19.30"
see "Unresolved, not in the totals: 1"

# --- resize: larger, too small, and back to exactly the same screen ---
ctl "show paid"
see "Enter next payment"
size 120 40
drawn 120
see "Trade number"
wide=$(settled)
if [ "$(printf '%s\n' "$wide" | wc -l)" -eq 40 ] &&
   printf '%s\n' "$wide" | grep -q '^ posterm  Terminal T01 \{40,\}Gateway: online  Background: 2$'; then
    ok
else
    fail "at 120x40 the header is not spread over the width"
fi
size 60 20
see "Window too small (60x20): need at least 80x24"
see "PAID"
size 80 24
drawn 80
see "Enter next payment"
again=$(settled)
if [ "$again" = "$paid_80x24" ]; then ok; else
    fail "80x24 after resizing differs from before"
    diff <(printf '%s\n' "$paid_80x24") <(printf '%s\n' "$again") || true
fi
keys Enter
command "BACK 0 "

# --- Chinese, with a resize too ---
ctl "lang zh"
ctl "show ready"
see "终端 T01"
ctl "printer 2"
see "打印机：盖子未关"
ctl "printer none"
ctl "fleet down 12"
see "总部：无法连接，12 条待发送"
ctl "fleet off"
ctl "lab 7"
see "测试设置，切勿用于真实收款：本机未加密测试网关，不校验网关证书，"
see "支付的 15 秒"
ctl "lab 0"
see "网关：在线"
ctl "gateway 2"
see "网关：缓慢"
ctl "gateway 0"
see "网关：无应答"
ctl "gateway 1"
see "网关：在线"
see "新收款 - 请输入金额"
see "Enter 收款"
keys 5 . 5 Enter
command "AMOUNT_ENTERED 550 "
keys 1 . 2 . 3 Enter
see "不是数字"
ctl "scanner 0"
ctl "show scan"
see "未连接扫码枪：请用键盘输入付款码并按回车"
see "扫码枪：未连接（可键盘输入）"
ctl "scanner 1"
ctl "show confirming"
see "顾客正在手机上确认支付"
see "0:42 后自动撤销"
see "Esc/Bksp 中止（撤销本笔）"
# The gateway's reasons in Chinese: the cause's words, the English detail only where it helps.
ctl "show checking"
see "耗时原因：支付平台没有应答"
not_see "Timeout"
ctl "show aborted"
see "13 秒后撤销：微信支付要求支付 15 秒后才能撤销"
see "如顾客此时付款，撤销会退回款项（或显示收款成功）。"
# The same colours and bells in Chinese: red for a failure or a cancel, green for paid,
# yellow while unresolved; a bell for each new result, none with screen.bell false.
: > "$dir/bells"
ctl "order T01-20261123-000045"
ctl "show failed"
see "原因：顾客余额不足"
rang "zh failed"
has_sgr "收款失败" 41
see "告诉顾客：请顾客换其他方式付款。"
not_see "insufficient funds"
ctl "show cancelled"
see "收银员已取消"
has_sgr "已撤销" 41
ctl "show unresolved"
see "尚未完成"
has_sgr "尚未完成" 33
ctl "bell 0"
ctl "order T01-20261123-000046"
ctl "show failed"
see "收款失败"
quiet "zh screen.bell false"
ctl "bell 1"
ctl "order T01-20261123-000042"
ctl "show paid"
see "收款成功"
rang "zh paid"
has_sgr "收款成功" 32
see "微信支付"
zh_80x24=$(settled)
size 120 40
drawn 120
see "交易单号"
size 80 24
drawn 80
see "收款成功"
again=$(settled)
if [ "$again" = "$zh_80x24" ]; then ok; else
    fail "Chinese 80x24 after resizing differs from before"
    diff <(printf '%s\n' "$zh_80x24") <(printf '%s\n' "$again") || true
fi
ctl "show history"
see "000036"
s=$(screen)
if grep -q "000036.*未开始" <<<"$s"; then ok; else fail "not started, in Chinese"; fi
ctl "show failed"
see "R/+ 重试（换付款码）"
ctl "show ready"
ctl "quick 1"
see "+ 上一笔金额 12.30"
keys 1 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 Enter
see "这是付款码：请先输入金额，再扫码"
ctl "quick 0"
ctl "show eod"
see "未完成（未计入合计）：1 笔"
see "合计               3       1021.30       1002.00         19.30"

# --- a model with its data missing: every screen still draws its frame, keys stay safe ---
ctl "lang en"
# Each step's marker is what its bare screen shows; the ready screen in between makes sure
# the keys reach the step's screen, not the one before.
for pair in "scan:Scan the customer's payment code" "confirming:Payment in progress" \
            "paid:Enter next payment" "history:Today's payments" "detail:Esc/Bksp back" \
            "refund_amount:Order number: _" "refund_confirm:Order number: _" \
            "eod:End of day"; do
    step=${pair%%:*}
    ctl "show ready"
    see "Enter charge"
    ctl "show $step"
    ctl "bare 1"
    see "${pair#*:}"
    keys Down Escape
    # Without a payment there is nothing to abort: the next command logged is the result's.
    [ "$step" = confirming ] || command "BACK 0 "
done
ctl "bare 0"

# --- a figure, not a verdict: how long a full redraw of the paying screen takes ---
ctl "show confirming"
see "Customer is confirming on the phone"
ctl "bench 500"
for _ in $(seq 200); do
    [ "$(wc -l < "$dir/log")" -gt "$logged" ] && break
    sleep 0.05
done
logged=$((logged + 1))
echo "figure: $(sed -n "${logged}p" "$dir/log") (paying screen, 80x24, inside tmux)"

# --- the demo closes the screen cleanly ---
ctl "quit"
for _ in $(seq 100); do [ -s "$dir/rc" ] && break; sleep 0.05; done
if [ "$(cat "$dir/rc" 2>/dev/null)" = "0" ]; then ok; else
    fail "ui_demo did not exit 0: rc=$(cat "$dir/rc" 2>/dev/null) $(cat "$dir/err" 2>/dev/null)"
fi
command "bye"
if [ "$(wc -l < "$dir/log")" -ne "$logged" ]; then
    fail "unexpected lines in the demo's log: $(tail -n +$((logged + 1)) "$dir/log" | tr '\n' '|')"
fi

# --- a terminal without colours: failed and cancelled in reverse video, paid in bold ---
: > "$dir/log3"
tm new-window -t t \
    "env TERM=vt100 LANG=C.UTF-8 LC_ALL=C.UTF-8 TZ=UTC $demo '$dir/ctl' '$dir/log3' 2>'$dir/err3'; sleep 30"
for _ in $(seq 100); do [ -s "$dir/log3" ] && break; sleep 0.05; done
ctl "show failed"
see "PAYMENT FAILED"
has_sgr "PAYMENT FAILED" 7
ctl "show paid"
see "PAID"
has_sgr "PAID" 1
ctl "quit"
tm kill-window -t t

# --- a terminal type curses does not know: a clear refusal, not a crash or a garbled tty ---
: > "$dir/rc"
tm new-window -t t \
    "env TERM=posterm-no-such-terminal LANG=C.UTF-8 $demo '$dir/ctl' '$dir/log2' 2>'$dir/err'; echo \$? > '$dir/rc'; sleep 30"
for _ in $(seq 100); do [ -s "$dir/rc" ] && break; sleep 0.05; done
if [ "$(cat "$dir/rc")" = "1" ] &&
   grep -qxF "ui_demo: cannot start the cashier screen: the terminal type (TERM) is unknown or cannot run a full screen" "$dir/err"; then
    ok
else
    fail "unknown TERM: rc=$(cat "$dir/rc") err=$(cat "$dir/err")"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
