#!/usr/bin/env python3
"""qemu-system-riscv64 with the options of `./rumpk run --fast` added (tools/qemu_cmd.py
fast_args: virtio-blk PCI disks on an iothread with request-merging=off, other virtio PCI
devices with ioeventfd=off, what a -device sets itself kept), for the peer benchmarks, which
cannot be edited but take their QEMU binary from the environment:

    QEMU=tools/bench/qemu_fast.py python3 ../shared/peer-bench/uboot_blk.py --transport pci-modern
    QEMU=tools/bench/qemu_fast.py python3 ../shared/peer-bench/linux_blk.py --transport pci-modern

The real binary is $RUMPK_REAL_QEMU (default qemu-system-riscv64 on PATH); this process becomes
it (exec: same pid, same stdio), so U-Boot's and Linux's guests run on exactly the flags
`./rumpk bench blk --fast` gives Rumpk. `./rumpk bench compare --fast` sets this up itself.
"""
import os
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
import qemu_cmd  # noqa: E402


def main(argv):
    real = os.environ.get("RUMPK_REAL_QEMU", qemu_cmd.QEMU)
    path = shutil.which(real)
    if not path:
        print("qemu_fast: %s not found (Debian package qemu-system-misc)" % real,
              file=sys.stderr)
        return 127
    os.execv(path, [path] + qemu_cmd.fast_args(argv))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
