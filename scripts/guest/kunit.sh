#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs in the test VM (debug kernel). With RT_KO: first load the runtime
# alone (asyncx_rt.ko: rt/, none of the ring) and its KUnit module
# (asyncx_rt_kunit.ko, next to it), whose suites run at load, and unload
# both; then mark the log. Then
# load asyncx.ko and the KUnit module, whose suites run at load and print
# KTAP to the kernel log, unload both, check for leaks. The host reads the
# results from the kernel log, split at the mark.
#
# Usage: kunit.sh ASYNCX_KO KUNIT_KO [RT_KO]
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

ko=${1:?usage: kunit.sh ASYNCX_KO KUNIT_KO}
kunit_ko=${2:?usage: kunit.sh ASYNCX_KO KUNIT_KO [RT_KO]}
rt_ko=${3:-}
rc=0

kmemleak_clear
if [ -n "$rt_ko" ]; then
	rt_kunit_ko=$(dirname "$rt_ko")/asyncx_rt_kunit.ko
	if insmod "$rt_ko"; then
		insmod "$rt_kunit_ko" || { echo "insmod $rt_kunit_ko failed"; rc=1; }
		rmmod asyncx_rt_kunit || rc=1
		rmmod asyncx_rt || { echo "rmmod $rt_ko failed"; rc=1; }
	else
		echo "insmod $rt_ko failed"
		rc=1
	fi
	echo "asyncx-kunit: the runtime alone is done" >/dev/kmsg
fi
insmod "$ko" || { echo "insmod $ko failed"; exit 1; }
wait_for_node /dev/asyncx || echo "/dev/asyncx did not appear"
insmod "$kunit_ko" || { echo "insmod $kunit_ko failed"; rc=1; }
rmmod "$(basename "$kunit_ko" .ko)" || rc=1
rmmod asyncx || { echo "rmmod asyncx failed"; rc=1; }
kmemleak_check || { echo "kmemleak found leaks"; rc=1; }
exit $rc
