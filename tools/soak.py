#!/usr/bin/env python3
"""Soak run: one guest under block, filesystem and network load at once for a while, every byte
checked, and every resource back at its start count at the end.

    ./rumpk soak [--minutes N | --seconds N] [--transport T]

One boot (-m 256M) with two disks and a NIC on the transport asked for (pci-modern by default):
  * fiber `soak blk` (tests/user/soak.c) writes and reads back patterns over blk0 through ION,
    8 requests in flight, checking every byte;
  * fiber `soak fs` makes NexFS on blk1 and creates, writes, fsyncs, reads back, renames over
    and deletes files in it, checking every byte;
  * meanwhile the shell (a kernel fiber) takes an address by DHCP and pings the gateway in
    rounds of 20, every round must get all its replies.
At the end both fibers must report 0 errors and exit with status 0; free pages, fibers,
capabilities, pinned pages and commands in flight must be back at their start counts, and the
raw disk must hold exactly the last pattern written (checked on the host for its first bytes).
Prints one JSON line with the figures; exit status 1 on any failure (the console log follows).
"""
import argparse
import json
import os
import re
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "tests", "qemu"))

import qemu_cmd  # noqa: E402
from harness import Guest, GuestError, make_image  # noqa: E402

ION_RE = re.compile(r"ion: (\d+) commands, (\d+) denied, (\d+) invalid, (\d+) broken rings, "
                    r"(\d+) in flight\nion: (\d+) pages pinned, \d+ bytes copied to/from "
                    r"fibers, (\d+) capabilities")
USED_RE = re.compile(r"pages: \d+ total, (\d+) used")
BLK_RE = re.compile(r"soak blk: (\d+) rounds, (\d+) bytes written, (\d+) bytes checked, "
                    r"(\d+) errors")
FS_RE = re.compile(r"soak fs: (\d+) rounds, (\d+) files written and checked, (\d+) bytes, "
                   r"(\d+) errors")
PING_RE = re.compile(r"(\d+) sent, (\d+) received")


class SoakError(AssertionError):
    pass


def counters(g):
    ion = ION_RE.search(g.cmd("ion"))
    used = USED_RE.search(g.cmd("mem"))
    fibers = re.findall(r"^\s*\d+ (\S+)\s+(?:user|kernel)", g.cmd("ps"), re.M)
    if not ion or not used:
        raise SoakError("no counters")
    return {"pages_used": int(used[1]), "inflight": int(ion[5]), "pinned": int(ion[6]),
            "caps": int(ion[7]), "fibers": sorted(fibers)}


def soak(seconds, transport="pci-modern", workdir=None):
    """Runs the soak; returns the figures or raises SoakError / GuestError."""
    d = workdir or tempfile.mkdtemp(prefix="rumpk-soak-")
    raw = make_image(os.path.join(d, "raw.img"), 8 << 20)
    fsimg = make_image(os.path.join(d, "fs.img"), 16 << 20)
    args = (qemu_cmd.disk_args(raw, transport, ident="hd0") +
            qemu_cmd.disk_args(fsimg, transport, ident="hd1") + qemu_cmd.net_args(transport))
    g = Guest(args, transports=[transport], memory="256M", name="soak")
    try:
        if "10.0.2." not in g.cmd("dhcp", timeout=30):
            raise SoakError("dhcp got no address")
        start = counters(g)
        t0 = time.monotonic()
        g.cmd(f"run -b -c blk0 soak blk {seconds}")
        g.cmd(f"run -b -c blk1 soak fs {seconds}")
        pings = rounds = 0
        while time.monotonic() - t0 < seconds:
            out = g.cmd("ping 10.0.2.2 20", timeout=60)
            m = PING_RE.search(out)
            if not m or m[1] != m[2]:
                raise SoakError("ping round lost replies:\n" + out)
            pings += int(m[2])
            rounds += 1
        # The fibers' last lines may have come during a ping round: look in the whole log.
        deadline = time.monotonic() + 120
        while True:
            log = g.log
            blk, fs = BLK_RE.search(log), FS_RE.search(log)
            if blk and fs and log.count("(soak) ended: status ") == 2:
                g.drain()
                break
            if time.monotonic() > deadline:
                raise SoakError("the soak fibers did not finish in time")
            time.sleep(0.2)
        if not blk or not fs or int(blk[4]) or int(fs[4]):
            raise SoakError("a soak fiber reported errors")
        if log.count("(soak) ended: status 0") != 2:
            raise SoakError("a soak fiber did not exit with status 0")
        end = counters(g)
        if end != start:
            raise SoakError(f"resources not back at their start counts: {start} -> {end}")
        figures = {"bench": "rumpk-soak", "transport": transport, "seconds": seconds,
                   "blk_rounds": int(blk[1]), "blk_bytes_written": int(blk[2]),
                   "blk_bytes_checked": int(blk[3]), "fs_rounds": int(fs[1]),
                   "fs_files": int(fs[2]), "fs_bytes": int(fs[3]), "pings": pings,
                   "ping_rounds": rounds, "counters": end}
        if g.poweroff() != 0:
            raise SoakError("poweroff failed")
        return figures
    except (SoakError, GuestError) as e:
        raise SoakError(f"{e}\n--- console log:\n{g.log[-6000:]}") from None
    finally:
        g.close()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float)
    p.add_argument("--seconds", type=int)
    p.add_argument("--transport", default="pci-modern")
    a = p.parse_args()
    seconds = a.seconds or int((a.minutes or 1) * 60)
    try:
        print(json.dumps(soak(seconds, a.transport), sort_keys=True))
    except SoakError as e:
        print(f"soak: failed: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
