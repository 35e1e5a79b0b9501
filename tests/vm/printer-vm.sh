#!/usr/bin/env bash
# printer-vm.sh - posterm's receipt printer driver against a real USB stack: a throw-away
# Linux VM (QEMU, software emulation) whose kernel emulates an Epson TM-T20II receipt printer
# with the USB printer gadget (usb_f_printer) on the dummy host controller. The printer starts
# out of paper; printer-probe, on the host side of the same bus, must report it and hold its
# receipt; the paper comes back and the receipt must print exactly once. The bytes the gadget
# received are dumped on the console in hex and decoded here with the tests' own ESC/POS
# decoder (tests/printer/escpos-decode), not the driver's, and compared with the receipt.
#
#   usage: printer-vm.sh usb|lp PROBE GADGET DECODER [CACHE_DIR]
#     usb: the printer through libusb (--kind usb), the kernel's usblp detached while posterm
#          holds it and bound again after; QR codes with the printer's GS ( k command
#     lp:  the printer through usblp's node /dev/usb/lp0 (--kind lp); QR codes as raster
#          images (GS v 0), read back with zbarimg
#   PROBE: printer-probe (tests/vm/printer_probe.c), GADGET: printer-gadget (printer_gadget.c),
#   both built for the VM's architecture; DECODER: escpos-decode, run on this machine (under
#   qemu-user when it is an arm64 build: POSTERM_EMULATOR, QEMU_LD_PREFIX as cross-build.sh).
#   CACHE_DIR keeps the downloaded Debian kernel and busybox between runs.
#   ARCH=arm64 runs arm64 programs (cross-built) in an arm64 VM (virt board, cortex-a53).
#
# Needs (toolchain/packages/vm.txt): qemu-system-x86 (qemu-system-arm for ARCH=arm64), kmod,
# cpio, python3, apt access for `apt-get download`; zbar-tools (test.txt) for the lp mode.
# Bounded: QEMU runs under `timeout`; every temporary file is removed on exit.
set -euo pipefail

usage="usage: printer-vm.sh usb|lp PROBE GADGET DECODER [CACHE_DIR]"
mode=${1:?$usage}
probe=$(readlink -f "${2:?$usage}")
gadget=$(readlink -f "${3:?$usage}")
decoder=$(readlink -f "${4:?$usage}")
cache=${5:-}
vm_timeout=${VM_TIMEOUT:-240}
arch=${ARCH:-amd64}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/vm-lib.sh"
vm_arch "$arch" || exit 2
qemu=("${vm_qemu[@]}") console=$vm_console

for tool in "${qemu[0]}" cpio depmod dpkg-deb apt-get apt-cache python3 flock timeout; do
    command -v "$tool" >/dev/null || { echo "printer-vm: missing $tool (toolchain/dev deps vm)"; exit 1; }
done
if [ "$arch" = arm64 ]; then
    run_host=(${POSTERM_EMULATOR:-qemu-aarch64-static})
else
    run_host=()
fi

case $mode in
    usb) args="--kind usb --vid 04b8 --pid 0e15 --native-qr" bound_printing=0 ;;
    lp)  args="--kind lp --path /dev/usb/lp0 --raster-qr" bound_printing=1 ;;
    *) echo "printer-vm: $usage"; exit 2 ;;
esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
[ -n "$cache" ] || cache=$work/cache
mkdir -p "$cache"

# --- Debian's standard kernel and busybox (cached), the modules, the programs and libraries ---
vm_fetch "$cache"
ir=$work/ir
vm_initramfs "$cache" "$work" "$ir" drivers/usb/gadget/udc/dummy_hcd drivers/usb/gadget/udc/udc-core \
    drivers/usb/core/usbcore drivers/usb/common/usb-common drivers/usb/gadget/libcomposite \
    drivers/usb/gadget/function/usb_f_printer drivers/usb/class/usblp fs/configfs/configfs
cd "$work"
vm_add_program "$ir" "$probe" /bin/prog
vm_add_program "$ir" "$gadget" /bin/gadget
vm_add_gconv "$ir"

