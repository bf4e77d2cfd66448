/* Host-test helpers for the network stack: the recording fake interface and frame builders
 * (see test_net_frames.h). Test support only; never linked into the kernel. */
#include "test_net_frames.h"

#include <string.h>

const uint8_t tnet_our_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
const uint8_t tnet_peer_mac[6] = {0x52, 0x55, 0x0a, 0x00, 0x02, 0x02};

static int tnet_transmit(struct netif *nif, const void *frame, size_t len)
{
    struct tnet_if *t = nif->priv;
    if (t->fail_tx)
        return t->fail_tx;
    if (t->n < TNET_MAX_FRAMES) {
        memcpy(t->frame[t->n], frame, len);
        t->len[t->n] = len;
    }
    t->n++;
    if (t->respond)
        t->respond(t, frame, len);
    return 0;
}

static const struct netif_ops tnet_ops = {.transmit = tnet_transmit};

void tnet_setup(struct tnet_if *t)
{
    net_reset();
    memset(t, 0, sizeof *t);
    t->nif.ops = &tnet_ops;
    t->nif.priv = t;
    memcpy(t->nif.mac, tnet_our_mac, 6);
    (void)net_netif_add(&t->nif);
}

void tnet_teardown(void)
{
    net_reset();
}

void tnet_rx(struct tnet_if *t, const uint8_t *frame, size_t len)
{
    net_input(&t->nif, frame, len);
    net_poll();
}

uint16_t tnet_csum(const uint8_t *p, size_t len, uint32_t sum)
{
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (len & 1)
        sum += (uint32_t)p[len - 1] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static void eth(uint8_t *f, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    tnet_put16(f + 12, type);
}

size_t tnet_arp(uint8_t *f, const uint8_t *dst_mac, uint16_t op, const uint8_t *sha, uint32_t spa,
                const uint8_t *tha, uint32_t tpa)
{
    memset(f, 0, 60);
    eth(f, dst_mac, sha, 0x0806);
    uint8_t *a = f + 14;
    tnet_put16(a, 1);
    tnet_put16(a + 2, 0x0800);
    a[4] = 6;
    a[5] = 4;
    tnet_put16(a + 6, op);
    memcpy(a + 8, sha, 6);
    tnet_put32(a + 14, spa);
    memcpy(a + 18, tha, 6);
    tnet_put32(a + 24, tpa);
    return 60;
}

size_t tnet_ipv4(uint8_t *f, const uint8_t *dst_mac, const uint8_t *src_mac, uint32_t src,
                 uint32_t dst, uint8_t proto, const void *l4, size_t l4_len)
{
    eth(f, dst_mac, src_mac, 0x0800);
    uint8_t *ip = f + 14;
    memset(ip, 0, 20);
    ip[0] = 0x45;
    tnet_put16(ip + 2, (uint16_t)(20 + l4_len));
    tnet_put16(ip + 4, 0x1234);
    ip[8] = 64;
    ip[9] = proto;
    tnet_put32(ip + 12, src);
    tnet_put32(ip + 16, dst);
    tnet_put16(ip + 10, tnet_csum(ip, 20, 0));
    memmove(ip + 20, l4, l4_len);
    return 14 + 20 + l4_len;
}

static uint32_t pseudo(uint32_t src, uint32_t dst, uint8_t proto, size_t len)
{
    return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto + (uint32_t)len;
}

size_t tnet_udp(uint8_t *f, const uint8_t *dst_mac, uint32_t src, uint16_t sport, uint32_t dst,
                uint16_t dport, const void *data, size_t len, bool csum)
{
    static uint8_t l4[2048];
    tnet_put16(l4, sport);
    tnet_put16(l4 + 2, dport);
    tnet_put16(l4 + 4, (uint16_t)(8 + len));
    tnet_put16(l4 + 6, 0);
    memcpy(l4 + 8, data, len);
    if (csum) {
        uint16_t c = tnet_csum(l4, 8 + len, pseudo(src, dst, 17, 8 + len));
        tnet_put16(l4 + 6, c ? c : 0xffff);
    }
    return tnet_ipv4(f, dst_mac, tnet_peer_mac, src, dst, 17, l4, 8 + len);
}

size_t tnet_icmp(uint8_t *f, const uint8_t *dst_mac, uint32_t src, uint32_t dst, uint8_t type,
                 uint16_t id, uint16_t seq, const void *data, size_t len)
{
    static uint8_t l4[2048];
    l4[0] = type;
    l4[1] = 0;
    tnet_put16(l4 + 2, 0);
    tnet_put16(l4 + 4, id);
    tnet_put16(l4 + 6, seq);
    memcpy(l4 + 8, data, len);
    tnet_put16(l4 + 2, tnet_csum(l4, 8 + len, 0));
    return tnet_ipv4(f, dst_mac, tnet_peer_mac, src, dst, 1, l4, 8 + len);
}

const char *tnet_check_ip(const uint8_t *f, size_t len)
{
    if (len < 34 || tnet_get16(f + 12) != 0x0800)
        return "not IPv4";
    const uint8_t *ip = f + 14;
    if (ip[0] != 0x45)
        return "version/IHL";
    size_t total = tnet_get16(ip + 2);
    if (total < 20 || 14 + total > len)
        return "total length";
    if (tnet_csum(ip, 20, 0) != 0)
        return "IP checksum";
    if (ip[8] == 0)
        return "TTL";
    const uint8_t *l4 = ip + 20;
    size_t l4_len = total - 20;
    if (ip[9] == 17) {
        if (l4_len < 8 || tnet_get16(l4 + 4) != l4_len)
            return "UDP length";
        if (tnet_get16(l4 + 6) == 0)
            return "UDP checksum missing";
        if (tnet_csum(l4, l4_len, pseudo(tnet_get32(ip + 12), tnet_get32(ip + 16), 17, l4_len)))
            return "UDP checksum";
    } else if (ip[9] == 1) {
        if (l4_len < 8 || tnet_csum(l4, l4_len, 0) != 0)
            return "ICMP checksum";
    }
    return NULL;
}

void tnet_fix_checksums(uint8_t *f, size_t len)
{
    if (len < 34 || tnet_get16(f + 12) != 0x0800)
        return;
    uint8_t *ip = f + 14;
    size_t hlen = (size_t)(ip[0] & 15) * 4;
    if (hlen < 20 || 14 + hlen > len)
        return;
    tnet_put16(ip + 10, 0);
    tnet_put16(ip + 10, tnet_csum(ip, hlen, 0));
    size_t total = tnet_get16(ip + 2);
    if (total < hlen || 14 + total > len)
        return;
    uint8_t *l4 = ip + hlen;
    size_t l4_len = total - hlen;
    if (ip[9] == 17 && l4_len >= 8) {
        size_t ulen = tnet_get16(l4 + 4);
        if (ulen < 8 || ulen > l4_len)
            return;
        tnet_put16(l4 + 6, 0);
        uint16_t c =
            tnet_csum(l4, ulen, pseudo(tnet_get32(ip + 12), tnet_get32(ip + 16), 17, ulen));
        tnet_put16(l4 + 6, c ? c : 0xffff);
    } else if (ip[9] == 1 && l4_len >= 8) {
        tnet_put16(l4 + 2, 0);
        tnet_put16(l4 + 2, tnet_csum(l4, l4_len, 0));
    }
}
