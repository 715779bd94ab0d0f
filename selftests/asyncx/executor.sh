#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# executor: the in-kernel executor under load, through debugfs. Tasks spawned
# in bulk all complete and the per-CPU counters add up; the module unloads
# and reloads with thousands of tasks in flight, repeatedly. Prints TAP.
# Needs root, debugfs and ASYNCX_KO (path to asyncx.ko).

KO=${ASYNCX_KO:-}
D=/sys/kernel/debug/asyncx
N=${N:-20000}
HOLD=${HOLD:-10000}
CYCLES=${CYCLES:-3}

n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n $1"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name"; fi; }

# The "total" row of the stats file, one column: spawned polled woken
# stolen parked yields completed cancelled.
total() {
	awk -v col="$1" '$1 == "total" { print $(col + 1) }' "$D/stats"
}
live() { awk '/^live tasks:/ { print $3 }' "$D/stats"; }

echo "TAP version 13"
if [ "$(id -u)" -ne 0 ] || [ -z "$KO" ] || [ ! -f "$KO" ]; then
	echo "1..0 # SKIP needs root and ASYNCX_KO=path/to/asyncx.ko"
	exit 4
fi
echo "1..6"
[ -d /sys/module/asyncx ] || insmod "$KO"
for _ in $(seq 50); do [ -e "$D/bench" ] && break; sleep 0.1; done

spawned0=$(total 1)
completed0=$(total 7)
echo "spawn $N" >"$D/bench"
res=$(cat "$D/bench")
echo "# $res"
check "spawn $N: all tasks complete" test "$(live)" = 0
check "counters: spawned and completed grew by $N" \
	test "$(( $(total 1) - spawned0 ))" -ge "$N" -a "$(( $(total 7) - completed0 ))" -ge "$N"
check "the benchmark reports a rate for asyncx and workqueue" \
	bash -c "[[ '$res' =~ asyncx\ [0-9]+\ ns\ \([0-9]+/s\).*workqueue\ [0-9]+\ ns ]]"

echo "wake 2000" >"$D/bench"
res=$(cat "$D/bench")
echo "# $res"
check "the latency benchmark reports percentiles" \
	bash -c "[[ '$res' =~ p50\ [0-9]+\ p99\ [0-9]+\ p999\ [0-9]+.*p50\ [0-9]+ ]]"

cycle_ok=1
for i in $(seq "$CYCLES"); do
	echo "hold $HOLD" >"$D/bench" || { cycle_ok=0; break; }
	held=$(live)
	if [ "$held" -lt "$HOLD" ]; then
		echo "# cycle $i: $held tasks live, expected $HOLD"
		cycle_ok=0
		break
	fi
	rmmod asyncx || { cycle_ok=0; break; }
	insmod "$KO" || { cycle_ok=0; break; }
	for _ in $(seq 50); do [ -e "$D/stats" ] && break; sleep 0.1; done
	[ "$(live)" = 0 ] || { cycle_ok=0; break; }
done
check "$CYCLES unload/reload cycles with $HOLD tasks in flight" test "$cycle_ok" -eq 1

echo "hold 100" >"$D/bench"
echo release >"$D/bench"
for _ in $(seq 100); do [ "$(live)" = 0 ] && break; sleep 0.1; done
check "held tasks complete when released" test "$(live)" = 0

[ "$fails" -eq 0 ]
