#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# trace_toggle: the asyncx trace events are switched on and off, round after
# round, while every CPU keeps scheduling, and the module still works after.
# Each switch patches kernel text: the tracepoints' static calls and keys in
# asyncx.ko and, when it is the first event of the boot to go on or the last
# to go off, ftrace's comm recorder hooking sched_switch and sched_wakeup in
# __schedule(). Regression test of the rt hang (Documentation/testing.rst,
# "Text patching under TCG"): under qemu's multi-threaded TCG that patching
# of __schedule() livelocked the rt guest within 20 rounds, before
# scripts/kernels.sh kept one event on from boot. (No asyncx load runs
# meanwhile: the same emulator bug strikes a site of asyncx.ko that a vCPU is
# running while it is patched, as it did on 6.12.) Prints TAP. Needs root,
# the module loaded and `make -C lib examples`.

T=/sys/kernel/tracing
ROUNDS=${ROUNDS:-30}
NOP=../../lib/build/examples/nop_batch

echo "TAP version 13"
if [ ! -c /dev/asyncx ] || [ ! -d "$T/events/asyncx" ] || [ ! -x "$NOP" ]; then
	echo "1..0 # SKIP needs /dev/asyncx, tracefs at $T and $NOP"
	exit 4
fi
echo "1..2"

# Schedulers on every CPU, until told to stop.
pids=()
for _ in $(seq "$(nproc)"); do
	(while :; do sleep 0.001; done) &
	pids+=($!)
done

t0=$(date +%s)
for i in $(seq "$ROUNDS"); do
	echo 1 >"$T/events/asyncx/enable" || break
	echo >"$T/trace"
	echo 0 >"$T/events/asyncx/enable" || break
	[ $((i % 10)) -eq 0 ] && echo "# round $i of $ROUNDS"
done
secs=$(($(date +%s) - t0))
if [ "$i" -eq "$ROUNDS" ]; then
	echo "ok 1 $ROUNDS rounds of asyncx events on and off in $secs s"
	ok1=1
else
	echo "not ok 1 round $i of $ROUNDS could not switch the events"
	ok1=0
fi

kill "${pids[@]}" 2>/dev/null
wait "${pids[@]}" 2>/dev/null
# The module works after: NOPs through a ring, each completed.
out=$("$NOP" 20000 16 2>&1)
if [ $? -eq 0 ] && echo "$out" | grep -q ' NOPs .*, 0 failed$'; then
	echo "ok 2 then: $out"
	ok2=1
else
	echo "not ok 2 then NOPs through a ring: $out"
	ok2=0
fi
[ "$ok1" -eq 1 ] && [ "$ok2" -eq 1 ]
