#!/bin/bash
# Installs what building and testing jublk needs on Debian 12 (as root): JDK 17, Maven,
# gcc, QEMU and busybox for the test VM, and the tools the VM tests use (fio, mkfs,...).
# Idempotent and quiet when everything is already there.
set -euo pipefail
pkgs=(openjdk-17-jdk-headless maven gcc libc6-dev linux-libc-dev make
      qemu-system-x86 busybox-static kmod cpio xz-utils
      fio e2fsprogs xfsprogs util-linux procps python3 coreutils unzip bc rpm rpm2cpio systemd)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
need_backports=0
grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/ || need_backports=1
if [ $need_backports -eq 1 ]; then
    # The VM kernel (Debian's 6.12 with ublk) comes from bookworm-backports.
    echo 'deb http://deb.debian.org/debian bookworm-backports main' > /etc/apt/sources.list.d/jublk-backports.list
fi
if [ ${#missing[@]} -gt 0 ] || [ $need_backports -eq 1 ]; then
    echo "setup: installing ${missing[*]:-nothing new} (apt)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    [ ${#missing[@]} -eq 0 ] || apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi
