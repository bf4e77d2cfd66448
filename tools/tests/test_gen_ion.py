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


PLUGIN = """[plugin]
name = "p"

[ion]
capability = "p"
lookup = "p_find"
shim = ["shim.c"]

[[ion.channel]]
name = "p"
base = 0x700
size = 0x10

[[ion.command]]
name = "CMD_P"
code = 0x700
channel = "p"
args = "none"
rights = ["r"]
handler = "p_cmd"
"""


class GenIonPlugins(unittest.TestCase):
    """A plugin's [ion] table: its commands, capability kind and shim, checked with the ABI's."""

    def run_gen(self, plugin_text, shim=True, out=None):
        d = tempfile.mkdtemp()
        abi = os.path.join(d, "ion.toml")
        with open(abi, "w") as f:
            f.write(GOOD)
        os.mkdir(os.path.join(d, "p"))
        man = os.path.join(d, "p", "manifest.toml")
        with open(man, "w") as f:
            f.write(plugin_text)
        if shim:
            open(os.path.join(d, "p", "shim.c"), "w").close()
        args = [sys.executable, GEN, abi, man, "--list-shim-sources"]
        args += ["--out", out] if out else ["--check"]
        p = subprocess.run(args, capture_output=True, text=True, cwd=d)
        return p.returncode, p.stdout, p.stderr

    def test_a_plugin_command_is_bound_to_its_handler_and_kind(self):
        out = tempfile.mkdtemp()
        rc, stdout, err = self.run_gen(PLUGIN, out=out)
        self.assertEqual(rc, 0, err)
        self.assertTrue(stdout.strip().endswith(os.path.join("p", "shim.c")))
        table = open(os.path.join(out, "ion_gen", "ion_plugins.c")).read()
        self.assertIn("{0x700u, ION_RIGHT_R, 16u, p_cmd},", table)
        self.assertIn('{"p", 16u, p_find},', table)
        header = open(os.path.join(out, "ion_gen", "ion_cmds.h")).read()
        self.assertIn("#define CMD_P 0x700u", header)
        self.assertIn("#define ION_CAP_P 16u", header)

    def test_bad_plugin_tables_are_refused_with_file_and_line(self):
        cases = [
            (PLUGIN.replace("base = 0x700", "base = 0x600"), 11, "overlap channel 'blk'"),
            (PLUGIN.replace('handler = "p_cmd"\n', ""), 14, "lacks 'handler'"),
            (PLUGIN.replace('capability = "p"\n', ""), 4, "needs capability"),
            (PLUGIN.replace('rights = ["r"]', 'rights = ["x"]'), 19, "unknown right"),
            (PLUGIN.replace('shim = ["shim.c"]', 'shim = ["../elsewhere.c"]'), 7,
             "not a file in the plugin's folder"),
            (PLUGIN.replace('channel = "p"\nargs', 'channel = "blk"\nargs'), 17,
             "not this plugin's"),
        ]
        for text, line, reason in cases:
            with self.subTest(reason=reason):
                rc, _, err = self.run_gen(text)
                self.assertEqual(rc, 1, err)
                self.assertRegex(err, rf"manifest\.toml:{line}: .*{reason}")

    def test_the_trees_manifests_bind_the_ports_commands_to_the_ports(self):
        # As cmake/ion_gen.cmake calls it: ION for ports is declared once, by ports/ion.toml, and
        # handled by ports/port_ion.c; a device plugin declaring the port channel again clashes.
        import glob
        devices = sorted(glob.glob(os.path.join(ROOT, "devices", "*", "manifest.toml")))
        manifests = [os.path.join(ROOT, "abi", "ion.toml"),
                     os.path.join(ROOT, "ports", "ion.toml")]
        out = tempfile.mkdtemp()
        p = subprocess.run([sys.executable, GEN, "--out", out] + manifests + devices,
                           capture_output=True, text=True, cwd=ROOT)
        self.assertEqual(p.returncode, 0, p.stderr)
        table = open(os.path.join(out, "ion_gen", "ion_plugins.c")).read()
        self.assertIn("{0x710u, ION_RIGHT_R, 16u, port_ion_read},", table)
        self.assertIn("{0x712u, ION_RIGHT_W, 16u, port_ion_close},", table)
        self.assertIn('{"port", 16u, port_ion_find},', table)
        d = tempfile.mkdtemp()
        again = os.path.join(d, "manifest.toml")
        with open(os.path.join(ROOT, "ports", "ion.toml")) as f:
            text = f.read()
        with open(again, "w") as f:
            f.write(text.replace('capability = "port"', 'capability = "port2"'))
        p = subprocess.run([sys.executable, GEN, "--check"] + manifests + [again],
                           capture_output=True, text=True, cwd=d)
        self.assertEqual(p.returncode, 1)
        self.assertIn("channel 'port' defined twice", p.stderr)


if __name__ == "__main__":
    unittest.main()
