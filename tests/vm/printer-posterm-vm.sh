#!/usr/bin/env bash
# printer-posterm-vm.sh - posterm itself printing on a real (emulated) USB receipt printer: a
# throw-away Linux VM with the Epson TM-T20II gadget of printer-vm.sh, posterm-sim on the VM's
# loopback, and posterm --headless configured with printer.kind usb and language zh.
# Hot-plug: posterm starts with the printer not plugged in (the gadget not bound to the UDC) and
# says so; sale A is PAID all the same and its receipt waits; the printer is plugged in and
# posterm, not restarted, finds it and prints A's receipt once. Paper out: sale B is paid while
# the paper is out, its receipt waits (nothing reaches the printer), the paper comes back, it
# prints once. Unplugged while idle (UDC unbound): posterm sees it; A is refunded and the slip
# waits; plugged back in, the slip prints once. The gadget's bytes are decoded here with the
# tests' escpos-decode and checked (printer_vm_check.py posterm): three receipts in that
# order, each cut once, the sales' with the order number as a QR code, the amount, only the
# last four digits of the payment code; no reprint mark.
#
#   usage: printer-posterm-vm.sh POSTERM POSTERM_SIM GADGET DECODER [CACHE_DIR]
#   POSTERM, POSTERM_SIM, GADGET (printer-gadget) built for the VM's architecture (ARCH=arm64:
#   cross-built, run in an arm64 VM); DECODER (escpos-decode) and POSTERM_SIM --make-keys run
#   on this machine (under qemu-user for an arm64 build: POSTERM_EMULATOR, QEMU_LD_PREFIX).
#
# Needs what printer-vm.sh needs. Bounded: QEMU under `timeout`; temporary files removed.
set -euo pipefail

usage="usage: printer-posterm-vm.sh POSTERM POSTERM_SIM GADGET DECODER [CACHE_DIR]"
posterm=$(readlink -f "${1:?$usage}")
sim=$(readlink -f "${2:?$usage}")
gadget=$(readlink -f "${3:?$usage}")
decoder=$(readlink -f "${4:?$usage}")
cache=${5:-}
vm_timeout=${VM_TIMEOUT:-280}
arch=${ARCH:-amd64}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/vm-lib.sh"
vm_arch "$arch" || exit 2
qemu=("${vm_qemu[@]}") console=$vm_console

for tool in "${qemu[0]}" cpio depmod dpkg-deb apt-get apt-cache python3 flock timeout; do
    command -v "$tool" >/dev/null || { echo "printer-posterm-vm: missing $tool (toolchain/dev deps vm)"; exit 1; }
done
if [ "$arch" = arm64 ]; then
    run_host=(${POSTERM_EMULATOR:-qemu-aarch64-static})
else
    run_host=()
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
[ -n "$cache" ] || cache=$work/cache
mkdir -p "$cache"

vm_fetch "$cache"
ir=$work/ir
vm_initramfs "$cache" "$work" "$ir" drivers/usb/gadget/udc/dummy_hcd drivers/usb/gadget/udc/udc-core \
    drivers/usb/core/usbcore drivers/usb/common/usb-common drivers/usb/gadget/libcomposite \
    drivers/usb/gadget/function/usb_f_printer drivers/usb/class/usblp fs/configfs/configfs
cd "$work"
vm_add_program "$ir" "$posterm" /bin/posterm
vm_add_program "$ir" "$sim" /bin/posterm-sim
vm_add_program "$ir" "$gadget" /bin/gadget
vm_add_gconv "$ir"

