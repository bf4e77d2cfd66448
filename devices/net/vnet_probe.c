/* virtio-net probe and remove: header size from the negotiated features, MAC and link status
 * from config space (validated), the receive and transmit queues with their preallocated DMA
 * buffers, and the network interface registered with the stack. Never sends or receives. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <virtio/os.h>
#include <virtio/virtio.h>
#include <virtio/virtqueue.h>
#include <virtio_gen/virtio_ids.h>

#include "net/net.h"
#include "vnet_priv.h"

static unsigned n_probed; /* for distinct fallback MACs */

static void read_mac(struct vnet_dev *vn)
{
    struct virtio_device *vdev = vn->vdev;
    uint8_t mac[NET_MAC_LEN];
    bool ok = virtio_has_feature(vdev, VIRTIO_NET_F_MAC);
    for (unsigned i = 0; ok && i < NET_MAC_LEN; i++) {
        uint64_t v;
        if (virtio_config_read(vdev, VIRTIO_NET_CFG_MAC + i, 1, &v) < 0)
            ok = false;
        mac[i] = (uint8_t)v;
    }
    if (ok) {
        static const uint8_t zero[NET_MAC_LEN];
        if ((mac[0] & 1) || memcmp(mac, zero, NET_MAC_LEN) == 0) {
            char buf[18];
            os_log("%s: device MAC %s is not a unicast address; using a local one", vdev->name,
                   net_mac_format(mac, buf));
            ok = false;
        }
    }
    if (!ok) {
        /* Locally administered, unicast: 02:52:4b:00:00:<n>. */
        static const uint8_t local[NET_MAC_LEN] = {0x02, 0x52, 0x4b, 0x00, 0x00, 0x00};
        memcpy(mac, local, NET_MAC_LEN);
        mac[5] = (uint8_t)n_probed;
    }
    memcpy(vn->nif.mac, mac, NET_MAC_LEN);
    vn->mac_from_device = ok;
}

static void free_dev(struct vnet_dev *vn)
{
    if (vn->rx_mem)
        os_dma_free(vn->rx_mem, vn->rx_mem_size);
    if (vn->tx_mem)
        os_dma_free(vn->tx_mem, vn->tx_mem_size);
    if (vn->rx_bufs)
        os_free(vn->rx_bufs, VNET_RX_MAX * sizeof(struct vnet_buf));
    if (vn->tx_bufs)
        os_free(vn->tx_bufs, VNET_TX_MAX * sizeof(struct vnet_buf));
    os_free(vn, sizeof *vn);
}

static int alloc_buffers(struct vnet_dev *vn)
{
    /* Two descriptors per buffer (header, data). */
    unsigned rx_size = vq_size(vn->rxq), tx_size = vq_size(vn->txq);
    vn->n_rx = rx_size / 2 < VNET_RX_MAX ? rx_size / 2 : VNET_RX_MAX;
    vn->n_tx = tx_size / 2 < VNET_TX_MAX ? tx_size / 2 : VNET_TX_MAX;
    if (vn->n_rx == 0 || vn->n_tx == 0 || vq_max_chain(vn->rxq) < 2 || vq_max_chain(vn->txq) < 2) {
        os_log("%s: queues too small (rx %u, tx %u entries)", vn->vdev->name, rx_size, tx_size);
        return -EINVAL;
    }
    vn->rx_mem_size = (size_t)vn->n_rx * VNET_BUF_STRIDE;
    vn->tx_mem_size = (size_t)vn->n_tx * VNET_BUF_STRIDE;
    vn->rx_bufs = os_alloc(VNET_RX_MAX * sizeof(struct vnet_buf));
    vn->tx_bufs = os_alloc(VNET_TX_MAX * sizeof(struct vnet_buf));
    vn->rx_mem = os_dma_alloc(vn->rx_mem_size, &vn->rx_pa);
    vn->tx_mem = os_dma_alloc(vn->tx_mem_size, &vn->tx_pa);
    if (!vn->rx_bufs || !vn->tx_bufs || !vn->rx_mem || !vn->tx_mem)
        return -ENOMEM;
    for (unsigned i = 0; i < vn->n_rx; i++) {
        vn->rx_bufs[i].va = vn->rx_mem + (size_t)i * VNET_BUF_STRIDE;
        vn->rx_bufs[i].pa = vn->rx_pa + (uint64_t)i * VNET_BUF_STRIDE;
    }
    vn->tx_free = NULL;
    for (unsigned i = vn->n_tx; i-- > 0;) {
        struct vnet_buf *b = &vn->tx_bufs[i];
        b->va = vn->tx_mem + (size_t)i * VNET_BUF_STRIDE;
        b->pa = vn->tx_pa + (uint64_t)i * VNET_BUF_STRIDE;
        b->next_free = vn->tx_free;
        vn->tx_free = b;
    }
    return 0;
}

