/* Private to framework/: the split and packed ring layouts in guest memory, indirect tables and
 * the virtqueue record, shared by virtqueue.c (the front), vq_split.c, vq_packed.c and
 * vq_indirect.c. Plugins and transports see struct virtqueue only through virtio/virtqueue.h;
 * the simulated device in tests/sim reads the rings through this header, as a device would. */
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
#define VRING_DESC_F_INDIRECT      4
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

/* Packed ring layout (virtio 1.2, 2.8): one descriptor ring, used elements written over it, and
 * two event suppression structures (driver area: the driver's, device area: the device's). */
struct vring_packed_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t id;
    uint16_t flags;
};
#define VRING_PACKED_DESC_F_AVAIL 0x80u   /* bit 7 */
#define VRING_PACKED_DESC_F_USED  0x8000u /* bit 15 */

struct vring_packed_event {
    uint16_t off_wrap; /* descriptor offset (bits 0..14) and wrap counter (bit 15) */
    uint16_t flags;
};
#define VRING_PACKED_EVENT_ENABLE  0
#define VRING_PACKED_EVENT_DISABLE 1
#define VRING_PACKED_EVENT_DESC    2 /* only with VIRTIO_F_RING_EVENT_IDX */
#define VRING_PACKED_WRAP_BIT      15

enum vq_layout { VQ_SPLIT, VQ_PACKED };

/* What the driver remembers about each descriptor (split) or buffer id (packed); the device
 * never sees this memory. */
struct vq_desc_state {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
    uint16_t chain_len; /* on a head: ring descriptors the chain takes (1 when indirect) */
    uint32_t writable;  /* on a head: bytes the device may write */
    void *cookie;       /* on a head: the caller's token; NULL when the head is free */
};

/* Indirect tables (VIRTIO_F_RING_INDIRECT_DESC): one per descriptor slot (split: per head
 * index; packed: per buffer id), made at probe, in use exactly while that slot is outstanding. */
struct vq_indirect {
    void *mem; /* size tables of max_entries descriptors, one DMA allocation */
    uint64_t pa;
    uint64_t bytes;
    uint16_t max_entries; /* descriptors per table */
    uint16_t min_chain;   /* chains of at least this many descriptors go indirect */
};

struct virtqueue {
    struct virtio_device *vdev;
    unsigned index;
    uint16_t size; /* entries, a power of two */
    enum vq_layout layout;

    /* Shared with the device. Split: desc, avail, used. Packed: pdesc, driver_event,
     * device_event (desc_pa / avail_pa / used_pa are then the three areas' addresses). */
    struct vring_desc *desc;
    struct vring_avail *avail;
    struct vring_used *used;
    struct vring_packed_desc *pdesc;
    struct vring_packed_event *driver_event; /* we write: interrupt suppression */
    struct vring_packed_event *device_event; /* the device writes: notification suppression */
    uint64_t desc_pa, avail_pa, used_pa;
    void *ring_mem; /* one DMA allocation holding all three areas */
    uint64_t ring_mem_size;

    /* Driver-private. */
    struct vq_desc_state *state; /* size entries: per descriptor (split), per buffer id (packed) */
    uint16_t free_head;          /* first free descriptor / id, chained through state[].next */
    uint16_t num_free;           /* free ring descriptors */
    uint16_t avail_idx;          /* split: our copy of avail->idx */
    uint16_t last_used_idx;      /* split: next used entry we will consume */
    bool broken;
    bool event_idx;   /* VIRTIO_F_RING_EVENT_IDX negotiated: used_event / avail_event in use */
    bool cb_disabled; /* vq_disable_cb called more recently than vq_enable_cb */

    /* Packed ring positions: where the next chain goes and where the next used element is
     * expected, each with its wrap counter. */
    uint16_t next_avail;
    uint16_t last_used;
    bool avail_wrap;
    bool used_wrap;
    uint32_t num_added;   /* ring descriptors published since the last kick */
    uint16_t outstanding; /* chains the device holds */
    uint16_t event_flags; /* our last write of driver_event->flags */

    struct vq_indirect ind; /* ind.mem NULL: no indirect tables */

