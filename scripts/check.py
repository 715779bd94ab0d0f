#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The one test runner of asyncx: `make check` and `make check-quick`.

Builds everything, then runs every suite and counts every test:

  build    asyncx.ko, the echo sample and the blocker test helper for each
           kernel with W=1 (a warning fails it), the KUnit module against
           the debug kernel, libasyncx, the kselftests
  static   sparse (C=2), checkpatch --strict, kernel-doc, cppcheck and
           clang-analyzer on libasyncx (make analyze), the Sphinx docs (-W)
  host     unit tests of the runner's own parsers and of libasyncx; make
           install and a program built against the installed copy with
           pkg-config; dkms add/build for the 6.1, 6.12 and rt headers
  runner   the runner reports a failing test, a WARNING in dmesg, a hang
  6.1      kselftests on Debian's stock 6.1
  6.12     kselftests on Debian's stock 6.12
  debug    KUnit suites, then kselftests, then the fault-injection
           kselftests (make list-debug: failslab, fail_page_alloc), on the
           6.1 debug kernel (KASAN, lockdep, kmemleak), each in a boot of
           its own
  rt       kselftests on Debian's 6.1 PREEMPT_RT kernel (spinlock_t sleeps)
  run      `make run` (the demo under bpftrace, stock 6.1) ends with exit 0
           and a clean guest kernel log

A suite fails on any failed test, on a skipped one (the VM provides every
prerequisite, so a skip can only hide a test that did not run), on a test a plan announced that never
reported, on a VM that timed out or died, and on any bug report (BUG,
WARNING, KASAN, lockdep, kmemleak, ...) in the guest's kernel log. One
progress line per suite and kernel; logs go to results/check/. The last line
is "N passed, N failed" alone; the exit status is 1 if anything failed.

Usage: scripts/check.py [--quick] [--kernel NAME]... [--suite NAME]...
  --quick         stock 6.1 only: build, host, kselftests (make check-quick)
  --kernel NAME   run the VM suites on these kernels only (6.1, 6.12, debug,
                  rt)
  --suite NAME    run only these suites (build static host runner kselftests
                  kunit run); the builds they need always run
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import dmesgcheck  # noqa: E402
import ktap  # noqa: E402

RESULTS = os.path.join(ROOT, 'results', 'check')
KERNELS = ['6.1', '6.12', 'debug', 'rt']
SUITES = ['build', 'static', 'host', 'runner', 'kselftests', 'kunit', 'run']
VM_TIMEOUT = 1800
# The debug kernel's kselftests hold the 1M-SQE fuzz run (settings:
# timeout.fuzz.sh), which alone takes about 15 min there under TCG.
VM_TIMEOUT_DEBUG_KSELFTESTS = 3600


class Tally:
    def __init__(self):
        self.res = ktap.Results()

    def add(self, res):
        self.res.add(res)


def log_path(name):
    return os.path.join(RESULTS, name)


