#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (once) the asyncx debug kernel from Debian's linux-source-6.1 with the
# options of scripts/kconfig/debug.config, and print the build directory.
#
# The result is cached outside the clone, under $ASYNCX_CACHE (default
# /var/cache/asyncx), keyed by a hash of the config fragment, this script,
# the build recipe version below, the source package version and the
# compiler, so only the first run on a machine pays for the build:
#
#   $ASYNCX_CACHE/linux-source-<ver>/     unpacked source (shared by all keys)
#   $ASYNCX_CACHE/kbuild-<key>/           O= build tree: arch/x86/boot/bzImage,
#                                         vmlinux, Module.symvers (M= builds)
#
# Usage: scripts/debug-kernel.sh              build if needed, print the build dir
#        scripts/debug-kernel.sh --print-dir  print the build dir; exit 1 if
#                                             it is not built (builds nothing)
#        scripts/debug-kernel.sh --source     unpack the source if needed and
#                                             print its directory (checkpatch,
#                                             kselftest_harness.h come from it)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${ASYNCX_CACHE:-/var/cache/asyncx}
frag=$here/kconfig/debug.config
tarball=/usr/src/linux-source-6.1.tar.xz

# Bump when a change to this script changes what it builds.
recipe=1

srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null || echo none)
ccver=$(gcc -dumpfullversion 2>/dev/null || echo none)
key=$( { cat "$frag"; echo "recipe=$recipe $srcver $ccver"; } | sha256sum | cut -c1-16)
obj=$cache/kbuild-$key

src=$cache/linux-source-$srcver

unpack_source() {
	[ -f "$src/.asyncx-unpacked" ] && return
	[ -f "$tarball" ] || { echo "debug-kernel: $tarball missing (run scripts/deps.sh)" >&2; exit 1; }
	mkdir -p "$cache"
	(
		flock 8
		[ -f "$src/.asyncx-unpacked" ] && exit 0
		rm -rf "$src" "$src.tmp"
		mkdir -p "$src.tmp"
		tar -xf "$tarball" -C "$src.tmp" --strip-components=1
		touch "$src.tmp/.asyncx-unpacked"
		mv "$src.tmp" "$src"
	) 8>"$cache/.source.lock"
}

if [ "${1:-}" = "--source" ]; then
	unpack_source
	echo "$src"
	exit 0
fi

if [ "${1:-}" = "--print-dir" ]; then
	echo "$obj"
	[ -f "$obj/.asyncx-built" ]
	exit
fi

if [ -f "$obj/.asyncx-built" ]; then
	echo "$obj"
	exit 0
fi

unpack_source
exec 9>"$cache/.debug-kernel.lock"
flock 9
# Another run may have finished it while we waited for the lock.
if [ -f "$obj/.asyncx-built" ]; then
	echo "$obj"
	exit 0
fi


log=$cache/kbuild-$key.log
echo "debug-kernel: building $obj (log: $log); the first build takes ~15-25 min on 2 cores" >&2
rm -rf "$obj"
mkdir -p "$obj"
cp "$frag" "$obj/.config"
start=$(date +%s)
{
	make -C "$src" O="$obj" olddefconfig

	# Every option of the fragment must have survived olddefconfig.
	bad=0
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*)
			grep -qxF "$line" "$obj/.config" || { echo "debug-kernel: lost: $line"; bad=1; }
			;;
		"# CONFIG_"*" is not set")
			opt=${line#\# }; opt=${opt%% *}
			grep -q "^$opt=" "$obj/.config" && { echo "debug-kernel: set but should not be: $opt"; bad=1; }
			;;
		esac
	done < "$frag"
	[ "$bad" -eq 0 ] || exit 1

	make -C "$src" O="$obj" -j"$(nproc)" all
} >"$log" 2>&1 || {
	echo "debug-kernel: build failed; last lines of $log:" >&2
	tail -n 30 "$log" >&2
	exit 1
}
echo "debug-kernel: built in $(( $(date +%s) - start )) s" >&2
touch "$obj/.asyncx-built"
echo "$obj"
