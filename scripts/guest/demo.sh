#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs in the test VM for `make run`: load asyncx.ko ($ASYNCX_KO), run the
# demo client under bpftrace (scripts/bpftrace/oplat.bt: latency of each
# ring operation), put the executor under load under steals.bt and top.bt,
# show the live views (asyncx-top), catch a task that loses its waker on
# purpose (scripts/bpftrace/warn_lost_waker.bt), unload, and print a short
# summary.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$here/lib.sh"
BT=$root/scripts/bpftrace
D=/sys/kernel/debug/asyncx
bash=$(readlink -f "$(command -v bash)")
out=$(mktemp -d /tmp/asyncx-run.XXXXXX)

echo "== guest: Linux $(uname -r), $(nproc) vCPUs"
insmod "$ASYNCX_KO"
wait_for_node /dev/asyncx
echo "== asyncx loaded: /dev/asyncx, debugfs $D/{$(ls $D | tr '\n' ' ' | sed 's/ $//' | tr ' ' ,)}"
echo "   tracepoints: $(ls /sys/kernel/tracing/events/asyncx | grep -v -e enable -e filter | tr '\n' ' ')"

echo
echo "== the demo client (samples/demo), traced by scripts/bpftrace/oplat.bt"
bpftrace "$BT/oplat.bt" -c "$root/samples/demo/asyncx-demo" >"$out/oplat" 2>&1 || {
	cat "$out/oplat"; echo "demo client or bpftrace failed"; exit 1; }
sed -n '/^asyncx-demo: a ring/,/^asyncx-demo: [0-9]* operations/p' "$out/oplat"
grep -q '0 unexpected' "$out/oplat" || { echo "the demo client saw unexpected results"; exit 1; }

echo
echo "== executor load: 4 x 20000 tasks spawned from one thread (debugfs bench),"
echo "   traced by scripts/bpftrace/steals.bt and wakelat.bt"
cat >"$out/load" <<LOAD
for i in 1 2 3 4; do echo spawn 20000 >$D/bench; cat $D/bench; done
echo hold 3 >$D/bench
echo "-- live task table while 3 tasks are held ($D/tasks):"
cat $D/tasks
echo release >$D/bench
sleep 1.1
LOAD
bpftrace "$BT/steals.bt" -c "$bash $out/load" >"$out/steals" 2>&1
bpftrace "$BT/wakelat.bt" -c "$bash $out/load" >"$out/wakelat" 2>&1
grep -E '^spawn|^--|^id |bench-hold' "$out/steals"

echo
echo "== telemetry: a task that loses its waker on purpose (debugfs bench"
echo "   'demo lost'), caught by scripts/bpftrace/warn_lost_waker.bt"
cat >"$out/lost" <<LOST
echo hold 3 >$D/bench
echo "demo lost" >$D/bench
cat $D/bench
sleep 0.5
LOST
bpftrace "$BT/warn_lost_waker.bt" -c "$bash $out/lost" >"$out/lostbt" 2>&1 || {
	cat "$out/lostbt"; echo "bpftrace failed"; exit 1; }
grep -E '^demo|^LOST_WAKER|^@' "$out/lostbt"
grep -q '^LOST_WAKER task=' "$out/lostbt" || { echo "the lost waker was not caught"; exit 1; }
echo
echo "== the live view, one snapshot: asyncx-top --once (tools/asyncx-top;"
echo "   interactively it refreshes like top: b w p a sort, q quits)"
"$root/tools/asyncx-top/asyncx-top" --once | tee "$out/top" | grep -vE '^cpu cpu=[0-9]'
grep -q '^task .*type=bench-demo .*warn=L ' "$out/top" ||
	{ echo "asyncx-top does not show the lost waker"; exit 1; }
echo "demo cancel" >$D/bench
echo release >$D/bench

echo
echo "================================ summary ================================"
echo "what ran (the demo client):"
grep -E '^[0-9]\. |^   ' "$out/oplat" | sed 's/^/  /'
echo
echo "submit->complete latency per ring operation (oplat.bt), microseconds:"
awk '/^@latency_us\[/ { print "  " $0; show = 1; next }
     show && /^\[/ { print "    " $0; next } { show = 0 }' "$out/oplat"
echo
echo "wake->poll latency of the executor under load (wakelat.bt), microseconds:"
awk '/^@wake_to_poll_us/ { print "  " $0; show = 1; next }
     show && /^\[/ { print "    " $0; next } { show = 0 }' "$out/wakelat"
echo
echo "work stealing under load (steals.bt): tasks moved [victim CPU, thief CPU]"
grep -E '^@stolen\[' "$out/steals" | sed 's/^/  /'
grep -E '^@steals:' "$out/steals" | sed 's/^@steals:/  steal operations:/'
echo
echo "executor counters ($D/stats):"
sed 's/^/  /' $D/stats
rm -rf "$out"
rmmod asyncx
echo "== asyncx unloaded; dmesg is checked for warnings by the runner"