def sh(cmd, log, env=None, timeout=None):
    """Run cmd (a list), output to the file log; return (rc, output)."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    try:
        p = subprocess.run(cmd, cwd=ROOT, env=full_env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=timeout,
                           stdin=subprocess.DEVNULL)
        rc, out = p.returncode, p.stdout.decode(errors='replace')
    except subprocess.TimeoutExpired as e:
        rc, out = 124, (e.stdout or b'').decode(errors='replace') + '\n[timed out]\n'
    with open(log, 'w') as f:
        f.write('$ ' + ' '.join(cmd) + '\n' + out)
    return rc, out


def one(name, ok):
    r = ktap.Results()
    (r.passed if ok else r.failed).append(name)
    return r


def report(tag, what, res, secs, note=''):
    # No skips here: the VM provides every prerequisite.
    res.failed += [f'{name}: skipped' for name in res.skipped]
    res.skipped = []
    line = f'[{tag:<6}] {what:<26} {len(res.passed):3d} passed, {len(res.failed)} failed'
    if note:
        line += f', {note}'
    print(f'{line} ({secs:.0f} s)', flush=True)
    for name in res.failed:
        print(f'         FAIL {name}', flush=True)
        # What the test printed just before: CI shows only this output.
        for note in getattr(res, 'notes', {}).get(name, []):
            print(f'              {note}', flush=True)


def warnings_in(out):
    return [ln for ln in out.splitlines() if 'warning:' in ln or 'error:' in ln]


# ---------------------------------------------------------------- builds

def build_kmod(kernel, extra=(), env=None, tag=''):
    """Build a module tree for kernel with W=1; a warning fails it."""
    name = f'build {tag or "asyncx"} for {kernel} (W=1)'
    rc, out = sh([os.path.join(HERE, 'build-kmod.sh'), kernel, 'W=1', *extra],
                 log_path(f'build-{tag or "asyncx"}-{kernel}.log'), env=env)
    bad = warnings_in(out)
    res = one(name, rc == 0 and not bad)
    if bad:
        res.failed[-1] += ': ' + bad[0]
    return res


def suite_build(kernels, ksft_dir):
    t0 = time.time()
    res = ktap.Results()
    for k in kernels:
        res.add(build_kmod(k))
        # The echo sample, against this kernel's asyncx.ko (its symbols).
        res.add(build_kmod(k, env={'DIR': os.path.join(ROOT, 'samples', 'echo')}, tag='echo'))
        # The test helper of workers_test (a file that sleeps on command).
        res.add(build_kmod(k, env={'DIR': os.path.join(ROOT, 'selftests', 'asyncx', 'blocker')},
                           tag='blocker'))
    if 'debug' in kernels:
        ko = os.path.join(ROOT, '.build', 'debug', 'kmod', 'asyncx_kunit.ko')
        res.add(one('build asyncx_kunit.ko for debug', os.path.exists(ko)))
        # The runtime alone: rt/ objects and its KUnit suites, linked against
        # the kernel's symbols only (modpost fails on a symbol of ring/).
        res.add(build_kmod('debug', env={'RT_ONLY': '1'}, tag='rt-only'))
    res.add(build_kmod('6.1', env={'DIR': os.path.join(HERE, 'tests', 'warn_module')},
                       tag='warn_module'))
    rc, out = sh(['make', '-C', 'lib', 'all', 'examples'], log_path('build-lib.log'))
    res.add(one('build libasyncx and its examples (-Wall -Wextra -Werror)', rc == 0))
    rc, out = sh(['make', '-C', 'tools/asyncx-top'], log_path('build-tools.log'))
    res.add(one('build asyncx-top (-Wall -Wextra -Werror)', rc == 0))
    rc, out = sh(['make', '-C', 'selftests/asyncx', f'KSFT_DIR={ksft_dir}'],
                 log_path('build-selftests.log'))
    res.add(one('build kselftests (-Wall -Wextra -Werror)', rc == 0))
    report('build', 'modules, lib, tools, selftests', res, time.time() - t0)
    return res


def suite_static():
    t0 = time.time()
    res = ktap.Results()
    rc, out = sh([os.path.join(HERE, 'build-kmod.sh'), '6.1', 'C=2'], log_path('sparse.log'))
    bad = [ln for ln in warnings_in(out)]
    r = one('sparse (C=2) on asyncx.ko', rc == 0 and not bad)
    if bad:
        r.failed[-1] += ': ' + bad[0]
    res.add(r)
    # The two layers of kmod/ (Documentation/design.rst): rt/ includes no
    # header of ring/; every kmod/ file is in the design map.
    for check, what in (('includes', 'the runtime (kmod/rt/) includes no ring header, '
                                      'the public API no internal one'),
                        ('map', 'every kmod/ file is in the File map of design.rst')):
        rc, out = sh([os.path.join(HERE, 'layout-check.py'), check],
                     log_path(f'layout-{check}.log'))
        r = one(f'layout: {what}', rc == 0)
        if rc:
            r.failed[-1] += ': ' + (out.strip().splitlines() or ['exit status %d' % rc])[0]
        res.add(r)
    rc, out = sh(['make', '-s', 'style'], log_path('checkpatch.log'))
    r = one('checkpatch --strict', rc == 0)
    if rc:
        r.failed[-1] += ': see results/check/checkpatch.log'
    res.add(r)
    rc, out = sh(['make', '-s', 'kerneldoc'], log_path('kerneldoc.log'))
    r = one('kernel-doc comments are well formed', rc == 0 and not out.strip())
    if out.strip():
        r.failed[-1] += ': ' + out.strip().splitlines()[0]
    res.add(r)
    rc, out = sh(['make', '-s', 'analyze'], log_path('analyze.log'))
    r = one('cppcheck and clang-analyzer on libasyncx (make analyze)', rc == 0)
    if rc:
        r.failed[-1] += ': see results/check/analyze.log'
    res.add(r)
    rc, out = sh(['make', '-s', 'htmldocs'], log_path('htmldocs.log'))
    res.add(one('Sphinx docs build with -W', rc == 0))
    report('static', 'sparse, checkpatch, analyze, docs', res, time.time() - t0)
    return res


def suite_host():
    """The runner's own parsers, tested on the host."""
    t0 = time.time()
    loader = unittest.TestLoader()
    tests = loader.discover(os.path.join(HERE, 'tests'), pattern='test_*.py',
                            top_level_dir=os.path.join(HERE, 'tests'))
    res = ktap.Results()

    class Collect(unittest.TestResult):
        def addSuccess(self, test):
            res.passed.append(test.id())

        def addFailure(self, test, err):
            res.failed.append(f'{test.id()}: {err[1]}')

        def addError(self, test, err):
            res.failed.append(f'{test.id()}: {err[1]}')

        def addSkip(self, test, reason):
            res.skipped.append(test.id())

    tests.run(Collect())
    if not (res.passed or res.failed):
        res.failed.append('host unit tests: none found')

    # libasyncx's own unit tests (a fake ring in memory, ASan + UBSan).
    rc, out = sh(['make', '-s', '-C', 'lib', 'test'], log_path('lib-test.log'))
    lib = ktap.parse(out.splitlines(), prefix='libasyncx')
    if rc or not lib.passed:
        lib.failed.append(f'libasyncx unit tests: exit status {rc}')
    res.add(lib)

    # Packaging: make install + pkg-config, and dkms.conf.
    for script, prefix in ((os.path.join('tests', 'install_test.sh'), 'install'),
                           ('dkms-check.sh', 'dkms')):
        rc, out = sh([os.path.join(HERE, script)], log_path(f'{prefix}.log'))
        r = ktap.parse(out.splitlines(), prefix=prefix)
        if rc or not r.passed:
            r.failed.append(f'{prefix}: exit status {rc}, see results/check/{prefix}.log')
        res.add(r)
    report('host', 'units, install, dkms', res, time.time() - t0)
    return res


