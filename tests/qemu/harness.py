"""QEMU test harness: boots the real kernel, drives the NipBox serial console, always cleans up.

    class MyTest(QemuTestCase):
        def test_x(self):
            g = self.boot(disk_args(img, "pci-legacy"), transports=["pci-legacy"])
            self.assertIn("hi", g.cmd("echo hi"))
            self.assertEqual(g.poweroff(), 0)

Every wait has a timeout; QEMU is killed when a test ends however it ends; when a test fails or
errors, the console log of every guest it booted is printed. Python 3 standard library only.
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tools"))

import qemu_cmd  # noqa: E402  (the one place that builds QEMU command lines)
from qemu_cmd import base_args, canonical_transport, disk_args, net_args  # noqa: E402,F401

PROMPT = "nipbox> "
KERNEL = os.environ.get("RUMPK_KERNEL", qemu_cmd.DEFAULT_KERNEL)
ALL_TRANSPORTS = ["pci-legacy", "pci-modern", "pci-transitional", "mmio-v1", "mmio-v2"]


def guest_argv(extra_args=(), transports=(), append=None, smp=1, memory="128M", argv=None):
    """The QEMU command line a Guest runs: the harness's base arguments plus `extra_args` (or a
    whole `argv`), with no option ROM on any PCI device (qemu_cmd.without_option_roms)."""
    if argv is None:
        argv = base_args(KERNEL, smp, memory, append, transports) + list(extra_args)
    return qemu_cmd.without_option_roms(argv)


class GuestError(AssertionError):
    """The guest did not do what was expected in time; the message carries the console log."""


class Guest:
    """One QEMU process with its serial console on a pipe."""

    def __init__(self, extra_args=(), transports=(), append=None, smp=1, memory="128M",
                 boot_timeout=30.0, name="guest", argv=None):
        """`argv`, when given, is a whole QEMU command line (e.g. `./rumpk run`'s) used in
        place of the harness's own base arguments plus `extra_args`."""
        self.name = name
        self.args = guest_argv(extra_args, transports, append, smp, memory, argv)
        self._buf = bytearray()
        self._lock = threading.Lock()
        self._pos = 0  # console bytes consumed by waits so far
        self.exit_status = None
        self.started = time.monotonic()
        self.proc = subprocess.Popen(self.args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, bufsize=0)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.boot_seconds = None
        self.wait_for(PROMPT, boot_timeout)
        self.boot_seconds = time.monotonic() - self.started

    def _read(self):
        while True:
            chunk = self.proc.stdout.read(4096)
            if not chunk:
                return
            with self._lock:
                self._buf += chunk

    @property
    def log(self):
        with self._lock:
            return self._buf.decode("utf-8", "replace").replace("\r", "")

    def describe(self):
        return (f"--- {self.name}: {' '.join(self.args)}\n"
                f"--- console log ({len(self._buf)} bytes):\n{self.log}\n--- end of console log")

    def wait_for(self, text, timeout=10.0):
        """Waits until `text` appears after what earlier waits consumed; returns what came
        before it (from the last consumed position). Raises GuestError on timeout or exit."""
        needle = text.encode()
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                i = self._buf.find(needle, self._pos)
                if i >= 0:
                    out = self._buf[self._pos:i].decode("utf-8", "replace")
                    self._pos = i + len(needle)
                    return out.replace("\r", "")
            if self.proc.poll() is not None:
                self._reader.join(1)
                with self._lock:
                    if self._buf.find(needle, self._pos) >= 0:
                        continue
                raise GuestError(f"QEMU exited ({self.proc.returncode}) while waiting for "
                                 f"{text!r}\n{self.describe()}")
            if time.monotonic() > deadline:
                raise GuestError(f"timed out after {timeout}s waiting for {text!r}\n"
                                 f"{self.describe()}")
            time.sleep(0.005)

    def wait_line(self, text, timeout=10.0):
        """Waits for `text` and the end of its line: for lines the kernel prints on its own
        (after the prompt), so that the next cmd() starts on a fresh line."""
        out = self.wait_for(text, timeout)
        self.wait_for("\n", 5)
        return out

    def expect_line(self, text, out, timeout=10.0):
        """A line the kernel prints on its own as a result of a command: in that command's
        output `out` already, or waited for after it."""
        if text not in out:
            self.wait_line(text, timeout)

    def drain(self):
        """Marks everything printed so far as consumed: for lines background fibers printed at
        any time, which the caller has already found in `log`."""
        with self._lock:
            self._pos = len(self._buf)

    def send(self, text):
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    def cmd(self, line, timeout=10.0):
        """Types a command, waits for the next prompt, returns the command's output (without
        the echoed command line)."""
        self.send(line + "\r")
        out = self.wait_for(PROMPT, timeout)
        first, _, rest = out.partition("\n")
        if line.strip() and line.strip() not in first:
            raise GuestError(f"command echo {line!r} not seen, got {first!r}\n{self.describe()}")
        return rest

    def wait_exit(self, timeout=10.0):
        try:
            self.exit_status = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise GuestError(f"QEMU did not exit within {timeout}s\n{self.describe()}")
        self._reader.join(2)
        return self.exit_status

    def poweroff(self, timeout=10.0):
        """Types `poweroff` and returns QEMU's exit status."""
        self.send("poweroff\r")
        return self.wait_exit(timeout)

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        self._reader.join(2)
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()
            except OSError:
                pass


class QemuTestCase(unittest.TestCase):
    """A TestCase whose guests are always killed, and whose console logs are printed when
    the test fails or errors."""

    def run(self, result=None):
        result = result if result is not None else self.defaultTestResult()
        self._guests = []
        before = len(result.failures) + len(result.errors)
        try:
            return super().run(result)
        finally:
            failed = len(result.failures) + len(result.errors) > before
            for g in self._guests:
                g.close()
                if failed:
                    print(g.describe(), file=sys.stderr)

    def boot(self, extra_args=(), **kw):
        """Boots a guest to the prompt; it is killed when the test ends."""
        try:
            g = Guest(extra_args, **kw)
        except GuestError:
            raise
        self._guests.append(g)
        return g

    def tmpdir(self):
        d = tempfile.TemporaryDirectory(prefix="rumpk-test-")
        self.addCleanup(d.cleanup)
        return d.name


class Qmp:
    """A minimal QMP client on a unix socket (for tests that act on the machine from the host: set_link, block_resize, ...)."""

    def __init__(self, path, timeout=10.0):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.settimeout(timeout)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.file = self.sock.makefile("rwb")
        self._read()  # greeting
        self.execute("qmp_capabilities")

    def _read(self):
        while True:
            msg = json.loads(self.file.readline())
            if "event" not in msg:
                return msg

    def execute(self, cmd, **args):
        self.file.write(json.dumps({"execute": cmd, "arguments": args}).encode() + b"\n")
        self.file.flush()
        reply = self._read()
        if "error" in reply:
            raise AssertionError(f"QMP {cmd}: {reply}")
        return reply["return"]

    def close(self):
        self.file.close()
        self.sock.close()


def qmp_args(path):
    """QEMU arguments for a QMP server on the unix socket `path` (connect with Qmp(path))."""
    return ["-qmp", f"unix:{path},server=on,wait=off"]


def nexfs_tool(name):
    """The path of a NexFS host tool (mkfs.nexfs, fsck.nexfs, nexfs) in build/host, which CTest
    names in NEXFS_TOOLS; a test without it fails saying so."""
    path = os.path.join(os.environ.get("NEXFS_TOOLS", ""), name)
    if not os.access(path, os.X_OK):
        raise AssertionError(f"{path} is not built (set NEXFS_TOOLS to build/host)")
    return path


def free_udp_port():
    """A UDP port on 127.0.0.1 nobody uses now (for hostfwd=udp:...)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fnv1a(data):
    """64-bit FNV-1a of bytes: the hash user programs print (blkio, nexfs hash)."""
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def make_image(path, size_bytes, fill=None):
    """Creates a raw disk image of `size_bytes`; `fill(offset, length) -> bytes` may give content."""
    with open(path, "wb") as f:
        f.truncate(size_bytes)
        if fill is not None:
            pos = 0
            while pos < size_bytes:
                n = min(1 << 20, size_bytes - pos)
                f.seek(pos)
                f.write(fill(pos, n))
                pos += n
    return path


if __name__ == "__main__":
    unittest.main()
