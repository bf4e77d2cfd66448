"""Loads framework/virtio.toml and plugin manifests into one checked model.

Owns every validation rule and its file:line message. It never writes files or C text; a model
returned without errors is complete and consistent (emit_c may trust it).
"""

import os
import re
import tomllib
from dataclasses import dataclass, field

from .tomlpos import TomlLines

MAX_TYPE = 255  # device IDs are small; leaves room for plugins' own types
MAX_BIT = 63  # features are negotiated as a uint64_t
MAX_CONFIG_OFFSET = 0xFFFF
WIDTHS = (1, 2, 4, 8)

_C_KEYWORDS = frozenset(
    """auto break case char const continue default do double else enum extern float for goto if
    inline int long register restrict return short signed sizeof static struct switch typedef union
    unsigned void volatile while _Alignas _Alignof _Atomic _Bool _Complex _Generic _Imaginary
    _Noreturn _Static_assert _Thread_local""".split())
_C_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TYPE_NAME = re.compile(r"^[a-z0-9][a-z0-9_]*$")
_PREFIX = re.compile(r"^[A-Z0-9][A-Z0-9_]*$")
_UPPER_NAME = re.compile(r"^[A-Z0-9][A-Z0-9_]*$")
_FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_PLUGIN_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")

STR, INT, STRLIST = "string", "integer", "list of strings"

DEVICE_TYPE_SCHEMA = {"name": (STR, True), "type": (INT, True), "prefix": (STR, True),
                      "pci_legacy_id": (INT, False), "pci_modern_id": (INT, False)}
FEATURE_SCHEMA = {"name": (STR, True), "bit": (INT, True), "device": (STR, False)}
CONFIG_SCHEMA = {"device": (STR, True), "name": (STR, True), "offset": (INT, True),
                 "width": (INT, True), "count": (INT, False), "feature": (STR, False)}
PCI_SCHEMA = {"vendor_id": (INT, True), "modern_id_base": (INT, True)}
DEVICE_PLUGIN_SCHEMA = {"name": (STR, True), "kind": (STR, True), "driver": (STR, True),
                        "types": (STRLIST, True), "features": (STRLIST, False)}
TRANSPORT_PLUGIN_SCHEMA = {"name": (STR, True), "kind": (STR, True), "ops": (STR, True),
                           "discover": (STR, True), "order": (INT, True),
                           "features": (STRLIST, False)}
KINDS = ("device", "transport")
NIPBOX_SCHEMA = {"sources": (STRLIST, True), "commands": (STRLIST, True)}
_SOURCE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_./-]*\.c$")
_COMMAND_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")
# SERVICE_COMMAND(ident, "name", ...) in a plugin's shell source: a kernel service the shell
# runs (kernel/services/include/services/service.h); NIPBOX_COMMAND for a command of its own.
_REGISTERS = re.compile(r'(?:NIPBOX|SERVICE)_COMMAND\s*\(\s*\w+\s*,\s*"([^"\\]*)"')


class Origin:
    """Where an entry came from: file and TOML section; at() turns a key/value into a line."""

    def __init__(self, source, section="", index=0):
        self.source, self.section, self.index = source, section, index

    def at(self, key=None, value=None):
        return self.source.display, self.source.lines.locate(self.section, self.index, key, value)

    def where(self, key=None, value=None):
        display, line = self.at(key, value)
        return f"{display}:{line}"


@dataclass
class Source:
    path: str
    display: str
    lines: TomlLines
    data: dict


@dataclass
class DeviceType:
    name: str
    type: int
    prefix: str
    pci_legacy_id: int
    pci_modern_id: int
    origin: Origin


@dataclass
class Feature:
    name: str
    bit: int
    device: str | None  # None: transport feature
    type: int  # 0: transport
    origin: Origin

    @property
    def macro(self):
        return ("VIRTIO_F_" if self.device is None else "VIRTIO_") + self.name


@dataclass
class ConfigField:
    device: str
    name: str
    offset: int
    width: int
    count: int
    feature: str | None
    origin: Origin


@dataclass
class Plugin:
    name: str
    kind: str
    origin: Origin
    features: list = field(default_factory=list)  # Feature objects
    driver: str = ""
    types: list = field(default_factory=list)  # DeviceType objects
    ops: str = ""
    discover: str = ""
    order: int = 0
    shell_sources: list = field(default_factory=list)  # absolute paths ([nipbox] sources)
    shell_commands: list = field(default_factory=list)  # (name, Origin) of [nipbox] commands

    @property
    def feature_mask(self):
        mask = 0
        for feature in self.features:
            mask |= 1 << feature.bit
        return mask


