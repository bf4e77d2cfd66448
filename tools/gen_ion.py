#!/usr/bin/env python3
"""Generates <ion_gen/ion_cmds.h> from abi/ion.toml: ION channel ranges, command codes, the
rights each command needs, argument layouts (BlkArgs, ...) and error codes with their messages,
for the kernel's dispatch and the user shim alike. Writes only when the text changed; exit 1 with
file:line: messages on a bad manifest (clashing codes, unknown rights, a struct too large ...).

usage: gen_ion.py --out DIR [--check] abi/ion.toml
"""

import argparse
import os
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
        self.lines = TomlLines(text)
        self.errors = []
        try:
            self.data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            self.data = {}
            self.errors.append(f"{self.path}:1: not valid TOML: {exc}")

    def error(self, section, index, message, key=None, value=None):
        line = self.lines.locate(section, index, key, value)
        self.errors.append(f"{self.path}:{line}: {message}")

    def entries(self, section, keys):
        """The [[section]] tables, each checked to have exactly `keys` (name -> type)."""
        out = []
        for index, entry in enumerate(self.data.get(section, [])):
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


def check(m):
    """The checked model: (channels, structs, commands, errors) or None after errors."""
    channels, structs, commands, errors = {}, {}, [], []
    for index, c in m.entries("channel", {"name": str, "base": int, "size": int}):
        if c["name"] in channels:
            m.error("channel", index, f"channel '{c['name']}' defined twice", "name")
            continue
        for other in channels.values():
            if c["base"] < other["base"] + other["size"] and other["base"] < c["base"] + c["size"]:
                m.error("channel", index, f"codes overlap channel '{other['name']}'", "base")
        if c["size"] <= 0 or c["base"] < 0 or c["base"] + c["size"] > 0x10000:
            m.error("channel", index, "codes must lie in 0..0xffff", "base")
        channels[c["name"]] = c
    for index, s in m.entries("struct", {"name": str, "fields": list}):
        offset, fields, ok = 0, [], True
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
            structs[s["name"]] = (fields, offset, s.get("doc", ""))
    codes = {}
    for index, c in m.entries("command", {"name": str, "code": int, "channel": str, "args": str,
                                          "rights": list}):
        ch = channels.get(c["channel"])
        if ch is None:
            m.error("command", index, f"unknown channel '{c['channel']}'", "channel")
            continue
        if not ch["base"] <= c["code"] < ch["base"] + ch["size"]:
            m.error("command", index, f"code {c['code']:#x} is outside channel '{ch['name']}'",
                    "code")
        if c["code"] in codes:
            m.error("command", index, f"code {c['code']:#x} is taken by {codes[c['code']]}",
                    "code")
        codes[c["code"]] = c["name"]
        if c["args"] != "none" and c["args"] not in structs:
            m.error("command", index, f"unknown argument layout '{c['args']}'", "args")
        for right in c["rights"]:
            if right not in RIGHTS:
                m.error("command", index, f"unknown right {right!r} (r, w)", "rights", right)
        commands.append(c)
    seen = {}
    for index, e in m.entries("error", {"name": str, "value": int, "message": str}):
        if e["name"] in seen or e["value"] in seen.values():
            m.error("error", index, f"error '{e['name']}' or its value defined twice", "name")
        seen[e["name"]] = e["value"]
        errors.append(e)
    return None if m.errors else (channels, structs, commands, errors)


def emit(model):
    channels, structs, commands, errors = model
    out = ["/* Generated by tools/gen_ion.py from abi/ion.toml: do not edit. */",
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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="output dir (gets ion_gen/ion_cmds.h)")
    parser.add_argument("--check", action="store_true", help="validate only, write nothing")
    parser.add_argument("manifest", help="abi/ion.toml")
    args = parser.parse_args(argv)
    m = Manifest(args.manifest)
    model = check(m) if not m.errors else None
    if model is None:
        for line in m.errors:
            print(line, file=sys.stderr)
        print(f"gen_ion: {len(m.errors)} error(s) in {m.path}", file=sys.stderr)
        return 1
    if not args.check:
        if not args.out:
            parser.error("--out is required unless --check")
        write_if_changed(os.path.join(args.out, "ion_gen", "ion_cmds.h"), emit(model))
    return 0


if __name__ == "__main__":
    sys.exit(main())
