"""Small shell behaviours a new user meets: `blk flush` covers every device, ping and dhcp say
what went wrong in words (and ping counts only packets that left), a zero pattern count is
named as such, an unknown `virtio.pci=` value is warned about at boot, the guest answers a ping
to its own address, and Ctrl-C stops a ping with a count between requests.
"""
import os
import re
import time
import unittest

from harness import PROMPT, Qmp, QemuTestCase, disk_args, make_image, net_args, qmp_args

REPLY_RE = re.compile(r"^64 bytes from 10\.0\.2\.15: seq=(\d+) time=\d+\.\d{3} ms$", re.M)


class ShellMessagesTest(QemuTestCase):
    def test_blk_flush_without_a_device_flushes_every_device(self):
        d = self.tmpdir()
        args = []
        for i in range(2):
            img = make_image(os.path.join(d, f"d{i}.img"), 1 << 20)
            args += disk_args(img, "pci-modern", ident=f"hd{i}")
        g = self.boot(args, transports=["pci-modern"])
        out = g.cmd("blk flush").strip().splitlines()
        self.assertEqual(len(out), 2, out)
        self.assertRegex(out[0], r"^blk flush: blk0: (flushed|no write cache)$")
        self.assertRegex(out[1], r"^blk flush: blk1: (flushed|no write cache)$")
        self.assertEqual(len(g.cmd("blk flush blk1").strip().splitlines()), 1)
        self.assertEqual(g.poweroff(), 0)

    def test_blk_pattern_zero_count(self):
        img = make_image(os.path.join(self.tmpdir(), "d.img"), 1 << 20)
        g = self.boot(disk_args(img, "pci-modern"), transports=["pci-modern"])
        self.assertEqual(g.cmd("blk pattern write blk0 0 0 1").strip(),
                         "blk pattern: the sector count must be at least 1")
        self.assertEqual(g.poweroff(), 0)

    def test_unknown_virtio_pci_value_is_warned_about(self):
        g = self.boot(append="virtio.pci=legcy")
        self.assertIn("virtio.pci=legcy: unknown value, ignored (accepted: legacy, modern)\n",
                      g.log)
        self.assertEqual(g.poweroff(), 0)
        g2 = self.boot(append="virtio.pci=legacy", name="known value")
        self.assertNotIn("unknown value", g2.log)
        self.assertEqual(g2.poweroff(), 0)

    def test_ping_errors_in_words(self):
        g = self.boot(net_args("pci-modern"), transports=["pci-modern"])
        self.assertIn("bound 10.0.2.15", g.cmd("dhcp", timeout=15))
        out = g.cmd("ping 255.255.255.255 3", timeout=15).strip()
        self.assertEqual(out, "ping: 255.255.255.255 is not a unicast address")
        self.assertEqual(g.poweroff(), 0)

    def test_ping_own_address(self):
        g = self.boot(net_args("pci-modern"), transports=["pci-modern"])
        self.assertIn("bound 10.0.2.15", g.cmd("dhcp", timeout=15))
        out = g.cmd("ping 10.0.2.15 3", timeout=15)
        self.assertEqual([int(s) for s in REPLY_RE.findall(out)], [0, 1, 2], out)
        self.assertIn("--- 10.0.2.15: 3 sent, 3 received, 0% loss", out)
        self.assertEqual(g.poweroff(), 0)

    def test_dhcp_link_down_in_words(self):
        qmp_path = os.path.join(self.tmpdir(), "qmp.sock")
        g = self.boot(net_args("pci-modern") + qmp_args(qmp_path),
                      transports=["pci-modern"])
        qmp = Qmp(qmp_path)
        self.addCleanup(qmp.close)
        qmp.execute("set_link", name="n0", up=False)
        self.assertEqual(g.cmd("dhcp").strip(), "dhcp: net0: link down")
        qmp.execute("set_link", name="n0", up=True)
        self.assertIn("bound 10.0.2.15", g.cmd("dhcp", timeout=15))
        self.assertEqual(g.poweroff(), 0)

    def test_ctrl_c_stops_ping_with_a_count(self):
        g = self.boot(net_args("pci-modern"), transports=["pci-modern"])
        self.assertIn("bound 10.0.2.15", g.cmd("dhcp", timeout=15))
        g.send("ping 10.0.2.99 30\r")  # nobody answers: 30 one-second timeouts
        g.wait_for("ping 10.0.2.99 30\r\n")
        time.sleep(1)
        t0 = time.monotonic()
        g.send("\x03")
        out = g.wait_for(PROMPT, 5)
        self.assertLess(time.monotonic() - t0, 5)
        self.assertRegex(out, r"--- 10\.0\.2\.99: [1-3] sent, 0 received, 100% loss")
        self.assertEqual(g.poweroff(), 0)


if __name__ == "__main__":
    unittest.main()
