#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The layout of kmod/ keeps its two layers apart (Documentation/design.rst).

  includes   rt/ (the runtime) includes no header of ring/ (the ring on top
             of it), and the public API (include/asyncx/) includes nothing
             internal: only <linux/...>, <asm/...> and its own headers
  map        every file under kmod/ is named in design.rst's File map, as
             ``kmod/PATH``; and the map names no file that is gone

Usage: scripts/layout-check.py [--root DIR] [includes|map]...
Prints one line per violation; exit status 1 if any.
"""
import argparse
import os
import re
import subprocess
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)
MAP_ENTRY = re.compile(r'``kmod/([^`\s]+)``')


def kmod_files(root):
    """Files under kmod/ that git knows or would add (not build output)."""
    try:
        out = subprocess.run(['git', 'ls-files', '-co', '--exclude-standard', '--', 'kmod'],
                             cwd=root, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             check=True).stdout.decode().split('\n')
        files = [f[len('kmod/'):] for f in out if f]
    except (subprocess.CalledProcessError, FileNotFoundError):
        files = []
        for d, _, names in os.walk(os.path.join(root, 'kmod')):
            files += [os.path.relpath(os.path.join(d, n), os.path.join(root, 'kmod'))
                      for n in names]
    return sorted(f for f in files if os.path.isfile(os.path.join(root, 'kmod', f)))


def resolve(kmod, src, kind, name):
    """Where an include of src lands under kmod/, as kbuild would find it
    (quoted: the file's own folder first; then -I kmod and -I kmod/include),
    or None for a kernel header."""
    dirs = [os.path.dirname(os.path.join(kmod, src))] if kind == '"' else []
    dirs += [kmod, os.path.join(kmod, 'include')]
    for d in dirs:
        p = os.path.normpath(os.path.join(d, name))
        if os.path.isfile(p):
            return os.path.relpath(p, kmod)
    return None


def check_includes(root):
    kmod = os.path.join(root, 'kmod')
    bad = []
    for f in kmod_files(root):
        if not f.endswith(('.c', '.h')):
            continue
        with open(os.path.join(kmod, f), errors='replace') as fh:
            text = fh.read()
        for m in INCLUDE.finditer(text):
            kind, name = m.group(1), m.group(2)
            line = text.count('\n', 0, m.start()) + 1
            target = resolve(kmod, f, kind, name)
            if f.startswith('rt/') and (target or '').startswith('ring/'):
                bad.append(f'kmod/{f}:{line}: the runtime includes the ring\'s '
                           f'kmod/{target}')
            if f.startswith('include/'):
                if target is not None and not target.startswith('include/'):
                    bad.append(f'kmod/{f}:{line}: the public API includes the internal '
                               f'kmod/{target}')
                elif target is None and kind == '"':
                    bad.append(f'kmod/{f}:{line}: the public API includes "{name}", '
                               'which is not one of its own headers')
    return bad


def check_map(root):
    path = os.path.join(root, 'Documentation', 'design.rst')
    try:
        with open(path) as fh:
            text = fh.read()
    except OSError as e:
        return [f'Documentation/design.rst: {e.strerror}']
    start = text.find('File map')
    named = set(MAP_ENTRY.findall(text[start:] if start >= 0 else ''))
    if start < 0:
        return ['Documentation/design.rst: no "File map" section']
    files = kmod_files(root)
    bad = [f'kmod/{f}: not in the File map of Documentation/design.rst'
           for f in files if f not in named]
    bad += [f'Documentation/design.rst: the File map names kmod/{f}, which does not exist'
            for f in sorted(named) if not os.path.exists(os.path.join(root, 'kmod', f))]
    return bad


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--root', default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap.add_argument('checks', nargs='*', metavar='CHECK',
                    help='includes, map (default: both)')
    args = ap.parse_args()
    checks = args.checks or ['includes', 'map']
    for c in checks:
        if c not in ('includes', 'map'):
            ap.error(f'unknown check {c!r}: includes or map')
    bad = []
    if 'includes' in checks:
        bad += check_includes(args.root)
    if 'map' in checks:
        bad += check_map(args.root)
    for b in bad:
        print(b)
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
