/* UDP: header/length/checksum validation on receive, a static socket table with per-socket
 * datagram queues, and datagram output with a generated checksum. Port 68 goes to the DHCP
 * client while one runs. Never allocates; a full queue drops and counts. */
#include <errno.h>
#include <string.h>

#include "net/udp.h"
#include "net_priv.h"
#include "virtio/os.h"

#define UDP_EPHEMERAL_FIRST 49152u
#define DHCP_CLIENT_PORT    68

struct udp_dgram {
    uint32_t ip;
    uint16_t port;
    uint16_t len;
    uint8_t data[UDP_MAX_PAYLOAD];
};

struct udp_sock {
    bool open;
    uint16_t port;
    unsigned head, tail; /* head: next to fill; tail: next to read */
    struct udp_dgram q[UDP_RX_SLOTS];
};

static struct udp_sock socks[UDP_MAX_SOCKETS];

static struct udp_sock *sock_get(int s)
{
    if (s < 0 || s >= UDP_MAX_SOCKETS || !socks[s].open)
        return NULL;
    return &socks[s];
}

static struct udp_sock *sock_by_port(uint16_t port)
{
    for (unsigned i = 0; i < UDP_MAX_SOCKETS; i++)
        if (socks[i].open && socks[i].port == port)
            return &socks[i];
    return NULL;
}

void udp_input(struct netif *nif, uint32_t src, uint32_t dst, const uint8_t *l4, size_t len)
{
    if (len < UDP_HLEN) {
        net_cnt.udp_bad_len++;
        return;
    }
    size_t ulen = net_get16(l4 + 4);
    if (ulen < UDP_HLEN || ulen > len) {
        net_cnt.udp_bad_len++;
        return;
    }
    if (net_get16(l4 + 6) != 0 &&
        net_csum_fold(net_csum_pseudo(src, dst, IP_PROTO_UDP, (uint16_t)ulen) +
                      net_csum_add(0, l4, ulen)) != 0) {
        net_cnt.udp_bad_csum++;
        return;
    }
    uint16_t sport = net_get16(l4);
    uint16_t dport = net_get16(l4 + 2);
    const uint8_t *data = l4 + UDP_HLEN;
    size_t dlen = ulen - UDP_HLEN;
    if (dport == DHCP_CLIENT_PORT && dhcp_active(nif) && dhcp_input(nif, data, dlen)) {
        net_cnt.udp_in++;
        return;
    }
    if (!nif->configured && dst != NET_IP_BROADCAST) {
        net_cnt.ip_not_ours++;
        return;
    }
    struct udp_sock *sk = dport ? sock_by_port(dport) : NULL;
    if (!sk) {
        net_cnt.udp_no_port++;
        return;
    }
    if (sk->head - sk->tail >= UDP_RX_SLOTS) {
        net_cnt.udp_queue_full++;
        return;
    }
    struct udp_dgram *d = &sk->q[sk->head % UDP_RX_SLOTS];
    d->ip = src;
    d->port = sport;
    d->len = (uint16_t)dlen;
    memcpy(d->data, data, dlen);
    sk->head++;
    net_cnt.udp_in++;
}

int udp_output(struct netif *nif, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
               const void *data, size_t len)
{
    uint32_t next_hop;
    bool broadcast;
    int rc = ip_route(dst, &nif, &next_hop, &broadcast);
    if (rc < 0)
        return rc;
    if (len > net_netif_mtu(nif) - IP_HLEN - UDP_HLEN)
        return -EMSGSIZE;
    if (src == 0 && nif->configured)
        src = nif->ip;
    uint8_t *frame = net_tx_frame();
    uint8_t *l4 = frame + NET_OFF_L4;
    uint16_t ulen = (uint16_t)(UDP_HLEN + len);
    memmove(l4 + UDP_HLEN, data, len);
    net_put16(l4, sport);
    net_put16(l4 + 2, dport);
    net_put16(l4 + 4, ulen);
    net_put16(l4 + 6, 0);
    uint16_t csum =
        net_csum_fold(net_csum_pseudo(src, dst, IP_PROTO_UDP, ulen) + net_csum_add(0, l4, ulen));
    net_put16(l4 + 6, csum ? csum : 0xffff);
    rc = ip_output(nif, src, dst, IP_PROTO_UDP, frame, ulen);
    if (rc == 0)
        net_cnt.udp_out++;
    return rc;
}

