/* The simulated transport ("sim"): status, features, config, queue setup, notify and interrupt
 * status, plus the device-side ring walker with its own bounds checks and the fault switches.
 * It never follows a driver-written index or address without checking it first. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <virtio/os.h>

#include "sim_internal.h"

#define VIRTQ_DESC_F_INDIRECT 4
#define DESC_BYTES            16u

static struct sim_device *dev_of(struct virtio_device *vdev)
{
    return (struct sim_device *)vdev->transport_priv;
}

void sim_driver_error(struct sim_device *d, const char *what, unsigned a)
{
    snprintf(d->last_error, sizeof(d->last_error), "%s (%u)", what, a);
    d->stats.driver_errors++;
    os_log("sim: %s: driver error: %s", d->p.location, d->last_error);
    if (!d->broken) {
        d->broken = true;
        d->status |= VIRTIO_STATUS_NEEDS_RESET;
        sim_raise(d, VIRTIO_ISR_CONFIG);
    }
}

bool sim_dma_allowed(struct sim_device *d, uint64_t addr, uint64_t len, unsigned desc)
{
    if (!d->dma_ok || d->dma_ok(d->dma_arg, addr, len))
        return true;
    sim_driver_error(d, "DMA the test's IOMMU refuses (descriptor)", desc);
    return false;
}

bool sim_fault_take(struct sim_device *d, enum sim_fault f)
{
    if (d->faults[f] == 0)
        return false;
    if (d->faults[f] != SIM_FOREVER)
        d->faults[f]--;
    return true;
}

bool sim_negotiated(const struct sim_device *d, unsigned bit)
{
    return bit < 64 && (d->driver_features & (1ull << bit));
}

void sim_raise(struct sim_device *d, uint8_t isr_bits)
{
    d->isr |= isr_bits;
    d->stats.irqs++;
    if (d->p.irq)
        os_host_raise_irq(d->p.irq);
}

static uint64_t offered_features(const struct sim_device *d)
{
    uint64_t f = d->p.features;
    if (d->features_changed)
        f ^= 0x3;
    return d->p.modern ? f : (f & 0xffffffffull);
}

void sim_queue_free(struct sim_queue *q)
{
    if (q->pchain)
        for (unsigned i = 0; i < q->n_pending; i++)
            free(q->pchain[i].descs);
    free(q->pending);
    free(q->pchain);
    free(q->segs);
    uint16_t max = q->max;
    memset(q, 0, sizeof(*q));
    q->max = max;
}

static void device_reset(struct sim_device *d)
{
    d->status = 0;
    d->driver_features = 0;
    d->features_changed = false;
    d->isr = 0;
    d->broken = false;
    for (unsigned i = 0; i < SIM_MAX_QUEUES; i++)
        sim_queue_free(&d->q[i]);
    d->stats.resets++;
}

/* Transport ops. */

static uint8_t sim_get_status(struct virtio_device *vdev)
{
    return dev_of(vdev)->status;
}

static void sim_set_status(struct virtio_device *vdev, uint8_t v)
{
    struct sim_device *d = dev_of(vdev);
    uint8_t old = d->status & (uint8_t)~VIRTIO_STATUS_NEEDS_RESET;
    uint8_t added = (uint8_t)(v & ~old);

    if (v == 0) {
        if (sim_fault_take(d, SIM_FAULT_RESET_STUCK)) {
            d->status |= VIRTIO_STATUS_ACKNOWLEDGE;
            return;
        }
        device_reset(d);
        return;
    }
    if ((old & ~v) && !(v & VIRTIO_STATUS_FAILED))
        sim_driver_error(d, "status bits cleared without a reset", v);
    if (!d->p.modern && (added & VIRTIO_STATUS_FEATURES_OK))
        sim_driver_error(d, "FEATURES_OK written to a legacy device", v);
    if (d->p.modern && (added & VIRTIO_STATUS_FEATURES_OK) && !(v & VIRTIO_STATUS_FAILED)) {
        uint64_t bad = d->driver_features & ~offered_features(d);
        if (sim_fault_take(d, SIM_FAULT_REFUSE_FEATURES_OK) || bad ||
            !sim_negotiated(d, SIM_F_VERSION_1)) {
            v = (uint8_t)(v & ~VIRTIO_STATUS_FEATURES_OK);
        } else if (sim_fault_take(d, SIM_FAULT_FEATURES_CHANGE)) {
            d->features_changed = true;
        }
    }
    if ((added & VIRTIO_STATUS_DRIVER_OK) && d->p.modern &&
        !(d->status & VIRTIO_STATUS_FEATURES_OK) && !(v & VIRTIO_STATUS_FAILED))
        sim_driver_error(d, "DRIVER_OK without FEATURES_OK", v);
    d->status = (uint8_t)(v | (d->status & VIRTIO_STATUS_NEEDS_RESET));
}

