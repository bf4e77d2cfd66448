/* Deterministic mutation fuzzing of the receive path (many thousands of frames under
 * ASan+UBSan): valid ARP/ICMP/UDP/DHCP frames are mutated (bits, length fields, truncation,
 * extension), half of them with checksums repaired so deeper parsers are reached. Everything
 * the stack transmits in response must still be well formed, and it must keep working after. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "net/arp.h"
#include "net/dhcp.h"
#include "net/net.h"
#include "net/udp.h"
#include "sim.h"
#include "test_net_frames.h"

#define OUR_IP    NET_IP(10, 0, 2, 15)
#define PEER_IP   NET_IP(10, 0, 2, 2)
#define FUZZ_ITER 1000000u
#define N_SEEDS   8

static struct tnet_if t;
static uint8_t seeds[N_SEEDS][NET_FRAME_MAX];
static size_t seed_len[N_SEEDS];
static unsigned bad_output;
static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

/* Everything the stack sends must be a sane ARP or IPv4 frame from us. */
static void check_output(struct tnet_if *ti, const uint8_t *f, size_t len)
{
    (void)ti;
    if (len < 42 || len > NET_FRAME_MAX || memcmp(f + 6, tnet_our_mac, 6) != 0) {
        bad_output++;
        return;
    }
    if (tnet_get16(f + 12) == 0x0806) {
        if (tnet_get16(f + 14) != 1 || tnet_get16(f + 16) != 0x0800 || f[18] != 6 || f[19] != 4 ||
            (tnet_get16(f + 20) != 1 && tnet_get16(f + 20) != 2))
            bad_output++;
        return;
    }
    if (tnet_check_ip(f, len) != NULL)
        bad_output++;
}

static size_t dhcp_msg(uint8_t *f, uint32_t xid, uint8_t type)
{
    uint8_t m[300];
    memset(m, 0, sizeof m);
    m[0] = 2;
    m[1] = 1;
    m[2] = 6;
    tnet_put32(m + 4, xid);
    tnet_put32(m + 16, OUR_IP);
    memcpy(m + 28, tnet_our_mac, 6);
    tnet_put32(m + 236, 0x63825363u);
    uint8_t opts[] = {53, 1, type, 54, 4, 10, 0, 2,  2, 1, 4, 255, 255, 255,
                      0,  3, 4,    10, 0, 2,  2, 51, 4, 0, 1, 0,   0,   255};
    memcpy(m + 240, opts, sizeof opts);
    return tnet_udp(f, tnet_our_mac, PEER_IP, 67, OUR_IP, 68, m, sizeof m, true);
}

static uint32_t start_dhcp(void)
{
    unsigned before = t.n;
    assert_int_equal(dhcp_start(&t.nif), 0);
    assert_true(t.n > before);
    uint32_t xid = tnet_get32(t.frame[(t.n - 1) % TNET_MAX_FRAMES] + 42 + 4);
    assert_int_equal(net_configure(&t.nif, OUR_IP, NET_IP(255, 255, 255, 0), PEER_IP), 0);
    return xid;
}

