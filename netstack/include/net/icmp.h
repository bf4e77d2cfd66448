/* ICMP: echo replies to anyone who pings us, and echo requests for ping with a round-trip time.
 * Never trusts a reply's payload for timing: the send time is kept here. */
#ifndef NET_ICMP_H
#define NET_ICMP_H

#include <stddef.h>
#include <stdint.h>

#define ICMP_PING_MAX_PAYLOAD 1024

/* Sends one echo request (sequence `seq`, `size` payload bytes) to dst, resolving the next hop
 * with ARP when needed, and waits (net_poll/net_wait) for the matching reply. Returns 0 and
 * *rtt_ns, -ETIMEDOUT, -ENETUNREACH (no configured interface routes there), -EMSGSIZE, or the
 * driver's -errno. A reply whose payload differs from what was sent is counted and ignored. */
int icmp_ping(uint32_t dst, uint16_t seq, size_t size, uint64_t timeout_ns, uint64_t *rtt_ns);

#endif
