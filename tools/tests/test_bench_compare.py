"""`./rumpk bench compare`'s table and chart on hand-written records (nothing is booted or
timed): each column comes from the right record (ION and in-kernel from bench ion, U-Boot's
4K/1M loops, Linux's async engine and not psync, the qemu-img point of the run's own backend,
cache and aio), the ratios are those figures divided, records of other flags are left out and
counted, null-co gets its per-request row, the chart is a PNG drawn by Debian's python3 with
matplotlib, and a missing tool stops the command naming it before anything runs.

    python3 -m unittest -v test_bench_compare     (from tools/tests; part of ./rumpk test)
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCH = os.path.join(ROOT, "tools", "bench")
sys.path.insert(0, BENCH)
import compare  # noqa: E402
import compare_table as ct  # noqa: E402


def st(v):
    return {"min": v, "median": v, "max": v, "n": 1}


def write(d, name, recs):
    with open(os.path.join(d, name), "a") as f:
        for r in recs:
            f.write(json.dumps(r) + "\n")


def ion(t, test, kernel, i, **flags):
    rec = {"bench": "rumpk-ion", "transport": t, "test": test, "kernel": kernel, "ion": i,
           "backend": "file", "aio": "threads", "fast": False}
    rec.update(flags)
    return rec


def limit(rw, size, depth, iops, mib, target="file", cache="writeback", aio="threads"):
    return {"bench": "qemu-img-bench", "target": target, "rw": rw, "size": size,
            "depth": depth, "cache": cache, "aio": aio, "iops": st(iops), "mib_s": st(mib)}


def run_json(d, **kw):
    run = {"transports": ["pci-modern"], "reps": 3, "backend": "file", "aio": "threads",
           "cache": "writeback", "fast": False, "fast_flags": [], "skipped": []}
    run.update(kw)
    with open(os.path.join(d, "run.json"), "w") as f:
        json.dump(run, f)


class FileBackend(unittest.TestCase):
    def setUp(self):
        t = tempfile.TemporaryDirectory(prefix="rumpk-compare-")
        self.addCleanup(t.cleanup)
        self.d = d = t.name
        run_json(d, skipped=["Linux not run (--skip-linux)."])
        write(d, "rumpk-ion.jsonl", [
            {"bench": "rumpk-ion", "transport": "pci-modern", "test": "cmdline", "argv": "x"},
            ion("pci-modern", "rand_read_4k_qd1", 30000, 27000),
            ion("pci-modern", "rand_read_4k_qd32", 90000, 80000, fast=True),  # other flags
            ion("pci-modern", "rand_read_4k_qd32", 60000, 50000),
            ion("pci-modern", "seq_read_1m", 9000, 8000),
            ion("mmio-v2", "seq_read_1m", 1, 1)])  # not a transport of this run
        write(d, "peer-blk.jsonl", [
            {"bench": "uboot-blk", "transport": "pci-modern", "test": "read_seq_4K",
             "iops": st(4000), "mib_s": st(15.6), "backend": "file", "aio": "threads"},
            {"bench": "uboot-blk", "transport": "pci-modern", "test": "read_seq_1024K",
             "iops": st(4), "mib_s": st(4000), "backend": "file", "aio": None}])
        write(d, "linux-blk.jsonl", [
            {"bench": "linux-blk", "transport": "pci-modern", "test": "rand_read_4k_qd1",
             "ioengine": "psync", "iops": st(1000), "backend": "file", "aio": "threads"},
            {"bench": "linux-blk", "transport": "pci-modern", "test": "rand_read_4k_qd1",
             "ioengine": "io_uring", "iops": st(3000), "backend": "file", "aio": "threads"}])
        write(d, "backend.jsonl", [
            {"bench": "qemu-img-bench", "host_cpu": "x"},
            limit("read", 4096, 1, 99, 1, aio="io_uring"),
            limit("read", 4096, 1, 98, 1, cache="none"),
            limit("read", 4096, 1, 30000, 117),
            limit("read", 4096, 1, 500000, 1950, target="null-co"),
            limit("read", 4096, 32, 100000, 390),
            limit("read", 1 << 20, 4, 10000, 10000)])
        ct.summarize(d)
        with open(os.path.join(d, "table.json")) as f:
            self.table = json.load(f)
        self.rows = {r["test"]: r for r in self.table["rows"]}

    def test_columns_come_from_the_right_records(self):
        qd1 = self.rows["rand_read_4k_qd1"]
        self.assertEqual((qd1["rumpk_ion"], qd1["rumpk_kernel"]), (27000, 30000))
        self.assertEqual(qd1["uboot"], 4000)
        self.assertEqual(qd1["linux"], 3000)  # the async engine, not psync
        self.assertEqual(qd1["limit"], 30000)  # file, writeback, threads
        self.assertEqual(self.rows["rand_read_4k_qd32"]["rumpk_ion"], 50000)
        self.assertEqual(self.rows["seq_read_1m"]["uboot"], 4000)
        self.assertEqual(self.rows["seq_read_1m"]["limit"], 10000)
        self.assertEqual({r["transport"] for r in self.table["rows"]}, {"pci-modern"})

    def test_ratios(self):
        qd1 = self.rows["rand_read_4k_qd1"]
        self.assertEqual(qd1["ion_over_limit"], 0.9)
        self.assertEqual(qd1["kernel_over_limit"], 1.0)
        self.assertEqual(qd1["ion_over_linux"], 9.0)
        self.assertEqual(qd1["ion_over_uboot"], 6.75)
        self.assertIsNone(self.rows["seq_write_1m"]["ion_over_limit"])  # nothing measured

    def test_other_flags_are_left_out_and_counted(self):
        self.assertEqual(self.table["left_out"], {"ion": 1})
        with open(os.path.join(self.d, "summary.md")) as f:
            md = f.read()
        self.assertIn("left out: 1 ion record(s)", md)
        self.assertIn("| pci-modern | 4K random read QD1, IOPS | 27,000 | 30,000 | 4,000 | "
                      "3,000 | 30,000 | 90% | 9.00x | 6.75x |", md)
        self.assertIn("Linux not run (--skip-linux).", md)

    def test_chart_is_a_png(self):
        r = subprocess.run([compare.CHART_PYTHON, os.path.join(BENCH, "compare_chart.py"),
                            self.d], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(self.d, "compare.png"), "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")


class NullBackend(unittest.TestCase):
    def test_null_co_limit_and_cost_per_request(self):
        with tempfile.TemporaryDirectory() as d:
            run_json(d, backend="null", aio=None, cache=None)
            rec = ion("pci-modern", "rand_read_4k_qd1", 40000, 25000, backend="null", aio=None)
            rec["us_per_req"] = {"kernel": 25.0, "ion": 40.0}
            write(d, "rumpk-ion.jsonl", [rec, ion("pci-modern", "rand_read_4k_qd32", 1, 1)])
            write(d, "peer-blk.jsonl", [
                {"bench": "uboot-blk", "transport": "pci-modern", "test": "read_512",
                 "net_us_per_req": st(80.0), "backend": "null", "aio": None}])
            write(d, "backend.jsonl", [limit("read", 4096, 1, 30000, 117),
                                       limit("read", 4096, 1, 500000, 1950, target="null-co")])
            ct.summarize(d)
            with open(os.path.join(d, "table.json")) as f:
                table = json.load(f)
            # null-co's limit is far off the bars' scale: written, not drawn; still a PNG
            r = subprocess.run([compare.CHART_PYTHON, os.path.join(BENCH, "compare_chart.py"),
                                d], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertTrue(os.path.getsize(os.path.join(d, "compare.png")) > 1000)
        rows = {r["test"]: r for r in table["rows"]}
        self.assertEqual(rows["rand_read_4k_qd1"]["limit"], 500000)
        self.assertEqual(rows["us_per_req_qd1"]["rumpk_ion"], 40.0)
        self.assertEqual(rows["us_per_req_qd1"]["uboot"], 80.0)
        self.assertEqual(rows["us_per_req_qd1"]["ion_over_uboot"], 0.5)
        self.assertEqual(table["left_out"], {"ion": 1})  # the file-backend record


class Command(unittest.TestCase):
    def test_missing_tools_are_named_before_anything_runs(self):
        with tempfile.TemporaryDirectory() as d:
            res = os.path.join(d, "res")
            r = subprocess.run([sys.executable, os.path.join(BENCH, "compare.py"),
                                "--skip-linux", "--skip-uboot", "--results", res],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=dict(os.environ, PATH=d), timeout=60)
            self.assertFalse(os.path.exists(res))
        self.assertEqual(r.returncode, 1)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertIn("qemu-system-riscv64 (qemu-system-misc)", r.stderr)
        self.assertIn("qemu-img (qemu-utils)", r.stderr)
        self.assertEqual(r.stdout, "")

    def test_summary_only_needs_a_results_folder(self):
        with tempfile.TemporaryDirectory() as d:
            r = subprocess.run([sys.executable, os.path.join(BENCH, "compare.py"),
                                "--summary-only", "--results", d], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, timeout=60)
        self.assertEqual(r.returncode, 1)
        self.assertIn("run.json not found", r.stderr)


if __name__ == "__main__":
    unittest.main()
