#!/usr/bin/env python3
"""Crash images from a write log: reads the log QEMU's `blklogwrites` block driver records (the
dm-log-writes format) and rebuilds what a disk could hold after a power cut at a chosen point.

Owns the log format and the crash model, nothing about any filesystem. The model: writes the log
records between two flushes may reach the medium in any order (a volatile write cache), so a
cut at entry C keeps everything up to the last flush F <= C and any subset of the writes in
(F, C]; a FUA write is stable when it completes, so it is always kept once the cut passes it.

  tools/crash_replay.py info LOG                      entries, writes, flushes, sector size
  tools/crash_replay.py image LOG START OUT --upto N [--keep I,J,...]
        OUT = START with entries 0..N-1 applied (the writes after the last flush before N
        only those named by --keep, when given): one crash state, to look at by hand.

Python standard library only.
"""
import argparse
import bisect
import random
import struct
import sys
from collections import namedtuple

# Log super block (log sector 0): u64 magic, u64 version, u64 number of entries, u32 sector
# size, little-endian. Each entry: a header in its own log sector (u64 sector, u64 sector count,
# u64 flags, u64 data length), then its data: sector count log sectors.
MAGIC = 0x6A736677736872
VERSION = 1
SUPER = struct.Struct("<QQQI")
ENTRY = struct.Struct("<QQQQ")
FLUSH, FUA, DISCARD, MARK, METADATA = 1, 2, 4, 8, 16
KNOWN_FLAGS = FLUSH | FUA | DISCARD | METADATA

Entry = namedtuple("Entry", "index sector count flags data end")  # end: log byte after it
Cut = namedtuple("Cut", "upto flush keep")  # entries < upto; last flush index; kept writes


class LogError(Exception):
    """The log is not one this module can read; the message says where and why."""


class WriteLog:
    """A parsed log: `entries` in completion order, `sector_size`, `flushes` (entry indices)."""

    def __init__(self, data, disk_size=None):
        if len(data) < SUPER.size:
            raise LogError(f"log of {len(data)} bytes has no super block")
        magic, version, count, ssize = SUPER.unpack_from(data, 0)
        if magic != MAGIC:
            raise LogError(f"bad magic {magic:#x} (not a blklogwrites/dm-log-writes log)")
        if version != VERSION:
            raise LogError(f"log version {version}, only {VERSION} is known")
        if ssize < 512 or ssize > 65536 or ssize & (ssize - 1):
            raise LogError(f"log sector size {ssize} is not a power of two in 512..65536")
        self.sector_size = ssize
        self.entries = []
        self.flushes = []
        off = ssize
        for i in range(count):
            if off + ssize > len(data):
                raise LogError(f"entry {i} of {count}: header at byte {off} is past the end "
                               f"({len(data)} bytes)")
            sector, n, flags, _ = ENTRY.unpack_from(data, off)
            if flags & ~KNOWN_FLAGS:
                raise LogError(f"entry {i}: flags {flags:#x} not supported (marks?)")
            nbytes = 0 if flags & DISCARD else n * ssize
            body = off + ssize
            if body + nbytes > len(data):
                raise LogError(f"entry {i}: {n} sectors of data run past the end of the log")
            if disk_size is not None and (sector + n) * ssize > disk_size:
                raise LogError(f"entry {i}: sectors {sector}+{n} are past the disk's "
                               f"{disk_size} bytes")
            if flags & FLUSH and n:
                raise LogError(f"entry {i}: a flush carrying {n} sectors")
            payload = bytes(n * ssize) if flags & DISCARD else data[body:body + nbytes]
            self.entries.append(Entry(i, sector, n, flags, payload, body + nbytes))
            if flags & FLUSH:
                self.flushes.append(i)
            off = body + nbytes
        self.size = off

    def count_at(self, log_bytes):
        """How many entries lie wholly within the first `log_bytes` bytes of the log (how far
        it had got when the host looked at the file's size)."""
        return bisect.bisect_right([e.end for e in self.entries], log_bytes)

    def last_flush_before(self, upto):
        """Index of the last flush among entries < upto, or -1."""
        i = bisect.bisect_left(self.flushes, upto)
        return self.flushes[i - 1] if i else -1

    def is_write(self, e):
        return not (e.flags & FLUSH) and e.count > 0


