"""Tests for tools/gen_virtio.py: generated constants match the virtio 1.2 numbers, the output
compiles warning-free (host gcc and riscv64 cross gcc), the lookup functions and registry behave,
outputs are rewritten only when they change, and every broken manifest fails with its file:line.
Run: python3 -m unittest discover -s tools/tests -v   (from anywhere)
"""

import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
GEN = os.path.join(ROOT, "tools", "gen_virtio.py")
SPEC = os.path.join(ROOT, "framework", "virtio.toml")
BAD = os.path.join(ROOT, "tests", "fixtures", "bad-manifests")
TOY = os.path.join(ROOT, "tests", "fixtures", "plugins", "toy", "manifest.toml")
FRAMEWORK_INCLUDE = os.path.join(ROOT, "framework", "include")
CFLAGS = ["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic"]
RISCV_GCC = shutil.which("riscv64-unknown-elf-gcc")
RISCV_FLAGS = ["-march=rv64gc", "-mabi=lp64d", "-mcmodel=medany", "--specs=picolibc.specs",
               "-ffreestanding"]

sys.path.insert(0, os.path.join(ROOT, "tools"))
from virtio_gen.tomlpos import TomlLines  # noqa: E402

# Numbers from the virtio 1.2 specification, written here independently of virtio.toml.
SPEC_NUMBERS = {
    "VIRTIO_ID_NET": 1, "VIRTIO_ID_BLOCK": 2, "VIRTIO_ID_CONSOLE": 3, "VIRTIO_ID_ENTROPY": 4,
    "VIRTIO_ID_BALLOON": 5, "VIRTIO_ID_SCSI": 8, "VIRTIO_ID_9P": 9, "VIRTIO_ID_GPU": 16,
    "VIRTIO_ID_INPUT": 18, "VIRTIO_ID_VSOCK": 19,
    "VIRTIO_PCI_VENDOR_ID": 0x1AF4,
    "VIRTIO_PCI_LEGACY_ID_NET": 0x1000, "VIRTIO_PCI_LEGACY_ID_BLOCK": 0x1001,
    "VIRTIO_PCI_LEGACY_ID_BALLOON": 0x1002, "VIRTIO_PCI_LEGACY_ID_CONSOLE": 0x1003,
    "VIRTIO_PCI_LEGACY_ID_SCSI": 0x1004, "VIRTIO_PCI_LEGACY_ID_ENTROPY": 0x1005,
    "VIRTIO_PCI_LEGACY_ID_9P": 0x1009,
    "VIRTIO_PCI_MODERN_ID_NET": 0x1041, "VIRTIO_PCI_MODERN_ID_BLOCK": 0x1042,
    "VIRTIO_PCI_MODERN_ID_GPU": 0x1050, "VIRTIO_PCI_MODERN_ID_INPUT": 0x1052,
    "VIRTIO_F_NOTIFY_ON_EMPTY": 24, "VIRTIO_F_ANY_LAYOUT": 27, "VIRTIO_F_RING_INDIRECT_DESC": 28,
    "VIRTIO_F_RING_EVENT_IDX": 29, "VIRTIO_F_VERSION_1": 32, "VIRTIO_F_ACCESS_PLATFORM": 33,
    "VIRTIO_F_RING_PACKED": 34, "VIRTIO_F_IN_ORDER": 35, "VIRTIO_F_ORDER_PLATFORM": 36,
    "VIRTIO_F_SR_IOV": 37, "VIRTIO_F_NOTIFICATION_DATA": 38, "VIRTIO_F_RING_RESET": 40,
    "VIRTIO_BLK_F_SIZE_MAX": 1, "VIRTIO_BLK_F_SEG_MAX": 2, "VIRTIO_BLK_F_GEOMETRY": 4,
    "VIRTIO_BLK_F_RO": 5, "VIRTIO_BLK_F_BLK_SIZE": 6, "VIRTIO_BLK_F_FLUSH": 9,
    "VIRTIO_BLK_F_TOPOLOGY": 10, "VIRTIO_BLK_F_CONFIG_WCE": 11, "VIRTIO_BLK_F_MQ": 12,
    "VIRTIO_BLK_F_DISCARD": 13, "VIRTIO_BLK_F_WRITE_ZEROES": 14,
    "VIRTIO_NET_F_CSUM": 0, "VIRTIO_NET_F_GUEST_CSUM": 1, "VIRTIO_NET_F_MTU": 3,
    "VIRTIO_NET_F_MAC": 5, "VIRTIO_NET_F_GUEST_TSO4": 7, "VIRTIO_NET_F_MRG_RXBUF": 15,
    "VIRTIO_NET_F_STATUS": 16, "VIRTIO_NET_F_CTRL_VQ": 17, "VIRTIO_NET_F_MQ": 22,
    "VIRTIO_BLK_CFG_CAPACITY": 0, "VIRTIO_BLK_CFG_CAPACITY_WIDTH": 8,
    "VIRTIO_BLK_CFG_CAPACITY_FEATURE": -1,
    "VIRTIO_BLK_CFG_SIZE_MAX": 8, "VIRTIO_BLK_CFG_SIZE_MAX_WIDTH": 4,
    "VIRTIO_BLK_CFG_SIZE_MAX_FEATURE": 1,
    "VIRTIO_BLK_CFG_SEG_MAX": 12, "VIRTIO_BLK_CFG_CYLINDERS": 16,
    "VIRTIO_BLK_CFG_CYLINDERS_WIDTH": 2, "VIRTIO_BLK_CFG_HEADS": 18, "VIRTIO_BLK_CFG_SECTORS": 19,
    "VIRTIO_BLK_CFG_BLK_SIZE": 20, "VIRTIO_BLK_CFG_BLK_SIZE_WIDTH": 4,
    "VIRTIO_BLK_CFG_BLK_SIZE_FEATURE": 6,
    "VIRTIO_BLK_CFG_PHYSICAL_BLOCK_EXP": 24, "VIRTIO_BLK_CFG_ALIGNMENT_OFFSET": 25,
    "VIRTIO_BLK_CFG_MIN_IO_SIZE": 26, "VIRTIO_BLK_CFG_OPT_IO_SIZE": 28,
    "VIRTIO_BLK_CFG_WRITEBACK": 32, "VIRTIO_BLK_CFG_WRITEBACK_FEATURE": 11,
    "VIRTIO_BLK_CFG_NUM_QUEUES": 34, "VIRTIO_BLK_CFG_NUM_QUEUES_WIDTH": 2,
    "VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS": 36,
    "VIRTIO_NET_CFG_MAC": 0, "VIRTIO_NET_CFG_MAC_WIDTH": 1, "VIRTIO_NET_CFG_MAC_COUNT": 6,
    "VIRTIO_NET_CFG_MAC_FEATURE": 5, "VIRTIO_NET_CFG_STATUS": 6, "VIRTIO_NET_CFG_STATUS_WIDTH": 2,
    "VIRTIO_NET_CFG_MAX_VIRTQUEUE_PAIRS": 8, "VIRTIO_NET_CFG_MTU": 10,
    "VIRTIO_NET_CFG_MTU_FEATURE": 3,
}


