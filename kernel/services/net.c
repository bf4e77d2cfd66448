/* The shell's network services (run through SYS_SERVICE): net (interfaces and counters) and
 * arp, reports; netbench, the in-guest half of `./rumpk bench net`, which needs the caller's
 * capability to the interface with the write right. (dhcp, ping and udpecho are the shell's
 * own, over the net channel.) They never touch a device directly. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <abi/ipv4.h>
#include <abi/parse_uint.h>
#include <caps/cspace.h>
#include <dispatch/dispatch.h>
#include <services/service.h>

#include "net/arp.h"
#include "net/dhcp.h"
#include "net/icmp.h"
#include "net/net.h"
#include "net/udp.h"

#define DHCP_TIMEOUT_NS (3000ull * NET_MS)
#define PING_TIMEOUT_NS (1000ull * NET_MS)
#define PING_PAYLOAD    56

static uint8_t dgram[UDP_MAX_PAYLOAD]; /* shell-only buffers, off the shell's stack */

/* 0 when the calling fiber may act on the default interface (a capability to it with the
 * write right), else one line and -EPERM. */
static int net_denied(const char *who)
{
    const struct netif *nif = net_netif_default();
    if (!nif || dispatch_holds(CAP_NET, nif->index, CAP_W))
        return 0;
    printf("%s: %s: permission denied (no capability to it with the write right)\n", who,
           nif->name);
    return -EPERM;
}

/* The default interface with an address: runs DHCP first when it has none. */
static struct netif *ready_netif(const char *who)
{
    struct netif *nif = net_netif_default();
    if (!nif) {
        printf("%s: no network interface\n", who);
        return NULL;
    }
    if (!nif->configured) {
        char ip[16];
        int rc = dhcp_run(nif, DHCP_TIMEOUT_NS);
        if (rc == 0)
            printf("%s: %s: dhcp gave %s\n", who, nif->name, net_ip_format(nif->ip, ip));
        else if (rc == -ETIMEDOUT)
            printf("%s: %s: no dhcp answer; using %s\n", who, nif->name,
                   net_ip_format(nif->ip, ip));
        if (!nif->configured) {
            printf("%s: %s: no address: %s\n", who, nif->name, net_strerror(rc));
            return NULL;
        }
    }
    return nif;
}

static void show_counter(const char *name, uint64_t v, unsigned *col)
{
    if (!v)
        return;
    printf("%s%s %llu", *col ? ", " : "  ", name, (unsigned long long)v);
    if (++*col == 6) {
        printf("\n");
        *col = 0;
    }
}

static void show_netif(struct netif *nif)
{
    char mac[18], ip[16], mask[16], gw[16];
    bool up = !nif->ops->link_up || nif->ops->link_up(nif);
    printf("%s: mac %s link %s\n", nif->name, net_mac_format(nif->mac, mac), up ? "up" : "down");
    if (nif->configured)
        printf("  inet %s/%u (mask %s) gateway %s, dhcp %s\n", net_ip_format(nif->ip, ip),
               ipv4_prefix_len(nif->netmask), net_ip_format(nif->netmask, mask),
               nif->gateway ? net_ip_format(nif->gateway, gw) : "none",
               dhcp_state_name(dhcp_state(nif)));
    else
        printf("  no address (dhcp %s)\n", dhcp_state_name(dhcp_state(nif)));
    const struct netif_stats *s = &nif->stats;
    printf("  rx %llu frames %llu bytes, %llu errors, %llu dropped\n",
           (unsigned long long)s->rx_frames, (unsigned long long)s->rx_bytes,
           (unsigned long long)s->rx_errors, (unsigned long long)s->rx_dropped);
    printf("  tx %llu frames %llu bytes, %llu errors\n", (unsigned long long)s->tx_frames,
           (unsigned long long)s->tx_bytes, (unsigned long long)s->tx_errors);
    char below[384];
    if (net_netif_describe(nif, below, sizeof(below)) > 0)
        fputs(below, stdout);
}

