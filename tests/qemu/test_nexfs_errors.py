"""Disk errors under the filesystem (issue 21), from a real QEMU: blkdebug fails the reads of one
sector inside a file's data, or every flush, with EIO reported to the guest (werror=report,
rerror=report). On pci-legacy, pci-modern and mmio-v2, NexFS serving clients (nexfsd, fsh):
  * the file over the failing sector answers "I/O error", every time and at once (no retry
    loop), while every other file and directory is still served;
  * with every write to the journal's log failing (its first block: the first image of every
    commit), a client's write reaches it as "I/O error"; after poweroff the image passes
    fsck.nexfs -n and mounts again in a guest without errors, where the files stored before
    are intact. (A disk on which every flush fails cannot be mounted read-write: the mount's own
    commit needs one, and it says so: tested too.)
"""
import hashlib
import os
import subprocess
import unittest

from harness import QemuTestCase, disk_args, nexfs_tool

TRANSPORTS = ["pci-legacy", "pci-modern", "mmio-v2"]



class NexfsErrors(QemuTestCase):
    def boot(self, *args, **kw):
        kw.setdefault("append", "nexfs=off")  # NexFS is started by hand here, not at boot
        return super().boot(*args, **kw)

    def image(self):
        d = self.tmpdir()
        img = os.path.join(d, "fs.img")
        subprocess.run([nexfs_tool("mkfs.nexfs"), img, "--size", str(8 << 20)], check=True,
                       capture_output=True)
        blob = hashlib.sha256(b"the file over the bad sector").digest() * 2048  # 64 KiB
        for name, data in (("a.bin", blob), ("b.txt", b"still here\n")):
            path = os.path.join(d, name)
            with open(path, "wb") as f:
                f.write(data)
            subprocess.run([nexfs_tool("nexfs"), img, "put", path, "/" + name], check=True,
                           capture_output=True)
        with open(img, "rb") as f:
            where = f.read().find(blob[:4096])
        self.assertGreater(where, 0, "a.bin's data not found in the image")
        return d, img, (where + 8192) // 512  # a sector in the middle of a.bin's data

    def boot_failing(self, d, img, transport, rule):
        rules = os.path.join(d, "rules.conf")
        with open(rules, "w") as f:
            f.write(rule)
        g = self.boot(disk_args(f"blkdebug:{rules}:{img}", transport,
                                extra=",werror=report,rerror=report"), transports=[transport])
        g.cmd("run -b -c blk0 nexfsd")
        g.wait_line("nexfsd: serving vfs0", 10)
        return g

    def test_read_errors_stay_with_their_file(self):
        for t in TRANSPORTS:
            with self.subTest(transport=t):
                d, img, sector = self.image()
                g = self.boot_failing(d, img, t, f'[inject-error]\nevent = "read_aio"\n'
                                                 f'errno = "5"\nsector = "{sector}"\n')
                for _ in range(3):  # every time, and promptly
                    out = g.cmd("run -c vfs0 fsh hash /a.bin", timeout=20)
                    self.assertIn("fsh: /a.bin: I/O error", out)
                self.assertIn("still here", g.cmd("run -c vfs0 fsh cat /b.txt"))
                self.assertEqual(sorted(g.cmd("run -c vfs0 fsh ls /").split()),
                                 ["a.bin", "b.txt"])
                self.assertEqual(g.poweroff(), 0)

    def test_failed_flush_refuses_the_mount(self):
        d, img, _ = self.image()
        rules = os.path.join(d, "rules.conf")
        with open(rules, "w") as f:
            f.write('[inject-error]\nevent = "flush_to_disk"\nerrno = "5"\n')
        g = self.boot(disk_args(f"blkdebug:{rules}:{img}", "pci-modern",
                                extra=",werror=report,rerror=report"), transports=["pci-modern"])
        self.assertIn("nexfsd: mount: input/output error", g.cmd("run -c blk0 nexfsd", timeout=20))
        self.assertEqual(g.poweroff(), 0)
        p = subprocess.run([nexfs_tool("fsck.nexfs"), "-n", img], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_failed_write_reaches_the_writer_and_nothing_is_lost(self):
        for t in TRANSPORTS:
            with self.subTest(transport=t):
                d, img, _ = self.image()
                with open(img, "rb") as f:  # the journal's log starts at journal_start + 1
                    f.seek(56)
                    log = int.from_bytes(f.read(8), "little") + 1
                    f.seek(28)
                    bs = int.from_bytes(f.read(4), "little")
                g = self.boot_failing(d, img, t, f'[inject-error]\nevent = "write_aio"\n'
                                                 f'errno = "5"\nsector = "{log * bs // 512}"\n')
                out = g.cmd("run -c vfs0 fsh write /c.txt new text", timeout=20)
                self.assertIn("fsh: /c.txt: I/O error", out)
                self.assertIn("still here", g.cmd("run -c vfs0 fsh cat /b.txt"))
                self.assertEqual(g.poweroff(), 0)
                p = subprocess.run([nexfs_tool("fsck.nexfs"), "-n", img], capture_output=True,
                                   text=True)
                self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
                g = self.boot(disk_args(img, t), transports=[t])
                out = g.cmd("run -c blk0 nexfs cat /b.txt")
                self.assertIn("still here", out)
                self.assertIn("nexfs: fsck clean", g.cmd("run -c blk0 nexfs fsck", timeout=30))
                self.assertEqual(g.poweroff(), 0)


if __name__ == "__main__":
    unittest.main()
