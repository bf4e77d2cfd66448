"""Boot tests: the kernel reaches the NipBox prompt, the basic commands work, line editing works,
an unexpected trap is reported and ends QEMU with a non-zero status, poweroff ends it with 0 (or
the given code). Also prints how long boot to the prompt took (host clock), without asserting it."""
import re
import time
import unittest

from harness import Guest, QemuTestCase

BASIC_COMMANDS = ["help", "echo", "mem", "uptime", "poweroff", "reboot", "crash"]


class BootTest(QemuTestCase):
    def uptime(self, g):
        m = re.search(r"up (\d+\.\d+) s, (\d+) timer ticks", g.cmd("uptime"))
        self.assertIsNotNone(m)
        return float(m.group(1)), int(m.group(2))

    def test_prompt_and_basic_commands(self):
        g = self.boot()
        print(f"\nboot to prompt: {g.boot_seconds * 1000:.0f} ms (host clock)")
        # The banner reports what the device tree said.
        self.assertIn("PLIC     0xc000000, 96 sources, hart 0 S-mode context 1", g.log)
        self.assertIn("RAM      0x80000000, 128 MiB", g.log)

        listing = g.cmd("help")
        for name in BASIC_COMMANDS:
            self.assertRegex(listing, rf"(?m)^  {name}\b", f"help does not list {name}")
        self.assertEqual(g.cmd("echo hi").strip(), "hi")
        self.assertEqual(g.cmd('echo  "two  words"   x').strip(), "two  words x")
        self.assertEqual(g.cmd("frobnicate now").strip(), "nipbox: frobnicate: command not found")
        self.assertEqual(g.cmd("").strip(), "")

        m = re.search(r"pages: (\d+) total, (\d+) used, (\d+) free", g.cmd("mem"))
        self.assertIsNotNone(m)
        total, used, free = map(int, m.groups())
        self.assertEqual(total, used + free)
        self.assertGreater(free, 30000)  # 128 MiB minus firmware and kernel: ~32k pages

        # The 100 Hz tick runs while the shell waits for input.
        up1, ticks1 = self.uptime(g)
        time.sleep(0.5)
        up2, ticks2 = self.uptime(g)
        self.assertGreater(up2, up1)
        self.assertGreaterEqual(ticks2 - ticks1, 10)
        self.assertEqual(g.poweroff(), 0)

    def test_line_editing(self):
        g = self.boot()
        # Backspace and DEL erase one character each.
        g.send("echo abX\x08c\x7fd\r")
        out = g.wait_for("nipbox> ")
        self.assertEqual(out.splitlines()[-1], "abd")
        # Ctrl-U erases the whole line; Ctrl-C abandons it.
        g.send("garbage\x15echo kept\r")
        self.assertEqual(g.wait_for("nipbox> ").splitlines()[-1], "kept")
        g.send("echo lost\x03")
        self.assertIn("^C", g.wait_for("nipbox> "))
        # An arrow key's escape sequence is ignored.
        g.send("echo \x1b[Aok\r")
        self.assertEqual(g.wait_for("nipbox> ").splitlines()[-1], "ok")
        self.assertEqual(g.poweroff(), 0)

    def test_crash_in_the_shell_ends_only_the_shell(self):
        # The shell is a user fiber: its fault is reported in one block (fiber, cause, sepc,
        # stval), it is ended, init starts a new shell, and the machine goes on.
        g = self.boot()
        g.send("crash\r")
        out = g.wait_for("nipbox> ", timeout=20)
        self.assertRegex(out, r"fiber \d+ \(nipbox\) killed: load page fault")
        self.assertRegex(out, r"sepc 0x[0-9a-f]{16}  stval 0x0000000000000000")
        self.assertIn("init: the shell ended (status -14); starting a new one", out)
        self.assertNotIn("TRAP:", out)  # not a kernel trap
        self.assertEqual(g.cmd("echo alive").strip(), "alive")
        self.assertEqual(g.poweroff(), 0)

    def test_poweroff_with_code(self):
        g = self.boot()
        g.send("poweroff 7\r")
        self.assertEqual(g.wait_exit(10), 7)

    def test_smp_memory_and_bootargs(self):
        # Four harts (only hart 0 runs the kernel), 256 MiB, a command line.
        g = self.boot(smp=4, memory="256M", append="virtio.pci=legacy quiet")
        self.assertIn("RAM      0x80000000, 256 MiB", g.log)
        self.assertIn('bootargs "virtio.pci=legacy quiet"', g.log)
        self.assertIn("hart 0 S-mode context 1", g.log)
        self.assertEqual(g.cmd("echo smp").strip(), "smp")
        self.assertEqual(g.poweroff(), 0)

    def test_boot_time(self):
        times = []
        for i in range(3):
            g = Guest(name=f"boot{i}")
            try:
                times.append(g.boot_seconds)
                self.assertEqual(g.poweroff(), 0)
            finally:
                g.close()
        times.sort()
        print(f"\nboot to prompt over 3 boots (host clock): min {times[0] * 1000:.0f} ms, "
              f"median {times[1] * 1000:.0f} ms, max {times[2] * 1000:.0f} ms")


if __name__ == "__main__":
    unittest.main()
