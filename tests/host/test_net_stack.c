/* Host tests for the IPv4 stack over a recording fake interface: ARP (requests, replies,
 * gleaning, queueing, retries, expiry), ICMP echo both ways, UDP sockets, and malformed
 * packets of every layer dropped and counted. Runs under ASan+UBSan. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "net/arp.h"
#include "net/icmp.h"
#include "net/net.h"
#include "net/udp.h"
#include "sim.h"
#include "test_net_frames.h"

#define OUR_IP  NET_IP(10, 0, 2, 15)
#define PEER_IP NET_IP(10, 0, 2, 2)
#define MASK24  NET_IP(255, 255, 255, 0)

static struct tnet_if t;
static uint8_t f[2048];

static int setup(void **state)
{
    (void)state;
    tnet_setup(&t);
    assert_int_equal(net_configure(&t.nif, OUR_IP, MASK24, PEER_IP), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tnet_teardown();
    return 0;
}

static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

/* Teach the stack the peer's MAC with a request from it. */
static void learn_peer(void)
{
    static const uint8_t zero[6];
    size_t n = tnet_arp(f, bcast, 1, tnet_peer_mac, PEER_IP, zero, OUR_IP);
    tnet_rx(&t, f, n);
}

static void test_arp_reply_to_request(void **state)
{
    (void)state;
    static const uint8_t zero[6];
    size_t n = tnet_arp(f, bcast, 1, tnet_peer_mac, PEER_IP, zero, OUR_IP);
    tnet_rx(&t, f, n);
    assert_int_equal(t.n, 1);
    const uint8_t *r = t.frame[0];
    assert_memory_equal(r, tnet_peer_mac, 6);
    assert_memory_equal(r + 6, tnet_our_mac, 6);
    assert_int_equal(tnet_get16(r + 12), 0x0806);
    assert_int_equal(tnet_get16(r + 14 + 6), 2);
    assert_memory_equal(r + 14 + 8, tnet_our_mac, 6);
    assert_int_equal(tnet_get32(r + 14 + 14), OUR_IP);
    assert_memory_equal(r + 14 + 18, tnet_peer_mac, 6);
    assert_int_equal(tnet_get32(r + 14 + 24), PEER_IP);
    /* The requester was learnt. */
    uint8_t mac[6];
    assert_int_equal(arp_lookup(&t.nif, PEER_IP, mac), 0);
    assert_memory_equal(mac, tnet_peer_mac, 6);
    assert_int_equal(net_counters()->arp_replies_out, 1);
}

static void test_arp_request_for_other_ignored(void **state)
{
    (void)state;
    static const uint8_t zero[6];
    size_t n = tnet_arp(f, bcast, 1, tnet_peer_mac, PEER_IP, zero, NET_IP(10, 0, 2, 99));
    tnet_rx(&t, f, n);
    assert_int_equal(t.n, 0);
    assert_int_equal(arp_lookup(&t.nif, PEER_IP, NULL), -ENOENT);
}

static void test_arp_malformed(void **state)
{
    (void)state;
    static const uint8_t zero[6];
    uint8_t g[64];
    size_t n = tnet_arp(f, bcast, 1, tnet_peer_mac, PEER_IP, zero, OUR_IP);
    /* Wrong hardware type, protocol, lengths, opcode, multicast sender, broadcast sender IP,
     * and truncated. */
    const struct {
        size_t off;
        uint8_t val;
    } breaks[] = {{15, 6}, {16, 0x86}, {18, 4}, {19, 16}, {21, 9}, {22, 0x01}, {28, 255}};
    for (size_t i = 0; i < sizeof breaks / sizeof breaks[0]; i++) {
        memcpy(g, f, n);
        g[breaks[i].off] = breaks[i].val;
        if (breaks[i].off == 28)
            memset(g + 28, 0xff, 4);
        tnet_rx(&t, g, n);
    }
    tnet_rx(&t, f, 14 + 27);
    assert_int_equal(t.n, 0);
    assert_int_equal(net_counters()->arp_bad, 8);
    assert_int_equal(arp_lookup(&t.nif, PEER_IP, NULL), -ENOENT);
}

