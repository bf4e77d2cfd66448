/* DHCP client: DISCOVER -> OFFER -> REQUEST -> ACK with retransmission, one client slot per
 * interface. Every reply is checked (op, hardware type, xid, chaddr, magic cookie, each option's
 * length against the datagram) before any value is used; the lease is not renewed. */
#include <errno.h>
#include <string.h>

#include "net/dhcp.h"
#include "net_priv.h"
#include "virtio/os.h"

#define DHCP_SERVER_PORT 67
#define DHCP_CLIENT_PORT 68
#define DHCP_FIXED_LEN   236
#define DHCP_COOKIE      0x63825363u
#define DHCP_MSG_MAX     300 /* what we send: BOOTP's minimum size, options fit easily */
#define DHCP_RETRY_MIN   (1000ull * NET_MS)
#define DHCP_RETRY_MAX   (4000ull * NET_MS)
#define DHCP_REQ_TRIES   4

enum {
    OPT_PAD = 0,
    OPT_MASK = 1,
    OPT_ROUTER = 3,
    OPT_DNS = 6,
    OPT_REQ_IP = 50,
    OPT_LEASE = 51,
    OPT_MSG_TYPE = 53,
    OPT_SERVER_ID = 54,
    OPT_PARAMS = 55,
    OPT_END = 255,
};

enum { DHCPDISCOVER = 1, DHCPOFFER = 2, DHCPREQUEST = 3, DHCPACK = 5, DHCPNAK = 6 };

struct dhcp_client {
    struct netif *nif;
    enum dhcp_state state;
    uint32_t xid;
    uint64_t sent_ns;
    unsigned tries;
    struct dhcp_lease offer, lease;
};

struct dhcp_reply {
    int type; /* 0: none */
    uint32_t yiaddr, mask, router, dns, server, lease_s;
    bool has_mask, has_server;
};

static struct dhcp_client clients[NET_MAX_NETIFS];

static struct dhcp_client *client_of(const struct netif *nif)
{
    if (!nif || nif->index >= NET_MAX_NETIFS || clients[nif->index].nif != nif)
        return NULL;
    return &clients[nif->index];
}

/* Transaction ids come from the OS's entropy pool: another host on the link must not guess
 * them and answer first. */
static uint32_t make_xid(void)
{
    uint32_t x = 0;
    while (x == 0)
        os_random(&x, sizeof(x));
    return x;
}

static uint64_t retry_interval(unsigned tries)
{
    uint64_t t = DHCP_RETRY_MIN;
    while (tries-- > 1 && t < DHCP_RETRY_MAX)
        t *= 2;
    return t < DHCP_RETRY_MAX ? t : DHCP_RETRY_MAX;
}

static int send_msg(struct dhcp_client *c, int type)
{
    uint8_t msg[DHCP_MSG_MAX];
    memset(msg, 0, sizeof msg);
    msg[0] = 1; /* BOOTREQUEST */
    msg[1] = 1; /* Ethernet */
    msg[2] = NET_MAC_LEN;
    net_put32(msg + 4, c->xid);
    net_put16(msg + 10, 0x8000); /* ask for broadcast replies: we have no address yet */
    memcpy(msg + 28, c->nif->mac, NET_MAC_LEN);
    net_put32(msg + DHCP_FIXED_LEN, DHCP_COOKIE);
    uint8_t *o = msg + DHCP_FIXED_LEN + 4;
    *o++ = OPT_MSG_TYPE;
    *o++ = 1;
    *o++ = (uint8_t)type;
    if (type == DHCPREQUEST) {
        *o++ = OPT_REQ_IP;
        *o++ = 4;
        net_put32(o, c->offer.ip);
        o += 4;
        *o++ = OPT_SERVER_ID;
        *o++ = 4;
        net_put32(o, c->offer.server);
        o += 4;
    }
    *o++ = OPT_PARAMS;
    *o++ = 4;
    *o++ = OPT_MASK;
    *o++ = OPT_ROUTER;
    *o++ = OPT_DNS;
    *o++ = OPT_LEASE;
    *o++ = OPT_END;
    c->sent_ns = net_now_ns();
    return udp_output(c->nif, 0, DHCP_CLIENT_PORT, NET_IP_BROADCAST, DHCP_SERVER_PORT, msg,
                      sizeof msg);
}

