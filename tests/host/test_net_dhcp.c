/* Host tests for the DHCP client against a scripted server behind the fake interface: the
 * normal exchange, unicast replies, retransmission, NAK, fallback after a timeout, and replies
 * broken in every field the client must check. Runs under ASan+UBSan. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "net/dhcp.h"
#include "net/net.h"
#include "sim.h"
#include "test_net_frames.h"
#include "virtio/os.h"

#define SERVER_IP NET_IP(10, 0, 2, 2)
#define OFFER_IP  NET_IP(10, 0, 2, 15)

enum breakage {
    BRK_NONE,
    BRK_XID,
    BRK_CHADDR,
    BRK_OP,
    BRK_COOKIE,
    BRK_OPT_OVERRUN,
    BRK_TYPE_LEN,
    BRK_YIADDR_BCAST,
    BRK_NO_SERVER_ID,
    BRK_TRUNCATED,
    BRK_BAD_MASK,
    BRK_NO_TYPE,
    BRK_COUNT_
};

struct server {
    unsigned discovers, requests;
    uint32_t xid_discover, xid_request;
    uint32_t req_ip, req_server;
    uint64_t discover_ns[16];
    unsigned ignore_discovers; /* drop this many DISCOVERs */
    unsigned naks;             /* answer this many REQUESTs with NAK */
    bool unicast;              /* reply to yiaddr / client MAC instead of broadcast */
    bool silent;
    bool send_broken; /* before the good OFFER, send one of each breakage */
    uint32_t router;
    const char *error;
};

static struct tnet_if t;
static struct server srv;

static int setup(void **state)
{
    (void)state;
    tnet_setup(&t);
    memset(&srv, 0, sizeof srv);
    srv.router = SERVER_IP;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tnet_teardown();
    return 0;
}

/* Finds option `code` in a BOOTP message; returns its value pointer and length. */
static const uint8_t *find_opt(const uint8_t *m, size_t len, uint8_t code, size_t *olen)
{
    for (size_t i = 240; i < len;) {
        if (m[i] == 0) {
            i++;
            continue;
        }
        if (m[i] == 255 || i + 2 > len || i + 2 + m[i + 1] > len)
            return NULL;
        if (m[i] == code) {
            *olen = m[i + 1];
            return m + i + 2;
        }
        i += 2 + m[i + 1];
    }
    return NULL;
}

static void reply(uint8_t type, uint32_t xid, enum breakage brk)
{
    uint8_t m[400];
    memset(m, 0, sizeof m);
    m[0] = brk == BRK_OP ? 1 : 2;
    m[1] = 1;
    m[2] = 6;
    tnet_put32(m + 4, brk == BRK_XID ? xid + 1 : xid);
    tnet_put32(m + 16, brk == BRK_YIADDR_BCAST ? NET_IP_BROADCAST : OFFER_IP);
    tnet_put32(m + 20, SERVER_IP);
    memcpy(m + 28, tnet_our_mac, 6);
    if (brk == BRK_CHADDR)
        m[33] ^= 1;
    tnet_put32(m + 236, brk == BRK_COOKIE ? 0x63825364u : 0x63825363u);
    uint8_t *o = m + 240;
    if (brk != BRK_NO_TYPE) {
        *o++ = 53;
        *o++ = brk == BRK_TYPE_LEN ? 2 : 1;
        *o++ = type;
        if (brk == BRK_TYPE_LEN)
            *o++ = type;
    }
    if (brk != BRK_NO_SERVER_ID) {
        *o++ = 54;
        *o++ = 4;
        tnet_put32(o, SERVER_IP);
        o += 4;
    }
    *o++ = 1;
    *o++ = 4;
    tnet_put32(o, brk == BRK_BAD_MASK ? NET_IP(255, 0, 255, 0) : NET_IP(255, 255, 255, 0));
    o += 4;
    *o++ = 3;
    *o++ = 4;
    tnet_put32(o, srv.router);
    o += 4;
    *o++ = 6;
    *o++ = 8; /* two DNS servers */
    tnet_put32(o, NET_IP(10, 0, 2, 3));
    tnet_put32(o + 4, NET_IP(10, 0, 2, 4));
    o += 8;
    *o++ = 51;
    *o++ = 4;
    tnet_put32(o, 86400);
    o += 4;
    size_t len;
    if (brk == BRK_OPT_OVERRUN) {
        *o++ = 12;
        *o++ = 200; /* host name longer than what is left */
        *o++ = 'x';
        len = (size_t)(o - m);
    } else {
        *o++ = 255;
        len = brk == BRK_TRUNCATED ? 239 : 300;
    }
    uint8_t f[600];
    size_t n;
    if (srv.unicast)
        n = tnet_udp(f, tnet_our_mac, SERVER_IP, 67, OFFER_IP, 68, m, len, true);
    else
        n = tnet_udp(f, (const uint8_t *)"\xff\xff\xff\xff\xff\xff", SERVER_IP, 67,
                     NET_IP_BROADCAST, 68, m, len, true);
    net_input(&t.nif, f, n);
}

