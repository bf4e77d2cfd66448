/* Split virtqueues (virtio 1.2, 2.7): ring allocation and layout, publishing chains (direct or as
 * one indirect descriptor), notifying, and taking used entries back after checking each one.
 * It never follows a value read from the used ring before validating it, never reads its free
 * list back from shared memory, and never asserts on device data: it marks the queue broken. */
#include <errno.h>
#include <string.h>

#include <virtio/os.h>
#include <virtio/virtio.h>
#include <virtio/virtqueue.h>

#include "virtqueue_priv.h"

#define LEGACY_ALIGN 4096u

static uint64_t align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);
}

/* The event-index fields (see virtqueue_priv.h); vq_init's layouts leave room for both. */
static volatile uint16_t *used_event(struct virtqueue *vq)
{
    return vring_used_event(vq->avail, vq->size);
}

static volatile uint16_t *avail_event(struct virtqueue *vq)
{
    return vring_avail_event(vq->used, vq->size);
}

int vq_init(struct virtqueue *vq, struct virtio_device *vdev, unsigned index, uint16_t size,
            bool legacy_layout)
{
    uint64_t avail_off, used_off, total, pa;
    int rc;

    /* Descriptor table (16-byte aligned), then the available ring with used_event (2-byte
     * aligned); the used ring with avail_event goes on the next 4096 boundary for legacy
     * devices, which compute it themselves, or the next 4-byte boundary for modern ones. */
    avail_off = 16ull * size;
    used_off = avail_off + 6 + 2ull * size;
    used_off = align_up(used_off, legacy_layout ? LEGACY_ALIGN : 4);
    total = used_off + 6 + 8ull * size;
    if (legacy_layout)
        total = align_up(total, LEGACY_ALIGN);
    rc = vq_init_common(vq, vdev, index, size, total, &pa);
    if (rc)
        return rc;
    vq->layout = VQ_SPLIT;
    vq->desc = (struct vring_desc *)vq->ring_mem;
    vq->avail = (struct vring_avail *)((uint8_t *)vq->ring_mem + avail_off);
    vq->used = (struct vring_used *)((uint8_t *)vq->ring_mem + used_off);
    vq->desc_pa = pa;
    vq->avail_pa = pa + avail_off;
    vq->used_pa = pa + used_off;

    for (unsigned i = 0; i < size; i++)
        vq->state[i].next = (uint16_t)((i + 1) & (size - 1u));
    vq->free_head = 0;
    vq->num_free = size;
    return 0;
}

/* The whole chain as one descriptor pointing at head's indirect table. */
static void add_indirect(struct virtqueue *vq, uint16_t head, const struct vq_seg *out,
                         unsigned n_out, const struct vq_seg *in, unsigned n_in)
{
    struct vq_desc_state *st = &vq->state[head];
    uint32_t bytes = (uint32_t)(n_out + n_in) * (uint32_t)sizeof(struct vring_desc);
    uint64_t table = vq_indirect_fill(vq, head, out, n_out, in, n_in);

    st->addr = table;
    st->len = bytes;
    st->flags = VRING_DESC_F_INDIRECT;
    vq->desc[head].addr = table;
    vq->desc[head].len = bytes;
    vq->desc[head].flags = VRING_DESC_F_INDIRECT;
    vq->desc[head].next = 0;
    vq->free_head = st->next;
    vq->num_free--;
    st->chain_len = 1;
}

int vq_split_add(struct virtqueue *vq, const struct vq_seg *out, unsigned n_out,
                 const struct vq_seg *in, unsigned n_in, void *cookie, uint32_t writable)
{
    const unsigned n = n_out + n_in;
    uint16_t head, idx, last;

    head = idx = last = vq->free_head;
    if (vq_goes_indirect(vq, n)) {
        if (vq->num_free == 0)
            return -ENOSPC;
        add_indirect(vq, head, out, n_out, in, n_in);
    } else {
        if (n > vq->num_free)
            return -ENOSPC;
        for (unsigned i = 0; i < n; i++) {
            const struct vq_seg *s = i < n_out ? &out[i] : &in[i - n_out];
            struct vq_desc_state *st = &vq->state[idx];
            uint16_t next = st->next;
            uint16_t flags = (uint16_t)((i >= n_out ? VRING_DESC_F_WRITE : 0) |
                                        (i + 1 < n ? VRING_DESC_F_NEXT : 0));

            st->addr = s->addr;
            st->len = s->len;
            st->flags = flags;
            st->chain_len = 0;
            st->writable = 0;
            st->cookie = NULL;
            vq->desc[idx].addr = s->addr;
            vq->desc[idx].len = s->len;
            vq->desc[idx].flags = flags;
            vq->desc[idx].next = i + 1 < n ? next : 0;
            last = idx;
            idx = next;
        }
        vq->free_head = vq->state[last].next;
        vq->num_free = (uint16_t)(vq->num_free - n);
        vq->state[head].chain_len = (uint16_t)n;
    }
    vq->state[head].writable = writable;
    vq->state[head].cookie = cookie;

    vq->avail->ring[vq->avail_idx & (vq->size - 1u)] = head;
    vq->avail_idx++;
    return 0;
}

