#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Ask a stalled test VM what it is doing, through the qemu monitor.

scripts/vm.sh runs this when the guest has printed nothing (neither on its
console nor from the command) for a while. Through the monitor's unix
socket it

  1. reads every vCPU's registers and the top of its stack from qemu
     itself, which needs nothing from the guest, and names each address
     that points into the kernel's or an asyncx module's text (System.map
     plus the KASLR offset and module bases that the guest's /init wrote to
     the run directory);
  2. then presses SysRq t, l and w on the guest's keyboard (the guest
     kernel prints every task's stack, every CPU's backtrace and the
     blocked tasks, from the keyboard interrupt, so it answers while its
     tasks are stuck; vm.sh boots it with sysrq_always_enabled). SysRq l
     interrupts every CPU (an NMI), hence step 1 first. A PREEMPT_RT kernel
     prints from a thread, so there the answer may never reach the console;
  3. writes a report: the last test that started, then one block a CPU.

Usage: vm-stall.py --sock SOCK --run RUNDIR --map SYSTEM_MAP
                   [--ko-dir DIR]... --out REPORT [--quiet-secs N]
       vm-stall.py --symbolize-only ...    (the report from a saved dump)
"""
import argparse
import bisect
import os
import re
import socket
import subprocess
import sys
import time

ANSI = re.compile(r'\x1b\[[0-9;?]*[A-Za-z]|\x1b[=>]')
PROMPT = '(qemu) '


class Monitor:
    """A client of qemu's human monitor (HMP) on a unix socket."""

    def __init__(self, path, timeout=20):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(path)
        self._read_to_prompt()

    def _read_to_prompt(self):
        buf = b''
        while not ANSI.sub('', buf.decode(errors='replace')).endswith(PROMPT):
            chunk = self.s.recv(65536)
            if not chunk:
                break
            buf += chunk
        return ANSI.sub('', buf.decode(errors='replace')).replace('\r', '')

    def cmd(self, line):
        self.s.sendall(line.encode() + b'\n')
        out = self._read_to_prompt()
        if out.endswith(PROMPT):
            out = out[:-len(PROMPT)]
        # The monitor echoes the command line first.
        lines = out.split('\n')
        if lines and lines[0].strip().endswith(line.strip()):
            lines = lines[1:]
        return '\n'.join(lines)


class Symbols:
    """Kernel text from System.map (shifted by KASLR), module text from .ko."""

    def __init__(self, sysmap, run, ko_dirs):
        self.addrs, self.names = [], []
        self.notes = []
        entries = []
        shift = 0
        kaslr = os.path.join(run, 'kaslr')
        if sysmap and os.path.exists(sysmap):
            with open(sysmap) as f:
                for ln in f:
                    p = ln.split()
                    if len(p) == 3 and p[1] in 'TtWw':
                        entries.append((int(p[0], 16), p[2]))
            text = [a for a, n in entries if n == '_text']
            if text and os.path.exists(kaslr):
                with open(kaslr) as f:
                    m = re.match(r'([0-9a-f]+)', f.read().strip())
                if m:
                    shift = int(m.group(1), 16) - text[0]
            elif text:
                self.notes.append('no KASLR offset from the guest: kernel names may be off')
            entries = [(a + shift, n) for a, n in entries]
        else:
            self.notes.append(f'no System.map ({sysmap}): kernel addresses left bare')
        self.ktext = (min(a for a, _ in entries), max(a for a, _ in entries) + 0x100000) \
            if entries else (0, 0)
        self.mods = []
        mods = os.path.join(run, 'modules')
        if os.path.exists(mods):
            with open(mods) as f:
                for ln in f:
                    p = ln.split()
                    if len(p) == 2:
                        self._add_module(p[0], int(p[1], 16), ko_dirs, entries)
        entries.sort()
        self.addrs = [a for a, _ in entries]
        self.names = [n for _, n in entries]

    def _add_module(self, name, base, ko_dirs, entries):
        ko = None
        for d in ko_dirs:
            for top, _, files in os.walk(d):
                if name + '.ko' in files:
                    ko = os.path.join(top, name + '.ko')
                    break
            if ko:
                break
        if not ko:
            self.notes.append(f'module {name} at {base:x}: its .ko was not found')
            return
        out = subprocess.run(['objdump', '-t', ko], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL).stdout.decode(errors='replace')
        end = base
        for ln in out.splitlines():
            # 0000000000000120 l     F .text	0000000000000045 axq_foo
            m = re.match(r'([0-9a-f]+)\s.{7}\s(\S+)\s+([0-9a-f]+)\s+(\S+)$', ln)
            if m and m.group(2) == '.text':
                a = base + int(m.group(1), 16)
                entries.append((a, f'{m.group(4)} [{name}]'))
                end = max(end, a + int(m.group(3), 16))
        self.mods.append((base, end, name))

    def name(self, addr):
        in_mod = any(b <= addr < e for b, e, _ in self.mods)
        if not in_mod and not (self.ktext[0] <= addr < self.ktext[1]):
            return None
        i = bisect.bisect_right(self.addrs, addr) - 1
        if i < 0:
            return None
        return f'{self.names[i]}+0x{addr - self.addrs[i]:x}'


