#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs in the test VM for `make bench` (scripts/bench.py): loads asyncx.ko
# ($ASYNCX_KO) and runs every benchmark against its baseline in the same
# boot, printing raw result lines the host parses:
#
#   ring,SYS,OP,BATCH,THREADS,OPS,SECONDS,OPS_PER_S,CPU_S   (bench/ring_bench)
#   spawn N: ...        wake N: ...       fanout N: ...
#   tel,ON,LINE         a spawn or wake line, telemetry off (0) or on (1)
#   prio N: ...         mem: ...          (debugfs bench, kmod/bench.c)
#   ringprio,N,...                           (bench/ring_prio)
#   ringmem,SYS,OP,N,SLAB_BYTES,BYTES_PER_OP  (bench/ring_mem)
#   io,SYS,KIND,QD,READS,SECONDS,READS_PER_S  (bench/io_bench randread)
#   fio,KIND,QD,READS,SECONDS,READS_PER_S     (fio's io_uring engine)
#   echo,SYS,CONNS,ROUND_TRIPS,SECONDS,ROUND_TRIPS_PER_S  (bench/io_bench echo)
#   scale,NCPU,LINE     one of the lines above with NCPU CPUs online
#
# ASYNCX_BENCH_SECONDS: length of each ring, I/O and echo run (default 1).
# ASYNCX_BENCH_ONLY=io: only the I/O rows (io, fio, echo); =scale: only the
# scaling rows (scale,N,... for 1, 2, 4, 8, 16 online CPUs).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
. "$root/scripts/guest/lib.sh"
B=/sys/kernel/debug/asyncx/bench
secs=${ASYNCX_BENCH_SECONDS:-1}
only=${ASYNCX_BENCH_ONLY:-}
ncpu=$(nproc)
case $only in
'' | io | scale) ;;
*) echo "guest.sh: ASYNCX_BENCH_ONLY=$only: only 'io' and 'scale' are known" >&2; exit 2 ;;
esac

# Random 4 KiB reads from null_blk, buffered and O_DIRECT, at queue depth 1,
# 32 and 128, and fio's io_uring engine on the same jobs. The test VM's
# null_blk (kernel command line) completes each I/O 5 ms later from a timer,
# which would measure the timer: reload it for a benchmark. nullb0, for
# O_DIRECT: softirq completions (irqmode=1: the block softirq, raised on the
# submitting CPU while it submits, so the device takes no time, and the
# completion comes from interrupt context as a real device's does) and not
# memory-backed (memory_backed=0: no copy, so the device costs as little as
# it can and the rates are those of the rings); 256 tags, so that QD 128
# never finds the device full. The command line's options apply too
# (modprobe reads them): each one it sets is overridden here.
# nullb1, for the buffered reads, through configfs: memory-backed (the file
# system must keep what mkfs and the file wrote), 256 MiB, with ext4 and a
# 128 MiB file on it, read once so that every page is in the page cache.
nullb_setup() {
	# (The test VM loads it with its own parameters; this guest may not.)
	if [ -d /sys/module/null_blk ]; then
		rmmod null_blk || return 1
	fi
	modprobe null_blk nr_devices=1 gb=1 irqmode=1 hw_queue_depth=256 \
		memory_backed=0 || return 1
	wait_for_node /dev/nullb0 || return 1
	grep -q ' /sys/kernel/config ' /proc/mounts ||
		mount -t configfs configfs /sys/kernel/config || return 1
	# The disk takes the name of its configfs directory.
	nb1=/sys/kernel/config/nullb/nullb1
	mkdir "$nb1" || return 1
	echo 256 >"$nb1/size" && echo 1 >"$nb1/memory_backed" &&
		echo 1 >"$nb1/irqmode" && echo 256 >"$nb1/hw_queue_depth" &&
		echo 1 >"$nb1/power" || return 1
	wait_for_node /dev/nullb1 || return 1
	command -v mkfs.ext4 >/dev/null && modprobe ext4 || return 1
	mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 /dev/nullb1 || return 1
	mnt=$(mktemp -d /tmp/io_bench.XXXXXX)
	mount -t ext4 /dev/nullb1 "$mnt" || return 1
	dd if=/dev/zero of="$mnt/file" bs=1M count=128 conv=fsync status=none || return 1
	cat "$mnt/file" >/dev/null
}

nullb_teardown() {
	umount "$mnt"
	rmdir "$mnt"
	echo 0 >"$nb1/power"
	rmdir "$nb1"
	rmmod null_blk
}

# fio's io_uring engine, with what fio offers to go fast (no random map, no
# latency clocks: under TCG a clock read costs as much as a read) and the
# page cache left as it is (fio drops a file's cached pages by default).
# Prints one fio line from fio's terse output (version 3: field 6 is the
# KiB read, 8 the IOPS, 9 the run time in ms).
fio_run() {
	local kind=$1 file=$2 qd=$3 direct=0 ms
	if [ "$kind" = direct ]; then direct=1; fi
	ms=$(awk -v s="$secs" 'BEGIN { printf "%d", s * 1000 }')
	fio --name=randread --ioengine=io_uring --rw=randread --bs=4k --iodepth="$qd" \
		--direct="$direct" --invalidate=0 --filename="$file" --time_based \
		--runtime="${ms}ms" --norandommap --gtod_reduce=1 --output-format=terse |
		awk -F';' -v k="$kind" -v qd="$qd" \
			'$1 == 3 { printf "fio,%s,%d,%d,%.3f,%.0f\n", k, qd, $6 / 4, $9 / 1000, $8 }'
}

