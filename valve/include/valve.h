/* The Block Valve: the kernel's whole storage interface. Every block request of the kernel goes
 * through block_submit(), which checks the caller's access and validates the request before
 * anything is queued, then hands the caller's buffer to the device's backend without copying it.
 * Completions come back by callback, from the interrupt handler or the poll path alike.
 * Devices: any backend (virtio-blk, the RAM disk, a host file) registered under a name ("blk0",
 * "ram0"); each has a handle that stays its own for its whole life and is never reused for
 * another device. LBAs and counts are in the device's logical block size (block_size).
 * Every entry point takes a subject (who asks) and passes one access check.
 * Errors are negative errno values:
 *   -ENODEV  no such device (or it went away)  -EINVAL  zero count, unknown op, bad argument
 *   -ERANGE  lba + count past the end (or overflowing)
 *   -EFAULT  NULL buffer, or one not aligned to BLOCK_BUF_ALIGN
 *   -E2BIG   more than BLOCK_MAX_BYTES in one request
 *   -EROFS   write to a read-only device  -EOPNOTSUPP  the device cannot do that operation
 *   -EAGAIN  the device's queue is full of other requests: submit again after a completion
 *   -EIO     the device failed the request (or failed earlier)   -ETIMEDOUT  no answer in time
 *   -EPERM   refused by the access check    -ECANCELED  ended by block_cancel */
#ifndef VALVE_H
#define VALVE_H

#include <stdbool.h>
#include <stdint.h>

#include <virtio/os.h>

#define BLOCK_BUF_ALIGN   512u        /* data buffers start on this boundary */
#define BLOCK_MAX_BYTES   (64u << 20) /* most bytes one request may move */
#define BLOCK_MAX_CHUNKS  4u          /* device requests one Valve request keeps in flight */
#define BLOCK_MAX_DEVICES 16u
#define BLOCK_NAME_LEN    16
#define BLOCK_SERIAL_LEN  24

enum block_op {
    BLOCK_OP_READ,
    BLOCK_OP_WRITE,
    BLOCK_OP_FLUSH,
    BLOCK_OP_DISCARD,      /* the device may forget the blocks' contents */
    BLOCK_OP_WRITE_ZEROES, /* the blocks read back as zeroes */
};

/* Who is asking: the kernel's shell today, a fiber next. Requests carry their owner. */
struct block_subject {
    uint32_t id;
};
#define BLOCK_SUBJECT_KERNEL 1u
extern const struct block_subject block_kernel; /* id BLOCK_SUBJECT_KERNEL: the kernel's shell */

/* What an entry point does to a device, for the access check. */
enum block_access {
    BLOCK_ACCESS_READ, /* the data operations, as enum block_op */
    BLOCK_ACCESS_WRITE,
    BLOCK_ACCESS_FLUSH,
    BLOCK_ACCESS_DISCARD,
    BLOCK_ACCESS_WRITE_ZEROES,
    BLOCK_ACCESS_INFO,     /* block_info */
    BLOCK_ACCESS_STATS,    /* block_stats */
    BLOCK_ACCESS_SETTINGS, /* block_set_polled, block_set_spin */
    BLOCK_ACCESS_QUEUE,    /* block_kick, block_wait_any: the subject's own requests in flight */
};

/* block_req.flags */
#define BLOCK_F_NOKICK 1u /* do not notify the device yet; block_kick() does (batching) */

