"""A full virtqueue is waited out, never an I/O error, on every transport and queue size.

One boot per transport (pci-legacy, pci-modern, mmio-v1, mmio-v2), each with three disks given
queue-size 4, 16 and 128, told apart by serial. QEMU 7.2 takes a power of two from 4 to 1024 on
every transport and always sets seg_max to queue-size - 2. On PCI (legacy and modern) that is
the queue's size; virtio-mmio reports 1024 as the most a queue may hold whatever queue-size says,
so there the driver's own choice (256) stands and only seg_max shrinks. On each disk:
  * a short `bench blk -w` run (1 MiB requests four at a time, 4 KiB requests 32 at a time)
    completes every test without an error line;
  * `blk inflight` with more requests than the queue holds (each takes 3 descriptors): every
    request succeeds and reads back its own data;
  * a 2 MiB pattern (cut into device requests that fit the queue) is written and verified,
    and the host finds it, and every inflight write, in the image after poweroff.
"""
import os
import re
import unittest

from harness import QemuTestCase, disk_args, make_image
import test_blk_transports as common

MIB = 1 << 20
SIZES = (4, 16, 128)
INFO_RE = re.compile(r"^(blk\d+): \S+, .*, serial (\S+), queue (\d+), seg_max (\d+),", re.M)
BENCH_MS = 30


def inflight_count(queue):
    return min(256, 3 * queue + 1)


class BlkQueueTest(QemuTestCase):
    def one_transport(self, transport):
        d = self.tmpdir()
        imgs, args = {}, []
        for i, q in enumerate(SIZES):
            imgs[q] = make_image(os.path.join(d, f"q{q}.img"), 16 * MIB)
            args += disk_args(imgs[q], transport, ident=f"hd{i}",
                              extra=f",queue-size={q},serial=q{q}")
        g = self.boot(args, transports=[transport])
        info = g.cmd("blk info")
        names = {m[2]: (m[1], int(m[3]), int(m[4])) for m in INFO_RE.finditer(info)}
        self.assertEqual(set(names), {f"q{q}" for q in SIZES}, info)

        for q in SIZES:
            name, queue, seg_max = names[f"q{q}"]
            self.assertEqual(queue, 256 if transport.startswith("mmio") else q, info)
            self.assertEqual(seg_max, q - 2, info)
            out = g.cmd(f"bench blk -w {name} {BENCH_MS}", timeout=60)
            self.assertNotIn("bench:", out, f"{transport} queue {q}")
            tests = re.findall(r"^BENCH test=(\S+) .* requests=(\d+) ", out, re.M)
            self.assertEqual([t for t, _ in tests],
                             ["seq_read_1m", "seq_write_1m", "rand_read_4k_qd1",
                              "rand_read_4k_qd32", "seq_read_4k_qd1"], out)
            self.assertTrue(all(int(n) > 0 for _, n in tests), out)

            n = inflight_count(queue)
            out = common.check_ok(self, g, f"blk inflight {name} {n}", "outstanding at once")
            self.assertIn(f"{n} writes then {n} reads", out)
            self.assertIn(f"verified={n}", out)

            common.check_ok(self, g, f"blk pattern write {name} 20000 4096 {q}",
                            "wrote 4096 sectors at 20000")
            common.check_ok(self, g, f"blk pattern verify {name} 20000 4096 {q}",
                            "verified 4096 sectors")
        self.assertEqual(g.poweroff(), 0)

        for q in SIZES:
            img, queue = imgs[q], names[f"q{q}"][1]
            self.assertEqual(common.read_at(img, 20000 * 512, 2 * MIB),
                             common.pattern_bytes(q, 20000 * 512, 2 * MIB),
                             f"{transport} queue {q}: the 2 MiB pattern")
            for i in range(inflight_count(queue)):  # 4 KiB each, a 4 KiB gap between
                lba = 16 * i
                self.assertEqual(common.read_at(img, lba * 512, 4096),
                                 common.pattern_bytes(0x1F11 + i, lba * 512, 4096),
                                 f"{transport} queue {q}: inflight write {i}")


def _make(transport):
    def test(self):
        self.one_transport(transport)
    test.__name__ = "test_" + transport.replace("-", "_")
    return test


for _t in ("pci-legacy", "pci-modern", "mmio-v1", "mmio-v2"):
    setattr(BlkQueueTest, "test_" + _t.replace("-", "_"), _make(_t))

if __name__ == "__main__":
    unittest.main()
