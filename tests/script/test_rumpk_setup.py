"""`./rumpk setup` when packages cannot be installed: one clear line naming the packages and the
reason, a non-zero exit, no stack trace. Runs the real script with stand-ins for dpkg-query,
apt-get, sudo and id on PATH (nothing is installed; RUMPK_BUILD keeps its log out of build/)."""
import os
import shutil
import subprocess
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The commands the script itself needs from the system.
BASE_TOOLS = ["bash", "dirname", "grep", "tail", "tr", "mkdir", "env", "nproc", "cat"]


class SetupErrors(unittest.TestCase):
    def setUp(self):
        d = tempfile.TemporaryDirectory(prefix="rumpk-setup-")
        self.addCleanup(d.cleanup)
        self.tmp = d.name
        self.bin = os.path.join(self.tmp, "bin")
        os.mkdir(self.bin)
        for t in BASE_TOOLS:
            os.symlink(shutil.which(t), os.path.join(self.bin, t))
        # Every package is installed except qemu-system-misc and u-boot-qemu.
        self.fake("dpkg-query", 'case "$*" in *qemu-system-misc*|*u-boot-qemu*) exit 1;; esac\n'
                                'printf "install ok installed"')
        self.fake("id", "echo 0")

    def fake(self, name, body):
        path = os.path.join(self.bin, name)
        with open(path, "w") as f:
            f.write("#!/bin/bash\n" + body + "\n")
        os.chmod(path, 0o755)

    def setup(self):
        env = {"PATH": self.bin, "RUMPK_BUILD": os.path.join(self.tmp, "build")}
        r = subprocess.run([os.path.join(self.bin, "bash"), os.path.join(ROOT, "rumpk"), "setup"],
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        return r.returncode, r.stdout.decode(), r.stderr.decode()

    def assert_one_line_error(self, stderr, *words):
        lines = stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, stderr)
        self.assertTrue(lines[0].startswith("rumpk: "), stderr)
        for w in ("qemu-system-misc", "u-boot-qemu") + words:
            self.assertIn(w, lines[0])
        self.assertNotIn("Traceback", stderr)

    def test_no_apt(self):
        rc, _, err = self.setup()
        self.assertEqual(rc, 1)
        self.assert_one_line_error(err, "apt-get not found")

    def test_not_root_and_no_sudo(self):
        self.fake("apt-get", "exit 0")
        self.fake("id", "echo 1000")
        rc, _, err = self.setup()
        self.assertEqual(rc, 1)
        self.assert_one_line_error(err, "not root and sudo not found")

    def test_no_network(self):
        self.fake("apt-get", '[ "$1" = update ] || exit 0\n'
                             'echo "E: Failed to fetch http://mirror/dists/bookworm/InRelease"'
                             "; exit 100")
        rc, _, err = self.setup()
        self.assertEqual(rc, 1)
        self.assert_one_line_error(err, "apt-get update failed", "Failed to fetch")

    def test_package_not_found(self):
        self.fake("apt-get", '[ "$1" = update ] && exit 0\n'
                             'echo "E: Unable to locate package u-boot-qemu"; exit 100')
        rc, _, err = self.setup()
        self.assertEqual(rc, 1)
        self.assert_one_line_error(err, "apt-get install failed", "Unable to locate")

    def test_install_that_installs_nothing(self):
        self.fake("apt-get", "exit 0")
        rc, _, err = self.setup()
        self.assertEqual(rc, 1)
        self.assert_one_line_error(err, "still missing")

    def test_install_through_sudo(self):
        """Not root, sudo present: apt-get runs under sudo with the missing packages only."""
        self.fake("id", "echo 1000")
        calls = os.path.join(self.tmp, "calls")
        self.fake("sudo", f'echo "sudo $*" >> {calls}; exit 0')
        self.fake("apt-get", "exit 0")
        rc, _, err = self.setup()
        self.assertEqual(rc, 1)  # the stand-in installs nothing, so both are still missing
        with open(calls) as f:
            lines = f.read().splitlines()
        self.assertEqual(lines[0], "sudo apt-get update -q")
        self.assertTrue(lines[1].endswith("apt-get install -y -q --no-install-recommends "
                                          "qemu-system-misc u-boot-qemu"), lines)


if __name__ == "__main__":
    unittest.main()
