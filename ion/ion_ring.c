/* ION rings, kernel side (ion/include/ion/ion_ring.h). Ordering: the fiber writes an entry, then
 * its tail (release); we read the tail (acquire), then the entry. We write a completion, then
 * our tail (release); the fiber reads the tail, then the completion. */
#include <errno.h>

#include <ion/ion_ring.h>

#define ACQUIRE() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define RELEASE() __atomic_thread_fence(__ATOMIC_RELEASE)

static int size_ok(uint32_t entries)
{
    return entries && entries <= ION_RING_MAX && (entries & (entries - 1)) == 0;
}

size_t ion_sq_bytes(uint32_t entries)
{
    return sizeof(struct ion_ring_header) + (size_t)entries * sizeof(struct ion_sqe);
}

size_t ion_cq_bytes(uint32_t entries)
{
    return sizeof(struct ion_ring_header) + (size_t)entries * sizeof(struct ion_cqe);
}

static int header_init(void *mem, size_t bytes, size_t need, uint32_t entries)
{
    volatile struct ion_ring_header *h = mem;

    if (!mem || !size_ok(entries) || bytes < need || (uintptr_t)mem % 16)
        return -EINVAL;
    h->head = 0;
    h->tail = 0;
    h->entries = entries;
    h->pad = 0;
    return 0;
}

int ion_sq_init(struct ion_sq *q, void *mem, size_t bytes, uint32_t entries)
{
    int rc = header_init(mem, bytes, ion_sq_bytes(entries), entries);

    if (rc)
        return rc;
    q->hdr = mem;
    q->e = (const volatile struct ion_sqe *)((uint8_t *)mem + sizeof(struct ion_ring_header));
    q->mask = entries - 1;
    q->head = 0;
    return 0;
}

int ion_cq_init(struct ion_cq *q, void *mem, size_t bytes, uint32_t entries)
{
    int rc = header_init(mem, bytes, ion_cq_bytes(entries), entries);

    if (rc)
        return rc;
    q->hdr = mem;
    q->e = (volatile struct ion_cqe *)((uint8_t *)mem + sizeof(struct ion_ring_header));
    q->mask = entries - 1;
    q->tail = 0;
    return 0;
}

uint32_t ion_sq_pending(const struct ion_sq *q)
{
    uint32_t n = q->hdr->tail - q->head;
    return n <= q->mask + 1 ? n : 0;
}

int ion_sq_pop(struct ion_sq *q, struct ion_sqe *out)
{
    uint32_t tail = q->hdr->tail; /* read once */
    uint32_t n = tail - q->head;

    if (n == 0)
        return -EAGAIN;
    if (n > q->mask + 1)
        return -EPROTO;
    ACQUIRE();
    const volatile struct ion_sqe *e = &q->e[q->head & q->mask];
    out->op = e->op;
    out->flags = e->flags;
    out->slot = e->slot;
    out->tag = e->tag;
    for (unsigned i = 0; i < 4; i++)
        out->arg[i] = e->arg[i];
    q->head++;
    RELEASE();
    q->hdr->head = q->head; /* the entry may be reused by the fiber from now on */
    return 0;
}

int ion_cq_push(struct ion_cq *q, uint64_t tag, int64_t result)
{
    uint32_t head = q->hdr->head; /* read once */
    uint32_t used = q->tail - head;

    if (used > q->mask + 1)
        return -EPROTO; /* a head beyond what we posted, or behind by more than the ring */
    if (used == q->mask + 1)
        return -EAGAIN;
    volatile struct ion_cqe *e = &q->e[q->tail & q->mask];
    e->tag = tag;
    e->result = result;
    RELEASE();
    q->hdr->tail = ++q->tail;
    return 0;
}
