/* Virtqueues as a plugin and a transport see them: an opaque queue, chains of segments in,
 * completed chains out, and queries. The ring layout (split or packed, chosen at negotiation)
 * and indirect tables are the core's business alone (framework/virtqueue_priv.h).
 * Ownership: the driver side (the core) owns the descriptor table, the available ring and the
 * private per-descriptor records; the device owns the used ring. Everything read from the used
 * ring is validated before use; a queue that sees an impossible value is marked broken. */
#ifndef VIRTIO_VIRTQUEUE_H
#define VIRTIO_VIRTQUEUE_H

#include <stdbool.h>
#include <stdint.h>

struct virtio_device;
struct virtqueue;

/* One segment of a request: `len` bytes at bus address `addr`. */
struct vq_seg {
    uint64_t addr;
    uint32_t len;
};

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

/* Probe time: lets chains of at least `min_chain` (>= 2) and at most `max_entries` descriptors
 * go as one indirect table, so each takes a single ring descriptor. Preallocates one table of
 * max_entries (capped at the queue size) per ring slot; a table is reused only after the device
 * has returned its chain. Returns 0, -ENOTSUP when VIRTIO_F_RING_INDIRECT_DESC was not
 * negotiated (the queue works as before), -EINVAL, -ENOMEM. */
int vq_use_indirect(struct virtqueue *vq, unsigned max_entries, unsigned min_chain);

/* Queries. */
uint16_t vq_size(const struct virtqueue *vq);  /* entries, a power of two */
unsigned vq_index(const struct virtqueue *vq); /* the queue's number on its device */
bool vq_packed(const struct virtqueue *vq);    /* true: the packed layout (virtio 1.2, 2.8) */
/* Most descriptors one chain may take: a request needing more must be split. */
unsigned vq_max_chain(const struct virtqueue *vq);
/* Ring descriptors a chain of `n` descriptors takes: n, or 1 when it goes indirect. */
unsigned vq_chain_cost(const struct virtqueue *vq, unsigned n);
/* True when `n` ring descriptors are free now, so a chain whose vq_chain_cost is n can be added
 * (vq_add would not say -ENOSPC); for several chains, `n` is the sum of their costs. False on
 * a broken queue. */
bool vq_chain_fits(const struct virtqueue *vq, unsigned n);
/* True once the queue saw an impossible value from the device (see vq_pop). */
bool vq_broken(const struct virtqueue *vq);

struct vq_counters {
    uint64_t kicks;       /* device notifications sent */
    uint64_t completions; /* used entries taken back */
    uint64_t len_clamped; /* used.len larger than the chain's writable bytes */
};
void vq_get_counters(const struct virtqueue *vq, struct vq_counters *out);

/* For transports: where the device finds the three areas (split: descriptor table, available
 * ring, used ring), and a word of the transport's own per queue (e.g. its notify address). */
void vq_ring_addrs(const struct virtqueue *vq, uint64_t *desc, uint64_t *driver, uint64_t *device);
void vq_set_transport_data(struct virtqueue *vq, uintptr_t v);
/* For legacy transports, whose device derives the rings from one page frame number: true when
 * the rings sit exactly where such a device computes them for `align` (available ring right
 * after the descriptors, used ring at the next `align` boundary) with a PFN (address >> 12)
 * that fits 32 bits; then *pfn is it. */
bool vq_legacy_pfn(const struct virtqueue *vq, uint64_t align, uint32_t *pfn);
uintptr_t vq_transport_data(const struct virtqueue *vq);

#endif
