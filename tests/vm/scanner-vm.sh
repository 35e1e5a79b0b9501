#!/usr/bin/env bash
# scanner-vm.sh - posterm's scanner source against a real USB stack: a throw-away Linux VM
# (QEMU, software emulation) whose kernel emulates a barcode scanner with the USB gadget
# framework on the dummy host controller. The gadget types payment codes, is unplugged and
# plugged back in (UDC unbind/rebind) mid-session, and types more; scanner-probe, running
# inside the VM on the host side of the same bus, must print exactly the codes typed.
#
#   usage: scanner-vm.sh keyboard|hidpos|evdev|byname PROBE [CACHE_DIR]
#     keyboard: Honeywell Voyager 1400g IDs (0c2e:0b81, usb.ids), HID boot keyboard, found
#               through the known-vendor table (--kind auto)
#     hidpos:   Newland HID POS IDs (1eab:1310, usb.ids PID pattern), the HID POS
#               scanned-data report Access-IS documents, opened by --vid (--kind hidpos)
#     evdev:    the keyboard-mode scanner left to the kernel's usbhid and read through its
#               /dev/input/event* node, grabbed (--kind evdev)
#     byname:   a scanner on a general-purpose chip (STMicroelectronics VID 0483, in no table),
#               found by its product string, set up for a French AZERTY host: every digit
#               comes with Shift (--kind auto --layout azerty)
#   The kernel's usbhid is loaded, so the USB modes must detach it as on a real terminal.
#   CACHE_DIR keeps the downloaded Debian kernel and busybox between runs.
#   ARCH=arm64 runs an arm64 PROBE (cross-built) in an arm64 VM (virt board, cortex-a53).
#
# Needs (toolchain/packages/vm.txt): qemu-system-x86 (qemu-system-arm for ARCH=arm64), kmod,
# cpio, python3, apt access for `apt-get download` (arm64: `dpkg --add-architecture arm64`
# and the probe's :arm64 libraries, as toolchain/cross-build.sh installs them).
# Bounded: QEMU runs under `timeout`; every temporary file is removed on exit.
set -euo pipefail

usage="usage: scanner-vm.sh keyboard|hidpos|evdev|byname PROBE [CACHE_DIR]"
mode=${1:?$usage}
probe=$(readlink -f "${2:?$usage}")
cache=${3:-}
vm_timeout=${VM_TIMEOUT:-240}
arch=${ARCH:-amd64}
source "$(dirname "${BASH_SOURCE[0]}")/vm-lib.sh"
vm_arch "$arch" || exit 2
qemu=("${vm_qemu[@]}") console=$vm_console

