/* The fiber's side of ION rings (user/include/nexus_ion.h): writes an entry, then publishes the
 * tail (release); reads the completion tail (acquire), then the entry, then frees it (head). */
#include <nexus_ion.h>

#define ACQUIRE() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define RELEASE() __atomic_thread_fence(__ATOMIC_RELEASE)

int nexus_ring_attach(struct nexus_ring *r, void *mem)
{
    volatile struct ion_ring_header *h = mem;
    uint32_t n = h->entries;

    if (!n || n > ION_RING_MAX || (n & (n - 1)))
        return -1;
    r->hdr = h;
    r->entries = (volatile uint8_t *)mem + sizeof(struct ion_ring_header);
    r->mask = n - 1;
    return 0;
}

int nexus_sq_push(struct nexus_ring *sq, const struct ion_sqe *e)
{
    uint32_t tail = sq->hdr->tail;

    if (tail - sq->hdr->head > sq->mask)
        return -1;
    volatile struct ion_sqe *slot = (volatile struct ion_sqe *)sq->entries + (tail & sq->mask);
    slot->op = e->op;
    slot->flags = e->flags;
    slot->slot = e->slot;
    slot->tag = e->tag;
    for (unsigned i = 0; i < 4; i++)
        slot->arg[i] = e->arg[i];
    RELEASE();
    sq->hdr->tail = tail + 1;
    return 0;
}

int nexus_cq_pop(struct nexus_ring *cq, struct ion_cqe *out)
{
    uint32_t head = cq->hdr->head;

    if (cq->hdr->tail == head)
        return -1;
    ACQUIRE();
    const volatile struct ion_cqe *c =
        (const volatile struct ion_cqe *)cq->entries + (head & cq->mask);
    out->tag = c->tag;
    out->result = c->result;
    RELEASE();
    cq->hdr->head = head + 1;
    return 0;
}
