/* virtio-blk device plugin: requests carry bus-address segments; the plugin splits them by the
 * device's limits, tracks them in tables made at probe, and completes each by calling its done
 * function (from the interrupt handler, a poll or the deadline tick). Each device registers
 * itself with the Block Valve as a backend (blk_valve.c); nothing else calls the plugin. It
 * never allocates on a request path and never interprets the data it moves. */
#ifndef BLK_BLK_H
#define BLK_BLK_H

#include <stdbool.h>
#include <stdint.h>

#include <virtio/virtio.h>
#include <virtio/virtqueue.h>

/* The spec's fixed unit: capacity and request sectors are always in 512-byte sectors. */
#define BLK_SECTOR_SIZE 512u
/* Default per-request timeout; blk_set_timeout changes it per device. */
#define BLK_TIMEOUT_NS (5000ull * 1000 * 1000)

enum blk_op {
    BLK_OP_READ,
    BLK_OP_WRITE,
    BLK_OP_FLUSH,
    BLK_OP_DISCARD,
    BLK_OP_WRITE_ZEROES,
    BLK_OP_GET_ID, /* probe only: blk_submit refuses it */
};

/* blk_submit flags */
#define BLK_SUBMIT_NOKICK 1u /* queue the chains but do not notify; call blk_kick later */
/* ... except for a request of this many data bytes or more, which is announced at once: a device
 * may serve the requests it finds together as one merged host I/O (QEMU's virtio-blk merges
 * adjacent ones), and a large request does better on a host thread of its own than queued behind
 * its neighbour; one notify is little beside such a transfer. */
#define BLK_KICK_ALONE_BYTES (128u << 10)

/* What probe learned, validated. Constant after probe, except `failed`. */
struct blk_info {
    uint64_t capacity; /* 512-byte sectors */
    uint32_t blk_size; /* logical block size in bytes: power of two, 512..65536 */
    uint32_t seg_max;  /* data segments per request the device accepts (0: none offered) */
    uint32_t size_max; /* bytes per segment (0: none offered) */
    bool topology;     /* the four topology fields below are valid */
    uint8_t physical_block_exp;
    uint8_t alignment_offset;
    uint16_t min_io_size;
    uint32_t opt_io_size;
    bool read_only;
    bool flush;                        /* FLUSH negotiated: the device may cache writes */
    uint32_t max_discard_sectors;      /* 0: DISCARD not usable */
    uint32_t max_write_zeroes_sectors; /* 0: WRITE_ZEROES not usable */
    uint16_t queue_size;
    char serial[21]; /* GET_ID answer, "" when the device gave none */
    bool failed;     /* a request timed out or the queue broke: the device is out of use */
};

struct blk_stats {
    uint64_t requests;     /* submitted */
    uint64_t chains;       /* virtio requests (a request splits into one or more chains) */
    uint64_t kicks;        /* notifications sent (the queue's counter) */
    uint64_t interrupts;   /* interrupts the device raised (the core's counter) */
    uint64_t errors;       /* requests that ended in an error */
    unsigned inflight;     /* requests outstanding now */
    unsigned max_inflight; /* most requests outstanding at once since probe */
};

struct blk_dev;
/* A request's completion: runs once, interrupts disabled, after the plugin has released its own
 * record of the request (so it may submit again). status: 0, -EIO (IOERR, a bad answer, a failed
 * device), -EOPNOTSUPP (UNSUPP) or -ETIMEDOUT (this request's deadline passed). */
typedef void (*blk_done_fn)(void *ctx, int status);

extern const struct virtio_driver virtio_blk_driver;

/* The plugin's state for vdev, or NULL when vdev is not a probed virtio-blk device. */
struct blk_dev *blk_of(struct virtio_device *vdev);
struct virtio_device *blk_vdev(const struct blk_dev *dev);
const struct blk_info *blk_info(const struct blk_dev *dev);
void blk_get_stats(const struct blk_dev *dev, struct blk_stats *out);

/* Queues one request. `sector` is in 512-byte units and must be a multiple of blk_size/512.
 * READ/WRITE: `segs` are n bus-address segments (each len > 0) whose total is a non-zero
 * multiple of blk_size; the plugin cuts them by size_max and seg_max into chains of whole
 * blocks. FLUSH: no segments. DISCARD/WRITE_ZEROES: use blk_submit_range.
 * Returns 0 (done(ctx, status) will run once, never inside blk_submit), or:
 *   -EROFS      a write/discard/write-zeroes on a read-only device (never reaches the device)
 *   -EOPNOTSUPP an operation the device did not negotiate
 *   -EINVAL     misaligned sector or length, past capacity, or a block that cannot be carried
 *               within seg_max segments (the caller must bounce)
 *   -E2BIG      more than the queue could ever hold at once: split it
 *   -EAGAIN     not enough free descriptors or slots right now: retry after a completion
 *   -EIO        the device failed earlier (timeout, broken queue)
 * The memory behind `segs` must stay valid until done runs; the array itself is copied into
 * the ring before blk_submit returns. Each request has a deadline (blk_set_timeout): the tick
 * that finds it passed resets the device and fails everything outstanding. */
int blk_submit(struct blk_dev *dev, enum blk_op op, uint64_t sector, const struct vq_seg *segs,
               unsigned n, unsigned flags, blk_done_fn done, void *ctx);
/* DISCARD or WRITE_ZEROES of `count` 512-byte sectors at `sector` (count <= the matching
 * max_*_sectors). Same errors as blk_submit. */
int blk_submit_range(struct blk_dev *dev, enum blk_op op, uint64_t sector, uint32_t count,
                     unsigned flags, blk_done_fn done, void *ctx);
/* Notifies the device of everything queued with BLK_SUBMIT_NOKICK. */
void blk_kick(struct blk_dev *dev);
/* The poll path: takes every completion the device has published, now. */
void blk_process(struct blk_dev *dev);

/* Polled mode: completions are collected by waiters (the os.h poll hook) instead of the
 * interrupt handler (devices without an interrupt line are always polled). */
void blk_set_polled(struct blk_dev *dev, bool polled);
bool blk_polled(const struct blk_dev *dev);
void blk_set_timeout(struct blk_dev *dev, uint64_t ns);
/* Interrupt mode: how long a waiter (any os_event_wait) watches the used ring, with the device
 * asked not to interrupt, before it sleeps in wfi until the completion interrupt: the device's
 * os.h watch hook. On QEMU a request often completes within tens of microseconds, sooner than a
 * sleeping CPU can be woken; 0 sleeps at once. An idle device is never watched. Default
 * BLK_SPIN_NS. */
#define BLK_SPIN_NS 100000u
/* ... but only while at most this many requests are outstanding: with a deep queue the next
 * completion is not what limits us, and a sleeping CPU leaves the host's I/O threads a core. */
#define BLK_SPIN_MAX_INFLIGHT 4u
/* ... and at most this many data bytes: a larger transfer takes the host longer than the watch
 * (QEMU copies about 8 GB/s from its page cache: 1 MiB is over 100 us), so watching for it only
 * takes a host core from the threads that do the copying. */
#define BLK_SPIN_MAX_BYTES (64u << 10)
void blk_set_spin(struct blk_dev *dev, uint64_t ns);
uint64_t blk_spin(const struct blk_dev *dev);

#endif