static uint64_t sim_get_features(struct virtio_device *vdev)
{
    return offered_features(dev_of(vdev));
}

static void sim_set_features(struct virtio_device *vdev, uint64_t f)
{
    struct sim_device *d = dev_of(vdev);

    if (!d->p.modern && (f >> 32))
        sim_driver_error(d, "legacy device given features above bit 31", (unsigned)(f >> 32));
    if (d->status & VIRTIO_STATUS_FEATURES_OK)
        sim_driver_error(d, "features written after FEATURES_OK", 0);
    if (!(d->status & VIRTIO_STATUS_DRIVER))
        sim_driver_error(d, "features written before DRIVER", d->status);
    if (!d->p.modern && (f & ~offered_features(d)))
        sim_driver_error(d, "legacy driver accepted features not offered", (unsigned)f);
    d->driver_features = d->p.modern ? f : (f & 0xffffffffull);
    if (!d->p.modern && sim_fault_take(d, SIM_FAULT_FEATURES_CHANGE))
        d->features_changed = true;
}

static bool config_range_ok(struct sim_device *d, uint32_t off, unsigned width)
{
    if ((width != 1 && width != 2 && width != 4 && width != 8) || off > d->p.config_len ||
        width > d->p.config_len - off) {
        sim_driver_error(d, "config access out of range", off);
        return false;
    }
    return true;
}

static uint64_t sim_read_config(struct virtio_device *vdev, uint32_t off, unsigned width)
{
    struct sim_device *d = dev_of(vdev);
    uint64_t v = 0;

    if (!config_range_ok(d, off, width))
        return 0;
    for (unsigned i = 0; i < width; i++)
        v |= (uint64_t)d->config[off + i] << (8 * i);
    return v;
}

static void sim_write_config(struct virtio_device *vdev, uint32_t off, unsigned width, uint64_t v)
{
    struct sim_device *d = dev_of(vdev);

    if (!config_range_ok(d, off, width))
        return;
    for (unsigned i = 0; i < width; i++)
        d->config[off + i] = (uint8_t)(v >> (8 * i));
}

static uint32_t sim_config_generation(struct virtio_device *vdev)
{
    struct sim_device *d = dev_of(vdev);

    if (!d->p.modern)
        return 0;
    if (sim_fault_take(d, SIM_FAULT_CONFIG_GEN))
        d->generation++;
    return d->generation;
}

static uint16_t sim_queue_max(struct virtio_device *vdev, unsigned index)
{
    struct sim_device *d = dev_of(vdev);
    return index < SIM_MAX_QUEUES ? d->q[index].max : 0;
}

