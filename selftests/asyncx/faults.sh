#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# faults: asyncx under fault injection (failslab and fail_page_alloc, so
# CONFIG_FAULT_INJECTION_DEBUG_FS: the debug kernel). Allocations fail in
# the module's paths; every failure must come back as an errno or an
# errno in a CQE, nothing may be lost but what the SQ ring's dropped word
# counts, nothing may leak (kselftests.sh runs kmemleak after it) and the
# kernel log must stay clean. Prints TAP.
#
# The stock kernels lack fault injection, so scripts/check.py runs this
# test only on the debug kernel, in a boot of its own (the Makefile's
# TEST_PROGS_DEBUG); run elsewhere it is a kselftest SKIP.
#
# The kernel has no FAULT_INJECTION_STACKTRACE_FILTER, so the faults are
# aimed with the task filter: they hit the asyncx worker threads (every
# allocation they make is on behalf of asyncx) and faults_client only
# while it is inside an asyncx call (it sets its make-it-fail around
# them), insmod of the module, and nothing else; plus /proc/*/fail-nth to
# fail each allocation of setup and of an enter in turn. The number of
# faults injected comes from the attributes' "times" budget.
# Needs root, debugfs and ASYNCX_KO.

KO=${ASYNCX_KO:-}
DBG=/sys/kernel/debug
FS=$DBG/failslab
FP=$DBG/fail_page_alloc
SECS=${FAULTS_SECS:-20}
BUDGET=1000000

n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n $1"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name"; fi; }
comment() { sed 's/^/# /'; }

echo "TAP version 13"
if [ ! -d "$FS" ] || [ ! -d "$FP" ]; then
	echo "1..0 # SKIP no $FS or $FP: a kernel without fault injection"
	exit 4
fi
if [ "$(id -u)" -ne 0 ] || [ -z "$KO" ] || [ ! -f "$KO" ]; then
	echo "1..0 # SKIP needs root and ASYNCX_KO=path/to/asyncx.ko"
	exit 4
fi
echo "1..9"
[ -d /sys/module/asyncx ] || insmod "$KO"
for _ in $(seq 50); do [ -c /dev/asyncx ] && break; sleep 0.1; done

attrs="probability interval times space verbose task-filter ignore-gfp-wait"
set_attr() { echo "$3" >"$1/$2"; }
# Everything faults.sh changes, restored on exit.
saved=()
for d in $FS $FP; do
	for a in $attrs; do saved+=("$d/$a=$(cat "$d/$a")"); done
done
saved+=("$FP/min-order=$(cat $FP/min-order)" "$FP/ignore-gfp-highmem=$(cat $FP/ignore-gfp-highmem)")
workers() { pgrep '^asyncx/[0-9]+$'; }
workers_fail() {
	local p
	for p in $(workers); do echo "$1" >"/proc/$p/make-it-fail"; done
}
# The programs run from copies in tmpfs, whose pages are resident: a page
# of theirs read in from the 9p work tree by a task whose allocations fail
# (the client inside an asyncx call, a worker copying to its memory) fails
# to read, which is a SIGBUS, and it left that 9p mount answering EINVAL
# to every exec after it (a full check: faults_client died with exit status
# 135, then nothing under the work tree would start; an earlier CI failure
# of the same phase fits it). Not what is tested here.
exdir=../../lib/build/examples
bin=$(mktemp -d /tmp/faults.XXXXXX) &&
	cp ./faults_client ./fuzz $exdir/nop_batch $exdir/timeouts \
		$exdir/pipe_echo $exdir/file_copy "$bin/" ||
	{ echo "Bail out! cannot copy the programs to tmpfs"; exit 1; }
restore() {
	local kv
	workers_fail 0
	for kv in "${saved[@]}"; do echo "${kv#*=}" >"${kv%%=*}"; done
	rm -rf "$bin"
}
trap restore EXIT

# Common to both: fail GFP_KERNEL (sleeping) allocations and order-0
# pages too, only in tasks with make-it-fail; probability 0 until the
# random phase (fail-nth works without it).
for d in $FS $FP; do
	set_attr "$d" probability 0
	set_attr "$d" interval 1
	set_attr "$d" space 0
	set_attr "$d" times -1
	set_attr "$d" verbose 0
	set_attr "$d" task-filter Y
	set_attr "$d" ignore-gfp-wait N
done
set_attr $FP min-order 0
set_attr $FP ignore-gfp-highmem N

# 1-2: each allocation of setup, then of an enter, failed in turn.
out=$("$bin"/faults_client nth-setup 2>&1)
rc=$?
echo "$out" | comment
check "nth-setup: $(echo "$out" | sed -n 's/^# counts: nth-setup //p') faults, each an errno, no leak" \
	test "$rc" -eq 0
