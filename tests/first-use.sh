#!/bin/bash
# First-use checks: what a machine that never ran jublk would fetch, fetched again on every
# run of the suite, so a broken first-use path fails the suite even on a warm machine (the
# kernel cache, the Maven repository and apt's lists of a warm machine hide it otherwise).
#   1. each VM kernel line is fetched into an empty cache and compared with the cache the VM
#      tests boot from (same version, vmlinuz, module list and load order, uapi header);
#   2. the packages tests/setup-host.sh installs resolve, with their dependencies, from
#      Debian 12's own archive onto an empty system (apt-get --simulate with a private apt
#      state: neither this machine's sources nor what it has installed can hide a missing one).
# (The Maven half is run-all.sh's own build: it resolves into an empty local repository.)
# Prints one PASS/FAIL line per check and writes "passed failed" to target/first-use-counts.
# Usage: bash tests/first-use.sh   (needs the network to Debian's archive, like setup-host.sh)
set -uo pipefail
cd "$(dirname "$0")/.."
. tests/vm/kernel.sh
mkdir -p target
rm -f target/first-use-counts
pass=0; fail=0
ok()  { echo "PASS first-use: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL first-use: $*"; fail=$((fail + 1)); }
scratch=$(mktemp -d /tmp/jublk-first-use.XXXXXX)
trap 'rm -rf "$scratch"' EXIT

# What the VM boots from, as one text: everything but the initramfs (rebuilt from these). Each
# part is listed on its own, so a file missing on one side shows as a difference.
kernel_fingerprint() {  # $1 kernel folder
    cd "$1" || return
    cat ready; sha256sum vmlinuz modules/*.ko 2>&1; cat modules/load-order 2>&1
    [ ! -f ublk_cmd.h ] || sha256sum ublk_cmd.h
}

warm_cache=$JUBLK_VM_CACHE
for line in 6.12 7.3; do
    fresh=$scratch/$line
    mkdir -p "$fresh"
    start=$SECONDS
    # A fresh machine has no kernel folder or pin of its own: neither may stand in for the fetch.
    if ! got=$(env -u JUBLK_VM_KERNEL_DIR -u JUBLK_VM_KERNEL_PIN JUBLK_VM_KERNEL=$line JUBLK_VM_CACHE="$fresh" \
            bash -c '. tests/vm/kernel.sh && vm_kernel_dir' 2> "$fresh.log") || [[ "$got" != "$fresh"/* ]]; then
        bad "$line kernel: a fetch into an empty cache failed: $(tr '\n' ' ' < "$fresh.log")"
    elif ! used=$(JUBLK_VM_KERNEL=$line JUBLK_VM_CACHE=$warm_cache vm_kernel_dir 2>/dev/null); then
        bad "$line kernel: fetched fresh ($(cat "$got/ready")), but the VM tests' cache $warm_cache has none"
    elif [ "$(cat "$got/ready")" != "$(cat "$used/ready")" ]; then
        bad "$line kernel: the VM tests boot $(cat "$used/ready") (cached), a fresh machine gets $(cat "$got/ready"):" \
            "the pinned kernel is no longer served; move the pin in tests/vm/kernel.sh"
    elif ! diff <(kernel_fingerprint "$got") <(kernel_fingerprint "$used") > "$fresh.diff"; then
        bad "$line kernel $(cat "$got/ready"): a fresh fetch differs from what the VM tests boot ($used): $(head -c 400 "$fresh.diff" | tr '\n' ' ')"
    else
        ok "$line kernel fetched into an empty cache in $((SECONDS - start)) s: $(cat "$got/ready"), $(wc -l < "$got/modules/load-order") modules, same as $used"
    fi
done

# Debian 12's archive (main, updates, security), its lists in a private state under $scratch,
# and an empty package status: every package and dependency must come from the archive.
apt_state=$scratch/apt
private_apt_init "$apt_state" "debian bookworm" "debian bookworm-updates" "debian-security bookworm-security"
: > "$apt_state/status"
fresh_apt() { private_apt "$apt_state" apt-get "$@"; }
mapfile -t wanted < <(bash tests/setup-host.sh --print-packages)
if [ ${#wanted[@]} -eq 0 ]; then
    bad "tests/setup-host.sh --print-packages listed no package"
elif ! fresh_apt update --error-on=any -q > "$scratch/apt-update.log" 2>&1; then
    bad "apt-get update of Debian 12's archive failed: $(tail -n 3 "$scratch/apt-update.log" | tr '\n' ' ')"
elif ! fresh_apt -s install --no-install-recommends "${wanted[@]}" > "$scratch/apt-sim.log" 2>&1; then
    bad "the packages setup-host.sh installs do not resolve on a fresh Debian 12: $(grep -E '^E:|^ ' "$scratch/apt-sim.log" | head -n 5 | tr '\n' ' ')"
else
    ok "the ${#wanted[@]} packages setup-host.sh installs resolve from Debian 12's archive onto an empty system ($(grep -c '^Inst' "$scratch/apt-sim.log") to install)"
fi

echo "$pass $fail" > target/first-use-counts
[ "$fail" -eq 0 ]