static int sim_queue_setup(struct virtio_device *vdev, struct virtqueue *vq)
{
    struct sim_device *d = dev_of(vdev);
    unsigned idx = vq_index(vq);
    uint16_t n = vq_size(vq);
    uint64_t desc_pa, avail_pa, used_pa;
    struct sim_queue *q;

    vq_ring_addrs(vq, &desc_pa, &avail_pa, &used_pa);
    if (idx >= SIM_MAX_QUEUES || d->q[idx].max == 0) {
        sim_driver_error(d, "setup of a queue that does not exist", idx);
        return -ENOENT;
    }
    q = &d->q[idx];
    if (q->size) {
        sim_driver_error(d, "queue set up twice", idx);
        return -EBUSY;
    }
    if (n == 0 || (n & (n - 1)) || n > q->max || (d->p.fixed_queue_size && n != q->max)) {
        sim_driver_error(d, "bad queue size", n);
        return -EINVAL;
    }
    if ((desc_pa & 15) || (avail_pa & (d->p.modern ? 3 : 1)) || (used_pa & 3) || !desc_pa) {
        sim_driver_error(d, "misaligned ring", idx);
        return -EINVAL;
    }
    if (!d->p.modern) {
        /* A legacy device knows only the page number and derives the rest itself. */
        uint64_t avail = desc_pa + 16ull * n;
        uint64_t used = (avail + 6 + 2ull * n + 4095) & ~4095ull;
        if ((desc_pa & 4095) || avail_pa != avail || used_pa != used) {
            sim_driver_error(d, "ring not in the legacy layout", idx);
            return -EINVAL;
        }
    }
    if (!(d->status & VIRTIO_STATUS_DRIVER) || (d->status & VIRTIO_STATUS_DRIVER_OK)) {
        sim_driver_error(d, "queue setup outside DRIVER..DRIVER_OK", d->status);
        return -EINVAL;
    }
    q->packed = sim_negotiated(d, SIM_F_RING_PACKED);
    q->pending = calloc(n, sizeof(*q->pending));
    q->segs = calloc(n, sizeof(*q->segs));
    q->pchain = q->packed ? calloc(n, sizeof(*q->pchain)) : NULL;
    if (!q->pending || !q->segs || (q->packed && !q->pchain)) {
        sim_queue_free(q);
        return -ENOMEM;
    }
    if (q->packed) {
        /* Descriptor area: the ring; driver area and device area: the event structures. */
        q->pdesc = (volatile struct vring_packed_desc *)(uintptr_t)desc_pa;
        q->drv_event = (volatile struct vring_packed_event *)(uintptr_t)avail_pa;
        q->dev_event = (volatile struct vring_packed_event *)(uintptr_t)used_pa;
        q->avail_wrap = q->used_wrap = true;
    } else {
        q->desc = (volatile struct vring_desc *)(uintptr_t)desc_pa;
        q->avail = (volatile struct vring_avail *)(uintptr_t)avail_pa;
        q->used = (volatile struct vring_used *)(uintptr_t)used_pa;
    }
    q->size = n;
    return 0;
}

static void sim_queue_teardown(struct virtio_device *vdev, unsigned index)
{
    struct sim_device *d = dev_of(vdev);
    if (index < SIM_MAX_QUEUES)
        sim_queue_free(&d->q[index]);
}

/* Device side: fetching, walking, completing. */

static bool n_pending_full(const struct sim_queue *q)
{
    return q->n_pending >= q->size;
}

/* Packed: AVAIL matches the device's wrap counter and USED does not (virtio 1.2, 2.8.1). */
static bool packed_avail(uint16_t flags, bool wrap)
{
    bool a = (flags & VRING_PACKED_DESC_F_AVAIL) != 0, u = (flags & VRING_PACKED_DESC_F_USED) != 0;
    return a == wrap && u != wrap;
}

/* Reads an indirect table into `out` (the device's checks: length, count, nesting, loops).
 * Split tables are chains linked by index from entry 0; packed ones are read in order. */
static bool read_table(struct sim_device *d, struct sim_queue *q, uint64_t addr, uint32_t len,
                       struct sim_desc *out, unsigned *n_out)
{
    unsigned n = len / DESC_BYTES;

