#!/usr/bin/env python3
"""The table of `./rumpk bench compare`, from the JSON lines of one run's results folder: per
transport and block test, Rumpk from a user fiber through ION (the bench as users run it) and
in the kernel, U-Boot, Linux (fio) and the backend's own limit (qemu-img bench on the same
backend flags), with the ratios Rumpk/limit, Rumpk/Linux and Rumpk/U-Boot; then the boot and
network rows of the earlier compare (Rumpk vs U-Boot). Writes DIR/table.json (what the chart,
tools/bench/compare_chart.py, draws) and DIR/summary.md, and prints the Markdown.

    python3 tools/bench/compare_table.py DIR      (./rumpk bench compare runs it at its end)

Records whose backend, aio or fast flags differ from the run's (DIR/run.json) are never put in
the same table: they are counted and named as left out.
"""
import json
import os
import sys

# test -> (unit, the U-Boot test and its metric, qemu-img bench point: rw, size, depth)
TESTS = [
    ("rand_read_4k_qd1", "iops", ("read_seq_4K", "iops"), ("read", 4096, 1)),
    ("rand_read_4k_qd32", "iops", ("read_seq_4K", "iops"), ("read", 4096, 32)),
    ("seq_read_1m", "mib_s", ("read_seq_1024K", "mib_s"), ("read", 1 << 20, 4)),
    ("seq_write_1m", "mib_s", ("write_seq_1024K", "mib_s"), ("write", 1 << 20, 4)),
]
NAMES = {"rand_read_4k_qd1": "4K random read QD1, IOPS",
         "rand_read_4k_qd32": "4K random read QD32, IOPS",
         "seq_read_1m": "1 MiB seq read QD4, MiB/s",
         "seq_write_1m": "1 MiB seq write QD4, MiB/s"}
FILES = {"ion": "rumpk-ion.jsonl", "uboot": "peer-blk.jsonl", "linux": "linux-blk.jsonl",
         "limit": "backend.jsonl", "boot": "rumpk-boot.jsonl", "rnet": "rumpk-net.jsonl",
         "pnet": "peer-net.jsonl"}


def load(path):
    recs = []
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line.startswith("{"):
                    recs.append(json.loads(line))
    return recs


def median(v):
    return v["median"] if isinstance(v, dict) else v


def same_flags(rec, run):
    """True when a block record ran on the run's backend, aio and fast flags. Records written
    before these fields existed (no key) are taken as QEMU's defaults: file, threads, not fast."""
    backend = rec.get("backend") or "file"
    aio = rec.get("aio") or ("threads" if backend == "file" else None)
    return (backend == run["backend"] and aio == run["aio"]
            and bool(rec.get("fast", False)) == bool(run["fast"]))


def limit_of(recs, run, rw, size, depth, unit, transport):
    """The qemu-img bench point for the run's backend (file with its cache and aio, or
    null-co), or None: the one measured beside `transport`'s runs (tagged with it), else one
    measured for the whole run (untagged: older result folders)."""
    mine = [r for r in recs if r.get("transport") == transport]
    for r in mine or [r for r in recs if "transport" not in r]:
        if r.get("rw") != rw or r.get("size") != size or r.get("depth") != depth:
            continue
        if run["backend"] == "null":
            if r.get("target") == "null-co":
                return median(r[unit])
        elif (r.get("target") == "file" and r.get("cache") == run["cache"]
              and r.get("aio") == run["aio"]):
            return median(r[unit])
    return None


def ratio(a, b):
    return round(a / b, 3) if a is not None and b else None


def block_rows(res, run):
    recs = {k: load(os.path.join(res, f)) for k, f in FILES.items()}
    left_out = {}
    for k in ("ion", "uboot", "linux"):
        keep = []
        for r in recs[k]:
            if r.get("test") in (None, "cmdline") or same_flags(r, run):
                keep.append(r)
            else:
                left_out[k] = left_out.get(k, 0) + 1
        recs[k] = keep
    rows = []
    for t in run["transports"]:
        for test, unit, (utest, umetric), (rw, size, depth) in TESTS:
            ion = next((r for r in recs["ion"] if r.get("transport") == t
                        and r.get("test") == test and "ion" in r), None)
            ub = next((r for r in recs["uboot"] if r.get("transport") == t
                       and r.get("test") == utest and umetric in r), None)
            lx = next((r for r in recs["linux"] if r.get("transport") == t
                       and r.get("test") == test and r.get("ioengine") != "psync"
                       and unit in r), None)
            row = {"transport": t, "test": test, "name": NAMES[test], "unit": unit,
                   "rumpk_ion": ion["ion"] if ion else None,
                   "rumpk_kernel": ion["kernel"] if ion else None,
                   "uboot": median(ub[umetric]) if ub else None,
                   "linux": median(lx[unit]) if lx else None,
                   "limit": limit_of(recs["limit"], run, rw, size, depth, unit, t)}
            row["ion_over_limit"] = ratio(row["rumpk_ion"], row["limit"])
            row["kernel_over_limit"] = ratio(row["rumpk_kernel"], row["limit"])
            row["ion_over_linux"] = ratio(row["rumpk_ion"], row["linux"])
            row["ion_over_uboot"] = ratio(row["rumpk_ion"], row["uboot"])
            rows.append(row)
        if run["backend"] == "null":  # the guest + device cost of one request, us
            ion = next((r for r in recs["ion"] if r.get("transport") == t
                        and r.get("test") == "rand_read_4k_qd1" and "us_per_req" in r), None)
            ub = next((r for r in recs["uboot"] if r.get("transport") == t
                       and r.get("test") == "read_512" and "net_us_per_req" in r), None)
            row = {"transport": t, "test": "us_per_req_qd1", "unit": "us",
                   "name": "null-co QD1 cost per request, us (lower is better; U-Boot: 512 B)",
                   "rumpk_ion": ion["us_per_req"]["ion"] if ion else None,
                   "rumpk_kernel": ion["us_per_req"]["kernel"] if ion else None,
                   "uboot": median(ub["net_us_per_req"]) if ub else None,
                   "linux": None, "limit": None, "ion_over_limit": None,
                   "kernel_over_limit": None, "ion_over_linux": None}
            row["ion_over_uboot"] = ratio(row["rumpk_ion"], row["uboot"])
            rows.append(row)
    return rows, recs, left_out


