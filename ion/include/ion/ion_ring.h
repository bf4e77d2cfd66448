/* The kernel's side of one ION channel (abi/ion.h): it consumes the submission ring and produces
 * into the completion ring. It keeps its own copy of each ring's size and of the index it owns,
 * reads the fiber's index once per call, and refuses (-EPROTO) a ring whose index says more
 * entries are there than the ring holds. Entries are copied out before use, so a fiber that
 * rewrites one afterwards changes nothing. Portable: no kernel header, no allocation. */
#ifndef ION_RING_H
#define ION_RING_H

#include <stddef.h>
#include <stdint.h>

#include <abi/ion.h>

struct ion_sq {
    volatile struct ion_ring_header *hdr;
    const volatile struct ion_sqe *e;
    uint32_t mask; /* entries - 1, ours */
    uint32_t head; /* ours: the shared head only mirrors it */
};

struct ion_cq {
    volatile struct ion_ring_header *hdr;
    volatile struct ion_cqe *e;
    uint32_t mask;
    uint32_t tail;
};

/* Bytes a ring of `entries` takes in the shared pages. */
size_t ion_sq_bytes(uint32_t entries);
size_t ion_cq_bytes(uint32_t entries);
/* Lays out an empty ring in `mem` (kernel address of the shared area, `bytes` long) and
 * takes the kernel's copy of its size. 0, or -EINVAL (size not a power of two in 1..ION_RING_MAX,
 * area too small or misaligned). */
int ion_sq_init(struct ion_sq *q, void *mem, size_t bytes, uint32_t entries);
int ion_cq_init(struct ion_cq *q, void *mem, size_t bytes, uint32_t entries);

/* The next command the fiber posted, copied into *out: 0, -EAGAIN (none), -EPROTO (the
 * fiber's tail claims more than the ring holds: nothing is taken). */
int ion_sq_pop(struct ion_sq *q, struct ion_sqe *out);
/* Commands waiting (0 on a broken tail, which the next pop reports). */
uint32_t ion_sq_pending(const struct ion_sq *q);
/* Posts one completion: 0, -EAGAIN (the fiber has not taken enough completions: full), -EPROTO
 * (the fiber's head is not within what was posted). */
int ion_cq_push(struct ion_cq *q, uint64_t tag, int64_t result);

#endif
