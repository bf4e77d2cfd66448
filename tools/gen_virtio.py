#!/usr/bin/env python3
"""Generates <virtio_gen/*.h> and the virtio tables/registry from framework/virtio.toml and the
plugin manifests. Run by CMake (cmake/virtio_gen.cmake); writes only files whose text changed
and never touches anything outside --out. Exit 1 with file:line: messages on a bad manifest.

usage: gen_virtio.py --spec framework/virtio.toml --out DIR [--stamp FILE] manifest.toml...
       gen_virtio.py --spec framework/virtio.toml --out DIR --list-nipbox-sources manifest.toml...
         (the plugins' [nipbox] sources, for CMake at configure time)
"""

import argparse
import os
import sys

sys.dont_write_bytecode = True  # never leave __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from virtio_gen import emit_c, model  # noqa: E402


def write_if_changed(path, text):
    """Writes `text` to `path` unless it already holds exactly that; True when written."""
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            if handle.read() == text:
                return False
    except OSError:
        pass
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    temporary = path + ".tmp"
    with open(temporary, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
    os.replace(temporary, path)
    return True


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", required=True, help="framework/virtio.toml")
    parser.add_argument("--out", required=True, help="output dir (gets virtio_gen/)")
    parser.add_argument("--stamp", help="file touched after every successful run")
    parser.add_argument("--check", action="store_true", help="validate only, write nothing")
    parser.add_argument("--list-nipbox-sources", action="store_true",
                        help="validate, then print the plugins' NipBox command sources (one "
                        "absolute path a line) and write nothing")
    parser.add_argument("manifests", nargs="*", help="plugin manifest.toml files")
    args = parser.parse_args(argv)

    try:
        checked = model.load(args.spec, args.manifests)
    except model.ManifestError as exc:
        for line in exc.errors.lines():
            print(line, file=sys.stderr)
        count = len(exc.errors.items)
        print(f"gen_virtio: {count} error{'s' if count != 1 else ''} in virtio manifests",
              file=sys.stderr)
        return 1
    if args.check:
        return 0
    if args.list_nipbox_sources:
        for path in checked.shell_sources:
            print(path)
        return 0
    for relative, text in emit_c.generate(checked).items():
        write_if_changed(os.path.join(args.out, relative), text)
    if args.stamp:
        os.makedirs(os.path.dirname(args.stamp) or ".", exist_ok=True)
        with open(args.stamp, "w", encoding="utf-8") as handle:
            handle.write("generated\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
