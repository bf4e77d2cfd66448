"""virtio-net on every transport against QEMU's user network (slirp): DHCP and ping.

For each transport (pci-legacy, pci-modern, pci-transitional, mmio-v1, mmio-v2) the guest boots
with one virtio-net device on `-netdev user`, and we check: lsdev shows it READY with the
features the transport allows, `dhcp` gets slirp's 10.0.2.15/24 with router 10.0.2.2, `ping
10.0.2.2` gets every reply with a time, the ARP cache holds the gateway, and `net` counts the
frames with no receive errors or malformed packets. Also: the legacy 10-byte header (no
MRG_RXBUF), and ping running DHCP by itself when no address is set.
"""
import re
import unittest

from harness import QemuTestCase, net_args
from qemu_cmd import device_args

DHCP_RE = re.compile(r"dhcp: (net\d) bound (\d+\.\d+\.\d+\.\d+)/(\d+) gateway (\S+) server (\S+)")
REPLY_RE = re.compile(r"^64 bytes from 10\.0\.2\.2: seq=(\d+) time=(\d+)\.(\d{3}) ms$", re.M)
SUMMARY_RE = re.compile(r"--- 10\.0\.2\.2: (\d+) sent, (\d+) received, (\d+)% loss")
RX_RE = re.compile(r"rx (\d+) frames (\d+) bytes, (\d+) errors, (\d+) dropped")
TX_RE = re.compile(r"tx (\d+) frames (\d+) bytes, (\d+) errors")
MALFORMED_RE = re.compile(r"malformed dropped (\d+)")
HDR_RE = re.compile(r"virtio (net\d) (\S+) .*header (\d+), (\d+) rx buffers \((\d+) posted\)")


class NetTransportTest(QemuTestCase):
    def check_net(self, g, transport_name, hdr_len):
        out = g.cmd("net")
        rx, tx = RX_RE.search(out), TX_RE.search(out)
        self.assertIsNotNone(rx, out)
        self.assertIsNotNone(tx, out)
        self.assertGreaterEqual(int(rx[1]), 6, out)  # OFFER, ACK, ARP reply, echo replies
        self.assertGreaterEqual(int(tx[1]), 6, out)
        self.assertEqual(rx[3], "0", out)  # no receive errors
        self.assertEqual(tx[3], "0", out)
        self.assertEqual(MALFORMED_RE.search(out)[1], "0", out)
        self.assertIn("link up", out)
        self.assertIn("inet 10.0.2.15/24", out)
        hdr = HDR_RE.search(out)
        self.assertIsNotNone(hdr, out)
        self.assertEqual(hdr[2], transport_name, out)
        self.assertEqual(int(hdr[3]), hdr_len, out)
        self.assertEqual(hdr[4], hdr[5], "every receive buffer posted again\n" + out)

    def dhcp_and_ping(self, g, count=5):
        out = g.cmd("dhcp", timeout=15)
        m = DHCP_RE.search(out)
        self.assertIsNotNone(m, out)
        self.assertEqual(m[2], "10.0.2.15", out)
        self.assertEqual(m[3], "24", out)
        self.assertEqual(m[4], "10.0.2.2", out)
        out = g.cmd(f"ping 10.0.2.2 {count}", timeout=15)
        replies = REPLY_RE.findall(out)
        self.assertEqual([int(r[0]) for r in replies], list(range(count)), out)
        s = SUMMARY_RE.search(out)
        self.assertEqual((s[1], s[2], s[3]), (str(count), str(count), "0"), out)
        out = g.cmd("arp")
        self.assertRegex(out, r"10\.0\.2\.2\s+([0-9a-f]{2}:){5}[0-9a-f]{2}\s+net0\s+resolved")

    def run_transport(self, transport, modern, transport_name):
        g = self.boot(net_args(transport), transports=[transport])
        out = g.cmd("lsdev")
        line = next((l for l in out.splitlines() if l.startswith("net0 ")), None)
        self.assertIsNotNone(line, out)
        self.assertIn("READY", line)
        self.assertIn(transport_name, line)
        self.assertIn("NET_F_MAC", line)
        self.assertEqual("VERSION_1" in line, modern, line)
        self.assertNotIn("NET_F_CSUM", line)  # no offloads asked for
        self.assertNotIn("poll", line.split())  # interrupt-driven
        self.dhcp_and_ping(g)
        self.check_net(g, transport_name, 12)
        self.assertEqual(g.poweroff(), 0)

    def test_pci_legacy(self):
        self.run_transport("pci-legacy", False, "pci-legacy")

    def test_pci_modern(self):
        self.run_transport("pci-modern", True, "pci-modern")

    def test_pci_transitional(self):
        self.run_transport("pci-transitional", True, "pci-modern")

    def test_mmio_v1(self):
        self.run_transport("mmio-v1", False, "mmio-v1")

    def test_mmio_v2(self):
        self.run_transport("mmio-v2", True, "mmio-v2")

    def test_legacy_header_without_mrg_rxbuf(self):
        """Legacy device without MRG_RXBUF: the 10-byte header."""
        args = ["-netdev", "user,id=n0"] + device_args("net", "pci-legacy", "n0", ",mrg_rxbuf=off")
        g = self.boot(args, transports=["pci-legacy"])
        self.assertNotIn("MRG_RXBUF", g.cmd("lsdev"))
        self.dhcp_and_ping(g, count=3)
        self.check_net(g, "pci-legacy", 10)
        self.assertEqual(g.poweroff(), 0)

    def test_modern_without_mrg_rxbuf(self):
        """VERSION_1 without MRG_RXBUF: 12-byte header whose num_buffers QEMU leaves unset."""
        args = ["-netdev", "user,id=n0"] + device_args("net", "pci-modern", "n0",
                                                       ",mrg_rxbuf=off")
        g = self.boot(args, transports=["pci-modern"])
        self.assertNotIn("MRG_RXBUF", g.cmd("lsdev"))
        self.dhcp_and_ping(g, count=3)
        self.check_net(g, "pci-modern", 12)
        self.assertEqual(g.poweroff(), 0)

    def test_ping_runs_dhcp_first(self):
        g = self.boot(net_args("mmio-v2"), transports=["mmio-v2"])
        self.assertIn("no address", g.cmd("net"))
        out = g.cmd("ping 10.0.2.2 2", timeout=15)
        self.assertIn("ping: net0: dhcp gave 10.0.2.15", out)
        self.assertEqual(len(REPLY_RE.findall(out)), 2, out)
        # Nobody answers at 10.0.2.99: timeouts, not a hang, and the shell still works.
        out = g.cmd("ping 10.0.2.99 1", timeout=15)
        self.assertIn("seq=0 timeout", out)
        self.assertIn("1 sent, 0 received, 100% loss", out)
        self.assertIn("usage", g.cmd("ping 10.0.2"))
        self.assertEqual(g.poweroff(), 0)


if __name__ == "__main__":
    unittest.main()
