#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (once) the test VM's initramfs for kernel release KVER and print its
# path: busybox, scripts/guest/init, and the modules 9p and overlayfs need
# when the kernel builds them as modules (decompressed: busybox insmod reads
# plain .ko only). Cached under $ASYNCX_CACHE/initramfs/, keyed by the init
# script, this script, busybox and the kernel's module files.
#
# Usage: scripts/vm-initramfs.sh KVER
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${ASYNCX_CACHE:-/var/cache/asyncx}/initramfs
kver=${1:?usage: vm-initramfs.sh KVER}
busybox=/bin/busybox
wanted="virtio_pci 9pnet_virtio 9p overlay"

# Modules to load, in dependency order (none when all are built in, as in
# the debug kernel, which has no /lib/modules tree on the host).
mods=()
if [ -d "/lib/modules/$kver" ]; then
	for m in $wanted; do
		while read -r verb path _; do
			[ "$verb" = insmod ] || continue
			case " ${mods[*]-} " in *" $path "*) ;; *) mods+=("$path") ;; esac
		done < <(modprobe -S "$kver" --show-depends "$m")
	done
fi

key=$( { cat "$here/guest/init" "$0"; sha256sum "$busybox";
	 for p in "${mods[@]}"; do sha256sum "$p"; done; } | sha256sum | cut -c1-16)
out=$cache/$kver-$key.cpio.gz
if [ -f "$out" ]; then
	echo "$out"
	exit 0
fi

mkdir -p "$cache"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/modules"
cp "$busybox" "$tmp/bin/busybox"
install -m 0755 "$here/guest/init" "$tmp/init"
: >"$tmp/modules/order"
for p in "${mods[@]}"; do
	name=$(basename "$p")
	case $name in
	*.ko.xz) xz -dc "$p" >"$tmp/modules/${name%.xz}"; name=${name%.xz} ;;
	*.ko.zst) zstd -qdc "$p" >"$tmp/modules/${name%.zst}"; name=${name%.zst} ;;
	*.ko.gz) gzip -dc "$p" >"$tmp/modules/${name%.gz}"; name=${name%.gz} ;;
	*) cp "$p" "$tmp/modules/$name" ;;
	esac
	echo "$name" >>"$tmp/modules/order"
done
(cd "$tmp" && find . | cpio -o -H newc --quiet | gzip -1) >"$out.tmp"
mv "$out.tmp" "$out"
echo "$out"
