"""`./rumpk bench ion`'s options and summary (tools/bench/ion.py), without booting or timing
anything: the defaults (24 pairs of 250 ms), --test choosing tests in a fixed order, an unknown
test refused, and the quartiles of the pairs' ratios.

    python3 -m unittest -v test_bench_ion     (from tools/tests; part of ./rumpk test)
"""
import contextlib
import io
import os
import sys
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools", "bench"))
import ion  # noqa: E402


class Options(unittest.TestCase):
    def test_defaults_are_24_short_pairs_of_every_test(self):
        a = ion.parse_args([])
        self.assertEqual((a.reps, a.ms), (24, 250))
        self.assertEqual(a.tests, list(ion.KEYS))

    def test_test_keeps_only_those_in_a_fixed_order(self):
        a = ion.parse_args(["--test", "rand_read_4k_qd32", "--test", "seq_read_1m"])
        self.assertEqual(a.tests, ["seq_read_1m", "rand_read_4k_qd32"])

    def test_an_unknown_test_is_refused(self):
        with contextlib.redirect_stderr(io.StringIO()) as err, self.assertRaises(SystemExit):
            ion.parse_args(["--test", "rand_read_4k_qd64"])
        self.assertIn("invalid choice: 'rand_read_4k_qd64'", err.getvalue())


class Quartiles(unittest.TestCase):
    def test_first_and_third(self):
        self.assertEqual(ion.quartiles([0.8, 0.9, 1.0, 1.1, 1.2]), [0.85, 1.15])

    def test_too_few_pairs(self):
        self.assertIsNone(ion.quartiles([0.9]))
        self.assertIsNone(ion.quartiles([]))


if __name__ == "__main__":
    unittest.main()
