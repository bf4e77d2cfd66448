"""`--fast` (tools/qemu_cmd.py fast_args): which QEMU lines get ioeventfd=off and which do not,
that a value typed by the caller is kept, that `qemu_cmd.py --fast` and the block benchmark's
QEMU line carry it, and that tools/bench/qemu_fast.py (the peers' QEMU) hands the real binary
the same line (a stand-in binary prints what it got). Nothing is booted or timed.

    python3 -m unittest -v test_fast_flags     (from tools/tests; part of ./rumpk test)
"""
import os
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "tools", "bench"))
import blk  # noqa: E402
import qemu_cmd  # noqa: E402
from test_bench_backends import fake_tool  # noqa: E402


def devices(args):
    return [args[i + 1] for i in range(len(args) - 1) if args[i] == "-device"]


class FastArgs(unittest.TestCase):
    def test_pci_devices_get_ioeventfd_off(self):
        args = qemu_cmd.disk_args("/d.img", "pci-modern") + qemu_cmd.net_args("pci-legacy")
        for d in devices(qemu_cmd.fast_args(args)):
            self.assertTrue(d.endswith(",ioeventfd=off"), d)

    def test_mmio_and_non_virtio_devices_are_left_alone(self):
        args = qemu_cmd.disk_args("/d.img", "mmio-v2") + ["-device", "e1000,netdev=n1"]
        self.assertEqual(qemu_cmd.fast_args(args), args)
        self.assertEqual(qemu_cmd.fast_props("mmio-v1"), [])
        self.assertEqual(qemu_cmd.fast_props("pci"), ["ioeventfd=off"])

    def test_a_typed_value_is_kept(self):
        args = ["-device", "virtio-blk-pci,drive=hd0,ioeventfd=on"]
        self.assertEqual(qemu_cmd.fast_args(args), args)

    def test_input_list_is_not_changed(self):
        args = qemu_cmd.disk_args("/d.img", "pci-modern")
        before = list(args)
        qemu_cmd.fast_args(args)
        self.assertEqual(args, before)

    def test_qemu_cmd_fast_flag(self):
        def line(*extra):
            return subprocess.run([sys.executable, os.path.join(ROOT, "tools", "qemu_cmd.py"),
                                   "--transport", "pci-modern", "--net", "--disk", "/d.img"]
                                  + list(extra), check=True, stdout=subprocess.PIPE,
                                  text=True).stdout
        self.assertNotIn("ioeventfd", line())
        self.assertEqual(line("--fast").count(",ioeventfd=off"), 2)

    def test_bench_line(self):
        fast = blk.qemu_args("pci-legacy", "file", "/d.img", "writeback", "threads", fast=True)
        plain = blk.qemu_args("pci-legacy", "file", "/d.img", "writeback", "threads")
        self.assertIn("ioeventfd=off", devices(fast)[0])
        self.assertNotIn("ioeventfd", " ".join(plain))
        a = type("A", (), {"fast": True})
        self.assertEqual(blk.flags_tag(a, "mmio-v2"), {"fast": True, "fast_flags": []})
        self.assertEqual(blk.flags_tag(a, "pci-modern"),
                         {"fast": True, "fast_flags": ["ioeventfd=off"]})


class Wrapper(unittest.TestCase):
    def run_wrapper(self, real, *args):
        env = dict(os.environ, RUMPK_REAL_QEMU=real)
        return subprocess.run([os.path.join(ROOT, "tools", "bench", "qemu_fast.py")]
                              + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=env, timeout=30)

    def test_the_real_binary_gets_the_fast_line(self):
        with tempfile.TemporaryDirectory() as d:
            real = fake_tool(d, "fake-qemu", 'for a in "$@"; do echo "$a"; done')
            r = self.run_wrapper(real, "-machine", "virt", "-device",
                                 "virtio-blk-pci,drive=hd0,disable-legacy=on", "-device",
                                 "virtio-blk-device,drive=hd1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.splitlines(),
                         ["-machine", "virt", "-device",
                          "virtio-blk-pci,drive=hd0,disable-legacy=on,ioeventfd=off",
                          "-device", "virtio-blk-device,drive=hd1"])

    def test_missing_binary_is_named(self):
        r = self.run_wrapper("no-such-qemu-binary", "--version")
        self.assertEqual(r.returncode, 127)
        self.assertIn("no-such-qemu-binary not found", r.stderr)


if __name__ == "__main__":
    unittest.main()
