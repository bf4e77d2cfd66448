/* Packed virtqueues (virtio 1.2, 2.8): one descriptor ring with wrap counters, chains written
 * in place (or as one indirect descriptor), used elements read back from the same ring, and
 * the two event suppression structures. Every used element is validated (wrap counter, buffer
 * id outstanding, length) before use; an impossible one marks the queue broken. It never reads
 * its free list or chain lengths back from shared memory. */
#include <errno.h>
#include <string.h>

#include <virtio/os.h>
#include <virtio/virtio.h>
#include <virtio/virtqueue.h>

#include "virtqueue_priv.h"

int vq_init_packed(struct virtqueue *vq, struct virtio_device *vdev, unsigned index, uint16_t size)
{
    /* Descriptor ring (16-byte aligned), then the driver and the device event suppression
     * structures (4-byte aligned each). */
    uint64_t pa, ring = 16ull * size;
    int rc =
        vq_init_common(vq, vdev, index, size, ring + 2 * sizeof(struct vring_packed_event), &pa);

    if (rc)
        return rc;
    vq->layout = VQ_PACKED;
    vq->pdesc = (struct vring_packed_desc *)vq->ring_mem;
    vq->driver_event = (struct vring_packed_event *)((uint8_t *)vq->ring_mem + ring);
    vq->device_event = vq->driver_event + 1;
    vq->desc_pa = pa;
    vq->avail_pa = pa + ring;
    vq->used_pa = pa + ring + sizeof(struct vring_packed_event);
    vq_packed_reset(vq);
    return 0;
}

/* Ring positions and the id free list as after a device reset: both wrap counters start at 1. */
void vq_packed_reset(struct virtqueue *vq)
{
    for (unsigned i = 0; i < vq->size; i++)
        vq->state[i].next = (uint16_t)((i + 1) & (vq->size - 1u));
    vq->free_head = 0;
    vq->num_free = vq->size;
    vq->next_avail = 0;
    vq->last_used = 0;
    vq->avail_wrap = true;
    vq->used_wrap = true;
    vq->num_added = 0;
    vq->outstanding = 0;
    vq->event_flags = VRING_PACKED_EVENT_ENABLE;
}

/* AVAIL = wrap, USED = !wrap: "available" in the lap that wrap names. */
static uint16_t avail_bits(bool wrap)
{
    return wrap ? VRING_PACKED_DESC_F_AVAIL : VRING_PACKED_DESC_F_USED;
}

static void write_desc(struct virtqueue *vq, uint16_t pos, uint64_t addr, uint32_t len, uint16_t id,
                       uint16_t flags)
{
    volatile struct vring_packed_desc *d = &vq->pdesc[pos];

    d->addr = addr;
    d->len = len;
    d->id = id;
    d->flags = flags;
}

int vq_packed_add(struct virtqueue *vq, const struct vq_seg *out, unsigned n_out,
                  const struct vq_seg *in, unsigned n_in, void *cookie, uint32_t writable)
{
    const unsigned n = n_out + n_in;
    const bool indirect = vq_goes_indirect(vq, n);
    const unsigned cost = indirect ? 1 : n;
    const uint16_t head = vq->next_avail, id = vq->free_head;
    const bool head_wrap = vq->avail_wrap;
    uint16_t head_flags, pos = head;
    bool wrap = head_wrap;

    if (cost > vq->num_free)
        return -ENOSPC;
    if (indirect) {
        uint64_t table = vq_indirect_fill(vq, id, out, n_out, in, n_in);
        head_flags = VRING_DESC_F_INDIRECT;
        write_desc(vq, pos, table, (uint32_t)(n * sizeof(struct vring_packed_desc)), id,
                   avail_bits(!wrap)); /* not yet available: the flags come last */
        pos++;
    } else {
        head_flags = (uint16_t)((n_out ? 0 : VRING_DESC_F_WRITE) | (n > 1 ? VRING_DESC_F_NEXT : 0));
        for (unsigned i = 0; i < n; i++) {
            const struct vq_seg *s = i < n_out ? &out[i] : &in[i - n_out];
            uint16_t flags = (uint16_t)((i >= n_out ? VRING_DESC_F_WRITE : 0) |
                                        (i + 1 < n ? VRING_DESC_F_NEXT : 0));
            /* The head keeps the previous lap's bits until the whole chain is written. */
            write_desc(vq, pos, s->addr, s->len, id,
                       i == 0 ? avail_bits(!wrap) : (uint16_t)(flags | avail_bits(wrap)));
            if (++pos == vq->size) {
                pos = 0;
                wrap = !wrap;
            }
        }
    }
    if (pos == vq->size) {
        pos = 0;
        wrap = !wrap;
    }
    vq->next_avail = pos;
    vq->avail_wrap = wrap;
    vq->free_head = vq->state[id].next;
    vq->num_free = (uint16_t)(vq->num_free - cost);
    vq->num_added += cost;
    vq->outstanding++;
    vq->state[id].chain_len = (uint16_t)cost;
    vq->state[id].writable = writable;
    vq->state[id].cookie = cookie;
    /* Publishing: the chain's other descriptors and the head's fields before its flags. */
    os_wmb();
    vq->pdesc[head].flags = (uint16_t)(head_flags | avail_bits(head_wrap));
    return 0;
}

