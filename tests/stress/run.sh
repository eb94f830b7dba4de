#!/bin/bash
# Server start/stop stress in the test VM, to count crashes (issue 9; README "Stress").
#   tests/stress/run.sh [--iterations N] [--tcg multi|single] [--jvm-opts "FLAGS"]
# Each iteration starts two servers (so N iterations = 2N starts), alternating the copy
# modes (user_copy, buffer) and 1/2 queues, runs fio verify on both at once and stops them.
# --tcg picks QEMU's TCG threading (multi: one host thread per vCPU, the default; single:
# all vCPUs on one host thread) — the experiment that tells emulator faults from ours.
# --jvm-opts adds server JVM flags (e.g. -XX:-TieredCompilation). Needs 'mvn package' first.
set -euo pipefail
cd "$(dirname "$0")/../.."
iterations=100; tcg=multi; jvm_opts=""
while [ $# -gt 0 ]; do
    case "$1" in
        --iterations) iterations=$2; shift 2 ;;
        --tcg) tcg=$2; shift 2 ;;
        --jvm-opts) jvm_opts=$2; shift 2 ;;
        *) echo "usage: run.sh [--iterations N] [--tcg multi|single] [--jvm-opts FLAGS]" >&2; exit 2 ;;
    esac
done
export JUBLK_VM_OUT=${JUBLK_VM_OUT:-$PWD/target/stress-$tcg}
rm -rf "$JUBLK_VM_OUT"; mkdir -p "$JUBLK_VM_OUT"
export JUBLK_VM_GUEST_ENV="JUBLK_JAVA_OPTS=$jvm_opts"
bash tests/vm/vm.sh --timeout $((iterations * 60 + 300)) --tcg "$tcg" tests/stress/guest.sh "$iterations"