# ---------------------------------------------------------------- the VM

def vm(kernel, label, cmd, env=None, timeout=VM_TIMEOUT):
    """Run cmd in the VM; return (rc, output, dmesg lines)."""
    dmesg = log_path(f'{kernel}-{label}.dmesg')
    console = log_path(f'{kernel}-{label}.console')
    for p in (dmesg, console):
        if os.path.exists(p):
            os.unlink(p)
    rc, out = sh([os.path.join(HERE, 'vm.sh'), '-k', kernel, '-t', str(timeout),
                  '-d', dmesg, '-c', console, '--', *cmd],
                 log_path(f'{kernel}-{label}.out'), env=env, timeout=timeout + 300)
    lines = []
    if os.path.exists(dmesg):
        with open(dmesg, errors='replace') as f:
            lines = f.readlines()
    # Also scan the serial console: it has every report even if the log
    # buffer wrapped before the guest wrote its dmesg.
    if lines and os.path.exists(console):
        with open(console, errors='replace') as f:
            seen = set(lines)
            lines += [ln for ln in f if ln not in seen and dmesgcheck.splats([ln])]
    return rc, out, lines


def vm_said(out):
    """What vm.sh said of a VM that stalled or died: its 'vm:' lines and the
    stall report (last test started, where each CPU was)."""
    keep = [ln.rstrip() for ln in out.splitlines()
            if (ln.startswith(('vm: ', 'stall: ', 'cpu')) or ln.startswith('      stack: '))
            and not ln.startswith(('vm: accelerator:', 'vm: last lines'))]
    return keep[:40]


