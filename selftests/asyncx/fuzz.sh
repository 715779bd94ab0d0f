#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fuzz: the ABI fuzzer (fuzz.c) from 2 processes x 3 threads, as one test:
# 1M SQEs on every kernel (FUZZ_SQES overrides). About 20 s on a stock
# kernel under TCG; about 14 min on the debug kernel (KASAN, lockdep,
# kmemleak: the point of that run), hence its own limit in settings
# (timeout.fuzz.sh) and the fuzzer's own alarm (--timeout, FUZZ_TIMEOUT)
# below it. The seed is printed; a failing run is repeated with
# ./fuzz --seed N (or FUZZ_SEED=N). Prints TAP.

sqes=1000000
args=(--sqes "${FUZZ_SQES:-$sqes}" --timeout "${FUZZ_TIMEOUT:-1500}")
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
