#!/usr/bin/env python3
"""Where QEMU (the host process) spends its time while Rumpk reads 4 KiB blocks at random at
QD32 from a user fiber (`run -c blk0 blkbench -t rand_read_4k_qd32`), transport by transport, so
that two transports can be put side by side (issue 20: PCI at depth against MMIO).

    python3 tools/bench/qemuprof.py [--transport T ...] [--seconds S] [--fast]
                                    [--backend file|null] [--aio threads|io_uring] [--out DIR]

Three looks per transport, each in its own boot on the bench disk of tools/bench/blk.py (the
QEMU threads are named: -name rumpk,debug-threads=on):
  perf    `perf record -e cpu-clock -g -p PID` for S seconds in the middle of the run (Debian's
          linux-perf; cpu-clock because a VM may have no hardware counters): samples per QEMU
          thread, and each thread's hottest functions (QEMU's own show as addresses without
          its debug symbols; the host kernel's and the libraries' by name).
  strace  `strace -f -c` for S seconds of a second run: host system calls, also divided by the
          number of preadv/pwritev/io_uring_enter calls (aio=threads: one preadv per request).
  trace   QEMU's own trace events (-trace, log to a file) over a whole run: notifies, interrupts,
          virtio-mmio register reads and writes by offset, PCI BAR accesses by region, per
          completed request (virtio_blk_req_complete). Tracing slows QEMU down; the counts per
          request stay what they are.
Each run's rate (blkbench's BENCH line) is printed beside it. Output: a text report on stdout
and in DIR/report.txt (default build/bench/qemuprof-DATE), the raw perf.data, strace and trace
counts beside it. Takes about 3 x (S + 4) seconds per transport; it is a benchmark: run it
alone (nice -n 19 on a shared host).
"""
import argparse
import collections
import datetime
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import blk  # noqa: E402  (disk, QEMU flags, BENCH parser)
from harness import Guest, GuestError  # noqa: E402

TEST = "rand_read_4k_qd32"
EVENTS = ["virtio_blk_req_complete", "virtio_queue_notify", "virtio_notify",
          "virtio_notify_irqfd", "virtio_mmio_read", "virtio_mmio_write_offset",
          "virtio_pci_notify_write", "virtio_pci_notify_write_pio", "pci_cfg_read",
          "pci_cfg_write", "memory_region_ops_read", "memory_region_ops_write",
          "virtio_blk_handle_read", "virtio_blk_submit_multireq"]
# virtio-mmio register offsets worth a name (virtio spec 4.2.2)
MMIO_REGS = {0x50: "QueueNotify", 0x60: "InterruptStatus", 0x64: "InterruptACK",
             0x70: "Status", 0xfc: "ConfigGeneration"}
# syscalls that carry the data of one request, by aio
DATA_CALLS = ("preadv", "pwritev", "preadv2", "pwritev2", "pread64", "pwrite64",
              "io_uring_enter")


def boot(a, transport, workdir, extra=()):
    disk = os.path.join(workdir, "prof.img")
    if a.backend == "file" and not os.path.exists(disk):
        blk.make_disk(disk)
    args = ["-name", "rumpk,debug-threads=on"] + list(extra) + \
        blk.qemu_args(transport, a.backend, disk, "writeback", a.aio, fast=a.fast)
    return Guest(args, transports=[transport], memory="1G", boot_timeout=60,
                 name="prof-" + transport)


def bench_line(g, ms, timeout):
    """Waits for blkbench's prompt and returns its BENCH row."""
    out = g.wait_for("nipbox> ", timeout)
    rows = blk.parse_bench(out)
    if len(rows) != 1 or "blkbench:" in out:
        raise GuestError("blkbench failed:\n" + out)
    return rows[0]


def start(g, ms):
    g.send("run -c blk0 blkbench -t %s %d\r" % (TEST, ms))


