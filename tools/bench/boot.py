#!/usr/bin/env python3
"""Boot-time and idle benchmark: host-clock seconds from QEMU start to the `nipbox> ` prompt, per
transport, with one 64 MiB disk and one net device attached (so PCI enumeration and probing are
included); then QEMU's host CPU use while the guest sits idle at the prompt (goal: under 5%).

    ./rumpk bench boot [--transport T ...] [--reps N]

Prints one JSON object per line: {"bench": "rumpk-boot", "transport": T, "seconds_host": {...},
"idle_cpu_percent": {...}}.
Compare with U-Boot's `boot` record from ../shared/peer-bench/uboot_blk.py (also host clock).
"""
import argparse
import json
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "..", "tests", "qemu"))
import harness  # noqa: E402


def cpu_seconds(pid):
    """User + system CPU time of a process, from /proc (Linux)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def idle_cpu_percent(g, seconds):
    """QEMU's CPU use over `seconds` of wall time while the guest waits at the prompt."""
    c0, t0 = cpu_seconds(g.proc.pid), time.monotonic()
    time.sleep(seconds)
    return 100.0 * (cpu_seconds(g.proc.pid) - c0) / (time.monotonic() - t0)


def stats(xs, digits):
    return {"min": round(min(xs), digits), "median": round(statistics.median(xs), digits),
            "max": round(max(xs), digits), "n": len(xs)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--transport", action="append", choices=harness.ALL_TRANSPORTS)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--idle-seconds", type=float, default=2.0)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="rumpk-boot-") as d:
        img = harness.make_image(os.path.join(d, "disk.img"), 64 << 20)
        for t in a.transport or harness.ALL_TRANSPORTS:
            times, idle = [], []
            for _ in range(a.reps):
                g = harness.Guest(harness.disk_args(img, t) + harness.net_args(t), transports=[t])
                times.append(g.boot_seconds)
                idle.append(idle_cpu_percent(g, a.idle_seconds))
                status = g.poweroff()
                g.close()
                if status != 0:
                    sys.exit(f"boot.py: poweroff on {t} exited {status}")
            print(json.dumps({"bench": "rumpk-boot", "transport": t,
                              "seconds_host": stats(times, 3),
                              "idle_cpu_percent": stats(idle, 2)}), flush=True)


if __name__ == "__main__":
    main()
