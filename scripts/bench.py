#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""`make bench`: asyncx against io_uring and workqueues, in one VM boot.

Builds the module (stock 6.1), libasyncx and bench/ (ring_bench, io_bench,
...), boots the test VM (4 vCPUs unless --smp), runs bench/guest.sh there
(--only io: only the I/O rows: random reads, fio, echo; --only scale: only
the scaling rows, at 1, 2, 4, 8, 16 online CPUs up to --smp), and from its raw
lines writes results/bench/: raw.txt, results.json, results.csv, one PNG
per benchmark, and prints a table of ratios against the SPEC.md §8 targets.
Every ratio compares two numbers measured in the same boot. Nothing here
fails on a missed target: the table says which are met.

Usage: scripts/bench.py [--smp N] [--seconds S] [--kernel NAME] [--only io|scale] [--out DIR]
       scripts/bench.py --parse RAW [--out DIR]   (table and plots from a
                                                  raw.txt, e.g. of the pack)
"""
import argparse
import csv
import json
import os
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(ROOT, 'results', 'bench')

SPAWN = re.compile(r'spawn (\d+): asyncx (\d+) ns \((\d+)/s\) workqueue (\d+) ns \((\d+)/s\)'
                   r'.*; axq_spawn (\d+) ns \((\d+)/s\)')
WAKE = re.compile(r'wake (\d+): asyncx wake->poll ns p50 (\d+) p99 (\d+) p999 (\d+); '
                  r'workqueue queue->run ns p50 (\d+) p99 (\d+) p999 (\d+)')
SPAWNX = re.compile(r'(spawnplug|spawntask) (\d+): asyncx (\d+) ns \((\d+)/s\) '
                    r'workqueue (\d+) ns \((\d+)/s\)')
FANOUT = re.compile(r'fanout (\d+): (\d+) ns \((\d+) tasks/s\) on (\d+) CPUs')
PRIO = re.compile(r'prio (\d+): (\d+) LOW hogs on (\d+) CPUs; HIGH wake->poll ns p50 (\d+) '
                  r'p99 (\d+) p999 (\d+); LOW wake->poll ns p50 (\d+) p99 (\d+) p999 (\d+)')
MEM = re.compile(r'mem: task (\d+) B \(struct (\d+)\), request with its task: NOP (\d+) B, '
                 r'TIMEOUT (\d+) B, POLL (\d+) B, READ (\d+) B; context (\d+) B')


def run(cmd, **kw):
    print('$ ' + ' '.join(cmd), flush=True)
    return subprocess.run(cmd, cwd=ROOT, check=True, **kw)


def measure(args):
    run([os.path.join(HERE, 'deps.sh')])
    run([os.path.join(HERE, 'build-kmod.sh'), args.kernel], stdout=subprocess.DEVNULL)
    run(['make', '-s', 'lib'])
    run(['make', '-s', '-C', 'bench'])
    env = dict(os.environ, ASYNCX_KO=f'.build/{args.kernel}/kmod/asyncx.ko',
               ASYNCX_BENCH_SECONDS=str(args.seconds), ASYNCX_BENCH_ONLY=args.only or '')
    os.makedirs(OUT, exist_ok=True)
    p = subprocess.run([os.path.join(HERE, 'vm.sh'), '-k', args.kernel, '-s', str(args.smp),
                        '-t', '3000', '-d', os.path.join(OUT, 'dmesg.log'),
                        '--', os.path.join(ROOT, 'bench', 'guest.sh')],
                       cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    raw = p.stdout.decode(errors='replace')
    with open(os.path.join(OUT, 'raw.txt'), 'w') as f:
        f.write(raw)
    if p.returncode:
        print(raw[-4000:])
        sys.exit(f'bench: the VM run failed (exit {p.returncode})')
    bad = subprocess.run([os.path.join(HERE, 'dmesgcheck.py'), os.path.join(OUT, 'dmesg.log')])
    if bad.returncode:
        sys.exit('bench: the guest kernel reported a problem (results/bench/dmesg.log)')
    return raw


def new_result():
    return {'header': '', 'ring': [], 'spawn': [], 'spawnx': [], 'wake': [], 'fanout': [],
            'prio': [], 'ringprio': [], 'ringmem': [], 'mem': None, 'io': [], 'fio': [],
            'echo': [], 'scale': {}, 'tel': {}}


def parse(raw):
    r = new_result()
    for line in raw.splitlines():
        parse_line(r, line.strip())
    return r


def parse_line(r, line):
    """Add one raw line's result to r; "scale,N,LINE" goes to r['scale'][N]."""
    if line.startswith('scale,'):
        _, n, rest = line.split(',', 2)
        parse_line(r['scale'].setdefault(int(n), new_result()), rest.strip())
    elif line.startswith('tel,'):
        # "tel,ON,LINE": a spawn or wake line with telemetry off (0) or on (1).
        _, on, rest = line.split(',', 2)
        parse_line(r['tel'].setdefault(int(on), new_result()), rest.strip())
    elif line.startswith('# kernel'):
        r['header'] = line[2:]
    elif line.startswith('ring,'):
        f = line.split(',')
        r['ring'].append({'sys': f[1], 'op': f[2], 'batch': int(f[3]),
                          'threads': int(f[4]), 'ops': int(f[5]),
                          'seconds': float(f[6]), 'rate': float(f[7]),
                          # busy CPU seconds of the machine (older lines: none)
                          'cpu': float(f[8]) if len(f) > 8 else None})
    elif line.startswith('ringmem,'):
        f = line.split(',')
        r['ringmem'].append({'sys': f[1], 'op': f[2], 'n': int(f[3]),
                             'slab': int(f[4]), 'per_op': float(f[5])})
    elif line.startswith('io,'):
        f = line.split(',')
        r['io'].append({'sys': f[1], 'kind': f[2], 'qd': int(f[3]), 'ops': int(f[4]),
                        'seconds': float(f[5]), 'rate': float(f[6]),
                        'csw': float(f[7]) if len(f) > 8 else None,
                        'cpu_us': float(f[8]) if len(f) > 8 else None})
    elif line.startswith('fio,'):
        f = line.split(',')
        r['fio'].append({'kind': f[1], 'qd': int(f[2]), 'ops': int(f[3]),
                         'seconds': float(f[4]), 'rate': float(f[5])})
    elif line.startswith('echo,'):
        f = line.split(',')
        r['echo'].append({'sys': f[1], 'conns': int(f[2]), 'rounds': int(f[3]),
                          'seconds': float(f[4]), 'rate': float(f[5]),
                          'csw': float(f[6]) if len(f) > 7 else None,
                          'cpu_us': float(f[7]) if len(f) > 7 else None})
    elif line.startswith('ringprio,'):
        v = [int(x) for x in line.split(',')[1:]]
        r['ringprio'].append({'n': v[0], 'high': v[1:3], 'low': v[3:5],
                              'high_pos': v[5], 'low_pos': v[6]})
    elif m := SPAWNX.search(line):
        r['spawnx'].append({'kind': m[1], 'n': int(m[2]), 'asyncx_rate': int(m[4]),
                            'wq_rate': int(m[6])})
    elif m := SPAWN.search(line):
        r['spawn'].append({'n': int(m[1]), 'asyncx_rate': int(m[3]),
                           'wq_rate': int(m[5]), 'spawn2_rate': int(m[7])})
    elif m := WAKE.search(line):
        v = [int(x) for x in m.groups()]
        r['wake'].append({'n': v[0], 'asyncx': v[1:4], 'wq': v[4:7]})
    elif m := FANOUT.search(line):
        r['fanout'].append({'n': int(m[1]), 'rate': int(m[3]), 'cpus': int(m[4])})
    elif m := PRIO.search(line):
        v = [int(x) for x in m.groups()]
        r['prio'].append({'n': v[0], 'hogs': v[1], 'cpus': v[2], 'high': v[3:6],
                          'low': v[6:9]})
    elif m := MEM.search(line):
        v = [int(x) for x in m.groups()]
        r['mem'] = {'task': v[0], 'task_struct': v[1], 'req_nop': v[2],
                    'req_timeout': v[3], 'req_poll': v[4], 'req_read': v[5], 'ctx': v[6]}