@dataclass
class Model:
    vendor_id: int = 0x1AF4
    modern_id_base: int = 0x1040
    types: list = field(default_factory=list)
    features: list = field(default_factory=list)
    configs: list = field(default_factory=list)
    plugins: list = field(default_factory=list)

    @property
    def shell_sources(self):
        """Every plugin's NipBox command sources, absolute, in plugin order."""
        return [path for p in self.devices for path in p.shell_sources]

    def type_by_name(self, name):
        return next((t for t in self.types if t.name == name), None)

    @property
    def devices(self):
        return sorted((p for p in self.plugins if p.kind == "device"), key=lambda p: p.name)

    @property
    def transports(self):
        return sorted((p for p in self.plugins if p.kind == "transport"),
                      key=lambda p: (p.order, p.name))


class Errors:
    def __init__(self):
        self.items = []  # (display, line, message)

    def add(self, origin, message, key=None, value=None):
        display, line = origin.at(key, value)
        self.items.append((display, line, message))

    def add_at(self, display, line, message):
        self.items.append((display, line, message))

    def __bool__(self):
        return bool(self.items)

    def lines(self):
        """Messages grouped by file (in first-seen order), by line within a file."""
        files = list(dict.fromkeys(display for display, _, _ in self.items))
        ordered = sorted(self.items, key=lambda item: (files.index(item[0]), item[1]))
        return [f"{display}:{line}: {message}" for display, line, message in ordered]


class ManifestError(Exception):
    def __init__(self, errors):
        super().__init__("\n".join(errors.lines()))
        self.errors = errors


def display_path(path):
    """The path relative to the working directory when it lies below it, else as given."""
    rel = os.path.relpath(os.path.abspath(path))
    return path if rel.startswith("..") else rel


def load(spec_path, manifest_paths):
    """Returns a checked Model, or raises ManifestError listing every problem found."""
    errors = Errors()
    spec = _read(spec_path, errors)
    manifests = [m for m in (_read(p, errors) for p in manifest_paths) if m is not None]
    model = Model()
    if spec is not None:
        _check_top(spec, ("pci", "device_type", "feature", "config"), errors)
        _load_pci(spec, model, errors)
    sources = ([spec] if spec is not None else []) + manifests
    for source in manifests:
        _check_top(source, ("plugin", "device_type", "feature", "config", "nipbox", "ion"), errors)
    for source in sources:
        _load_types(source, model, errors)
    _check_unique_types(model, errors)
    for source in sources:
        _load_features(source, model, errors)
    for source in sources:
        _load_configs(source, model, errors)
    for source in manifests:
        _load_plugin(source, model, errors)
    _check_unique_plugins(model, errors)
    _check_unique_commands(model, errors)
    if not errors:
        _check_macros(model, errors)
    if errors:
        raise ManifestError(errors)
    return model


