/* The Membrane's network calls (user/include/nexus_net.h): one CMD_NET_* command each through
 * the fiber's ION channel (nexus_call). */
#include <nexus_blk.h>
#include <nexus_net.h>

long nexus_net_bind(unsigned slot, uint16_t port)
{
    struct NetPortArgs a = {.port = port};
    return nexus_call(CMD_NET_BIND, slot, &a, sizeof(a));
}

long nexus_net_close(unsigned slot, uint16_t port)
{
    struct NetPortArgs a = {.port = port};
    return nexus_call(CMD_NET_CLOSE, slot, &a, sizeof(a));
}

long nexus_net_sendto(unsigned slot, uint16_t sport, uint32_t ip, uint16_t port, const void *buf,
                      uint32_t len)
{
    struct NetSendArgs a = {
        .buf = (uint64_t)(uintptr_t)buf, .len = len, .ip = ip, .port = port, .sport = sport};
    return nexus_call(CMD_NET_SENDTO, slot, &a, sizeof(a));
}

long nexus_net_recvfrom(unsigned slot, uint16_t port, void *buf, uint32_t len, struct NetFrom *from,
                        uint64_t timeout_ns)
{
    struct NetRecvArgs a = {.buf = (uint64_t)(uintptr_t)buf,
                            .from = (uint64_t)(uintptr_t)from,
                            .timeout_ns = timeout_ns,
                            .len = len,
                            .port = port};
    return nexus_call(CMD_NET_RECVFROM, slot, &a, sizeof(a));
}

long nexus_net_ping(unsigned slot, uint32_t ip, uint16_t seq, uint16_t size, uint64_t timeout_ns)
{
    struct NetPingArgs a = {.timeout_ns = timeout_ns, .ip = ip, .seq = seq, .size = size};
    return nexus_call(CMD_NET_PING, slot, &a, sizeof(a));
}

long nexus_net_info(unsigned slot, struct NetInfo *info)
{
    struct NetBufArgs a = {.buf = (uint64_t)(uintptr_t)info, .len = sizeof(*info)};
    return nexus_call(CMD_NET_INFO, slot, &a, sizeof(a));
}

long nexus_net_dhcp(unsigned slot, uint64_t timeout_ns, struct NetLease *lease)
{
    struct NetDhcpArgs a = {
        .timeout_ns = timeout_ns, .buf = (uint64_t)(uintptr_t)lease, .len = sizeof(*lease)};
    return nexus_call(CMD_NET_DHCP, slot, &a, sizeof(a));
}
