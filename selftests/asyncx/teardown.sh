#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# teardown: module unload while contexts exist. rmmod is refused while a
# process holds a context with operations in flight (timeouts, polls) and
# succeeds once that process is SIGKILLed; reload cycles with contexts
# being killed and in-kernel tasks held (debugfs bench hold); a storm of
# holders killed at random moments, then an unload. Prints TAP. Needs
# root, debugfs and ASYNCX_KO. (teardown_test covers kills mid-submit,
# close racing enter, fork/exec/exit storms and CPU hotplug.)

KO=${ASYNCX_KO:-}
D=/sys/kernel/debug/asyncx
# The debug kernel (found by its kmemleak file) is ~5x slower: 2 cycles.
cycles=5
[ -e /sys/kernel/debug/kmemleak ] && cycles=2
CYCLES=${CYCLES:-$cycles}

n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n $1"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name"; fi; }
live() { awk '/^live tasks:/ { print $3 }' "$D/stats"; }
loaded() { [ -d /sys/module/asyncx ]; }

# Start faults_client hold: a context with 32 operations in flight. Sets
# holder to its pid once it printed "ready".
start_holder() {
	local fifo line
	fifo=$(mktemp -u)
	mkfifo "$fifo"
	./faults_client hold >"$fifo" &
	holder=$!
	read -r -t 20 line <"$fifo"
	rm -f "$fifo"
	[ "$line" = ready ]
}

# rmmod, retried for up to 5 s: a killed process's context is released
# when its last reference goes, which may be just after waitpid.
rmmod_settled() {
	local i
	for i in $(seq 50); do
		rmmod asyncx 2>/dev/null && return 0
		sleep 0.1
	done
	rmmod asyncx
}

load() {
	insmod "$KO" || return 1
	for _ in $(seq 50); do [ -c /dev/asyncx ] && [ -e "$D/stats" ] && return 0; sleep 0.1; done
	return 1
}

echo "TAP version 13"
if [ "$(id -u)" -ne 0 ] || [ -z "$KO" ] || [ ! -f "$KO" ]; then
	echo "1..0 # SKIP needs root and ASYNCX_KO=path/to/asyncx.ko"
	exit 4
fi
echo "1..5"
loaded || load

# 1-2: refused while a context with operations in flight is open.
if start_holder; then
	out=$(rmmod asyncx 2>&1)
	rc=$?
	echo "# rmmod with a context open: exit $rc: $out"
	check "rmmod refused while a context with operations in flight is open" \
		bash -c "[ $rc -ne 0 ] && [ -d /sys/module/asyncx ] && [ -c /dev/asyncx ]"
	kill -9 "$holder"
	wait "$holder" 2>/dev/null
	check "rmmod succeeds once its process is killed" rmmod_settled
else
	not_ok "the holder set up its ring"
	not_ok "rmmod succeeds once its process is killed"
fi
loaded || load

# 3: reload cycles with in-kernel tasks held and contexts killed.
cycle_ok=1
for i in $(seq "$CYCLES"); do
	start_holder || { echo "# cycle $i: holder"; cycle_ok=0; break; }
	echo "hold 2000" >"$D/bench" || { cycle_ok=0; break; }
	kill -9 "$holder"
	wait "$holder" 2>/dev/null
	rmmod_settled || { echo "# cycle $i: rmmod"; cycle_ok=0; break; }
	load || { echo "# cycle $i: insmod"; cycle_ok=0; break; }
	[ "$(live)" = 0 ] || { echo "# cycle $i: $(live) tasks live"; cycle_ok=0; break; }
done
check "$CYCLES reload cycles with 2000 held tasks and a killed context each" \
	test "$cycle_ok" -eq 1
loaded || load

# 4-5: 20 holders, killed at random moments (some before their ring is
# up), then the module unloads.
holder_storm() {
	local pids=() i p
	for i in $(seq 20); do
		./faults_client hold >/dev/null &
		pids+=($!)
	done
	for p in "${pids[@]}"; do
		sleep "0.0$((RANDOM % 10))"
		kill -9 "$p"
	done
	wait "${pids[@]}"
}
# (Its stderr: bash's "Killed" notices.)
holder_storm 2>/dev/null
for _ in $(seq 100); do [ "$(cat $D/contexts 2>/dev/null)" = 0 ] && break; sleep 0.1; done
check "20 holders killed: every context released" test "$(cat $D/contexts 2>/dev/null)" = 0
check "then the module unloads and loads" bash -c "$(declare -f rmmod_settled load); \
	KO='$KO' D='$D'; rmmod_settled && load"

[ "$fails" -eq 0 ]
