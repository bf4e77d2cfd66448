"""What a user types reaches the command exactly, or the shell says why it did not.

Line length (a full sector's string fits, a longer line is refused whole), numbers (decimal unless
0x), UTF-8 passed through byte for byte (backspace erases a whole character), escape sequences
swallowed whole, typed-ahead input kept while a command runs (and, when even the large receive
buffer overflows, reported without ever joining two lines), and Ctrl-C stopping a long command at
once. Data written by `dd` is checked in the disk image on the host after poweroff.
"""
import os
import re
import time
import unittest

from harness import PROMPT, QemuTestCase, disk_args, make_image
import test_blk_transports as common

SECTOR = 512
LINE_RE = re.compile(r"^line(\d{4})$", re.M)


class ConsoleInputTest(QemuTestCase):
    def boot_disk(self, size=1 << 20, fill=None):
        img = make_image(os.path.join(self.tmpdir(), "disk.img"), size, fill)
        return self.boot(disk_args(img, "pci-modern"), transports=["pci-modern"]), img

    def sector(self, img, n):
        return common.read_at(img, n * SECTOR, SECTOR)

    def start_bench(self, g, ms):
        """Starts `bench blk <ms>` (four read phases of ms each) and returns once it runs."""
        g.send(f"bench blk {ms}\r")
        g.wait_for(f"bench blk {ms}\r\n")

    def test_a_full_sector_string_fits_and_a_longer_one_is_refused(self):
        g, img = self.boot_disk(fill=lambda off, n: b"\xee" * n)
        out = g.cmd("dd write 5 " + "X" * 512)
        self.assertEqual(out.strip(), "dd: wrote 512 bytes to blk0 sector 5")
        out = g.cmd("dd write 6 " + "Y" * 600)
        self.assertEqual(out.strip(), "dd: the string is 600 bytes; a sector of blk0 holds 512; "
                                      "nothing written")
        out = g.cmd("dd write 7 " + "Z" * 300 + " " + "W" * 300)
        self.assertEqual(out.strip(), "dd: the string is 601 bytes; a sector of blk0 holds 512; "
                                      "nothing written")
        self.assertEqual(g.poweroff(), 0)
        self.assertEqual(self.sector(img, 5), b"X" * 512)
        self.assertEqual(self.sector(img, 6), b"\xee" * SECTOR)
        self.assertEqual(self.sector(img, 7), b"\xee" * SECTOR)

    def test_an_overlong_line_is_refused_whole(self):
        g = self.boot()
        g.send("echo " + "Q" * 3000 + "\r")
        out = g.wait_for(PROMPT, 20)
        lines = out.strip().splitlines()
        self.assertEqual(lines[-1], "nipbox: line longer than 2047 bytes; not run", out)
        self.assertNotRegex(out, r"(?m)^Q+$")  # echo never ran, not even on a cut line
        # The shell is in a clean state afterwards.
        self.assertEqual(g.cmd("echo after").strip(), "after")
        self.assertEqual(g.poweroff(), 0)

    def test_numbers_are_decimal_unless_0x(self):
        g, img = self.boot_disk()
        self.assertEqual(g.cmd("dd write 010 ten").strip(), "dd: wrote 3 bytes to blk0 sector 10")
        self.assertEqual(g.cmd("dd write 08 eight").strip(),
                         "dd: wrote 5 bytes to blk0 sector 8")
        self.assertEqual(g.cmd("dd write 0x10 sixteen").strip(),
                         "dd: wrote 7 bytes to blk0 sector 16")
        self.assertEqual(g.cmd("dd write 0b1 x").strip(), "dd: bad sector number '0b1'")
        self.assertEqual(g.cmd("dd write 0x x").strip(), "dd: bad sector number '0x'")
        self.assertEqual(g.poweroff(), 0)
        self.assertEqual(self.sector(img, 10)[:4], b"ten\0")
        self.assertEqual(self.sector(img, 8)[:6], b"eight\0")
        self.assertEqual(self.sector(img, 16)[:8], b"sixteen\0")

    def test_poweroff_code_is_decimal(self):
        g = self.boot()
        g.send("poweroff 010\r")
        self.assertEqual(g.wait_exit(10), 10)

    def test_utf8_passes_through_and_backspace_erases_a_character(self):
        g, img = self.boot_disk()
        text = "héllo 世界"
        out = g.cmd("dd write 8 " + text)
        self.assertEqual(out.strip(), f"dd: wrote {len(text.encode())} bytes to blk0 sector 8")
        self.assertEqual(g.cmd("echo ü€𝄞").strip(), "ü€𝄞")
        # One backspace (or DEL) erases one character, whatever its length in bytes.
        g.send("dd write 9 añ\x7fb世\x08c😀\x7fd\r")
        self.assertEqual(g.wait_for(PROMPT).strip().splitlines()[-1],
                         "dd: wrote 4 bytes to blk0 sector 9")
        self.assertEqual(g.poweroff(), 0)
        self.assertEqual(self.sector(img, 8), text.encode().ljust(SECTOR, b"\0"))
        self.assertEqual(self.sector(img, 9), b"abcd".ljust(SECTOR, b"\0"))

    def test_escape_sequences_are_swallowed_whole(self):
        g = self.boot()
        # F1 (ESC O P), arrows (ESC [ A), F1 in the CSI form (ESC [ 1 1 ~), Ctrl-Right
        # (ESC [ 1 ; 5 C), Alt-x (ESC x): none leaves a character behind.
        g.send("echo a\x1bOPb\x1b[Ac\x1b[11~d\x1b[1;5Ce\x1bxf\r")
        self.assertEqual(g.wait_for(PROMPT).strip().splitlines()[-1], "abcdef")
        g.send("\x1bOP\r")
        out = g.wait_for(PROMPT)
        self.assertNotIn("command not found", out)
        # Enter in the middle of a sequence still ends the line.
        g.send("echo g\x1b[\r")
        self.assertEqual(g.wait_for(PROMPT).strip().splitlines()[-1], "g")
        self.assertEqual(g.poweroff(), 0)

    def test_typed_ahead_script_runs_every_line(self):
        g, _ = self.boot_disk(size=8 << 20)
        self.start_bench(g, 500)
        n = 400  # 14 bytes each: about 5.5 KiB typed while the command runs
        g.send("".join(f"echo line{i:04d}\r" for i in range(n)) + "echo END-MARK\r")
        g.wait_for("\nEND-MARK\r\n", 60)
        g.wait_for(PROMPT)
        self.assertNotIn("input lost", g.log)
        self.assertEqual([int(x) for x in LINE_RE.findall(g.log)], list(range(n)))
        self.assertNotIn("command not found", g.log)
        self.assertEqual(g.poweroff(), 0)

    def test_overflow_is_reported_and_never_joins_lines(self):
        g, _ = self.boot_disk(size=8 << 20)
        self.start_bench(g, 1000)  # 4 s: time for far more than the buffer to arrive
        n = 3000  # 41 KiB typed while the command runs: far beyond the receive buffer
        g.send("".join(f"echo line{i:04d}\r" for i in range(n)))
        g.wait_for("BENCH test=seq_read_4k_qd1", 60)  # the last phase ended
        g.wait_for(PROMPT, 30)
        g.send("echo END-MARK\r")
        g.wait_for("\nEND-MARK\r\n", 60)
        log = g.log
        self.assertRegex(log, r"(?m)^nipbox: input lost: \d+ bytes typed ahead did not fit the "
                              r"\d+-byte buffer; dropped through the end of a line$")
        ran = [int(x) for x in LINE_RE.findall(log)]
        self.assertGreater(len(ran), 100, "the buffer kept nothing")
        self.assertLess(len(ran), n, "nothing was lost: the test did not overflow")
        self.assertEqual(ran, sorted(set(ran)), "a line ran twice or out of order")
        self.assertEqual(ran[:100], list(range(100)), "the lines before the overflow ran")
        self.assertNotIn("command not found", log)  # no line was joined to another
        self.assertNotRegex(log, r"(?m)^line\d{4}\S")
        self.assertEqual(g.poweroff(), 0)

    def test_ctrl_c_stops_a_long_bench_phase_at_once(self):
        g, _ = self.boot_disk(size=8 << 20)
        self.start_bench(g, 30000)  # the first phase alone would run 30 s
        time.sleep(1)
        t0 = time.monotonic()
        g.send("\x03")
        out = g.wait_for(PROMPT, 5)
        self.assertLess(time.monotonic() - t0, 5)
        self.assertIn("bench: interrupted", out)
        self.assertNotIn("BENCH test=", out)  # no half-measured phase is reported
        self.assertEqual(g.cmd("echo next").strip(), "next")  # the ^C byte was not left behind
        self.assertEqual(g.poweroff(), 0)


if __name__ == "__main__":
    unittest.main()
