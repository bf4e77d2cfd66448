"""The net channel from a user fiber (CMD_NET_*, kernel/dispatch/ion_net.c) through QEMU's user
network, with `netc` (user/programs/netc.c) holding a CAP_NET capability to net0:

  * `run -c net0 netc ping 10.0.2.2 3` gets three replies from slirp's gateway;
  * `run -b -c net0 netc udpecho PORT 3` in the background echoes what the host program
    tools/udp_echo_client.py sends through hostfwd, byte for byte, while the shell stays usable;
  * `run -c net0 netc send 10.0.2.2 PORT TEXT` reaches a host socket with exactly TEXT;
  * without the capability (or with a read-only one for a write) every command fails with a
    bad-slot / permission error, the interface's transmit counter does not move and the host
    receives nothing;
  * a fiber killed while it waits in recvfrom gives its port back: a new fiber binds it;
  * `tests/user/netbad` hands the boundary bad arguments, each with its exact error.
Loopback addresses only.
"""
import json
import os
import re
import socket
import subprocess
import sys
import unittest

from harness import PROMPT, QemuTestCase, free_udp_port, net_args

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLIENT = os.path.join(ROOT, "tools", "udp_echo_client.py")
TX_RE = re.compile(r"net0: .*\n(?:.*\n)*?  tx (\d+) frames")



