#!/bin/bash
# unit-powercut-vm.sh BUILD_DIR SOURCE_DIR CPACK [CACHE_DIR] - power cuts under the hardened
# posterm.service: the package installed in a VM that boots with systemd, the power cut while
# the service takes payments, and the service, started by systemd alone at the next boot,
# resolves every unresolved payment; the simulator's ledger is audited against the journal.
#
# The VM is unit-vm.sh's (Debian's kernel, the build machine's root read-only over 9p, systemd
# as PID 1, posterm-sim inside on loopback), with one difference: the overlay's upper layer is
# an ext4 disk image (virtio-blk, cache=directsync) instead of a tmpfs, so everything the VM
# writes - the installed package, its enabled unit, the journal, the simulator's ledger -
# survives a power cut as it would on the terminal's own disk. unit_powercut_vm.py boots it:
#   boot 1 (install): dpkg -i the release .deb (its postinst enables posterm.service), keys,
#     config, one drop-in that swaps the screen on tty1 for --headless on a FIFO (the sandbox
#     directives untouched), posterm-sim as an enabled unit; posterm.service started with
#     systemctl, as an installer would; then payments as in the work boots, and the power cut.
#   boots 2..CUTS (work): multi-user.target, as a terminal boots. posterm.service is started by
#     systemd, nobody else (the test never runs systemctl start). The cashier
#     (unit-powercut-cashier.sh) takes payments under mixed gateway behaviour until the power
#     is cut: QEMU SIGKILLed at a random moment, no shutdown of any kind.
#   last boot (finish): the drop-in is gone, so the unit runs exactly as shipped - the cashier
#     screen on tty1 - and must resolve every payment on its own; the screen is read from
#     /dev/vcsu1, the ledger fetched, the service stopped, a clean power-off.
# CUTS, the number of power cuts, is POSTERM_UNIT_CUTS (default 3, ctest's quick form; 20 in the
# slow suite). VM_ACCEL=kvm where nested KVM works (TCG otherwise). Exit 0 pass, 1 fail, 77
# skipped (no QEMU, no kernel to be had).
set -euo pipefail

build=$(readlink -f "${1:?usage: unit-powercut-vm.sh BUILD_DIR SOURCE_DIR CPACK [CACHE_DIR]}")
src=$(readlink -f "${2:?}")
cpack=${3:?}
cache=${4:-$build/vm-cache}
cuts=${POSTERM_UNIT_CUTS:-3}
here=$src/tests/package
source "$src/tests/vm/vm-lib.sh"
vm_arch amd64 || exit 2
skip() { echo "unit-powercut-vm: skipped: $*"; exit 77; }

for tool in qemu-system-x86_64 cpio depmod dpkg-deb apt-get apt-cache python3 mkfs.ext4 e2fsck debugfs; do
    command -v "$tool" >/dev/null || skip "no $tool (toolchain/packages/vm.txt)"
done
[ -x "$build/posterm-sim" ] || skip "no $build/posterm-sim"
# TCG, as tests/vm: the build machines here are VMs themselves, and nested KVM was seen to hang
# right after the kernel was loaded (and to refuse -cpu host). VM_ACCEL=kvm where it works.
accel=${VM_ACCEL:-tcg}

work=$(mktemp -d "${TMPDIR:-/tmp}/posterm-unit-powercut.XXXXXX")
trap 'if [ -n "${POSTERM_KEEP_TMP:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi' EXIT
mkdir -p "$cache"
vm_fetch "$cache" || skip "no kernel package"

deb=$(sh "$here/release_deb.sh" "$build" "$src" "$cpack" "$work/deb")

ir=$work/ir
vm_initramfs "$cache" "$work" "$ir" drivers/virtio/virtio drivers/virtio/virtio_ring \
    drivers/virtio/virtio_pci_legacy_dev drivers/virtio/virtio_pci_modern_dev drivers/virtio/virtio_pci \
    drivers/block/virtio_blk fs/ext4/ext4 fs/jbd2/jbd2 fs/mbcache lib/crc16 crypto/crc32c_generic \
    lib/libcrc32c net/9p/9pnet net/9p/9pnet_virtio fs/netfs/netfs fs/fscache/fscache fs/9p/9p \
    fs/overlayfs/overlay
mkdir -p "$ir/vmtest/keys"
cp "$deb" "$ir/vmtest/posterm.deb"
# The simulator and its keys travel in the initramfs (a path into the build tree may be under
# /tmp, which the VM's systemd-tmpfiles empties at boot).
cp "$build/posterm-sim" "$ir/vmtest/posterm-sim"
cp "$here/unit-powercut-cashier.sh" "$ir/vmtest/cashier.sh"

# posterm's config for the simulator on the VM's loopback, keys where the package keeps them,
# and a payment window that spans a few boots: payments are resumed, queried and cancelled
# across cuts (the numbers of tests/vm/powercut-vm.sh).
port=18080
python3 - "$build" "$src" "$port" "$ir/vmtest" <<'PY'
import json, os, shutil, sys
build, src, port, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
sys.path.insert(0, os.path.join(src, "tests", "e2e"))
import harness
keys = harness.shared_keys(build, os.path.join(build, "posterm-sim"))
for f in os.listdir(keys):
    if not f.startswith(".") and f != "posterm-gateway.json":
        shutil.copy(os.path.join(keys, f), os.path.join(out, "keys", f))
