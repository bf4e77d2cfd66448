"""Device errors and the less common block operations on real QEMU.

QEMU's blkdebug driver fails every read of sector 100, every write of sector 200 and every
flush with EIO, reported to the guest (werror=report, rerror=report: the VM is not paused).
On pci-legacy, pci-modern and mmio-v2 the guest must answer each failed command with exactly
one line naming the device, the sector (or the flush) and the error, serve every other sector
as before, keep the device in use, and not loop or retry when the same error comes back on
every attempt. Then WRITE_ZEROES and DISCARD: zeroed sectors read back as zeroes in the guest
and in the image.

A disk that stops answering (test_device_stops_answering, the same three transports): QEMU's
I/O throttling at one byte per second holds every request the device takes for minutes; the
kernel's deadline (5 s) must time the request out, reset the device and fail it, with one line
naming the disk and the sector; the user fibers waiting on it get their errors through ION
(the expired request -ETIMEDOUT, the other -EIO), while the shell and a second disk are served
throughout. blkdebug's `break` would suspend a request too, but QEMU 7.2's virtio-blk reset
drains every request in flight (blk_drain) with the big lock held, so the guest's reset would
hang the whole machine, monitor included, until a `resume` that can no longer arrive; a drain
lets throttled requests through, so the reset completes.
"""
import os
import re
import time
import unittest

from harness import QemuTestCase, Qmp, disk_args, fnv1a, make_image, qmp_args
import test_blk_transports as common

RULES = """[inject-error]
event = "read_aio"
errno = "5"
sector = "100"

[inject-error]
event = "write_aio"
errno = "5"
sector = "200"

[inject-error]
event = "flush_to_disk"
errno = "5"
"""
ERROR_TRANSPORTS = ["pci-legacy", "pci-modern", "mmio-v2"]


def failing_disk(test, transport):
    """QEMU arguments for an 8 MiB image behind blkdebug with RULES, and the image's path."""
    d = test.tmpdir()
    img = make_image(os.path.join(d, "disk.img"), 8 << 20)
    rules = os.path.join(d, "rules.conf")
    with open(rules, "w") as f:
        f.write(RULES)
    common.write_at(img, 99 * 512, b"before the bad one")
    common.write_at(img, 101 * 512, b"after the bad one")
    return disk_args(f"blkdebug:{rules}:{img}", transport,
                     extra=",werror=report,rerror=report"), img


