"""Out-of-tree plugins: `./rumpk build --plugins DIR --kernel-only` builds the fixture plugin in
tests/fixtures/oot-plugins/balloon (a folder the tree never names) into a kernel of its own
(RUMPK_BUILD in a temporary directory, so the tree's build is untouched); that kernel probes a
virtio-balloon on pci-modern and mmio-v2 and runs the plugin's own NipBox command. The tree's
kernel knows neither the driver nor the command."""
import os
import subprocess
import unittest

from harness import KERNEL, ROOT, QemuTestCase, base_args

PLUGIN = os.path.join(ROOT, "tests", "fixtures", "oot-plugins", "balloon")
DEVICES = {"pci-modern": "virtio-balloon-pci,disable-legacy=on", "mmio-v2": "virtio-balloon-device"}


class OutOfTreePluginTest(QemuTestCase):
    @classmethod
    def setUpClass(cls):
        import tempfile
        cls._build = tempfile.TemporaryDirectory(prefix="rumpk-oot-")
        env = dict(os.environ, RUMPK_BUILD=cls._build.name, JOBS="2")
        r = subprocess.run([os.path.join(ROOT, "rumpk"), "build", "--plugins", PLUGIN,
                            "--kernel-only"], env=env, capture_output=True, text=True,
                           timeout=600)
        if r.returncode != 0:
            cls._build.cleanup()
            raise AssertionError(f"./rumpk build --plugins failed ({r.returncode}):\n"
                                 f"{r.stdout[-4000:]}\n{r.stderr[-4000:]}")
        cls.kernel = os.path.join(cls._build.name, "riscv64", "rumpk.elf")

    @classmethod
    def tearDownClass(cls):
        cls._build.cleanup()

    def test_probed_on_each_transport(self):
        for transport, device in DEVICES.items():
            with self.subTest(transport=transport):
                g = self.boot(argv=base_args(self.kernel, transports=[transport])
                              + ["-device", device])
                self.assertRegex(g.log, r"balloon: .+ probed \(out-of-tree plugin\), host asks "
                                 r"for 0 pages")
                self.assertRegex(g.cmd("lsdev"), rf"(?m)^balloon0\s+balloon\s+{transport}\s.*READY")
                self.assertRegex(g.cmd("help"), r"(?m)^  balloon\b")
                self.assertEqual(g.cmd("balloon").strip(),
                                 "balloon0: host asks for 0 pages, guest gave 0")
                self.assertEqual(g.poweroff(), 0)

    def test_tree_kernel_has_no_such_plugin(self):
        g = self.boot(argv=base_args(KERNEL, transports=["mmio-v2"])
                      + ["-device", DEVICES["mmio-v2"]])
        self.assertNotIn("out-of-tree plugin", g.log)
        self.assertEqual(g.cmd("balloon").strip(), "nipbox: balloon: command not found")
        self.assertRegex(g.cmd("lsdev"), r"(?m)^-\s+balloon\s+mmio-v2\s.*NO_DRIVER")
        self.assertEqual(g.poweroff(), 0)

    def test_missing_folder_is_refused(self):
        env = dict(os.environ, RUMPK_BUILD=self._build.name)
        r = subprocess.run([os.path.join(ROOT, "rumpk"), "build", "--plugins",
                            os.path.join(ROOT, "tests", "fixtures", "no-such-plugin"),
                            "--kernel-only"], env=env, capture_output=True, text=True,
                           timeout=120)
        self.assertNotEqual(r.returncode, 0)
        self.assertRegex(r.stderr, r"--plugins: '.*no-such-plugin' has no manifest.toml")


if __name__ == "__main__":
    unittest.main()