gw = json.load(open(os.path.join(keys, "posterm-gateway.json")))["gateway"]
ali, wx = gw["alipay"], gw["wechat"]
k = lambda path: "/etc/posterm/keys/" + os.path.basename(path)
url = "http://127.0.0.1:%d" % port
cfg = {
    "terminal_id": "UCUT1",
    "journal": "/var/lib/posterm/journal.db",
    "log": "/var/lib/posterm/posterm.log",
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
json.dump(cfg, open(os.path.join(out, "posterm.json"), "w"), indent=1)
PY

cat >"$ir/vmtest/posterm-sim.service" <<EOF
[Unit]
Description=the gateways' simulator (stands in for the internet)
[Service]
ExecStart=/vmtest/posterm-sim --port $port --keys /vmtest/keys --ledger /var/lib/posterm-sim/ledger.json --quiet
StateDirectory=posterm-sim
[Install]
WantedBy=multi-user.target
EOF
cat >"$ir/vmtest/posterm-vmtest.service" <<'EOF'
[Unit]
Description=the cashier of the power-cut test
After=sysinit.target systemd-udevd.service
[Service]
Type=oneshot
ExecStart=/bin/bash /vmtest/cashier.sh
StandardOutput=journal+console
StandardError=journal+console
EOF
# The one change to the package's unit in the work boots: headless over a FIFO instead of the
# screen on tty1. The FIFO is made at every boot by tmpfiles, before any service starts.
cat >"$ir/vmtest/headless.conf" <<'EOF'
[Service]
ExecStart=
ExecStart=/usr/bin/posterm --headless --config /etc/posterm/posterm.json
StandardInput=file:/run/vmtest/in
StandardOutput=file:/run/vmtest/out
EOF
cat >"$ir/vmtest/tmpfiles.conf" <<'EOF'
d /run/vmtest 0755 root root -
p /run/vmtest/in 0600 root root -
EOF

cat >"$ir/init" <<'EOF'
#!/bin/sh
# The VM's first process: the build machine's root read-only over 9p, the disk's upper layer on
# top, then systemd as PID 1 on the result.
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in virtio virtio_ring virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_blk \
         crc32c_generic ext4 9pnet 9pnet_virtio netfs fscache 9p overlay; do modprobe $m; done
plan=$(sed -n 's/.*vmtest\.plan=\([a-z]*\).*/\1/p' /proc/cmdline)
mkdir -p /lower /rw /newroot
if ! mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144 hostroot /lower; then
    dmesg | tail -n 15; echo "FIELD-FAIL no 9p root"; poweroff -f
fi
i=0; while [ ! -b /dev/vda ] && [ $i -lt 50 ]; do i=$((i + 1)); sleep 0.1; done
mount -t ext4 -o data=ordered /dev/vda /rw || { echo "FIELD-FAIL cannot mount the disk"; poweroff -f; }
mkdir -p /rw/up /rw/work
mount -t overlay overlay -o lowerdir=/lower,upperdir=/rw/up,workdir=/rw/work /newroot || { echo "FIELD-FAIL no overlay"; poweroff -f; }
mkdir -p /newroot/vmtest && cp -r /vmtest/* /newroot/vmtest/
cp /vmtest/posterm-vmtest.service /newroot/etc/systemd/system/
ln -sf /etc/systemd/system/posterm-vmtest.service /newroot/etc/systemd/system/multi-user.target.wants/
# The build machine's own database server is no part of a terminal.
ln -sf /dev/null /newroot/etc/systemd/system/postgresql.service
if [ "$plan" = install ]; then
    # dpkg -i must not start the service before it has a config (it is enabled all the same).
    printf '#!/bin/sh\nexit 101\n' >/newroot/usr/sbin/policy-rc.d && chmod 0755 /newroot/usr/sbin/policy-rc.d
fi
if [ "$plan" = finish ]; then
    # The unit exactly as the package ships it: the cashier screen on tty1.
    rm -rf /newroot/etc/systemd/system/posterm.service.d
fi
rm -f /newroot/etc/machine-id && : >/newroot/etc/machine-id
# The build machine is a container: its marker would make systemd believe it is one too.
rm -f /newroot/.dockerenv /newroot/run/.containerenv
umount /proc /sys /dev
exec switch_root /newroot /lib/systemd/systemd
EOF
chmod 0755 "$ir/init"
vm_pack "$ir" "$work/ir.gz"
mkfs.ext4 -q -F -L posterm-rw "$work/disk.img" 384M >/dev/null

echo "unit-powercut-vm: $cuts power cuts, -accel $accel"
python3 "$here/unit_powercut_vm.py" --work "$work" --kernel "$vm_kernel" --initrd "$work/ir.gz" \
    --disk "$work/disk.img" --console "$vm_console" --cuts "$cuts" -- \
    qemu-system-x86_64 -accel "$accel"
