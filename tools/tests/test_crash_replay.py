"""tools/crash_replay.py on hand-made logs in the dm-log-writes layout: entries and flushes are
read back, crash images hold exactly the writes the model allows, random cuts are reproducible
and keep only writes since the last flush, and every kind of bad log is refused with a reason."""
import os
import struct
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import crash_replay as cr  # noqa: E402

SS = 512


def make_log(entries, count=None, magic=cr.MAGIC, ssize=SS):
    """entries: (sector, data bytes or None for a flush, flags)."""
    body = b""
    for sector, data, flags in entries:
        n = len(data) // ssize if data else 0
        body += struct.pack("<QQQQ", sector, n, flags, 0).ljust(ssize, b"\0") + (data or b"")
    head = struct.pack("<QQQI", magic, 1, len(entries) if count is None else count, ssize)
    return head.ljust(ssize, b"\0") + body


def sec(ch, n=1):
    return ch.encode() * (SS * n)


# 0:W0 1:W1 2:F 3:W2 4:W0 5:F 6:W3 7:W1 (no flush at the end)
LOG = [(0, sec("A"), 0), (1, sec("B"), 0), (0, None, cr.FLUSH), (2, sec("C"), 0),
       (0, sec("D"), 0), (0, None, cr.FLUSH), (3, sec("E"), 0), (1, sec("F"), 0)]
START = bytes(SS * 4)


def image(log, cut):
    return next(cr.crash_images(START, log, [cut]))[1]


class CrashReplay(unittest.TestCase):
    def test_entries_and_flushes_read_back(self):
        log = cr.WriteLog(make_log(LOG), len(START))
        self.assertEqual(len(log.entries), 8)
        self.assertEqual(log.flushes, [2, 5])
        self.assertEqual([e.sector for e in log.entries], [0, 1, 0, 2, 0, 0, 3, 1])
        self.assertEqual(log.entries[4].data, sec("D"))
        # the log's length after entry i: 512 (super) + a header per entry + data sectors
        self.assertEqual(log.count_at(SS), 0)
        self.assertEqual(log.count_at(SS * 5), 2)
        self.assertEqual(log.count_at(SS * 6), 3)
        self.assertEqual(log.count_at(log.size), 8)
        self.assertEqual(log.last_flush_before(2), -1)
        self.assertEqual(log.last_flush_before(3), 2)
        self.assertEqual(log.last_flush_before(8), 5)

    def test_images_hold_what_the_cut_allows(self):
        log = cr.WriteLog(make_log(LOG), len(START))
        self.assertEqual(image(log, cr.Cut(0, -1, ())), START)
        self.assertEqual(image(log, cr.Cut(3, 2, ())), sec("A") + sec("B") + bytes(SS * 2))
        self.assertEqual(image(log, cr.Cut(6, 5, ())), sec("D") + sec("B") + sec("C") + bytes(SS))
        self.assertEqual(image(log, cr.Cut(8, 5, (7,))), sec("D") + sec("F") + sec("C") + bytes(SS))
        self.assertEqual(image(log, cr.Cut(5, 2, (4,))), sec("D") + sec("B") + bytes(SS * 2))

    def test_plan_covers_every_flush_and_is_reproducible(self):
        log = cr.WriteLog(make_log(LOG), len(START))
        cuts = cr.plan_cuts(log, 200, 7)
        self.assertEqual(cuts, cr.plan_cuts(log, 200, 7))
        self.assertNotEqual(cuts, cr.plan_cuts(log, 200, 8))
        self.assertEqual(cuts[:4], [cr.Cut(0, -1, ()), cr.Cut(3, 2, ()), cr.Cut(6, 5, ()),
                                    cr.Cut(8, 5, (6, 7))])
        sizes = set()
        for c in cuts[4:]:
            self.assertEqual(c.flush, log.last_flush_before(c.upto))
            self.assertTrue(all(c.flush < k < c.upto and log.is_write(log.entries[k])
                                for k in c.keep), c)
            if c.upto == 8 and c.flush == 5:
                sizes.add(len(c.keep))
        self.assertEqual(sizes, {0, 1, 2})  # subsets, not always all or nothing
        seen = [c for c, _ in cr.crash_images(START, log, cuts)]
        self.assertEqual(sorted(seen), sorted(cuts))

    def test_fua_writes_are_always_kept(self):
        log = cr.WriteLog(make_log([(0, None, cr.FLUSH), (1, sec("X"), cr.FUA),
                                    (2, sec("Y"), 0)]), len(START))
        for c in cr.plan_cuts(log, 50, 1):
            if c.upto >= 2:
                self.assertIn(1, c.keep)

    def test_bad_logs_are_refused(self):
        good = make_log(LOG)
        cases = {
            "bad magic": make_log(LOG, magic=0x1234),
            "past the end": make_log(LOG, count=9),
            "run past the end": good[:-1],
            "not supported": make_log([(0, sec("M"), cr.MARK)]),
            "power of two": make_log(LOG, ssize=1000),
            "no super block": b"\0" * 8,
        }
        for why, data in cases.items():
            with self.subTest(why):
                with self.assertRaisesRegex(cr.LogError, why):
                    cr.WriteLog(data, len(START))
        with self.assertRaisesRegex(cr.LogError, "past the disk"):
            cr.WriteLog(make_log([(4, sec("Z"), 0)]), len(START))

    def test_command_line_writes_one_crash_image(self):
        with tempfile.TemporaryDirectory() as d:
            paths = {n: os.path.join(d, n) for n in ("log", "start", "out")}
            for n, data in (("log", make_log(LOG)), ("start", START)):
                with open(paths[n], "wb") as f:
                    f.write(data)
            tool = [sys.executable, os.path.join(ROOT, "tools", "crash_replay.py")]
            p = subprocess.run(tool + ["info", paths["log"]], capture_output=True, text=True)
            self.assertIn("8 entries: 6 writes, 2 flushes", p.stdout)
            p = subprocess.run(tool + ["image", paths["log"], paths["start"], paths["out"],
                                       "--upto", "8", "--keep", "6"], capture_output=True,
                               text=True)
            self.assertEqual(p.returncode, 0, p.stderr)
            with open(paths["out"], "rb") as f:
                self.assertEqual(f.read(), sec("D") + sec("B") + sec("C") + sec("E"))
            p = subprocess.run(tool + ["image", paths["log"], paths["start"], paths["out"],
                                       "--upto", "8", "--keep", "4"], capture_output=True,
                               text=True)
            self.assertEqual(p.returncode, 1)
            self.assertIn("--keep 4: not after flush 5", p.stderr)


if __name__ == "__main__":
    unittest.main()
