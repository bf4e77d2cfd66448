/* Split virtqueues: the only code that touches descriptor tables and rings.
 * Ownership: the driver side (this file) owns the descriptor table, the available ring and the
 * private per-descriptor records; the device owns the used ring. Everything read from the used
 * ring is validated before use; a queue that sees an impossible value is marked broken. */
#ifndef VIRTIO_VIRTQUEUE_H
#define VIRTIO_VIRTQUEUE_H

#include <stdbool.h>
#include <stdint.h>

struct virtio_device;

/* Ring layout in guest memory (virtio 1.2, 2.7). Little-endian on every target we build. */
struct vring_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};
#define VRING_DESC_F_NEXT          1
#define VRING_DESC_F_WRITE         2
#define VRING_AVAIL_F_NO_INTERRUPT 1
#define VRING_USED_F_NO_NOTIFY     1

struct vring_avail {
    uint16_t flags;
    uint16_t idx;
    uint16_t ring[];
};

struct vring_used_elem {
    uint32_t id;
    uint32_t len;
};

struct vring_used {
    uint16_t flags;
    uint16_t idx;
    struct vring_used_elem ring[];
};

/* The event-index fields (VIRTIO_F_RING_EVENT_IDX, virtio 1.2 2.7.7 and 2.7.10): used_event is
 * the uint16 after avail->ring[size] (driver-written: "interrupt me when your used idx passes
 * this"), avail_event the uint16 after used->ring[size] (device-written: "notify me when your
 * avail idx passes this"). Located by byte offset: nothing of another type is aliased. */
static inline volatile uint16_t *vring_used_event(volatile struct vring_avail *avail, uint16_t size)
{
    return (volatile uint16_t *)(volatile void *)((volatile uint8_t *)avail +
                                                  sizeof(struct vring_avail) +
                                                  (uintptr_t)size * sizeof(uint16_t));
}

static inline volatile uint16_t *vring_avail_event(volatile struct vring_used *used, uint16_t size)
{
    return (volatile uint16_t *)(volatile void *)((volatile uint8_t *)used +
                                                  sizeof(struct vring_used) +
                                                  (uintptr_t)size * sizeof(struct vring_used_elem));
}

/* One segment of a request: `len` bytes at bus address `addr`. */
struct vq_seg {
    uint64_t addr;
    uint32_t len;
};

/* What the driver remembers about each descriptor; the device never sees this memory. */
struct vq_desc_state {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
    uint16_t chain_len; /* on a head: descriptors in the chain */
    uint32_t writable;  /* on a head: bytes the device may write */
    void *cookie;       /* on a head: the caller's token; NULL when the head is free */
};

struct virtqueue {
    struct virtio_device *vdev;
    unsigned index;
    uint16_t size; /* entries, a power of two */

    /* Shared with the device. */
    struct vring_desc *desc;
    struct vring_avail *avail;
    struct vring_used *used;
    uint64_t desc_pa, avail_pa, used_pa;
    void *ring_mem; /* one DMA allocation holding all three areas */
    uint64_t ring_mem_size;

    /* Driver-private. */
    struct vq_desc_state *state; /* size entries */
    uint16_t free_head;          /* first free descriptor, chained through state[].next */
    uint16_t num_free;
    uint16_t avail_idx;     /* our copy of avail->idx */
    uint16_t last_used_idx; /* next used entry we will consume */
    bool broken;
    bool event_idx;   /* VIRTIO_F_RING_EVENT_IDX negotiated: used_event / avail_event in use */
    bool cb_disabled; /* vq_disable_cb called more recently than vq_enable_cb */

    /* Counters, for lsdev and the benchmark. */
    uint64_t kicks;
    uint64_t completions;
    uint64_t len_clamped; /* used.len larger than the chain's writable bytes */
};

/* Allocates the rings (legacy single-block layout with the used ring on the next 4096 boundary,
 * or modern separate areas) and the private records. Called by virtio_find_vq. */
int vq_init(struct virtqueue *vq, struct virtio_device *vdev, unsigned index, uint16_t size,
            bool legacy_layout);
void vq_destroy(struct virtqueue *vq);

/* Publishes a chain: `out` device-readable segments then `in` device-writable ones.
 * `cookie` (non-NULL) comes back from vq_pop. Returns 0, -ENOSPC when fewer than out+in
 * descriptors are free, -EINVAL for an empty chain or NULL cookie, -EIO when broken. The device
 * sees it after vq_kick. */
int vq_add(struct virtqueue *vq, const struct vq_seg *out, unsigned n_out, const struct vq_seg *in,
           unsigned n_in, void *cookie);
/* Makes everything added visible and notifies the device. */
void vq_kick(struct virtqueue *vq);
/* Takes one completed chain back. Returns 0 with *cookie and *len (bytes written, clamped to
 * the chain's writable size); -EAGAIN when nothing is pending; -EIO when the queue is broken:
 * then each call hands back one still-outstanding cookie (so the caller can fail it) until
 * none remain, when *cookie is NULL. */
int vq_pop(struct virtqueue *vq, void **cookie, uint32_t *len);
/* Ask the device not to / to interrupt on completions (a hint: the device may ignore it).
 * With event idx, enabling arms an interrupt for the next used entry after last_used_idx only:
 * a caller that finds vq_has_used() true afterwards must vq_pop (which re-arms) before it
 * sleeps. */
void vq_disable_cb(struct virtqueue *vq);
void vq_enable_cb(struct virtqueue *vq);
/* True when used entries are waiting. */
bool vq_has_used(const struct virtqueue *vq);
unsigned vq_num_free(const struct virtqueue *vq);

#endif
