#!/bin/bash
# The experiment behind the kill scenarios' fio guard (run in the VM, not by the suite):
#   bash tests/vm/vm.sh --kernel 6.12 tests/vm/fio-file-race.sh
# A fio that opens /dev/ublkbN only after the disk's server was killed (fio starts slowly under
# emulation) finds no node, creates a regular file of that name in /dev and runs its whole time
# on it; the next disk with that id then gets no node. With --allow_file_create=0 it fails at once.
set -uo pipefail
cd "$(dirname "$0")/../.."
U=packaging/ublk
dev=$($U add -t ram --size 64M) || exit 1
pid=$(pgrep -f 'io.jublk.cli.Main add' | head -n 1)
kill -9 "$pid"; sleep 2
echo "after kill -9 of the server: $(ls -l "$dev" 2>&1)"
fio --name=late --filename="$dev" --direct=0 --rw=randwrite --bs=4k --size=64M --time_based --runtime=15 \
    > /tmp/late.out 2>&1 &
fp=$!; sleep 8
echo "plain fio 8 s later: $(kill -0 $fp 2>/dev/null && echo running || echo ended); $dev is now: $(stat -c %F "$dev" 2>&1)"
kill $fp 2>/dev/null; wait $fp 2>/dev/null; rm -f "$dev"
fio --allow_file_create=0 --name=late --filename="$dev" --direct=0 --rw=randwrite --bs=4k --size=64M \
    --time_based --runtime=15 > /tmp/late2.out 2>&1; rc=$?
echo "with --allow_file_create=0: exit $rc, $(grep -m1 'disallowed' /tmp/late2.out), $dev: $(stat -c %F "$dev" 2>&1)"
$U del -n "${dev#/dev/ublkb}" >/dev/null 2>&1
