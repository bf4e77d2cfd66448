/* The net channel (CMD_NET_* from abi/ion.toml): UDP ports and ping for any fiber holding a
 * CAP_NET capability to an interface ("net0"). Every argument is checked before the stack sees
 * it; the fiber's memory is reached only through vm_copyin/vm_copyout. A port belongs to the
 * fiber that bound it (ion_net_exit frees it when the fiber ends). Waits sleep on the stack's
 * event (net_wait) in rounds and end with -EINTR once the fiber is killed. */
#include <errno.h>
#include <string.h>

#include <ion_gen/ion_cmds.h>
#include <kernel/fiber.h>
#include <kernel/vm.h>

#include "dispatch_priv.h"
#include "net/arp.h"
#include "net/dhcp.h"
#include "net/icmp.h"
#include "net/net.h"
#include "net/udp.h"

#define NET_PORTS_MAX    UDP_MAX_SOCKETS /* ports bound by fibers, all together */
#define NET_FIBER_PORTS  4u              /* ports one fiber may hold */
#define RECV_TIMEOUT_MAX (3600ull * NET_S)
#define PING_TIMEOUT_MIN NET_MS
#define PING_TIMEOUT_MAX (60ull * NET_S)
#define ARP_WAIT_NS      (2ull * NET_S) /* longer than the stack's retries take */

struct net_port {
    unsigned owner; /* fiber id; 0 = free */
    int sock;       /* the stack's socket */
    uint16_t port;
};

static struct net_port ports[NET_PORTS_MAX];
/* Datagrams between the stack and a fiber. The kernel switches fibers only where code sleeps,
 * and nothing sleeps between filling this and copying it out (or into the stack's frame). */
static uint8_t dgram[UDP_MAX_PAYLOAD];

_Static_assert(UDP_MAX_PAYLOAD == 1472, "NetSendArgs' documented limit");
_Static_assert(ICMP_PING_MAX_PAYLOAD == 1024, "NetPingArgs' documented limit");

/* The interface a capability names (its index in the stack), or NULL when it went away. */
static struct netif *netif_of(uint32_t object)
{
    for (unsigned i = 0; i < net_netif_count(); i++) {
        struct netif *nif = net_netif_at(i);
        if (nif && nif->index == object)
            return nif;
    }
    return NULL;
}

int ion_net_find(const char *name)
{
    for (unsigned i = 0; name && i < net_netif_count(); i++) {
        struct netif *nif = net_netif_at(i);
        if (nif && strcmp(nif->name, name) == 0)
            return (int)nif->index;
    }
    return -ENODEV;
}

static struct net_port *port_of(unsigned fiber, uint32_t port)
{
    for (unsigned i = 0; i < NET_PORTS_MAX; i++)
        if (ports[i].owner == fiber && ports[i].port == port && port != 0)
            return &ports[i];
    return NULL;
}

void ion_net_exit(unsigned fiber)
{
    for (unsigned i = 0; fiber && i < NET_PORTS_MAX; i++) {
        if (ports[i].owner != fiber)
            continue;
        (void)udp_close(ports[i].sock);
        memset(&ports[i], 0, sizeof(ports[i]));
    }
}

/* Every page of [va, va + len) mapped user-accessible with `need`: checked before a datagram
 * is taken from its queue, so a bad buffer never loses one. */
static bool user_range_ok(uint64_t va, size_t len, unsigned need)
{
    if (len == 0)
        return true;
    if (va + len < va || va + len > VM_USER_TOP)
        return false;
    for (uint64_t pg = va & ~(VM_PAGE - 1); pg < va + len; pg += VM_PAGE)
        if (!vm_translate(fiber_space(), pg < va ? va : pg, need))
            return false;
    return true;
}

/* One round of waiting for the stack: false when the fiber was killed or the deadline passed
 * (*rc says which). A polled interface makes net_wait return at once: yield then, so a waiting
 * fiber never holds the CPU from the others. */
static bool wait_round(uint64_t deadline, int *rc)
{
    if (fiber_killed()) {
        *rc = -EINTR;
        return false;
    }
    if (net_now_ns() >= deadline) {
        *rc = -ETIMEDOUT;
        return false;
    }
    uint64_t before = net_now_ns();
    net_wait();
    if (net_now_ns() - before < NET_MS / 10u)
        fiber_yield();
    return true;
}

/* Resolves the next hop towards dst before a datagram leaves: the stack runs only in its
 * callers, so a datagram left waiting for ARP behind a fiber that ends would never be sent.
 * 0, -EHOSTUNREACH (no answer), -EINTR. */
