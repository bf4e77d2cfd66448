/* What the virtio-net plugin tells the shell about one of its interfaces: negotiated layout,
 * queue sizes and the driver's own drop counters (the stack keeps the frame counters in the
 * netif). Read-only snapshot; the plugin owns the device. */
#ifndef DEVICES_NET_VIRTIO_NET_H
#define DEVICES_NET_VIRTIO_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "net/netif.h"

struct virtio_device;

struct virtio_net_stats {
    uint64_t rx_short;  /* used length shorter than the virtio-net header */
    uint64_t rx_long;   /* frame longer than NET_FRAME_MAX, or longer than the buffer */
    uint64_t rx_merged; /* num_buffers != 1: a frame split over buffers (we never ask) */
    uint64_t rx_requeue_failed;
    uint64_t tx_waits;     /* transmit found every buffer in flight and waited */
    uint64_t tx_timeouts;  /* ... and none came back in time */
    uint64_t queue_broken; /* a queue saw an impossible value from the device */
};

struct virtio_net_info {
    const struct virtio_device *vdev;
    unsigned hdr_len; /* 10 or 12 */
    bool mac_from_device, has_status;
    unsigned rx_bufs, tx_bufs;
    unsigned rx_posted; /* receive buffers the device holds now */
    struct virtio_net_stats stats;
};

/* Fills *out for an interface the plugin registered. Returns 0 or -ENODEV (not ours). */
int virtio_net_info(const struct netif *nif, struct virtio_net_info *out);

#endif
