#!/bin/bash
# Sourced by vm.sh (and setup-host.sh): fetches and caches a VM kernel and builds the initramfs.
#
# Two kernel lines, chosen with JUBLK_VM_KERNEL (vm.sh --kernel):
#   6.12  Debian's linux-image-<ver>-unsigned from bookworm-backports (LTS of Debian 13, RHEL 10)
#   7.3   Debian's linux-binary-<ver> + linux-modules-<ver> from trixie-backports (newest ublk)
# Each is pinned, with a fallback to the newest of its line when the pin is no longer served,
# and to any kernel of the line cached before when the archive cannot be reached.
# apt runs with a private state under the cache (its own sources.list and lists): the host's
# apt configuration is never changed, and a trixie suite never becomes an install candidate.

JUBLK_VM_CACHE=${JUBLK_VM_CACHE:-/var/cache/jublk-vm}
JUBLK_VM_KERNEL=${JUBLK_VM_KERNEL:-6.12}
# Modules loaded at boot, dependencies first; a trailing '?' marks one that a line may lack
# (7.x links crc32c into the kernel). brd is shipped but loaded by the tests.
VM_MODULES_LOAD="fs/9p/9p.ko net/9p/9pnet_virtio.ko fs/overlayfs/overlay.ko drivers/block/ublk_drv.ko
 crypto/crc32c_generic.ko? fs/ext4/ext4.ko fs/xfs/xfs.ko"
VM_MODULES_EXTRA="drivers/block/brd.ko"

vm_log() { echo "vm: $*" >&2; }

# Sets the variables that describe the chosen line: its suite, pinned version, package names
# (patterns in which every {v} stands for the version; the first names the line's kernel)
# and the regular expression of its versions.
vm_kernel_line() {
    case "$JUBLK_VM_KERNEL" in
        6.12) vm_suite=bookworm-backports
              vm_pin=${JUBLK_VM_KERNEL_PIN:-6.12.95+deb12-amd64}
              vm_pkgs='linux-image-{v}-unsigned'
              vm_ver_re='6\.12\.[0-9]+\+deb12-amd64' ;;
        7.3)  vm_suite=trixie-backports
              vm_pin=${JUBLK_VM_KERNEL_PIN:-7.3.4+deb13-amd64}
              vm_pkgs='linux-binary-{v} linux-modules-{v} linux-libc-dev'
              vm_ver_re='7\.3\.[0-9]+\+deb13-amd64' ;;
        *) vm_log "unknown kernel line '$JUBLK_VM_KERNEL' (known: 6.12, 7.3)"; return 1 ;;
    esac
}

# Prints the line's package names for kernel version $1, one per line.
vm_packages() {
    local p
    for p in $vm_pkgs; do echo "${p//\{v\}/$1}"; done
}

# Reads package names (one per line, e.g. apt-cache search's first column) and prints the
# version to use: the pin when its kernel package is among them, else the newest version of
# the line (version order, not text order: 6.12.100 after 6.12.99); nothing if none matches.
vm_pick_version() {
    local first=${vm_pkgs%% *} names re
    names=$(cat)
    if grep -qxF "${first//\{v\}/$vm_pin}" <<< "$names"; then echo "$vm_pin"; return; fi
    re="^${first//\{v\}/($vm_ver_re)}\$"
    { grep -E "$re" <<< "$names" || true; } | sed -E "s/$re/\\1/" | sort -V | tail -n 1
}