    if (!sim_negotiated(d, SIM_F_INDIRECT_DESC)) {
        sim_driver_error(d, "indirect descriptor without INDIRECT_DESC", len);
        return false;
    }
    if (!addr || len == 0 || len % DESC_BYTES || n > q->size) {
        sim_driver_error(d, "indirect table of a bad length", len);
        return false;
    }
    if (!sim_dma_allowed(d, addr, len, 0))
        return false;
    if (q->packed) {
        const volatile struct vring_packed_desc *t =
            (const volatile struct vring_packed_desc *)(uintptr_t)addr;
        for (unsigned i = 0; i < n; i++) {
            out[i] = (struct sim_desc){t[i].addr, t[i].len, t[i].flags, (uint16_t)i};
            if (out[i].flags & VIRTQ_DESC_F_INDIRECT) {
                sim_driver_error(d, "indirect descriptor inside an indirect table", i);
                return false;
            }
        }
        *n_out = n;
        return true;
    }
    const volatile struct vring_desc *t = (const volatile struct vring_desc *)(uintptr_t)addr;
    unsigned k = 0;
    for (uint16_t i = 0;; k++) {
        if (i >= n) {
            sim_driver_error(d, "indirect table index out of range", i);
            return false;
        }
        if (k >= n) {
            sim_driver_error(d, "indirect table chain loops", i);
            return false;
        }
        out[k] = (struct sim_desc){t[i].addr, t[i].len, t[i].flags, i};
        if (out[k].flags & VIRTQ_DESC_F_INDIRECT) {
            sim_driver_error(d, "indirect descriptor inside an indirect table", i);
            return false;
        }
        if (!(out[k].flags & VRING_DESC_F_NEXT))
            break;
        i = t[i].next;
    }
    *n_out = k + 1;
    return true;
}

/* Packed: reads every newly available chain whole (its ring slots may be reused by the driver
 * before it completes, once chains placed earlier complete) into the pending list. */
static bool packed_fetch(struct sim_device *d, unsigned qi)
{
    struct sim_queue *q = &d->q[qi];

    while (packed_avail(q->pdesc[q->avail_pos].flags, q->avail_wrap)) {
        struct sim_desc *descs = calloc(q->size, sizeof(*descs));
        uint16_t pos = q->avail_pos, slots = 0, id = 0;
        bool wrap = q->avail_wrap;
        unsigned n = 0;

        if (!descs)
            return false;
        os_rmb();
        for (;;) {
            volatile struct vring_packed_desc *pd = &q->pdesc[pos];
            uint16_t flags = pd->flags;
            if (slots >= q->size || (slots && !packed_avail(flags, wrap))) {
                sim_driver_error(d,
                                 slots >= q->size ? "descriptor chain longer than the queue"
                                                  : "chain continues into an unavailable slot",
                                 pos);
                free(descs);
                return false;
            }
            slots++;
            id = pd->id;
            if (flags & VIRTQ_DESC_F_INDIRECT) {
                if (n || (flags & VRING_DESC_F_NEXT)) {
                    sim_driver_error(d, "indirect descriptor inside a chain", pos);
                    free(descs);
                    return false;
                }
                if (!read_table(d, q, pd->addr, pd->len, descs, &n)) {
                    free(descs);
                    return false;
                }
            } else {
                descs[n++] = (struct sim_desc){pd->addr, pd->len, flags, pos};
            }
            if (++pos == q->size) {
                pos = 0;
                wrap = !wrap;
            }
            if (!(flags & VRING_DESC_F_NEXT) || (flags & VIRTQ_DESC_F_INDIRECT))
                break;
        }
        if (n_pending_full(q) || id >= q->size) {
            sim_driver_error(d, id >= q->size ? "buffer id out of range" : "more chains than slots",
                             id);
            free(descs);
            return false;
        }
        for (unsigned j = 0; j < q->n_pending; j++) {
            if (q->pending[j] == id) {
                sim_driver_error(d, "buffer id published twice", id);
                free(descs);
                return false;
            }
        }
        q->pchain[q->n_pending] = (struct sim_pchain){slots, n, descs};
        q->pending[q->n_pending++] = id;
        q->avail_pos = pos;
        q->avail_wrap = wrap;
    }
    if (sim_negotiated(d, SIM_F_EVENT_IDX)) {
        /* Notify me once you make the descriptor at avail_pos (this lap) available. */
        q->dev_event->off_wrap = (uint16_t)(q->avail_pos | (q->avail_wrap ? 0x8000u : 0));
        q->dev_event->flags = VRING_PACKED_EVENT_DESC;
        os_mb();
    }
    return true;
}

