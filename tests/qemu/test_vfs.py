"""NexFS serving other fibers over the VFS channel (0x2000), issue 18: `nexfsd` mounts a disk
made on the host and holds it alone; clients holding a VFS capability (`fsh`) list, read, hash,
write, make directories, rename and remove through the kernel's endpoint; the rights are
enforced; while it is mounted nobody else (the shell's dd included) reaches the disk; several
clients at once are served; when the server ends its clients get errors, the capability is
gone and the disk is free again; after poweroff the host sees the clients' files and fsck is
clean.
"""
import hashlib
import os
import subprocess
import time
import unittest

from harness import QemuTestCase, disk_args, fnv1a, nexfs_tool




class Vfs(QemuTestCase):
    def boot(self, *args, **kw):
        kw.setdefault("append", "nexfs=off")  # NexFS is started by hand here, not at boot
        return super().boot(*args, **kw)

    def test_nexfs_serves_clients_through_the_vfs_channel(self):
        d = self.tmpdir()
        img = os.path.join(d, "fs.img")
        subprocess.run([nexfs_tool("mkfs.nexfs"), img, "--size", str(16 << 20)], check=True,
                       capture_output=True)
        tree = os.path.join(d, "tree")
        os.makedirs(os.path.join(tree, "sub"))
        with open(os.path.join(tree, "a.txt"), "w") as f:
            f.write("hello from the host\n")
        blob = hashlib.sha256(b"vfs").digest() * 5000
        with open(os.path.join(tree, "sub", "big.bin"), "wb") as f:
            f.write(blob)
        subprocess.run([nexfs_tool("nexfs"), img, "put", "-r", tree, "/tree"], check=True,
                       capture_output=True)
        g = self.boot(disk_args(img, "pci-modern"), transports=["pci-modern"])
        caps_at_boot = g.cmd("ion").split(" bytes copied to/from fibers, ")[1]  # the shell's own
        out = g.cmd("run -b -c blk0 nexfsd")
        fid = int(out.split("is fiber ")[1].split()[0])
        g.wait_line("nexfsd: serving vfs0", 10)
        # Mounted: the disk is the server's alone.
        self.assertIn("dd: blk0 is mounted by NexFS (vfs0)", g.cmd("dd read 0"))
        self.assertIn("blk0 is mounted by NexFS", g.cmd("run -c blk0 blkio read 0 1"))
        self.assertIn("pci-modern", g.cmd("blk info blk0"))  # what it is may still be asked
        # Clients.
        self.assertEqual(sorted(g.cmd("run -c vfs0 fsh ls /tree").split()), ["a.txt", "sub/"])
        self.assertIn("hello from the host", g.cmd("run -c vfs0 fsh cat /tree/a.txt"))
        out = g.cmd("run -c vfs0 fsh hash /tree/sub/big.bin", timeout=30)
        self.assertIn(f"{len(blob)} bytes, fnv {fnv1a(blob):016x}", out)
        for line in ("write /c.txt written by a client", "mkdir /dir",
                     "mv /c.txt /dir/c.txt", "mkdir /gone", "rm /gone"):
            out = g.cmd(f"run -c vfs0 fsh {line}")
            self.assertNotIn("fsh:", out, line)
        self.assertIn("file, 20 bytes, 1 links", g.cmd("run -c vfs0 fsh stat /dir/c.txt"))
        # Rights and errors, each one line.
        self.assertIn("fsh: /x: permission denied", g.cmd("run -c vfs0:r fsh write /x y"))
        self.assertIn("fsh: /dir: permission denied", g.cmd("run -c vfs0:r fsh mkdir /dir"))
        self.assertIn("fsh: /dir: directory not empty", g.cmd("run -c vfs0 fsh rm /dir"))
        self.assertIn("fsh: /nothere: no such file or directory",
                      g.cmd("run -c vfs0 fsh cat /nothere"))
        self.assertIn("fsh: /: no capability in that slot", g.cmd("run fsh ls /"))
        # Several clients at once.
        for _ in range(3):  # not g.cmd: the clients print while the next line is typed
            g.send("run -b -c vfs0 fsh hash /tree/sub/big.bin\r")
            g.wait_for("run: fsh is fiber", 10)
        want = f"fsh: /tree/sub/big.bin: {len(blob)} bytes, fnv {fnv1a(blob):016x}"
        deadline = time.monotonic() + 30
        while (g.log.count(want) < 4 or g.log.count("(fsh) ended: status 0") < 3) and \
                time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertEqual(g.log.count(want), 4)  # the foreground one above, and these three
        self.assertEqual(g.log.count("(fsh) ended: status 0"), 3)
        g.drain()
        # The server ends: its capability goes, the disk is free again.
        g.expect_line("(nexfsd) ended", g.cmd(f"kill {fid}"), 10)
        self.assertIn("no device or object named vfs0", g.cmd("run -c vfs0 fsh ls /"))
        self.assertIn("blk0 sector 0:", g.cmd("dd read 0"))
        self.assertIn(caps_at_boot, g.cmd("ion"))  # the shell has its blk0 back, nothing else
        self.assertEqual(g.poweroff(), 0)
        p = subprocess.run([nexfs_tool("fsck.nexfs"), "-n", img], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        out = subprocess.run([nexfs_tool("nexfs"), img, "cat", "/dir/c.txt"], check=True,
                             capture_output=True).stdout
        self.assertEqual(out, b"written by a client\n")


if __name__ == "__main__":
    unittest.main()
