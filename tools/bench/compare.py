#!/usr/bin/env python3
"""Rumpk beside its peers, in one run on one machine, transport by transport, one program after
the other (never in parallel: the host has 2 cores): U-Boot's virtio drivers and Linux's with fio
(../shared/peer-bench), Rumpk's block bench from a user fiber through ION and in the kernel in
the same boot (tools/bench/ion.py), and the backend's own limit (`qemu-img bench`,
backend_limit.sh, right after each transport's Rumpk runs) on the same backend flags; then one
table with the ratios Rumpk/limit, Rumpk/Linux and Rumpk/U-Boot (tools/bench/compare_table.py)
and the same table as a chart
(tools/bench/compare_chart.py, matplotlib under /usr/bin/python3).

    ./rumpk bench compare [--transport T ...] [--reps N] [--backend file|null]
                          [--aio threads|io_uring] [--fast] [--skip-uboot] [--skip-linux]
                          [--skip-net] [--results DIR] [--summary-only]

--fast gives every guest (Rumpk, U-Boot, Linux) the QEMU options of `./rumpk run --fast` (the
peers through tools/bench/qemu_fast.py); qemu-img has no device, so its figure is the same.
Boot and network rows (Rumpk vs U-Boot, skipped by --skip-net) always run on QEMU's default
flags. Linux has no null-co backend in its script: with --backend null its column stays empty
and the table says so. The Linux guest is built once (linux_prep.sh: needs mmdebstrap and cpio,
installed by ./rumpk setup) into build/bench/linux-guest.

Every raw record stays in DIR/*.jsonl (default build/bench/compare-DATE); the table is printed
and saved as DIR/summary.md and DIR/table.json, the chart as DIR/compare.png. A quick try:
`./rumpk bench compare --transport mmio-v2 --reps 1 --skip-linux --skip-net`.
Exit status 1 when a program failed or a tool is missing (named); figures are never asserted.
"""
import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PEER = os.path.join(os.path.dirname(ROOT), "shared", "peer-bench")
TRANSPORTS = ["pci-legacy", "pci-modern", "mmio-v1", "mmio-v2"]
CHART_PYTHON = "/usr/bin/python3"  # Debian's: python3-matplotlib is installed for it
LINUX_JOBS = "rand_read_4k_qd1,rand_read_4k_qd32,seq_read_1m,seq_write_1m"
# qemu-img bench points the table uses: 4 KiB reads at QD1 and QD32, 1 MiB reads/writes at QD4
LIMIT_POINTS = [("4096", "1 32"), ("1048576", "4")]

sys.path.insert(0, HERE)
import blk  # noqa: E402  (the backend options and the --fast flags)
import compare_table  # noqa: E402
import qemu_cmd  # noqa: E402


def missing_tools(a):
    """The tools this run needs and does not find, each with its Debian package."""
    need = [("qemu-system-riscv64", "qemu-system-misc"), ("qemu-img", "qemu-utils")]
    if not a.skip_uboot:
        need.append(("/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin", "u-boot-qemu"))
    if not a.skip_linux and a.backend == "file" and \
            not os.path.exists(os.path.join(a.linux_guest, "initrd.cpio")):
        need += [("mmdebstrap", "mmdebstrap"), ("cpio", "cpio")]
    out = [f"{tool} ({pkg})" for tool, pkg in need
           if not (os.path.exists(tool) if tool.startswith("/") else shutil.which(tool))]
    probe = subprocess.run([CHART_PYTHON, "-c", "import matplotlib"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL) if os.path.exists(CHART_PYTHON) else None
    if probe is None or probe.returncode != 0:
        out.append(f"matplotlib for {CHART_PYTHON} (python3-matplotlib)")
    if not os.path.isdir(PEER):
        out.append(f"the peer benchmark at {PEER}")
    return out


class Runner:
    """Runs one program at a time, its JSON lines appended to a file of the results folder
    (tagged with the run's flags where the program does not know them); remembers failures."""

    def __init__(self, res):
        self.res = res
        self.failed = []

    def run(self, cmd, name, env=None, tag=None):
        print("+ " + " ".join(cmd), file=sys.stderr, flush=True)
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, env=env, text=True)
        with open(os.path.join(self.res, name), "a") as f:
            for line in p.stdout:
                if tag and line.startswith("{"):
                    rec = json.loads(line)
                    for k, v in tag.items():
                        rec.setdefault(k, v)
                    line = json.dumps(rec, sort_keys=True) + "\n"
                f.write(line)
        if p.wait() != 0:
            what = os.path.basename(cmd[1] if cmd[0] in (sys.executable, "bash") else cmd[0])
            self.failed.append(f"{what} exited {p.returncode}")
            print(f"compare: {self.failed[-1]}", file=sys.stderr, flush=True)


