"""A disk resized on the host while the guest runs (QEMU's block_resize, through QMP): the device
raises a configuration-change interrupt, the driver re-reads the capacity, `blk info` shows the
new size, and I/O follows it: a sector past the old end becomes writable when the disk grows (the
bytes land in the image), and past the new end is refused when it shrinks. Every transport,
since each delivers the configuration interrupt its own way.
"""
import os
import re
import unittest

from harness import ALL_TRANSPORTS, QemuTestCase, Qmp, disk_args, make_image, qmp_args

MIB = 1 << 20
INFO_RE = re.compile(r"^blk0: \S+, (\d+) sectors x 512 bytes", re.M)


class BlkResize(QemuTestCase):
    def sectors(self, g):
        m = INFO_RE.search(g.cmd("blk info blk0"))
        self.assertIsNotNone(m, g.log)
        return int(m[1])

    def logged(self, g, line):
        """Waits for a kernel log line (printed after the prompt) and the end of it."""
        g.wait_for(line, 10)
        g.wait_for("\n", 5)

    def test_block_resize_on_every_transport(self):
        for t in ALL_TRANSPORTS:
            with self.subTest(transport=t):
                d = self.tmpdir()
                img = make_image(os.path.join(d, "disk.img"), 4 * MIB)
                sock = os.path.join(d, "qmp.sock")
                g = self.boot(disk_args(img, t) + qmp_args(sock), transports=[t], name=t)
                qmp = Qmp(sock)
                self.addCleanup(qmp.close)
                self.assertEqual(self.sectors(g), 8192)
                self.assertIn("past the end", g.cmd("dd write 12000 grown"))

                qmp.execute("block_resize", device="hd0", size=8 * MIB)
                self.logged(g, "blk0: capacity changed from 8192 to 16384 sectors x 512 bytes")
                self.assertEqual(self.sectors(g), 16384)
                self.assertIn("wrote", g.cmd("dd write 12000 grown"))

                qmp.execute("block_resize", device="hd0", size=2 * MIB)
                self.logged(g, "blk0: capacity changed from 16384 to 4096 sectors x 512 bytes")
                self.assertEqual(self.sectors(g), 4096)
                self.assertIn("past the end", g.cmd("dd read 5000"))
                self.assertNotIn("FAILED", g.cmd("blk info blk0"))
                qmp.execute("block_resize", device="hd0", size=8 * MIB)
                self.logged(g, "blk0: capacity changed from 4096 to 16384 sectors x 512 bytes")
                # (shrinking truncated the image: what lay past 2 MiB is gone on the host too)
                self.assertIn("wrote", g.cmd("dd write 16383 last"))
                self.assertEqual(g.poweroff(), 0)
                with open(img, "rb") as f:
                    f.seek(16383 * 512)
                    self.assertEqual(f.read(8), b"last\0\0\0\0")


if __name__ == "__main__":
    unittest.main()
