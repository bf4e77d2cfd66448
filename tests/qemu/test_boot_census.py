"""The boot summary line counts what was really added to the device list.

  * a small machine: a disk and a virtio-balloon device (no Rumpk driver) ->
    "virtio: 2 devices added: 1 ready, 1 no driver, 0 failed";
  * a crowded one, 38 virtio devices (30 PCI, 8 virtio-mmio) for a list of 32: the line says
    32 added and 6 not added, and its numbers match lsdev row by row.
"""
import os
import re
import unittest

from harness import QemuTestCase, make_image
from test_transports import parse_lsdev

MIB = 1 << 20
SUMMARY_RE = re.compile(r"^virtio: (\d+) devices? added: (\d+) ready, (\d+) no driver, "
                        r"(\d+) failed(?:; (\d+) not added \(the device list holds (\d+)\))?$",
                        re.M)


class BootCensusTest(QemuTestCase):
    def disk(self, ident, device):
        img = make_image(os.path.join(self.tmpdir(), ident + ".img"), MIB)
        return ["-drive", f"if=none,format=raw,file={img},id={ident}",
                "-device", f"{device},drive={ident}"]

    def summary(self, g):
        lines = SUMMARY_RE.findall(g.log)
        self.assertEqual(len(lines), 1, g.log)
        added, ready, no_driver, failed, refused, cap = lines[0]
        rows = parse_lsdev(g.cmd("lsdev"))
        states = [r["state"] for r in rows]
        self.assertEqual(int(added), len(rows))
        self.assertEqual(int(ready), states.count("READY"))
        self.assertEqual(int(no_driver), states.count("NO_DRIVER"))
        self.assertEqual(int(failed), len(rows) - int(ready) - int(no_driver))
        return int(added), int(ready), int(no_driver), int(failed), int(refused or 0), cap

    def test_small_machine(self):
        g = self.boot(self.disk("hd0", "virtio-blk-pci,disable-legacy=on")
                      + ["-device", "virtio-balloon-pci"], transports=["pci-modern"])
        self.assertEqual(self.summary(g), (2, 1, 1, 0, 0, ""))
        self.assertIn("virtio: 2 devices added: 1 ready, 1 no driver, 0 failed\n", g.log)
        self.assertEqual(g.poweroff(), 0)

    def test_more_devices_than_the_list_holds(self):
        args = self.disk("hd0", "virtio-blk-pci,disable-legacy=on")
        args += self.disk("hd1", "virtio-blk-device")
        args += ["-device", "virtio-rng-pci"] * 29 + ["-device", "virtio-rng-device"] * 7
        g = self.boot(args, transports=["pci-modern", "mmio-v1"], boot_timeout=60)
        added, ready, no_driver, failed, refused, cap = self.summary(g)
        self.assertEqual((added, refused, cap), (32, 6, "32"))
        self.assertEqual(ready + no_driver + failed, 32)
        self.assertEqual(len(re.findall(r"not added: device list full", g.log)), 6)
        self.assertEqual(g.poweroff(), 0)


if __name__ == "__main__":
    unittest.main()
