#!/usr/bin/env bash
# field-vm.sh - the terminal in the field: posterm on an emulated board with an emulated USB
# scanner and an emulated USB receipt printer, its journal on a virtual disk, the power cut at
# chosen moments and the network down when it comes back; two payments the customer pays by
# scanning the terminal's QR; one the cash register asks for over the register API; at the end
# the gateway's ledger is audited against the journal, and the receipts on the printer's paper
# against both. Throughout, posterm publishes its journal's events over MQTT with TLS through
# the board's network to a mosquitto on this machine, and head office's books rebuilt from
# them are compared with the journal at the end.
#
#   usage: field-vm.sh POSTERM POSTERM_SIM GADGET DECODER [CACHE_DIR]   (ARCH=arm64, as built)
#   GADGET: printer-gadget built for the board; DECODER: the tests' escpos-decode, run here
#   (under qemu-user for an arm64 build, as the simulator's --make-keys is).
#
# This script builds the terminal: an initramfs (busybox, the kernel modules for the USB
# gadgets, virtio-blk, virtio-console, virtio-net and ext4, posterm, posterm-sim and printer-gadget with
# their libraries, glibc's GB18030 converter, and an init that starts them as the packaged
# service would) and an ext4 disk image (config, keys, the fleet's TLS files; the journal and
# the simulator's ledger are written there). The network: QEMU's user-mode stack restricted
# to one forward, 10.0.2.100:8883 to the host's broker (field_vm.py), so the board reaches the
# broker and nothing else; the broker's certificate, for IP 10.0.2.100, and the terminal's
# client certificate come from a test CA made here with openssl. Two gadgets on two dummy_hcd controllers (num=2): the Honeywell scanner
# on the first, an Epson TM-T20II (usb_f_printer) on the second. printer-gadget writes what the
# printer receives to a virtio serial port that QEMU keeps in a file on this machine: the
# paper, outside the board, so a power cut loses no receipt already printed. field_vm.py then boots it three times, plays
# the cashier through the init (cashier plan chosen by `field.boot=N` on the kernel command
# line), kills QEMU from outside to cut the power, and audits. See tests/vm/README.md.
#
# Exit 77 (ctest: skipped) when something this machine cannot provide is missing: QEMU, the
# ext4 tools, the kernel package, qemu-user to list an ARM program's libraries, or head
# office's tools (mosquitto, openssl, socat, python3-paho-mqtt).
set -euo pipefail

usage="usage: field-vm.sh POSTERM POSTERM_SIM GADGET DECODER [CACHE_DIR]"
posterm=$(readlink -f "${1:?$usage}")
sim=$(readlink -f "${2:?$usage}")
gadget=$(readlink -f "${3:?$usage}")
decoder=$(readlink -f "${4:?$usage}")
cache=${5:-}
arch=${ARCH:-amd64}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
skip() { echo "field-vm: skipped: $*"; exit 77; }

source "$here/vm-lib.sh"
[ "$arch" = arm64 ] || skip "the field test runs on the arm64 board (ARCH=arm64)"
vm_arch "$arch" || exit 2
for tool in "${vm_qemu[0]}" cpio depmod dpkg-deb apt-get apt-cache python3 flock timeout mkfs.ext4 e2fsck debugfs \
        mosquitto openssl socat; do
    command -v "$tool" >/dev/null || skip "missing $tool (toolchain/dev deps vm)"
done
python3 -c 'import sys; sys.path.append("/usr/lib/python3/dist-packages"); import paho.mqtt.client' \
    2>/dev/null || skip "missing python3-paho-mqtt (toolchain/dev deps test)"
if [ "$arch" = arm64 ]; then
    command -v qemu-aarch64-static >/dev/null || skip "missing qemu-aarch64-static (toolchain/packages/cross.txt)"
    # The host starts the ARM simulator once, to make its keys: qemu-user, as cross-build.sh says.
    run_target=(${POSTERM_EMULATOR:-qemu-aarch64-static})
else
    run_target=()
fi

work=$(mktemp -d)
trap 'if [ -n "${POSTERM_KEEP_TMP:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi' EXIT
[ -n "$cache" ] || cache=$work/cache
vm_fetch "$cache" || skip "the $arch kernel or busybox package could not be downloaded"

ir=$work/ir
vm_initramfs "$cache" "$work" "$ir" drivers/usb/gadget/udc/dummy_hcd drivers/usb/gadget/udc/udc-core \
    drivers/usb/core/usbcore drivers/usb/common/usb-common drivers/usb/gadget/libcomposite \
    drivers/usb/gadget/function/usb_f_hid drivers/usb/gadget/function/usb_f_printer \
    fs/configfs/configfs drivers/virtio/virtio_mmio drivers/block/virtio_blk drivers/char/virtio_console \
    net/core/failover drivers/net/net_failover drivers/net/virtio_net \
    fs/ext4/ext4 fs/jbd2/jbd2 fs/mbcache lib/crc16 crypto/crc32c_generic lib/libcrc32c
