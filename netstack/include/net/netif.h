/* Network interfaces: what a driver (virtio-net, a test loopback) registers with the stack.
 * The driver owns the struct netif and every frame buffer; the stack only calls the ops, reads
 * mac/mtu and keeps the IPv4 configuration and counters in it. No kernel header, no allocation. */
#ifndef NET_NETIF_H
#define NET_NETIF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NET_MAC_LEN    6
#define NET_ETH_HLEN   14
#define NET_MTU        1500
#define NET_FRAME_MAX  (NET_ETH_HLEN + NET_MTU) /* no FCS, no VLAN tag */
#define NET_MAX_NETIFS 4

struct netif;

struct netif_ops {
    /* Sends one complete Ethernet frame (NET_ETH_HLEN <= len <= NET_FRAME_MAX). The driver copies
     * the frame before it returns. Never called from interrupt context. Returns 0 or -errno
     * (-EAGAIN: no transmit buffer became free in time; -ENETDOWN; -EIO). Required. */
    int (*transmit)(struct netif *nif, const void *frame, size_t len);
    /* Optional: collect received frames (calling net_input) and reclaim transmit buffers.
     * net_poll calls it every time, so a device without interrupts still works. */
    void (*poll)(struct netif *nif);
    /* Optional: link state; NULL means always up. */
    bool (*link_up)(struct netif *nif);
    /* Optional: what the driver says about the interface for a reader (its device, queues, its
     * own drop counters) as whole lines "  ...\n" in buf, always NUL-terminated. Returns the
     * length written, 0 when there is nothing to say. */
    size_t (*describe)(struct netif *nif, char *buf, size_t len);
};

struct netif_stats {
    uint64_t rx_frames, rx_bytes; /* frames accepted by net_input */
    uint64_t tx_frames, tx_bytes; /* frames the driver accepted */
    uint64_t rx_errors;           /* malformed at the driver or at net_input (bad length) */
    uint64_t rx_dropped;          /* receive queue full */
    uint64_t tx_errors;           /* transmit failed */
};

struct netif {
    /* Filled by the driver before net_netif_add. */
    const struct netif_ops *ops;
    void *priv;
    uint8_t mac[NET_MAC_LEN];
    uint16_t mtu; /* 0 means NET_MTU; larger values are clamped to NET_MTU */
    bool polled;  /* no interrupt: waits never sleep, they poll */

    /* Owned by the stack. */
    char name[8]; /* "net0" */
    unsigned index;
    bool registered;
    uint32_t ip, netmask, gateway; /* host byte order; 0 = unset */
    bool configured;               /* an address is applied (DHCP, fallback or static) */
    struct netif_stats stats;
};

/* Registers a driver's interface as net<N>. Returns 0, -EINVAL (no transmit op), -ENOSPC. */
int net_netif_add(struct netif *nif);
/* Unregisters it; frames it queued and ARP entries through it are forgotten. */
void net_netif_remove(struct netif *nif);
unsigned net_netif_count(void);
struct netif *net_netif_at(unsigned i);
/* The interface used when a destination is not on any configured subnet: the first one. */
struct netif *net_netif_default(void);
/* The driver's description of nif (netif_ops.describe) in buf, NUL-terminated; returns its
 * length, 0 when the driver has none. How the shell shows what is below without knowing it. */
size_t net_netif_describe(struct netif *nif, char *buf, size_t len);

/* The driver's receive entry: copies one Ethernet frame (without any device header) into the
 * stack's receive queue. Safe from interrupt context; never processes the frame (net_poll does).
 * Frames shorter than NET_ETH_HLEN or longer than NET_FRAME_MAX are counted and dropped. */
void net_input(struct netif *nif, const void *frame, size_t len);

/* Frames waiting in the receive queue (for waits deciding whether to sleep). */
unsigned net_rx_pending(void);

#endif