def judge(label, rc, res, dmesg_lines, expect_rc=0, out=''):
    """Add the VM's own failures to res: a bad exit, dmesg bug reports."""
    if rc == 124:
        stalled = any(ln.startswith('stall: ') for ln in out.splitlines())
        res.failed.append(f'{label}: ' + ('the guest stalled (no output): stopped and asked '
                                           'for its state' if stalled
                                           else 'the VM ran out of time'))
    elif rc == 125:
        res.failed.append(f'{label}: the VM died or could not start (see the .console log)')
    if rc in (124, 125):
        res.notes.setdefault(res.failed[-1], []).extend(vm_said(out))
    elif rc != expect_rc:
        res.failed.append(f'{label}: exit status {rc}')
    if not dmesg_lines:
        res.failed.append(f'{label}: no kernel log came back')
    for line in dmesgcheck.splats(dmesg_lines):
        res.failed.append(f'{label}: dmesg: {line.strip()}')
    if not (res.passed or res.failed or res.skipped):
        res.failed.append(f'{label}: no test results')
    return res


def kselftest_list(target='list'):
    p = subprocess.run(['make', '-s', '--no-print-directory', '-C', 'selftests/asyncx', target],
                       cwd=ROOT, stdout=subprocess.PIPE, check=True)
    return p.stdout.decode().split()


def run_kselftests(kernel, ko, tests=None, label='kselftests'):
    """Run kselftests (default: all of selftests/asyncx) in the VM. The list
    is passed explicitly, so the guest's plan covers every one of them."""
    tests = tests or kselftest_list()
    if not tests:
        return one(f'{kernel} {label}: the list of kselftests is empty', False)
    env = {'ASYNCX_KO': ko} if ko else {}
    if ko:
        env['ASYNCX_ECHO_KO'] = os.path.join('.build', f'{kernel}-echo', 'asyncx_echo.ko')
        env['ASYNCX_BLOCKER_KO'] = os.path.join('.build', f'{kernel}-blocker',
                                                'asyncx_test_blocker.ko')
    rc, out, dmesg = vm(kernel, label,
                        [os.path.join(HERE, 'guest', 'kselftests.sh'), 'selftests/asyncx', *tests],
                        env=env, timeout=VM_TIMEOUT_DEBUG_KSELFTESTS if kernel == 'debug'
                        else VM_TIMEOUT)
    res = ktap.parse(out.splitlines())
    return judge(f'{kernel} {label}', rc, res, dmesg, out=out)


RT_ALONE_MARK = 'asyncx-kunit: the runtime alone is done'


def run_kunit(kernel):
    """The runtime alone first (asyncx_rt.ko: the rt/ objects, none of ring/;
    the runtime's suites in asyncx_rt_kunit.ko, results under kunit-rt/),
    then asyncx.ko with asyncx_kunit.ko (under kunit/); the guest marks the
    log between them."""
    kod = os.path.join('.build', kernel, 'kmod')
    rt_ko = os.path.join('.build', f'{kernel}-rt', 'kmod', 'asyncx_rt.ko')
    rc, out, dmesg = vm(kernel, 'kunit', [os.path.join(HERE, 'guest', 'kunit.sh'),
                                         os.path.join(kod, 'asyncx.ko'),
                                         os.path.join(kod, 'asyncx_kunit.ko'), rt_ko])
    mark = next((i for i, ln in enumerate(dmesg) if RT_ALONE_MARK in ln), None)
    if mark is None:
        res = ktap.Results()
        res.failed.append(f'{kernel} kunit: the runtime alone (asyncx_rt.ko) did not '
                          'finish: no mark in the kernel log')
        mark = 0
    else:
        res = ktap.parse(ktap.strip_dmesg(dmesg[:mark]), prefix='kunit-rt')
        if not res.passed:
            res.failed.append(f'{kernel} kunit: the runtime alone ran no suite')
    res.add(ktap.parse(ktap.strip_dmesg(dmesg[mark:]), prefix='kunit'))
    return judge(f'{kernel} kunit', rc, res, dmesg, out=out)


