#!/usr/bin/env python3
"""Boot-time benchmark: host-clock seconds from QEMU start to the `nipbox> ` prompt, per transport,
with one 64 MiB disk and one net device attached (so PCI enumeration and probing are included).

    ./rumpk bench boot [--transport T ...] [--reps N]

Prints one JSON object per line: {"bench": "rumpk-boot", "transport": T, "seconds_host": {...}}.
Compare with U-Boot's `boot` record from ../shared/peer-bench/uboot_blk.py (also host clock).
"""
import argparse
import json
import os
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "..", "tests", "qemu"))
import harness  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--transport", action="append", choices=harness.ALL_TRANSPORTS)
    ap.add_argument("--reps", type=int, default=5)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="rumpk-boot-") as d:
        img = harness.make_image(os.path.join(d, "disk.img"), 64 << 20)
        for t in a.transport or harness.ALL_TRANSPORTS:
            times = []
            for _ in range(a.reps):
                g = harness.Guest(harness.disk_args(img, t) + harness.net_args(t), transports=[t])
                times.append(g.boot_seconds)
                status = g.poweroff()
                g.close()
                if status != 0:
                    sys.exit(f"boot.py: poweroff on {t} exited {status}")
            print(json.dumps({"bench": "rumpk-boot", "transport": t, "seconds_host": {
                "min": round(min(times), 3), "median": round(statistics.median(times), 3),
                "max": round(max(times), 3), "n": len(times)}}), flush=True)


if __name__ == "__main__":
    main()
