"""Each virtio transport alone brings a virtio-blk device to DRIVER_OK on real QEMU.

For every transport (pci-legacy, pci-modern, transitional PCI both ways, mmio-v1, mmio-v2) the
guest boots with one disk of a size no other test uses, and we check: lsdev shows the device
READY on the expected transport and location with a real interrupt line that delivered the
probe's request, the capacity the blk plugin read from config space matches the image, the
negotiated features match the transport (VERSION_1 only on modern ones), and for PCI, lspci
shows the function claimed with its BARs assigned.

The parsers here (parse_lsdev, parse_lspci, capacities) are also used by test_pci_machines.py.
"""
import os
import re
import unittest

from harness import QemuTestCase, disk_args, make_image

LSDEV_HEADER = "NAME"
FUNC_RE = re.compile(r"^([0-9a-f]{2}):([0-9a-f]{2})\.([0-7]) ([0-9a-f]{4}):([0-9a-f]{4}) "
                     r"class ([0-9a-f]{6})(?: pin ([A-D]) irq (\d+))? (enabled|disabled)"
                     r"( claimed)?$")
BAR_RE = re.compile(r"^\s+BAR(\d) (io|mem32|mem64)\s+(?:(0x[0-9a-f]+) size (0x[0-9a-f]+) "
                    r"bus (0x[0-9a-f]+)( pref)?|unassigned size (0x[0-9a-f]+))$")
BRIDGE_RE = re.compile(r"^\s+bridge buses ([0-9a-f]{2})-([0-9a-f]{2}) (.*)$")
CAPACITY_RE = re.compile(r"^(blk\d+): (\d+) sectors", re.M)


def parse_lsdev(text):
    """lsdev output -> list of dicts (name, type, transport, location, irq, ints, state,
    features). A PCI location is two words ("00:01.0 1af4:1001"), an MMIO one is one."""
    rows = []
    for line in text.splitlines():
        words = line.split()
        if not words or words[0] == LSDEV_HEADER or words[0] == "no":
            continue
        if words[3].startswith("mmio@"):
            loc, rest = words[3], words[4:]
        else:
            loc, rest = words[3] + " " + words[4], words[5:]
        rows.append({"name": words[0], "type": words[1], "transport": words[2],
                     "location": loc, "irq": rest[0], "ints": int(rest[1]),
                     "state": rest[2], "features": rest[3:]})
    return rows


def parse_lspci(text):
    """lspci output -> list of functions: dicts with bdf, vendor, device, irq (int or None),
    enabled, claimed, bars (list of dicts: index, kind, cpu, size, bus, pref, assigned) and
    for bridges "bridge" (secondary, subordinate) and "windows" (the rest of that line)."""
    funcs = []
    for line in text.splitlines():
        m = FUNC_RE.match(line)
        if m:
            funcs.append({"bdf": f"{m[1]}:{m[2]}.{m[3]}", "bus": int(m[1], 16),
                          "dev": int(m[2], 16), "fn": int(m[3]), "vendor": m[4],
                          "device": m[5], "class": m[6],
                          "pin": "ABCD".index(m[7]) + 1 if m[7] else 0,
                          "irq": int(m[8]) if m[8] else None, "enabled": m[9] == "enabled",
                          "claimed": bool(m[10]), "bars": [], "bridge": None})
            continue
        m = BAR_RE.match(line)
        if m and funcs:
            if m[3]:
                bar = {"index": int(m[1]), "kind": m[2], "cpu": int(m[3], 16),
                       "size": int(m[4], 16), "bus": int(m[5], 16), "pref": bool(m[6]),
                       "assigned": True}
            else:
                bar = {"index": int(m[1]), "kind": m[2], "size": int(m[7], 16),
                       "assigned": False}
            funcs[-1]["bars"].append(bar)
            continue
        m = BRIDGE_RE.match(line)
        if m and funcs:
            funcs[-1]["bridge"] = (int(m[1], 16), int(m[2], 16))
            funcs[-1]["windows"] = m[3]
    return funcs


