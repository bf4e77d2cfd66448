/* The virtqueue front: the vq_* entry points plugins and transports call, argument checks common
 * to both layouts, dispatch to the split (vq_split.c) or packed (vq_packed.c) ring, the broken
 * state that fails what is outstanding, and the queries. It never touches ring memory itself. */
#include <errno.h>
#include <string.h>

#include <virtio/os.h>
#include <virtio/virtio.h>
#include <virtio/virtqueue.h>

#include "virtqueue_priv.h"

const char *vq_name(const struct virtqueue *vq)
{
    return vq->vdev && vq->vdev->name[0] ? vq->vdev->name : "?";
}

void vq_destroy(struct virtqueue *vq)
{
    if (!vq)
        return;
    if (vq->ring_mem)
        os_dma_free(vq->ring_mem, (size_t)vq->ring_mem_size);
    if (vq->state)
        os_free(vq->state, sizeof(*vq->state) * vq->size);
    vq_indirect_free(vq);
    memset(vq, 0, sizeof(*vq));
}

int vq_add(struct virtqueue *vq, const struct vq_seg *out, unsigned n_out, const struct vq_seg *in,
           unsigned n_in, void *cookie)
{
    uint64_t writable = 0;
    unsigned n;

    if (!vq || !vq->state)
        return -EINVAL;
    if (vq->broken)
        return -EIO;
    if (!cookie || (n_out && !out) || (n_in && !in) || n_out > vq->size || n_in > vq->size)
        return -EINVAL;
    n = n_out + n_in;
    if (n == 0 || n > vq->size)
        return -EINVAL;
    for (unsigned i = 0; i < n; i++) {
        const struct vq_seg *s = i < n_out ? &out[i] : &in[i - n_out];
        if (s->len == 0)
            return -EINVAL;
        if (i >= n_out)
            writable += s->len;
    }
    if (writable > UINT32_MAX)
        writable = UINT32_MAX;
    if (vq->layout == VQ_PACKED)
        return vq_packed_add(vq, out, n_out, in, n_in, cookie, (uint32_t)writable);
    return vq_split_add(vq, out, n_out, in, n_in, cookie, (uint32_t)writable);
}

void vq_kick(struct virtqueue *vq)
{
    if (!vq || !vq->state || vq->broken)
        return;
    if (vq->layout == VQ_PACKED)
        vq_packed_kick(vq);
    else
        vq_split_kick(vq);
}

int vq_drain_broken(struct virtqueue *vq, void **cookie)
{
    for (uint16_t i = 0; i < vq->size; i++) {
        if (vq->state[i].cookie) {
            *cookie = vq->state[i].cookie;
            if (vq->layout == VQ_PACKED)
                vq_packed_free_id(vq, i);
            else
                vq_split_free_chain(vq, i);
            return -EIO;
        }
    }
    return -EIO;
}

int vq_mark_broken(struct virtqueue *vq, void **cookie, const char *what, unsigned a, unsigned b)
{
    vq->broken = true;
    os_log("virtio: %s queue %u broken: %s (%u, %u)", vq_name(vq), vq->index, what, a, b);
    return vq_drain_broken(vq, cookie);
}

uint32_t vq_used_len(struct virtqueue *vq, const struct vq_desc_state *st, uint32_t len)
{
    if (len > st->writable) {
        vq->len_clamped++;
        return st->writable;
    }
    return len;
}

int vq_pop(struct virtqueue *vq, void **cookie, uint32_t *len)
{
    if (!vq || !cookie || !len || !vq->state)
        return -EINVAL;
    *cookie = NULL;
    *len = 0;
    if (vq->broken)
        return vq_drain_broken(vq, cookie);
    if (vq->layout == VQ_PACKED)
        return vq_packed_pop(vq, cookie, len);
    return vq_split_pop(vq, cookie, len);
}