int udp_socket(void)
{
    for (int i = 0; i < UDP_MAX_SOCKETS; i++) {
        if (!socks[i].open) {
            socks[i].open = true;
            socks[i].port = 0;
            socks[i].head = socks[i].tail = 0;
            return i;
        }
    }
    return -ENFILE;
}

int udp_bind(int s, uint16_t port)
{
    struct udp_sock *sk = sock_get(s);
    if (!sk)
        return -EBADF;
    if (sk->port)
        return -EINVAL;
    if (port == 0) {
        /* A random start in the ephemeral range (from the OS's entropy pool), so another
         * host cannot guess which port a reply must hit; then the next free one. */
        uint16_t r = 0;
        os_random(&r, sizeof(r));
        unsigned span = 65536u - UDP_EPHEMERAL_FIRST;
        for (unsigned tries = 0, i = r % span; tries < span && !port; tries++, i = (i + 1) % span)
            if (!sock_by_port((uint16_t)(UDP_EPHEMERAL_FIRST + i)))
                port = (uint16_t)(UDP_EPHEMERAL_FIRST + i);
        if (!port)
            return -EADDRINUSE;
    } else if (sock_by_port(port)) {
        return -EADDRINUSE;
    }
    sk->port = port;
    return 0;
}

int udp_local_port(int s)
{
    struct udp_sock *sk = sock_get(s);
    return sk ? sk->port : -EBADF;
}

int udp_sendto(int s, const void *buf, size_t len, uint32_t ip, uint16_t port)
{
    struct udp_sock *sk = sock_get(s);
    if (!sk)
        return -EBADF;
    if (len > UDP_MAX_PAYLOAD)
        return -EMSGSIZE;
    if (port == 0 || (!net_ip_is_unicast(ip) && ip != NET_IP_BROADCAST) || (len && !buf))
        return -EINVAL;
    if (!sk->port) {
        int rc = udp_bind(s, 0);
        if (rc < 0)
            return rc;
    }
    int rc = udp_output(NULL, 0, sk->port, ip, port, buf, len);
    return rc < 0 ? rc : (int)len;
}

int udp_recvfrom(int s, void *buf, size_t len, uint32_t *ip, uint16_t *port, uint64_t timeout_ns)
{
    struct udp_sock *sk = sock_get(s);
    if (!sk)
        return -EBADF;
    uint64_t start = net_now_ns();
    while (sk->head == sk->tail) {
        net_poll();
        if (sk->head != sk->tail)
            break;
        if (timeout_ns == 0)
            return -EAGAIN;
        if (net_now_ns() - start >= timeout_ns)
            return -ETIMEDOUT;
        net_wait();
    }
    const struct udp_dgram *d = &sk->q[sk->tail % UDP_RX_SLOTS];
    size_t n = d->len < len ? d->len : len;
    if (n)
        memcpy(buf, d->data, n);
    if (ip)
        *ip = d->ip;
    if (port)
        *port = d->port;
    int full = d->len;
    sk->tail++;
    return full;
}

int udp_pending(int s)
{
    struct udp_sock *sk = sock_get(s);
    return sk ? (int)(sk->head - sk->tail) : -EBADF;
}

int udp_close(int s)
{
    struct udp_sock *sk = sock_get(s);
    if (!sk)
        return -EBADF;
    sk->open = false;
    sk->port = 0;
    return 0;
}

void udp_reset(void)
{
    for (unsigned i = 0; i < UDP_MAX_SOCKETS; i++)
        socks[i].open = false;
}
