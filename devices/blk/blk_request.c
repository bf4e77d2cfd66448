/* virtio-blk submission: the chain and request tables made at probe, and splitting a request
 * into chains by seg_max / size_max / whole blocks. Header and status of each chain live in the
 * wire table slot named by the chain's cookie, never by used-ring position. Nothing here
 * allocates, waits or calls a completion. */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <virtio/os.h>
#include <virtio/virtio.h>
#include <virtio/virtqueue.h>

#include "blk_priv.h"

#define BLK_CHAIN_MAX_BYTES (1u << 30) /* data bytes in one chain: keeps used.len in 32 bits */

/* ---- tables ---------------------------------------------------------------------------- */

int blk_tables_init(struct blk_dev *dev)
{
    uint16_t qsize = vq_size(dev->vq);

    /* A chain takes at least two descriptors (header, status), or one with indirect tables. */
    dev->n_chains = vq_chain_cost(dev->vq, 3) == 1 ? qsize : qsize / 2;
    dev->n_reqs = dev->n_chains;
    dev->wire_bytes = (uint64_t)dev->n_chains * sizeof(struct blk_wire) + BLK_ID_BYTES;
    dev->wire = os_dma_alloc(dev->wire_bytes, &dev->wire_pa);
    dev->chains = os_alloc(dev->n_chains * sizeof(*dev->chains));
    dev->reqs = os_alloc(dev->n_reqs * sizeof(*dev->reqs));
    dev->scratch = os_alloc(qsize * sizeof(*dev->scratch));
    dev->plan = os_alloc(dev->n_chains * sizeof(*dev->plan));
    if (!dev->wire || !dev->chains || !dev->reqs || !dev->scratch || !dev->plan)
        return -ENOMEM;
    for (uint16_t i = 0; i < dev->n_chains; i++) {
        dev->chains[i].index = i;
        dev->chains[i].next_free = (uint16_t)(i + 1);
    }
    dev->chain_free = 0;
    dev->chains_free_count = dev->n_chains;
    for (uint16_t i = 0; i < dev->n_reqs; i++) {
        dev->reqs[i].dev = dev;
        dev->reqs[i].index = i;
        dev->reqs[i].state = BLK_REQ_FREE;
        dev->reqs[i].next_free = (uint16_t)(i + 1);
    }
    dev->req_free = 0;
    dev->reqs_free_count = dev->n_reqs;
    return 0;
}

void blk_tables_free(struct blk_dev *dev)
{
    if (dev->wire)
        os_dma_free(dev->wire, dev->wire_bytes);
    if (dev->chains)
        os_free(dev->chains, dev->n_chains * sizeof(*dev->chains));
    if (dev->reqs)
        os_free(dev->reqs, dev->n_reqs * sizeof(*dev->reqs));
    if (dev->scratch)
        os_free(dev->scratch, vq_size(dev->vq) * sizeof(*dev->scratch));
    if (dev->plan)
        os_free(dev->plan, dev->n_chains * sizeof(*dev->plan));
    dev->wire = NULL;
    dev->chains = NULL;
    dev->reqs = NULL;
    dev->scratch = NULL;
    dev->plan = NULL;
}

static struct blk_chain *chain_alloc(struct blk_dev *dev)
{
    struct blk_chain *ch = &dev->chains[dev->chain_free];
    dev->chain_free = ch->next_free;
    dev->chains_free_count--;
    return ch;
}

void blk_chain_release(struct blk_dev *dev, struct blk_chain *ch)
{
    ch->req = NULL;
    ch->next_free = dev->chain_free;
    dev->chain_free = ch->index;
    dev->chains_free_count++;
}

static struct blk_req *req_alloc(struct blk_dev *dev)
{
    struct blk_req *req = &dev->reqs[dev->req_free];
    dev->req_free = req->next_free;
    dev->reqs_free_count--;
    return req;
}

void blk_req_release(struct blk_dev *dev, struct blk_req *req)
{
    req->state = BLK_REQ_FREE;
    req->next_free = dev->req_free;
    dev->req_free = req->index;
    dev->reqs_free_count++;
}

static uint64_t wire_pa(const struct blk_dev *dev, uint16_t index, size_t field)
{
    return dev->wire_pa + (uint64_t)index * sizeof(struct blk_wire) + field;
}

