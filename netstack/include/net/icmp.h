/* ICMP: echo replies to anyone who pings us, and echo requests for ping with a round-trip time.
 * Never trusts a reply's payload for timing: the send time is kept here. */
#ifndef NET_ICMP_H
#define NET_ICMP_H

#include <stddef.h>
#include <stdint.h>

#define ICMP_PING_MAX_PAYLOAD 1024

/* Sends one echo request (sequence `seq`, `size` payload bytes) to dst, resolving the next hop
 * with ARP when needed, and waits (net_poll/net_wait) for the matching reply (first, while another
 * caller's echo is outstanding, for that one to end). Returns 0 and *rtt_ns, -ETIMEDOUT,
 * -ENETUNREACH (no configured interface routes there), -EMSGSIZE, or the driver's -errno. A reply
 * whose payload differs from what was sent is counted and ignored. */
int icmp_ping(uint32_t dst, uint16_t seq, size_t size, uint64_t timeout_ns, uint64_t *rtt_ns);

/* The same in steps, for a caller with its own wait (a fiber's, which must end when it is
 * killed). One echo is outstanding stack-wide: icmp_echo_send returns 0, -EBUSY (another
 * caller's echo is outstanding or its reply not yet taken: icmp_ping waits), or icmp_ping's errors;
 * icmp_echo_poll runs the stack once and returns 0 with *rtt_ns (the reply came), -EAGAIN (still
 * waiting) or -ENOENT (nothing outstanding); icmp_echo_cancel gives the outstanding echo up. */
int icmp_echo_send(uint32_t dst, uint16_t seq, size_t size);
int icmp_echo_poll(uint64_t *rtt_ns);
void icmp_echo_cancel(void);

#endif
