#!/bin/bash
# Installs what building and testing jublk needs on Debian 12 (as root): JDK 17, Maven,
# gcc, QEMU and busybox for the test VM, and the tools the VM tests use (fio, mkfs,...).
# Idempotent and quiet when everything is already there.
#   --print-packages  print the Debian packages it installs, one a line, and exit
set -euo pipefail
pkgs=(openjdk-17-jdk-headless maven gcc libc6-dev linux-libc-dev make
      qemu-system-x86 busybox-static kmod cpio xz-utils debian-archive-keyring
      fio e2fsprogs xfsprogs util-linux procps python3 coreutils unzip bc rpm rpm2cpio systemd
      gnuplot-nox)
if [ "${1:-}" = --print-packages ]; then printf '%s\n' "${pkgs[@]}"; exit 0; fi
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]:-nothing new} (apt)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    [ ${#missing[@]} -eq 0 ] || apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi
# The VM kernels (6.12 and 7.3), fetched once into /var/cache/jublk-vm with a private apt
# state, so the host's apt sources stay as they are.
. "$(dirname "$0")/vm/kernel.sh"
for JUBLK_VM_KERNEL in 6.12 7.3; do
    vm_kernel_dir >/dev/null || { echo "setup: could not fetch the $JUBLK_VM_KERNEL VM kernel" >&2; exit 1; }
done