static void make_seeds(uint32_t xid)
{
    static const uint8_t zero[6], bc[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    uint8_t payload[64];
    for (unsigned i = 0; i < sizeof payload; i++)
        payload[i] = (uint8_t)i;
    seed_len[0] = tnet_arp(seeds[0], bc, 1, tnet_peer_mac, PEER_IP, zero, OUR_IP);
    seed_len[1] = tnet_arp(seeds[1], tnet_our_mac, 2, tnet_peer_mac, PEER_IP, tnet_our_mac, OUR_IP);
    seed_len[2] = tnet_icmp(seeds[2], tnet_our_mac, PEER_IP, OUR_IP, 8, 1, 1, payload, 56);
    seed_len[3] = tnet_icmp(seeds[3], tnet_our_mac, PEER_IP, OUR_IP, 0, 0x524b, 1, payload, 8);
    seed_len[4] = tnet_udp(seeds[4], tnet_our_mac, PEER_IP, 9, OUR_IP, 5000, payload, 64, true);
    seed_len[5] = tnet_udp(seeds[5], bc, PEER_IP, 9, NET_IP_BROADCAST, 5000, payload, 3, false);
    seed_len[6] = dhcp_msg(seeds[6], xid, 2);
    seed_len[7] = dhcp_msg(seeds[7], xid, 5);
}

static size_t mutate(uint8_t *f, size_t len)
{
    static const size_t hot[] = {12, 13, 14, 15, 16, 17, 18, 19, 20,  21,  22,  23,  34,  35,
                                 36, 37, 38, 39, 42, 43, 44, 46, 276, 277, 278, 279, 282, 283};
    static const uint8_t vals[] = {0,    1,    2,    4,    5,    6,    7,    8,    0x0f,
                                   0x10, 0x20, 0x40, 0x45, 0x46, 0x7f, 0x80, 0xfe, 0xff};
    unsigned n = 1 + rnd() % 6;
    for (unsigned k = 0; k < n; k++) {
        switch (rnd() % 6) {
        case 0:
            f[rnd() % len] ^= (uint8_t)(1u << (rnd() % 8));
            break;
        case 1:
            f[rnd() % len] = (uint8_t)rnd();
            break;
        case 2: {
            size_t off = hot[rnd() % (sizeof hot / sizeof hot[0])];
            if (off < len)
                f[off] = vals[rnd() % sizeof vals];
            break;
        }
        case 3:
            len = rnd() % (len + 1);
            if (len == 0)
                len = 1;
            break;
        case 4: {
            size_t grow = rnd() % 64;
            if (len + grow > NET_FRAME_MAX + 40)
                grow = 0;
            for (size_t i = 0; i < grow; i++)
                f[len + i] = (uint8_t)rnd();
            len += grow;
            break;
        }
        default: { /* a 16-bit length field off by a little */
            size_t off = hot[rnd() % (sizeof hot / sizeof hot[0])] & ~(size_t)1;
            if (off + 1 < len) {
                uint16_t v = tnet_get16(f + off);
                tnet_put16(f + off, (uint16_t)(v + (int)(rnd() % 9) - 4));
            }
            break;
        }
        }
    }
    return len;
}

static void test_fuzz_receive_path(void **state)
{
    (void)state;
    tnet_setup(&t);
    t.respond = check_output;
    int s = udp_socket();
    assert_int_equal(udp_bind(s, 5000), 0);
    make_seeds(start_dhcp());
    static uint8_t f[NET_FRAME_MAX + 64];
    char sink[64];
    for (unsigned i = 0; i < FUZZ_ITER; i++) {
        unsigned k = rnd() % N_SEEDS;
        memcpy(f, seeds[k], seed_len[k]);
        size_t len = mutate(f, seed_len[k]);
        if (rnd() & 1)
            tnet_fix_checksums(f, len);
        net_input(&t.nif, f, len);
        if (i % 4 == 3)
            net_poll();
        while (udp_recvfrom(s, sink, sizeof sink, NULL, NULL, 0) >= 0) {
        }
        if (i % 5000 == 4999) {
            os_host_advance_clock(700 * NET_MS);
            make_seeds(start_dhcp());
        }
    }
    net_poll();
    assert_int_equal(bad_output, 0);
    const struct net_counters *c = net_counters();
    print_message("fuzz: %u frames, %llu malformed dropped, %llu udp in, %llu echo replies, "
                  "%llu arp requests in, %u frames sent\n",
                  FUZZ_ITER, (unsigned long long)net_malformed_total(),
                  (unsigned long long)c->udp_in, (unsigned long long)c->icmp_echo_out,
                  (unsigned long long)c->arp_requests_in, t.n);
    /* The mutations reached both the rejections and the deep paths. */
    assert_true(net_malformed_total() > FUZZ_ITER / 4);
    assert_true(c->udp_in > 1000);
    assert_true(c->icmp_echo_out > 100);
    assert_true(c->dhcp_bad > 10);

    /* Still healthy: a clean datagram is delivered, a clean ping answered. */
    net_unconfigure(&t.nif);
    dhcp_stop(&t.nif);
    assert_int_equal(net_configure(&t.nif, OUR_IP, NET_IP(255, 255, 255, 0), PEER_IP), 0);
    arp_flush();
    tnet_rx(&t, seeds[0], seed_len[0]);
    unsigned before = t.n;
    tnet_rx(&t, seeds[4], seed_len[4]);
    assert_int_equal(udp_recvfrom(s, sink, sizeof sink, NULL, NULL, 0), 64);
    tnet_rx(&t, seeds[2], seed_len[2]);
    assert_int_equal(t.n, before + 1);
    assert_int_equal(bad_output, 0);
    udp_close(s);
    tnet_teardown();
}

int main(void)
{
    os_host_log_quiet(true);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fuzz_receive_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