# The I/O rows: random reads, then echo round trips over loopback.
io_rows() {
	local kind file qd i sys dflag
	if [ ! -e "/lib/modules/$(uname -r)/modules.dep" ]; then
		echo "# io: no kernel modules here (the bench pack?): no random-read rows"
	elif ! nullb_setup; then
		echo "guest.sh: cannot set up null_blk and ext4 for the random reads" >&2
		return 1
	else
		echo "# io: buffered: a 128 MiB file on ext4 on null_blk (memory-backed), in the page cache; direct: /dev/nullb0 (null_blk, softirq completions)"
		for kind in buffered direct; do
			file=$mnt/file dflag=
			if [ "$kind" = direct ]; then file=/dev/nullb0 dflag=direct; fi
			for qd in 1 32 128; do
				for i in 1 2 3; do
					for sys in io_uring asyncx; do
						# shellcheck disable=SC2086 # dflag: none or one word
						"$root/bench/io_bench" "$sys" randread "$file" "$qd" "$secs" $dflag
					done
					if command -v fio >/dev/null; then
						fio_run "$kind" "$file" "$qd"
					fi
				done
			done
		done
		nullb_teardown
	fi

	# Echo round trips: ACCEPT needs net_ops (kmod/ring/net.c).
	ip link set lo up
	echo 1 >/sys/module/asyncx/parameters/net_ops
	for i in 1 2 3; do
		for sys in io_uring asyncx; do
			"$root/bench/io_bench" "$sys" echo 100 "$secs"
		done
	done
	echo 0 >/sys/module/asyncx/parameters/net_ops
}

# Scaling: the executor and one ring per CPU with 1, 2, 4, 8 and 16 online
# CPUs (as many of those as the VM has; the others go offline in sysfs).
# Each raw line is prefixed with "scale,N,": spawn->complete against
# queue_work, a fan-out born on one worker (stealing), wake->poll against a
# work item's queue->run, and NOP batch 32 with one ring per CPU against
# io_uring. A host with fewer cores than vCPUs bounds the larger counts.
online() {
	local c
	for c in /sys/devices/system/cpu/cpu[1-9]*; do
		if [ "${c##*cpu}" -lt "$1" ]; then echo 1 >"$c/online"; else echo 0 >"$c/online"; fi
	done
}
scale_rows() {
	local n i sys cmd
	for n in 1 2 4 8 16; do
		[ "$n" -le "$ncpu" ] || break
		online "$n"
		for i in 1 2 3; do
			for cmd in "spawn 50000" "spawnplug 50000" "spawntask 50000" "fanout 20000" \
				"wake 5000"; do
				echo "$cmd" >$B
				echo "scale,$n,$(cat $B)"
			done
			for sys in io_uring asyncx; do
				echo "scale,$n,ring,$("$root/bench/ring_bench" "$sys" nop 32 "$n" "$secs")"
			done
		done
	done
	online "$ncpu"
}
insmod "$ASYNCX_KO"
wait_for_node /dev/asyncx
echo "# kernel $(uname -r), $ncpu vCPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)"

if [ "$only" = scale ]; then
	scale_rows
	rmmod asyncx
	exit 0
fi
if [ "$only" = io ]; then
	io_rows
	rmmod asyncx
	exit 0
fi

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
# SQ polling: NOPs through an SQPOLL ring, one thread (its SQ thread on
# another vCPU), against IORING_SETUP_SQPOLL; cpu_s gives ops per CPU-second.
for batch in 1 8 32; do
	ring sqpoll "$batch" 1
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

# Telemetry's cost (rt/telemetry.c): the same spawns and wakes with it off
# and on, interleaved, in one boot.
tel=/sys/module/asyncx/parameters/telemetry
for i in 1 2 3; do
	for on in 0 1; do
		echo "$on" >$tel
		echo "spawn 50000" >$B
		echo "tel,$on,$(cat $B)"
		echo "wake 5000" >$B
		echo "tel,$on,$(cat $B)"
	done
done
echo 1 >$tel

scale_rows

# Priorities: HIGH and LOW latency while LOW tasks saturate every worker.
# (1000 wakes each: 5000 ran 12 minutes without a line under TCG, past
# the test VM's 300 s stall limit, for the same percentiles.)
for i in 1 2 3; do
	echo "prio 1000" >$B
	cat $B
done

# Priorities through the ring: HIGH and LOW timeouts due together while
# LOW retries saturate the workers.
for i in 1 2 3; do
	"$root/bench/ring_prio" 512
done

echo mem >$B
cat $B

io_rows
rmmod asyncx
