# field-cashier.sh - the terminal's side of field-vm.sh, sourced by the VM's init with $boot
# (1, 2 or 3) and $G (the scanner gadget, plugged in). It starts what a terminal starts at
# boot - here the gateway simulator too, with its ledger on the same disk, since the VM's
# network reaches head office's broker only - then posterm as the packaged service would (no network wait), and plays the
# cashier: amounts on posterm's input, codes typed by the scanner gadget over USB. For the
# dynamic QR payments it plays the customer too: the simulator is on the VM's loopback only,
# so the customer's scan of the payload posterm printed is posted from here. And the cash
# register beside the terminal: one sale it asks for over posterm's register API (nc on TCP).
# posterm's JSON lines go to the console, where field_vm.py watches them and cuts the power.

# The gateway: posterm-sim on the VM's loopback, its ledger kept on the terminal's disk.
posterm-sim --keys /data/keys --port 8480 --port-file /tmp/sim.port --ledger /data/ledger.json \
    --quiet 2>>/data/sim.log &
sim=$!
i=0; while [ ! -s /tmp/sim.port ] && [ $i -lt 600 ]; do i=$((i + 1)); sleep 0.1; done
[ -s /tmp/sim.port ] || echo "FIELD-FAIL posterm-sim did not start"
# Offline at boot: boot 2 for the whole boot, boot 3 for the first 15 s.
offline() {
    wget -q -O /dev/null --post-data= "http://127.0.0.1:8480/_sim/unreachable?seconds=$1" &&
        echo "FIELD-STEP gateway unreachable for $1 s"
}
case $boot in
    2) offline 3600 ;;
    3) offline 15 ;;
esac

# posterm, as at every boot of the terminal; its input is the cashier (a FIFO).
mkfifo /tmp/cashier
: > /tmp/out
(posterm --headless --config /data/posterm.json < /tmp/cashier 2>>/data/posterm.err
 echo "FIELD-POSTERM-EXIT=$?") | tee /tmp/out &
exec 3> /tmp/cashier

