#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The man pages of libasyncx and of the /dev/asyncx ABI, from the headers.

Every page is generated from the kernel-doc comments of lib/include/asyncx.h
(one page in section 3 per documented function, as liburing ships them, and
libasyncx(7) from its overview and DOC sections) and of uapi/linux/asyncx.h
(asyncx(7): the protocol, every documented struct, enum and macro), so the
pages cannot drift from the code.

  manpages.py --out DIR                 write DIR/man3/*.3 and DIR/man7/*.7
  manpages.py --out DIR --check MAP     and fail (exit 1) when a global
                                        symbol of the version script MAP has
                                        no page, or groff warns on a page

Only the standard library; groff is used by --check when it is installed.
"""
import argparse
import datetime
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIB_H = os.path.join(ROOT, 'lib', 'include', 'asyncx.h')
UAPI_H = os.path.join(ROOT, 'uapi', 'linux', 'asyncx.h')
LIB_MK = os.path.join(ROOT, 'lib', 'Makefile')

# A kernel-doc comment, and the code that follows it up to the next comment.
COMMENT = re.compile(r'/\*\*\n(.*?)\*/\n', re.S)


class Doc:
    """One kernel-doc comment: what it documents and its parts."""

    def __init__(self, kind, name, summary):
        self.kind = kind            # 'function', 'struct', 'enum', 'macro', 'doc'
        self.name = name
        self.summary = summary
        self.params = []            # (name, text)
        self.sections = []          # (title or None, text): body, Context, Return
        self.code = ''              # the declaration that follows


def strip_comment(body):
    lines = []
    for line in body.splitlines():
        line = re.sub(r'^ ?\*(?: )?', '', line, count=1)
        lines.append(line.rstrip())
    return lines


def parse_comment(body, code):
    lines = strip_comment(body)
    head = lines[0].strip()
    m = re.match(r'DOC:\s*(.*)$', head)
    if m:
        d = Doc('doc', m.group(1).strip(), '')
        d.sections.append((None, '\n'.join(lines[1:]).strip()))
        return d
    m = re.match(r'(struct|enum|union)\s+(\w+)\s*-\s*(.*)$', head)
    if m:
        d = Doc(m.group(1), f'{m.group(1)} {m.group(2)}', m.group(3))
    else:
        m = re.match(r'(\w+)(\(\))?\s*-\s*(.*)$', head)
        if not m:
            return None
        d = Doc('function' if m.group(2) else 'macro', m.group(1), m.group(3))
    i = 1
    # The summary may go on over lines indented by a tab.
    while i < len(lines) and lines[i].startswith('\t') and not d.params:
        d.summary += ' ' + lines[i].strip()
        i += 1
    # @params, each possibly continued on indented lines.
    while i < len(lines) and lines[i].startswith('@'):
        m = re.match(r'@([\w.]+):\s*(.*)$', lines[i])
        text = [m.group(2)] if m else [lines[i]]
        name = m.group(1) if m else '?'
        i += 1
        while i < len(lines) and lines[i].startswith(('\t', '  ')) and lines[i].strip():
            text.append(lines[i].strip())
            i += 1
        d.params.append((name, ' '.join(text)))
    # The body, then "Context:" and "Return:" (each to the next of them).
    cur_title, cur = None, []
    for line in lines[i:]:
        m = re.match(r'(Context|Return|Returns):\s*(.*)$', line)
        if m:
            if '\n'.join(cur).strip():
                d.sections.append((cur_title, '\n'.join(cur).strip()))
            cur_title = 'RETURN VALUE' if m.group(1).startswith('Return') else 'CONTEXT'
            cur = [m.group(2)]
        else:
            cur.append(line)
    if '\n'.join(cur).strip():
        d.sections.append((cur_title, '\n'.join(cur).strip()))
    d.code = code
    return d