uint8_t *blk_id_buffer(struct blk_dev *dev)
{
    return (uint8_t *)&dev->wire[dev->n_chains];
}

/* ---- submission -------------------------------------------------------------------------- */

static bool is_write_op(enum blk_op op)
{
    return op == BLK_OP_WRITE || op == BLK_OP_DISCARD || op == BLK_OP_WRITE_ZEROES;
}

static int check_request(const struct blk_dev *dev, enum blk_op op, uint64_t sector, uint64_t bytes)
{
    const struct blk_info *info = &dev->info;
    uint32_t per_block = info->blk_size / BLK_SECTOR_SIZE;

    if (dev->dead)
        return -EIO;
    if (is_write_op(op) && info->read_only)
        return -EROFS;
    if ((op == BLK_OP_FLUSH && !info->flush) ||
        (op == BLK_OP_DISCARD && !info->max_discard_sectors) ||
        (op == BLK_OP_WRITE_ZEROES && !info->max_write_zeroes_sectors))
        return -EOPNOTSUPP;
    if (op == BLK_OP_FLUSH)
        return 0;
    if (bytes == 0 || bytes % info->blk_size || sector % per_block)
        return -EINVAL;
    if (sector > info->capacity || bytes / BLK_SECTOR_SIZE > info->capacity - sector)
        return -EINVAL;
    return 0;
}

struct cursor {
    unsigned i;
    uint32_t off;
};

static void cursor_back(const struct vq_seg *segs, struct cursor *c, uint32_t n)
{
    while (n) {
        if (c->off == 0)
            c->off = segs[--c->i].len;
        uint32_t k = c->off < n ? c->off : n;
        c->off -= k;
        n -= k;
    }
}

/* Lays out the chains of a read or write in dev->scratch / dev->plan: per chain a header slot,
 * up to seg_limit pieces of at most size_limit bytes, a status slot; every chain but the last
 * cut back to whole blocks. Returns the number of chains, or -E2BIG / -EINVAL. */
static int plan_rw(struct blk_dev *dev, const struct vq_seg *segs, uint64_t total)
{
    const uint32_t bs = dev->info.blk_size, cap = vq_max_chain(dev->vq);
    struct cursor c = {0, 0};
    uint32_t nd = 0;
    int nc = 0;

    while (total) {
        if ((unsigned)nc == dev->n_chains || nd + 3 > cap)
            return -E2BIG;
        struct blk_plan *p = &dev->plan[nc];
        uint32_t bytes = 0, pieces = 0;
        p->first = nd++;
        while (pieces < dev->seg_limit && total && nd + 1 < cap && bytes < BLK_CHAIN_MAX_BYTES) {
            uint64_t len = segs[c.i].len - c.off;
            if (len > dev->size_limit)
                len = dev->size_limit;
            if (len > total)
                len = total;
            if (len > BLK_CHAIN_MAX_BYTES - bytes)
                len = BLK_CHAIN_MAX_BYTES - bytes;
            dev->scratch[nd].addr = segs[c.i].addr + c.off;
            dev->scratch[nd].len = (uint32_t)len;
            nd++;
            pieces++;
            bytes += (uint32_t)len;
            total -= len;
            c.off += (uint32_t)len;
            if (c.off == segs[c.i].len) {
                c.i++;
                c.off = 0;
            }
        }
        if (total) {
            /* Not the last chain: end it on a block boundary, the rest goes to the next. */
            uint32_t excess = bytes % bs;
            bool seg_bound = pieces == dev->seg_limit;
            while (excess) {
                struct vq_seg *last = &dev->scratch[nd - 1];
                uint32_t k = last->len < excess ? last->len : excess;
                last->len -= k;
                excess -= k;
                bytes -= k;
                total += k;
                cursor_back(segs, &c, k);
                if (last->len == 0) {
                    nd--;
                    pieces--;
                }
            }
            if (bytes == 0)
                return seg_bound ? -EINVAL : -E2BIG;
        }
        nd++; /* status */
        p->n = nd - p->first;
        p->bytes = bytes;
        nc++;
    }
    return nc;
}

static void fill_wire(struct blk_dev *dev, struct blk_chain *ch, uint32_t type, uint64_t sector)
{
    struct blk_wire *w = &dev->wire[ch->index];

    w->hdr.type = type;
    w->hdr.ioprio = 0;
    w->hdr.sector = sector;
    w->status = BLK_STATUS_UNSET;
}

