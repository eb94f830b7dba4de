#!/bin/bash
# The whole test suite (README's test command; .ci/run calls exactly this):
#   1. install what is missing (tests/setup-host.sh), then check the first-use paths again
#      (tests/first-use.sh: each VM kernel fetched into an empty cache, apt candidates),
#   2. build and run the host unit tests (mvn package, resolving into an EMPTY local Maven
#      repository: the first build of a fresh machine, every run), build the RPM and check it,
#   3. boot the VM once per kernel and run the VM scenarios (tests/vm/suite.sh) against
#      real /dev/ublkbN devices: all of them on Debian's 6.12, the core set on 7.3,
# then print one closing line "N passed, N failed" covering both tiers.
set -uo pipefail
cd "$(dirname "$0")/.."
# Prints "passed failed" from a counts file, or "0 1" when it is missing or not two numbers
# (a VM killed at its limit can leave it empty).
read_counts() {
    local p="" f=""
    read -r p f 2>/dev/null < "$1" || true
    if [[ "$p" =~ ^[0-9]+$ && "$f" =~ ^[0-9]+$ ]]; then echo "$p $f"; else echo "0 1"; fi
}

bash tests/setup-host.sh || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }

echo "== first use: what a machine that never ran jublk fetches"
rm -f target/first-use-counts
bash tests/first-use.sh
first_rc=$?
read -r first_pass first_fail < <(read_counts target/first-use-counts)
[ "$first_rc" -eq 0 ] || [ "$first_fail" -gt 0 ] || first_fail=1

echo "== build and host unit tests (Maven from an empty local repository)"
m2=$(mktemp -d /tmp/jublk-m2.XXXXXX)
trap 'rm -rf "$m2"' EXIT
rm -rf target/surefire-reports   # only this run's reports count
JUBLK_REQUIRE_NEWEST_HEADER=1 mvn -B -q -Dmaven.repo.local="$m2" package -Dmaven.test.failure.ignore=true 2>&1 \
    | grep -v '^\[INFO\]' | grep -v '^$'
build_rc=${PIPESTATUS[0]}
read -r host_pass host_fail < <(python3 - <<'PY'
import glob, xml.etree.ElementTree as ET
t = f = 0
for p in glob.glob("target/surefire-reports/TEST-*.xml"):
    r = ET.parse(p).getroot()
    t += int(r.get("tests", 0)) - int(r.get("skipped", 0))
    f += int(r.get("failures", 0)) + int(r.get("errors", 0))
print(t - f, f) if t else print(0, 1)  # no test ran: that is a failure, not a pass
PY
)
host_pass=${host_pass:-0}; host_fail=${host_fail:-1}
echo "host: $host_pass passed, $host_fail failed"
if [ "$build_rc" -ne 0 ] || [ ! -f target/jublk.jar ]; then
    echo "build failed (mvn exit $build_rc)"
    echo "$((host_pass + first_pass)) passed, $((host_fail + first_fail + 1)) failed"
    exit 1
fi

echo "== RPM package (built with Debian's rpm) and its checks"
rpm_pass=0; rpm_fail=1
if rpm_path=$(bash packaging/build-rpm.sh | tail -n 1) && [ -f "$rpm_path" ]; then
    bash tests/rpm/check-rpm.sh "$rpm_path"
    read -r rpm_pass rpm_fail < <(read_counts target/rpm/check-counts)
else
    echo "the RPM build failed"
fi

