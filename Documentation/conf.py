# SPDX-License-Identifier: GPL-2.0
# Sphinx configuration of the asyncx documentation: make htmldocs.
#
# The API pages pull kernel-doc comments out of the sources with the kernel's
# own Sphinx extension and kernel-doc script, from Debian's linux-source-6.1
# (unpacked by scripts/debug-kernel.sh --source; KSRC names it).
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(here)
ksrc = os.environ.get('KSRC') or subprocess.run(
    [os.path.join(root, 'scripts', 'debug-kernel.sh'), '--source'],
    check=True, stdout=subprocess.PIPE).stdout.decode().strip()
sys.path.insert(0, os.path.join(ksrc, 'Documentation', 'sphinx'))

project = 'asyncx'
copyright = 'The asyncx developers'
author = 'The asyncx developers'
master_doc = 'index'
exclude_patterns = ['output']
html_theme = 'alabaster'
html_static_path = []
highlight_language = 'none'
primary_domain = 'c'

extensions = ['kerneldoc']
kerneldoc_bin = os.path.join(ksrc, 'scripts', 'kernel-doc')
kerneldoc_srctree = root
