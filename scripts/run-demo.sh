#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make run`: install what is missing, build the module (stock 6.1), the
# library and the demo client, boot the test VM, load the module and show
# it working: the device node, the debugfs view, the demo client, and the
# tracepoints it fired. Finishes by itself (the VM has a hard limit).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
cd "$root"
kernel=${KERNEL:-6.1}

"$here/deps.sh"
echo "== building asyncx.ko for $kernel, libasyncx and the demo client"
"$here/build-kmod.sh" "$kernel" >/dev/null
make -s -C lib all examples >/dev/null
make -s -C samples/demo >/dev/null
make -s -C tools/asyncx-top >/dev/null

echo "== booting the test VM ($kernel, qemu, 4 vCPUs)"
mkdir -p results/run
rc=0
ASYNCX_KO=.build/$kernel/kmod/asyncx.ko \
	"$here/vm.sh" -k "$kernel" -t 300 -d results/run/dmesg.log \
	-c results/run/console.log -- "$here/guest/demo.sh" || rc=$?
if ! "$here/dmesgcheck.py" results/run/dmesg.log; then
	echo "make run: the guest kernel reported a problem (results/run/dmesg.log)"
	rc=1
fi
[ "$rc" -eq 0 ] && echo "make run: done, guest kernel log clean" ||
	echo "make run: FAILED (exit $rc)"
exit "$rc"
