/* The fiber's side of an ION channel (abi/ion.h): it produces commands into the submission ring
 * and consumes completions. The kernel's side is ion/ion_ring.c. */
#ifndef NEXUS_ION_H
#define NEXUS_ION_H

#include <stdint.h>

#include <abi/ion.h>

struct nexus_ring {
    volatile struct ion_ring_header *hdr;
    volatile void *entries;
    uint32_t mask; /* from the header at attach time */
};

/* Attaches to a ring the kernel laid out at `mem`: 0, or -1 when its header is not sane. */
int nexus_ring_attach(struct nexus_ring *r, void *mem);
/* Posts one command: 0, or -1 when the ring is full. */
int nexus_sq_push(struct nexus_ring *sq, const struct ion_sqe *e);
/* Takes one completion: 0, or -1 when there is none. */
int nexus_cq_pop(struct nexus_ring *cq, struct ion_cqe *out);

#endif