def suite_runner():
    """The runner must fail what should fail. Each check passes only if the
    real pipeline (VM, parser, dmesg scan) reports the planted fault."""
    t0 = time.time()
    res = ktap.Results()

    fail = run_kselftests('6.1', None, [os.path.realpath(os.path.join(HERE, 'tests', 'fail_test.sh'))],
                          label='runner-fail')
    res.add(one('runner reports a failing test',
                len(fail.failed) == 1 and 'deliberately failing' in fail.failed[0]
                and len(fail.passed) == 1))

    warn_ko = os.path.join('.build', '6.1-warn_module', 'asyncx_runner_warn.ko')
    rc, out, dmesg = vm('6.1', 'runner-warn',
                        ['bash', '-c', f'insmod {warn_ko} && rmmod asyncx_runner_warn'])
    warn = judge('6.1 runner-warn', rc, one('load and unload the module', rc == 0), dmesg)
    res.add(one('runner reports a WARNING in dmesg',
                len(warn.failed) >= 1 and all('dmesg:' in f for f in warn.failed)
                and any('WARNING:' in f for f in warn.failed)))

    t1 = time.time()
    rc, out, dmesg = vm('6.1', 'runner-hang', ['sleep', '600'], timeout=10)
    res.add(one('runner ends a hung command at its limit (exit 124)',
                rc == 124 and time.time() - t1 < 120))

    res.add(runner_accel())
    res.add(runner_stall())
    report('runner', 'self-tests (6.1)', res, time.time() - t0)
    return res


def fake_qemu(mode, cache, **extra):
    """The environment of a VM run with the stand-in qemu of
    scripts/tests/fake-qemu first on PATH, failing the way `mode` says,
    and a cache folder of its own (so the probe runs afresh). Its KVM
    device is a file in that folder: the stand-in needs no real one, and
    the tests run on a host without /dev/kvm too."""
    kvm_dev = os.path.join(cache, 'kvm')
    with open(kvm_dev, 'w'):
        pass
    env = {'PATH': os.path.join(HERE, 'tests', 'fake-qemu') + ':' + os.environ['PATH'],
           'ASYNCX_FAKE_QEMU': mode, 'ASYNCX_CACHE': cache,
           'ASYNCX_FAKE_QEMU_LOG': os.path.join(cache, 'kvm-calls'),
           'ASYNCX_KVM_DEV': kvm_dev, 'ASYNCX_VM_ACCEL': 'auto'}
    env.update(extra)
    return env


def kvm_calls(cache):
    try:
        with open(os.path.join(cache, 'kvm-calls')) as f:
            return len(f.readlines())
    except FileNotFoundError:
        return 0