out=$("$bin"/faults_client nth-enter 2>&1)
rc=$?
echo "$out" | comment
check "nth-enter: $(echo "$out" | sed -n 's/^# counts: nth-enter //p')" test "$rc" -eq 0

# The random phase: 10% of the allocations of the workers and of the
# client's asyncx calls fail.
start_random() {
	for d in $FS $FP; do
		set_attr "$d" times $BUDGET
		set_attr "$d" verbose 1
		set_attr "$d" probability "$1"
	done
	workers_fail 1
}
stop_random() {
	for d in $FS $FP; do set_attr "$d" probability 0; done
	workers_fail 0
}
injected() { echo $(( 2 * BUDGET - $(cat $FS/times) - $(cat $FP/times) )); }

start_random 10
out=$(timeout 120 "$bin"/faults_client ops "$SECS" 2>&1)
rc=$?
echo "$out" | comment
echo "# faults_client ops: exit status $rc (124: it ran out of time; above 128: a signal)"
check "ops under 10% faults for ${SECS}s: $(echo "$out" | sed -n 's/^# counts: ops //p')" \
	test "$rc" -eq 0
echo "# faults injected so far: failslab $((BUDGET - $(cat $FS/times))), fail_page_alloc $((BUDGET - $(cat $FP/times)))"

# The library's examples and the fuzzer while the workers fail: they end
# on their own (an errno is fine, a hang or a signal is not).
ex_ok=1
for ex in nop_batch timeouts pipe_echo file_copy; do
	out=$(timeout 60 "$bin/$ex" 2>&1)
	rc=$?
	echo "# $ex: exit $rc: $(echo "$out" | tail -n 1)"
	[ "$rc" -lt 124 ] || ex_ok=0
done
check "lib examples end with a status under worker faults" test "$ex_ok" -eq 1
timeout 300 "$bin"/fuzz --sqes "${FAULTS_FUZZ_SQES:-20000}" --timeout 240 2>&1 | tail -3 | comment
check "fuzz under worker faults" test "${PIPESTATUS[0]}" -eq 0
stop_random
total=$(injected)
echo "# random phase: $total faults injected (failslab $((BUDGET - $(cat $FS/times))), fail_page_alloc $((BUDGET - $(cat $FP/times))))"
echo "# FAULT_INJECTION lines in dmesg (rate-limited): $(dmesg | grep -c 'FAULT_INJECTION: forcing a failure')"
check "the random phase injected faults" test "$total" -gt 0

for _ in $(seq 100); do [ "$(cat $DBG/asyncx/contexts)" = 0 ] && break; sleep 0.1; done
check "every context released" test "$(cat $DBG/asyncx/contexts)" = 0

# Module load under faults: each allocation of finit_module (the loader's
# and asyncx's init) fails in turn; the load fails with an errno and
# leaves nothing (no module, device or debugfs directory), or absorbs the
# fault and unloads. From a copy in tmpfs, whose pages are resident: a
# failed read of the 9p root's page cache is not what is tested here.
#
# Sleeping slab allocations are left alone here: the 6.1 kernel's
# event_define_fields() (kernel/trace/trace_events.c) has a WARN_ON_ONCE
# on a failed GFP_KERNEL allocation of a trace event field, which it makes
# while registering the module's tracepoints: a WARNING of the core kernel,
# not of asyncx (found by this test with every allocation failing). Page
# allocations and non-sleeping slab ones still fail in turn.
set_attr $FS ignore-gfp-wait Y
ko=$(mktemp /tmp/asyncx.XXXXXX.ko)
cp "$KO" "$ko"
mod_ok=1
rmmod asyncx || mod_ok=0
out=$(timeout 400 "$bin"/faults_client load "$ko" "${FAULTS_LOAD_STRIDE:-3}" "${FAULTS_LOAD_SECS:-150}" 2>&1) ||
	mod_ok=0
echo "$out" | comment
rm -f "$ko"
set_attr $FS ignore-gfp-wait N
[ -d /sys/module/asyncx ] && { rmmod asyncx || mod_ok=0; }
insmod "$KO" || mod_ok=0
for _ in $(seq 50); do [ -c /dev/asyncx ] && break; sleep 0.1; done
check "insmod under faults: $(echo "$out" | sed -n 's/^# counts: load //p'), each an errno, nothing left" \
	test "$mod_ok" -eq 1
out=$("$bin"/nop_batch 2>&1)
check "the reloaded module works" test $? -eq 0

[ "$fails" -eq 0 ]
