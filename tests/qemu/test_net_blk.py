"""Network and block together on the seed's configuration: legacy virtio-blk-pci and legacy
virtio-net-pci side by side (two I/O BARs, two interrupt lines).

The guest gets a DHCP address, pings, echoes 500 UDP datagrams for the host, and in between
writes and verifies 4 MiB on the disk and reads/writes single sectors with dd. Both devices
must keep answering through their own interrupts, and what dd wrote must be in the image file
after poweroff.
"""
import json
import os
import subprocess
import sys
import unittest

from harness import PROMPT, QemuTestCase, disk_args, make_image, net_args
from test_net_udp import CLIENT, free_udp_port

SECTOR = 512


def seed_fill(offset, length):
    data = bytearray(length)
    marker = b"rumpk net+blk sector 3"
    start = 3 * SECTOR
    if offset <= start < offset + length:
        data[start - offset:start - offset + len(marker)] = marker
    return bytes(data)


class NetBlkTest(QemuTestCase):
    def echo(self, g, port, count):
        g.send(f"udpecho {port} {count}\r")
        g.wait_for(f"udpecho: listening on 10.0.2.15:{port}", 10)
        r = subprocess.run([sys.executable, CLIENT, "--port", str(port), "--count", str(count),
                            "--retries", "0", "--seed", str(count)],
                           capture_output=True, text=True, timeout=60)
        out = g.wait_for(PROMPT, 20)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(json.loads(r.stdout.strip().splitlines()[-1])["echoed"], count)
        self.assertIn(f"udpecho: echoed {count} datagrams", out)

    def test_seed_legacy_pair(self):
        img = make_image(os.path.join(self.tmpdir(), "netblk.img"), 16 << 20, seed_fill)
        port = free_udp_port()
        args = disk_args(img, "pci-legacy") + net_args(
            "pci-legacy", hostfwd=[f"udp:127.0.0.1:{port}-:{port}"])
        g = self.boot(args, transports=["pci-legacy"])

        lsdev = g.cmd("lsdev")
        rows = {l.split()[0]: l for l in lsdev.splitlines() if l[:4] in ("blk0", "net0")}
        self.assertEqual(sorted(rows), ["blk0", "net0"], lsdev)
        for line in rows.values():
            self.assertIn("READY", line)
            self.assertIn("pci-legacy", line)

        self.assertIn("bound 10.0.2.15/24", g.cmd("dhcp", timeout=15))
        self.assertIn("3 sent, 3 received", g.cmd("ping 10.0.2.2 3", timeout=15))
        self.assertIn("72 75 6d 70 6b", g.cmd("dd read 3"))  # "rumpk"

        self.assertRegex(g.cmd("blk pattern write blk0 1024 8192 7", timeout=30),
                         r"wrote 8192 sectors")
        self.echo(g, port, 500)
        self.assertRegex(g.cmd("blk pattern verify blk0 1024 8192 7", timeout=30),
                         r"verified 8192 sectors")
        self.assertIn("2 sent, 2 received", g.cmd("ping 10.0.2.2 2", timeout=15))
        self.assertIn("wrote", g.cmd("dd write 5 net-and-blk"))
        self.echo(g, port, 100)

        # Both devices took interrupts on their own lines.
        lsdev = g.cmd("lsdev")
        ints = {}
        for line in lsdev.splitlines():
            w = line.split()
            if w and w[0] in ("blk0", "net0"):
                ints[w[0]] = (w[5], int(w[6]))  # irq, interrupts
        self.assertNotEqual(ints["blk0"][0], ints["net0"][0], lsdev)
        self.assertGreater(ints["blk0"][1], 0, lsdev)
        self.assertGreater(ints["net0"][1], 500, lsdev)
        net = g.cmd("net")
        self.assertRegex(net, r"rx \d+ frames \d+ bytes, 0 errors, 0 dropped")
        self.assertIn("malformed dropped 0", net)
        self.assertEqual(g.poweroff(), 0)

        with open(img, "rb") as f:
            f.seek(5 * SECTOR)
            self.assertEqual(f.read(11), b"net-and-blk")


if __name__ == "__main__":
    unittest.main()
