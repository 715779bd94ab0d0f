#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs in the test VM: load asyncx.ko, run kselftests, unload, check for
# leaks. Prints KTAP: each test program is one subtest holding its own TAP,
# then "module unloads" and, where kmemleak exists, "no memory leaks".
#
# Usage: kselftests.sh DIR [TEST...]   (default: TEST_GEN_PROGS and
#        TEST_PROGS of DIR/Makefile). Env: ASYNCX_KO, the module to load
#        (unset: load nothing, unload nothing); ASYNCX_ECHO_KO, the echo
#        sample's module for the tests that load it.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

dir=${1:?usage: kselftests.sh DIR [TEST...]}
shift
if [ $# -gt 0 ]; then
	tests=("$@")
else
	read -ra tests < <(make -s --no-print-directory -C "$dir" list)
fi
if [ ${#tests[@]} -eq 0 ]; then
	echo "kselftests: no tests in $dir" >&2
	exit 1
fi
# settings: "timeout=N" for every program (kselftest's own key), and
# "timeout.PROG=N" for a program that needs another limit (fuzz.sh).
limit=$(sed -n 's/^timeout=//p' "$dir/settings" 2>/dev/null)
limit=${limit:-45}
limit_of() {
	local l
	l=$(awk -F= -v k="timeout.$1" '$1 == k { print $2 }' "$dir/settings" 2>/dev/null)
	echo "${l:-$limit}"
}
ko=${ASYNCX_KO:+$(realpath "$ASYNCX_KO")}
echo_ko=${ASYNCX_ECHO_KO:+$(realpath "$ASYNCX_ECHO_KO")}
blocker_ko=${ASYNCX_BLOCKER_KO:+$(realpath "$ASYNCX_BLOCKER_KO")}

extra=0
[ -n "$ko" ] && extra=$((extra + 1))
[ -w "$KMEMLEAK" ] && extra=$((extra + 1))

echo "KTAP version 1"
echo "1..$(( ${#tests[@]} + extra ))"
kmemleak_clear
# /dev/nullb0 for files_test (built in on the debug kernel; see vm.sh).
[ -e /dev/nullb0 ] || modprobe null_blk 2>/dev/null || echo "# modprobe null_blk failed"
if [ -n "$ko" ]; then
	insmod "$ko" || echo "# insmod $ko failed"
	wait_for_node /dev/asyncx || echo "# /dev/asyncx did not appear"
fi

n=0
for t in "${tests[@]}"; do
	n=$((n + 1))
	echo "    # Subtest: $t"
	case $t in /*) prog=$t ;; *) prog=./$t ;; esac
	lim=$(limit_of "$(basename "$t")")
	t0=$(date +%s)
	(cd "$dir" && ASYNCX_KO=$ko ASYNCX_ECHO_KO=$echo_ko ASYNCX_BLOCKER_KO=$blocker_ko timeout -k 5 "$lim" "$prog") 2>&1 |
		sed -u 's/^/    /'
	rc=${PIPESTATUS[0]}
	echo "    # $t: $(($(date +%s) - t0)) s"
	case $rc in
	0) echo "ok $n $t" ;;
	4) echo "ok $n $t # SKIP" ;;
	124) echo "not ok $n $t # TIMEOUT after ${lim}s" ;;
	*) echo "not ok $n $t # exit=$rc" ;;
	esac
done

if [ -n "$ko" ]; then
	n=$((n + 1))
	if rmmod asyncx; then echo "ok $n module unloads"; else echo "not ok $n module unloads"; fi
fi
if [ -w "$KMEMLEAK" ]; then
	n=$((n + 1))
	if kmemleak_check; then echo "ok $n no memory leaks"; else echo "not ok $n no memory leaks"; fi
fi
exit 0