static void enter_selecting(struct dhcp_client *c)
{
    c->state = DHCP_SELECTING;
    c->tries = 1;
    c->xid = make_xid();
    memset(&c->offer, 0, sizeof c->offer);
    (void)send_msg(c, DHCPDISCOVER);
}

/* Options from data[240..len): false when any option runs past the end. */
static bool parse_options(const uint8_t *data, size_t len, struct dhcp_reply *r)
{
    size_t i = DHCP_FIXED_LEN + 4;
    while (i < len) {
        uint8_t code = data[i];
        if (code == OPT_PAD) {
            i++;
            continue;
        }
        if (code == OPT_END)
            return true;
        if (i + 2 > len || i + 2 + data[i + 1] > len)
            return false;
        size_t olen = data[i + 1];
        const uint8_t *v = data + i + 2;
        switch (code) {
        case OPT_MSG_TYPE:
            if (olen != 1)
                return false;
            r->type = v[0];
            break;
        case OPT_MASK:
            if (olen != 4)
                return false;
            r->mask = net_get32(v);
            r->has_mask = true;
            break;
        case OPT_ROUTER:
        case OPT_DNS:
            if (olen < 4 || olen % 4)
                return false;
            if (code == OPT_ROUTER)
                r->router = net_get32(v);
            else
                r->dns = net_get32(v);
            break;
        case OPT_LEASE:
            if (olen != 4)
                return false;
            r->lease_s = net_get32(v);
            break;
        case OPT_SERVER_ID:
            if (olen != 4)
                return false;
            r->server = net_get32(v);
            r->has_server = true;
            break;
        default:
            break;
        }
        i += 2 + olen;
    }
    return true; /* no END option: tolerated, every option was complete */
}

/* Checks an OFFER's or ACK's values; fills lease. */
static bool lease_from(const struct dhcp_reply *r, struct dhcp_lease *lease)
{
    uint32_t mask = r->has_mask ? r->mask : 0xffffff00u;
    if (!net_ip_is_unicast(r->yiaddr) || !net_mask_valid(mask))
        return false;
    lease->ip = r->yiaddr;
    lease->netmask = mask;
    lease->router = 0;
    if (r->router && net_ip_is_unicast(r->router) && r->router != r->yiaddr &&
        (r->router & mask) == (r->yiaddr & mask))
        lease->router = r->router;
    lease->dns = net_ip_is_unicast(r->dns) ? r->dns : 0;
    lease->lease_s = r->lease_s;
    return true;
}

bool dhcp_input(struct netif *nif, const uint8_t *data, size_t len)
{
    struct dhcp_client *c = client_of(nif);
    if (!c || (c->state != DHCP_SELECTING && c->state != DHCP_REQUESTING))
        return false;
    if (len < DHCP_FIXED_LEN + 4) {
        net_cnt.dhcp_bad++;
        return true;
    }
    if (data[0] != 2 || data[1] != 1 || data[2] != NET_MAC_LEN || net_get32(data + 4) != c->xid ||
        memcmp(data + 28, nif->mac, NET_MAC_LEN) != 0) {
        net_cnt.dhcp_ignored++;
        return true;
    }
    struct dhcp_reply r;
    memset(&r, 0, sizeof r);
    r.yiaddr = net_get32(data + 16);
    if (net_get32(data + DHCP_FIXED_LEN) != DHCP_COOKIE || !parse_options(data, len, &r) ||
        r.type == 0) {
        net_cnt.dhcp_bad++;
        return true;
    }
    if (c->state == DHCP_SELECTING && r.type == DHCPOFFER) {
        struct dhcp_lease offer;
        if (!r.has_server || !net_ip_is_unicast(r.server) || !lease_from(&r, &offer)) {
            net_cnt.dhcp_bad++;
            return true;
        }
        offer.server = r.server;
        c->offer = offer;
        c->state = DHCP_REQUESTING;
        c->tries = 1;
        (void)send_msg(c, DHCPREQUEST);
        return true;
    }
    if (c->state == DHCP_REQUESTING && (r.type == DHCPACK || r.type == DHCPNAK)) {
        if (r.has_server && r.server != c->offer.server) {
            net_cnt.dhcp_ignored++;
            return true;
        }
        if (r.type == DHCPNAK) {
            enter_selecting(c);
            return true;
        }
        struct dhcp_lease lease;
        if (!lease_from(&r, &lease) ||
            net_configure(nif, lease.ip, lease.netmask, lease.router) < 0) {
            net_cnt.dhcp_bad++;
            return true;
        }
        lease.server = c->offer.server;
        c->lease = lease;
        c->state = DHCP_BOUND;
        return true;
    }
    net_cnt.dhcp_ignored++;
    return true;
}