unsigned sim_unfetched(const struct sim_queue *q)
{
    uint16_t pos = q->avail_pos;
    bool wrap = q->avail_wrap;
    unsigned chains = 0;

    if (!q->packed)
        return (uint16_t)(q->avail->idx - q->last_avail);
    for (unsigned seen = 0; seen < q->size && packed_avail(q->pdesc[pos].flags, wrap); seen++) {
        uint16_t flags = q->pdesc[pos].flags;
        if (++pos == q->size) {
            pos = 0;
            wrap = !wrap;
        }
        if (!(flags & VRING_DESC_F_NEXT) || (flags & VIRTQ_DESC_F_INDIRECT))
            chains++;
    }
    return chains;
}

bool sim_fetch(struct sim_device *d, unsigned qi)
{
    struct sim_queue *q = &d->q[qi];
    uint16_t avail_idx, fresh;

    if (!q->size)
        return true;
    if (q->packed)
        return packed_fetch(d, qi);
    avail_idx = q->avail->idx;
    fresh = (uint16_t)(avail_idx - q->last_avail);
    if (fresh > q->size - q->n_pending) {
        sim_driver_error(d, "avail idx ahead of the queue size", fresh);
        return false;
    }
    os_rmb();
    for (uint16_t i = 0; i < fresh; i++) {
        uint16_t head = q->avail->ring[q->last_avail & (q->size - 1u)];
        if (head >= q->size) {
            sim_driver_error(d, "avail ring entry out of range", head);
            return false;
        }
        for (unsigned j = 0; j < q->n_pending; j++) {
            if (q->pending[j] == head) {
                sim_driver_error(d, "head published twice", head);
                return false;
            }
        }
        q->pending[q->n_pending++] = head;
        q->last_avail++;
    }
    if (sim_negotiated(d, SIM_F_EVENT_IDX)) {
        /* avail_event, after used->ring[size]: notify me once you publish past what I took. */
        *vring_avail_event(q->used, q->size) = q->last_avail;
        os_mb();
    }
    return true;
}

/* The chain's segments from descriptors already read (packed fetch, or an indirect table). */
static bool walk_descs(struct sim_device *d, const struct sim_desc *descs, unsigned n,
                       struct sim_chain *c)
{
    bool seen_write = false;

    for (unsigned i = 0; i < n; i++) {
        const struct sim_desc *s = &descs[i];
        bool write = (s->flags & VRING_DESC_F_WRITE) != 0;
        if (!s->addr) {
            sim_driver_error(d, "descriptor with a null address", s->index);
            return false;
        }
        if (!write && seen_write) {
            sim_driver_error(d, "readable descriptor after a writable one", s->index);
            return false;
        }
        if (!sim_dma_allowed(d, s->addr, s->len, s->index))
            return false;
        seen_write |= write;
        c->segs[c->n++] = (struct sim_seg){
            .p = (uint8_t *)(uintptr_t)s->addr, .len = s->len, .write = write, .desc = s->index};
        if (write)
            c->writable += s->len;
        else
            c->readable += s->len;
    }
    if (c->n > d->stats.max_chain_segs)
        d->stats.max_chain_segs = c->n;
    return true;
}

static bool walk_packed(struct sim_device *d, struct sim_queue *q, uint16_t id, struct sim_chain *c)
{
    for (unsigned j = 0; j < q->n_pending; j++) {
        if (q->pending[j] == id) {
            c->slots = q->pchain[j].slots;
            return walk_descs(d, q->pchain[j].descs, q->pchain[j].n, c);
        }
    }
    sim_driver_error(d, "walk of a buffer id not pending", id);
    return false;
}

