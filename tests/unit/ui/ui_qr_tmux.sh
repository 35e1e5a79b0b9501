#!/usr/bin/env bash
# ui_qr_tmux.sh [EMULATOR...] DEMO QR_TEXT_PBM - the QR payment screen in a real terminal (tmux), read by a
# phone's stand-in: the pane's characters are captured (capture-pane -p), turned into an image
# (qr_text_pbm) and zbarimg must read exactly the gateway's payload. WeChat Pay and Alipay, in
# English and Chinese at 80x24; dark on light in colour and in monochrome; the "##" fallback
# where it fits; and a clear message where the code does not fit or cannot be made.
set -euo pipefail
unset TMUX

# A cross build's emulator comes first and runs both programs.
demo=$(printf "'%s' " "${@:1:$#-1}")
topbm=("${@:1:$#-2}" "${@: -1}")
dir=$(mktemp -d)
sock="posterm-qr-$$-$RANDOM"
passed=0
failed=0
cleanup() {
    tmux -L "$sock" kill-server 2>/dev/null || true
    rm -rf "$dir"
}
trap cleanup EXIT

WECHAT='weixin://wxpay/bizpayurl?pr=p4lpSuKzz'
ALIPAY='https://qr.alipay.com/bax03431ljhokirwl38f00a7'
# 63 bytes: version 5 at level M, 23 half-block rows: more than 80x24 leaves.
LONG='https://qr.alipay.com/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaz'

tm() { tmux -L "$sock" "$@"; }
# A session that outlives each case's, so that ending a case never ends the server (a new
# session racing a server on its way out fails with "server exited unexpectedly").
tm -f /dev/null new-session -d -s keep "sleep 600"
screen() { tm capture-pane -p -t t; }
ok() { passed=$((passed + 1)); }
fail() {
    failed=$((failed + 1))
    echo "FAIL: $*"
    echo "---- screen ----"
    screen || true
    echo "----------------"
}

# start COLS ROWS TERM ARGS...: the demo alone in a fresh session of that size.
start() {
    local cols=$1 rows=$2 term=$3
    shift 3
    tm kill-session -t t 2>/dev/null || true
    : > "$dir/log"
    local args
    args=$(printf "'%s' " "$@")
    tm new-session -d -x "$cols" -y "$rows" -s t \
        "env TERM=$term LANG=C.UTF-8 LC_ALL=C.UTF-8 $demo '$dir/log' $args 2>'$dir/err'; sleep 30"
    tm set-option -t t status off >/dev/null
    for _ in $(seq 100); do [ -s "$dir/log" ] && break; sleep 0.05; done
}

has() {
    local s
    s=$(screen)
    grep -qF -- "$1" <<<"$s"
}
see() {
    for _ in $(seq 100); do
        if has "$1"; then ok; return 0; fi
        sleep 0.05
    done
    fail "screen never showed: $1"
}

# logged LINE: the demo's last draw returned LINE ("80x24 ok").
logged() {
    for _ in $(seq 100); do
        [ "$(tail -1 "$dir/log")" = "$1" ] && { ok; return 0; }
        sleep 0.05
    done
    fail "the last draw was '$(tail -1 "$dir/log")', not '$1'"
}

# decodes STYLE PAYLOAD: zbarimg reads exactly PAYLOAD from the captured pane within 5 s (the
# terminal may still be showing the previous draw).
decodes() {
    local got=""
    for _ in $(seq 50); do
        screen > "$dir/pane.txt"
        if "${topbm[@]}" "$1" "$dir/pane.pbm" < "$dir/pane.txt" 2>/dev/null; then
            got=$(zbarimg --nodbus --raw -q "$dir/pane.pbm" 2>/dev/null || true)
            [ "$got" = "$2" ] && { ok; return 0; }
        fi
        sleep 0.1
    done
    fail "zbarimg read '$got', expected '$2'"
}

# no_code: nothing on the screen could pass for a code (no block characters, no '#').
no_code() {
    if screen | grep -q '[▀▄█#]'; then fail "a code (or a part of one) is drawn"; else ok; fi
}

