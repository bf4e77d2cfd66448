/* ION rings as both sides see them in the shared pages: a submission ring the fiber produces
 * into and the kernel consumes, a completion ring the other way round (io_uring's discipline).
 * Each side owns one index of each ring and only reads the other's; every index and entry the
 * fiber writes is hostile to the kernel until checked (ion/). A ring area is one header
 * followed by its entries; `entries` is a power of two, at most ION_RING_MAX. */
#ifndef ABI_ION_H
#define ABI_ION_H

#include <stdint.h>

#define ION_RING_MAX 4096u

struct ion_ring_header {
    uint32_t head;    /* consumer's: next entry it will take */
    uint32_t tail;    /* producer's: next entry it will fill */
    uint32_t entries; /* the ring's size, as the kernel set it up (the kernel keeps its own copy) */
    uint32_t pad;
};

/* One command. `slot` names the capability it acts through; `tag` comes back untouched in its
 * completion; `arg` is the command's argument block (BlkArgs for CMD_BLK_*). */
struct ion_sqe {
    uint16_t op;
    uint16_t flags;
    uint32_t slot;
    uint64_t tag;
    uint64_t arg[4];
};

/* One completion: the command's tag and its result (>= 0, or -errno). */
struct ion_cqe {
    uint64_t tag;
    int64_t result;
};

/* What SYS_ION_SETUP tells the fiber: where its rings are mapped (user addresses). */
struct ion_params {
    uint64_t sq; /* the submission ring's header, its entries right after it */
    uint64_t cq; /* the completion ring's header, its entries right after it */
    uint32_t sq_entries, cq_entries;
};

/* What SYS_CAP_INFO tells of a slot. `kind`: ION_CAP_* ; `rights`: ION_RIGHT_* | ION_RIGHT_G. */
#define ION_CAP_BLOCK 1u
#define ION_RIGHT_G   0x4u
struct cap_info {
    uint32_t kind;
    uint32_t object; /* the kernel's handle of the object (a block device's) */
    uint32_t rights;
    uint32_t pad;
    uint64_t badge;
    char name[16]; /* "blk0" */
};

#endif
