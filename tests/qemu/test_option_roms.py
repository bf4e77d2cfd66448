"""No QEMU line the project builds loads a PCI option ROM.

Rumpk never executes an option ROM, yet QEMU gives its PCI NICs one by default (efi-virtio.rom,
from Debian's ipxe-qemu, which `./rumpk setup` does not install): without `romfile=` such a line
fails on a fresh machine and works where ipxe-qemu happens to be installed. This test asks QEMU
itself: each line is started halted (-S) with the monitor on stdio, and `info pci` must list no
expansion-ROM BAR (BAR6) on any function. That answer does not depend on whether the ROM files are
installed: a line that would load a ROM either fails to start (no ipxe-qemu) or shows BAR6 (with
it). A control line without `romfile=` proves the check can see a ROM at all.
"""
import os
import shlex
import subprocess
import sys
import tempfile
import unittest

from harness import ALL_TRANSPORTS, ROOT, guest_argv, disk_args, net_args

import qemu_cmd

RUN_TRANSPORTS = ["pci-legacy", "pci-modern", "pci-transitional", "mmio", "mmio-legacy"]


def monitor_line(argv):
    """`argv` started halted with the monitor on stdio and no serial port: the console
    arguments of the line are dropped, the rest is kept as it is."""
    out, i = [], 0
    while i < len(argv):
        if argv[i] in ("-serial", "-monitor"):
            i += 2
            continue
        if argv[i] in ("-s", "-S"):
            i += 1
            continue
        out.append(argv[i])
        i += 1
    return out + ["-S", "-serial", "none", "-monitor", "stdio"]


def info_pci(argv):
    """(exit status, QEMU's output) for `info pci` on the halted machine of `argv`."""
    r = subprocess.run(monitor_line(argv), input=b"info pci\nquit\n", stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=30)
    return r.returncode, r.stdout.decode("utf-8", "replace")


def run_line(tmp, flags):
    """The exact line `./rumpk run FLAGS` starts (tools/qemu_cmd.py prints it)."""
    disk = os.path.join(tmp, "run.img")
    r = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "qemu_cmd.py"),
                        "--disk", disk] + flags, stdout=subprocess.PIPE, check=True, timeout=30)
    return shlex.split(r.stdout.decode())


class OptionRoms(unittest.TestCase):
    def setUp(self):
        d = tempfile.TemporaryDirectory(prefix="rumpk-roms-")
        self.addCleanup(d.cleanup)
        self.tmp = d.name
        self.img = os.path.join(self.tmp, "run.img")
        with open(self.img, "wb") as f:
            f.truncate(1 << 20)

    def assert_no_rom(self, argv, pci_functions):
        status, out = info_pci(argv)
        self.assertEqual(status, 0, f"QEMU failed on {' '.join(argv)}:\n{out}")
        self.assertEqual(out.count("Bus "), pci_functions, out)
        self.assertNotIn("BAR6", out, f"an option ROM is mapped for {' '.join(argv)}:\n{out}")

    def test_check_sees_a_rom(self):
        """Control: a NIC without romfile= either cannot start (ROM missing) or shows BAR6."""
        argv = ["qemu-system-riscv64", "-machine", "virt", "-display", "none", "-netdev",
                "user,id=n0", "-device", "virtio-net-pci,netdev=n0"]
        status, out = info_pci(argv)
        if status == 0:
            self.assertIn("BAR6", out)
        else:
            self.assertIn("romfile", out)

    def test_rumpk_run_lines(self):
        lines = [[]] + [["--transport", t] for t in RUN_TRANSPORTS] + \
            [["--transport", t, "--net"] for t in RUN_TRANSPORTS]
        for flags in lines:
            with self.subTest(flags=flags):
                argv = run_line(self.tmp, flags)
                pci = 0 if "mmio" in " ".join(flags) else (1 if flags else 2)
                pci += 1 if "--net" in flags and pci else 0
                self.assert_no_rom(argv, 1 + pci)  # 1 + : the host bridge

    def test_harness_lines(self):
        """What the tests and the benchmarks boot (harness.Guest): every transport's disk and
        NIC on one machine, a root port and a PCI bridge."""
        extra = []
        for i, t in enumerate(ALL_TRANSPORTS):
            extra += disk_args(self.img, t, ident=f"hd{i}", readonly=True)
            extra += net_args(t, ident=f"n{i}")
        extra += ["-device", "pcie-root-port,id=rp0,bus=pcie.0,chassis=1",
                  "-device", "pci-bridge,id=br0,bus=pcie.0,chassis_nr=2"]
        argv = guest_argv(extra, transports=ALL_TRANSPORTS)
        # host bridge + 3 PCI disks + 3 PCI NICs + root port + bridge (a halted machine's
        # `info pci` lists bus 0 only: no firmware has numbered the buses behind bridges yet)
        self.assert_no_rom(argv, 9)

    def test_every_pci_device_gets_romfile(self):
        argv = qemu_cmd.without_option_roms(
            ["-device", "virtio-net-pci,netdev=n0", "-device", "e1000,romfile=x.rom",
             "-device", "virtio-blk-device,drive=d0", "-device", "pci-bridge,chassis_nr=1"])
        self.assertEqual(argv, ["-device", "virtio-net-pci,netdev=n0,romfile=",
                                "-device", "e1000,romfile=x.rom",
                                "-device", "virtio-blk-device,drive=d0",
                                "-device", "pci-bridge,chassis_nr=1,romfile="])


if __name__ == "__main__":
    unittest.main()