bool sim_walk(struct sim_device *d, unsigned qi, uint16_t head, struct sim_chain *c)
{
    struct sim_queue *q = &d->q[qi];
    uint16_t idx = head;
    bool seen_write = false;

    memset(c, 0, sizeof(*c));
    c->head = head;
    c->segs = q->segs;
    if (q->packed)
        return walk_packed(d, q, head, c);
    for (;;) {
        struct vring_desc desc;
        if (idx >= q->size) {
            sim_driver_error(d, "descriptor index out of range", idx);
            return false;
        }
        if (c->n >= q->size) {
            sim_driver_error(d, "descriptor chain loops", head);
            return false;
        }
        desc.addr = q->desc[idx].addr;
        desc.len = q->desc[idx].len;
        desc.flags = q->desc[idx].flags;
        desc.next = q->desc[idx].next;
        if (desc.flags & VIRTQ_DESC_F_INDIRECT) {
            struct sim_desc *table;
            unsigned n = 0;
            bool ok;
            if (c->n || (desc.flags & VRING_DESC_F_NEXT)) {
                sim_driver_error(d, "indirect descriptor inside a chain", idx);
                return false;
            }
            table = calloc(q->size, sizeof(*table));
            if (!table)
                return false;
            ok = read_table(d, q, desc.addr, desc.len, table, &n) && walk_descs(d, table, n, c);
            free(table);
            c->slots = 1;
            return ok;
        }
        if (!desc.addr) {
            sim_driver_error(d, "descriptor with a null address", idx);
            return false;
        }
        bool write = (desc.flags & VRING_DESC_F_WRITE) != 0;
        if (!write && seen_write) {
            sim_driver_error(d, "readable descriptor after a writable one", idx);
            return false;
        }
        if (!sim_dma_allowed(d, desc.addr, desc.len, idx))
            return false;
        seen_write |= write;
        c->segs[c->n] = (struct sim_seg){
            .p = (uint8_t *)(uintptr_t)desc.addr, .len = desc.len, .write = write, .desc = idx};
        c->n++;
        c->slots++;
        if (write)
            c->writable += desc.len;
        else
            c->readable += desc.len;
        if (!(desc.flags & VRING_DESC_F_NEXT))
            break;
        idx = desc.next;
    }
    if (c->n > d->stats.max_chain_segs)
        d->stats.max_chain_segs = c->n;
    return true;
}

static bool is_pending_head(const struct sim_queue *q, uint16_t id)
{
    uint16_t avail_idx = q->avail->idx;

    for (unsigned j = 0; j < q->n_pending; j++)
        if (q->pending[j] == id)
            return true;
    for (uint16_t i = q->last_avail; i != avail_idx; i++)
        if (q->avail->ring[i & (q->size - 1u)] == id)
            return true;
    return false;
}

static uint32_t not_a_head(const struct sim_queue *q, const struct sim_chain *c)
{
    if (q->packed) {
        for (uint32_t id = 0; id < q->size; id++) {
            bool pending = id == c->head;
            for (unsigned j = 0; j < q->n_pending && !pending; j++)
                pending = q->pending[j] == id;
            if (!pending)
                return id;
        }
        return q->size + 7u;
    }
    if (c->slots >= 2)
        return c->segs[1].desc;
    for (uint32_t k = 1; k < q->size; k++) {
        uint16_t id = (uint16_t)((c->head + k) & (q->size - 1u));
        if (!is_pending_head(q, id))
            return id;
    }
    return q->size + 7u;
}

/* Packed: the element goes at used_pos over the ring, then used_pos skips the chain's slots.
 * The driver's event structure says whether it wants an interrupt for it. */
static void packed_write_used(struct sim_queue *q, uint16_t id, uint32_t len, uint16_t slots,
                              bool wrap)
{
    volatile struct vring_packed_desc *pd = &q->pdesc[q->used_pos];

    pd->id = id;
    pd->len = len;
    os_wmb();
    pd->flags = wrap ? (uint16_t)(VRING_PACKED_DESC_F_AVAIL | VRING_PACKED_DESC_F_USED) : 0;
    q->used_pos = (uint16_t)(q->used_pos + slots);
    if (q->used_pos >= q->size) {
        q->used_pos = (uint16_t)(q->used_pos - q->size);
        q->used_wrap = !q->used_wrap;
    }
}