def med(xs):
    return statistics.median(xs) if xs else float('nan')


def table(r):
    """Rows of (benchmark, asyncx, baseline, ratio, target, met)."""
    rows = []
    runs = {}
    for x in r['ring']:
        runs.setdefault((x['sys'], x['op'], x['batch'], x['threads']), []).append(x['rate'])
    ring = {k: med(v) for k, v in runs.items()}
    order = {'nop': 0, 'timeout0': 1, 'poll': 2, 'enter': 3, 'sqpoll': 4}
    for (sys_, op, b, t), rate in sorted(ring.items(), key=lambda kv: (order.get(kv[0][1], 9),
                                                                        kv[0][1:])):
        if sys_ != 'asyncx' or ('io_uring', op, b, t) not in ring:
            continue
        base = ring[('io_uring', op, b, t)]
        ratio = rate / base if base else float('nan')
        tgt = 1.0 if op in ('nop', 'sqpoll') else None
        name = (f'ring empty enter x{t} thr (calls/s)' if op == 'enter'
                else f'ring SQPOLL NOP batch {b} x{t} thr (ops/s)' if op == 'sqpoll'
                else f'ring {op} batch {b} x{t} thr (ops/s)')
        rows.append((name, rate, base, ratio,
                     '>= 1.0x' if tgt else '-', None if tgt is None else ratio >= tgt))
        if op == 'sqpoll':
            # Work per CPU-second: the SQ thread's CPU counts (the
            # machine's busy time during the run).
            per = {}
            for s_ in ('asyncx', 'io_uring'):
                xs = [x['ops'] / x['cpu'] for x in r['ring']
                      if (x['sys'], x['op'], x['batch'], x['threads']) == (s_, op, b, t)
                      and x['cpu']]
                per[s_] = med(xs)
            a_, u_ = per['asyncx'], per['io_uring']
            rows.append((f'ring SQPOLL NOP batch {b} x{t} thr (ops per CPU-second)', a_, u_,
                         a_ / u_ if u_ else float('nan'), '-', None))
    if r['spawn']:
        a = med([x['asyncx_rate'] for x in r['spawn']])
        w = med([x['wq_rate'] for x in r['spawn']])
        rows.append(('spawn->complete (tasks/s)', a, w, a / w, '>= 2.0x', a / w >= 2.0))
        a2 = med([x['spawn2_rate'] for x in r['spawn']])
        rows.append(('spawn->complete, future and task apart (tasks/s)', a2, w, a2 / w, '-',
                     None))
    if r['wake']:
        for i, p in enumerate(('p50', 'p99', 'p999')):
            a = med([x['asyncx'][i] for x in r['wake']])
            w = med([x['wq'][i] for x in r['wake']])
            tgt = p == 'p99'
            rows.append((f'wake->poll {p} (ns, lower is better)', a, w, w / a if a else 0,
                         '<= wq' if tgt else '-', (a <= w) if tgt else None))
    f1 = [x['rate'] for x in r['fanout'] if x['cpus'] == 1]
    cores = os.cpu_count() or 1
    for n in sorted({x['cpus'] for x in r['fanout'] if x['cpus'] > 1}, reverse=True):
        if not f1:
            break
        a = med([x['rate'] for x in r['fanout'] if x['cpus'] == n])
        b = med(f1)
        eff = a / (n * b)
        # With more vCPUs than the host has cores, N vCPUs cannot run N
        # times one vCPU's work whatever the executor does: no verdict.
        rows.append((f'stealing: fan-out rate {n} vCPUs / ({n} x 1 vCPU)', a, n * b, eff,
                     '>= 0.75', eff >= 0.75 if n <= cores else f'n/a: {cores} cores'))
    if r['prio']:
        for i, p in enumerate(('p50', 'p99')):
            h = med([x['high'][i] for x in r['prio']])
            lo = med([x['low'][i] for x in r['prio']])
            rows.append((f'HIGH vs LOW wake->poll {p}, LOW saturating (ns)', h, lo,
                         lo / h if h else 0, 'HIGH < LOW', h < lo))
    if r['ringprio']:
        for i, p in enumerate(('p50', 'p99')):
            h = med([x['high'][i] for x in r['ringprio']])
            lo = med([x['low'][i] for x in r['ringprio']])
            rows.append((f'ring: HIGH vs LOW timeout->CQE {p}, LOW saturating (us)', h, lo,
                         lo / h if h else 0, 'HIGH < LOW', h < lo))
        h = med([x['high_pos'] for x in r['ringprio']])
        lo = med([x['low_pos'] for x in r['ringprio']])
        rows.append(('ring: mean CQE position HIGH vs LOW', h, lo, lo / h if h else 0,
                     'HIGH < LOW', h < lo))
    if r['mem']:
        m = r['mem']
        rows.append(('bytes per idle task', m['task'], 128, m['task'] / 128, '<= 128 B',
                     m['task'] <= 128))
        for op in ('nop', 'timeout', 'poll', 'read'):
            rows.append((f'{op.upper()} request with its task (object size, B)', m['req_' + op],
                         None, None, '-', None))
        rows.append(('bytes per context (without rings)', m['ctx'], None, None, '-', None))
    for op in ('timeout', 'poll', 'read'):
        a = [x['per_op'] for x in r['ringmem'] if x['sys'] == 'asyncx' and x['op'] == op]
        u = [x['per_op'] for x in r['ringmem'] if x['sys'] == 'io_uring' and x['op'] == op]
        if a and u:
            a, u = med(a), med(u)
            rows.append((f'in-flight {op.upper()}: slab bytes per SQE (lower is better)', a, u,
                         u / a if a else 0, '<= 256 B', a <= 256))
    rows += io_table(r)
    rows += tel_table(r)
    rows += scale_table(r)
    return rows


