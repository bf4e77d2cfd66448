/* The network tools NipBox and netc share (user/include/nexus_nettools.h). */
#include <stdio.h>

#include <ion_gen/ion_cmds.h>
#include <nexus.h>
#include <nexus_net.h>
#include <nexus_nettools.h>

#define PING_PAYLOAD    56u
#define PING_TIMEOUT_NS 1000000000ull
#define ECHO_WAIT_NS    100000000ull /* how often the echo loop looks at stop() */
#define MAX_DGRAM       1472u

static uint8_t dgram[MAX_DGRAM];

static const char *message(long rc)
{
    const char *m = ion_error_message(rc);
    return m ? m : "error";
}

int net_parse_ip(const char *s, uint32_t *ip)
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

char *net_format_ip(uint32_t ip, char buf[16])
{
    snprintf(buf, 16, "%u.%u.%u.%u", (unsigned)(ip >> 24), (unsigned)(ip >> 16 & 255),
             (unsigned)(ip >> 8 & 255), (unsigned)(ip & 255));
    return buf;
}

void net_format_ms(uint64_t ns, char *buf, size_t len)
{
    uint64_t us = ns / 1000u;
    snprintf(buf, len, "%llu.%03llu", (unsigned long long)(us / 1000u),
             (unsigned long long)(us % 1000u));
}

long net_ping_loop(unsigned slot, const char *host, uint32_t ip, unsigned long count,
                   int (*stop)(void))
{
    unsigned long sent = 0, got = 0;
    uint64_t min = UINT64_MAX, max = 0, sum = 0, start = nexus_time_ns();
    char t[24];
    long last = 0;

    for (unsigned long i = 0; i < count && !(stop && stop()); i++) {
        long rc = nexus_net_ping(slot, ip, (uint16_t)i, PING_PAYLOAD, PING_TIMEOUT_NS);
        if (rc == -ION_EINVAL && i == 0) { /* the kernel's word on the address (the rest is ours) */
            printf("ping: %s is not a unicast address\n", host);
            return rc;
        }
        if (rc < 0 && rc != -ION_ETIMEDOUT) { /* refused before it left: not sent */
            printf("ping: seq=%lu not sent: %s\n", i, message(rc));
            last = rc;
            break;
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
        net_format_ms(rtt, t, sizeof(t));
        printf("%u bytes from %s: seq=%lu time=%s ms\n", PING_PAYLOAD + 8, host, i, t);
    }
    char a[24], b[24], c[24], total[24];
    net_format_ms(nexus_time_ns() - start, total, sizeof(total));
    printf("--- %s: %lu sent, %lu received, %lu%% loss, %s ms", host, sent, got,
           sent ? (sent - got) * 100 / sent : 0, total);
    if (got) {
        net_format_ms(min, a, sizeof(a));
        net_format_ms(sum / got, b, sizeof(b));
        net_format_ms(max, c, sizeof(c));
        printf(", rtt min/avg/max %s/%s/%s ms", a, b, c);
    }
    printf("\n");
    return last ? last : got ? 0 : -ION_ETIMEDOUT;
}

long net_udpecho_loop(unsigned slot, const char *who, unsigned long port, unsigned long count,
                      int (*stop)(void))
{
    struct NetInfo info;
    char ip[16];
    long rc = nexus_net_bind(slot, (uint16_t)port);
    if (rc < 0) {
        printf("%s: port %lu: cannot bind: %s\n", who, port, message(rc));
        return rc;
    }
    rc = nexus_net_info(slot, &info);
    if (rc < 0) {
        printf("%s: %s\n", who, message(rc));
        (void)nexus_net_close(slot, (uint16_t)port);
        return rc;
    }
    printf("%s: listening on %s:%lu\n", who, net_format_ip(info.ip, ip), port);
    fflush(stdout);
    unsigned long echoed = 0, failed = 0;
    unsigned long long bytes = 0;
    rc = 0;
    while ((count == 0 || echoed + failed < count) && !(stop && stop())) {
        struct NetFrom from;
        long n =
            nexus_net_recvfrom(slot, (uint16_t)port, dgram, sizeof(dgram), &from, ECHO_WAIT_NS);
        if (n == -ION_ETIMEDOUT)
            continue;
        if (n < 0) {
            printf("%s: %s\n", who, message(n));
            rc = n;
            break;
        }
        long s = nexus_net_sendto(slot, (uint16_t)port, from.ip, from.port, dgram, (uint32_t)n);
        if (s == n) {
            echoed++;
            bytes += (unsigned long long)n;
        } else {
            failed++;
        }
    }
    (void)nexus_net_close(slot, (uint16_t)port);
    printf("%s: echoed %lu datagrams (%llu bytes), %lu failed\n", who, echoed, bytes, failed);
    return rc;
}
