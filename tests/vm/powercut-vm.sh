#!/usr/bin/env bash
# powercut-vm.sh - random power cuts: posterm and posterm-sim on an amd64 VM whose journal
# and ledger live on a virtual disk; the VM is killed at random moments while the cashier
# keeps taking payments, booted again from the same disk, N times; then a last boot lets every
# payment resolve and the simulator's ledger is audited against the journal.
#
#   usage: powercut-vm.sh POSTERM POSTERM_SIM [CACHE_DIR] [CUTS]      (amd64, plain build)
#
# Reuses the field test's parts (vm-lib.sh for the kernel, busybox and initramfs;
# field_vm.py's disk reading; harness.audit_ledger for the invariant). No USB here: the codes
# come on posterm's headless input, so every boot reaches payments within seconds.
# Exit 77 (ctest: skipped) when QEMU, the ext4 tools or the kernel package are missing.
set -euo pipefail

usage="usage: powercut-vm.sh POSTERM POSTERM_SIM [CACHE_DIR] [CUTS]"
posterm=$(readlink -f "${1:?$usage}")
sim=$(readlink -f "${2:?$usage}")
cache=${3:-}
cuts=${4:-20}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
skip() { echo "powercut-vm: skipped: $*"; exit 77; }

source "$here/vm-lib.sh"
vm_arch amd64 || exit 2
for tool in "${vm_qemu[0]}" cpio depmod dpkg-deb apt-get apt-cache python3 flock timeout mkfs.ext4 e2fsck debugfs; do
    command -v "$tool" >/dev/null || skip "missing $tool (toolchain/dev deps vm)"
done

work=$(mktemp -d)
trap 'if [ -n "${POSTERM_KEEP_TMP:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi' EXIT
[ -n "$cache" ] || cache=$work/cache
vm_fetch "$cache" || skip "the amd64 kernel or busybox package could not be downloaded"

ir=$work/ir
vm_initramfs "$cache" "$work" "$ir" drivers/virtio/virtio drivers/virtio/virtio_ring \
    drivers/virtio/virtio_pci_legacy_dev drivers/virtio/virtio_pci_modern_dev \
    drivers/virtio/virtio_pci drivers/block/virtio_blk \
    fs/ext4/ext4 fs/jbd2/jbd2 fs/mbcache lib/crc16 crypto/crc32c_generic lib/libcrc32c
vm_add_program "$ir" "$posterm" /usr/bin/posterm || skip "libraries of $posterm not found"
vm_add_program "$ir" "$sim" /usr/bin/posterm-sim || skip "libraries of $sim not found"

# --- the disk: config and keys; the journal and the ledger are created on it ---
stage=$work/stage
mkdir -p "$stage"
"$sim" --make-keys "$stage/keys" >/dev/null
python3 - "$stage" <<'PY'
import json, sys
stage = sys.argv[1]
gw = json.load(open(stage + "/keys/posterm-gateway.json"))["gateway"]
ali, wx = gw["alipay"], gw["wechat"]
k = lambda path: "/data/keys/" + path.rsplit("/", 1)[1]
url = "http://127.0.0.1:8480"   # the simulator inside the VM, on the VM's own loopback
cfg = {
    "terminal_id": "CUT1",
    "journal": "/data/journal.db",
    "log": "/data/posterm.log",
    # A window that spans a few boots: payments are resumed, queried and cancelled across cuts.
    "policy": {"first_query_ms": 500, "query_every_ms": 1000, "window_ms": 20000,
               "min_cancel_ms": 2000, "backoff_first_ms": 500, "backoff_max_ms": 2000},
    "http": {"connect_timeout_ms": 2000, "pay_timeout_ms": 8000, "query_timeout_ms": 5000,
             "cancel_timeout_ms": 5000, "refund_timeout_ms": 5000},
    "scanner": {"source": "none", "dedupe_ms": 0},
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

cat > "$ir/init" <<'INIT'
#!/bin/sh
/bin/busybox --install -s /bin
export PATH=/bin:/usr/bin
mount -t proc p /proc; mount -t sysfs s /sys; mount -t devtmpfs d /dev
for m in virtio_pci virtio_blk crc32c_generic ext4; do
    modprobe $m || echo "FIELD-STEP modprobe $m failed"
done
ifconfig lo 127.0.0.1 up
mkdir -p /data
i=0; while [ ! -b /dev/vda ] && [ $i -lt 50 ]; do i=$((i + 1)); sleep 0.1; done
mount -t ext4 -o data=ordered /dev/vda /data || { echo "FIELD-FAIL cannot mount the disk"; poweroff -f; }
plan=$(sed -n 's/.*field\.plan=\([a-z]*\).*/\1/p' /proc/cmdline)
boot=$(sed -n 's/.*field\.boot=\([0-9]*\).*/\1/p' /proc/cmdline)
echo "FIELD-BOOT $boot $plan"
. /cashier.sh
INIT
cp "$here/powercut-cashier.sh" "$ir/cashier.sh"
chmod +x "$ir/init"
vm_pack "$ir" "$work/ir.gz"

python3 "$here/powercut_vm.py" --work "$work" --kernel "$vm_kernel" --initrd "$work/ir.gz" \
    --disk "$work/disk.img" --console "$vm_console" --cuts "$cuts" -- "${vm_qemu[@]}"