# wait_for PATTERN N: until posterm printed N lines matching PATTERN (120 s at most)
wait_for() {
    i=0
    while [ "$(grep -cE "$1" /tmp/out)" -lt "$2" ]; do
        i=$((i + 1)); [ $i -gt 1200 ] && { echo "FIELD-FAIL timed out waiting for $2 x $1"; return 1; }
        sleep 0.1
    done
}
created=0
# pay AMOUNT CODE: key the amount, wait for the new order, and let the scanner type CODE.
pay() {
    created=$((created + 1))
    echo "amount $1" >&3
    wait_for '"transition":"created"' $created &&
        echo "FIELD-STEP scanner types code $2" &&
        dd if=/codes/$2.bin of=/dev/hidg0 bs=8 2>/dev/null
}
qrs=0
# qr_pay AMOUNT CHANNEL: key the amount, switch the order to the customer scanning (qr
# CHANNEL), then be the customer: scan the payload posterm printed in its qr event - the JSON
# string as printed, so no unescaping - through the simulator's control endpoint.
qr_pay() {
    created=$((created + 1)); qrs=$((qrs + 1))
    echo "amount $1" >&3
    wait_for '"transition":"created"' $created || return 1
    echo "qr $2" >&3
    wait_for '"event":"qr"' $qrs || return 1
    payload=$(grep '"event":"qr"' /tmp/out | sed -n "${qrs}s/.*\"payload\":\"\([^\"]*\)\".*/\1/p")
    [ -n "$payload" ] || { echo "FIELD-FAIL no payload in posterm's qr event"; return 1; }
    reply=$(wget -q -O - --post-data "{\"qr\":\"$payload\"}" http://127.0.0.1:8480/_sim/scan |
        tr -d ' \t\n')
    case $reply in
        *'"result":"paid"'*) echo "FIELD-STEP the customer scans the $2 QR and pays: $reply" ;;
        *) echo "FIELD-FAIL the customer's scan of the $2 QR: $reply"; return 1 ;;
    esac
}
# The cash register: a program beside posterm that drives it over the register API
# (app/REGISTER_API.md), here busybox nc on api.listen (plain TCP, the VM's loopback). Its
# side of the line is a FIFO held open until the answers came; what it hears is kept in
# /tmp/register.out.
register_port=7480
register_open() {
    mkfifo /tmp/register.in
    : > /tmp/register.out
    nc 127.0.0.1 $register_port < /tmp/register.in > /tmp/register.out 2>/tmp/register.err &
    register_nc=$!
    exec 4> /tmp/register.in
}
register_close() {
    exec 4>&-
    kill $register_nc 2>/dev/null
    wait $register_nc 2>/dev/null
    rm -f /tmp/register.in
}
# register_heard SALE EVENT PATTERN: the register's events for SALE of kind EVENT that match
# PATTERN (extended regex), counted
register_heard() {
    grep -F "\"event\":\"$2\"" /tmp/register.out | grep -F "\"sale_id\":\"$1\"" | grep -cE "$3"
}
# register_wait SALE EVENT PATTERN: until the register heard one (120 s at most)
register_wait() {
    i=0
    while [ "$(register_heard "$1" "$2" "$3")" -lt 1 ]; do
        i=$((i + 1))
        [ $i -gt 1200 ] && { echo "FIELD-FAIL the register never heard $2 $3 for $1"; return 1; }
        sleep 0.1
    done
}
# register_told: one FIELD-STEP line per event the register heard, its fields as key=value
# (not the JSON itself: field_vm.py takes a console line with {"event" for posterm's own)
register_told() {
    while read -r line; do
        said=
        for key in event transition sale_id order state step final known code; do
            v=$(echo "$line" | sed -n "s/.*\"$key\":\"\{0,1\}\([^\",}]*\).*/\1/p")
            [ -n "$v" ] && said="$said $key=$v"
        done
        echo "FIELD-STEP register hears:$said"
    done < /tmp/register.out
}
# register_pay SALE AMOUNT CODE: the register asks for the sale's payment; the counter shows
# it, the scanner types CODE; the register waits for the final PAID event on its own
# connection, then asks the sale's status, which must say PAID.
register_pay() {
    created=$((created + 1))
    register_open
    echo "FIELD-STEP the register asks for sale $1, $2, over the API"
    echo "{\"command\":\"payment\",\"sale_id\":\"$1\",\"amount\":\"$2\"}" >&4
    ok=0
    wait_for '"transition":"created"' $created &&
        echo "FIELD-STEP scanner types code $3" &&
        dd if=/codes/$3.bin of=/dev/hidg0 bs=8 2>/dev/null &&
        register_wait "$1" payment '"state":"PAID".*"final":true|"final":true.*"state":"PAID"' &&
        echo "{\"command\":\"status\",\"sale_id\":\"$1\"}" >&4 &&
        register_wait "$1" status . && ok=1
    register_told
    if [ $ok = 1 ] && [ "$(register_heard "$1" status '"state":"PAID"')" -ne 1 ]; then
        echo "FIELD-FAIL the register's status for $1 is not PAID"
        ok=0
    fi
    register_close
    [ $ok = 1 ]
}
final='"state":"(PAID|FAILED|CANCELLED|REFUNDED)"'
# head_office_has_all: until posterm's status says the broker acknowledged every event, twice
# a second apart (the count is at most a second old), so closing the till strands nothing in
# the outbox (120 s at most)
head_office_has_all() {
    zeros=0; tries=0
    while [ $zeros -lt 2 ]; do
        tries=$((tries + 1))
        [ $tries -gt 120 ] && { echo "FIELD-FAIL head office never acknowledged every event"; return 1; }
        [ $tries -gt 1 ] && sleep 1
        asked=$(grep -c '"event":"status"' /tmp/out)
        echo status >&3
        wait_for '"event":"status"' $((asked + 1)) || return 1
        if grep '"event":"status"' /tmp/out | tail -1 | grep -q '"fleet":{"connected":true,"unsent":0,'; then
            zeros=$((zeros + 1))
        else
            zeros=0
        fi
    done
    echo "FIELD-STEP head office acknowledged every event"
}

wait_for '"event":"ready"' 1
sleep 1   # posterm opens the scanner at start; give libusb a moment to claim it
case $boot in
    1)  # online: a plain payment, one where the customer confirms for 8 s, and another such
        # one, during which the power goes (field_vm.py cuts it)
        pay 1.00 A && wait_for "$final" 1 &&
        pay 2.00 B && wait_for "$final" 2 &&
        pay 3.00 C
        ;;
    2)  # offline, one payment resumed: a new payment cannot reach the gateway; the cashier
        # aborts it, so its cancel is pending when the power goes again
        pay 4.00 D && wait_for '"transition":"pay_unknown"' 1 && sleep 2 && echo abort >&3
        ;;
    3)  # offline for 15 s, then online: once the resumed payments are final, one more sale,
        # then two the customer pays by scanning the terminal (F WeChat Pay, G Alipay), then
        # one the cash register asks for over the API (H); once the broker has every event,
        # the cashier closes the till (end of input: posterm exits when nothing is left)
        wait_for "$final" 2 && pay 5.00 E && wait_for "$final" 3 &&
            qr_pay 6.00 wechat && wait_for "$final" 4 &&
            qr_pay 7.00 alipay && wait_for "$final" 5 &&
            register_pay FIELD-H 8.00 H && wait_for "$final" 6 &&
            head_office_has_all
        exec 3>&-
        wait_for FIELD-POSTERM-EXIT 1
        # The ledger as the simulator reads it back from its file, for field_vm.py's audit.
        wget -q -O /data/audit.json http://127.0.0.1:8480/_sim/audit || echo "FIELD-FAIL no audit"
        kill $sim; wait $sim
        sync
        umount /data
        echo "FIELD-DONE"
        poweroff -f
        ;;
esac
echo "FIELD-STEP cashier waits"
sleep 3600
