# powercut-cashier.sh - the terminal's side of powercut-vm.sh, sourced by the VM's init with
# $boot and $plan. It starts the gateway simulator (ledger on the disk) and posterm as at every
# boot, then plays the cashier on posterm's headless input:
#   work    payments one after another under mixed gateway behaviour, until the power goes
#   finish  no new payment: end of input, so posterm exits once every payment is resolved;
#           the ledger is saved for the audit and the VM powers off cleanly

posterm-sim --keys /data/keys --port 8480 --port-file /tmp/sim.port --ledger /data/ledger.json \
    --quiet 2>>/data/sim.log &
sim=$!
i=0; while [ ! -s /tmp/sim.port ] && [ $i -lt 600 ]; do i=$((i + 1)); sleep 0.1; done
[ -s /tmp/sim.port ] || echo "FIELD-FAIL posterm-sim did not start"

mkfifo /tmp/cashier
: > /tmp/out
(posterm --headless --config /data/posterm.json < /tmp/cashier 2>>/data/posterm.err
 echo "FIELD-POSTERM-EXIT=$?") | tee /tmp/out &
exec 3> /tmp/cashier

wait_for() {
    i=0
    while [ "$(grep -cE "$1" /tmp/out)" -lt "$2" ]; do
        i=$((i + 1)); [ $i -gt 3000 ] && { echo "FIELD-FAIL timed out waiting for $2 x $1"; return 1; }
        sleep 0.1
    done
}
wait_for '"event":"ready"' 1

# success, customer confirming 8 s, reply dropped after the charge, success, refused,
# HTTP 503, reply 5 s late, bad signature on a charged reply (tests/sim/README.md)
codes="134567890123456000 2876543210123403 134567890123457006 2876543210123400 134567890123458001 2876543210123407 134567890123459005 2876543210123410"
case $plan in
    work)
        n=0
        while true; do
            n=$((n + 1))
            k=$(( (boot * 3 + n) % 8 + 1 ))
            echo "amount $k.00" >&3
            sleep 0.3
            echo "scan $(echo $codes | cut -d' ' -f$k)" >&3
            sleep 1.5
        done
        ;;
    finish)
        exec 3>&-
        wait_for FIELD-POSTERM-EXIT 1
        wget -q -O /data/audit.json http://127.0.0.1:8480/_sim/audit || echo "FIELD-FAIL no audit"
        kill $sim; wait $sim
        sync
        umount /data
        echo "FIELD-DONE"
        poweroff -f
        ;;
esac
sleep 3600