static void test_arp_resolves_then_sends(void **state)
{
    (void)state;
    int s = udp_socket();
    assert_true(s >= 0);
    assert_int_equal(udp_sendto(s, "hello", 5, PEER_IP, 7777), 5);
    /* Only the ARP request left so far. */
    assert_int_equal(t.n, 1);
    assert_memory_equal(t.frame[0], bcast, 6);
    assert_int_equal(tnet_get16(t.frame[0] + 12), 0x0806);
    assert_int_equal(tnet_get16(t.frame[0] + 20), 1);
    assert_int_equal(tnet_get32(t.frame[0] + 38), PEER_IP);
    size_t n = tnet_arp(f, tnet_our_mac, 2, tnet_peer_mac, PEER_IP, tnet_our_mac, OUR_IP);
    tnet_rx(&t, f, n);
    assert_int_equal(t.n, 2);
    const uint8_t *u = t.frame[1];
    assert_null(tnet_check_ip(u, t.len[1]));
    assert_memory_equal(u, tnet_peer_mac, 6);
    assert_int_equal(tnet_get32(u + 26), OUR_IP);
    assert_int_equal(tnet_get32(u + 30), PEER_IP);
    assert_int_equal(tnet_get16(u + 36), 7777);
    assert_memory_equal(u + 42, "hello", 5);
    /* Now cached: the next datagram goes straight out. */
    assert_int_equal(udp_sendto(s, "again", 5, PEER_IP, 7777), 5);
    assert_int_equal(t.n, 3);
    assert_null(tnet_check_ip(t.frame[2], t.len[2]));
    /* Off-subnet destinations go to the gateway's MAC. */
    assert_int_equal(udp_sendto(s, "far", 3, NET_IP(192, 0, 2, 1), 53), 3);
    assert_int_equal(t.n, 4);
    assert_memory_equal(t.frame[3], tnet_peer_mac, 6);
    assert_int_equal(tnet_get32(t.frame[3] + 30), NET_IP(192, 0, 2, 1));
    udp_close(s);
}

static void test_arp_retry_then_fail(void **state)
{
    (void)state;
    int s = udp_socket();
    assert_int_equal(udp_sendto(s, "x", 1, NET_IP(10, 0, 2, 77), 9), 1);
    assert_int_equal(t.n, 1);
    for (int i = 0; i < 10; i++) {
        os_host_advance_clock(ARP_RETRY_NS);
        net_poll();
    }
    /* ARP_RETRIES requests in all, then the queued datagram is dropped. */
    assert_int_equal(t.n, ARP_RETRIES);
    for (unsigned i = 0; i < t.n; i++)
        assert_int_equal(tnet_get16(t.frame[i] + 12), 0x0806);
    assert_int_equal(net_counters()->arp_failed, 1);
    /* A late reply sends nothing: the queued frame is gone. */
    size_t n =
        tnet_arp(f, tnet_our_mac, 2, tnet_peer_mac, NET_IP(10, 0, 2, 77), tnet_our_mac, OUR_IP);
    tnet_rx(&t, f, n);
    assert_int_equal(t.n, ARP_RETRIES);
    udp_close(s);
}

static void test_arp_pending_limit(void **state)
{
    (void)state;
    int s = udp_socket();
    for (int i = 0; i < ARP_PENDING_MAX; i++)
        assert_int_equal(udp_sendto(s, "q", 1, PEER_IP, 9), 1);
    assert_int_equal(udp_sendto(s, "q", 1, PEER_IP, 9), -ENOBUFS);
    assert_int_equal(net_counters()->arp_pending_full, 1);
    assert_int_equal(t.n, 1); /* one request, not one per datagram */
    size_t n = tnet_arp(f, tnet_our_mac, 2, tnet_peer_mac, PEER_IP, tnet_our_mac, OUR_IP);
    tnet_rx(&t, f, n);
    assert_int_equal(t.n, 1 + ARP_PENDING_MAX);
    udp_close(s);
}