def run_all(a, res, run):
    py, reps = sys.executable, str(a.reps)
    r = Runner(res)
    env = dict(os.environ, PEER_WORKDIR=os.path.join(res, "peer-work"))
    peer_env = dict(env, QEMU=os.path.join(HERE, "qemu_fast.py")) if a.fast else env
    tag = {"fast": a.fast, "fast_flags": run["fast_flags"]}
    back = ["--backend", a.backend] + (["--aio", a.aio] if a.aio else [])
    fast = ["--fast"] if a.fast else []
    for t in run["transports"]:
        if not a.skip_uboot:
            r.run([py, os.path.join(PEER, "uboot_blk.py"), "--transport", t, "--reps", reps]
                  + back, "peer-blk.jsonl", peer_env, tag)
        if not a.skip_linux and a.backend == "file":
            r.run([py, os.path.join(PEER, "linux_blk.py"), "--transport", t, "--reps", reps,
                   "--aio", a.aio, "--jobs", LINUX_JOBS, "--runtime", str(a.linux_runtime),
                   "--guest", a.linux_guest], "linux-blk.jsonl", peer_env, tag)
        r.run([py, os.path.join(HERE, "ion.py"), "--transport", t, "--reps", reps,
               "--ms", str(a.ms)] + back + fast, "rumpk-ion.jsonl")
        # The limit right after Rumpk, per transport: this host's speed drifts by tens of percent
        # over minutes, so a limit measured once at the end would set some transports' ratios
        # against a faster or slower host than their own runs had.
        for sizes, depths in LIMIT_POINTS:
            benv = dict(env, SIZES=sizes, DEPTHS=depths, AIOS=a.aio or "threads")
            r.run(["bash", os.path.join(PEER, "backend_limit.sh"), env["PEER_WORKDIR"], reps],
                  "backend.jsonl", benv, {"transport": t})
        if not a.skip_net:
            r.run([py, os.path.join(HERE, "boot.py"), "--transport", t, "--reps", "5"],
                  "rumpk-boot.jsonl")
            if not a.skip_uboot:
                r.run([py, os.path.join(PEER, "uboot_net.py"), "--transport", t, "--reps", reps],
                      "peer-net.jsonl", env)
            r.run([py, os.path.join(HERE, "net.py"), "--transport", t, "--reps", reps],
                  "rumpk-net.jsonl")
    return r.failed


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--transport", action="append", choices=TRANSPORTS)
    ap.add_argument("--reps", type=int, default=3)
    blk.add_backend_args(ap)
    ap.add_argument("--ms", type=int, default=1000, help="Rumpk: each test's length per rep")
    ap.add_argument("--linux-runtime", type=int, default=5, help="Linux: seconds per fio job")
    ap.add_argument("--linux-guest", default=os.path.join(ROOT, "build", "bench", "linux-guest"),
                    help="linux_prep.sh's output folder (built once when missing)")
    ap.add_argument("--skip-uboot", action="store_true")
    ap.add_argument("--skip-linux", action="store_true")
    ap.add_argument("--skip-net", action="store_true", help="no boot and network rows")
    ap.add_argument("--summary-only", action="store_true", help="re-read DIR, run nothing")
    ap.add_argument("--results", default=None)
    a = ap.parse_args()
    if a.summary_only:
        if not a.results:
            ap.error("--summary-only needs --results DIR")
    else:
        blk.check_backend(a, ap)
    res = a.results or os.path.join(ROOT, "build", "bench",
                                    datetime.datetime.now().strftime("compare-%Y%m%d-%H%M%S"))
    failed = []
    if not a.summary_only:
        missing = missing_tools(a)
        if missing:
            sys.exit("compare: missing " + "; ".join(missing) + " (./rumpk setup installs them)")
        os.makedirs(res, exist_ok=True)
        run = {"transports": a.transport or TRANSPORTS, "reps": a.reps, "backend": a.backend,
               "aio": a.aio, "cache": "writeback" if a.backend == "file" else None,
               "fast": a.fast,
               "fast_flags": ([p + " on PCI disks" for p in qemu_cmd.FAST_BLK_PCI_PROPS]
                              + ["-object " + qemu_cmd.FAST_IOTHREAD_OBJECT]
                              + [p + " on other PCI devices" for p in qemu_cmd.FAST_PCI_PROPS])
               if a.fast else [],
               "date": datetime.datetime.now().isoformat(timespec="seconds"), "skipped": []}
        if a.skip_uboot:
            run["skipped"].append("U-Boot not run (--skip-uboot).")
        if a.skip_linux:
            run["skipped"].append("Linux not run (--skip-linux).")
        elif a.backend == "null":
            run["skipped"].append("Linux not run: linux_blk.py has no null-co backend.")
        with open(os.path.join(res, "run.json"), "w") as f:
            json.dump(run, f, indent=1)
        if not a.skip_linux and a.backend == "file" and \
                not os.path.exists(os.path.join(a.linux_guest, "initrd.cpio")):
            print(f"+ linux_prep.sh {a.linux_guest} (once)", file=sys.stderr, flush=True)
            if subprocess.run([os.path.join(PEER, "linux_prep.sh"), a.linux_guest],
                              stdout=sys.stderr).returncode != 0:
                sys.exit("compare: linux_prep.sh failed (see above)")
        failed = run_all(a, res, run)
    elif not os.path.exists(os.path.join(res, "run.json")):
        sys.exit(f"compare: {res}/run.json not found (not a results folder of this command)")
    print(compare_table.summarize(res))
    chart = subprocess.run([CHART_PYTHON, os.path.join(HERE, "compare_chart.py"), res],
                           stdout=subprocess.DEVNULL)
    if chart.returncode != 0:
        failed.append("compare_chart.py exited %d" % chart.returncode)
    print(f"results in {res} (summary.md, table.json, compare.png)", file=sys.stderr)
    if failed:
        print("compare: " + "; ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
