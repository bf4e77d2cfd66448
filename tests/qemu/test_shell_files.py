"""NipBox's file commands over NexFS (issue 18), on a raw disk (blk0) and a NexFS disk made on the
host (blk1): at boot NexFS leaves the raw disk alone and mounts the NexFS one, saying so; the
shell's ls, cat, write, echo > and >>, cp, mkdir, cd, pwd, mv, stat, hexdump, rm, rmdir, df, sync
and fsck work on it with the errors users expect, while raw `dd` still works on blk0 and is
refused on the mounted disk; umount, mount and mkfs from the shell; poweroff unmounts cleanly,
so the host's fsck.nexfs finds it clean and reads the shell's files byte for byte.
"""
import os
import re
import subprocess
import unittest

from harness import KERNEL, QemuTestCase, disk_args, make_image, nexfs_tool

HELLO = os.path.join(os.path.dirname(KERNEL), "user", "hello.elf")


class ShellFiles(QemuTestCase):
    def boot_two(self, transport="pci-modern"):
        d = self.tmpdir()
        raw = make_image(os.path.join(d, "raw.img"), 1 << 20)
        fs = os.path.join(d, "fs.img")
        subprocess.run([nexfs_tool("mkfs.nexfs"), fs, "--size", str(8 << 20)], check=True,
                       capture_output=True)
        subprocess.run([nexfs_tool("nexfs"), fs, "mkdir", "/etc"], check=True, capture_output=True)
        subprocess.run([nexfs_tool("nexfs"), fs, "mkdir", "/bin"], check=True, capture_output=True)
        subprocess.run([nexfs_tool("nexfs"), fs, "put", HELLO, "/bin/greet"], check=True,
                       capture_output=True)
        g = self.boot(disk_args(raw, transport, "hd0") + disk_args(fs, transport, "hd1"),
                      transports=[transport])
        return g, raw, fs

    def test_files_from_the_shell(self):
        g, raw, fs = self.boot_two()
        self.assertIn("nexfs: blk0 holds no NexFS filesystem; left alone", g.log)
        self.assertIn("nexfsd: serving vfs0", g.log)
        self.assertEqual(sorted(g.cmd("ls").split()), ["bin/", "etc/"])
        # Programs from files: by path, and found in /bin by name.
        out = g.cmd("run /bin/greet 7 two")
        self.assertRegex(out, r"hello from fiber \d+ in U-mode: \[/bin/greet\] \[7\] \[two\]")
        self.assertIn("run: /bin/greet exited with status 7", out)
        self.assertRegex(g.cmd("run greet 3"), r"U-mode: \[greet\] \[3\]")
        self.assertIn("/bin/nothere: no such file or directory", g.cmd("run /bin/nothere"))
        self.assertIn("no program named nothere", g.cmd("run nothere"))
        self.assertIn("write: 5 bytes to /etc/motd", g.cmd("write /etc/motd hello"))
        self.assertEqual(g.cmd("cat /etc/motd"), "hello")
        g.cmd("echo one two > /notes")
        g.cmd("echo three >> /notes")
        self.assertEqual(g.cmd("cat notes"), "one two\nthree\n")
        self.assertIn("cp: 14 bytes from /notes to /etc/notes.bak", g.cmd("cp notes etc/notes.bak"))
        self.assertIn("run: /notes: cannot start (not a valid program image)", g.cmd("run /notes"))
        g.cmd("mkdir /etc/sub")
        self.assertEqual(g.cmd("cd /etc/sub"), "")
        self.assertEqual(g.cmd("pwd").strip(), "/etc/sub")
        self.assertEqual(g.cmd("cat ../motd"), "hello")
        g.cmd("cd ..")
        self.assertEqual(sorted(g.cmd("ls").split()), ["motd", "notes.bak", "sub/"])
        self.assertEqual(g.cmd("mv notes.bak sub/n"), "")
        self.assertIn("/etc/sub/n: file, 14 bytes", g.cmd("stat sub/n"))
        self.assertRegex(g.cmd("ls -l /etc"), r"drwxr-xr-x\s+\d+\s+\d+  \d{4}-\d\d-\d\d .* sub")
        self.assertIn("00000000  68 65 6c 6c 6f", g.cmd("hexdump /etc/motd").replace("  ", " ", 0))
        # The errors users expect, one line each, nothing changed.
        self.assertEqual(g.cmd("cat /nothere").strip(), "cat: /nothere: no such file or directory")
        self.assertIn("is a directory", g.cmd("rm /etc"))
        self.assertIn("not a directory", g.cmd("rmdir /etc/motd"))
        self.assertIn("directory not empty", g.cmd("rmdir /etc/sub"))
        self.assertIn("not a directory", g.cmd("cd /etc/motd"))
        self.assertIn("mkdir: /etc: file exists", g.cmd("mkdir /etc"))
        g.cmd("rm /etc/sub/n")
        self.assertEqual(g.cmd("rmdir /etc/sub"), "")
        self.assertRegex(g.cmd("df"), r"df: \d+ KiB, \d+ KiB used, \d+ KiB free \(\d+-byte blocks\)")
        self.assertEqual(g.cmd("sync"), "")
        self.assertIn("fsck: clean", g.cmd("fsck"))
        # Raw dd: the raw disk works, the mounted one is NexFS's alone.
        self.assertIn("wrote", g.cmd("dd write 3 raw-still-works"))
        self.assertIn("dd: blk1 is mounted by NexFS (vfs0)", g.cmd("dd -d blk1 read 0"))
        self.assertEqual(g.poweroff(), 0)
        self.assertIn("nexfsd: vfs0 unmounted", g.log)
        p = subprocess.run([nexfs_tool("fsck.nexfs"), "-n", fs], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        out = subprocess.run([nexfs_tool("nexfs"), fs, "cat", "/notes"], check=True,
                             capture_output=True).stdout
        self.assertEqual(out, b"one two\nthree\n")
        with open(raw, "rb") as f:
            f.seek(3 * 512)
            self.assertEqual(f.read(16), b"raw-still-works\0")

    def test_umount_mount_and_mkfs(self):
        g, raw, fs = self.boot_two("mmio-v2")
        self.assertIn("umount: vfs0 unmounted", g.cmd("umount"))
        self.assertIn("no filesystem is mounted", g.cmd("ls"))
        self.assertIn("blk1 sector 0:", g.cmd("dd -d blk1 read 0"))  # the disk is back
        self.assertIn("mount: blk1 mounted as vfs0", g.cmd("mount blk1"))
        self.assertIn("etc/", g.cmd("ls /"))
        self.assertIn("mkfs: blk1 is mounted already (vfs0)", g.cmd("mkfs blk1"))
        g.cmd("umount")
        out = g.cmd("mkfs blk0", timeout=30)
        self.assertNotIn("mkfs:", out)
        self.assertIn("mount: blk0 mounted as vfs0", g.cmd("mount blk0"))
        self.assertEqual(g.cmd("ls /").split(), [])
        self.assertIn("mount: blk1 mounted as vfs1", g.cmd("mount blk1"))
        self.assertIn("umount: vfs1 unmounted", g.cmd("umount vfs1"))
        self.assertIn("umount: vfs7 is not mounted", g.cmd("umount vfs7"))
        self.assertEqual(g.poweroff(), 0)
        for img in (raw, fs):
            p = subprocess.run([nexfs_tool("fsck.nexfs"), "-n", img], capture_output=True,
                               text=True)
            self.assertEqual(p.returncode, 0, img + p.stdout + p.stderr)

    def test_read_only_disk_mounts_read_only(self):
        d = self.tmpdir()
        fs = os.path.join(d, "fs.img")
        subprocess.run([nexfs_tool("mkfs.nexfs"), fs, "--size", str(8 << 20)], check=True,
                       capture_output=True)
        subprocess.run([nexfs_tool("nexfs"), fs, "mkdir", "/kept"], check=True,
                       capture_output=True)
        with open(fs, "rb") as f:
            before = f.read()
        g = self.boot(disk_args(fs, "pci-legacy", readonly=True), transports=["pci-legacy"])
        self.assertIn("nexfsd: serving vfs0 (read-only)", g.log)
        self.assertEqual(g.cmd("ls").split(), ["kept/"])
        self.assertIn("write: /new: read-only device", g.cmd("write /new text"))
        self.assertIn("mkdir: /x: read-only device", g.cmd("mkdir /x"))
        self.assertIn("fsck: clean", g.cmd("fsck"))
        self.assertEqual(g.poweroff(), 0)
        with open(fs, "rb") as f:
            self.assertEqual(f.read(), before)  # never written


if __name__ == "__main__":
    unittest.main()
