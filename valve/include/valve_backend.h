/* Block backends: what a block device implements to be served by the Valve (virtio-blk, the RAM
 * disk, a host file). A backend registers its ops table and geometry under a name and gets a
 * handle; the Valve hands it device requests ("bios") of whole blocks and the backend calls each
 * one's done() exactly once. Only backends include this header; everyone else uses valve.h. */
#ifndef VALVE_BACKEND_H
#define VALVE_BACKEND_H

#include <stdbool.h>
#include <stdint.h>

#include "valve.h"

/* One device request. Valid only during submit: the backend copies what it needs. */
struct valve_bio {
    enum block_op op;
    uint64_t lba;   /* logical blocks */
    uint32_t count; /* blocks wanted; the backend may take fewer (at least one) */
    void *buf;      /* READ / WRITE: the caller's memory for `count` blocks; else NULL */
    bool kick;      /* false: queue without notifying the device yet (ops->kick will) */
    /* Runs once the device is done with the bio and with buf, interrupts disabled; may run
     * before submit returns. */
    void (*done)(void *ctx, int status);
    void *ctx;
};

/* What stays true for the device's whole life, given at registration; only `blocks` may change
 * later (valve_set_blocks). */
struct valve_geometry {
    uint32_t block_size; /* bytes: a power of two, 512 or more */
    uint64_t blocks;
    bool read_only;
    bool write_cache;          /* FLUSH does something */
    uint32_t max_discard;      /* blocks per DISCARD bio; 0: not supported */
    uint32_t max_write_zeroes; /* blocks per WRITE_ZEROES bio; 0: not supported */
};

struct valve_backend_ops {
    /* Starts one bio, interrupts disabled, never sleeping. Returns the blocks taken
     * (1..bio->count; FLUSH: 1) or -errno: -EAGAIN no room now (again after a completion),
     * -E2BIG more than an empty queue holds (the Valve offers less), -EINVAL the buffer cannot
     * be carried, -EIO the device failed, -EOPNOTSUPP. */
    int (*submit)(void *priv, const struct valve_bio *bio);
    /* Fills transport, serial, failed, polled, spin_us, seg_max, size_max, queue_size. */
    void (*info)(void *priv, struct block_info *info);
    /* Optional (NULL): notify the device of bios queued without kick; take completions now;
     * counters; settings (NULL answers -EOPNOTSUPP). */
    void (*kick)(void *priv);
    void (*poll)(void *priv);
    void (*stats)(void *priv, struct block_stats *stats);
    int (*set_polled)(void *priv, bool polled);
    int (*set_spin)(void *priv, uint32_t us);
};

/* Registers a device; returns its handle (>= 0), or -EINVAL (bad geometry or ops), -EEXIST (the
 * name is taken), -ENOSPC (BLOCK_MAX_DEVICES registered). */
int valve_register(const char *name, const struct valve_backend_ops *ops, void *priv,
                   const struct valve_geometry *geom);
/* The device's size changed (a disk resized on the host): requests are checked against the new
 * number of blocks from now on; those already queued past a smaller end are the device's to
 * fail. May be called from interrupt context. 0 or -ENODEV. */
int valve_set_blocks(int handle, uint64_t blocks);
/* The device goes away. The backend has already called done() for every bio it took; requests
 * still waiting for queue room end with -ENODEV. The handle answers -ENODEV from now on. */
void valve_unregister(int handle);

#endif
