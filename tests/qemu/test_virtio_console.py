"""virtio-console (devices/console) on QEMU: with console=hvc0 NipBox runs on a virtconsole
(virtio-serial on pci-modern and on mmio-v2) and answers the same shell commands exactly as it
does on the UART, while the UART keeps the boot log up to the switch; a named port
(virtserialport on a host socket) echoes lines through `port NAME`; a port the host adds later
is listed, and one the host removes while `port` uses it ends the command."""
import os
import socket
import time
import unittest

from harness import KERNEL, Qmp, QemuTestCase, base_args, qmp_args
from qemu_cmd import console_args, serial_to

SAME = ["echo hi there", 'echo  "two  words"   x', "frobnicate now", "help", "port x y",
        "random 0"]
PORT = "org.rumpk.echo"


class VirtioConsoleTest(QemuTestCase):
    def hvc_guest(self, transport, extra=()):
        tmp = self.tmpdir()
        self.uart_log = os.path.join(tmp, "uart.log")
        self.sock = os.path.join(tmp, "port.sock")
        self.qmp = os.path.join(tmp, "qmp.sock")
        argv = base_args(KERNEL, append="console=hvc0", transports=[transport])
        argv = serial_to(argv, "file:" + self.uart_log)
        argv += ["-chardev", "stdio,id=con0",
                 "-chardev", f"socket,id=p1,path={self.sock},server=on,wait=off"]
        argv += console_args(transport) + qmp_args(self.qmp) + list(extra)
        argv += ["-device", f"virtserialport,chardev=p1,name={PORT},bus=vser0.0,id=port1"]
        return self.boot(argv=argv, name=f"hvc0-{transport}")

    def uart_log_text(self):
        with open(self.uart_log, encoding="utf-8", errors="replace") as f:
            return f.read().replace("\r", "")

    def test_same_shell_on_hvc0(self):
        uart = self.boot(name="uart")
        expected = {line: uart.cmd(line) for line in SAME}
        self.assertEqual(uart.poweroff(), 0)
        for transport in ("pci-modern", "mmio-v2"):
            with self.subTest(transport=transport):
                g = self.hvc_guest(transport)
                log = self.uart_log_text()
                self.assertIn("console: switching to hvc0 (console=hvc0)", log)
                self.assertIn("OpenSBI", log)
                self.assertNotIn("OpenSBI", g.log)  # hvc0 starts at the switch
                self.assertIn("console: on hvc0", g.log)
                for line in SAME:
                    self.assertEqual(g.cmd(line), expected[line], line)
                ports = g.cmd("port")
                self.assertIn("console0 hvc0 console host open", ports)
                self.assertIn(f"console0 {PORT} named", ports)
                self.assertEqual(g.poweroff(), 0)
                self.assertNotIn("nipbox>", self.uart_log_text())

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(self.sock)
        return s

    def read_line(self, s):
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(256)
            if not chunk:
                raise AssertionError(f"socket closed after {data!r}")
            data += chunk
        return data

    def test_named_port_echo(self):
        for transport in ("pci-modern", "mmio-v2"):
            with self.subTest(transport=transport):
                g = self.hvc_guest(transport)
                s = self.connect()
                g.send(f"port {PORT}\r")
                g.wait_for(f"port: echoing lines on {PORT}; Ctrl-C stops")
                for line in (b"hello\n", b"second line, longer: 0123456789\n"):
                    s.sendall(line)
                    self.assertEqual(self.read_line(s), line)
                g.send("\x03")
                out = g.wait_for("nipbox> ")
                self.assertIn(f"port: {PORT}: 2 lines echoed", out)
                self.assertEqual(g.cmd(f"port {PORT}x").strip(), f"port: {PORT}x: no such port")
                self.assertEqual(g.cmd("port hvc0").strip(),
                                 "port: hvc0: busy (a console, or open)")
                s.close()
                self.assertEqual(g.poweroff(), 0)

    def test_user_fiber_echoes_through_a_port(self):
        # A user fiber holding a capability to the named port reads and writes it through ION
        # (the ports' CMD_PORT_*, the shim nexus_port_*); bad arguments are refused.
        for transport in ("pci-modern", "mmio-v2"):
            with self.subTest(transport=transport):
                g = self.hvc_guest(transport)
                s = self.connect()
                g.send(f"run -c {PORT} portecho 2\r")
                g.wait_for("portecho: echoing 2 lines")
                for line in (b"from the host\n", b"and back again\n"):
                    s.sendall(line)
                    self.assertEqual(self.read_line(s), line)
                out = g.wait_for("nipbox> ")
                self.assertIn("portecho: 2 lines echoed", out)
                self.assertIn("portecho len0 = -22", out)
                self.assertIn("portecho len4097 = -22", out)
                self.assertIn("portecho kernel = -14", out)
                self.assertIn("portecho close = 0", out)
                self.assertNotIn("exited with status", out)
                # Without a capability the program gets none; a console port is not a port.
                self.assertIn("portecho: read: no capability in that slot",
                              g.cmd("run portecho 1"))
                self.assertIn("run: no device or object named hvc0", g.cmd("run -c hvc0 portecho"))
                s.close()
                self.assertEqual(g.poweroff(), 0)

    def test_port_added_and_removed(self):
        g = self.hvc_guest("pci-modern")
        q = Qmp(self.qmp)
        self.addCleanup(q.close)
        q.execute("chardev-add", id="p2", backend={"type": "null", "data": {}})
        q.execute("device_add", driver="virtserialport", chardev="p2", name="late.port",
                  bus="vser0.0", id="port2")
        deadline = time.monotonic() + 10
        while "late.port" not in g.cmd("port"):
            self.assertLess(time.monotonic(), deadline, "the added port never showed")
            time.sleep(0.1)
        # the echo port vanishes while `port` uses it
        g.send(f"port {PORT}\r")
        g.wait_for(f"port: echoing lines on {PORT}")
        q.execute("device_del", id="port1")
        out = g.wait_for("nipbox> ", 10)
        self.assertIn(f"port: {PORT} went away after 0 lines", out)
        self.assertNotIn(PORT, g.cmd("port"))
        self.assertEqual(g.cmd("echo still here").strip(), "still here")
        self.assertEqual(g.poweroff(), 0)


if __name__ == "__main__":
    unittest.main()