bool dhcp_active(const struct netif *nif)
{
    const struct dhcp_client *c = client_of(nif);
    return c && (c->state == DHCP_SELECTING || c->state == DHCP_REQUESTING);
}

void dhcp_timer(uint64_t now)
{
    for (unsigned i = 0; i < NET_MAX_NETIFS; i++) {
        struct dhcp_client *c = &clients[i];
        if (!c->nif || (c->state != DHCP_SELECTING && c->state != DHCP_REQUESTING))
            continue;
        if (now - c->sent_ns < retry_interval(c->tries))
            continue;
        if (c->state == DHCP_REQUESTING && c->tries >= DHCP_REQ_TRIES) {
            enter_selecting(c);
            continue;
        }
        c->tries++;
        (void)send_msg(c, c->state == DHCP_SELECTING ? DHCPDISCOVER : DHCPREQUEST);
    }
}

int dhcp_start(struct netif *nif)
{
    if (!nif || !nif->registered || nif->index >= NET_MAX_NETIFS)
        return -EINVAL;
    if (nif->ops->link_up && !nif->ops->link_up(nif))
        return -ENETDOWN;
    struct dhcp_client *c = &clients[nif->index];
    memset(c, 0, sizeof *c);
    c->nif = nif;
    net_unconfigure(nif);
    enter_selecting(c);
    return 0;
}

int dhcp_run(struct netif *nif, uint64_t timeout_ns)
{
    int rc = dhcp_start(nif);
    if (rc < 0)
        return rc;
    struct dhcp_client *c = &clients[nif->index];
    uint64_t start = net_now_ns();
    for (;;) {
        net_poll();
        if (c->state == DHCP_BOUND)
            return 0;
        if (net_now_ns() - start >= timeout_ns)
            break;
        net_wait();
    }
    c->state = DHCP_FALLBACK;
    (void)net_configure(nif, DHCP_FALLBACK_IP, DHCP_FALLBACK_MASK, DHCP_FALLBACK_GATEWAY);
    return -ETIMEDOUT;
}

void dhcp_stop(struct netif *nif)
{
    struct dhcp_client *c = client_of(nif);
    if (c)
        c->state = DHCP_IDLE;
}

enum dhcp_state dhcp_state(const struct netif *nif)
{
    const struct dhcp_client *c = client_of(nif);
    return c ? c->state : DHCP_IDLE;
}

const char *dhcp_state_name(enum dhcp_state st)
{
    switch (st) {
    case DHCP_IDLE:
        return "idle";
    case DHCP_SELECTING:
        return "selecting";
    case DHCP_REQUESTING:
        return "requesting";
    case DHCP_BOUND:
        return "bound";
    case DHCP_FALLBACK:
        return "fallback";
    }
    return "?";
}

const struct dhcp_lease *dhcp_lease(const struct netif *nif)
{
    const struct dhcp_client *c = client_of(nif);
    return c && c->state == DHCP_BOUND ? &c->lease : NULL;
}

void dhcp_netif_gone(const struct netif *nif)
{
    struct dhcp_client *c = client_of(nif);
    if (c)
        memset(c, 0, sizeof *c);
}

void dhcp_reset(void)
{
    memset(clients, 0, sizeof clients);
}
