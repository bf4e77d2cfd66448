/* Private to devices/blk: the per-device state made at probe and shared by blk_probe.c and
 * blk_request.c. Nothing outside this folder includes it; the Valve sees only blk.h. */
#ifndef BLK_PRIV_H
#define BLK_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include <virtio/os.h>

#include "blk/blk.h"

/* virtio-blk request types and status values (virtio 1.2, 5.2.6). */
#define BLK_T_IN           0u
#define BLK_T_OUT          1u
#define BLK_T_FLUSH        4u
#define BLK_T_GET_ID       8u
#define BLK_T_DISCARD      11u
#define BLK_T_WRITE_ZEROES 13u
#define BLK_S_OK           0u
#define BLK_S_IOERR        1u
#define BLK_S_UNSUPP       2u
#define BLK_STATUS_UNSET   0xffu /* written before submission: a device that never answers */
#define BLK_ID_BYTES       20u

/* What the device reads and writes for one chain: kept in DMA memory, one per chain slot. */
struct blk_wire_hdr {
    uint32_t type;
    uint32_t ioprio;
    uint64_t sector;
};
struct blk_wire_range { /* DISCARD / WRITE_ZEROES payload */
    uint64_t sector;
    uint32_t num_sectors;
    uint32_t flags;
};
struct blk_wire {
    struct blk_wire_hdr hdr;
    struct blk_wire_range range;
    uint8_t status;
    uint8_t pad[7];
};

/* One virtio request (descriptor chain) in flight; the cookie given to vq_add. */
struct blk_chain {
    struct blk_req *req; /* NULL when the slot is free */
    uint32_t bytes;      /* data bytes the chain carries */
    uint16_t index;      /* position in the chain and wire tables */
    uint16_t next_free;
};

enum blk_req_state { BLK_REQ_FREE, BLK_REQ_INFLIGHT };

/* One request in flight: its record lives here until the done call, then goes back. */
struct blk_req {
    struct blk_dev *dev;
    enum blk_req_state state;
    blk_done_fn done;
    void *ctx;
    enum blk_op op;
    uint16_t index;
    uint16_t next_free;
    uint16_t chains_pending;
    int status;
    uint64_t sector;
    uint64_t bytes;
    uint64_t deadline;
};

/* The descriptors planned for one chain of a submission, in blk_dev.plan. */
struct blk_plan {
    uint32_t first; /* index in blk_dev.scratch: header, data pieces, status */
    uint32_t n;     /* descriptors, header and status included */
    uint32_t bytes; /* data bytes */
};

struct blk_dev {
    struct virtio_device *vdev;
    struct virtqueue *vq;
    struct blk_info info;
    uint32_t seg_limit;  /* data segments per chain we use: seg_max capped by the queue */
    uint32_t size_limit; /* bytes per data segment we use */

    /* Chain slots: the wire table (device-visible) and the private records, same index. */
    struct blk_wire *wire;
    uint64_t wire_pa;
    uint64_t wire_bytes;
    struct blk_chain *chains;
    uint16_t n_chains;
    uint16_t chain_free; /* head of the free list, n_chains when empty */
    uint16_t chains_free_count;

    struct blk_req *reqs;
    uint16_t n_reqs;
    uint16_t req_free;
    uint16_t reqs_free_count;

    /* Planning scratch for blk_submit (used with interrupts disabled, so never shared). */
    struct vq_seg *scratch; /* queue_size entries */
    struct blk_plan *plan;  /* n_chains entries */

    uint64_t timeout_ns;
    uint64_t spin_ns; /* before sleeping, watch the used ring this long (0: sleep at once) */
    bool polled;
    bool dead;
    bool watching;           /* a waiter's watch switched device interrupts off (until hook_arm) */
    uint64_t inflight_bytes; /* data bytes of the outstanding requests (the watch's bound) */
    struct os_hooks hooks;   /* tick (deadlines), poll, watch, arm: registered at probe */
    int valve_handle;        /* the Valve's handle, or -1 before registration */
    uint64_t log_next;       /* bad answers: no line before this time (blk_complete.c) */
    unsigned log_left_out;   /* bad answers not logged since the last line */

    struct blk_stats stats;
};

/* blk_request.c */
int blk_tables_init(struct blk_dev *dev);
void blk_tables_free(struct blk_dev *dev);
void blk_chain_release(struct blk_dev *dev, struct blk_chain *ch);
void blk_req_release(struct blk_dev *dev, struct blk_req *req);
uint8_t *blk_id_buffer(struct blk_dev *dev); /* the GET_ID answer, after the wire table */
/* Interrupts disabled: queues and kicks one GET_ID request. */
int blk_submit_get_id(struct blk_dev *dev, blk_done_fn done, void *ctx);

/* blk_complete.c */
void blk_collect(struct blk_dev *dev); /* interrupts disabled: takes every used chain back */
void blk_interrupt(struct virtio_device *vdev);
/* Marks the device out of use: resets it so it stops touching memory, then ends every
 * outstanding request with -EIO (`expired`, when not NULL, with -ETIMEDOUT). */
void blk_fail_device(struct blk_dev *dev, struct blk_req *expired, const char *why);
/* Ends every outstanding request with -ENODEV (the device is being removed, already reset). */
void blk_end_all(struct blk_dev *dev);
/* The os.h hooks of a device: deadline tick, poll path, ring watch and re-arm. */
void blk_hooks_init(struct blk_dev *dev);
/* GET_ID at probe time, polled with a short deadline: fills info.serial or leaves it "". */
int blk_read_serial(struct blk_dev *dev);

/* blk_valve.c: the device as a Valve backend. */
int blk_valve_register(struct blk_dev *dev);
void blk_valve_unregister(struct blk_dev *dev);

#endif
