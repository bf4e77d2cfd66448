"""End-to-end check of cmake/virtio_gen.cmake: a tiny CMake project (tools/tests/cmake_project)
generates and compiles the tables; a no-op rebuild does not re-run the generator; a broken
manifest fails the *build* with the generator's file:line: message; fixing it recovers.
Registered in CTest by tests/host/gen.cmake as gen_virtio_cmake. Not picked up by
`unittest discover` (name does not start with test) because it takes several seconds.
"""

import os
import re
import shutil
import subprocess
import tempfile
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PROJECT = os.path.join(ROOT, "tools", "tests", "cmake_project")
TOY_DIR = os.path.join(ROOT, "tests", "fixtures", "plugins", "toy")
BAD = os.path.join(ROOT, "tests", "fixtures", "bad-manifests")
CMAKE = os.environ.get("RUMPK_CMAKE") or shutil.which("cmake")
GENERATORS = ["Unix Makefiles"] + (["Ninja"] if shutil.which("ninja") else [])


def run(command):
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    return result.returncode, result.stdout + result.stderr


class CMakeGenTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="gen_virtio_cmake_")
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)

    def configure(self, build, generator, manifests, extra_srcs=()):
        code, output = run([CMAKE, "-S", PROJECT, "-B", build, "-G", generator,
                            f"-DRUMPK_ROOT={ROOT}", "-DMANIFESTS=" + ";".join(manifests),
                            "-DEXTRA_SRCS=" + ";".join(extra_srcs)])
        self.assertEqual(code, 0, output)

    def build(self, build):
        return run([CMAKE, "--build", build, "-j2"])

    def test_build_rebuild_break_and_fix(self):
        for generator in GENERATORS:
            with self.subTest(generator=generator):
                self.check_flow(generator)

    def check_flow(self, generator):
        work = os.path.join(self.tmp, generator.replace(" ", "_"))
        manifest = os.path.join(work, "toy", "manifest.toml")
        os.makedirs(os.path.dirname(manifest))
        shutil.copy(os.path.join(TOY_DIR, "manifest.toml"), manifest)
        with open(manifest, encoding="utf-8") as handle:
            good = handle.read()
        build = os.path.join(work, "build")
        # toy.c includes <virtio_gen/virtio_ids.h>: proves the include dir the function returns.
        self.configure(build, generator, [manifest], [os.path.join(TOY_DIR, "toy.c")])

        code, output = self.build(build)
        self.assertEqual(code, 0, output)
        self.assertIn("Generating virtio", output)
        with open(os.path.join(build, "gen", "virtio_gen", "virtio_ids.h"), encoding="utf-8") as h:
            self.assertRegex(h.read(), r"#define VIRTIO_ID_TOY\s+60\n")

        code, output = self.build(build)
        self.assertEqual(code, 0, output)
        self.assertNotIn("Generating virtio", output, "no-op rebuild re-ran the generator")

        broken = good.replace('features = ["TOY_F_PING"', 'features = ["TOY_F_PONG"')
        self.assertNotEqual(broken, good)
        with open(manifest, "w", encoding="utf-8") as handle:
            handle.write(broken)
        line = broken[: broken.index("TOY_F_PONG")].count("\n") + 1
        code, output = self.build(build)
        self.assertNotEqual(code, 0, "build with a broken manifest succeeded:\n" + output)
        self.assertRegex(output, re.escape(f"{manifest}:{line}: unknown feature \"TOY_F_PONG\" "
                                           "(known toy features: TOY_F_PING"))

        with open(manifest, "w", encoding="utf-8") as handle:
            handle.write(good)
        code, output = self.build(build)
        self.assertEqual(code, 0, "fixing the manifest did not recover the build:\n" + output)

    def test_fresh_build_with_bad_manifest_fails(self):
        build = os.path.join(self.tmp, "fresh")
        self.configure(build, GENERATORS[0], [os.path.join(BAD, "bad_kind.toml")])
        code, output = self.build(build)
        self.assertNotEqual(code, 0, output)
        self.assertIn('tests/fixtures/bad-manifests/bad_kind.toml:4: bad kind "driver"', output)
        self.assertFalse(os.path.exists(os.path.join(build, "gen", "virtio_gen", "virtio_ids.h")))


if __name__ == "__main__":
    unittest.main()
