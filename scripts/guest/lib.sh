# SPDX-License-Identifier: GPL-2.0
# Helpers for the scripts that run inside the test VM (sourced, not run).

KMEMLEAK=/sys/kernel/debug/kmemleak

# Forget every object allocated so far: only later leaks are reported.
kmemleak_clear() {
	[ -w "$KMEMLEAK" ] || return 0
	echo clear >"$KMEMLEAK"
}

# Scan for leaks since kmemleak_clear; print any report; fail if one exists.
# kmemleak ignores objects younger than 5 s, hence the wait.
kmemleak_check() {
	[ -w "$KMEMLEAK" ] || return 0
	sleep 6
	echo scan >"$KMEMLEAK"
	echo scan >"$KMEMLEAK"
	local report
	report=$(cat "$KMEMLEAK")
	[ -z "$report" ] && return 0
	echo "$report" | sed 's/^/# /'
	return 1
}

# Wait (up to 5 s) for devtmpfs to create a node after insmod.
wait_for_node() {
	local i
	for i in $(seq 50); do
		[ -e "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