static void server_respond(struct tnet_if *ti, const uint8_t *f, size_t len)
{
    (void)ti;
    const char *bad = tnet_check_ip(f, len);
    if (bad) {
        srv.error = bad;
        return;
    }
    static const uint8_t bc[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    if (memcmp(f, bc, 6) != 0 || tnet_get32(f + 26) != 0 ||
        tnet_get32(f + 30) != NET_IP_BROADCAST || tnet_get16(f + 34) != 68 ||
        tnet_get16(f + 36) != 67) {
        srv.error = "not a broadcast from 0.0.0.0:68 to port 67";
        return;
    }
    const uint8_t *m = f + 42;
    size_t mlen = tnet_get16(f + 38) - 8;
    size_t olen;
    if (mlen < 240 || m[0] != 1 || m[1] != 1 || m[2] != 6 || memcmp(m + 28, tnet_our_mac, 6) != 0 ||
        tnet_get32(m + 236) != 0x63825363u) {
        srv.error = "bad BOOTREQUEST";
        return;
    }
    const uint8_t *type = find_opt(m, mlen, 53, &olen);
    if (!type || olen != 1) {
        srv.error = "no message type";
        return;
    }
    uint32_t xid = tnet_get32(m + 4);
    if (srv.silent)
        return;
    if (type[0] == 1) {
        if (srv.discovers < 16)
            srv.discover_ns[srv.discovers] = os_time_ns();
        srv.discovers++;
        srv.xid_discover = xid;
        if (srv.ignore_discovers) {
            srv.ignore_discovers--;
            return;
        }
        if (srv.send_broken)
            for (int b = BRK_NONE + 1; b < BRK_COUNT_; b++)
                reply(2, xid, (enum breakage)b);
        reply(2, xid, BRK_NONE);
    } else if (type[0] == 3) {
        srv.requests++;
        srv.xid_request = xid;
        const uint8_t *v = find_opt(m, mlen, 50, &olen);
        srv.req_ip = v && olen == 4 ? tnet_get32(v) : 0;
        v = find_opt(m, mlen, 54, &olen);
        srv.req_server = v && olen == 4 ? tnet_get32(v) : 0;
        if (srv.naks) {
            srv.naks--;
            reply(6, xid, BRK_NONE);
            return;
        }
        reply(5, xid, BRK_NONE);
    }
}

static void assert_bound(void)
{
    assert_null(srv.error);
    assert_int_equal(dhcp_state(&t.nif), DHCP_BOUND);
    assert_true(t.nif.configured);
    assert_int_equal(t.nif.ip, OFFER_IP);
    assert_int_equal(t.nif.netmask, NET_IP(255, 255, 255, 0));
    const struct dhcp_lease *l = dhcp_lease(&t.nif);
    assert_non_null(l);
    assert_int_equal(l->ip, OFFER_IP);
    assert_int_equal(l->server, SERVER_IP);
    assert_int_equal(l->dns, NET_IP(10, 0, 2, 3));
    assert_int_equal(l->lease_s, 86400);
}

static void test_dhcp_exchange(void **state)
{
    (void)state;
    t.respond = server_respond;
    assert_int_equal(dhcp_run(&t.nif, 5 * NET_S), 0);
    assert_bound();
    assert_int_equal(t.nif.gateway, SERVER_IP);
    assert_int_equal(srv.discovers, 1);
    assert_int_equal(srv.requests, 1);
    assert_int_equal(srv.xid_request, srv.xid_discover);
    assert_int_equal(srv.req_ip, OFFER_IP);
    assert_int_equal(srv.req_server, SERVER_IP);
    assert_int_equal(net_malformed_total(), 0);
    /* Running it again starts a fresh exchange with a new transaction id. */
    uint32_t old_xid = srv.xid_discover;
    assert_int_equal(dhcp_run(&t.nif, 5 * NET_S), 0);
    assert_int_not_equal(srv.xid_discover, old_xid);
}

static void test_dhcp_unicast_replies(void **state)
{
    (void)state;
    t.respond = server_respond;
    srv.unicast = true;
    assert_int_equal(dhcp_run(&t.nif, 5 * NET_S), 0);
    assert_bound();
}

static void test_dhcp_retransmits(void **state)
{
    (void)state;
    t.respond = server_respond;
    srv.ignore_discovers = 2;
    assert_int_equal(dhcp_run(&t.nif, 10 * NET_S), 0);
    assert_bound();
    assert_int_equal(srv.discovers, 3);
    /* Backoff: 1 s then 2 s (a little slack for the 1 ms wait steps). */
    uint64_t d1 = srv.discover_ns[1] - srv.discover_ns[0];
    uint64_t d2 = srv.discover_ns[2] - srv.discover_ns[1];
    assert_true(d1 >= NET_S && d1 < NET_S + 100 * NET_MS);
    assert_true(d2 >= 2 * NET_S && d2 < 2 * NET_S + 100 * NET_MS);
}

static void test_dhcp_nak_restarts(void **state)
{
    (void)state;
    t.respond = server_respond;
    srv.naks = 1;
    assert_int_equal(dhcp_run(&t.nif, 5 * NET_S), 0);
    assert_bound();
    assert_int_equal(srv.discovers, 2);
    assert_int_equal(srv.requests, 2);
}

static void test_dhcp_fallback(void **state)
{
    (void)state;
    t.respond = server_respond;
    srv.silent = true;
    uint64_t start = os_time_ns();
    /* 3.5 s: half a second clear of the retransmission at 3 s, so the count cannot depend on
     * which of the two the clock reaches first. */
    assert_int_equal(dhcp_run(&t.nif, 3 * NET_S + NET_S / 2), -ETIMEDOUT);
    assert_true(os_time_ns() - start >= 3 * NET_S + NET_S / 2);
    assert_int_equal(dhcp_state(&t.nif), DHCP_FALLBACK);
    assert_null(dhcp_lease(&t.nif));
    assert_true(t.nif.configured);
    assert_int_equal(t.nif.ip, NET_IP(10, 0, 2, 15));
    assert_int_equal(t.nif.netmask, NET_IP(255, 255, 255, 0));
    assert_int_equal(t.nif.gateway, NET_IP(10, 0, 2, 2));
    /* DISCOVER went out at 0, 1 and 3 s. */
    assert_int_equal(t.n, 3);
    assert_null(srv.error);
}

static void test_dhcp_broken_replies(void **state)
{
    (void)state;
    t.respond = server_respond;
    srv.send_broken = true;
    assert_int_equal(dhcp_run(&t.nif, 5 * NET_S), 0);
    assert_bound();
    const struct net_counters *c = net_counters();
    /* xid, chaddr, op: someone else's; the rest: malformed. */
    assert_int_equal(c->dhcp_ignored, 3);
    assert_int_equal(c->dhcp_bad, BRK_COUNT_ - 1 - 3);
    assert_int_equal(srv.requests, 1);
}

static void test_dhcp_router_off_subnet(void **state)
{
    (void)state;
    t.respond = server_respond;
    srv.router = NET_IP(192, 168, 1, 1);
    assert_int_equal(dhcp_run(&t.nif, 5 * NET_S), 0);
    assert_bound();
    assert_int_equal(t.nif.gateway, 0);
}

static void test_dhcp_replies_when_idle_ignored(void **state)
{
    (void)state;
    /* Not running: a reply to port 68 is just a datagram nobody listens to. */
    uint8_t m[300] = {2, 1, 6};
    uint8_t f[400];
    size_t n = tnet_udp(f, tnet_our_mac, SERVER_IP, 67, NET_IP_BROADCAST, 68, m, sizeof m, true);
    tnet_rx(&t, f, n);
    assert_false(t.nif.configured);
    assert_int_equal(dhcp_state(&t.nif), DHCP_IDLE);
    assert_int_equal(dhcp_run(NULL, NET_S), -EINVAL);
}

int main(void)
{
    os_host_log_quiet(true);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_dhcp_exchange, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dhcp_unicast_replies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dhcp_retransmits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dhcp_nak_restarts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dhcp_fallback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dhcp_broken_replies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dhcp_router_off_subnet, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dhcp_replies_when_idle_ignored, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
