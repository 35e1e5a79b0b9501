#!/bin/bash
# unit-vm.sh BUILD_DIR SOURCE_DIR CPACK [CACHE_DIR] - the hardened posterm.service, started by
# systemd as PID 1, takes a payment.
#
# The build machine (a container) has no systemd running, so the unit's sandbox - the device
# cgroup, the system-call filter, the namespaces - is only ever applied here: a throw-away
# amd64 VM (TCG; VM_ACCEL=kvm to use KVM) with Debian's kernel whose root file system
# is the build machine's own, shared read-only over 9p under a tmpfs overlay (so its systemd,
# dpkg and libraries are the ones the package is built against, and nothing it writes reaches
# the host). A busybox initramfs mounts that and hands over to /lib/systemd/systemd, which
# boots only posterm-vmtest.target. There, as root:
#   dpkg -i the release .deb (policy-rc.d keeps it from starting the unconfigured service),
#   the gateways' keys into /etc/posterm/keys (user posterm, 0600) and a config for
#   posterm-sim on loopback, posterm-sim started as a unit of its own,
#   posterm.service started - the package's unit, with one drop-in that only swaps the screen
#   on tty1 for --headless over a FIFO and a file (the sandbox directives are untouched),
#   a payment keyed and scanned; PAID must come back, the service must still be running
#   under its sandbox (DevicePolicy=closed, the filter, User=posterm);
#   then a keyboard-mode scanner of a known vendor is plugged in (the kernel's USB gadget on
#   dummy_hcd, as tests/vm/scanner-vm.sh): udev gives its node to group posterm by the
#   package's rule, posterm hears the hot-plug (AF_NETLINK), opens it through libusb inside
#   the device cgroup (char-usb_device), and a second payment is paid with a code the scanner
#   types; the journal must hold both. `systemd-analyze security` on the installed unit is
#   printed.
# The result is the VM console's "VMTEST RESULT: PASS" line. Exit 0 pass, 1 fail, 77 skipped
# (no QEMU, no kernel to be had).
#
# A power cut under the unit: unit-powercut-vm.sh, the same VM with its writes on a disk.
set -euo pipefail

build=$(readlink -f "${1:?usage: unit-vm.sh BUILD_DIR SOURCE_DIR CPACK [CACHE_DIR]}")
src=$(readlink -f "${2:?}")
cpack=${3:?}
cache=${4:-$build/vm-cache}
vm_timeout=${VM_TIMEOUT:-900}
source "$src/tests/vm/vm-lib.sh"
vm_arch amd64 || exit 2

for tool in qemu-system-x86_64 cpio depmod dpkg-deb apt-get apt-cache python3 timeout; do
    command -v "$tool" >/dev/null || { echo "unit-vm: skipped: no $tool (toolchain/packages/vm.txt)"; exit 77; }
done
[ -x "$build/posterm-sim" ] || { echo "unit-vm: skipped: no $build/posterm-sim"; exit 77; }
# TCG, as tests/vm: the build machines here are VMs themselves, and nested KVM was seen to
# hang before the kernel printed a line. VM_ACCEL=kvm where it works.
accel=(-accel "${VM_ACCEL:-tcg}")

