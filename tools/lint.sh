#!/usr/bin/env bash
# Static checks for the C sources: clang-format, cppcheck, clang-tidy (docs/lint.md).
# Owns the file lists and tool arguments that CTest and hand runs share; never edits a source.
#   tools/lint.sh format              clang-format --dry-run --Werror on every tracked *.c / *.h
#   tools/lint.sh cppcheck            cppcheck on the kernel, simulator and NexFS sources
#   tools/lint.sh tidy [HOST] [RV]    clang-tidy over build trees' compile_commands.json
#                                     (default build/host and build/riscv64, those that exist)
# Exit status: 0 clean, 1 findings, 2 usage or setup error, 77 the tool is not installed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JOBS="${JOBS:-$(nproc 2>/dev/null || echo 2)}"
# Path prefixes left out of cppcheck and clang-tidy (none today; give each a reason).
EXCLUDE=()

die() { echo "lint: $*" >&2; exit 2; }

# scratch: SCRATCH is a fresh temporary directory, removed when the script exits.
SCRATCH=""
scratch() {
    SCRATCH="$(mktemp -d "${TMPDIR:-/tmp}/rumpk-lint.XXXXXX")"
    trap 'rm -rf "$SCRATCH"' EXIT
}

# need HINT NAME...: sets TOOL to the first installed NAME, or skips the check.
need() {
    local hint="$1" t
    shift
    for t in "$@"; do
        if command -v "$t" >/dev/null 2>&1; then
            TOOL="$t"
            return 0
        fi
    done
    echo "lint: $1 is not installed ($hint)" >&2
    exit 77
}

excluded() { # path relative to ROOT
    local e
    for e in "${EXCLUDE[@]}"; do
        case "$1" in "$e"*) return 0 ;; esac
    done
    return 1
}

# Tracked C files (git), or every C file outside build trees when this is not a git checkout.
c_files() {
    local list
    if list="$(git -C "$ROOT" ls-files -- '*.c' '*.h' 2>/dev/null)" && [ -n "$list" ]; then
        printf '%s\n' "$list"
    else
        (cd "$ROOT" && find . -type d \( -name 'build*' -o -name '.?*' \) -prune -o \
            -type f \( -name '*.c' -o -name '*.h' \) -print | sed 's|^\./||' | sort)
    fi
}

cmd_format() {
    need "./rumpk setup installs it" clang-format
    local files=() f
    while IFS= read -r f; do
        [ -f "$ROOT/$f" ] && files+=("$f")
    done < <(c_files)
    [ "${#files[@]}" -gt 0 ] || die "no C files found under $ROOT"
    cd "$ROOT"
    if printf '%s\0' "${files[@]}" | xargs -0 -n 40 -P "$JOBS" "$TOOL" --dry-run --Werror; then
        echo "lint: clang-format: ${#files[@]} files clean"
    else
        echo "lint: clang-format: files above need 'clang-format -i'"
        return 1
    fi
}

# Sources of each configuration, relative to ROOT, minus EXCLUDE.
sources_of() {
    local pat f
    for pat in "$@"; do
        for f in $pat; do
            [ -f "$f" ] && ! excluded "$f" && echo "$f"
        done
    done
    return 0
}

cmd_cppcheck() {
    need "./rumpk setup installs it" cppcheck
    cd "$ROOT"
    scratch
    local gen="$SCRATCH"
    # The kernel's generated headers (ids, tables, registry), as the riscv64 build makes them.
    # shellcheck disable=SC2046
    python3 tools/gen_virtio.py --spec framework/virtio.toml --out "$gen" \
        $(ls devices/*/manifest.toml transports/*/manifest.toml) >/dev/null ||
        die "tools/gen_virtio.py failed"
    local common=('--enable=warning,performance,portability' --std=c11 --inline-suppr
                  --error-exitcode=1 -q --template='{file}:{line}:{column}: {severity}: {message} [{id}]'
                  -I framework/include -I netstack/include -I devices -I valve/include -I ports/include
                  -I "$gen")
    local kernel_srcs=() host_srcs=() nexfs_srcs=() rc=0
    mapfile -t kernel_srcs < <(sources_of 'kernel/*.c' 'kernel/pci/*.c' 'kernel/port/*.c' \
        'framework/*.c' 'transports/*/*.c' 'devices/*/*.c' 'netstack/*.c' 'nipbox/*.c' 'ports/*.c')
    mapfile -t host_srcs < <(sources_of 'tests/sim/*.c')
    mapfile -t nexfs_srcs < <(sources_of 'nexfs/*.c' 'tools/nexfs/*.c')
    # The kernel configuration (what build/riscv64 compiles), then the host-only simulator.
    "$TOOL" "${common[@]}" -I kernel/include -I kernel/pci/include -I nipbox/include \
        -I transports/pci-common/include \
        -DRUMPK_KERNEL=1 "${kernel_srcs[@]}" || rc=1
    "$TOOL" "${common[@]}" -I tests/sim "${host_srcs[@]}" || rc=1
    "$TOOL" "${common[@]}" -I nexfs/include "${nexfs_srcs[@]}" || rc=1
    if [ "$rc" -eq 0 ]; then
        echo "lint: cppcheck: $((${#kernel_srcs[@]} + ${#host_srcs[@]} + ${#nexfs_srcs[@]})) files clean"
    else
        echo "lint: cppcheck: findings above (fix, or '/* cppcheck-suppress <id> ; <reason> */')"
    fi
    return "$rc"
}