static int resolve(struct netif *nif, uint32_t dst)
{
    uint32_t hop = (dst & nif->netmask) == (nif->ip & nif->netmask) ? dst : nif->gateway;
    uint64_t deadline = net_now_ns() + ARP_WAIT_NS;
    uint8_t mac[NET_MAC_LEN];
    int rc;

    if (dst == nif->ip || hop == 0) /* looped back, or the stack's own answer (unreachable) */
        return 0;
    while (arp_lookup(nif, hop, mac) != 0) {
        (void)arp_resolve(nif, hop);
        net_poll();
        if (arp_lookup(nif, hop, mac) == 0)
            break;
        if (!wait_round(deadline, &rc))
            return rc == -ETIMEDOUT ? -EHOSTUNREACH : rc;
    }
    return 0;
}

static int64_t net_bind(unsigned fiber, const struct NetPortArgs *a)
{
    unsigned mine = 0;
    struct net_port *free_slot = NULL;

    if (a->pad0 || a->pad1)
        return -EINVAL;
    for (unsigned i = 0; i < NET_PORTS_MAX; i++) {
        mine += ports[i].owner == fiber;
        if (!ports[i].owner && !free_slot)
            free_slot = &ports[i];
    }
    if (mine >= NET_FIBER_PORTS || !free_slot)
        return -ENFILE;
    int s = udp_socket();
    if (s < 0)
        return s;
    int rc = udp_bind(s, a->port);
    if (rc < 0) {
        (void)udp_close(s);
        return rc;
    }
    free_slot->owner = fiber;
    free_slot->sock = s;
    free_slot->port = (uint16_t)udp_local_port(s);
    return free_slot->port;
}

static int64_t net_close(unsigned fiber, const struct NetPortArgs *a)
{
    struct net_port *p = port_of(fiber, a->port);

    if (!p)
        return -EADDRNOTAVAIL;
    (void)udp_close(p->sock);
    memset(p, 0, sizeof(*p));
    return 0;
}

static int64_t net_sendto(unsigned fiber, struct netif *nif, const struct NetSendArgs *a)
{
    struct net_port *p = port_of(fiber, a->sport);

    if (!p)
        return -EADDRNOTAVAIL;
    if (a->pad || a->port == 0 || !net_ip_is_unicast(a->ip))
        return -EINVAL;
    if (a->len > UDP_MAX_PAYLOAD)
        return -EMSGSIZE;
    if (!nif->configured)
        return -ENETDOWN;
    int rc = resolve(nif, a->ip);
    if (rc < 0)
        return rc;
    if (vm_copyin(fiber_space(), dgram, a->buf, a->len))
        return -EFAULT;
    return udp_sendto(p->sock, dgram, a->len, a->ip, a->port);
}

static int64_t net_recvfrom(unsigned fiber, const struct NetRecvArgs *a)
{
    struct net_port *p = port_of(fiber, a->port);

    if (!p)
        return -EADDRNOTAVAIL;
    if (a->pad || a->timeout_ns > RECV_TIMEOUT_MAX)
        return -EINVAL;
    if (!user_range_ok(a->buf, a->len, VM_W) ||
        (a->from && !user_range_ok(a->from, sizeof(struct NetFrom), VM_W)))
        return -EFAULT;
    size_t want = a->len < sizeof(dgram) ? a->len : sizeof(dgram);
    uint64_t deadline = net_now_ns() + a->timeout_ns;
    struct NetFrom from;
    int n, rc;
    memset(&from, 0, sizeof(from));
    for (;;) {
        n = udp_recvfrom(p->sock, dgram, want, &from.ip, &from.port, 0);
        if (n != -EAGAIN)
            break;
        if (a->timeout_ns == 0)
            return -EAGAIN;
        if (!wait_round(deadline, &rc))
            return rc;
    }
    if (n < 0)
        return n;
    size_t got = (size_t)n < want ? (size_t)n : want;
    from.len = (uint32_t)n;
    /* Checked writable above and the fiber's space cannot change under its own call. */
    if (vm_copyout(fiber_space(), a->buf, dgram, got) ||
        (a->from && vm_copyout(fiber_space(), a->from, &from, sizeof(from))))
        return -EFAULT;
    return (int64_t)got;
}

static int64_t net_ping(struct netif *nif, const struct NetPingArgs *a)
{
    if (!net_ip_is_unicast(a->ip) || a->timeout_ns < PING_TIMEOUT_MIN ||
        a->timeout_ns > PING_TIMEOUT_MAX)
        return -EINVAL;
    if (a->size > ICMP_PING_MAX_PAYLOAD)
        return -EMSGSIZE;
    if (!nif->configured)
        return -ENETDOWN;
    uint64_t deadline = net_now_ns() + a->timeout_ns;
    int rc;
    while ((rc = icmp_echo_send(a->ip, a->seq, a->size)) == -EBUSY) /* another's echo */
        if (!wait_round(deadline, &rc))
            return rc;
    if (rc < 0)
        return rc;
    uint64_t rtt = 0;
    while ((rc = icmp_echo_poll(&rtt)) == -EAGAIN) {
        if (!wait_round(deadline, &rc)) {
            icmp_echo_cancel();
            return rc;
        }
    }
    return rc < 0 ? rc : (int64_t)rtt;
}

