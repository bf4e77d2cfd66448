"""tools/layers.py, the layer check: on small trees made for each case it must pass a tree that
keeps the table and fail, with file:line and both layers, on an upward include, a sideways one,
a private header of another layer and a file in no layer; its link check must fail on a call
into a layer the caller may not use (a stand-in nm reads canned symbol lists)."""
import os
import subprocess
import sys
import tempfile
import textwrap
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "tools", "layers.py")

# A tree in which every include is allowed.
CLEAN = {
    "framework/include/virtio/virtio.h": "#include <stdint.h>\n",
    "framework/virtio_core.c": "#include <virtio/virtio.h>\n#include <virtio_gen/virtio_ids.h>\n",
    "netstack/include/net/net.h": "#include <virtio/virtio.h>\n",
    "netstack/net_priv.h": "#include \"net/net.h\"\n",
    "netstack/ipv4.c": "#include \"net_priv.h\"\n",
    "devices/blk/blk.h": "#include <virtio/virtio.h>\n",
    "devices/blk/blk_valve.c": "#include \"blk/blk.h\"\n#include <valve.h>\n",
    "valve/include/valve.h": "#include <stdbool.h>\n",
    "valve/valve.c": "#include <errno.h>\n\n#include <valve.h>\n",
    "kernel/services/include/services/service.h": "#include <stdint.h>\n",
    "kernel/services/blk.c": "#include <services/service.h>\n#include <valve.h>\n",
    "tests/host/test_valve.c": "#include <services/service.h>\n#include \"../../valve/valve.c\"\n",
}


def run(args):
    return subprocess.run([sys.executable, SCRIPT] + args, capture_output=True, text=True)


class IncludeCheck(unittest.TestCase):
    def tree(self, extra):
        d = tempfile.TemporaryDirectory(prefix="rumpk-layers-")
        self.addCleanup(d.cleanup)
        for rel, text in {**CLEAN, **extra}.items():
            path = os.path.join(d.name, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
        return d.name

    def test_clean_tree_passes(self):
        r = run(["check", self.tree({})])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("every include allowed", r.stdout)

    def test_upward_include_fails(self):
        upward = {"valve/valve_io.c": "#include <stdint.h>\n#include <services/service.h>\n"}
        r = run(["check", self.tree(upward)])
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("valve/valve_io.c:2: valve includes kernel/services/include/services/"
                      "service.h of services (upward", r.stdout)

    def test_upward_include_from_framework_fails(self):
        r = run(["check", self.tree({"framework/virtqueue.c": "#include \"valve.h\"\n"})])
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("framework/virtqueue.c:1: framework includes valve/include/valve.h of valve "
                      "(upward; framework may use: nothing)", r.stdout)

    def test_sideways_include_fails(self):
        # valve sits above netstack but may not use it.
        r = run(["check", self.tree({"valve/valve_net.c": "#include <net/net.h>\n"})])
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("valve/valve_net.c:1: valve includes netstack/include/net/net.h of netstack "
                      "(not allowed", r.stdout)

    def test_private_header_by_path_fails(self):
        r = run(["check", self.tree({"framework/peek.c": "#include \"../netstack/net_priv.h\"\n"})])
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("framework/peek.c:1: framework includes netstack/net_priv.h of netstack",
                      r.stdout)

    def test_plugin_shell_source_is_its_own_layer(self):
        # A plugin's [nipbox] source may include the services' header; the plugin's other files
        # may not, and the shell source may not reach the Valve.
        manifest = ('[plugin]\nname = "blk"\nkind = "device"\ndriver = "d"\ntypes = ["block"]\n'
                    '[nipbox]\nsources = ["cmd_blkx.c"]\ncommands = ["blkx"]\n')
        tree = self.tree({"devices/blk/manifest.toml": manifest,
                          "devices/blk/cmd_blkx.c":
                          "#include <services/service.h>\n#include \"blk.h\"\n"})
        r = run(["check", tree])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        tree = self.tree({"devices/blk/manifest.toml": manifest,
                          "devices/blk/cmd_blkx.c": "#include <services/service.h>\n#include <valve.h>\n",
                          "devices/blk/blk_io.c": "#include <services/service.h>\n"})
        r = run(["check", tree])
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("devices/blk/cmd_blkx.c:2: plugin_shell includes valve/include/valve.h of "
                      "valve", r.stdout)
        self.assertIn("devices/blk/blk_io.c:1: devices includes kernel/services/include/"
                      "services/service.h of services", r.stdout)

    def test_file_in_no_layer_fails(self):
        r = run(["check", self.tree({"newdir/thing.c": "int x;\n"})])
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("newdir/thing.c:1: in no layer", r.stdout)


class LinkCheck(unittest.TestCase):
    def setUp(self):
        d = tempfile.TemporaryDirectory(prefix="rumpk-layers-nm-")
        self.addCleanup(d.cleanup)
        self.dir = d.name
        # The stand-in nm prints the "object" file, which holds nm -P lines.
        self.nm = os.path.join(self.dir, "nm")
        with open(self.nm, "w", encoding="utf-8") as f:
            f.write(f"#!{sys.executable}\nimport sys\nsys.stdout.write(open(sys.argv[-1]).read())\n")
        os.chmod(self.nm, 0o755)

    def obj(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(textwrap.dedent(text))
        return path

    def check(self, valve_syms):
        fw = self.obj("virtqueue.o", "vq_add T 0 0\nos_mb U\n")
        port = self.obj("os_kernel.o", "os_mb T 0 0\npage_alloc U\n")
        base = self.obj("page.o", "page_alloc T 0 0\n")
        valve = self.obj("valve.o", valve_syms)
        shell = self.obj("shell.o", "service_main T 0 0\nblock_read U\n")
        return run(["symbols", self.nm, "--layer", "base", base, "--layer", "framework", fw,
                    "--layer", "port", port, "--layer", "valve", valve, "--layer", "services",
                    shell])

    def test_allowed_calls_pass(self):
        # framework -> os_* (the port provides it), valve -> framework, libc symbols ignored.
        r = self.check("block_read T 0 0\nvq_add U\nmemcpy U\n")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_upward_call_fails(self):
        r = self.check("block_read T 0 0\nservice_main U\n")
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("valve.o: valve calls service_main of services", r.stdout)

    def test_call_into_base_fails(self):
        r = self.check("block_read T 0 0\npage_alloc U\n")
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("valve calls page_alloc of base", r.stdout)


if __name__ == "__main__":
    unittest.main()
