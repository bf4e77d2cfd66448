/* UDP sockets: a small static table of bound ports, each with a queue of received datagrams.
 * recvfrom waits by running the stack (net_poll/net_wait), so it works from the shell today and
 * from a fiber later. Checksums are verified when non-zero and always generated on send. */
#ifndef NET_UDP_H
#define NET_UDP_H

#include <stddef.h>
#include <stdint.h>

#define UDP_MAX_SOCKETS 8
#define UDP_RX_SLOTS    8
#define UDP_MAX_PAYLOAD (1500 - 20 - 8)

/* Returns a socket number >= 0, or -ENFILE when the table is full. */
int udp_socket(void);
/* Binds to `port` (0 picks a free ephemeral port). -EBADF, -EADDRINUSE, -EINVAL (bound). */
int udp_bind(int s, uint16_t port);
/* Local port, 0 when unbound, -EBADF. */
int udp_local_port(int s);
/* Sends len bytes to ip:port (binding an ephemeral port first when unbound). Returns len or
 * -EBADF, -EMSGSIZE (> UDP_MAX_PAYLOAD), -EINVAL (port 0 / ip 0), -ENETUNREACH, the driver's
 * -errno. When the next hop is not resolved yet the datagram waits in the ARP queue. */
int udp_sendto(int s, const void *buf, size_t len, uint32_t ip, uint16_t port);
/* Takes the oldest received datagram: copies at most len bytes (the rest is discarded), fills
 * *ip / *port (may be NULL) and returns the datagram's full length. Waits up to timeout_ns
 * (0: do not wait). Returns -EAGAIN (timeout 0, nothing queued), -ETIMEDOUT, -EBADF. */
int udp_recvfrom(int s, void *buf, size_t len, uint32_t *ip, uint16_t *port, uint64_t timeout_ns);
/* Datagrams waiting on s (>= 0) or -EBADF. */
int udp_pending(int s);
int udp_close(int s);

#endif