static int cmd_net(int argc, char **argv)
{
    (void)argv;
    if (argc > 1) {
        printf("usage: net\n");
        return -EINVAL;
    }
    net_poll();
    unsigned n = net_netif_count();
    if (n == 0)
        printf("net: no network interface\n");
    for (unsigned i = 0; i < n; i++)
        show_netif(net_netif_at(i));
    const struct net_counters *c = net_counters();
    printf("stack: ip in %llu out %llu, udp in %llu out %llu, malformed dropped %llu\n",
           (unsigned long long)c->ip_in, (unsigned long long)c->ip_out,
           (unsigned long long)c->udp_in, (unsigned long long)c->udp_out,
           (unsigned long long)net_malformed_total());
    unsigned col = 0;
    show_counter("eth-short", c->eth_short, &col);
    show_counter("arp-bad", c->arp_bad, &col);
    show_counter("arp-failed", c->arp_failed, &col);
    show_counter("arp-queue-full", c->arp_pending_full, &col);
    show_counter("ip-short", c->ip_short, &col);
    show_counter("ip-version", c->ip_bad_version, &col);
    show_counter("ip-hlen", c->ip_bad_hlen, &col);
    show_counter("ip-len", c->ip_bad_len, &col);
    show_counter("ip-csum", c->ip_bad_csum, &col);
    show_counter("ip-frag", c->ip_frag, &col);
    show_counter("ip-src", c->ip_bad_src, &col);
    show_counter("ip-ttl0", c->ip_ttl0, &col);
    show_counter("icmp-bad", c->icmp_bad, &col);
    show_counter("icmp-csum", c->icmp_bad_csum, &col);
    show_counter("udp-len", c->udp_bad_len, &col);
    show_counter("udp-csum", c->udp_bad_csum, &col);
    show_counter("udp-no-port", c->udp_no_port, &col);
    show_counter("udp-queue-full", c->udp_queue_full, &col);
    show_counter("dhcp-bad", c->dhcp_bad, &col);
    show_counter("tx-failed", c->tx_failed, &col);
    if (col)
        printf("\n");
    return 0;
}

static int cmd_arp(int argc, char **argv)
{
    (void)argv;
    if (argc > 1) {
        printf("usage: arp\n");
        return -EINVAL;
    }
    net_poll();
    static struct arp_info info[ARP_CACHE_SIZE];
    unsigned n = arp_list(info, ARP_CACHE_SIZE);
    printf("%-16s %-18s %-6s %-10s %s\n", "ADDRESS", "MAC", "IF", "STATE", "AGE");
    for (unsigned i = 0; i < n; i++) {
        char ip[16], mac[18];
        printf("%-16s %-18s %-6s %-10s %llu ms\n", net_ip_format(info[i].ip, ip),
               info[i].resolved ? net_mac_format(info[i].mac, mac) : "-", info[i].netif,
               info[i].resolved ? "resolved" : "pending",
               (unsigned long long)(info[i].age_ns / NET_MS));
    }
    if (n == 0)
        printf("(empty)\n");
    return 0;
}

/* netbench ping <ip> <count> [arp]: back-to-back echo requests, one summary line. With "arp",
 * the ARP cache is emptied before each request, so every round trip resolves the address again
 * (what a U-Boot `ping` loop does). */
static int bench_ping(uint32_t dst, unsigned long count, bool arp_each)
{
    unsigned long ok = 0, lost = 0;
    uint64_t start = net_now_ns();
    for (unsigned long i = 0; i < count && !service_interrupted(); i++) {
        if (arp_each)
            arp_flush();
        int rc = icmp_ping(dst, (uint16_t)i, PING_PAYLOAD, PING_TIMEOUT_NS, NULL);
        if (rc == 0)
            ok++;
        else if (rc == -ETIMEDOUT)
            lost++;
        else {
            printf("netbench: ping: %s\n", net_strerror(rc));
            return rc;
        }
    }
    uint64_t ns = net_now_ns() - start;
    uint64_t per_s = ns ? (uint64_t)ok * NET_S / ns : 0;
    printf("netbench ping: %lu round trips, %lu lost, %llu us, %llu per s\n", ok, lost,
           (unsigned long long)(ns / 1000u), (unsigned long long)per_s);
    return 0;
}

