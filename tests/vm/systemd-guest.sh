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
echo 0 1 > "$OUT/vm-counts"
fail() { echo "FAIL: $*"; systemctl status --no-pager 'jublk@*' 2>&1 | tail -n 20; journalctl --no-pager -n 40 2>&1 | tail -n 40; echo "FAIL t_systemd_restarts_a_killed_server_with_its_data"; echo "VM: 0 passed, 1 failed"; exit 1; }

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
timeout 120 systemctl stop jublk@t || fail "systemctl stop"
[ ! -e /sys/class/ublk-char/ublkc4 ] || fail "the disk is still there after systemctl stop"
[ -z "$(ls /run/jublk/mem 2>/dev/null)" ] || fail "store file left after stop"
echo "  systemctl stop removed the disk and its data"
echo "PASS t_systemd_restarts_a_killed_server_with_its_data"
echo "1 0" > "$OUT/vm-counts"
echo "VM: 1 passed, 0 failed"