static void packed_push_used(struct sim_device *d, struct sim_queue *q, const struct sim_chain *c,
                             uint32_t id, uint32_t len)
{
    uint16_t slots = c->slots ? c->slots : 1;
    bool wrap = q->used_wrap;

    if (sim_fault_take(d, SIM_FAULT_USED_WRAP))
        wrap = !wrap;
    packed_write_used(q, (uint16_t)id, len, slots, wrap);
    if (sim_fault_take(d, SIM_FAULT_USED_IDX_JUMP))
        packed_write_used(q, (uint16_t)id, len, 1, q->used_wrap);
    os_mb();
    d->stats.chains++;
    uint16_t flags = q->drv_event->flags;
    if (flags == VRING_PACKED_EVENT_DESC) {
        uint16_t off_wrap = q->drv_event->off_wrap;
        uint16_t event = (uint16_t)(off_wrap & 0x7fffu);
        uint16_t new_pos = q->used_pos, old = (uint16_t)(q->used_pos - slots);
        if (!sim_negotiated(d, SIM_F_EVENT_IDX)) {
            sim_driver_error(d, "event suppression DESC mode without EVENT_IDX", flags);
            return;
        }
        if ((bool)(off_wrap >> 15) != q->used_wrap)
            event = (uint16_t)(event - q->size);
        if ((uint16_t)(new_pos - event - 1) < (uint16_t)(new_pos - old))
            d->isr |= VIRTIO_ISR_QUEUE;
    } else if (flags == VRING_PACKED_EVENT_ENABLE) {
        d->isr |= VIRTIO_ISR_QUEUE;
    } else if (flags != VRING_PACKED_EVENT_DISABLE) {
        sim_driver_error(d, "bad event suppression flags", flags);
    }
}

void sim_push_used(struct sim_device *d, unsigned qi, const struct sim_chain *c, uint32_t len)
{
    struct sim_queue *q = &d->q[qi];
    uint32_t id = c->head;
    uint16_t slot = (uint16_t)(q->used_idx & (q->size - 1u));
    uint16_t old_idx = q->used_idx;

    if (sim_fault_take(d, SIM_FAULT_USED_ID_RANGE))
        id = q->size + 7u;
    else if (sim_fault_take(d, SIM_FAULT_USED_ID_NOT_HEAD))
        id = not_a_head(q, c);
    if (sim_fault_take(d, SIM_FAULT_USED_LEN_LARGE))
        len = (uint32_t)(c->writable + 4096);
    else if (len > 1 && sim_fault_take(d, SIM_FAULT_USED_LEN_SHORT))
        len = 1;
    else if (sim_fault_take(d, SIM_FAULT_USED_LEN_ZERO))
        len = 0;
    if (q->packed) {
        packed_push_used(d, q, c, id, len);
        return;
    }
    q->used->ring[slot].id = id;
    q->used->ring[slot].len = len;
    os_wmb();
    q->used_idx++;
    if (sim_fault_take(d, SIM_FAULT_USED_IDX_JUMP))
        q->used_idx = (uint16_t)(q->used_idx + q->size + 1u);
    q->used->idx = q->used_idx;
    os_mb();
    d->stats.chains++;
    if (sim_negotiated(d, SIM_F_EVENT_IDX)) {
        /* With event idx the flags are ignored: interrupt when the used idx steps over
         * used_event, the uint16 after avail->ring[size] (virtio 1.2, 2.7.10). */
        uint16_t event = *vring_used_event(q->avail, q->size);
        if ((uint16_t)(q->used_idx - event - 1) < (uint16_t)(q->used_idx - old_idx))
            d->isr |= VIRTIO_ISR_QUEUE;
    } else if (!(q->avail->flags & VRING_AVAIL_F_NO_INTERRUPT)) {
        d->isr |= VIRTIO_ISR_QUEUE;
    }
}

void sim_pending_remove(struct sim_queue *q, unsigned i)
{
    if (i >= q->n_pending)
        return;
    memmove(&q->pending[i], &q->pending[i + 1], (q->n_pending - i - 1) * sizeof(q->pending[0]));
    if (q->pchain) {
        free(q->pchain[i].descs);
        memmove(&q->pchain[i], &q->pchain[i + 1], (q->n_pending - i - 1) * sizeof(q->pchain[0]));
    }
    q->n_pending--;
}

