"""The boot line of a block device states its size in one unit: logical blocks of the device's
block size ("N sectors x B bytes", as `blk info` and the Valve count), and their total in the
largest unit that holds it exactly. Checked for a 4096-byte-block disk (where 512-byte units
used to be mixed with "blk_size 4096"), a 512-byte disk, and one whose size is not a whole MiB.
"""
import os
import re
import unittest

from harness import QemuTestCase, make_image

MIB = 1 << 20
UNITS = {"bytes": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}
LINE_RE = re.compile(r"^(blk\d+): (\d+) sectors x (\d+) bytes \((\d+) (\w+)\), seg_max \S+, "
                     r"size_max \S+, (rw|ro), serial (\S+)$", re.M)
INFO_RE = re.compile(r"^(blk\d+): \S+, (\d+) sectors x (\d+) bytes .*, serial (\S+),", re.M)


class BlkBootLineTest(QemuTestCase):
    def test_sizes_in_one_unit(self):
        d = self.tmpdir()
        disks = {  # serial: (image bytes, logical block size, expected size text)
            "sn-4k": (16 * MIB, 4096, "16 MiB"),
            "sn-512": (32 * MIB, 512, "32 MiB"),
            "sn-odd": (1536 * 1024, 512, "1536 KiB"),
        }
        args = []
        for i, (sn, (size, bs, _)) in enumerate(disks.items()):
            img = make_image(os.path.join(d, sn + ".img"), size)
            args += ["-drive", f"if=none,format=raw,file={img},id=hd{i}",
                     "-device", f"virtio-blk-pci,drive=hd{i},disable-legacy=on,serial={sn},"
                                f"logical_block_size={bs},physical_block_size={bs}"]
        g = self.boot(args, transports=["pci-modern"])
        lines = {m[7]: m for m in LINE_RE.finditer(g.log)}
        self.assertEqual(set(lines), set(disks), g.log)
        info = {m[4]: m for m in INFO_RE.finditer(g.cmd("blk info"))}
        for sn, (size, bs, text) in disks.items():
            m = lines[sn]
            count, block, amount, unit = int(m[2]), int(m[3]), int(m[4]), m[5]
            self.assertEqual(block, bs, m[0])
            self.assertEqual(count * block, size, m[0])
            self.assertEqual(amount * UNITS[unit], size, m[0])
            self.assertEqual(f"{amount} {unit}", text, m[0])
            self.assertNotIn("blk_size", m[0])
            # The same numbers as the shell and the Valve use.
            self.assertEqual((info[sn][1], int(info[sn][2]), int(info[sn][3])),
                             (m[1], count, block))
        self.assertEqual(g.poweroff(), 0)


if __name__ == "__main__":
    unittest.main()