def tel_table(r):
    """Telemetry's cost: spawn and wake with it on against off, one boot."""
    on, off = r['tel'].get(1), r['tel'].get(0)
    rows = []
    if not on or not off:
        return rows
    if on['spawn'] and off['spawn']:
        a = med([x['asyncx_rate'] for x in on['spawn']])
        b = med([x['asyncx_rate'] for x in off['spawn']])
        rows.append(('telemetry on vs off: spawn->complete (tasks/s)', a, b, a / b if b else 0,
                     '-', None))
    if on['wake'] and off['wake']:
        for i, p in enumerate(('p50', 'p99')):
            a = med([x['asyncx'][i] for x in on['wake']])
            b = med([x['asyncx'][i] for x in off['wake']])
            rows.append((f'telemetry on vs off: wake->poll {p} (ns, lower is better)', a, b,
                         b / a if a else 0, '-', None))
    return rows


# The scaling rows' spawn kinds: (raw key, row name, target ratio to the workqueue).
SCALE_SPAWN = (('spawn', 'spawn->complete from a thread vs queue_work', 1.0),
               ('spawnplug', 'spawn in plugs of 32 vs queue_work', 2.0),
               ('spawntask', 'spawn from a task vs queue_work from a work item', 2.0))


def scale_rates(s):
    """Medians of one CPU count's scaling runs: {name: (asyncx, baseline)}."""
    out = {}
    if s['spawn']:
        out['spawn'] = (med([x['asyncx_rate'] for x in s['spawn']]),
                        med([x['wq_rate'] for x in s['spawn']]))
    for kind in ('spawnplug', 'spawntask'):
        xs = [x for x in s['spawnx'] if x['kind'] == kind]
        if xs:
            out[kind] = (med([x['asyncx_rate'] for x in xs]), med([x['wq_rate'] for x in xs]))
    if s['fanout']:
        out['fanout'] = (med([x['rate'] for x in s['fanout']]), None)
    if s['wake']:
        out['wake_p99'] = (med([x['asyncx'][1] for x in s['wake']]),
                           med([x['wq'][1] for x in s['wake']]))
    a = [x['rate'] for x in s['ring'] if x['sys'] == 'asyncx']
    u = [x['rate'] for x in s['ring'] if x['sys'] == 'io_uring']
    if a and u:
        out['ring'] = (med(a), med(u))
    return out


