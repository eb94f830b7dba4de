#!/bin/bash
# The main job (README's first command): install, build, then create a RAM disk, put
# ext4 on it, write and read a file, and delete it — on this machine if its kernel has
# ublk, otherwise inside the test VM (Debian 6.12 kernel under QEMU).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/setup-host.sh
echo "== building"
mvn -B -q package -DskipTests
if [ -e /dev/ublk-control ] || modprobe ublk_drv 2>/dev/null; then
    bash tests/demo-session.sh
else
    echo "== this kernel has no ublk: running the demo in the test VM"
    bash tests/vm/vm.sh --timeout 900 tests/demo-session.sh
fi
