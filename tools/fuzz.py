#!/usr/bin/env python3
"""Runs the libFuzzer targets of tests/fuzz (built by the host tree) and reports each run.

Owns how a target is run by hand: its checked-in seed corpus (tests/fuzz/corpus/<target>/,
only read), a scratch corpus and findings under the work directory, and the one summary line
per target: executions, executions per second, coverage, corpus size and any finding. Never
edits the checked-in corpus: a finding is turned into a regression input by hand.

  tools/fuzz.py --bin DIR --work DIR [TARGET] [--seconds N]

Exit status: 0 all clean, 1 a target found something or failed, 2 usage error.
Python standard library only.
"""
import argparse
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")
FINDING_PREFIXES = ("crash-", "leak-", "timeout-", "oom-", "slow-unit-")


def targets():
    """Every target: the folders of tests/fuzz/corpus, each named after its target."""
    return sorted(d for d in os.listdir(CORPUS) if os.path.isdir(os.path.join(CORPUS, d)))


def findings(work):
    return sorted(f for f in os.listdir(work) if f.startswith(FINDING_PREFIXES))


def stat(text, name):
    m = re.search(r"stat::%s:\s*(\d+)" % name, text)
    return int(m.group(1)) if m else None


def run(binary, target, work, seconds):
    """Runs one target; returns (ok, summary line)."""
    scratch = os.path.join(work, "corpus")
    os.makedirs(scratch, exist_ok=True)
    before = set(findings(work))
    argv = [binary, "-max_total_time=%d" % seconds, "-print_final_stats=1",
            "-artifact_prefix=" + work + "/", scratch, os.path.join(CORPUS, target)]
    log_path = os.path.join(work, "last-run.log")
    with open(log_path, "w") as log:
        rc = subprocess.run(argv, stdout=log, stderr=subprocess.STDOUT).returncode
    with open(log_path, errors="replace") as f:
        text = f.read()
    execs, rate = stat(text, "number_of_executed_units"), stat(text, "average_exec_per_sec")
    covs = re.findall(r"cov: (\d+) ft: (\d+) corp: (\d+)", text)
    cov = "cov %s ft %s corpus %s" % covs[-1] if covs else "no coverage line"
    new = [f for f in findings(work) if f not in before]
    if rc == 0 and not new:
        return True, "%s: %s runs in %d s (%s exec/s), %s, no finding" % (
            target, execs, seconds, rate, cov)
    why = next((ln.strip() for ln in text.splitlines()
                if "invariant broken" in ln or "ERROR: " in ln or "runtime error" in ln),
               "exit status %d" % rc)
    where = ", ".join(os.path.join(work, f) for f in new) or "(no input saved)"
    return False, ("%s: FOUND after %s runs: %s; input saved as %s (log %s); keep it as "
                   "tests/fuzz/corpus/%s/regress-<what> with the fix" % (
                       target, execs, why, where, log_path, target))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", required=True, help="directory of the built targets")
    ap.add_argument("--work", required=True, help="scratch corpora and findings go here")
    ap.add_argument("--seconds", type=int, default=60, help="per target (default 60)")
    ap.add_argument("target", nargs="?", help="one target (default: all)")
    a = ap.parse_args()
    names = targets()
    if a.target and a.target not in names:
        print("fuzz: no target named '%s' (known: %s)" % (a.target, " ".join(names)),
              file=sys.stderr)
        return 2
    if a.seconds < 1:
        print("fuzz: --seconds must be at least 1", file=sys.stderr)
        return 2
    ok = True
    for t in [a.target] if a.target else names:
        binary = os.path.join(a.bin, t)
        if not os.access(binary, os.X_OK):
            print("%s: not built (%s missing; clang and libclang-rt-14-dev are needed)"
                  % (t, binary))
            ok = False
            continue
        work = os.path.join(a.work, t)
        os.makedirs(work, exist_ok=True)
        good, line = run(binary, t, work, a.seconds)
        print(line, flush=True)
        ok = ok and good
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