def real_manifests():
    """Every manifest the kernel and host builds would pass (those that exist right now)."""
    patterns = ("devices/*/manifest.toml", "transports/*/manifest.toml",
                "tests/fixtures/plugins/*/manifest.toml")
    found = []
    for pattern in patterns:
        found.extend(sorted(glob.glob(os.path.join(ROOT, pattern))))
    return found


def run_gen(out, manifests, spec=SPEC, cwd=ROOT, extra=()):
    return subprocess.run([sys.executable, GEN, "--spec", spec, "--out", out, *extra, *manifests],
                          cwd=cwd, capture_output=True, text=True, check=False)


def parse_defines(path):
    values = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            match = re.match(r"#define\s+(\w+)\s+\(?(-?(?:0x[0-9a-fA-F]+|\d+))\)?\s*$", line)
            if match:
                values[match.group(1)] = int(match.group(2), 0)
    return values


def compile_c(test, sources, out_dir, compiler="gcc", flags=(), link=None):
    """Compiles (and with link=exe path, links) sources; fails the test with gcc's output."""
    command = [compiler, *CFLAGS, *flags, "-I", FRAMEWORK_INCLUDE, "-I", out_dir]
    command += ["-o", link] if link else ["-fsyntax-only"]
    result = subprocess.run(command + list(sources), capture_output=True, text=True, check=False)
    test.assertEqual(result.returncode, 0, f"{' '.join(command)} failed:\n{result.stderr}")


class GenTestCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="gen_virtio_test_")
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)

    def gen_ok(self, manifests, out=None):
        out = out or os.path.join(self.tmp, "out")
        result = run_gen(out, manifests)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stderr, "")
        return out

    def write(self, relative, text):
        path = os.path.join(self.tmp, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(textwrap.dedent(text))
        return path

    def gen_path(self, out, name):
        return os.path.join(out, "virtio_gen", name)


class RealTreeTest(GenTestCase):
    """The real spec with every manifest in the tree."""

    def setUp(self):
        super().setUp()
        self.manifests = real_manifests()
        self.out = self.gen_ok(self.manifests)

    def test_writes_all_five_files(self):
        names = sorted(os.listdir(os.path.join(self.out, "virtio_gen")))
        self.assertEqual(names, ["virtio_ids.h", "virtio_registry.c", "virtio_registry.h",
                                 "virtio_tables.c", "virtio_tables.h"])

    def test_constants_match_spec(self):
        defines = parse_defines(self.gen_path(self.out, "virtio_ids.h"))
        for name, value in SPEC_NUMBERS.items():
            with self.subTest(macro=name):
                self.assertIn(name, defines)
                self.assertEqual(defines[name], value)

    def test_every_modern_id_is_base_plus_type(self):
        defines = parse_defines(self.gen_path(self.out, "virtio_ids.h"))
        types = {k[len("VIRTIO_ID_"):]: v for k, v in defines.items() if k.startswith("VIRTIO_ID_")}
        self.assertGreaterEqual(len(types), 10)
        for name, number in types.items():
            modern = defines.get("VIRTIO_PCI_MODERN_ID_" + name)
            if number <= 0x3F:
                self.assertEqual(modern, 0x1040 + number, name)

    def test_no_legacy_id_for_modern_only_types(self):
        defines = parse_defines(self.gen_path(self.out, "virtio_ids.h"))
        self.assertNotIn("VIRTIO_PCI_LEGACY_ID_GPU", defines)
        self.assertNotIn("VIRTIO_PCI_LEGACY_ID_INPUT", defines)

    def test_compiles_with_host_gcc(self):
        sources = glob.glob(os.path.join(self.out, "virtio_gen", "*.c"))
        self.assertEqual(len(sources), 2)
        compile_c(self, sources, self.out)

    @unittest.skipUnless(RISCV_GCC, "riscv64-unknown-elf-gcc not installed")
    def test_compiles_with_riscv64_gcc(self):
        sources = glob.glob(os.path.join(self.out, "virtio_gen", "*.c"))
        compile_c(self, sources, self.out, compiler=RISCV_GCC, flags=RISCV_FLAGS)

    def test_headers_compile_alone(self):
        for header in ("virtio_ids.h", "virtio_tables.h", "virtio_registry.h"):
            with self.subTest(header=header):
                source = self.write(f"inc_{header}.c", f"#include <virtio_gen/{header}>\n"
                                    f"#include <virtio_gen/{header}>\nint x;\n")
                compile_c(self, [source], self.out)

    def test_toy_plugin_type_in_tables(self):
        if TOY not in self.manifests:
            self.skipTest("toy fixture missing")
        defines = parse_defines(self.gen_path(self.out, "virtio_ids.h"))
        self.assertEqual(defines["VIRTIO_ID_TOY"], 60)
        self.assertEqual(defines["VIRTIO_TOY_F_PING"], 0)
        self.assertEqual(defines["VIRTIO_TOY_CFG_MAGIC_WIDTH"], 4)
        with open(self.gen_path(self.out, "virtio_tables.c"), encoding="utf-8") as handle:
            tables = handle.read()
        self.assertIn('{60, "toy", "TOY", 0x0000, 0x107c}', tables)
        self.assertIn('{60, 0, "TOY_F_PING"}', tables)
        with open(self.gen_path(self.out, "virtio_registry.c"), encoding="utf-8") as handle:
            registry = handle.read()
        self.assertIn("extern const struct virtio_driver virtio_toy_driver;", registry)
        self.assertRegex(registry, r"\{&virtio_toy_driver, types_toy, 1,")

    def test_rerun_rewrites_nothing(self):
        paths = glob.glob(os.path.join(self.out, "virtio_gen", "*"))
        before = {p: os.stat(p).st_mtime_ns for p in paths}
        os.utime(paths[0], ns=(1, 1))  # an old stamp must survive an identical regeneration
        before[paths[0]] = 1
        self.gen_ok(self.manifests, out=self.out)
        self.assertEqual({p: os.stat(p).st_mtime_ns for p in paths}, before)


LOOKUP_PROGRAM = r"""
#include <stdio.h>
#include <string.h>
#include <virtio_gen/virtio_tables.h>

static int failures;
#define CHECK(cond)                                                                    \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            printf("FAIL line %d: %s\n", __LINE__, #cond);                             \
            failures++;                                                                \
        }                                                                              \
    } while (0)

static int same(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

int main(void)
{
    const struct virtio_type_desc *t;

    t = virtio_type_lookup(VIRTIO_ID_BLOCK);
    CHECK(t != NULL && t->type == 2 && same(t->name, "block") && same(t->prefix, "BLK"));
    CHECK(t != NULL && t->pci_legacy_id == 0x1001 && t->pci_modern_id == 0x1042);
    CHECK(virtio_type_lookup(0) == NULL);
    CHECK(virtio_type_lookup(14) == NULL);
    CHECK(virtio_type_lookup(0xffff) == NULL);
    t = virtio_type_by_pci_id(0x1000);
    CHECK(t != NULL && t->type == VIRTIO_ID_NET);
    t = virtio_type_by_pci_id(0x1041);
    CHECK(t != NULL && t->type == VIRTIO_ID_NET);
    t = virtio_type_by_pci_id(0x1005);
    CHECK(t != NULL && same(t->name, "entropy"));
    t = virtio_type_by_pci_id(0x1050);
    CHECK(t != NULL && same(t->name, "gpu"));
    CHECK(virtio_type_by_pci_id(0) == NULL);
    CHECK(virtio_type_by_pci_id(0x1006) == NULL);
    CHECK(virtio_type_by_pci_id(0x8086) == NULL);
    CHECK(same(virtio_feature_name(VIRTIO_ID_BLOCK, 9), "BLK_F_FLUSH"));
    CHECK(same(virtio_feature_name(VIRTIO_ID_BLOCK, 32), "VERSION_1"));
    CHECK(same(virtio_feature_name(VIRTIO_ID_NET, 5), "NET_F_MAC"));
    CHECK(same(virtio_feature_name(VIRTIO_ID_NET, 29), "RING_EVENT_IDX"));
    CHECK(same(virtio_feature_name(0, 28), "RING_INDIRECT_DESC"));
    CHECK(virtio_feature_name(0, 9) == NULL);
    CHECK(virtio_feature_name(VIRTIO_ID_BLOCK, 3) == NULL);
    CHECK(virtio_feature_name(VIRTIO_ID_BLOCK, 64) == NULL);
    CHECK(virtio_feature_name(VIRTIO_ID_ENTROPY, 0) == NULL);
    CHECK(virtio_feature_name(200, 32) != NULL);
    CHECK(virtio_type_count >= 10 && virtio_feature_count >= 40);
    for (unsigned i = 0; i < virtio_config_field_count; i++) {
        const struct virtio_config_desc *c = &virtio_config_fields[i];
        CHECK(virtio_type_lookup(c->type) != NULL);
        CHECK(c->width == 1 || c->width == 2 || c->width == 4 || c->width == 8);
        CHECK(c->offset % c->width == 0);
        CHECK(c->feature == -1 || virtio_feature_name(c->type, (unsigned)c->feature) != NULL);
    }
    const struct virtio_config_desc *nq = NULL, *mac = NULL;
    for (unsigned i = 0; i < virtio_config_field_count; i++) {
        const struct virtio_config_desc *c = &virtio_config_fields[i];
        if (c->type == VIRTIO_ID_BLOCK && same(c->name, "num_queues"))
            nq = c;
        if (c->type == VIRTIO_ID_NET && same(c->name, "mac"))
            mac = c;
    }
    CHECK(nq != NULL && nq->offset == 34 && nq->width == 2 && nq->count == 1 &&
          nq->feature == 12);
    CHECK(mac != NULL && mac->offset == 0 && mac->width == 1 && mac->count == 6 &&
          mac->feature == 5);
    printf("%u checks failed\n", (unsigned)failures);
    return failures != 0;
}
"""


class TablesBehaviourTest(GenTestCase):
    """Compiles and runs the generated lookup functions."""

    def test_lookups(self):
        out = self.gen_ok([])
        program = self.write("lookup.c", LOOKUP_PROGRAM)
        exe = os.path.join(self.tmp, "lookup")
        compile_c(self, [program, self.gen_path(out, "virtio_tables.c")], out, link=exe,
                  flags=["-fsanitize=address,undefined", "-fno-sanitize-recover=all"])
        result = subprocess.run([exe], capture_output=True, text=True, check=False)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("0 checks failed", result.stdout)


REGISTRY_PROGRAM = r"""
#include <stdio.h>
#include <string.h>
#include <virtio_gen/virtio_registry.h>
#include <virtio_gen/virtio_ids.h>

const struct virtio_driver drv_alpha = {.name = "alpha"};
const struct virtio_driver drv_beta = {.name = "beta"};
const struct virtio_transport_ops bus_late_ops = {.name = "late"};
const struct virtio_transport_ops bus_early_ops = {.name = "early"};
int bus_late_discover(const struct virtio_machine *m) { return m ? 2 : -1; }
int bus_early_discover(const struct virtio_machine *m) { return m ? 1 : -1; }

int main(void)
{
    int bad = 0;
    bad |= virtio_plugin_count != 2;
    bad |= virtio_plugins[0].driver != &drv_alpha || virtio_plugins[1].driver != &drv_beta;
    bad |= virtio_plugins[0].n_types != 2;
    bad |= virtio_plugins[0].types[0] != VIRTIO_ID_NET || virtio_plugins[0].types[1] != 60;
    bad |= virtio_plugins[0].features !=
           ((1ULL << 5) | (1ULL << 32) | (1ULL << 63) | (1ULL << 3));
    bad |= virtio_plugins[1].n_types != 1 || virtio_plugins[1].types[0] != VIRTIO_ID_BLOCK;
    bad |= virtio_plugins[1].features != 0;
    bad |= virtio_transport_count != 2;
    bad |= strcmp(virtio_transports[0].name, "bus-early") != 0;
    bad |= virtio_transports[0].ops != &bus_early_ops;
    const struct virtio_machine machine = {0};
    bad |= virtio_transports[0].discover(&machine) != 1;
    bad |= virtio_transports[1].discover(&machine) != 2;
    puts(bad ? "registry wrong" : "registry ok");
    return bad;
}
"""


class RegistryTest(GenTestCase):
    def test_plugins_and_transport_order(self):
        manifests = [
            self.write("m/beta/manifest.toml", """
                [plugin]
                name = "beta"
                kind = "device"
                driver = "drv_beta"
                types = ["block"]
                """),
            self.write("m/alpha/manifest.toml", """
                [plugin]
                name = "alpha"
                kind = "device"
                driver = "drv_alpha"
                types = ["net", "gizmo"]
                features = ["NET_F_MAC", "VERSION_1", "NET_F_SPEED_DUPLEX", "GIZMO_F_SPIN"]

                [[device_type]]
                name = "gizmo"
                type = 60
                prefix = "GIZMO"

                [[feature]]
                device = "gizmo"
                name = "GIZMO_F_SPIN"
                bit = 3
                """),
            self.write("m/late/manifest.toml", """
                [plugin]
                name = "bus-late"
                kind = "transport"
                ops = "bus_late_ops"
                discover = "bus_late_discover"
                order = 20
                features = ["VERSION_1"]
                """),
            self.write("m/early/manifest.toml", """
                [plugin]
                name = "bus-early"
                kind = "transport"
                ops = "bus_early_ops"
                discover = "bus_early_discover"
                order = 10
                """),
        ]
        out = self.gen_ok(manifests)
        program = self.write("registry.c", REGISTRY_PROGRAM)
        exe = os.path.join(self.tmp, "registry")
        compile_c(self, [program, self.gen_path(out, "virtio_registry.c")], out, link=exe)
        result = subprocess.run([exe], capture_output=True, text=True, check=False)
        self.assertEqual(result.returncode, 0, result.stdout)
        self.assertIn("registry ok", result.stdout)

    def test_empty_registry_compiles_everywhere(self):
        out = self.gen_ok([])
        with open(self.gen_path(out, "virtio_registry.c"), encoding="utf-8") as handle:
            text = handle.read()
        self.assertIn("virtio_plugin_count = 0;", text)
        self.assertIn("virtio_transport_count = 0;", text)
        sources = glob.glob(os.path.join(out, "virtio_gen", "*.c"))
        compile_c(self, sources, out)
        if RISCV_GCC:
            compile_c(self, sources, out, compiler=RISCV_GCC, flags=RISCV_FLAGS)

    def test_manifest_change_touches_only_what_changed(self):
        path = self.write("m/one/manifest.toml", """
            [plugin]
            name = "one"
            kind = "device"
            driver = "drv_one"
            types = ["block"]
            """)
        out = self.gen_ok([path])
        files = {n: self.gen_path(out, n) for n in os.listdir(os.path.join(out, "virtio_gen"))}
        for p in files.values():
            os.utime(p, ns=(1, 1))
        with open(path, "a", encoding="utf-8") as handle:
            handle.write('features = ["BLK_F_FLUSH"]\n')
        self.gen_ok([path], out=out)
        changed = sorted(n for n, p in files.items() if os.stat(p).st_mtime_ns != 1)
        self.assertEqual(changed, ["virtio_registry.c"])


def bad_cases():
    """(case name, [manifest paths], [(display path, line, text)]) for each bad-manifest case."""
    cases = []
    for entry in sorted(os.listdir(BAD)):
        path = os.path.join(BAD, entry)
        if os.path.isdir(path):
            manifests = sorted(glob.glob(os.path.join(path, "**", "*.toml"), recursive=True))
        elif entry.endswith(".toml"):
            manifests = [path]
        else:
            continue
        expected = []
        for manifest in manifests:
            display = os.path.relpath(manifest, ROOT)
            with open(manifest, encoding="utf-8") as handle:
                for line in handle:
                    match = re.match(r"#\s*expect:\s*(\d+):\s*(.+?)\s*$", line)
                    if match:
                        expected.append((display, int(match.group(1)), match.group(2)))
        cases.append((entry, manifests, expected))
    return cases


class BadManifestTest(GenTestCase):
    def test_fixture_set_is_complete(self):
        names = {name for name, _, _ in bad_cases()}
        for required in ("unknown_feature.toml", "unknown_type.toml", "wrong_device_feature.toml",
                         "duplicate-plugin", "duplicate_type_number.toml",
                         "duplicate_feature_bit.toml", "missing_key.toml",
                         "wrong_value_type.toml", "bad_kind.toml", "type_out_of_range.toml",
                         "bit_out_of_range.toml", "bad_symbol.toml", "syntax_error.toml"):
            self.assertIn(required, names)

    def test_each_bad_manifest_fails_with_file_line_reason(self):
        cases = bad_cases()
        self.assertGreater(len(cases), 10)
        for name, manifests, expected in cases:
            with self.subTest(case=name):
                self.assertTrue(expected, f"{name} has no '# expect:' line")
                out = os.path.join(self.tmp, name)
                result = run_gen(out, manifests)
                self.assertEqual(result.returncode, 1, result.stderr)
                self.assertFalse(os.path.exists(os.path.join(out, "virtio_gen")),
                                 "no output may be written for a bad manifest")
                errors = [l for l in result.stderr.splitlines() if not l.startswith("gen_virtio:")]
                self.assertEqual(len(errors), len(expected), result.stderr)
                for display, line, text in expected:
                    prefix = f"{display}:{line}: "
                    hits = [e for e in errors if e.startswith(prefix) and text in e]
                    self.assertTrue(hits, f"expected '{prefix}...{text}...' in:\n{result.stderr}")

    def test_paths_outside_cwd_are_reported_as_given(self):
        bad = os.path.join(BAD, "unknown_feature.toml")
        result = run_gen(os.path.join(self.tmp, "out"), [bad], cwd=self.tmp)
        self.assertEqual(result.returncode, 1)
        self.assertIn(f"{bad}:8: unknown feature \"BLK_F_FLUSHH\"", result.stderr)

    def test_missing_manifest_file(self):
        missing = os.path.join(ROOT, "no_such_dir", "manifest.toml")
        result = run_gen(os.path.join(self.tmp, "out"), [missing])
        self.assertEqual(result.returncode, 1)
        self.assertIn("no_such_dir/manifest.toml:1: cannot read", result.stderr)

    def test_bad_spec_is_reported(self):
        spec = self.write("spec.toml", """
            [[device_type]]
            name = "net"
            type = 1
            prefix = "NET"

            [[feature]]
            name = "VERSION_1"
            bit = "32"
            """)
        result = run_gen(os.path.join(self.tmp, "out"), [], spec=spec)
        self.assertEqual(result.returncode, 1)
        self.assertRegex(result.stderr, r"spec\.toml:9: key \"bit\" in \[\[feature\]\] must be "
                                        r"an integer, not a string")


class TomlLinesTest(unittest.TestCase):
    TEXT = textwrap.dedent("""\
        # comment features = ["X"]
        [plugin]
        name = "p"
        features = [
            "A",  # "B" in a comment
            "B",
        ]

        [[feature]]
        name = "F0"

        [[feature]]
        name = "F1"
        bit = 0x1d
        """)

    def test_locates_keys_values_and_headers(self):
        lines = TomlLines(self.TEXT)
        self.assertEqual(lines.locate("plugin"), 2)
        self.assertEqual(lines.locate("plugin", 0, "name"), 3)
        self.assertEqual(lines.locate("plugin", 0, "features", "A"), 5)
        self.assertEqual(lines.locate("plugin", 0, "features", "B"), 6)
        self.assertEqual(lines.locate("plugin", 0, "features", "Z"), 4)
        self.assertEqual(lines.locate("plugin", 0, "missing"), 2)
        self.assertEqual(lines.locate("feature", 0, "name"), 10)
        self.assertEqual(lines.locate("feature", 1, "name"), 13)
        self.assertEqual(lines.locate("feature", 1, "bit", 29), 14)
        self.assertEqual(lines.locate("feature", 2, "name"), 1)


if __name__ == "__main__":
    unittest.main()


class NipboxSourcesTest(GenTestCase):
    """[nipbox] in a manifest: --list-nipbox-sources prints the plugin's shell sources (absolute,
    one a line, in plugin order) for CMake, and writes nothing."""

    def plugin(self, folder, name, command):
        os.makedirs(os.path.join(self.tmp, folder))
        with open(os.path.join(self.tmp, folder, f"cmd_{name}.c"), "w", encoding="utf-8") as f:
            f.write(f'NIPBOX_COMMAND({name}, "{command}", "{command}", "x", run_{name});\n')
        manifest = os.path.join(self.tmp, folder, "manifest.toml")
        with open(manifest, "w", encoding="utf-8") as f:
            f.write(textwrap.dedent(f"""\
                [plugin]
                name = "{name}"
                kind = "device"
                driver = "virtio_{name}_driver"
                types = ["entropy"]

                [nipbox]
                sources = ["cmd_{name}.c"]
                commands = ["{command}"]
                """))
        return manifest

    def test_lists_sources(self):
        a = self.plugin("pa", "alpha", "alpha-cmd")
        b = self.plugin("pb", "beta", "beta")
        out = os.path.join(self.tmp, "out")
        result = run_gen(out, [b, a], extra=["--list-nipbox-sources"])
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.splitlines(),
                         [os.path.join(self.tmp, "pa", "cmd_alpha.c"),
                          os.path.join(self.tmp, "pb", "cmd_beta.c")])
        self.assertFalse(os.path.exists(os.path.join(out, "virtio_gen")))
        # the normal run accepts the same manifests
        self.gen_ok([a, b])

    def test_tree_plugins_list_their_commands(self):
        manifests = sorted(glob.glob(os.path.join(ROOT, "devices", "*", "manifest.toml")))
        result = run_gen(os.path.join(self.tmp, "out"), manifests,
                         extra=["--list-nipbox-sources"])
        self.assertEqual(result.returncode, 0, result.stderr)
        for path in result.stdout.splitlines():
            self.assertTrue(os.path.isfile(path), path)
            self.assertTrue(path.startswith(os.path.join(ROOT, "devices") + os.sep), path)
