#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# hotplug: CPUs go offline and come back while the executor is busy; every
# task still completes (a going-down CPU's worker hands its queue to the
# others) and the workers follow the CPUs. Prints TAP. Needs root, debugfs,
# at least two CPUs that can go offline, and ASYNCX_KO.

KO=${ASYNCX_KO:-}
D=/sys/kernel/debug/asyncx
SYS=/sys/devices/system/cpu

n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n $1"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name"; fi; }
live() { awk '/^live tasks:/ { print $3 }' "$D/stats"; }
workers() { pgrep -c '^asyncx/[0-9]+$'; }
set_online() { echo "$2" >"$SYS/cpu$1/online"; }

echo "TAP version 13"
cpus=()
for f in "$SYS"/cpu[0-9]*/online; do
	c=${f#"$SYS"/cpu}
	cpus+=("${c%/online}")
done
if [ "$(id -u)" -ne 0 ] || [ -z "$KO" ] || [ ! -f "$KO" ] || [ ${#cpus[@]} -lt 2 ]; then
	echo "1..0 # SKIP needs root, ASYNCX_KO and two CPUs that can go offline"
	exit 4
fi
echo "1..4"
[ -d /sys/module/asyncx ] || insmod "$KO"
for _ in $(seq 50); do [ -e "$D/bench" ] && break; sleep 0.1; done
online=$(nproc)

# Offline/online every hot-pluggable CPU in turn while spawn loads run
# back to back: two rounds at least, and more (up to 20) until two loads
# have completed under them (a load takes seconds on a slow debug guest).
stop=$(mktemp)
rm -f "$stop"
progress=$(mktemp)
echo 0 >"$progress"
(
	i=0
	while [ ! -e "$stop" ]; do
		echo "spawn 5000" >"$D/bench" || exit 1
		i=$((i + 1))
		echo "$i" >"$progress"
	done
	echo "$i" >"$stop"
) &
load=$!
toggled=0
round=0
while [ "$round" -lt 2 ] ||
	{ [ "$(cat "$progress")" -lt 2 ] && [ "$round" -lt 20 ]; }; do
	round=$((round + 1))
	for c in "${cpus[@]}"; do
		set_online "$c" 0 && toggled=$((toggled + 1))
		sleep 0.2
		set_online "$c" 1
	done
done
touch "$stop"
wait $load
loads=$(cat "$stop")
rm -f "$stop" "$progress"
res=$(cat "$D/bench")
echo "# $loads loads of 5000 tasks; last: $res"
check "spawn loads complete while CPUs go offline and online ($toggled offlines)" \
	bash -c "[ $toggled -gt 0 ] && [ '$loads' -gt 1 ] && [[ '$res' == 'spawn 5000: asyncx '* ]]"
check "no task left live" test "$(live)" = 0

# Tasks pending while a CPU is offline complete after release.
echo "hold 5000" >"$D/bench"
set_online "${cpus[0]}" 0
echo release >"$D/bench"
for _ in $(seq 100); do [ "$(live)" = 0 ] && break; sleep 0.1; done
check "held tasks complete with CPU ${cpus[0]} offline" test "$(live)" = 0
set_online "${cpus[0]}" 1
sleep 0.5
check "one worker per online CPU ($online)" test "$(workers)" = "$online"

[ "$fails" -eq 0 ]
