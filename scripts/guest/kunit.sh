#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs in the test VM (debug kernel): load asyncx.ko and the KUnit module,
# whose suites run at load and print KTAP to the kernel log, unload both,
# check for leaks. The host reads the results from the kernel log.
#
# Usage: kunit.sh ASYNCX_KO KUNIT_KO
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

ko=${1:?usage: kunit.sh ASYNCX_KO KUNIT_KO}
kunit_ko=${2:?usage: kunit.sh ASYNCX_KO KUNIT_KO}
rc=0

kmemleak_clear
insmod "$ko" || { echo "insmod $ko failed"; exit 1; }
wait_for_node /dev/asyncx || echo "/dev/asyncx did not appear"
insmod "$kunit_ko" || { echo "insmod $kunit_ko failed"; rc=1; }
rmmod "$(basename "$kunit_ko" .ko)" || rc=1
rmmod asyncx || { echo "rmmod asyncx failed"; rc=1; }
kmemleak_check || { echo "kmemleak found leaks"; rc=1; }
exit $rc
