"""The kernel's entropy pool without any entropy device: the boot log says the pool runs on the
fallback (timer jitter and the time CSR), and what draws from it (DHCP transaction ids, UDP
source ports) still works. The virtio-rng seeding is tested by test_rng.py."""
import unittest

from harness import QemuTestCase


class EntropyFallbackTest(QemuTestCase):
    def test_fallback_named_once(self):
        g = self.boot()
        lines = [l for l in g.log.splitlines() if l.startswith("entropy:")]
        self.assertEqual(lines, ["entropy: no entropy device; the pool is seeded from timer "
                                 "jitter and the time CSR only (weak)"])
        self.assertEqual(g.poweroff(), 0)


if __name__ == "__main__":
    unittest.main()
