#!/bin/bash
# Runs one of the README's set-up commands on a machine that has never run jublk: a fresh
# Debian 12 made with debootstrap (minbase: less than Debian's own base), a fresh clone of
# this repository's HEAD in it, and nothing else — no Maven repository, no VM kernel cache,
# no apt lists, none of the packages the command installs. A warm machine hides first-use
# bugs (a kernel fetch that could not work stayed green in CI for weeks).
#
#   bash tests/fresh-machine.sh [--keep] [COMMAND...]     (as root; default: bash tests/demo.sh)
#   e.g. bash tests/fresh-machine.sh bash tests/run-all.sh
#
# The chroot is /srv/jublk-fresh.XXXXXX; --keep leaves it for a look (its mounts are gone with
# the command's mount namespace), else it is removed. Certificates the host added for its own
# network (/usr/local/share/ca-certificates, e.g. a proxy's) are copied in: they belong to the
# network, not to jublk. The host's /dev is the chroot's: on a host whose kernel has ublk,
# demo.sh serves the disk there instead of in the VM. Needs debootstrap (installed if
# missing) and the network to Debian's archive and Maven Central.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
keep=0
if [ "${1:-}" = --keep ]; then keep=1; shift; fi
[ $# -gt 0 ] || set -- bash tests/demo.sh
[ "$(id -u)" -eq 0 ] || { echo "fresh-machine: needs root (debootstrap, chroot, mounts)" >&2; exit 2; }
command -v debootstrap >/dev/null || { apt-get update -q >/dev/null; apt-get install -y -q debootstrap >/dev/null; }
root=$(mkdir -p /srv && mktemp -d /srv/jublk-fresh.XXXXXX)
chmod 755 "$root"   # mktemp makes it 0700; a machine's / is 0755 (apt's _apt user must get in)
cleanup() {
    [ "$keep" -eq 1 ] && { echo "fresh-machine: kept $root" >&2; return 0; }
    # The mounts lived in a private mount namespace and went with it: nothing of the host's is
    # mounted below $root any more, and --one-file-system keeps it that way regardless.
    rm -rf --one-file-system "$root" "$root.debootstrap.log" || echo "fresh-machine: could not remove all of $root" >&2
    return 0
}
trap cleanup EXIT
start=$SECONDS
echo "fresh-machine: debootstrap bookworm (minbase) into $root" >&2
debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian > "$root.debootstrap.log" 2>&1 \
    || { tail -n 20 "$root.debootstrap.log" >&2; exit 1; }
rm -f "$root.debootstrap.log"
if ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then
    mkdir -p "$root/usr/local/share/ca-certificates"
    cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
fi
git clone -q "$here" "$root/root/jublk"
echo "fresh-machine: ready in $((SECONDS - start)) s: $(git -C "$here" rev-parse --short HEAD) in /root/jublk; running: $*" >&2
start=$SECONDS
rc=0
# A mount namespace of its own, private: the chroot's /proc, /sys and /dev mounts never
# propagate to the host (an unmount under a shared rbind can take the host's own mounts with
# it), and they vanish with the namespace however the command ends. Proxy settings pass through.
unshare --mount --propagation private -- bash -c '
    root=$1; shift
    mount -t proc proc "$root/proc" && mount --rbind /sys "$root/sys" && mount --rbind /dev "$root/dev" || exit 125
    exec chroot "$root" env -i HOME=/root TERM=dumb CI="${CI:-}" http_proxy="${http_proxy:-}" https_proxy="${https_proxy:-}" \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        bash -c "cd /root/jublk && exec \"\$@\"" fresh "$@"' unshare "$root" "$@" < /dev/null || rc=$?
echo "fresh-machine: '$*' exited $rc after $((SECONDS - start)) s" >&2
exit "$rc"
