"""Shared by test_ring_packed.py and test_ring_features.py: one boot with a disk and a NIC that
carry the same extra QEMU device flags (packed=on, indirect_desc=off, iommu_platform=on, ...),
the negotiated features checked with `lsdev`, block round trips checked on the host image
(host data read by the guest, a single sector, a multi-sector run, a 2 MiB run the Valve
splits, 32 requests in flight) and DHCP + ping + 200 UDP echoes over the NIC."""
import json
import os
import re
import subprocess
import sys

from harness import PROMPT, disk_args, make_image
from test_blk_transports import SECTOR, pattern_bytes, read_at, write_at
from test_net_udp import CLIENT, free_udp_port

import qemu_cmd

IMAGE_BYTES = 32 << 20
INFLIGHT_LBA = 60000  # `blk inflight blk0 32 60000`: 32 x 4 KiB, one every 8 KiB


def lsdev_line(out, name):
    line = next((l for l in out.splitlines() if l.startswith(name + " ")), None)
    if line is None:
        raise AssertionError(f"{name} missing from lsdev:\n{out}")
    return line


def check_feature_set(test, line, want, refuse):
    feats = line.split()
    for f in want:
        test.assertIn(f, feats, line)
    for f in refuse:
        test.assertNotIn(f, feats, line)


def blk_round_trips(test, g, img):
    total = IMAGE_BYTES // SECTOR
    out = g.cmd("dd read 777")
    test.assertIn("blk0 sector 777: 68 6f 73 74", out)  # "host"
    out = g.cmd("blk pattern verify blk0 40000 16 99", timeout=30)
    test.assertIn("verified 16 sectors", out)
    runs = [(0, 1, 11), (total - 1, 1, 12), (3001, 37, 14), (20000, 4096, 15)]
    for lba, count, seed in runs:
        out = g.cmd(f"blk pattern write blk0 {lba} {count} {seed}", timeout=30)
        test.assertIn(f"wrote {count} sectors at {lba}", out)
    for lba, count, seed in runs:
        out = g.cmd(f"blk pattern verify blk0 {lba} {count} {seed}", timeout=30)
        test.assertIn(f"verified {count} sectors", out)
    out = g.cmd(f"blk inflight blk0 32 {INFLIGHT_LBA}", timeout=30)
    m = re.search(r"outstanding at once: writes=(\d+) reads=(\d+), verified=32", out)
    test.assertIsNotNone(m, out)
    test.assertEqual((int(m[1]), int(m[2])), (32, 32), out)
    out = g.cmd("blk flush blk0")
    test.assertIn("flushed", out)
    return runs


def check_image(test, img, runs):
    for lba, count, seed in runs:
        test.assertEqual(read_at(img, lba * SECTOR, count * SECTOR),
                         pattern_bytes(seed, lba * SECTOR, count * SECTOR),
                         f"pattern {seed} at sector {lba}")
    for i in range(32):
        lba = INFLIGHT_LBA + i * 16
        test.assertEqual(read_at(img, lba * SECTOR, 4096),
                         pattern_bytes(0x1F11 + i, lba * SECTOR, 4096),
                         f"blk inflight request {i} at sector {lba}")
        test.assertEqual(read_at(img, (lba + 8) * SECTOR, 4096), bytes(4096),
                         f"gap after blk inflight request {i}")


def net_round_trips(test, g, port, count=200):
    out = g.cmd("dhcp", timeout=15)
    test.assertIn("bound 10.0.2.15/24", out)
    out = g.cmd("ping 10.0.2.2 4", timeout=15)
    test.assertRegex(out, r"4 sent, 4 received, 0% loss")
    g.send(f"udpecho {port} {count}\r")
    g.wait_for(f"udpecho: listening on 10.0.2.15:{port}", 10)
    r = subprocess.run([sys.executable, CLIENT, "--port", str(port), "--count", str(count),
                        "--min", "1", "--max", "1400", "--retries", "0"],
                       capture_output=True, text=True, timeout=60)
    out = g.wait_for(PROMPT, 20)
    test.assertEqual(r.returncode, 0, r.stdout + r.stderr)
    stats = json.loads(r.stdout.strip().splitlines()[-1])
    test.assertEqual((stats["echoed"], stats["mismatched"]), (count, 0), stats)
    test.assertIn(f"udpecho: echoed {count} datagrams", out)


def boot_blk_net(test, transport, extra, append=None, net=True):
    """Boots with a fresh image (host data at sectors 777 and 40000) and, when `net`, a NIC
    with a UDP port forwarded; both devices get `extra`. Returns (guest, image, port)."""
    img = os.path.join(test.tmpdir(), f"{transport}.img")
    make_image(img, IMAGE_BYTES)
    write_at(img, 777 * SECTOR, b"host data")
    write_at(img, 40000 * SECTOR, pattern_bytes(99, 40000 * SECTOR, 16 * SECTOR))
    args = disk_args(img, transport, extra=extra)
    port = None
    if net:
        port = free_udp_port()
        args += ["-netdev", f"user,id=n0,hostfwd=udp:127.0.0.1:{port}-:{port}"]
        args += qemu_cmd.device_args("net", transport, "n0", extra)
    g = test.boot(args, transports=[transport], append=append)
    return g, img, port


def full_run(test, transport, extra, want, refuse, append=None, net=True):
    """Boot, lsdev features on blk0 (and net0), block and network round trips, poweroff, then
    the host image checked."""
    g, img, port = boot_blk_net(test, transport, extra, append, net)
    out = g.cmd("lsdev")
    check_feature_set(test, lsdev_line(out, "blk0"), want, refuse)
    if net:
        check_feature_set(test, lsdev_line(out, "net0"),
                          [f for f in want if f != "RING_INDIRECT_DESC"], refuse)
    runs = blk_round_trips(test, g, img)
    if net:
        net_round_trips(test, g, port)
    test.assertEqual(g.poweroff(), 0)
    check_image(test, img, runs)
