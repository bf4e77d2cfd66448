"""The exact QEMU line `./rumpk run` starts (tools/qemu_cmd.py prints it): it boots to the prompt,
`reboot` really resets the machine (the line has no -no-reboot, as `help reboot` promises) and
`poweroff` then ends QEMU with status 0. The harness's own lines keep -no-reboot, so a kernel
that resets by accident fails a test instead of quietly booting again. `./rumpk run --fast`'s
line (the disk on an iothread without request merging, the network with ioeventfd=off) boots
too, and moves data both ways between the shell and the host's image.
"""
import os
import shlex
import subprocess
import sys
import unittest

from harness import ROOT, QemuTestCase, guest_argv, make_image


def run_line(disk, flags=()):
    r = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "qemu_cmd.py"),
                        "--disk", disk] + list(flags), stdout=subprocess.PIPE, check=True,
                       timeout=30)
    return shlex.split(r.stdout.decode())


class RunLine(QemuTestCase):
    def test_reboot_reboots_under_rumpk_run(self):
        disk = make_image(os.path.join(self.tmpdir(), "storage.img"), 32 << 20)
        for flags in ([], ["--transport", "mmio", "--net"]):
            with self.subTest(flags=flags):
                argv = run_line(disk, flags)
                self.assertNotIn("-no-reboot", argv)
                g = self.boot(argv=argv, name="rumpk-run")
                self.assertIn("reset the machine", g.cmd("help reboot"))
                g.send("reboot\r")
                g.wait_for("Rumpk riscv64 on hart", 15)  # the banner of a second boot
                g.wait_for("nipbox> ", 15)
                self.assertIsNone(g.proc.poll(), "QEMU ended on reboot")
                self.assertEqual(g.log.count("Rumpk riscv64 on hart"), 2)
                self.assertEqual(g.poweroff(), 0)

    def test_fast_line_moves_data(self):
        disk = make_image(os.path.join(self.tmpdir(), "storage.img"), 32 << 20)
        with open(disk, "r+b") as f:
            f.seek(777 * 512)
            f.write(b"from the host")
        argv = run_line(disk, ["--fast"])
        self.assertIn("iothread,id=rumpk-io0,poll-shrink=2", argv)
        g = self.boot(argv=argv, name="rumpk-run-fast")
        self.assertIn("blk0 sector 777: 66 72 6f 6d 20 74 68 65 20 68 6f 73 74 00 00 00",
                      g.cmd("dd read 777"))
        self.assertIn("wrote 14 bytes to blk0 sector 5", g.cmd("dd write 5 from the guest"))
        self.assertIn("wrote 256 sectors at 1000", g.cmd("blk pattern write blk0 1000 256 7"))
        self.assertIn("verified 256 sectors", g.cmd("blk pattern verify blk0 1000 256 7"))
        self.assertEqual(g.poweroff(), 0)
        with open(disk, "rb") as f:
            f.seek(5 * 512)
            self.assertEqual(f.read(512), b"from the guest".ljust(512, b"\0"))

    def test_harness_lines_end_on_reset(self):
        self.assertIn("-no-reboot", guest_argv())
        g = self.boot()
        g.send("reboot\r")
        self.assertEqual(g.wait_exit(15), 0)
        self.assertEqual(g.log.count("Rumpk riscv64 on hart"), 1)


if __name__ == "__main__":
    unittest.main()