# One VM boot per kernel: the full suite on 6.12 (the LTS), the core set on 7.3 (every
# kernel-dependent feature plus data integrity, filesystem, discard, flush, kill -9).
# The two VMs run at the same time: under single-threaded TCG a VM keeps one host core busy,
# so on this 2-core machine the 7.3 run fits beside the 6.12 one instead of after it. The
# 6.12 run shows live; the 7.3 run's output is kept and printed when both have ended.
run_vm() {  # $1 kernel line, $2 time limit in seconds, then suite.sh arguments
    local kernel=$1 limit=$2; shift 2
    local pass=0 fail=1 rc
    echo "== VM tests on Debian's $kernel kernel under QEMU (${*:-full suite})"
    export JUBLK_VM_OUT=$PWD/target/vm-results/$kernel
    bash tests/vm/vm.sh --kernel "$kernel" --timeout "${JUBLK_VM_TIMEOUT:-$limit}" tests/vm/suite.sh "$@"
    rc=$?
    if [ -f "$JUBLK_VM_OUT/vm-counts" ]; then
        read -r pass fail < <(read_counts "$JUBLK_VM_OUT/vm-counts")
    else
        echo "the $kernel VM suite did not report results (vm.sh exit $rc)"
    fi
    [ "$rc" -eq 0 ] || [ "$fail" -gt 0 ] || fail=1
    echo "$pass $fail" > "target/vm-results/$kernel.counts"
}
# The systemd scenarios: boots with systemd as PID 1, after the 7.3 run in its slot — on 7.3
# (kill -9 recovery and 'ublk restart' as a live upgrade of the unit) and on 6.12 (the recovery).
run_systemd_vm() {  # $1 kernel
    local pass=0 fail=1 rc
    echo "== VM test of jublk@.service with systemd as PID 1 (kernel $1)"
    export JUBLK_VM_OUT=$PWD/target/vm-results/systemd-$1
    mkdir -p "$JUBLK_VM_OUT"
    bash tests/vm/vm.sh --kernel "$1" --systemd --timeout "${JUBLK_VM_SYSTEMD_TIMEOUT:-600}" tests/vm/systemd-guest.sh
    rc=$?
    read -r pass fail < <(read_counts "$JUBLK_VM_OUT/vm-counts")
    [ "$rc" -eq 0 ] || [ "$fail" -gt 0 ] || fail=1
    echo "$pass $fail" > "target/vm-results/systemd-$1.counts"
}
# The scenarios that need a VM with 14 GiB of memory (BIG_MEMORY in suite.sh: 9 GiB written to a
# write-back disk without a flush, ~150 s), after the 7.3 systemd boot in its lane: the 4 GiB 6.12
# VM beside it leaves room on a 23 GiB machine; on a smaller one the run fails saying so.
run_big_vm() {  # $1 kernel
    local pass=0 fail=1 rc avail
    echo "== VM tests with 14 GiB of memory (kernel $1)"
    export JUBLK_VM_OUT=$PWD/target/vm-results/big-$1
    mkdir -p "$JUBLK_VM_OUT"
    avail=$(awk '/MemAvailable/ {print int($2 / 1024)}' /proc/meminfo)
    if [ "$avail" -lt 15000 ]; then
        echo "not run: the host has $avail MiB available, the VM needs 14336 MiB plus room for the other VM"
    else
        bash tests/vm/vm.sh --kernel "$1" --mem 14336 --timeout "${JUBLK_VM_BIG_TIMEOUT:-600}" \
            tests/vm/suite.sh t_writeback_nine_gib_unflushed_survives
        rc=$?
        read -r pass fail < <(read_counts "$JUBLK_VM_OUT/vm-counts")
        [ "$rc" -eq 0 ] || [ "$fail" -gt 0 ] || fail=1
    fi
    echo "$pass $fail" > "target/vm-results/big-$1.counts"
}
rm -rf target/vm-results; mkdir -p target/vm-results/6.12 target/vm-results/7.3
# (Both kernels were fetched by setup-host.sh, so the two runs do not both go to apt.)
# Limits: at the machine's usual speed each lane takes ~2100 s under single-threaded TCG on this
# 2-core machine (6.12: the full suite, then its systemd boot; 7.3: the core set, its systemd boot,
# the 14 GiB boot). On 2026-11-27 it ran every scenario ~1.6x slower for hours, so the limits
# leave room for that: 6.12 3600 + 600 s, 7.3 3300 + 600 + 600 s, with the ~120 s before the VMs
# under CI's 90-minute hard limit. They are a last resort: a scenario stuck in the kernel ends the
# suite at once (suite.sh, WEDGED), and the counts the suite keeps up to date survive a VM killed
# at its limit.
{ run_vm 7.3 3300 --core; run_systemd_vm 7.3; run_big_vm 7.3; } > target/vm-results/7.3.out 2>&1 &
vm73=$!
run_vm 6.12 3600; run_systemd_vm 6.12
wait "$vm73"
cat target/vm-results/7.3.out
vm_pass=0; vm_fail=0; per_kernel=""
for kernel in 6.12 7.3 systemd-7.3 systemd-6.12 big-7.3; do
    read -r pass fail < <(read_counts "target/vm-results/$kernel.counts")
    vm_pass=$((vm_pass + pass)); vm_fail=$((vm_fail + fail))
    per_kernel="$per_kernel; VM $kernel: $pass passed, $fail failed"
done

passed=$((first_pass + host_pass + rpm_pass + vm_pass)); failed=$((first_fail + host_fail + rpm_fail + vm_fail))
echo "first use: $first_pass passed, $first_fail failed; host: $host_pass passed, $host_fail failed; RPM: $rpm_pass passed, $rpm_fail failed$per_kernel"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
