/* The stack's internal interface between its files: wire-format helpers (explicit big-endian
 * byte access, never casts onto packet bytes), protocol numbers and the per-layer entry points.
 * Not for drivers or the shell: they use include/net/. */
#ifndef NET_PRIV_H
#define NET_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/net.h"

#define ETH_TYPE_IP  0x0800
#define ETH_TYPE_ARP 0x0806

#define IP_HLEN       20
#define IP_PROTO_ICMP 1
#define IP_PROTO_UDP  17
#define IP_TTL        64
#define UDP_HLEN      8
#define ICMP_HLEN     8

/* Offsets of the layers in a frame we build (no IP options on output). */
#define NET_OFF_IP 14
#define NET_OFF_L4 (NET_OFF_IP + IP_HLEN)

static inline uint16_t net_get16(const uint8_t *p)
{
    return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t net_get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void net_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void net_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

extern struct net_counters net_cnt;
extern const uint8_t net_bcast_mac[NET_MAC_LEN];

/* netif.c */
uint8_t *net_tx_frame(void); /* the scratch frame every sender builds into (NET_FRAME_MAX) */
int net_transmit(struct netif *nif, const uint8_t *frame, size_t len);
/* Queues a frame we addressed to ourselves as if nif had received it (marked local, so our own
 * source address is accepted). Returns 0 or -ENOBUFS (receive queue full). */
int net_loopback(struct netif *nif, const uint8_t *frame, size_t len);
/* Fills the Ethernet header (dst, our MAC, type) at frame[0] and transmits. */
int net_eth_send(struct netif *nif, const uint8_t *dst, uint16_t type, uint8_t *frame, size_t len);
size_t net_netif_mtu(const struct netif *nif);

/* Internet checksum over len bytes, continuing from sum (0 to start); fold with net_csum_fold. */
uint32_t net_csum_add(uint32_t sum, const uint8_t *p, size_t len);
uint16_t net_csum_fold(uint32_t sum);
/* Pseudo-header sum for UDP. */
uint32_t net_csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len);
bool net_mask_valid(uint32_t mask);

/* ipv4.c */
/* local: the frame was looped back by net_loopback (its source is our own address). */
void ip_input(struct netif *nif, const uint8_t *frame, size_t len, bool local);
/* Chooses the interface and next hop for dst (nif non-NULL: use it). -ENETUNREACH. */
int ip_route(uint32_t dst, struct netif **nif, uint32_t *next_hop, bool *broadcast);
/* frame holds l4_len bytes of transport header + data at NET_OFF_L4; fills IP and Ethernet
 * headers and sends (or queues behind ARP). src 0 = the interface's address. A packet to the
 * interface's own address is looped back, never sent. */
int ip_output(struct netif *nif, uint32_t src, uint32_t dst, uint8_t proto, uint8_t *frame,
              size_t l4_len);

/* arp.c */
void arp_input(struct netif *nif, const uint8_t *frame, size_t len);
/* Sends frame to next_hop's MAC, or queues it and starts a resolution. */
int arp_output(struct netif *nif, uint32_t next_hop, uint8_t *frame, size_t len);
void arp_timer(uint64_t now);
void arp_netif_gone(const struct netif *nif);
void arp_reset(void);

/* icmp.c */
void icmp_input(struct netif *nif, uint32_t src, uint32_t dst, const uint8_t *l4, size_t len);
void icmp_reset(void);

/* udp.c */
void udp_input(struct netif *nif, uint32_t src, uint32_t dst, const uint8_t *l4, size_t len);
/* Builds and sends one datagram from src:sport (src 0 = interface address). */
int udp_output(struct netif *nif, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
               const void *data, size_t len);
void udp_reset(void);

/* dhcp.c */
/* A datagram for port 68: returns true when a DHCP client consumed it. */
bool dhcp_input(struct netif *nif, const uint8_t *data, size_t len);
bool dhcp_active(const struct netif *nif);
void dhcp_timer(uint64_t now);
void dhcp_netif_gone(const struct netif *nif);
void dhcp_reset(void);

#endif