def other_rows(recs, transports):
    """Boot and network: Rumpk vs U-Boot (QEMU's default flags), as the earlier compare."""
    def pick(rs, t, test, key):
        for r in rs:
            if r.get("transport") == t and (test is None or r.get("test") == test) and key in r:
                return median(r[key])
        return None
    out = []
    for t in transports:
        for name, mine, peer in [
                ("boot to prompt, s (lower is better)", pick(recs["boot"], t, None, "seconds_host"),
                 pick(recs["uboot"], t, "boot", "seconds_host")),
                ("idle guest, QEMU host CPU %", pick(recs["boot"], t, None, "idle_cpu_percent"),
                 None),
                ("ping round trips/s", pick(recs["rnet"], t, "ping_loop", "pings_per_s"),
                 pick(recs["pnet"], t, "ping_loop", "pings_per_s")),
                ("UDP echo 64 B, round trips/s",
                 pick(recs["rnet"], t, "udp_echo_64", "round_trips_per_s"), None)]:
            if mine is not None:
                out.append((t, name, mine, peer))
    return out


def fmt(v, digits=0):
    return "-" if v is None else f"{v:,.{digits}f}"


def pct(v):
    return "-" if v is None else f"{v * 100:.0f}%"


def times(v):
    return "-" if v is None else f"{v:.2f}x"


def flags_line(run):
    if run["backend"] == "null":
        back = "null-co (no disk I/O)"
    else:
        back = f"file, cache={run['cache']}, aio={run['aio']}"
    fast = "--fast (" + ", ".join(run.get("fast_flags") or ["none"]) + ")" if run["fast"] \
        else "QEMU's default device flags"
    return f"backend {back}; {fast}; medians of {run['reps']}"


def markdown(run, rows, others, left_out):
    lines = ["# Rumpk beside U-Boot, Linux and the backend's limit, one run", "",
             flags_line(run) + ". Rumpk = the bench from a user fiber through ION "
             "(blkbench); in-kernel = `bench blk` in the same boot. Limit = qemu-img bench, "
             "same backend flags, measured right after each transport's Rumpk runs.", "",
             "| transport | test | Rumpk | in-kernel | U-Boot | Linux | limit "
             "| Rumpk/limit | Rumpk/Linux | Rumpk/U-Boot |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        d = 1 if r["unit"] == "us" else 0
        lines.append(f"| {r['transport']} | {r['name']} | {fmt(r['rumpk_ion'], d)} | "
                     f"{fmt(r['rumpk_kernel'], d)} | {fmt(r['uboot'], d)} | "
                     f"{fmt(r['linux'], d)} | {fmt(r['limit'], d)} | "
                     f"{pct(r['ion_over_limit'])} | {times(r['ion_over_linux'])} | "
                     f"{times(r['ion_over_uboot'])} |")
    for what in run.get("skipped", []):
        lines.append(f"\n{what}")
    for k, n in sorted(left_out.items()):
        lines.append(f"\nleft out: {n} {k} record(s) measured on other backend/aio/fast flags")
    if others:
        lines += ["", "Boot and network (QEMU's default flags), Rumpk vs U-Boot:", "",
                  "| transport | test | Rumpk | U-Boot | ratio |", "|---|---|---|---|---|"]
        for t, name, mine, peer in others:
            d = 3 if "boot" in name else 1 if "CPU" in name else 0
            lines.append(f"| {t} | {name} | {fmt(mine, d)} | {fmt(peer, d)} | "
                         f"{times(ratio(mine, peer))} |")
    return "\n".join(lines) + "\n"


def summarize(res):
    with open(os.path.join(res, "run.json")) as f:
        run = json.load(f)
    rows, recs, left_out = block_rows(res, run)
    others = other_rows(recs, run["transports"])
    with open(os.path.join(res, "table.json"), "w") as f:
        json.dump({"run": run, "rows": rows, "left_out": left_out}, f, indent=1)
    text = markdown(run, rows, others, left_out)
    with open(os.path.join(res, "summary.md"), "w") as f:
        f.write(text)
    return text


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: compare_table.py RESULTS_DIR")
    print(summarize(sys.argv[1]))
