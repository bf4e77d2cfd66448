#!/usr/bin/env python3
"""Generates <ion_gen/ion_cmds.h> from abi/ion.toml and the device plugins' [ion] tables: ION
channel ranges, command codes, the rights each command needs, argument layouts (BlkArgs, ...),
capability kinds and error codes with their messages, for the kernel's dispatch and the user shim
alike; and <ion_gen/ion_plugins.c>, the table that binds each plugin command to its kernel handler
and each plugin capability kind to its lookup (compiled into the kernel image). Writes only when
the text changed; exit 1 with file:line: messages on a bad manifest (clashing codes or names,
unknown rights, a struct too large, a shim source outside its folder ...).

A plugin's manifest.toml may carry:
  [ion]      capability = "rng" (the kind of capability its commands act through),
             lookup = "rng_ion_find" (int fn(const char *name): the object a name like "rng0"
             names, or -ENODEV), shim = ["nexus_rng.c"] (user-library sources in its folder)
  [[ion.channel]], [[ion.struct]]: as in abi/ion.toml
  [[ion.command]]: as in abi/ion.toml, plus handler = "rng_ion_read" (the kernel function:
             int64_t fn(const struct os_ion_call *call))

Kernel infrastructure whose commands are handled outside the dispatch (ports/ion.toml, ION for
ports) is written and passed as a plugin manifest is.

usage: gen_ion.py --out DIR [--check] [--list-shim-sources] abi/ion.toml [plugin manifest...]
"""

import argparse
import os
import re
import sys
import tomllib

sys.dont_write_bytecode = True  # never leave __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from gen_virtio import write_if_changed  # noqa: E402
from virtio_gen.tomlpos import TomlLines  # noqa: E402

TYPES = {"u8": ("uint8_t", 1), "u16": ("uint16_t", 2), "u32": ("uint32_t", 4),
         "u64": ("uint64_t", 8)}
RIGHTS = {"r": "ION_RIGHT_R", "w": "ION_RIGHT_W"}
ARG_BYTES = 32  # struct ion_sqe's arg[4]


class Manifest:
    def __init__(self, path):
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        self.path = os.path.relpath(path) if not os.path.relpath(path).startswith("..") else path
        self.full_path = path
        self.lines = TomlLines(text)
        self.errors = []
        try:
            self.data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            self.data = {}
            self.errors.append(f"{self.path}:1: not valid TOML: {exc}")

    prefix = ""  # plugins keep their tables under [ion]

    def error(self, section, index, message, key=None, value=None):
        line = self.lines.locate(self.prefix + section if section else "ion", index, key, value)
        self.errors.append(f"{self.path}:{line}: {message}")

    def table(self):
        return self.data.get("ion", {}) if self.prefix else self.data

    def entries(self, section, keys):
        """The [[section]] tables, each checked to have exactly `keys` (name -> type)."""
        out = []
        for index, entry in enumerate(self.table().get(section, [])):
            ok = True
            for key, kind in keys.items():
                if key not in entry:
                    self.error(section, index, f"{section} lacks '{key}'")
                    ok = False
                elif not isinstance(entry[key], kind) or isinstance(entry[key], bool):
                    self.error(section, index, f"'{key}' has the wrong type", key)
                    ok = False
            for key in entry:
                if key not in keys and key != "doc":
                    self.error(section, index, f"unknown key '{key}'", key)
                    ok = False
            if ok:
                out.append((index, entry))
        return out


IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*$")
CAP_PLUGIN_FIRST = 16  # caps/cspace.h: kinds below are the kernel's own


class Model:
    def __init__(self):
        self.channels, self.structs, self.commands, self.errors = {}, {}, [], []
        self.caps = []  # (kind name, number, lookup function)
        self.shims = []  # absolute paths
        self.codes, self.names = {}, {}