def _read(path, errors):
    display = display_path(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        errors.add_at(display, 1, f"cannot read: {exc.strerror}")
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        errors.add_at(display, line, "TOML syntax error: file is not valid UTF-8")
        return None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = re.search(r"\(at line (\d+), column (\d+)\)", message)
        line = int(match.group(1)) if match else 1
        if match:
            message = message[: match.start()].rstrip() + f" (column {match.group(2)})"
        elif "end of document" in message:
            line = max(1, text.count("\n") + (0 if text.endswith("\n") else 1))
        errors.add_at(display, line, f"TOML syntax error: {message}")
        return None
    return Source(path, display, TomlLines(text), data)


def _kind_of(value):
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return "a " + type(value).__name__


def _type_ok(kind, value):
    if kind == STR:
        return isinstance(value, str)
    if kind == INT:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _check_table(table, schema, origin, what, errors):
    """Unknown keys, missing required keys and wrong value types; False if any."""
    ok = True
    for key, value in table.items():
        if key not in schema:
            known = ", ".join(schema)
            errors.add(origin, f"unknown key \"{key}\" in {what} (known keys: {known})", key)
            ok = False
    for key, (kind, required) in schema.items():
        if key not in table:
            if required:
                errors.add(origin, f"missing required key \"{key}\" in {what}")
                ok = False
            continue
        value = table[key]
        if not _type_ok(kind, value):
            article = "an" if kind == INT else "a"
            if kind == STRLIST and isinstance(value, list):
                bad = next(v for v in value if not isinstance(v, str))
                errors.add(origin, f"key \"{key}\" in {what} must be {article} {kind}, "
                           f"but holds {_kind_of(bad)}", key)
            else:
                errors.add(origin, f"key \"{key}\" in {what} must be {article} {kind}, "
                           f"not {_kind_of(value)}", key)
            ok = False
    return ok


def _check_top(source, allowed, errors):
    for key in source.data:
        if key not in allowed:
            origin = Origin(source, key, 0)
            where = origin if (key, 0) in source.lines.spans else Origin(source)
            errors.add(where, f"unknown top-level key \"{key}\" (allowed: "
                       + ", ".join(allowed) + ")", key)


def _entries(source, name, errors):
    """The [[name]] array-of-tables entries of a file, each with its Origin."""
    value = source.data.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        errors.add(Origin(source), f"\"{name}\" must be an array of tables ([[{name}]])", name)
        return []
    return [(entry, Origin(source, name, index)) for index, entry in enumerate(value)]


def _load_pci(source, model, errors):
    table = source.data.get("pci")
    if table is None:
        return
    origin = Origin(source, "pci")
    if not isinstance(table, dict):
        errors.add(Origin(source), "\"pci\" must be a table ([pci])", "pci")
        return
    if not _check_table(table, PCI_SCHEMA, origin, "[pci]", errors):
        return
    for key in PCI_SCHEMA:
        if not 0 < table[key] <= 0xFFFF:
            errors.add(origin, f"{key} {table[key]:#x} out of range 0x1..0xffff", key)
    model.vendor_id, model.modern_id_base = table["vendor_id"], table["modern_id_base"]


def _load_types(source, model, errors):
    for entry, origin in _entries(source, "device_type", errors):
        if not _check_table(entry, DEVICE_TYPE_SCHEMA, origin, "[[device_type]]", errors):
            continue
        ok = True
        name, number, prefix = entry["name"], entry["type"], entry["prefix"]
        if not _TYPE_NAME.match(name):
            errors.add(origin, f"device type name \"{name}\" must be lowercase letters, digits "
                       "and _", "name")
            ok = False
        if not _PREFIX.match(prefix):
            errors.add(origin, f"prefix \"{prefix}\" must be uppercase letters, digits and _",
                       "prefix")
            ok = False
        if not 1 <= number <= MAX_TYPE:
            errors.add(origin, f"device type number {number} out of range 1..{MAX_TYPE}", "type")
            ok = False
        legacy = entry.get("pci_legacy_id", 0)
        default_modern = model.modern_id_base + number
        modern = entry.get("pci_modern_id", default_modern if default_modern <= 0x107F else 0)
        for key, value in (("pci_legacy_id", legacy), ("pci_modern_id", modern)):
            if not 0 <= value <= 0xFFFF:
                errors.add(origin, f"{key} {value:#x} out of range 0..0xffff", key)
                ok = False
        if ok:
            model.types.append(DeviceType(name, number, prefix, legacy, modern, origin))


def _check_unique_types(model, errors):
    seen = {}
    for kind in ("name", "type", "prefix"):
        seen.clear()
        for t in list(model.types):
            value = getattr(t, kind)
            first = seen.setdefault(value, t)
            if first is not t:
                label = {"name": "device type name", "type": "device type number",
                         "prefix": "device type prefix"}[kind]
                shown = f"\"{value}\"" if isinstance(value, str) else str(value)
                errors.add(t.origin, f"duplicate {label} {shown} (\"{t.name}\"; first "
                           f"defined as \"{first.name}\" at {first.origin.where(kind)})", kind)
                model.types.remove(t)
    ids = {}
    for t in list(model.types):
        for key in ("pci_legacy_id", "pci_modern_id"):
            value = getattr(t, key)
            if value == 0:
                continue
            first = ids.setdefault(value, t)
            if first is not t:
                errors.add(t.origin, f"duplicate PCI device ID {value:#06x} (\"{t.name}\"; "
                           f"also used by \"{first.name}\" at {first.origin.where()})", key)


def _load_features(source, model, errors):
    names = {f.name: f for f in model.features}
    for entry, origin in _entries(source, "feature", errors):
        if not _check_table(entry, FEATURE_SCHEMA, origin, "[[feature]]", errors):
            continue
        name, bit, device = entry["name"], entry["bit"], entry.get("device")
        ok = True
        number = 0
        if not _UPPER_NAME.match(name):
            errors.add(origin, f"feature name \"{name}\" must be uppercase letters, digits "
                       "and _", "name")
            ok = False
        if device is not None:
            dtype = model.type_by_name(device)
            if dtype is None:
                errors.add(origin, f"unknown device type \"{device}\" (known types: "
                           + _known_types(model) + ")", "device", device)
                ok = False
            else:
                number = dtype.type
                if ok and not name.startswith(dtype.prefix + "_F_"):
                    errors.add(origin, f"{device} feature \"{name}\" must start with "
                               f"\"{dtype.prefix}_F_\"", "name", name)
                    ok = False
        elif "_F_" in name:
            errors.add(origin, f"transport feature \"{name}\" looks like a device feature; "
                       "add device = \"<type>\"", "name", name)
            ok = False
        if not 0 <= bit <= MAX_BIT:
            errors.add(origin, f"feature bit {bit} out of range 0..{MAX_BIT}", "bit")
            ok = False
        if not ok:
            continue
        if name in names:
            errors.add(origin, f"duplicate feature name \"{name}\" (first defined at "
                       f"{names[name].origin.where('name')})", "name", name)
            continue
        clash = next((f for f in model.features if f.type == number and f.bit == bit), None)
        if clash is not None:
            owner = "transport" if device is None else device
            errors.add(origin, f"duplicate {owner} feature bit {bit}: \"{name}\" and "
                       f"\"{clash.name}\" (first defined at {clash.origin.where('bit')})", "bit")
            continue
        feature = Feature(name, bit, device, number, origin)
        names[name] = feature
        model.features.append(feature)


def _load_configs(source, model, errors):
    for entry, origin in _entries(source, "config", errors):
        if not _check_table(entry, CONFIG_SCHEMA, origin, "[[config]]", errors):
            continue
        device, name = entry["device"], entry["name"]
        offset, width, count = entry["offset"], entry["width"], entry.get("count", 1)
        feature = entry.get("feature")
        ok = True
        dtype = model.type_by_name(device)
        if dtype is None:
            errors.add(origin, f"unknown device type \"{device}\" (known types: "
                       + _known_types(model) + ")", "device", device)
            continue
        if not _FIELD_NAME.match(name):
            errors.add(origin, f"config field name \"{name}\" must be lowercase letters, "
                       "digits and _", "name")
            ok = False
        if width not in WIDTHS:
            errors.add(origin, f"config width {width} must be 1, 2, 4 or 8", "width")
            ok = False
        elif not 0 <= offset <= MAX_CONFIG_OFFSET:
            errors.add(origin, f"config offset {offset} out of range 0..{MAX_CONFIG_OFFSET}",
                       "offset")
            ok = False
        elif offset % width:
            errors.add(origin, f"config field \"{name}\" at offset {offset} is not aligned "
                       f"to its width {width}", "offset")
            ok = False
        if not 1 <= count <= 255:
            errors.add(origin, f"config count {count} out of range 1..255", "count")
            ok = False
        if feature is not None:
            known = next((f for f in model.features if f.name == feature), None)
            if known is None:
                errors.add(origin, f"unknown feature \"{feature}\" (known {device} features: "
                           + _known_features(model, [dtype]) + ")", "feature", feature)
                ok = False
            elif known.type not in (0, dtype.type):
                errors.add(origin, f"feature \"{feature}\" belongs to device type "
                           f"{known.device}, not {device}", "feature", feature)
                ok = False
        clash = next((c for c in model.configs if c.device == device and c.name == name), None)
        if ok and clash is not None:
            errors.add(origin, f"duplicate config field \"{name}\" for {device} (first "
                       f"defined at {clash.origin.where('name')})", "name", name)
            ok = False
        if ok:
            model.configs.append(ConfigField(device, name, offset, width, count, feature,
                                             origin))


def _check_symbol(origin, key, value, errors):
    if _C_IDENT.match(value) and value not in _C_KEYWORDS:
        return True
    errors.add(origin, f"{key} \"{value}\" is not a valid C identifier", key, value)
    return False


def _load_plugin(source, model, errors):
    table = source.data.get("plugin")
    if table is None:
        errors.add(Origin(source), "missing [plugin] table (name, kind, ...)")
        return
    origin = Origin(source, "plugin")
    if not isinstance(table, dict):
        errors.add(Origin(source), "\"plugin\" must be a table ([plugin])", "plugin")
        return
    kind = table.get("kind")
    if not isinstance(kind, str):
        _check_table({k: v for k, v in table.items() if k in ("name", "kind")},
                     {"name": (STR, True), "kind": (STR, True)}, origin, "[plugin]", errors)
        return
    if kind not in KINDS:
        errors.add(origin, f"bad kind \"{kind}\" (expected \"device\" or \"transport\")",
                   "kind", kind)
        return
    schema = DEVICE_PLUGIN_SCHEMA if kind == "device" else TRANSPORT_PLUGIN_SCHEMA
    if not _check_table(table, schema, origin, f"[plugin] of kind \"{kind}\"", errors):
        return
    name = table["name"]
    ok = True
    if not _PLUGIN_NAME.match(name):
        errors.add(origin, f"plugin name \"{name}\" must be lowercase letters, digits, _ and -",
                   "name", name)
        ok = False
    plugin = Plugin(name, kind, origin)
    if kind == "device":
        ok &= _check_symbol(origin, "driver", table["driver"], errors)
        plugin.driver = table["driver"]
        if not table["types"]:
            errors.add(origin, "types must list at least one device type", "types")
            ok = False
        for type_name in table["types"]:
            dtype = model.type_by_name(type_name)
            if dtype is None:
                errors.add(origin, f"unknown device type \"{type_name}\" (known types: "
                           + _known_types(model) + ")", "types", type_name)
                ok = False
            elif dtype in plugin.types:
                errors.add(origin, f"device type \"{type_name}\" listed twice", "types",
                           type_name)
                ok = False
            else:
                plugin.types.append(dtype)
    else:
        ok &= _check_symbol(origin, "ops", table["ops"], errors)
        ok &= _check_symbol(origin, "discover", table["discover"], errors)
        plugin.ops, plugin.discover = table["ops"], table["discover"]
        plugin.order = table["order"]
        if not -1000000 <= plugin.order <= 1000000:
            errors.add(origin, f"order {plugin.order} out of range -1000000..1000000", "order")
            ok = False
    for feature_name in table.get("features", []):
        feature = _plugin_feature(model, plugin, feature_name, errors)
        if feature is None:
            ok = False
        elif feature in plugin.features:
            errors.add(origin, f"feature \"{feature_name}\" listed twice", "features",
                       feature_name)
            ok = False
        else:
            plugin.features.append(feature)
    if "nipbox" in source.data:
        ok &= _load_nipbox(source, plugin, errors)
    if ok:
        model.plugins.append(plugin)


def _load_nipbox(source, plugin, errors):
    """[nipbox]: the plugin's shell command sources (in its folder) and the commands they
    register; each listed command must be registered by one of them, and only those."""
    table = source.data["nipbox"]
    origin = Origin(source, "nipbox")
    if not isinstance(table, dict):
        errors.add(Origin(source), "\"nipbox\" must be a table ([nipbox])", "nipbox")
        return False
    if plugin.kind != "device":
        errors.add(origin, "[nipbox] belongs to device plugins only")
        return False
    if not _check_table(table, NIPBOX_SCHEMA, origin, "[nipbox]", errors):
        return False
    ok = True
    folder = os.path.dirname(os.path.abspath(source.path))
    registered = {}  # command -> source name
    for name in table["sources"]:
        if not _SOURCE_NAME.match(name) or ".." in name.split("/"):
            errors.add(origin, f"nipbox source \"{name}\" must be a .c file inside the plugin "
                       "folder (a relative path without ..)", "sources", name)
            ok = False
            continue
        path = os.path.join(folder, name)
        if path in plugin.shell_sources:
            errors.add(origin, f"nipbox source \"{name}\" listed twice", "sources", name)
            ok = False
            continue
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                text = handle.read()
        except OSError as exc:
            errors.add(origin, f"nipbox source \"{name}\": cannot read "
                       f"{display_path(path)}: {exc.strerror}", "sources", name)
            ok = False
            continue
        plugin.shell_sources.append(path)
        for command in _REGISTERS.findall(text):
            registered.setdefault(command, name)
    if not table["sources"]:
        errors.add(origin, "sources must list at least one .c file", "sources")
        ok = False
    listed = []
    for command in table["commands"]:
        if not _COMMAND_NAME.match(command):
            errors.add(origin, f"nipbox command \"{command}\" must be lowercase letters, "
                       "digits, _ and -", "commands", command)
            ok = False
        elif command in listed:
            errors.add(origin, f"nipbox command \"{command}\" listed twice", "commands", command)
            ok = False
        elif ok and command not in registered:
            errors.add(origin, f"nipbox command \"{command}\" is registered by none of the "
                       f"sources (no NIPBOX_COMMAND(..., \"{command}\", ...))", "commands",
                       command)
            ok = False
        listed.append(command)
        plugin.shell_commands.append((command, origin))
    for command, name in registered.items():
        if command not in listed:
            errors.add(origin, f"nipbox source \"{name}\" registers command \"{command}\", "
                       "which [nipbox] commands does not list", "sources", name)
            ok = False
    return ok


def _check_unique_commands(model, errors):
    seen = {}
    for plugin in model.devices:
        for command, origin in plugin.shell_commands:
            first = seen.setdefault(command, (plugin, origin))
            if first[0] is not plugin:
                errors.add(origin, f"nipbox command \"{command}\" is also carried by plugin "
                           f"\"{first[0].name}\" ({first[1].where('commands', command)})",
                           "commands", command)


def _plugin_feature(model, plugin, name, errors):
    feature = next((f for f in model.features if f.name == name), None)
    origin = plugin.origin
    if plugin.kind == "transport":
        if feature is None:
            errors.add(origin, f"unknown feature \"{name}\" (known transport features: "
                       + _known_features(model, []) + ")", "features", name)
            return None
        if feature.device is not None:
            errors.add(origin, f"feature \"{name}\" is a {feature.device} feature; a transport "
                       "lists only transport features", "features", name)
            return None
        return feature
    if feature is None:
        label = "/".join(t.name for t in plugin.types) or "device"
        errors.add(origin, f"unknown feature \"{name}\" (known {label} features: "
                   + _known_features(model, plugin.types) + ")", "features", name)
        return None
    if feature.device is not None and feature.type not in (t.type for t in plugin.types):
        drives = ", ".join(t.name for t in plugin.types) or "no valid type"
        errors.add(origin, f"feature \"{name}\" belongs to device type {feature.device}, but "
                   f"plugin \"{plugin.name}\" drives {drives}", "features", name)
        return None
    return feature


def _check_unique_plugins(model, errors):
    seen = {}
    symbols = {}
    for plugin in list(model.plugins):
        key = plugin.name.replace("-", "_")
        first = seen.setdefault(key, plugin)
        if first is not plugin:
            errors.add(plugin.origin, f"duplicate plugin name \"{plugin.name}\" (first defined "
                       f"at {first.origin.where('name')})", "name", plugin.name)
            model.plugins.remove(plugin)
            continue
        for key in ("driver", "ops", "discover"):
            symbol = getattr(plugin, key)
            if not symbol:
                continue
            other = symbols.setdefault(symbol, plugin)
            if other is not plugin:
                errors.add(plugin.origin, f"C symbol \"{symbol}\" already used by plugin "
                           f"\"{other.name}\" ({other.origin.where()})", key, symbol)


def _check_macros(model, errors):
    """Two entries must never produce the same macro name (e.g. odd prefixes)."""
    from .emit_c import macro_names  # local: emit_c imports this module

    seen = {}
    for macro, origin in macro_names(model):
        if macro not in seen:
            seen[macro] = origin
            continue
        first = seen[macro]
        source = first.where() if first is not None else "the generator's fixed macros"
        if origin is not None:
            errors.add(origin, f"generated macro {macro} clashes with the one from {source}")


def _known_types(model):
    return ", ".join(t.name for t in sorted(model.types, key=lambda t: t.type))


def _known_features(model, types):
    numbers = [t.type for t in types]
    device = [f.name for f in model.features if f.type in numbers and f.type != 0]
    transport = [f.name for f in model.features if f.type == 0]
    if not types:
        return ", ".join(transport) or "none"
    return (", ".join(device) or "none") + "; transport: " + ", ".join(transport)
