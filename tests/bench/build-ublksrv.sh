#!/bin/bash
# Builds the C reference server (ublksrv's 'ublk' binary) for the benchmark's comparison
# columns: liburing 2.15 and ublksrv from their upstream git repositories, installed under
# /opt (never into this project). Not part of CI.
#   bash tests/bench/build-ublksrv.sh LIBURING_GIT_DIR UBLKSRV_GIT_DIR
# then: JUBLK_BENCH_UBLKSRV=/opt/ublksrv/sbin/ublk bash tests/bench/run.sh ...
set -euo pipefail
liburing_git=$1; ublksrv_git=$2
apt-get install -y -q --no-install-recommends autoconf automake libtool g++ pkg-config make >/dev/null
work=$(mktemp -d /tmp/ublksrv-build.XXXXXX)
git --git-dir="$liburing_git" archive --prefix=liburing/ liburing-2.15 | tar -x -C "$work"
git --git-dir="$ublksrv_git" archive --prefix=ublksrv/ HEAD | tar -x -C "$work"
(cd "$work/liburing" && ./configure --prefix=/opt/liburing >/dev/null && make -j2 -C src >/dev/null \
    && make -C src install >/dev/null)
(cd "$work/ublksrv" && autoreconf -i >/dev/null 2>&1 && \
    ./configure --prefix=/opt/ublksrv CPPFLAGS="-I/opt/liburing/include" LIBURING_CFLAGS="-I/opt/liburing/include" \
        LIBURING_LIBS="-L/opt/liburing/lib -luring -Wl,-rpath,/opt/liburing/lib" >/dev/null && \
    make -j2 >/dev/null && make install >/dev/null)
rm -rf "$work"
ls -la /opt/ublksrv/sbin/ublk
