#!/usr/bin/env bash
# fresh-machine.sh: proves that the README's two commands work on a fresh Debian 12 machine.
# Builds (once, then cached and never modified) a minimal Debian 12 root with only git and
# python3 besides the minbase set, from the mirror of this machine's own apt configuration;
# clones the current commit (HEAD; uncommitted changes are not part of it) into a throw-away copy
# of that root, and there runs, as a newcomer would:
#   copy 1: ./rumpk run (must reach `nipbox> `; `poweroff` must end QEMU with status 0),
#           then ./rumpk test (must pass in full)
#   copy 2: ./rumpk test first (each command installs what it needs itself)
# One line per phase with its duration. Every mount lives in a private mount namespace of its
# own (gone when the phase ends, however it ends); the copies are removed on exit or interrupt.
#
# Usage: tools/fresh-machine.sh [--one] [--keep]    (root; needs mmdebstrap: ./rumpk setup)
#   --one    only copy 1            --keep   keep the copies (paths printed) for a look
# Env: RUMPK_FRESH_CACHE (default /var/tmp/rumpk-fresh) holds the cached root and the logs.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${RUMPK_FRESH_CACHE:-/var/tmp/rumpk-fresh}"
SUITE=bookworm
BASE="$CACHE/debian12-minbase.tar"
ONE=0
KEEP=0
for a in "$@"; do
    case "$a" in
    --one) ONE=1 ;;
    --keep) KEEP=1 ;;
    *) echo "usage: tools/fresh-machine.sh [--one] [--keep]" >&2; exit 2 ;;
    esac
done

die() { echo "fresh-machine: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "needs root (mmdebstrap, chroot and mounts)"
for t in mmdebstrap unshare chroot git tar; do
    command -v "$t" >/dev/null 2>&1 || die "$t not found (./rumpk setup installs mmdebstrap)"
done

# phase NAME CMD...: runs CMD, then prints the phase's line with its duration.
phase() {
    local name="$1" t0 rc=0
    shift
    t0=$(date +%s)
    "$@" || rc=$?
    printf 'fresh-machine: %-58s %s %4ds\n' "$name" "$([ $rc -eq 0 ] && echo ok || echo FAILED)" \
        $(($(date +%s) - t0))
    return $rc
}

# The first non-security deb mirror of this machine's apt configuration (deb822 or one-line).
mirror_of_this_machine() {
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] && awk 'tolower($1) == "uris:" { for (i = 2; i <= NF; i++) print $i }' "$f"
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] && awk '$1 == "deb" { for (i = 2; i <= NF; i++)
                                          if ($i ~ /^[a-z+]+:\/\//) { print $i; break } }' "$f"
    done
    return 0
}

bootstrap() { # the bare root, as a tarball: written once, only ever read afterwards
    local mirror
    mirror="$(mirror_of_this_machine | grep -v -e security -e '^cdrom:' | head -1 || true)"
    [ -n "$mirror" ] || die "no deb mirror in /etc/apt"
    mkdir -p "$CACHE"
    # (mmdebstrap picks the output format from the name: it must end in .tar)
    mmdebstrap --variant=minbase --include=git,python3 --quiet "$SUITE" "$CACHE/partial.tar" \
        "deb $mirror $SUITE main" "deb $mirror $SUITE-updates main" >"$CACHE/bootstrap.log" 2>&1 ||
        { tail -5 "$CACHE/bootstrap.log" >&2; return 1; }
    mv "$CACHE/partial.tar" "$BASE"
}

