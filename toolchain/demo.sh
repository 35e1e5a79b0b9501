#!/usr/bin/env bash
# toolchain/demo.sh BUILD_DIR - the cashier screen against the local gateway simulator.
#
# Keys, journal and simulator ledger live in ~/.posterm-demo (kept between runs, so history
# and end-of-day add up). The keyboard is the scanner: on the scan screen type a demo code
# and press Enter. Quitting posterm stops the simulator too. Demo codes (README.md):
#   134567890123456700  WeChat Pay, paid at once
#   287654321098765403  Alipay, customer confirms on the phone for 8 s, then paid
#   134567890123456701  WeChat Pay, insufficient funds
#   287654321098765407  Alipay, no usable reply: checked, then cancelled automatically
# Receipts go to the virtual printer, plain text appended to ~/.posterm-demo/receipts.txt:
# watch them in another terminal with  tail -f ~/.posterm-demo/receipts.txt
set -euo pipefail

build=${1:?usage: demo.sh BUILD_DIR}
demo=${POSTERM_DEMO_DIR:-$HOME/.posterm-demo}
mkdir -p "$demo"
chmod 700 "$demo"

[ -f "$demo/keys/posterm-gateway.json" ] || "$build/posterm-sim" --make-keys "$demo/keys" >/dev/null

rm -f "$demo/sim.port"
"$build/posterm-sim" --keys "$demo/keys" --port 0 --port-file "$demo/sim.port" \
    --ledger "$demo/ledger.json" --quiet >"$demo/sim.log" 2>&1 &
sim=$!
trap 'kill -TERM $sim 2>/dev/null; wait $sim 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    [ -s "$demo/sim.port" ] && break
    kill -0 $sim 2>/dev/null || { echo "posterm-sim did not start: see $demo/sim.log" >&2; exit 1; }
    sleep 0.05
done
port=$(cat "$demo/sim.port")

# posterm's config from the simulator's key set (field names: app/posterm.example.json).
python3 - "$demo" "$port" <<'EOF'
import json, os, sys
demo, port = sys.argv[1], sys.argv[2]
gw = json.load(open(os.path.join(demo, "keys", "posterm-gateway.json")))["gateway"]
a, w = gw["alipay"], gw["wechat"]
url = "http://127.0.0.1:%s" % port
cfg = {
    "terminal_id": "DEMO1",
    "journal": os.path.join(demo, "journal.db"),
    "language": os.environ.get("POSTERM_DEMO_LANG", "en"),
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
json.dump(cfg, open(os.path.join(demo, "posterm.json"), "w"), indent=1)
EOF

echo "receipts: tail -f $demo/receipts.txt" >&2
"$build/posterm" --config "$demo/posterm.json"
