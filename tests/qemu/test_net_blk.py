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
from test_transports import parse_lsdev

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
        self.run_pair({"blk0": "pci-legacy", "net0": "pci-legacy"})

    def test_mixed_transports(self):
        # Disks on mmio-v2 and pci-legacy, net on pci-modern: three transports at once.
        self.run_pair({"blk0": "mmio-v2", "blk1": "pci-legacy", "net0": "pci-modern"})

    def run_pair(self, layout):
        """Boots with the devices in `layout` (name -> transport), then interleaves disk pattern
        writes/verifies on blk0 with UDP echo and ping traffic on net0. (The shell runs one
        command at a time; true concurrency arrives with fibers.)"""
        d = self.tmpdir()
        port = free_udp_port()
        disks = sorted(n for n in layout if n.startswith("blk"))
        args = []
        for i, name in enumerate(disks):
            img = make_image(os.path.join(d, f"{name}.img"), 16 << 20, seed_fill)
            args += disk_args(img, layout[name], ident=f"hd{i}")
        args += net_args(layout["net0"], hostfwd=[f"udp:127.0.0.1:{port}-:{port}"])
        g = self.boot(args, transports=sorted(set(layout.values())))

        # Names follow probe order (pci-modern, pci-legacy, then mmio), so compare by kind.
        rows = parse_lsdev(g.cmd("lsdev"))
        self.assertEqual(sorted((r["name"][:3], r["transport"], r["state"]) for r in rows),
                         sorted((n[:3], t, "READY") for n, t in layout.items()), rows)

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

        # blk0 and net0 took interrupts, each on its own line.
        rows = {r["name"]: r for r in parse_lsdev(g.cmd("lsdev"))}
        self.assertNotEqual(rows["blk0"]["irq"], rows["net0"]["irq"], rows)
        self.assertGreater(rows["blk0"]["ints"], 0, rows)
        self.assertGreater(rows["net0"]["ints"], 500, rows)
        net = g.cmd("net")
        self.assertRegex(net, r"rx \d+ frames \d+ bytes, 0 errors, 0 dropped")
        self.assertIn("malformed dropped 0", net)
        self.assertEqual(g.poweroff(), 0)

        # dd wrote to blk0, whichever image that is: exactly one image holds it.
        found = []
        for name in disks:
            with open(os.path.join(d, f"{name}.img"), "rb") as f:
                f.seek(5 * SECTOR)
                if f.read(11) == b"net-and-blk":
                    found.append(name)
        self.assertEqual(len(found), 1, f"dd write landed on {found}")


if __name__ == "__main__":
    unittest.main()