def dump(mon, ncpus_hint=64):
    """Registers and 48 stack words of every vCPU, as text."""
    regs = mon.cmd('info registers -a')
    blocks = re.split(r'\n(?=CPU#\d+)', '\n' + regs)
    out = []
    for b in blocks:
        m = re.match(r'\s*CPU#(\d+)', b)
        if not m:
            continue
        cpu = int(m.group(1))
        out.append(b.strip())
        rsp = re.search(r'RSP=([0-9a-f]+)', b)
        if rsp:
            mon.cmd(f'cpu {cpu}')
            out.append(mon.cmd(f'x/48gx 0x{rsp.group(1)}').strip())
    return '\n'.join(out) + '\n'


def symbolize(raw, syms):
    """One block a CPU: where it is, and the text addresses on its stack."""
    lines = []
    for b in re.split(r'\n(?=CPU#\d+)', '\n' + raw):
        m = re.match(r'\s*CPU#(\d+)', b)
        if not m:
            continue
        rip = re.search(r'RIP=([0-9a-f]+)', b)
        cpl = re.search(r'CPL=(\d)', b)
        halted = re.search(r'HLT=1', b)
        where = '?'
        if rip:
            a = int(rip.group(1), 16)
            if cpl and cpl.group(1) == '3':
                where = f'user space (RIP {a:x})'
            else:
                where = f'{syms.name(a) or "?"} (RIP {a:x})'
        if halted:
            where += ', halted (idle)'
        rfl = re.search(r'RFL=([0-9a-f]+)', b)
        if rfl and not int(rfl.group(1), 16) & 0x200:
            where += ', interrupts off'
        lines.append(f'cpu{m.group(1)}: {where}')
        calls = []
        for w in re.findall(r'0x([0-9a-f]{16})', b.split('RIP=')[-1]):
            n = syms.name(int(w, 16))
            if n and (not calls or calls[-1] != n):
                calls.append(n)
        if calls:
            lines.append('      stack: ' + ' < '.join(calls[:14]))
    return lines


def last_test(run):
    """The last program and case the guest said it started (kselftests.sh
    prints "# Subtest: PROG", the kselftest harness "#  RUN  CASE")."""
    prog = case = None
    for name in ('output', 'console.log'):
        p = os.path.join(run, name)
        if not os.path.exists(p):
            continue
        with open(p, errors='replace') as f:
            for ln in f:
                m = re.search(r'# Subtest: (\S+)', ln)
                if m:
                    prog, case = m.group(1), None
                m = re.match(r'\s*#\s+RUN\s+(\S+)', ln)
                if m:
                    case = m.group(1)
    if prog and case:
        return f'{prog} (case {case})'
    return prog or case


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--sock')
    ap.add_argument('--run', required=True)
    ap.add_argument('--map')
    ap.add_argument('--ko-dir', action='append', default=[])
    ap.add_argument('--out', required=True)
    ap.add_argument('--quiet-secs', type=int, default=0)
    ap.add_argument('--sysrq-wait', type=float, default=10)
    ap.add_argument('--symbolize-only', metavar='RAW')
    a = ap.parse_args()

    if a.symbolize_only:
        with open(a.symbolize_only) as f:
            raw = f.read()
    else:
        try:
            mon = Monitor(a.sock)
            # The registers first: SysRq l sends every CPU an NMI, which
            # would move them.
            raw = dump(mon)
            for key in 't', 'l', 'w':
                mon.cmd(f'sendkey alt-sysrq-{key}')
                time.sleep(a.sysrq_wait if key == 't' else a.sysrq_wait / 2)
        except OSError as e:
            raw = ''
            err = f'the qemu monitor did not answer: {e}'
        else:
            err = None
        with open(os.path.join(a.run, 'stall-raw.txt'), 'w') as f:
            f.write(raw)
    syms = Symbols(a.map, a.run, a.ko_dir)
    test = last_test(a.run)
    rep = [f'stall: no output from the guest for {a.quiet_secs} s; '
           f'last test started: {test or "none seen"}']
    if not a.symbolize_only and err:
        rep.append('stall: ' + err)
    rep += symbolize(raw, syms)
    rep += [f'stall: note: {n}' for n in syms.notes]
    rep.append('stall: the guest kernel\'s own answer (SysRq t, l, w) is in its console log')
    with open(a.out, 'w') as f:
        f.write('\n'.join(rep) + '\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
