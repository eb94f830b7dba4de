#!/bin/bash
# First writes (page allocation) vs overwrites and reads: the anonymous store vs the --recoverable
# file store, alternating, in one boot (run in the test VM: bash tests/vm/vm.sh tests/bench/first-write.sh).
U=$PWD/packaging/ublk
for round in 1 2 3; do
  for cfg in anon rec; do
    extra=""; [ $cfg = rec ] && extra="--recoverable"
    dev=$($U add -t ram --size 1G $extra) || exit 1
    t0=$(date +%s.%N); dd if=/dev/zero of=$dev bs=1M count=512 oflag=direct status=none; t1=$(date +%s.%N)
    dd if=/dev/zero of=$dev bs=1M count=512 oflag=direct status=none; t2=$(date +%s.%N)
    dd if=$dev of=/dev/null bs=1M count=512 iflag=direct status=none; t3=$(date +%s.%N)
    echo "round $round $cfg: first write $(echo "512/($t1-$t0)" | bc) MiB/s, overwrite $(echo "512/($t2-$t1)" | bc) MiB/s, read $(echo "512/($t3-$t2)" | bc) MiB/s"
    $U del -n ${dev#/dev/ublkb} || exit 1
  done
done
