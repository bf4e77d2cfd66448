/* The simulated device models behind the "sim" transport: a RAM-backed virtio-blk, a loopback
 * virtio-net and an echo device for every other type. Each checks a request's shape itself
 * (sizes, directions, ranges) and answers with the status a real device would give. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <virtio/os.h>

#include "sim_internal.h"

#define NET_HDR_LEGACY 10
#define NET_HDR_MODERN 12

void sim_chain_read(const struct sim_chain *c, uint64_t off, void *buf, uint64_t len)
{
    uint8_t *out = buf;

    for (unsigned i = 0; i < c->n && len; i++) {
        const struct sim_seg *s = &c->segs[i];
        if (s->write)
            continue;
        if (off >= s->len) {
            off -= s->len;
            continue;
        }
        uint64_t n = s->len - off < len ? s->len - off : len;
        memcpy(out, s->p + off, (size_t)n);
        out += n;
        len -= n;
        off = 0;
    }
}

void sim_chain_write(const struct sim_chain *c, uint64_t off, const void *buf, uint64_t len)
{
    const uint8_t *in = buf;

    for (unsigned i = 0; i < c->n && len; i++) {
        const struct sim_seg *s = &c->segs[i];
        if (!s->write)
            continue;
        if (off >= s->len) {
            off -= s->len;
            continue;
        }
        uint64_t n = s->len - off < len ? s->len - off : len;
        memcpy(s->p + off, in, (size_t)n);
        in += n;
        len -= n;
        off = 0;
    }
}

/* Block. */

static uint8_t blk_range_status(struct sim_device *d, uint64_t sector, uint64_t bytes)
{
    uint64_t sectors = bytes / SIM_BLK_SECTOR;

    if (bytes % SIM_BLK_SECTOR)
        return SIM_BLK_S_IOERR;
    if (sector > d->disk_bytes / SIM_BLK_SECTOR ||
        sectors > d->disk_bytes / SIM_BLK_SECTOR - sector)
        return SIM_BLK_S_IOERR;
    if (d->fail_count && sector < d->fail_first + d->fail_count && d->fail_first < sector + sectors)
        return SIM_BLK_S_IOERR;
    return SIM_BLK_S_OK;
}

static bool blk_shape_ok(struct sim_device *d, const struct sim_chain *c)
{
    if (sim_negotiated(d, SIM_BLK_F_SEG_MAX)) {
        uint32_t seg_max =
            (uint32_t)(d->config[SIM_BLK_CFG_SEG_MAX] | d->config[SIM_BLK_CFG_SEG_MAX + 1] << 8 |
                       d->config[SIM_BLK_CFG_SEG_MAX + 2] << 16 |
                       (uint32_t)d->config[SIM_BLK_CFG_SEG_MAX + 3] << 24);
        if (seg_max && c->n > 2 && c->n - 2 > seg_max) {
            sim_driver_error(d, "blk request has more data segments than seg_max", c->n - 2);
            return false;
        }
    }
    if (sim_negotiated(d, SIM_BLK_F_SIZE_MAX)) {
        uint32_t size_max =
            (uint32_t)(d->config[SIM_BLK_CFG_SIZE_MAX] | d->config[SIM_BLK_CFG_SIZE_MAX + 1] << 8 |
                       d->config[SIM_BLK_CFG_SIZE_MAX + 2] << 16 |
                       (uint32_t)d->config[SIM_BLK_CFG_SIZE_MAX + 3] << 24);
        for (unsigned i = 0; size_max && i < c->n; i++) {
            if (c->segs[i].len > size_max) {
                sim_driver_error(d, "blk segment larger than size_max", c->segs[i].len);
                return false;
            }
        }
    }
    return true;
}

