#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runner self-test fixture: a kselftest with one passing and one failing
# case. `make check` runs it through the real pipeline and passes only if
# the runner reports exactly that failure.
echo "TAP version 13"
echo "1..2"
echo "ok 1 a passing case"
echo "not ok 2 a deliberately failing case"
exit 1