struct block_info {
    char name[BLOCK_NAME_LEN];      /* "blk0" */
    char transport[BLOCK_NAME_LEN]; /* "pci-modern", "mmio-v1", "ram", ... */
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

struct block_req;
struct valve_dev;

struct block_chunk {
    struct block_req *req;
    uint32_t count; /* sectors */
    int status;
    bool done;
};

/* One Valve request. The caller owns it (stack, static, anything) and must keep it, and the
 * buffer, untouched from an accepted block_submit until its completion has run (or
 * block_cancel returned): meanwhile the Valve links it into its lists. */
struct block_req {
    /* Filled by the caller. */
    const struct block_subject *owner; /* who asks; block_cancel(owner) ends it */
    enum block_op op;
    unsigned dev; /* handle */
    uint64_t lba;
    uint32_t count; /* sectors; ignored for FLUSH */
    void *buf;      /* READ: filled; WRITE: only read; others: unused */
    size_t len;     /* READ/WRITE: buf's bytes, when the caller has them checked against count
                     * times the block size (-EINVAL when they differ); 0: not checked */
    unsigned flags;
    /* Called once when the request ends, with interrupts disabled, from the interrupt handler,
     * a poll, a tick or the submitter's own call: it must not sleep; it may submit (even r
     * again). After it returns the Valve never touches r. NULL: the Valve signals r's own event
     * instead, for block_wait. */
    void (*complete)(struct block_req *r, void *ctx);
    void *ctx;
    /* The answer. */
    int status;    /* -EINPROGRESS while in flight, then 0 or -errno */
    uint32_t done; /* sectors completed from lba on, before the first failure */
    /* Private to the Valve. */
    struct valve_dev *vd;
    uint32_t next;      /* sectors handed to the device so far */
    uint32_t chunk_max; /* bytes per device request */
    unsigned head, n_chunks;
    struct block_chunk chunks[BLOCK_MAX_CHUNKS];
    bool stop;      /* an error happened: submit nothing more */
    bool hold;      /* inside block_submit with BLOCK_F_NOKICK: queue without notifying */
    bool busy;      /* being advanced: a completion inside a submit only marks its chunk */
    bool again;     /* a chunk completed while busy */
    bool parked;    /* waiting for queue room (none of its chunks in flight) */
    bool cancelled; /* block_cancel: no completion, dropped once the device gave all back */
    int err;        /* first failed device request, in LBA order */
    int submit_err; /* a device request that could not be queued (after all others) */
    struct os_event ev;
    struct block_req *live_prev, *live_next; /* the device's requests in flight */
    struct block_req *park_next;
};

/* Devices. Lookup needs no access: it tells only that a name exists. */
unsigned block_count(void);
/* Handle of the i-th device in the Valve's table (registration order, except that a new device
 * may take the slot of a dropped one), or -ENODEV. */
int block_at(unsigned i);
/* Handle of the device named `name` ("blk1"), or -ENODEV. */
int block_find(const char *name);
int block_info(const struct block_subject *s, unsigned dev, struct block_info *info);
int block_stats(const struct block_subject *s, unsigned dev, struct block_stats *stats);
/* Polled completion (for boot and measuring) instead of interrupts; -EOPNOTSUPP when the
 * backend has no such setting. */
int block_set_polled(const struct block_subject *s, unsigned dev, bool polled);
/* Interrupt mode: watch the ring up to `us` microseconds before sleeping (0: sleep at once). */
int block_set_spin(const struct block_subject *s, unsigned dev, uint32_t us);

/* Synchronous requests for the shell: 0 when all `count` sectors were moved, else -errno.
 * They wait on an event (resubmitting after a completion while the queue is full). */
int block_read(const struct block_subject *s, unsigned dev, uint64_t lba, uint32_t count,
               void *buf);
int block_write(const struct block_subject *s, unsigned dev, uint64_t lba, uint32_t count,
                const void *data);
/* Makes completed writes durable; 0 at once on a device without a write cache. */
int block_flush(const struct block_subject *s, unsigned dev);

/* THE entry point: every request passes here (the synchronous calls above too). Never sleeps.
 * Returns 0 when the request was accepted: its completion then runs exactly once, maybe before
 * block_submit returns. Otherwise the request was refused and nothing of it reached the device
 * (r->status holds the same -errno, no completion runs): -EAGAIN when the queue is full of
 * other requests (submit again after a completion), else a validation or access error. */
int block_submit(struct block_req *r);
/* -EINPROGRESS while in flight, else the final status. Takes the device's completions first
 * (the poll path). Never sleeps. */
int block_poll(struct block_req *r);
/* For a request submitted without a completion function: waits for it to end; returns its
 * final status. -EINVAL for a request with its own completion. */
int block_wait(struct block_req *r);
/* Notifies the device of requests submitted with BLOCK_F_NOKICK. */
int block_kick(const struct block_subject *s, unsigned dev);
/* Waits until a request on `dev` makes progress (a device request completes) after the call,
 * for a caller keeping many requests in flight or waiting for queue room. 0 at once when
 * nothing is in flight (or the device went away); -ENODEV; -EPERM. */
int block_wait_any(const struct block_subject *s, unsigned dev);

/* Ends every request of `owner` on every device: none sends anything more, none's completion
 * runs, and the call returns only once the devices have given back every buffer of them (a
 * device that never answers is reset by its deadline, which counts). The owner may free its
 * buffers and requests then. Returns how many requests it ended. Sleeps: never call it from a
 * completion. */
int block_cancel(const struct block_subject *owner);

/* A short text for a Valve error code ("past the end of the device", ...). */
const char *block_strerror(int rc);

/* The one access check: every entry point above that names a device calls it with the subject
 * and what it does. 0 or -EPERM (a NULL subject is refused). Without a hook everything else is
 * allowed; a capability layer plugs in with block_set_access_hook (NULL removes it). */
typedef int (*block_access_fn)(const struct block_subject *s, unsigned dev, enum block_access op,
                               void *arg);
int block_check_access(const struct block_subject *s, unsigned dev, enum block_access op);
void block_set_access_hook(block_access_fn fn, void *arg);

#endif
