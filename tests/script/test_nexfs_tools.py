"""The NexFS host tools (mkfs.nexfs, fsck.nexfs, nexfs) on real image files.

A host tree goes in with `nexfs put -r` and comes back byte-identical with `nexfs get -r`;
fsck.nexfs's exit codes are e2fsck's: 0 on a clean image, 4 on a corrupted one checked with
-n, 1 once -y repaired it, 8 when it cannot check at all. Needs NEXFS_TOOLS (the build/host
directory that holds the tools; CTest sets it).
"""
import filecmp
import os
import random
import struct
import subprocess
import tempfile
import unittest

TOOLS = os.environ.get("NEXFS_TOOLS", "")


def tool(name):
    path = os.path.join(TOOLS, name)
    if not os.access(path, os.X_OK):
        raise AssertionError(f"{path} is not built (set NEXFS_TOOLS to build/host)")
    return path


def run(*args, ok=True):
    p = subprocess.run(list(args), capture_output=True, text=True, timeout=60)
    if ok and p.returncode != 0:
        raise AssertionError(f"{' '.join(args)}: exit {p.returncode}\n{p.stdout}{p.stderr}")
    return p


class NexfsTools(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name
        self.img = os.path.join(self.dir, "fs.img")
        run(tool("mkfs.nexfs"), self.img, "--size", "24M")

    def tearDown(self):
        self.tmp.cleanup()

    def nexfs(self, *args, ok=True):
        return run(tool("nexfs"), self.img, *args, ok=ok)

    def fsck(self, *args):
        return run(tool("fsck.nexfs"), self.img, *args, ok=False)

    def make_tree(self, root):
        rng = random.Random(18)
        os.makedirs(os.path.join(root, "a", "b", "deep", "er"))
        os.makedirs(os.path.join(root, "empty-dir"))
        sizes = [0, 1, 4095, 4096, 4097, 49152, 50000, 1 << 20, 3 * (1 << 20) + 7]
        for i, n in enumerate(sizes):
            sub = ["a", "a/b", "a/b/deep", "a/b/deep/er", ""][i % 5]
            with open(os.path.join(root, sub, f"file {i} é"), "wb") as f:
                f.write(rng.randbytes(n))
        many = os.path.join(root, "many")
        os.makedirs(many)
        for i in range(300):
            with open(os.path.join(many, f"n{i:04d}"), "w") as f:
                f.write(f"entry {i}\n")

    def test_put_get_round_trip(self):
        src = os.path.join(self.dir, "src")
        self.make_tree(src)
        self.nexfs("put", "-r", src, "/")
        self.assertEqual(self.fsck("-n").returncode, 0)
        out = os.path.join(self.dir, "out")
        self.nexfs("get", "-r", "/src", out)
        cmp = filecmp.dircmp(src, out)
        self.assert_same(cmp)
        tree = self.nexfs("tree").stdout
        self.assertIn("deep/", tree)
        self.assertIn("file 0 é", tree)
        ls = self.nexfs("ls", "-l", "/src/a").stdout.splitlines()
        self.assertTrue(any(line.startswith("d0755") and line.endswith(" b") for line in ls), ls)
        self.assertEqual(self.nexfs("cat", "/src/many/n0007").stdout, "entry 7\n")
        self.assertIn("size 1048576", self.nexfs("stat", "/src/a/b/deep/file 7 é").stdout)
        self.nexfs("mv", "/src/many", "/moved")
        self.nexfs("mkdir", "-p", "/x/y/z")
        self.nexfs("rm", "-r", "/src/a")
        listing = self.nexfs("ls", "-r", "/").stdout.split()
        self.assertIn("/x/y/z/", listing)
        self.assertIn("/moved/n0299", listing)
        self.assertFalse(any(p.startswith("/src/a") for p in listing))
        df = self.nexfs("df").stdout
        self.assertRegex(df, r"block size 4096, blocks 6144, free \d+")
        self.assertEqual(self.fsck("-n").returncode, 0)

    def assert_same(self, cmp):
        self.assertEqual(cmp.left_only, [], cmp.left)
        self.assertEqual(cmp.right_only, [], cmp.right)
        match, mismatch, errors = filecmp.cmpfiles(cmp.left, cmp.right, cmp.common_files,
                                                   shallow=False)
        self.assertEqual((mismatch, errors), ([], []))
        for sub in cmp.subdirs.values():
            self.assert_same(sub)

    def test_errors_are_one_line(self):
        p = self.nexfs("cat", "/nope", ok=False)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stderr, "nexfs cat: /nope: no such file or directory\n")
        p = self.nexfs("mkdir", "/a/b", ok=False)
        self.assertEqual(p.stderr.strip(), "nexfs mkdir: /a/b: no such file or directory")
        p = run(tool("mkfs.nexfs"), os.path.join(self.dir, "missing.img"), ok=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("No such file", p.stderr)
        p = run(tool("mkfs.nexfs"), self.img, "--block-size", "3000", ok=False)
        self.assertEqual(p.returncode, 2)

    def superblock_field(self, off, fmt):
        with open(self.img, "rb") as f:
            return struct.unpack_from(fmt, f.read(4096), off)[0]

    def flip(self, offset):
        with open(self.img, "r+b") as f:
            f.seek(offset)
            b = f.read(1)
            f.seek(offset)
            f.write(bytes([b[0] ^ 0x20]))

    def test_fsck_exit_codes(self):
        self.nexfs("mkdir", "/d")
        with open(os.path.join(self.dir, "f"), "wb") as f:
            f.write(b"x" * 100000)
        self.nexfs("put", os.path.join(self.dir, "f"), "/d/f")
        p = self.fsck("-n")
        self.assertEqual(p.returncode, 0, p.stdout)
        self.assertIn("clean", p.stdout)
        # a corrupted block bitmap: found by -n (4), rebuilt by -y (1), then clean (0)
        bbitmap = self.superblock_field(72, "<Q")
        self.flip(bbitmap * 4096 + 200)
        p = self.fsck("-n")
        self.assertEqual(p.returncode, 4, p.stdout)
        self.assertIn(f"block {bbitmap}: bitmap block corrupt", p.stdout)
        p = self.fsck("-y")
        self.assertEqual(p.returncode, 1, p.stdout)
        self.assertEqual(self.fsck("-n").returncode, 0)
        # a corrupted primary superblock: -n 4, -y restores it from the backup
        self.flip(120)
        self.assertEqual(self.fsck("-n").returncode, 4)
        p = self.nexfs("ls", ok=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("cannot mount", p.stderr)
        self.assertEqual(self.fsck("-y").returncode, 1)
        self.assertEqual(self.fsck("-n").returncode, 0)
        self.assertEqual(self.nexfs("cat", "/d/f").stdout, "x" * 100000)
        # nothing to check
        p = run(tool("fsck.nexfs"), os.path.join(self.dir, "none.img"), ok=False)
        self.assertEqual(p.returncode, 8)


if __name__ == "__main__":
    unittest.main()