static void test_arp_expiry(void **state)
{
    (void)state;
    arp_set_ttl(5 * NET_S);
    learn_peer();
    assert_int_equal(arp_lookup(&t.nif, PEER_IP, NULL), 0);
    struct arp_info info[4];
    assert_int_equal(arp_list(info, 4), 1);
    assert_true(info[0].resolved);
    os_host_advance_clock(4 * NET_S);
    net_poll();
    assert_int_equal(arp_lookup(&t.nif, PEER_IP, NULL), 0);
    os_host_advance_clock(2 * NET_S);
    net_poll();
    assert_int_equal(arp_lookup(&t.nif, PEER_IP, NULL), -ENOENT);
    assert_int_equal(arp_list(info, 4), 0);
    /* Sending again starts a new resolution. */
    unsigned before = t.n;
    int s = udp_socket();
    assert_int_equal(udp_sendto(s, "x", 1, PEER_IP, 9), 1);
    assert_int_equal(t.n, before + 1);
    assert_int_equal(tnet_get16(t.frame[before] + 12), 0x0806);
    udp_close(s);
}

static void test_arp_cache_eviction(void **state)
{
    (void)state;
    for (unsigned i = 0; i < ARP_CACHE_SIZE + 4; i++) {
        uint8_t mac[6] = {0x02, 0, 0, 0, 0, (uint8_t)i};
        static const uint8_t zero[6];
        size_t n = tnet_arp(f, bcast, 1, mac, NET_IP(10, 0, 2, 100 + i), zero, OUR_IP);
        tnet_rx(&t, f, n);
        os_host_advance_clock(NET_MS);
    }
    struct arp_info info[ARP_CACHE_SIZE + 4];
    assert_int_equal(arp_list(info, ARP_CACHE_SIZE + 4), ARP_CACHE_SIZE);
    /* The oldest went, the newest stayed. */
    assert_int_equal(arp_lookup(&t.nif, NET_IP(10, 0, 2, 100), NULL), -ENOENT);
    assert_int_equal(arp_lookup(&t.nif, NET_IP(10, 0, 2, 100 + ARP_CACHE_SIZE + 3), NULL), 0);
}

static void test_icmp_echo_reply(void **state)
{
    (void)state;
    learn_peer();
    t.n = 0;
    uint8_t payload[100];
    for (int i = 0; i < 100; i++)
        payload[i] = (uint8_t)(i * 3);
    size_t n = tnet_icmp(f, tnet_our_mac, PEER_IP, OUR_IP, 8, 0x77, 5, payload, 100);
    tnet_rx(&t, f, n);
    assert_int_equal(t.n, 1);
    const uint8_t *r = t.frame[0];
    assert_null(tnet_check_ip(r, t.len[0]));
    assert_int_equal(tnet_get32(r + 26), OUR_IP);
    assert_int_equal(tnet_get32(r + 30), PEER_IP);
    assert_int_equal(r[34], 0);
    assert_int_equal(tnet_get16(r + 38), 0x77);
    assert_int_equal(tnet_get16(r + 40), 5);
    assert_memory_equal(r + 42, payload, 100);
    assert_int_equal(net_counters()->icmp_echo_out, 1);
    /* Broadcast pings are not answered. */
    n = tnet_icmp(f, bcast, PEER_IP, NET_IP(10, 0, 2, 255), 8, 1, 1, payload, 8);
    tnet_rx(&t, f, n);
    n = tnet_icmp(f, bcast, PEER_IP, NET_IP_BROADCAST, 8, 1, 1, payload, 8);
    tnet_rx(&t, f, n);
    assert_int_equal(t.n, 1);
    assert_int_equal(net_counters()->icmp_echo_in, 3);
}

/* A peer that answers ARP for PEER_IP and echo requests to it, after `delay` of fake time. */
static void peer_responder(struct tnet_if *ti, const uint8_t *fr, size_t len)
{
    static uint8_t out[2048];
    if (len < 42)
        return;
    if (tnet_get16(fr + 12) == 0x0806 && tnet_get16(fr + 20) == 1 &&
        tnet_get32(fr + 38) == PEER_IP) {
        size_t n = tnet_arp(out, tnet_our_mac, 2, tnet_peer_mac, PEER_IP, tnet_our_mac, OUR_IP);
        net_input(&ti->nif, out, n);
    } else if (tnet_get16(fr + 12) == 0x0800 && fr[23] == 1 && fr[34] == 8) {
        size_t l4 = tnet_get16(fr + 16) - 20;
        os_host_advance_clock(3 * NET_MS);
        size_t n = tnet_icmp(out, tnet_our_mac, tnet_get32(fr + 30), tnet_get32(fr + 26), 0,
                             tnet_get16(fr + 38), tnet_get16(fr + 40), fr + 42, l4 - 8);
        if (ti->ctx) { /* corrupt one payload byte of replies, checksum still right */
            out[42] ^= 1;
            tnet_put16(out + 36, 0);
            tnet_put16(out + 36, tnet_csum(out + 34, l4, 0));
        }
        net_input(&ti->nif, out, n);
    }
}

