#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Parse KTAP (KUnit) and TAP (kselftest) output into test results.

Both formats are nested by indentation: a subtest's lines are indented four
spaces (or, in kernel logs, follow a "# Subtest:" line) and end with one
result line at the parent's level. A result line whose level had deeper
results before it is a summary of those, not a test of its own, so only
leaves are counted. A summary that says "not ok" while none of its leaves
did (a crash, an error in setup) counts as one failure, and so does each
test a plan ("1..N") announced but never reported.

Usage: ktap.py [--dmesg] FILE    (--dmesg: FILE is a kernel log; the
       "[ time]" prefixes are stripped and only KTAP lines are read)
Prints one line per failed test and the totals; exits 1 on any failure.
"""
import re
import sys
from dataclasses import dataclass, field

RESULT = re.compile(r'^(?P<ind>\s*)(?P<ok>not ok|ok)\s+(?P<num>\d+)\s*(?:-\s*)?'
                    r'(?P<name>[^#]*?)\s*(?:#\s*(?P<directive>\S+)\s*(?P<reason>.*))?$')
PLAN = re.compile(r'^(?P<ind>\s*)1\.\.(?P<n>\d+)(?:\s*#\s*(?P<directive>\S+).*)?\s*$')
SUBTEST = re.compile(r'^(?P<ind>\s*)#\s*Subtest:\s*(?P<name>.+?)\s*$')
DMESG_PREFIX = re.compile(r'^(<\d+>)?\[\s*\d+\.\d+\]\s?')
COMMENT = re.compile(r'^\s*#')
NOTES_KEPT = 12
KTAP_LINE = re.compile(r'^\s*(KTAP version|TAP version|1\.\.\d|ok \d|not ok \d|# Subtest:|#)')


@dataclass
class Results:
    passed: list = field(default_factory=list)
    failed: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    # failed test -> the diagnostic ("# ...") lines that came just before it
    notes: dict = field(default_factory=dict)

    def add(self, other):
        self.passed += other.passed
        self.failed += other.failed
        self.skipped += other.skipped
        self.notes.update(other.notes)


def strip_dmesg(lines):
    """Kernel log lines to bare KTAP lines (timestamps off, other lines out)."""
    out = []
    for line in lines:
        line = DMESG_PREFIX.sub('', line.rstrip('\n'))
        if KTAP_LINE.match(line):
            out.append(line)
    return out


def _level(indent):
    return len(indent.replace('\t', '    ')) // 4


def parse(lines, prefix=''):
    """Parse KTAP/TAP lines; return Results with 'path/name' entries."""
    res = Results()
    names = {}         # level -> subtest name announced at that level
    deeper = {}        # level -> a deeper result came since the last one here
    failed_below = {}  # level -> a failed leaf came since the last result here
    plans = {}         # level -> announced plan
    counts = {}        # level -> results seen at that level
    recent = []        # diagnostic lines since the last result
    for raw in lines:
        line = raw.rstrip('\n')
        m = SUBTEST.match(line)
        if m:
            names[_level(m['ind'])] = m['name']
            continue
        if COMMENT.match(line):
            recent = (recent + [line.strip()])[-NOTES_KEPT:]
            continue
        m = PLAN.match(line)
        if m:
            lvl = _level(m['ind'])
            plans[lvl] = int(m['n'])
            counts[lvl] = 0
            continue
        m = RESULT.match(line)
        if not m:
            continue
        lvl = _level(m['ind'])
        # Enclosing subtests: those announced at levels 1..lvl.
        path = '/'.join([prefix] * bool(prefix) +
                        [names[k] for k in sorted(names) if 1 <= k <= lvl])
        name = (path + '/' if path else '') + (m['name'] or m['num'])
        directive = (m['directive'] or '').upper()
        counts[lvl] = counts.get(lvl, 0) + 1
        if deeper.get(lvl):
            # A summary of the subtest that just ended.
            missing = plans.get(lvl + 1, 0) - counts.get(lvl + 1, 0)
            for i in range(max(missing, 0)):
                res.failed.append(f'{name}: planned test {counts.get(lvl + 1, 0) + i + 1} never ran')
            if m['ok'] == 'not ok' and not failed_below.get(lvl) and missing <= 0:
                res.failed.append(f'{name}: subtest failed')
            plans.pop(lvl + 1, None)
            counts.pop(lvl + 1, None)
            names.pop(lvl + 1, None)
        elif directive == 'SKIP':
            res.skipped.append(name)
        elif m['ok'] == 'ok':
            res.passed.append(name)
        else:
            res.failed.append(name)
            res.notes[name] = recent
            for k in range(lvl):
                failed_below[k] = True
        recent = []
        for k in range(lvl):
            deeper[k] = True
        deeper[lvl] = False
        failed_below[lvl] = False
    # Plans at any level left open: their missing tests never ran.
    for lvl, n in plans.items():
        for i in range(counts.get(lvl, 0), n):
            res.failed.append(f'{prefix or "top"}: planned test {i + 1} at level {lvl} never ran')
    return res


def main(argv):
    args = argv[1:]
    dmesg = '--dmesg' in args
    args = [a for a in args if a != '--dmesg']
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    with open(args[0], errors='replace') as f:
        lines = f.readlines()
    if dmesg:
        lines = strip_dmesg(lines)
    res = parse(lines)
    for name in res.failed:
        print(f'FAIL {name}')
        for note in res.notes.get(name, []):
            print(f'     {note}')
    print(f'{len(res.passed)} passed, {len(res.failed)} failed, {len(res.skipped)} skipped')
    return 1 if res.failed or not (res.passed or res.skipped) else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
