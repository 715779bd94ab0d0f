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
#        rt     Debian's 6.1 PREEMPT_RT flavour (linux-image-rt-amd64):
#               spinlock_t sleeps there, softirqs and most hrtimer
#               callbacks run in threads
# FIELD: kver   the kernel release (uname -r in the guest)
#        kdir   the tree to build modules against (make -C KDIR M=...)
#        image  the bootable image (bzImage)
#        bootargs  what the test VM adds to the guest kernel's command line
# Exits 1 with a message on stderr when that kernel is not installed/built.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
name=${1:?usage: kernels.sh 6.1|6.12|debug|rt kver|kdir|image}
field=${2:?usage: kernels.sh 6.1|6.12|debug|rt kver|kdir|image}

stock_kver() {
	# The ABI number moves with Debian point releases: discover it.
	# $1: the version (6.1, 6.12); $2: the flavour (amd64, rt-amd64). The
	# plain flavour must not match the rt one (6.1.0-56-rt-amd64).
	local k not=()
	[ "$2" = amd64 ] && not=(! -name '*-rt-amd64')
	k=$(find /lib/modules -mindepth 1 -maxdepth 1 -name "$1.*-$2" "${not[@]}" \
		-printf '%f\n' 2>/dev/null | sort -V |
		while read -r v; do [ -f "/boot/vmlinuz-$v" ] && echo "$v"; done | tail -n 1)
	[ -n "$k" ] || { echo "kernels: no Debian $1 $2 kernel installed (run scripts/deps.sh)" >&2; return 1; }
	echo "$k"
}

case $name in
6.1 | 6.12 | rt)
	case $name in
	rt) kver=$(stock_kver 6.1 rt-amd64) ;;
	*) kver=$(stock_kver "$name" amd64) ;;
	esac
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
	echo "kernels: unknown kernel '$name' (6.1, 6.12, debug or rt)" >&2
	exit 1
	;;
esac

# qemu's multi-threaded TCG can run a stale int3 after text_poke_bp() has
# patched it out of a site that other vCPUs are executing: on the rt kernel
# every vCPU then retook the int3 on the tracepoint site in __schedule()
# with interrupts off and the guest livelocked; on 6.12 one vCPU took it in
# asyncx code and died ("Oops: int3"). Enabling or disabling the first trace
# event of a boot patches __schedule() (ftrace's comm recorder hooks
# sched_switch and sched_wakeup), so every test VM keeps one event on from
# boot, one that fires only on an OOM kill: the recorder stays hooked and
# those sites are never patched while tests run (Documentation/testing.rst,
# "Text patching under TCG").
bootargs=trace_event=oom:mark_victim

case $field in
kver) echo "$kver" ;;
bootargs) echo "${bootargs:-}" ;;
kdir) echo "$kdir" ;;
image) echo "$image" ;;
*) echo "kernels: unknown field '$field'" >&2; exit 1 ;;
esac
