#!/usr/bin/env python3
"""The one place that knows how Rumpk is booted: builds QEMU command lines.

Used by `./rumpk run`, `./rumpk gdb`, the QEMU test harness and the benchmarks, so every
path boots the same machine. Python 3 standard library only.
"""
import argparse
import os
import shlex
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_KERNEL = os.path.join(ROOT, "build", "riscv64", "rumpk.elf")
QEMU = "qemu-system-riscv64"

# Transport name -> how a virtio device of that kind is attached.
TRANSPORTS = {
    "pci-legacy": ("pci", ",disable-modern=on"),
    "pci-modern": ("pci", ",disable-legacy=on"),
    "pci-transitional": ("pci", ""),
    "mmio-v1": ("mmio", ""),
    "mmio-v2": ("mmio", ""),
}
ALIASES = {"mmio": "mmio-v2", "mmio-legacy": "mmio-v1", "pci": "pci-transitional"}

# PCI devices that QEMU gives an option ROM by default (the NICs: efi-virtio.rom for virtio-net,
# shipped by Debian's ipxe-qemu, a mere recommendation of qemu-system-misc). Rumpk never runs a
# ROM, so no line it builds may need one: every PCI device gets an empty `romfile=`.
PCI_NIC_MODELS = ("e1000", "e1000e", "rtl8139", "ne2k_pci", "pcnet", "i82550", "i82551",
                  "i82557a", "i82557b", "i82557c", "i82558a", "i82558b", "i82559a", "i82559b",
                  "i82559c", "i82559er", "i82562", "i82801", "vmxnet3", "tulip")


def canonical_transport(name):
    name = ALIASES.get(name, name)
    if name not in TRANSPORTS:
        raise ValueError(f"unknown transport {name!r}; one of: "
                         + ", ".join(sorted(TRANSPORTS) + sorted(ALIASES)))
    return name


def device_args(kind, transport, ident, extra=""):
    """-device flags for a 'blk' or 'net' device with backend id `ident` on `transport`."""
    transport = canonical_transport(transport)
    bus, flag = TRANSPORTS[transport]
    model = {"blk": "virtio-blk", "net": "virtio-net"}[kind]
    backend = "drive" if kind == "blk" else "netdev"
    suffix = "-pci" if bus == "pci" else "-device"
    return ["-device", f"{model}{suffix},{backend}={ident}{flag}{extra}"]


def disk_args(path, transport, ident="hd0", readonly=False, fmt="raw", extra="",
              drive_extra=""):
    ro = ",readonly=on" if readonly else ""
    drive = f"if=none,format={fmt},file={path},id={ident}{ro}{drive_extra}"
    return ["-drive", drive] + device_args("blk", transport, ident, extra)


def net_args(transport, ident="n0", hostfwd=None):
    netdev = f"user,id={ident}"
    for fwd in hostfwd or []:
        netdev += f",hostfwd={fwd}"
    return ["-netdev", netdev] + device_args("net", transport, ident)


def console_args(transport, chardev="con0", ports=(), extra=""):
    """A virtio-serial controller on `transport` (id vser0) with one virtconsole on chardev
    `chardev` (the guest's hvc0, port 0) and a virtserialport per (chardev id, name) in
    `ports`. The chardevs themselves are the caller's."""
    transport = canonical_transport(transport)
    bus, flag = TRANSPORTS[transport]
    suffix = "-pci" if bus == "pci" else "-device"
    args = ["-device", f"virtio-serial{suffix},id=vser0{flag}{extra}",
            "-device", f"virtconsole,chardev={chardev},bus=vser0.0,nr=0"]
    for ident, name in ports:
        args += ["-device", f"virtserialport,chardev={ident},name={name},bus=vser0.0"]
    return args


def virtio_console_args(transport, uart_log, interactive=True):
    """The console on virtio (./rumpk run --console virtio): stdio goes to a virtconsole (hvc0),
    the UART's output (the boot log up to the switch) to the file `uart_log`, and the kernel is
    told console=hvc0 (see with_append). Interactive: Ctrl-A X still quits (a mux chardev) and
    Ctrl-C reaches the guest."""
    chardev = "stdio,id=con0,signal=off" + (",mux=on" if interactive else "")
    return ["-chardev", chardev] + console_args(transport)


