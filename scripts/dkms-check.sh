#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Check dkms.conf: "dkms add" and "dkms build" asyncx for each installed
# test kernel with headers (Debian's 6.1, 6.12 and 6.1 rt), from a copy of the tree,
# in a dkms tree of its own under a temporary directory, so nothing global
# is touched (no /usr/src, /var/lib/dkms or /lib/modules write; no module
# signing key is generated). Prints TAP, one test per kernel; exit status 0 if
# every build produced asyncx.ko.
#
#   scripts/dkms-check.sh [KERNEL...]     (default: 6.1 6.12 rt)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
kernels=("$@")
[ ${#kernels[@]} -gt 0 ] || kernels=(6.1 6.12 rt)

command -v dkms >/dev/null || { echo "dkms-check: dkms is not installed (scripts/deps.sh)" >&2; exit 1; }

ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$root/dkms.conf")
[ -n "$ver" ] || { echo "dkms-check: no PACKAGE_VERSION in dkms.conf" >&2; exit 1; }

tmp=$(mktemp -d /tmp/asyncx-dkms.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
src=$tmp/src/asyncx-$ver
mkdir -p "$src" "$tmp/tree"
# What a source package would ship for the module: Kbuild, kmod/, uapi/.
(cd "$root" && git ls-files -co --exclude-standard -- dkms.conf Kbuild 'kmod/*' 'uapi/*' |
	tar -cf - -T -) | tar -xf - -C "$src"

# A sign_file that does not exist: dkms then skips signing (and does not
# create a key in /var/lib/dkms).
export sign_file=/nonexistent/asyncx-dkms-check-no-signing
dk=(dkms --dkmstree "$tmp/tree" --sourcetree "$tmp/src")

"${dk[@]}" add -m asyncx -v "$ver" >"$tmp/add.log" 2>&1 ||
	{ cat "$tmp/add.log"; echo "dkms-check: dkms add failed"; exit 1; }

echo "TAP version 13"
echo "1..${#kernels[@]}"
fails=0
n=0
for k in "${kernels[@]}"; do
	n=$((n + 1))
	kver=$("$here/kernels.sh" "$k" kver)
	log=$tmp/build-$kver.log
	if "${dk[@]}" build -m asyncx -v "$ver" -k "$kver" >"$log" 2>&1 &&
	   ko=$(find "$tmp/tree/asyncx/$ver/$kver" -name 'asyncx.ko*' | head -1) && [ -n "$ko" ] &&
	   [ "$(modinfo -F vermagic "$ko" | cut -d' ' -f1)" = "$kver" ]; then
		echo "ok $n dkms build asyncx $ver for $kver"
	else
		cat "$log" "$tmp/tree/asyncx/$ver/build/make.log" 2>/dev/null | tail -40 | sed 's/^/# /'
		echo "not ok $n dkms build asyncx $ver for $kver"
		fails=$((fails + 1))
	fi
done
[ "$fails" -eq 0 ]