def capacities(log):
    """blk name -> sectors, from the blk plugin's probe line in the boot log."""
    return {name: int(sectors) for name, sectors in CAPACITY_RE.findall(log)}


def by_location(rows):
    return {r["location"]: r for r in rows}


class TransportCase(QemuTestCase):
    def boot_one(self, transport, size_mib, append=None):
        img = make_image(os.path.join(self.tmpdir(), "disk.img"), size_mib << 20)
        g = self.boot(disk_args(img, transport), transports=[transport], append=append,
                      name=transport)
        rows = parse_lsdev(g.cmd("lsdev"))
        blks = [r for r in rows if r["type"] == "block"]
        self.assertEqual(len(blks), 1, rows)
        return g, blks[0]

    def check_ready(self, g, row, transport, size_mib, modern):
        self.assertEqual(row["transport"], transport)
        self.assertEqual(row["state"], "READY")
        # A real line, and the probe's request completed through it.
        self.assertRegex(row["irq"], r"^\d+$")
        self.assertGreaterEqual(row["ints"], 1)
        self.assertEqual(capacities(g.log).get(row["name"]), size_mib << 11)
        self.assertEqual("VERSION_1" in row["features"], modern)

    def check_pci(self, g, row, device_id):
        bdf, ids = row["location"].split()
        self.assertEqual(ids, "1af4:" + device_id)
        funcs = {f["bdf"]: f for f in parse_lspci(g.cmd("lspci"))}
        f = funcs[bdf]
        self.assertTrue(f["enabled"] and f["claimed"], f)
        self.assertEqual(f["irq"], int(row["irq"]))
        self.assertTrue(f["bars"] and all(b["assigned"] for b in f["bars"]), f)
        # pci 00:01.0 1af4:1001: BAR0 io at 0x3001000 ... : one boot-log line per BAR.
        for b in f["bars"]:
            self.assertIn(f"pci {bdf} 1af4:{device_id}: BAR{b['index']} {b['kind']}", g.log)
        return f

    def test_pci_legacy(self):
        g, row = self.boot_one("pci-legacy", 3)
        self.check_ready(g, row, "pci-legacy", 3, modern=False)
        f = self.check_pci(g, row, "1001")
        self.assertEqual(f["bars"][0]["kind"], "io")
        self.assertGreaterEqual(f["bars"][0]["bus"], 0x1000)
        self.assertEqual(g.poweroff(), 0)

    def test_pci_modern(self):
        g, row = self.boot_one("pci-modern", 5)
        self.check_ready(g, row, "pci-modern", 5, modern=True)
        f = self.check_pci(g, row, "1042")
        self.assertNotIn("io", [b["kind"] for b in f["bars"]])
        self.assertEqual(g.poweroff(), 0)

    def test_pci_transitional_goes_modern(self):
        g, row = self.boot_one("pci-transitional", 6)
        self.check_ready(g, row, "pci-modern", 6, modern=True)
        self.check_pci(g, row, "1001")
        self.assertEqual(g.poweroff(), 0)

    def test_pci_transitional_with_legacy_cmdline(self):
        g, row = self.boot_one("pci-transitional", 7, append="virtio.pci=legacy")
        self.check_ready(g, row, "pci-legacy", 7, modern=False)
        self.check_pci(g, row, "1001")
        self.assertEqual(g.poweroff(), 0)

    def test_mmio_v1(self):
        g, row = self.boot_one("mmio-v1", 9)
        self.check_ready(g, row, "mmio-v1", 9, modern=False)
        self.assertRegex(row["location"], r"^mmio@0x[0-9a-f]+$")
        self.assertEqual(g.poweroff(), 0)

    def test_mmio_v2(self):
        g, row = self.boot_one("mmio-v2", 10)
        self.check_ready(g, row, "mmio-v2", 10, modern=True)
        self.assertRegex(row["location"], r"^mmio@0x[0-9a-f]+$")
        self.assertEqual(g.poweroff(), 0)


if __name__ == "__main__":
    unittest.main()
