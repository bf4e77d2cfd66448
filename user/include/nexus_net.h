/* The Membrane's network calls: UDP ports and ping (CMD_NET_* of abi/ion.toml) through the
 * fiber's ION channel, each naming the capability slot (a CAP_NET capability, "run -c net0")
 * it acts through. Addresses are in host byte order (10.0.2.2 = 0x0a000202). A port belongs to
 * this fiber until it closes it or ends. Results: >= 0, or -errno (ion_error_message names it:
 * -EBADF no capability in that slot, -EPERM a missing right). */
#ifndef NEXUS_NET_H
#define NEXUS_NET_H

#include <stdint.h>

#include <ion_gen/ion_cmds.h>

/* Binds a UDP port (1..65535; 0 picks a free one): the port, or -EADDRINUSE, -ENFILE. */
long nexus_net_bind(unsigned slot, uint16_t port);
/* Frees a port this fiber bound: 0 or -EADDRNOTAVAIL. */
long nexus_net_close(unsigned slot, uint16_t port);
/* Sends len (0..1472) bytes from the bound port `sport` to ip:port: len, or -errno
 * (-ENETDOWN: the interface has no address yet). */
long nexus_net_sendto(unsigned slot, uint16_t sport, uint32_t ip, uint16_t port, const void *buf,
                      uint32_t len);
/* The oldest datagram on `port`: at most len bytes into buf (the rest is dropped), its source
 * (and full length) in *from when from is not NULL. Waits up to timeout_ns (0: -EAGAIN at once
 * when none is there): the bytes copied, or -ETIMEDOUT. */
long nexus_net_recvfrom(unsigned slot, uint16_t port, void *buf, uint32_t len, struct NetFrom *from,
                        uint64_t timeout_ns);
/* One ICMP echo (size payload bytes, 0..1024) to ip: the round trip in ns, or -ETIMEDOUT. */
long nexus_net_ping(unsigned slot, uint32_t ip, uint16_t seq, uint16_t size, uint64_t timeout_ns);
/* The interface's address, mask, gateway, MAC and state. */
long nexus_net_info(unsigned slot, struct NetInfo *info);

/* Asks DHCP for an address, waiting up to timeout_ns: 0 and the lease in *lease, or -ETIMEDOUT
 * (no answer: the fallback address is set, and in *lease), or -errno. */
long nexus_net_dhcp(unsigned slot, uint64_t timeout_ns, struct NetLease *lease);

#endif