vm_add_program "$ir" "$posterm" /usr/bin/posterm || skip "libraries of $posterm not found for $arch"
vm_add_program "$ir" "$sim" /usr/bin/posterm-sim || skip "libraries of $sim not found for $arch"
vm_add_program "$ir" "$gadget" /usr/bin/printer-gadget || skip "libraries of $gadget not found for $arch"
vm_add_gconv "$ir" || skip "glibc's GB18030 converter not found for $arch"

# The codes the scanner types, one report file each (field_vm.py knows them by name).
mkdir -p "$ir/codes"
while read -r name code; do
    vm_keyboard_reports "$code" > "$ir/codes/$name.bin"
done <<'CODES'
A 134567890123456000
B 2876543210123403
C 134567890123457003
D 2876543210123500
E 134567890123458000
H 2876543210123600
CODES
printf "$vm_boot_keyboard_desc" > "$ir/report_desc"

# --- head office's TLS: a test CA, the broker's certificate for the address the board sees
# it at (10.0.2.100), the terminal's client certificate (CN its terminal_id) ---
pki=$work/pki
mkdir -p "$pki"
ossl() { openssl "$@" >/dev/null 2>&1 || { echo "field-vm: openssl $1 failed"; exit 2; }; }
ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
ossl req -x509 "${ec[@]}" -days 2 -subj "/CN=field test CA" -keyout "$pki/ca.key" -out "$pki/ca.pem"
echo "subjectAltName=IP:10.0.2.100" > "$pki/san.cnf"
for who in broker:10.0.2.100 terminal:FIELD1; do
    name=${who%%:*}
    ext=()
    if [ "$name" = broker ]; then ext=(-extfile "$pki/san.cnf"); fi
    ossl req "${ec[@]}" -subj "/CN=${who#*:}" -keyout "$pki/$name.key" -out "$pki/$name.csr"
    ossl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca.key" -CAcreateserial \
        -days 2 -out "$pki/$name.pem" "${ext[@]}"
