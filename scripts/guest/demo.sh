#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs in the test VM for `make run`: load asyncx.ko ($ASYNCX_KO), trace it,
# run the demo client, show what happened, unload.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
T=/sys/kernel/tracing

echo "== guest: $(uname -r), $(nproc) CPUs"
insmod "$ASYNCX_KO"
wait_for_node /dev/asyncx
echo "== module loaded:"
grep '^asyncx ' /proc/modules
ls -l /dev/asyncx
echo "== debugfs: /sys/kernel/debug/asyncx/: $(ls /sys/kernel/debug/asyncx)"
echo "== tracepoints: $(ls $T/events/asyncx | grep -v -e enable -e filter | tr '\n' ' ')"

echo 1 >$T/events/asyncx/enable
: >$T/trace
echo "== running the demo client"
samples/demo/asyncx-demo
echo 0 >$T/events/asyncx/enable

echo "== trace of the run (asyncx events):"
grep -E 'asyncx_' $T/trace | sed -E 's/^ +//'

echo "== a batch of timeouts through the rings, traced (lib/examples/timeouts.c)"
: >$T/trace
echo 1 >$T/events/asyncx/enable
lib/build/examples/timeouts
echo 0 >$T/events/asyncx/enable
echo "== what the executor did for them (event counts):"
grep -oE 'asyncx_[a-z_]+' $T/trace | sort | uniq -c | sed 's/^/  /'

echo "== one million NOPs through the rings (lib/examples/nop_batch.c)"
lib/build/examples/nop_batch
echo "== executor counters (/sys/kernel/debug/asyncx/stats):"
cat /sys/kernel/debug/asyncx/stats

rmmod asyncx
echo "== module unloaded; /dev/asyncx present: $([ -e /dev/asyncx ] && echo yes || echo no)"
