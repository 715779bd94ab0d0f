#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# install_test: "make install" puts libasyncx, its headers, asyncx.pc, the
# man pages and asyncx-top under DESTDIR/PREFIX, and a program (lib/examples/nop_batch.c, copied out
# of the tree so it cannot see the tree's headers) builds against the
# installed copy with "pkg-config --cflags --libs asyncx", shared and
# static. Host-side, no device needed. Prints TAP; exit status 0 if all pass.
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d /tmp/asyncx-install.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/dest
prefix=/usr

n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n $1"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name"; fi; }

echo "TAP version 13"
echo "1..11"

make -s -C "$root" install PREFIX=$prefix DESTDIR="$dest" >"$tmp/install.log" 2>&1
rc=$?
sed 's/^/# /' "$tmp/install.log"
check "make install PREFIX=$prefix DESTDIR=..." test "$rc" -eq 0

lib=$dest$prefix/lib
inc=$dest$prefix/include
check "libraries installed (.a, .so.VERSION, .so.0 and .so links)" \
	bash -c "test -f $lib/libasyncx.a && test -f $lib/libasyncx.so.*.*.* &&
		 test -L $lib/libasyncx.so.0 && test -L $lib/libasyncx.so &&
		 test -e $lib/libasyncx.so"
check "headers installed (asyncx.h, linux/asyncx.h)" \
	test -f "$inc/asyncx.h" -a -f "$inc/linux/asyncx.h"
check "asyncx.pc installed" test -f "$lib/pkgconfig/asyncx.pc"
man=$dest$prefix/share/man
# Every global symbol of the version script has its section-3 page.
syms=$(sed -n '/global:/,/local:\|}/p' "$root/lib/libasyncx.map" |
	grep -o 'asyncx_[a-z0-9_]*' | sort -u)
missing=
for s in $syms; do
	test -f "$man/man3/$s.3" || missing="$missing $s"
done
count=$(echo "$syms" | wc -l)
check "man pages installed for the $count exported symbols${missing:+ (missing:$missing)}" \
	test -z "$missing" -a -n "$syms"
check "asyncx-top installed, and it answers a bad option with its usage" \
	bash -c "test -x $dest$prefix/sbin/asyncx-top &&
		 $dest$prefix/sbin/asyncx-top --nonsense 2>&1 | grep -q '^usage: asyncx-top'"
check "asyncx(7), libasyncx(7) installed, and man renders them" \
	bash -c "test -f $man/man7/asyncx.7 && test -f $man/man7/libasyncx.7 &&
		 MANWIDTH=80 man -l $man/man7/asyncx.7 2>/dev/null | grep -q ASYNCX_IOC_ENTER"

export PKG_CONFIG_PATH=
export PKG_CONFIG_LIBDIR=$lib/pkgconfig
export PKG_CONFIG_SYSROOT_DIR=$dest
flags=$(pkg-config --cflags --libs asyncx 2>"$tmp/pc.err")
check "pkg-config --cflags --libs asyncx points into DESTDIR" \
	bash -c "[[ '$flags' == *-I$inc* && '$flags' == *-L$lib* && '$flags' == *-lasyncx* ]]"
echo "# pkg-config: $flags"

cp "$root/lib/examples/nop_batch.c" "$tmp/"
# shellcheck disable=SC2086 # flags are words
check "nop_batch.c builds against the installed copy (shared)" \
	cc -Wall -Wextra -Werror -o "$tmp/nop_batch" "$tmp/nop_batch.c" $flags
check "it needs libasyncx.so.0, which the installed copy resolves" \
	bash -c "readelf -d $tmp/nop_batch | grep -q 'NEEDED.*libasyncx.so.0' &&
		 LD_LIBRARY_PATH=$lib ldd $tmp/nop_batch | grep -q '$lib/libasyncx.so.0'"
# shellcheck disable=SC2046
check "nop_batch.c builds against the installed copy (static)" \
	cc -Wall -Wextra -Werror -o "$tmp/nop_batch_static" "$tmp/nop_batch.c" \
		$(pkg-config --cflags asyncx) "$lib/libasyncx.a"

[ "$fails" -eq 0 ]
