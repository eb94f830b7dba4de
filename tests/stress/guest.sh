#!/bin/bash
# Start/stop stress inside the test VM (run by tests/stress/run.sh): ITERATIONS rounds, each
# starting two device servers at once (alternating copy modes and queue counts), verifying
# data on both with fio at the same time, and stopping them with SIGTERM. Counts server
# starts, crashes (a server killed by a signal, or a JVM crash report), start failures,
# I/O errors and verify failures; keeps the evidence of each crash under $OUT/stress.
#   guest.sh ITERATIONS
set -u
ROOT=$(pwd)
U="$ROOT/packaging/ublk"
OUT=${JUBLK_VM_OUT:-/tmp/jublk-stress}
EVID="$OUT/stress"
mkdir -p "$EVID" /run/jublk
iterations=${1:-100}
starts=0; crashes=0; start_failures=0; io_errors=0; verify_errors=0; unclean_exits=0
modes=(user_copy buffer)
t_begin=$(date +%s)

start_server() {  # $1 slot, $2 mode, $3 queues; sets pid_$1; prints nothing
    "$U" add -t ram --size 64M --copy-mode "$2" -q "$3" --foreground > "/tmp/s$1.out" 2> "/tmp/s$1.err" &
    eval "pid_$1=$!"
}

wait_device() {  # $1 slot; prints the device or nothing after 90 s
    local i
    for i in $(seq 450); do
        if [ -s "/tmp/s$1.out" ]; then head -n 1 "/tmp/s$1.out"; return 0; fi
        kill -0 "$(eval echo \$pid_$1)" 2>/dev/null || return 1
        sleep 0.2
    done
    return 1
}

keep_evidence() {  # $1 label, $2 slot
    local d="$EVID/$1"
    mkdir -p "$d"
    cp "/tmp/s$2.err" "$d/server.err" 2>/dev/null
    cp /run/jublk/hs_err_pid*.log "$d/" 2>/dev/null && rm -f /run/jublk/hs_err_pid*.log
    dmesg | tail -n 30 > "$d/dmesg.txt"
}

for it in $(seq "$iterations"); do
    mode=${modes[$((it % 2))]}
    q=$((1 + (it / 2) % 2))
    rm -f /tmp/s1.out /tmp/s2.out /tmp/s1.err /tmp/s2.err
    start_server 1 "$mode" "$q"; start_server 2 "$mode" "$q"
    starts=$((starts + 2))
    d1=$(wait_device 1); d2=$(wait_device 2)
    fio_pids=()
    for slot in 1 2; do
        dev=$(eval echo \$d$slot)
        if [ -z "$dev" ]; then
            start_failures=$((start_failures + 1))
            echo "iteration $it slot $slot ($mode, $q queues): no device: $(tail -n 2 /tmp/s$slot.err | tr '\n' ' ')"
            keep_evidence "it$it-slot$slot-start" "$slot"
            continue
        fi
        bs=4k; [ $((it % 3)) -eq 0 ] && bs=128k
        fio --name=v --filename="$dev" --direct=1 --ioengine=io_uring --rw=randwrite --bs=$bs --iodepth=32 \
            --size=16M --verify=crc32c --verify_fatal=1 --do_verify=1 --output-format=terse --minimal \
            > "/tmp/fio$slot.out" 2>&1 &
        fio_pids+=("$slot:$!")
    done
    for entry in "${fio_pids[@]}"; do
        slot=${entry%%:*}; fpid=${entry#*:}
        if ! timeout 120 tail --pid="$fpid" -f /dev/null; then kill -9 "$fpid"; fi
        wait "$fpid"; frc=$?
        if [ $frc -ne 0 ]; then
            if grep -qi 'verify' "/tmp/fio$slot.out"; then verify_errors=$((verify_errors + 1)); else io_errors=$((io_errors + 1)); fi
            echo "iteration $it slot $slot ($mode, $q queues): fio exit $frc: $(grep -m2 -iE 'err|verify' /tmp/fio$slot.out | tr '\n' ' ')"
        fi
    done
    for slot in 1 2; do
        pid=$(eval echo \$pid_$slot)
        kill -TERM "$pid" 2>/dev/null
        timeout 40 tail --pid="$pid" -f /dev/null || kill -9 "$pid" 2>/dev/null
        wait "$pid"; rc=$?
        if [ $rc -ge 128 ] || ls /run/jublk/hs_err_pid*.log >/dev/null 2>&1; then
            crashes=$((crashes + 1))
            echo "iteration $it slot $slot ($mode, $q queues): CRASH: server exit $rc: $(grep -m1 -E 'SIG[A-Z]+|Problematic frame' -A1 /run/jublk/hs_err_pid*.log 2>/dev/null | tr '\n' ' ')"
            keep_evidence "it$it-slot$slot-crash" "$slot"
        elif [ $rc -ne 0 ]; then
            unclean_exits=$((unclean_exits + 1))
            echo "iteration $it slot $slot: server exit $rc: $(tail -n 2 /tmp/s$slot.err | tr '\n' ' ')"
        fi
    done
    # a CLI call costs seconds under emulation: only when a device was left behind
    if ls /sys/class/ublk-char 2>/dev/null | grep -q ublkc; then
        echo "iteration $it: device left after both servers exited: $(ls /sys/class/ublk-char | tr '\n' ' ')"
        unclean_exits=$((unclean_exits + 1))
        timeout 60 "$U" del -a --timeout 20 > /dev/null 2>&1
    fi
    [ $((it % 5)) -eq 0 ] && echo "after $it iterations ($(( $(date +%s) - t_begin )) s): starts $starts, crashes $crashes, start failures $start_failures, I/O errors $io_errors, verify errors $verify_errors"
done
summary="starts $starts, crashes $crashes, start failures $start_failures, I/O errors $io_errors, verify errors $verify_errors, unclean exits $unclean_exits, $(( $(date +%s) - t_begin )) s"
echo "stress: $summary"
echo "$summary" > "$OUT/stress-summary"
[ $((crashes + start_failures + io_errors + verify_errors + unclean_exits)) -eq 0 ]
