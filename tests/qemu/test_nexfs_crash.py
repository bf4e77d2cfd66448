"""NexFS crash test on the real machine: a workload of creates, writes, fills, appends, renames
(over existing names too), deletes, mkdirs and rmdirs runs as `run -c blk0 nexfs ...` in the
guest, on a disk whose every write and flush QEMU's blklogwrites driver records. Then, on the
host (tools/crash_replay.py), every prefix of the log that ends at a flush and random cuts (the
writes since the last flush kept as a random subset: the device may reorder them) are replayed
onto the starting image, and for each:

  * fsck.nexfs -n is clean (exit 0) on the image exactly as the cut left it;
  * it mounts, and the whole tree (every directory, every file's bytes, read back with
    `nexfs get -r`) is the state after the last operation whose run ended at or before the
    last flush the cut includes (each run fsyncs what it writes and unmounts: all of its
    writes are stable then); the operation in flight at the cut is there whole or not at all
    (a write or fill may be a prefix of its new bytes: it commits in pieces); fsck.nexfs -n is
    clean again after that mount.

Which log entries each operation wrote comes from the log's length after its `run` returned.
Replaying the whole log must give exactly the disk the guest left. RUMPK_CRASH_CUTS (default 50)
random cuts per run, seed RUMPK_CRASH_SEED (default 1); a long run:
    python3 tests/qemu/test_nexfs_crash.py --cuts 1000
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

from harness import ROOT, GuestError, QemuTestCase
from qemu_cmd import device_args

import crash_replay

TOOLS = os.environ.get("NEXFS_TOOLS", os.path.join(ROOT, "build", "host"))
CUTS = int(os.environ.get("RUMPK_CRASH_CUTS", "50"))
SEED = int(os.environ.get("RUMPK_CRASH_SEED", "1"))
DISK = 4 << 20
DRIVER = "blklogwrites"  # QEMU's write-logging block driver (dm-log-writes format)


def tool(name):
    path = os.path.join(TOOLS, name)
    if not os.access(path, os.X_OK):
        raise AssertionError(f"{path} is not built (set NEXFS_TOOLS to build/host)")
    return path


def guest_fill(n, seed):
    """What `nexfs fill FILE N SEED` writes (user/programs/nexfs.c)."""
    return bytes((seed + i * 7 + i // 4096) & 0xFF for i in range(n))


# The workload: (guest command after `nexfs`). The host put /old.txt and /keep/k.txt first.
WORKLOAD = [
    "write /a.txt first file",
    "mkdir /d1",
    "write /d1/b.txt second file in d1",
    "fill /big 300000 3",
    "append /a.txt more words",
    "mv /d1/b.txt /b2.txt",
    "write /c.txt to be replaced",
    "mv /a.txt /c.txt",
    "rm /old.txt",
    "mkdir /d1/sub",
    "fill /d1/sub/f 70000 9",
    "ls /d1",
    "mv /big /keep/k.txt",
    "write /d1/sub/g tiny",
    "rm /b2.txt",
    "mkdir /empty",
    "rmdir /empty",
    "fill /keep/k.txt 5000 21",
    "mv /d1/sub /moved",
    "rm /moved/g",
    "write /moved/f rewritten after a fill",
    "fill /late 130000 33",
    "mv /late /c.txt",
    "rm /moved/f",
    "rmdir /moved",
]


class Model:
    """What the tree holds after each operation: {path: bytes} for files, a set of dirs."""

    def __init__(self, files, dirs):
        self.files, self.dirs = dict(files), set(dirs)

    def copy(self):
        return Model(self.files, self.dirs)

    def apply(self, line):
        op, *args = line.split()
        if op in ("write", "append"):
            text = (" ".join(args[1:]) + "\n").encode()
            old = self.files.get(args[0], b"") if op == "append" else b""
            self.files[args[0]] = old + text
        elif op == "fill":
            self.files[args[0]] = guest_fill(int(args[1]), int(args[2]))
        elif op == "mkdir":
            self.dirs.add(args[0])
        elif op == "rmdir":
            self.dirs.remove(args[0])
        elif op == "rm":
            del self.files[args[0]]
        elif op == "mv":
            src, dst = args
            for table in (self.files, self.dirs):
                moved = {p for p in table if p == src or p.startswith(src + "/")}
                for p in moved:
                    q = dst + p[len(src):]
                    if isinstance(table, dict):
                        table[q] = table.pop(p)
                    else:
                        table.remove(p)
                        table.add(q)
        elif op != "ls":
            raise ValueError(f"workload op {op!r} has no model")


def read_tree(root):
    files, dirs = {}, set()
    for d, subdirs, names in os.walk(root):
        rel = "/" + os.path.relpath(d, root) if d != root else ""
        for s in subdirs:
            dirs.add(f"{rel}/{s}")
        for n in names:
            with open(os.path.join(d, n), "rb") as f:
                files[f"{rel}/{n}"] = f.read()
    return files, dirs


def summary(files, dirs):
    return sorted(dirs) + [f"{p} ({len(b)} bytes)" for p, b in sorted(files.items())]


def written_path(line):
    op, *args = line.split()
    return args[0] if op in ("write", "append", "fill") else None


def tree_matches(got, before, after, line):
    """How the tree `got` stands to the operation `line` in flight: "done" (it is `after`),
    "not done" (it is `before`), "part written" (`line` writes a file: everything else is as
    before and that file holds a prefix of its new bytes), or None: a state no cut may leave."""
    files, dirs = got
    if (files, dirs) == (after.files, after.dirs):
        return "done"
    if (files, dirs) == (before.files, before.dirs):
        return "not done"
    path = written_path(line)
    if path is None or dirs != before.dirs or path not in files:
        return None
    rest = {p: b for p, b in files.items() if p != path}
    if rest != {p: b for p, b in before.files.items() if p != path}:
        return None
    new, old = after.files[path], before.files.get(path, b"")
    if new.startswith(files[path]) and (not line.startswith("append")
                                        or len(files[path]) >= len(old)):
        return "part written"
    return None


class NexfsCrash(QemuTestCase):
    def boot(self, *args, **kw):
        kw.setdefault("append", "nexfs=off")  # NexFS is started by hand here, not at boot
        return super().boot(*args, **kw)

    def run_workload(self, d, start):
        img, log = os.path.join(d, "fs.img"), os.path.join(d, "fs.log")
        shutil.copyfile(start, img)
        open(log, "wb").close()  # blklogwrites opens its log file, it does not create it
        drive = (f"driver={DRIVER},if=none,id=hd0,file.driver=file,file.filename={img},"
                 f"log.driver=file,log.filename={log},log-sector-size=512,"
                 f"log-super-update-interval=1")
        try:
            g = self.boot(["-drive", drive] + device_args("blk", "pci-modern", "hd0"),
                          transports=["pci-modern"])
        except GuestError as e:
            if f"Unknown driver '{DRIVER}'" in str(e):
                raise AssertionError(f"QEMU's {DRIVER} block driver is unavailable (this QEMU "
                                     f"was built without it): the crash test needs it\n{e}")
            raise
        ends = []  # log length in bytes after each operation's run returned
        for line in WORKLOAD:
            out = g.cmd(f"run -c blk0 nexfs {line}", timeout=60)
            if not line.startswith("ls"):
                self.assertNotIn("nexfs:", out, line)  # success is silent
            self.assertNotIn("exited", out, line)
            ends.append(os.path.getsize(log))
        self.assertEqual(g.poweroff(), 0)
        return img, log, ends

    def fsck_clean(self, path, what):
        p = subprocess.run([tool("fsck.nexfs"), "-n", path], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, f"{what}: fsck.nexfs -n: {p.stdout}{p.stderr}")

    def test_every_flush_prefix_and_random_cuts(self):
        d = self.tmpdir()
        start = os.path.join(d, "start.img")
        subprocess.run([tool("mkfs.nexfs"), start, "--size", str(DISK)], check=True,
                       capture_output=True)
        host = os.path.join(d, "host")
        os.makedirs(os.path.join(host, "keep"))
        seeds = {"/old.txt": b"put by the host\n", "/keep/k.txt": b"kept\n" * 300}
        for p, data in seeds.items():
            with open(host + p, "wb") as f:
                f.write(data)
        subprocess.run([tool("nexfs"), start, "put", host + "/old.txt", "/old.txt"],
                       check=True, capture_output=True)
        subprocess.run([tool("nexfs"), start, "put", "-r", host + "/keep", "/keep"],
                       check=True, capture_output=True)
        states = [Model(seeds, {"/keep"})]
        for line in WORKLOAD:
            states.append(states[-1].copy())
            states[-1].apply(line)

        img, logpath, ends = self.run_workload(d, start)
        with open(start, "rb") as f:
            start_bytes = f.read()
        log = crash_replay.read_log(logpath, len(start_bytes))
        with open(img, "rb") as f:
            final = f.read()
        bounds = [log.count_at(n) for n in ends]  # op i wrote entries bounds[i-1]..bounds[i]-1
        self.assertEqual(bounds[-1], len(log.entries), "entries after the last operation")
        for i, (line, b) in enumerate(zip(WORKLOAD, bounds)):
            first = bounds[i - 1] if i else 0
            self.assertGreater(b, first, f"{line}: wrote nothing to the log")
            self.assertTrue(log.entries[b - 1].flags & crash_replay.FLUSH,
                            f"{line}: its run did not end with a flush")

        cuts = crash_replay.plan_cuts(log, CUTS, SEED)
        t0 = time.monotonic()
        # The host tools fsync their image: in memory when the host has a tmpfs, for speed.
        shm = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
        scratch = tempfile.TemporaryDirectory(prefix="rumpk-crash-", dir=shm)
        self.addCleanup(scratch.cleanup)
        d = scratch.name
        work = os.path.join(d, "cut.img")
        checked, outcomes = 0, {}
        for cut, data in crash_replay.crash_images(start_bytes, log, cuts):
            what = f"{crash_replay.describe(cut, log)} (seed {SEED})"
            if cut.upto == len(log.entries) and cut.flush == len(log.entries) - 1:
                self.assertEqual(data, final, "the whole log replayed is not the guest's disk")
            with open(work, "wb") as f:
                f.write(data)
            self.fsck_clean(work, what)
            done = sum(1 for b in bounds if b <= cut.flush + 1)  # runs ended by the flush
            out = os.path.join(d, f"tree{checked}")
            p = subprocess.run([tool("nexfs"), work, "get", "-r", "/", out],
                               capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, f"{what}: nexfs get -r /: {p.stderr}")
            got = read_tree(out)
            shutil.rmtree(out)
            before = states[done]
            after = states[done + 1] if done < len(WORKLOAD) else before
            line = WORKLOAD[done] if done < len(WORKLOAD) else ""
            seen = tree_matches(got, before, after, line)
            self.assertIsNotNone(
                seen,
                f"{what}: after {done} operations"
                f"{', during ' + repr(line) if line else ''} the tree is\n  "
                + "\n  ".join(summary(*got)) + "\nwanted\n  "
                + "\n  ".join(summary(before.files, before.dirs))
                + ("\nor that operation done\n  " + "\n  ".join(summary(after.files, after.dirs))
                   if line else ""))
            self.fsck_clean(work, f"{what}, after a mount")
            checked += 1
            if line:
                outcomes[seen] = outcomes.get(seen, 0) + 1
        seconds = time.monotonic() - t0
        flushed = len(log.flushes) + 1
        print(f"\nnexfs crash (QEMU): {len(WORKLOAD)} operations, {len(log.entries)} log "
              f"entries ({len(log.flushes)} flushes); {checked} cuts checked: {flushed} "
              f"flush-ended prefixes (the empty one too) and {checked - flushed} others "
              f"({CUTS} random, seed {SEED}) in {seconds:.1f} s; the run in flight at the "
              f"cut: {outcomes}", file=sys.stderr)
        self.assertGreaterEqual(checked, 50)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--cuts":
        os.environ["RUMPK_CRASH_CUTS"] = sys.argv[2]
        CUTS = int(sys.argv[2])
        del sys.argv[1:3]
    unittest.main()
