"""UDP through QEMU's user network, both ways, checked byte for byte on the host.

Echo: on every transport, the host program tools/udp_echo_client.py sends 1,000 datagrams of
sizes 1..1,400 (shuffled, pseudo-random content) through hostfwd=udp:127.0.0.1:PORT-:PORT to the
guest's `udpecho PORT 1000`, one at a time, and every echo must come back identical with no
retransmission; the guest must report exactly 1,000 echoed. Guest to host: `netbench tx` sends
numbered datagrams to 10.0.2.2:PORT (slirp delivers them to 127.0.0.1:PORT) and the host checks
their count, sizes and contents. Ctrl-C ends an open-ended udpecho. Loopback addresses only.
"""
import json
import os
import re
import socket
import subprocess
import sys
import threading
import unittest

from harness import PROMPT, QemuTestCase, free_udp_port, net_args

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLIENT = os.path.join(ROOT, "tools", "udp_echo_client.py")



class NetUdpTest(QemuTestCase):
    def boot_fwd(self, transport, port):
        g = self.boot(net_args(transport, hostfwd=[f"udp:127.0.0.1:{port}-:{port}"]),
                      transports=[transport])
        self.assertIn("bound 10.0.2.15/24", g.cmd("dhcp", timeout=15))
        return g

    def echo_1000(self, transport):
        port = free_udp_port()
        g = self.boot_fwd(transport, port)
        g.send(f"udpecho {port} 1000\r")
        g.wait_for(f"udpecho: listening on 10.0.2.15:{port}", 10)
        r = subprocess.run([sys.executable, CLIENT, "--port", str(port), "--count", "1000",
                            "--min", "1", "--max", "1400", "--retries", "0"],
                           capture_output=True, text=True, timeout=60)
        out = g.wait_for(PROMPT, 20)
        stats = json.loads(r.stdout.strip().splitlines()[-1])
        self.assertEqual(r.returncode, 0, f"{r.stdout}{r.stderr}")
        self.assertEqual(stats["sent"], 1000, stats)
        self.assertEqual(stats["echoed"], 1000, stats)
        self.assertEqual(stats["mismatched"], 0, stats)
        self.assertEqual(stats["retransmits"], 0, stats)
        # Sizes 1..1400 shuffled: the total is exactly what the plan says.
        self.assertEqual(stats["bytes"], sum(1 + 1399 * i // 999 for i in range(1000)), stats)
        self.assertIn("udpecho: echoed 1000 datagrams", out)
        self.assertIn(f"({stats['bytes']} bytes), 0 failed", out)
        net = g.cmd("net")
        self.assertRegex(net, r"rx \d+ frames \d+ bytes, 0 errors, 0 dropped")
        self.assertIn("malformed dropped 0", net)
        self.assertEqual(g.poweroff(), 0)

    def test_echo_pci_legacy(self):
        self.echo_1000("pci-legacy")

    def test_echo_pci_modern(self):
        self.echo_1000("pci-modern")

    def test_echo_pci_transitional(self):
        self.echo_1000("pci-transitional")

    def test_echo_mmio_v1(self):
        self.echo_1000("mmio-v1")

    def test_echo_mmio_v2(self):
        self.echo_1000("mmio-v2")

    def test_guest_to_host(self):
        size = 1000
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.addCleanup(sock.close)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        sock.bind(("127.0.0.1", 0))
        # Never more than the host socket can hold even if this thread stalls (net.core.rmem_max
        # may be small): a loss must mean the guest or slirp lost it, not our receive buffer.
        rcvbuf = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
        count = max(100, min(3000, rcvbuf // (size + 1024) * 4 // 5))
        port = sock.getsockname()[1]
        got = []

        def receive():
            sock.settimeout(5)
            while len(got) < count:
                try:
                    got.append(sock.recv(65536))
                except socket.timeout:
                    return

        th = threading.Thread(target=receive, daemon=True)
        th.start()
        g = self.boot(net_args("pci-modern"), transports=["pci-modern"])
        self.assertIn("bound", g.cmd("dhcp", timeout=15))
        out = g.cmd(f"netbench tx 10.0.2.2 {port} {size} {count}", timeout=60)
        th.join(10)
        m = re.search(r"netbench tx: (\d+) datagrams of (\d+) bytes, (\d+) failed", out)
        self.assertIsNotNone(m, out)
        self.assertEqual((int(m[1]), int(m[3])), (count, 0), out)
        self.assertEqual(len(got), count, "datagrams lost between guest and host")
        pattern = bytes(i & 0xff for i in range(size))
        for i, d in enumerate(got):
            self.assertEqual(len(d), size)
            self.assertEqual(int.from_bytes(d[:4], "big"), i, "out of order or duplicated")
            self.assertEqual(d[4:], pattern[4:], f"datagram {i} corrupted")
        self.assertEqual(g.poweroff(), 0)

    def test_udpecho_until_ctrl_c(self):
        port = free_udp_port()
        g = self.boot_fwd("mmio-v2", port)
        g.send(f"udpecho {port}\r")
        g.wait_for("udpecho: listening", 10)
        r = subprocess.run([sys.executable, CLIENT, "--port", str(port), "--count", "50",
                            "--min", "1400", "--max", "1472"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        g.send("\x03")
        out = g.wait_for(PROMPT, 10)
        self.assertIn("udpecho: echoed 50 datagrams", out)
        self.assertEqual(g.poweroff(), 0)


if __name__ == "__main__":
    unittest.main()
