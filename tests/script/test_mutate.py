"""tools/mutate.py, the mutation test of validation checks, on the small fixture project of
tests/fixtures/mutate: one mutant the fixture's test kills, one it does not notice. The tool
must report exactly that (score 1/2, the survivor named, exit 1), pass when the survivor is
marked as explained, leave the fixture untouched, and refuse a stale list (a check no longer
in the file) naming the list's file:line."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "tools", "mutate.py")
FIXTURE = os.path.join(ROOT, "tests", "fixtures", "mutate")


class MutateTool(unittest.TestCase):
    def setUp(self):
        d = tempfile.TemporaryDirectory(prefix="rumpk-mutate-")
        self.addCleanup(d.cleanup)
        self.tmp = d.name
        self.root = os.path.join(self.tmp, "tree")
        shutil.copytree(FIXTURE, self.root)

    def run_tool(self, list_path):
        return subprocess.run([sys.executable, SCRIPT, "--root", self.root, "--list", list_path,
                               "--work", os.path.join(self.tmp, "work"), "--jobs", "1"],
                              capture_output=True, text=True, timeout=300)

    def test_killed_and_survived(self):
        with open(os.path.join(self.root, "pick.c")) as f:
            before = f.read()
        r = self.run_tool(os.path.join(self.root, "checks.list"))
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("score 1/2 killed", r.stdout)
        self.assertRegex(r.stdout, r"killed by test_pick +pick.c:8 \[bounds\]")
        self.assertRegex(r.stdout, r"SURVIVED +pick.c:6 \[buffer\]")
        self.assertIn("survived: [buffer] pick.c: if (!buf)", r.stdout)
        with open(os.path.join(self.root, "pick.c")) as f:
            self.assertEqual(f.read(), before)

    def test_explained_survivor(self):
        marked = os.path.join(self.tmp, "marked.list")
        with open(os.path.join(self.root, "checks.list")) as f:
            text = f.read().replace("pick.c | if (!buf)", "~ pick.c | if (!buf)")
        with open(marked, "w") as f:
            f.write(text)
        r = self.run_tool(marked)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("score 1/2 killed; 1 survived, explained at the check; 0 survived "
                      "unexplained", r.stdout)
        self.assertIn("survived, harmless by the comment at the check: [buffer] pick.c", r.stdout)

    def test_stale_list(self):
        stale = os.path.join(self.tmp, "stale.list")
        with open(stale, "w") as f:
            f.write("[bounds]\npick.c | if (idx > len) => if (0)\n")
        r = self.run_tool(stale)
        self.assertEqual(r.returncode, 2)
        self.assertIn("stale.list:2: the check occurs 0 times in pick.c", r.stderr)


if __name__ == "__main__":
    unittest.main()
