#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install everything asyncx needs to build, boot its test VM and run its
# tests on a Debian 12 machine. Idempotent: packages already present are
# not touched, so a second call costs a dpkg query and nothing else.
set -euo pipefail

PKGS=(
	build-essential gcc make bc flex bison libelf-dev libssl-dev dwarves
	linux-image-amd64 linux-headers-amd64
	linux-image-6.12-amd64 linux-headers-6.12-amd64
	linux-image-rt-amd64 linux-headers-rt-amd64
	linux-source-6.1
	qemu-system-x86 busybox-static cpio kmod xz-utils zstd
	sparse bpftrace liburing-dev fio python3 python3-sphinx
	valgrind python3-matplotlib dkms pkg-config cppcheck clang-tidy
	groff-base man-db
)

missing=()
for p in "${PKGS[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: need root to install: ${missing[*]}" >&2
	exit 1
fi

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: done"
