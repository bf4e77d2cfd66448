"""`--fast` (tools/qemu_cmd.py fast_args): which QEMU lines get an iothread, request-merging=off
or ioeventfd=off and which do not,
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
    def test_pci_disks_get_an_iothread_other_pci_devices_ioeventfd_off(self):
        args = (qemu_cmd.disk_args("/d.img", "pci-modern") + qemu_cmd.disk_args("/e.img",
                "pci-legacy", "hd1") + qemu_cmd.net_args("pci-legacy"))
        out = qemu_cmd.fast_args(args)
        disk0, disk1, net = devices(out)
        for d in (disk0, disk1):
            self.assertTrue(d.endswith(",iothread=rumpk-io0,request-merging=off"), d)
        self.assertTrue(net.endswith(",ioeventfd=off"), net)
        self.assertNotIn("iothread", net)
        self.assertEqual(out[-2:], ["-object", "iothread,id=rumpk-io0,poll-shrink=2"])
        self.assertEqual(out.count("-object"), 1)  # one iothread, shared by the disks

    def test_mmio_and_non_virtio_devices_are_left_alone(self):
        args = qemu_cmd.disk_args("/d.img", "mmio-v2") + ["-device", "e1000,netdev=n1"]
        self.assertEqual(qemu_cmd.fast_args(args), args)
        self.assertEqual(qemu_cmd.fast_props("mmio-v1"), [])
        self.assertEqual(qemu_cmd.fast_props("pci"), ["iothread=rumpk-io0", "request-merging=off"])

    def test_a_typed_value_is_kept(self):
        args = ["-device", "virtio-net-pci,netdev=n0,ioeventfd=on"]
        self.assertEqual(qemu_cmd.fast_args(args), args)
        args = ["-device", "virtio-blk-pci,drive=hd0,iothread=mine,request-merging=on"]
        self.assertEqual(qemu_cmd.fast_args(args), args)  # their iothread: no object of ours

    def test_a_disk_with_ioeventfd_set_gets_no_iothread(self):
        # QEMU refuses an iothread without an ioeventfd ("ioeventfd is required for iothread").
        for typed in ("ioeventfd=off", "ioeventfd=on"):
            args = ["-device", "virtio-blk-pci,drive=hd0," + typed]
            self.assertEqual(qemu_cmd.fast_args(args),
                             ["-device", "virtio-blk-pci,drive=hd0," + typed
                              + ",request-merging=off"])

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
        self.assertNotIn("iothread", line())
        fast = line("--fast")
        self.assertEqual(fast.count(",ioeventfd=off"), 1)  # the network device
        self.assertEqual(fast.count(",iothread=rumpk-io0,request-merging=off"), 1)  # the disk
        self.assertIn("-object iothread,id=rumpk-io0,poll-shrink=2", fast)

    def test_bench_line(self):
        fast = blk.qemu_args("pci-legacy", "file", "/d.img", "writeback", "threads", fast=True)
        plain = blk.qemu_args("pci-legacy", "file", "/d.img", "writeback", "threads")
        self.assertIn("iothread=rumpk-io0", devices(fast)[0])
        self.assertNotIn("iothread", " ".join(plain))
        a = type("A", (), {"fast": True})
        self.assertEqual(blk.flags_tag(a, "mmio-v2"), {"fast": True, "fast_flags": []})
        self.assertEqual(blk.flags_tag(a, "pci-modern"),
                         {"fast": True,
                          "fast_flags": ["iothread=rumpk-io0", "request-merging=off"]})


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
                          "virtio-blk-pci,drive=hd0,disable-legacy=on,iothread=rumpk-io0,"
                          "request-merging=off",
                          "-device", "virtio-blk-device,drive=hd1",
                          "-object", "iothread,id=rumpk-io0,poll-shrink=2"])

    def test_missing_binary_is_named(self):
        r = self.run_wrapper("no-such-qemu-binary", "--version")
        self.assertEqual(r.returncode, 127)
        self.assertIn("no-such-qemu-binary not found", r.stderr)


if __name__ == "__main__":
    unittest.main()