class NetFiber(QemuTestCase):
    def boot_net(self, hostfwd=()):
        g = self.boot(net_args("pci-modern", hostfwd=list(hostfwd)), transports=["pci-modern"])
        self.assertIn("bound 10.0.2.15/24", g.cmd("dhcp", timeout=15))
        return g

    def tx_frames(self, g):
        m = TX_RE.search(g.cmd("net"))
        self.assertIsNotNone(m, g.log[-2000:])
        return int(m[1])

    def kill(self, g, fid):
        """Kills fiber fid and waits for the line saying it ended."""
        out = g.cmd(f"kill {fid}")
        self.assertIn(f"fiber {fid} killed", out)
        if f"fiber {fid} (netc) ended" not in out:
            g.wait_line(f"fiber {fid} (netc) ended", 5)

    def test_ping(self):
        g = self.boot_net()
        out = g.cmd("run -c net0 netc ping 10.0.2.2 3", timeout=20)
        for seq in range(3):
            self.assertRegex(out, rf"64 bytes from 10\.0\.2\.2: seq={seq} time=\d+\.\d{{3}} ms")
        self.assertRegex(out, r"--- 10\.0\.2\.2: 3 sent, 3 received, 0% loss, .* rtt min/avg/max")
        self.assertNotIn("exited with status", out)
        info = g.cmd("run -c net0 netc info")
        self.assertIn("netc: inet 10.0.2.15 mask 255.255.255.0 gateway 10.0.2.2", info)
        self.assertRegex(info, r"netc: mac 52:54:00:[0-9a-f:]+ mtu 1500 link up")
        self.assertEqual(g.poweroff(), 0)

    def test_udpecho_background(self):
        port = free_udp_port()
        g = self.boot_net([f"udp:127.0.0.1:{port}-:{port}"])
        out = g.cmd(f"run -b -c net0 netc udpecho {port} 3")
        fid = re.search(r"run: netc is fiber (\d+)", out)[1]
        g.wait_line(f"netc: listening on 10.0.2.15:{port}", 10)
        self.assertIn("netc", g.cmd("ps"))  # the shell answers while the fiber waits
        r = subprocess.run([sys.executable, CLIENT, "--port", str(port), "--count", "3",
                            "--min", "1", "--max", "1472", "--retries", "0"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        stats = json.loads(r.stdout.strip().splitlines()[-1])
        self.assertEqual((stats["sent"], stats["echoed"], stats["mismatched"]), (3, 3, 0), stats)
        g.wait_line(f"netc: echoed 3 datagrams ({stats['bytes']} bytes), 0 failed", 10)
        g.wait_line(f"fiber {fid} (netc) ended: status 0", 5)
        self.assertEqual(g.poweroff(), 0)

    def test_send_to_host(self):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.addCleanup(sock.close)
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(10)
        port = sock.getsockname()[1]
        g = self.boot_net()
        out = g.cmd(f"run -c net0 netc send 10.0.2.2 {port} hello-from-a-fiber", timeout=15)
        self.assertRegex(out, rf"netc: sent 18 bytes to 10\.0\.2\.2:{port} from port \d+")
        data, _ = sock.recvfrom(65536)
        self.assertEqual(data, b"hello-from-a-fiber")
        self.assertEqual(g.poweroff(), 0)

    def test_no_capability(self):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.addCleanup(sock.close)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        g = self.boot_net()
        g.cmd("run -c net0 netc ping 10.0.2.2 1", timeout=15)  # ARP for the gateway done
        before = self.tx_frames(g)
        bad_slot = "no capability in that slot"
        denied = "permission denied (no capability with that right)"
        for line, want in ((f"run netc ping 10.0.2.2 2", f"ping: seq=0 not sent: {bad_slot}"),
                           (f"run netc udpecho {port} 1",
                            f"netc: port {port}: cannot bind: {bad_slot}"),
                           (f"run netc send 10.0.2.2 {port} x", f"netc: bind: {bad_slot}"),
                           (f"run netc info", f"netc: info: {bad_slot}"),
                           (f"run -c net0:r netc ping 10.0.2.2 1",
                            f"ping: seq=0 not sent: {denied}"),
                           (f"run -c net0:r netc send 10.0.2.2 {port} x",
                            f"netc: bind: {denied}")):
            out = g.cmd(line, timeout=15)
            self.assertIn(want, out, line)
            self.assertIn("run: netc exited with status 1", out, line)
        self.assertIn("netc: inet 10.0.2.15", g.cmd("run -c net0:r netc info"))
        self.assertEqual(self.tx_frames(g), before, "a frame left without a capability")
        sock.settimeout(0.5)
        with self.assertRaises(socket.timeout):
            sock.recvfrom(65536)
        self.assertEqual(g.poweroff(), 0)

    def test_killed_fiber_frees_its_port(self):
        g = self.boot_net()
        out = g.cmd("run -b -c net0 netc udpecho 7777")
        fid = re.search(r"run: netc is fiber (\d+)", out)[1]
        g.wait_line("netc: listening on 10.0.2.15:7777", 10)
        out = g.cmd("run -c net0 netc udpecho 7777 1")
        self.assertIn("netc: port 7777: cannot bind: port in use", out)
        # The waiter ends within one wait round (its end is reported); its port is free again.
        self.kill(g, fid)
        out = g.cmd("run -b -c net0 netc udpecho 7777")
        g.wait_line("netc: listening on 10.0.2.15:7777", 10)
        fid2 = re.search(r"run: netc is fiber (\d+)", out)[1]
        self.kill(g, fid2)
        # Ctrl-C ends a foreground waiter the same way.
        g.send("run -c net0 netc udpecho 7777\r")
        g.wait_line("netc: listening on 10.0.2.15:7777", 10)
        g.send("\x03")
        self.assertIn("^C", g.wait_for(PROMPT, 10))
        out = g.cmd("run -b -c net0 netc udpecho 7777 1")
        fid3 = re.search(r"run: netc is fiber (\d+)", out)[1]
        g.wait_line("netc: listening on 10.0.2.15:7777", 10)
        # A datagram to our own address comes back through the stack to the waiting fiber.
        out = g.cmd("run -c net0 netc send 10.0.2.15 7777 xyz")
        self.assertRegex(out, r"netc: sent 3 bytes to 10\.0\.2\.15:7777")
        if "netc: echoed" not in out:
            g.wait_line("netc: echoed 1 datagrams (3 bytes), 0 failed", 5)
        else:
            self.assertIn("netc: echoed 1 datagrams (3 bytes), 0 failed", out)
        if f"fiber {fid3} (netc) ended" not in out:
            g.wait_line(f"fiber {fid3} (netc) ended: status 0", 5)
        self.assertEqual(g.poweroff(), 0)

    def test_bad_arguments(self):
        g = self.boot_net()
        out = g.cmd("run -c net0 netbad", timeout=30)
        self.assertIn("netbad: all checks passed", out)
        self.assertNotIn("FAIL", out)
        self.assertNotIn("exited with status", out)
        self.assertIn("alive", g.cmd("echo alive"))
        self.assertEqual(g.poweroff(), 0)


if __name__ == "__main__":
    unittest.main()