static int64_t net_info(struct netif *nif, const struct NetBufArgs *a)
{
    struct NetInfo out;

    if (a->pad || a->len < sizeof(out))
        return -EINVAL;
    memset(&out, 0, sizeof(out));
    for (unsigned i = 0; i < NET_MAC_LEN; i++)
        out.mac = out.mac << 8 | nif->mac[i];
    if (nif->configured) {
        out.ip = nif->ip;
        out.netmask = nif->netmask;
        out.gateway = nif->gateway;
        out.flags |= 1u;
    }
    out.mtu = nif->mtu ? nif->mtu : NET_MTU;
    if (!nif->ops->link_up || nif->ops->link_up(nif))
        out.flags |= 2u;
    return vm_copyout(fiber_space(), a->buf, &out, sizeof(out)) ? -EFAULT : (int64_t)sizeof(out);
}

static int64_t net_dhcp(struct netif *nif, const struct NetDhcpArgs *a)
{
    struct NetLease out;

    if (a->pad || a->len < sizeof(out) || a->timeout_ns < 1000000u ||
        a->timeout_ns > 600ull * 1000000000u)
        return -EINVAL;
    int rc = dhcp_run(nif, a->timeout_ns);
    if (rc && rc != -ETIMEDOUT)
        return rc;
    const struct dhcp_lease *l = rc == 0 ? dhcp_lease(nif) : NULL;
    out = (struct NetLease){nif->ip,           nif->netmask,       nif->gateway,
                            l ? l->server : 0, l ? l->lease_s : 0, 0};
    if (vm_copyout(fiber_space(), a->buf, &out, sizeof(out)))
        return -EFAULT;
    return rc;
}

int64_t ion_net_command(struct proc *p, const struct ion_sqe *e)
{
    uint8_t need;
    struct cap_view v;

    switch (e->op) {
    case CMD_NET_BIND:
        need = CMD_NET_BIND_RIGHTS;
        break;
    case CMD_NET_CLOSE:
        need = CMD_NET_CLOSE_RIGHTS;
        break;
    case CMD_NET_SENDTO:
        need = CMD_NET_SENDTO_RIGHTS;
        break;
    case CMD_NET_RECVFROM:
        need = CMD_NET_RECVFROM_RIGHTS;
        break;
    case CMD_NET_PING:
        need = CMD_NET_PING_RIGHTS;
        break;
    case CMD_NET_INFO:
        need = CMD_NET_INFO_RIGHTS;
        break;
    case CMD_NET_DHCP:
        need = CMD_NET_DHCP_RIGHTS;
        break;
    default:
        dispatch_counters.invalid++;
        return -ENOSYS;
    }
    int rc = cap_check(&p->cs, e->slot, CAP_NET, need, &v);
    if (rc) {
        dispatch_counters.denied++;
        return rc;
    }
    struct netif *nif = netif_of(v.object);
    if (!nif)
        return -ENODEV;
    unsigned fiber = fiber_self();
    const void *arg = (const void *)e->arg;
    union {
        struct NetPortArgs port;
        struct NetSendArgs send;
        struct NetRecvArgs recv;
        struct NetPingArgs ping;
        struct NetBufArgs buf;
        struct NetDhcpArgs dhcp;
    } a;
    _Static_assert(sizeof(a) <= sizeof(e->arg), "arguments fit the entry");
    memcpy(&a, arg, sizeof(a));
    int64_t res;
    switch (e->op) {
    case CMD_NET_BIND:
        res = net_bind(fiber, &a.port);
        break;
    case CMD_NET_CLOSE:
        res = net_close(fiber, &a.port);
        break;
    case CMD_NET_SENDTO:
        res = net_sendto(fiber, nif, &a.send);
        break;
    case CMD_NET_RECVFROM:
        res = net_recvfrom(fiber, &a.recv);
        break;
    case CMD_NET_PING:
        res = net_ping(nif, &a.ping);
        break;
    default:
        res = net_info(nif, &a.buf);
        break;
    case CMD_NET_DHCP:
        res = net_dhcp(nif, &a.dhcp);
        break;
    }
    if (res == -EINVAL || res == -EFAULT || res == -EMSGSIZE || res == -EADDRNOTAVAIL)
        dispatch_counters.invalid++;
    return res;
}
