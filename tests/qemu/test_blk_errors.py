"""Device errors and the less common block operations on real QEMU.

QEMU's blkdebug driver fails reads of sector 100 and writes of sector 200 with EIO (reported
to the guest, not pausing the VM). The guest must answer each with one clear line, keep the
device in use, and read and write every other sector as before. Then WRITE_ZEROES and DISCARD:
zeroed sectors read back as zeroes in the guest and in the image.
"""
import os
import unittest

from harness import QemuTestCase, make_image
import test_blk_transports as common

RULES = """[inject-error]
event = "read_aio"
errno = "5"
sector = "100"

[inject-error]
event = "write_aio"
errno = "5"
sector = "200"
"""


class BlkErrorTest(QemuTestCase):
    def test_injected_errors_and_zeroes(self):
        d = self.tmpdir()
        img = make_image(os.path.join(d, "disk.img"), 8 << 20)
        rules = os.path.join(d, "rules.conf")
        with open(rules, "w") as f:
            f.write(RULES)
        common.write_at(img, 99 * 512, b"before the bad one")
        args = ["-drive", f"file=blkdebug:{rules}:{img},format=raw,if=none,id=hd0",
                "-device", "virtio-blk-pci,drive=hd0,disable-legacy=on,"
                           "werror=report,rerror=report"]
        g = self.boot(args, transports=["pci-modern"])

        out = g.cmd("dd read 100")
        self.assertEqual(out.strip().splitlines()[-1], "dd: blk0 sector 100: I/O error")
        self.assertIn("blk0: read of 512 bytes at sector 100 failed: I/O error", out)
        out = g.cmd("dd read 96 8")
        self.assertIn("dd: blk0 sector 96: I/O error", out)
        out = g.cmd("dd read 99")
        self.assertIn(common.dd_hex(b"before the bad one"), out)
        out = g.cmd("dd write 200 lost")
        self.assertIn("dd: blk0 sector 200: I/O error", out)
        common.check_ok(self, g, "dd write 201 kept", "wrote 4 bytes to blk0 sector 201")
        out = g.cmd("blk info blk0")
        self.assertNotIn("FAILED", out)
        self.assertIn("discard, write-zeroes", out)

        common.check_ok(self, g, "blk pattern write blk0 300 64 7", "wrote 64 sectors")
        common.check_ok(self, g, "blk pattern write blk0 400 8 8", "wrote 8 sectors")
        common.check_ok(self, g, "blk zero blk0 310 20", "blk zero: blk0: 20 sectors at 310")
        out = g.cmd("blk pattern verify blk0 300 64 7")
        self.assertIn("mismatch at sector 310 byte 0", out)
        common.check_ok(self, g, "blk pattern verify blk0 300 10 7", "verified 10 sectors")
        common.check_ok(self, g, "blk pattern verify blk0 330 34 7", "verified 34 sectors")
        out = g.cmd("dd read 320")
        self.assertIn("blk0 sector 320: " + " ".join(["00"] * 16), out)
        common.check_ok(self, g, "blk discard blk0 400 8", "blk discard: blk0: 8 sectors at 400")
        out = g.cmd("blk zero blk0 16383 2")
        self.assertIn("past the end of the device", out)
        common.check_ok(self, g, "blk flush blk0", "flushed")
        self.assertEqual(g.poweroff(), 0)

        self.assertEqual(common.read_at(img, 201 * 512, 512), b"kept".ljust(512, b"\0"))
        self.assertEqual(common.read_at(img, 200 * 512, 512), bytes(512))
        self.assertEqual(common.read_at(img, 310 * 512, 20 * 512), bytes(20 * 512))
        self.assertEqual(common.read_at(img, 300 * 512, 10 * 512),
                         common.pattern_bytes(7, 300 * 512, 10 * 512))
        self.assertEqual(common.read_at(img, 330 * 512, 34 * 512),
                         common.pattern_bytes(7, 330 * 512, 34 * 512))


if __name__ == "__main__":
    unittest.main()
