"""The short soak (tools/soak.py, `./rumpk soak --minutes N` for a long one): 15 seconds of raw
block I/O and NexFS work from two user fibers at once, pings from the shell meanwhile, every
byte checked, and free pages, fibers, capabilities, pinned pages and commands in flight back at
their start counts at the end."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))

import soak  # noqa: E402
from harness import QemuTestCase  # noqa: E402


class Soak(QemuTestCase):
    def test_short_soak(self):
        figures = soak.soak(15, "pci-modern", self.tmpdir())
        self.assertGreater(figures["blk_bytes_checked"], 0)
        self.assertGreater(figures["fs_files"], 0)
        self.assertGreater(figures["pings"], 0)


if __name__ == "__main__":
    unittest.main()