static uint32_t next_rand(struct sim_device *d)
{
    d->rng = d->rng * 1103515245u + 12345u;
    return d->rng >> 8;
}

/* Completes every pending chain of queue qi (held queues excepted), in the device's order. */
static unsigned complete_queue(struct sim_device *d, unsigned qi, bool ordered)
{
    struct sim_queue *q = &d->q[qi];
    unsigned done = 0;

    if (!sim_fetch(d, qi) || sim_model_holds_queue(d, qi))
        return 0;
    while (q->n_pending && !d->broken && q->size) {
        unsigned pick = 0;
        struct sim_chain c;
        if (ordered && d->order == SIM_ORDER_REVERSE)
            pick = q->n_pending - 1;
        else if (ordered && d->order == SIM_ORDER_SHUFFLE)
            pick = next_rand(d) % q->n_pending;
        uint16_t head = q->pending[pick];
        bool ok = sim_walk(d, qi, head, &c);
        sim_pending_remove(q, pick);
        if (!ok || !sim_model_process(d, qi, &c))
            break;
        done++;
    }
    return done;
}

static bool can_run(const struct sim_device *d)
{
    return !d->broken && (d->status & VIRTIO_STATUS_DRIVER_OK);
}

/* Raises the queue interrupt if any used entry asked for one. */
static void flush_irq(struct sim_device *d)
{
    if ((d->isr & VIRTIO_ISR_QUEUE) && !sim_fault_take(d, SIM_FAULT_NO_INTERRUPT))
        sim_raise(d, 0);
}

unsigned sim_device_run(struct sim_device *d, bool only_kicked)
{
    unsigned done = 0;

    if (!can_run(d) || d->in_process)
        return 0;
    d->in_process = true;
    for (;;) {
        bool any = false;
        for (unsigned qi = 0; qi < SIM_MAX_QUEUES; qi++) {
            struct sim_queue *q = &d->q[qi];
            if (!q->size || (only_kicked && !q->kicked))
                continue;
            q->kicked = false;
            any = true;
            done += complete_queue(d, qi, d->mode == SIM_COMPLETE_DEFERRED);
        }
        sim_model_run(d);
        if (!any || !only_kicked)
            break;
        bool again = false;
        for (unsigned qi = 0; qi < SIM_MAX_QUEUES; qi++)
            again |= d->q[qi].kicked;
        if (!again)
            break;
    }
    d->in_process = false;
    flush_irq(d);
    return done;
}

static void sim_notify(struct virtio_device *vdev, struct virtqueue *vq)
{
    struct sim_device *d = dev_of(vdev);
    unsigned qi = vq_index(vq);

    d->stats.notifies++;
    if (qi >= SIM_MAX_QUEUES || !d->q[qi].size) {
        sim_driver_error(d, "notify of a queue that is not set up", qi);
        return;
    }
    d->q[qi].kicked = true;
    if (d->mode == SIM_COMPLETE_AT_NOTIFY)
        sim_device_run(d, true);
}

static uint8_t sim_ack_interrupt(struct virtio_device *vdev)
{
    struct sim_device *d = dev_of(vdev);
    uint8_t isr = d->isr;
    d->isr = 0;
    return isr;
}

#define SIM_OPS(resizable)                                                                         \
    {                                                                                              \
        .name = "sim", .get_status = sim_get_status, .set_status = sim_set_status,                 \
        .get_features = sim_get_features, .set_features = sim_set_features,                        \
        .read_config = sim_read_config, .write_config = sim_write_config,                          \
        .config_generation = sim_config_generation, .queue_max = sim_queue_max,                    \
        .queue_setup = sim_queue_setup, .queue_teardown = sim_queue_teardown,                      \
        .notify = sim_notify, .ack_interrupt = sim_ack_interrupt, .can_resize_queue = (resizable), \
    }

static const struct virtio_transport_ops sim_ops_resizable = SIM_OPS(true);
static const struct virtio_transport_ops sim_ops_fixed = SIM_OPS(false);

const struct virtio_transport_ops *sim_transport_ops(bool resizable)
{
    return resizable ? &sim_ops_resizable : &sim_ops_fixed;
}
