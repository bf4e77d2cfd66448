/* The block device NexFS runs on: the only way the filesystem reaches storage and the clock.
 * A host file, a RAM disk in a test, or the ION shim in a user fiber implements these ops; NexFS
 * never calls anything else. Owns no memory. */
#ifndef NEXFS_DEV_H
#define NEXFS_DEV_H

#include <stdbool.h>
#include <stdint.h>

struct nexfs_dev;

struct nexfs_dev_ops {
    /* Read/write `count` device blocks starting at `block`; 0 or a negative errno (-5 EIO).
     * A write may reach the medium in any order until flush() returns. */
    int (*read)(const struct nexfs_dev *dev, uint64_t block, uint32_t count, void *buf);
    int (*write)(const struct nexfs_dev *dev, uint64_t block, uint32_t count, const void *buf);
    /* Every write that returned before this call is on stable storage when it returns 0. */
    int (*flush)(const struct nexfs_dev *dev);
    /* Wall-clock time in nanoseconds since 1970-01-01 UTC (0 when unknown). */
    uint64_t (*now)(const struct nexfs_dev *dev);
};

struct nexfs_dev {
    const struct nexfs_dev_ops *ops;
    void *ctx;            /* the implementation's own state */
    uint32_t block_size;  /* bytes per device block: a power of two, 512..65536 */
    uint64_t block_count; /* device blocks */
    bool read_only;       /* writes will fail: NexFS mounts read-only */
};

#endif
