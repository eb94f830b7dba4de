#!/bin/bash
# Benchmark: identical fio jobs on brd (the kernel's RAM disk), jublk's RAM disk, jublk's null
# target and, when installed, ublksrv's null target (the C reference), in ONE boot of the test VM
# per kernel, RUNS rounds of every job; reported as a table (median and spread of the rounds)
# and JSON with the ratio to brd. It reports; it never fails for speed.
# Usage: bash tests/bench/run.sh [--kernel 6.12|7.3] [--runs N] [--runtime S] [--size MiB]
#                                [--configs "LABEL=ADD-ARGS;LABEL=ADD-ARGS..."] [--jobs "JOB JOB..."]
#   e.g. --configs "ram=-t ram;poll=-t ram --poll;q2=-t ram -q 2" (each LABEL: one 'ublk add ARGS' disk)
# JUBLK_BENCH_UBLKSRV=/opt/ublksrv/sbin/ublk adds ublksrv's null target (and --batch-io on 7.x).
# Results: target/bench/KERNEL/results.json, report.txt and ratios.png (the picture; the README shows
# a copy, tests/bench/ratios.png)
set -euo pipefail
cd "$(dirname "$0")/../.."
runtime=8; size=256; runs=3; kernel=6.12; only=""
configs="ram=-t ram;null=-t null"
while [ $# -gt 0 ]; do
    case "$1" in
        --runtime) runtime=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --jobs) only=$2; shift 2 ;;
        --kernel) kernel=$2; shift 2 ;;
        --size) size=$2; shift 2 ;;
        --configs) configs=$2; shift 2 ;;
        *) echo "usage: run.sh [--kernel 6.12|7.3] [--runs N] [--runtime SECONDS] [--size MiB] [--configs 'LABEL=ADD-ARGS;...'] [--jobs 'read-1m-qd8 ...']" >&2; exit 2 ;;
    esac
done
bash tests/setup-host.sh
[ -f target/jublk.jar ] || mvn -B -q package -DskipTests
export JUBLK_VM_OUT=$PWD/target/bench/$kernel
rm -rf "$JUBLK_VM_OUT"; mkdir -p "$JUBLK_VM_OUT"
printf 'runtime=%q size=%q runs=%q configs=%q ublksrv=%q only=%q\n' "$runtime" "$size" "$runs" "$configs" \
    "${JUBLK_BENCH_UBLKSRV:-}" "$only" > "$JUBLK_VM_OUT/params"
load=$(cut -d' ' -f1 /proc/loadavg)
echo "host load average before the run: $load (benchmark on a quiet machine: a busy host halves ublk's ratios)"
# Multi-threaded TCG unless told otherwise: under single-threaded TCG the two vCPUs share one
# host thread, so the server's work and fio's are serialized and every ublk ratio is understated
# (tests/bench/README.md: 1 MiB reads 1.37x brd under multi, far lower under single).
# CPU model max without ERMS: QEMU's TCG runs 'rep movsb' a byte at a time, and a guest whose CPU
# reports ERMS (but not FSRM) uses it for copy_to_user/copy_from_user — the copy 7.x's ublk uses
# for request data, while brd (and 6.12's ublk) copy with memcpy. With ERMS a 1 MiB read through any
# ublk server on 7.3 ran at 0.17x brd, without it 1.01x (tests/bench/README.md): an artifact of the
# emulator, not of the servers, which real CPUs (fast rep movsb) do not have.
JUBLK_VM_CPU=${JUBLK_VM_CPU:-max,-erms} JUBLK_VM_TCG=${JUBLK_VM_TCG:-multi} bash tests/vm/vm.sh --kernel "$kernel" --timeout 5400 tests/bench/guest.sh
python3 tests/bench/report.py "$JUBLK_VM_OUT" | tee "$JUBLK_VM_OUT/report.txt"