class BlkErrorTest(QemuTestCase):
    def one_line(self, g, line, expect):
        """Runs `line`; its whole answer must be the one line `expect`."""
        out = g.cmd(line, timeout=30)
        self.assertEqual(out.strip().splitlines(), [expect], f"{line!r} said: {out!r}")

    def errors_on(self, transport):
        args, img = failing_disk(self, transport)
        g = self.boot(args, transports=[transport])

        self.one_line(g, "dd read 100", "dd: blk0 sector 100: I/O error")
        self.one_line(g, "dd read 96 8", "dd: blk0 sectors 96..103: I/O error")
        self.assertIn("blk0 sector 99: " + common.dd_hex(b"before the bad one"),
                      g.cmd("dd read 99"))
        self.assertIn("blk0 sector 101: " + common.dd_hex(b"after the bad one"),
                      g.cmd("dd read 101"))
        # The same error on every attempt: each ends at once with its one line, no retry loop.
        for _ in range(20):
            self.one_line(g, "dd read 100", "dd: blk0 sector 100: I/O error")
        self.one_line(g, "dd write 200 lost", "dd: blk0 sector 200: I/O error")
        self.one_line(g, "dd write 201 kept", "dd: wrote 4 bytes to blk0 sector 201")
        self.one_line(g, "blk flush blk0", "blk flush: blk0: I/O error")
        self.one_line(g, "blk flush blk0", "blk flush: blk0: I/O error")
        self.one_line(g, "blk pattern verify blk0 90 20 1",
                      "blk pattern: blk0: read of sectors 90..109: I/O error")
        out = g.cmd("blk info blk0")
        self.assertNotIn("FAILED", out)
        self.assertIn("blk0 sector 102: " + common.dd_hex(bytes(16)), g.cmd("dd read 102"))
        self.assertEqual(g.poweroff(), 0)
        self.assertEqual(common.read_at(img, 201 * 512, 512), b"kept".ljust(512, b"\0"))
        self.assertEqual(common.read_at(img, 200 * 512, 512), bytes(512))

    def fiber(self, g, line):
        """Starts `run -b line`; returns the fiber's id."""
        out = g.cmd("run -b " + line)
        m = re.search(r"is fiber (\d+)", out)
        self.assertIsNotNone(m, f"{line!r} said: {out!r}")
        return int(m[1])

    def good_disk_serves(self, g):
        self.assertIn(f"blk1 sector {GOOD_SECTOR}: " + common.dd_hex(GOOD_DATA),
                      g.cmd(f"dd -d blk1 read {GOOD_SECTOR}"))
        out = g.cmd(f"run -c blk1 blkio read {GOOD_SECTOR} 1")
        self.assertIn(f"blkio: read 1 blocks at {GOOD_SECTOR}: 512 bytes, fnv "
                      f"{fnv1a(GOOD_DATA):016x}", out)

    def while_stuck(self, m):
        """Two fibers wait on blk0, which holds both requests; the rest is served meanwhile.
        Returns the fibers' ids (reader, writer)."""
        g = m.g
        reader = self.fiber(g, "-c blk0 blkio read 100 1")
        writer = self.fiber(g, "-c blk0 blkio write 300 8 5")
        deadline = time.monotonic() + 3
        while m.held() < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(m.held(), 2, f"{m.transport}: QEMU's device does not hold both requests")
        # A waiter wakes every 10 ms to see whether it was killed (kernel/dispatch/chan.c,
        # WAIT_ROUND), so one `ps` may catch it ready for that moment: look a few times.
        for _ in range(5):
            ps = g.cmd("ps")
            if all(re.search(rf"(?m)^\s*{fid} blkio\s+user\s+blocked", ps)
                   for fid in (reader, writer)):
                break
        for fid in (reader, writer):
            self.assertRegex(ps, rf"(?m)^\s*{fid} blkio\s+user\s+blocked")
        self.assertIn("up ", g.cmd("uptime"))
        self.good_disk_serves(g)
        self.assertNotIn("taken out of use", g.log,
                         f"{m.transport}: the checks while the disk hangs outlasted the deadline")
        return reader, writer

    def after_timeout(self, m, reader, writer):
        g = m.g
        g.wait_line("taken out of use: read at sector 100 timed out", 30)
        ends = [f"fiber {fid} (blkio) ended: status 1\n" for fid in (reader, writer)]
        deadline = time.monotonic() + 10
        while not all(e in g.log for e in ends) and time.monotonic() < deadline:
            time.sleep(0.05)  # the two fibers end in either order
        for e in ends:
            self.assertIn(e, g.log, f"{m.transport}: a fiber waiting on blk0 did not end")
        log = g.log
        # One line for the failure, naming the disk and the sector; the fibers' own lines.
        after_boot = log[log.index("NipBox: "):]
        lines = [ln.removeprefix("nipbox> ") for ln in after_boot.splitlines()]
        kernel = [ln for ln in lines if ln.startswith(("virtio: ", "blk0"))]
        self.assertEqual(len(kernel), 1, f"{m.transport}: {kernel}")
        self.assertRegex(kernel[0], r"^virtio: blk0 block \S+ .*: taken out of use: read at sector "
                         r"100 timed out$")
        self.assertEqual(log.count("taken out of use"), 1)
        self.assertIn("blkio: read: timed out (", "\n".join(lines))
        self.assertIn("blkio: write: I/O error (-5)", lines)
        g.drain()
        # The device was reset (QEMU's status byte cleared) and is out of use; nothing of the
        # fibers' is left pinned or in flight.
        self.assertEqual(m.status(m.stuck), [])
        self.assertIn("VIRTIO_CONFIG_S_DRIVER_OK", m.status(m.good))
        self.assertIn("FAILED", g.cmd("blk info blk0"))
        self.assertIn("0 in flight", g.cmd("ion"))
        # Later requests fail at once, each with its caller's one line, nothing from the kernel.
        out = g.cmd("run -c blk0 blkio read 1 1")
        self.assertEqual(out.strip().splitlines(),
                         ["blkio: read: I/O error (-5)", "run: blkio exited with status 1"])
        for _ in range(5):
            self.one_line(g, "dd read 100", "dd: blk0 sector 100: I/O error")
        self.good_disk_serves(g)
        self.assertEqual(g.log.count("taken out of use"), 1)
        self.assertEqual(g.poweroff(), 0)

    def test_device_stops_answering(self):
        # The three guests wait out their deadlines together.
        machines = [StuckDisk(self, t) for t in ERROR_TRANSPORTS]
        fibers = [self.while_stuck(m) for m in machines]
        for m, (reader, writer) in zip(machines, fibers):
            self.after_timeout(m, reader, writer)

    def test_zeroes_and_discard(self):
        args, img = failing_disk(self, "pci-modern")
        g = self.boot(args, transports=["pci-modern"])
        out = g.cmd("blk info blk0")
        self.assertIn("discard, write-zeroes", out)

        common.check_ok(self, g, "blk pattern write blk0 300 64 7", "wrote 64 sectors")
        common.check_ok(self, g, "blk pattern write blk0 400 8 8", "wrote 8 sectors")
        common.check_ok(self, g, "blk zero blk0 310 20", "blk zero: blk0: 20 sectors at 310")
        out = g.cmd("blk pattern verify blk0 300 64 7")
        self.assertIn("mismatch at sector 310 byte 0", out)
        common.check_ok(self, g, "blk pattern verify blk0 300 10 7", "verified 10 sectors")
        common.check_ok(self, g, "blk pattern verify blk0 330 34 7", "verified 34 sectors")
        out = g.cmd("dd read 320")
        self.assertIn("blk0 sector 320: " + " ".join(["00"] * 16), out)
        common.check_ok(self, g, "blk discard blk0 400 8", "blk discard: blk0: 8 sectors at 400")
        out = g.cmd("blk zero blk0 16383 2")
        self.assertIn("past the end of the device", out)
        self.assertEqual(g.poweroff(), 0)

        self.assertEqual(common.read_at(img, 310 * 512, 20 * 512), bytes(20 * 512))
        self.assertEqual(common.read_at(img, 300 * 512, 10 * 512),
                         common.pattern_bytes(7, 300 * 512, 10 * 512))
        self.assertEqual(common.read_at(img, 330 * 512, 34 * 512),
                         common.pattern_bytes(7, 330 * 512, 34 * 512))


