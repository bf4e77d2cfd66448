"""Fibers and U-mode on the real machine: user programs (user/programs/, embedded in the kernel)
run as fibers in their own Sv39 spaces, the timer preempts them, Ctrl-C and `kill` end them, and
every forbidden thing a hostile program tries ends in an error or in that fiber's death with a
one-block report, while the kernel, the shell and the disk go on and every page comes back.
"""
import os
import re
import time
import unittest

from harness import PROMPT, QemuTestCase, disk_args, make_image

USED_RE = re.compile(r"pages: \d+ total, (\d+) used")
PS_RE = re.compile(r"^\s*(\d+) (\S+)\s+(user|kernel)\s+(\S+)\s+(\d+)\s+(\d+)/(\d+)", re.M)
KILLED_RE = re.compile(r"fiber (\d+) \(hostile\) killed: ([^(]+) \(scause (0x[0-9a-f]+)\)\n"
                       r"    sepc (0x[0-9a-f]+)  stval (0x[0-9a-f]+)  sp (0x[0-9a-f]+)")


class Fibers(QemuTestCase):
    def used_pages(self, g):
        m = USED_RE.search(g.cmd("mem"))
        self.assertIsNotNone(m)
        return int(m[1])

    def ps(self, g):
        return {int(m[1]): (m[2], m[3], m[4], int(m[5])) for m in PS_RE.finditer(g.cmd("ps"))}

    def test_user_program_runs_with_arguments_and_status(self):
        g = self.boot()
        out = g.cmd("run hello 7 two")
        self.assertRegex(out, r"hello from fiber \d+ in U-mode: \[hello\] \[7\] \[two\]")
        slept = int(re.search(r"hello: slept (\d+) ms", out)[1])
        self.assertGreaterEqual(slept, 20)
        self.assertIn("hello: clocks agree: yes", out)  # U-mode rdtime, scaled by the shim
        self.assertIn("run: hello exited with status 7", out)
        self.assertNotIn("exited", g.cmd("run hello"))  # status 0 is not reported
        fibers = self.ps(g)
        self.assertEqual(sorted(f[0] for f in fibers.values()), ["idle", "init", "nipbox"])
        self.assertIn("no program named nothere", g.cmd("run nothere"))
        self.assertEqual(g.poweroff(), 0)

    def test_timer_preempts_user_code_and_kill_ends_it(self):
        d = self.tmpdir()
        img = make_image(os.path.join(d, "disk.img"), 4 << 20)
        g = self.boot(disk_args(img, "pci-modern"), transports=["pci-modern"])
        g.cmd("dd read 0")  # the shell's own ION channel: made at its first dd, kept after
        base = self.used_pages(g)
        out = g.cmd("run -b spin 0 quiet")
        fid = int(re.search(r"spin is fiber (\d+)", out)[1])
        time.sleep(1)
        # The shell answers and the disk works while a user fiber computes without pause.
        self.assertIn("still here", g.cmd("echo still here"))
        self.assertIn("wrote", g.cmd("dd write 9 while-spinning"))
        first = self.ps(g)[fid]
        self.assertEqual(first[:2], ("spin", "user"))
        time.sleep(0.5)
        second = self.ps(g)[fid]
        self.assertGreater(second[3], first[3])  # its CPU time grows: it is scheduled
        out = g.cmd(f"kill {fid}")
        self.assertIn(f"kill: fiber {fid} killed", out)
        g.expect_line(f"fiber {fid} (spin) ended: status -4", out, 5)
        self.assertNotIn(fid, self.ps(g))
        self.assertIn("no fiber", g.cmd(f"kill {fid}"))
        self.assertIn("cannot be killed", g.cmd("kill 1"))  # the shell itself
        self.assertEqual(self.used_pages(g), base)
        self.assertEqual(g.poweroff(), 0)
        with open(img, "rb") as f:
            f.seek(9 * 512)
            self.assertEqual(f.read(15), b"while-spinning\0")

    def test_ctrl_c_ends_the_foreground_program(self):
        g = self.boot()
        g.send("run spin\r")
        g.wait_for("spin: 1 s", 10)
        t0 = time.monotonic()
        g.send("\x03")
        out = g.wait_for(PROMPT, 5)
        # The shell's wait looks at Ctrl-C only every 10 s by itself: the kernel's poke of
        # timed waits (fiber_poke_waits) is what ends it this soon.
        self.assertLess(time.monotonic() - t0, 2)
        self.assertIn("run: spin exited with status -4", out)
        self.assertIn("after", g.cmd("echo after"))
        self.assertEqual(g.poweroff(), 0)

    def test_hostile_program_cannot_harm_the_kernel(self):
        d = self.tmpdir()
        img = make_image(os.path.join(d, "disk.img"), 4 << 20,
                         fill=lambda off, n: bytes((off + i) * 7 & 0xFF for i in range(n)))
        with open(img, "rb") as f:
            before = f.read()
        g = self.boot(disk_args(img, "pci-legacy"), transports=["pci-legacy"])
        g.cmd("dd read 0")  # the shell's own ION channel: made at its first dd, kept after
        base = self.used_pages(g)
        kernel_text = 0x80200000
        expect = {  # attempt: (cause, where the fault must be)
            "kread": ("load page fault", "stval", kernel_text),
            "kwrite": ("store/AMO page fault", "stval", kernel_text),
            "kjump": ("instruction page fault", "sepc", kernel_text),
            "priv": ("illegal instruction", None, None),
            "wfi": ("illegal instruction", None, None),
            "stack": ("store/AMO page fault, stack overflow", None, None),
            "textwrite": ("store/AMO page fault", None, None),
        }
        for attempt, (cause, field, where) in expect.items():
            with self.subTest(attempt=attempt):
                out = g.cmd(f"run hostile {attempt}", timeout=10)
                m = KILLED_RE.search(out)
                self.assertIsNotNone(m, out)
                self.assertEqual(m[2].strip(), cause)
                if field:
                    value = int(m[4] if field == "sepc" else m[5], 16)
                    self.assertEqual(value, where, out)
                self.assertIn("run: hostile exited with status -14", out)
                self.assertNotIn("did not trap", out)
        # Bad pointers in system calls: -EFAULT for kernel memory, unmapped space, the end of
        # the address space and read-only text as a read buffer; -ENOSYS for an unknown call.
        self.assertIn("hostile: badptr -14 -14 -14 -14 -88", g.cmd("run hostile badptr"))
        # The shell's calls with hostile arguments, from a fiber without its capabilities:
        # -EFAULT, -E2BIG, -EPERM, -ENOEXEC, -ECHILD; the shell (fiber 2) is untouched.
        self.assertIn("hostile: shellcalls -14 -7 -7 -14 -1 -14 -8 -7 -14 -14 -10 -10",
                      g.cmd("run hostile shellcalls"))
        self.assertNotIn("TRAP", g.log)
        self.assertEqual(self.used_pages(g), base)
        self.assertEqual(sorted(f[0] for f in self.ps(g).values()), ["idle", "init", "nipbox"])
        self.assertIn("blk0 sector 0: 00 07 0e 15", g.cmd("dd read 0"))
        self.assertEqual(g.poweroff(), 0)
        with open(img, "rb") as f:
            self.assertEqual(f.read(), before)


if __name__ == "__main__":
    unittest.main()
