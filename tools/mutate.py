#!/usr/bin/env python3
"""Mutation test of the validation checks: would the host suite notice if one were missing?

Owns the run: reads the list of checks (tools/mutate/checks.list by default), copies the source
tree into a scratch directory (the worktree and build/host are never touched), builds that copy
once as it is (its suite must pass), then for each check in turn removes it there, rebuilds,
runs the host suite and puts the file back. Prints one line per mutant (killed, SURVIVED, or
did not build) and the score. Never edits a file outside the scratch directory.

  tools/mutate.py [--root DIR] [--list FILE] [--work DIR] [--jobs N] [--section NAME]
                  [--cmake-arg ARG]... [--ctest-arg ARG]...

List format: "[section]" lines, "#" comments, and one mutant per line, FILE | TEXT =>
REPLACEMENT, where TEXT must occur exactly once in FILE ("\\n" is a newline). A line starting
with "~ " is a mutant known to survive: the check carries a comment saying why removing it is
harmless; it is reported, but does not fail the run. The defaults build Rumpk's host tree
without the fuzz targets and run the host cmocka suite (not QEMU, not lint).
Exit status: 0 every mutant killed or explained, 1 some survived unexplained or did not build,
2 usage error, a stale list or a suite that fails with no mutant at all.
Python standard library only.
"""
import argparse
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
RUMPK_ROOT = os.path.dirname(HERE)
# The host suite: cmocka tests and their fixtures; not the generator's tests, not the setup
# script, not the fuzz targets (rebuilt by clang: too slow per mutant), not lint or QEMU.
RUMPK_CTEST = ["-L", "host", "-LE", "fuzz", "-E",
               "^(gen_virtio|gen_virtio_cmake|rumpk_setup|mutate_selftest)$"]
IGNORE_TOP = {"build", ".git", "compile_commands.json"}


class Mutant:
    def __init__(self, section, path, text, repl, where, harmless=False):
        self.section, self.path, self.text, self.repl, self.where = (
            section, path, text, repl, where)
        self.harmless = harmless  # "~": expected to survive; the check says why in a comment

    def label(self):
        first = self.text.split("\n")[0].strip()
        return "[%s] %s: %s" % (self.section, self.path, first)


def parse(list_path):
    """The mutants of a list file; raises ValueError naming file:line on a malformed line."""
    mutants, section = [], "-"
    with open(list_path) as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            if line.startswith("[") and line.endswith("]"):
                section = line[1:-1]
                continue
            harmless = line.startswith("~ ")
            if harmless:
                line = line[2:]
            path, _, rest = line.partition(" | ")
            text, arrow, repl = rest.partition(" => ")
            parts = [path.strip(), text.strip(), repl.strip()]
            if not arrow or " => " in repl or not parts[0] or not parts[1]:
                raise ValueError("%s:%d: expected FILE | TEXT => REPLACEMENT" % (list_path, n))
            text, repl = (p.replace("\\n", "\n") for p in parts[1:])
            mutants.append(Mutant(section, parts[0], text, repl, "%s:%d" % (list_path, n),
                                  harmless))
    return mutants


def check_list(root, mutants):
    """Problems with the list against the tree: missing files, TEXT absent or repeated."""
    problems = []
    for m in mutants:
        path = os.path.join(root, m.path)
        if not os.path.isfile(path):
            problems.append("%s: %s does not exist" % (m.where, m.path))
            continue
        with open(path) as f:
            count = f.read().count(m.text)
        if count != 1:
            problems.append("%s: the check occurs %d times in %s (must be once): %s" % (
                m.where, count, m.path, m.text.split("\n")[0]))
    return problems


def line_of(root, m):
    with open(os.path.join(root, m.path)) as f:
        return f.read().split(m.text)[0].count("\n") + 1


