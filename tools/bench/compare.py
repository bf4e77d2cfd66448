#!/usr/bin/env python3
"""Rumpk beside its peer, in one run on one machine: U-Boot's virtio drivers
(../shared/peer-bench) and Rumpk's benchmarks, transport by transport, one after the other (never
in parallel: the host has 2 cores), then a table of Rumpk / U-Boot ratios against the goals of
../shared/docs/performance.md.

    ./rumpk bench compare [--transport T ...] [--reps N] [--skip-net] [--results DIR]

Every raw record stays in DIR/*.jsonl; the table is printed and saved as DIR/summary.md.
"""
import argparse
import datetime
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PEER = os.path.join(os.path.dirname(ROOT), "shared", "peer-bench")
TRANSPORTS = ["pci-legacy", "pci-modern", "mmio-v1", "mmio-v2"]


def run(cmd, out_path, env=None):
    print("+ " + " ".join(cmd), file=sys.stderr, flush=True)
    with open(out_path, "a") as f:
        r = subprocess.run(cmd, stdout=f, env=env)
    if r.returncode != 0:
        print(f"compare: {cmd[1]} exited {r.returncode}", file=sys.stderr)


def load(path):
    recs = []
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line.startswith("{"):
                    recs.append(json.loads(line))
    return recs


def pick(recs, transport, test, key, mode=None):
    for r in recs:
        if r.get("transport") == transport and r.get("test") == test and \
                (mode is None or r.get("mode", mode) == mode) and key in r:
            v = r[key]
            return v["median"] if isinstance(v, dict) else v
    return None


def fmt(v, digits=0):
    return "-" if v is None else f"{v:,.{digits}f}"


def ratio(a, b):
    return "-" if a is None or b is None or b == 0 else f"{a / b:.1f}x"


def summarize(res, transports):
    pb, rb = load(os.path.join(res, "peer-blk.jsonl")), load(os.path.join(res, "rumpk-blk.jsonl"))
    pn, rn = load(os.path.join(res, "peer-net.jsonl")), load(os.path.join(res, "rumpk-net.jsonl"))
    boot = load(os.path.join(res, "rumpk-boot.jsonl"))
    backend = load(os.path.join(res, "backend.jsonl"))
    qd = {}
    for r in backend:
        if r.get("target") == "file" and r.get("rw") == "read" and r.get("size") == 4096 \
                and r.get("aio") == "threads" and r.get("cache") == "writeback":
            qd[r["depth"]] = r["iops"]["median"]
    lines = ["# Rumpk vs U-Boot, one run (medians)", "",
             f"qemu-img bench, file backend, writeback, aio=threads, 4 KiB reads: "
             f"QD1 {fmt(qd.get(1))}/s, QD32 {fmt(qd.get(32))}/s", "",
             "| transport | test | Rumpk | U-Boot | ratio | goal |", "|---|---|---|---|---|---|"]
    for t in transports:
        u4k = pick(pb, t, "read_seq_4K", "iops")
        rows = [
            ("4K random read QD1, IOPS", pick(rb, t, "rand_read_4k_qd1", "iops", "hybrid"), u4k,
             f">= 3x U-Boot, >= {fmt(qd.get(1, 0) / 2)} (half qemu-img QD1)"),
            ("4K random read QD1, IOPS, pure interrupts", pick(rb, t, "rand_read_4k_qd1", "iops",
                                                               "irq"), u4k, "(no ring watch)"),
            ("4K random read QD32, IOPS", pick(rb, t, "rand_read_4k_qd32", "iops", "hybrid"), u4k,
             f">= {fmt(qd.get(32, 0) / 2)} (half qemu-img QD32)"),
            ("1 MiB seq read, MiB/s", pick(rb, t, "seq_read_1m", "mib_s", "hybrid"),
             pick(pb, t, "read_seq_1024K", "mib_s"), ">= 1.5x U-Boot"),
            ("1 MiB seq write, MiB/s", pick(rb, t, "seq_write_1m", "mib_s", "hybrid"),
             pick(pb, t, "write_seq_1024K", "mib_s"), ">= 1.5x U-Boot"),
            ("boot to prompt, s (lower is better)", pick(boot, t, None, "seconds_host"),
             pick(pb, t, "boot", "seconds_host"), "<= U-Boot"),
            ("idle guest, QEMU host CPU %", pick(boot, t, None, "idle_cpu_percent"), None,
             "< 5%"),
            ("ping round trips/s", pick(rn, t, "ping_loop", "pings_per_s"),
             pick(pn, t, "ping_loop", "pings_per_s"), ">= 2x U-Boot"),
            ("ping with ARP each time, /s", pick(rn, t, "ping_loop_arp", "pings_per_s"),
             pick(pn, t, "ping_loop", "pings_per_s"), "(U-Boot's loop ARPs every ping)"),
            ("UDP echo 64 B, round trips/s", pick(rn, t, "udp_echo_64", "round_trips_per_s"),
             None, "reported"),
            ("guest-to-host UDP 1400 B, MiB/s", pick(rn, t, "udp_tx_1400", "mib_s"),
             pick(pn, t, "tftp_1468", "mib_s"), "reported (U-Boot: TFTP host-to-guest)"),
        ]
        for name, mine, peer, goal in rows:
            digits = 3 if "boot" in name else 1 if "CPU" in name else 0
            lines.append(f"| {t} | {name} | {fmt(mine, digits)} | {fmt(peer, digits)} | "
                         f"{ratio(mine, peer)} | {goal} |")
    text = "\n".join(lines) + "\n"
    with open(os.path.join(res, "summary.md"), "w") as f:
        f.write(text)
    print(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--transport", action="append", choices=TRANSPORTS)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--skip-net", action="store_true")
    ap.add_argument("--summary-only", action="store_true", help="re-read DIR, run nothing")
    ap.add_argument("--results", default=None)
    a = ap.parse_args()
    transports = a.transport or TRANSPORTS
    res = a.results or os.path.join(ROOT, "build", "bench",
                                    datetime.datetime.now().strftime("compare-%Y%m%d-%H%M%S"))
    os.makedirs(res, exist_ok=True)
    if not a.summary_only:
        if not os.path.isdir(PEER):
            sys.exit(f"compare: no peer benchmark at {PEER}")
        py, reps = sys.executable, str(a.reps)
        env = dict(os.environ, PEER_WORKDIR=os.path.join(res, "peer-work"))
        for t in transports:
            run([py, os.path.join(PEER, "uboot_blk.py"), "--transport", t, "--reps", reps],
                os.path.join(res, "peer-blk.jsonl"), env)
            run([py, os.path.join(HERE, "blk.py"), "--transport", t, "--reps", reps],
                os.path.join(res, "rumpk-blk.jsonl"))
            run([py, os.path.join(HERE, "boot.py"), "--transport", t, "--reps", "5"],
                os.path.join(res, "rumpk-boot.jsonl"))
            if not a.skip_net:
                run([py, os.path.join(PEER, "uboot_net.py"), "--transport", t, "--reps", reps],
                    os.path.join(res, "peer-net.jsonl"), env)
                run([py, os.path.join(HERE, "net.py"), "--transport", t, "--reps", reps],
                    os.path.join(res, "rumpk-net.jsonl"))
        benv = dict(env, SIZES="4096", DEPTHS="1 32", AIOS="threads")
        run(["bash", os.path.join(PEER, "backend_limit.sh"), env["PEER_WORKDIR"], reps],
            os.path.join(res, "backend.jsonl"), benv)
    summarize(res, transports)
    print(f"results in {res}", file=sys.stderr)


if __name__ == "__main__":
    main()
