"""Whole machines on real QEMU: the seed's legacy blk + net pair, a crowded machine mixing every
transport with a device behind a PCIe root port, and a topology with nested bridges, a
multi-function slot and a device whose BAR cannot fit anywhere.

Checked from lspci / lsdev / the boot log: every BAR assigned, naturally aligned, distinct and
inside every window of the bridges above it; each function's INTx line is QEMU virt's
interrupt-map after swizzling at each bridge; every virtio device READY with the capacity of
its own disk; the unplaceable device reported in one line and left disabled.
"""
import os
import unittest

from harness import QemuTestCase, disk_args, make_image, net_args
from test_transports import by_location, capacities, parse_lsdev, parse_lspci

MIB = 1 << 20


def parse_windows(text):
    """'io 0x1000+0x1000 mem closed pref ...' -> {'io': (base, size) or None, ...}"""
    words = text.split()
    out = {}
    for i in range(0, len(words) - 1, 2):
        if words[i + 1] == "closed":
            out[words[i]] = None
        else:
            base, size = words[i + 1].split("+")
            out[words[i]] = (int(base, 16), int(size, 16))
    return out


class MachineCase(QemuTestCase):
    def image(self, size_mib):
        return make_image(os.path.join(self.tmpdir(), f"d{size_mib}.img"), size_mib * MIB)

    def blk(self, size_mib, ident, flags):
        return ["-drive", f"if=none,format=raw,file={self.image(size_mib)},id={ident}",
                "-device", f"virtio-blk-pci,drive={ident}{flags}"]

    def check_bars(self, funcs):
        """Every BAR of every enabled function assigned, aligned, non-overlapping, and inside
        the windows of all bridges above it."""
        bridges = {f["bridge"][0]: f for f in funcs if f["bridge"]}
        windows = {f["bdf"]: parse_windows(f["windows"]) for f in funcs if f["bridge"]}
        placed = []
        for f in funcs:
            if not f["enabled"]:
                continue
            for b in f["bars"]:
                self.assertTrue(b["assigned"], f)
                self.assertEqual(b["bus"] % b["size"], 0, f)
                if b["kind"] == "io":
                    self.assertGreaterEqual(b["bus"], 0x1000, f)
                    self.assertEqual(b["cpu"], 0x3000000 + b["bus"], f)
                space = "io" if b["kind"] == "io" else "mem"
                placed.append((space, b["bus"], b["size"], f["bdf"], b["index"]))
                bus = f["bus"]
                while bus != 0:
                    br = bridges[bus]
                    w = windows[br["bdf"]]
                    cands = [w["io"]] if space == "io" else [w["mem"], w["pref"]]
                    self.assertTrue(any(c and c[0] <= b["bus"] and
                                        b["bus"] + b["size"] <= c[0] + c[1] for c in cands),
                                    (f["bdf"], b, br["bdf"], w))
                    bus = br["bus"]
        placed.sort()
        for a, b in zip(placed, placed[1:]):
            if a[0] == b[0]:
                self.assertLessEqual(a[1] + a[2], b[1], (a, b))
        return placed

    def check_irqs(self, funcs):
        """QEMU virt: PLIC 32 + (slot + pin - 1) % 4 on the root bus; a bridge swizzles
        pin -> (pin - 1 + device) % 4 + 1 for what sits behind it."""
        bridges = {f["bridge"][0]: f for f in funcs if f["bridge"]}
        for f in funcs:
            if not f["pin"]:
                continue
            pin, cur = f["pin"], f
            while cur["bus"] != 0:
                pin = (pin - 1 + cur["dev"]) % 4 + 1
                cur = bridges[cur["bus"]]
            self.assertEqual(f["irq"], 32 + (cur["dev"] + pin - 1) % 4, f)

    def check_devices(self, g, expect):
        """expect: location -> (transport, capacity MiB or None for net)."""
        rows = by_location(parse_lsdev(g.cmd("lsdev")))
        caps = capacities(g.log)
        self.assertEqual(set(rows), set(expect), rows)
        for loc, (transport, mib) in expect.items():
            r = rows[loc]
            self.assertEqual((r["transport"], r["state"]), (transport, "READY"), r)
            if mib is not None:
                self.assertEqual(caps[r["name"]], mib * 2048, r)
                self.assertGreaterEqual(r["ints"], 1, r)
        return rows

    def test_seed_pair_distinct_io(self):
        img = self.image(21)
        g = self.boot(disk_args(img, "pci-legacy") + net_args("pci-legacy"),
                      transports=["pci-legacy"], name="seed")
        funcs = parse_lspci(g.cmd("lspci"))
        placed = self.check_bars(funcs)
        io = [p for p in placed if p[0] == "io"]
        self.assertEqual(len(io), 2, placed)
        self.check_irqs(funcs)
        rows = parse_lsdev(g.cmd("lsdev"))
        self.assertEqual(sorted((r["type"], r["transport"], r["state"]) for r in rows),
                         [("block", "pci-legacy", "READY"), ("net", "pci-legacy", "READY")])
        self.assertEqual(list(capacities(g.log).values()), [21 * 2048])
        self.assertEqual(g.poweroff(), 0)

    def test_crowded_machine(self):
        args = (self.blk(11, "b1", ",addr=1.0,disable-modern=on")
                + self.blk(12, "b2", ",addr=2.0,disable-legacy=on")
                + self.blk(13, "b3", ",addr=3.0")
                + ["-netdev", "user,id=n1", "-device",
                   "virtio-net-pci,netdev=n1,addr=4.0,disable-modern=on"]
                + ["-netdev", "user,id=n2", "-device", "virtio-net-pci,netdev=n2,addr=5.0"]
                + ["-device", "pcie-root-port,id=rp0,bus=pcie.0,chassis=1,addr=6.0"]
                + self.blk(14, "b4", ",bus=rp0")
                + ["-drive", f"if=none,format=raw,file={self.image(15)},id=b5",
                   "-device", "virtio-blk-device,drive=b5"]
                + ["-netdev", "user,id=n3", "-device", "virtio-net-device,netdev=n3"])
        g = self.boot(args, name="crowded")
        funcs = parse_lspci(g.cmd("lspci"))
        self.check_bars(funcs)
        self.check_irqs(funcs)
        virtio = [f for f in funcs if f["vendor"] == "1af4"]
        self.assertEqual(len(virtio), 6)
        self.assertTrue(all(f["enabled"] and f["claimed"] for f in virtio), virtio)
        # QEMU picks the MMIO slots; lsdev says which. One block and one net device there.
        mmio = {r["location"]: r for r in parse_lsdev(g.cmd("lsdev"))
                if r["transport"].startswith("mmio")}
        self.assertEqual(sorted(r["type"] for r in mmio.values()), ["block", "net"])
        mmio_blk = [loc for loc, r in mmio.items() if r["type"] == "block"][0]
        mmio_net = [loc for loc, r in mmio.items() if r["type"] == "net"][0]
        self.check_devices(g, {
            "00:01.0 1af4:1001": ("pci-legacy", 11),
            "00:02.0 1af4:1042": ("pci-modern", 12),
            "00:03.0 1af4:1001": ("pci-modern", 13),
            "00:04.0 1af4:1000": ("pci-legacy", None),
            "00:05.0 1af4:1000": ("pci-modern", None),
            "01:00.0 1af4:1042": ("pci-modern", 14),
            mmio_blk: ("mmio-v1", 15),
            mmio_net: ("mmio-v1", None),
        })
        self.assertEqual(g.poweroff(), 0)

    def test_bridges_multifunction_and_unplaceable_bar(self):
        args = (["-device", "pci-testdev,membar=32G,addr=1.0"]
                + ["-device", "pci-bridge,id=br1,chassis_nr=1,addr=2.0"]
                + self.blk(31, "b1", ",bus=br1,addr=3.0")
                + ["-device", "pcie-root-port,id=rp0,bus=pcie.0,chassis=2,addr=3.0",
                   "-device", "pci-bridge,id=br2,bus=rp0,chassis_nr=3"]
                + self.blk(32, "b2", ",bus=br2,addr=2.0")
                + self.blk(33, "b3", ",addr=5.0,multifunction=on,disable-modern=on")
                + ["-netdev", "user,id=n1", "-device", "virtio-net-pci,netdev=n1,addr=5.1"]
                + ["-drive", f"if=none,format=raw,file={self.image(34)},id=b4",
                   "-device", "virtio-blk-device,drive=b4"])
        g = self.boot(args, transports=["mmio-v2"], name="topology")
        funcs = parse_lspci(g.cmd("lspci"))
        by_bdf = {f["bdf"]: f for f in funcs}
        # The 32 GiB BAR fits in no window: one line, the device disabled, the rest go on.
        test_dev = by_bdf["00:01.0"]
        self.assertFalse(test_dev["enabled"])
        self.assertFalse(any(b["assigned"] for b in test_dev["bars"]))
        self.assertIn("pci 00:01.0 1b36:0005: BAR2 (mem64, size 0x800000000) does not fit; "
                      "device left disabled", g.log)
        self.assertEqual(g.log.count("does not fit"), 1)
        # Depth-first bus numbers: br1 -> 1, root port -> 2..3, its pci-bridge -> 3.
        self.assertEqual(by_bdf["00:02.0"]["bridge"], (1, 1))
        self.assertEqual(by_bdf["00:03.0"]["bridge"], (2, 3))
        self.assertEqual(by_bdf["02:00.0"]["bridge"], (3, 3))
        self.check_bars(funcs)
        self.check_irqs(funcs)
        mmio = [r["location"] for r in parse_lsdev(g.cmd("lsdev"))
                if r["transport"].startswith("mmio")]
        self.assertEqual(len(mmio), 1)
        self.check_devices(g, {
            "01:03.0 1af4:1001": ("pci-modern", 31),
            "03:02.0 1af4:1001": ("pci-modern", 32),
            "00:05.0 1af4:1001": ("pci-legacy", 33),
            "00:05.1 1af4:1000": ("pci-modern", None),
            mmio[0]: ("mmio-v2", 34),
        })
        self.assertEqual(g.poweroff(), 0)


if __name__ == "__main__":
    unittest.main()
