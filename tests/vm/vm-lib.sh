# vm-lib.sh - the parts every VM test shares (sourced by scanner-vm.sh and field-vm.sh, never
# run): QEMU for the architecture, Debian's standard kernel and busybox (downloaded once into a
# cache), an initramfs of busybox, chosen kernel modules and programs with their libraries, and
# a USB keyboard-mode barcode scanner emulated by the kernel's gadget framework on dummy_hcd.
#
# Needs (toolchain/packages/vm.txt): qemu-system-x86 / qemu-system-arm, kmod (depmod), cpio,
# dpkg-deb, apt access for `apt-get download`; for arm64 also qemu-aarch64-static to list an
# arm64 program's libraries, found in the multiarch directories.

# The HID boot-keyboard report descriptor: what a keyboard-mode scanner declares.
vm_boot_keyboard_desc='\x05\x01\x09\x06\xa1\x01\x05\x07\x19\xe0\x29\xe7\x15\x00\x25\x01\x75\x01\x95\x08\x81\x02\x95\x01\x75\x08\x81\x03\x95\x06\x75\x08\x15\x00\x25\x65\x05\x07\x19\x00\x29\x65\x81\x00\xc0'

# vm_arch ARCH: sets vm_qemu (the QEMU command, an array), vm_console, and list_libs PROGRAM.
vm_arch() {
    case $1 in
        amd64) vm_qemu=(qemu-system-x86_64 -accel tcg) vm_console=ttyS0
               list_libs() { ldd "$1" | grep -o '/lib[^ ]*'; } ;;
        arm64) vm_qemu=(qemu-system-aarch64 -M virt -cpu cortex-a53) vm_console=ttyAMA0
               # ldd cannot read a foreign binary: ask the arm64 loader under qemu-user (in the
               # cross build's private sysroot when it has one: QEMU_LD_PREFIX, cross-build.sh).
               list_libs() {
                   local root=${QEMU_LD_PREFIX:-/usr/aarch64-linux-gnu}
                   qemu-aarch64-static -L "$root" "$root/lib/ld-linux-aarch64.so.1" \
                       --list "$1" | grep -o '/[^ ]*\.so[^ ]*' | sed "s|^$root||"
               } ;;
        *) echo "vm-lib: ARCH is amd64 or arm64"; return 2 ;;
    esac
    vm_arch_name=$1
}

# vm_kernel_package ARCH: the newest standard kernel package apt knows for ARCH, or nothing.
vm_kernel_package() {
    apt-cache search --names-only "^linux-image-[0-9.]+-[0-9]+-$1\$" | sort -V | tail -1 | cut -d' ' -f1
}

# vm_apt_update ARCH: refreshes apt's lists for the build machine's architecture and ARCH.
vm_apt_update() {
    local cmd=(apt-get update -qq -o APT::Architectures::="$(dpkg --print-architecture)"
               -o APT::Architectures::="$1")
    if [ "$(id -u)" -eq 0 ]; then "${cmd[@]}"; else sudo -n "${cmd[@]}"; fi >/dev/null 2>&1 || true
}

# vm_fetch CACHE: Debian's newest standard kernel for the architecture (the -cloud- flavour has
# no USB) and busybox-static, downloaded into CACHE unless already there. Sets vm_kpkg.
vm_fetch() {
    local cache=$1 arch=$vm_arch_name
    vm_kpkg=$(vm_kernel_package "$arch")
    if [ -z "$vm_kpkg" ]; then
        # apt's lists may hold other architectures only: an update restricted to some of them
        # (toolchain/cross-build.sh refreshes the build machine's and one target's) drops the
        # lists of the rest. Refresh this one's and ask again.
        vm_apt_update "$arch"
        vm_kpkg=$(vm_kernel_package "$arch")
    fi
    [ -n "$vm_kpkg" ] || { echo "vm-lib: no linux-image package known to apt (apt-get update?)"; return 1; }
    mkdir -p "$cache"
    (
        flock 9
        cd "$cache"
        if ! ls "${vm_kpkg}"_*.deb >/dev/null 2>&1; then
            rm -f linux-image-*-"$arch"_*.deb
            apt-get download "$vm_kpkg:$arch" >/dev/null 2>&1 || { echo "vm-lib: apt-get download $vm_kpkg:$arch failed"; exit 1; }
        fi
        if ! ls busybox-static_*_"$arch".deb >/dev/null 2>&1; then
            apt-get download "busybox-static:$arch" >/dev/null 2>&1 ||
                { echo "vm-lib: apt-get download busybox-static:$arch failed"; exit 1; }
        fi
    ) 9>"$cache/lock"
}