def with_append(args, more):
    """`args` with `more` added to the kernel command line (-append), created when missing."""
    out = list(args)
    if "-append" in out:
        i = out.index("-append") + 1
        out[i] = f"{out[i]} {more}".strip()
    else:
        out += ["-append", more]
    return out


def serial_to(args, target):
    """`args` with the UART sent to `target` (a QEMU chardev spec such as file:PATH) instead of
    stdio, and no monitor on stdio."""
    out = list(args)
    i = out.index("-serial") + 1
    out[i] = target
    if "-monitor" not in out:
        out += ["-monitor", "none"]
    return out


# `--fast` (./rumpk run, the block benchmarks, the peers through tools/bench/qemu_fast.py): QEMU
# options for TCG on a small host (docs/qemu-profile.md, "An iothread for the PCI disks").
# A virtio-blk PCI disk gets its own iothread (FAST_IOTHREAD_OBJECT): QEMU's event loop there
# polls the queue and the completions for a while (adaptive, up to 32 us) before it sleeps,
# so a request rarely waits for a sleeping host CPU to wake. 4 KiB reads at QD1 ran about
# twice as fast while the host was quick, less while it was slow (requests then outlast the
# polling); QD32 is slower than with ioeventfd=off (the completion interrupt still goes
# through the main loop). It also gets request-merging=off: QEMU would otherwise join the
# sequential 1 MiB requests of a batch into one large read for one I/O thread. Other virtio
# PCI devices get ioeventfd=off (a notify is served on the vCPU's own thread instead of QEMU's
# main loop). MMIO gets nothing: without KVM, virtio-mmio never uses ioeventfd (QEMU refuses
# iothread= on it for that reason), and request-merging=off measured no gain there.
FAST_IOTHREAD = "rumpk-io0"
# poll-shrink=2: after a wait longer than its window the iothread halves its polling time
# instead of dropping it (QEMU's default), so one slow request does not end the polling.
FAST_IOTHREAD_OBJECT = "iothread,id=" + FAST_IOTHREAD + ",poll-shrink=2"
FAST_BLK_PCI_PROPS = ("iothread=" + FAST_IOTHREAD, "request-merging=off")
FAST_PCI_PROPS = ("ioeventfd=off",)


def fast_props(transport):
    """The block device options --fast adds on `transport` (empty for MMIO)."""
    bus, _ = TRANSPORTS[canonical_transport(transport)]
    return list(FAST_BLK_PCI_PROPS) if bus == "pci" else []


def add_device_props(args, props_for):
    """Returns `args` with the options ("name=value") that props_for(driver, given) lists added
    to each -device, `given` being the option names that -device sets itself: a value the
    caller typed is never replaced."""
    out = list(args)
    for i in range(len(out) - 1):
        if out[i] != "-device":
            continue
        driver, _, rest = out[i + 1].partition(",")
        given = {p.partition("=")[0] for p in rest.split(",") if p}
        for prop in props_for(driver, given):
            if prop.partition("=")[0] not in given:
                out[i + 1] += "," + prop
    return out


def fast_device_props(driver, given):
    """The --fast options for one -device: FAST_BLK_PCI_PROPS on a virtio-blk-pci disk (no
    iothread where the caller set ioeventfd: QEMU runs an iothread only on an ioeventfd),
    FAST_PCI_PROPS on any other virtio PCI device, nothing elsewhere."""
    if driver == "virtio-blk-pci":
        return [p for p in FAST_BLK_PCI_PROPS
                if not (p.startswith("iothread=") and "ioeventfd" in given)]
    if driver.startswith("virtio-") and driver.endswith("-pci"):
        return list(FAST_PCI_PROPS)
    return []


def fast_args(args):
    """Returns `args` with the --fast options on each -device (fast_device_props), and the
    iothread object when a disk was given that iothread here."""
    def on_our_iothread(a):
        return sum(v.split(",").count(FAST_BLK_PCI_PROPS[0]) for v in a)

    out = add_device_props(args, fast_device_props)
    if on_our_iothread(out) > on_our_iothread(args):
        out += ["-object", FAST_IOTHREAD_OBJECT]
    return out