for tool in "${qemu[0]}" cpio depmod dpkg-deb apt-get apt-cache python3 flock timeout; do
    command -v "$tool" >/dev/null || { echo "scanner-vm: missing $tool (toolchain/dev deps vm)"; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
[ -n "$cache" ] || cache=$work/cache
mkdir -p "$cache"

# --- Debian's standard kernel and busybox (cached), the modules, the probe and its libraries ---
vm_fetch "$cache"
ir=$work/ir
vm_initramfs "$cache" "$work" "$ir" drivers/usb/gadget/udc/dummy_hcd drivers/usb/gadget/udc/udc-core \
    drivers/usb/core/usbcore drivers/usb/common/usb-common drivers/usb/gadget/libcomposite \
    drivers/usb/gadget/function/usb_f_hid drivers/hid/hid drivers/hid/hid-generic drivers/hid/usbhid/usbhid \
    drivers/input/evdev fs/configfs/configfs
cd "$work"
vm_add_program "$ir" "$probe" /bin/prog

# --- what the gadget types, and what the probe must print ---
python3 - "$mode" "$ir" "$work/expected" <<'PY'
import sys
mode, ir, expected = sys.argv[1], sys.argv[2], sys.argv[3]
# WeChat (10-15 prefix, 18 digits) and Alipay (25-30 prefix, 16-24 digits) payment codes,
# with runs of repeated digits (each needs a release report in between to survive).
first = ["134567890123456789", "281122334455667788", "100000000000000001"]
second = ["251234567890123400", "139999888877776666", "30112233445566778899"]

def keyboard(codes):
    shift = 0x02 if mode == "byname" else 0   # AZERTY: digits are the shifted top row
    out = b""
    for code in codes:
        for c in code:
            usage = 0x27 if c == "0" else 0x1D + int(c)
            out += bytes([shift, 0, usage, 0, 0, 0, 0, 0]) + bytes(8)
        out += bytes([0, 0, 0x28, 0, 0, 0, 0, 0]) + bytes(8)   # Enter, then all keys up
    return out

def pos_report(aim, data, cont):
    r = bytearray(64)
    r[0] = 2; r[1] = len(data); r[2:5] = aim; r[5:5 + len(data)] = data
    r[61] = ord("s"); r[63] = 1 if cont else 0
    return bytes(r)

def hidpos(codes):
    out = b""
    for i, code in enumerate(codes):
        data = code.encode()
        if i == 1:   # one code per batch split over two reports (Decode Data Continued)
            out += pos_report(b"]C0", data[:7], True) + pos_report(b"]C0", data[7:], False)
        else:
            out += pos_report(b"]C0", data, False)
    return out

make = hidpos if mode == "hidpos" else keyboard
open(ir + "/a.bin", "wb").write(make(first))
open(ir + "/b.bin", "wb").write(make(second))
open(expected, "w").write("".join("CODE %s\n" % c for c in first + second))
PY
ncodes=$(wc -l < "$work/expected")
na=3

boot_keyboard=$vm_boot_keyboard_desc
# Access-IS/Honeywell scanned-data report: ID 2, Byte Count, AIM x3, 56 data, 2 bytes, continued bit.
hidpos_desc='\x05\x8c\x09\x02\xa1\x01\x85\x02\x09\x12\xa1\x02\x15\x00\x26\xff\x00\x75\x08\x95\x01\x05\x01\x09\x3b\x81\x02\x05\x8c\x09\xfb\x09\xfc\x09\xfd\x95\x03\x81\x02\x09\xfe\x95\x38\x82\x02\x01\x06\x00\xff\x09\x01\x95\x01\x81\x02\x81\x03\x05\x8c\x25\x01\x75\x01\x09\xff\x81\x02\x75\x07\x81\x03\xc0\xc0'
# bound_reading: usbhid interfaces bound while posterm reads (0: detached; evdev keeps it)
case $mode in
    keyboard) vid=0x0c2e pid=0x0b81 maker=Honeywell product="Voyager 1400g" proto=1 sub=1 rlen=8
              desc=$boot_keyboard args="--kind auto" bound_reading=0 ;;
    hidpos)   vid=0x1eab pid=0x1310 maker=Newland product="HID POS scanner" proto=0 sub=0 rlen=64
              desc=$hidpos_desc args="--kind hidpos --vid 1eab" bound_reading=0 ;;
    evdev)    vid=0x0c2e pid=0x0b81 maker=Honeywell product="Voyager 1400g" proto=1 sub=1 rlen=8
              desc=$boot_keyboard args="--kind evdev --evdev" bound_reading=1 ;;
    byname)   vid=0x0483 pid=0x0011 maker=Generic product="USB Barcode Scanner" proto=1 sub=1 rlen=8
              desc=$boot_keyboard args="--kind auto --layout azerty" bound_reading=0 ;;
    *) echo "scanner-vm: $usage"; exit 2 ;;
esac
printf "$desc" > "$ir/report_desc"

