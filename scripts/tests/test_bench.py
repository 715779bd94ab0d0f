# SPDX-License-Identifier: GPL-2.0
"""Unit tests of scripts/bench.py: the guest's lines to the table of ratios."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import bench  # noqa: E402

RAW = """
# kernel 6.1.0-56-amd64, 4 vCPUs, QEMU TCG CPU
ring,io_uring,nop,32,1,4000,1.000,4000
ring,asyncx,nop,32,1,6000,1.000,6000
ring,io_uring,nop,8,1,100,1.000,100
ring,asyncx,nop,8,1,150,1.000,150
ring,io_uring,nop,8,1,300,1.000,300
ring,asyncx,nop,8,1,90,1.000,90
ring,io_uring,nop,8,1,200,1.000,200
ring,asyncx,nop,8,1,400,1.000,400
ring,io_uring,enter,1,1,1000,1.000,1000
ring,asyncx,enter,1,1,500,1.000,500
ring,io_uring,sqpoll,8,1,3000,1.000,3000,2.000
ring,asyncx,sqpoll,8,1,3300,1.000,3300,1.500
ringmem,io_uring,timeout,8192,2867200,350
ringmem,asyncx,timeout,8192,2752512,336
ringmem,io_uring,timeout,8192,2883584,352
ringmem,asyncx,timeout,8192,2818048,344
spawn 100000: asyncx 500 ns (200000/s) workqueue 1000 ns (100000/s) ratio 2.00; axq_spawn 800 ns (125000/s)
mem: task 128 B (struct 112), request with its task: NOP 232 B, TIMEOUT 336 B, POLL 376 B, READ 488 B; context 296 B + rings
io,io_uring,direct,32,1000,1.000,1000,0.010,4.0
io,asyncx,direct,32,500,1.000,500,0.900,12.0
io,io_uring,direct,32,3000,1.000,3000,0.030,6.0
io,asyncx,direct,32,600,1.000,600,0.700,10.0
io,io_uring,direct,32,2000,1.000,2000,0.020,5.0
io,asyncx,direct,32,700,1.000,700,0.800,11.0
fio,direct,32,800,1.000,800
io,io_uring,buffered,1,100,1.000,100
io,asyncx,buffered,1,120,1.000,120
echo,io_uring,100,2000,1.000,2000,1.000,50.0
echo,asyncx,100,3000,1.000,3000,0.500,40.0
scale,1,spawn 50000: asyncx 500 ns (400/s) workqueue 1000 ns (800/s) ratio 0.50; axq_spawn 8 ns (1/s)
scale,1,spawnplug 50000: asyncx 1 ns (900/s) workqueue 1 ns (300/s) ratio 3.00, 32 per plug
scale,1,fanout 20000: 100 ns (1000 tasks/s) on 1 CPUs, 20 us each, err 0
scale,1,ring,io_uring,nop,32,1,100,1.000,100
scale,1,ring,asyncx,nop,32,1,120,1.000,120
scale,2,spawn 50000: asyncx 500 ns (300/s) workqueue 1000 ns (200/s) ratio 1.50; axq_spawn 8 ns (1/s)
scale,2,spawntask 50000: asyncx 1 ns (500/s) workqueue 1 ns (250/s) ratio 2.00
scale,2,fanout 20000: 100 ns (1600 tasks/s) on 2 CPUs, 20 us each, err 0
scale,2,wake 5000: asyncx wake->poll ns p50 10 p99 30 p999 90; workqueue queue->run ns p50 10 p99 20 p999 50
tel,0,spawn 50000: asyncx 500 ns (1000/s) workqueue 1000 ns (100/s) ratio 2.00; axq_spawn 800 ns (5/s)
tel,1,spawn 50000: asyncx 500 ns (900/s) workqueue 1000 ns (100/s) ratio 2.00; axq_spawn 800 ns (5/s)
tel,0,wake 5000: asyncx wake->poll ns p50 100 p99 300 p999 900; workqueue queue->run ns p50 10 p99 20 p999 50
tel,1,wake 5000: asyncx wake->poll ns p50 110 p99 330 p999 900; workqueue queue->run ns p50 10 p99 20 p999 50
"""


class BenchParseTest(unittest.TestCase):
    def setUp(self):
        self.r = bench.parse(RAW)
        self.rows = {row[0]: row for row in bench.table(self.r)}

    def test_ring_ratio_and_target(self):
        name, a, b, ratio, tgt, met = self.rows['ring nop batch 32 x1 thr (ops/s)']
        self.assertEqual((a, b, tgt, met), (6000.0, 4000.0, '>= 1.0x', True))
        self.assertAlmostEqual(ratio, 1.5)

    def test_ring_runs_are_medians(self):
        row = self.rows['ring nop batch 8 x1 thr (ops/s)']
        self.assertEqual(row[1:3], (150, 200))
        self.assertEqual(row[4:], ('>= 1.0x', False))

    def test_empty_enter_has_no_target(self):
        row = self.rows['ring empty enter x1 thr (calls/s)']
        self.assertEqual(row[1:], (500, 1000, 0.5, '-', None))
        names = [x[0] for x in bench.table(self.r)]
        self.assertLess(names.index('ring nop batch 32 x1 thr (ops/s)'),
                        names.index('ring empty enter x1 thr (calls/s)'))

    def test_sqpoll_rate_and_work_per_cpu_second(self):
        row = self.rows['ring SQPOLL NOP batch 8 x1 thr (ops/s)']
        self.assertEqual(row[1:3], (3300, 3000))
        self.assertAlmostEqual(row[3], 1.1)
        self.assertTrue(row[5])
        per = self.rows['ring SQPOLL NOP batch 8 x1 thr (ops per CPU-second)']
        self.assertEqual(per[1:3], (2200, 1500))
        self.assertIsNone(per[5])

    def test_telemetry_on_against_off(self):
        spawn = self.rows['telemetry on vs off: spawn->complete (tasks/s)']
        self.assertEqual(spawn[1:3], (900, 1000))
        self.assertAlmostEqual(spawn[3], 0.9)
        self.assertIsNone(spawn[5])
        wake = self.rows['telemetry on vs off: wake->poll p50 (ns, lower is better)']
        self.assertEqual(wake[1:3], (110, 100))
        # The telemetry lines stay out of the main rows.
        self.assertEqual(self.rows['spawn->complete (tasks/s)'][1], 200000)

    def test_memory_in_flight_is_the_median_against_io_uring(self):
        row = self.rows['in-flight TIMEOUT: slab bytes per SQE (lower is better)']
        self.assertEqual(row[1:3], (340.0, 351.0))
        self.assertEqual(row[4:], ('<= 256 B', False))

    def test_spawn_both_ways(self):
        self.assertEqual(self.rows['spawn->complete (tasks/s)'][1:3], (200000, 100000))
        self.assertTrue(self.rows['spawn->complete (tasks/s)'][5])
        self.assertEqual(self.rows['spawn->complete, future and task apart (tasks/s)'][1], 125000)

    def test_object_sizes(self):
        self.assertEqual(self.r['mem']['req_timeout'], 336)
        self.assertEqual(self.rows['bytes per idle task'][5], True)
        self.assertEqual(self.rows['TIMEOUT request with its task (object size, B)'][1], 336)

    def test_random_reads_against_io_uring_and_fio(self):
        row = self.rows['4K randread O_DIRECT (null_blk /dev/nullb0) QD 32 (reads/s)']
        self.assertEqual(row[1:3], (600.0, 2000.0))
        self.assertAlmostEqual(row[3], 0.3)
        self.assertEqual(row[4:], ('>= 1.0x', False))
        fio = self.rows['  io_uring: io_bench vs fio io_uring engine, QD 32 (IOPS)']
        self.assertEqual(fio[1:3], (2000.0, 800.0))
        self.assertEqual(fio[4:], ('-', None))
        self.assertTrue(self.rows['4K randread buffered (ext4 file in page cache) QD 1 '
                                  '(reads/s)'][5])

    def test_profile_rows_beside_each_io_row(self):
        names = [row[0] for row in bench.table(self.r)]
        i = names.index('4K randread O_DIRECT (null_blk /dev/nullb0) QD 32 (reads/s)')
        csw = self.rows['  profile: context switches per 1000 reads (lower is better)']
        self.assertEqual(names[i + 1], csw[0])
        self.assertEqual(csw[1:3], (800.0, 20.0))
        self.assertEqual(csw[4:], ('-', None))
        # A line without the profile's fields gives no profile row.
        self.assertNotIn('  profile', names[names.index(
            '4K randread buffered (ext4 file in page cache) QD 1 (reads/s)') + 1])

    def test_echo(self):
        row = self.rows['echo round trips, 100 conns, 64 B (round trips/s)']
        self.assertEqual(row[1:3], (3000.0, 2000.0))
        self.assertTrue(row[5])
        cpu = self.rows['  profile: CPU us, all CPUs per round trip (lower is better)']
        self.assertEqual(cpu[1:3], (40.0, 50.0))

    def test_scale_rows_per_cpu_count(self):
        # Not folded into the full-CPU rows.
        self.assertEqual(len(self.r['spawn']), 1)
        one = self.rows['scale 1 CPUs: spawn->complete from a thread vs queue_work (tasks/s)']
        self.assertEqual(one[1:3], (400, 800))
        self.assertFalse(one[5])
        plug = self.rows['scale 1 CPUs: spawn in plugs of 32 vs queue_work (tasks/s)']
        self.assertEqual((plug[3], plug[4], plug[5]), (3.0, '>= 2.0x', True))
        task = self.rows['scale 2 CPUs: spawn from a task vs queue_work from a work item (tasks/s)']
        self.assertEqual(task[1:3], (500, 250))
        ring = self.rows['scale 1 CPUs: ring NOP batch 32, one ring per CPU (ops/s)']
        self.assertEqual(ring[1:3], (120.0, 100.0))

    def test_scale_spawn_must_not_fall_and_fanout_efficiency(self):
        fall = self.rows['scale 2 CPUs: asyncx spawn from a thread vs 1 CPUs (tasks/s)']
        self.assertEqual(fall[1:3], (300, 400))
        eff = self.rows['scale 2 CPUs: fan-out rate / (2 x 1 CPU) (tasks/s)']
        self.assertAlmostEqual(eff[3], 0.8)
        wake = self.rows['scale 2 CPUs: wake->poll p99 vs work item queue->run '
                         '(ns, lower is better)']
        self.assertEqual(wake[1:3], (30, 20))
        if (os.cpu_count() or 1) >= 2:
            self.assertFalse(fall[5])
            self.assertTrue(eff[5])
            self.assertFalse(wake[5])


if __name__ == '__main__':
    unittest.main()