static struct blk_req *start_req(struct blk_dev *dev, enum blk_op op, uint64_t sector,
                                 uint64_t bytes, blk_done_fn done, void *ctx)
{
    struct blk_req *req = req_alloc(dev);

    req->state = BLK_REQ_INFLIGHT;
    req->done = done;
    req->ctx = ctx;
    req->op = op;
    req->status = 0;
    req->chains_pending = 0;
    req->sector = sector;
    req->bytes = bytes;
    req->deadline = os_time_ns() + dev->timeout_ns;
    dev->stats.requests++;
    dev->inflight_bytes += bytes;
    if (++dev->stats.inflight > dev->stats.max_inflight)
        dev->stats.max_inflight = dev->stats.inflight;
    return req;
}

/* After the chains are added: a request none of whose chains got in is undone; one that got
 * partly in fails when the rest completes. */
static int end_submit(struct blk_dev *dev, struct blk_req *req, int rc, unsigned flags)
{
    if (req->chains_pending == 0) {
        dev->stats.inflight--;
        dev->inflight_bytes -= req->bytes;
        dev->stats.requests--;
        blk_req_release(dev, req);
        if (rc == -EIO)
            blk_fail_device(dev, NULL, "request queue broken");
        return rc ? rc : -EIO;
    }
    if (rc) {
        os_log("%s: queueing a request failed half way: error %d", dev->vdev->name, rc);
        req->status = rc;
    }
    if (!(flags & BLK_SUBMIT_NOKICK) || req->bytes >= BLK_KICK_ALONE_BYTES)
        vq_kick(dev->vq);
    return 0;
}

static int submit_rw(struct blk_dev *dev, enum blk_op op, uint64_t sector,
                     const struct vq_seg *segs, unsigned n, unsigned flags, blk_done_fn done,
                     void *ctx)
{
    uint64_t total = 0;
    int nc, rc = 0;

    if (!segs || n == 0)
        return -EINVAL;
    for (unsigned i = 0; i < n; i++) {
        if (segs[i].len == 0)
            return -EINVAL;
        total += segs[i].len;
    }
    rc = check_request(dev, op, sector, total);
    if (rc)
        return rc;
    nc = plan_rw(dev, segs, total);
    if (nc < 0)
        return nc;
    uint32_t descs = 0; /* ring descriptors the chains take */
    for (int k = 0; k < nc; k++)
        descs += vq_chain_cost(dev->vq, dev->plan[k].n);
    if (!vq_chain_fits(dev->vq, descs) || (unsigned)nc > dev->chains_free_count ||
        dev->reqs_free_count == 0)
        return -EAGAIN;

    struct blk_req *req = start_req(dev, op, sector, total, done, ctx);
    uint64_t placed = 0;
    for (int k = 0; k < nc; k++) {
        const struct blk_plan *p = &dev->plan[k];
        struct blk_chain *ch = chain_alloc(dev);
        struct vq_seg *d = &dev->scratch[p->first];

        fill_wire(dev, ch, op == BLK_OP_READ ? BLK_T_IN : BLK_T_OUT,
                  sector + placed / BLK_SECTOR_SIZE);
        d[0].addr = wire_pa(dev, ch->index, offsetof(struct blk_wire, hdr));
        d[0].len = sizeof(struct blk_wire_hdr);
        d[p->n - 1].addr = wire_pa(dev, ch->index, offsetof(struct blk_wire, status));
        d[p->n - 1].len = 1;
        ch->req = req;
        ch->bytes = p->bytes;
        if (op == BLK_OP_READ)
            rc = vq_add(dev->vq, d, 1, d + 1, p->n - 1, ch);
        else
            rc = vq_add(dev->vq, d, p->n - 1, d + p->n - 1, 1, ch);
        if (rc) {
            blk_chain_release(dev, ch);
            break;
        }
        req->chains_pending++;
        dev->stats.chains++;
        placed += p->bytes;
    }
    return end_submit(dev, req, rc, flags);
}

/* One chain with no data (FLUSH), a 20-byte answer (GET_ID) or a range (DISCARD,
 * WRITE_ZEROES). */