static void test_ping(void **state)
{
    (void)state;
    t.respond = peer_responder;
    for (uint16_t seq = 1; seq <= 3; seq++) {
        uint64_t rtt = 0;
        assert_int_equal(icmp_ping(PEER_IP, seq, 56, NET_S, &rtt), 0);
        assert_true(rtt >= 3 * NET_MS);
        assert_true(rtt < NET_S);
    }
    /* One ARP request, three requests. */
    assert_int_equal(t.n, 4);
    for (unsigned i = 1; i < 4; i++)
        assert_null(tnet_check_ip(t.frame[i], t.len[i]));
    /* Replies with a wrong payload do not count. */
    t.ctx = &t;
    assert_int_equal(icmp_ping(PEER_IP, 9, 56, 200 * NET_MS, NULL), -ETIMEDOUT);
    assert_true(net_counters()->icmp_bad >= 1);
    /* Nobody there: a timeout, not a hang. */
    t.ctx = NULL;
    assert_int_equal(icmp_ping(NET_IP(10, 0, 2, 50), 1, 8, 300 * NET_MS, NULL), -ETIMEDOUT);
    assert_int_equal(icmp_ping(NET_IP(10, 0, 2, 50), 1, 4096, NET_S, NULL), -EMSGSIZE);
    assert_int_equal(icmp_ping(NET_IP_BROADCAST, 1, 8, NET_S, NULL), -EINVAL);
}

/* A packet to our own address is looped back: answered, never put on the wire; a frame from
 * outside claiming our address as its source is still dropped. */
static void test_loopback_to_own_address(void **state)
{
    (void)state;
    uint64_t rtt = 1;
    assert_int_equal(icmp_ping(OUR_IP, 1, 56, NET_S, &rtt), 0);
    assert_true(rtt < NET_S);
    assert_int_equal(icmp_ping(OUR_IP, 2, 56, NET_S, NULL), 0);
    assert_int_equal(t.n, 0);
    assert_int_equal(net_counters()->icmp_echo_out, 2);
    assert_int_equal(net_counters()->ip_bad_src, 0);

    int s = udp_socket();
    assert_true(s >= 0);
    assert_int_equal(udp_bind(s, 7000), 0);
    assert_int_equal(udp_sendto(s, "self", 4, OUR_IP, 7000), 4);
    char got[8];
    uint32_t from = 0;
    uint16_t port = 0;
    assert_int_equal(udp_recvfrom(s, got, sizeof got, &from, &port, NET_S), 4);
    assert_memory_equal(got, "self", 4);
    assert_int_equal(from, OUR_IP);
    assert_int_equal(port, 7000);
    udp_close(s);
    assert_int_equal(t.n, 0);

    uint8_t payload[8] = {0};
    size_t n = tnet_icmp(f, tnet_our_mac, OUR_IP, OUR_IP, 8, 1, 1, payload, sizeof payload);
    tnet_rx(&t, f, n);
    assert_int_equal(net_counters()->ip_bad_src, 1);
    assert_int_equal(t.n, 0);
}

