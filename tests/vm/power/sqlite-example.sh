#!/bin/bash
# The README's worked example (run in the test VM: bash tests/vm/vm.sh tests/vm/power/sqlite-example.sh):
# a small SQLite program checked for crash consistency with a simulated power cut, once with
# synchronous=FULL and once with synchronous=OFF. Prints the commands and their real output.
set -u
ROOT=$(pwd); U="$ROOT/packaging/ublk"; PW="$ROOT/tests/vm/power"
run() { echo "# $*"; "$@"; }
for sync in FULL OFF; do
    echo "## synchronous=$sync"
    dev=$(run "$U" add -t ram --size 128M -n 5 --cache writeback) || exit 1
    echo "$dev"
    mkfs.ext4 -q "$dev" && mkdir -p /mnt/db && mount "$dev" /mnt/db || exit 1
    rm -f /tmp/committed
    echo "# python3 sqlite-writer.py /mnt/db/app.db /tmp/committed $sync &   (commits one row at a time, logs each id once COMMIT returned)"
    python3 "$PW/sqlite-writer.py" /mnt/db/app.db /tmp/committed "$sync" & w=$!
    sleep 5
    run "$U" powercut -n 5 --lose random:42
    kill -9 "$w" 2>/dev/null; wait "$w" 2>/dev/null
    echo "# (the program's last committed id: $(tail -n 1 /tmp/committed))"
    umount /mnt/db
    run "$U" poweron -n 5
    mount "$dev" /mnt/db
    echo "# python3 sqlite-writer.py /mnt/db/app.db /tmp/committed check"
    python3 "$PW/sqlite-writer.py" /mnt/db/app.db /tmp/committed check
    run "$U" stats -n 5 | grep '^cache'
    umount /mnt/db
    "$U" del -n 5 > /dev/null
done
