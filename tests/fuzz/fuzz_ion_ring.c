/* libFuzzer target: ION ring index and entry decoding, kernel side (ion/ion_ring.c), against a
 * fiber that writes anything into the shared pages. The input is a script of fiber steps
 * (honest ones through user/lib/ion.c, and raw writes of any index, entry or header field) and
 * kernel steps (pop a command, push a completion). Each ring sits in its own heap block of
 * exactly its size, so ASan sees any access past it. The kernel must take a command only when
 * the fiber's tail says one is there and the ring could hold it, copy exactly what is in the
 * slot, move its own index by one, never write outside its ring, and ignore the header's
 * `entries` (the kernel keeps its own). */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <ion/ion_ring.h>
#include <nexus_ion.h>

#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = {data, size};
    uint32_t entries = 1u << (fuzz_u8(&in) % 7); /* 1..64 */
    size_t sq_bytes = ion_sq_bytes(entries), cq_bytes = ion_cq_bytes(entries);
    uint8_t *sq_mem = aligned_alloc(16, (sq_bytes + 15) & ~(size_t)15);
    uint8_t *cq_mem = aligned_alloc(16, (cq_bytes + 15) & ~(size_t)15);
    struct ion_sq ksq;
    struct ion_cq kcq;
    struct nexus_ring usq, ucq;

    FUZZ_CHECK(sq_mem && cq_mem, "out of memory");
    FUZZ_CHECK(ion_sq_init(&ksq, sq_mem, sq_bytes, entries) == 0, "sq init");
    FUZZ_CHECK(ion_cq_init(&kcq, cq_mem, cq_bytes, entries) == 0, "cq init");
    FUZZ_CHECK(nexus_ring_attach(&usq, sq_mem) == 0 && nexus_ring_attach(&ucq, cq_mem) == 0,
               "attach");
    volatile struct ion_ring_header *sh = (volatile struct ion_ring_header *)sq_mem;
    volatile struct ion_ring_header *ch = (volatile struct ion_ring_header *)cq_mem;
    struct ion_sqe *sqe = (struct ion_sqe *)(sq_mem + sizeof(struct ion_ring_header));
    struct ion_cqe *cqe = (struct ion_cqe *)(cq_mem + sizeof(struct ion_ring_header));

    for (unsigned step = 0; step < 512 && in.left; step++) {
        uint8_t op = fuzz_u8(&in);
        switch (op % 8) {
        case 0: { /* honest fiber: post a command */
            struct ion_sqe e = {.op = fuzz_u16(&in), .slot = fuzz_u8(&in), .tag = step};
            (void)nexus_sq_push(&usq, &e);
            break;
        }
        case 1: { /* honest fiber: take a completion */
            struct ion_cqe c;
            (void)nexus_cq_pop(&ucq, &c);
            break;
        }
        case 2: /* hostile fiber: the submission tail */
            sh->tail = op & 8 ? fuzz_u32(&in) : sh->tail + (op >> 4);
            break;
        case 3: /* hostile fiber: the completion head */
            ch->head = op & 8 ? fuzz_u32(&in) : ch->head + (op >> 4);
            break;
        case 4: /* hostile fiber: an entry, or a header field only the kernel owns */
            if (op & 8)
                fuzz_bytes(&in, &sqe[fuzz_u8(&in) % entries], sizeof(struct ion_sqe));
            else if (op & 16)
                sh->entries = fuzz_u32(&in);
            else
                ch->entries = fuzz_u32(&in);
            break;
        case 5: { /* kernel: take a command */
            uint32_t head = ksq.head, tail = sh->tail, n = tail - head;
            struct ion_sqe want = sqe[head & (entries - 1)], got;
            uint32_t pending = ion_sq_pending(&ksq);
            int rc = ion_sq_pop(&ksq, &got);
            FUZZ_CHECK(pending <= entries, "%u pending in a ring of %u", pending, entries);
            if (n == 0)
                FUZZ_CHECK(rc == -EAGAIN, "empty ring popped with %d", rc);
            else if (n > entries)
                FUZZ_CHECK(rc == -EPROTO, "tail %u head %u popped with %d", tail, head, rc);
            else
                FUZZ_CHECK(rc == 0 && memcmp(&want, &got, sizeof got) == 0,
                           "valid command not taken as written (rc %d)", rc);
            FUZZ_CHECK(ksq.head == head + (rc == 0), "kernel head moved from %u to %u", head,
                       ksq.head);
            if (rc == 0)
                FUZZ_CHECK(sh->head == ksq.head, "shared head not mirrored");
            break;
        }
        case 6: { /* kernel: post a completion */
            uint32_t tail = kcq.tail, head = ch->head, used = tail - head;
            uint64_t tag = fuzz_u32(&in);
            int rc = ion_cq_push(&kcq, tag, -(int64_t)(op >> 3));
            if (used > entries)
                FUZZ_CHECK(rc == -EPROTO, "head %u tail %u pushed with %d", head, tail, rc);
            else if (used == entries)
                FUZZ_CHECK(rc == -EAGAIN, "full ring pushed with %d", rc);
            else
                FUZZ_CHECK(rc == 0 && cqe[tail & (entries - 1)].tag == tag && ch->tail == tail + 1,
                           "completion not posted (rc %d)", rc);
            FUZZ_CHECK(kcq.tail == tail + (rc == 0), "kernel tail moved from %u to %u", tail,
                       kcq.tail);
            break;
        }
        case 7: /* the kernel's size is its own, whatever the header says now */
            FUZZ_CHECK(ksq.mask == entries - 1 && kcq.mask == entries - 1, "mask changed");
            break;
        }
    }
    free(sq_mem);
    free(cq_mem);
    return 0;
}