void vq_split_kick(struct virtqueue *vq)
{
    volatile struct vring_avail *avail = vq->avail;
    volatile struct vring_used *used = vq->used;
    uint16_t old = avail->idx; /* what the previous kick published */

    if (old == vq->avail_idx)
        return;
    /* Descriptors and ring slots must be visible before the index that publishes them. */
    os_wmb();
    avail->idx = vq->avail_idx;
    /* The new index must be visible before we look at whether the device wants a notify. */
    os_mb();
    if (vq->event_idx) {
        /* Notify only if this batch covers the entry the device asked to hear about: any
         * earlier notify with that entry still ahead already has the device coming back. */
        if (!vq_need_event(*avail_event(vq), vq->avail_idx, old))
            return;
    } else if (used->flags & VRING_USED_F_NO_NOTIFY) {
        return;
    }
    vq->vdev->ops->notify(vq->vdev, vq);
    vq->kicks++;
}

void vq_split_free_chain(struct virtqueue *vq, uint16_t head)
{
    uint16_t n = vq->state[head].chain_len;
    uint16_t idx = head;

    for (uint16_t i = 1; i < n; i++)
        idx = vq->state[idx].next;
    vq->state[idx].next = vq->free_head;
    vq->free_head = head;
    vq->num_free = (uint16_t)(vq->num_free + n);
    vq->state[head].cookie = NULL;
    vq->state[head].chain_len = 0;
    vq->state[head].writable = 0;
}

int vq_split_pop(struct virtqueue *vq, void **cookie, uint32_t *len)
{
    volatile struct vring_used *used = vq->used;
    uint16_t used_idx, pending, slot;
    uint32_t id, ulen;
    struct vq_desc_state *st;

    used_idx = used->idx;
    pending = (uint16_t)(used_idx - vq->last_used_idx);
    if (pending == 0)
        return -EAGAIN;
    if (pending > vq->size)
        return vq_mark_broken(vq, cookie, "used idx too far ahead (idx, last used)", used_idx,
                              vq->last_used_idx);
    /* The entry must be read after the index that says it is there. */
    os_rmb();
    slot = (uint16_t)(vq->last_used_idx & (vq->size - 1u));
    id = used->ring[slot].id;
    ulen = used->ring[slot].len;
    if (id >= vq->size)
        return vq_mark_broken(vq, cookie, "used id out of range (id, size)", id, vq->size);
    st = &vq->state[id];
    if (!st->cookie)
        return vq_mark_broken(vq, cookie, "used id is not an outstanding head (id, slot)", id,
                              slot);
    *cookie = st->cookie;
    *len = vq_used_len(vq, st, ulen);
    vq_split_free_chain(vq, (uint16_t)id);
    vq->last_used_idx++;
    vq->completions++;
    if (vq->event_idx) {
        /* Keep used_event tracking what we consumed (see vq_enable_cb / vq_disable_cb). When
         * interrupts are wanted, the device must see the new event before we next read used
         * idx, or a completion published in between would neither interrupt nor be seen. */
        *used_event(vq) = (uint16_t)(vq->last_used_idx - (vq->cb_disabled ? 1u : 0u));
        if (!vq->cb_disabled)
            os_mb();
    }
    return 0;
}

/* With event idx the device ignores avail->flags and interrupts when its used idx moves from
 * old to new with used_event in [old, new). Its used idx U always satisfies
 * last_used_idx <= U <= last_used_idx + size (we only consume what it published, and at most
 * size chains are out), so used_event = last_used_idx - 1 lies just behind U: the device would
 * step over it again only after 65535 - size or more further completions (>= 32767), and vq_pop
 * moves it along with last_used_idx while disabled, so a driver that keeps consuming never gets
 * there. A device that published entries before this store but decides about the interrupt
 * after it may still interrupt once: spurious, and allowed (this is a hint). The flag is written
 * too, as a hint for a device without event idx. */
void vq_split_disable_cb(struct virtqueue *vq)
{
    volatile struct vring_avail *avail = vq->avail;

    avail->flags = (uint16_t)(avail->flags | VRING_AVAIL_F_NO_INTERRUPT);
    vq->cb_disabled = true;
    if (vq->event_idx)
        *used_event(vq) = (uint16_t)(vq->last_used_idx - 1u);
}

/* With event idx: interrupt when the entry at last_used_idx is published. Entries already
 * published raise nothing, so callers re-check vq_has_used() after this. */
void vq_split_enable_cb(struct virtqueue *vq)
{
    volatile struct vring_avail *avail = vq->avail;

    avail->flags = (uint16_t)(avail->flags & ~VRING_AVAIL_F_NO_INTERRUPT);
    vq->cb_disabled = false;
    if (vq->event_idx)
        *used_event(vq) = vq->last_used_idx;
    /* The device must see interrupts enabled before the caller re-checks the used ring. */
    os_mb();
}

bool vq_split_has_used(const struct virtqueue *vq)
{
    const volatile struct vring_used *used = vq->used;

    return used->idx != vq->last_used_idx;
}