def runner_accel():
    """The accelerator is chosen by a probe boot, as on a host whose
    /dev/kvm is a nested hypervisor that boots no guest (VM.md)."""
    import tempfile
    res = ktap.Results()
    vmsh = os.path.join(HERE, 'vm.sh')
    with tempfile.TemporaryDirectory(prefix='asyncx-runner-') as tmp:
        for mode in 'msr', 'silent':
            cache = os.path.join(tmp, mode)
            os.makedirs(cache)
            env = fake_qemu(mode, cache, ASYNCX_VM_PROBE_S='5')
            rc, out = sh([vmsh, '-t', '120', '--', 'bash', '-c', 'echo guest-ran-$(nproc)'],
                         log_path(f'runner-accel-{mode}.out'), env=env, timeout=400)
            why = 'MSR 0x10a' if mode == 'msr' else 'never reached its root mount'
            ok = (rc == 0 and 'guest-ran-4' in out and 'accelerator: TCG' in out
                  and why in out and kvm_calls(cache) == 1)
            res.add(one(f'auto falls back to TCG when KVM {"dies at start" if mode == "msr" else "hangs silent"}'
                        f' and the VM command passes', ok))
            if not ok:
                res.notes[res.failed[-1]] = [f'rc {rc}, {kvm_calls(cache)} probe boots'] + \
                    out.splitlines()[-8:]
            # The verdict is this boot's: no second probe, and a forced
            # KVM fails at once, saying what failed.
            rc, out = sh([vmsh, '--', 'true'], log_path(f'runner-accel-{mode}-kvm.out'),
                         env=dict(env, ASYNCX_VM_ACCEL='kvm'), timeout=60)
            ok = rc == 125 and 'ASYNCX_VM_ACCEL=kvm' in out and 'accel=kvm' in out and \
                why in out and kvm_calls(cache) == 1
            res.add(one(f'forced kvm fails naming the accelerator; the cached verdict is reused ({mode})',
                        ok))
            if not ok:
                res.notes[res.failed[-1]] = [f'rc {rc}, {kvm_calls(cache)} probe boots'] + \
                    out.splitlines()[-8:]
        # Where the probe boot reaches the guest's root mount, KVM is
        # used, and the verdict is kept as well.
        cache = os.path.join(tmp, 'kvm-ok')
        os.makedirs(cache)
        env = fake_qemu('kvm-ok', cache)
        rc, out = sh([vmsh, '-t', '120', '--', 'bash', '-c', 'echo guest-ran-$(nproc)'],
                     log_path('runner-accel-kvm-ok.out'), env=env, timeout=400)
        rc2, out2 = sh([vmsh, '--accel'], log_path('runner-accel-kvm-ok-again.out'), env=env,
                       timeout=60)
        ok = (rc == 0 and 'guest-ran-4' in out and 'accelerator: KVM: a probe boot reached' in out
              and rc2 == 0 and out2.startswith('KVM') and kvm_calls(cache) == 2)
        res.add(one('auto uses KVM where the probe boot reaches the root mount, once a boot', ok))
        if not ok:
            res.notes[res.failed[-1]] = [f'rc {rc}/{rc2}, {kvm_calls(cache)} KVM runs'] + \
                out.splitlines()[-8:] + out2.splitlines()[-2:]
        cache = os.path.join(tmp, 'dead')
        os.makedirs(cache)
        rc, out = sh([vmsh, '--', 'true'], log_path('runner-accel-dead.out'),
                     env=fake_qemu('dead', cache, ASYNCX_VM_ACCEL='tcg'), timeout=120)
        ok = rc == 125 and 'died at start' in out and 'accel=tcg' in out and \
            'stand-in qemu: cannot start' in out
        res.add(one('a qemu that dies at start is reported with its own message and accelerator',
                    ok))
        if not ok:
            res.notes[res.failed[-1]] = [f'rc {rc}'] + out.splitlines()[-8:]
    return res


def runner_stall():
    """A guest whose every CPU is taken by SCHED_FIFO spinners (so neither
    its kernel threads nor the command's timeout run, as in a hung kernel)
    is stopped after ASYNCX_VM_STALL seconds of silence and asked for its
    state: the report names the test that was running and every CPU."""
    hog = ('echo "    # Subtest: hog_test"; echo "    #  RUN  hog.spin ..."; '
           'echo -1 >/proc/sys/kernel/sched_rt_runtime_us; '
           'for c in $(seq 0 $(($(nproc) - 1))); do '
           'taskset -c $c chrt -f 99 sh -c "while :; do :; done" & done; wait')
    rc, out, dmesg = vm('6.1', 'runner-stall', ['bash', '-c', hog],
                        env={'ASYNCX_VM_STALL': '20'}, timeout=300)
    cpus = sorted(set(ln for ln in out.splitlines() if re.match(r'cpu\d+: ', ln)))
    console = log_path('6.1-runner-stall.console')
    sysrq = os.path.exists(console) and 'sysrq: Show State' in open(console, errors='replace').read()
    ok = (rc == 124 and 'last test started: hog_test (case hog.spin)' in out
          and len(cpus) == 4 and all('user space' in c or '+0x' in c for c in cpus) and sysrq)
    r = one('a silent guest is stopped and asked for its state (SysRq, every CPU)', ok)
    if not ok:
        r.notes[r.failed[-1]] = [f'rc {rc}, SysRq answer in the console: {sysrq}'] + cpus + \
            out.splitlines()[-6:]
    return r


