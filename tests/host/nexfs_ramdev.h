/* A RAM block device for NexFS tests: optional recording of every write and flush in order
 * (the crash test replays prefixes of it), injected read/write/flush errors, read-only mode. */
#ifndef NEXFS_RAMDEV_H
#define NEXFS_RAMDEV_H

#include <stddef.h>
#include <stdint.h>

#include <nexfs/nexfs.h>

struct ramdev_op {
    uint64_t block; /* device block */
    uint32_t count; /* 0: a flush */
    size_t data;    /* offset of the written bytes in the payload */
};

struct ramdev {
    struct nexfs_dev dev;
    uint8_t *data;
    uint64_t bytes;
    int recording;
    struct ramdev_op *ops;
    size_t nops, cap_ops;
    uint8_t *payload;
    size_t npay, cap_pay;
    int64_t fail_writes_after; /* <0: never; else the write that many writes from now fails */
    int fail_flush;
    uint64_t fail_read_block; /* reads of this device block fail (UINT64_MAX: none) */
    uint64_t writes, flushes, reads;
    uint64_t clock;
};

/* A zeroed device of `blocks` blocks of `bs` bytes. */
void ramdev_init(struct ramdev *r, uint32_t bs, uint64_t blocks);
void ramdev_free(struct ramdev *r);
/* A copy of r's bytes in a fresh device (no recording). */
void ramdev_clone(struct ramdev *dst, const struct ramdev *src);
/* Applies r's recorded ops [0, n) onto dst's bytes; the last op applied partly when
 * `torn` > 0 (only its first `torn` device blocks). */
void ramdev_replay(struct ramdev *dst, const struct ramdev *r, size_t n, uint32_t torn);
/* Standard mkfs + mount helpers with test memory. */
void *nexfs_test_mem(size_t *size);

#endif
