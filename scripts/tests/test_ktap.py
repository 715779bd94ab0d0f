# SPDX-License-Identifier: GPL-2.0
"""Unit tests of the runner's parsers: scripts/ktap.py, scripts/dmesgcheck.py."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import dmesgcheck  # noqa: E402
import ktap  # noqa: E402


def parse(text, **kw):
    return ktap.parse(text.strip('\n').splitlines(), **kw)


class KtapTest(unittest.TestCase):
    def test_flat_tap(self):
        r = parse("""
TAP version 13
1..3
ok 1 a
not ok 2 b
ok 3 c # SKIP no device
""")
        self.assertEqual(r.passed, ['a'])
        self.assertEqual(r.failed, ['b'])
        self.assertEqual(r.skipped, ['c'])

    def test_a_failure_keeps_the_lines_before_it(self):
        r = parse("""
TAP version 13
1..2
# setup done
ok 1 a
# client: exit 139
# Segmentation fault
not ok 2 b
""")
        self.assertEqual(r.failed, ['b'])
        # Only what came after the previous result, and nothing for passes.
        self.assertEqual(r.notes, {'b': ['# client: exit 139', '# Segmentation fault']})

    def test_nested_summaries_are_not_counted(self):
        r = parse("""
KTAP version 1
1..2
    # Subtest: prog1
    TAP version 13
    1..2
    ok 1 x
    ok 2 y
ok 1 prog1
    # Subtest: prog2
    1..1
    ok 1 z
ok 2 prog2
""")
        self.assertEqual(r.passed, ['prog1/x', 'prog1/y', 'prog2/z'])
        self.assertEqual(r.failed, [])

    def test_failed_leaf_fails_once(self):
        r = parse("""
1..1
    # Subtest: prog
    1..2
    ok 1 x
    not ok 2 y
not ok 1 prog
""")
        self.assertEqual(r.failed, ['prog/y'])

    def test_failed_summary_without_failed_leaf(self):
        # A program that crashed after its last case still fails.
        r = parse("""
1..1
    # Subtest: prog
    1..1
    ok 1 x
not ok 1 prog # exit=139
""")
        self.assertEqual(r.passed, ['prog/x'])
        self.assertEqual(r.failed, ['prog: subtest failed'])

    def test_plan_not_met_inside_subtest(self):
        r = parse("""
1..1
    # Subtest: prog
    1..3
    ok 1 x
not ok 1 prog
""")
        self.assertEqual(len(r.failed), 2)
        self.assertIn('never ran', r.failed[0])

    def test_plan_not_met_at_end(self):
        # A KUnit suite cut off by a crash: no summary, fewer results.
        r = parse("""
    # Subtest: asyncx_module
    1..4
    ok 1 - open_close
    ok 2 - open_counts_contexts
""")
        self.assertEqual(len(r.passed), 2)
        self.assertEqual(len(r.failed), 2)

    def test_kunit_dmesg(self):
        log = """
[   14.1] asyncx: loading out-of-tree module taints kernel.
[   14.2]     # Subtest: asyncx_module
[   14.2]     1..2
[   14.3]     ok 1 - open_close
[   14.4]     not ok 2 - tracepoints_fire
[   14.5] # asyncx_module: pass:1 fail:1 skip:0 total:2
[   14.5] # Totals: pass:1 fail:1 skip:0 total:2
[   14.6] not ok 1 - asyncx_module
"""
        lines = ktap.strip_dmesg(log.strip().splitlines())
        r = ktap.parse(lines, prefix='kunit')
        self.assertEqual(r.passed, ['kunit/asyncx_module/open_close'])
        self.assertEqual(r.failed, ['kunit/asyncx_module/tracepoints_fire'])

    def test_harness_comments_ignored(self):
        r = parse("""
TAP version 13
1..1
# Starting 1 tests from 1 test cases.
#  RUN           global.open_close ...
#            OK  global.open_close
ok 1 global.open_close
# PASSED: 1 / 1 tests passed.
# Totals: pass:1 fail:0 xfail:0 xpass:0 skip:0 error:0
""")
        self.assertEqual(r.passed, ['global.open_close'])
        self.assertEqual(r.failed, [])


class DmesgTest(unittest.TestCase):
    def test_reports_are_found(self):
        for line in [
            '[    1.0] WARNING: CPU: 1 PID: 9 at kmod/main.c:10 axq_init+0x1/0x2',
            '[    1.0] BUG: KASAN: use-after-free in axq_poll+0x10/0x20',
            '[    1.0] BUG: sleeping function called from invalid context at mm/slab.h:1',
            '[    1.0] WARNING: possible circular locking dependency detected',
            '[    1.0] kmemleak: 2 new suspected memory leaks (see /sys/kernel/debug/kmemleak)',
            '[    1.0] general protection fault, probably for non-canonical address',
            '[    1.0] INFO: task kworker/0:1:12 blocked for more than 120 seconds.',
            '[    1.0] Kernel panic - not syncing: Fatal exception',
        ]:
            self.assertEqual(dmesgcheck.splats([line]), [line], line)

    def test_clean_boot_is_clean(self):
        clean = [
            '[    0.0] kasan: KernelAddressSanitizer initialized (generic)',
            '[    9.0] asyncx: loading out-of-tree module taints kernel.',
            '[    9.0] asyncx: module verification failed: signature and/or required key'
            ' missing - tainting kernel',
            '[    9.1] kmemleak: Kernel memory leak detector initialized (mem pool available: 15000)',
            '[    9.2] Lockdep: selftest skipped',
        ]
        self.assertEqual(dmesgcheck.splats(clean), [])

    def test_fault_injection_reports_are_not_splats(self):
        # faults.sh (debug kernel) makes allocations fail on purpose; the
        # kernel's notes about that are not bug reports, but a real report
        # among them still is.
        injected = [
            '[  130.1] FAULT_INJECTION: forcing a failure.',
            '[  130.1] name failslab, interval 1, probability 10, space 0, times 999',
            '[  130.1] CPU: 1 PID: 300 Comm: faults_client Tainted: G           O       6.1.192 #1',
            '[  130.1] Call Trace:',
            '[  130.1]  <TASK>',
            '[  130.1]  dump_stack_lvl+0x5b/0x77',
            '[  130.1]  should_fail_ex.cold+0x5/0xa',
            '[  130.1]  should_failslab+0x5/0x10',
            '[  130.1]  axq_req_start+0x2a/0x1d0 [asyncx]',
            '[  130.1]  </TASK>',
            '[  130.2] asyncx/1: page allocation failure: order:0, mode:0xcc0(GFP_KERNEL),'
            ' nodemask=(null),cpuset=/,mems_allowed=0',
            '[  130.2] Mem-Info:',
            '[  130.3] asyncx: no memory for debugfs bench',
        ]
        self.assertEqual(dmesgcheck.splats(injected), [])
        warn = '[  130.4] WARNING: CPU: 1 PID: 9 at kmod/main.c:154 axq_exit+0x1/0x2'
        self.assertEqual(dmesgcheck.splats(injected + [warn]), [warn])


if __name__ == '__main__':
    unittest.main()
