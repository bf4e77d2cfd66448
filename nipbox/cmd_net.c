/* NipBox's network commands, clients of the net channel (CMD_NET_*) through the shell's
 * capability to net0, like any program holding one: dhcp, ping (which asks DHCP first when the
 * interface has no address) and udpecho. The interface's counters and the ARP cache are the
 * kernel's reports (`net`, `arp`: shell services). */
#include <errno.h>
#include <stdio.h>

#include <abi/ipv4.h>
#include <ion_gen/ion_cmds.h>
#include <nexus.h>
#include <nexus_net.h>
#include <nexus_nettools.h>
#include <nipbox.h>

#define DHCP_TIMEOUT_MS 3000u
#define MS              1000000ull

static const char *message(long rc)
{
    const char *m = ion_error_message(rc);
    return m ? m : "error";
}

/* The shell's slot for net0 with the write right, or -1 with the line said. */
static int net_slot(const char *who)
{
    int slot = nipbox_cap_slot("net0", ION_RIGHT_W);
    if (slot < 0)
        printf("%s: no network interface (the shell holds no capability to net0)\n", who);
    return slot;
}

/* net0 with an address: DHCP first when it has none. 0, or -errno with the line said. */
static long ready(const char *who, int slot)
{
    struct NetInfo info;
    struct NetLease lease;
    char ip[16];
    long rc = nexus_net_info((unsigned)slot, &info);
    if (rc < 0 || (info.flags & 1u))
        return rc < 0 ? (printf("%s: net0: %s\n", who, message(rc)), rc) : 0;
    rc = nexus_net_dhcp((unsigned)slot, DHCP_TIMEOUT_MS * MS, &lease);
    if (rc == 0)
        printf("%s: net0: dhcp gave %s\n", who, net_format_ip(lease.ip, ip));
    else if (rc == -ION_ETIMEDOUT)
        printf("%s: net0: no dhcp answer; using %s\n", who, net_format_ip(lease.ip, ip));
    else
        printf("%s: net0: no address: %s\n", who, message(rc));
    return rc == -ION_ETIMEDOUT ? 0 : rc;
}

static int cmd_dhcp(int argc, char **argv)
{
    struct NetLease l;
    uint64_t ms = DHCP_TIMEOUT_MS;
    char ip[16], gw[16], srv[16], t[16];

    if (argc > 2 || (argc == 2 && (parse_uint(argv[1], 600000, &ms) || ms == 0))) {
        printf("usage: dhcp [timeout-ms]\n");
        return -EINVAL;
    }
    int slot = net_slot("dhcp");
    if (slot < 0)
        return -ENODEV;
    uint64_t start = nexus_time_ns();
    long rc = nexus_net_dhcp((unsigned)slot, ms * MS, &l);
    net_format_ms(nexus_time_ns() - start, t, sizeof(t));
    if (rc == 0) {
        printf("dhcp: net0 bound %s/%u gateway %s server %s lease %lu s in %s ms\n",
               net_format_ip(l.ip, ip), ipv4_prefix_len(l.netmask),
               l.gateway ? net_format_ip(l.gateway, gw) : "none", net_format_ip(l.server, srv),
               (unsigned long)l.lease_s, t);
        return 0;
    }
    if (rc == -ION_ETIMEDOUT) {
        printf("dhcp: net0: no answer in %lu ms; fallback %s/%u gateway %s\n", (unsigned long)ms,
               net_format_ip(l.ip, ip), ipv4_prefix_len(l.netmask), net_format_ip(l.gateway, gw));
        return (int)rc;
    }
    printf("dhcp: net0: %s\n", rc == -ION_ENETDOWN ? "link down" : message(rc));
    return (int)rc;
}

static int cmd_ping(int argc, char **argv)
{
    uint32_t dst;
    uint64_t count = 4;
    if (argc < 2 || argc > 3 || net_parse_ip(argv[1], &dst) ||
        (argc == 3 && (parse_uint(argv[2], 1000000, &count) || count == 0))) {
        printf("usage: ping <a.b.c.d> [count]\n");
        return -EINVAL;
    }
    int slot = net_slot("ping");
    if (slot < 0)
        return -ENODEV;
    long rc = ready("ping", slot);
    if (rc < 0)
        return (int)rc;
    (void)nipbox_interrupted();
    return (int)net_ping_loop((unsigned)slot, argv[1], dst, (unsigned long)count,
                              nipbox_interrupted);
}

static int cmd_udpecho(int argc, char **argv)
{
    uint64_t port, count = 0;
    if (argc < 2 || argc > 3 || parse_uint(argv[1], 65535, &port) || port == 0 ||
        (argc == 3 && parse_uint(argv[2], 0xffffffffu, &count))) {
        printf("usage: udpecho <port> [count]   (until Ctrl-C, or count datagrams)\n");
        return -EINVAL;
    }
    int slot = net_slot("udpecho");
    if (slot < 0)
        return -ENODEV;
    long rc = ready("udpecho", slot);
    if (rc < 0)
        return (int)rc;
    (void)nipbox_interrupted();
    return (int)net_udpecho_loop((unsigned)slot, "udpecho", (unsigned long)port,
                                 (unsigned long)count, nipbox_interrupted);
}

NIPBOX_COMMAND(dhcp, "dhcp", "dhcp [timeout-ms]",
               "get an address by DHCP (fallback 10.0.2.15/24 gw 10.0.2.2)", cmd_dhcp);
NIPBOX_COMMAND(ping, "ping", "ping <a.b.c.d> [count]", "ICMP echo with per-reply times", cmd_ping);
NIPBOX_COMMAND(udpecho, "udpecho", "udpecho <port> [count]",
               "echo UDP datagrams back until Ctrl-C (or count)", cmd_udpecho);
