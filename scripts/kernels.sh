#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Name the kernels asyncx is tested on and where their pieces are.
#
#   scripts/kernels.sh NAME FIELD
#
# NAME:  6.1    Debian's stock 6.1 (linux-image-amd64), newest installed ABI
#        6.12   Debian's stock 6.12 (linux-image-6.12-amd64)
#        debug  the 6.1 debug kernel built by scripts/debug-kernel.sh
# FIELD: kver   the kernel release (uname -r in the guest)
#        kdir   the tree to build modules against (make -C KDIR M=...)
#        image  the bootable image (bzImage)
# Exits 1 with a message on stderr when that kernel is not installed/built.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
name=${1:?usage: kernels.sh 6.1|6.12|debug kver|kdir|image}
field=${2:?usage: kernels.sh 6.1|6.12|debug kver|kdir|image}

stock_kver() {
	# The ABI number moves with Debian point releases: discover it.
	local k
	k=$(find /lib/modules -mindepth 1 -maxdepth 1 -name "$1.*-amd64" ! -name '*-rt-*' -printf '%f\n' 2>/dev/null |
		sort -V | while read -r v; do [ -f "/boot/vmlinuz-$v" ] && echo "$v"; done | tail -n 1)
	[ -n "$k" ] || { echo "kernels: no Debian $1 kernel installed (run scripts/deps.sh)" >&2; return 1; }
	echo "$k"
}

case $name in
6.1 | 6.12)
	kver=$(stock_kver "$name")
	kdir=/lib/modules/$kver/build
	image=/boot/vmlinuz-$kver
	;;
debug)
	kdir=$("$here/debug-kernel.sh" --print-dir) ||
		{ echo "kernels: debug kernel not built (run scripts/debug-kernel.sh)" >&2; exit 1; }
	kver=$(cat "$kdir/include/config/kernel.release")
	image=$kdir/arch/x86/boot/bzImage
	;;
*)
	echo "kernels: unknown kernel '$name' (6.1, 6.12 or debug)" >&2
	exit 1
	;;
esac

case $field in
kver) echo "$kver" ;;
kdir) echo "$kdir" ;;
image) echo "$image" ;;
*) echo "kernels: unknown field '$field'" >&2; exit 1 ;;
esac
