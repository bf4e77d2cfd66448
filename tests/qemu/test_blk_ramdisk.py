"""The kernel's RAM disk: `ramdisk=SIZE` on the command line makes ram0, a Block Valve device in
memory served like any disk. Beside a virtio disk (blk0 keeps its name), `dd` writes and reads
back sectors of ram0 (first and last), `blk info`, `blk pattern`, `blk zero` and `blk flush`
work on it, a bad size is refused with one line and boot goes on, and `bench blk` runs on it.
"""
import os
import re
import unittest

from harness import QemuTestCase, disk_args, make_image
import test_blk_transports as common

MIB = 1 << 20


class BlkRamdiskTest(QemuTestCase):
    def test_ramdisk_round_trip(self):
        img = make_image(os.path.join(self.tmpdir(), "disk.img"), 8 * MIB)
        g = self.boot(disk_args(img, "pci-modern"), transports=["pci-modern"],
                      append="ramdisk=4M")
        self.assertIn("ram0: 8192 sectors x 512 bytes (RAM disk)", g.log)
        out = g.cmd("blk info")
        self.assertIn("blk0: pci-modern", out)
        self.assertIn("ram0: ram, 8192 sectors x 512 bytes (4096 KiB), rw", out)

        common.check_ok(self, g, "dd -d ram0 write 5 hello ram", "wrote 9 bytes to ram0 sector 5")
        out = g.cmd("dd -d ram0 read 5")
        self.assertIn("ram0 sector 5: " + common.dd_hex(b"hello ram".ljust(16, b"\0")), out)
        common.check_ok(self, g, "dd -d ram0 write 8191 the end", "ram0 sector 8191")
        out = g.cmd("dd -d ram0 read 8191")
        self.assertIn(common.dd_hex(b"the end".ljust(16, b"\0")), out)
        out = g.cmd("dd -d ram0 read 8192")
        self.assertIn("dd: sector 8192 is past the end of ram0 (8192 sectors)", out)
        out = g.cmd("dd read 5")  # blk0 is another disk
        self.assertIn("blk0 sector 5: " + " ".join(["00"] * 16), out)

        common.check_ok(self, g, "blk pattern write ram0 100 4096 9", "wrote 4096 sectors")
        common.check_ok(self, g, "blk pattern verify ram0 100 4096 9", "verified 4096 sectors")
        common.check_ok(self, g, "blk zero ram0 200 8", "blk zero: ram0: 8 sectors at 200")
        out = g.cmd("dd -d ram0 read 200")
        self.assertIn("ram0 sector 200: " + " ".join(["00"] * 16), out)
        common.check_ok(self, g, "blk flush ram0", "blk flush: ram0: no write cache")
        out = g.cmd("bench blk ram0 20", timeout=60)
        self.assertNotIn("bench:", out)
        self.assertIn("BENCH test=rand_read_4k_qd32 dev=ram0 transport=ram", out)
        # -t: one test alone; the fixed-size write (64 MiB, then a flush) only when named.
        out = g.cmd("bench blk -t seq_read_4k_qd1 ram0 20", timeout=60)
        self.assertEqual(re.findall(r"^BENCH test=(\S+)", out, re.M), ["seq_read_4k_qd1"], out)
        out = g.cmd("bench blk -w -t seq_write_flush_64m ram0", timeout=60)
        self.assertNotIn("bench:", out)
        self.assertRegex(out, r"BENCH test=seq_write_flush_64m dev=ram0 .* requests=64 ")
        self.assertIn("bench: no test nosuch", g.cmd("bench blk -t nosuch ram0"))
        self.assertEqual(g.poweroff(), 0)

    def test_bad_size_refused(self):
        g = self.boot(append="ramdisk=12345")
        self.assertIn("ramdisk: size '12345' is not a multiple of 512 bytes up to 1G",
                      g.log)
        self.assertIn("blk info: no block devices", g.cmd("blk info"))
        self.assertEqual(g.poweroff(), 0)


if __name__ == "__main__":
    unittest.main()
