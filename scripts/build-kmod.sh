#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the module (and, against a kernel with KUnit, the KUnit module) for
# one test kernel, out of tree, in a build directory of its own so the
# kernels do not overwrite each other's objects:
#
#   scripts/build-kmod.sh NAME [MAKE-ARGS...]     e.g. NAME=6.12, W=1
#
# Sources (Kbuild, kmod/, uapi/) are copied to .build/NAME/, built there with
# make -C KDIR M=.build/NAME; prints nothing but kbuild's output. With
# DIR=path (another module tree, such as scripts/tests/warn_module) it builds
# that tree instead, into .build/NAME-<its name>, against the symbols of
# .build/NAME's asyncx.ko when that is built (samples/echo uses them). With
# RT_ONLY=1 it builds asyncx_rt.ko and asyncx_rt_kunit.ko into .build/NAME-rt:
# the runtime's objects alone, and its KUnit suites (kmod/Kbuild,
# AXQ_RT_ONLY), against the kernel's symbols only, so modpost fails if rt/
# needs anything of ring/.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
name=${1:?usage: build-kmod.sh 6.1|6.12|debug|rt [MAKE-ARGS...]}
shift
kdir=$("$here/kernels.sh" "$name" kdir)

if [ -n "${DIR:-}" ]; then
	src=$(cd "$DIR" && pwd)
	out=$root/.build/$name-$(basename "$src")
	items=(.)
	symvers=$root/.build/$name/Module.symvers
	[ -f "$symvers" ] && set -- KBUILD_EXTRA_SYMBOLS="$symvers" "$@"
elif [ -n "${RT_ONLY:-}" ]; then
	src=$root
	out=$root/.build/$name-rt
	items=(Kbuild kmod uapi)
	set -- AXQ_RT_ONLY=1 "$@"
else
	src=$root
	out=$root/.build/$name
	items=(Kbuild kmod uapi)
fi

mkdir -p "$out"
# Copy sources only (never another build's objects); drop files that are gone.
# (*.mod.c is kbuild's: an in-place build of another kernel leaves one.)
(cd "$src" && find "${items[@]}" -type f \( -name '*.[ch]' -o -name Kbuild \) \
	! -name '*.mod.c' -print0 |
	tar -cf - --null -T -) | tar -xf - -C "$out"
(cd "$out" && find . -type f \( -name '*.[ch]' -o -name Kbuild \) -print0) |
	while IFS= read -r -d '' f; do
		case $f in *.mod.c) continue ;; esac
		[ -e "$src/$f" ] || rm -f "$out/$f"
	done

make -C "$kdir" M="$out" "$@" modules