# --- posterm's config and the simulator's keys, in the initramfs's /data ---
mkdir -p "$ir/data"
"${run_host[@]}" "$sim" --make-keys "$ir/data/keys" >/dev/null
python3 - "$ir/data" <<'PY'
import json, sys
data = sys.argv[1]
gw = json.load(open(data + "/keys/posterm-gateway.json"))["gateway"]
ali, wx = gw["alipay"], gw["wechat"]
k = lambda path: "/data/keys/" + path.rsplit("/", 1)[1]
url = "http://127.0.0.1:8480"
cfg = {
    "terminal_id": "PRINT1",
    "language": "zh",
    "journal": "/data/journal.db",
    "log": "/data/posterm.log",
    "merchant": {"name": "posterm 便利店", "store": "一号店"},
    "printer": {"kind": "usb", "vid": "0x04b8", "pid": "0x0e15", "paper_mm": 58,
                "native_qr": True, "merchant_copy": False, "eod": False},
    "scanner": {"source": "none"},
    "alipay": {"enabled": True, "gateway_url": url + "/gateway.do", "app_id": ali["app_id"],
               "private_key_file": k(ali["private_key_file"]),
               "alipay_public_key_file": k(ali["platform_public_key_file"])},
    "wechat": {"enabled": True, "base_url": url, "appid": wx["app_id"],
               "mchid": wx["merchant_id"], "merchant_serial": wx["merchant_serial"],
               "private_key_file": k(wx["private_key_file"]),
               "platform_public_key_file": k(wx["platform_public_key_file"]),
               "platform_serial": wx["platform_serial"], "apiv3_key_file": k(wx["apiv3_key_file"])},
}
json.dump(cfg, open(data + "/posterm.json", "w"), indent=1, ensure_ascii=False)
PY
rm "$ir/data/keys/posterm-gateway.json"

# WeChat payment codes (18 digits, 13 prefix): a receipt may show the last four only.
code=134567890123456789 code2=134567890123450042
cat > "$ir/init" <<INIT
#!/bin/sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc p /proc; mount -t sysfs s /sys; mount -t devtmpfs d /dev
for m in dummy_hcd libcomposite usb_f_printer usblp; do modprobe \$m || echo "VM-STEP modprobe \$m failed"; done
ifconfig lo 127.0.0.1 up
mount -t configfs none /sys/kernel/config
G=/sys/kernel/config/usb_gadget/printer
mkdir \$G && cd \$G
echo 0x04b8 > idVendor; echo 0x0e15 > idProduct
mkdir strings/0x409; echo EPSON > strings/0x409/manufacturer; echo "TM-T20II" > strings/0x409/product
mkdir functions/printer.usb0
echo "MFG:EPSON;CMD:ESC/POS;MDL:TM-T20II;CLS:PRINTER;" > functions/printer.usb0/pnp_string
mkdir configs/c.1; ln -s functions/printer.usb0 configs/c.1/
UDC=\$(ls /sys/class/udc | head -1)
cd /
wait_file() {
    i=0
    while [ ! -e "\$1" ]; do
        i=\$((i + 1)); [ \$i -gt 300 ] && { echo "VM-STEP timed out waiting for \$1"; return 1; }
        sleep 0.1
    done
}
# wait_for FILE PATTERN [N]: until FILE has N (1) lines matching PATTERN (90 s at most)
wait_for() {
    i=0
    while [ "\$(grep -cE "\$2" "\$1" 2>/dev/null)" -lt "\${3:-1}" ]; do
        i=\$((i + 1)); [ \$i -gt 900 ] && { echo "VM-STEP timed out waiting for \${3:-1} x '\$2' in \$1"; return 1; }
        sleep 0.1
    done
}
hexdump_file() { echo "VM-\$1-BEGIN"; od -An -tx1 -v "\$2" | sed "s/^/VM-\$1 /"; echo "VM-\$1-END"; }
plug_in() { echo \$UDC > \$G/UDC; wait_for /gadget.log '^PLUGGED' \$1; }
unplug() { echo "" > \$G/UDC; wait_for /gadget.log '^UNPLUGGED' \$1; }
# a sale: amount, the order created, the code scanned, paid (the Nth PAID)
sell() {
    echo "amount \$1" >&4
    wait_for /out '"transition":"created"' \$3 && echo "scan \$2" >&4 && wait_for /out '"state":"PAID"' \$3
}
# The printer is not plugged in when posterm starts: the gadget is made but not bound to the
# UDC; printer-gadget waits for its node.
: > /gadget.bin; : > /out
mkfifo /ctl
exec 3<>/ctl
/bin/gadget /dev/g_printer0 /gadget.bin /ctl > /gadget.log 2> /gadget.err &

