#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Find kernel bug reports in a guest's kernel log.

A test can print "ok" while the kernel reports a bug (lockdep never fails a
KUnit case; KASAN only with CONFIG_KASAN_KUNIT_TEST), so every run's log is
scanned for the headers of the reports the kernel prints: BUG (KASAN,
sleeping in atomic context, scheduling while atomic, soft lockups), WARNING
(WARN_ON, lockdep, RCU, debugobjects), oopses, panics, UBSAN, kmemleak and
hung tasks.

Usage: dmesgcheck.py FILE   prints each report's first line; exits 1 if any.
"""
import re
import sys

PATTERNS = [
    r'BUG:',
    r'WARNING:',
    r'kernel BUG at',
    r'Oops',
    r'general protection fault',
    r'Kernel panic',
    r'UBSAN:',
    r'unreferenced object 0x',
    r'kmemleak: \d+ new suspected memory leaks',
    r'INFO: task .* blocked for more than',
    r'INFO: rcu_.* detected stalls',
    r'possible circular locking dependency',
    r'inconsistent lock state',
    r'DEBUG_LOCKS_WARN_ON',
    r'ODEBUG:',
    r'list_(add|del) corruption',
    r'stack-protector:',
]
SPLAT = re.compile('|'.join(f'(?:{p})' for p in PATTERNS))


def splats(lines):
    """Return the lines of a kernel log that start a bug report."""
    return [line.rstrip('\n') for line in lines if SPLAT.search(line)]


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], errors='replace') as f:
        found = splats(f)
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