def scale_table(r):
    """The scaling rows (1, 2, 4, 8, 16 online CPUs). A row with more CPUs
    than the host has cores gets no verdict: N vCPUs then share fewer cores,
    whatever the executor does."""
    rows = []
    if not r['scale']:
        return rows
    cores = os.cpu_count() or 1
    rates = {n: scale_rates(s) for n, s in sorted(r['scale'].items())}

    def verdict(n, ok):
        return ok if n <= cores else f'n/a: {cores} cores'
    f1 = rates.get(1, {}).get('fanout', (None,))[0]
    prev = None
    for n, rt in rates.items():
        for key, name, tgt in SCALE_SPAWN:
            if key in rt:
                a, w = rt[key]
                rows.append((f'scale {n} CPUs: {name} (tasks/s)', a, w, a / w, f'>= {tgt}x',
                             verdict(n, a / w >= tgt)))
        if 'spawn' in rt and prev is not None:
            pn, pa = prev
            a = rt['spawn'][0]
            rows.append((f'scale {n} CPUs: asyncx spawn from a thread vs {pn} CPUs (tasks/s)', a,
                         pa, a / pa, '>= 1.0x', verdict(n, a >= pa)))
        if 'spawn' in rt:
            prev = (n, rt['spawn'][0])
        if 'fanout' in rt and f1 and n > 1:
            a = rt['fanout'][0]
            eff = a / (n * f1)
            rows.append((f'scale {n} CPUs: fan-out rate / ({n} x 1 CPU) (tasks/s)', a, n * f1,
                         eff, '>= 0.75', verdict(n, eff >= 0.75)))
        if 'wake_p99' in rt:
            a, w = rt['wake_p99']
            rows.append((f'scale {n} CPUs: wake->poll p99 vs work item queue->run (ns, lower '
                         'is better)', a, w, w / a if a else 0, '<= wq', verdict(n, a <= w)))
        if 'ring' in rt:
            a, u = rt['ring']
            rows.append((f'scale {n} CPUs: ring NOP batch 32, one ring per CPU (ops/s)', a, u,
                         a / u, '>= 1.0x', verdict(n, a >= u)))
    return rows


