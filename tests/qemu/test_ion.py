"""User fibers reach the disks only through ION and a capability (issue 16), on the real machine.

  * on every transport, `blkio` (user/programs/blkio.c, a U-mode fiber) reads what the host put
    in the image (its FNV-1a hash must match the host's) and writes a pattern the host finds
    after poweroff; the data moves by DMA into the fiber's pages: the kernel's count of bytes
    copied to and from fibers grows by far less than the data moved;
  * without the right (a read-only capability for a write) or after the capability is dropped,
    the command fails with a permission error and the device receives no request (its counter
    is unchanged), and the shell goes on;
  * a hostile program hands the ION boundary every bad argument in a table (each must get its
    exact error), DMA into kernel memory, 100,000 random and malformed commands and impossible
    ring indices; a fiber killed with 32 requests in flight gives all its pages back. After
    all that the kernel and the shell are up, the disk is byte-identical, and free pages,
    pinned pages and capabilities are back at their baseline.
"""
import os
import subprocess
import re
import time
import unittest

from harness import ALL_TRANSPORTS, KERNEL, QemuTestCase, disk_args, fnv1a, make_image

SECTOR = 512
USED_RE = re.compile(r"pages: \d+ total, (\d+) used")
ION_RE = re.compile(r"ion: (\d+) commands, (\d+) denied, (\d+) invalid, (\d+) broken rings, "
                    r"(\d+) in flight\nion: (\d+) pages pinned, (\d+) bytes copied to/from "
                    r"fibers, (\d+) capabilities")
STATS_RE = re.compile(r"blk stats (\S+): (\d+) requests")


