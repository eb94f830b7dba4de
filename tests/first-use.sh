#!/bin/bash
# First-use checks: what a machine that never ran jublk would fetch, fetched again on every
# run of the suite, so a broken first-use path fails the suite even on a warm machine (the
# kernel cache, the Maven repository and apt's lists of a warm machine hide it otherwise).
#   1. each VM kernel line is fetched into an empty cache and compared with the cache the VM
#      tests boot from (same version, vmlinuz, module list and load order, uapi header);
#   2. every package tests/setup-host.sh installs has an install candidate in apt's lists.
# (The Maven half is run-all.sh's own build: it resolves into an empty local repository.)
# Prints one PASS/FAIL line per check and writes "passed failed" to target/first-use-counts.
# Usage: bash tests/first-use.sh   (needs the network to Debian's archive, like setup-host.sh)
set -uo pipefail
cd "$(dirname "$0")/.."
. tests/vm/kernel.sh
mkdir -p target
pass=0; fail=0
ok()  { echo "PASS first-use: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL first-use: $*"; fail=$((fail + 1)); }

# What the VM boots from, as one text: everything but the initramfs (rebuilt from these).
kernel_fingerprint() {  # $1 kernel folder
    (cd "$1" && cat ready && sha256sum vmlinuz modules/*.ko && cat modules/load-order \
        && { [ ! -f ublk_cmd.h ] || sha256sum ublk_cmd.h; })
}

warm_cache=$JUBLK_VM_CACHE
for line in 6.12 7.3; do
    fresh=$(mktemp -d /tmp/jublk-first-use.XXXXXX)
    start=$SECONDS
    if ! got=$(JUBLK_VM_KERNEL=$line JUBLK_VM_CACHE=$fresh vm_kernel_dir 2> "$fresh.log"); then
        bad "$line kernel: a fetch into an empty cache failed: $(tr '\n' ' ' < "$fresh.log")"
    elif ! used=$(JUBLK_VM_KERNEL=$line JUBLK_VM_CACHE=$warm_cache vm_kernel_dir 2>/dev/null); then
        bad "$line kernel: fetched fresh ($(cat "$got/ready")), but the VM tests' cache $warm_cache has none"
    elif ! diff <(kernel_fingerprint "$got") <(kernel_fingerprint "$used") > "$fresh.diff"; then
        bad "$line kernel: a fresh fetch ($(cat "$got/ready")) differs from what the VM tests boot ($used): $(head -c 400 "$fresh.diff" | tr '\n' ' ')"
    else
        ok "$line kernel fetched into an empty cache in $((SECONDS - start)) s: $(cat "$got/ready"), $(wc -l < "$got/modules/load-order") modules, same as $used"
    fi
    rm -rf "$fresh" "$fresh.log" "$fresh.diff"
done

# One apt-cache call for all: its report names each package it knows ("name:") before its
# candidate; a package it does not know is left out.
wanted=$(bash tests/setup-host.sh --print-packages | sort -u)
# shellcheck disable=SC2086
installable=$(apt-cache policy $wanted 2>/dev/null | awk '
    /^[^ ].*:$/ { name = substr($0, 1, length($0) - 1) }
    /Candidate:/ && $2 != "(none)" { print name }' | sort -u)
mapfile -t missing < <(comm -23 <(echo "$wanted") <(echo "$installable"))
if [ ${#missing[@]} -eq 0 ]; then
    ok "every package setup-host.sh installs has an apt candidate"
else
    bad "no apt candidate for: ${missing[*]} (a fresh Debian 12 could not install them)"
fi

echo "$pass $fail" > target/first-use-counts
[ "$fail" -eq 0 ]