# tidy_db BUILD OUT [kernel]: OUT/compile_commands.json with BUILD's C sources from this tree;
# for the kernel tree, the cross gcc is swapped for clang with picolibc's headers.
tidy_db() {
    python3 - "$ROOT" "$1" "$2" "${3:-}" "${EXCLUDE[@]}" <<'EOF'
import json, os, shlex, subprocess, sys
root, build, out, kernel, exclude = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
entries = json.load(open(os.path.join(build, "compile_commands.json")))
picolibc = []
if kernel:
    probe = subprocess.run(["riscv64-unknown-elf-gcc", "--specs=picolibc.specs", "-E", "-v",
                            "-x", "c", "/dev/null"], capture_output=True, text=True)
    picolibc = [l.strip() for l in probe.stderr.splitlines()
                if l.startswith(" /") and "picolibc" in l]
kept = []
for e in entries:
    rel = os.path.relpath(e["file"], root)
    if not rel.endswith(".c") or rel.split(os.sep)[0] == ".." or rel.startswith("build"):
        continue
    if any(rel.startswith(x) for x in exclude):
        continue
    args = e["arguments"] if "arguments" in e else shlex.split(e["command"])
    if kernel:
        args = ["clang", "--target=riscv64-unknown-elf"] + [
            a for a in args[1:] if not a.startswith("--specs=")]
        for inc in picolibc:
            args[2:2] = ["-isystem", inc]
    kept.append({"directory": e["directory"], "file": e["file"], "arguments": args})
json.dump(kept, open(os.path.join(out, "compile_commands.json"), "w"), indent=1)
for e in kept:
    print(e["file"])
EOF
}

cmd_tidy() {
    need "apt-get install clang-tidy" clang-tidy clang-tidy-14
    local host="${1:-$ROOT/build/host}" rv="${2:-$ROOT/build/riscv64}" n=0 rc=0
    scratch
    local work="$SCRATCH"
    local tree kind files
    for tree in "$host" "$rv"; do
        [ -f "$tree/compile_commands.json" ] || {
            echo "lint: tidy: no $tree/compile_commands.json, skipped"
            continue
        }
        kind=""
        grep -q 'riscv64-unknown-elf-gcc' "$tree/compile_commands.json" && kind=kernel
        mkdir -p "$work/$n"
        files="$(tidy_db "$tree" "$work/$n" "$kind")"
        echo "lint: tidy: $(echo "$files" | wc -l) files from $tree"
        # One file per run: with several, clang-tidy 14 reported a false va_list finding.
        echo "$files" | xargs -P "$JOBS" -n 1 "$TOOL" -p "$work/$n" --quiet \
            >"$work/out" 2>&1 || rc=1
        grep -Ev '^[0-9]+ warnings? generated\.$' "$work/out" || true
        n=$((n + 1))
    done
    [ "$n" -gt 0 ] || die "no build tree to check (configure build/host first)"
    if [ "$rc" -eq 0 ]; then
        echo "lint: clang-tidy: clean"
    else
        echo "lint: clang-tidy: findings above (fix, or '/* NOLINT(<check>): <reason> */')"
    fi
    return "$rc"
}

case "${1:-}" in
format) cmd_format ;;
cppcheck) cmd_cppcheck ;;
tidy) shift; cmd_tidy "$@" ;;
*) die "usage: tools/lint.sh format | cppcheck | tidy [host-build-dir] [riscv64-build-dir]" ;;
esac