def perf_look(a, transport, workdir, out):
    g = boot(a, transport, workdir)
    try:
        ms = int((a.seconds + 2) * 1000)
        start(g, ms)
        time.sleep(1.0)
        data = os.path.join(out, "perf-%s.data" % transport)
        subprocess.run(["perf", "record", "-q", "-e", "cpu-clock", "-g", "-p",
                        str(g.proc.pid), "-o", data, "--", "sleep", str(a.seconds)],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        row = bench_line(g, ms, ms / 1000 + 60)
        g.poweroff()
    finally:
        g.close()
    threads = perf_report(data, ["--sort", "comm"])
    syms = perf_report(data, ["--sort", "comm,dso,sym"])
    return row, threads, syms


def perf_report(data, sort):
    """[(percent, fields...)] from perf report's flat (no call graph) output."""
    r = subprocess.run(["perf", "report", "-i", data, "--stdio", "--no-children", "-g", "none",
                        "--percent-limit", "0.5"] + sort, stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, text=True, check=True)
    rows = []
    for line in r.stdout.splitlines():
        m = re.match(r"\s+([\d.]+)%\s+(.*)$", line)
        if m:
            rows.append((float(m.group(1)), re.split(r"\s{2,}", m.group(2).strip())))
    return rows


def strace_look(a, transport, workdir, out):
    g = boot(a, transport, workdir)
    path = os.path.join(out, "strace-%s.txt" % transport)
    try:
        ms = int((a.seconds + 2) * 1000)
        start(g, ms)
        time.sleep(1.0)
        p = subprocess.Popen(["strace", "-f", "-c", "-S", "calls", "-o", path, "-p",
                              str(g.proc.pid)], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        time.sleep(a.seconds)
        p.send_signal(signal.SIGINT)
        p.wait(30)
        row = bench_line(g, ms, ms / 1000 + 120)
        g.poweroff()
    finally:
        g.close()
    with open(path) as f:
        calls = parse_strace(f.read())
    return row, calls


def parse_strace(text):
    """{syscall: calls} from `strace -c`'s table (the errors column may be empty)."""
    calls = {}
    for line in text.splitlines():
        m = re.match(r"\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)\s*$", line)
        if m:
            calls[m.group(2)] = int(m.group(1))
    return calls


def count_trace(lines):
    """Counter of QEMU trace events (log backend lines, with or without a pid@time: prefix):
    virtio-mmio accesses by register, memory region accesses by region name."""
    counts = collections.Counter()
    for line in lines:
        m = re.match(r"(?:\d+@[\d.]+:)?(\w+) (.*)", line)
        if not m or m.group(1) not in EVENTS:
            continue
        ev, rest = m.groups()
        if ev in ("virtio_mmio_read", "virtio_mmio_write_offset"):
            o = re.search(r"offset 0x([0-9a-f]+)", rest)
            off = int(o.group(1), 16) if o else -1
            ev += " " + MMIO_REGS.get(off, "0x%x" % off)
        elif ev.startswith("memory_region_ops"):
            n = re.search(r"name '([^']*)'", rest)
            ev += " " + (n.group(1) if n else "?")
        counts[ev] += 1
    return counts


def trace_look(a, transport, workdir, out):
    log = os.path.join(out, "trace-%s.log" % transport)
    events = os.path.join(workdir, "events")
    with open(events, "w") as f:
        f.write("\n".join(EVENTS) + "\n")
    g = boot(a, transport, workdir, ["-trace", "events=" + events, "-D", log])
    try:
        ms = 2000
        start(g, ms)
        row = bench_line(g, ms, 300)
        g.poweroff()
    finally:
        g.close()
    with open(log, errors="replace") as f:
        counts = count_trace(f)
    os.unlink(log)  # large; the counts are kept
    with open(os.path.join(out, "trace-%s.json" % transport), "w") as f:
        json.dump(counts, f, indent=1, sort_keys=True)
    return row, counts


def report(transport, looks, top):
    lines = ["", "=" * 78, "%s: %s, 4 KiB random reads at QD32 from a user fiber" %
             (transport, TEST), "=" * 78]
    if "perf" in looks:
        row, threads, syms = looks["perf"]
        lines += ["", "perf (cpu-clock samples; run: %d IOPS)" % row["iops"],
                  "  share of samples by QEMU thread:"]
        lines += ["    %5.1f%%  %s" % (p, " ".join(f)) for p, f in threads]
        lines.append("  hottest functions (thread, object, symbol):")
        lines += ["    %5.1f%%  %s" % (p, "  ".join(f)) for p, f in syms[:top]]
    if "strace" in looks:
        row, calls = looks["strace"]
        data = sum(v for k, v in calls.items() if k in DATA_CALLS)
        lines += ["", "strace -f -c (run under strace: %d IOPS); calls per data call "
                  "(%d preadv/pwritev/io_uring_enter):" % (row["iops"], data)]
        for k, v in sorted(calls.items(), key=lambda kv: -kv[1])[:12]:
            lines.append("    %-18s %9d  %6.2f" % (k, v, v / data if data else 0))
    if "trace" in looks:
        row, counts = looks["trace"]
        reqs = counts.get("virtio_blk_req_complete", 0)
        lines += ["", "QEMU trace events per completed request (%d requests; run traced: %d "
                  "IOPS):" % (reqs, row["iops"])]
        for k, v in sorted(counts.items(), key=lambda kv: -kv[1]):
            if "uart" in k or "serial" in k or not reqs or v / reqs < 0.001:
                continue  # the console, and what boot did once
            lines.append("    %-48s %9d  %6.3f" % (k, v, v / reqs if reqs else 0))
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--transport", action="append",
                    help="default: pci-modern and mmio-v2 (repeatable)")
    ap.add_argument("--seconds", type=float, default=4.0, help="perf and strace window")
    ap.add_argument("--top", type=int, default=25, help="functions listed per transport")
    ap.add_argument("--look", action="append", choices=["perf", "strace", "trace"],
                    help="default: all three")
    ap.add_argument("--out", default=None)
    blk.add_backend_args(ap)
    a = ap.parse_args()
    blk.check_backend(a, ap)
    looks = a.look or ["perf", "strace", "trace"]
    need = {"perf": ("perf", "linux-perf"), "strace": ("strace", "strace")}
    missing = ["%s (%s)" % need[k] for k in looks if k in need and not shutil.which(need[k][0])]
    if missing:
        sys.exit("qemuprof: missing " + ", ".join(missing))
    out = a.out or os.path.join(ROOT, "build", "bench",
                                datetime.datetime.now().strftime("qemuprof-%Y%m%d-%H%M%S"))
    os.makedirs(out, exist_ok=True)
    transports = a.transport or ["pci-modern", "mmio-v2"]
    text = ["qemuprof: backend %s, aio %s, %s" % (a.backend, a.aio,
                                                  "--fast" if a.fast else "default flags")]
    fns = {"perf": perf_look, "strace": strace_look, "trace": trace_look}
    try:
        with tempfile.TemporaryDirectory(prefix="rumpk-prof-") as workdir:
            for t in transports:
                got = {k: fns[k](a, t, workdir, out) for k in looks}
                text += report(t, got, a.top)
                print("\n".join(report(t, got, a.top)), flush=True)
    except GuestError as e:
        print(e, file=sys.stderr)
        return 1
    with open(os.path.join(out, "report.txt"), "w") as f:
        f.write("\n".join(text) + "\n")
    print("report in %s/report.txt" % out, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
