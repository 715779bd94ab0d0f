# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Choose qemu's accelerator by evidence (sourced, POSIX sh: scripts/vm.sh
# and the bench pack's run.sh both use it).
#
# A /dev/kvm that opens is not proof that KVM boots a guest: a nested
# hypervisor (kvm-pvm) has one on which qemu dies at start ("failed to set
# MSR 0x10a") or the guest never prints a line. So KVM is used only after a
# probe boot under it showed the guest kernel running: the kernel given,
# without an initramfs, on 2 vCPUs, must reach its root mount and panic
# there (panic=-1 and -no-reboot end qemu), within ASYNCX_VM_PROBE_S
# seconds (default 15; a working KVM needs 1-3). The verdict is kept in
# $ASYNCX_CACHE (default /var/cache/asyncx; a temporary folder where that
# is not writable) under a key of the host's boot id and the qemu version,
# so only the first VM of a host boot pays for the probe.
#
#   vm_accel_choose IMAGE QEMU [QEMU_ARG...]
#
# IMAGE is a bootable kernel, QEMU the command that runs qemu (with any
# arguments it always needs, such as -L). Sets VM_ACCEL (kvm or tcg) and
# VM_ACCEL_WHY (one line: why that one). ASYNCX_VM_ACCEL=auto (default),
# kvm or tcg: kvm fails, and tcg skips the probe. Returns 0, or 1 (with a
# message on stderr) when ASYNCX_VM_ACCEL=kvm and KVM does not boot guests,
# or when ASYNCX_VM_ACCEL has another value. ASYNCX_KVM_DEV names the KVM
# device (default /dev/kvm): the runner's self-tests, whose stand-in qemu
# needs none, give it a file of their own so that they run on a host
# without one.

vm_accel_probe() {
	# $1: the file to write the verdict to; then IMAGE QEMU [ARG...].
	_out=$1 _image=$2
	shift 2
	_tmp=$(mktemp -d "${TMPDIR:-/tmp}/asyncx-probe.XXXXXX") || return 1
	_lim=${ASYNCX_VM_PROBE_S:-15}
	_t0=$(date +%s)
	_rc=0
	timeout -k 2 "$_lim" "$@" -machine q35,accel=kvm -cpu host -smp 2 -m 256 \
		-display none -vga none -monitor none -no-reboot -nic none \
		-serial "file:$_tmp/console" -kernel "$_image" \
		-append "console=ttyS0 panic=-1 loglevel=4" \
		</dev/null >"$_tmp/qemu.log" 2>&1 || _rc=$?
	_secs=$(($(date +%s) - _t0))
	if grep -q -e 'Kernel panic' -e 'VFS: ' "$_tmp/console" 2>/dev/null; then
		echo "kvm: a probe boot reached the guest kernel's root mount in ${_secs} s" >"$_out"
	else
		# qemu's own words, on one line: the last lines it printed.
		_msg=$(grep -v "terminating on signal" "$_tmp/qemu.log" | tail -n 3 | tr -s '\n\t' '  ' | cut -c1-400)
		_lines=$(wc -l <"$_tmp/console" 2>/dev/null || echo 0)
		if [ "$_rc" -eq 124 ] || [ "$_rc" -eq 137 ]; then
			_what="in ${_lim} s the guest printed $_lines console lines and never reached its root mount"
		else
			_what="qemu exited with $_rc after ${_secs} s"
		fi
		echo "tcg: KVM does not boot guests here ($_what${_msg:+: $_msg})" >"$_out"
	fi
	rm -rf "$_tmp"
}

vm_accel_choose() {
	_image=$1
	shift
	case ${ASYNCX_VM_ACCEL:-auto} in
	tcg)
		VM_ACCEL=tcg VM_ACCEL_WHY="TCG, as ASYNCX_VM_ACCEL=tcg asks"
		return 0
		;;
	auto | kvm) ;;
	*)
		echo "vm: ASYNCX_VM_ACCEL=$ASYNCX_VM_ACCEL: use auto, kvm or tcg" >&2
		return 1
		;;
	esac
	_kvm=${ASYNCX_KVM_DEV:-/dev/kvm}
	if ! [ -r "$_kvm" ] || ! [ -w "$_kvm" ]; then
		_verdict="tcg: no usable $_kvm"
	else
		_cache=${ASYNCX_CACHE:-/var/cache/asyncx}
		if ! mkdir -p "$_cache" 2>/dev/null || ! [ -w "$_cache" ]; then
			_cache=${TMPDIR:-/tmp}/asyncx-cache-$(id -u)
			mkdir -p "$_cache" || return 1
		fi
		_key=$({
			cat /proc/sys/kernel/random/boot_id
			"$@" --version | head -n 1
		} | sha256sum | cut -c1-16)
		_file=$_cache/accel-$_key
		# One probe per boot: a second VM that starts meanwhile waits
		# for the first one's verdict.
		(
			flock 7
			[ -s "$_file" ] && exit 0
			vm_accel_probe "$_file.tmp" "$_image" "$@" && mv "$_file.tmp" "$_file"
		) 7>"$_file.lock"
		_verdict=$(cat "$_file" 2>/dev/null) || _verdict="tcg: the KVM probe left no verdict"
		_verdict="$_verdict (verdict of this host boot, $_file)"
	fi
	case $_verdict in
	kvm:*)
		VM_ACCEL=kvm VM_ACCEL_WHY="KVM: ${_verdict#kvm: }"
		;;
	*)
		if [ "${ASYNCX_VM_ACCEL:-auto}" = kvm ]; then
			echo "vm: ASYNCX_VM_ACCEL=kvm, but accel=kvm cannot run the guest: ${_verdict#tcg: }" >&2
			return 1
		fi
		VM_ACCEL=tcg VM_ACCEL_WHY="TCG: ${_verdict#tcg: }"
		;;
	esac
	return 0
}