def parse(path):
    text = open(path, encoding='utf-8').read()
    docs = []
    for m in COMMENT.finditer(text):
        nxt = text.find('/*', m.end())
        code = text[m.end():nxt if nxt >= 0 else len(text)]
        d = parse_comment(m.group(1), code)
        if d:
            docs.append(d)
    top = re.match(r'/\*[^\n]*\n/\*\n(.*?)\*/', text, re.S)
    overview = '\n'.join(strip_comment(top.group(1))).strip() if top else ''
    return docs, overview


def prototype(d):
    """The C declaration of a function, without its body."""
    code = d.code
    m = re.match(r'\s*#define\s+\w+\([^)]*\)', code)
    if m:
        return m.group(0).strip()
    end = min([i for i in (code.find('{'), code.find(';')) if i >= 0] or [len(code)])
    proto = code[:end].strip()
    proto = re.sub(r'^static\s+inline\s+', '', proto)
    proto = re.sub(r'\s+', ' ', proto).replace('( ', '(').replace(' )', ')')
    return proto + ';'


def definition(d):
    """The definition of a struct or enum, or a macro's #define line."""
    code = d.code.strip()
    if d.kind == 'macro':
        return code.splitlines()[0] if code else ''
    end = code.find('};')
    return code[:end + 2] if end >= 0 else code


def esc(text):
    """Text for roff: backslashes escaped, no line starting with . or '."""
    text = text.replace('\\', '\\e')
    out = []
    for line in text.splitlines():
        if line.startswith(('.', "'")):
            line = '\\&' + line
        out.append(line)
    return '\n'.join(out)


def prose(text):
    """kernel-doc prose: paragraphs, and "- " lists, as roff."""
    out = []
    for para in re.split(r'\n\s*\n', text.strip()):
        lines = para.splitlines()
        if lines and lines[0].lstrip().startswith('- '):
            items, cur = [], []
            for line in lines:
                if line.lstrip().startswith('- '):
                    if cur:
                        items.append(' '.join(cur))
                    cur = [line.lstrip()[2:].strip()]
                else:
                    cur.append(line.strip())
            items.append(' '.join(cur))
            for it in items:
                out.append('.IP \\(bu 2\n' + esc(it))
            out.append('.PP')
        elif para.startswith(('\t', '   ')) or '::' in para:
            out.append('.nf\n' + esc('\n'.join(l.strip('\t') for l in lines)) + '\n.fi')
        else:
            out.append('.PP\n' + esc(' '.join(l.strip() for l in lines)))
    # **emphasis** (rst) as bold.
    return re.sub(r'\*\*(.+?)\*\*', r'\\fB\1\\fR', '\n'.join(out))


def header(name, section, date, version, title):
    return (f'.\\" SPDX-License-Identifier: GPL-2.0 OR MIT\n'
            f'.\\" Generated by scripts/manpages.py from the headers; do not edit.\n'
            f'.TH "{name.upper()}" {section} "{date}" "libasyncx {version}" "{title}"\n')


def see_also(names, self_name):
    refs = [n for n in names if n != self_name]
    return '.SH SEE ALSO\n' + ',\n'.join(f'.BR {n[0]} ({n[1]})' for n in refs) + '\n'


def page3(d, date, version, related):
    s = header(d.name, 3, date, version, 'libasyncx Manual')
    s += f'.SH NAME\n{d.name} \\- {esc(d.summary)}\n'
    s += '.SH SYNOPSIS\n.nf\n.B #include <asyncx.h>\n.PP\n'
    s += '.BI "' + esc(prototype(d)).replace('"', '\\(dq') + '"\n.fi\n'
    if d.params:
        s += '.SH ARGUMENTS\n'
        for name, text in d.params:
            s += f'.TP\n.I {name}\n{esc(text)}\n'
    body = [t for title, t in d.sections if title is None]
    if body:
        s += '.SH DESCRIPTION\n' + prose('\n\n'.join(body)) + '\n'
    for title in ('CONTEXT', 'RETURN VALUE'):
        for t, text in d.sections:
            if t == title:
                s += f'.SH {title}\n' + prose(text) + '\n'
    s += see_also(related, (d.name, '3'))
    return s