def read_log(path, disk_size=None):
    with open(path, "rb") as f:
        return WriteLog(f.read(), disk_size)


def apply(img, log, entry):
    if log.is_write(entry):
        pos = entry.sector * log.sector_size
        img[pos:pos + len(entry.data)] = entry.data


def plan_cuts(log, random_cuts, seed):
    """Every prefix that ends at a flush (and the empty and the whole log), then `random_cuts`
    cuts at random entries, each keeping a random subset of the writes since the last flush
    (FUA writes always). Deterministic for a seed."""
    n = len(log.entries)
    cuts = [Cut(0, -1, ())] + [Cut(f + 1, f, ()) for f in log.flushes]
    if not log.flushes or log.flushes[-1] != n - 1:
        f = log.last_flush_before(n)
        cuts.append(Cut(n, f, tuple(range(f + 1, n))))
    rng = random.Random(seed)
    for _ in range(random_cuts):
        upto = rng.randint(1, n) if n else 0
        f = log.last_flush_before(upto)
        pending = [e for e in log.entries[f + 1:upto] if log.is_write(e)]
        keep = tuple(e.index for e in pending if e.flags & FUA or rng.random() < 0.5)
        cuts.append(Cut(upto, f, keep))
    return cuts


def crash_images(start, log, cuts):
    """Yields (cut, image bytes) for each cut, walking the log once (in order of the cuts'
    last flush, not the order given)."""
    img = bytearray(start)
    done = -1  # entries <= done are applied to img
    for cut in sorted(cuts, key=lambda c: (c.flush, c.upto)):
        while done < cut.flush:
            done += 1
            apply(img, log, log.entries[done])
        out = bytearray(img)
        for i in cut.keep:
            apply(out, log, log.entries[i])
        yield cut, bytes(out)


def describe(cut, log):
    pending = sum(1 for e in log.entries[cut.flush + 1:cut.upto] if log.is_write(e))
    return (f"cut at entry {cut.upto} of {len(log.entries)}: through flush {cut.flush}, "
            f"{len(cut.keep)} of {pending} later writes kept {list(cut.keep)}")


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    i = sub.add_parser("info")
    i.add_argument("log")
    m = sub.add_parser("image")
    m.add_argument("log")
    m.add_argument("start")
    m.add_argument("out")
    m.add_argument("--upto", type=int, required=True)
    m.add_argument("--keep", default=None)
    a = p.parse_args(argv)
    try:
        log = read_log(a.log)
    except (OSError, LogError) as e:
        print(f"crash_replay: {a.log}: {e}", file=sys.stderr)
        return 1
    if a.cmd == "info":
        writes = sum(1 for e in log.entries if log.is_write(e))
        print(f"{len(log.entries)} entries: {writes} writes, {len(log.flushes)} flushes; "
              f"log sectors of {log.sector_size} bytes")
        return 0
    if not 0 <= a.upto <= len(log.entries):
        print(f"crash_replay: --upto {a.upto}: the log has {len(log.entries)} entries",
              file=sys.stderr)
        return 1
    f = log.last_flush_before(a.upto)
    if a.keep is None:
        keep = tuple(range(f + 1, a.upto))
    else:
        try:
            keep = tuple(int(x) for x in a.keep.split(",") if x)
        except ValueError:
            print(f"crash_replay: --keep {a.keep!r}: not a list of entry numbers",
                  file=sys.stderr)
            return 1
        bad = [k for k in keep if not f < k < a.upto]
        if bad:
            print(f"crash_replay: --keep {bad[0]}: not after flush {f} and before {a.upto}",
                  file=sys.stderr)
            return 1
    with open(a.start, "rb") as fh:
        start = fh.read()
    cut = Cut(a.upto, f, keep)
    for _, img in crash_images(start, log, [cut]):
        with open(a.out, "wb") as fh:
            fh.write(img)
    print(describe(cut, log))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