procs_inside() { # DIR: true while some process has its root directory under DIR
    local p
    for p in /proc/[0-9]*/root; do
        case "$(readlink "$p" 2>/dev/null)" in "$1"/*) return 0 ;; esac
    done
    return 1
}

WORK=""
CHILD=""
cleanup() {
    # unshare --kill-child: ending unshare kills the namespace's first process, so the kernel
    # ends every process of the phase and, with the last of them, its mounts.
    if [ -n "$CHILD" ]; then
        kill -KILL "$CHILD" 2>/dev/null || true # (unshare --fork ignores INT and TERM)
        wait "$CHILD" 2>/dev/null || true
    fi
    # The kernel ends the namespace's other processes asynchronously: wait until none has its
    # root in the copy, or a dying dpkg could write into it after it is removed.
    local i
    for i in $(seq 100); do
        procs_inside "$WORK" || break
        sleep 0.1
    done
    [ -n "$WORK" ] && [ -d "$WORK" ] || return 0
    if grep -q " $WORK/" /proc/self/mounts; then # never delete through a live mount
        echo "fresh-machine: mounts remain under $WORK; not removing it" >&2
        return 0
    fi
    if [ "$KEEP" -eq 1 ]; then
        echo "fresh-machine: kept $WORK"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# (phase runs its command in an `||` context, where `set -e` does not act: steps chain with &&)
new_copy() { # DIR: the bare root unpacked, plus the commit under /root/rumpk
    mkdir -p "$1" &&
        tar -C "$1" -xf "$BASE" &&
        cp /etc/resolv.conf "$1/etc/resolv.conf" && # this machine's network settings, not the repo's
        git clone -q --no-local "$ROOT" "$1/root/rumpk" &&
        git -C "$1/root/rumpk" checkout -q --detach "$(git -C "$ROOT" rev-parse HEAD)" &&
        printf '%s' "$RUN_DRIVER" >"$1/root/run-driver.py" # the newcomer's hands, outside the clone
}

# inside DIR LOG CMD: runs the shell command CMD as root in the copy DIR, from /root/rumpk, with
# a newcomer's environment, in private mount and PID namespaces (mounts and processes end with it).
inside() {
    local dir="$1" log="$2" cmd="$3" rc=0
    unshare --mount --pid --fork --kill-child --propagation private /bin/bash -c '
        set -e
        mount --bind /dev "$0/dev"
        mount -t proc proc "$0/proc"
        mount -t sysfs sys "$0/sys"
        mount -t tmpfs tmp "$0/tmp"
        exec chroot "$0" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
            PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
            /bin/bash -c "cd /root/rumpk && $1"' "$dir" "$cmd" >"$log" 2>&1 </dev/null &
    CHILD=$! # in the background, so that a signal reaches the trap at once, not after the phase
    wait "$CHILD" || rc=$?
    CHILD=""
    [ $rc -eq 0 ] || { echo "--- last lines of $log:" >&2; tail -25 "$log" >&2; return 1; }
}

# `./rumpk run` driven as a person would: wait for the prompt, type poweroff, expect status 0.
RUN_DRIVER='
import subprocess, sys, time, select, os
p = subprocess.Popen(["./rumpk", "run"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                     stderr=subprocess.STDOUT)
buf, deadline, fd = b"", time.time() + 1800, p.stdout.fileno()
def pump(until):
    global buf
    while until not in buf:
        if time.time() > deadline:
            sys.exit("run: timed out waiting for %r" % until)
        if select.select([fd], [], [], 1)[0]:
            chunk = os.read(fd, 65536)
            if not chunk:
                sys.exit("run: ended (status %s) before %r" % (p.wait(), until))
            sys.stdout.buffer.write(chunk); sys.stdout.flush()
            buf += chunk
pump(b"nipbox> ")
p.stdin.write(b"poweroff\r"); p.stdin.flush()
pump(b"poweroff: exit status 0")
rc = p.wait(30)
print("\nrun: QEMU exit status", rc)
sys.exit(0 if rc == 0 else 1)
'

tests_passed() { # LOG: "100% tests passed, 0 tests failed out of N" with N as expected
    local line n
    line="$(grep -E '^[0-9]+% tests passed, [0-9]+ tests failed out of [0-9]+' "$1" | tail -1)"
    echo "fresh-machine:   $line"
    n="${line##* }"
    case "$line" in "100% tests passed, 0 tests failed"*) ;; *) return 1 ;; esac
    if [ -d "$ROOT/build/host" ]; then
        local here
        here="$(cd "$ROOT/build/host" && ctest -N 2>/dev/null | sed -n 's/^Total Tests: //p')"
        echo "fresh-machine:   this machine's build/host has $here tests"
        [ -z "$here" ] || [ "$here" = "$n" ] || { echo "fresh-machine:   count differs" >&2; return 1; }
    fi
}

mkdir -p "$CACHE/logs"
LOGS="$CACHE/logs"
if [ -f "$BASE" ]; then
    echo "fresh-machine: bare Debian 12 root: cached $BASE"
else
    phase "bootstrap a bare Debian 12 root (minbase + git, python3)" bootstrap
fi
WORK="$(mktemp -d /var/tmp/rumpk-fresh-work.XXXXXX)"
echo "fresh-machine: commit $(git -C "$ROOT" rev-parse --short HEAD); logs in $LOGS"

phase "copy 1: unpack the root, clone the commit" new_copy "$WORK/one"
phase "copy 1: ./rumpk run -> nipbox> , poweroff -> status 0" \
    inside "$WORK/one" "$LOGS/one-run.log" "python3 /root/run-driver.py"
phase "copy 1: ./rumpk test" inside "$WORK/one" "$LOGS/one-test.log" "./rumpk test" || {
    tests_passed "$LOGS/one-test.log" || true
    exit 1
}
tests_passed "$LOGS/one-test.log"
if [ "$ONE" -eq 0 ]; then
    phase "copy 2: unpack the root, clone the commit" new_copy "$WORK/two"
    phase "copy 2: ./rumpk test first" inside "$WORK/two" "$LOGS/two-test.log" "./rumpk test" || {
        tests_passed "$LOGS/two-test.log" || true
        exit 1
    }
    tests_passed "$LOGS/two-test.log"
fi
echo "fresh-machine: PASSED: on a fresh Debian 12 root both README commands work"
