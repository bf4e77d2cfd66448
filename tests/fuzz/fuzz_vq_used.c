/* libFuzzer target: used-ring processing (framework/vq_split.c, vq_packed.c, vq_indirect.c)
 * against arbitrary device-written ring memory. An echo device on the simulator (deferred
 * completion) gives a real queue of either layout, legacy or modern, with or without indirect
 * tables; the input is a script of driver steps (add, kick, pop, callbacks on and off), honest
 * device steps (the simulator completes what was kicked) and hostile ones (any used element,
 * any used index or flags written straight into ring memory). After every step: no cookie
 * comes back twice or unasked, no length exceeds the chain's writable bytes, ring descriptors
 * are all accounted for, a broken queue hands back each outstanding cookie exactly once, and
 * at the end nothing leaks. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <virtio/os.h>
#include <virtio/virtio.h>
#include <virtio/virtqueue.h>
#include <virtio_gen/virtio_ids.h>

#include "fuzz_check.h"
#include "fw_testdrv.h"
#include "sim.h"
#include "virtqueue_priv.h"

#define ECHO_TYPE 3
#define MAX_REQS  64
#define SEG_BYTES 16
#define MAX_SEGS  6
#define BIT(n)    (1ull << (n))

struct req {
    bool out; /* handed to the queue, not yet back */
    uint16_t cost;
    uint32_t writable;
};

/* The bookkeeping above is apart from the memory the device may reach (bufs, the indirect
 * tables): dma_ok below is the simulated device's IOMMU and holds it to one element. */
static struct req reqs[MAX_REQS];
static uint8_t bufs[MAX_REQS][MAX_SEGS][SEG_BYTES];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    os_host_log_quiet(true);
    return 0;
}

static unsigned outstanding(void)
{
    unsigned n = 0;
    for (unsigned i = 0; i < MAX_REQS; i++)
        n += reqs[i].out;
    return n;
}

/* Ring descriptors held by chains plus free ones make the whole ring. */
static void check_accounting(const struct virtqueue *vq)
{
    unsigned held = 0;
    for (unsigned i = 0; i < MAX_REQS; i++)
        if (reqs[i].out)
            held += reqs[i].cost;
    FUZZ_CHECK(held + vq->num_free == vq->size, "held %u + free %u != size %u", held,
               (unsigned)vq->num_free, (unsigned)vq->size);
}

/* The hostile steps write into ring memory, descriptors still available to the device
 * included: a used element's id, length and flags there (virtio 1.2, 2.8) rewrite what the
 * driver made available. The honest device then reads that descriptor, so without this check
 * it would read or write past the element the driver gave (the finding kept in
 * corpus/fuzz_vq_used/regress-packed-rewritten-len: a 7-byte element rewritten to 48 bytes, the
 * echo overwrote the next request's record here). No driver can stop that DMA; an IOMMU can. */
static bool dma_ok(void *arg, uint64_t addr, uint64_t len)
{
    const struct virtqueue *vq = arg;
    uintptr_t b = (uintptr_t)bufs, t = (uintptr_t)vq->ind.mem;

    if (addr >= b && addr < b + sizeof bufs)
        return (addr - b) % SEG_BYTES + len <= SEG_BYTES;
    return vq->ind.mem && addr >= t && addr - t <= vq->ind.bytes &&
           len <= vq->ind.bytes - (addr - t);
}

static struct req *req_of(void *cookie)
{
    uintptr_t p = (uintptr_t)cookie, base = (uintptr_t)reqs;
    FUZZ_CHECK(p >= base && p < base + sizeof reqs && (p - base) % sizeof(struct req) == 0,
               "cookie %p is none of ours", cookie);
    return cookie;
}

/* One vq_pop; returns its result after checking what came back. */
static int pop_one(struct virtqueue *vq)
{
    void *cookie = (void *)1;
    uint32_t len = 0xdeadbeef;
    int rc = vq_pop(vq, &cookie, &len);

    if (rc == -EAGAIN) {
        FUZZ_CHECK(cookie == NULL, "-EAGAIN with a cookie");
        return rc;
    }
    if (rc == -EIO) {
        FUZZ_CHECK(vq_broken(vq), "-EIO from a queue that is not broken");
        if (!cookie) {
            FUZZ_CHECK(outstanding() == 0, "broken queue stopped with %u cookies still out",
                       outstanding());
            return rc;
        }
    } else {
        FUZZ_CHECK(rc == 0, "vq_pop returned %d", rc);
    }
    struct req *r = req_of(cookie);
    FUZZ_CHECK(r->out, "cookie %u came back twice or was never added", (unsigned)(r - reqs));
    FUZZ_CHECK(rc == 0 ? len <= r->writable : len == 0, "len %u, writable %u, rc %d", len,
               r->writable, rc);
    r->out = false;
    return rc;
}

static void add_one(struct virtqueue *vq, struct fuzz_in *in)
{
    uint8_t b = fuzz_u8(in);
    unsigned n = 1 + b % MAX_SEGS, n_in = (b >> 3) % (n + 1);
    struct vq_seg segs[MAX_SEGS];
    struct req *r = NULL;

    for (unsigned i = 0; i < MAX_REQS && !r; i++)
        if (!reqs[i].out)
            r = &reqs[i];
    if (!r)
        return;
    for (unsigned i = 0; i < n; i++)
        segs[i] = (struct vq_seg){os_virt_to_phys(bufs[r - reqs][i]), 1 + (b >> 6) + i % SEG_BYTES};
    unsigned cost = vq_chain_cost(vq, n);
    bool fits = vq_chain_fits(vq, cost), broken = vq_broken(vq);
    int rc = vq_add(vq, segs, n - n_in, segs + (n - n_in), n_in, r);
    if (broken) {
        FUZZ_CHECK(rc == -EIO, "add on a broken queue returned %d", rc);
        return;
    }
    if (n > vq_size(vq)) {
        FUZZ_CHECK(rc == -EINVAL, "chain longer than the ring returned %d", rc);
        return;
    }
    FUZZ_CHECK(fits ? rc == 0 : rc == -ENOSPC, "add: fits %d rc %d", fits, rc);
    if (rc)
        return;
    r->out = true;
    r->cost = (uint16_t)cost;
    r->writable = 0;
    for (unsigned i = n - n_in; i < n; i++)
        r->writable += segs[i].len;
}