static bool blk_process(struct sim_device *d, unsigned qi, const struct sim_chain *c)
{
    uint8_t hdr[16] = {0};
    uint32_t type;
    uint64_t sector, data;
    uint8_t status = SIM_BLK_S_OK;
    uint32_t used = 1;

    if (c->readable < sizeof(hdr) || c->writable < 1) {
        sim_driver_error(d, "blk request without header or status byte", c->head);
        return false;
    }
    if (!blk_shape_ok(d, c))
        return false;
    sim_chain_read(c, 0, hdr, sizeof(hdr));
    type = (uint32_t)(hdr[0] | hdr[1] << 8 | hdr[2] << 16 | (uint32_t)hdr[3] << 24);
    sector = 0;
    for (unsigned i = 0; i < 8; i++)
        sector |= (uint64_t)hdr[8 + i] << (8 * i);

    switch (type) {
    case SIM_BLK_T_IN:
        d->stats.blk_reads++;
        if (c->readable != sizeof(hdr)) {
            sim_driver_error(d, "blk read with readable data", (unsigned)c->readable);
            return false;
        }
        data = c->writable - 1;
        status = blk_range_status(d, sector, data);
        if (status == SIM_BLK_S_OK) {
            sim_chain_write(c, 0, d->disk + sector * SIM_BLK_SECTOR, data);
            used = (uint32_t)(data + 1);
        }
        break;
    case SIM_BLK_T_OUT:
        d->stats.blk_writes++;
        if (c->writable != 1) {
            sim_driver_error(d, "blk write with writable data", (unsigned)c->writable);
            return false;
        }
        data = c->readable - sizeof(hdr);
        status = blk_range_status(d, sector, data);
        if (status == SIM_BLK_S_OK && sim_negotiated(d, SIM_BLK_F_RO))
            status = SIM_BLK_S_IOERR;
        if (status == SIM_BLK_S_OK)
            sim_chain_read(c, sizeof(hdr), d->disk + sector * SIM_BLK_SECTOR, data);
        break;
    case SIM_BLK_T_FLUSH:
        d->stats.blk_flushes++;
        if (!sim_negotiated(d, SIM_BLK_F_FLUSH))
            status = SIM_BLK_S_UNSUPP;
        break;
    case SIM_BLK_T_GET_ID: {
        uint64_t n = c->writable - 1 < SIM_BLK_ID_BYTES ? c->writable - 1 : SIM_BLK_ID_BYTES;
        d->stats.blk_get_ids++;
        sim_chain_write(c, 0, d->blk_id, n);
        used = (uint32_t)(n + 1);
        break;
    }
    default:
        status = SIM_BLK_S_UNSUPP;
        break;
    }
    if (status == SIM_BLK_S_IOERR)
        d->stats.blk_ioerr++;
    else if (status == SIM_BLK_S_UNSUPP)
        d->stats.blk_unsupp++;
    if (sim_fault_take(d, SIM_FAULT_BLK_BAD_STATUS))
        status = SIM_BLK_S_BAD;
    sim_chain_write(c, c->writable - 1, &status, 1);
    sim_push_used(d, qi, c, used);
    return true;
}

/* Net. */

static unsigned net_hdr_len(const struct sim_device *d)
{
    return sim_negotiated(d, SIM_F_VERSION_1) || sim_negotiated(d, SIM_NET_F_MRG_RXBUF)
               ? NET_HDR_MODERN
               : NET_HDR_LEGACY;
}

static int net_queue_frame(struct sim_device *d, const void *frame, size_t len)
{
    struct sim_frame *f;

    if (len > SIM_NET_FRAME_MAX)
        return -EINVAL;
    if (d->backlog_n >= SIM_NET_BACKLOG) {
        d->stats.net_rx_dropped++;
        return -ENOSPC;
    }
    f = &d->backlog[(d->backlog_head + d->backlog_n) % SIM_NET_BACKLOG];
    memcpy(f->data, frame, len);
    f->len = (uint16_t)len;
    d->backlog_n++;
    return 0;
}

/* Hands backlog frames to posted rx buffers, oldest of each first. */
static void net_deliver(struct sim_device *d)
{
    struct sim_queue *q = &d->q[SIM_NET_RX_QUEUE];
    unsigned hdr_len = net_hdr_len(d);

    if (d->broken || !(d->status & VIRTIO_STATUS_DRIVER_OK) || !q->size)
        return;
    if (!sim_fetch(d, SIM_NET_RX_QUEUE))
        return;
    while (d->backlog_n && q->n_pending && !d->broken) {
        struct sim_frame *f = &d->backlog[d->backlog_head];
        uint8_t hdr[NET_HDR_MODERN] = {0};
        struct sim_chain c;
        uint16_t head = q->pending[0];

        if (!sim_walk(d, SIM_NET_RX_QUEUE, head, &c))
            return;
        if (c.readable) {
            sim_driver_error(d, "net rx buffer with readable segments", head);
            return;
        }
        d->backlog_head = (d->backlog_head + 1) % SIM_NET_BACKLOG;
        d->backlog_n--;
        if (c.writable < hdr_len + f->len) {
            d->stats.net_rx_dropped++;
            continue;
        }
        sim_pending_remove(q, 0);
        if (hdr_len == NET_HDR_MODERN)
            hdr[10] = sim_fault_take(d, SIM_FAULT_NET_NUM_BUFFERS) ? 2 : 1; /* num_buffers */
        sim_chain_write(&c, 0, hdr, hdr_len);
        sim_chain_write(&c, hdr_len, f->data, f->len);
        sim_push_used(d, SIM_NET_RX_QUEUE, &c, hdr_len + f->len);
        d->stats.net_rx++;
    }
}

