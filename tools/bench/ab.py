#!/usr/bin/env python3
"""A/B block benchmark: an earlier commit's kernel beside the current one, interleaved.

    ./rumpk bench ab [--base REV] [--reps N] [--transport T ...|all] [--ms MS] [--out FILE]

Builds the kernel of REV (default HEAD~1) from `git archive` in build/ab/<commit>/ (kept, so a
second run reuses it), then runs `bench blk` (tools/bench/blk.py, one rep per boot) with the two
kernels taking turns: old, new, old, new, ... for N reps (default 5) on every transport asked
for, so that the host's drift over the run falls on both alike. The current kernel is
build/riscv64/rumpk.elf as `./rumpk build` left it (uncommitted changes included).

Output: one JSON line per transport, mode and test with both medians, their ratio (new / old) and
"below_95": the ratio under 0.95; then a table. Reported, never asserted. Exit status 1 only when
a build or a benchmark run failed.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NEW_KERNEL = os.path.join(ROOT, "build", "riscv64", "rumpk.elf")
TOOLCHAIN = os.path.join("cmake", "riscv64-unknown-elf.cmake")


def git(*args):
    return subprocess.run(["git", "-C", ROOT] + list(args), check=True, stdout=subprocess.PIPE,
                          text=True).stdout.strip()


def build_base(rev):
    """The kernel of commit `rev`, built once into build/ab/<commit>/."""
    commit = git("rev-parse", "--verify", rev + "^{commit}")
    out = os.path.join(ROOT, "build", "ab", commit[:12])
    kernel = os.path.join(out, "build", "rumpk.elf")
    if os.path.exists(kernel):
        return commit, kernel
    src = os.path.join(out, "src")
    os.makedirs(src, exist_ok=True)
    archive = subprocess.Popen(["git", "-C", ROOT, "archive", commit], stdout=subprocess.PIPE)
    subprocess.run(["tar", "-x", "-C", src], stdin=archive.stdout, check=True)
    if archive.wait() != 0:
        raise RuntimeError("git archive %s failed" % commit)
    build = os.path.join(out, "build")
    subprocess.run(["cmake", "-S", src, "-B", build, "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
                    "-DRUMPK_TARGET=riscv64",
                    "-DCMAKE_TOOLCHAIN_FILE=" + os.path.join(src, TOOLCHAIN)],
                   check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "--build", build, "-j", str(os.cpu_count() or 2)], check=True,
                   stdout=subprocess.DEVNULL)
    return commit, kernel


def one_rep(kernel, transports, ms, path):
    """One boot per transport of `kernel`, one rep each; the JSON records it printed."""
    cmd = [sys.executable, os.path.join(ROOT, "tools", "bench", "blk.py"), "--reps", "1",
           "--ms", str(ms), "--out", path, "--ring", "split"]
    for t in transports:
        cmd += ["--transport", t]
    env = dict(os.environ, RUMPK_KERNEL=kernel)
    if os.path.exists(path):
        os.unlink(path)
    r = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL)
    if r.returncode != 0:
        raise RuntimeError("bench blk failed with %s" % kernel)
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", default="HEAD~1", help="the commit to compare against")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--transport", action="append", help="as for bench blk (default: all)")
    ap.add_argument("--ms", type=int, default=1000)
    ap.add_argument("--out", default=None, help="also append the JSON lines to this file")
    a = ap.parse_args()
    if not os.path.exists(NEW_KERNEL):
        print("bench ab: %s not built (./rumpk build)" % NEW_KERNEL, file=sys.stderr)
        return 1
    try:
        commit, old = build_base(a.base)
    except (subprocess.CalledProcessError, RuntimeError) as e:
        print("bench ab: cannot build %s: %s" % (a.base, e), file=sys.stderr)
        return 1
    transports = a.transport or ["all"]
    samples = {}  # (transport, mode, test) -> {"old": [...], "new": [...]}
    with tempfile.TemporaryDirectory(prefix="rumpk-ab-") as tmp:
        path = os.path.join(tmp, "rep.jsonl")
        for rep in range(a.reps):
            for side, kernel in (("old", old), ("new", NEW_KERNEL)):
                try:
                    recs = one_rep(kernel, transports, a.ms, path)
                except RuntimeError as e:
                    print("bench ab: %s" % e, file=sys.stderr)
                    return 1
                for r in recs:
                    if r.get("test") == "cmdline":
                        continue
                    key = (r["transport"], r["mode"], r["test"])
                    metric = "mib_s" if r["req_bytes"] >= (1 << 20) else "iops"
                    samples.setdefault(key, {"metric": metric, "old": [], "new": []})
                    samples[key][side].append(r[metric]["median"])
                print("bench ab: rep %d/%d %s done" % (rep + 1, a.reps, side), file=sys.stderr)
    out = open(a.out, "a") if a.out else None
    rows = []
    for (t, mode, test), s in sorted(samples.items()):
        old_m, new_m = statistics.median(s["old"]), statistics.median(s["new"])
        ratio = new_m / old_m if old_m else 0.0
        rec = {"bench": "rumpk-blk-ab", "base": commit[:12], "transport": t, "mode": mode,
               "test": test, "metric": s["metric"], "old": s["old"], "new": s["new"],
               "old_median": old_m, "new_median": new_m, "ratio": round(ratio, 3),
               "below_95": ratio < 0.95}
        line = json.dumps(rec, sort_keys=True)
        print(line)
        if out:
            out.write(line + "\n")
        rows.append((t, mode, test, s["metric"], old_m, new_m, ratio))
    if out:
        out.close()
    print("\n| transport | mode | test | metric | %s | new | new/old |" % commit[:12])
    print("|---|---|---|---|---|---|---|")
    for t, mode, test, metric, old_m, new_m, ratio in rows:
        flag = " (below 95%)" if ratio < 0.95 else ""
        print("| %s | %s | %s | %s | %.0f | %.0f | %.2f%s |" %
              (t, mode, test, metric, old_m, new_m, ratio, flag))
    return 0


if __name__ == "__main__":
    sys.exit(main())
