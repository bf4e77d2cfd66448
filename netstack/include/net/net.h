/* The IPv4 stack's public entry points: polling, waiting, clock, address helpers, configuration
 * and drop counters. Everything runs in the caller's context from net_poll; interrupts only
 * queue frames (net_input). Addresses are uint32_t in host byte order (10.0.2.15 = 0x0a00020f). */
#ifndef NET_NET_H
#define NET_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/netif.h"

#define NET_IP(a, b, c, d)                                                                         \
    (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d))
#define NET_IP_BROADCAST 0xffffffffu

#define NET_MS 1000000ull /* nanoseconds */
#define NET_S  1000000000ull

/* Processes every queued frame, then the timers (ARP retries and expiry, DHCP retransmits).
 * Calls each interface's poll op first. Never called from interrupt context. */
void net_poll(void);
/* Sleeps until an interrupt may have brought something (or returns at once when frames are
 * queued or an interface is polled). Wakes at least at the system tick, so callers loop with
 * their own deadline. */
void net_wait(void);

/* Clock for every timeout in the stack (os_time_ns; the host tests' is the simulator's). */
uint64_t net_now_ns(void);

/* Static configuration; also how DHCP applies a lease. mask must be contiguous. Returns 0 or
 * -EINVAL (bad address or mask). net_unconfigure drops the address. */
int net_configure(struct netif *nif, uint32_t ip, uint32_t netmask, uint32_t gateway);
void net_unconfigure(struct netif *nif);

/* "10.0.2.15" -> 0x0a00020f. Returns 0 or -EINVAL (anything but four decimal octets). */
int net_ip_parse(const char *s, uint32_t *ip);
/* Not 0, broadcast, multicast, class E or loopback: an address one host can have. */
bool net_ip_is_unicast(uint32_t ip);
/* Formats into buf (at least 16 bytes); returns buf. */
char *net_ip_format(uint32_t ip, char *buf);
/* "52:54:00:12:34:56" into buf (at least 18 bytes); returns buf. */
char *net_mac_format(const uint8_t *mac, char *buf);

/* Why received packets were dropped (or what was seen), stack-wide. */
struct net_counters {
    uint64_t eth_short, eth_not_ours, eth_unknown_type;
    uint64_t arp_bad, arp_requests_in, arp_replies_in, arp_requests_out, arp_replies_out;
    uint64_t arp_failed, arp_pending_full;
    uint64_t ip_short, ip_bad_version, ip_bad_hlen, ip_bad_len, ip_bad_csum, ip_frag;
    uint64_t ip_bad_src, ip_ttl0, ip_not_ours, ip_unknown_proto, ip_in, ip_out;
    uint64_t icmp_bad, icmp_bad_csum, icmp_echo_in, icmp_echo_out, icmp_reply_in, icmp_other;
    uint64_t udp_bad_len, udp_bad_csum, udp_no_port, udp_queue_full, udp_in, udp_out;
    uint64_t dhcp_bad, dhcp_ignored;
    uint64_t tx_failed; /* a driver refused a frame */
};
const struct net_counters *net_counters(void);
/* Sum of the counters that mean "malformed packet dropped". */
uint64_t net_malformed_total(void);

/* Words for a -errno the stack or a driver returned ("link down" for -ENETDOWN); never NULL. */
const char *net_strerror(int rc);

/* Forgets every interface, ARP entry, socket, queued frame, DHCP client and counter (tests). */
void net_reset(void);

#endif
