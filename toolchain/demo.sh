#!/usr/bin/env bash
# toolchain/demo.sh BUILD_DIR [--lang en|zh] [--reset] - the cashier screen against the local
# gateway simulator.
#
# Keys, journal, simulator ledger and config live in ~/.posterm-demo (kept between runs, so
# history and end-of-day add up). The config (posterm.json) is written once: a later run keeps
# it, and when it differs from what the demo would write (you edited it) says so and leaves it
# as it is; --reset writes it afresh. --lang sets its language (en, the default, or zh) and
# nothing else; POSTERM_DEMO_LANG does the same. The simulator listens on the port the config
# names, so the config stays the same from run to run.
# The keyboard is the scanner: on the scan screen type a demo code and press Enter. Quitting
# posterm stops the simulator too. Demo codes (README.md):
#   134567890123456700  WeChat Pay, paid at once
#   287654321098765403  Alipay, customer confirms on the phone for 8 s, then paid
#   134567890123456701  WeChat Pay, insufficient funds
#   287654321098765407  Alipay, no usable reply: checked, then cancelled automatically
# Receipts go to the virtual printer, plain text appended to ~/.posterm-demo/receipts.txt:
# watch them in another terminal with  tail -f ~/.posterm-demo/receipts.txt
set -euo pipefail

usage="usage: demo.sh BUILD_DIR [--lang en|zh] [--reset]"
build=${1:?$usage}
shift
lang=${POSTERM_DEMO_LANG:-}
reset=0
while [ $# -gt 0 ]; do
    case $1 in
        --lang) [ $# -ge 2 ] || { echo "$usage" >&2; exit 2; }; lang=$2; shift 2 ;;
        --lang=*) lang=${1#--lang=}; shift ;;
        --reset) reset=1; shift ;;
        *) echo "$usage" >&2; exit 2 ;;
    esac
done
case $lang in
    "" | en | zh) ;;
    *) echo "demo: --lang takes en or zh, not \"$lang\"" >&2; exit 2 ;;
esac

demo=${POSTERM_DEMO_DIR:-$HOME/.posterm-demo}
config=$demo/posterm.json
mkdir -p "$demo"
chmod 700 "$demo"

[ -f "$demo/keys/posterm-gateway.json" ] || "$build/posterm-sim" --make-keys "$demo/keys" >/dev/null

# The port the config names (0 when there is no config yet, or with --reset: a free one).
port=0
if [ "$reset" -eq 0 ] && [ -f "$config" ]; then
    port=$(python3 -c '
import json, sys, urllib.parse
try:
    print(urllib.parse.urlsplit(json.load(open(sys.argv[1]))["wechat"]["base_url"]).port or 0)
except Exception:
    print(0)' "$config")
fi

rm -f "$demo/sim.port"
"$build/posterm-sim" --keys "$demo/keys" --port "$port" --port-file "$demo/sim.port" \
    --ledger "$demo/ledger.json" --quiet >"$demo/sim.log" 2>&1 &
sim=$!
trap 'kill -TERM $sim 2>/dev/null; wait $sim 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    [ -s "$demo/sim.port" ] && break
    kill -0 $sim 2>/dev/null || {
        echo "posterm-sim did not start on port $port (taken? toolchain/dev demo --reset picks" \
             "another): see $demo/sim.log" >&2
        exit 1
    }
    sleep 0.05
done
port=$(cat "$demo/sim.port")

# posterm's config from the simulator's key set (field names: app/posterm.example.json):
# written when there is none (or --reset); otherwise kept, only its language set when --lang
# asks for another, and a word said when it is not the demo's.
python3 - "$demo" "$port" "$lang" "$reset" <<'EOF'
import json, os, sys
demo, port, lang, reset = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
path = os.path.join(demo, "posterm.json")
gw = json.load(open(os.path.join(demo, "keys", "posterm-gateway.json")))["gateway"]
a, w = gw["alipay"], gw["wechat"]
url = "http://127.0.0.1:%s" % port
cfg = {
    "terminal_id": "DEMO1",
    "journal": os.path.join(demo, "journal.db"),
    "language": lang or "en",
    "scanner": {"source": "auto"},
    "merchant": {"name": "posterm 演示店", "store": "Counter 1 / 一号收银台"},
    "printer": {"kind": "virtual", "path": os.path.join(demo, "receipts.txt"), "paper_mm": 58},
    "alipay": {"enabled": True, "gateway_url": url + "/gateway.do", "app_id": a["app_id"],
               "private_key_file": a["private_key_file"],
               "alipay_public_key_file": a["platform_public_key_file"]},
    "wechat": {"enabled": True, "base_url": url, "appid": w["app_id"], "mchid": w["merchant_id"],
               "merchant_serial": w["merchant_serial"], "private_key_file": w["private_key_file"],
               "platform_public_key_file": w["platform_public_key_file"],
               "platform_serial": w["platform_serial"], "apiv3_key_file": w["apiv3_key_file"]},
}


def write(doc):
    tmp = path + ".new"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
        f.write("\n")
    os.replace(tmp, path)


if reset or not os.path.exists(path):
    write(cfg)
    sys.exit(0)
try:
    with open(path) as f:
        mine = json.load(f)
except ValueError as e:
    sys.exit("demo: %s is not valid JSON (%s): fix it, or toolchain/dev demo --reset" % (path, e))
if lang and mine.get("language") != lang:
    mine["language"] = lang
    write(mine)
    print("demo: language set to %s in %s" % (lang, path), file=sys.stderr)
cfg["language"] = mine.get("language", cfg["language"])
if mine != cfg:
    changed = sorted(k for k in set(cfg) | set(mine) if cfg.get(k) != mine.get(k))
    print("demo: keeping your edited %s (not the demo's: %s); toolchain/dev demo --reset "
          "writes the demo's again" % (path, ", ".join(changed)), file=sys.stderr)
EOF

echo "receipts: tail -f $demo/receipts.txt" >&2
"$build/posterm" --config "$config"