GOOD_SECTOR = 7
GOOD_DATA = b"the disk that still answers".ljust(512, b".")


class StuckDisk:
    """One guest for test_device_stops_answering: blk0 throttled to a byte per second (QEMU id
    `stuck`), blk1 an ordinary disk holding GOOD_DATA at GOOD_SECTOR, QMP on a socket."""

    def __init__(self, test, transport):
        d = test.tmpdir()
        stuck = make_image(os.path.join(d, "stuck.img"), 8 << 20)
        good = make_image(os.path.join(d, "good.img"), 8 << 20)
        common.write_at(good, GOOD_SECTOR * 512, GOOD_DATA)
        sock = os.path.join(d, "qmp.sock")
        args = (disk_args(stuck, transport, ident="hd0", extra=",id=stuck",
                          drive_extra=",throttling.bps-total=1")
                + disk_args(good, transport, ident="hd1") + qmp_args(sock))
        self.transport = transport
        # nexfs=off: no NexFS probe at boot, whose first read would hang on the stuck disk.
        self.g = test.boot(args, transports=[transport], name=transport, append="nexfs=off")
        self.qmp = Qmp(sock)
        test.addCleanup(self.qmp.close)
        paths = [v["path"] for v in self.qmp.execute("x-query-virtio")]
        self.stuck = next(p for p in paths if "/stuck" in p)
        self.good = next(p for p in paths if "/stuck" not in p)

    def status(self, path):
        return [s.split(":")[0] for s in
                self.qmp.execute("x-query-virtio-status", path=path)["status"]["statuses"]]

    def held(self):
        """Requests QEMU's device took from queue 0 and has not answered."""
        return self.qmp.execute("x-query-virtio-queue-status", path=self.stuck, queue=0)["inuse"]


def _make(transport):
    def test(self):
        self.errors_on(transport)
    test.__name__ = "test_errors_" + transport.replace("-", "_")
    return test


for _t in ERROR_TRANSPORTS:
    setattr(BlkErrorTest, "test_errors_" + _t.replace("-", "_"), _make(_t))


if __name__ == "__main__":
    unittest.main()
