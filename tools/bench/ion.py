#!/usr/bin/env python3
"""ION benchmark: the same block tests run inside the kernel straight on the Valve (NipBox's
`bench blk`) and from a user fiber through ION (`run -c blk0 blkbench`, user/programs/
blkbench.c), in one boot per transport: each test runs in the kernel and through ION, back to
back, --reps times (default 24 pairs of 250 ms runs: this host's speed changes from one
second to the next, so the closer a pair's two runs, the more alike the host they meet). The
order alternates (kernel first in even reps, ION first in odd ones), so whatever the first or
second run of a pair meets more often (a host that slows under sustained load, work left over
from the run before) falls on both paths alike. Then the null system call and the
CMD_BLK_INFO round trip (`ionbench`).

    ./rumpk bench ion [--transport T ...|all] [--test NAME ...] [--reps N] [--ms MS]
                      [--out FILE] [--backend file|null] [--aio threads|io_uring] [--fast]

--test keeps only the named tests (default: all five).

Machine, disk and device flags as tools/bench/blk.py (-m 1G, a fresh 64 MiB raw image,
cache=writeback, or null-co; the backend and aio are in every record).
Output: JSON lines: per transport and test the kernel's and ION's medians
(iops for 4 KiB, MiB/s for 1 MiB), the ratio ION/kernel (the median of the pairs' ratios), the
lowest and highest pair and the pairs' quartiles, kicks and interrupts per request on each
path, and whether ION reaches the issue's floor of 90% (reported, never asserted); then the ION
latencies in ns. Exit status 1 only when a guest failed to boot or a bench command failed.
"""
import argparse
import os
import shlex
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import blk  # noqa: E402  (the disk, QEMU flags and BENCH-line parser of the block benchmark)
from harness import Guest, GuestError  # noqa: E402

FLOOR = 0.90
KEYS = {"seq_read_1m": "mib_s", "seq_write_1m": "mib_s", "rand_read_4k_qd1": "iops",
        "rand_read_4k_qd32": "iops", "seq_read_4k_qd1": "iops"}


def quartiles(values):
    """The first and third quartiles (None for fewer than two values)."""
    if len(values) < 2:
        return None
    q = statistics.quantiles(values, n=4)
    return [round(q[0], 3), round(q[2], 3)]


def run_transport(a, transport, workdir, emit):
    disk = os.path.join(workdir, "ion-%s.img" % transport)
    if a.backend == "file":
        blk.make_disk(disk)
    tag = dict({"bench": "rumpk-ion", "transport": transport, "backend": a.backend,
                "aio": a.aio}, **blk.flags_tag(a, transport))
    g = Guest(blk.qemu_args(transport, a.backend, disk, "writeback", a.aio, fast=a.fast),
              transports=[transport], memory="1G", boot_timeout=60, name="ion-" + transport)
    rows = {"kernel": {}, "ion": {}}
    try:
        emit(dict(tag, test="cmdline", argv=shlex.join(g.args)))
        lines = {"kernel": "bench blk -w -t %s blk0 %d", "ion": "run -c blk0 blkbench -w -t %s %d"}
        for rep in range(a.reps):
            order = ("kernel", "ion") if rep % 2 == 0 else ("ion", "kernel")
            for test in a.tests:
                for path in order:
                    text = g.cmd(lines[path] % (test, a.ms), timeout=60 + a.ms / 50)
                    parsed = blk.parse_bench(text)
                    if (len(parsed) != 1 or parsed[0]["test"] != test or "bench:" in text
                            or "blkbench:" in text):
                        raise GuestError("%s bench failed:\n%s" % (path, text))
                    if path == "kernel" and parsed[0].get("mode") != "hybrid":
                        raise GuestError("kernel bench not in its default mode:\n" + text)
                    rows[path].setdefault(test, []).append(parsed[0])
        text = g.cmd("run -c blk0 ionbench", timeout=120)
        lat = blk.parse_bench(text)
        if len(lat) != 2:
            raise GuestError("ionbench failed:\n" + text)
        g.poweroff()
    finally:
        g.close()
        if os.path.exists(disk):
            os.unlink(disk)
    for test in a.tests:
        key = KEYS[test]
        k = statistics.median(r[key] for r in rows["kernel"][test])
        i = statistics.median(r[key] for r in rows["ion"][test])
        pairs = [b[key] / a_[key] for a_, b in zip(rows["kernel"][test], rows["ion"][test])
                 if a_[key]]
        ratio = statistics.median(pairs) if pairs else None

        def per_req(path, what):
            rs = rows[path][test]
            return round(sum(r[what] for r in rs) / max(1, sum(r["requests"] for r in rs)), 3)

        rec = dict(tag, test=test, unit=key, kernel=k, ion=i,
                   ratio=round(ratio, 3) if pairs else None,
                   pairs=[round(min(pairs), 3), round(max(pairs), 3)] if pairs else None,
                   quartiles=quartiles(pairs),
                   kicks_per_req={"kernel": per_req("kernel", "kicks"),
                                  "ion": per_req("ion", "kicks")},
                   irqs_per_req={"kernel": per_req("kernel", "irqs"),
                                 "ion": per_req("ion", "irqs")},
                   reps=a.reps, floor=FLOOR, meets=bool(pairs) and ratio >= FLOOR)
        if a.backend == "null" and key == "iops":
            rec["us_per_req"] = {"kernel": blk.us_per_req(k), "ion": blk.us_per_req(i)}
        emit(rec)
    for r in lat:
        emit(dict(tag, test=r["test"], ns_per_op=r["ns_per_op"], ops=r["ops"]))


def parse_args(argv=None):
    """The options; a.tests holds the tests to run, in KEYS' order."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--transport", action="append", help="a transport, or all (default)")
    p.add_argument("--test", action="append", dest="tests", choices=sorted(KEYS),
                   help="only this test (repeatable; default: all)")
    p.add_argument("--reps", type=int, default=24)
    p.add_argument("--ms", type=int, default=250, help="per test and rep")
    p.add_argument("--out", help="also write the JSON lines here")
    blk.add_backend_args(p)
    a = p.parse_args(argv)
    blk.check_backend(a, p)
    a.tests = [t for t in KEYS if t in (a.tests or KEYS)]
    return a


def main():
    return blk.run_each_transport(parse_args(), run_transport)


if __name__ == "__main__":
    sys.exit(main())
