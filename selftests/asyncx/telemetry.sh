#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# telemetry: asyncx-top --once during a load, parsed (and its screen): the warnings line, the
# executor's counters per CPU, the tasks with their telemetry (50 tasks that
# wait on a wait queue, a task that lost its waker on purpose, marked L),
# the sort orders, and a context with 3 TIMEOUTs and 2 POLLs in flight by
# opcode; then each warning provoked from debugfs bench ("demo") and seen
# in the counters: lost waker, long poll, starved (starved_us lowered) and
# wake after completion; and no warning from a healthy load. Prints TAP.

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TOP=$ROOT/tools/asyncx-top/asyncx-top
BENCH=/sys/kernel/debug/asyncx/bench
PARAMS=/sys/module/asyncx/parameters

n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n $1"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name"; fi; }

echo "TAP version 13"
if [ ! -c /dev/asyncx ] || [ ! -w $BENCH ] || [ ! -x "$TOP" ]; then
	echo "1..0 # SKIP needs /dev/asyncx, debugfs and tools/asyncx-top built"
	exit 4
fi
echo "1..16"

tmp=$(mktemp -d /tmp/asyncx-tel.XXXXXX)
cleanup() {
	echo release >$BENCH
	echo "demo cancel" >$BENCH
	echo 1 >$PARAMS/telemetry
	[ -n "${hold_pid:-}" ] && kill "$hold_pid" 2>/dev/null
	exec 3>&- 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# warning KIND: the total of a warning, from the --once snapshot.
warning() { "$TOP" --once | sed -n "s/^warnings .*\b$1=\([0-9]*\).*/\1/p"; }

# The load: 50 tasks that wait on a wait queue, one that lost its waker,
# a context with operations in flight (its stdin held open by fd 3).
echo hold 50 >$BENCH
echo "demo lost" >$BENCH
mkfifo "$tmp/in"
"$ROOT/selftests/asyncx/ctx_holder" 3 2 <"$tmp/in" >"$tmp/holder" &
hold_pid=$!
exec 3>"$tmp/in"
for _ in $(seq 100); do grep -q ready "$tmp/holder" && break; sleep 0.05; done

"$TOP" --once >"$tmp/once" 2>"$tmp/err"
rc=$?
sed 's/^/# /' "$tmp/once" | head -20
header_ok() { [ "$rc" -eq 0 ] && [ "$(head -1 "$tmp/once")" = "# asyncx-top 1" ]; }
check "asyncx-top --once exits 0 with its header" header_ok
check "the warnings line counts the lost waker" grep -Eq \
	'^warnings telemetry=on lost_waker=[1-9][0-9]* long_poll=[0-9]+ starved=[0-9]+ wake_after_complete=[0-9]+$' \
	"$tmp/once"
ncpu=$(grep -c '^cpu cpu=[0-9]' "$tmp/once")
possible=$(awk -F- '{print $NF + 1}' /sys/devices/system/cpu/possible)
cpus_ok() { [ "$ncpu" -eq "$possible" ] &&
	    grep -Eq '^cpu cpu=total spawned=[1-9][0-9]* polled=[1-9].* queued=[0-9]+ state=-$' "$tmp/once" &&
	    grep -Eq '^cpu cpu=0 .* queued=[0-9]+ state=(running|searching|idle|offline)$' "$tmp/once"; }
check "a cpu line per possible CPU ($ncpu of $possible) and a total with polls" cpus_ok
holds=$(grep -c '^task .*type=bench-hold .*waits_on=waitqueue ' "$tmp/once")
check "the 50 waiting tasks, each with its telemetry and its wait queue ($holds)" \
	test "$holds" -eq 50
check "the task that lost its waker is marked L" grep -Eq \
	'^task .*type=bench-demo .*polls=1 .*warn=L ' "$tmp/once"
check "the context: 3 TIMEOUTs and 2 POLLs in flight, by opcode" grep -Eq \
	"^ctx pid=$hold_pid comm=ctx_holder .* inflight=5 ops=TIMEOUT:3,POLL:2 overflow_pending=0 " \
	"$tmp/once"

# Sorted: the key column never grows down the list.
sorted() {
	"$TOP" --once -s "$1" | sed -n "s/^task .* $2=\([0-9]*\).*/\1/p" >"$tmp/keys"
	[ -s "$tmp/keys" ] && sort -rn "$tmp/keys" | cmp -s - "$tmp/keys"
}
sorts_ok() { sorted busy busy_us && sorted wakes wakes && sorted polls polls &&
	     sorted age age_ms; }
check "sorted by busy time by default, and by wakes, polls, age" sorts_ok
refused() { ! "$TOP" --sort nonsense 2>/dev/null; }
check "a bad option is refused" refused
# The screen, twice (-c 2), input at EOF: a refresh each -d, not a spin.
screens() {
	local out
	out=$(timeout 20 "$TOP" -c 2 -d 0.2 -n 100 </dev/null) || return 1
	# (Each screen begins with the escapes that clear the terminal.)
	[ "$(grep -c 'asyncx-top - telemetry on - sorted by busy' <<<"$out")" -eq 2 ] &&
		grep -q '^TASK  *STATE' <<<"$out" && grep -q 'bench-demo' <<<"$out"
}
check "the interactive screen refreshes -c times and shows the tasks" screens

# Each warning, provoked.
lost=$(warning lost_waker)
echo "demo cancel" >$BENCH
echo "demo lost" >$BENCH
check "demo lost: one more lost waker" test "$(warning lost_waker)" -eq $((lost + 1))
echo "demo cancel" >$BENCH
long=$(warning long_poll)
echo "demo longpoll" >$BENCH
check "demo longpoll: one more long poll" test "$(warning long_poll)" -ge $((long + 1))
starved=$(warning starved)
old=$(cat $PARAMS/starved_us)
echo 0 >$PARAMS/starved_us
echo "demo starved" >$BENCH
echo "$old" >$PARAMS/starved_us
check "demo starved (starved_us 0): one more starved task" \
	test "$(warning starved)" -ge $((starved + 1))
after=$(warning wake_after_complete)
echo "demo wakeafter" >$BENCH
check "demo wakeafter: one more wake after completion" \
	test "$(warning wake_after_complete)" -eq $((after + 1))

# A healthy load: the held tasks released, a burst of spawns, a wake
# benchmark, timeouts and NOPs through a ring: no lost waker, none starved,
# no wake after completion.
echo release >$BENCH
before="$(warning lost_waker) $(warning starved) $(warning wake_after_complete)"
echo spawn 5000 >$BENCH
echo wake 200 >$BENCH
"$ROOT/lib/build/examples/timeouts" >/dev/null 2>&1
"$ROOT/lib/build/examples/nop_batch" 1000 >/dev/null 2>&1
after="$(warning lost_waker) $(warning starved) $(warning wake_after_complete)"
check "a healthy load raises no lost waker, starved task or late wake ($before -> $after)" \
	test "$before" = "$after"
# Off (the module parameter): no warning, no record, said in the view.
lost=$(warning lost_waker)
echo 0 >$PARAMS/telemetry
echo "demo lost" >$BENCH
off_ok() {
	"$TOP" --once | grep -q '^warnings telemetry=off ' &&
		[ "$(warning lost_waker)" -eq "$lost" ] &&
		! "$TOP" --once | grep -q '^task .*type=bench-demo .*polls='
}
check "telemetry=0: no warning and no record for a new lost waker" off_ok
echo "demo cancel" >$BENCH
echo 1 >$PARAMS/telemetry
exec 3>&-
wait "$hold_pid"
check "the context holder exits cleanly" test $? -eq 0
hold_pid=
exit $((fails > 0))