static void test_udp_receive(void **state)
{
    (void)state;
    int s = udp_socket();
    assert_int_equal(udp_bind(s, 5000), 0);
    assert_int_equal(udp_local_port(s), 5000);
    size_t n = tnet_udp(f, tnet_our_mac, PEER_IP, 40000, OUR_IP, 5000, "abcdef", 6, true);
    tnet_rx(&t, f, n);
    n = tnet_udp(f, tnet_our_mac, PEER_IP, 40001, OUR_IP, 5000, "nocsum", 6, false);
    tnet_rx(&t, f, n);
    char buf[16];
    uint32_t ip;
    uint16_t port;
    assert_int_equal(udp_pending(s), 2);
    assert_int_equal(udp_recvfrom(s, buf, sizeof buf, &ip, &port, 0), 6);
    assert_memory_equal(buf, "abcdef", 6);
    assert_int_equal(ip, PEER_IP);
    assert_int_equal(port, 40000);
    /* Truncated copy, full length returned. */
    assert_int_equal(udp_recvfrom(s, buf, 3, &ip, &port, 0), 6);
    assert_memory_equal(buf, "noc", 3);
    assert_int_equal(port, 40001);
    assert_int_equal(udp_recvfrom(s, buf, sizeof buf, NULL, NULL, 0), -EAGAIN);
    assert_int_equal(udp_recvfrom(s, buf, sizeof buf, NULL, NULL, 50 * NET_MS), -ETIMEDOUT);
    /* Nobody on that port. */
    n = tnet_udp(f, tnet_our_mac, PEER_IP, 40000, OUR_IP, 5001, "x", 1, true);
    tnet_rx(&t, f, n);
    assert_int_equal(net_counters()->udp_no_port, 1);
    /* Broadcasts reach the socket too; other hosts' unicast does not. */
    n = tnet_udp(f, bcast, PEER_IP, 1, NET_IP_BROADCAST, 5000, "b", 1, true);
    tnet_rx(&t, f, n);
    n = tnet_udp(f, tnet_our_mac, PEER_IP, 1, NET_IP(10, 0, 2, 16), 5000, "o", 1, true);
    tnet_rx(&t, f, n);
    assert_int_equal(udp_pending(s), 1);
    assert_int_equal(net_counters()->ip_not_ours, 1);
    /* Queue overflow is counted, not fatal. */
    for (int i = 0; i < UDP_RX_SLOTS + 3; i++) {
        n = tnet_udp(f, tnet_our_mac, PEER_IP, 1, OUR_IP, 5000, "q", 1, true);
        tnet_rx(&t, f, n);
    }
    assert_int_equal(udp_pending(s), UDP_RX_SLOTS);
    assert_int_equal(net_counters()->udp_queue_full, 4);
    assert_int_equal(udp_close(s), 0);
    assert_int_equal(udp_close(s), -EBADF);
}

static void test_udp_malformed(void **state)
{
    (void)state;
    int s = udp_socket();
    assert_int_equal(udp_bind(s, 5000), 0);
    size_t n = tnet_udp(f, tnet_our_mac, PEER_IP, 40000, OUR_IP, 5000, "abcdef", 6, true);
    uint8_t g[2048];
    /* Bad checksum. */
    memcpy(g, f, n);
    g[n - 1] ^= 0x40;
    tnet_rx(&t, g, n);
    assert_int_equal(net_counters()->udp_bad_csum, 1);
    /* UDP length longer than the IP payload, and shorter than its header. */
    memcpy(g, f, n);
    tnet_put16(g + 38, 15);
    tnet_rx(&t, g, n);
    memcpy(g, f, n);
    tnet_put16(g + 38, 7);
    tnet_rx(&t, g, n);
    assert_int_equal(net_counters()->udp_bad_len, 2);
    /* IP payload shorter than a UDP header. */
    uint8_t tiny[4] = {1, 2, 3, 4};
    n = tnet_ipv4(g, tnet_our_mac, tnet_peer_mac, PEER_IP, OUR_IP, 17, tiny, 4);
    tnet_rx(&t, g, n);
    assert_int_equal(net_counters()->udp_bad_len, 3);
    assert_int_equal(udp_pending(s), 0);
    /* A shorter UDP length with trailing bytes (padding) is fine and trimmed. */
    n = tnet_udp(f, tnet_our_mac, PEER_IP, 40000, OUR_IP, 5000, "abcdef", 6, false);
    tnet_put16(f + 38, 8 + 3);
    tnet_rx(&t, f, n);
    char buf[8];
    assert_int_equal(udp_recvfrom(s, buf, sizeof buf, NULL, NULL, 0), 3);
    udp_close(s);
}

