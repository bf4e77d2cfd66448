/* Private to the simulator (tests/sim/sim_*.c): the device record, its queues, and the chain
 * walker shared by the transport side and the device models. Tests use sim.h only. */
#ifndef RUMPK_SIM_INTERNAL_H
#define RUMPK_SIM_INTERNAL_H

#include "sim.h"
#include "virtqueue_priv.h" /* the device's side of the rings: their layout in memory */

#define SIM_NET_BACKLOG   64
#define SIM_NET_FRAME_MAX 1600

/* A descriptor as the device read it (packed chains are copied at fetch: the driver may reuse
 * their ring slots once earlier-placed chains complete). */
struct sim_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t index; /* ring position, or entry in the indirect table */
};

struct sim_pchain {
    uint16_t slots; /* ring descriptors the chain took */
    unsigned n;
    struct sim_desc *descs; /* n entries, malloc'd at fetch */
};

struct sim_queue {
    uint16_t max;  /* what queue_max reports; 0 = no such queue */
    uint16_t size; /* 0 = not set up */
    bool packed;   /* VIRTIO_F_RING_PACKED negotiated when it was set up */
    volatile struct vring_desc *desc;
    volatile struct vring_avail *avail;
    volatile struct vring_used *used;
    volatile struct vring_packed_desc *pdesc;
    volatile struct vring_packed_event *drv_event; /* the driver's: interrupt suppression */
    volatile struct vring_packed_event *dev_event; /* ours: notification suppression */
    uint16_t last_avail;          /* split: next avail entry the device will fetch */
    uint16_t used_idx;            /* split: the device's used index */
    uint16_t avail_pos, used_pos; /* packed: next position to fetch / to write a used element */
    bool avail_wrap, used_wrap;   /* packed: the device's wrap counters */
    bool kicked;                  /* deferred mode: notified since the last run */
    uint16_t *pending; /* heads (split) or buffer ids (packed) fetched, not completed, oldest
                          first */
    struct sim_pchain *pchain; /* packed: the chain of each pending entry (same index) */
    unsigned n_pending;
    struct sim_seg *segs; /* chain walk scratch, size entries */
};

struct sim_seg {
    uint8_t *p;
    uint32_t len;
    bool write;
    uint16_t desc; /* descriptor index */
};

struct sim_chain {
    uint16_t head;  /* head index (split) or buffer id (packed) */
    uint16_t slots; /* ring descriptors it took (1 for an indirect chain) */
    unsigned n;
    struct sim_seg *segs;
    uint64_t readable, writable;
};

struct sim_frame {
    uint16_t len;
    uint8_t data[SIM_NET_FRAME_MAX];
};

struct sim_device {
    struct virtio_device vdev; /* first: the core sees this */
    struct sim_params p;
    unsigned seq;
    struct sim_device *next;

    uint8_t status;
    uint64_t driver_features;
    bool features_changed;
    uint8_t isr;
    uint32_t generation;
    bool broken; /* a driver error stopped the device until the next reset */
    bool in_process;
    uint8_t config[SIM_CONFIG_MAX];
    struct sim_queue q[SIM_MAX_QUEUES];

    enum sim_completion mode;
    enum sim_order order;
    uint32_t rng;
    uint32_t faults[SIM_FAULT_COUNT_];
    struct sim_stats stats;
    char last_error[160];

    /* block */
    uint8_t *disk;
    uint64_t disk_bytes;
    uint64_t fail_first, fail_count;
    char blk_id[SIM_BLK_ID_BYTES + 1];

    /* net */
    struct sim_frame *backlog; /* SIM_NET_BACKLOG frames, a ring */
    unsigned backlog_head, backlog_n;
    sim_net_tx_fn tx_hook;
    void *tx_arg;
    sim_dma_ok_fn dma_ok; /* sim_set_dma_check; NULL: every address is taken */
    void *dma_arg;
    /* a generic model (sim_model.c), NULL: the built-in model of the type */
    const struct sim_model_ops *model;
};

/* Transport side (sim_transport.c) for the models. */
void sim_driver_error(struct sim_device *d, const char *what, unsigned a);
/* False (with a driver error naming desc) when the DMA check refuses [addr, addr + len). */
bool sim_dma_allowed(struct sim_device *d, uint64_t addr, uint64_t len, unsigned desc);
bool sim_fault_take(struct sim_device *d, enum sim_fault f);
bool sim_negotiated(const struct sim_device *d, unsigned bit);
/* Fetches newly published heads of queue qi into its pending list; false on a driver error. */
bool sim_fetch(struct sim_device *d, unsigned qi);
/* Chains made available on queue q and not fetched yet. */
unsigned sim_unfetched(const struct sim_queue *q);
/* Walks the chain starting at head with the device's own checks; false on a driver error. */
bool sim_walk(struct sim_device *d, unsigned qi, uint16_t head, struct sim_chain *c);
/* Writes one used entry (applying used-ring faults) and flags a queue interrupt. */
void sim_push_used(struct sim_device *d, unsigned qi, const struct sim_chain *c, uint32_t len);
/* The "sim" ops table (resizable queues or fixed at queue_max). */
const struct virtio_transport_ops *sim_transport_ops(bool resizable);
/* Runs d's queues (only those notified since the last run when only_kicked) and raises the
 * interrupt; returns chains completed. */
unsigned sim_device_run(struct sim_device *d, bool only_kicked);
void sim_queue_free(struct sim_queue *q);
/* Removes pending entry i of queue qi. */
void sim_pending_remove(struct sim_queue *q, unsigned i);
void sim_raise(struct sim_device *d, uint8_t isr_bits);

/* Chain byte access: offsets count only readable (read) or writable (write) bytes. */
void sim_chain_read(const struct sim_chain *c, uint64_t off, void *buf, uint64_t len);
void sim_chain_write(const struct sim_chain *c, uint64_t off, const void *buf, uint64_t len);

/* Device models (sim_devices.c). process: handle one chain of queue qi; returns false on a
 * driver error. Net rx chains are held, not processed, until a frame arrives. */
bool sim_model_process(struct sim_device *d, unsigned qi, const struct sim_chain *c);
/* The generic model (sim_model.c): used by sim_devices.c when d->model is set. */
bool sim_generic_process(struct sim_device *d, unsigned qi, const struct sim_chain *c);
bool sim_generic_holds(const struct sim_device *d, unsigned qi);
void sim_generic_run(struct sim_device *d);
bool sim_model_holds_queue(const struct sim_device *d, unsigned qi);
void sim_model_run(struct sim_device *d); /* deliver backlog frames */
int sim_model_init(struct sim_device *d);
void sim_model_free(struct sim_device *d);

#endif
