#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# valgrind: libasyncx and its users under valgrind's memcheck, against the
# real module: the example programs (on small inputs, to keep the run short)
# and the link_test selftest. Not ops_test: its library paths (poll, read,
# write) are the examples' too, and under TCG it alone took 47 to 150 s of
# memcheck (each of its forked cases runs a leak check), which with the rest
# outran the 300 s limit on a loaded host with the debug kernel.
#
# A program passes when it succeeds and memcheck reports no error: no
# invalid access, no use of uninitialised memory, no definite or indirect
# leak. Prints TAP; skips when /dev/asyncx or valgrind is absent.
#
# memcheck cannot know what the module writes into user memory: the ioctls
# of /dev/asyncx are not in its tables (it then trusts their _IOC direction
# and size: _IOW arguments must be defined, _IOWR ones are defined after
# the call), and the ring mappings and READ buffers are written by the
# module behind its back. Mapped memory counts as defined from the start;
# the programs initialise every buffer they hand to the module (a READ's
# buffer is zeroed first), so that nothing needs suppressing: there is no
# suppression file, and an error is always worth a look.

here=$(cd "$(dirname "$0")" && pwd)
EX=$here/../../lib/build/examples

echo "TAP version 13"
if [ ! -c /dev/asyncx ]; then
	echo "1..0 # SKIP /dev/asyncx is absent (module not loaded)"
	exit 4
fi
if ! command -v valgrind >/dev/null; then
	echo "1..0 # SKIP valgrind is not installed"
	exit 4
fi

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
# Not a multiple of file_copy's 64 KiB blocks: its last read is short.
head -c 200000 /dev/urandom > "$tmp/src"

tests=(
	"nop_batch"	"$EX/nop_batch 2000 16"
	"pipe_echo"	"$EX/pipe_echo 300"
	"file_copy"	"$EX/file_copy $tmp/src $tmp/dst"
	"link_test"	"$here/link_test"
)

# run NAME COMMAND...: leaves NAME.out, NAME.vg.<pid>, NAME.rc, NAME.time
run() {
	local name=$1 start=$SECONDS
	shift
	(cd "$here" && valgrind -q --error-exitcode=1 --leak-check=full \
		--errors-for-leak-kinds=definite,indirect \
		--log-file="$tmp/$name.vg.%p" "$@") > "$tmp/$name.out" 2>&1
	echo $? > "$tmp/$name.rc"
	echo $((SECONDS - start)) > "$tmp/$name.time"
}

# One after the other: each valgrind start costs 10 to 25 s under TCG, and
# the whole takes one and a half to three minutes (hence the selftests'
# 300 s limit); side by side they were slower still on a loaded 2-core
# host, and timing-sensitive cases suffered.
echo "1..$(( ${#tests[@]} / 2 ))"
n=0
fails=0
for ((i = 0; i < ${#tests[@]}; i += 2)); do
	name=${tests[i]}
	n=$((n + 1))
	# shellcheck disable=SC2086 # the command line is split on purpose
	run "$name" ${tests[i + 1]}
	rc=$(cat "$tmp/$name.rc")
	sed 's/^/# /' "$tmp/$name.out"
	# memcheck's reports, one log per process (the programs fork).
	cat "$tmp/$name".vg.* 2>/dev/null | sed 's/^/# vg: /'
	echo "# $name: $(cat "$tmp/$name.time") s under valgrind"
	if [ "$rc" = 0 ] && [ -z "$(cat "$tmp/$name".vg.* 2>/dev/null)" ]; then
		echo "ok $n $name"
	else
		echo "not ok $n $name # exit=$rc"
		fails=$((fails + 1))
	fi
done
[ "$fails" -eq 0 ]
