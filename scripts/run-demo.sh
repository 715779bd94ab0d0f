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

echo "== booting the test VM ($kernel, qemu, 4 vCPUs)"
ASYNCX_KO=.build/$kernel/kmod/asyncx.ko \
	exec "$here/vm.sh" -k "$kernel" -t 300 -- "$here/guest/demo.sh"