cat > "$ir/init" <<INIT
#!/bin/sh
/bin/busybox --install -s /bin
mount -t proc p /proc; mount -t sysfs s /sys; mount -t devtmpfs d /dev
for m in dummy_hcd libcomposite usb_f_hid usbhid hid_generic evdev; do modprobe \$m || echo "VM-STEP modprobe \$m failed"; done
mount -t configfs none /sys/kernel/config
$(vm_gadget_lines $vid $pid "$maker" "$product" $proto $sub $rlen /report_desc)
start_probe() {
    /bin/prog $args \$1 --count $ncodes --timeout 90000 > /out 2> /err &
    P=\$!
}
# evdev: the node exists only once the device is plugged in; its name is the scanner's.
event_node() {
    for e in /sys/class/input/event*; do
        grep -q "$maker" \$e/device/name 2>/dev/null && echo /dev/input/\${e##*/}
    done
}
: > /out
if [ $mode != evdev ]; then start_probe; fi
# wait_for PATTERN N: until the probe printed N lines matching PATTERN (30 s at most)
wait_for() {
    i=0
    while [ "\$(grep -c "\$1" /out)" -lt "\$2" ]; do
        i=\$((i + 1)); [ \$i -gt 300 ] && { echo "VM-STEP timed out waiting for \$2 x '\$1'"; return 1; }
        sleep 0.1
    done
}
echo \$UDC > \$G/UDC
if [ $mode = evdev ]; then
    i=0; while [ -z "\$(event_node)" ] && [ \$i -lt 300 ]; do i=\$((i + 1)); sleep 0.1; done
    echo "VM-STEP scanner's input node: \$(event_node)"
    start_probe "\$(event_node)"
fi
bound() { ls /sys/bus/usb/drivers/usbhid | grep -c ':'; }
wait_for '^STATUS connected ' 1 && echo "VM-CHECK usbhid interfaces while posterm reads: \$(bound)" &&
echo "VM-STEP plugged, typing" && dd if=/a.bin of=/dev/hidg0 bs=$rlen 2>/dev/null &&
wait_for '^CODE ' $na && echo "VM-STEP unplugging" && echo "" > \$G/UDC &&
wait_for 'unplugged' 1 && echo "VM-STEP plugging back in" && echo \$UDC > \$G/UDC &&
wait_for '^STATUS connected ' 2 && echo "VM-STEP replugged, typing" && dd if=/b.bin of=/dev/hidg0 bs=$rlen 2>/dev/null ||
kill \$P
wait \$P
echo "VM-EXIT=\$?"
sleep 1
echo "VM-CHECK usbhid interfaces after posterm exits: \$(bound)"
sed 's/^/VM-OUT /' /out
sed 's/^/VM-ERR /' /err
poweroff -f
INIT
chmod +x "$ir/init"
vm_pack "$ir" "$work/ir.gz"

start=$(date +%s)
status=0
timeout "$vm_timeout" "${qemu[@]}" -m 512 -smp 1 -nographic -no-reboot -nic none \
    -kernel "$vm_kernel" -initrd "$work/ir.gz" \
    -append "console=$console quiet panic=-1" > "$work/console" 2>&1 || status=$?
# Drop carriage returns and the firmware's terminal escapes in front of the first line.
tr -d '\r' < "$work/console" | sed -E 's/^.*(VM-(STEP|CHECK|EXIT|OUT|ERR))/\1/' > "$work/console.txt"
echo "scanner-vm: $arch $mode: VM ran $(( $(date +%s) - start )) s (qemu status $status)"
grep -E '^VM-' "$work/console.txt" || true

sed -n 's/^VM-OUT \(CODE .*\)$/\1/p' "$work/console.txt" > "$work/got"
fail=0
if ! grep -q '^VM-EXIT=0$' "$work/console.txt"; then
    echo "scanner-vm: FAIL: the probe did not read $ncodes codes"; fail=1
fi
if ! diff -u "$work/expected" "$work/got"; then
    echo "scanner-vm: FAIL: codes read differ from codes typed"; fail=1
fi
if ! grep -q '^VM-OUT STATUS .*unplugged' "$work/console.txt" ||
   [ "$(grep -c '^VM-OUT STATUS connected ' "$work/console.txt")" -lt 2 ]; then
    echo "scanner-vm: FAIL: unplug and reopen not both seen"; fail=1
fi
# The kernel's driver was detached while posterm read (USB modes), and bound when it closed.
if ! grep -q "^VM-CHECK usbhid interfaces while posterm reads: $bound_reading\$" "$work/console.txt" ||
   ! grep -q '^VM-CHECK usbhid interfaces after posterm exits: 1$' "$work/console.txt"; then
    echo "scanner-vm: FAIL: usbhid not as expected ($bound_reading bound while reading, 1 after)"; fail=1
fi
if [ $fail -ne 0 ]; then
    echo "---- VM console ----"; tail -60 "$work/console.txt"
    exit 1
fi
echo "scanner-vm: $arch $mode: $ncodes codes read exactly as typed, across an unplug and replug"