void vq_packed_kick(struct virtqueue *vq)
{
    volatile struct vring_packed_event *ev = vq->device_event;
    uint32_t added = vq->num_added;
    uint16_t flags, off_wrap;
    bool need;

    if (added == 0)
        return;
    vq->num_added = 0;
    /* The published flags must be visible before we read whether the device wants a notify. */
    os_mb();
    flags = ev->flags;
    off_wrap = ev->off_wrap;
    if (flags == VRING_PACKED_EVENT_DESC && vq->event_idx && added < vq->size) {
        /* Positions of this lap count 0..size-1, the previous lap's -size..-1 (mod 2^16):
         * notify when the descriptor the device asked about lies in what this kick covers. */
        uint16_t event = (uint16_t)(off_wrap & 0x7fffu);
        uint16_t new_idx = vq->next_avail, old = (uint16_t)(vq->next_avail - added);
        if ((bool)(off_wrap >> VRING_PACKED_WRAP_BIT) != vq->avail_wrap)
            event = (uint16_t)(event - vq->size);
        need = vq_need_event(event, new_idx, old);
    } else {
        need = flags != VRING_PACKED_EVENT_DISABLE;
    }
    if (!need)
        return;
    vq->vdev->ops->notify(vq->vdev, vq);
    vq->kicks++;
}

void vq_packed_free_id(struct virtqueue *vq, uint16_t id)
{
    struct vq_desc_state *st = &vq->state[id];

    vq->num_free = (uint16_t)(vq->num_free + st->chain_len);
    vq->outstanding--;
    st->cookie = NULL;
    st->chain_len = 0;
    st->writable = 0;
    st->next = vq->free_head;
    vq->free_head = id;
}

/* 1: a used element in the expected lap; 0: not used yet; -1: used, but the wrap counter names
 * the wrong lap. */
static int used_state(uint16_t flags, bool wrap)
{
    bool avail = (flags & VRING_PACKED_DESC_F_AVAIL) != 0;
    bool used = (flags & VRING_PACKED_DESC_F_USED) != 0;

    if (avail != used)
        return 0;
    return used == wrap ? 1 : -1;
}

int vq_packed_pop(struct virtqueue *vq, void **cookie, uint32_t *len)
{
    volatile struct vring_packed_desc *d = &vq->pdesc[vq->last_used];
    uint16_t flags = d->flags, id;
    uint32_t ulen;
    struct vq_desc_state *st;
    int state = used_state(flags, vq->used_wrap);

    if (vq->outstanding == 0) {
        /* Whatever sits here is from an earlier lap, unless the device made it up. */
        if (state == 1)
            return vq_mark_broken(vq, cookie,
                                  "used element beyond what was made available (pos, flags)",
                                  vq->last_used, flags);
        return -EAGAIN;
    }
    if (state == 0)
        return -EAGAIN;
    if (state < 0)
        return vq_mark_broken(vq, cookie, "used element with the wrong wrap counter (pos, flags)",
                              vq->last_used, flags);
    /* The element must be read after the flags that say it is there. */
    os_rmb();
    id = d->id;
    ulen = d->len;
    if (id >= vq->size)
        return vq_mark_broken(vq, cookie, "used id out of range (id, size)", id, vq->size);
    st = &vq->state[id];
    if (!st->cookie)
        return vq_mark_broken(vq, cookie, "used id is not outstanding (id, pos)", id,
                              vq->last_used);
    *cookie = st->cookie;
    *len = vq_used_len(vq, st, ulen);
    /* The device skips the chain's other descriptors: the next element follows them. */
    vq->last_used = (uint16_t)(vq->last_used + st->chain_len);
    if (vq->last_used >= vq->size) {
        vq->last_used = (uint16_t)(vq->last_used - vq->size);
        vq->used_wrap = !vq->used_wrap;
    }
    vq_packed_free_id(vq, id);
    vq->completions++;
    if (vq->event_flags == VRING_PACKED_EVENT_DESC) {
        /* Interrupt me at the next element; seen by the device before we look at it again. */
        vq->driver_event->off_wrap =
            (uint16_t)(vq->last_used | (vq->used_wrap ? 1u << VRING_PACKED_WRAP_BIT : 0));
        os_mb();
    }
    return 0;
}

void vq_packed_disable_cb(struct virtqueue *vq)
{
    vq->cb_disabled = true;
    if (vq->event_flags != VRING_PACKED_EVENT_DISABLE) {
        vq->event_flags = VRING_PACKED_EVENT_DISABLE;
        vq->driver_event->flags = VRING_PACKED_EVENT_DISABLE;
    }
}

/* With event idx: interrupt when the element at last_used is written; one already written
 * raises nothing, so callers re-check vq_has_used() after this. */
void vq_packed_enable_cb(struct virtqueue *vq)
{
    vq->cb_disabled = false;
    if (vq->event_idx) {
        vq->driver_event->off_wrap =
            (uint16_t)(vq->last_used | (vq->used_wrap ? 1u << VRING_PACKED_WRAP_BIT : 0));
        os_wmb();
        vq->event_flags = VRING_PACKED_EVENT_DESC;
    } else {
        vq->event_flags = VRING_PACKED_EVENT_ENABLE;
    }
    vq->driver_event->flags = vq->event_flags;
    /* The device must see interrupts enabled before the caller re-checks the ring. */
    os_mb();
}

/* True when an element waits at last_used, or something there that vq_pop will reject. */
bool vq_packed_has_used(const struct virtqueue *vq)
{
    const volatile struct vring_packed_desc *d = &vq->pdesc[vq->last_used];
    int state = used_state(d->flags, vq->used_wrap);

    return vq->outstanding ? state != 0 : state == 1;
}
