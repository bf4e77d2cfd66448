#!/usr/bin/env python3
"""Network benchmark: Rumpk's virtio-net + IPv4 stack on QEMU's user network (slirp), per
transport. Host side of `./rumpk bench net`. Prints one JSON object per line, in the shape of
../shared/peer-bench/uboot_net.py (bench, transport, test, and min/median/max stats), so the
figures can be put beside U-Boot's from the same run.

Tests, each repeated --reps times in one booted guest per transport:
  probe          boot to the prompt and `dhcp`: address, times
  ping_loop      `netbench ping 10.0.2.2 N`: back-to-back ICMP echo round trips -> pings_per_s
  ping_loop_arp  the same with the ARP cache emptied before each ping (what U-Boot's loop does)
  udp_echo_<n>   host -> guest `udpecho` -> host, lock-step, n-byte datagrams, through
                 hostfwd=udp:127.0.0.1:P-:P -> round_trips_per_s (tools/udp_echo_client.py)
  udp_tx_<n>     guest -> host: `netbench tx 10.0.2.2 P n COUNT`; slirp delivers to
                 127.0.0.1:P, where we count -> mib_s (host received) and guest_mib_s (sent)

Traffic stays on the loopback interface and inside QEMU; nothing else is contacted.
    tools/bench/net.py [--transport T ...] [--reps 3] [--pings 5000] [--out FILE]
"""
import argparse
import json
import os
import re
import socket
import statistics
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "tests", "qemu"))

import harness  # noqa: E402
import udp_echo_client  # noqa: E402
from qemu_cmd import net_args  # noqa: E402

PING_RE = re.compile(r"netbench ping: (\d+) round trips, (\d+) lost, (\d+) us, (\d+) per s")
TX_RE = re.compile(r"netbench tx: (\d+) datagrams of (\d+) bytes, (\d+) failed, (\d+) us")


def stats(samples):
    s = sorted(samples)
    return {"min": s[0], "median": statistics.median(s), "max": s[-1], "n": len(s)}