static void test_udp_api(void **state)
{
    (void)state;
    int s[UDP_MAX_SOCKETS];
    for (int i = 0; i < UDP_MAX_SOCKETS; i++)
        assert_true((s[i] = udp_socket()) >= 0);
    assert_int_equal(udp_socket(), -ENFILE);
    assert_int_equal(udp_bind(s[0], 53), 0);
    assert_int_equal(udp_bind(s[1], 53), -EADDRINUSE);
    assert_int_equal(udp_bind(s[0], 54), -EINVAL);
    assert_int_equal(udp_bind(s[1], 0), 0);
    assert_true(udp_local_port(s[1]) >= 49152);
    assert_int_equal(udp_bind(99, 1), -EBADF);
    static uint8_t big[UDP_MAX_PAYLOAD + 1];
    assert_int_equal(udp_sendto(s[0], big, sizeof big, PEER_IP, 9), -EMSGSIZE);
    assert_int_equal(udp_sendto(s[0], big, 1, PEER_IP, 0), -EINVAL);
    assert_int_equal(udp_sendto(s[0], big, 1, 0, 9), -EINVAL);
    assert_int_equal(udp_sendto(s[0], big, 1, NET_IP(224, 0, 0, 1), 9), -EINVAL);
    /* Largest datagram goes out intact once resolved. */
    learn_peer();
    t.n = 0;
    for (size_t i = 0; i < UDP_MAX_PAYLOAD; i++)
        big[i] = (uint8_t)i;
    assert_int_equal(udp_sendto(s[2], big, UDP_MAX_PAYLOAD, PEER_IP, 9), (int)UDP_MAX_PAYLOAD);
    assert_int_equal(t.n, 1);
    assert_int_equal(t.len[0], NET_FRAME_MAX);
    assert_null(tnet_check_ip(t.frame[0], t.len[0]));
    assert_memory_equal(t.frame[0] + 42, big, UDP_MAX_PAYLOAD);
    /* A driver failure is reported and counted. */
    t.fail_tx = -EIO;
    assert_int_equal(udp_sendto(s[2], big, 10, PEER_IP, 9), -EIO);
    assert_int_equal(t.nif.stats.tx_errors, 1);
    for (int i = 0; i < UDP_MAX_SOCKETS; i++)
        assert_int_equal(udp_close(s[i]), 0);
    /* Unconfigured: nothing routes. */
    net_unconfigure(&t.nif);
    int k = udp_socket();
    t.fail_tx = 0;
    assert_int_equal(udp_sendto(k, big, 1, PEER_IP, 9), -ENETUNREACH);
    udp_close(k);
}

/* Every way an IPv4 header can lie: dropped, counted, no crash, nothing delivered. */
/* Ephemeral ports start where the OS's random bytes say (os_random), not at a counter; a port
 * already taken is skipped for the next free one. */
static void test_udp_ephemeral_random(void **state)
{
    (void)state;
    int a = udp_socket(), b = udp_socket(), c = udp_socket();
    assert_true(a >= 0 && b >= 0 && c >= 0);
    os_host_seed_random(1234);
    assert_int_equal(udp_bind(a, 0), 0);
    int first = udp_local_port(a);
    assert_true(first >= 49152 && first <= 65535);
    os_host_seed_random(98765);
    assert_int_equal(udp_bind(b, 0), 0);
    int second = udp_local_port(b);
    assert_true(second >= 49152 && second <= 65535);
    assert_int_not_equal(first, second);
    /* the same draw again: its port is taken, so the next one up (or 49152 after 65535) */
    os_host_seed_random(1234);
    assert_int_equal(udp_bind(c, 0), 0);
    assert_int_equal(udp_local_port(c), first == 65535 ? 49152 : first + 1);
    udp_close(a);
    udp_close(b);
    udp_close(c);
}

