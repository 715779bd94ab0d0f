# SPDX-License-Identifier: GPL-2.0
# Sphinx configuration of the asyncx documentation: make htmldocs.
project = 'asyncx'
copyright = 'The asyncx developers'
author = 'The asyncx developers'
master_doc = 'index'
exclude_patterns = ['output']
html_theme = 'alabaster'
html_static_path = []
highlight_language = 'none'
