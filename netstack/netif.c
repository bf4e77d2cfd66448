/* Interface registry, the receive queue between interrupts and net_poll, Ethernet demux, the
 * clock, address helpers and counters. Interrupt context may only reach net_input, which copies
 * into a static ring; nothing here allocates or parses a frame outside net_poll. */
#include <errno.h>
#include <string.h>

#include "net/net.h"
#include "net_priv.h"
#include "virtio/os.h"

#define RXQ_SLOTS 64u /* power of two */

struct rxq_slot {
    struct netif *nif; /* NULL: its interface went away, skip */
    uint16_t len;
    bool local; /* looped back by net_loopback, not received */
    uint8_t data[NET_FRAME_MAX];
};

static struct rxq_slot rxq[RXQ_SLOTS];
static volatile unsigned rxq_head; /* written by net_input (producer) */
static volatile unsigned rxq_tail; /* written by net_poll (consumer) */
static struct os_event rx_event;   /* a frame was queued: net_wait's sleep ends */

static struct netif *netifs[NET_MAX_NETIFS];
static uint8_t tx_frame[NET_FRAME_MAX];
static bool polling; /* net_poll is running: a nested call returns at once */

struct net_counters net_cnt;
const uint8_t net_bcast_mac[NET_MAC_LEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

uint64_t net_now_ns(void)
{
    return os_time_ns();
}

int net_netif_add(struct netif *nif)
{
    if (!nif || !nif->ops || !nif->ops->transmit || nif->registered)
        return -EINVAL;
    for (unsigned i = 0; i < NET_MAX_NETIFS; i++) {
        if (netifs[i])
            continue;
        nif->index = i;
        memcpy(nif->name, "net", 3);
        nif->name[3] = (char)('0' + i);
        nif->name[4] = '\0';
        if (nif->mtu == 0 || nif->mtu > NET_MTU)
            nif->mtu = NET_MTU;
        nif->ip = nif->netmask = nif->gateway = 0;
        nif->configured = false;
        memset(&nif->stats, 0, sizeof nif->stats);
        nif->registered = true;
        netifs[i] = nif;
        return 0;
    }
    return -ENOSPC;
}

void net_netif_remove(struct netif *nif)
{
    if (!nif || !nif->registered || netifs[nif->index] != nif)
        return;
    unsigned long s = os_irq_disable();
    for (unsigned i = 0; i < RXQ_SLOTS; i++)
        if (rxq[i].nif == nif)
            rxq[i].nif = NULL;
    netifs[nif->index] = NULL;
    nif->registered = false;
    os_irq_restore(s);
    arp_netif_gone(nif);
    dhcp_netif_gone(nif);
}

unsigned net_netif_count(void)
{
    unsigned n = 0;
    for (unsigned i = 0; i < NET_MAX_NETIFS; i++)
        n += netifs[i] != NULL;
    return n;
}

struct netif *net_netif_at(unsigned i)
{
    for (unsigned k = 0; k < NET_MAX_NETIFS; k++) {
        if (!netifs[k])
            continue;
        if (i-- == 0)
            return netifs[k];
    }
    return NULL;
}

struct netif *net_netif_default(void)
{
    return net_netif_at(0);
}

size_t net_netif_describe(struct netif *nif, char *buf, size_t len)
{
    if (!buf || len == 0)
        return 0;
    buf[0] = '\0';
    if (!nif || !nif->ops || !nif->ops->describe)
        return 0;
    size_t n = nif->ops->describe(nif, buf, len);
    buf[len - 1] = '\0';
    return n < len ? n : len - 1;
}

size_t net_netif_mtu(const struct netif *nif)
{
    return nif->mtu ? nif->mtu : NET_MTU;
}

void net_input(struct netif *nif, const void *frame, size_t len)
{
    if (!nif || !frame)
        return;
    unsigned long s = os_irq_disable();
    if (!nif->registered) {
        os_irq_restore(s);
        return;
    }
    if (len < NET_ETH_HLEN || len > NET_FRAME_MAX) {
        nif->stats.rx_errors++;
    } else if (rxq_head - rxq_tail >= RXQ_SLOTS) {
        nif->stats.rx_dropped++;
    } else {
        struct rxq_slot *slot = &rxq[rxq_head % RXQ_SLOTS];
        memcpy(slot->data, frame, len);
        slot->len = (uint16_t)len;
        slot->nif = nif;
        slot->local = false;
        nif->stats.rx_frames++;
        nif->stats.rx_bytes += len;
        os_wmb();
        rxq_head = rxq_head + 1;
        os_event_signal(&rx_event);
    }
    os_irq_restore(s);
}

int net_loopback(struct netif *nif, const uint8_t *frame, size_t len)
{
    int rc = -ENOBUFS;
    unsigned long s = os_irq_disable();
    if (rxq_head - rxq_tail < RXQ_SLOTS) {
        struct rxq_slot *slot = &rxq[rxq_head % RXQ_SLOTS];
        memcpy(slot->data, frame, len);
        slot->len = (uint16_t)len;
        slot->nif = nif;
        slot->local = true;
        os_wmb();
        rxq_head = rxq_head + 1;
        os_event_signal(&rx_event);
        rc = 0;
    }
    os_irq_restore(s);
    return rc;
}

unsigned net_rx_pending(void)
{
    return rxq_head - rxq_tail;
}

uint8_t *net_tx_frame(void)
{
    return tx_frame;
}

int net_transmit(struct netif *nif, const uint8_t *frame, size_t len)
{
    if (!nif || !nif->registered)
        return -ENODEV;
    if (len < NET_ETH_HLEN || len > NET_ETH_HLEN + net_netif_mtu(nif))
        return -EMSGSIZE;
    int rc = nif->ops->transmit(nif, frame, len);
    if (rc < 0) {
        nif->stats.tx_errors++;
        net_cnt.tx_failed++;
        return rc;
    }
    nif->stats.tx_frames++;
    nif->stats.tx_bytes += len;
    return 0;
}

int net_eth_send(struct netif *nif, const uint8_t *dst, uint16_t type, uint8_t *frame, size_t len)
{
    memcpy(frame, dst, NET_MAC_LEN);
    memcpy(frame + 6, nif->mac, NET_MAC_LEN);
    net_put16(frame + 12, type);
    return net_transmit(nif, frame, len);
}

static void eth_input(struct netif *nif, const uint8_t *frame, size_t len, bool local)
{
    if (len < NET_ETH_HLEN) {
        net_cnt.eth_short++;
        return;
    }
    if (memcmp(frame, nif->mac, NET_MAC_LEN) != 0 &&
        memcmp(frame, net_bcast_mac, NET_MAC_LEN) != 0) {
        net_cnt.eth_not_ours++;
        return;
    }
    switch (net_get16(frame + 12)) {
    case ETH_TYPE_IP:
        ip_input(nif, frame, len, local);
        break;
    case ETH_TYPE_ARP:
        arp_input(nif, frame, len);
        break;
    default:
        net_cnt.eth_unknown_type++;
        break;
    }
}

void net_poll(void)
{
    if (polling)
        return;
    polling = true;
    for (unsigned i = 0; i < NET_MAX_NETIFS; i++)
        if (netifs[i] && netifs[i]->ops->poll)
            netifs[i]->ops->poll(netifs[i]);
    /* Only what is queued now: a flood cannot keep us here forever. */
    unsigned end = rxq_head;
    os_rmb();
    while (rxq_tail != end) {
        struct rxq_slot *slot = &rxq[rxq_tail % RXQ_SLOTS];
        if (slot->nif && slot->nif->registered)
            eth_input(slot->nif, slot->data, slot->len, slot->local);
        os_mb();
        rxq_tail = rxq_tail + 1;
    }
    uint64_t now = net_now_ns();
    arp_timer(now);
    dhcp_timer(now);
    polling = false;
}

/* How long net_wait watches the devices before it sleeps: an answer from the host's network
 * often arrives within tens of microseconds, sooner than a sleeping CPU is woken again. */
#define NET_WATCH_NS (NET_MS / 10u)
/* The longest net_wait sleeps without a frame: its callers check their own deadlines. */
#define NET_SLEEP_NS (10u * NET_MS)

void net_wait(void)
{
    for (unsigned i = 0; i < NET_MAX_NETIFS; i++)
        if (netifs[i] && netifs[i]->polled)
            return;
    unsigned long s = os_irq_disable();
    uint64_t deadline = net_now_ns() + NET_WATCH_NS;
    while (net_rx_pending() == 0 && net_now_ns() < deadline)
        for (unsigned i = 0; i < NET_MAX_NETIFS; i++)
            if (netifs[i] && netifs[i]->ops->poll)
                netifs[i]->ops->poll(netifs[i]);
    os_irq_restore(s);
    if (net_rx_pending() == 0)
        (void)os_event_wait(&rx_event, NET_SLEEP_NS); /* a frame queued, or the time is up */
}

bool net_ip_is_unicast(uint32_t ip)
{
    uint8_t top = (uint8_t)(ip >> 24);
    return ip != 0 && ip != NET_IP_BROADCAST && top != 0 && top != 127 && top < 224;
}

bool net_mask_valid(uint32_t mask)
{
    uint32_t inv = ~mask;
    return mask != 0 && (inv & (inv + 1)) == 0;
}

int net_configure(struct netif *nif, uint32_t ip, uint32_t netmask, uint32_t gateway)
{
    if (!nif || !net_ip_is_unicast(ip) || !net_mask_valid(netmask))
        return -EINVAL;
    if (netmask < 0xfffffffeu && ((ip & ~netmask) == 0 || (ip | netmask) == NET_IP_BROADCAST))
        return -EINVAL;
    if (gateway &&
        (!net_ip_is_unicast(gateway) || gateway == ip || (gateway & netmask) != (ip & netmask)))
        return -EINVAL;
    nif->ip = ip;
    nif->netmask = netmask;
    nif->gateway = gateway;
    nif->configured = true;
    return 0;
}

void net_unconfigure(struct netif *nif)
{
    if (!nif)
        return;
    nif->ip = nif->netmask = nif->gateway = 0;
    nif->configured = false;
}

int net_ip_parse(const char *s, uint32_t *ip)
{
    uint32_t v = 0;
    if (!s || !ip)
        return -EINVAL;
    for (int part = 0; part < 4; part++) {
        unsigned n = 0, digits = 0;
        while (*s >= '0' && *s <= '9') {
            n = n * 10 + (unsigned)(*s++ - '0');
            if (++digits > 3 || n > 255)
                return -EINVAL;
        }
        if (digits == 0)
            return -EINVAL;
        v = v << 8 | n;
        if (part < 3 && *s++ != '.')
            return -EINVAL;
    }
    if (*s != '\0')
        return -EINVAL;
    *ip = v;
    return 0;
}

static char *put_uint(char *p, unsigned v)
{
    char tmp[10];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

char *net_ip_format(uint32_t ip, char *buf)
{
    char *p = buf;
    for (int shift = 24; shift >= 0; shift -= 8) {
        p = put_uint(p, (ip >> shift) & 0xff);
        if (shift)
            *p++ = '.';
    }
    *p = '\0';
    return buf;
}

char *net_mac_format(const uint8_t *mac, char *buf)
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < NET_MAC_LEN; i++) {
        buf[i * 3] = hex[mac[i] >> 4];
        buf[i * 3 + 1] = hex[mac[i] & 15];
        buf[i * 3 + 2] = i == NET_MAC_LEN - 1 ? '\0' : ':';
    }
    return buf;
}

