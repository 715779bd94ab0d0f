#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lib_examples: the libasyncx example programs run against the module and
# succeed (they check their own results and exit non-zero otherwise).
# Prints TAP. Needs the module loaded and `make -C lib examples` built.
#
# Each entry is a test name and the command line that runs it (EX is the
# examples' directory); file_copy and fixed_copy also run on a given file
# whose size is a multiple of their block size (no short read) and on an
# empty one.

EX=../../lib/build/examples
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
head -c $((1024 * 1024)) /dev/urandom > "$tmp/1mib"
: > "$tmp/empty"

tests=(
	"nop_batch"		"$EX/nop_batch"
	"timeouts"		"$EX/timeouts"
	"pipe_echo"		"$EX/pipe_echo"
	"file_copy"		"$EX/file_copy"
	"file_copy_1mib"	"$EX/file_copy $tmp/1mib $tmp/1mib.copy"
	"file_copy_empty"	"$EX/file_copy $tmp/empty $tmp/empty.copy"
	"groups"		"$EX/groups"
	"deadline_retry"	"$EX/deadline_retry"
	"fixed_copy"		"$EX/fixed_copy"
	"fixed_copy_1mib"	"$EX/fixed_copy $tmp/1mib $tmp/1mib.fixed"
	"fixed_copy_empty"	"$EX/fixed_copy $tmp/empty $tmp/empty.fixed"
	"chan_producers"	"$EX/chan_producers 4 5000"
)

echo "TAP version 13"
if [ ! -c /dev/asyncx ]; then
	echo "1..0 # SKIP /dev/asyncx is absent (module not loaded)"
	exit 4
fi
echo "1..$(( ${#tests[@]} / 2 ))"
n=0
fails=0
for ((i = 0; i < ${#tests[@]}; i += 2)); do
	name=${tests[i]}
	n=$((n + 1))
	# shellcheck disable=SC2086 # the command line is split on purpose
	if out=$(${tests[i + 1]} 2>&1); then
		echo "$out" | sed 's/^/# /'
		echo "ok $n $name"
	else
		echo "$out" | sed 's/^/# /'
		echo "not ok $n $name"
		fails=$((fails + 1))
	fi
done
[ "$fails" -eq 0 ]