def is_pci_device(driver):
    """True for a QEMU -device driver that sits on a PCI bus and may carry an option ROM."""
    return "-pci" in driver or driver in PCI_NIC_MODELS or driver.startswith(("pcie-", "pci-"))


def without_option_roms(args):
    """Returns `args` with `romfile=` added to every PCI -device that does not name one, so
    QEMU neither looks for nor maps an option ROM (see PCI_NIC_MODELS). Every QEMU line the
    project starts passes through here: qemu_cmd's own, the test harness's, the benchmarks'."""
    return add_device_props(args, lambda driver, _: ["romfile="] if is_pci_device(driver) else [])


def base_args(kernel=None, smp=1, memory="128M", append=None, transports=(),
              interactive=False, no_reboot=None):
    """Machine, firmware, kernel and console. The console is the serial port on stdio; an
    interactive console also carries QEMU's monitor (Ctrl-A C) and passes Ctrl-C to the guest.
    `no_reboot` (default: not interactive) makes a guest reset end QEMU instead: tests want
    that, so a kernel that resets by accident fails instead of booting again; a person at
    `./rumpk run` wants `reboot` to reboot."""
    console = ["-serial", "mon:stdio"] if interactive else ["-serial", "stdio", "-monitor", "none"]
    args = [QEMU, "-machine", "virt", "-bios", "default", "-m", memory, "-smp", str(smp),
            "-kernel", kernel or DEFAULT_KERNEL, "-display", "none"] + console
    if no_reboot if no_reboot is not None else not interactive:
        args += ["-no-reboot"]
    if append:
        args += ["-append", append]
    if any(canonical_transport(t) == "mmio-v2" for t in transports):
        args += ["-global", "virtio-mmio.force-legacy=false"]
    return args


def seed_args(disk, kernel=None, smp=1, interactive=False):
    """The seed's configuration: legacy virtio-blk-pci and legacy virtio-net-pci."""
    return (base_args(kernel, smp, transports=["pci-legacy"], interactive=interactive)
            + disk_args(disk, "pci-legacy") + net_args("pci-legacy"))


def main(argv):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--transport")
    p.add_argument("--net", action="store_true")
    p.add_argument("--disk", default=os.path.join(ROOT, "build", "storage.img"))
    p.add_argument("--files", help="a second disk, NexFS (blk1): mounted at boot as vfs0")
    p.add_argument("--smp", type=int, default=1)
    p.add_argument("--kernel", default=DEFAULT_KERNEL)
    p.add_argument("--append")
    p.add_argument("--console", choices=["uart", "virtio"], default="uart",
                   help="virtio: NipBox on a virtconsole (hvc0) on stdio; the UART's boot log "
                   "goes to --uart-log")
    p.add_argument("--uart-log", default=os.path.join(ROOT, "build", "uart.log"))
    p.add_argument("--gdb", action="store_true", help="add -s -S (wait for gdb on :1234)")
    p.add_argument("--fast", action="store_true",
                   help="QEMU options measured to be faster under TCG (fast_args)")
    a = p.parse_args(argv)
    if a.transport is None:
        args = seed_args(a.disk, a.kernel, a.smp, interactive=True)
        if a.files:
            args += disk_args(a.files, "pci-legacy", "hd1")
        if a.append:
            args += ["-append", a.append]
    else:
        t = canonical_transport(a.transport)
        args = base_args(a.kernel, a.smp, append=a.append, transports=[t], interactive=True)
        args += disk_args(a.disk, t)
        if a.files:
            args += disk_args(a.files, t, "hd1")
        if a.net:
            args += net_args(t)
    if a.console == "virtio":
        args = serial_to(args, "file:" + a.uart_log)
        args += virtio_console_args(a.transport or "pci-legacy", a.uart_log)
        args = with_append(args, "console=hvc0")
    if a.gdb:
        args += ["-s", "-S"]
    if a.fast:
        args = fast_args(args)
    print(shlex.join(without_option_roms(args)))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except ValueError as e:
        print(f"qemu_cmd: {e}", file=sys.stderr)
        sys.exit(2)
