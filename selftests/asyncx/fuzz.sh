#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fuzz: the ABI fuzzer (fuzz.c) with its default of 1M SQEs from 2
# processes x 3 threads, as one test. The seed is printed; a failing run is
# repeated with ./fuzz --seed N. Env: FUZZ_SQES, FUZZ_SEED to override.
# Prints TAP.

args=(--sqes "${FUZZ_SQES:-1000000}" --timeout "${FUZZ_TIMEOUT:-1500}")
[ -n "${FUZZ_SEED:-}" ] && args+=(--seed "$FUZZ_SEED")

echo "TAP version 13"
echo "1..1"
if [ ! -c /dev/asyncx ]; then
	echo "not ok 1 fuzz # /dev/asyncx is missing"
	exit 1
fi
./fuzz "${args[@]}"
rc=$?
if [ "$rc" -eq 0 ]; then
	echo "ok 1 fuzz"
else
	echo "not ok 1 fuzz # exit status $rc"
fi
exit "$rc"
