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

#define SLOT            0u
#define PING_PAYLOAD    56u
#define PING_TIMEOUT_NS 1000000000ull
#define ECHO_WAIT_NS    1000000000ull
#define MAX_DGRAM       1472u

static uint8_t dgram[MAX_DGRAM];

static int fail(const char *what, long rc)
{
    const char *msg = ion_error_message(rc);
    printf("netc: %s: %s (%ld)\n", what, msg ? msg : "unknown error", rc);
    return 1;
}

/* Four decimal octets: 0 and *ip, or -1. */
static int parse_ip(const char *s, uint32_t *ip)
{
    uint32_t v = 0;
    for (int part = 0; part < 4; part++) {
        unsigned n = 0, digits = 0;
        while (*s >= '0' && *s <= '9') {
            n = n * 10 + (unsigned)(*s++ - '0');
            if (++digits > 3 || n > 255)
                return -1;
        }
        if (digits == 0 || (part < 3 && *s++ != '.'))
            return -1;
        v = v << 8 | n;
    }
    if (*s)
        return -1;
    *ip = v;
    return 0;
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

static char *fmt_ip(uint32_t ip, char *buf)
{
    snprintf(buf, 16, "%u.%u.%u.%u", (unsigned)(ip >> 24), (unsigned)(ip >> 16 & 255),
             (unsigned)(ip >> 8 & 255), (unsigned)(ip & 255));
    return buf;
}

static void fmt_ms(uint64_t ns, char *buf, size_t len)
{
    uint64_t us = ns / 1000u;
    snprintf(buf, len, "%llu.%03llu", (unsigned long long)(us / 1000u),
             (unsigned long long)(us % 1000u));
}

static int ping(const char *host, uint32_t ip, unsigned long count)
{
    unsigned long sent = 0, got = 0;
    uint64_t min = UINT64_MAX, max = 0, sum = 0, start = nexus_time_ns();
    char t[24];

    for (unsigned long i = 0; i < count; i++) {
        long rc = nexus_net_ping(SLOT, ip, (uint16_t)i, PING_PAYLOAD, PING_TIMEOUT_NS);
        if (rc < 0 && rc != -ION_ETIMEDOUT) {
            printf("ping: seq=%lu not sent\n", i);
            return fail("ping", rc);
        }
        sent++;
        if (rc < 0) {
            printf("from %s: seq=%lu timeout\n", host, i);
            continue;
        }
        uint64_t rtt = (uint64_t)rc;
        got++;
        sum += rtt;
        min = rtt < min ? rtt : min;
        max = rtt > max ? rtt : max;
        fmt_ms(rtt, t, sizeof(t));
        printf("%u bytes from %s: seq=%lu time=%s ms\n", PING_PAYLOAD + 8, host, i, t);
    }
    char a[24], b[24], c[24], total[24];
    fmt_ms(nexus_time_ns() - start, total, sizeof(total));
    printf("--- %s: %lu sent, %lu received, %lu%% loss, %s ms", host, sent, got,
           sent ? (sent - got) * 100 / sent : 0, total);
    if (got) {
        fmt_ms(min, a, sizeof(a));
        fmt_ms(sum / got, b, sizeof(b));
        fmt_ms(max, c, sizeof(c));
        printf(", rtt min/avg/max %s/%s/%s ms", a, b, c);
    }
    printf("\n");
    return got ? 0 : 1;
}

static int udpecho(unsigned long port, unsigned long count)
{
    struct NetInfo info;
    char ip[16];
    long rc = nexus_net_bind(SLOT, (uint16_t)port);
    if (rc < 0) {
        printf("netc: port %lu: cannot bind\n", port);
        return fail("bind", rc);
    }
    rc = nexus_net_info(SLOT, &info);
    if (rc < 0)
        return fail("info", rc);
    printf("netc: listening on %s:%lu\n", fmt_ip(info.ip, ip), port);
    unsigned long echoed = 0, failed = 0;
    unsigned long long bytes = 0;
    while (count == 0 || echoed + failed < count) {
        struct NetFrom from;
        long n =
            nexus_net_recvfrom(SLOT, (uint16_t)port, dgram, sizeof(dgram), &from, ECHO_WAIT_NS);
        if (n == -ION_ETIMEDOUT)
            continue;
        if (n < 0) {
            fail("recvfrom", n);
            break;
        }
        long s = nexus_net_sendto(SLOT, (uint16_t)port, from.ip, from.port, dgram, (uint32_t)n);
        if (s == n) {
            echoed++;
            bytes += (unsigned long long)n;
        } else {
            failed++;
        }
    }
    printf("netc: echoed %lu datagrams (%llu bytes), %lu failed\n", echoed, bytes, failed);
    return failed ? 1 : 0;
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
        printf("netc: inet %s mask %s gateway %s\n", fmt_ip(i.ip, a), fmt_ip(i.netmask, m),
               fmt_ip(i.gateway, g));
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
        if (parse_ip(argv[2], &ip) || (argc == 4 && parse_num(argv[3], 1000000, &n))) {
            printf("usage: netc ping A.B.C.D [count]\n");
            return 2;
        }
        return ping(argv[2], ip, argc == 4 ? n : 4);
    }
    if (strcmp(op, "udpecho") == 0 && (argc == 3 || argc == 4)) {
        if (parse_num(argv[2], 65535, &port) || (argc == 4 && parse_num(argv[3], ~0ul, &n))) {
            printf("usage: netc udpecho PORT [count]\n");
            return 2;
        }
        return udpecho(port, n);
    }
    if (strcmp(op, "send") == 0 && argc == 5) {
        if (parse_ip(argv[2], &ip) || parse_num(argv[3], 65535, &port)) {
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
