# SPDX-License-Identifier: GPL-2.0
"""Unit tests of scripts/manpages.py: kernel-doc comments to man pages, and
the check that every exported symbol of libasyncx has one."""
import contextlib
import io
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import manpages  # noqa: E402

SAMPLE = """ * frob_it() - frobnicate a ring
 * @ring: the ring
 * @n: how many times, at most
 *	the ring's size
 *
 * Does it.
 *
 * - one
 * - two
 *
 * Context: the submitter.
 * Return: 0, or -EINVAL.
"""


class TestManpages(unittest.TestCase):
    def test_comment_parts(self):
        d = manpages.parse_comment(SAMPLE, 'static inline int frob_it(struct r *ring,\n'
                                           '\t\t\t  unsigned int n)\n{\n}\n')
        self.assertEqual((d.kind, d.name, d.summary), ('function', 'frob_it',
                                                       'frobnicate a ring'))
        self.assertEqual(d.params, [('ring', 'the ring'),
                                    ('n', "how many times, at most the ring's size")])
        self.assertEqual(manpages.prototype(d),
                         'int frob_it(struct r *ring, unsigned int n);')
        titles = [t for t, _ in d.sections]
        self.assertEqual(titles, [None, 'CONTEXT', 'RETURN VALUE'])
        page = manpages.page3(d, '2026-01-01', '1.0', [('asyncx', '7')])
        self.assertIn('.SH NAME\nfrob_it \\- frobnicate a ring', page)
        self.assertIn('.IP \\(bu 2\none', page)
        self.assertIn('.SH RETURN VALUE\n.PP\n0, or -EINVAL.', page)

    def test_roff_escapes(self):
        self.assertEqual(manpages.esc('.start\n\'quote\na\\b'),
                         "\\&.start\n\\&'quote\na\\eb")

    def test_every_exported_symbol_has_a_page(self):
        with tempfile.TemporaryDirectory() as out:
            mp = os.path.join(manpages.ROOT, 'lib', 'libasyncx.map')
            sys.argv = ['manpages.py', '--out', out, '--check', mp]
            with contextlib.redirect_stdout(io.StringIO()) as o:
                self.assertEqual(manpages.main(), 0, o.getvalue())
            for sym in manpages.map_symbols(mp):
                self.assertTrue(os.path.exists(os.path.join(out, 'man3', sym + '.3')), sym)
            self.assertTrue(os.path.exists(os.path.join(out, 'man7', 'asyncx.7')))

    def test_a_symbol_without_a_page_fails_the_check(self):
        with tempfile.TemporaryDirectory() as out:
            mp = os.path.join(out, 'test.map')
            with open(mp, 'w') as f:
                f.write('T_1 {\n\tglobal:\n\t\tasyncx_submit;\n\t\tasyncx_no_such;\n'
                        '\tlocal:\n\t\t*;\n};\n')
            sys.argv = ['manpages.py', '--out', out, '--check', mp]
            with contextlib.redirect_stdout(io.StringIO()) as o:
                self.assertEqual(manpages.main(), 1)
            self.assertIn('asyncx_no_such', o.getvalue())
            self.assertNotIn('asyncx_submit (', o.getvalue())


if __name__ == '__main__':
    unittest.main()