void vq_disable_cb(struct virtqueue *vq)
{
    if (vq->layout == VQ_PACKED)
        vq_packed_disable_cb(vq);
    else
        vq_split_disable_cb(vq);
}

void vq_enable_cb(struct virtqueue *vq)
{
    if (vq->layout == VQ_PACKED)
        vq_packed_enable_cb(vq);
    else
        vq_split_enable_cb(vq);
}

bool vq_has_used(const struct virtqueue *vq)
{
    if (!vq || !vq->state)
        return false;
    if (vq->broken)
        return vq->num_free < vq->size;
    if (vq->layout == VQ_PACKED)
        return vq_packed_has_used(vq);
    return vq_split_has_used(vq);
}

uint16_t vq_size(const struct virtqueue *vq)
{
    return vq ? vq->size : 0;
}

unsigned vq_index(const struct virtqueue *vq)
{
    return vq ? vq->index : 0;
}

bool vq_packed(const struct virtqueue *vq)
{
    return vq && vq->layout == VQ_PACKED;
}

/* Either layout's chain may take every descriptor of the ring; an indirect table holds at most
 * as many (vq_use_indirect caps it at the queue size, as the spec asks of a chain). */
unsigned vq_max_chain(const struct virtqueue *vq)
{
    return vq ? vq->size : 0;
}

unsigned vq_chain_cost(const struct virtqueue *vq, unsigned n)
{
    return vq && vq_goes_indirect(vq, n) ? 1 : n;
}

bool vq_chain_fits(const struct virtqueue *vq, unsigned n)
{
    return vq && !vq->broken && n > 0 && n <= vq->num_free;
}

bool vq_broken(const struct virtqueue *vq)
{
    return !vq || vq->broken;
}

void vq_get_counters(const struct virtqueue *vq, struct vq_counters *out)
{
    memset(out, 0, sizeof(*out));
    if (!vq)
        return;
    out->kicks = vq->kicks;
    out->completions = vq->completions;
    out->len_clamped = vq->len_clamped;
}

void vq_ring_addrs(const struct virtqueue *vq, uint64_t *desc, uint64_t *driver, uint64_t *device)
{
    *desc = vq->desc_pa;
    *driver = vq->avail_pa;
    *device = vq->used_pa;
}

bool vq_legacy_pfn(const struct virtqueue *vq, uint64_t align, uint32_t *pfn)
{
    uint64_t avail_end = vq->avail_pa + 2u * (3u + vq->size);
    uint64_t used = (avail_end + align - 1) & ~(align - 1);

    if (vq->layout != VQ_SPLIT || (vq->desc_pa & (align - 1)) != 0 ||
        (vq->desc_pa >> 12) > 0xffffffffu || vq->avail_pa != vq->desc_pa + 16u * vq->size ||
        vq->used_pa != used)
        return false;
    *pfn = (uint32_t)(vq->desc_pa >> 12);
    return true;
}

void vq_set_transport_data(struct virtqueue *vq, uintptr_t v)
{
    vq->transport_data = v;
}

uintptr_t vq_transport_data(const struct virtqueue *vq)
{
    return vq->transport_data;
}

int vq_init_common(struct virtqueue *vq, struct virtio_device *vdev, unsigned index, uint16_t size,
                   uint64_t total, uint64_t *pa)
{
    void *mem;

    if (!vq || size == 0 || (size & (size - 1)) || size > 32768u)
        return -EINVAL;
    memset(vq, 0, sizeof(*vq));
    mem = os_dma_alloc((size_t)total, pa);
    if (!mem)
        return -ENOMEM;
    vq->state = os_alloc(sizeof(*vq->state) * size);
    if (!vq->state) {
        os_dma_free(mem, (size_t)total);
        return -ENOMEM;
    }
    vq->vdev = vdev;
    vq->index = index;
    vq->size = size;
    vq->ring_mem = mem;
    vq->ring_mem_size = total;
    return 0;
}
