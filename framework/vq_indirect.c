/* Indirect descriptor tables (virtio 1.2, 2.7.5.3 and 2.8.19): one table per ring slot (split:
 * per head index, packed: per buffer id), preallocated at probe in one DMA block, filled when a
 * long chain is added and reused only once the device has returned that slot. Nothing here
 * allocates on the request path or reads a table back. */
#include <errno.h>
#include <string.h>

#include <virtio/os.h>
#include <virtio/virtio.h>
#include <virtio/virtqueue.h>
#include <virtio_gen/virtio_ids.h>

#include "virtqueue_priv.h"

/* Both layouts' table entries are 16 bytes. */
#define ENTRY_BYTES 16u
_Static_assert(sizeof(struct vring_desc) == ENTRY_BYTES, "split descriptor size");
_Static_assert(sizeof(struct vring_packed_desc) == ENTRY_BYTES, "packed descriptor size");

/* Without the feature check: for the core and its tests. */
static int indirect_init(struct virtqueue *vq, unsigned max_entries, unsigned min_chain)
{
    uint64_t bytes, pa;
    void *mem;

    if (max_entries > vq->size)
        max_entries = vq->size; /* no chain may be longer than the queue (2.7.5.3.1, 2.8.19) */
    if (min_chain < 2 || max_entries < min_chain || vq->ind.mem || vq->num_free != vq->size)
        return -EINVAL;
    bytes = (uint64_t)vq->size * max_entries * ENTRY_BYTES;
    mem = os_dma_alloc((size_t)bytes, &pa);
    if (!mem)
        return -ENOMEM;
    vq->ind.mem = mem;
    vq->ind.pa = pa;
    vq->ind.bytes = bytes;
    vq->ind.max_entries = (uint16_t)max_entries;
    vq->ind.min_chain = (uint16_t)min_chain;
    return 0;
}

int vq_use_indirect(struct virtqueue *vq, unsigned max_entries, unsigned min_chain)
{
    if (!vq || !vq->state)
        return -EINVAL;
    if (!vq->vdev || !(vq->vdev->features & (1ull << VIRTIO_F_RING_INDIRECT_DESC)))
        return -ENOTSUP;
    return indirect_init(vq, max_entries, min_chain);
}

uint64_t vq_indirect_fill(struct virtqueue *vq, uint16_t slot, const struct vq_seg *out,
                          unsigned n_out, const struct vq_seg *in, unsigned n_in)
{
    const uint64_t off = (uint64_t)slot * vq->ind.max_entries * ENTRY_BYTES;
    void *table = (uint8_t *)vq->ind.mem + off;
    const unsigned n = n_out + n_in;

    if (vq->layout == VQ_PACKED) {
        /* Read in order; WRITE is the only flag the device looks at (2.8.19). */
        struct vring_packed_desc *d = table;
        for (unsigned i = 0; i < n; i++) {
            const struct vq_seg *s = i < n_out ? &out[i] : &in[i - n_out];
            d[i].addr = s->addr;
            d[i].len = s->len;
            d[i].id = 0;
            d[i].flags = i >= n_out ? VRING_DESC_F_WRITE : 0;
        }
    } else {
        /* A chain inside the table, linked by index from entry 0 (2.7.5.3). */
        struct vring_desc *d = table;
        for (unsigned i = 0; i < n; i++) {
            const struct vq_seg *s = i < n_out ? &out[i] : &in[i - n_out];
            d[i].addr = s->addr;
            d[i].len = s->len;
            d[i].flags = (uint16_t)((i >= n_out ? VRING_DESC_F_WRITE : 0) |
                                    (i + 1 < n ? VRING_DESC_F_NEXT : 0));
            d[i].next = (uint16_t)(i + 1 < n ? i + 1 : 0);
        }
    }
    return vq->ind.pa + off;
}

void vq_indirect_free(struct virtqueue *vq)
{
    if (vq->ind.mem)
        os_dma_free(vq->ind.mem, (size_t)vq->ind.bytes);
    memset(&vq->ind, 0, sizeof(vq->ind));
}
