#!/usr/bin/env python3
"""Soak run: one guest under block, filesystem and network load at once for a while, every byte
checked, and every resource back at its start count at the end.

    ./rumpk soak [--minutes N | --seconds N] [--transport T]

One boot (-m 256M) with two disks and a NIC on the transport asked for (pci-modern by default):
  * fiber `soak blk` (tests/user/soak.c) writes and reads back patterns over blk0 through ION,
    8 requests in flight, checking every byte;
  * fiber `soak fs` makes NexFS on blk1 and creates, writes, fsyncs, reads back, renames over
    and deletes files in it, checking every byte;
  * fiber `netc udpecho` echoes datagrams a host thread sends through hostfwd (sizes 1..1472,
    each echo checked byte for byte by tools/udp_echo_client.py);
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
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "tests", "qemu"))

import qemu_cmd  # noqa: E402
from harness import PROMPT, Guest, GuestError, free_udp_port, make_image  # noqa: E402

UDP_CLIENT = os.path.join(ROOT, "tools", "udp_echo_client.py")
UDP_PER_S = 20  # datagrams the host sends per second of soak

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
    port = free_udp_port()
    args = (qemu_cmd.disk_args(raw, transport, ident="hd0") +
            qemu_cmd.disk_args(fsimg, transport, ident="hd1") +
            qemu_cmd.net_args(transport, hostfwd=[f"udp:127.0.0.1:{port}-:{port}"]))
    g = Guest(args, transports=[transport], memory="256M", name="soak")
    try:
        if "10.0.2." not in g.cmd("dhcp", timeout=30):
            raise SoakError("dhcp got no address")
        start = counters(g)
        t0 = time.monotonic()
        count = UDP_PER_S * seconds
        g.cmd(f"run -b -c net0 netc udpecho {port} {count}")
        g.wait_line(f"listening on 10.0.2.15:{port}", 10)
        g.cmd(f"run -b -c blk0 soak blk {seconds}")
        g.cmd(f"run -b -c blk1 soak fs {seconds}")
        udp = {}

        def client():  # the host's side, paced over the soak
            r = subprocess.run([sys.executable, UDP_CLIENT, "--port", str(port), "--count",
                                str(count), "--min", "1", "--max", "1472"],
                               capture_output=True, text=True, timeout=seconds + 120)
            udp["rc"], udp["out"] = r.returncode, r.stdout + r.stderr

        host = threading.Thread(target=client)
        host.start()
        pings = rounds = 0
        while time.monotonic() - t0 < seconds:
            # Not g.cmd: the fibers print at any time, so the command's echo may not come first.
            g.send("ping 10.0.2.2 20\r")
            out = g.wait_for("--- 10.0.2.2:", 60) + g.wait_for("\n", 5)
            g.wait_for(PROMPT, 10)
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
            if blk and fs and log.count("(soak) ended: status ") == 2 and "(netc) ended" in log:
                g.drain()
                break
            if time.monotonic() > deadline:
                raise SoakError("the soak fibers did not finish in time")
            time.sleep(0.2)
        if not blk or not fs or int(blk[4]) or int(fs[4]):
            raise SoakError("a soak fiber reported errors")
        if log.count("(soak) ended: status 0") != 2 or "(netc) ended: status 0" not in log:
            raise SoakError("a soak fiber did not exit with status 0")
        host.join()
        stats = json.loads(udp["out"].strip().splitlines()[-1]) if udp.get("rc") == 0 else None
        if not stats or (stats["sent"], stats["echoed"], stats["mismatched"]) != (count, count, 0):
            raise SoakError("UDP echo through the fiber failed: " + udp.get("out", ""))
        end = counters(g)
        if end != start:
            raise SoakError(f"resources not back at their start counts: {start} -> {end}")
        figures = {"bench": "rumpk-soak", "transport": transport, "seconds": seconds,
                   "blk_rounds": int(blk[1]), "blk_bytes_written": int(blk[2]),
                   "blk_bytes_checked": int(blk[3]), "fs_rounds": int(fs[1]),
                   "fs_files": int(fs[2]), "fs_bytes": int(fs[3]), "pings": pings,
                   "udp_echoed": stats["echoed"], "udp_bytes": stats.get("bytes"),
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
