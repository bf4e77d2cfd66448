"""Wall-clock time from the goldfish RTC (kernel/walltime.c), on the real machine:

  * the boot line's date (ISO 8601, UTC) is within a minute of the host's UTC time, NipBox's
    `date` agrees and moves on with the timer;
  * a file the guest writes through NexFS (user/programs/nexfs.c over SYS_WALLTIME) has an mtime
    within a minute of now, and the host tool `nexfs IMG stat` reads the same second;
  * QEMU's `-rtc base=2001-02-03T04:05:06` makes the guest say that date;
  * a clock before 2000, or no RTC in the device tree (QEMU's own tree with the node's
    compatible string renamed), gives one line at boot and "date: no real-time clock".
"""
import datetime
import os
import re
import subprocess
import time
import unittest

from harness import QemuTestCase, disk_args, guest_argv

TOOLS = os.environ.get("NEXFS_TOOLS", "")
UTC = datetime.timezone.utc
BOOT_RE = re.compile(r"rtc: (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) \(goldfish-rtc at 0x101000\)")
DATE_RE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC$", re.M)
MTIME_RE = re.compile(r"modified (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC")


def tool(name):
    path = os.path.join(TOOLS, name)
    if not os.access(path, os.X_OK):
        raise AssertionError(f"{path} is not built (set NEXFS_TOOLS to build/host)")
    return path


def parse_iso(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def parse_text(text):
    return datetime.datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)


class Rtc(QemuTestCase):
    def boot(self, *args, **kw):
        kw.setdefault("append", "nexfs=off")  # NexFS is started by hand here, not at boot
        return super().boot(*args, **kw)

    def assertNear(self, got, want, seconds, what):
        delta = abs((got - want).total_seconds())
        self.assertLessEqual(delta, seconds, f"{what}: {got} is {delta:.0f} s from {want}")

    def guest_date(self, g):
        out = g.cmd("date")
        m = DATE_RE.search(out)
        self.assertIsNotNone(m, f"date printed {out!r}")
        return parse_text(m.group(1))

    def make_fs(self):
        img = os.path.join(self.tmpdir(), "fs.img")
        subprocess.run([tool("mkfs.nexfs"), img, "--size", str(8 << 20)], check=True,
                       capture_output=True)
        return img

    def test_host_clock_boot_line_date_and_file_times(self):
        img = self.make_fs()
        g = self.boot(disk_args(img, "pci-modern"), transports=["pci-modern"])
        m = BOOT_RE.search(g.log)
        self.assertIsNotNone(m, "no rtc line with an ISO 8601 date in the boot log")
        self.assertNear(parse_iso(m.group(1)), datetime.datetime.now(UTC), 60, "boot line")

        first = self.guest_date(g)
        self.assertNear(first, datetime.datetime.now(UTC), 60, "date")
        self.assertGreaterEqual(first, parse_iso(m.group(1)))
        time.sleep(2.2)
        second = self.guest_date(g)
        self.assertGreaterEqual((second - first).total_seconds(), 2, "date did not move on")
        self.assertIn("date: takes no arguments", g.cmd("date -s 2000-01-01"))

        out = g.cmd("run -c blk0 nexfs write /f x")
        self.assertNotIn("nexfs:", out)
        out = g.cmd("run -c blk0 nexfs stat /f")
        m = MTIME_RE.search(out)
        self.assertIsNotNone(m, f"nexfs stat printed {out!r}")
        mtime = parse_text(m.group(1))
        self.assertNear(mtime, datetime.datetime.now(UTC), 60, "mtime in the guest")
        self.assertEqual(g.poweroff(), 0)

        p = subprocess.run([tool("nexfs"), img, "stat", "/f"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        h = re.search(r"mtime (\d+)\.(\d{9})", p.stdout)
        self.assertIsNotNone(h, f"host nexfs stat printed {p.stdout!r}")
        host_mtime = datetime.datetime.fromtimestamp(int(h.group(1)), UTC)
        self.assertEqual(host_mtime, mtime, "host and guest read different mtimes")

    def test_rtc_base_option_sets_the_date(self):
        g = self.boot(["-rtc", "base=2001-02-03T04:05:06"])
        want = datetime.datetime(2001, 2, 3, 4, 5, 6, tzinfo=UTC)
        m = BOOT_RE.search(g.log)
        self.assertIsNotNone(m, "no rtc line with an ISO 8601 date in the boot log")
        self.assertNear(parse_iso(m.group(1)), want, 30, "boot line")
        self.assertNear(self.guest_date(g), want, 30, "date")
        self.assertEqual(g.poweroff(), 0)

    def test_clock_before_2000_is_unknown(self):
        img = self.make_fs()
        g = self.boot(disk_args(img, "pci-modern") + ["-rtc", "base=1990-06-01T00:00:00"],
                      transports=["pci-modern"])
        self.assertRegex(g.log, r"rtc: goldfish-rtc at 0x101000 reads 1990-06-01T00:00:\d\dZ, "
                                r"outside 2000\.\.2499: wall time unknown\n")
        self.assertIsNone(BOOT_RE.search(g.log))
        self.assertEqual(g.cmd("date").strip(), "date: no real-time clock")
        g.cmd("run -c blk0 nexfs write /f x")
        self.assertIn("modified unknown", g.cmd("run -c blk0 nexfs stat /f"))
        self.assertEqual(g.poweroff(), 0)

    def test_no_rtc_in_device_tree(self):
        d = self.tmpdir()
        dtb = os.path.join(d, "virt.dtb")
        argv = guest_argv()
        subprocess.run(argv + ["-machine", f"dumpdtb={dtb}"], check=True, capture_output=True,
                       timeout=30)
        with open(dtb, "rb") as f:
            blob = f.read()
        self.assertEqual(blob.count(b"google,goldfish-rtc\0"), 1)
        with open(dtb, "wb") as f:  # same length: every offset in the blob stays right
            f.write(blob.replace(b"google,goldfish-rtc\0", b"google,goldfish-xyz\0"))
        g = self.boot(["-dtb", dtb])
        self.assertIn("rtc: no real-time clock in the device tree: wall time unknown\n", g.log)
        self.assertEqual(g.cmd("date").strip(), "date: no real-time clock")
        self.assertEqual(g.poweroff(), 0)


if __name__ == "__main__":
    unittest.main()