# Prints the folder of the newest kernel of the line cached before under $JUBLK_VM_CACHE
# (for when the archive cannot be reached), or nothing.
vm_cached_fallback() {
    local ready
    ready=$(ls -d "$JUBLK_VM_CACHE"/*/ready 2>/dev/null | grep -E "/$vm_ver_re/ready\$" | sort -V | tail -n 1 || true)
    [ -z "$ready" ] || dirname "$ready"
}

# apt-get or apt-cache ($2, then its arguments) with a private state in folder $1: its own
# sources.list, lists and cache, nothing read from the host's apt configuration (empty folders
# of its own for the parts apt would read from there: a missing one makes apt warn on every
# call); with a file $1/status, that package status instead of the machine's.
private_apt() {
    local d=$1 tool=$2; shift 2
    local status=()
    [ -f "$d/status" ] && status=(-o Dir::State::status="$d/status")
    LC_ALL=C "$tool" -o Dir::Etc::SourceList="$d/sources.list" -o Dir::Etc::SourceParts="$d/none" \
        -o Dir::State::Lists="$d/lists" -o Dir::Cache="$d/cache" -o Dir::Etc::Preferences="$d/none/preferences" \
        -o Dir::Etc::PreferencesParts="$d/none" -o APT::Architecture=amd64 "${status[@]}" "$@"
}

# Makes folder $1 a private apt state whose sources.list holds the suites $2... of Debian's
# archive (each "URL-PATH SUITE", e.g. "debian bookworm"), signed by Debian's archive keys.
private_apt_init() {
    local d=$1 s; shift
    mkdir -p "$d/lists/partial" "$d/cache/archives/partial" "$d/none"
    for s in "$@"; do
        echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/${s% *} ${s#* } main"
    done > "$d/sources.list"
}

# apt-get/apt-cache with the line's private state.
vm_apt() { private_apt "$JUBLK_VM_CACHE/apt-$vm_suite" "$@"; }

vm_apt_update() {
    local d="$JUBLK_VM_CACHE/apt-$vm_suite"
    private_apt_init "$d" "debian $vm_suite"
    # --error-on=any: a transient fetch error fails the update (by default apt only warns, and
    # the empty lists would then read as "the line has no kernel").
    vm_apt apt-get update --error-on=any -q > "$d/update.log" 2>&1 && return
    vm_log "apt-get update of $vm_suite failed:"; tail -n 3 "$d/update.log" | sed 's/^/vm:   /' >&2
    return 1
}

# Prints the kernel version to use: the pin if served, else the newest of the line.
vm_kernel_version() {
    local first=${vm_pkgs%% *}
    vm_apt apt-cache search --names-only "^${first%%\{v\}*}" | awk '{print $1}' | vm_pick_version
}

# Prints the cache folder holding vmlinuz and modules/ (downloading on first use).
vm_kernel_dir() {
    if [ -n "${JUBLK_VM_KERNEL_DIR:-}" ]; then echo "$JUBLK_VM_KERNEL_DIR"; return; fi
    vm_kernel_line || return 1
    if [ -f "$JUBLK_VM_CACHE/$vm_pin/ready" ]; then echo "$JUBLK_VM_CACHE/$vm_pin"; return; fi
    local ver="" reached=0
    vm_apt_update && reached=1 && ver=$(vm_kernel_version)
    if [ -z "$ver" ]; then
        # Offline or the line is gone: use a kernel of this line cached before.
        local cached why
        if [ $reached -eq 1 ]; then why="$vm_suite lists no $JUBLK_VM_KERNEL kernel"; else why="Debian's archive unreachable"; fi
        cached=$(vm_cached_fallback)
        if [ -n "$cached" ]; then vm_log "$why: using the cached $cached"; echo "$cached"; return; fi
        vm_log "$why, and no $JUBLK_VM_KERNEL kernel is cached in $JUBLK_VM_CACHE"; return 1
    fi
    local dir="$JUBLK_VM_CACHE/$ver"
    if [ -f "$dir/ready" ]; then echo "$dir"; return; fi
    [ "$ver" = "$vm_pin" ] || vm_log "pinned kernel $vm_pin not served; using $ver"
    local tmp pkgs p kpkg kdeb_ver
    tmp=$(mktemp -d /tmp/jublk-kernel.XXXXXX)
    # Every step is checked: a cache folder is marked ready only when all of it was written.
    fetch_failed() { vm_log "$1"; rm -rf "$tmp" "$dir"; return 1; }
    # A package whose name carries no kernel version (the uapi header) is taken at the kernel
    # package's own version: both come from one source upload, so the header matches the kernel.
    kpkg=$(vm_packages "$ver" | head -n 1)
    kdeb_ver=$(vm_apt apt-cache show "$kpkg" 2>/dev/null | awk '/^Version:/ {print $2; exit}')
    [ -n "$kdeb_ver" ] || { fetch_failed "no version for $kpkg in $vm_suite"; return 1; }
    pkgs=$(vm_packages "$ver" | while read -r p; do
        case "$p" in *"$ver"*) echo "$p" ;; *) echo "$p=$kdeb_ver" ;; esac; done | tr '\n' ' ')
    vm_log "downloading $pkgs"
    # shellcheck disable=SC2086
    if ! (cd "$tmp" && vm_apt apt-get download -q $pkgs > "$tmp/download.log" 2>&1); then
        vm_log "apt-get download $pkgs failed:"; tail -n 3 "$tmp/download.log" | sed 's/^/vm:   /' >&2
        rm -rf "$tmp"; return 1
    fi
    for p in "$tmp"/*.deb; do dpkg -x "$p" "$tmp/x" || { fetch_failed "dpkg -x $(basename "$p") failed"; return 1; }; done
    local mdir vmlinuz
    # 6.12 packages ship /boot and /lib/modules; 7.x ships both under /usr/lib/modules/<ver>.
    if [ -d "$tmp/x/usr/lib/modules/$ver" ]; then mdir="$tmp/x/usr/lib/modules/$ver"; else mdir="$tmp/x/lib/modules/$ver"; fi
    if [ -f "$mdir/vmlinuz" ]; then vmlinuz="$mdir/vmlinuz"; else vmlinuz="$tmp/x/boot/vmlinuz-$ver"; fi
    [ -f "$vmlinuz" ] || { fetch_failed "no vmlinuz in $pkgs"; return 1; }
    mkdir -p "$tmp/depmod/lib/modules"
    ln -s "$mdir" "$tmp/depmod/lib/modules/$ver"
    depmod -b "$tmp/depmod" "$ver" 2>&1 | grep -v "WARNING: could not open modules" >&2 || true
    [ -s "$mdir/modules.dep" ] || { fetch_failed "depmod wrote no modules.dep for $ver"; return 1; }
    rm -rf "$dir"; mkdir -p "$dir/modules" || { fetch_failed "cannot create $dir"; return 1; }
    cp "$vmlinuz" "$dir/vmlinuz" || { fetch_failed "cannot write $dir/vmlinuz"; return 1; }
    # The kernel's own uapi header, for the host tests that check our struct layouts against it.
    if [ -f "$tmp/x/usr/include/linux/ublk_cmd.h" ]; then
        cp "$tmp/x/usr/include/linux/ublk_cmd.h" "$dir/" || { fetch_failed "cannot write $dir/ublk_cmd.h"; return 1; }
    fi
    local order=() seen=" "
    add_module() {  # $1: path relative to the module tree, with .ko.xz
        local m=$1 deps d
        case "$seen" in *" $m "*) return ;; esac
        seen="$seen$m "
        deps=$(grep "^$m:" "$mdir/modules.dep" | cut -d: -f2)
        for d in $deps; do add_module "$d"; done
        order+=("$m")
    }
    local want optional
    for want in $VM_MODULES_LOAD; do
        optional=0; case "$want" in *'?') optional=1; want=${want%'?'} ;; esac
        if [ ! -f "$mdir/kernel/$want.xz" ]; then
            [ $optional -eq 1 ] && continue
            fetch_failed "module $want missing from $pkgs"; return 1
        fi
        add_module "kernel/${want}.xz"
    done
    : > "$dir/modules/load-order"
    local m name
    for m in "${order[@]}"; do
        name=$(basename "$m" .ko.xz)
        xz -dc "$mdir/$m" > "$dir/modules/$name.ko" || { fetch_failed "cannot unpack $m"; return 1; }
        echo "$name" >> "$dir/modules/load-order"
    done
    for want in $VM_MODULES_EXTRA; do
        name=$(basename "$want" .ko)
        xz -dc "$mdir/kernel/$want.xz" > "$dir/modules/$name.ko" || { fetch_failed "cannot unpack $want"; return 1; }
    done
    echo "$ver" > "$dir/ready" || { fetch_failed "cannot write $dir/ready"; return 1; }
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
