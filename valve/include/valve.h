/* The Block Valve: the kernel's whole storage interface. Every block request of the kernel goes
 * through block_submit(), which checks access and validates the request before anything is
 * queued, then hands the caller's buffer to the device without copying it.
 * Devices: blk0, blk1, ... in probe order over any transport, addressed by index.
 * Units: the Valve counts in logical blocks (block_info.block_size bytes, 512 or 4096 ...):
 * every lba, count and done here. A "sector" is only ever the device's fixed 512-byte unit,
 * which the Valve converts to below its API. Public names are block_*; valve_* is internal.
 * Errors are negative errno values:
 *   -ENODEV  no such device            -EINVAL  zero count, unknown op, bad request struct
 *   -ERANGE  lba + count past the end (or overflowing)
 *   -EFAULT  NULL buffer, or one not aligned to BLOCK_BUF_ALIGN
 *   -E2BIG   more than BLOCK_MAX_BYTES in one request
 *   -EROFS   write to a read-only device  -EOPNOTSUPP  the device cannot do that operation
 *   -EIO     the device failed the request (or failed earlier)   -ETIMEDOUT  no answer in time
 *   -EPERM   refused by the access check (not used yet) */
#ifndef VALVE_H
#define VALVE_H

#include <stdbool.h>
#include <stdint.h>

#define BLOCK_BUF_ALIGN  512u        /* data buffers start on this boundary */
#define BLOCK_MAX_BYTES  (64u << 20) /* most bytes one request may move */
#define BLOCK_MAX_CHUNKS 4u          /* device requests one Valve request keeps in flight */
#define BLOCK_NAME_LEN   16
#define BLOCK_SERIAL_LEN 24

enum block_op {
    BLOCK_OP_READ,
    BLOCK_OP_WRITE,
    BLOCK_OP_FLUSH,
    BLOCK_OP_DISCARD,      /* the device may forget the blocks' contents */
    BLOCK_OP_WRITE_ZEROES, /* the blocks read back as zeroes */
};

/* block_req.flags */
#define BLOCK_F_NOKICK 1u /* do not notify the device yet; block_kick() does (batching) */

struct block_info {
    char name[BLOCK_NAME_LEN];      /* "blk0" */
    char transport[BLOCK_NAME_LEN]; /* "pci-modern", "mmio-v1", ... */
    char serial[BLOCK_SERIAL_LEN];  /* "" when the device has none */
    uint32_t block_size;            /* logical block size: the unit of lba and count */
    uint64_t total_blocks;          /* in block_size units */
    bool read_only;
    bool write_cache;  /* block_flush does something */
    bool discard;      /* BLOCK_OP_DISCARD is supported */
    bool write_zeroes; /* BLOCK_OP_WRITE_ZEROES is supported */
    bool failed;       /* the device timed out or broke; every request fails with -EIO */
    bool polled;       /* completions are polled for, not taken from interrupts */
    uint32_t spin_us;  /* interrupt mode: ring watched this long before sleeping (0: never) */
    uint32_t seg_max;  /* device limits, for information (0 = none) */
    uint32_t size_max;
    uint16_t queue_size;
};

struct block_stats {
    uint64_t requests;   /* device requests (a Valve request may make several) */
    uint64_t chains;     /* virtio descriptor chains */
    uint64_t kicks;      /* device notifications */
    uint64_t interrupts; /* device interrupts */
    uint64_t errors;
    unsigned inflight;     /* device requests outstanding now */
    unsigned max_inflight; /* most outstanding at once since the device was probed */
};

struct block_chunk {
    void *token;    /* the device's request token */
    uint32_t count; /* logical blocks */
    int status;
    bool done;
};

/* One Valve request. The caller owns it (stack, static, anything) and must keep it, and the
 * buffer, untouched from block_submit until block_poll/block_wait return something other
 * than -EINPROGRESS: meanwhile the Valve links it into its list of requests in flight. */
struct block_req {
    /* Filled by the caller. */
    enum block_op op;
    unsigned dev;
    uint64_t lba;
    uint32_t count; /* logical blocks; ignored for FLUSH */
    void *buf;      /* READ: filled; WRITE: only read; others: unused */
    unsigned flags;
    /* The answer. */
    int status;    /* -EINPROGRESS while in flight, then 0 or -errno */
    uint32_t done; /* logical blocks completed from lba on, before the first failure */
    /* Private to the Valve. */
    uint32_t next;      /* logical blocks handed to the device so far */
    uint32_t chunk_max; /* bytes per device request */
    unsigned head, n_chunks;
    struct block_chunk chunks[BLOCK_MAX_CHUNKS];
    bool stop;      /* an error happened: submit nothing more */
    int err;        /* first failed device request, in LBA order */
    int submit_err; /* a device request that could not be queued (after all others) */
    struct block_req *live_prev, *live_next; /* the Valve's list of requests in flight */
};

/* Devices. */
unsigned block_count(void);
/* Index of the device named `name` ("blk1"), or -ENODEV. */
int block_find(const char *name);
int block_info(unsigned dev, struct block_info *info);
int block_stats(unsigned dev, struct block_stats *stats);
/* Polled completion (for boot and measuring) instead of interrupts. */
int block_set_polled(unsigned dev, bool polled);
/* Interrupt mode: watch the ring up to `us` microseconds before sleeping (0: sleep at once). */
int block_set_spin(unsigned dev, uint32_t us);

/* Synchronous requests: 0 when all `count` logical blocks were moved, else -errno. */
int block_read(unsigned dev, uint64_t lba, uint32_t count, void *buf);
int block_write(unsigned dev, uint64_t lba, uint32_t count, const void *data);
/* Makes completed writes durable; 0 at once on a device without a write cache. */
int block_flush(unsigned dev);

/* THE entry point: every request passes here (the synchronous calls above too). Fills in
 * r->status and r->done. Returns 0 when the request is under way (r->status == -EINPROGRESS),
 * or its final -errno when it was refused or failed at once (nothing reached the device when
 * it was refused). May wait for queue space. */
int block_submit(struct block_req *r);
/* -EINPROGRESS while in flight, else the final status (also in r->status). Never sleeps. */
int block_poll(struct block_req *r);
/* Waits for the request to finish; returns its final status. */
int block_wait(struct block_req *r);
/* Notifies the device of requests submitted with BLOCK_F_NOKICK. */
void block_kick(unsigned dev);
/* Waits until any outstanding request on `dev` makes progress (one device request completes),
 * for a caller keeping many requests in flight; then block_poll tells which. 0 at once when
 * nothing is outstanding; -ENODEV; -EIO when the device has failed. */
int block_wait_any(unsigned dev);

/* A short text for a Valve error code ("past the end of the device", ...). */
const char *block_strerror(int rc);

/* The access check every request passes through. Today it allows everything; the capability
 * check (does the caller hold a block capability for this device and operation?) goes here. */
int block_check_access(const struct block_req *r);

#endif
