"""virtio-rng (devices/rng) on QEMU: with virtio-rng-pci (modern and legacy) and with
virtio-rng-device (MMIO v2), the boot log names virtio-rng as what seeded the entropy pool,
`random 64` prints 64 bytes in hex that differ between two calls, and bad arguments are refused
in one line. Without the device the pool's fallback is named instead (test_entropy.py)."""
import re
import unittest

from harness import QemuTestCase

DEVICES = {
    "pci-modern": "virtio-rng-pci,disable-legacy=on",
    "pci-legacy": "virtio-rng-pci,disable-modern=on",
    "mmio-v2": "virtio-rng-device",
}


def hex_bytes(out):
    lines = [l for l in out.strip().splitlines() if l]
    for l in lines:
        if not re.fullmatch(r"(?:[0-9a-f]{2}){1,32}", l):
            raise AssertionError(f"not a hex line: {l!r} in {out!r}")
    return bytes.fromhex("".join(lines))


class RngTest(QemuTestCase):
    def test_random_on_each_transport(self):
        for transport, device in DEVICES.items():
            with self.subTest(transport=transport):
                g = self.boot(["-device", device], transports=[transport])
                self.assertIn("rng0: virtio-rng seeded the entropy pool with 64 bytes", g.log)
                self.assertIn("entropy: pool seeded by virtio-rng (64 bytes)", g.log)
                self.assertNotIn("no entropy device", g.log)
                self.assertRegex(g.cmd("lsdev"), rf"(?m)^rng0\s+entropy\s+{transport}\s.*READY")
                a = hex_bytes(g.cmd("random 64"))
                b = hex_bytes(g.cmd("random 64"))
                self.assertEqual(len(a), 64)
                self.assertEqual(len(b), 64)
                self.assertNotEqual(a, b)
                self.assertEqual(len(hex_bytes(g.cmd("random"))), 32)
                self.assertEqual(len(hex_bytes(g.cmd("random 4096"))), 4096)
                self.assertEqual(g.poweroff(), 0)

    def test_bad_arguments(self):
        g = self.boot(["-device", DEVICES["mmio-v2"]], transports=["mmio-v2"])
        usage = "random: usage: random [bytes]  (bytes: 1..4096)"
        for line in ("random 0", "random 4097", "random x", "random 1 2", "random -1"):
            self.assertEqual(g.cmd(line).strip(), usage, line)
        self.assertRegex(g.cmd("help"), r"(?m)^  random\b")
        self.assertEqual(g.poweroff(), 0)

    def test_user_fibers_draw_from_the_pool(self):
        # SYS_GETRANDOM (user/programs/getrandom.c), with and without a virtio-rng seeding it.
        for args in (["-device", DEVICES["pci-modern"]], []):
            with self.subTest(device=bool(args)):
                g = self.boot(args, transports=["pci-modern"] if args else [])
                draws = []
                for _ in range(2):
                    out = g.cmd("run getrandom 32")
                    m = re.search(r"getrandom 32:((?: [0-9a-f]{2}){32})\n", out)
                    self.assertIsNotNone(m, out)
                    draws.append(m[1])
                    self.assertIn("getrandom bad: -14 -22 0", out)
                self.assertNotEqual(draws[0], draws[1])
                self.assertEqual(g.poweroff(), 0)

    def test_without_device(self):
        g = self.boot()
        self.assertEqual(g.cmd("random 8").strip(), "random: no virtio-rng device")
        self.assertEqual(g.poweroff(), 0)


if __name__ == "__main__":
    unittest.main()