uint32_t net_csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
    while (len >= 2) {
        sum += (uint32_t)p[0] << 8 | p[1];
        p += 2;
        len -= 2;
        if (sum & 0x80000000u)
            sum = (sum & 0xffff) + (sum >> 16);
    }
    if (len)
        sum += (uint32_t)p[0] << 8;
    return sum;
}

uint16_t net_csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

uint32_t net_csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len)
{
    return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto + len;
}

const struct net_counters *net_counters(void)
{
    return &net_cnt;
}

uint64_t net_malformed_total(void)
{
    const struct net_counters *c = &net_cnt;
    return c->eth_short + c->arp_bad + c->ip_short + c->ip_bad_version + c->ip_bad_hlen +
           c->ip_bad_len + c->ip_bad_csum + c->ip_frag + c->ip_bad_src + c->ip_ttl0 + c->icmp_bad +
           c->icmp_bad_csum + c->udp_bad_len + c->udp_bad_csum + c->dhcp_bad;
}

void net_reset(void)
{
    unsigned long s = os_irq_disable();
    for (unsigned i = 0; i < NET_MAX_NETIFS; i++) {
        if (netifs[i])
            netifs[i]->registered = false;
        netifs[i] = NULL;
    }
    rxq_head = rxq_tail = 0;
    memset(rxq, 0, sizeof rxq);
    os_irq_restore(s);
    arp_reset();
    icmp_reset();
    udp_reset();
    dhcp_reset();
    memset(&net_cnt, 0, sizeof net_cnt);
    polling = false;
}
