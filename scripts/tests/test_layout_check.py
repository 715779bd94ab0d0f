# SPDX-License-Identifier: GPL-2.0
"""scripts/layout-check.py fails what breaks the layout of kmod/: a runtime
file that includes a ring header, a public header that includes an internal
one, a file missing from the design map, a map entry whose file is gone;
and passes this tree."""
import importlib.util
import os
import shutil
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
spec = importlib.util.spec_from_file_location('layout_check',
                                              os.path.join(ROOT, 'scripts', 'layout-check.py'))
layout_check = importlib.util.module_from_spec(spec)
spec.loader.exec_module(layout_check)

FILES = {
    'kmod/Kbuild': '',
    'kmod/main.c': '#include "rt/rt.h"\n#include "ring/dev.h"\n',
    'kmod/include/asyncx/runtime.h': '#include <linux/types.h>\n',
    'kmod/include/asyncx/wait.h': '#include "runtime.h"\n',
    'kmod/rt/rt.h': '',
    'kmod/rt/task.c': '#include <asyncx/wait.h>\n#include "rt.h"\n#include "trace.h"\n',
    'kmod/trace.h': '',
    'kmod/ring/dev.h': '',
    'kmod/ring/ctx.h': '',
    'kmod/ring/ctx.c': '#include "ctx.h"\n#include "rt/rt.h"\n',
}


def tree(files):
    root = tempfile.mkdtemp(prefix='layout-check-')
    for path, text in files.items():
        os.makedirs(os.path.join(root, os.path.dirname(path)), exist_ok=True)
        with open(os.path.join(root, path), 'w') as f:
            f.write(text)
    names = '\n'.join(f'- ``{p}``: a file' for p in files if p.startswith('kmod/'))
    os.makedirs(os.path.join(root, 'Documentation'))
    with open(os.path.join(root, 'Documentation', 'design.rst'), 'w') as f:
        f.write(f'Design\n======\n\nFile map\n--------\n\n{names}\n')
    return root


class LayoutCheck(unittest.TestCase):
    def run_check(self, files, edit=None):
        root = tree(files)
        self.addCleanup(shutil.rmtree, root)
        if edit:
            edit(root)
        return layout_check.check_includes(root) + layout_check.check_map(root)

    def test_good_tree_passes(self):
        self.assertEqual(self.run_check(FILES), [])

    def test_runtime_including_ring_fails(self):
        for inc in ('"ring/ctx.h"', '"../ring/ctx.h"'):
            bad = self.run_check(dict(FILES, **{'kmod/rt/task.c': f'#include {inc}\n'}))
            self.assertEqual(len(bad), 1, bad)
            self.assertIn('kmod/rt/task.c:1: the runtime includes the ring', bad[0])

    def test_runtime_test_including_ring_fails(self):
        files = dict(FILES, **{'kmod/rt/tests/x_kunit.c': '#include "ring/ctx.h"\n'})
        bad = self.run_check(files)
        self.assertEqual(len(bad), 1, bad)
        self.assertIn('kmod/rt/tests/x_kunit.c', bad[0])

    def test_public_header_including_internal_fails(self):
        for inc, what in (('"rt/rt.h"', 'kmod/rt/rt.h'), ('"ctx.h"', '"ctx.h"')):
            files = dict(FILES, **{'kmod/include/asyncx/wait.h': f'#include {inc}\n'})
            bad = self.run_check(files)
            self.assertEqual(len(bad), 1, bad)
            self.assertIn(what, bad[0])

    def test_ring_may_include_runtime(self):
        files = dict(FILES, **{'kmod/ring/ctx.c': '#include "rt/rt.h"\n#include <asyncx/wait.h>\n'})
        self.assertEqual(self.run_check(files), [])

    def test_file_missing_from_map_fails(self):
        def add(root):
            with open(os.path.join(root, 'kmod', 'ring', 'new.c'), 'w') as f:
                f.write('')
        bad = self.run_check(FILES, add)
        self.assertEqual(bad, ['kmod/ring/new.c: not in the File map of '
                               'Documentation/design.rst'])

    def test_map_entry_of_a_gone_file_fails(self):
        bad = self.run_check(FILES, lambda root: os.remove(os.path.join(root, 'kmod', 'main.c')))
        self.assertEqual(len(bad), 1, bad)
        self.assertIn('names kmod/main.c, which does not exist', bad[0])

    def test_this_tree_passes(self):
        self.assertEqual(layout_check.check_includes(ROOT), [])
        self.assertEqual(layout_check.check_map(ROOT), [])


if __name__ == '__main__':
    unittest.main()