/* The hostile device: writes one used element (or the index) with values from the input. */
static void device_write(struct virtqueue *vq, struct fuzz_in *in)
{
    uint8_t how = fuzz_u8(in);
    uint16_t pos = (uint16_t)(fuzz_u8(in) & (vq->size - 1u));
    uint32_t id = how & 0x80 ? fuzz_u32(in) : fuzz_u8(in) % (vq->size + 2u);
    uint32_t len = how & 0x40 ? fuzz_u32(in) : fuzz_u8(in);

    if (vq->layout == VQ_PACKED) {
        volatile struct vring_packed_desc *d = &vq->pdesc[pos];
        uint16_t flags = (uint16_t)((how & 1 ? VRING_PACKED_DESC_F_AVAIL : 0) |
                                    (how & 2 ? VRING_PACKED_DESC_F_USED : 0) |
                                    (how & 4 ? fuzz_u16(in) & 0x7f7fu : 0));
        d->id = (uint16_t)id;
        d->len = len;
        d->flags = flags;
        return;
    }
    volatile struct vring_used *used = vq->used;
    used->ring[pos].id = id;
    used->ring[pos].len = len;
    if (how & 1)
        used->idx = (uint16_t)(used->idx + 1u + ((how >> 1) & 3u));
    else if (how & 8)
        used->idx = fuzz_u16(in);
}

static struct sim_device *make_device(struct fuzz_in *in)
{
    uint8_t mode = fuzz_u8(in);
    bool packed = mode & 1, indirect = mode & 2, legacy = (mode & 4) && !packed;
    uint16_t qsize = (uint16_t)(2u << (fuzz_u8(in) % 4)); /* 2..16 */
    uint64_t plugin = BIT(VIRTIO_F_VERSION_1);
    struct sim_params p;

    if (!(mode & 8))
        plugin |= BIT(VIRTIO_F_RING_EVENT_IDX);
    if (packed)
        plugin |= BIT(VIRTIO_F_RING_PACKED);
    if (indirect)
        plugin |= BIT(VIRTIO_F_RING_INDIRECT_DESC);
    fw_reset();
    fw_use_test_plugin(ECHO_TYPE, plugin);
    fw_cfg.queue_size[0] = qsize;
    sim_params_init(&p, ECHO_TYPE, !legacy);
    p.irq = 0;
    p.queue_max[0] = legacy ? qsize : 32768;
    if (packed)
        p.features |= BIT(SIM_F_RING_PACKED);
    struct sim_device *d = sim_create(&p);
    FUZZ_CHECK(d != NULL, "sim_create failed");
    sim_set_completion(d, SIM_COMPLETE_DEFERRED, (enum sim_order)(mode >> 4) % 3);
    FUZZ_CHECK(sim_add(d) == 0, "echo device not added");
    struct virtqueue *vq = sim_vdev(d)->vqs[0];
    FUZZ_CHECK(vq != NULL && vq_size(vq) == qsize, "queue of %u entries", vq_size(vq));
    FUZZ_CHECK(vq_packed(vq) == packed, "layout %d, wanted packed %d", vq_packed(vq), packed);
    if (indirect)
        FUZZ_CHECK(vq_use_indirect(vq, 4, 2) == 0, "indirect tables refused");
    sim_set_dma_check(d, dma_ok, vq);
    return d;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = {data, size};

    memset(reqs, 0, sizeof reqs);
    struct sim_device *d = make_device(&in);
    struct virtqueue *vq = sim_vdev(d)->vqs[0];

    for (unsigned step = 0; step < 256 && in.left; step++) {
        uint8_t op = fuzz_u8(&in);
        switch (op % 8) {
        case 0:
        case 1:
            add_one(vq, &in);
            break;
        case 2:
            vq_kick(vq);
            break;
        case 3:
            (void)sim_run(); /* the honest device completes what it fetched */
            break;
        case 4:
            device_write(vq, &in);
            break;
        case 5:
            for (unsigned k = 0; k < (op >> 3) + 1u && pop_one(vq) != -EAGAIN; k++)
                ;
            break;
        case 6:
            if (op & 8)
                vq_enable_cb(vq);
            else
                vq_disable_cb(vq);
            break;
        case 7:
            (void)vq_has_used(vq);
            break;
        }
        check_accounting(vq);
    }
    /* A broken queue must hand back everything still out, each once, then stop. */
    if (vq_broken(vq)) {
        unsigned guard = 0;
        while (pop_one(vq) == -EIO && outstanding() && guard++ < MAX_REQS)
            ;
        FUZZ_CHECK(outstanding() == 0, "%u cookies never came back from a broken queue",
                   outstanding());
        FUZZ_CHECK(!vq_has_used(vq), "drained broken queue still says it has used entries");
    }
    sim_destroy(d);
    fw_restore_registry();
    FUZZ_CHECK(os_host_dma_bytes() == 0 && os_host_alloc_bytes() == 0, "leak: dma %llu heap %llu",
               (unsigned long long)os_host_dma_bytes(), (unsigned long long)os_host_alloc_bytes());
    os_host_log_clear();
    return 0;
}