# What guest.sh reads from, for the row names.
IO_KINDS = {'buffered': 'buffered (ext4 file in page cache)',
            'direct': 'O_DIRECT (null_blk /dev/nullb0)'}


def io_rates(r):
    """Medians of the random-read runs: {(sys, kind, qd): reads/s}, fio as sys 'fio'."""
    runs = {}
    for x in r['io']:
        runs.setdefault((x['sys'], x['kind'], x['qd']), []).append(x['rate'])
    for x in r['fio']:
        runs.setdefault(('fio', x['kind'], x['qd']), []).append(x['rate'])
    return {k: med(v) for k, v in runs.items()}


def io_profile(runs, what):
    """Profile rows (no target) of the runs of one I/O row: the process's
    context switches and the machine's CPU us per operation, asyncx beside
    io_uring, medians. They say where a row that falls short loses."""
    rows = []
    for key, name, per, scale in (('csw', 'context switches', f'1000 {what}s', 1000),
                                  ('cpu_us', 'CPU us, all CPUs', what, 1)):
        a = [x[key] for x in runs if x['sys'] == 'asyncx' and x.get(key) is not None]
        u = [x[key] for x in runs if x['sys'] == 'io_uring' and x.get(key) is not None]
        if a and u:
            a, u = med(a) * scale, med(u) * scale
            rows.append((f'  profile: {name} per {per} (lower is better)', a, u,
                         u / a if a else float('nan'), '-', None))
    return rows


