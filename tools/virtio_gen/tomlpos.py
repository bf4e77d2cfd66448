"""Finds the line of a key or value in a TOML file, for file:line error messages.

tomllib parses without positions, so this scans the text by section headers and keys. It only
answers "where"; it never decides whether the TOML is valid (tomllib does that).
"""

import re

_ARRAY_HEADER = re.compile(r"^\s*\[\[\s*([A-Za-z0-9_.\"-]+?)\s*\]\]")
_TABLE_HEADER = re.compile(r"^\s*\[\s*([A-Za-z0-9_.\"-]+?)\s*\]")
_KEY_LINE = re.compile(r"^\s*([A-Za-z0-9_-]+|\"[^\"]*\")\s*=")


class TomlLines:
    """Section spans of one TOML text: root, [table] and the n-th [[array]] entry."""

    def __init__(self, text):
        self.lines = text.splitlines()
        # (name, index) -> (header line, first body line, last body line); lines 1-based
        self.spans = {}
        counts = {}
        current = ("", 0)
        header = 1
        start = 1
        for number, line in enumerate(self.lines, 1):
            match = _ARRAY_HEADER.match(line)
            if match:
                name = match.group(1).replace('"', "")
                index = counts.get(name, 0)
                counts[name] = index + 1
            else:
                match = _TABLE_HEADER.match(line)
                if not match or _in_value(self.lines, number):
                    continue
                name, index = match.group(1).replace('"', ""), 0
            self.spans.setdefault(current, (header, start, number - 1))
            current, header, start = (name, index), number, number + 1
        self.spans.setdefault(current, (header, start, len(self.lines)))

    def locate(self, section="", index=0, key=None, value=None):
        """Line of `value` inside `key` of a section, else of the key, else of the header."""
        span = self.spans.get((section, index))
        if span is None:
            return 1
        header, first, last = span
        if key is None:
            return header
        key_line = None
        for number in range(first, last + 1):
            match = _KEY_LINE.match(self.lines[number - 1])
            if match and match.group(1).strip('"') == key:
                key_line = number
                break
        if key_line is None:
            return header
        if value is None:
            return key_line
        pattern = _value_pattern(value)
        for number in range(key_line, last + 1):
            text = self.lines[number - 1]
            if number > key_line and _KEY_LINE.match(text):
                break
            if number == key_line:
                text = text.split("=", 1)[1]
            if pattern.search(_strip_comment(text)):
                return number
        return key_line


def _value_pattern(value):
    if isinstance(value, str):
        quoted = re.escape(value)
        return re.compile("\"" + quoted + "\"|'" + quoted + "'")
    if isinstance(value, bool):
        return re.compile(r"\b" + ("true" if value else "false") + r"\b")
    if isinstance(value, int):
        alternatives = [str(value), hex(value)]
        return re.compile(r"(?<![\w.])(" + "|".join(map(re.escape, alternatives)) + r")(?![\w.])",
                          re.IGNORECASE)
    return re.compile(re.escape(str(value)))


def _strip_comment(text):
    """Drops a trailing # comment that is not inside a string (good enough for manifests)."""
    quote = None
    for position, char in enumerate(text):
        if quote:
            if char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char == "#":
            return text[:position]
    return text


def _in_value(lines, number):
    """True when line `number` sits inside a multi-line array value (so '[...]' is data)."""
    depth = 0
    for line in lines[: number - 1]:
        body = _strip_comment(line)
        if depth == 0 and not _KEY_LINE.match(body):
            continue
        if depth == 0:
            body = body.split("=", 1)[1]
        depth += body.count("[") - body.count("]")
        depth = max(depth, 0)
    return depth > 0
