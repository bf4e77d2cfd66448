/* ARP: the neighbour cache (expiry, bounded retries), replies to requests for our addresses and
 * the queue of frames waiting for a resolution. Every field of a received ARP packet is checked
 * before it can change the cache; it never learns broadcast/multicast or zero addresses. */
#include <errno.h>
#include <string.h>

#include "net/arp.h"
#include "net_priv.h"

#define ARP_LEN       28
#define ARP_FRAME_MIN 60 /* Ethernet minimum without FCS */
#define ARP_REQUEST   1
#define ARP_REPLY     2

enum arp_state { ARP_FREE, ARP_PENDING, ARP_RESOLVED };

struct arp_entry {
    struct netif *nif;
    uint32_t ip;
    uint8_t mac[NET_MAC_LEN];
    enum arp_state state;
    uint64_t stamp; /* RESOLVED: learnt or refreshed; PENDING: last request */
    unsigned tries;
};

struct arp_pending {
    struct netif *nif; /* NULL: free */
    uint32_t next_hop;
    uint16_t len;
    uint8_t data[NET_FRAME_MAX];
};

static struct arp_entry cache[ARP_CACHE_SIZE];
static struct arp_pending pending[ARP_PENDING_MAX];
static uint8_t arp_frame[ARP_FRAME_MIN];
static uint64_t arp_ttl = ARP_DEFAULT_TTL_NS;

void arp_set_ttl(uint64_t ttl_ns)
{
    arp_ttl = ttl_ns ? ttl_ns : ARP_DEFAULT_TTL_NS;
}

static struct arp_entry *find(const struct netif *nif, uint32_t ip)
{
    for (unsigned i = 0; i < ARP_CACHE_SIZE; i++)
        if (cache[i].state != ARP_FREE && cache[i].nif == nif && cache[i].ip == ip)
            return &cache[i];
    return NULL;
}

static bool fresh(const struct arp_entry *e, uint64_t now)
{
    return e->state == ARP_RESOLVED && now - e->stamp < arp_ttl;
}

static void drop_pending(const struct netif *nif, uint32_t ip)
{
    for (unsigned i = 0; i < ARP_PENDING_MAX; i++)
        if (pending[i].nif && pending[i].nif == nif && (ip == 0 || pending[i].next_hop == ip))
            pending[i].nif = NULL;
}

/* A free entry, else the oldest resolved one, else the oldest resolution in progress. */
static struct arp_entry *take_entry(void)
{
    struct arp_entry *victim = NULL;
    for (unsigned i = 0; i < ARP_CACHE_SIZE; i++) {
        struct arp_entry *e = &cache[i];
        if (e->state == ARP_FREE)
            return e;
        if (!victim || (e->state == ARP_RESOLVED && victim->state == ARP_PENDING) ||
            (e->state == victim->state && e->stamp < victim->stamp))
            victim = e;
    }
    if (victim->state == ARP_PENDING)
        drop_pending(victim->nif, victim->ip);
    return victim;
}

static int send_arp(struct netif *nif, uint16_t op, const uint8_t *dst_mac, const uint8_t *tha,
                    uint32_t tpa)
{
    uint8_t *a = arp_frame + NET_ETH_HLEN;
    memset(arp_frame, 0, sizeof arp_frame);
    net_put16(a, 1);
    net_put16(a + 2, ETH_TYPE_IP);
    a[4] = NET_MAC_LEN;
    a[5] = 4;
    net_put16(a + 6, op);
    memcpy(a + 8, nif->mac, NET_MAC_LEN);
    net_put32(a + 14, nif->configured ? nif->ip : 0);
    memcpy(a + 18, tha, NET_MAC_LEN);
    net_put32(a + 24, tpa);
    if (op == ARP_REQUEST)
        net_cnt.arp_requests_out++;
    else
        net_cnt.arp_replies_out++;
    return net_eth_send(nif, dst_mac, ETH_TYPE_ARP, arp_frame, sizeof arp_frame);
}

static int send_request(struct netif *nif, uint32_t ip)
{
    static const uint8_t zero[NET_MAC_LEN];
    return send_arp(nif, ARP_REQUEST, net_bcast_mac, zero, ip);
}

static void flush_pending(struct arp_entry *e)
{
    for (unsigned i = 0; i < ARP_PENDING_MAX; i++) {
        struct arp_pending *p = &pending[i];
        if (p->nif != e->nif || p->next_hop != e->ip)
            continue;
        memcpy(p->data, e->mac, NET_MAC_LEN);
        p->nif = NULL;
        (void)net_transmit(e->nif, p->data, p->len);
    }
}

static void learn(struct arp_entry *e, struct netif *nif, uint32_t ip, const uint8_t *mac,
                  uint64_t now)
{
    e->nif = nif;
    e->ip = ip;
    memcpy(e->mac, mac, NET_MAC_LEN);
    e->state = ARP_RESOLVED;
    e->stamp = now;
    e->tries = 0;
    flush_pending(e);
}

