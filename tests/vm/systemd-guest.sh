#!/bin/bash
# The systemd scenario (VM booted with vm.sh --systemd: a real systemd is PID 1): the packaged
# jublk@.service with a --recoverable disk, its server killed with 'systemctl kill -s KILL';
# systemd restarts the unit, the new server takes the same disk over (--or-recover), the data
# is still there; 'systemctl stop' then removes the disk and frees its memory.
# Prints PASS/FAIL and "VM: N passed, N failed" and writes $JUBLK_VM_OUT/vm-counts like suite.sh.
set -u
ROOT=$(pwd)
U="$ROOT/packaging/ublk"
OUT=${JUBLK_VM_OUT:-/tmp/jublk-vm-results}
# Three scenarios on 7.x (the second needs QUIESCE; the third lets a queue die with a request in
# flight, which on 6.12 risks the io_fallback_tw oops of tests/README.md), one on 6.12; every one
# not passed counts failed.
is_7x() { [ "$(uname -r | cut -d. -f1)" -ge 7 ]; }
total=1; is_7x && total=3
passed=0
scenario=t_systemd_restarts_a_killed_server_with_its_data
echo "0 $total" > "$OUT/vm-counts"
fail() {
    echo "FAIL: $*"; systemctl status --no-pager 'jublk@*' 2>&1 | tail -n 20; journalctl --no-pager -n 40 2>&1 | tail -n 40
    # A disk left waiting for a server holds its I/O (and whatever waits on it, the VM's power-off
    # included): deleting it fails that I/O, so the VM ends now rather than at its time limit.
    timeout 60 "$U" del -a --force > /dev/null 2>&1
    echo "FAIL $scenario"; echo "$passed $((total - passed))" > "$OUT/vm-counts"
    echo "VM: $passed passed, $((total - passed)) failed"; exit 1
}
pass() { echo "PASS $scenario"; passed=$((passed + 1)); echo "$passed $((total - passed))" > "$OUT/vm-counts"; }

echo "PID 1: $(cat /proc/1/comm) ($(systemctl --version | head -n 1))"
[ "$(cat /proc/1/comm)" = systemd ] || fail "PID 1 is not systemd"
modprobe ublk_drv 2>/dev/null || insmod "$JUBLK_VM_MODULES/ublk_drv.ko" 2>/dev/null || true
[ -e /dev/ublk-control ] || fail "no /dev/ublk-control"
# The packaged unit, with the launcher of this checkout instead of the RPM's /usr/bin/ublk.
sed "s#/usr/bin/ublk#$U#" packaging/jublk@.service > /etc/systemd/system/jublk@.service
mkdir -p /etc/jublk
echo 'OPTIONS=--size 128M -n 4 -q 2 --recoverable' > /etc/jublk/t.conf
systemctl daemon-reload
timeout 180 systemctl start jublk@t || fail "systemctl start jublk@t"
[ -b /dev/ublkb4 ] || fail "no /dev/ublkb4 once the unit is started (Type=notify)"
head -c $((32 << 20)) /dev/urandom > /tmp/pattern
dd if=/tmp/pattern of=/dev/ublkb4 bs=1M oflag=direct status=none || fail "write"
old=$(systemctl show -P MainPID jublk@t)
echo "  unit active, server pid $old, 32 MiB written; systemctl kill -s KILL jublk@t"
systemctl kill -s KILL jublk@t
# systemd restarts the unit (Restart=on-abnormal) and the new server recovers the disk.
new=""
for i in $(seq 1 180); do
    new=$(systemctl show -P MainPID jublk@t)
    if [ "$(systemctl is-active jublk@t)" = active ] && [ "$new" != 0 ] && [ "$new" != "$old" ]; then break; fi
    sleep 1
