"""tools/gen_ion.py: abi/ion.toml makes a header that compiles and carries the ABI's numbers;
every kind of bad manifest is refused with file:line: and a reason, and nothing is written."""
import os
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GEN = os.path.join(ROOT, "tools", "gen_ion.py")

GOOD = """[[channel]]
name = "blk"
base = 0x600
size = 0x100

[[struct]]
name = "A"
fields = [["lba", "u64"], ["n", "u32"], ["m", "u32"]]

[[command]]
name = "CMD_X"
code = 0x600
channel = "blk"
args = "A"
rights = ["r"]

[[error]]
name = "EPERM"
value = 1
message = "no"
"""


class GenIon(unittest.TestCase):
    def run_gen(self, text, out=None):
        d = tempfile.mkdtemp()
        path = os.path.join(d, "ion.toml")
        with open(path, "w") as f:
            f.write(text)
        args = [sys.executable, GEN, path] + (["--out", out] if out else ["--check"])
        p = subprocess.run(args, capture_output=True, text=True, cwd=d)
        return p.returncode, p.stderr

    def test_the_real_manifest_compiles_with_the_abi_numbers(self):
        d = tempfile.mkdtemp()
        subprocess.run([sys.executable, GEN, "--out", d, os.path.join(ROOT, "abi", "ion.toml")],
                       check=True)
        header = os.path.join(d, "ion_gen", "ion_cmds.h")
        text = open(header).read()
        self.assertIn("#define CMD_BLK_READ 0x600u", text)
        self.assertIn("#define CMD_BLK_WRITE 0x601u", text)
        self.assertIn("#define ION_CH_VFS_BASE 0x2000u", text)
        src = os.path.join(d, "t.c")
        with open(src, "w") as f:
            f.write('#include "ion_gen/ion_cmds.h"\n#include <errno.h>\n'
                    "_Static_assert(sizeof(struct BlkArgs) == 24, \"\");\n"
                    "_Static_assert(ION_EPERM == EPERM && ION_EFAULT == EFAULT, \"\");\n"
                    "int main(void) { return ion_error_message(-ION_EPERM) ? 0 : 1; }\n")
        exe = os.path.join(d, "t")
        subprocess.run(["gcc", "-std=c11", "-Wall", "-Werror", "-I", d, src, "-o", exe],
                       check=True)
        self.assertEqual(subprocess.run([exe]).returncode, 0)

    def test_good_manifest_passes(self):
        self.assertEqual(self.run_gen(GOOD), (0, ""))

    def refused(self, text, line, reason):
        rc, err = self.run_gen(text)
        self.assertEqual(rc, 1, err)
        self.assertRegex(err, rf"ion\.toml:{line}: .*{reason}")

    def test_bad_manifests_are_refused_with_file_and_line(self):
        cases = [
            (GOOD.replace('rights = ["r"]', 'rights = ["x"]'), 15, "unknown right"),
            (GOOD.replace("code = 0x600", "code = 0x700"), 12, "outside channel"),
            (GOOD.replace('args = "A"', 'args = "B"'), 14, "unknown argument layout"),
            (GOOD.replace('["m", "u32"]]', '["m", "u32"], ["z", "u64"], ["y", "u64"], ["x", "u64"]]'), 8,
             "more than the 32"),
            (GOOD.replace('[["lba", "u64"], ["n", "u32"]', '[["n", "u32"], ["lba", "u64"]'), 8,
             "padding"),
            (GOOD + '\n[[command]]\nname = "CMD_Y"\ncode = 0x600\nchannel = "blk"\n'
             'args = "none"\nrights = []\n', 24, "taken by CMD_X"),
            (GOOD + '\n[[channel]]\nname = "vfs"\nbase = 0x680\nsize = 0x10\n', 24,
             "overlap channel 'blk'"),
            (GOOD.replace('channel = "blk"', 'channel = "net"'), 13, "unknown channel"),
        ]
        for text, line, reason in cases:
            with self.subTest(reason=reason):
                self.refused(text, line, reason)


if __name__ == "__main__":
    unittest.main()
