#!/bin/bash
# Runs inside the VM (see run.sh): brd, jublk's configurations and (if installed) ublksrv's
# null target side by side, same fio jobs, same boot, $runs rounds of every job.
set -euo pipefail
OUT=$JUBLK_VM_OUT
. "$OUT/params"
U=packaging/ublk
. tests/vm/evidence.sh
insmod "$JUBLK_VM_MODULES/brd.ko" rd_nr=1 rd_size=$((size * 1024)) max_part=0
devices="brd=/dev/ram0"
# One jublk disk per configuration (depth 128 unless the configuration says otherwise).
IFS=';' read -ra config_list <<< "$configs"
for c in "${config_list[@]}"; do
    label=${c%%=*}; args=${c#*=}
    # shellcheck disable=SC2086  # ADD-ARGS are words on purpose
    if ! dev=$($U add --size "${size}M" -d 128 $args); then
        # A failed start is reported, with its evidence, and its column is left out; it is
        # not retried (a failure once is a failure).
        echo "$label: FAILED: ublk add did not start (evidence in $OUT/run-jublk-$label); left out of the table"
        save_server_evidence "$OUT/run-jublk-$label"
        echo "$label" >> "$OUT/failed-configs"
        continue
    fi
    devices="$devices $label=$dev"
    echo "$label: ublk add --size ${size}M -d 128 $args -> $dev"
done
# The C reference server, when the host has it (JUBLK_BENCH_UBLKSRV: path of its 'ublk' binary):
# its null target per tag, and on kernels with UBLK_F_BATCH_IO also with --batch-io.
if [ -n "${ublksrv:-}" ] && [ -x "$ublksrv" ]; then
    variants="ublksrv-null="
    $U features | grep -q ' BATCH_IO ' && variants="$variants;ublksrv-batch=--batch-io"
    IFS=';' read -ra vs <<< "$variants"
    for v in "${vs[@]}"; do
        label=${v%%=*}; extra=${v#*=}
        before=$(ls /dev/ublkb* 2>/dev/null | sort)
        # shellcheck disable=SC2086
        if timeout 60 "$ublksrv" add -t null -q 1 -d 128 --size "${size}M" $extra > "$OUT/$label.add" 2>&1; then
            dev=$(comm -13 <(echo "$before") <(ls /dev/ublkb* | sort) | head -n 1)
            # Same I/O scheduler as jublk's default ('none'): the servers are compared, not
            # the kernel's mq-deadline, which ublksrv leaves in place (tests/bench/README.md).
            [ -n "$dev" ] && echo none > "/sys/block/${dev#/dev/}/queue/scheduler"
            [ -n "$dev" ] && devices="$devices $label=$dev" && echo "$label: $ublksrv add -t null $extra -> $dev"
        else
            echo "$label: FAILED to start (see $OUT/$label.add); left out"
        fi
    done
fi
echo "devices: $devices"
for d in $devices; do
    [ -f "/sys/block/${d#*=/dev/}/queue/scheduler" ] && echo "  ${d%%=*}: scheduler $(cat "/sys/block/${d#*=/dev/}/queue/scheduler")"
done
uname -r > "$OUT/kernel"; nproc > "$OUT/cpus"
# Prefill every device so reads touch real data (and the store's memory is allocated).
for d in $devices; do
    dev=${d#*=}
    # A failed prefill stops the benchmark with its evidence: which server (alive or not, its log,
    # any JVM crash report) and the kernel log. (Issue 10's one EIO on 7.3 left none.)
    if ! fio --name=prefill --filename="$dev" --direct=1 --ioengine=io_uring --rw=write --bs=1M --iodepth=8 \
        --size="${size}M" --output-format=terse > "$OUT/prefill.out" 2>&1; then
        echo "prefill of ${d%%=*} ($dev) FAILED:"; tail -n 5 "$OUT/prefill.out"
        $U list || true
        save_server_evidence "$OUT/prefill-failure"
        dmesg | tail -n 40
        exit 1
    fi
done
jobs="randread-4k-qd1:randread:4k:1:1 randread-4k-qd32:randread:4k:32:1 randread-4k-qd32-2j:randread:4k:32:2
randwrite-4k-qd1:randwrite:4k:1:1 randwrite-4k-qd32:randwrite:4k:32:1 randwrite-4k-qd32-2j:randwrite:4k:32:2
read-128k-qd8:read:128k:8:1 write-128k-qd8:write:128k:8:1 read-1m-qd8:read:1m:8:1 write-1m-qd8:write:1m:8:1"
# A jublk server's wake-ups and ring events so far, straight from its control socket (the CLI's
# JVM start would cost seconds per call under emulation): "WAKEUPS EVENTS", or "0 0" for brd.
ring_counts() {
    local sock="/run/jublk/ublk${1#/dev/ublkb}.sock"
    [ -S "$sock" ] || { echo "0 0"; return; }  # brd, ublksrv
    python3 - "$sock" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b"stats\n")
reply = b""
while not reply.endswith(b"\n"):
    chunk = s.recv(65536)
    if not chunk: break
    reply += chunk
j = json.loads(reply.decode()[3:])
print(j.get("wakeups", 0), j.get("ring_events", 0))
PY
}
cpu_busy() { awk '/^cpu /{print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8}' /proc/stat; }
for run in $(seq "$runs"); do
for j in $jobs; do
    IFS=: read -r name rw bs qd nj <<< "$j"
    [ -z "${only:-}" ] || [[ " $only " == *" $name "* ]] || continue
    for d in $devices; do
        label=${d%%=*}; dev=${d#*=}
        read -r w0 e0 < <(ring_counts "$dev")
        read -r b0 t0 < <(cpu_busy)
        fio --name="$name" --filename="$dev" --direct=1 --ioengine=io_uring --rw="$rw" --bs="$bs" \
            --iodepth="$qd" --numjobs="$nj" --group_reporting --time_based --runtime="$runtime" --ramp_time=1 \
            --size="${size}M" --randrepeat=0 --norandommap --output-format=json > "$OUT/$name.$label.r$run.json"
        read -r b1 t1 < <(cpu_busy)
        echo "$(( (b1 - b0) * 100 / (t1 - t0 + 1) ))" > "$OUT/$name.$label.r$run.cpu"
        read -r w1 e1 < <(ring_counts "$dev")
        echo "$((w1 - w0)) $((e1 - e0))" > "$OUT/$name.$label.r$run.ring"
        echo "  run $run: $name on $label done"
    done
done
done
# Memory: RSS of the server beyond the data it stores.
for d in $devices; do
    label=${d%%=*}; dev=${d#*=}
    case "$label" in brd|ublksrv*) continue ;; esac
    id=${dev#/dev/ublkb}
    pid=$($U list --json | python3 -c "import json,sys; print([x for x in json.load(sys.stdin) if x['id']==$id][0]['server_pid'])")
    rss=$(awk '/^VmRSS/{print $2 * 1024}' /proc/$pid/status)
    store=$($U stats -n "$id" --json | python3 -c "import json,sys; print(json.load(sys.stdin)['memory_rss_bytes'])")
    echo "$label $rss $store" >> "$OUT/memory"
done
$U del -a
[ -n "${ublksrv:-}" ] && [ -x "$ublksrv" ] && timeout 60 "$ublksrv" del -a > /dev/null 2>&1 || true
