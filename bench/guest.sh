#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs in the test VM for `make bench` (scripts/bench.py): loads asyncx.ko
# ($ASYNCX_KO) and runs every benchmark against its baseline in the same
# boot, printing raw result lines the host parses:
#
#   ring,SYS,OP,BATCH,THREADS,OPS,SECONDS,OPS_PER_S   (bench/ring_bench)
#   spawn N: ...        wake N: ...       fanout N: ...
#   prio N: ...         mem: ...          (debugfs bench, kmod/bench.c)
#   ringprio,N,...                           (bench/ring_prio)
#   ringmem,SYS,OP,N,SLAB_BYTES,BYTES_PER_OP  (bench/ring_mem)
#
# ASYNCX_BENCH_SECONDS: length of each ring run (default 1).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
. "$root/scripts/guest/lib.sh"
B=/sys/kernel/debug/asyncx/bench
secs=${ASYNCX_BENCH_SECONDS:-1}
ncpu=$(nproc)

insmod "$ASYNCX_KO"
wait_for_node /dev/asyncx
echo "# kernel $(uname -r), $ncpu vCPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)"

# Ring round trips: io_uring, then asyncx, three times for each point (the
# host's other load moves single runs by a third; the table takes medians).
ring() {
	for i in 1 2 3; do
		for sys in io_uring asyncx; do
			echo -n "ring,"
			"$root/bench/ring_bench" "$sys" "$@" "$secs"
		done
	done
}
for op in nop timeout0 poll; do
	for batch in 1 8 32 128; do
		for threads in 1 "$ncpu"; do
			ring "$op" "$batch" "$threads"
		done
	done
done
# The system call alone: an empty enter (ioctl) against io_uring_enter().
for threads in 1 "$ncpu"; do
	ring enter 1 "$threads"
done

# Kernel memory per operation in flight (slab), while nothing else runs.
for op in timeout poll read; do
	for i in 1 2 3; do
		for sys in io_uring asyncx; do
			echo -n "ringmem,"
			"$root/bench/ring_mem" "$sys" "$op" 8192
		done
	done
done

# The executor against a per-CPU workqueue.
for i in 1 2 3; do
	echo "spawn 100000" >$B
	cat $B
done
# Five wake runs: their p99s move by 2-3x from run to run under TCG.
for i in 1 2 3 4 5; do
	echo "wake 20000" >$B
	cat $B
done

# Stealing: a fan-out born on one worker, with every vCPU, with two (where
# there are more: a host with fewer cores than vCPUs bounds the first), and
# with one.
online() {
	local c
	for c in /sys/devices/system/cpu/cpu[1-9]*; do
		if [ "${c##*cpu}" -lt "$1" ]; then echo 1 >"$c/online"; else echo 0 >"$c/online"; fi
	done
}
ncpu=$(nproc)
for n in $ncpu $([ "$ncpu" -gt 2 ] && echo 2) 1; do
	online "$n"
	for i in 1 2 3; do
		echo "fanout 20000" >$B
		cat $B
	done
done
online "$ncpu"

# Priorities: HIGH and LOW latency while LOW tasks saturate every worker.
for i in 1 2 3; do
	echo "prio 5000" >$B
	cat $B
done

# Priorities through the ring: HIGH and LOW timeouts due together while
# LOW retries saturate the workers.
for i in 1 2 3; do
	"$root/bench/ring_prio" 512
done

echo mem >$B
cat $B
rmmod asyncx
