"""Several block devices in one guest, each on its own transport, and the odd ones out.

One boot with five disks, told apart by their serial numbers (GET_ID):
  * three read-write disks on pci-modern, pci-legacy and mmio-v1: each gets its own patterns,
    32 requests in flight at once with their own data, and the host finds each disk's data in
    its own image only;
  * a read-only drive (-drive readonly=on): reported ro, `dd write` fails with one clear line,
    and the host's data reads back;
  * a disk with 4096-byte logical blocks: LBAs and counts in 4096-byte units end to end.
"""
import os
import re
import unittest

from harness import QemuTestCase, make_image
import test_blk_transports as common

MIB = 1 << 20
INFO_RE = re.compile(r"^(blk\d+): (\S+), (\d+) sectors x (\d+) bytes .*?, (rw|ro), "
                     r"serial (\S+),", re.M)


def drive(path, ident, readonly=False):
    ro = ",readonly=on" if readonly else ""
    return ["-drive", f"if=none,format=raw,file={path},id={ident}{ro}"]


class BlkMultiTest(QemuTestCase):
    def test_five_disks(self):
        d = self.tmpdir()
        imgs = {name: make_image(os.path.join(d, name + ".img"), 16 * MIB)
                for name in ("modern", "legacy", "mmio", "ro", "4k")}
        ro_text = b"read-only data from the host"
        common.write_at(imgs["ro"], 3 * 512, ro_text)

        args = (drive(imgs["modern"], "hd0")
                + ["-device", "virtio-blk-pci,drive=hd0,disable-legacy=on,serial=sn-modern"]
                + drive(imgs["legacy"], "hd1")
                + ["-device", "virtio-blk-pci,drive=hd1,disable-modern=on,serial=sn-legacy"]
                + drive(imgs["mmio"], "hd2")
                + ["-device", "virtio-blk-device,drive=hd2,serial=sn-mmio"]
                + drive(imgs["ro"], "hd3", readonly=True)
                + ["-device", "virtio-blk-pci,drive=hd3,disable-legacy=on,serial=sn-ro"]
                + drive(imgs["4k"], "hd4")
                + ["-device", "virtio-blk-pci,drive=hd4,disable-legacy=on,serial=sn-4k,"
                              "logical_block_size=4096,physical_block_size=4096"])
        g = self.boot(args, transports=["pci-modern", "pci-legacy", "mmio-v1"])

        info = g.cmd("blk info")
        rows = {m[6]: {"name": m[1], "transport": m[2], "sectors": int(m[3]),
                       "size": int(m[4]), "mode": m[5]} for m in INFO_RE.finditer(info)}
        self.assertEqual(set(rows), {"sn-modern", "sn-legacy", "sn-mmio", "sn-ro", "sn-4k"},
                         info)
        self.assertEqual(rows["sn-modern"]["transport"], "pci-modern")
        self.assertEqual(rows["sn-legacy"]["transport"], "pci-legacy")
        self.assertEqual(rows["sn-mmio"]["transport"], "mmio-v1")
        self.assertEqual(rows["sn-ro"]["mode"], "ro")
        self.assertEqual(rows["sn-4k"]["size"], 4096)
        self.assertEqual(rows["sn-4k"]["sectors"], 16 * MIB // 4096)
        for sn in ("sn-modern", "sn-legacy", "sn-mmio"):
            self.assertEqual((rows[sn]["size"], rows[sn]["sectors"], rows[sn]["mode"]),
                             (512, 16 * MIB // 512, "rw"))
        # Every probe line names its serial.
        for sn, row in rows.items():
            self.assertRegex(g.log, r"%s: \d+ sectors .* serial %s" % (row["name"], sn))

        # Each read-write disk: its own patterns, then 32 requests in flight at once.
        seeds = {"sn-modern": 101, "sn-legacy": 202, "sn-mmio": 303}
        runs = [(0, 8), (5000, 300), (32767, 1)]
        for sn, seed in seeds.items():
            name = rows[sn]["name"]
            for lba, count in runs:
                common.check_ok(self, g, f"blk pattern write {name} {lba} {count} {seed}",
                                f"wrote {count} sectors")
            out = common.check_ok(self, g, f"blk inflight {name} 32 10000",
                                  "outstanding at once")
            self.assertIn("writes=32 reads=32, verified=32", out)
        for sn, seed in seeds.items():
            for lba, count in runs:
                common.check_ok(self, g, f"blk pattern verify {rows[sn]['name']} {lba} "
                                f"{count} {seed}", "verified")

        # Read-only drive.
        ro = rows["sn-ro"]["name"]
        out = g.cmd(f"dd -d {ro} write 3 overwrite")
        self.assertEqual(out.strip(), f"dd: {ro} is read-only")
        out = g.cmd(f"blk pattern write {ro} 0 1 5")
        self.assertIn("device is read-only", out)
        out = g.cmd(f"dd -d {ro} read 3")
        self.assertIn(common.dd_hex(ro_text), out)

        # 4096-byte blocks: LBA 10 is byte 40960; the last block is 4095.
        k4 = rows["sn-4k"]["name"]
        common.check_ok(self, g, f"blk pattern write {k4} 10 3 404", "wrote 3 sectors at 10")
        common.check_ok(self, g, f"blk pattern write {k4} 4095 1 405", "wrote 1 sectors")
        common.check_ok(self, g, f"dd -d {k4} write 7 four k", "wrote 6 bytes")
        out = g.cmd(f"dd -d {k4} read 4096")
        self.assertIn(f"sector 4096 is past the end of {k4} (4096 sectors)", out)
        out = g.cmd(f"dd -d {k4} read 7 1")
        self.assertEqual(len(re.findall(r"^[0-9a-f]{8} ", out, re.M)), 256)
        self.assertIn("00007000  66 6f 75 72 20 6b 00 00", out)
        self.assertEqual(g.poweroff(), 0)

        # Host side: every disk holds its own data, and only that.
        for sn, seed in seeds.items():
            img = imgs[sn[3:]]
            for lba, count in runs:
                self.assertEqual(common.read_at(img, lba * 512, count * 512),
                                 common.pattern_bytes(seed, lba * 512, count * 512),
                                 f"{sn}: sectors {lba}+{count}")
            for i in range(32):  # the inflight writes: 4 KiB each, a 4 KiB gap between
                lba = 10000 + 16 * i
                self.assertEqual(common.read_at(img, lba * 512, 4096),
                                 common.pattern_bytes(0x1F11 + i, lba * 512, 4096),
                                 f"{sn}: inflight write {i}")
                self.assertEqual(common.read_at(img, (lba + 8) * 512, 4096), bytes(4096))
        self.assertEqual(common.read_at(imgs["ro"], 3 * 512, len(ro_text)), ro_text)
        self.assertEqual(common.read_at(imgs["ro"], 0, 512), bytes(512))
        k4img = imgs["4k"]
        self.assertEqual(common.read_at(k4img, 10 * 4096, 3 * 4096),
                         common.pattern_bytes(404, 10 * 4096, 3 * 4096))
        self.assertEqual(common.read_at(k4img, 4095 * 4096, 4096),
                         common.pattern_bytes(405, 4095 * 4096, 4096))
        self.assertEqual(common.read_at(k4img, 7 * 4096, 4096), b"four k".ljust(4096, b"\0"))
        self.assertEqual(common.read_at(k4img, 9 * 4096, 4096), bytes(4096))
        self.assertEqual(common.read_at(k4img, 13 * 4096, 4096), bytes(4096))


if __name__ == "__main__":
    unittest.main()
