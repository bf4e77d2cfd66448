"""The block benchmark's backend options (tools/bench/blk.py --backend/--aio), without booting
anything or timing anything: the -drive line of each backend, the refusal of --aio on null-co,
the aio check failing with one line naming why (a stand-in qemu-img on PATH), never falling back.

    python3 -m unittest -v test_bench_backends     (from tools/tests; part of ./rumpk test)
"""
import os
import stat
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCH = os.path.join(ROOT, "tools", "bench")
sys.path.insert(0, BENCH)
import blk  # noqa: E402


def fake_tool(d, name, script):
    """An executable `name` in directory d running the shell `script`."""
    path = os.path.join(d, name)
    with open(path, "w") as f:
        f.write("#!/bin/sh\n" + script + "\n")
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)
    return path


class DriveLine(unittest.TestCase):
    def test_file_threads_is_qemus_default_line(self):
        d = blk.drive_spec("file", "/x.img", "writeback", "threads")
        self.assertEqual(d, "file=/x.img,format=raw,if=none,id=hd0,cache=writeback")

    def test_file_io_uring(self):
        d = blk.drive_spec("file", "/x.img", "writeback", "io_uring")
        self.assertTrue(d.endswith(",cache=writeback,aio=io_uring"), d)

    def test_null_co_has_no_file(self):
        d = blk.drive_spec("null", "/x.img", "writeback", None)
        self.assertIn("driver=null-co", d)
        self.assertIn("size=%d" % blk.IMAGE_BYTES, d)
        self.assertNotIn("file=", d)

    def test_qemu_args_carry_the_drive_and_device(self):
        args = blk.qemu_args("mmio-v2", "null", "/x.img", "writeback", None)
        self.assertIn(blk.drive_spec("null", "/x.img", "writeback", None), args)
        self.assertIn("virtio-blk-device,drive=hd0", args)

    def test_us_per_req(self):
        self.assertEqual(blk.us_per_req(25000), 40.0)
        self.assertIsNone(blk.us_per_req(0))


class Options(unittest.TestCase):
    def run_blk(self, *args, path=None):
        env = dict(os.environ, RUMPK_KERNEL="/nonexistent/rumpk.elf")
        if path is not None:
            env["PATH"] = path
        return subprocess.run([sys.executable, os.path.join(BENCH, "blk.py")] + list(args),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=env, timeout=60)

    def test_aio_on_null_is_refused(self):
        r = self.run_blk("--backend", "null", "--aio", "io_uring")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("--aio applies to --backend file", r.stderr)
        self.assertEqual(r.stdout, "")

    def test_unknown_aio_is_refused(self):
        r = self.run_blk("--aio", "native")
        self.assertEqual(r.returncode, 2)
        self.assertIn("invalid choice: 'native'", r.stderr)

    def test_io_uring_that_fails_stops_the_bench(self):
        with tempfile.TemporaryDirectory() as d:
            fake_tool(d, "qemu-img", 'echo "qemu-img: Unable to use io_uring: x" >&2; exit 1')
            r = self.run_blk("--aio", "io_uring", path=d + os.pathsep + "/usr/bin:/bin")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertIn("aio=io_uring does not work in this QEMU", r.stderr)
        self.assertIn("Unable to use io_uring", r.stderr)
        self.assertEqual(r.stdout, "")  # no record: nothing ran on another aio instead

    def test_missing_qemu_img_is_named(self):
        with tempfile.TemporaryDirectory() as d:
            old = os.environ["PATH"]
            os.environ["PATH"] = d
            try:
                why = blk.aio_problem("io_uring")
            finally:
                os.environ["PATH"] = old
        self.assertIn("qemu-img not found", why)
        self.assertIn("qemu-utils", why)

    def test_aio_check_passes_when_qemu_img_completes(self):
        with tempfile.TemporaryDirectory() as d:
            fake_tool(d, "qemu-img", 'echo "Run completed in 0.001 seconds."')
            old = os.environ["PATH"]
            os.environ["PATH"] = d + os.pathsep + old
            try:
                self.assertIsNone(blk.aio_problem("io_uring"))
            finally:
                os.environ["PATH"] = old


if __name__ == "__main__":
    unittest.main()