def io_table(r):
    """The I/O rows: random reads and echo against io_uring; fio beside io_uring."""
    rows = []
    io = io_rates(r)
    for kind, desc in IO_KINDS.items():
        for qd in sorted({k[2] for k in io if k[1] == kind}):
            a, u, f = (io.get((s, kind, qd)) for s in ('asyncx', 'io_uring', 'fio'))
            if a is not None and u is not None:
                ratio = a / u if u else float('nan')
                rows.append((f'4K randread {desc} QD {qd} (reads/s)', a, u, ratio, '>= 1.0x',
                             ratio >= 1.0))
                rows += io_profile([x for x in r['io'] if x['kind'] == kind and
                                    x['qd'] == qd], 'read')
            if u is not None and f is not None:
                # The baseline against fio: this row's first column is
                # io_bench's io_uring loop, its second fio's.
                rows.append((f'  io_uring: io_bench vs fio io_uring engine, QD {qd} (IOPS)', u, f,
                             u / f if f else float('nan'), '-', None))
    for conns in sorted({x['conns'] for x in r['echo']}):
        a = [x['rate'] for x in r['echo'] if x['sys'] == 'asyncx' and x['conns'] == conns]
        u = [x['rate'] for x in r['echo'] if x['sys'] == 'io_uring' and x['conns'] == conns]
        if a and u:
            a, u = med(a), med(u)
            ratio = a / u if u else float('nan')
            rows.append((f'echo round trips, {conns} conns, 64 B (round trips/s)', a, u, ratio,
                         '>= 1.0x', ratio >= 1.0))
            rows += io_profile([x for x in r['echo'] if x['conns'] == conns], 'round trip')
    return rows


def fmt(v):
    if v is None:
        return '-'
    if isinstance(v, float) and v != v:
        return 'n/a'
    if abs(v) >= 1000:
        return f'{v:,.0f}'
    return f'{v:.2f}' if isinstance(v, float) else str(v)


def print_table(r, rows):
    print(f'\nasyncx benchmarks: {r["header"]}')
    print('ratios compare two numbers from the same boot; TCG absolute numbers are slow\n')
    w = max(len(x[0]) for x in rows)
    print(f'{"benchmark":<{w}}  {"asyncx":>12}  {"baseline":>12}  {"ratio":>7}  '
          f'{"target":>10}  met')
    for name, a, b, ratio, tgt, met in rows:
        m = '-' if met is None else met if isinstance(met, str) else ('yes' if met else 'NO')
        print(f'{name:<{w}}  {fmt(a):>12}  {fmt(b):>12}  {fmt(ratio):>7}  {tgt:>10}  {m}')


