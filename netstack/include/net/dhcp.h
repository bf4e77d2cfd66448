/* DHCP client (DISCOVER/OFFER/REQUEST/ACK) for one interface at a time: applies the address,
 * netmask and router; falls back to QEMU's user-network defaults after a timeout. Every reply
 * field is validated (op, xid, chaddr, cookie, option lengths) before it is used. */
#ifndef NET_DHCP_H
#define NET_DHCP_H

#include <stdbool.h>
#include <stdint.h>

#include "net/netif.h"

#define DHCP_FALLBACK_IP      0x0a00020fu /* 10.0.2.15 */
#define DHCP_FALLBACK_MASK    0xffffff00u
#define DHCP_FALLBACK_GATEWAY 0x0a000202u /* 10.0.2.2 */

enum dhcp_state {
    DHCP_IDLE,
    DHCP_SELECTING,  /* DISCOVER sent, waiting for an OFFER */
    DHCP_REQUESTING, /* REQUEST sent, waiting for ACK */
    DHCP_BOUND,
    DHCP_FALLBACK, /* timed out, static fallback applied */
};

struct dhcp_lease {
    uint32_t ip, netmask, router, server, dns;
    uint32_t lease_s;
};

/* Starts the exchange (non-blocking); net_poll drives it. Returns 0, -EINVAL, -ENETDOWN. */
int dhcp_start(struct netif *nif);
/* Starts it and runs the stack until BOUND (returns 0) or timeout_ns passes: then the fallback
 * 10.0.2.15/24 gw 10.0.2.2 is applied and -ETIMEDOUT returned. */
int dhcp_run(struct netif *nif, uint64_t timeout_ns);
/* Stops an exchange in progress (state IDLE); an applied address stays. */
void dhcp_stop(struct netif *nif);
enum dhcp_state dhcp_state(const struct netif *nif);
const char *dhcp_state_name(enum dhcp_state st);
/* The lease in use (BOUND) or NULL. */
const struct dhcp_lease *dhcp_lease(const struct netif *nif);

#endif
