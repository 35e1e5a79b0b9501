#!/bin/bash
# unit-powercut-cashier.sh - the VM's side of unit-powercut-vm.sh, run by posterm-vmtest.service
# at every boot (vmtest.plan= on the kernel command line says which boot this is):
#   install  the package and everything the service needs, posterm.service started as an
#            installer would (systemctl start), then payments as in work
#   work     posterm.service, started by systemd at boot, takes payments until the power goes
#   finish   posterm.service as shipped (screen on tty1) resolves every payment by itself; the
#            screen is read, the ledger saved for the audit, a clean power-off
# Lines starting with VMTEST are for unit_powercut_vm.py; FIELD-FAIL ends the test.
plan=$(sed -n 's/.*vmtest\.plan=\([a-z]*\).*/\1/p' /proc/cmdline)
port=18080
fail() {
    echo "FIELD-FAIL $*"
    journalctl -b -u posterm.service --no-pager -o cat | tail -n 15 | sed 's/^/VMTEST journal: /'
    tail -n 10 /var/lib/posterm/posterm.log 2>/dev/null | sed 's/^/VMTEST log: /'
    sleep 3600
}
unresolved() {
    runuser -u posterm -- sqlite3 -readonly /var/lib/posterm/journal.db \
        "SELECT count(*) FROM payments WHERE state NOT IN ('PAID','FAILED','CANCELLED','REFUNDED','REFERRED');"
}
# The sandbox the running service really has: the filter (Seccomp 2), no new privileges, no
# capabilities, its user, the device policy.
sandbox() {
    pid=$(systemctl show posterm.service -p MainPID --value)
    [ "$pid" -gt 0 ] || fail "posterm.service has no main process"
    seccomp=$(sed -n 's/^Seccomp:\t*//p' /proc/$pid/status)
    nnp=$(sed -n 's/^NoNewPrivs:\t*//p' /proc/$pid/status)
    capbnd=$(sed -n 's/^CapBnd:\t*//p' /proc/$pid/status)
    user=$(stat -c %U /proc/$pid)
    echo "VMTEST sandbox: user $user, Seccomp $seccomp, NoNewPrivs $nnp, CapBnd $capbnd, $(systemctl show posterm.service -p DevicePolicy -p NRestarts | tr '\n' ' ')"
    [ "$seccomp" = 2 ] && [ "$nnp" = 1 ] && [ "$capbnd" = 0000000000000000 ] && [ "$user" = posterm ] ||
        fail "posterm.service runs without its sandbox"
}
# Running, and past systemd's set-up (its sandbox is in force only once posterm is exec'd).
wait_active() {
    i=0
    until [ "$(systemctl show posterm.service -p SubState --value)" = running ] &&
          [ "$(readlink "/proc/$(systemctl show posterm.service -p MainPID --value)/exe")" = /usr/bin/posterm ]; do
        i=$((i + 1)); [ $i -le 600 ] || fail "systemd did not start posterm.service at boot"; sleep 0.1
    done
}
wait_sim() {
    i=0; until (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null; do
        i=$((i + 1)); [ $i -le 300 ] || fail "posterm-sim did not start"; sleep 0.1
    done
}
echo "VMTEST boot: $plan, systemd $(systemctl --version | head -n1 | cut -d' ' -f2), kernel $(uname -r)"

# cashier: payments one after another under mixed gateway behaviour, until the power goes.
# success, customer confirming 8 s, reply dropped after the charge, success, refused,
# HTTP 503, reply 5 s late, bad signature on a charged reply (tests/sim/README.md)
cashier() {
    codes="134567890123456000 2876543210123403 134567890123457006 2876543210123400 134567890123458001 2876543210123407 134567890123459005 2876543210123410"
    boot=$(sed -n 's/.*field\.boot=\([0-9]*\).*/\1/p' /proc/cmdline)
    n=0
    while true; do
        n=$((n + 1))
        k=$(((boot * 3 + n) % 8 + 1))
        echo "amount $k.00" >&3
        sleep 0.3
        echo "scan $(echo $codes | cut -d' ' -f$k)" >&3
        sleep 1.5
    done
}

case $plan in
install)
    # man-db's trigger would index every manual page of the build machine (minutes under TCG);
    # Debian's switch for it. The package's own scripts all run.
    rm -f /var/lib/man-db/auto-update
    dpkg -i /vmtest/posterm.deb >/dev/null || fail "dpkg -i failed"
    for f in /vmtest/keys/*; do install -o posterm -g posterm -m 0600 "$f" /etc/posterm/keys/; done
    cat /vmtest/posterm.json >/etc/posterm/posterm.json   # keeps the package's root:posterm 0640
    mkdir -p /etc/systemd/system/posterm.service.d
    cp /vmtest/headless.conf /etc/systemd/system/posterm.service.d/
    cp /vmtest/tmpfiles.conf /etc/tmpfiles.d/posterm-vmtest.conf
    systemd-tmpfiles --create /etc/tmpfiles.d/posterm-vmtest.conf
    cp /vmtest/posterm-sim.service /etc/systemd/system/
    systemctl enable --now posterm-sim.service 2>/dev/null
    rm -f /usr/sbin/policy-rc.d
    echo "VMTEST enabled: posterm.service $(systemctl is-enabled posterm.service), posterm-sim.service $(systemctl is-enabled posterm-sim.service)"
    [ "$(systemctl is-enabled posterm.service)" = enabled ] || fail "the package did not enable posterm.service"
    # What this script wrote is in the page cache only: a cut within ext4's delayed allocation
    # (about 30 s) would leave the config and the drop-in empty files (seen). dpkg and SQLite
    # flush their own writes; the installer flushes the rest, as a terminal's installer must.
    sync
    exec 3<>/run/vmtest/in
    tail -n +1 -F /run/vmtest/out 2>/dev/null &
    systemctl start posterm.service || fail "systemctl start posterm.service failed"
    wait_active
    sandbox
    wait_sim
    cashier
    ;;
work)
    # posterm (started at boot, before this script) waits in open() for its input's writer.
    [ -p /run/vmtest/in ] || fail "no FIFO /run/vmtest/in: the tmpfiles entry was lost"
    exec 3<>/run/vmtest/in
    tail -n +1 -F /run/vmtest/out 2>/dev/null &
    wait_active
    sandbox
    wait_sim
    cashier
    ;;
finish)
    wait_active
    sandbox
    echo "VMTEST unit: $(systemctl show posterm.service -p ExecStart --value | grep -o 'argv\[\]=[^;]*'), drop-ins: $(systemctl show posterm.service -p DropInPaths --value)"
    systemctl show posterm.service -p ExecStart --value | grep -q -- --headless && fail "the headless drop-in is still there"
    wait_sim
    i=0
    while [ "$(unresolved)" != 0 ]; do
        i=$((i + 1)); [ $i -le 240 ] || fail "payments still unresolved after 240 s: $(unresolved)"; sleep 1
    done
    echo "VMTEST resolved: every payment final $i s after the service came up"
    # The cashier screen on tty1, as the console driver holds it (vcsu: one UCS-4 character a cell).
    python3 - <<'PY'
with open("/dev/vcsa1", "rb") as f:
    rows, cols = f.read(2)
with open("/dev/vcsu1", "rb") as f:
    cells = f.read()
text = cells.decode("utf-32-le")
for r in range(rows):
    line = text[r * cols:(r + 1) * cols].rstrip()
    if line.strip():
        print("VMTEST screen |%s" % line)
PY
    python3 -c "import urllib.request,sys; sys.stdout.buffer.write(urllib.request.urlopen('http://127.0.0.1:$port/_sim/audit').read())" \
        >/var/lib/vmtest-audit.json || fail "no audit from posterm-sim"
    systemctl stop posterm.service
    echo "VMTEST stopped: $(systemctl show posterm.service -p Result -p ExecMainStatus | tr '\n' ' ')"
    sync
    echo "VMTEST-DONE"
    systemctl poweroff --force
    ;;
*)
    fail "no vmtest.plan on the kernel command line"
    ;;
esac
sleep 3600