def plots(r):
    try:
        import matplotlib
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt
    except ImportError:
        print('bench: no matplotlib (python3-matplotlib): no plots')
        return []
    made = []

    def save(fig, name):
        """Write one plot to results/bench/ and close it."""
        path = os.path.join(OUT, name)
        fig.tight_layout()
        fig.savefig(path, dpi=100)
        plt.close(fig)
        made.append(path)
    for op in ('nop', 'timeout0', 'poll'):
        pts = [x for x in r['ring'] if x['op'] == op]
        if not pts:
            continue
        fig, ax = plt.subplots(figsize=(6, 4))
        for sys_ in ('io_uring', 'asyncx'):
            for t in sorted({x['threads'] for x in pts}):
                bs = sorted({x['batch'] for x in pts
                             if x['sys'] == sys_ and x['threads'] == t})
                xs = [(b, med([x['rate'] for x in pts if x['sys'] == sys_ and
                               x['threads'] == t and x['batch'] == b])) for b in bs]
                ax.plot([b for b, _ in xs], [v for _, v in xs], marker='o',
                        linestyle='-' if sys_ == 'asyncx' else '--',
                        label=f'{sys_}, {t} thread{"s" if t > 1 else ""}')
        ax.set_xscale('log', base=2)
        ax.set_xlabel('batch size (SQEs per submit)')
        ax.set_ylabel('operations per second')
        ax.set_title(f'{op} round trips: asyncx vs io_uring')
        ax.legend()
        ax.grid(True, alpha=0.3)
        save(fig, f'ring_{op}.png')
    if r['wake'] or r['spawn']:
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 4))
        if r['spawn']:
            a1.bar(['asyncx', 'workqueue'],
                   [med([x['asyncx_rate'] for x in r['spawn']]),
                    med([x['wq_rate'] for x in r['spawn']])])
            a1.set_title('spawn->complete (tasks/s)')
        if r['wake']:
            labels = ['p50', 'p99', 'p999']
            xs = range(3)
            a2.bar([x - 0.2 for x in xs], [med([w['asyncx'][i] for w in r['wake']]) for i in xs],
                   width=0.4, label='asyncx wake->poll')
            a2.bar([x + 0.2 for x in xs], [med([w['wq'][i] for w in r['wake']]) for i in xs],
                   width=0.4, label='workqueue queue->run')
            a2.set_xticks(list(xs))
            a2.set_xticklabels(labels)
            a2.set_yscale('log')
            a2.set_title('latency (ns)')
            a2.legend()
        save(fig, 'executor.png')
    if r['prio']:
        fig, ax = plt.subplots(figsize=(6, 4))
        xs = range(3)
        ax.bar([x - 0.2 for x in xs], [med([p['high'][i] for p in r['prio']]) for i in xs],
               width=0.4, label='HIGH')
        ax.bar([x + 0.2 for x in xs], [med([p['low'][i] for p in r['prio']]) for i in xs],
               width=0.4, label='LOW')
        ax.set_xticks(list(xs))
        ax.set_xticklabels(['p50', 'p99', 'p999'])
        ax.set_yscale('log')
        ax.set_ylabel('wake->poll ns')
        ax.set_title('latency while LOW tasks saturate every worker')
        ax.legend()
        save(fig, 'prio.png')
    if r['scale']:
        rates = {n: scale_rates(s) for n, s in sorted(r['scale'].items())}
        ns = list(rates)
        fig, axes = plt.subplots(2, 2, figsize=(11, 8))
        ax = axes[0][0]
        for key, label, style in (('spawn', 'from a thread', '-'), ('spawnplug', 'plugs of 32', '-'),
                                  ('spawntask', 'from a task', '-')):
            pts = [(n, rates[n][key]) for n in ns if key in rates[n]]
            if pts:
                ax.plot([n for n, _ in pts], [v[0] for _, v in pts], marker='o', linestyle=style,
                        label=f'asyncx spawn {label}')
                ax.plot([n for n, _ in pts], [v[1] for _, v in pts], marker='x', linestyle='--',
                        label='queue_work ' + ('from a work item' if key == 'spawntask' else
                                               f'({label})'))
        ax.set_title('spawn->complete (tasks/s)')
        ax = axes[0][1]
        pts = [(n, rates[n]['fanout'][0]) for n in ns if 'fanout' in rates[n]]
        if pts:
            ax.plot([n for n, _ in pts], [v for _, v in pts], marker='o', label='asyncx fan-out')
            one = rates.get(1, {}).get('fanout')
            if one:
                ax.plot(ns, [n * one[0] for n in ns], linestyle=':', label='N x 1 CPU (ideal)')
        ax.set_title('fan-out of 20 us tasks born on one worker (tasks/s)')

        def pair(ax, key, ours, theirs, title):
            """asyncx's curve and its baseline's, of one (asyncx, base) key."""
            pts = [(n, rates[n][key]) for n in ns if key in rates[n]]
            if pts:
                ax.plot([n for n, _ in pts], [v[0] for _, v in pts], marker='o', label=ours)
                ax.plot([n for n, _ in pts], [v[1] for _, v in pts], marker='x',
                        linestyle='--', label=theirs)
            ax.set_title(title)
        pair(axes[1][0], 'wake_p99', 'asyncx wake->poll', 'work item queue->run',
             'p99 latency (ns, lower is better)')
        pair(axes[1][1], 'ring', 'asyncx', 'io_uring',
             'NOP batch 32, one ring and thread per CPU (ops/s)')
        for ax in axes.flat:
            ax.set_xscale('log', base=2)
            ax.set_xticks(ns)
            ax.set_xticklabels([str(n) for n in ns])
            ax.set_xlabel('online CPUs')
            ax.set_ylim(bottom=0)
            ax.grid(True, alpha=0.3)
            if ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize=8)
        save(fig, 'scale.png')
    io = io_rates(r)
    kinds = [k for k in IO_KINDS if any(x[1] == k for x in io)]
    if kinds:
        fig, axes = plt.subplots(1, len(kinds), figsize=(6 * len(kinds), 4), squeeze=False)
        for ax, kind in zip(axes[0], kinds):
            for sys_, style in (('asyncx', '-'), ('io_uring', '--'), ('fio', ':')):
                qds = sorted(k[2] for k in io if k[0] == sys_ and k[1] == kind)
                if qds:
                    ax.plot(qds, [io[(sys_, kind, q)] for q in qds], marker='o',
                            linestyle=style,
                            label='fio (io_uring engine)' if sys_ == 'fio' else sys_)
            ax.set_xscale('log', base=2)
            ax.set_ylim(bottom=0)
            ax.set_xlabel('queue depth')
            ax.set_ylabel('4 KiB reads per second')
            ax.set_title(f'random reads, {IO_KINDS[kind]}')
            ax.legend()
            ax.grid(True, alpha=0.3)
        save(fig, 'randread.png')
    if r['echo']:
        fig, ax = plt.subplots(figsize=(5, 4))
        systems = ['asyncx', 'io_uring']
        ax.bar(systems, [med([x['rate'] for x in r['echo'] if x['sys'] == s])
                         for s in systems], color=['C0', 'C1'])
        conns = sorted({x['conns'] for x in r['echo']})
        ax.set_ylabel('round trips per second')
        ax.set_title(f'TCP echo over loopback, {"/".join(map(str, conns))} connections, 64 B')
        save(fig, 'echo.png')
    return made


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--smp', type=int, default=4)
    ap.add_argument('--seconds', type=float, default=1.0)
    ap.add_argument('--kernel', default='6.1')
    ap.add_argument('--parse', metavar='RAW')
    ap.add_argument('--only', choices=['io', 'scale'],
                    help='only these rows (io: random reads, fio, echo; scale: the scaling rows '
                    'at 1, 2, 4, ... online CPUs), for shorter runs')
    ap.add_argument('--out', metavar='DIR', help='where results go (default results/bench)')
    args = ap.parse_args()
    if args.out:
        global OUT
        OUT = os.path.abspath(args.out)

    if args.parse:
        with open(args.parse) as f:
            raw = f.read()
        os.makedirs(OUT, exist_ok=True)
    else:
        raw = measure(args)
    r = parse(raw)
    rows = table(r)
    # A full run has the ring and executor rows; an --only io run (or its
    # raw.txt) has the I/O rows.
    full = r['ring'] and r['spawn']
    io_only = r['io'] or r['echo']
    got = {'io': io_only, 'scale': r['scale']}.get(args.only)
    if not (got if args.only else full or (args.parse and (io_only or r['scale']))):
        sys.exit('bench: no results parsed (see results/bench/raw.txt)')
    with open(os.path.join(OUT, 'results.json'), 'w') as f:
        json.dump({'raw': r, 'table': [dict(zip(('benchmark', 'asyncx', 'baseline', 'ratio',
                                                 'target', 'met'), x)) for x in rows]},
                  f, indent=1)
    with open(os.path.join(OUT, 'results.csv'), 'w', newline='') as f:
        wr = csv.writer(f)
        wr.writerow(['benchmark', 'asyncx', 'baseline', 'ratio', 'target', 'met'])
        wr.writerows(rows)
    print_table(r, rows)
    made = plots(r)
    print(f'\nresults: {os.path.relpath(OUT, ROOT)}/results.json, results.csv, raw.txt'
          + (', ' + ', '.join(os.path.basename(p) for p in made) if made else ''))
    return 0


if __name__ == '__main__':
    sys.exit(main())