static int submit_single(struct blk_dev *dev, enum blk_op op, uint32_t type, uint64_t sector,
                         uint32_t count, unsigned flags, blk_done_fn done, void *ctx)
{
    struct vq_seg d[3];
    unsigned n_out = 1, n_in = 1;

    if (!vq_chain_fits(dev->vq, 3) || dev->chains_free_count == 0 || dev->reqs_free_count == 0)
        return -EAGAIN;
    struct blk_req *req = start_req(dev, op, sector, (uint64_t)count * BLK_SECTOR_SIZE, done, ctx);
    struct blk_chain *ch = chain_alloc(dev);
    struct blk_wire *w = &dev->wire[ch->index];

    fill_wire(dev, ch, type, type == BLK_T_DISCARD || type == BLK_T_WRITE_ZEROES ? 0 : sector);
    d[0].addr = wire_pa(dev, ch->index, offsetof(struct blk_wire, hdr));
    d[0].len = sizeof(struct blk_wire_hdr);
    if (type == BLK_T_DISCARD || type == BLK_T_WRITE_ZEROES) {
        w->range.sector = sector;
        w->range.num_sectors = count;
        w->range.flags = 0;
        d[1].addr = wire_pa(dev, ch->index, offsetof(struct blk_wire, range));
        d[1].len = sizeof(struct blk_wire_range);
        n_out = 2;
    } else if (type == BLK_T_GET_ID) {
        memset(blk_id_buffer(dev), 0, BLK_ID_BYTES);
        d[1].addr = dev->wire_pa + (uint64_t)dev->n_chains * sizeof(struct blk_wire);
        d[1].len = BLK_ID_BYTES;
        n_in = 2;
    }
    d[n_out + n_in - 1].addr = wire_pa(dev, ch->index, offsetof(struct blk_wire, status));
    d[n_out + n_in - 1].len = 1;
    ch->req = req;
    ch->bytes = 0;
    int rc = vq_add(dev->vq, d, n_out, d + n_out, n_in, ch);
    if (rc) {
        blk_chain_release(dev, ch);
    } else {
        req->chains_pending = 1;
        dev->stats.chains++;
    }
    return end_submit(dev, req, rc, flags);
}

int blk_submit(struct blk_dev *dev, enum blk_op op, uint64_t sector, const struct vq_seg *segs,
               unsigned n, unsigned flags, blk_done_fn done, void *ctx)
{
    unsigned long irq;
    int rc;

    if (!dev || !done)
        return -EINVAL;
    irq = os_irq_disable();
    if (op == BLK_OP_READ || op == BLK_OP_WRITE) {
        rc = submit_rw(dev, op, sector, segs, n, flags, done, ctx);
    } else if (op == BLK_OP_FLUSH) {
        rc = check_request(dev, op, 0, 0);
        if (!rc)
            rc = submit_single(dev, op, BLK_T_FLUSH, 0, 0, flags, done, ctx);
    } else {
        rc = -EINVAL;
    }
    os_irq_restore(irq);
    return rc;
}

int blk_submit_range(struct blk_dev *dev, enum blk_op op, uint64_t sector, uint32_t count,
                     unsigned flags, blk_done_fn done, void *ctx)
{
    unsigned long irq;
    uint32_t max;
    int rc;

    if (!dev || !done || (op != BLK_OP_DISCARD && op != BLK_OP_WRITE_ZEROES))
        return -EINVAL;
    irq = os_irq_disable();
    rc = check_request(dev, op, sector, (uint64_t)count * BLK_SECTOR_SIZE);
    max = op == BLK_OP_DISCARD ? dev->info.max_discard_sectors : dev->info.max_write_zeroes_sectors;
    if (!rc && count > max)
        rc = -E2BIG;
    if (!rc)
        rc = submit_single(dev, op, op == BLK_OP_DISCARD ? BLK_T_DISCARD : BLK_T_WRITE_ZEROES,
                           sector, count, flags, done, ctx);
    os_irq_restore(irq);
    return rc;
}

void blk_kick(struct blk_dev *dev)
{
    unsigned long irq = os_irq_disable();
    vq_kick(dev->vq);
    os_irq_restore(irq);
}

int blk_submit_get_id(struct blk_dev *dev, blk_done_fn done, void *ctx)
{
    return submit_single(dev, BLK_OP_GET_ID, BLK_T_GET_ID, 0, 0, 0, done, ctx);
}