    uintptr_t transport_data; /* the transport's own word (vq_set_transport_data) */

    /* Counters, for lsdev and the benchmark. */
    uint64_t kicks;
    uint64_t completions;
    uint64_t len_clamped; /* used.len larger than the chain's writable bytes */
};

/* Allocates a split ring (legacy single-block layout with the used ring on the next 4096
 * boundary, or modern separate areas) and the private records. Called by virtio_find_vq. */
int vq_init(struct virtqueue *vq, struct virtio_device *vdev, unsigned index, uint16_t size,
            bool legacy_layout);
/* The same for a packed ring (modern transports only): descriptor ring, then the driver and
 * device event suppression structures. */
int vq_init_packed(struct virtqueue *vq, struct virtio_device *vdev, unsigned index, uint16_t size);
/* What every layout's init shares: clears vq, allocates `total` bytes of ring memory (*pa its
 * bus address) and the private per-descriptor records, fills the common fields. 0, or -EINVAL
 * (size not a power of two up to 32768) or -ENOMEM with nothing kept. */
int vq_init_common(struct virtqueue *vq, struct virtio_device *vdev, unsigned index, uint16_t size,
                   uint64_t total, uint64_t *pa);
/* Frees the rings, the private records and the indirect tables. */
void vq_destroy(struct virtqueue *vq);

/* Shared by the layouts (virtqueue.c). */
const char *vq_name(const struct virtqueue *vq);
/* Marks the queue broken with one log line and hands back one outstanding cookie (-EIO). */
int vq_mark_broken(struct virtqueue *vq, void **cookie, const char *what, unsigned a, unsigned b);
/* Hands back one outstanding cookie of a broken queue, freeing its slot (-EIO; *cookie NULL
 * when none remain). */
int vq_drain_broken(struct virtqueue *vq, void **cookie);
/* Clamps a device-written length to what chain `st` may receive, counting a clamp. */
uint32_t vq_used_len(struct virtqueue *vq, const struct vq_desc_state *st, uint32_t len);
/* The spec's vring_need_event: moving an index from old to new_idx steps over event. */
static inline bool vq_need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
    return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

/* Split ring (vq_split.c). */
int vq_split_add(struct virtqueue *vq, const struct vq_seg *out, unsigned n_out,
                 const struct vq_seg *in, unsigned n_in, void *cookie, uint32_t writable);
void vq_split_kick(struct virtqueue *vq);
int vq_split_pop(struct virtqueue *vq, void **cookie, uint32_t *len);
void vq_split_free_chain(struct virtqueue *vq, uint16_t head);
void vq_split_disable_cb(struct virtqueue *vq);
void vq_split_enable_cb(struct virtqueue *vq);
bool vq_split_has_used(const struct virtqueue *vq);

/* Packed ring (vq_packed.c). */
void vq_packed_reset(struct virtqueue *vq);
int vq_packed_add(struct virtqueue *vq, const struct vq_seg *out, unsigned n_out,
                  const struct vq_seg *in, unsigned n_in, void *cookie, uint32_t writable);
void vq_packed_kick(struct virtqueue *vq);
int vq_packed_pop(struct virtqueue *vq, void **cookie, uint32_t *len);
void vq_packed_free_id(struct virtqueue *vq, uint16_t id);
void vq_packed_disable_cb(struct virtqueue *vq);
void vq_packed_enable_cb(struct virtqueue *vq);
bool vq_packed_has_used(const struct virtqueue *vq);

/* Indirect tables (vq_indirect.c). */
/* True when a chain of n descriptors goes as one indirect table on this queue. */
static inline bool vq_goes_indirect(const struct virtqueue *vq, unsigned n)
{
    return vq->ind.mem && n >= vq->ind.min_chain && n <= vq->ind.max_entries;
}
/* Fills slot's table with the chain in the layout's format; returns the table's bus address
 * (its length is n * 16). */
uint64_t vq_indirect_fill(struct virtqueue *vq, uint16_t slot, const struct vq_seg *out,
                          unsigned n_out, const struct vq_seg *in, unsigned n_in);
void vq_indirect_free(struct virtqueue *vq);

#endif
