#!/usr/bin/env python3
"""Block benchmark: boots Rumpk on QEMU with a fresh 64 MiB disk per transport and runs the
in-guest `bench blk` (nipbox/cmd_bench.c), which times itself with the guest timer.

    ./rumpk bench blk [--transport T ...|all] [--backend file|null] [--aio threads|io_uring]
                      [--fast] [--reps N] [--ms MS] [--polled] [--cache C] [--out FILE]
                      [--ring split|packed ...] [--indirect on|off|both] [--queue-size N]

Backends: `file` (default) is a fresh 64 MiB raw image on -drive cache=writeback with
aio=threads (QEMU's default) or aio=io_uring (checked first with `qemu-img bench`: when io_uring
does not work here the bench fails saying so, it never falls back); `null` is QEMU's null-co
driver (no disk I/O: what is left is the guest + device cost, reported as us_per_req, 1e6 / the
median iops, beside U-Boot's 25-84 us per 512 B read on null-co from
../shared/docs/performance.md). Every record carries "backend" and "aio" (null for null-co).
--fast adds the device options of `./rumpk run --fast` (tools/qemu_cmd.py: on PCI, the disk on
an iothread and request-merging=off); records carry "fast" and "fast_flags".

Rings: split and packed side by side (the default) on every transport that offers both
(pci-modern, pci-transitional, mmio-v2: QEMU device flag packed=on); legacy transports run split
only. --indirect off adds indirect_desc=off (both: one boot each); --queue-size N the device's
queue-size=N (a small ring shows what indirect tables change: the `inflight` figure, device
requests outstanding once the first qd requests are handed out).

The machine, memory, disk and device flags are those of ../shared/peer-bench/uboot_blk.py
(-smp 1 -m 1G, -drive ...,cache=writeback [,aio=], the same -device strings; null-co for
--backend null), so figures can be put beside U-Boot's from the same run.

Output: one JSON object per line: a "cmdline" record per boot, then per test the min / median /
max over the reps of iops and mib_s, kicks and interrupts per request, and the floor the project
sets for it ("target", "meets": reported, never asserted). Exit status 1 only when the guest
failed to boot or a bench command failed.
"""
import argparse
import json
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "tests", "qemu"))

import qemu_cmd  # noqa: E402
from harness import Guest, GuestError  # noqa: E402

TRANSPORTS = ["pci-legacy", "pci-modern", "pci-transitional", "mmio-v1", "mmio-v2"]
PACKED_TRANSPORTS = ["pci-modern", "pci-transitional", "mmio-v2"]  # VERSION_1: bit 34 exists
IMAGE_BYTES = 64 << 20
BENCH_RE = re.compile(r"^BENCH (.*)$", re.M)
# Floors from the task (4 KiB random reads, 1 MiB sequential): reported, not asserted.
TARGETS = {"rand_read_4k_qd1": ("iops", 10000), "rand_read_4k_qd32": ("iops", 25000),
           "seq_read_1m": ("mib_s", 1500)}


def stats(samples):
    s = sorted(samples)
    return {"min": s[0], "median": statistics.median(s), "max": s[-1], "n": len(s)}


def make_disk(path, size=None):
    """A fresh, fully allocated image of `size` bytes (64 MiB; deterministic, non-zero data, no
    holes), on the host's disk before it returns: the host writing it back in the background
    would compete with the benchmark that follows."""
    block = bytes((i * 131 + 7) & 0xFF for i in range(1 << 20))
    with open(path, "wb") as f:
        for _ in range((size or IMAGE_BYTES) >> 20):
            f.write(block)
        f.flush()
        os.fsync(f.fileno())


AIOS = ["threads", "io_uring"]
# U-Boot's 512 B read on null-co, driver + device cost (../shared/docs/performance.md)
UBOOT_NULL_US = "25-84"


def add_backend_args(ap):
    """The disk backend options every block benchmark takes (blk, ion, compare)."""
    ap.add_argument("--backend", default="file", choices=["file", "null"],
                    help="file: a raw image; null: QEMU's null-co (no disk I/O)")
    ap.add_argument("--aio", default=None, choices=AIOS,
                    help="-drive aio= for the file backend (default threads, QEMU's own)")
    ap.add_argument("--fast", action="store_true",
                    help="the QEMU device options of ./rumpk run --fast (tools/qemu_cmd.py)")


def check_backend(a, ap):
    """Settles a.aio (threads unless given; None on null-co) and checks that the chosen aio
    works in this QEMU. Bad combinations are refused through ap.error."""
    if a.backend == "null":
        if a.aio:
            ap.error("--aio %s: null-co does no I/O; --aio applies to --backend file" % a.aio)
        return
    a.aio = a.aio or "threads"
    if a.aio != "threads":
        why = aio_problem(a.aio)
        if why:
            ap.exit(1, "%s: aio=%s does not work in this QEMU: %s\n" % (ap.prog, a.aio, why))