# vm_initramfs CACHE WORK IR MODULE...: unpacks the kernel into WORK (sets vm_kver and
# vm_kernel) and fills IR with busybox (/bin/sh) and the named modules (paths under
# lib/modules/KVER/kernel/, without .ko) with modules.dep for busybox's modprobe.
vm_initramfs() {
    local cache=$1 work=$2 ir=$3 m globs=()
    shift 3
    for m in "$@"; do globs+=("./lib/modules/*/kernel/$m.ko"); done
    dpkg-deb --fsys-tarfile "$cache/${vm_kpkg}"_*.deb | tar -x --wildcards -C "$work" \
        './boot/vmlinuz-*' './lib/modules/*/modules.builtin*' './lib/modules/*/modules.order' "${globs[@]}"
    mkdir -p "$work/bb" && dpkg-deb -x "$cache"/busybox-static_*_"$vm_arch_name".deb "$work/bb"
    vm_kver=$(ls "$work/lib/modules")
    vm_kernel=$(ls "$work"/boot/vmlinuz-*)
    mkdir -p "$ir"/{bin,proc,sys,dev,tmp,lib/modules/$vm_kver/kernel}
    cp "$work/bb/bin/busybox" "$ir/bin/"
    ln -sf busybox "$ir/bin/sh"
    for m in "$@"; do
        mkdir -p "$ir/lib/modules/$vm_kver/kernel/$(dirname "$m")"
        cp "$work/lib/modules/$vm_kver/kernel/$m.ko" "$ir/lib/modules/$vm_kver/kernel/$m.ko"
    done
    cp "$work/lib/modules/$vm_kver"/modules.builtin* "$work/lib/modules/$vm_kver/modules.order" \
        "$ir/lib/modules/$vm_kver/"
    depmod -b "$ir" "$vm_kver"
}

# vm_add_program IR PROGRAM DEST: PROGRAM at IR/DEST, with the shared libraries it links.
vm_add_program() {
    local ir=$1 prog=$2 dest=$3 lib src c
    mkdir -p "$ir$(dirname "$dest")"
    cp "$prog" "$ir$dest"
    for lib in $(list_libs "$prog"); do
        src=
        for c in "$lib" "${QEMU_LD_PREFIX:-/usr/aarch64-linux-gnu}$lib" "/usr/aarch64-linux-gnu$lib" "/usr/lib/aarch64-linux-gnu/${lib##*/}" \
                 "/lib/aarch64-linux-gnu/${lib##*/}"; do
            [ "$vm_arch_name" = amd64 ] && [ "$c" != "$lib" ] && continue
            [ -f "$c" ] && { src=$c; break; }
        done
        [ -n "$src" ] || { echo "vm-lib: cannot find $lib for $vm_arch_name"; return 1; }
        mkdir -p "$ir$(dirname "$lib")"
        cp -L "$src" "$ir$lib"
    done
}

# vm_pack IR OUT: the initramfs image.
vm_pack() {
    (cd "$1" && find . | cpio -o -H newc 2>/dev/null | gzip -1 > "$2")
}

# vm_gadget_lines VID PID MAKER PRODUCT PROTOCOL SUBCLASS REPORT_LENGTH DESC_FILE: shell lines
# for a VM's init that declare a one-function HID gadget at $G (configfs mounted, not yet
# bound to the UDC: `echo $UDC > $G/UDC` plugs it in). DESC_FILE is the report descriptor.
vm_gadget_lines() {
    cat <<LINES
G=/sys/kernel/config/usb_gadget/scanner
mkdir \$G && cd \$G
echo $1 > idVendor; echo $2 > idProduct
mkdir strings/0x409; echo "$3" > strings/0x409/manufacturer; echo "$4" > strings/0x409/product
mkdir functions/hid.usb0
echo $5 > functions/hid.usb0/protocol; echo $6 > functions/hid.usb0/subclass
echo $7 > functions/hid.usb0/report_length
cat $8 > functions/hid.usb0/report_desc
mkdir configs/c.1; ln -s functions/hid.usb0 configs/c.1/
UDC=\$(ls /sys/class/udc | head -1)
cd /
LINES
}

# vm_keyboard_reports CODE: the 8-byte boot-keyboard reports (press, all keys up) a
# keyboard-mode scanner sends for CODE (digits) and Enter, on stdout.
vm_keyboard_reports() {
    python3 - "$1" <<'PY'
import sys
out = b""
for c in sys.argv[1]:
    usage = 0x27 if c == "0" else 0x1D + int(c)
    out += bytes([0, 0, usage, 0, 0, 0, 0, 0]) + bytes(8)
out += bytes([0, 0, 0x28, 0, 0, 0, 0, 0]) + bytes(8)
sys.stdout.buffer.write(out)
PY
}

# vm_add_gconv IR: glibc's GB18030 converter (iconv loads it at run time: no program links it,
# so vm_add_program cannot see it) and the gconv tables that name it, at the path the VM's
# glibc looks in. Receipts print Chinese in GB18030.
vm_add_gconv() {
    local ir=$1 triplet dir src c
    case $vm_arch_name in amd64) triplet=x86_64-linux-gnu ;; arm64) triplet=aarch64-linux-gnu ;; esac
    dir=/usr/lib/$triplet/gconv
    src=
    for c in "${QEMU_LD_PREFIX:-/nonexistent}$dir" "$dir"; do
        [ -f "$c/GB18030.so" ] && { src=$c; break; }
    done
    [ -n "$src" ] || { echo "vm-lib: no GB18030 gconv module for $vm_arch_name (libc6:$vm_arch_name)"; return 1; }
    mkdir -p "$ir$dir"
    cp -r "$src/GB18030.so" "$src/gconv-modules" "$src/gconv-modules.d" "$ir$dir/"
    [ -f "$src/gconv-modules.cache" ] && cp "$src/gconv-modules.cache" "$ir$dir/"
    return 0
}