/* netbench tx <ip> <port> <size> <count>: UDP datagrams as fast as the device takes them. */
/* Resolves the next hop towards dst before a timed run, so that ARP is not part of what is
 * measured and no datagram is dropped while the address is being resolved. */
static int resolve_next_hop(struct netif *nif, uint32_t dst)
{
    uint32_t hop = (dst & nif->netmask) == (nif->ip & nif->netmask) ? dst : nif->gateway;
    uint8_t mac[NET_MAC_LEN];
    uint64_t deadline = net_now_ns() + 2 * NET_S;

    while (arp_lookup(nif, hop, mac) != 0) {
        if (net_now_ns() >= deadline) {
            char ip[16];
            printf("netbench: no ARP answer from %s\n", net_ip_format(hop, ip));
            return -EHOSTUNREACH;
        }
        (void)arp_resolve(nif, hop);
        net_poll();
    }
    return 0;
}

static int bench_tx(uint32_t dst, unsigned long port, unsigned long size, unsigned long count)
{
    int s = udp_socket();
    if (s < 0) {
        printf("netbench: no socket: %s\n", net_strerror(s));
        return s;
    }
    for (size_t i = 0; i < size; i++)
        dgram[i] = (uint8_t)i;
    unsigned long sent = 0, failed = 0;
    uint64_t start = net_now_ns();
    for (unsigned long i = 0; i < count; i++) {
        if ((i & 255) == 0 && service_interrupted())
            break;
        if (size >= 4) {
            dgram[0] = (uint8_t)(i >> 24);
            dgram[1] = (uint8_t)(i >> 16);
            dgram[2] = (uint8_t)(i >> 8);
            dgram[3] = (uint8_t)i;
        }
        if (udp_sendto(s, dgram, size, dst, (uint16_t)port) == (int)size)
            sent++;
        else
            failed++;
        if ((i & 63) == 0)
            net_poll(); /* answer ARP, reclaim transmit buffers */
    }
    uint64_t ns = net_now_ns() - start;
    udp_close(s);
    uint64_t bytes = (uint64_t)sent * size;
    uint64_t kib_s = ns ? bytes * NET_S / ns / 1024u : 0;
    printf("netbench tx: %lu datagrams of %lu bytes, %lu failed, %llu us, %llu.%02llu MiB/s\n",
           sent, size, failed, (unsigned long long)(ns / 1000u),
           (unsigned long long)(kib_s / 1024u), (unsigned long long)(kib_s % 1024u * 100u / 1024u));
    return failed && !sent ? -EIO : 0;
}

static int cmd_netbench(int argc, char **argv)
{
    if (net_denied("netbench"))
        return -EPERM;
    uint32_t dst;
    uint64_t count, port, size;
    if ((argc == 4 || (argc == 5 && strcmp(argv[4], "arp") == 0)) && strcmp(argv[1], "ping") == 0 &&
        net_ip_parse(argv[2], &dst) == 0 && parse_uint(argv[3], 100000000, &count) == 0) {
        if (!ready_netif("netbench"))
            return -ENETUNREACH;
        return bench_ping(dst, count, argc == 5);
    }
    if (argc == 6 && strcmp(argv[1], "tx") == 0 && net_ip_parse(argv[2], &dst) == 0 &&
        parse_uint(argv[3], 65535, &port) == 0 && port != 0 &&
        parse_uint(argv[4], UDP_MAX_PAYLOAD, &size) == 0 &&
        parse_uint(argv[5], 100000000, &count) == 0) {
        struct netif *nif = ready_netif("netbench");
        if (!nif)
            return -ENETUNREACH;
        int rc = resolve_next_hop(nif, dst);
        return rc ? rc : bench_tx(dst, port, size, count);
    }
    printf("usage: netbench ping <ip> <count> [arp] | netbench tx <ip> <port> <size> <count>\n");
    return -EINVAL;
}

SERVICE_COMMAND(net, "net", "net", "network interfaces: address, link, frame and drop counters",
                cmd_net);
SERVICE_COMMAND(arp, "arp", "arp", "the ARP cache", cmd_arp);
SERVICE_COMMAND(netbench, "netbench", "netbench ping|tx ...",
                "network benchmark loops (used by ./rumpk bench net)", cmd_netbench);
