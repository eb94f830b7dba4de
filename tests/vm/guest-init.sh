#!/bin/busybox sh
# PID 1 of the test VM (runs from the initramfs, busybox only).
# Loads the modules, shares the host's / read-only under a tmpfs overlay, enters it
# with chroot, runs the script the host put into the results share, writes its exit
# code and the kernel log there, and powers off. Nothing here may wait without bound.
/bin/busybox --install -s /bin
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
echo 4 > /proc/sys/kernel/printk

fail() {
    echo "guest-init: $*" > /dev/console
    [ -d /out/. ] && echo "guest-init: $*" >> /out/guest.log
    poweroff -n -f   # -n: no sync (one that hangs on a disk holding I/O would keep the VM up)
}

for m in $(cat /modules/load-order); do
    insmod "/modules/$m.ko" || echo "guest-init: insmod $m failed" > /dev/console
done

mkdir -p /host /out /ovl /newroot
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=loose,ro host /host || fail "cannot mount the host share"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 out /out || fail "cannot mount the results share"
mount -t tmpfs -o size=75% tmpfs /ovl
mkdir -p /ovl/upper /ovl/work
mount -t overlay overlay -o lowerdir=/host,upperdir=/ovl/upper,workdir=/ovl/work /newroot || fail "cannot mount the overlay"

. /out/vm.conf   # sets OUT (host path of the results share), CWD, SCRIPT
mount -t proc proc /newroot/proc
mount -t sysfs sys /newroot/sys
mount -t devtmpfs dev /newroot/dev
mkdir -p /newroot/dev/pts /newroot/dev/shm
# devtmpfs has no /dev/fd links; bash process substitution needs them
ln -sf /proc/self/fd /newroot/dev/fd
ln -sf /proc/self/fd/0 /newroot/dev/stdin
ln -sf /proc/self/fd/1 /newroot/dev/stdout
ln -sf /proc/self/fd/2 /newroot/dev/stderr
mount -t devpts devpts /newroot/dev/pts
mount -t tmpfs tmpfs /newroot/dev/shm
# A checkout under /tmp (say, a clone made for a quick check) must stay visible above the tmpfs.
case "$CWD" in /tmp/*) mkdir -p /keep-cwd && mount --bind "/newroot$CWD" /keep-cwd ;; esac
mount -t tmpfs tmpfs /newroot/tmp
case "$CWD" in /tmp/*) mkdir -p "/newroot$CWD" && mount --bind /keep-cwd "/newroot$CWD" ;; esac
mount -t tmpfs tmpfs /newroot/run
mkdir -p /newroot/run/vm-modules
mount --bind /modules /newroot/run/vm-modules
mkdir -p "/newroot$OUT"
mount --bind /out "/newroot$OUT"
hostname jublk-vm

if [ "${INIT:-script}" = systemd ]; then
    # systemd as PID 1, booted into jublk-vm.target: nothing but the test service, which
    # runs SCRIPT like the chroot below does, records its exit code and powers the VM off.
    units=/newroot/etc/systemd/system
    mkdir -p "$units"
    printf '%s\n' "OUT='$OUT'" "CWD='$CWD'" "SCRIPT='$SCRIPT'" > /newroot/jublk-vm.conf
    cat > /newroot/jublk-vm-run.sh <<'RUN'
. /jublk-vm.conf
cd "$CWD" || exit 1
mapfile -t a < "$OUT/args"
/bin/bash "$SCRIPT" "${a[@]}" > "$OUT/guest.log" 2>&1
echo $? > "$OUT/rc"
dmesg > "$OUT/dmesg.txt"
# Bounded: a disk left holding I/O can make sync wait forever (in D state: no signal ends it),
# and the VM must still power off, now, with its results.
sync & for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 $! 2>/dev/null || break; sleep 1; done
RUN
    cat > "$units/jublk-vm.target" <<UNIT
[Unit]
Description=jublk VM test
Requires=jublk-vm-test.service
After=jublk-vm-test.service
UNIT
    cat > "$units/jublk-vm-test.service" <<UNIT
[Unit]
Description=jublk VM test script
DefaultDependencies=no
SuccessAction=poweroff-force
FailureAction=poweroff-force

[Service]
Type=oneshot
Environment=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb LANG=C.UTF-8
Environment=JUBLK_IN_VM=1 JUBLK_VM_MODULES=/run/vm-modules JUBLK_VM_OUT=$OUT ${GUEST_ENV:-}
ExecStart=/bin/bash /jublk-vm-run.sh
TimeoutStartSec=infinity
# A left-over process (a sync stuck behind a disk holding I/O) must not hold the power-off.
TimeoutStopSec=10
UNIT
    exec switch_root /newroot /lib/systemd/systemd --unit=jublk-vm.target
fi
chroot /newroot /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root TERM=dumb LANG=C.UTF-8 JUBLK_IN_VM=1 JUBLK_VM_MODULES=/run/vm-modules JUBLK_VM_OUT="$OUT" \
    ${GUEST_ENV:+"$GUEST_ENV"} \
    /bin/bash -c 'cd "$1" && mapfile -t a < "$3" && exec /bin/bash "$2" "${a[@]}"' guest "$CWD" "$SCRIPT" "$OUT/args" \
    > /out/guest.log 2>&1
echo $? > /out/rc
dmesg > /out/dmesg.txt
# Bounded: a disk left holding I/O can make sync wait forever (in D state: no signal ends it),
# and the VM must still power off, now, with its results.
sync & for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 $! 2>/dev/null || break; sleep 1; done
poweroff -n -f   # synced above, bounded
