#!/bin/bash
# Experiment (not part of the suite): kill -9 a --recoverable server under fio and recover it, N times;
# on a recovery that does not finish, dump the recovering server's and every D-state task's kernel stack,
# sysrq-w and the kernel log, then stop. This is how the 6.12.95 io_fallback_tw oops with recovery was
# found (tests/README.md, "Kernel crashes found by killing servers"). Run in the VM, e.g.:
#   JUBLK_VM_GUEST_ENV=MODE=buffer bash tests/vm/vm.sh --kernel 6.12 --timeout 1500 tests/vm/recover-kill-loop.sh
# (MODE: buffer or user_copy; N rounds, default 10).
U=$PWD/packaging/ublk
MODE=${MODE:-buffer}; N=${N:-10}
echo 1 > /proc/sys/kernel/sysrq
ok=0
for r in $(seq 1 $N); do
    d=$(( (r % 5) + 1 ))
    dev=$($U add -t ram --size 256M -q 2 --recoverable --copy-mode $MODE) || { echo "add failed"; exit 1; }
    id=${dev#/dev/ublkb}
    pid=$(pgrep -f 'io.jublk.cli.Main (add|recover)' | head -n1)
    fio --name=w --filename=$dev --direct=1 --ioengine=io_uring --rw=randwrite --bs=16k --iodepth=32 --size=256M \
        --verify=crc32c --do_verify=0 --output-format=terse --minimal > /tmp/fio.out 2>&1 &
    fp=$!
    sleep $d
    kill -9 $pid
    while pgrep -f 'io.jublk.cli.Main (add|recover)' >/dev/null; do sleep 0.2; done
    t0=$(date +%s)
    echo "  server gone at $(date +%T.%N | cut -c1-12)"
    ( sleep 25; for p in $(pgrep -f 'io.jublk.cli.Main recover'); do echo "  --- 25 s into recover: pid $p"; for t in /proc/$p/task/*; do s=$(cat $t/stack 2>/dev/null | head -n 6); case "$s" in *futex_wait_queue*|*do_epoll_wait*|*ep_poll*|"") ;; *) echo "  task $(cat $t/comm): $(echo $s | tr '\n' ' ')";; esac; done; done
      for k in $(ps -eo pid,stat | awk '$2 ~ /D/ {print $1}'); do echo "  D task $k $(cat /proc/$k/comm): $(head -n 8 /proc/$k/stack | tr '\n' ' ')"; done ) &
    sampler=$!
    timeout 100 $U recover -n $id --timeout 90 > /tmp/rec.out 2>&1; rc=$?
    kill $sampler 2>/dev/null; wait $sampler 2>/dev/null
    grep -h 'recover\|serving\|START\|EBUSY' /run/jublk/ublk$id.log /run/jublk/add-*.log 2>/dev/null | tail -n 4 | sed 's/^/  log: /' 
    echo "round $r ($MODE, kill at ${d}s): recover rc=$rc in $(( $(date +%s) - t0 )) s: $(cat /tmp/rec.out)"
    if [ $rc -ne 0 ]; then
        echo "=== STUCK: state"; cat /sys/block/ublkb$id/inflight; ls /sys/block/ublkb$id/mq/*/ 2>/dev/null | head
        for p in $(pgrep -f 'io.jublk.cli.Main'); do echo "--- pid $p $(tr '\0' ' ' < /proc/$p/cmdline | cut -c1-80)"; for t in /proc/$p/task/*; do s=$(cat $t/stack 2>/dev/null); [ -n "$s" ] && { echo "task $(basename $t) $(cat $t/comm) $(awk '{print $3}' $t/stat)"; echo "$s"; }; done; done
        echo w > /proc/sysrq-trigger; sleep 1
        dmesg | tail -n 150
        for k in $(ps -eo pid,stat,comm | awk '$2 ~ /D/ {print $1}'); do echo "--- D task $k $(cat /proc/$k/comm)"; cat /proc/$k/stack; done
        mount -t debugfs none /sys/kernel/debug 2>/dev/null
        for f in /sys/kernel/debug/block/ublkb$id/hctx*/busy /sys/kernel/debug/block/ublkb$id/hctx*/dispatch /sys/kernel/debug/block/ublkb$id/requeue_list; do echo "$f: $(cat $f 2>/dev/null)"; done
        exit 1
    fi
    wait $fp; echo "  fio rc=$?"
    $U del -n $id >/dev/null || echo "del failed"
    ok=$((ok+1))
done
echo "$ok of $N rounds recovered"
