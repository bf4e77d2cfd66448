"""The console layer without a console device: console=hvc0 names a device that never comes, so
the kernel says so once and NipBox stays on the UART; and the QEMU line of
`./rumpk run --console virtio` (tools/qemu_cmd.py) puts a virtconsole on stdio, the UART in a
file, console=hvc0 on the command line and romfile= on every PCI device. NipBox on hvc0 itself
is tested with the console plugin (test_virtio_console.py)."""
import os
import shlex
import subprocess
import sys
import unittest

from harness import ROOT, QemuTestCase


def run_line(flags):
    r = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "qemu_cmd.py"),
                        "--disk", "/nonexistent.img"] + flags, stdout=subprocess.PIPE,
                       check=True, timeout=30)
    return shlex.split(r.stdout.decode())


class ConsoleSwitchTest(QemuTestCase):
    def test_missing_console_device(self):
        g = self.boot(append="console=hvc0")
        self.assertIn("console: hvc0 not found; staying on the UART\n", g.log)
        self.assertEqual(g.cmd("echo still here").strip(), "still here")
        self.assertEqual(g.poweroff(), 0)

    def test_uart_names_keep_the_uart(self):
        g = self.boot(append="console=ttyS0")
        self.assertNotIn("console:", g.log)
        self.assertEqual(g.poweroff(), 0)

    def test_run_line_console_virtio(self):
        for flags, serial in ((["--transport", "pci-modern"], "virtio-serial-pci"),
                              (["--transport", "mmio"], "virtio-serial-device"),
                              ([], "virtio-serial-pci")):
            with self.subTest(flags=flags):
                argv = run_line(flags + ["--console", "virtio", "--append", "ramdisk=1M"])
                self.assertEqual(argv[argv.index("-append") + 1], "ramdisk=1M console=hvc0")
                self.assertTrue(argv[argv.index("-serial") + 1].startswith("file:"))
                self.assertIn("stdio,id=con0,signal=off,mux=on", argv)
                devices = [argv[i + 1] for i, a in enumerate(argv) if a == "-device"]
                ser = [d for d in devices if d.startswith(serial + ",")]
                self.assertEqual(len(ser), 1, devices)
                self.assertIn("virtconsole,chardev=con0,bus=vser0.0,nr=0", devices)
                for d in devices:
                    if "-pci" in d.split(",")[0]:
                        self.assertIn("romfile=", d)


if __name__ == "__main__":
    unittest.main()
