#!/usr/bin/env python3
"""The layer table, and the checks that keep the code to it (docs/design.md, "Layers").

Owns the one list of layers, their folders, public include directories and allowed arrows;
CMake reads it (`cmake`) so the build gives each layer only the include directories it may use.
Never edits a source.

  tools/layers.py check [ROOT]        every #include of every C file: exit 1 on an arrow the
                                      table does not allow ("file:line: valve includes ...")
  tools/layers.py cmake               the table as CMake set() lines
  tools/layers.py symbols NM (--layer NAME OBJ...)...
                                      link check: exit 1 when an object calls a symbol that a
                                      layer it may not use defines ("obj: valve calls
                                      nipbox_parse_uint of nipbox")
Python standard library only.
"""
import fnmatch
import os
import re
import subprocess
import sys


class Layer:
    def __init__(self, name, dirs, include, uses, owns=()):
        self.name = name
        self.dirs = dirs  # folders whose files belong to it (the longest matching prefix wins)
        self.include = include  # its public include directories
        self.uses = uses  # the layers it may include and call
        self.owns = owns  # include prefixes it owns outside the tree (generated headers)


# Bottom to top. A layer may use only the layers it names; nothing else, whatever the order.
LAYERS = [
    Layer("abi", ["abi"], ["abi/include"], [], owns=["ion_gen/"]),
    # The C library's memory functions for the riscv64 images (picolibc's are byte loops): they
    # stand in for picolibc, so every layer calls them and the link check leaves them out.
    Layer("libc", ["libc"], [], []),
    Layer("base", ["kernel"], ["kernel/include"], ["abi"]),
    Layer("framework", ["framework"], ["framework/include"], [], owns=["virtio_gen/"]),
    Layer("netstack", ["netstack"], ["netstack/include"], ["framework"]),
    Layer("bus", ["kernel/pci"], ["kernel/pci/include"], ["base", "framework"]),
    Layer("transports", ["transports"], ["transports/pci-common/include"], ["framework", "bus"]),
    # The Valve serves backends behind an ops table; a device plugin registers as one (as the
    # net plugin registers its netif with the stack), so the Valve sits below the devices.
    Layer("valve", ["valve"], ["valve/include"], ["framework"]),
    # Named byte-stream ports (a registry, receive buffers, ION for ports): devices feed them as
    # the blk plugin feeds the Valve, so they sit below the devices too.
    Layer("ports", ["ports"], ["ports/include"], ["framework"]),
    Layer("devices", ["devices"], ["devices"], ["framework", "netstack", "valve", "ports"]),
    Layer("port", ["kernel/port"], [], ["base", "framework", "valve"]),
    # ION rings (kernel side) and capabilities: portable, used by the kernel's dispatch.
    Layer("ion", ["ion"], ["ion/include"], ["abi"]),
    Layer("caps", ["caps"], ["caps/include"], []),
    # The kernel's ION dispatch: owns the fibers' CSpaces and rings, feeds the Valve.
    Layer("dispatch", ["kernel/dispatch"], ["kernel/dispatch/include"],
          ["abi", "base", "framework", "ion", "caps", "valve", "netstack"]),
    # NexFS: freestanding, reaches storage only through its own nexfs_dev.h (a fiber's shim).
    Layer("nexfs", ["nexfs"], ["nexfs/include"], []),
    # The kernel's shell services: what the shell (a user fiber) runs in the kernel by name
    # (SYS_SERVICE): reports of kernel state, device settings, in-kernel benchmarks; and init.
    Layer("services", ["kernel/services"], ["kernel/services/include"],
          ["abi", "valve", "netstack", "framework", "bus", "base", "dispatch", "caps"]),
    # A device plugin's shell services ([nipbox] sources in its manifest.toml): files in the
    # plugin's folder that the build compiles into the shell's services, not into the devices layer.
    Layer("plugin_shell", [], [], ["services", "devices", "ports", "framework", "base", "abi"]),
    # User programs (U-mode, their own images): the system-call ABI and their own library only.
    Layer("user", ["user"], ["user/include"], ["abi", "nexfs"]),
    # NipBox, the shell: a user program of its own (cmake/user.cmake), built from nipbox/.
    Layer("nipbox", ["nipbox"], ["nipbox/include"], ["abi", "user"]),
]
# Not layers: tests and tools may include anything.
UNLAYERED = ["tests", "tools"]
# Symbols one layer defines on behalf of another (link check): the kernel's port implements the
# framework's OS interface (virtio/os.h), so calling os_* is calling the framework.
PROVIDES = {"port": [("os_*", "framework")]}