done
chmod 600 "$pki"/*.key

# --- the disk: config and keys; the journal and the ledger are created on it ---
stage=$work/stage
mkdir -p "$stage"
"${run_target[@]}" "$sim" --make-keys "$stage/keys" >/dev/null
cp "$pki/ca.pem" "$stage/keys/fleet-ca.pem"
cp "$pki/terminal.pem" "$stage/keys/fleet-terminal.pem"
cp -p "$pki/terminal.key" "$stage/keys/fleet-terminal.key"
python3 - "$stage" <<'PY'
import json, sys
stage = sys.argv[1]
gw = json.load(open(stage + "/keys/posterm-gateway.json"))["gateway"]
ali, wx = gw["alipay"], gw["wechat"]
k = lambda path: "/data/keys/" + path.rsplit("/", 1)[1]
url = "http://127.0.0.1:8480"   # the simulator inside the VM, on the VM's own loopback
cfg = {
    "terminal_id": "FIELD1",
    "journal": "/data/journal.db",
    "log": "/data/posterm.log",
    # Fast enough for emulation, long enough that a customer's 8 s confirmation fits the
    # window and that a payment resumed after two reboots can still be queried.
    "policy": {"first_query_ms": 500, "query_every_ms": 1000, "window_ms": 120000,
               "min_cancel_ms": 2000, "backoff_first_ms": 500, "backoff_max_ms": 2000},
    "http": {"connect_timeout_ms": 2000, "pay_timeout_ms": 10000, "query_timeout_ms": 5000,
             "cancel_timeout_ms": 5000, "refund_timeout_ms": 5000},
    "scanner": {"source": "usb-keyboard", "vid": "0x0c2e", "pid": "0x0b81", "dedupe_ms": 500},
    # The receipt printer on the second USB controller; the merchant's name in Chinese, so
    # every receipt goes through GB18030.
    # The cash register's API (app/REGISTER_API.md): plain TCP on the VM's loopback, where
    # the cashier script's register (busybox nc) connects; the Unix socket where the VM's
    # init has a folder for it.
    "api": {"enabled": True, "listen": "127.0.0.1:7480", "socket": "/tmp/register.sock"},
    "merchant": {"name": "田野便利店", "store": "Field 1"},
    "printer": {"kind": "usb", "vid": "0x04b8", "pid": "0x0e15", "paper_mm": 58,
                "native_qr": True, "merchant_copy": False, "eod": False},
    "alipay": {"enabled": True, "gateway_url": url + "/gateway.do", "app_id": ali["app_id"],
               "private_key_file": k(ali["private_key_file"]),
               "alipay_public_key_file": k(ali["platform_public_key_file"])},
    "wechat": {"enabled": True, "base_url": url, "appid": wx["app_id"],
               "mchid": wx["merchant_id"], "merchant_serial": wx["merchant_serial"],
               "private_key_file": k(wx["private_key_file"]),
               "platform_public_key_file": k(wx["platform_public_key_file"]),
               "platform_serial": wx["platform_serial"], "apiv3_key_file": k(wx["apiv3_key_file"]),
               # required on a QR (Native) order; posterm polls and never serves it
               "notify_url": wx["notify_url"]},
    # Head office (app/FLEET.md): the broker on the host, at the one address the board's
    # network forwards; TLS verified against the test CA, the terminal's own certificate.
    # A short keepalive and reconnection: a power cut's last will and the broker's return
    # within the test's seconds.
    "fleet": {"host": "10.0.2.100", "port": 8883, "merchant": "field",
              "ca_file": "/data/keys/fleet-ca.pem", "cert_file": "/data/keys/fleet-terminal.pem",
              "key_file": "/data/keys/fleet-terminal.key", "keepalive_s": 5,
              "reconnect_max_ms": 2000},
}
json.dump(cfg, open(stage + "/posterm.json", "w"), indent=1, ensure_ascii=False)
PY
rm "$stage/keys/posterm-gateway.json"
mkfs.ext4 -q -F -L posterm -d "$stage" "$work/disk.img" 64M

cat > "$ir/init" <<INIT
#!/bin/sh
/bin/busybox --install -s /bin
export PATH=/bin:/usr/bin
mount -t proc p /proc; mount -t sysfs s /sys; mount -t devtmpfs d /dev
modprobe dummy_hcd num=2 || echo "FIELD-STEP modprobe dummy_hcd failed"
for m in libcomposite usb_f_hid usb_f_printer virtio_mmio virtio_blk virtio_console virtio_net crc32c_generic ext4; do
    modprobe \$m || echo "FIELD-STEP modprobe \$m failed"
done
ifconfig lo 127.0.0.1 up
# The shop's network: a static address on QEMU's user-mode network, no default route: the
# broker (10.0.2.100) is on the link, and nothing else is forwarded anyway.
{ ip addr add 10.0.2.15/24 dev eth0 && ip link set eth0 up; } || echo "FIELD-FAIL no network (eth0)"
mkdir -p /data
mount -t ext4 -o data=ordered /dev/vda /data || { echo "FIELD-FAIL cannot mount the disk"; poweroff -f; }
mount -t configfs none /sys/kernel/config
$(vm_gadget_lines 0x0c2e 0x0b81 Honeywell "Voyager 1400g" 1 1 8 /report_desc)
echo \$UDC > \$G/UDC
# The receipt printer: its own gadget on the second controller; what it receives goes to the
# virtio port named paper, which QEMU writes to paper-N.bin in field_vm.py's folder.
P=/sys/kernel/config/usb_gadget/printer
mkdir \$P && cd \$P
echo 0x04b8 > idVendor; echo 0x0e15 > idProduct
mkdir strings/0x409; echo EPSON > strings/0x409/manufacturer; echo "TM-T20II" > strings/0x409/product
mkdir functions/printer.usb0
echo "MFG:EPSON;CMD:ESC/POS;MDL:TM-T20II;CLS:PRINTER;" > functions/printer.usb0/pnp_string
mkdir configs/c.1; ln -s functions/printer.usb0 configs/c.1/
cd /
ls /sys/class/udc | sed -n 2p > \$P/UDC || echo "FIELD-FAIL no second USB controller for the printer"
paper=
for port in /sys/class/virtio-ports/*; do
    [ "\$(cat \$port/name 2>/dev/null)" = paper ] && paper=/dev/\${port##*/}
done
[ -n "\$paper" ] || echo "FIELD-FAIL no virtio port named paper"
mkfifo /tmp/printer-control
printer-gadget /dev/g_printer0 \$paper /tmp/printer-control > /tmp/printer.log 2>&1 &
boot=\$(sed -n 's/.*field\.boot=\([0-9]*\).*/\1/p' /proc/cmdline)
echo "FIELD-BOOT \$boot"
. /cashier.sh
INIT
cp "$here/field-cashier.sh" "$ir/cashier.sh"
chmod +x "$ir/init"
vm_pack "$ir" "$work/ir.gz"

python3 "$here/field_vm.py" --work "$work" --kernel "$vm_kernel" --initrd "$work/ir.gz" \
    --disk "$work/disk.img" --console "$vm_console" --pki "$pki" \
    --decoder "$(printf '%q ' "${run_target[@]}" "$decoder")" -- "${vm_qemu[@]}"