def free_port(kind=socket.SOCK_DGRAM):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Bench:
    def __init__(self, transport, a, emit):
        self.t = transport
        self.a = a
        self.emit = emit
        self.echo_port = free_port()

    def run(self):
        t0 = time.monotonic()
        g = harness.Guest(net_args(self.t, hostfwd=[f"udp:127.0.0.1:{self.echo_port}-"
                                                     f":{self.echo_port}"]),
                          transports=[self.t], name=self.t)
        try:
            boot_s = time.monotonic() - t0
            out = g.cmd("dhcp", timeout=15)
            m = re.search(r"bound (\S+) .* in ([0-9.]+) ms", out)
            self.emit("probe", ok=bool(m), address=m[1] if m else None, boot_s=round(boot_s, 3),
                      dhcp_ms=float(m[2]) if m else None, lsdev=[
                          l for l in g.cmd("lsdev").splitlines() if l.startswith("net")])
            if not m:
                return False
            self.ping(g, "ping_loop", "")
            self.ping(g, "ping_loop_arp", " arp")
            for size in self.a.echo_sizes:
                self.udp_echo(g, size)
            for size in self.a.tx_sizes:
                self.udp_tx(g, size)
            self.emit("net_counters", output=g.cmd("net").strip().splitlines())
            g.poweroff()
            return True
        except harness.GuestError as e:
            self.emit("error", message=str(e)[:2000])
            return False
        finally:
            g.close()

    def ping(self, g, test, flag):
        n = self.a.pings
        g.cmd(f"netbench ping 10.0.2.2 {max(n // 10, 10)}{flag}", timeout=60)  # warm-up
        rates, lost = [], 0
        for _ in range(self.a.reps):
            out = g.cmd(f"netbench ping 10.0.2.2 {n}{flag}", timeout=120)
            m = PING_RE.search(out)
            if not m:
                self.emit(test, ok=False, output=out[-500:])
                return
            lost += int(m[2])
            rates.append(int(m[1]) * 1e6 / int(m[3]))
        self.emit(test, ok=lost == 0, pings=n, lost=lost, pings_per_s=stats(rates),
                  us_per_ping=stats([1e6 / r for r in rates]))

    def udp_echo(self, g, size):
        g.send(f"udpecho {self.echo_port}\r")
        g.wait_for("udpecho: listening", 10)
        try:
            udp_echo_client.run(self.echo_port, count=200, lo=size, hi=size)  # warm-up
            runs = [udp_echo_client.run(self.echo_port, seconds=self.a.seconds, lo=size, hi=size,
                                        retries=0, timeout=1.0)
                    for _ in range(self.a.reps)]
        finally:
            g.send("\x03")
            g.wait_for(harness.PROMPT, 10)
        ok = all(udp_echo_client.ok(r) for r in runs)
        self.emit(f"udp_echo_{size}", ok=ok, bytes=size,
                  round_trips_per_s=stats([r["round_trips_per_s"] for r in runs]),
                  us_per_round_trip=stats([r["rtt_us_avg"] for r in runs if "rtt_us_avg" in r]),
                  lost=sum(r["lost"] + r["mismatched"] for r in runs))

    def udp_tx(self, g, size):
        count = self.a.tx_count
        host, guest, lost = [], [], 0
        for _ in range(self.a.reps):
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
            got = {"n": 0, "bytes": 0, "first": None, "last": None}

            def receive():
                sock.settimeout(3)
                while got["n"] < count:
                    try:
                        d = sock.recv(65536)
                    except socket.timeout:
                        return
                    now = time.perf_counter()
                    got["first"] = got["first"] or now
                    got["last"] = now
                    got["n"] += 1
                    got["bytes"] += len(d)

            th = threading.Thread(target=receive, daemon=True)
            th.start()
            out = g.cmd(f"netbench tx 10.0.2.2 {port} {size} {count}", timeout=120)
            th.join(10)
            sock.close()
            m = TX_RE.search(out)
            if not m:
                self.emit(f"udp_tx_{size}", ok=False, output=out[-500:])
                return
            guest.append(int(m[1]) * size / (1 << 20) / (int(m[4]) / 1e6))
            lost += count - got["n"]
            if got["n"] > 1:
                host.append(got["bytes"] / (1 << 20) / (got["last"] - got["first"]))
        self.emit(f"udp_tx_{size}", ok=lost == 0, bytes=size, datagrams=count, lost=lost,
                  mib_s=stats(host) if host else None, guest_mib_s=stats(guest))


def main(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--transport", action="append", choices=harness.ALL_TRANSPORTS,
                   help="repeat for several (default: all five)")
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--pings", type=int, default=5000, help="round trips per ping loop")
    p.add_argument("--seconds", type=float, default=1.0, help="length of each UDP echo run")
    p.add_argument("--echo-sizes", default="64,1400")
    p.add_argument("--tx-sizes", default="1400,64")
    p.add_argument("--tx-count", type=int, default=20000, help="datagrams per guest-to-host run")
    p.add_argument("--out", help="also append the JSON lines to this file")
    a = p.parse_args(argv)
    a.echo_sizes = [int(x) for x in a.echo_sizes.split(",") if x]
    a.tx_sizes = [int(x) for x in a.tx_sizes.split(",") if x]
    if not os.path.exists(harness.KERNEL):
        p.error(f"no kernel at {harness.KERNEL} (./rumpk build, or set RUMPK_KERNEL)")
    out = open(a.out, "a") if a.out else None
    failed = False
    for t in a.transport or harness.ALL_TRANSPORTS:
        def emit(test, **kw):
            rec = {"bench": "rumpk-net", "transport": t, "test": test}
            rec.update(kw)
            line = json.dumps(rec, sort_keys=True)
            print(line, flush=True)
            if out:
                out.write(line + "\n")
                out.flush()
        failed |= not Bench(t, a, emit).run()
    if out:
        out.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
