#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# echo: the sample samples/echo (asyncx_echo.ko, a TCP echo server on
# 127.0.0.1 with one asyncx task per connection). 100 concurrent
# connections get every byte of their random payloads back; unloading the
# module with connections open succeeds and closes them (the clients see
# EOF or a reset) and leaves no task behind; the module reloads and works
# again. Prints TAP.
#
# Needs root, ASYNCX_ECHO_KO (path to asyncx_echo.ko) and asyncx.ko loaded
# (or ASYNCX_KO, to load it). Env: ECHO_PORT (7777), ECHO_CONNS (100),
# ECHO_MIN and ECHO_MAX (payload bytes per connection: 64 KiB, 1 MiB; on a
# kernel with kmemleak, the debug kernel, 256 KiB at most: its sanitizers
# slow the network stack about ten times, and the test must fit settings).

KO=${ASYNCX_ECHO_KO:-}
PORT=${ECHO_PORT:-7777}
CONNS=${ECHO_CONNS:-100}
MIN=${ECHO_MIN:-65536}
MAX=${ECHO_MAX:-1048576}
[ -e /sys/kernel/debug/kmemleak ] && MAX=${ECHO_MAX:-262144}
HOLD=16
STATS=/sys/kernel/debug/asyncx_echo/stats
AXQ_STATS=/sys/kernel/debug/asyncx/stats

n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n $1"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name"; fi; }

loaded() { [ -d /sys/module/asyncx_echo ]; }
counter() { awk -v k="$1" '$1 == k { print $2 }' "$STATS" 2>/dev/null; }
live() { awk '/^live tasks:/ { print $3 }' "$AXQ_STATS" 2>/dev/null; }
active_is() { test "$(counter active)" = "$1"; }
live_is() { test "$(live)" = "$1"; }
# Wait up to 10 s for a command to succeed.
settle() { local i; for i in $(seq 100); do "$@" && return 0; sleep 0.1; done; "$@"; }
quote() { sed 's/^/# /'; }

echo "TAP version 13"
if [ "$(id -u)" -ne 0 ] || [ -z "$KO" ] || [ ! -f "$KO" ]; then
	echo "1..0 # SKIP needs root and ASYNCX_ECHO_KO=path/to/asyncx_echo.ko"
	exit 4
fi
if [ ! -d /sys/module/asyncx ] && ! insmod "${ASYNCX_KO:-/nonexistent}" 2>/dev/null; then
	echo "1..0 # SKIP needs asyncx.ko loaded (or ASYNCX_KO=path/to/asyncx.ko)"
	exit 4
fi
echo "1..11"

tmp=$(mktemp -d)
hold_pid=
cleanup() {
	[ -n "$hold_pid" ] && kill "$hold_pid" 2>/dev/null
	loaded && rmmod asyncx_echo
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' TERM INT

# The guest's loopback interface starts down: 127.0.0.1 needs it up.
ip link set lo up
live0=$(live)

# 1. Load: a listening socket and the acceptor task.
loaded && rmmod asyncx_echo
check "insmod asyncx_echo.ko port=$PORT" insmod "$KO" port="$PORT"

# 2. Many connections at once, every byte checked.
if ./echo_client -p "$PORT" -t 100 stress -n "$CONNS" -m "$MIN" -M "$MAX" \
	-s "$RANDOM" >"$tmp/stress" 2>&1; then
	ok "$CONNS concurrent connections echo every byte"
else
	not_ok "$CONNS concurrent connections echo every byte"
fi
quote <"$tmp/stress"
bytes=$(awk '$1 == "bytes" { print $2 }' "$tmp/stress")

# 3. The counters agree, and every connection task has been dropped.
check "debugfs: $CONNS connections accepted, ${bytes:-?} bytes echoed" \
	test "$(counter accepted)" = "$CONNS" -a "$(counter bytes)" = "${bytes:-x}"
check "every connection task is dropped after its EOF" \
	settle active_is 0

# 4. Connections left open: half idle (their tasks await readability),
#    half flooding without reading (their tasks await room to send).
./echo_client -p "$PORT" -t 60 hold -n "$HOLD" -r "$tmp/ready" \
	-g "$tmp/unloaded" >"$tmp/hold" 2>&1 &
hold_pid=$!
for _ in $(seq 600); do
	[ -e "$tmp/ready" ] && break
	kill -0 "$hold_pid" 2>/dev/null || break
	sleep 0.1
done
check "$HOLD connections open, half of them flooding" test -e "$tmp/ready"
check "debugfs: $HOLD connections active" active_is "$HOLD"

# 5. Unload with them open: every task cancelled and joined, sockets closed.
check "rmmod asyncx_echo with $HOLD connections open" rmmod asyncx_echo
touch "$tmp/unloaded"	# the client may now drain the flooded ones
wait "$hold_pid"
rc=$?
hold_pid=
quote <"$tmp/hold"
check "every open connection saw EOF or a reset" test "$rc" -eq 0
check "no asyncx task left behind" settle live_is "$live0"

# 6. Reload, echo, unload once more.
if insmod "$KO" port="$PORT" &&
	./echo_client -p "$PORT" -t 60 stress -n 10 -m 1 -M 65536 \
		>"$tmp/again" 2>&1 &&
	rmmod asyncx_echo; then
	ok "reload, echo 10 connections, unload"
else
	not_ok "reload, echo 10 connections, unload"
fi
quote <"$tmp/again"
# No listener left on the port (state 0A: LISTEN in /proc/net/tcp).
check "no socket listens on port $PORT any more" \
	bash -c "! grep -qi ':$(printf %04X "$PORT") 00000000:0000 0A' /proc/net/tcp"

[ "$fails" -eq 0 ]