INCLUDE_RE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')
BY_NAME = {layer.name: layer for layer in LAYERS}


def layer_of(rel):
    """The layer a tree-relative path belongs to, "" for tests/tools, None when in none."""
    best, best_len = None, -1
    for layer in LAYERS:
        for d in layer.dirs:
            if (rel == d or rel.startswith(d + "/")) and len(d) > best_len:
                best, best_len = layer.name, len(d)
    if best is None and any(rel.startswith(u + "/") for u in UNLAYERED):
        return ""
    return best


def resolve(root, rel, quote, name):
    """The layer that owns header `name` included by file `rel`, or None (system, unknown)."""
    if quote == '"':
        here = os.path.normpath(os.path.join(os.path.dirname(rel), name))
        if os.path.isfile(os.path.join(root, here)) and not here.startswith(".."):
            return layer_of(here), here
    for layer in LAYERS:
        for inc in layer.include:
            path = os.path.join(inc, name)
            if os.path.isfile(os.path.join(root, path)):
                return layer.name, path
        if any(name.startswith(p) for p in layer.owns):
            return layer.name, name
    return None, None


def c_files(root):
    try:
        out = subprocess.run(["git", "-C", root, "ls-files", "--", "*.c", "*.h"],
                             capture_output=True, text=True, check=True).stdout.split()
        if out:
            return sorted(f for f in out if os.path.isfile(os.path.join(root, f)))
    except (OSError, subprocess.CalledProcessError):
        pass
    found = []
    for d, subdirs, files in os.walk(root):
        subdirs[:] = [s for s in subdirs if not s.startswith(("build", "."))]
        for f in files:
            if f.endswith((".c", ".h")):
                found.append(os.path.relpath(os.path.join(d, f), root))
    return sorted(found)


def plugin_shell_sources(root, section="nipbox", key="sources"):
    """Tree-relative paths of the [nipbox] sources every devices/*/manifest.toml lists (they
    belong to plugin_shell, whatever their folder); with section "ion" and key "shim", the
    plugins' user-library sources and headers (they belong to user). Unreadable manifests are
    the generator's to report."""
    import glob
    import tomllib
    found = set()
    for manifest in sorted(glob.glob(os.path.join(root, "devices", "*", "manifest.toml"))):
        try:
            with open(manifest, "rb") as f:
                table = tomllib.load(f).get(section, {})
        except (OSError, tomllib.TOMLDecodeError):
            continue
        sources = table.get(key, []) if isinstance(table, dict) else []
        folder = os.path.dirname(os.path.relpath(manifest, root))
        for name in sources:
            if isinstance(name, str):
                found.add(os.path.normpath(os.path.join(folder, name)))
    return found


