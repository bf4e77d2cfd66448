/* Private to framework/: the split ring's layout in guest memory and the virtqueue record.
 * Plugins and transports see struct virtqueue only through virtio/virtqueue.h; the simulated
 * device in tests/sim reads the rings through this header, as a device would. */
#ifndef VIRTQUEUE_PRIV_H
#define VIRTQUEUE_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include <virtio/virtqueue.h>

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

    uintptr_t transport_data; /* the transport's own word (vq_set_transport_data) */

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

#endif
