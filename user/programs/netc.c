/* netc: the network from a user fiber through the Membrane's net calls (nexus_net_*), on the
 * capability in slot 0 (give it with `run -c net0 netc ...`). Output as NipBox's own commands.
 *   netc ping A.B.C.D [count]       ICMP echoes, one line each, then a summary
 *   netc udpecho PORT [count]       echoes datagrams back (until killed, or count of them)
 *   netc send A.B.C.D PORT TEXT     one datagram from an ephemeral port
 *   netc info                       the interface's address and state */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nexus.h>
#include <nexus_net.h>
#include <nexus_nettools.h>

#define SLOT      0u
#define MAX_DGRAM 1472u

static int fail(const char *what, long rc)
{
    const char *msg = ion_error_message(rc);
    printf("netc: %s: %s (%ld)\n", what, msg ? msg : "unknown error", rc);
    return 1;
}

/* A decimal number in 1..max: 0 and *out, or -1. */
static int parse_num(const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (!*s || *end || v == 0 || v > max)
        return -1;
    *out = v;
    return 0;
}

static int send_text(uint32_t ip, const char *host, unsigned long port, const char *text)
{
    size_t len = strlen(text);
    if (len > MAX_DGRAM) {
        printf("netc: at most %u bytes in a datagram\n", MAX_DGRAM);
        return 2;
    }
    long sport = nexus_net_bind(SLOT, 0);
    if (sport < 0)
        return fail("bind", sport);
    long rc = nexus_net_sendto(SLOT, (uint16_t)sport, ip, (uint16_t)port, text, (uint32_t)len);
    if (rc < 0)
        return fail("sendto", rc);
    printf("netc: sent %ld bytes to %s:%lu from port %ld\n", rc, host, port, sport);
    return 0;
}

static int show_info(void)
{
    struct NetInfo i;
    char a[16], m[16], g[16];
    long rc = nexus_net_info(SLOT, &i);
    if (rc < 0)
        return fail("info", rc);
    printf("netc: mac %02x:%02x:%02x:%02x:%02x:%02x mtu %u link %s\n",
           (unsigned)(i.mac >> 40 & 255), (unsigned)(i.mac >> 32 & 255),
           (unsigned)(i.mac >> 24 & 255), (unsigned)(i.mac >> 16 & 255),
           (unsigned)(i.mac >> 8 & 255), (unsigned)(i.mac & 255), (unsigned)i.mtu,
           i.flags & 2 ? "up" : "down");
    if (i.flags & 1)
        printf("netc: inet %s mask %s gateway %s\n", net_format_ip(i.ip, a),
               net_format_ip(i.netmask, m), net_format_ip(i.gateway, g));
    else
        printf("netc: no address (run dhcp)\n");
    return 0;
}

int main(int argc, char **argv)
{
    const char *op = argc > 1 ? argv[1] : "";
    uint32_t ip;
    unsigned long n = 0, port;

    if (strcmp(op, "ping") == 0 && (argc == 3 || argc == 4)) {
        if (net_parse_ip(argv[2], &ip) || (argc == 4 && parse_num(argv[3], 1000000, &n))) {
            printf("usage: netc ping A.B.C.D [count]\n");
            return 2;
        }
        return net_ping_loop(SLOT, argv[2], ip, argc == 4 ? n : 4, NULL) ? 1 : 0;
    }
    if (strcmp(op, "udpecho") == 0 && (argc == 3 || argc == 4)) {
        if (parse_num(argv[2], 65535, &port) || (argc == 4 && parse_num(argv[3], ~0ul, &n))) {
            printf("usage: netc udpecho PORT [count]\n");
            return 2;
        }
        return net_udpecho_loop(SLOT, "netc", port, n, NULL) ? 1 : 0;
    }
    if (strcmp(op, "send") == 0 && argc == 5) {
        if (net_parse_ip(argv[2], &ip) || parse_num(argv[3], 65535, &port)) {
            printf("usage: netc send A.B.C.D PORT TEXT\n");
            return 2;
        }
        return send_text(ip, argv[2], port, argv[4]);
    }
    if (strcmp(op, "info") == 0 && argc == 2)
        return show_info();
    printf("usage: netc ping A.B.C.D [count] | udpecho PORT [count] | send A.B.C.D PORT TEXT | "
           "info\n");
    return 2;
}
