"""NexFS in a user fiber (user/programs/nexfs.c: the nexfs/ code over the Membrane's block
calls), on the real machine, with images crossing the boundary both ways on every transport:

  * the host makes a filesystem and puts a tree in it (build/host's mkfs.nexfs and `nexfs put
    -r`); the guest lists it, prints the text file and hashes the binary one: the same bytes;
  * the guest writes a file, makes a directory, fills a 3,000,000-byte file and hashes it (1 MiB
    calls: the deep block path, nexus_blk_rw_deep); after poweroff the host gets them back
    byte-identical (`nexfs get`), and fsck.nexfs -n is clean both in the guest and on the host;
  * through a read-only capability the filesystem mounts read-only: a write gets "read-only
    filesystem" and the image is untouched.
"""
import hashlib
import os
import re
import subprocess
import unittest

from harness import ALL_TRANSPORTS, QemuTestCase, disk_args, fnv1a, nexfs_tool




def guest_fill(n, seed):
    """What `nexfs fill FILE N SEED` writes (user/programs/nexfs.c)."""
    return bytes((seed + i * 7 + i // 4096) & 0xFF for i in range(n))


FILL = 3_000_000  # in 1 MiB calls: runs of 256 KiB and more go to the device 4 at a time


class NexfsFiber(QemuTestCase):
    def boot(self, *args, **kw):
        kw.setdefault("append", "nexfs=off")  # NexFS is started by hand here, not at boot
        return super().boot(*args, **kw)

    def make_image(self, d):
        img = os.path.join(d, "fs.img")
        subprocess.run([nexfs_tool("mkfs.nexfs"), img, "--size", str(16 << 20)], check=True,
                       capture_output=True)
        tree = os.path.join(d, "tree")
        os.makedirs(os.path.join(tree, "sub"))
        with open(os.path.join(tree, "a.txt"), "w") as f:
            f.write("hello from the host\n")
        blob = hashlib.sha256(b"seed").digest() * 9000  # 288,000 bytes, not all one value
        with open(os.path.join(tree, "sub", "big.bin"), "wb") as f:
            f.write(blob)
        subprocess.run([nexfs_tool("nexfs"), img, "put", "-r", tree, "/tree"], check=True,
                       capture_output=True)
        return img, blob

    def host_fsck_clean(self, img):
        p = subprocess.run([nexfs_tool("fsck.nexfs"), "-n", img], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_images_cross_both_ways_on_every_transport(self):
        for seed, t in enumerate(ALL_TRANSPORTS, 1):
            with self.subTest(transport=t):
                self.cross(t, seed)

    def cross(self, transport, seed):
        d = self.tmpdir()
        img, blob = self.make_image(d)
        g = self.boot(disk_args(img, transport), transports=[transport])
        self.assertEqual(sorted(g.cmd("run -c blk0 nexfs ls /tree").split()), ["a.txt", "sub/"])
        self.assertIn("hello from the host", g.cmd("run -c blk0 nexfs cat /tree/a.txt"))
        out = g.cmd("run -c blk0 nexfs hash /tree/sub/big.bin", timeout=60)
        self.assertIn(f"{len(blob)} bytes, fnv {fnv1a(blob):016x}", out)
        for line in (f"write /guest.txt written on {transport}", "mkdir /gdir",
                     f"fill /gdir/f {FILL} {seed}"):
            out = g.cmd(f"run -c blk0 nexfs {line}", timeout=60)
            self.assertNotIn("nexfs:", out)  # success is silent
            self.assertNotIn("exited", out)
        want = guest_fill(FILL, seed)
        out = g.cmd("run -c blk0 nexfs hash /gdir/f", timeout=60)
        self.assertIn(f"{FILL} bytes, fnv {fnv1a(want):016x}", out)
        self.assertIn("nexfs: fsck clean (0)", g.cmd("run -c blk0 nexfs fsck", timeout=60))
        self.assertIn("file exists", g.cmd("run -c blk0 nexfs mkdir /gdir"))
        self.assertIn("no such file", g.cmd("run -c blk0 nexfs cat /nothere"))
        self.assertEqual(g.poweroff(), 0)
        self.host_fsck_clean(img)
        out = subprocess.run([nexfs_tool("nexfs"), img, "cat", "/guest.txt"], check=True,
                             capture_output=True).stdout
        self.assertEqual(out, f"written on {transport}\n".encode())
        got = os.path.join(d, "f.out")
        subprocess.run([nexfs_tool("nexfs"), img, "get", "/gdir/f", got], check=True,
                       capture_output=True)
        with open(got, "rb") as f:
            self.assertEqual(f.read(), want)

    def test_read_only_capability_mounts_read_only(self):
        d = self.tmpdir()
        img, _ = self.make_image(d)
        with open(img, "rb") as f:
            before = f.read()
        g = self.boot(disk_args(img, "pci-modern"), transports=["pci-modern"])
        self.assertIn("nexfs: /x: read-only filesystem",
                      g.cmd("run -c blk0:r nexfs write /x y"))
        self.assertIn("hello from the host", g.cmd("run -c blk0:r nexfs cat /tree/a.txt"))
        self.assertRegex(g.cmd("run nexfs ls"), r"nexfs: slot 0: no capability")
        self.assertEqual(g.poweroff(), 0)
        with open(img, "rb") as f:
            self.assertEqual(f.read(), before)


if __name__ == "__main__":
    unittest.main()