static bool net_tx(struct sim_device *d, unsigned qi, const struct sim_chain *c)
{
    unsigned hdr_len = net_hdr_len(d);
    uint8_t frame[SIM_NET_FRAME_MAX];
    uint64_t len;

    if (c->writable) {
        sim_driver_error(d, "net tx with writable segments", c->head);
        return false;
    }
    if (c->readable < hdr_len) {
        sim_driver_error(d, "net tx shorter than the header", (unsigned)c->readable);
        return false;
    }
    len = c->readable - hdr_len;
    d->stats.net_tx++;
    if (len <= sizeof(frame)) {
        sim_chain_read(c, hdr_len, frame, len);
        if (d->tx_hook)
            d->tx_hook(d->tx_arg, frame, (size_t)len);
        else
            (void)net_queue_frame(d, frame, (size_t)len);
    } else {
        d->stats.net_rx_dropped++;
    }
    sim_push_used(d, qi, c, 0);
    return true;
}

/* Echo: readable bytes copied into writable bytes. */

static bool echo_process(struct sim_device *d, unsigned qi, const struct sim_chain *c)
{
    uint8_t buf[512];
    uint64_t total = c->readable < c->writable ? c->readable : c->writable;

    for (uint64_t off = 0; off < total; off += sizeof(buf)) {
        uint64_t n = total - off < sizeof(buf) ? total - off : sizeof(buf);
        sim_chain_read(c, off, buf, n);
        sim_chain_write(c, off, buf, n);
    }
    sim_push_used(d, qi, c, (uint32_t)total);
    return true;
}

bool sim_model_process(struct sim_device *d, unsigned qi, const struct sim_chain *c)
{
    if (d->model)
        return sim_generic_process(d, qi, c);
    switch (d->p.type) {
    case SIM_TYPE_BLOCK:
        return blk_process(d, qi, c);
    case SIM_TYPE_NET:
        if (qi == SIM_NET_TX_QUEUE)
            return net_tx(d, qi, c);
        return true;
    default:
        return echo_process(d, qi, c);
    }
}

bool sim_model_holds_queue(const struct sim_device *d, unsigned qi)
{
    if (d->model)
        return sim_generic_holds(d, qi);
    return d->p.type == SIM_TYPE_NET && qi == SIM_NET_RX_QUEUE;
}

void sim_model_run(struct sim_device *d)
{
    if (d->model) {
        sim_generic_run(d);
        return;
    }
    if (d->p.type == SIM_TYPE_NET)
        net_deliver(d);
}

int sim_model_init(struct sim_device *d)
{
    if (d->p.type == SIM_TYPE_BLOCK) {
        d->disk_bytes = d->p.blk_sectors * SIM_BLK_SECTOR;
        d->disk = calloc(1, d->disk_bytes ? (size_t)d->disk_bytes : 1);
        if (!d->disk)
            return -ENOMEM;
        snprintf(d->blk_id, sizeof(d->blk_id), "simblk%u", d->seq);
    } else if (d->p.type == SIM_TYPE_NET) {
        d->backlog = calloc(SIM_NET_BACKLOG, sizeof(*d->backlog));
        if (!d->backlog)
            return -ENOMEM;
    }
    return 0;
}

void sim_model_free(struct sim_device *d)
{
    free(d->disk);
    free(d->backlog);
    d->disk = NULL;
    d->backlog = NULL;
}

uint8_t *sim_blk_data(struct sim_device *d, uint64_t *size)
{
    if (size)
        *size = d->disk_bytes;
    return d->disk;
}

void sim_blk_fail_sectors(struct sim_device *d, uint64_t first, uint64_t count)
{
    d->fail_first = first;
    d->fail_count = count;
}

void sim_net_set_tx_hook(struct sim_device *d, sim_net_tx_fn fn, void *arg)
{
    d->tx_hook = fn;
    d->tx_arg = arg;
}

int sim_net_inject(struct sim_device *d, const void *frame, size_t len)
{
    int rc;

    if (d->p.type != SIM_TYPE_NET)
        return -EINVAL;
    rc = net_queue_frame(d, frame, len);
    if (rc)
        return rc;
    if (d->mode == SIM_COMPLETE_AT_NOTIFY && !d->in_process) {
        net_deliver(d);
        if (d->isr & VIRTIO_ISR_QUEUE)
            sim_raise(d, 0);
    }
    return 0;
}

void sim_net_set_link(struct sim_device *d, bool up)
{
    uint16_t st =
        (uint16_t)(d->config[SIM_NET_CFG_STATUS] | d->config[SIM_NET_CFG_STATUS + 1] << 8);
    st = up ? (uint16_t)(st | 1) : (uint16_t)(st & ~1u);
    sim_set_config(d, SIM_NET_CFG_STATUS, 2, st);
}

unsigned sim_net_backlog(struct sim_device *d)
{
    return d->backlog_n;
}
