"""Rumpk's virtio code generator: framework/virtio.toml + plugin manifests -> C headers/tables.

tomlpos finds source lines for messages, model loads and validates, emit_c writes C text.
Nothing here touches the build tree except through gen_virtio.py's write-if-changed step.
"""