static void test_ip_malformed(void **state)
{
    (void)state;
    learn_peer();
    t.n = 0;
    int s = udp_socket();
    assert_int_equal(udp_bind(s, 5000), 0);
    size_t n = tnet_udp(f, tnet_our_mac, PEER_IP, 1, OUR_IP, 5000, "payload!", 8, true);
    uint8_t g[2048];
    const struct net_counters *c = net_counters();

#define BREAK(stmt, counter)                                                                       \
    do {                                                                                           \
        uint64_t before = c->counter;                                                              \
        memcpy(g, f, n);                                                                           \
        size_t gl = n;                                                                             \
        stmt;                                                                                      \
        tnet_rx(&t, g, gl);                                                                        \
        assert_int_equal(c->counter, before + 1);                                                  \
    } while (0)
#define FIXCSUM() (tnet_put16(g + 24, 0), tnet_put16(g + 24, tnet_csum(g + 14, 20, 0)))

    BREAK(gl = 14 + 19, ip_short);
    BREAK((g[14] = 0x65, FIXCSUM()), ip_bad_version);
    BREAK((g[14] = 0x44, FIXCSUM()), ip_bad_hlen);
    BREAK((g[14] = 0x4f, FIXCSUM()), ip_bad_hlen); /* 60-byte header longer than... */
    BREAK((tnet_put16(g + 16, (uint16_t)(n - 14 + 1)), FIXCSUM()), ip_bad_len);
    BREAK((tnet_put16(g + 16, 19), FIXCSUM()), ip_bad_len);
    BREAK(gl = n - 1, ip_bad_len);
    BREAK(g[24] ^= 0x11, ip_bad_csum);
    BREAK(g[22] ^= 1, ip_bad_csum);
    BREAK((tnet_put16(g + 20, 0x2000), FIXCSUM()), ip_frag);
    BREAK((tnet_put16(g + 20, 0x0010), FIXCSUM()), ip_frag);
    BREAK((g[22] = 0, FIXCSUM()), ip_ttl0);
    BREAK((tnet_put32(g + 26, NET_IP_BROADCAST), FIXCSUM()), ip_bad_src);
    BREAK((tnet_put32(g + 26, 0), FIXCSUM()), ip_bad_src);
    BREAK((tnet_put32(g + 26, OUR_IP), FIXCSUM()), ip_bad_src);
    BREAK((tnet_put32(g + 26, NET_IP(127, 0, 0, 1)), FIXCSUM()), ip_bad_src);
    BREAK((g[23] = 6, FIXCSUM()), ip_unknown_proto);
    BREAK(g[0] ^= 2, eth_not_ours);
    BREAK(tnet_put16(g + 12, 0x86dd), eth_unknown_type);
    BREAK(tnet_put16(g + 12, 0x8100), eth_unknown_type);

    /* Driver-level length checks in net_input. */
    net_input(&t.nif, f, 13);
    net_input(&t.nif, f, 0);
    net_input(&t.nif, f, NET_FRAME_MAX + 1);
    net_poll();
    assert_int_equal(t.nif.stats.rx_errors, 3);
    assert_int_equal(udp_pending(s), 0);
    assert_int_equal(t.n, 0);

    /* The untouched frame is still accepted; trailing Ethernet padding is ignored. */
    memcpy(g, f, n);
    memset(g + n, 0xee, 20);
    tnet_rx(&t, g, n + 20);
    assert_int_equal(udp_pending(s), 1);
    /* IP options are skipped. */
    uint8_t o[2048];
    memcpy(o, f, 34);
    o[14] = 0x46;
    memset(o + 34, 1, 4); /* four NOPs */
    memcpy(o + 38, f + 34, n - 34);
    tnet_put16(o + 16, (uint16_t)(n - 14 + 4));
    tnet_put16(o + 24, 0);
    tnet_put16(o + 24, tnet_csum(o + 14, 24, 0));
    tnet_rx(&t, o, n + 4);
    assert_int_equal(udp_pending(s), 2);
    udp_close(s);
#undef BREAK
#undef FIXCSUM
}

static void test_icmp_malformed(void **state)
{
    (void)state;
    learn_peer();
    t.n = 0;
    uint8_t g[256];
    size_t n = tnet_icmp(f, tnet_our_mac, PEER_IP, OUR_IP, 8, 1, 1, "ping", 4);
    memcpy(g, f, n);
    g[n - 1] ^= 1;
    tnet_rx(&t, g, n);
    assert_int_equal(net_counters()->icmp_bad_csum, 1);
    uint8_t short_icmp[4] = {8, 0, 0xf7, 0xff};
    n = tnet_ipv4(g, tnet_our_mac, tnet_peer_mac, PEER_IP, OUR_IP, 1, short_icmp, 4);
    tnet_rx(&t, g, n);
    assert_int_equal(net_counters()->icmp_bad, 1);
    n = tnet_icmp(f, tnet_our_mac, PEER_IP, OUR_IP, 13, 1, 1, "ts", 2);
    tnet_rx(&t, f, n);
    assert_int_equal(net_counters()->icmp_other, 1);
    assert_int_equal(t.n, 0);
}