def check(root):
    """Findings for every include in the tree that the table does not allow."""
    findings = []
    files = c_files(root)
    shell = plugin_shell_sources(root)
    shims = plugin_shell_sources(root, "ion", "shim")
    for rel in files:
        mine = "plugin_shell" if rel in shell else "user" if rel in shims else layer_of(rel)
        if mine is None:
            findings.append(f"{rel}:1: in no layer (add its folder to LAYERS in tools/layers.py)")
            continue
        if mine == "":
            continue
        allowed = set(BY_NAME[mine].uses) | {mine}
        with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as f:
            for n, line in enumerate(f, 1):
                m = INCLUDE_RE.match(line)
                if not m:
                    continue
                owner, path = resolve(root, rel, m.group(1), m.group(2))
                if owner is None or owner in allowed:
                    continue
                if owner == "":
                    findings.append(f"{rel}:{n}: {mine} includes {path} (tests and tools only)")
                    continue
                names = [layer.name for layer in LAYERS]
                way = "upward" if names.index(owner) > names.index(mine) else "not allowed"
                findings.append(f"{rel}:{n}: {mine} includes {path} of {owner} "
                                f"({way}; {mine} may use: {', '.join(BY_NAME[mine].uses) or 'nothing'})")
    return findings, len(files)


def cmake():
    lines = ["# Generated by tools/layers.py cmake: the layer table (do not edit here)."]
    lines.append("set(RUMPK_LAYERS " + " ".join(layer.name for layer in LAYERS) + ")")
    for layer in LAYERS:
        lines.append(f"set(RUMPK_LAYER_{layer.name}_INCLUDE " + " ".join(layer.include) + ")")
        lines.append(f"set(RUMPK_LAYER_{layer.name}_USES " + " ".join(layer.uses) + ")")
    return "\n".join(lines) + "\n"


def nm_symbols(nm, obj):
    """(defined globals, undefined) of one object file."""
    out = subprocess.run([nm, "-P", obj], capture_output=True, text=True, check=True).stdout
    defined, undefined = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) < 2:
            continue
        sym, kind = parts[0], parts[1]
        if kind == "U":
            undefined.add(sym)
        elif kind.isupper():
            defined.add(sym)
    return defined, undefined


def symbols(nm, groups):
    """Findings for calls across an arrow the table does not allow. groups: {layer: [obj]}."""
    owner = {}
    undefined = []
    for name, objs in groups.items():
        for obj in objs:
            d, u = nm_symbols(nm, obj)
            for sym in d:
                as_layer = name
                for pattern, other in PROVIDES.get(name, []):
                    if fnmatch.fnmatchcase(sym, pattern):
                        as_layer = other
                owner.setdefault(sym, as_layer)
            undefined.extend((name, obj, sym) for sym in sorted(u))
    findings = []
    for name, obj, sym in undefined:
        other = owner.get(sym)
        if other is None or other == name or other in BY_NAME[name].uses:
            continue
        findings.append(f"{obj}: {name} calls {sym} of {other} "
                        f"({name} may use: {', '.join(BY_NAME[name].uses) or 'nothing'})")
    return findings


def main(argv):
    if len(argv) >= 1 and argv[0] == "check":
        root = os.path.abspath(argv[1] if len(argv) > 1 else
                               os.path.join(os.path.dirname(__file__), ".."))
        findings, n = check(root)
        for f in findings:
            print(f)
        if findings:
            print(f"layers: {len(findings)} include(s) against the table in tools/layers.py")
            return 1
        print(f"layers: {n} files, every include allowed")
        return 0
    if argv == ["cmake"]:
        sys.stdout.write(cmake())
        return 0
    if len(argv) >= 2 and argv[0] == "symbols":
        nm, groups, current = argv[1], {}, None
        args = iter(argv[2:])
        for a in args:
            if a == "--layer":
                current = next(args, None)
                if current not in BY_NAME:
                    print(f"layers: unknown layer {current!r}", file=sys.stderr)
                    return 2
                groups.setdefault(current, [])
            elif current is None:
                print("layers: an object before --layer", file=sys.stderr)
                return 2
            else:
                groups[current].append(a)
        findings = symbols(nm, groups)
        for f in findings:
            print(f)
        if findings:
            print(f"layers: {len(findings)} call(s) against the table in tools/layers.py")
            return 1
        return 0
    print(__doc__.strip().splitlines()[0], file=sys.stderr)
    print("usage: tools/layers.py check [ROOT] | cmake | symbols NM (--layer NAME OBJ...)...",
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
