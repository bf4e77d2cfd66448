#!/usr/bin/env python3
"""Where the guest spends its time: a sampling profile of one shell command, by kernel function.

    python3 tools/bench/pcprof.py [--kernel ELF] [--transport T] [--hz N] [--top N]
        [--cache MODE] [--backend file|null] [--memory SIZE] -- COMMAND...

Boots the kernel (default build/riscv64/rumpk.elf) with a 64 MiB disk on the transport, starts
COMMAND at the prompt (for example `bench blk blk0 2000`, or `run -c blk0 blkbench 2000`) and,
until the prompt comes back, reads the CPU's pc through QEMU's monitor (`info registers`) about
--hz times a second. Each pc is charged to the kernel function that holds it (the ELF's symbols,
from riscv64-unknown-elf-nm); pcs outside the kernel image are counted as "user" (U-mode code)
or "other". Prints the functions by share of samples. TCG runs guest code in translated blocks, so
a sample lands where a block ended: shares are a fair picture of where time goes, not a
cycle-exact one. Run two kernels with the same command to compare them.

--insns counts instead of sampling: a QEMU TCG plugin (tools/bench/insncount.c, built here
with the host's cc into build/bench/insncount.so) counts every guest instruction executed, from
boot to poweroff, and each is charged to its function as above. With --per N (for example the
requests= of the command's BENCH line) the counts are also shown per unit of work. Counts are
exact and repeatable, but an instruction is not a unit of time: a CSR write, a trap, an MMIO
access or a TLB flush costs TCG far more than an add.
"""
import argparse
import bisect
import collections
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "qemu"))
sys.path.insert(0, os.path.join(ROOT, "tools"))

import harness  # noqa: E402
from harness import Guest, Qmp, disk_args, make_image, qmp_args  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, "tools", "bench"))
import blk  # noqa: E402  (the QEMU line of the block benchmark, null-co included)

PC_RE = re.compile(r"\bpc\s+([0-9a-f]+)")
USER_BASE = 0x1000000000  # where user programs are linked (user/user.ld)