static void test_rx_queue_full(void **state)
{
    (void)state;
    learn_peer();
    int s = udp_socket();
    assert_int_equal(udp_bind(s, 5000), 0);
    size_t n = tnet_udp(f, tnet_our_mac, PEER_IP, 1, OUR_IP, 5000, "z", 1, true);
    for (int i = 0; i < 100; i++)
        net_input(&t.nif, f, n);
    assert_int_equal(net_rx_pending(), 64);
    assert_int_equal(t.nif.stats.rx_dropped, 36);
    net_poll();
    assert_int_equal(net_rx_pending(), 0);
    udp_close(s);
}

static void test_addresses(void **state)
{
    (void)state;
    uint32_t ip;
    char buf[18];
    assert_int_equal(net_ip_parse("10.0.2.15", &ip), 0);
    assert_int_equal(ip, OUR_IP);
    assert_string_equal(net_ip_format(ip, buf), "10.0.2.15");
    assert_string_equal(net_ip_format(NET_IP(255, 255, 0, 1), buf), "255.255.0.1");
    const char *bad[] = {"",        "1.2.3",  "1.2.3.4.5",  "256.1.1.1", "1.2.3.4x",
                         "a.b.c.d", "1..2.3", "0001.2.3.4", "1.2.3.-4"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(net_ip_parse(bad[i], &ip), -EINVAL);
    assert_string_equal(net_mac_format(tnet_our_mac, buf), "52:54:00:12:34:56");
    assert_int_equal(net_configure(&t.nif, NET_IP(10, 0, 2, 255), MASK24, 0), -EINVAL);
    assert_int_equal(net_configure(&t.nif, NET_IP(10, 0, 2, 0), MASK24, 0), -EINVAL);
    assert_int_equal(net_configure(&t.nif, OUR_IP, NET_IP(255, 0, 255, 0), 0), -EINVAL);
    assert_int_equal(net_configure(&t.nif, OUR_IP, MASK24, NET_IP(10, 0, 3, 1)), -EINVAL);
    assert_int_equal(net_configure(&t.nif, NET_IP(224, 0, 0, 1), MASK24, 0), -EINVAL);
    assert_int_equal(net_configure(&t.nif, NET_IP(10, 0, 2, 20), MASK24, 0), 0);
    assert_int_equal(t.nif.ip, NET_IP(10, 0, 2, 20));
    assert_string_equal(t.nif.name, "net0");
}

static void test_strerror_words(void **state)
{
    (void)state;
    assert_string_equal(net_strerror(-ENETDOWN), "link down");
    assert_string_equal(net_strerror(-ENETUNREACH), "network unreachable (no route)");
    assert_string_equal(net_strerror(-EINVAL), "invalid address or argument");
    assert_string_equal(net_strerror(0), "success");
    assert_string_equal(net_strerror(-12345), "unexpected error");
    /* Every error the stack and the virtio-net driver return has its own words. */
    const int known[] = {-ETIMEDOUT, -EHOSTUNREACH, -EMSGSIZE,   -EAGAIN, -ENOBUFS, -EIO,
                         -ENODEV,    -ENOSPC,       -EADDRINUSE, -EBADF,  -ENFILE,  -ENOENT};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        assert_string_not_equal(net_strerror(known[i]), "unexpected error");
}

int main(void)
{
    os_host_log_quiet(true);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_arp_reply_to_request, setup, teardown),
        cmocka_unit_test_setup_teardown(test_arp_request_for_other_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_arp_malformed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_arp_resolves_then_sends, setup, teardown),
        cmocka_unit_test_setup_teardown(test_arp_retry_then_fail, setup, teardown),
        cmocka_unit_test_setup_teardown(test_arp_pending_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_arp_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_arp_cache_eviction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_icmp_echo_reply, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ping, setup, teardown),
        cmocka_unit_test_setup_teardown(test_loopback_to_own_address, setup, teardown),
        cmocka_unit_test_setup_teardown(test_udp_receive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_udp_malformed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_udp_api, setup, teardown),
        cmocka_unit_test_setup_teardown(test_udp_ephemeral_random, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ip_malformed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_icmp_malformed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rx_queue_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_addresses, setup, teardown),
        cmocka_unit_test(test_strerror_words),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