static int vnet_probe(struct virtio_device *vdev)
{
    struct vnet_dev *vn = os_alloc(sizeof *vn);
    if (!vn)
        return -ENOMEM;
    vn->vdev = vdev;
    os_event_init(&vn->tx_event);
    vn->mrg_rxbuf = virtio_has_feature(vdev, VIRTIO_NET_F_MRG_RXBUF);
    vn->hdr_len = vn->mrg_rxbuf || virtio_has_feature(vdev, VIRTIO_F_VERSION_1) ? VNET_HDR_MODERN
                                                                                : VNET_HDR_LEGACY;
    vn->has_status = virtio_has_feature(vdev, VIRTIO_NET_F_STATUS);
    read_mac(vn);

    int rc = virtio_find_vq(vdev, VNET_RX_QUEUE, VNET_QUEUE_WANT, &vn->rxq);
    if (rc == 0)
        rc = virtio_find_vq(vdev, VNET_TX_QUEUE, VNET_QUEUE_WANT, &vn->txq);
    if (rc < 0) {
        os_log("%s: cannot set up the queues: error %d", vdev->name, rc);
        free_dev(vn);
        return rc;
    }
    rc = alloc_buffers(vn);
    if (rc == 0)
        rc = vnet_rx_fill(vn);
    if (rc < 0) {
        os_log("%s: cannot set up %u receive / %u transmit buffers: error %d", vdev->name, vn->n_rx,
               vn->n_tx, rc);
        free_dev(vn);
        return rc;
    }
    /* Transmit completions are reclaimed when we next send: no interrupt for them. */
    vq_disable_cb(vn->txq);

    vn->nif.ops = &vnet_netif_ops;
    vn->nif.priv = vn;
    vn->nif.mtu = NET_MTU;
    vn->nif.polled = vdev->polled;
    rc = net_netif_add(&vn->nif);
    if (rc < 0) {
        os_log("%s: cannot register a network interface: error %d", vdev->name, rc);
        free_dev(vn);
        return rc;
    }
    vdev->driver_priv = vn;
    n_probed++;
    char mac[18];
    os_log("%s: interface %s, mac %s%s, header %u bytes, %u rx / %u tx buffers", vdev->name,
           vn->nif.name, net_mac_format(vn->nif.mac, mac), vn->mac_from_device ? "" : " (local)",
           vn->hdr_len, vn->n_rx, vn->n_tx);
    return 0;
}

static void vnet_remove(struct virtio_device *vdev)
{
    struct vnet_dev *vn = vdev->driver_priv;
    if (!vn)
        return;
    net_netif_remove(&vn->nif);
    vdev->driver_priv = NULL;
    free_dev(vn);
}

int virtio_net_info(const struct netif *nif, struct virtio_net_info *out)
{
    if (!nif || nif->ops != &vnet_netif_ops || !out)
        return -ENODEV;
    const struct vnet_dev *vn = nif->priv;
    out->vdev = vn->vdev;
    out->hdr_len = vn->hdr_len;
    out->mac_from_device = vn->mac_from_device;
    out->has_status = vn->has_status;
    out->rx_bufs = vn->n_rx;
    out->tx_bufs = vn->n_tx;
    out->rx_posted = vn->rx_posted;
    out->stats = vn->stats;
    return 0;
}

size_t vnet_describe(struct netif *nif, char *buf, size_t len)
{
    struct virtio_net_info vi;
    if (virtio_net_info(nif, &vi) != 0 || len == 0)
        return 0;
    int n = snprintf(buf, len,
                     "  virtio %s %s %s, header %u, %u rx buffers (%u posted), %u tx buffers\n",
                     vi.vdev->name, vi.vdev->ops->name, vi.vdev->location, vi.hdr_len, vi.rx_bufs,
                     vi.rx_posted, vi.tx_bufs);
    if (n < 0)
        return 0;
    size_t used = (size_t)n < len ? (size_t)n : len - 1;
    const struct virtio_net_stats *d = &vi.stats;
    if (d->rx_short || d->rx_long || d->rx_merged || d->tx_waits || d->tx_timeouts ||
        d->queue_broken || d->rx_requeue_failed) {
        n = snprintf(buf + used, len - used,
                     "  driver: rx short %llu long %llu merged %llu requeue-failed %llu, tx waits "
                     "%llu timeouts %llu, broken queues %llu\n",
                     (unsigned long long)d->rx_short, (unsigned long long)d->rx_long,
                     (unsigned long long)d->rx_merged, (unsigned long long)d->rx_requeue_failed,
                     (unsigned long long)d->tx_waits, (unsigned long long)d->tx_timeouts,
                     (unsigned long long)d->queue_broken);
        if (n > 0)
            used += (size_t)n < len - used ? (size_t)n : len - used - 1;
    }
    return used;
}

const struct virtio_driver virtio_net_driver = {
    .name = "net",
    .probe = vnet_probe,
    .remove = vnet_remove,
    .interrupt = vnet_interrupt,
};