def page_struct(d):
    s = f'.SS {esc(d.name)}\n{esc(d.summary)}\n.PP\n.in +4n\n.nf\n'
    s += esc(definition(d)) + '\n.fi\n.in\n'
    for name, text in d.params:
        s += f'.TP\n.I {name}\n{esc(text)}\n'
    for title, text in d.sections:
        s += prose(text) + '\n'
    return s


def page7(name, summary, overview, docs, date, version, related):
    s = header(name, 7, date, version, 'asyncx Manual')
    s += f'.SH NAME\n{name} \\- {summary}\n'
    s += '.SH DESCRIPTION\n' + prose(overview) + '\n'
    for d in docs:
        if d.kind == 'doc':
            s += f'.SS {esc(d.name.capitalize())}\n' + prose(d.sections[0][1]) + '\n'
    kinds = (('struct', 'STRUCTURES'), ('enum', 'CONSTANTS'), ('macro', 'MACROS'))
    for kind, title in kinds:
        these = [d for d in docs if d.kind == kind]
        if these:
            s += f'.SH {title}\n' + ''.join(page_struct(d) for d in these)
    s += see_also(related, (name, '7'))
    return s


def version():
    for line in open(LIB_MK, encoding='utf-8'):
        m = re.match(r'VERSION\s*:?=\s*(\S+)', line)
        if m:
            return m.group(1)
    return '0'


def map_symbols(path):
    text = re.sub(r'/\*.*?\*/', '', open(path, encoding='utf-8').read(), flags=re.S)
    syms = []
    for block in re.findall(r'global:(.*?)(?:local:|\})', text, re.S):
        syms += [s.strip() for s in block.split(';') if s.strip()]
    return syms


def generate(out):
    date = os.environ.get('SOURCE_DATE_EPOCH')
    date = (datetime.datetime.utcfromtimestamp(int(date)) if date
            else datetime.datetime.utcnow()).strftime('%Y-%m-%d')
    ver = version()
    lib_docs, lib_overview = parse(LIB_H)
    uapi_docs, uapi_overview = parse(UAPI_H)
    funcs = [d for d in lib_docs if d.kind == 'function']
    related = [('asyncx', '7'), ('libasyncx', '7')] + sorted((d.name, '3') for d in funcs)
    for sec in ('man3', 'man7'):
        os.makedirs(os.path.join(out, sec), exist_ok=True)
    written = []
    for d in funcs:
        path = os.path.join(out, 'man3', d.name + '.3')
        with open(path, 'w', encoding='utf-8') as f:
            f.write(page3(d, date, ver, [('asyncx', '7'), ('libasyncx', '7')]))
        written.append(path)
    pages7 = (('asyncx', 'the /dev/asyncx ABI: rings of asynchronous operations',
               uapi_overview, uapi_docs),
              ('libasyncx', 'the userspace library of asyncx', lib_overview,
               [d for d in lib_docs if d.kind != 'function']))
    for name, summary, overview, docs in pages7:
        path = os.path.join(out, 'man7', name + '.7')
        with open(path, 'w', encoding='utf-8') as f:
            f.write(page7(name, summary, overview, docs, date, ver, related))
        written.append(path)
    return written, {d.name for d in funcs}


def lint(path):
    """groff's warnings for a page ('' when clean, or without groff)."""
    if not shutil.which('groff'):
        return ''
    r = subprocess.run(['groff', '-man', '-Tutf8', '-ww', '-z', path],
                       capture_output=True, text=True, check=False)
    return r.stderr.strip()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--out', required=True)
    ap.add_argument('--check', metavar='MAP',
                    help='the version script whose global symbols need a page')
    args = ap.parse_args()
    written, names = generate(args.out)
    if not args.check:
        return 0
    bad = 0
    for sym in map_symbols(args.check):
        if sym not in names:
            print(f'not ok: {sym} (in {os.path.basename(args.check)}) has no man page')
            bad += 1
    for path in written:
        warn = lint(path)
        if warn:
            print(f'not ok: groff warns on {os.path.basename(path)}: {warn.splitlines()[0]}')
            bad += 1
    print(f'{len(written)} pages, {len(map_symbols(args.check))} exported symbols, '
          f'{bad} problems')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
