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
head -c 12345 /dev/urandom > "$tmp/odd"

# cat: two files and an empty one, through a pipe, against cat(1).
cat_check() {
	"$EX/cat" "$tmp/1mib" "$tmp/empty" - "$tmp/odd" < "$tmp/odd" | cmp - <(cat "$tmp/1mib" "$tmp/odd" "$tmp/odd") &&
		! "$EX/cat" "$tmp/missing" 2>/dev/null
}

# direct_copy: 4 MiB of random bytes from the start of /dev/nullb0 to
# /dev/nullb1, with O_DIRECT (null_blk: scripts/vm.sh), then compared.
direct_check() {
	dd if=/dev/urandom of=/dev/nullb0 bs=1M count=4 oflag=direct status=none &&
		"$EX/direct_copy" /dev/nullb0 /dev/nullb1 $((4 << 20)) &&
		cmp -n $((4 << 20)) /dev/nullb0 /dev/nullb1
}

# echo_server: ACCEPT needs net_ops, set for the run and put back.
echo_check() {
	local p=/sys/module/asyncx/parameters/net_ops old ret
	old=$(cat $p) && echo 1 > $p || return 1
	"$EX/echo_server" 200 65536
	ret=$?
	echo "$old" > $p
	return $ret
}

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
	"cat"			"cat_check"
	"direct_copy"		"direct_check"
	"echo_server_200"	"echo_check"
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
