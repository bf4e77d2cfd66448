/* IPv4: validates every received header against the frame (version, header length, total
 * length, checksum, fragments, TTL, addresses) before dispatching to ICMP/UDP, and builds the
 * header of every packet we send (routing to on-link host, gateway or broadcast; a packet to our
 * own address is looped back). */
#include <errno.h>
#include <string.h>

#include "net_priv.h"

#define IP_FLAG_DF   0x4000
#define IP_FLAG_MF   0x2000
#define IP_FRAG_MASK 0x1fff
#define ETH_MIN_LEN  60

static uint16_t ip_ident;

static uint32_t subnet_broadcast(const struct netif *nif)
{
    return nif->ip | ~nif->netmask;
}

void ip_input(struct netif *nif, const uint8_t *frame, size_t len, bool local)
{
    const uint8_t *ip = frame + NET_ETH_HLEN;
    size_t avail = len - NET_ETH_HLEN;
    if (avail < IP_HLEN) {
        net_cnt.ip_short++;
        return;
    }
    if (ip[0] >> 4 != 4) {
        net_cnt.ip_bad_version++;
        return;
    }
    size_t hlen = (size_t)(ip[0] & 15) * 4;
    if (hlen < IP_HLEN || hlen > avail) {
        net_cnt.ip_bad_hlen++;
        return;
    }
    size_t total = net_get16(ip + 2);
    if (total < hlen || total > avail) {
        net_cnt.ip_bad_len++;
        return;
    }
    if (net_csum_fold(net_csum_add(0, ip, hlen)) != 0) {
        net_cnt.ip_bad_csum++;
        return;
    }
    uint16_t frag = net_get16(ip + 6);
    if (frag & (IP_FLAG_MF | IP_FRAG_MASK)) {
        net_cnt.ip_frag++;
        return;
    }
    if (ip[8] == 0) {
        net_cnt.ip_ttl0++;
        return;
    }
    uint8_t proto = ip[9];
    uint32_t src = net_get32(ip + 12);
    uint32_t dst = net_get32(ip + 16);
    if (!net_ip_is_unicast(src) || (nif->configured && src == nif->ip && !local)) {
        net_cnt.ip_bad_src++;
        return;
    }
    bool ours = nif->configured && dst == nif->ip;
    bool bcast = dst == NET_IP_BROADCAST ||
                 (nif->configured && nif->netmask < 0xfffffffeu && dst == subnet_broadcast(nif));
    /* Before an address is applied, DHCP replies may be unicast to the offered address. */
    bool unconfigured_udp = !nif->configured && proto == IP_PROTO_UDP && net_ip_is_unicast(dst);
    if (!ours && !bcast && !unconfigured_udp) {
        net_cnt.ip_not_ours++;
        return;
    }
    net_cnt.ip_in++;
    const uint8_t *l4 = ip + hlen;
    size_t l4_len = total - hlen;
    switch (proto) {
    case IP_PROTO_ICMP:
        icmp_input(nif, src, dst, l4, l4_len);
        break;
    case IP_PROTO_UDP:
        udp_input(nif, src, dst, l4, l4_len);
        break;
    default:
        net_cnt.ip_unknown_proto++;
        break;
    }
}

int ip_route(uint32_t dst, struct netif **nifp, uint32_t *next_hop, bool *broadcast)
{
    struct netif *nif = *nifp;
    for (unsigned i = 0; !nif && i < net_netif_count(); i++) {
        struct netif *n = net_netif_at(i);
        if (n->configured && (dst & n->netmask) == (n->ip & n->netmask))
            nif = n;
    }
    if (!nif)
        nif = net_netif_default();
    if (!nif || !nif->registered)
        return -ENETUNREACH;
    *nifp = nif;
    *broadcast = false;
    *next_hop = dst;
    if (dst == NET_IP_BROADCAST) {
        *broadcast = true;
        return 0;
    }
    if (!nif->configured)
        return -ENETUNREACH;
    if (nif->netmask < 0xfffffffeu && dst == subnet_broadcast(nif)) {
        *broadcast = true;
        return 0;
    }
    if (!net_ip_is_unicast(dst))
        return -ENETUNREACH;
    if ((dst & nif->netmask) == (nif->ip & nif->netmask))
        return 0;
    if (!nif->gateway)
        return -ENETUNREACH;
    *next_hop = nif->gateway;
    return 0;
}

int ip_output(struct netif *nif, uint32_t src, uint32_t dst, uint8_t proto, uint8_t *frame,
              size_t l4_len)
{
    uint32_t next_hop;
    bool broadcast;
    int rc = ip_route(dst, &nif, &next_hop, &broadcast);
    if (rc < 0)
        return rc;
    if (IP_HLEN + l4_len > net_netif_mtu(nif))
        return -EMSGSIZE;
    if (src == 0 && nif->configured)
        src = nif->ip;
    uint8_t *ip = frame + NET_OFF_IP;
    ip[0] = 0x45;
    ip[1] = 0;
    net_put16(ip + 2, (uint16_t)(IP_HLEN + l4_len));
    net_put16(ip + 4, ip_ident++);
    net_put16(ip + 6, IP_FLAG_DF);
    ip[8] = IP_TTL;
    ip[9] = proto;
    net_put16(ip + 10, 0);
    net_put32(ip + 12, src);
    net_put32(ip + 16, dst);
    net_put16(ip + 10, net_csum_fold(net_csum_add(0, ip, IP_HLEN)));
    size_t len = NET_OFF_L4 + l4_len;
    if (len < ETH_MIN_LEN) {
        memset(frame + len, 0, ETH_MIN_LEN - len);
        len = ETH_MIN_LEN;
    }
    net_cnt.ip_out++;
    if (broadcast)
        return net_eth_send(nif, net_bcast_mac, ETH_TYPE_IP, frame, len);
    if (dst == nif->ip) { /* to ourselves: looped back, never on the wire */
        memcpy(frame, nif->mac, NET_MAC_LEN);
        memcpy(frame + 6, nif->mac, NET_MAC_LEN);
        net_put16(frame + 12, ETH_TYPE_IP);
        return net_loopback(nif, frame, len);
    }
    memcpy(frame + 6, nif->mac, NET_MAC_LEN);
    net_put16(frame + 12, ETH_TYPE_IP);
    return arp_output(nif, next_hop, frame, len);
}
