#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lib_examples: the libasyncx example programs run against the module and
# succeed (they check their own results and exit non-zero otherwise).
# Prints TAP. Needs the module loaded and `make -C lib examples` built.

EX=../../lib/build/examples
progs=(nop_batch timeouts)

echo "TAP version 13"
if [ ! -c /dev/asyncx ]; then
	echo "1..0 # SKIP /dev/asyncx is absent (module not loaded)"
	exit 4
fi
echo "1..${#progs[@]}"
n=0
fails=0
for p in "${progs[@]}"; do
	n=$((n + 1))
	if out=$("$EX/$p" 2>&1); then
		echo "$out" | sed 's/^/# /'
		echo "ok $n $p"
	else
		echo "$out" | sed 's/^/# /'
		echo "not ok $n $p"
		fails=$((fails + 1))
	fi
done
[ "$fails" -eq 0 ]
