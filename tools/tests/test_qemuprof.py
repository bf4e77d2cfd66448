"""tools/bench/qemuprof.py's readers on hand-written text (nothing is booted or profiled):
strace -c's table with and without an errors column, QEMU trace log lines counted by event,
virtio-mmio register and memory region, other events and console noise ignored; a missing perf
or strace stops it naming the package.

    python3 -m unittest -v test_qemuprof     (from tools/tests; part of ./rumpk test)
"""
import os
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools", "bench"))
import qemuprof  # noqa: E402

STRACE = """% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ----------------
 96.30   21.801100         247     87965      3843 futex
  0.92    0.208721           7     28505           write
  2.11    0.476711          18     25333           pread64
------ ----------- ----------- --------- --------- ----------------
100.00   22.638892         153    147125      3857 total
"""

TRACE = [
    "virtio_mmio_read virtio_mmio_read offset 0x60",
    "123@1701.5:virtio_mmio_write_offset virtio_mmio_write_offset offset 0x50 value 0x0",
    "virtio_mmio_write_offset virtio_mmio_write_offset offset 0x64 value 0x1",
    "virtio_mmio_read virtio_mmio_read offset 0x60",
    "memory_region_ops_read cpu 0 mr 0x5 addr 0x40001 value 0x1 size 1 "
    "name 'virtio-pci-isr-virtio-blk'",
    "memory_region_ops_read cpu 0 mr 0x5 addr 0x10000005 value 0x60 size 1 name 'serial'",
    "virtio_blk_req_complete vdev 0x1 req 0x2 status 0",
    "virtio_blk_req_complete vdev 0x1 req 0x3 status 0",
    "some_other_event x",
    "OpenSBI v1.2",
]


class Readers(unittest.TestCase):
    def test_strace_table(self):
        self.assertEqual(qemuprof.parse_strace(STRACE),
                         {"futex": 87965, "write": 28505, "pread64": 25333, "total": 147125})

    def test_trace_counts(self):
        c = qemuprof.count_trace(TRACE)
        self.assertEqual(c["virtio_mmio_read InterruptStatus"], 2)
        self.assertEqual(c["virtio_mmio_write_offset InterruptACK"], 1)
        self.assertEqual(c["virtio_mmio_write_offset QueueNotify"], 1)  # pid@time: prefix
        self.assertEqual(c["memory_region_ops_read virtio-pci-isr-virtio-blk"], 1)
        self.assertEqual(c["memory_region_ops_read serial"], 1)
        self.assertEqual(c["virtio_blk_req_complete"], 2)
        self.assertNotIn("some_other_event", c)
        self.assertEqual(sum(c.values()), 8)


class Command(unittest.TestCase):
    def test_missing_perf_is_named(self):
        with tempfile.TemporaryDirectory() as d:
            r = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "bench",
                                                             "qemuprof.py"),
                                "--look", "perf", "--out", os.path.join(d, "o")],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=dict(os.environ, PATH=d), timeout=60)
            self.assertFalse(os.path.exists(os.path.join(d, "o")))
        self.assertEqual(r.returncode, 1)
        self.assertIn("missing perf (linux-perf)", r.stderr)


if __name__ == "__main__":
    unittest.main()