def check_one(m, model, plugin):
    """Adds manifest m's definitions to the model; errors land in m.errors."""
    kind = None
    if plugin:
        ion = m.table()
        if not isinstance(ion, dict):
            m.error("", 0, "'ion' must be a table ([ion])")
            return
        for key in ion:
            if key not in ("capability", "lookup", "shim", "channel", "struct", "command", "doc"):
                m.error("", 0, f"unknown key '{key}' in [ion]", key)
        if "command" in ion:
            if not isinstance(ion.get("capability"), str) or not IDENT.match(ion["capability"]):
                m.error("", 0, "[ion] with commands needs capability = \"<kind>\"", "capability")
            elif not isinstance(ion.get("lookup"), str) or not IDENT.match(ion["lookup"]):
                m.error("", 0, "[ion] needs lookup = \"<C function>\" for its capability",
                        "lookup")
            elif any(c[0] == ion["capability"] for c in model.caps):
                m.error("", 0, f"capability kind '{ion['capability']}' is taken", "capability")
            else:
                kind = ion["capability"]
                model.caps.append((kind, CAP_PLUGIN_FIRST + len(model.caps), ion["lookup"]))
        folder = os.path.dirname(os.path.abspath(m.full_path))
        shim = ion.get("shim", [])
        if not isinstance(shim, list) or not all(isinstance(x, str) for x in shim):
            m.error("", 0, "shim must be a list of file names", "shim")
            shim = []
        for name in shim:
            path = os.path.normpath(os.path.join(folder, name))
            if os.path.dirname(path) != folder or not os.path.isfile(path):
                m.error("", 0, f"shim source '{name}' is not a file in the plugin's folder",
                        "shim", name)
            else:
                model.shims.append(path)
    for index, c in m.entries("channel", {"name": str, "base": int, "size": int}):
        if c["name"] in model.channels:
            m.error("channel", index, f"channel '{c['name']}' defined twice", "name")
            continue
        for other in model.channels.values():
            if c["base"] < other["base"] + other["size"] and other["base"] < c["base"] + c["size"]:
                m.error("channel", index, f"codes overlap channel '{other['name']}'", "base")
        if c["size"] <= 0 or c["base"] < 0 or c["base"] + c["size"] > 0x10000:
            m.error("channel", index, "codes must lie in 0..0xffff", "base")
        model.channels[c["name"]] = c
    for index, s in m.entries("struct", {"name": str, "fields": list}):
        offset, fields, ok = 0, [], True
        if s["name"] in model.structs:
            m.error("struct", index, f"argument layout '{s['name']}' defined twice", "name")
            ok = False
        for field in s["fields"]:
            if (not isinstance(field, list) or len(field) != 2 or
                    not all(isinstance(x, str) for x in field) or field[1] not in TYPES):
                m.error("struct", index, f"bad field {field!r}: want [name, u8|u16|u32|u64]",
                        "fields")
                ok = False
                continue
            ctype, size = TYPES[field[1]]
            if offset % size:
                m.error("struct", index, f"field '{field[0]}' would need padding before it",
                        "fields")
                ok = False
            fields.append((field[0], ctype))
            offset += size
        if offset > ARG_BYTES:
            m.error("struct", index, f"{offset} bytes: more than the {ARG_BYTES} an entry carries",
                    "fields")
            ok = False
        if ok:
            model.structs[s["name"]] = (fields, offset, s.get("doc", ""))
    keys = {"name": str, "code": int, "channel": str, "args": str, "rights": list}
    if plugin:
        keys["handler"] = str
    for index, c in m.entries("command", keys):
        ch = model.channels.get(c["channel"])
        if ch is None:
            m.error("command", index, f"unknown channel '{c['channel']}'", "channel")
            continue
        own = [x.get("name") for x in m.table().get("channel", []) if isinstance(x, dict)]
        if plugin and c["channel"] not in own:
            m.error("command", index, f"channel '{c['channel']}' is not this plugin's", "channel")
        if not ch["base"] <= c["code"] < ch["base"] + ch["size"]:
            m.error("command", index, f"code {c['code']:#x} is outside channel '{ch['name']}'",
                    "code")
        if c["code"] in model.codes:
            m.error("command", index, f"code {c['code']:#x} is taken by {model.codes[c['code']]}",
                    "code")
        if c["name"] in model.names or not IDENT.match(c["name"]):
            m.error("command", index, f"command name '{c['name']}' is taken or not a C name",
                    "name")
        model.codes[c["code"]] = c["name"]
        model.names[c["name"]] = True
        if c["args"] != "none" and c["args"] not in model.structs:
            m.error("command", index, f"unknown argument layout '{c['args']}'", "args")
        for right in c["rights"]:
            if right not in RIGHTS:
                m.error("command", index, f"unknown right {right!r} (r, w)", "rights", right)
        if plugin and not IDENT.match(c["handler"]):
            m.error("command", index, "handler must be a C function name", "handler")
        model.commands.append(dict(c, cap=kind) if plugin else c)
    seen = {e["name"]: e["value"] for e in model.errors}
    for index, e in m.entries("error", {"name": str, "value": int, "message": str}):
        if plugin:
            m.error("error", index, "error codes belong to abi/ion.toml", "name")
            continue
        if e["name"] in seen or e["value"] in seen.values():
            m.error("error", index, f"error '{e['name']}' or its value defined twice", "name")
        seen[e["name"]] = e["value"]
        model.errors.append(e)


def check(manifests):
    """The checked model of the ABI manifest (first) and the plugins', or None after errors."""
    model = Model()
    for i, m in enumerate(manifests):
        if m.errors:
            continue
        if i > 0:
            if "ion" not in m.data:
                continue
            m.prefix = "ion."
        check_one(m, model, i > 0)
    return None if any(m.errors for m in manifests) else model


