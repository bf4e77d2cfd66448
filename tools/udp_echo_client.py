#!/usr/bin/env python3
"""Host side of the guest's `udpecho`: sends UDP datagrams to 127.0.0.1:PORT (QEMU forwards them
to the guest with hostfwd=udp:127.0.0.1:PORT-:PORT) one at a time, waits for each echo and checks
it byte for byte. Loopback only. Python 3 standard library only.

    udp_echo_client.py --port 5555 --count 1000 --min 1 --max 1400      # correctness
    udp_echo_client.py --port 5555 --seconds 2 --min 64 --max 64        # round trips per second

Prints one JSON line: sent, echoed, mismatched, retransmits, lost, seconds, round_trips_per_s,
rtt_us_min/avg/max. Exit status 0 only when every datagram came back identical.
"""
import argparse
import json
import random
import socket
import sys
import time

HOST = "127.0.0.1"


def sizes(count, lo, hi):
    """count sizes spread evenly over lo..hi, both ends included, in a shuffled order."""
    if count == 1:
        return [lo]
    out = [lo + (hi - lo) * i // (count - 1) for i in range(count)]
    random.Random(count * 7919 + lo).shuffle(out)
    return out


def payload(rng, n, seq):
    """n bytes: a 4-byte sequence number (when it fits) then pseudo-random bytes."""
    body = rng.randbytes(n)
    if n >= 4:
        body = seq.to_bytes(4, "big") + body[4:]
    return body


def echo_once(sock, data, timeout, retries):
    """Sends data until its echo arrives (at most retries resends). Returns (reply, resends,
    rtt seconds of the successful try) or (None, resends, None)."""
    resends = 0
    while True:
        t0 = time.perf_counter()
        sock.sendto(data, (HOST, sock.target_port))
        deadline = t0 + timeout
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                break
            sock.settimeout(left)
            try:
                reply, addr = sock.recvfrom(65536)
            except socket.timeout:
                break
            if addr[1] != sock.target_port:
                continue
            # A late echo of an earlier try of another datagram is not this one's answer.
            if len(data) >= 4 and (len(reply) < 4 or reply[:4] != data[:4]):
                continue
            return reply, resends, time.perf_counter() - t0
        if resends >= retries:
            return None, resends, None
        resends += 1


class _Sock(socket.socket):
    target_port = 0


def run(port, count=None, seconds=None, lo=1, hi=1400, timeout=2.0, retries=2, seed=1):
    """Lock-step echo: `count` datagrams of sizes lo..hi, or as many as fit in `seconds`."""
    rng = random.Random(seed)
    sock = _Sock(socket.AF_INET, socket.SOCK_DGRAM)
    sock.target_port = port
    sock.bind((HOST, 0))
    plan = sizes(count, lo, hi) if count else None
    stats = {"port": port, "sent": 0, "echoed": 0, "mismatched": 0, "retransmits": 0, "lost": 0,
             "bytes": 0}
    rtts = []
    if plan is None:
        # Timed runs reuse a few payloads so that Python's byte generation does not dominate.
        pool = [payload(rng, rng.randint(lo, hi), 0) for _ in range(64)]
    start = time.perf_counter()
    seq = 0
    try:
        while True:
            if plan is not None:
                if seq >= len(plan):
                    break
                data = payload(rng, plan[seq], seq)
            else:
                if time.perf_counter() - start >= seconds:
                    break
                data = pool[seq % len(pool)]
                if len(data) >= 4:
                    data = seq.to_bytes(4, "big") + data[4:]
            reply, resends, rtt = echo_once(sock, data, timeout, retries)
            stats["sent"] += 1
            stats["retransmits"] += resends
            if reply is None:
                stats["lost"] += 1
            elif reply != data:
                stats["mismatched"] += 1
            else:
                stats["echoed"] += 1
                stats["bytes"] += len(data)
                rtts.append(rtt)
            seq += 1
    finally:
        sock.close()
    elapsed = time.perf_counter() - start
    stats["seconds"] = round(elapsed, 4)
    stats["round_trips_per_s"] = round(stats["echoed"] / elapsed, 1) if elapsed > 0 else 0.0
    if rtts:
        stats["rtt_us_min"] = round(min(rtts) * 1e6, 1)
        stats["rtt_us_avg"] = round(sum(rtts) / len(rtts) * 1e6, 1)
        stats["rtt_us_max"] = round(max(rtts) * 1e6, 1)
    return stats


def ok(stats):
    return stats["echoed"] == stats["sent"] and not stats["mismatched"] and not stats["lost"]


def main(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--port", type=int, required=True)
    g = p.add_mutually_exclusive_group()
    g.add_argument("--count", type=int, help="datagrams to send (default 1000)")
    g.add_argument("--seconds", type=float, help="send for this long instead of a count")
    p.add_argument("--min", type=int, default=1, help="smallest datagram (bytes)")
    p.add_argument("--max", type=int, default=1400, help="largest datagram (bytes)")
    p.add_argument("--timeout", type=float, default=2.0, help="seconds to wait for each echo")
    p.add_argument("--retries", type=int, default=2, help="resends before a datagram is lost")
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args(argv)
    if not 1 <= a.min <= a.max <= 1472:
        p.error("need 1 <= --min <= --max <= 1472")
    count = a.count if a.count or a.seconds else 1000
    stats = run(a.port, count=count if not a.seconds else None, seconds=a.seconds, lo=a.min,
                hi=a.max, timeout=a.timeout, retries=a.retries, seed=a.seed)
    print(json.dumps(stats), flush=True)
    return 0 if ok(stats) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