done
[ "$(systemctl is-active jublk@t)" = active ] && [ "$new" != "$old" ] || fail "the unit did not come back within 180 s"
echo "  unit restarted by systemd: server $old -> $new ($(systemctl show -P NRestarts jublk@t) restart)"
# A unit's server logs to the journal (stderr), not to /run/jublk.
journalctl --no-pager -u jublk@t | grep 'recovering device 4' | sed 's/^/  journal: /'
journalctl --no-pager -u jublk@t | grep -q 'recovering device 4' || fail "the new server did not recover the disk"
cmp -n $((32 << 20)) /tmp/pattern /dev/ublkb4 || fail "data lost across the kill and restart"
echo "  the 32 MiB written before the kill read back"
if is_7x; then
    pass
    scenario=t_systemd_restart_is_a_live_upgrade
    # Live upgrade of a unit's server (7.x, QUIESCE): 'ublk restart' hands the disk over, the old
    # server exits 75, systemd starts the unit again (RestartForceExitStatus=) and the new
    # server takes the disk over -- under fio with verify, which must see no error.
    w0=$(awk '{print $5}' /sys/block/ublkb4/stat)
    fio --name=up --filename=/dev/ublkb4 --direct=1 --ioengine=io_uring --rw=randwrite --bs=16k --iodepth=32 \
        --offset=64M --size=48M --rate=4m --verify=crc32c --verify_fatal=1 --do_verify=1 > /tmp/fio-up.out 2>&1 &
    fp=$!
    # The restart comes under I/O: once fio's first writes completed (not after a fixed sleep).
    for i in $(seq 1 300); do [ "$(awk '{print $5}' /sys/block/ublkb4/stat)" -gt "$w0" ] && break; sleep 0.2; done
    [ "$(awk '{print $5}' /sys/block/ublkb4/stat)" -gt "$w0" ] || fail "no write of fio reached the disk within 60 s"
    before=$(systemctl show -P MainPID jublk@t)
    out=$(timeout 300 "$U" restart -n 4 2>&1) || fail "ublk restart -n 4: $out"
    echo "  ublk restart: $out"
    # restart returns once the new server serves the disk; its READY=1 to systemd follows.
    for i in $(seq 1 30); do [ "$(systemctl is-active jublk@t)" = active ] && break; sleep 1; done
    [ "$(systemctl is-active jublk@t)" = active ] || fail "the unit is not active 30 s after restart"
    after=$(systemctl show -P MainPID jublk@t)
    [ "$after" != "$before" ] && [ "$after" != 0 ] || fail "the unit's server is still $before after restart"
    printf '%s' "$out" | grep -q "pid $after " || fail "restart named another pid than the unit's new server $after"
    printf '%s' "$out" | grep -q "jublk@t.service" || fail "restart did not name the unit whose server took over"
    journalctl --no-pager -u jublk@t | grep -q 'status=75' || fail "the old server did not exit with 75"
    timeout 300 tail --pid=$fp -f /dev/null || fail "fio still running 300 s after the restart"
    wait $fp || { tail -n 20 /tmp/fio-up.out; fail "fio saw an error across the restart"; }
    cmp -n $((32 << 20)) /tmp/pattern /dev/ublkb4 || fail "data lost across the live upgrade"
    echo "  live upgrade: server $before -> $after by systemd, fio with verify clean, earlier data intact"
fi
timeout 120 systemctl stop jublk@t || fail "systemctl stop"
[ ! -e /sys/class/ublk-char/ublkc4 ] || fail "the disk is still there after systemctl stop"
[ -z "$(ls /run/jublk/mem 2>/dev/null)" ] || fail "store file left after stop"
echo "  systemctl stop removed the disk and its data"
pass
if is_7x; then
    scenario=t_recoverable_queue_failure_under_unit_recovers
    # A queue of a --recoverable unit's server fails (test fault: a read of sector 16384 ends the
    # queue thread, once): the server exits 70, systemd starts the unit again
    # (RestartForceExitStatus=), the new server takes the disk over, and the read that was in
    # flight completes -- the disk never went away and its data is intact.
    marker=/run/jublk-test-q-fault-fired
    rm -f "$marker"
    mkdir -p /etc/systemd/system/jublk@q.service.d
    printf '[Service]\nEnvironment=JUBLK_TEST_FAULT=exit-queue-once:16384:%s\n' "$marker" \
        > /etc/systemd/system/jublk@q.service.d/fault.conf
    echo 'OPTIONS=--size 64M -n 5 -q 2 --recoverable' > /etc/jublk/q.conf
    systemctl daemon-reload
    timeout 180 systemctl start jublk@q || fail "systemctl start jublk@q"
    head -c $((4 << 20)) /dev/urandom > /tmp/pattern-q
    dd if=/tmp/pattern-q of=/dev/ublkb5 bs=1M oflag=direct status=none || fail "write"
    old=$(systemctl show -P MainPID jublk@q)
    t0=$SECONDS
    # In the background: a read nothing completes waits in D state, beyond any timeout's signal.
    dd if=/dev/ublkb5 of=/tmp/read-q bs=4k skip=2048 count=1 iflag=direct status=none & ddp=$!
    for i in $(seq 180); do kill -0 "$ddp" 2>/dev/null || break; sleep 1; done
    if kill -0 "$ddp" 2>/dev/null; then
        fail "the read that failed the queue still waits after 180 s: nothing took the disk over" \
            "(unit $(systemctl is-active jublk@q), exit of the old server: $(systemctl show -P ExecMainStatus jublk@q))"
    fi
    wait "$ddp" || fail "the read that failed the queue ended with an error after the restart"
    [ -f "$marker" ] || fail "the test fault did not fire"
    for i in $(seq 1 60); do [ "$(systemctl is-active jublk@q)" = active ] && break; sleep 1; done
    new=$(systemctl show -P MainPID jublk@q)
    [ "$(systemctl is-active jublk@q)" = active ] && [ "$new" != "$old" ] && [ "$new" != 0 ] \
        || fail "the unit is not active with a new server (was $old, now $new)"
    journalctl --no-pager -u jublk@q | grep -q 'status=70' || fail "the failed server did not exit with 70"
    journalctl --no-pager -u jublk@q | grep -q 'recovering device 5' || fail "the new server did not recover the disk"
    cmp -n $((4 << 20)) /tmp/pattern-q /dev/ublkb5 || fail "data lost across the queue failure"
    echo "  queue failed, server $old exited 70, systemd started $new ($(systemctl show -P NRestarts jublk@q) restart)," \
        "the read in flight completed after $((SECONDS - t0)) s, the 4 MiB written before read back"
    timeout 120 systemctl stop jublk@q || fail "systemctl stop jublk@q"
    [ ! -e /sys/class/ublk-char/ublkc5 ] || fail "the disk is still there after systemctl stop"
    pass
fi
echo "VM: $passed passed, $((total - passed)) failed"
