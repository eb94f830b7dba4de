#!/bin/bash
# The README's worked example (in the test VM: bash tests/vm/vm.sh tests/vm/power/sqlite-example.sh):
# a small SQLite program commits 100 transactions, and the power fails right after the last
# COMMIT returned. Which settings keep all 100? Prints the commands and their real output.
# ext4 is mounted with commit=60 so that its own periodic journal commit (every 5 s, with a
# flush) does not happen in the seconds between the last COMMIT and the cut.
set -u
ROOT=$(pwd); U="$ROOT/packaging/ublk"; PW="$ROOT/tests/vm/power"
dev=$("$U" add -t ram --size 128M -n 5 --cache writeback) || exit 1
echo "# ublk add -t ram --size 128M -n 5 --cache writeback"; echo "$dev"
for setting in "DELETE FULL" "DELETE EXTRA" "WAL FULL" "WAL OFF"; do
    set -- $setting
    echo; echo "## journal_mode=$1, synchronous=$2"
    mkfs.ext4 -q "$dev" && mkdir -p /mnt/db && mount -o commit=60 "$dev" /mnt/db || exit 1
    rm -f /tmp/committed
    echo "# python3 sqlite-writer.py /mnt/db/app.db /tmp/committed $2 $1 100"
    python3 "$PW/sqlite-writer.py" /mnt/db/app.db /tmp/committed "$2" "$1" 100
    echo "# (committed: ids 1 to $(tail -n 1 /tmp/committed))"
    echo "# ublk powercut -n 5"
    "$U" powercut -n 5
    umount /mnt/db
    echo "# ublk poweron -n 5"
    "$U" poweron -n 5
    mount "$dev" /mnt/db
    echo "# python3 sqlite-writer.py /mnt/db/app.db /tmp/committed check"
    python3 "$PW/sqlite-writer.py" /mnt/db/app.db /tmp/committed check
    umount /mnt/db
done
"$U" del -n 5 > /dev/null
