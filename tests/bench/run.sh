#!/bin/bash
# Benchmark: identical fio jobs on a jublk RAM disk and on brd (the kernel's RAM disk),
# in ONE boot of the test VM, reported as a table and JSON with the ratio to brd.
# It reports; it never fails for speed.
# Usage: bash tests/bench/run.sh [--runtime S] [--size MiB] [--configs "LABEL=ADD-ARGS;LABEL=ADD-ARGS..."]
#   e.g. --configs "default=;poll=--poll;q2=-q 2" (each LABEL is one jublk disk made with 'ublk add -t ram ARGS')
# Results: target/bench/results.json and target/bench/report.txt
set -euo pipefail
cd "$(dirname "$0")/../.."
runtime=8; size=256
configs="user_copy=--copy-mode user_copy;poll=--copy-mode user_copy --poll;q2=--copy-mode user_copy -q 2;buffer=--copy-mode buffer"
while [ $# -gt 0 ]; do
    case "$1" in
        --runtime) runtime=$2; shift 2 ;;
        --size) size=$2; shift 2 ;;
        --configs) configs=$2; shift 2 ;;
        *) echo "usage: run.sh [--runtime SECONDS] [--size MiB] [--configs 'LABEL=ADD-ARGS;...']" >&2; exit 2 ;;
    esac
done
bash tests/setup-host.sh
[ -f target/jublk.jar ] || mvn -B -q package -DskipTests
export JUBLK_VM_OUT=$PWD/target/bench
rm -rf "$JUBLK_VM_OUT"; mkdir -p "$JUBLK_VM_OUT"
printf 'runtime=%q size=%q configs=%q\n' "$runtime" "$size" "$configs" > "$JUBLK_VM_OUT/params"
load=$(cut -d' ' -f1 /proc/loadavg)
echo "host load average before the run: $load (benchmark on a quiet machine: a busy host halves ublk's ratios)"
bash tests/vm/vm.sh --timeout 3000 tests/bench/guest.sh
python3 tests/bench/report.py "$JUBLK_VM_OUT" | tee "$JUBLK_VM_OUT/report.txt"