void arp_input(struct netif *nif, const uint8_t *frame, size_t len)
{
    const uint8_t *a = frame + NET_ETH_HLEN;
    if (len < NET_ETH_HLEN + ARP_LEN || net_get16(a) != 1 || net_get16(a + 2) != ETH_TYPE_IP ||
        a[4] != NET_MAC_LEN || a[5] != 4) {
        net_cnt.arp_bad++;
        return;
    }
    uint16_t op = net_get16(a + 6);
    const uint8_t *sha = a + 8;
    uint32_t spa = net_get32(a + 14);
    uint32_t tpa = net_get32(a + 24);
    if ((op != ARP_REQUEST && op != ARP_REPLY) || (sha[0] & 1) ||
        (spa != 0 && !net_ip_is_unicast(spa))) {
        net_cnt.arp_bad++;
        return;
    }
    if (op == ARP_REQUEST)
        net_cnt.arp_requests_in++;
    else
        net_cnt.arp_replies_in++;
    if (memcmp(sha, nif->mac, NET_MAC_LEN) == 0 || (nif->configured && spa == nif->ip))
        return; /* our own frame, or someone claiming our address: never learn it */

    uint64_t now = net_now_ns();
    bool for_us = nif->configured && tpa == nif->ip;
    struct arp_entry *e = spa ? find(nif, spa) : NULL;
    if (e)
        learn(e, nif, spa, sha, now);
    else if (for_us && spa)
        learn(take_entry(), nif, spa, sha, now);
    if (for_us && op == ARP_REQUEST)
        (void)send_arp(nif, ARP_REPLY, sha, sha, spa);
}

/* Makes `e` (or a fresh entry when NULL) a pending resolution of ip on nif and sends the first
 * request. */
static int start_resolution(struct arp_entry *e, struct netif *nif, uint32_t ip, uint64_t now)
{
    if (!e)
        e = take_entry();
    e->nif = nif;
    e->ip = ip;
    e->state = ARP_PENDING;
    e->tries = 1;
    e->stamp = now;
    memset(e->mac, 0, NET_MAC_LEN);
    return send_request(nif, ip);
}

int arp_output(struct netif *nif, uint32_t next_hop, uint8_t *frame, size_t len)
{
    uint64_t now = net_now_ns();
    struct arp_entry *e = find(nif, next_hop);
    if (e && fresh(e, now)) {
        memcpy(frame, e->mac, NET_MAC_LEN);
        return net_transmit(nif, frame, len);
    }
    struct arp_pending *slot = NULL;
    for (unsigned i = 0; i < ARP_PENDING_MAX && !slot; i++)
        if (!pending[i].nif)
            slot = &pending[i];
    if (!slot) {
        net_cnt.arp_pending_full++;
        return -ENOBUFS;
    }
    if (!e || e->state != ARP_PENDING)
        (void)start_resolution(e, nif, next_hop, now);
    memcpy(slot->data, frame, len);
    slot->len = (uint16_t)len;
    slot->next_hop = next_hop;
    slot->nif = nif;
    return 0;
}

void arp_timer(uint64_t now)
{
    for (unsigned i = 0; i < ARP_CACHE_SIZE; i++) {
        struct arp_entry *e = &cache[i];
        if (e->state == ARP_RESOLVED && now - e->stamp >= arp_ttl) {
            e->state = ARP_FREE;
        } else if (e->state == ARP_PENDING && now - e->stamp >= ARP_RETRY_NS) {
            if (e->tries >= ARP_RETRIES) {
                net_cnt.arp_failed++;
                drop_pending(e->nif, e->ip);
                e->state = ARP_FREE;
            } else {
                e->tries++;
                e->stamp = now;
                (void)send_request(e->nif, e->ip);
            }
        }
    }
}

int arp_lookup(const struct netif *nif, uint32_t ip, uint8_t *mac)
{
    const struct arp_entry *e = find(nif, ip);
    if (!e || !fresh(e, net_now_ns()))
        return -ENOENT;
    if (mac)
        memcpy(mac, e->mac, NET_MAC_LEN);
    return 0;
}

int arp_resolve(struct netif *nif, uint32_t ip)
{
    if (!nif || !nif->registered || !net_ip_is_unicast(ip))
        return -EINVAL;
    uint64_t now = net_now_ns();
    struct arp_entry *e = find(nif, ip);
    if (e && (fresh(e, now) || e->state == ARP_PENDING))
        return 0;
    return start_resolution(e, nif, ip, now);
}

unsigned arp_list(struct arp_info *out, unsigned max)
{
    unsigned n = 0;
    uint64_t now = net_now_ns();
    for (unsigned i = 0; i < ARP_CACHE_SIZE && n < max; i++) {
        const struct arp_entry *e = &cache[i];
        if (e->state == ARP_FREE)
            continue;
        memcpy(out[n].netif, e->nif->name, sizeof out[n].netif);
        out[n].ip = e->ip;
        memcpy(out[n].mac, e->mac, NET_MAC_LEN);
        out[n].resolved = e->state == ARP_RESOLVED;
        out[n].age_ns = now - e->stamp;
        n++;
    }
    return n;
}

void arp_flush(void)
{
    memset(cache, 0, sizeof cache);
    for (unsigned i = 0; i < ARP_PENDING_MAX; i++)
        pending[i].nif = NULL;
}

void arp_netif_gone(const struct netif *nif)
{
    for (unsigned i = 0; i < ARP_CACHE_SIZE; i++)
        if (cache[i].nif == nif)
            cache[i].state = ARP_FREE;
    drop_pending(nif, 0);
}

void arp_reset(void)
{
    arp_flush();
    arp_ttl = ARP_DEFAULT_TTL_NS;
}
