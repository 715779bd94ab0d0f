#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Pack `make bench` into one folder that runs on any x86-64 Linux (e.g. a
# many-core machine, for the scaling benchmarks), with no install: qemu and every library it loads, its firmware, the stock Debian
# 6.1 kernel, and an initramfs holding busybox, asyncx.ko, static
# ring_bench, ring_prio, ring_mem and io_bench, and bench/guest.sh (no
# null_blk or fio there: it skips the random reads); plus bench.py to print
# the same table.
#
#   scripts/bench-pack.sh [DIR]      default DIR: results/bench-pack
#   DIR/run.sh                       on the target: SMP=N MEM=MB SECONDS=S
#                                    ONLY=scale: only the scaling rows (1, 2,
#                                    4, 8, 16 online CPUs, up to SMP)
#   ACCEL_ONLY=1 DIR/run.sh          only say which accelerator it would use
#
# run.sh chooses the accelerator as scripts/vm.sh does (scripts/vm-accel.sh,
# packed beside it): KVM only where a probe boot shows that it boots the
# guest, else multi-threaded TCG (one host thread per vCPU);
# ASYNCX_VM_ACCEL=auto|kvm|tcg overrides.
#
# Also writes DIR.tar.xz. The guest prints the raw result lines on its
# serial console; run.sh keeps them in DIR/raw.txt and prints the table.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
out=$(realpath -m "${1:-$root/results/bench-pack}")
cd "$root"

"$here/deps.sh"
"$here/build-kmod.sh" 6.1 >/dev/null
make -s lib
make -s -C bench ring_bench.static ring_prio.static ring_mem.static io_bench.static
kver=$("$here/kernels.sh" 6.1 kver)
image=$("$here/kernels.sh" 6.1 image)

rm -rf "$out" "$out.tar.xz"
mkdir -p "$out/qemu/bin" "$out/qemu/lib" "$out/qemu/share" "$out/qemu/modules"
qemu=$(command -v qemu-system-x86_64)
cp "$qemu" "$out/qemu/bin/"
ldd "$qemu" | awk '/=>/ { print $3 } /ld-linux/ { print $1 }' | while read -r l; do
	cp -L "$l" "$out/qemu/lib/"
done
# Debian builds TCG as a loadable qemu module (for machines without KVM).
cp /usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so "$out/qemu/modules/"
cp /usr/share/seabios/bios-256k.bin "$out/qemu/share/"
for f in linuxboot_dma.bin linuxboot.bin kvmvapic.bin multiboot_dma.bin; do
	cp "/usr/share/qemu/$f" "$out/qemu/share/"
done
cp "$image" "$out/vmlinuz"
cp "$here/bench.py" "$out/bench.py"
cp "$here/vm-accel.sh" "$out/vm-accel.sh"

# The initramfs: /init runs the benchmarks and powers off.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/pack/bench" "$tmp/pack/scripts/guest"
cp /bin/busybox "$tmp/bin/busybox"
cp bench/ring_bench.static "$tmp/pack/bench/ring_bench"
cp bench/ring_prio.static "$tmp/pack/bench/ring_prio"
cp bench/ring_mem.static "$tmp/pack/bench/ring_mem"
cp bench/io_bench.static "$tmp/pack/bench/io_bench"
cp bench/guest.sh "$tmp/pack/bench/guest.sh"
cp scripts/guest/lib.sh "$tmp/pack/scripts/guest/lib.sh"
cp ".build/6.1/kmod/asyncx.ko" "$tmp/pack/asyncx.ko"
cat >"$tmp/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox mkdir -p /proc /sys /dev /tmp
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug || echo "init: no debugfs"
mount -t tmpfs tmpfs /tmp
echo "asyncx-bench-pack: start"
ASYNCX_KO=/pack/asyncx.ko sh /pack/bench/guest.sh
echo "asyncx-bench-pack: exit $?"
poweroff -f
INIT
chmod +x "$tmp/init"
(cd "$tmp" && find . | cpio -o -H newc --quiet | gzip -9) >"$out/bench.cpio.gz"

cat >"$out/run.sh" <<'RUN'
#!/bin/sh
# asyncx benchmark pack: boots the packed kernel in the packed qemu and runs
# make bench's benchmarks; prints the table (python3 needed for it).
#   SMP=16 MEM=8192 SECONDS=1 ./run.sh      (ACCEL_ONLY=1 ./run.sh: the choice only)
set -e
cd "$(dirname "$0")"
. ./vm-accel.sh
smp=${SMP:-$(nproc)}
mem=${MEM:-4096}
set -- env QEMU_MODULE_DIR="$(pwd)/qemu/modules" ./qemu/lib/ld-linux-x86-64.so.2 \
	--library-path ./qemu/lib ./qemu/bin/qemu-system-x86_64 -L ./qemu/share
vm_accel_choose vmlinuz "$@" || exit 1
echo "run.sh: accelerator: $VM_ACCEL_WHY"
[ "${ACCEL_ONLY:-0}" = 1 ] && exit 0
if [ "$VM_ACCEL" = kvm ]; then
	accel=kvm cpu=host
else
	echo "run.sh: emulating (TCG, a host thread per vCPU): expect slow absolute numbers"
	accel=tcg,thread=multi cpu=max,la57=off
fi
"$@" -machine q35 -accel "$accel" -cpu "$cpu" -smp "$smp" -m "$mem" \
	-display none -vga none -monitor none -no-reboot -nic none -serial stdio \
	-kernel vmlinuz -initrd bench.cpio.gz \
	-append "console=ttyS0 panic=-1 rdinit=/init quiet ASYNCX_BENCH_SECONDS=${SECONDS:-1} ASYNCX_BENCH_ONLY=${ONLY:-}" \
	</dev/null | tee raw.txt
grep -q '^asyncx-bench-pack: exit 0' raw.txt || { echo "run.sh: the benchmarks failed"; exit 1; }
python3 bench.py --parse raw.txt --out .
RUN
chmod +x "$out/run.sh"
tar -C "$(dirname "$out")" -cJf "$out.tar.xz" "$(basename "$out")"
echo "bench pack: $out ($(du -sh "$out" | cut -f1)), $out.tar.xz ($(du -h "$out.tar.xz" | cut -f1))"