def symbols(elf):
    """(sorted start addresses, names) of the ELF's text symbols."""
    out = subprocess.run(["riscv64-unknown-elf-nm", "-n", "--defined-only", elf], check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    addrs, names = [], []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "tTwW":
            addrs.append(int(parts[0], 16))
            names.append(parts[2])
    return addrs, names


def charge(pc, kern, user):
    """The function name a guest pc is charged to."""
    addrs, names, end = kern
    uaddrs, unames, uend = user
    if addrs and addrs[0] <= pc < end:
        return names[bisect.bisect_right(addrs, pc) - 1]
    if uaddrs and uaddrs[0] <= pc < uend:
        return "user:" + unames[bisect.bisect_right(uaddrs, pc) - 1]
    return "(user)" if pc >= USER_BASE else "(other)"


def build_plugin():
    """build/bench/insncount.so, rebuilt when its source is newer."""
    src = os.path.join(ROOT, "tools", "bench", "insncount.c")
    so = os.path.join(ROOT, "build", "bench", "insncount.so")
    if not os.path.exists(so) or os.path.getmtime(so) < os.path.getmtime(src):
        os.makedirs(os.path.dirname(so), exist_ok=True)
        subprocess.run(["cc", "-shared", "-fPIC", "-O2", "-Wall", "-Wextra", "-Werror",
                        "-fvisibility=hidden", "-o", so, src], check=True)
    return so


def count_insns(a, d, kern, user):
    """--insns: one boot under the counting plugin; prints instructions per function."""
    so = build_plugin()
    out_path = os.path.join(d, "insns.txt")
    img = make_image(os.path.join(d, "disk.img"), a.disk_mib << 20)
    disk = (disk_args(img, a.transport, drive_extra=",cache=" + a.cache)
            if a.backend == "file" else blk.qemu_args(a.transport, "null", None, a.cache, None))
    g = Guest(disk + ["-plugin", so + ",out=" + out_path], transports=[a.transport],
              append="nexfs=off", memory=a.memory)
    try:
        out = g.cmd(" ".join(a.command), timeout=a.timeout)
        g.poweroff()
    finally:
        g.close()
    counts = collections.Counter()
    with open(out_path) as f:
        for line in f:
            vaddr, insns, runs = line.split()
            counts[charge(int(vaddr, 16), kern, user)] += int(insns) * int(runs)
    total = sum(counts.values())
    print(f"pcprof --insns: {total} instructions from boot to poweroff around "
          f"`{' '.join(a.command)}` on {a.transport}, kernel {a.kernel}")
    for name, n in counts.most_common(a.top):
        per = f"  {n / a.per:10.1f} per unit" if a.per else ""
        print(f"{100.0 * n / max(total, 1):6.2f}%  {n:12d}{per}  {name}")
    for line in out.splitlines():
        if line.startswith("BENCH"):
            print(line)
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kernel", default=os.path.join(ROOT, "build", "riscv64", "rumpk.elf"))
    ap.add_argument("--user", help="a user program's ELF (build/riscv64/user/NAME.elf): its "
                    "functions are named too (user pcs are otherwise counted as \"(user)\")")
    ap.add_argument("--transport", default="pci-modern")
    ap.add_argument("--hz", type=int, default=500)
    ap.add_argument("--disk-mib", type=int, default=64, help="the disk's size (64 MiB)")
    ap.add_argument("--cache", default="writeback", help="the disk's QEMU cache mode (writeback)")
    ap.add_argument("--memory", default="128M", help="the guest's RAM (128M)")
    ap.add_argument("--backend", default="file", choices=["file", "null"],
                    help="the disk: a raw image (file) or QEMU's null-co (no disk I/O at all)")
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--pcs", type=int, default=0, help="also the N most sampled pcs themselves")
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--insns", action="store_true",
                    help="count executed instructions per function (a TCG plugin), no sampling")
    ap.add_argument("--per", type=float, default=0,
                    help="with --insns: also instructions per this many units of work")
    ap.add_argument("command", nargs="+")
    a = ap.parse_args()
    addrs, names = symbols(a.kernel)
    end = addrs[-1] + 0x10000 if addrs else 0
    uaddrs, unames = symbols(a.user) if a.user else ([], [])
    uend = uaddrs[-1] + 0x10000 if uaddrs else 0
    harness.KERNEL = a.kernel  # read by the harness at import: set here, not in the environment
    with tempfile.TemporaryDirectory(prefix="rumpk-pcprof-") as d:
        if a.insns:
            return count_insns(a, d, (addrs, names, end), (uaddrs, unames, uend))
        img = make_image(os.path.join(d, "disk.img"), a.disk_mib << 20)
        sock = os.path.join(d, "qmp.sock")
        disk = (disk_args(img, a.transport, drive_extra=",cache=" + a.cache)
                if a.backend == "file" else
                blk.qemu_args(a.transport, "null", None, a.cache, None))
        g = Guest(disk + qmp_args(sock), transports=[a.transport], append="nexfs=off",
                  memory=a.memory)
        q = Qmp(sock)
        g.send(" ".join(a.command) + "\r")
        counts = collections.Counter()
        pcs = collections.Counter()
        period = 1.0 / a.hz
        deadline = time.monotonic() + a.timeout
        samples = 0
        while time.monotonic() < deadline:
            if g.log.rstrip().endswith("nipbox>") and samples > 10:
                break
            regs = q.execute("human-monitor-command", **{"command-line": "info registers"})
            m = PC_RE.search(regs)
            if m:
                pc = int(m[1], 16)
                pcs[pc] += 1
                samples += 1
                if addrs and addrs[0] <= pc < end:
                    counts[names[bisect.bisect_right(addrs, pc) - 1]] += 1
                elif uaddrs and uaddrs[0] <= pc < uend:
                    counts["user:" + unames[bisect.bisect_right(uaddrs, pc) - 1]] += 1
                elif pc >= USER_BASE:
                    counts["(user)"] += 1
                else:
                    counts["(other)"] += 1
            time.sleep(period)
        out = g.log
        q.close()
        g.send("poweroff\r")
        g.wait_exit(20) if hasattr(g, "wait_exit") else None
    print(f"pcprof: {samples} samples of `{' '.join(a.command)}` on {a.transport}, "
          f"kernel {a.kernel}")
    for name, n in counts.most_common(a.top):
        print(f"{100.0 * n / max(samples, 1):6.2f}%  {n:6d}  {name}")
    for pc, n in pcs.most_common(a.pcs):
        print(f"{100.0 * n / max(samples, 1):6.2f}%  {n:6d}  pc 0x{pc:x}")
    bench = [line for line in out.splitlines() if line.startswith("BENCH")]
    for line in bench:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