posterm-sim --keys /data/keys --port 8480 --port-file /tmp/sim.port --quiet 2>/sim.err &
wait_file /tmp/sim.port && echo "VM-STEP posterm-sim listening"
mkfifo /cashier
(posterm --headless --config /data/posterm.json < /cashier 2>/posterm.err; echo "VM-POSTERM-EXIT=\$?" >> /out) >> /out &
exec 4>/cashier
wait_for /out '"event":"ready"' && echo "VM-STEP posterm ready, no printer plugged in"
wait_for /out '"event":"printer".*"ready":false' && echo "VM-STEP posterm sees no printer"
if sell 12.34 $code 1; then
    echo "VM-STEP sale A is paid"
    wait_for /out '"what":"waiting","waiting":1[,}]' 1
    sleep 3
    echo status >&4
    wait_for /out '"event":"status"' 1
    echo "VM-STEP plugging the printer in"
    plug_in 1 && wait_for /out '"what":"printed"' 1 && echo "VM-STEP sale A's receipt printed"
    echo paper-out > /ctl
    wait_for /gadget.log 'STATUS 0x30 paper-out' && wait_for /out '"event":"printer".*paper out' &&
        echo "VM-STEP the printer is out of paper"
    held_from=\$(wc -c < /gadget.bin)
fi
if sell 5.60 $code2 2; then
    echo "VM-STEP sale B is paid"
    wait_for /out '"what":"waiting","waiting":1[,}]' 2
    sleep 3
    echo status >&4
    wait_for /out '"event":"status"' 2
    tail -c +\$((held_from + 1)) /gadget.bin > /held.bin
    hexdump_file HELD /held.bin
    echo "VM-STEP paper loaded"
    echo ready > /ctl
    wait_for /out '"what":"printed"' 2 && echo "VM-STEP sale B's receipt printed"
    sleep 1
    echo "VM-STEP unplugging the printer (idle)"
    unplug 1 && wait_for /out '"event":"printer".*unplugged' && echo "VM-STEP posterm sees it unplugged"
    order=\$(grep -o '"order":"[^"]*"' /out | head -1 | cut -d'"' -f4)
    echo "refund \$order 12.34" >&4
    wait_for /out '"state":"REFUNDED"' && wait_for /out '"what":"waiting","waiting":1[,}]' 3 &&
        echo "VM-STEP sale A refunded, its slip waiting"
    sleep 3
    echo status >&4
    wait_for /out '"event":"status"' 3
    echo "VM-STEP plugging the printer back in"
    plug_in 2 && wait_for /out '"what":"printed"' 3 && echo "VM-STEP the refund slip printed"
    sleep 2
fi
exec 4>&-
wait_for /out 'VM-POSTERM-EXIT' || killall posterm
sleep 1
hexdump_file HEX /gadget.bin
echo quit > /ctl
sed 's/^/VM-POSTERM /' /out
sed 's/^/VM-ERR /' /posterm.err /sim.err
sed 's/^/VM-GADGET /' /gadget.log /gadget.err | grep -v ANSWER
poweroff -f
INIT
chmod +x "$ir/init"
vm_pack "$ir" "$work/ir.gz"

start=$(date +%s)
status=0
timeout "$vm_timeout" "${qemu[@]}" -m 512 -smp 1 -nographic -no-reboot -nic none \
    -kernel "$vm_kernel" -initrd "$work/ir.gz" \
    -append "console=$console quiet panic=-1" > "$work/console" 2>&1 || status=$?
tr -d '\r' < "$work/console" |
    sed -E 's/^.*(VM-(STEP|POSTERM|ERR|GADGET|HELD|HEX))/\1/' > "$work/console.txt"
echo "printer-posterm-vm: $arch: VM ran $(( $(date +%s) - start )) s (qemu status $status)"
grep -E '^VM-(STEP|ERR|GADGET)' "$work/console.txt" || true

if ! python3 "$here/printer_vm_check.py" posterm "$work" "$code" "$code2" "${run_host[@]}" "$decoder"; then
    echo "---- posterm's output ----"; grep '^VM-POSTERM' "$work/console.txt" | tail -40
    exit 1
fi
echo "printer-posterm-vm: $arch: receipts held while no printer was plugged in, while out of paper and while unplugged, each printed once when it was back"
