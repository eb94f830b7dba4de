#!/bin/bash
# Sourced by vm.sh: fetches and caches the VM kernel and builds the initramfs.
# The kernel is Debian's linux-image-<ver>-unsigned from bookworm-backports, pinned, with
# a fallback to the newest 6.12 there when the pinned one is no longer served.

JUBLK_VM_CACHE=${JUBLK_VM_CACHE:-/var/cache/jublk-vm}
JUBLK_VM_KERNEL_PIN=${JUBLK_VM_KERNEL_PIN:-6.12.95+deb12-amd64}
# Modules loaded at boot, dependencies first; brd is shipped but loaded by the tests.
VM_MODULES_LOAD="fs/9p/9p.ko net/9p/9pnet_virtio.ko fs/overlayfs/overlay.ko drivers/block/ublk_drv.ko
 crypto/crc32c_generic.ko fs/ext4/ext4.ko fs/xfs/xfs.ko"
VM_MODULES_EXTRA="drivers/block/brd.ko"

vm_log() { echo "vm: $*" >&2; }

vm_ensure_backports() {
    if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
        echo 'deb http://deb.debian.org/debian bookworm-backports main' > /etc/apt/sources.list.d/jublk-backports.list
        apt-get update -q >&2
    fi
}

# Prints the package name to download: the pinned one if apt knows it, else the newest 6.12.
vm_kernel_package() {
    local pinned="linux-image-$JUBLK_VM_KERNEL_PIN-unsigned"
    if apt-cache show "$pinned" >/dev/null 2>&1; then echo "$pinned"; return; fi
    apt-cache search --names-only '^linux-image-6\.12\.[0-9]+\+deb12-amd64-unsigned$' \
        | awk '{print $1}' | sort -V | tail -n 1
}

# Prints the cache folder holding vmlinuz and modules/ (downloading on first use).
vm_kernel_dir() {
    local ready
    ready=$(ls -d "$JUBLK_VM_CACHE"/*/ready 2>/dev/null | head -n 1 || true)
    if [ -n "${JUBLK_VM_KERNEL_DIR:-}" ]; then echo "$JUBLK_VM_KERNEL_DIR"; return; fi
    if [ -f "$JUBLK_VM_CACHE/$JUBLK_VM_KERNEL_PIN/ready" ]; then echo "$JUBLK_VM_CACHE/$JUBLK_VM_KERNEL_PIN"; return; fi
    vm_ensure_backports
    local pkg ver tmp dir
    pkg=$(vm_kernel_package)
    if [ -z "$pkg" ]; then
        # Offline or the suite is gone: use any kernel cached before.
        if [ -n "$ready" ]; then dirname "$ready"; return; fi
        vm_log "no linux-image-6.12 package found in bookworm-backports"; return 1
    fi
    ver=${pkg#linux-image-}; ver=${ver%-unsigned}
    dir="$JUBLK_VM_CACHE/$ver"
    if [ -f "$dir/ready" ]; then echo "$dir"; return; fi
    [ "$ver" = "$JUBLK_VM_KERNEL_PIN" ] || vm_log "pinned kernel $JUBLK_VM_KERNEL_PIN not served; using $ver"
    tmp=$(mktemp -d /tmp/jublk-kernel.XXXXXX)
    vm_log "downloading $pkg"
    (cd "$tmp" && apt-get download -q "$pkg" >&2 2>/dev/null) || { vm_log "apt-get download $pkg failed"; rm -rf "$tmp"; return 1; }
    dpkg -x "$tmp"/*.deb "$tmp/x"
    depmod -b "$tmp/x" "$ver"
    rm -rf "$dir"; mkdir -p "$dir/modules"
    cp "$tmp/x/boot/vmlinuz-$ver" "$dir/vmlinuz"
    local mdir="$tmp/x/lib/modules/$ver"
    local order=() seen=" "
    add_module() {  # $1: path relative to the module tree, with .ko.xz
        local m=$1 deps d
        case "$seen" in *" $m "*) return ;; esac
        seen="$seen$m "
        deps=$(grep "^$m:" "$mdir/modules.dep" | cut -d: -f2)
        for d in $deps; do add_module "$d"; done
        order+=("$m")
    }
    local want
    for want in $VM_MODULES_LOAD; do add_module "kernel/${want}.xz"; done
    : > "$dir/modules/load-order"
    local m name
    for m in "${order[@]}"; do
        name=$(basename "$m" .ko.xz)
        xz -dc "$mdir/$m" > "$dir/modules/$name.ko"
        echo "$name" >> "$dir/modules/load-order"
    done
    for want in $VM_MODULES_EXTRA; do
        name=$(basename "$want" .ko)
        xz -dc "$mdir/kernel/$want.xz" > "$dir/modules/$name.ko"
    done
    echo "$ver" > "$dir/ready"
    rm -rf "$tmp"
    echo "$dir"
}

# Prints the path of an initramfs (busybox + init + modules), rebuilt when init changes.
vm_initramfs() {
    local kdir=$1 init=$2 sum img root
    sum=$(cat "$init" "$kdir/modules/load-order" /bin/busybox | md5sum | cut -c1-12)
    img="$kdir/initramfs-$sum.cpio.gz"
    if [ -f "$img" ]; then echo "$img"; return; fi
    root=$(mktemp -d /tmp/jublk-initrd.XXXXXX)
    mkdir -p "$root"/{bin,sbin,dev,proc,sys,modules}
    cp /bin/busybox "$root/bin/busybox"
    cp "$init" "$root/init"; chmod 755 "$root/init"
    cp "$kdir"/modules/*.ko "$kdir/modules/load-order" "$root/modules/"
    (cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$img.tmp"
    mv "$img.tmp" "$img"
    rm -rf "$root"
    echo "$img"
}
