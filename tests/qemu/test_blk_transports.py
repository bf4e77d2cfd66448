"""Block I/O end to end on every virtio transport, checked from both sides of the disk.

For each of pci-legacy, pci-modern, pci-transitional, mmio-v1 and mmio-v2, one boot:
  * before boot the host writes its own pattern and a text marker into the image; the guest
    must read exactly those bytes (`dd read`, `blk pattern verify`);
  * the guest writes distinct patterns to scattered places (first sector, last sector, single
    and multi-sector runs, a 2 MiB run that the Valve splits into several device requests) and
    a `dd write` string, reads them back, flushes, and powers off;
  * the host then finds exactly those bytes in the image, and zeroes everywhere it looked
    around them;
  * bad requests (past the end, zero count, overflowing sector numbers, bad numbers) each get
    one clear error line and the shell stays up.

The pattern helpers here are shared with the other test_blk_*.py files (import the module).
"""
import os
import re
import struct
import unittest

from harness import ALL_TRANSPORTS, QemuTestCase, disk_args, make_image

SECTOR = 512
IMAGE_BYTES = 32 << 20
M64 = (1 << 64) - 1


def pattern_word(seed, w):
    """The guest's `blk pattern` word for 8-byte word w of the device (nipbox/cmd_blk.c)."""
    x = (w * 0x9E3779B97F4A7C15 + seed) & M64
    x ^= x >> 29
    x = (x * 0xBF58476D1CE4E5B9) & M64
    x ^= x >> 32
    return x


def pattern_bytes(seed, pos, length):
    """Pattern bytes for device byte offsets [pos, pos + length); pos and length multiples of 8."""
    first = pos // 8
    return struct.pack("<%dQ" % (length // 8),
                       *(pattern_word(seed, first + i) for i in range(length // 8)))


def read_at(path, offset, length):
    with open(path, "rb") as f:
        f.seek(offset)
        return f.read(length)


def write_at(path, offset, data):
    with open(path, "r+b") as f:
        f.seek(offset)
        f.write(data)


def dd_hex(data):
    return " ".join("%02x" % b for b in data[:16])


def check_ok(test, g, line, expect):
    out = g.cmd(line, timeout=30)
    test.assertIn(expect, out, f"{line!r} said: {out!r}")
    return out


class BlkTransportTest(QemuTestCase):
    def one_transport(self, transport):
        img = os.path.join(self.tmpdir(), f"{transport}.img")
        make_image(img, IMAGE_BYTES)
        total = IMAGE_BYTES // SECTOR
        # The host's own data, for the guest to read.
        host_text = f"host wrote this for {transport}".encode()
        write_at(img, 777 * SECTOR, host_text)
        write_at(img, 40000 * SECTOR, pattern_bytes(99, 40000 * SECTOR, 16 * SECTOR))

        g = self.boot(disk_args(img, transport), transports=[transport])
        self.assertRegex(g.log, r"blk0: %d sectors x 512 bytes \(32 MiB\)" % total)

        out = g.cmd("dd read 777")
        self.assertIn("blk0 sector 777: " + dd_hex(host_text.ljust(16, b"\0")), out)
        check_ok(self, g, "blk pattern verify blk0 40000 16 99", "verified 16 sectors")

        # Guest writes: (lba, count, seed).
        runs = [(0, 1, 11), (total - 1, 1, 12), (1000, 1, 13), (3001, 37, 14),
                (20000, 4096, 15)]
        for lba, count, seed in runs:
            check_ok(self, g, f"blk pattern write blk0 {lba} {count} {seed}",
                     f"wrote {count} sectors at {lba}")
        text = f"guest on {transport}"
        check_ok(self, g, f"dd write 5 {text}", f"wrote {len(text)} bytes to blk0 sector 5")
        for lba, count, seed in runs:
            check_ok(self, g, f"blk pattern verify blk0 {lba} {count} {seed}",
                     f"verified {count} sectors")
        out = g.cmd("dd read 5")
        self.assertIn("blk0 sector 5: " + dd_hex(text.encode().ljust(16, b"\0")), out)
        out = g.cmd("dd read 4 2")
        self.assertRegex(out, r"00000a00  67 75 65 73 74 20 6f 6e .*\|guest on ")
        self.assertEqual(len(re.findall(r"^[0-9a-f]{8} ", out, re.M)), 64)

        # Bad requests: one line each, nothing reaches the disk, the shell stays.
        out = g.cmd(f"dd read {total}")
        self.assertEqual(out.strip(),
                         f"dd: sector {total} is past the end of blk0 ({total} sectors)")
        out = g.cmd(f"dd read {total - 2} 3")
        self.assertIn(f"run past the end of blk0 ({total} sectors)", out)
        out = g.cmd("dd read 18446744073709551615")
        self.assertIn("is past the end of blk0", out)
        out = g.cmd("dd read 3 0")
        self.assertIn("dd: sector count must be at least 1", out)
        out = g.cmd("dd read banana")
        self.assertIn("dd: bad sector number 'banana'", out)
        out = g.cmd(f"dd write {total} x")
        self.assertIn("past the end", out)
        out = g.cmd(f"blk pattern write blk0 {total - 1} 2 1")
        self.assertIn("do not fit blk0", out)
        out = g.cmd("dd -d blk7 read 0")
        self.assertIn("dd: no block device blk7", out)
        check_ok(self, g, "blk flush blk0", "blk flush: blk0: flushed")
        check_ok(self, g, "echo still here", "still here")
        self.assertEqual(g.poweroff(), 0)

        # The host sees exactly what the guest wrote, and nothing where it wrote nothing.
        for lba, count, seed in runs:
            got = read_at(img, lba * SECTOR, count * SECTOR)
            self.assertEqual(got, pattern_bytes(seed, lba * SECTOR, count * SECTOR),
                             f"{transport}: pattern {seed} at sector {lba}")
            for edge in (lba - 1, lba + count):
                if 0 <= edge < total and edge not in (5, 777, 4) and \
                        not any(l <= edge < l + c for l, c, _ in runs):
                    self.assertEqual(read_at(img, edge * SECTOR, SECTOR), bytes(SECTOR),
                                     f"{transport}: sector {edge} next to a write changed")
        self.assertEqual(read_at(img, 5 * SECTOR, SECTOR),
                         text.encode().ljust(SECTOR, b"\0"))
        self.assertEqual(read_at(img, 777 * SECTOR, len(host_text)), host_text)
        self.assertEqual(read_at(img, total * SECTOR - 2 * SECTOR, SECTOR), bytes(SECTOR))


def _make(transport):
    def test(self):
        self.one_transport(transport)
    test.__name__ = "test_" + transport.replace("-", "_")
    return test


for _t in ALL_TRANSPORTS:
    setattr(BlkTransportTest, "test_" + _t.replace("-", "_"), _make(_t))

if __name__ == "__main__":
    unittest.main()