work=$(mktemp -d "${TMPDIR:-/tmp}/posterm-unit-vm.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$cache"
vm_fetch "$cache" || { echo "unit-vm: skipped: no kernel package"; exit 77; }

deb=$(sh "$src/tests/package/release_deb.sh" "$build" "$src" "$cpack" "$work/deb")

ir=$work/ir
vm_initramfs "$cache" "$work" "$ir" drivers/virtio/virtio drivers/virtio/virtio_ring \
    drivers/virtio/virtio_pci_legacy_dev drivers/virtio/virtio_pci_modern_dev drivers/virtio/virtio_pci \
    net/9p/9pnet net/9p/9pnet_virtio fs/netfs/netfs fs/fscache/fscache fs/9p/9p fs/overlayfs/overlay \
    drivers/usb/gadget/udc/dummy_hcd drivers/usb/gadget/udc/udc-core drivers/usb/core/usbcore \
    drivers/usb/common/usb-common drivers/usb/gadget/libcomposite drivers/usb/gadget/function/usb_f_hid \
    drivers/hid/hid drivers/hid/hid-generic drivers/hid/usbhid/usbhid drivers/input/evdev fs/configfs/configfs
mkdir -p "$ir/vmtest"
cp "$deb" "$ir/vmtest/posterm.deb"

# The simulator's keys (made once per build tree) and posterm's config for it: the e2e
# harness's, with the keys where the package keeps them and the journal where the unit has it.
port=18080
python3 - "$build" "$src" "$port" "$ir/vmtest" <<'PY'
import json, os, sys
build, src, port, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
sys.path.insert(0, os.path.join(src, "tests", "e2e"))
import harness

class Sim:  # the simulator as it will run inside the VM, on a fixed loopback port
    def __init__(self):
        self.build, self.tls, self.port = build, False, port
        self.keys = harness.shared_keys(build, os.path.join(build, "posterm-sim"))
    def url(self, path=""):
        return "http://127.0.0.1:%d%s" % (self.port, path)

sim = Sim()
path = harness.write_config(out, sim, extra={"scanner": {"source": "auto", "dedupe_ms": 500},
                                             "terminal_id": "VM1"})
cfg = json.load(open(path))
cfg["journal"] = "/var/lib/posterm/journal.db"
cfg["log"] = "/var/lib/posterm/posterm.log"  # the scanner's lines too; cheaper to poll than journalctl
for gw in ("alipay", "wechat"):
    for k, v in list(cfg[gw].items()):
        if isinstance(v, str) and v.startswith(sim.keys + "/"):
            cfg[gw][k] = "/etc/posterm/keys/" + os.path.basename(v)
json.dump(cfg, open(path, "w"), indent=1)
open(os.path.join(out, "keys.path"), "w").write(sim.keys + "\n")  # copied in below
print(harness.alipay_code(0), file=open(os.path.join(out, "code"), "w"))
print(harness.wechat_code(0), file=open(os.path.join(out, "code2"), "w"))
PY

# The simulator and its keys travel inside the initramfs: the build tree may be under /tmp,
# which the VM's systemd-tmpfiles empties at boot (Debian's tmp.conf: "D /tmp"), so a path into
# the build tree is not there for the test to read.
mkdir -p "$ir/vmtest/keys"
cp "$(cat "$ir/vmtest/keys.path")"/* "$ir/vmtest/keys/"
cp "$build/posterm-sim" "$ir/vmtest/posterm-sim"

# The scanner: a Honeywell (0c2e, in the package's udev rule) keyboard-mode device, and the
# reports it types for the second payment's code.
printf "$vm_boot_keyboard_desc" >"$ir/vmtest/desc.bin"
vm_gadget_lines 0x0c2e 0x0b61 Honeywell "Barcode Scanner" 1 1 8 /vmtest/desc.bin >"$ir/vmtest/gadget.sh"
vm_keyboard_reports "$(cat "$ir/vmtest/code2")" >"$ir/vmtest/code2.bin"

cat >"$ir/vmtest/posterm-vmtest.target" <<'EOF'
[Unit]
Description=posterm unit test in a VM
Wants=posterm-vmtest.service
EOF
cat >"$ir/vmtest/posterm-vmtest.service" <<'EOF'
[Unit]
Description=install posterm, start its unit, take a payment
After=sysinit.target systemd-udevd.service
[Service]
Type=oneshot
ExecStart=/bin/sh /vmtest/run.sh
StandardOutput=journal+console
StandardError=journal+console
EOF
# The one change to the package's unit: headless over a FIFO instead of the screen on tty1.
cat >"$ir/vmtest/headless.conf" <<'EOF'
[Service]
ExecStart=
ExecStart=/usr/bin/posterm --headless --config /etc/posterm/posterm.json
StandardInput=file:/run/vmtest/in
StandardOutput=file:/run/vmtest/out
EOF
cat >"$ir/vmtest/run.sh" <<EOF
#!/bin/sh
# Inside the VM, as root, under systemd.
sim=/vmtest/posterm-sim
keys=/vmtest/keys
port=$port
EOF
cat >>"$ir/vmtest/run.sh" <<'EOF'
result=FAIL
finish() {
    echo "VMTEST posterm.service: $(systemctl show posterm.service -p ActiveState -p SubState -p ExecMainStatus -p DevicePolicy -p User | tr '\n' ' ')"
    journalctl -b -u posterm.service --no-pager -o cat | tail -n 20 | sed 's/^/VMTEST journal: /'
    sed 's/^/VMTEST out: /' /run/vmtest/out 2>/dev/null | tail -n 12
    tail -n 12 /var/lib/posterm/posterm.log | sed 's/^/VMTEST log: /'
    ls -l /dev/bus/usb/*/* 2>&1 | sed 's/^/VMTEST node: /'
    echo "VMTEST RESULT: $result $1"
    systemctl poweroff --force --force
}
wait_for() { # wait_for PATTERN SECONDS
    i=0
    while ! grep -q "$1" /run/vmtest/out 2>/dev/null; do
        i=$((i + 1)); [ "$i" -le $(($2 * 10)) ] || return 1; sleep 0.1
    done
}
echo "VMTEST systemd $(systemctl --version | head -n1), kernel $(uname -r)"
mkdir -p /run/vmtest
dpkg -i /vmtest/posterm.deb || finish "dpkg -i failed"
for f in "$keys"/*; do
    [ -f "$f" ] && install -o posterm -g posterm -m 0600 "$f" /etc/posterm/keys/
done
cat /vmtest/posterm.json >/etc/posterm/posterm.json   # keeps the package's root:posterm 0640
mkdir -p /etc/systemd/system/posterm.service.d
cp /vmtest/headless.conf /etc/systemd/system/posterm.service.d/
systemctl daemon-reload
systemd-run --unit=posterm-sim --quiet "$sim" --port "$port" --keys "$keys" --ledger /run/vmtest/ledger.json --quiet
i=0; until (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null || [ $i -gt 100 ]; do i=$((i + 1)); sleep 0.1; done
mkfifo -m 0600 /run/vmtest/in
exec 3<>/run/vmtest/in    # a writer that stays: posterm sees no end of input
systemctl start posterm.service || finish "systemctl start failed"
wait_for '"event":"ready"' 60 || finish "posterm never became ready"
echo "amount 12.30" >&3
wait_for '"transition":"created"' 20 || finish "no payment created"
echo "scan $(cat /vmtest/code)" >&3
wait_for '"state":"PAID"' 60 || finish "the payment did not become PAID"
[ "$(systemctl show posterm.service -p SubState --value)" = running ] || finish "posterm is not running"
echo "VMTEST payment 1 (scan command): PAID"
mountpoint -q /sys/kernel/config || mount -t configfs none /sys/kernel/config
. /vmtest/gadget.sh
echo "$UDC" >"$G/UDC"      # plugged in
i=0; until grep -q 'reading (' /var/lib/posterm/posterm.log; do
    i=$((i + 1)); [ $i -le 600 ] || finish "posterm did not open the hot-plugged scanner"; sleep 0.1
done
echo "amount 4.56" >&3
wait_for '"amount":"4.56"' 20 || finish "no second payment created"
dd if=/vmtest/code2.bin of=/dev/hidg0 bs=8 2>/dev/null || finish "the scanner could not type"
i=0; until [ "$(grep -c '"state":"PAID"' /run/vmtest/out)" -ge 2 ]; do
    i=$((i + 1)); [ $i -le 600 ] || finish "the scanned payment did not become PAID"; sleep 0.1
done
echo "VMTEST payment 2 (hot-plugged scanner): PAID"
systemd-analyze security --no-pager posterm.service | tail -n 1 | sed 's/^/VMTEST /'
echo quit >&3
i=0; while [ "$(systemctl show posterm.service -p SubState --value)" = running ] && [ $i -lt 100 ]; do i=$((i + 1)); sleep 0.1; done
paid=$(runuser -u posterm -- sh -c 'echo "SELECT count(*) FROM payments WHERE state = '"'PAID'"';" | sqlite3 -readonly /var/lib/posterm/journal.db' 2>&1)
echo "VMTEST journal: $paid paid"
[ "$paid" = 2 ] || finish "the journal does not hold both payments"
result=PASS
finish ""
EOF

cat >"$ir/init" <<'EOF'
#!/bin/sh
# The VM's first process: the build machine's root read-only over 9p, a tmpfs on top, then
# systemd as PID 1 on the result, booting posterm-vmtest.target only.
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in virtio virtio_ring virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci 9pnet \
         9pnet_virtio netfs fscache 9p overlay configfs dummy_hcd libcomposite usb_f_hid usbhid \
         hid_generic evdev; do modprobe $m; done
mkdir -p /lower /rw /newroot
if ! mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144 hostroot /lower; then
    dmesg | tail -n 15; echo "VMTEST RESULT: FAIL no 9p root"; poweroff -f
fi
mount -t tmpfs -o size=768m tmpfs /rw && mkdir /rw/up /rw/work
mount -t overlay overlay -o lowerdir=/lower,upperdir=/rw/up,workdir=/rw/work /newroot || { echo "VMTEST RESULT: FAIL no overlay"; poweroff -f; }
mkdir -p /newroot/vmtest && cp -r /vmtest/* /newroot/vmtest/
cp /vmtest/posterm-vmtest.target /vmtest/posterm-vmtest.service /newroot/etc/systemd/system/
printf '#!/bin/sh\nexit 101\n' >/newroot/usr/sbin/policy-rc.d && chmod 0755 /newroot/usr/sbin/policy-rc.d
rm -f /newroot/etc/machine-id && : >/newroot/etc/machine-id
# The build machine is a container: its marker would make systemd believe it is one too (and
# then read its settings from its arguments and skip part of the sandbox). This is a VM.
rm -f /newroot/.dockerenv /newroot/run/.containerenv
umount /proc /sys /dev
exec switch_root /newroot /lib/systemd/systemd
EOF
chmod 0755 "$ir/init" "$ir/vmtest/run.sh"
(cd "$ir" && find . | cpio -o -H newc 2>/dev/null | gzip -1 >"$work/initrd")

echo "unit-vm: booting ${accel[*]} (timeout ${vm_timeout} s)"
timeout "$vm_timeout" qemu-system-x86_64 "${accel[@]}" -m 1536 -smp 1 -nographic -no-reboot \
    -kernel "$vm_kernel" -initrd "$work/initrd" \
    -append "console=ttyS0 rdinit=/init panic=-1 systemd.unit=posterm-vmtest.target systemd.show_status=0 systemd.firstboot=0" \
    -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
    -serial "file:$work/console.log" -monitor none -display none </dev/null >"$work/qemu.log" 2>&1 || true
cp "$work/console.log" "$build/unit-vm-console.log"   # kept for a look after a failure
if grep -aq 'VMTEST RESULT: PASS' "$work/console.log"; then
    grep -a 'VMTEST' "$work/console.log"
else
    grep -a 'VMTEST\|posterm' "$work/console.log" | tail -n 60; cat "$work/qemu.log"
    echo "unit-vm: the whole console is in $build/unit-vm-console.log"
    exit 1
fi
