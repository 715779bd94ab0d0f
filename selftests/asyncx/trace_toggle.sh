#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# trace_toggle: the asyncx trace events are switched on and off, round after
# round, while NOPs run through a ring and the other CPUs keep scheduling.
# Each switch patches kernel text: the tracepoints' static calls and keys in
# asyncx.ko, and (the first event on, the last one off) ftrace's comm
# recorder hooking sched_switch and sched_wakeup in the scheduler. Regression
# test of the rt hang (Documentation/testing.rst, "The rt kernel"): there,
# under multi-threaded TCG, such patching livelocked the guest within 20
# rounds, before scripts/kernels.sh turned the sched events on from boot.
# Every round must end, and the load must complete all its NOPs.
# Prints TAP. Needs root, the module loaded and `make -C lib examples`.

T=/sys/kernel/tracing
ROUNDS=${ROUNDS:-30}
NOP=../../lib/build/examples/nop_batch

echo "TAP version 13"
if [ ! -c /dev/asyncx ] || [ ! -d "$T/events/asyncx" ] || [ ! -x "$NOP" ]; then
	echo "1..0 # SKIP needs /dev/asyncx, tracefs at $T and $NOP"
	exit 4
fi
echo "1..2"

# Schedulers on every CPU, and NOPs through a ring, until told to stop.
pids=()
for _ in $(seq "$(nproc)"); do
	(while :; do sleep 0.001; done) &
	pids+=($!)
done
out=$(mktemp)
stop=$out.stop
(while [ ! -e "$stop" ]; do "$NOP" 20000 16 || exit 1; done) >"$out" 2>&1 &
load=$!

t0=$(date +%s)
for i in $(seq "$ROUNDS"); do
	echo 1 >"$T/events/asyncx/enable" || break
	echo >"$T/trace"
	echo 0 >"$T/events/asyncx/enable" || break
	[ $((i % 10)) -eq 0 ] && echo "# round $i of $ROUNDS"
done
secs=$(($(date +%s) - t0))
if [ "$i" -eq "$ROUNDS" ]; then
	echo "ok 1 $ROUNDS rounds of asyncx events on and off under load in $secs s"
	ok1=1
else
	echo "not ok 1 round $i of $ROUNDS could not switch the events"
	ok1=0
fi

kill "${pids[@]}" 2>/dev/null
wait "${pids[@]}" 2>/dev/null
# The load ends after the run it is in.
touch "$stop"
wait "$load"
runs=$(grep -c ' NOPs .*, 0 failed$' "$out")
bad=$(grep -v ' NOPs .*, 0 failed$' "$out" | head -n 3)
rm -f "$out" "$stop"
if [ -z "$bad" ] && [ "$runs" -gt 0 ]; then
	echo "ok 2 the NOP load completed $runs runs meanwhile"
	ok2=1
else
	echo "not ok 2 the NOP load failed after $runs runs: $bad"
	ok2=0
fi
[ "$ok1" -eq 1 ] && [ "$ok2" -eq 1 ]
