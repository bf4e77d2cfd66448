/* The virtio-net plugin's per-device state, shared by its probe and I/O files. Buffers are
 * allocated once at probe; the receive and transmit paths only move them between the driver
 * and the queues. Nothing outside devices/net/ sees this. */
#ifndef DEVICES_NET_VNET_PRIV_H
#define DEVICES_NET_VNET_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include <virtio/virtio.h>
#include <virtio/virtqueue.h>

#include "net/netif.h"
#include "virtio_net.h"

#define VNET_RX_QUEUE    0
#define VNET_TX_QUEUE    1
#define VNET_QUEUE_WANT  256u
#define VNET_RX_MAX      64u /* receive buffers kept posted */
#define VNET_TX_MAX      32u /* transmit buffers */
#define VNET_HDR_LEGACY  10u
#define VNET_HDR_MODERN  12u /* with num_buffers: VERSION_1 or MRG_RXBUF */
#define VNET_BUF_STRIDE  2048u
#define VNET_RX_DATA     1536u /* bytes offered after the header: room to see oversize frames */
#define VNET_TX_DATA_OFF 16u
#define VNET_TX_WAIT_NS  (100ull * 1000000ull)
#define VNET_S_LINK_UP   1u /* status field bit (virtio 1.2, 5.1.4) */

struct vnet_buf {
    uint8_t *va;
    uint64_t pa;
    struct vnet_buf *next_free; /* transmit free list */
};

struct vnet_dev {
    struct netif nif; /* first: the stack hands it back to our ops */
    struct virtio_device *vdev;
    struct virtqueue *rxq, *txq;
    unsigned hdr_len;
    bool mrg_rxbuf, has_status, mac_from_device;
    bool rx_started; /* the first kick waits until after DRIVER_OK */
    bool rx_broken_logged, tx_broken_logged;
    struct os_event tx_event; /* the device gave transmit buffers back (a waiter sleeps on it) */

    uint8_t *rx_mem, *tx_mem;
    uint64_t rx_pa, tx_pa;
    size_t rx_mem_size, tx_mem_size;
    struct vnet_buf *rx_bufs, *tx_bufs;
    unsigned n_rx, n_tx;
    unsigned rx_posted;
    unsigned rx_skip; /* buffers still to discard from a merged frame */
    struct vnet_buf *tx_free;

    struct virtio_net_stats stats;
};

/* vnet_io.c */
extern const struct netif_ops vnet_netif_ops;
/* netif_ops.describe: the virtio device, header, buffers and the driver's drop counters. */
size_t vnet_describe(struct netif *nif, char *buf, size_t len);
/* Posts every receive buffer (no kick: the device is not DRIVER_OK yet). */
int vnet_rx_fill(struct vnet_dev *vn);
void vnet_interrupt(struct virtio_device *vdev);

#endif