def blkio_pattern(seed, length):
    """What `blkio write LBA COUNT SEED` writes (user/programs/blkio.c)."""
    return bytes((seed + i * 7 + i // 512) & 0xFF for i in range(length))


def host_fill(off, n):
    return bytes(((off + i) * 13 + (off + i) // 4096) & 0xFF for i in range(n))


def nipbox_symbol(name):
    """The address of a static in NipBox's image (riscv64-unknown-elf-nm)."""
    elf = os.path.join(os.path.dirname(KERNEL), "user", "nipbox.elf")
    out = subprocess.run(["riscv64-unknown-elf-nm", elf], check=True, capture_output=True,
                         text=True).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == name:
            return int(parts[0], 16)
    raise AssertionError(f"{name} not in {elf}")


class Ion(QemuTestCase):
    def ion(self, g):
        m = ION_RE.search(g.cmd("ion"))
        self.assertIsNotNone(m, g.log[-2000:])
        keys = ("commands", "denied", "invalid", "broken", "inflight", "pinned", "copied",
                "caps")
        return dict(zip(keys, map(int, m.groups())))

    def used_pages(self, g):
        return int(USED_RE.search(g.cmd("mem"))[1])

    def requests(self, g, dev):
        return int(STATS_RE.search(g.cmd(f"blk stats {dev}"))[2])

    def test_blkio_round_trips_on_every_transport(self):
        for seed, t in enumerate(ALL_TRANSPORTS, 1):
            with self.subTest(transport=t):
                self.round_trip(t, seed)

    def round_trip(self, t, seed):
        d = self.tmpdir()
        img = make_image(os.path.join(d, "disk.img"), 4 << 20, fill=host_fill)
        g = self.boot(disk_args(img, t), transports=[t])
        before = self.ion(g)
        moved = 0
        dev = "blk0"
        out = g.cmd(f"run -c {dev}:r blkio read 16 64")
        want = fnv1a(host_fill(16 * SECTOR, 64 * SECTOR))
        self.assertIn(f"read 64 blocks at 16: 32768 bytes, fnv {want:016x}", out)
        out = g.cmd(f"run -c {dev} blkio write 100 256 {seed}")
        self.assertIn("wrote 256 blocks at 100: 131072 bytes", out)
        self.assertIn("blkio: flushed", g.cmd(f"run -c {dev} blkio flush"))
        moved += 64 * SECTOR + 256 * SECTOR
        after = self.ion(g)
        # Zero copy: what the kernel copied for these fibers (their console text, ring set-up,
        # the device geometry) is a small fraction of the data the devices moved for them.
        copied = after["copied"] - before["copied"]
        self.assertLess(copied, moved // 50, f"{copied} bytes copied for {moved} moved")
        self.assertEqual(after["pinned"], 0)
        self.assertEqual(after["caps"], before["caps"])
        self.assertEqual(g.poweroff(), 0)
        with open(img, "rb") as f:
            f.seek(100 * SECTOR)
            self.assertEqual(f.read(256 * SECTOR), blkio_pattern(seed, 256 * SECTOR), t)
            f.seek(0)
            self.assertEqual(f.read(100 * SECTOR), host_fill(0, 100 * SECTOR), t)

    def test_missing_right_or_dropped_capability_never_reaches_the_device(self):
        for t in ("pci-modern", "mmio-v2"):
            with self.subTest(transport=t):
                d = self.tmpdir()
                img = make_image(os.path.join(d, "disk.img"), 4 << 20, fill=host_fill)
                g = self.boot(disk_args(img, t), transports=[t])
                base = self.ion(g)
                reqs = self.requests(g, "blk0")
                out = g.cmd("run -c blk0:r blkio write 0 1 9")
                self.assertIn("blkio: write: permission denied", out)
                out = g.cmd("run -c blk0 blkio dropread")
                self.assertIn("blkio: dropped slot 0", out)
                self.assertIn("blkio: read: no capability in that slot", out)
                out = g.cmd("run blkio read 0 1")  # no capability given at all
                self.assertIn("no capability in that slot", out)
                self.assertEqual(self.requests(g, "blk0"), reqs)
                now = self.ion(g)
                self.assertGreaterEqual(now["denied"] - base["denied"], 3)
                self.assertEqual(now["caps"], base["caps"])
                self.assertIn("blk0 sector 0:", g.cmd("dd read 0"))  # the shell goes on
                self.assertEqual(g.poweroff(), 0)
                with open(img, "rb") as f:
                    self.assertEqual(f.read(SECTOR), host_fill(0, SECTOR))

    def test_hostile_fiber_at_the_ion_boundary(self):
        d = self.tmpdir()
        img = make_image(os.path.join(d, "disk.img"), 4 << 20, fill=host_fill)
        with open(img, "rb") as f:
            before = f.read()
        g = self.boot(disk_args(img, "pci-legacy"), transports=["pci-legacy"])
        pages = self.used_pages(g)
        base = self.ion(g)
        end = (4 << 20) // SECTOR
        expect = {
            "lba-start-1": -34, "lba-start": 512, "lba-end-count": 4096,
            "lba-end-count+1": -34, "count-0": -22, "count-1": 512, "count-max": 65536,
            "count-too-big": -7, "len-mismatch": -22, "buf-last-byte": 512,
            "buf-crosses-unmapped": -14, "buf-kernel": -14, "buf-unmapped": -14,
            "buf-null": -14, "buf-readonly": -14, "buf-wraps": -14, "buf-unaligned": -14,
            "write-readonly-cap": -1, "slot-empty": -9, "slot-forged": -9,
            "op-unknown": -88, "op-vfs": -1,  # a VFS command through a block capability
        }
        self.assertEqual(end % 8, 0)
        out = g.cmd("run -c blk0:r hostile blkargs", timeout=20)
        got = {m[1]: int(m[2]) for m in re.finditer(r"blkargs (\S+) = (-?\d+)", out)}
        self.assertEqual(got, expect, out)
        self.assertIn("hostile: blkkernel -14", g.cmd("run -c blk0:r hostile blkkernel"))
        # NipBox's memory (a user fiber of its own): its addresses, read from its image, are
        # looked up in the hostile fiber's own table. Where that maps nothing: -EFAULT; where
        # it maps the hostile fiber's own page, the bytes land there, and NipBox's do not change
        # (its working directory, kept at that address, is still "/").
        at = nipbox_symbol("image") + (1 << 20)
        self.assertIn(f"hostile: blkat {at:#x} -14", g.cmd(f"run -c blk0:r hostile blkat {at:#x}"))
        at = nipbox_symbol("cwd") & ~4095
        out = g.cmd(f"run -c blk0:r hostile blkat {at:#x}")
        self.assertRegex(out, rf"hostile: blkat {at:#x} (4096|-14)")
        self.assertEqual(g.cmd("pwd").strip(), "/")
        out = g.cmd("run -c blk0:r hostile ionflood", timeout=120)
        m = re.search(r"ionflood 100000 commands: (\d+) ok, (\d+) errors", out)
        self.assertIsNotNone(m, out)
        self.assertGreater(int(m[1]), 0)  # some were well-formed reads and got done
        self.assertGreater(int(m[2]), 50000)
        self.assertIn("hostile: bogus indices -71 -71 -71", out)
        now = self.ion(g)
        self.assertGreaterEqual(now["broken"] - base["broken"], 1)
        self.assertEqual((now["inflight"], now["pinned"], now["caps"]), (0, 0, base["caps"]))
        self.assertEqual(self.used_pages(g), pages)
        self.assertIn("blk0 sector 0:", g.cmd("dd read 0"))
        self.assertNotIn("TRAP", g.log)
        self.assertNotIn("panic", g.log)
        self.assertEqual(g.poweroff(), 0)
        with open(img, "rb") as f:
            self.assertEqual(f.read(), before)

    def test_fiber_killed_with_requests_in_flight_gives_everything_back(self):
        d = self.tmpdir()
        img = make_image(os.path.join(d, "disk.img"), 4 << 20, fill=host_fill)
        # A slow disk (QEMU throttles it to 40 requests/s), so the requests are still at the
        # device when the fiber dies.
        g = self.boot(disk_args(img, "pci-modern", drive_extra=",throttling.iops-total=40"),
                      transports=["pci-modern"])
        pages = self.used_pages(g)
        base = self.ion(g)
        out = g.cmd("run -b -c blk0:r blkbench -t rand_read_4k_qd32 60000")
        fid = int(re.search(r"blkbench is fiber (\d+)", out)[1])
        time.sleep(1)
        busy = self.ion(g)
        self.assertGreater(busy["inflight"], 0)
        self.assertGreater(busy["pinned"], 0)
        out = g.cmd(f"kill {fid}")
        self.assertIn(f"kill: fiber {fid} killed", out)
        g.expect_line(f"fiber {fid} (blkbench) ended: status -4", out, 20)
        now = self.ion(g)
        self.assertEqual((now["inflight"], now["pinned"], now["caps"]), (0, 0, base["caps"]))
        self.assertEqual(self.used_pages(g), pages)
        self.assertIn("blk0 sector 0:", g.cmd("dd read 0", timeout=10))
        self.assertEqual(g.poweroff(), 0)


if __name__ == "__main__":
    unittest.main()
