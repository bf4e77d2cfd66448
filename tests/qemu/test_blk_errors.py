"""Device errors and the less common block operations on real QEMU.

QEMU's blkdebug driver fails every read of sector 100, every write of sector 200 and every
flush with EIO, reported to the guest (werror=report, rerror=report: the VM is not paused).
On pci-legacy, pci-modern and mmio-v2 the guest must answer each failed command with exactly
one line naming the device, the sector (or the flush) and the error, serve every other sector
as before, keep the device in use, and not loop or retry when the same error comes back on
every attempt. Then WRITE_ZEROES and DISCARD: zeroed sectors read back as zeroes in the guest
and in the image.
"""
import os
import unittest

from harness import QemuTestCase, disk_args, make_image
import test_blk_transports as common

RULES = """[inject-error]
event = "read_aio"
errno = "5"
sector = "100"

[inject-error]
event = "write_aio"
errno = "5"
sector = "200"

[inject-error]
event = "flush_to_disk"
errno = "5"
"""
ERROR_TRANSPORTS = ["pci-legacy", "pci-modern", "mmio-v2"]


def failing_disk(test, transport):
    """QEMU arguments for an 8 MiB image behind blkdebug with RULES, and the image's path."""
    d = test.tmpdir()
    img = make_image(os.path.join(d, "disk.img"), 8 << 20)
    rules = os.path.join(d, "rules.conf")
    with open(rules, "w") as f:
        f.write(RULES)
    common.write_at(img, 99 * 512, b"before the bad one")
    common.write_at(img, 101 * 512, b"after the bad one")
    return disk_args(f"blkdebug:{rules}:{img}", transport,
                     extra=",werror=report,rerror=report"), img


class BlkErrorTest(QemuTestCase):
    def one_line(self, g, line, expect):
        """Runs `line`; its whole answer must be the one line `expect`."""
        out = g.cmd(line, timeout=30)
        self.assertEqual(out.strip().splitlines(), [expect], f"{line!r} said: {out!r}")

    def errors_on(self, transport):
        args, img = failing_disk(self, transport)
        g = self.boot(args, transports=[transport])

        self.one_line(g, "dd read 100", "dd: blk0 sector 100: I/O error")
        self.one_line(g, "dd read 96 8", "dd: blk0 sectors 96..103: I/O error")
        self.assertIn("blk0 sector 99: " + common.dd_hex(b"before the bad one"),
                      g.cmd("dd read 99"))
        self.assertIn("blk0 sector 101: " + common.dd_hex(b"after the bad one"),
                      g.cmd("dd read 101"))
        # The same error on every attempt: each ends at once with its one line, no retry loop.
        for _ in range(20):
            self.one_line(g, "dd read 100", "dd: blk0 sector 100: I/O error")
        self.one_line(g, "dd write 200 lost", "dd: blk0 sector 200: I/O error")
        self.one_line(g, "dd write 201 kept", "dd: wrote 4 bytes to blk0 sector 201")
        self.one_line(g, "blk flush blk0", "blk flush: blk0: I/O error")
        self.one_line(g, "blk flush blk0", "blk flush: blk0: I/O error")
        self.one_line(g, "blk pattern verify blk0 90 20 1",
                      "blk pattern: blk0: read of sectors 90..109: I/O error")
        out = g.cmd("blk info blk0")
        self.assertNotIn("FAILED", out)
        self.assertIn("blk0 sector 102: " + common.dd_hex(bytes(16)), g.cmd("dd read 102"))
        self.assertEqual(g.poweroff(), 0)
        self.assertEqual(common.read_at(img, 201 * 512, 512), b"kept".ljust(512, b"\0"))
        self.assertEqual(common.read_at(img, 200 * 512, 512), bytes(512))

    def test_zeroes_and_discard(self):
        args, img = failing_disk(self, "pci-modern")
        g = self.boot(args, transports=["pci-modern"])
        out = g.cmd("blk info blk0")
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
        self.assertEqual(g.poweroff(), 0)

        self.assertEqual(common.read_at(img, 310 * 512, 20 * 512), bytes(20 * 512))
        self.assertEqual(common.read_at(img, 300 * 512, 10 * 512),
                         common.pattern_bytes(7, 300 * 512, 10 * 512))
        self.assertEqual(common.read_at(img, 330 * 512, 34 * 512),
                         common.pattern_bytes(7, 330 * 512, 34 * 512))


def _make(transport):
    def test(self):
        self.errors_on(transport)
    test.__name__ = "test_errors_" + transport.replace("-", "_")
    return test


for _t in ERROR_TRANSPORTS:
    setattr(BlkErrorTest, "test_errors_" + _t.replace("-", "_"), _make(_t))


if __name__ == "__main__":
    unittest.main()