def emit(model):
    channels, structs, commands, errors = (model.channels, model.structs, model.commands,
                                           model.errors)
    out = ["/* Generated by tools/gen_ion.py from abi/ion.toml and the plugins' [ion]: do not "
           "edit. */",
           "#ifndef ION_GEN_ION_CMDS_H", "#define ION_GEN_ION_CMDS_H", "",
           "#include <stdint.h>", "",
           "#define ION_RIGHT_R 0x1u /* the capability rights a command needs */",
           "#define ION_RIGHT_W 0x2u", ""]
    for c in channels.values():
        upper = c["name"].upper()
        out.append(f"#define ION_CH_{upper}_BASE {c['base']:#x}u /* {c.get('doc', '')} */")
        out.append(f"#define ION_CH_{upper}_SIZE {c['size']:#x}u")
    out.append("")
    for name, (fields, size, doc) in structs.items():
        out.append(f"/* {doc} */" if doc else f"/* {name} */")
        out.append(f"struct {name} {{")
        out += [f"    {ctype} {fname};" for fname, ctype in fields]
        out.append("};")
        out.append(f"_Static_assert(sizeof(struct {name}) == {size}, \"{name} layout\");")
        out.append("")
    for c in commands:
        rights = " | ".join(RIGHTS[r] for r in c["rights"]) or "0u"
        out.append(f"#define {c['name']} {c['code']:#x}u")
        out.append(f"#define {c['name']}_RIGHTS ({rights})")
    out.append("")
    for kind, number, _ in model.caps:
        out.append(f"#define ION_CAP_{kind.upper()} {number}u /* a plugin's capability kind */")
    out.append("")
    for e in errors:
        out.append(f"#define ION_{e['name']} {e['value']}")
    out += ["", "/* The message for an ION error code (positive or negative); NULL if unknown. */",
            "static inline const char *ion_error_message(long code)", "{",
            "    switch (code < 0 ? -code : code) {"]
    for e in errors:
        out.append(f"    case ION_{e['name']}:")
        out.append(f"        return \"{e['message']}\";")
    out += ["    }", "    return 0;", "}", "",
            "/* On the target both sides use these values as their own errno numbers. */",
            "#if defined(RUMPK_KERNEL) || defined(RUMPK_USER)", "#include <errno.h>"]
    for e in errors:
        out.append(f"_Static_assert(ION_{e['name']} == {e['name']}, \"errno {e['name']}\");")
    out += ["#endif", "", "#endif", ""]
    return "\n".join(out)


def emit_plugins(model):
    """ion_plugins.c: each plugin command's code, rights, capability kind and handler; each
    plugin capability kind's name and lookup."""
    out = ["/* Generated by tools/gen_ion.py from the plugins' [ion] tables: do not edit. */",
           "#include <dispatch/ion_plugin.h>", "#include <ion_gen/ion_cmds.h>", ""]
    plugin_cmds = [c for c in model.commands if c.get("handler")]
    for c in plugin_cmds:
        out.append(f"int64_t {c['handler']}(const struct os_ion_call *call);")
    for _, _, lookup in model.caps:
        out.append(f"int {lookup}(const char *name);")
    out += ["", "const struct ion_plugin_cmd ion_plugin_cmds[] = {"]
    numbers = {kind: number for kind, number, _ in model.caps}
    for c in plugin_cmds:
        rights = " | ".join(f"{RIGHTS[r]}" for r in c["rights"]) or "0u"
        out.append(f"    {{{c['code']:#x}u, {rights}, {numbers[c['cap']]}u, {c['handler']}}},")
    out += ["    {0, 0, 0, 0},", "};", "", "const struct ion_plugin_cap ion_plugin_caps[] = {"]
    for kind, number, lookup in model.caps:
        out.append(f"    {{\"{kind}\", {number}u, {lookup}}},")
    out += ["    {0, 0, 0},", "};", ""]
    return "\n".join(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="output dir (gets ion_gen/ion_cmds.h)")
    parser.add_argument("--check", action="store_true", help="validate only, write nothing")
    parser.add_argument("--list-shim-sources", action="store_true",
                        help="print the plugins' shim sources (absolute paths), one per line")
    parser.add_argument("manifest", help="abi/ion.toml")
    parser.add_argument("plugins", nargs="*", help="device plugin manifest.toml files")
    args = parser.parse_args(argv)
    manifests = [Manifest(args.manifest)] + [Manifest(p) for p in args.plugins]
    model = check(manifests)
    if model is None:
        count = 0
        for m in manifests:
            for line in m.errors:
                print(line, file=sys.stderr)
            count += len(m.errors)
        print(f"gen_ion: {count} error(s) in the ION manifests", file=sys.stderr)
        return 1
    if args.list_shim_sources:
        print("\n".join(model.shims))
    if not args.check:
        if not args.out:
            parser.error("--out is required unless --check")
        write_if_changed(os.path.join(args.out, "ion_gen", "ion_cmds.h"), emit(model))
        write_if_changed(os.path.join(args.out, "ion_gen", "ion_plugins.c"), emit_plugins(model))
    return 0


if __name__ == "__main__":
    sys.exit(main())
