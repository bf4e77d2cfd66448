"""Block devices are named in an order a user can predict from the QEMU command line: PCI
functions by bus, slot and function (whatever transport drives them), then virtio-mmio devices
in command-line order (QEMU gives the first -device virtio-blk-device the highest-addressed
virtio-mmio slot, and Rumpk names MMIO devices from the highest address down).

One boot with seven disks told apart by serial: three virtio-mmio, three PCI on the root bus at
slots given out of command-line order (legacy, modern and transitional), one PCI disk behind a
PCIe root port (bus 1). blk0..blk6 must map to the serials in the predicted order; lsdev must
list them in that order too, and each name must reach its own disk (`dd`, checked on the host).
"""
import os
import re
import unittest

from harness import QemuTestCase, make_image
from test_transports import parse_lsdev
import test_blk_transports as common

MIB = 1 << 20
INFO_RE = re.compile(r"^(blk\d+): (\S+), .*, serial (\S+),", re.M)


class BlkNamingTest(QemuTestCase):
    def test_names_follow_the_command_line(self):
        d = self.tmpdir()
        # (serial, -device) in command-line order.
        disks = [
            ("m-first", "virtio-blk-device"),
            ("p-slot5", "virtio-blk-pci,disable-modern=on,addr=0x5"),
            ("m-second", "virtio-blk-device"),
            ("p-bus1", "virtio-blk-pci,disable-legacy=on,bus=rp1"),
            ("p-slot2", "virtio-blk-pci,disable-legacy=on,addr=0x2"),
            ("m-third", "virtio-blk-device"),
            ("p-slot3", "virtio-blk-pci,addr=0x3"),
        ]
        expected = ["p-slot2", "p-slot3", "p-slot5", "p-bus1", "m-first", "m-second", "m-third"]
        args = ["-device", "pcie-root-port,id=rp1,chassis=1,addr=0x8"]
        imgs = {}
        for i, (serial, dev) in enumerate(disks):
            imgs[serial] = make_image(os.path.join(d, serial + ".img"), MIB)
            args += ["-drive", f"if=none,format=raw,file={imgs[serial]},id=hd{i}",
                     "-device", f"{dev},drive=hd{i},serial={serial}"]
        g = self.boot(args, transports=["pci-legacy", "pci-modern", "mmio-v1"])

        info = g.cmd("blk info")
        got = [(m[1], m[3]) for m in INFO_RE.finditer(info)]
        self.assertEqual(got, [(f"blk{i}", s) for i, s in enumerate(expected)], info)
        # The boot log names them in the same order, once each.
        probed = re.findall(r"^(blk\d+): \d+ sectors .* serial (\S+)$", g.log, re.M)
        self.assertEqual(probed, got, g.log)
        # lsdev lists them in naming order; MMIO from the highest address down.
        rows = parse_lsdev(g.cmd("lsdev"))
        self.assertEqual([r["name"] for r in rows], [f"blk{i}" for i in range(7)])
        self.assertEqual([r["location"] for r in rows[4:]],
                         ["mmio@0x10008000", "mmio@0x10007000", "mmio@0x10006000"])
        self.assertEqual([r["location"].split()[0] for r in rows[:4]],
                         ["00:02.0", "00:03.0", "00:05.0", "01:00.0"])

        # Each name reaches its own disk.
        for i, serial in enumerate(expected):
            common.check_ok(self, g, f"dd -d blk{i} write 9 name blk{i}", "wrote")
        self.assertEqual(g.poweroff(), 0)
        for i, serial in enumerate(expected):
            self.assertEqual(common.read_at(imgs[serial], 9 * 512, 16),
                             f"name blk{i}".encode().ljust(16, b"\0"), serial)


if __name__ == "__main__":
    unittest.main()