def aio_problem(aio):
    """None when `qemu-img bench` (the same QEMU block layer as the guest's disk) completes a
    few requests with aio=`aio` on a scratch image; otherwise one line saying why not."""
    if not shutil.which("qemu-img"):
        return "qemu-img not found (Debian package qemu-utils)"
    with tempfile.TemporaryDirectory(prefix="rumpk-aio-") as d:
        img = os.path.join(d, "probe.img")
        with open(img, "wb") as f:
            f.truncate(1 << 20)
        r = subprocess.run(["qemu-img", "bench", "-c", "64", "-d", "4", "-s", "4096", "-t",
                            "writeback", "-i", aio, "-f", "raw", img],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0 or "Run completed" not in r.stdout:
        lines = r.stdout.strip().splitlines()
        return "qemu-img bench -i %s: %s" % (aio, lines[-1] if lines else "exit %d" % r.returncode)
    return None


def drive_spec(backend, disk, cache, aio):
    """The -drive value of the bench disk (id hd0)."""
    if backend == "null":
        return "driver=null-co,size=%d,read-zeroes=off,if=none,id=hd0" % IMAGE_BYTES
    drive = "file=%s,format=raw,if=none,id=hd0,cache=%s" % (disk, cache)
    if aio and aio != "threads":  # threads: QEMU's default, the line stays as it always was
        drive += ",aio=" + aio
    return drive


def us_per_req(iops_median):
    """Microseconds per request at the median rate (at QD1: one request's whole cost)."""
    return round(1e6 / iops_median, 2) if iops_median else None


def flags_tag(a, transport):
    """What a record says about the QEMU flags it ran with."""
    return {"fast": bool(a.fast),
            "fast_flags": qemu_cmd.fast_props(transport) if a.fast else []}


def qemu_args(transport, backend, disk, cache, aio, device_extra="", fast=False):
    drive = drive_spec(backend, disk, cache, aio)
    extra = []
    if transport == "mmio-v1":  # QEMU's default, spelled out as the peer does
        extra = ["-global", "virtio-mmio.force-legacy=true"]
    args = extra + ["-drive", drive] + qemu_cmd.device_args("blk", transport, "hd0", device_extra)
    return qemu_cmd.fast_args(args) if fast else args


def parse_bench(out):
    rows = []
    for m in BENCH_RE.finditer(out):
        row = dict(kv.split("=", 1) for kv in m.group(1).split())
        for k, v in list(row.items()):
            if re.fullmatch(r"\d+", v):
                row[k] = int(v)
            elif re.fullmatch(r"\d+\.\d+", v):
                row[k] = float(v)
        rows.append(row)
    return rows


def emit(rec, out):
    line = json.dumps(rec, sort_keys=True)
    print(line, flush=True)
    if out:
        out.write(line + "\n")
        out.flush()


def run_each_transport(a, run_transport):
    """The shared main loop of the per-transport benchmarks (ion.py, fs.py): run_transport(a,
    transport, workdir, emit) for every transport asked for (a.transport, default all), each
    JSON record printed and also written to a.out. Exit status: 0, or 1 when a guest failed."""
    ts = a.transport or ["all"]
    out = open(a.out, "w") if a.out else None

    def emit(rec):
        line = json.dumps(rec, sort_keys=True)
        print(line, flush=True)
        if out:
            out.write(line + "\n")

    try:
        with tempfile.TemporaryDirectory() as d:
            for t in (TRANSPORTS if "all" in ts else ts):
                run_transport(a, t, d, emit)
    except GuestError as e:
        print(e, file=sys.stderr)
        return 1
    return 0


def run_transport(a, transport, workdir, out, ring="split", indirect="on"):
    tag = {"bench": "rumpk-blk", "transport": transport, "backend": a.backend,
           "cache": a.cache if a.backend == "file" else None, "aio": a.aio, "ring": ring,
           "indirect": indirect, "queue_size": a.queue_size}
    tag.update(flags_tag(a, transport))
    disk = os.path.join(workdir, "bench-%s.img" % transport)
    if a.backend == "file":
        make_disk(disk)
    device_extra = (",packed=on" if ring == "packed" else "") + \
        (",indirect_desc=off" if indirect == "off" else "") + \
        (",queue-size=%d" % a.queue_size if a.queue_size else "")
    args = qemu_args(transport, a.backend, disk, a.cache, a.aio, device_extra, a.fast)
    g = Guest(args, transports=[transport], memory="1G", boot_timeout=60,
              name="bench-" + transport)
    try:
        emit(dict(tag, test="cmdline", argv=shlex.join(g.args),
                  boot_s=round(g.boot_seconds, 3)), out)
        # The default (interrupts, with a short watch of the ring before sleeping: "hybrid"),
        # then pure interrupts (sleep at once: "irq"), then optionally polling.
        modes = ["bench blk -w blk0 %d" % a.ms, "bench blk -w -s 0 blk0 %d" % a.ms]
        if a.polled:
            modes.append("bench blk -w -p blk0 %d" % a.ms)
        results = {}
        for line in modes:
            for _ in range(a.reps):
                text = g.cmd(line, timeout=60 + a.ms / 100)
                rows = parse_bench(text)
                if not rows or "bench:" in text:
                    raise GuestError("bench failed:\n" + text)
                for r in rows:
                    results.setdefault((r["mode"], r["test"]), []).append(r)
        g.poweroff()
    finally:
        g.close()
        if os.path.exists(disk):
            os.unlink(disk)
    for (mode, test), rows in results.items():
        rec = dict(tag, test=test, mode=mode, req_bytes=rows[0]["req_bytes"], qd=rows[0]["qd"],
                   iops=stats([r["iops"] for r in rows]),
                   mib_s=stats([r["mib_s"] for r in rows]),
                   kicks_per_req=round(sum(r["kicks"] for r in rows) /
                                       max(1, sum(r["requests"] for r in rows)), 3),
                   irqs_per_req=round(sum(r["irqs"] for r in rows) /
                                      max(1, sum(r["requests"] for r in rows)), 3),
                   inflight=max(r.get("inflight", 0) for r in rows))
        if a.backend == "null":
            rec["us_per_req"] = us_per_req(rec["iops"]["median"])
        if test in TARGETS:
            key, floor = TARGETS[test]
            rec["target"] = {key: floor}
            rec["meets"] = rec[key]["median"] >= floor
        emit(rec, out)
        summary.append(rec)


def side_by_side(summary):
    """A table of every (transport, test, mode) with split and packed (and indirect on/off)
    next to each other: median iops for 4 KiB, MiB/s for 1 MiB, and the in-flight count."""
    cols = sorted({(r["ring"], r["indirect"]) for r in summary})
    rows = {}
    for r in summary:
        metric = "mib_s" if r["req_bytes"] >= (1 << 20) else "iops"
        cell = "%.0f %s (inflight %d)" % (r[metric]["median"], metric, r["inflight"])
        rows.setdefault((r["transport"], r["test"], r["mode"]), {})[(r["ring"], r["indirect"])] = cell
    head = " | ".join("%s, indirect %s" % c for c in cols)
    lines = ["", "| transport | test | mode | " + head + " |",
             "|---|---|---|" + "---|" * len(cols)]
    for (t, test, mode), cells in sorted(rows.items()):
        lines.append("| %s | %s | %s | %s |" % (t, test, mode,
                                                " | ".join(cells.get(c, "-") for c in cols)))
    print("\n".join(lines), flush=True)


def null_costs(summary):
    """On null-co: each QD1 test's cost per request (guest + device, no disk I/O) beside
    U-Boot's figure for the same backend."""
    lines = ["", "null-co, QD1: guest + device cost per request, us (U-Boot, 512 B reads: %s us)"
             % UBOOT_NULL_US, "| transport | ring | test | mode | us/request |",
             "|---|---|---|---|---|"]
    for r in summary:
        if r["qd"] == 1 and r.get("us_per_req"):
            lines.append("| %s | %s | %s | %s | %.1f |" % (r["transport"], r["ring"], r["test"],
                                                          r["mode"], r["us_per_req"]))
    print("\n".join(lines), flush=True)


summary = []


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--transport", action="append",
                    help="pci-legacy|pci-modern|pci-transitional|mmio-v1|mmio-v2|all "
                         "(repeatable; default: all four of the peer benchmark)")
    add_backend_args(ap)
    ap.add_argument("--cache", default="writeback")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--ms", type=int, default=1000, help="duration of each test in the guest")
    ap.add_argument("--polled", action="store_true", help="also run with polled completion")
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--out", default=None, help="also append JSON lines to this file")
    ap.add_argument("--ring", action="append", choices=["split", "packed"],
                    help="ring layouts to run (repeatable; default both where offered)")
    ap.add_argument("--indirect", default="on", choices=["on", "off", "both"])
    ap.add_argument("--queue-size", type=int, default=0, help="QEMU queue-size= for the disk")
    a = ap.parse_args()
    check_backend(a, ap)
    rings = a.ring or ["split", "packed"]
    indirects = ["on", "off"] if a.indirect == "both" else [a.indirect]

    wanted = a.transport or ["all"]
    transports = []
    for t in wanted:
        for name in (TRANSPORTS if t == "all" else [qemu_cmd.canonical_transport(t)]):
            if name not in transports:
                transports.append(name)
    out = open(a.out, "a") if a.out else None
    tmp = None
    if a.workdir:
        os.makedirs(a.workdir, exist_ok=True)
        workdir = a.workdir
    else:
        tmp = tempfile.TemporaryDirectory(prefix="rumpk-bench-")
        workdir = tmp.name
    status = 0
    try:
        for t in transports:
            for ring in rings:
                if ring == "packed" and t not in PACKED_TRANSPORTS:
                    continue
                for ind in indirects:
                    try:
                        run_transport(a, t, workdir, out, ring, ind)
                    except GuestError as e:
                        print("bench blk: %s %s: %s" % (t, ring, e), file=sys.stderr)
                        status = 1
        if len(rings) > 1 or len(indirects) > 1:
            side_by_side(summary)
        if a.backend == "null":
            null_costs(summary)
    finally:
        if tmp:
            tmp.cleanup()
        if out:
            out.close()
    return status


if __name__ == "__main__":
    sys.exit(main())