# qr_sgr SGR: the code's rows are drawn with that SGR (47: white ground, 7: reverse video).
qr_sgr() {
    local line
    line=$(tm capture-pane -e -p -t t | grep -F '▀' | head -1)
    if grep -qE $'\e\\[([0-9]+;)*'"$1"'(;[0-9]+)*m' <<<"$line"; then ok; else
        fail "the code's rows are not drawn with SGR $1: $(printf '%q' "$line" | head -c 200)"
    fi
}

# --- 80x24, English, WeChat Pay: the code, the mark, the amount, the countdown, Esc ---
start 80 24 xterm-256color en wechat "$WECHAT" 105
logged "80x24 ok"
see "Customer scans to pay"
see "[ WeChat Pay ]"
see "Amount: ¥ 12.30"
see "Ask the customer to scan this code with"
see "WeChat Pay and confirm the payment"
see "Order closes in 1:45"
see "Esc abort (closes the order)"
decodes half "$WECHAT"
# Dark on light: black ink (30) on a white ground (47), whatever the terminal's own colours.
qr_sgr 47
qr_sgr 30
# Every row of the pane stays within 80 cells (the words beside the code are cut or wrapped).
if [ "$(screen | LC_ALL=C.UTF-8 wc -L)" -le 80 ]; then ok; else fail "a row is wider than 80"; fi

# --- a resize below what the code needs: said clearly, nothing half drawn; and back ---
tm resize-window -t t -x 60 -y 20
logged "60x20 QR code does not fit the screen"
see "Window too small for the QR code (60x20): need 70x21"
see "Amount: ¥ 12.30"
see "Esc abort (closes the order)"
no_code
tm resize-window -t t -x 80 -y 24
logged "80x24 ok"
decodes half "$WECHAT"

# --- 80x24, Chinese, Alipay (version 4: 21 rows, the largest 80x24 shows) ---
start 80 24 xterm-256color zh alipay "$ALIPAY" 59
logged "80x24 ok"
see "顾客扫码付款"
see "[ 支付宝 ]"
see "金额：¥ 12.30"
see "请顾客用支付宝扫描此二维码并确认付款"
see "0:59 后关闭订单"
see "Esc 中止（关闭订单）"
decodes half "$ALIPAY"
# The same in English, and larger: still read.
start 120 40 xterm-256color en alipay "$ALIPAY" 59
logged "120x40 ok"
see "[ Alipay ]"
decodes half "$ALIPAY"

# --- a terminal without colours: reverse video keeps the code dark on light ---
start 80 24 vt100 en wechat "$WECHAT" 30
logged "80x24 ok"
decodes half "$WECHAT"
qr_sgr 7

# --- without Unicode: "##" per module where it fits; where it does not, said so ---
start 80 24 xterm-256color en wechat "$WECHAT" 30 ascii
logged "80x24 QR code does not fit the screen"
see "Window too small for the QR code (80x24): need 107x39"
see "This terminal cannot draw block characters: the code is drawn twice as large"
no_code
start 110 40 xterm-256color en wechat "$WECHAT" 30 ascii
logged "110x40 ok"
decodes text "$WECHAT"
start 110 40 xterm-256color zh wechat "$WECHAT" 30 ascii
logged "110x40 ok"
see "[ 微信支付 ]"
decodes text "$WECHAT"

# --- a code too large for 80x24, and payloads that cannot become a code ---
start 80 24 xterm-256color en alipay "$LONG" 30
logged "80x24 QR code does not fit the screen"
see "Window too small for the QR code (80x24): need 78x25"
no_code
start 80 24 xterm-256color zh alipay "" 30
logged "80x24 no QR payload"
see "无法显示二维码：网关未返回二维码内容"
see "金额：¥ 12.30"
no_code
start 80 24 xterm-256color en wechat "$(printf 'x%.0s' $(seq 129))" 30
logged "80x24 QR payload longer than 128 bytes"
see "No QR code to show: the gateway's code is too long"
no_code

# --- Esc leaves the screen (the demo logs it) ---
tm send-keys -t t Escape
logged "esc"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
