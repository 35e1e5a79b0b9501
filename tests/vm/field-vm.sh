#!/usr/bin/env bash
# field-vm.sh - the terminal in the field: posterm on an emulated board with an emulated USB
# scanner, its journal on a virtual disk, the power cut at chosen moments and the network
# down when it comes back; at the end the gateway's ledger is audited against the journal.
#
#   usage: field-vm.sh POSTERM POSTERM_SIM [CACHE_DIR]      (ARCH=arm64 or amd64, as built)
#
# This script builds the terminal: an initramfs (busybox, the kernel modules for the USB
# gadget, virtio-blk and ext4, posterm and posterm-sim with their libraries, and an init that
# starts both as the packaged service would) and an ext4 disk image (config, keys; the journal
# and the simulator's ledger are written there). field_vm.py then boots it three times, plays
# the cashier through the init (cashier plan chosen by `field.boot=N` on the kernel command
# line), kills QEMU from outside to cut the power, and audits. See tests/vm/README.md.
#
# Exit 77 (ctest: skipped) when something this machine cannot provide is missing: QEMU, the
# ext4 tools, the kernel package, or qemu-user to list an ARM program's libraries.
set -euo pipefail

usage="usage: field-vm.sh POSTERM POSTERM_SIM [CACHE_DIR]"
posterm=$(readlink -f "${1:?$usage}")
sim=$(readlink -f "${2:?$usage}")
cache=${3:-}
arch=${ARCH:-amd64}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
skip() { echo "field-vm: skipped: $*"; exit 77; }

source "$here/vm-lib.sh"
[ "$arch" = arm64 ] || skip "the field test runs on the arm64 board (ARCH=arm64)"
vm_arch "$arch" || exit 2
for tool in "${vm_qemu[0]}" cpio depmod dpkg-deb apt-get apt-cache python3 flock timeout mkfs.ext4 e2fsck debugfs; do
    command -v "$tool" >/dev/null || skip "missing $tool (toolchain/dev deps vm)"
done
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
    drivers/usb/gadget/function/usb_f_hid fs/configfs/configfs \
    drivers/virtio/virtio_mmio drivers/block/virtio_blk \
    fs/ext4/ext4 fs/jbd2/jbd2 fs/mbcache lib/crc16 crypto/crc32c_generic lib/libcrc32c
vm_add_program "$ir" "$posterm" /usr/bin/posterm || skip "libraries of $posterm not found for $arch"
vm_add_program "$ir" "$sim" /usr/bin/posterm-sim || skip "libraries of $sim not found for $arch"

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
CODES
printf "$vm_boot_keyboard_desc" > "$ir/report_desc"

# --- the disk: config and keys; the journal and the ledger are created on it ---
stage=$work/stage
mkdir -p "$stage"
"${run_target[@]}" "$sim" --make-keys "$stage/keys" >/dev/null
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
    "alipay": {"enabled": True, "gateway_url": url + "/gateway.do", "app_id": ali["app_id"],
               "private_key_file": k(ali["private_key_file"]),
               "alipay_public_key_file": k(ali["platform_public_key_file"])},
    "wechat": {"enabled": True, "base_url": url, "appid": wx["app_id"],
               "mchid": wx["merchant_id"], "merchant_serial": wx["merchant_serial"],
               "private_key_file": k(wx["private_key_file"]),
               "platform_public_key_file": k(wx["platform_public_key_file"]),
               "platform_serial": wx["platform_serial"], "apiv3_key_file": k(wx["apiv3_key_file"])},
}
json.dump(cfg, open(stage + "/posterm.json", "w"), indent=1)
PY
rm "$stage/keys/posterm-gateway.json"
mkfs.ext4 -q -F -L posterm -d "$stage" "$work/disk.img" 64M

cat > "$ir/init" <<INIT
#!/bin/sh
/bin/busybox --install -s /bin
export PATH=/bin:/usr/bin
mount -t proc p /proc; mount -t sysfs s /sys; mount -t devtmpfs d /dev
for m in dummy_hcd libcomposite usb_f_hid virtio_mmio virtio_blk crc32c_generic ext4; do
    modprobe \$m || echo "FIELD-STEP modprobe \$m failed"
done
ifconfig lo 127.0.0.1 up
mkdir -p /data
mount -t ext4 -o data=ordered /dev/vda /data || { echo "FIELD-FAIL cannot mount the disk"; poweroff -f; }
mount -t configfs none /sys/kernel/config
$(vm_gadget_lines 0x0c2e 0x0b81 Honeywell "Voyager 1400g" 1 1 8 /report_desc)
echo \$UDC > \$G/UDC
boot=\$(sed -n 's/.*field\.boot=\([0-9]*\).*/\1/p' /proc/cmdline)
echo "FIELD-BOOT \$boot"
. /cashier.sh
INIT
cp "$here/field-cashier.sh" "$ir/cashier.sh"
chmod +x "$ir/init"
vm_pack "$ir" "$work/ir.gz"

python3 "$here/field_vm.py" --work "$work" --kernel "$vm_kernel" --initrd "$work/ir.gz" \
    --disk "$work/disk.img" --console "$vm_console" -- "${vm_qemu[@]}"