cat > "$ir/init" <<INIT
#!/bin/sh
/bin/busybox --install -s /bin
mount -t proc p /proc; mount -t sysfs s /sys; mount -t devtmpfs d /dev
for m in dummy_hcd libcomposite usb_f_printer usblp; do modprobe \$m || echo "VM-STEP modprobe \$m failed"; done
mount -t configfs none /sys/kernel/config
G=/sys/kernel/config/usb_gadget/printer
mkdir \$G && cd \$G
echo 0x04b8 > idVendor; echo 0x0e15 > idProduct
mkdir strings/0x409; echo EPSON > strings/0x409/manufacturer; echo "TM-T20II" > strings/0x409/product
echo "VMTEST0001" > strings/0x409/serialnumber
mkdir functions/printer.usb0
echo "MFG:EPSON;CMD:ESC/POS;MDL:TM-T20II;CLS:PRINTER;" > functions/printer.usb0/pnp_string
echo 10 > functions/printer.usb0/q_len
mkdir configs/c.1; ln -s functions/printer.usb0 configs/c.1/
UDC=\$(ls /sys/class/udc | head -1)
cd /
# wait_file PATH: until it exists (30 s at most)
wait_file() {
    i=0
    while [ ! -e "\$1" ]; do
        i=\$((i + 1)); [ \$i -gt 300 ] && { echo "VM-STEP timed out waiting for \$1"; return 1; }
        sleep 0.1
    done
}
# wait_for FILE PATTERN: until FILE has a line matching PATTERN (60 s at most)
wait_for() {
    i=0
    while ! grep -q "\$2" "\$1" 2>/dev/null; do
        i=\$((i + 1)); [ \$i -gt 600 ] && { echo "VM-STEP timed out waiting for '\$2' in \$1"; return 1; }
        sleep 0.1
    done
}
bound() { ls /sys/bus/usb/drivers/usblp 2>/dev/null | grep -c ':'; }
hexdump_file() { echo "VM-\$1-BEGIN"; od -An -tx1 -v "\$2" | sed "s/^/VM-\$1 /"; echo "VM-\$1-END"; }
: > /out; : > /gadget.bin
echo \$UDC > \$G/UDC
wait_file /dev/g_printer0 && echo "VM-STEP printer gadget plugged in"
# The init holds the control FIFO open too, so that writing to it never blocks, whatever
# became of the helper.
mkfifo /ctl
exec 3<>/ctl
/bin/gadget /dev/g_printer0 /gadget.bin /ctl > /gadget.log 2> /gadget.err &
GP=\$!
wait_for /gadget.log 'STATUS 0x18 ready' && echo "VM-STEP the printer's side is up" || cat /gadget.err
echo paper-out > /ctl
wait_for /gadget.log 'STATUS 0x30 paper-out' && echo "VM-STEP the printer is out of paper"
if [ $mode = lp ]; then wait_file /dev/usb/lp0 && echo "VM-STEP usblp made /dev/usb/lp0"; fi
/bin/prog $args --timeout 120000 > /out 2> /err &
P=\$!
if wait_for /out '^HELD paper_out'; then
    echo "VM-STEP the probe holds its receipt: paper out"
    sleep 3
    echo "VM-CHECK usblp interfaces while posterm holds the printer: \$(bound)"
    cp /gadget.bin /held.bin
    hexdump_file HELD /held.bin
    echo "VM-STEP paper loaded"
    echo ready > /ctl
    wait_for /out '^JOB ' || kill \$P
else
    kill \$P
fi
wait \$P
echo "VM-EXIT=\$?"
sleep 1
echo "VM-CHECK usblp interfaces after posterm exits: \$(bound)"
hexdump_file HEX /gadget.bin
echo quit > /ctl
i=0; while kill -0 \$GP 2>/dev/null && [ \$i -lt 50 ]; do i=\$((i + 1)); sleep 0.1; done
sed 's/^/VM-OUT /' /out
sed 's/^/VM-ERR /' /err
sed 's/^/VM-GADGET /' /gadget.log /gadget.err
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
tr -d '\r' < "$work/console" |
    sed -E 's/^.*(VM-(STEP|CHECK|EXIT|OUT|ERR|GADGET|HELD|HEX))/\1/' > "$work/console.txt"
echo "printer-vm: $arch $mode: VM ran $(( $(date +%s) - start )) s (qemu status $status)"
grep -E '^VM-(STEP|CHECK|EXIT|OUT|ERR|GADGET)' "$work/console.txt" || true

fail=0
if ! grep -q '^VM-EXIT=0$' "$work/console.txt"; then
    echo "printer-vm: FAIL: the probe did not print its receipt"; fail=1
fi
if ! grep -q '^VM-OUT STATUS paper_out ' "$work/console.txt" || ! grep -q '^VM-OUT HELD paper_out$' "$work/console.txt"; then
    echo "printer-vm: FAIL: the probe did not report the paper out and hold its receipt"; fail=1
fi
if ! grep -q '^VM-OUT STATUS ready ' "$work/console.txt"; then
    echo "printer-vm: FAIL: the probe did not see the paper come back"; fail=1
fi
# A job refused before its first byte may be submitted again; one that went out must end once.
if [ "$(grep -c '^VM-OUT JOB done ' "$work/console.txt")" -ne 1 ] || grep -q '^VM-OUT JOB failed [1-9]' "$work/console.txt"; then
    echo "printer-vm: FAIL: the receipt did not go out exactly once"; fail=1
fi
# The kernel's usblp: detached while posterm holds the printer through libusb, bound after.
if ! grep -q "^VM-CHECK usblp interfaces while posterm holds the printer: $bound_printing\$" "$work/console.txt" ||
   ! grep -q '^VM-CHECK usblp interfaces after posterm exits: 1$' "$work/console.txt"; then
    echo "printer-vm: FAIL: usblp not as expected ($bound_printing bound while printing, 1 after)"; fail=1
fi
# What was printed, read by the tests' decoder: nothing but status requests while the paper
# was out, then the receipt exactly once.
if ! python3 "$here/printer_vm_check.py" "$mode" "$work" "${run_host[@]}" "$decoder"; then
    fail=1
fi
if [ $fail -ne 0 ]; then
    echo "---- VM console ----"; grep -v -E '^VM-(HEX|HELD) ' "$work/console.txt" | tail -60
    exit 1
fi
echo "printer-vm: $arch $mode: held while out of paper, then printed once, as decoded"
