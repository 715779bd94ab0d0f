#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bpftrace: each script of scripts/bpftrace/ attaches to the module's
# tracepoints, sees the events of a small workload (executor tasks spawned
# through debugfs bench, a fan-out, timeouts and NOPs through /dev/asyncx) and prints
# output that parses, with counts > 0 where the workload did work.
# Prints TAP. Needs the module loaded, bpftrace, and lib examples built.

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BT=$ROOT/scripts/bpftrace
EX=$ROOT/lib/build/examples
BENCH=/sys/kernel/debug/asyncx/bench
scripts=(top wakelat steals starve oplat warn_lost_waker warn_long_poll warn_starved
	warn_wake_after_complete)

echo "TAP version 13"
if [ ! -c /dev/asyncx ]; then
	echo "1..0 # SKIP /dev/asyncx is absent (module not loaded)"
	exit 4
fi
echo "1..${#scripts[@]}"

# The workload, as a file: bpftrace -c splits its argument on spaces and
# wants an ELF binary, so it runs "bash FILE".
work=$(mktemp /tmp/asyncx-bt-work.XXXXXX)
cat >"$work" <<WORK
echo spawn 5000 >$BENCH
cat $BENCH
# Born in one worker's own queue: the others can only steal them (a
# spawner outside the executor feeds the shared queue, which a kernel as
# slow as the debug one under TCG drains without a steal).
echo fanout 5000 >$BENCH
cat $BENCH
$EX/timeouts >/dev/null
$EX/nop_batch 1000 >/dev/null
# Each telemetry warning once, on purpose (starved: with starved_us 0).
echo "demo lost" >$BENCH
echo "demo cancel" >$BENCH
echo "demo longpoll" >$BENCH
old=\$(cat /sys/module/asyncx/parameters/starved_us)
echo 0 >/sys/module/asyncx/parameters/starved_us
echo "demo starved" >$BENCH
echo \$old >/sys/module/asyncx/parameters/starved_us
echo "demo wakeafter" >$BENCH
sleep 1.2
WORK
bash=$(readlink -f "$(command -v bash)")

# num KEY OUT: the number after "KEY" in OUT (first match), or -1.
num() {
	local v
	v=$(grep -m1 -oE "$1[: =]+[0-9]+" <<<"$2" | grep -oE '[0-9]+$')
	echo "${v:--1}"
}

check() {
	case $1 in
	top)
		local total v k
		total=$(grep '^TOTAL ' <<<"$2") || return 1
		for k in spawned polled completed cqes; do
			v=$(grep -oE "$k=[0-9]+" <<<"$total" | cut -d= -f2)
			[ "${v:-0}" -gt 0 ] || { echo "# $k=0"; return 1; }
		done
		grep -qE '^ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+$' <<<"$2" ||
			{ echo "# no per-CPU row"; return 1; } ;;
	wakelat)
		[ "$(num '@polls_measured' "$2")" -gt 0 ] || return 1
		grep -q '^@wake_to_poll_us_normal:' <<<"$2" || return 1
		grep -qE '^\[[0-9]+[KM]?, [0-9]+[KM]?\) +[0-9]+ \|' <<<"$2" || return 1 ;;
	steals)
		[ "$(num '@steals' "$2")" -gt 0 ] || return 1
		grep -qE '^@stolen\[[0-9]+, [0-9]+\]: [1-9]' <<<"$2" || return 1
		grep -qE '^@depth_max\[[0-9]+\]: [0-9]+' <<<"$2" || return 1 ;;
	starve)
		[ "$(num '@waits' "$2")" -gt 0 ] || return 1
		grep -qE '^@worst_wait_us\[1\]: [0-9]+' <<<"$2" || return 1 ;;
	warn_lost_waker | warn_long_poll | warn_starved | warn_wake_after_complete)
		local tag
		tag=$(tr '[:lower:]' '[:upper:]' <<<"${1#warn_}")
		[ "$(num '@warnings' "$2")" -ge 1 ] || return 1
		grep -qE "^$tag task=[0-9]+ value_ns=[0-9]+ site=" <<<"$2" || return 1 ;;
	oplat)
		[ "$(num '@ops\[TIMEOUT\]' "$2")" -ge 7 ] || return 1
		[ "$(num '@ops\[NOP\]' "$2")" -ge 1000 ] || return 1
		grep -qE '^@latency_us\[TIMEOUT, timeouts, [0-9]+, [0-9]+\]:' <<<"$2" || return 1 ;;
	esac
}

n=0
fails=0
for s in "${scripts[@]}"; do
	n=$((n + 1))
	out=$(timeout 200 bpftrace "$BT/$s.bt" -c "$bash $work" 2>&1)
	rc=$?
	echo "$out" | tail -n 25 | sed 's/^/# /'
	if [ $rc -eq 0 ] && check "$s" "$out"; then
		echo "ok $n $s"
	else
		echo "# exit status $rc"
		echo "not ok $n $s"
		fails=$((fails + 1))
	fi
done
rm -f "$work"
[ "$fails" -eq 0 ]
