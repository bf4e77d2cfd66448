#!/usr/bin/env python3
"""Filesystem benchmark: NexFS from a user fiber (`fsbench`, user/programs/fsbench.c) beside the
raw Valve (NipBox's `bench blk`, inside the kernel) on the same disk, in the same boot.

    ./rumpk bench fs [--transport T ...|all] [--mib N] [--reps N] [--seq]
                     [--cache writeback|unsafe] [--out FILE]

Per transport one boot (-m 1G) with a fresh, fully allocated 192 MiB raw image (cache=writeback,
as tools/bench/blk.py, on the host's disk before the boot), --reps times in turns: `bench blk -w
blk0` (the raw figures: 1 MiB sequential reads and writes, 4 KiB random reads at QD1), then
`run -c blk0 fsbench N` (it makes NexFS on the disk: a sequential write with fsync and read of an
N MiB file, 4 KiB random reads in it, creating and deleting 10,000 small files, unless --seq).
Output: JSON lines, per test the medians of the NexFS figure and of the raw one beside it and
their ratio (sequential: against 1 MiB sequential at QD4; random: against 4 KiB random
reads at QD1), and whether sequential throughput reaches the issue's 70% (reported, never
asserted). The write with its fsync is held against the raw side's 64 MiB written the same way
and then flushed (`bench blk -w -t seq_write_flush_64m`, with --mib 64), the write without it
against the raw 1 MiB writes (no flush either).
Exit status 1 only when a guest or a command failed.
"""
import argparse
import os
import shlex
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import blk  # noqa: E402  (disk, QEMU flags and BENCH-line parser of the block benchmark)
from harness import Guest, GuestError  # noqa: E402

IMAGE_BYTES = 192 << 20
RAW = {"fs_seq_write": ("seq_write_flush_64m", "mib_s"),  # 64 MiB then a flush, as its fsync
       "fs_seq_write_nosync": ("seq_write_1m", "mib_s"),  # the raw side has no flush either
       "fs_seq_read": ("seq_read_1m", "mib_s"),
       "fs_rand_read_4k": ("rand_read_4k_qd1", "iops")}


def run_transport(a, transport, workdir, emit):
    disk = os.path.join(workdir, "fs-%s.img" % transport)
    # Fully allocated, as blk.py's disk: a sparse image would make whichever side writes a
    # region first pay the host filesystem's allocation (seen: 170 MiB/s against 3 GiB/s).
    blk.make_disk(disk, IMAGE_BYTES)
    g = Guest(blk.qemu_args(transport, "file", disk, a.cache, None), transports=[transport],
              memory="1G", boot_timeout=60, name="fs-" + transport)
    try:
        emit({"bench": "rumpk-fs", "transport": transport, "test": "cmdline", "cache": a.cache,
              "argv": shlex.join(g.args)})
        raws, runs = [], []
        for rep in range(a.reps):
            # Taking turns, and in the other order every other rep, so that the host's drift
            # (and whatever one side leaves the host's page cache) falls on both alike.
            if rep % 2:
                text = g.cmd(f"run -c blk0 fsbench {a.mib}{' seq' if a.seq else ''}",
                             timeout=600)
            raw = {r["test"]: r for r in blk.parse_bench(g.cmd("bench blk -w blk0 1000",
                                                                 timeout=120))}
            if a.mib == 64:  # the raw side of a 64 MiB write with its fsync
                raw.update((r["test"], r) for r in blk.parse_bench(
                    g.cmd("bench blk -w -t seq_write_flush_64m blk0", timeout=120)))
            if rep % 2 == 0:
                text = g.cmd(f"run -c blk0 fsbench {a.mib}{' seq' if a.seq else ''}",
                             timeout=600)
            fs = {r["test"]: r for r in blk.parse_bench(text)}
            if len(fs) != (4 if a.seq else 6) or "fsbench:" in text or len(raw) < 4:
                raise GuestError("fs bench failed:\n" + text)
            raws.append(raw)
            runs.append(fs)
        g.poweroff()
    finally:
        g.close()
        os.unlink(disk)

    def median(rows, test, key):
        return statistics.median(row[test][key] for row in rows)

    for test in runs[0]:
        rec = {"bench": "rumpk-fs", "transport": transport, "test": test, "reps": a.reps,
               "mib_s": median(runs, test, "mib_s"), "ops_s": median(runs, test, "ops_s"),
               "ops": runs[0][test]["ops"]}
        if test in RAW and RAW[test][0] in raws[0]:
            raw_test, key = RAW[test]
            mine = rec["mib_s"] if key == "mib_s" else rec["ops_s"]
            theirs = median(raws, raw_test, key)
            rec.update(raw_test=raw_test, raw=theirs, unit=key,
                       ratio=round(mine / theirs, 3) if theirs else None)
            if key == "mib_s":
                rec.update(floor=0.70, meets=rec["ratio"] is not None and rec["ratio"] >= 0.70)
        emit(rec)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--transport", action="append", help="a transport, or all (default)")
    p.add_argument("--mib", type=int, default=64)
    p.add_argument("--seq", action="store_true",
                   help="the large file's tests only (no 10,000 small files)")
    p.add_argument("--reps", type=int, default=3, help="raw and NexFS runs per boot, taking "
                   "turns; medians are reported (3)")
    p.add_argument("--cache", default="writeback",
                   help="QEMU's cache mode for the image: writeback (default; a flush is the "
                   "host's fsync), or unsafe (flushes cost nothing: NexFS's own cost alone)")
    p.add_argument("--out")
    return blk.run_each_transport(p.parse_args(), run_transport)


if __name__ == "__main__":
    sys.exit(main())
