/* The network tools NipBox and netc share, over the Membrane's net calls (nexus_net.h) on the
 * capability in `slot`: address parsing and printing, the ping loop and the UDP echo loop, with
 * the output NipBox has always printed. `who` starts each line; `stop` (may be NULL) is asked
 * between packets (Ctrl-C). */
#ifndef NEXUS_NETTOOLS_H
#define NEXUS_NETTOOLS_H

#include <stddef.h>
#include <stdint.h>

/* Four decimal octets: 0 and *ip (host byte order), or -1. */
int net_parse_ip(const char *s, uint32_t *ip);
/* "a.b.c.d" into buf (16 bytes); returns buf. */
char *net_format_ip(uint32_t ip, char buf[16]);
/* "12.345" (ms) from nanoseconds. */
void net_format_ms(uint64_t ns, char *buf, size_t len);
/* count ICMP echoes to ip (host is how the user wrote it), a line each, then a summary: 0 when
 * any answered, -ETIMEDOUT when none did, or -errno (a line said) when one could not be sent. */
long net_ping_loop(unsigned slot, const char *host, uint32_t ip, unsigned long count,
                   int (*stop)(void));
/* Binds `port` and echoes datagrams back to their sender (count of them; 0: until stop), then
 * says how many: 0, or -errno with the line said. */
long net_udpecho_loop(unsigned slot, const char *who, unsigned long port, unsigned long count,
                      int (*stop)(void));

#endif
