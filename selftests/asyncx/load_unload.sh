#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# load_unload: asyncx.ko loads and unloads cleanly and repeatedly, creates and
# removes /dev/asyncx and its debugfs directory, and cannot be unloaded while
# a context is open. Prints TAP. Needs root and ASYNCX_KO (path to the .ko).

KO=${ASYNCX_KO:-}
DEV=/dev/asyncx
DBG=/sys/kernel/debug/asyncx
CYCLES=${CYCLES:-10}

n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n $1"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name"; fi; }

loaded() { [ -d /sys/module/asyncx ]; }

echo "TAP version 13"
if [ "$(id -u)" -ne 0 ] || [ -z "$KO" ] || [ ! -f "$KO" ]; then
	echo "1..0 # SKIP needs root and ASYNCX_KO=path/to/asyncx.ko"
	exit 4
fi
echo "1..5"

loaded || insmod "$KO"
check "loaded: $DEV is a char device" test -c "$DEV"

# While a context is open the module is pinned.
exec 3<>"$DEV"
if rmmod asyncx 2>/dev/null; then
	not_ok "unload refused while a context is open"
	insmod "$KO"
else
	check "unload refused while a context is open" test -c "$DEV"
fi
exec 3>&-

cycle_ok=1
for _ in $(seq "$CYCLES"); do
	rmmod asyncx || { cycle_ok=0; break; }
	if [ -e "$DEV" ] || [ -e "$DBG" ]; then cycle_ok=0; break; fi
	insmod "$KO" || { cycle_ok=0; break; }
	# devtmpfs creates the node asynchronously to insmod's return.
	for _ in $(seq 50); do [ -c "$DEV" ] && break; sleep 0.1; done
	if [ ! -c "$DEV" ] || [ ! -d "$DBG" ]; then cycle_ok=0; break; fi
done
check "$CYCLES unload/load cycles create and remove $DEV and $DBG" test "$cycle_ok" -eq 1

check "open after reload" bash -c "exec 3<>$DEV"
check "$DBG/contexts reads 0 when no context is open" \
	test "$(cat $DBG/contexts 2>/dev/null)" = 0

[ "$fails" -eq 0 ]
