"""Capabilities passed from fiber to fiber through the kernel (issue 16), with
tests/user/capdemo.c: a child gets copies of its parent's capabilities with equal or fewer
rights, and only when the parent holds the grant right; the parent can give a running child a
copy and revoke every copy derived from its own, after which the child's commands fail while
the parent's still work; only a parent can wait for or kill its child; children nobody waits for
are reaped; capability slots and fibers come back to their baseline.
"""
import os
import re
import unittest

from harness import ALL_TRANSPORTS, QemuTestCase, disk_args, make_image

EPERM, EBADF, ECHILD, ENOENT = -1, -9, -10, -2


class Caps(QemuTestCase):
    def results(self, out):
        return {m[1]: int(m[2]) for m in re.finditer(r"capdemo (\S+) = (-?\d+)", out)}

    def caps_live(self, g):
        return int(re.search(r"(\d+) capabilities", g.cmd("ion"))[1])

    def fibers(self, g):
        return re.findall(r"^\s*\d+ (\S+)\s+(?:user|kernel)", g.cmd("ps"), re.M)

    def test_capabilities_pass_down_shrink_and_are_revoked(self):
        d = self.tmpdir()
        img = make_image(os.path.join(d, "disk.img"), 1 << 20)
        g = self.boot(disk_args(img, "pci-modern"), transports=["pci-modern"])
        base = self.caps_live(g)
        out = g.cmd("run -c blk0:rwg capdemo pass", timeout=20)
        self.assertEqual(self.results(out), {
            "read-with-r": 0, "write-with-r": 1, "write-with-rw": 0,
            "more-than-held": EPERM, "bad-slot": EBADF, "no-program": ENOENT}, out)
        self.assertIn("blkio: write: permission denied", out)
        # Without the grant right nothing can be passed on.
        out = g.cmd("run -c blk0:rw capdemo pass", timeout=20)
        got = self.results(out)
        self.assertEqual([got[k] for k in ("read-with-r", "write-with-r", "write-with-rw")],
                         [EPERM] * 3, out)
        # Completion settings change the disk for every user: read and write are not enough.
        out = g.cmd("run -c blk0:rw capdemo settings", timeout=20)
        self.assertEqual(self.results(out), {"spin": EPERM, "polled": EPERM}, out)
        self.assertIn("blk spin: blk0: not permitted", out)
        out = g.cmd("run -c blk0:rwg capdemo settings", timeout=20)
        self.assertEqual(self.results(out), {"spin": 0, "polled": 0}, out)
        self.assertIn("blk spin: blk0: 100 us", out)
        out = g.cmd("run -c blk0:rwg capdemo revoke", timeout=20)
        self.assertEqual(self.results(out), {
            "revoked": 1, "child-status": 0, "parent-still-reads": 512}, out)
        m = re.search(r"reader: (\d+) reads, then (-?\d+)", out)
        self.assertGreater(int(m[1]), 0)  # it read through its copy ...
        self.assertEqual(int(m[2]), EBADF)  # ... until the parent took every copy back
        out = g.cmd("run -c blk0:rwg capdemo grant", timeout=20)
        self.assertEqual(self.results(out), {
            "granted-slot": 0, "grant-more": EPERM, "kill": 0, "child-status": -4}, out)
        out = g.cmd("run capdemo kill", timeout=20)
        self.assertEqual(self.results(out), {
            "kill": 0, "status": -4, "wait-again": ECHILD, "kill-not-child": ECHILD,
            "wait-self": ECHILD}, out)
        out = g.cmd("run capdemo orphan", timeout=20)
        self.assertEqual(self.results(out), {"spawned": 1})
        g.wait_line("(hello) ended: status 0", 10)
        self.assertEqual(sorted(self.fibers(g)), ["idle", "init", "nipbox"])
        self.assertEqual(self.caps_live(g), base)
        self.assertEqual(g.poweroff(), 0)

    def test_the_shell_gives_up_a_disk(self):
        # init gives the shell (a user fiber) the machine and every disk; after `caps drop blk0`
        # its dd is refused in one line and the device never sees the request.
        for transport in ALL_TRANSPORTS:
            with self.subTest(transport=transport):
                d = self.tmpdir()
                img = make_image(os.path.join(d, "disk.img"), 1 << 20)
                g = self.boot(disk_args(img, transport), transports=[transport])
                caps = g.cmd("caps")
                self.assertRegex(caps, r"\d+  machine   rwg")
                self.assertRegex(caps, r"\d+  blk0      rwg")
                self.assertIn("blk0 sector 0:", g.cmd("dd read 0"))
                before = g.cmd("blk stats blk0")
                self.assertEqual(g.cmd("caps drop blk0").strip(), "caps: dropped blk0")
                self.assertNotIn("blk0", g.cmd("caps"))
                self.assertEqual(g.cmd("dd read 0").strip(),
                                 "dd: blk0: permission denied (the shell holds no capability to it)")
                self.assertEqual(g.cmd("dd write 0 nope").strip(),
                                 "dd: blk0: permission denied (the shell holds no capability to it)")
                self.assertEqual(g.cmd("blk stats blk0"), before)  # no request reached it
                self.assertIn("caps: the shell holds no capability to blk0",
                              g.cmd("caps drop blk0"))
                self.assertEqual(g.poweroff(), 0)


if __name__ == "__main__":
    unittest.main()
