#!/bin/bash
# Guest script (tests/vm/vm.sh): where a queue-depth-1 request's time goes. The same 4 KiB
# random-read job at iodepth 1 on brd, on jublk's null target (per-tag, per-tag with the
# server polling, batched) and, if installed, ublksrv's null target; prints completion
# latency percentiles (µs) per device. Compare rows within one run only.
#   JUBLK_VM_TCG=multi [JUBLK_VM_APPEND=idle=poll] tests/vm/vm.sh --kernel 7.3 tests/bench/qd1-latency.sh [SECONDS]
set -uo pipefail
runtime=${1:-5}
U=packaging/ublk
insmod "$JUBLK_VM_MODULES/brd.ko" rd_nr=1 rd_size=$((64 * 1024)) max_part=0
echo "kernel $(uname -r), cmdline: $(cat /proc/cmdline)"
grep -qw monitor /proc/cpuinfo && echo "CPU has MONITOR/MWAIT" || echo "no MONITOR/MWAIT"
echo "clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)," \
     "cpuidle $(cat /sys/devices/system/cpu/cpuidle/current_driver 2>/dev/null || echo none)"
devices="brd=/dev/ram0"
# --no-part-scan where the kernel has it (chosen from the feature list, so a failed add is not retried)
noscan=""; $U features | grep -q ' NO_AUTO_PART_SCAN ' && noscan=--no-part-scan
add() { local label=$1; shift; local dev; dev=$($U add --size 64M $noscan "$@") && devices="$devices $label=$dev" \
    || echo "$label: ublk add failed; left out"; }
add null -t null
add null-poll -t null --poll
$U features | grep -q ' BATCH_IO ' && add null-batch -t null --batch-io
if [ -x "${JUBLK_BENCH_UBLKSRV:-/opt/ublksrv/sbin/ublk}" ]; then
    before=$(ls /dev/ublkb* | sort)
    timeout 60 "${JUBLK_BENCH_UBLKSRV:-/opt/ublksrv/sbin/ublk}" add -t null -q 1 -d 128 --size 64M > /dev/null 2>&1 \
        && devices="$devices ublksrv-null=$(comm -13 <(echo "$before") <(ls /dev/ublkb* | sort) | head -n 1)"
fi
printf '%-12s %8s %8s %8s %8s %8s %10s\n' device p1 p50 p90 p99 p99.9 IOPS
for d in $devices; do
    label=${d%%=*}; dev=${d#*=}
    fio --name=qd1 --filename="$dev" --direct=1 --ioengine=io_uring --rw=randread --bs=4k --iodepth=1 \
        --time_based --runtime="$runtime" --size=64M --output-format=json > /tmp/qd1.json 2>/dev/null || { echo "$label: fio failed"; continue; }
    python3 -c '
import json, sys
j = json.load(open("/tmp/qd1.json"))["jobs"][0]["read"]
p = j["clat_ns"]["percentile"]
us = lambda k: "%.0f" % (p[k] / 1000)
print("%-12s %8s %8s %8s %8s %8s %10.0f" % (sys.argv[1], us("1.000000"), us("50.000000"), us("90.000000"),
      us("99.000000"), us("99.900000"), j["iops"]))' "$label"
done
$U del -a > /dev/null 2>&1