def run(argv, log):
    with open(log, "w") as f:
        return subprocess.run(argv, stdout=f, stderr=subprocess.STDOUT).returncode


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", default=RUMPK_ROOT, help="source tree (default: this one)")
    ap.add_argument("--list", default=os.path.join(HERE, "mutate", "checks.list"))
    ap.add_argument("--work", default=None, help="scratch directory (default ROOT/build/mutate)")
    ap.add_argument("--jobs", type=int, default=int(os.environ.get("JOBS", "2")))
    ap.add_argument("--section", help="only the mutants of this section")
    ap.add_argument("--cmake-arg", action="append", default=None)
    ap.add_argument("--ctest-arg", action="append", default=None)
    a = ap.parse_args()
    root = os.path.abspath(a.root)
    work = os.path.abspath(a.work or os.path.join(root, "build", "mutate"))
    rumpk = root == RUMPK_ROOT
    cmake_args = a.cmake_arg if a.cmake_arg is not None else (
        ["-DRUMPK_TARGET=host", "-DRUMPK_FUZZ=OFF",
         "-DRUMPK_KERNEL=" + os.path.join(root, "build", "riscv64", "rumpk.elf")] if rumpk else [])
    ctest_args = a.ctest_arg if a.ctest_arg is not None else (RUMPK_CTEST if rumpk else [])

    try:
        mutants = parse(a.list)
    except (OSError, ValueError) as e:
        print("mutate: %s" % e, file=sys.stderr)
        return 2
    if a.section:
        mutants = [m for m in mutants if m.section == a.section]
    if not mutants:
        print("mutate: no mutants to run", file=sys.stderr)
        return 2
    problems = check_list(root, mutants)
    if problems:
        for p in problems:
            print("mutate: stale list: " + p, file=sys.stderr)
        return 2

    src, build = os.path.join(work, "src"), os.path.join(work, "build")
    shutil.rmtree(src, ignore_errors=True)
    # Copied with fresh timestamps: objects an earlier run left in the build directory are
    # then all older than their sources and rebuilt, never mixed with this copy's headers.
    shutil.copytree(root, src, symlinks=True, copy_function=shutil.copy,
                    ignore=lambda d, names: [n for n in names if os.path.abspath(d) == root
                                             and n in IGNORE_TOP] + ["__pycache__"])
    os.makedirs(build, exist_ok=True)
    log = os.path.join(work, "last.log")
    configure = ["cmake", "-S", src, "-B", build, "-DCMAKE_BUILD_TYPE=RelWithDebInfo"] + cmake_args
    make = ["cmake", "--build", build, "-j", str(a.jobs)]
    ctest = ["ctest", "--test-dir", build, "--stop-on-failure", "-j", str(a.jobs)] + ctest_args
    if run(configure, log) or run(make, log):
        print("mutate: the unmutated copy does not build (see %s)" % log, file=sys.stderr)
        return 2
    if run(ctest, log):
        print("mutate: the suite fails with no mutant (see %s)" % log, file=sys.stderr)
        return 2
    print("mutate: %d mutants, suite passes unmutated; scratch copy in %s" % (len(mutants), src),
          flush=True)

    killed, survived, broken = [], [], []
    for i, m in enumerate(mutants, 1):
        path = os.path.join(src, m.path)
        with open(path) as f:
            orig = f.read()
        where = "%s:%d" % (m.path, line_of(src, m))
        start = time.monotonic()
        try:
            with open(path, "w") as f:
                f.write(orig.replace(m.text, m.repl, 1))
            if run(make, log):
                broken.append(m)
                verdict = "did not build"
                shutil.copy(log, os.path.join(work, "mutant-%d-build.log" % i))
            elif run(ctest, log):
                killed.append(m)
                failed = [ln.split()[3] for ln in open(log, errors="replace")
                          if "***Failed" in ln or "***Timeout" in ln or "***Exception" in ln
                          if len(ln.split()) > 3]
                verdict = "killed by " + (failed[0] if failed else "the suite")
            else:
                survived.append(m)
                verdict = "survived (harmless)" if m.harmless else "SURVIVED"
        finally:
            with open(path, "w") as f:
                f.write(orig)
        print("%2d/%d %-28s %s [%s] %s (%.0f s)" % (
            i, len(mutants), verdict, where, m.section, m.text.split("\n")[0].strip(),
            time.monotonic() - start), flush=True)

    explained = [m for m in survived if m.harmless]
    unexplained = [m for m in survived if not m.harmless]
    print("mutate: score %d/%d killed; %d survived, explained at the check; %d survived "
          "unexplained; %d did not build" % (len(killed), len(mutants), len(explained),
                                             len(unexplained), len(broken)), flush=True)
    for m in unexplained:
        print("mutate: survived: %s (%s)" % (m.label(), m.where))
    for m in explained:
        print("mutate: survived, harmless by the comment at the check: %s (%s)" % (
            m.label(), m.where))
    for m in killed:
        if m.harmless:
            print("mutate: killed although marked harmless (drop the ~): %s (%s)" % (
                m.label(), m.where))
    for m in broken:
        print("mutate: did not build (fix the list entry): %s (%s)" % (m.label(), m.where))
    return 0 if not unexplained and not broken else 1


if __name__ == "__main__":
    sys.exit(main())