def suite_vm(kernel, what):
    t0 = time.time()
    ko = os.path.join('.build', kernel, 'kmod', 'asyncx.ko')
    if what == 'kunit':
        res = run_kunit(kernel)
    elif what == 'faults':
        res = run_kselftests(kernel, ko, kselftest_list('list-debug'), label='faults')
    else:
        res = run_kselftests(kernel, ko)
    note = 'dmesg clean' if not any('dmesg:' in f for f in res.failed) else 'dmesg NOT clean'
    report(kernel, what, res, time.time() - t0, note)
    return res


def suite_run():
    """`make run` as a user runs it: exit 0, a summary, a clean guest log."""
    t0 = time.time()
    rc, out = sh([os.path.join(HERE, 'run-demo.sh')], log_path('make-run.log'),
                 env={'KERNEL': '6.1'}, timeout=VM_TIMEOUT)
    res = ktap.Results()
    res.add(one('make run exits 0', rc == 0))
    res.add(one('make run prints its summary', '= summary =' in out
                and '0 unexpected' in out))
    res.add(one('make run: guest kernel log clean',
                'guest kernel log clean' in out))
    report('run', 'make run (6.1)', res, time.time() - t0)
    return res


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--quick', action='store_true')
    ap.add_argument('--kernel', action='append', choices=KERNELS)
    ap.add_argument('--suite', action='append', choices=SUITES)
    args = ap.parse_args()

    kernels = args.kernel or (['6.1'] if args.quick else KERNELS)
    suites = args.suite or (['build', 'host', 'kselftests'] if args.quick else SUITES)
    shutil.rmtree(RESULTS, ignore_errors=True)
    os.makedirs(RESULTS)
    total = Tally()
    t0 = time.time()

    rc, out = sh([os.path.join(HERE, 'deps.sh')], log_path('deps.log'))
    if rc:
        print(out)
        print('0 passed, 1 failed')
        return 1
    ksrc = subprocess.run([os.path.join(HERE, 'debug-kernel.sh'), '--source'],
                          stdout=subprocess.PIPE, check=True).stdout.decode().strip()
    ksft_dir = os.path.join(ksrc, 'tools', 'testing', 'selftests')

    if 'debug' in kernels:
        built = subprocess.run([os.path.join(HERE, 'debug-kernel.sh'), '--print-dir'],
                               stdout=subprocess.DEVNULL).returncode == 0
        if not built:
            print('[debug ] building the debug kernel (first run on this machine: ~15-25 min)',
                  flush=True)
        t1 = time.time()
        rc, out = sh([os.path.join(HERE, 'debug-kernel.sh')], log_path('debug-kernel.log'))
        r = one('build the debug kernel', rc == 0)
        report('debug', 'kernel ' + ('built' if not built else 'cached'), r, time.time() - t1)
        total.add(r)
        if rc:
            print(out[-3000:])
            kernels = [k for k in kernels if k != 'debug']

    print(f'asyncx check: kernels {", ".join(kernels)}; logs in results/check/', flush=True)
    rc, out = sh([os.path.join(HERE, 'vm.sh'), '--accel'], log_path('accel.log'))
    print(f'asyncx check: VM accelerator: {out.strip() if rc == 0 else "none: " + out.strip()}',
          flush=True)
    total.add(suite_build(kernels, ksft_dir))
    if 'static' in suites:
        total.add(suite_static())
    if 'host' in suites:
        total.add(suite_host())
    if 'runner' in suites:
        total.add(suite_runner())
    if 'run' in suites and '6.1' in kernels:
        total.add(suite_run())
    for k in kernels:
        if k == 'debug' and 'kunit' in suites:
            total.add(suite_vm(k, 'kunit'))
        if 'kselftests' in suites:
            total.add(suite_vm(k, 'kselftests'))
        # Fault injection needs the debug kernel's failslab/fail_page_alloc.
        if k == 'debug' and 'kselftests' in suites:
            total.add(suite_vm(k, 'faults'))

    r = total.res
    print(f'asyncx check: done in {time.time() - t0:.0f} s', flush=True)
    print(f'{len(r.passed)} passed, {len(r.failed)} failed', flush=True)
    return 1 if r.failed else 0


if __name__ == '__main__':
    sys.exit(main())
