# SPDX-License-Identifier: GPL-2.0
"""Unit tests of scripts/guest/kselftests.sh's time limits, run on the host
(no module: ASYNCX_KO unset, so it loads and unloads nothing)."""
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import ktap  # noqa: E402

RUNNER = os.path.join(os.path.dirname(HERE), 'guest', 'kselftests.sh')


class LimitsTest(unittest.TestCase):
    def run_dir(self, settings, progs):
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, 'settings'), 'w') as f:
                f.write(settings)
            for name, body in progs.items():
                p = os.path.join(d, name)
                with open(p, 'w') as f:
                    f.write('#!/bin/bash\n' + body + '\necho "TAP version 13"\necho 1..1\n'
                            'echo "ok 1 ' + name + '"\n')
                os.chmod(p, 0o755)
            env = {k: v for k, v in os.environ.items() if not k.startswith('ASYNCX_')}
            out = subprocess.run([RUNNER, d, *progs], env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, timeout=60).stdout.decode()
        return out, ktap.parse(out.splitlines())

    def test_per_program_limit(self):
        # The same 2 s program: killed under the global 1 s limit, passes
        # under its own "timeout.PROG=" line of 10 s.
        out, r = self.run_dir('timeout=1\ntimeout.slow.sh=10\n',
                              {'slow.sh': 'sleep 2', 'other.sh': 'sleep 2'})
        lines = out.splitlines()
        self.assertIn('ok 1 slow.sh', lines)
        self.assertIn('not ok 2 other.sh # TIMEOUT after 1s', lines)
        self.assertEqual(len(r.failed), 1, out)

    def test_global_limit_only(self):
        out, r = self.run_dir('timeout=10\n', {'a.sh': 'true'})
        self.assertIn('ok 1 a.sh', out.splitlines())
        self.assertEqual(r.failed, [], out)


if __name__ == '__main__':
    unittest.main()
