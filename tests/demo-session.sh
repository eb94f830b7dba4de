#!/bin/bash
# A user's session with jublk; every command is echoed with its output.
set -euo pipefail
cd "$(dirname "$0")/.."
ublk() { echo "# ublk $*" >&2; packaging/ublk "$@"; }
run() { echo "# $*" >&2; "$@"; }
dev=$(ublk add -t ram --size 1G)
echo "$dev"
ublk list
run mkfs.ext4 -q "$dev"
mkdir -p /mnt/ramdisk
run mount "$dev" /mnt/ramdisk
head -c 50000000 /dev/urandom > /tmp/demo-file
run cp /tmp/demo-file /mnt/ramdisk/file
run sync
run umount /mnt/ramdisk
run mount "$dev" /mnt/ramdisk
run cmp /tmp/demo-file /mnt/ramdisk/file && echo "file read back intact"
run df -h /mnt/ramdisk | tail -n 1
ublk list
run umount /mnt/ramdisk
ublk del -n "${dev#/dev/ublkb}"
ublk list
echo "demo OK"
