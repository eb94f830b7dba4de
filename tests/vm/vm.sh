#!/bin/bash
# Runs a script inside a QEMU VM with a Debian kernel that has ublk (the host's kernel may
# have none): 6.12 by default, 7.3 with --kernel 7.3 (or JUBLK_VM_KERNEL=7.3). The host's / is the guest's root (read-only, under a tmpfs
# overlay), so the guest runs the freshly built project and the host's tools unchanged.
#
#   tests/vm/vm.sh [--kernel 6.12|7.3] [--timeout SECONDS] [--mem MiB] [--cpus N] [--tcg multi|single]
#                  [--systemd] SCRIPT [ARGS...]
#
# --systemd: the guest boots systemd (the host's, from the shared /) as PID 1 into a target of
# its own that runs only SCRIPT, as a service: for testing jublk@.service with a real systemd.
#
# --tcg: QEMU's TCG threading: all vCPUs on one host thread (single, the default: no two vCPUs
# ever run at the same instant) or one host thread per vCPU (multi: faster; JVMs crash in it).
# JUBLK_VM_GUEST_ENV="NAME=VALUE" passes one more variable into the guest script;
# JUBLK_VM_APPEND="ARGS" appends to the guest kernel's command line (experiments: idle=poll);
# JUBLK_VM_CPU sets QEMU's -cpu model (default max; the benchmark uses max,-erms: Performance).
# SCRIPT runs as root in the guest, in the current directory. Its output is shown live;
# results written to $JUBLK_VM_OUT (exported to the guest) come back to the host.
# Exit status: the script's, or 124 if the VM timed out, or 125 if it could not run.
# On failure the guest's log tail and kernel log are printed. Nothing waits unbounded.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
timeout_s=1800
mem=4096
cpus=2
# Single-threaded TCG by default: under multi-threaded TCG a JVM in the guest crashes now and
# then in JIT-compiled code (tests/README.md, "Intermittent failures": seen even before any jublk code was loaded).
tcg=${JUBLK_VM_TCG:-single}
init=script
while [ $# -gt 0 ]; do
    case "$1" in
        --kernel) export JUBLK_VM_KERNEL=$2; shift 2 ;;
        --timeout) timeout_s=$2; shift 2 ;;
        --mem) mem=$2; shift 2 ;;
        --cpus) cpus=$2; shift 2 ;;
        --systemd) init=systemd; shift ;;
        --tcg) tcg=$2; shift 2
               case "$tcg" in multi|single) ;; *) echo "vm.sh: --tcg takes multi or single" >&2; exit 125 ;; esac ;;
        -*) echo "vm.sh: unknown option $1" >&2; exit 125 ;;
        *) break ;;
    esac
done
[ $# -ge 1 ] || { echo "usage: vm.sh [--kernel 6.12|7.3] [--timeout S] [--mem MiB] [--cpus N] SCRIPT [ARGS...]" >&2; exit 125; }
script=$(readlink -f "$1"); shift
[ -f "$script" ] || { echo "vm.sh: no such script: $1" >&2; exit 125; }

# The host tools the VM needs (installed by tests/setup-host.sh): say which are missing first,
# not a depmod or qemu error halfway through preparing the kernel.
missing=""
for t in qemu-system-x86_64 depmod cpio xz busybox; do
    command -v "$t" > /dev/null 2>&1 || [ -x "/bin/$t" ] || missing="$missing $t"
done
[ -z "$missing" ] || { echo "vm.sh: missing host tools:$missing (run: sudo bash tests/setup-host.sh)" >&2; exit 125; }

# shellcheck source=tests/vm/kernel.sh
. "$here/kernel.sh"
kdir=$(vm_kernel_dir) || { echo "vm.sh: could not prepare the VM kernel" >&2; exit 125; }
initrd=$(vm_initramfs "$kdir" "$here/guest-init.sh") || { echo "vm.sh: could not build the initramfs" >&2; exit 125; }

out=${JUBLK_VM_OUT:-$(mktemp -d /tmp/jublk-vm.XXXXXX)}
mkdir -p "$out"
out=$(readlink -f "$out")
rm -f "$out/rc" "$out/guest.log" "$out/dmesg.txt" "$out/console.log"
cat > "$out/vm.conf" <<CONF
OUT='$out'
CWD='$(pwd)'
SCRIPT='$script'
INIT='$init'
GUEST_ENV='${JUBLK_VM_GUEST_ENV:-}'
CONF
: > "$out/guest.log"
: > "$out/args"
[ $# -eq 0 ] || printf '%s\n' "$@" > "$out/args"   # one argument a line

tail -n +1 -F "$out/guest.log" 2>/dev/null &
tailer=$!
trap 'kill $tailer 2>/dev/null || true' EXIT

# No retry: a guest that crashes while booting is a failure like any other, shown with its
# console log below. (An earlier version rebooted up to twice after a boot oops seen under
# multi-threaded TCG; under the default single-threaded TCG none was seen in any kept log.)
set +e
timeout --kill-after=15 "$timeout_s" qemu-system-x86_64 \
    -machine q35 -accel "tcg,thread=$tcg" -cpu "${JUBLK_VM_CPU:-max}" -smp "$cpus" -m "$mem" \
    -kernel "$kdir/vmlinuz" -initrd "$initrd" \
    -append "console=ttyS0 panic=-1 quiet loglevel=4 rdinit=/init ${JUBLK_VM_APPEND:-}" \
    -virtfs local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap \
    -virtfs "local,path=$out,mount_tag=out,security_model=none" \
    -display none -no-reboot -serial "file:$out/console.log" -monitor none \
    -nic none
qemu_rc=$?
set -e
sleep 0.5
kill $tailer 2>/dev/null || true

show_logs() {
    echo "---- guest log (tail) ----"; tail -n 60 "$out/guest.log" 2>/dev/null || true
    echo "---- console (tail) ----"; tail -n 40 "$out/console.log" 2>/dev/null || true
    if [ -s "$out/dmesg.txt" ]; then echo "---- guest dmesg (tail) ----"; tail -n 60 "$out/dmesg.txt"; fi
}
if [ $qemu_rc -eq 124 ] || [ $qemu_rc -eq 137 ]; then
    echo "vm.sh: the VM did not finish within $timeout_s s and was killed" >&2
    show_logs >&2
    exit 124
fi
if [ ! -f "$out/rc" ]; then
    echo "vm.sh: the guest ended without a result (qemu exit $qemu_rc)" >&2
    show_logs >&2
    exit 125
fi
rc=$(cat "$out/rc")
if [ "$rc" != 0 ]; then
    echo "vm.sh: guest script exited $rc" >&2
    [ -s "$out/dmesg.txt" ] && { echo "---- guest dmesg (tail) ----"; tail -n 40 "$out/dmesg.txt"; } >&2
fi
exit "$rc"
