/* Host tests of the split virtqueue: ring layouts, chains of every length, wrapping, a full
 * queue, out-of-order completion, NO_NOTIFY / NO_INTERRUPT, and every used-ring misbehaviour
 * ending in a broken queue that hands back each outstanding cookie (ASan checks the accesses). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <errno.h>
#include <virtio/os.h>
#include <virtio/virtio.h>
#include <virtio/virtqueue.h>

#include "virtqueue_priv.h" /* the test looks inside the rings */
#include <virtio_gen/virtio_ids.h>

#include "fw_testdrv.h"
#include "sim.h"

#define ECHO_TYPE 3 /* any type the sim does not model in detail echoes */
#define BIT(n)    (1ull << (n))

static struct sim_device *echo_dev(bool modern, uint16_t qsize, enum sim_completion mode,
                                   enum sim_order order, unsigned irq)
{
    struct sim_params p;
    struct sim_device *d;

    fw_use_test_plugin(ECHO_TYPE, BIT(VIRTIO_F_VERSION_1));
    fw_cfg.queue_size[0] = qsize;
    sim_params_init(&p, ECHO_TYPE, modern);
    p.irq = irq;
    p.queue_max[0] = modern ? 32768 : qsize;
    d = sim_create(&p);
    assert_non_null(d);
    sim_set_completion(d, mode, order);
    assert_int_equal(sim_add(d), 0);
    assert_int_equal(sim_queue_size(d, 0), qsize);
    return d;
}

static struct virtqueue *vq0(struct sim_device *d)
{
    return sim_vdev(d)->vqs[0];
}

static void layouts(void **state)
{
    (void)state;
    struct virtio_device vdev;
    struct virtqueue vq;

    memset(&vdev, 0, sizeof(vdev));
    for (unsigned n = 1; n <= 32768; n *= 2) {
        uint16_t size = (uint16_t)n;
        assert_int_equal(vq_init(&vq, &vdev, 0, size, true), 0);
        assert_int_equal(vq.size, size);
        assert_int_equal(vq.num_free, size);
        assert_int_equal(vq.desc_pa % 4096, 0);
        assert_int_equal(vq.avail_pa, vq.desc_pa + 16ull * n);
        assert_int_equal(vq.used_pa % 4096, 0);
        assert_int_equal(vq.used_pa, (vq.avail_pa + 6 + 2ull * n + 4095) & ~4095ull);
        assert_true(vq.desc_pa + vq.ring_mem_size >= vq.used_pa + 6 + 8ull * n);
        assert_ptr_equal((void *)(uintptr_t)vq.desc_pa, vq.desc);
        vq_destroy(&vq);

        assert_int_equal(vq_init(&vq, &vdev, 1, size, false), 0);
        assert_int_equal(vq.desc_pa % 16, 0);
        assert_int_equal(vq.avail_pa % 2, 0);
        assert_int_equal(vq.used_pa % 4, 0);
        assert_true(vq.avail_pa >= vq.desc_pa + 16ull * n);
        assert_true(vq.used_pa >= vq.avail_pa + 6 + 2ull * n);
        assert_true(vq.desc_pa + vq.ring_mem_size >= vq.used_pa + 6 + 8ull * n);
        vq_destroy(&vq);
        vq_destroy(&vq); /* twice is harmless */
    }
    assert_int_equal(vq_init(&vq, &vdev, 0, 0, false), -EINVAL);
    assert_int_equal(vq_init(&vq, &vdev, 0, 3, false), -EINVAL);
    assert_int_equal(vq_init(&vq, &vdev, 0, 100, true), -EINVAL);
    assert_int_equal(vq_init(&vq, &vdev, 0, 65535, true), -EINVAL);
    assert_int_equal(os_host_dma_bytes(), 0);
}

/* Pops exactly one completion, failing the test if there is none. */
static void *pop_one(struct virtqueue *vq, uint32_t *len)
{
    void *cookie = NULL;
    assert_int_equal(vq_pop(vq, &cookie, len), 0);
    assert_non_null(cookie);
    return cookie;
}

static void chains_of_every_length(void **state)
{
    (void)state;
    enum { QSIZE = 64 };
    struct sim_device *d = echo_dev(true, QSIZE, SIM_COMPLETE_AT_NOTIFY, SIM_ORDER_FIFO, 0);
    struct virtqueue *vq = vq0(d);
    static uint8_t out_buf[QSIZE][32], in_buf[QSIZE][32];
    struct vq_seg out[QSIZE], in[QSIZE];

    for (unsigned n = 1; n <= QSIZE; n++) {
        for (unsigned variant = 0; variant < 3; variant++) {
            unsigned n_out = variant == 0 ? n / 2 : variant == 1 ? n : 0;
            unsigned n_in = n - n_out;
            uint8_t stream[QSIZE * 32];
            size_t r = 0, w = 0;

            memset(in_buf, 0xee, sizeof(in_buf));
            for (unsigned i = 0; i < n_out; i++) {
                uint32_t len = 1 + (i * 7 + n) % 31;
                for (uint32_t k = 0; k < len; k++)
                    out_buf[i][k] = stream[r + k] = (uint8_t)(n * 31 + i * 3 + k);
                out[i] = (struct vq_seg){os_virt_to_phys(out_buf[i]), len};
                r += len;
            }
            for (unsigned i = 0; i < n_in; i++) {
                uint32_t len = 1 + (i * 5 + n) % 29;
                in[i] = (struct vq_seg){os_virt_to_phys(in_buf[i]), len};
                w += len;
            }
            assert_int_equal(vq_add(vq, out, n_out, in, n_in, &out_buf[n - 1]), 0);
            assert_int_equal(vq->num_free, QSIZE - n);
            vq_kick(vq);

            uint32_t len;
            assert_ptr_equal(pop_one(vq, &len), &out_buf[n - 1]);
            size_t expect = r < w ? r : w;
            assert_int_equal(len, expect);
            /* The echoed bytes arrive in order across the writable segments. */
            size_t off = 0;
            for (unsigned i = 0; i < n_in && off < expect; i++) {
                size_t take = in[i].len < expect - off ? in[i].len : expect - off;
                assert_memory_equal(in_buf[i], stream + off, take);
                if (take < in[i].len)
                    assert_int_equal(in_buf[i][take], 0xee);
                off += take;
            }
            assert_int_equal(vq->num_free, QSIZE);
            assert_false(vq_has_used(vq));
        }
    }
    assert_int_equal(sim_stats(d)->max_chain_segs, QSIZE);
    assert_int_equal(sim_stats(d)->driver_errors, 0);
    assert_false(vq->broken);
}

struct req {
    uint32_t id;
    uint32_t want_len;
    bool done;
    uint8_t in[24];
    uint8_t out[24];
};

/* Pushes `total` requests through a queue, as many in flight as fit, in batches. */
static void pump(struct sim_device *d, unsigned total, bool deferred)
{
    struct virtqueue *vq = vq0(d);
    const unsigned slots = vq->size;
    struct req *reqs = calloc(slots, sizeof(*reqs));
    unsigned next = 0, completed = 0, in_flight = 0;
    uint32_t seed = 12345;
    const uint64_t completions0 = vq->completions;
    const uint16_t used0 = vq->last_used_idx;
    const uint64_t clamped0 = vq->len_clamped;

    assert_non_null(reqs);
    while (completed < total) {
        /* Fill: chains of 1..3 descriptors while they fit. */
        for (unsigned s = 0; s < slots && next < total; s++) {
            struct req *r = &reqs[s];
            if (r->id != 0 && !r->done)
                continue;
            seed = seed * 1103515245u + 12345u;
            unsigned shape = (seed >> 16) % 3;
            struct vq_seg out[2], in[1];
            unsigned n_out = shape == 2 ? 2 : 1, n_in = shape == 0 ? 0 : 1;
            if (!vq_chain_fits(vq, n_out + n_in))
                break;
            memset(r, 0, sizeof(*r));
            r->id = next + 1;
            memcpy(r->out, &r->id, sizeof(r->id));
            out[0] = (struct vq_seg){os_virt_to_phys(r->out), 8};
            out[1] = (struct vq_seg){os_virt_to_phys(r->out + 8), 4};
            in[0] = (struct vq_seg){os_virt_to_phys(r->in), 1 + r->id % 23};
            r->want_len = n_in ? (n_out == 2 ? 12 : 8) : 0;
            if (n_in && r->want_len > in[0].len)
                r->want_len = in[0].len;
            assert_int_equal(vq_add(vq, out, n_out, in, n_in, r), 0);
            next++;
            in_flight++;
        }
        vq_kick(vq);
        if (deferred)
            sim_run();
        void *cookie;
        uint32_t len;
        int rc;
        while ((rc = vq_pop(vq, &cookie, &len)) == 0) {
            struct req *r = cookie;
            assert_false(r->done);
            assert_int_equal(len, r->want_len);
            if (len >= 4)
                assert_memory_equal(r->in, &r->id, 4);
            r->done = true;
            completed++;
            in_flight--;
        }
        assert_int_equal(rc, -EAGAIN);
    }
    assert_int_equal(in_flight, 0);
    assert_int_equal(vq->completions - completions0, total);
    assert_int_equal(vq->last_used_idx, (uint16_t)(used0 + total));
    assert_int_equal(vq->num_free, vq->size);
    assert_false(vq->broken);
    assert_int_equal(vq->len_clamped, clamped0);
    assert_int_equal(sim_stats(d)->driver_errors, 0);
    free(reqs);
}

static void wraps_many_times(void **state)
{
    (void)state;
    /* 8 entries: the ring wraps every 8 requests, the 16-bit indexes after 65536. */
    struct sim_device *d = echo_dev(false, 8, SIM_COMPLETE_AT_NOTIFY, SIM_ORDER_FIFO, 0);
    pump(d, 150000, false);
    sim_destroy(d);
    d = echo_dev(true, 16, SIM_COMPLETE_DEFERRED, SIM_ORDER_SHUFFLE, 0);
    pump(d, 140000, true);
}

static void largest_queue(void **state)
{
    (void)state;
    struct sim_device *d = echo_dev(true, 32768, SIM_COMPLETE_DEFERRED, SIM_ORDER_REVERSE, 0);
    pump(d, 70000, true);
}

static void full_queue_and_bad_arguments(void **state)
{
    (void)state;
    struct sim_device *d = echo_dev(true, 8, SIM_COMPLETE_DEFERRED, SIM_ORDER_FIFO, 0);
    struct virtqueue *vq = vq0(d);
    uint8_t buf[16];
    struct vq_seg seg = {os_virt_to_phys(buf), sizeof(buf)};
    struct vq_seg segs[9];
    int cookies[9];
    void *cookie;
    uint32_t len;

    for (unsigned i = 0; i < 9; i++)
        segs[i] = seg;
    assert_int_equal(vq_add(vq, NULL, 0, NULL, 0, &cookies[0]), -EINVAL);
    assert_int_equal(vq_add(vq, &seg, 1, NULL, 0, NULL), -EINVAL);
    assert_int_equal(vq_add(vq, NULL, 1, NULL, 0, &cookies[0]), -EINVAL);
    assert_int_equal(vq_add(vq, segs, 5, segs, 4, &cookies[0]),
                     -EINVAL); /* longer than the queue */
    struct vq_seg empty = {os_virt_to_phys(buf), 0};
    assert_int_equal(vq_add(vq, &seg, 1, &empty, 1, &cookies[0]), -EINVAL);
    assert_int_equal(vq->num_free, 8);

    assert_int_equal(vq_add(vq, segs, 3, segs, 4, &cookies[0]), 0); /* 7 descriptors */
    assert_int_equal(vq_add(vq, segs, 1, segs, 1, &cookies[1]), -ENOSPC);
    assert_int_equal(vq_add(vq, segs, 0, segs, 1, &cookies[1]), 0);
    assert_int_equal(vq->num_free, 0);
    assert_int_equal(vq_add(vq, segs, 1, NULL, 0, &cookies[2]), -ENOSPC);
    assert_int_equal(vq_pop(vq, &cookie, &len), -EAGAIN);
    vq_kick(vq);
    assert_false(vq_has_used(vq));
    assert_int_equal(sim_pending(d, 0), 2);
    sim_run();
    assert_true(vq_has_used(vq));
    assert_ptr_equal(pop_one(vq, &len), &cookies[0]);
    assert_int_equal(len, 3 * sizeof(buf));
    assert_ptr_equal(pop_one(vq, &len), &cookies[1]);
    assert_int_equal(len, 0);
    assert_int_equal(vq->num_free, 8);
    /* Eight one-descriptor chains fill it again. */
    for (unsigned i = 0; i < 8; i++)
        assert_int_equal(vq_add(vq, &seg, 1, NULL, 0, &cookies[i]), 0);
    assert_int_equal(vq_add(vq, &seg, 1, NULL, 0, &cookies[8]), -ENOSPC);
    vq_kick(vq);
    sim_run();
    for (unsigned i = 0; i < 8; i++)
        assert_ptr_equal(pop_one(vq, &len), &cookies[i]);
    assert_int_equal(sim_stats(d)->driver_errors, 0);
}

static void out_of_order(void **state)
{
    (void)state;
    const enum sim_order orders[] = {SIM_ORDER_REVERSE, SIM_ORDER_SHUFFLE};
    for (unsigned o = 0; o < 2; o++) {
        struct sim_device *d = echo_dev(o == 0, 32, SIM_COMPLETE_DEFERRED, orders[o], 0);
        struct virtqueue *vq = vq0(d);
        uint8_t out[16][16], in[16][16];
        bool seen[16] = {false};
        unsigned first = 99, in_order = 0;

        for (unsigned i = 0; i < 16; i++) {
            memset(out[i], (int)i, sizeof(out[i]));
            struct vq_seg s_out = {os_virt_to_phys(out[i]), 16};
            struct vq_seg s_in = {os_virt_to_phys(in[i]), 1 + i};
            assert_int_equal(vq_add(vq, &s_out, 1, &s_in, 1, out[i]), 0);
        }
        vq_kick(vq);
        assert_int_equal(sim_run(), 16);
        for (unsigned k = 0; k < 16; k++) {
            uint32_t len;
            uint8_t *c = pop_one(vq, &len);
            unsigned i = (unsigned)((c - &out[0][0]) / 16);
            assert_true(i < 16);
            assert_false(seen[i]);
            seen[i] = true;
            assert_int_equal(len, 1 + i);
            assert_int_equal(in[i][0], i);
            if (k == 0)
                first = i;
            in_order += i == k;
        }
        if (orders[o] == SIM_ORDER_REVERSE)
            assert_int_equal(first, 15);
        assert_true(in_order < 16);
        assert_int_equal(vq->num_free, 32);
        assert_int_equal(sim_stats(d)->driver_errors, 0);
        /* The free list survived the shuffle: a full queue of chains still works. */
        pump(d, 1000, true);
        sim_destroy(d);
    }
}

/* Adds `n` two-descriptor chains, lets the device complete them with `fault` armed once, and
 * checks the queue breaks and hands each cookie back exactly once with -EIO. */
static void expect_broken(enum sim_fault fault, bool modern, unsigned n, unsigned descs)
{
    struct sim_device *d = echo_dev(modern, 8, SIM_COMPLETE_DEFERRED, SIM_ORDER_FIFO, 0);
    struct virtqueue *vq = vq0(d);
    uint8_t buf[8][16];
    bool back[8] = {false};
    void *cookie;
    uint32_t len;
    int rc;

    for (unsigned i = 0; i < n; i++) {
        struct vq_seg s[2] = {{os_virt_to_phys(buf[i]), 8}, {os_virt_to_phys(buf[i] + 8), 8}};
        assert_int_equal(vq_add(vq, s, descs - 1, &s[1], 1, buf[i]), 0);
    }
    vq_kick(vq);
    sim_fault(d, fault, 1);
    sim_run();
    assert_true(vq_has_used(vq));

    unsigned returned = 0;
    while ((rc = vq_pop(vq, &cookie, &len)) == -EIO && cookie) {
        unsigned i = (unsigned)(((uint8_t *)cookie - &buf[0][0]) / 16);
        assert_true(i < n);
        assert_false(back[i]);
        back[i] = true;
        assert_int_equal(len, 0);
        returned++;
    }
    assert_int_equal(rc, -EIO);
    assert_null(cookie);
    assert_int_equal(returned, n);
    assert_true(vq->broken);
    assert_false(vq_has_used(vq));
    assert_int_equal(vq->num_free, 8);
    assert_true(os_host_log_contains("broken"));

    /* A broken queue takes nothing more and never notifies again. */
    struct vq_seg s = {os_virt_to_phys(buf[0]), 8};
    uint64_t notifies = sim_stats(d)->notifies;
    assert_int_equal(vq_add(vq, &s, 1, NULL, 0, buf[0]), -EIO);
    vq_kick(vq);
    assert_int_equal(sim_stats(d)->notifies, notifies);
    assert_int_equal(vq_pop(vq, &cookie, &len), -EIO);
    assert_null(cookie);
    assert_int_equal(sim_stats(d)->driver_errors, 0);
    sim_destroy(d);
    os_host_log_clear();
}

static void used_idx_too_far_ahead(void **state)
{
    (void)state;
    expect_broken(SIM_FAULT_USED_IDX_JUMP, true, 4, 2);
    expect_broken(SIM_FAULT_USED_IDX_JUMP, false, 8, 1);
}

static void used_id_out_of_range(void **state)
{
    (void)state;
    expect_broken(SIM_FAULT_USED_ID_RANGE, true, 3, 2);
    expect_broken(SIM_FAULT_USED_ID_RANGE, false, 1, 1);
}

static void used_id_not_a_head(void **state)
{
    (void)state;
    expect_broken(SIM_FAULT_USED_ID_NOT_HEAD, true, 4, 2);  /* the chain's second descriptor */
    expect_broken(SIM_FAULT_USED_ID_NOT_HEAD, false, 3, 1); /* a free descriptor */
}

static void used_len_too_large_is_clamped(void **state)
{
    (void)state;
    struct sim_device *d = echo_dev(true, 8, SIM_COMPLETE_AT_NOTIFY, SIM_ORDER_FIFO, 0);
    struct virtqueue *vq = vq0(d);
    uint8_t out[32], in[20];
    struct vq_seg s_out = {os_virt_to_phys(out), sizeof(out)};
    struct vq_seg s_in = {os_virt_to_phys(in), sizeof(in)};
    uint32_t len;

    sim_fault(d, SIM_FAULT_USED_LEN_LARGE, 1);
    assert_int_equal(vq_add(vq, &s_out, 1, &s_in, 1, out), 0);
    vq_kick(vq);
    assert_ptr_equal(pop_one(vq, &len), out);
    assert_int_equal(len, sizeof(in));
    assert_int_equal(vq->len_clamped, 1);
    /* A chain with nothing writable: any length is too large. */
    sim_fault(d, SIM_FAULT_USED_LEN_LARGE, 1);
    assert_int_equal(vq_add(vq, &s_out, 1, NULL, 0, out), 0);
    vq_kick(vq);
    assert_ptr_equal(pop_one(vq, &len), out);
    assert_int_equal(len, 0);
    assert_int_equal(vq->len_clamped, 2);
    assert_false(vq->broken);
    /* The queue keeps working. */
    pump(d, 100, false);
}

static void no_notify_is_honoured(void **state)
{
    (void)state;
    struct sim_device *d = echo_dev(true, 8, SIM_COMPLETE_AT_NOTIFY, SIM_ORDER_FIFO, 0);
    struct virtqueue *vq = vq0(d);
    uint8_t buf[4];
    struct vq_seg s = {os_virt_to_phys(buf), sizeof(buf)};
    uint32_t len;
    void *cookie;

    vq->used->flags = VRING_USED_F_NO_NOTIFY; /* the device says: don't kick me */
    uint64_t notifies = sim_stats(d)->notifies;
    assert_int_equal(vq_add(vq, &s, 1, NULL, 0, buf), 0);
    vq_kick(vq);
    assert_int_equal(sim_stats(d)->notifies, notifies);
    assert_int_equal(vq->kicks, 0);
    assert_int_equal(vq->avail->idx, 1); /* published all the same */
    assert_int_equal(vq_pop(vq, &cookie, &len), -EAGAIN);
    sim_run(); /* a device that polls finds it */
    assert_ptr_equal(pop_one(vq, &len), buf);

    vq->used->flags = 0;
    assert_int_equal(vq_add(vq, &s, 1, NULL, 0, buf), 0);
    vq_kick(vq);
    assert_int_equal(sim_stats(d)->notifies, notifies + 1);
    assert_int_equal(vq->kicks, 1);
    vq_kick(vq); /* nothing new: no second notify */
    assert_int_equal(vq->kicks, 1);
    assert_ptr_equal(pop_one(vq, &len), buf);
}

static void interrupt_suppression(void **state)
{
    (void)state;
    struct sim_device *d = echo_dev(true, 8, SIM_COMPLETE_AT_NOTIFY, SIM_ORDER_FIFO, 41);
    struct virtqueue *vq = vq0(d);
    uint8_t buf[4];
    struct vq_seg s = {os_virt_to_phys(buf), sizeof(buf)};
    uint32_t len;

    assert_false(sim_vdev(d)->polled);
    vq_disable_cb(vq);
    assert_true(vq->avail->flags & VRING_AVAIL_F_NO_INTERRUPT);
    assert_int_equal(vq_add(vq, &s, 1, NULL, 0, buf), 0);
    vq_kick(vq);
    assert_int_equal(fw_rec.interrupts, 0);
    assert_true(vq_has_used(vq));
    assert_ptr_equal(pop_one(vq, &len), buf);

    vq_enable_cb(vq);
    assert_false(vq->avail->flags & VRING_AVAIL_F_NO_INTERRUPT);
    assert_int_equal(vq_add(vq, &s, 1, NULL, 0, buf), 0);
    vq_kick(vq);
    assert_int_equal(fw_rec.interrupts, 1);
    assert_ptr_equal(pop_one(vq, &len), buf);

    /* A device that forgets to interrupt: the used entry is still there for a poller. */
    sim_fault(d, SIM_FAULT_NO_INTERRUPT, 1);
    assert_int_equal(vq_add(vq, &s, 1, NULL, 0, buf), 0);
    vq_kick(vq);
    assert_int_equal(fw_rec.interrupts, 1);
    assert_ptr_equal(pop_one(vq, &len), buf);
}

/* The ring driven by hand, without a device: completions of chains that are not outstanding. */
static void double_completion_breaks(void **state)
{
    (void)state;
    struct virtio_device vdev;
    struct virtqueue vq;
    uint8_t a[8] = {0}, b[8] = {0};
    struct vq_seg sa = {os_virt_to_phys(a), 8}, sb = {os_virt_to_phys(b), 8};
    void *cookie;
    uint32_t len;

    memset(&vdev, 0, sizeof(vdev));
    assert_int_equal(vq_init(&vq, &vdev, 0, 4, false), 0);
    assert_int_equal(vq_add(&vq, NULL, 0, &sa, 1, a), 0);
    assert_int_equal(vq_add(&vq, NULL, 0, &sb, 1, b), 0);
    uint16_t head_a = vq.avail->ring[0];

    vq.used->ring[0].id = head_a;
    vq.used->ring[0].len = 8;
    vq.used->idx = 1;
    assert_int_equal(vq_pop(&vq, &cookie, &len), 0);
    assert_ptr_equal(cookie, a);
    assert_int_equal(len, 8);
    assert_int_equal(vq_pop(&vq, &cookie, &len), -EAGAIN);

    /* The same head again: it is no longer outstanding. */
    vq.used->ring[1].id = head_a;
    vq.used->ring[1].len = 8;
    vq.used->idx = 2;
    assert_int_equal(vq_pop(&vq, &cookie, &len), -EIO);
    assert_ptr_equal(cookie, b);
    assert_int_equal(vq_pop(&vq, &cookie, &len), -EIO);
    assert_null(cookie);
    assert_int_equal(vq.num_free, 4);
    assert_int_equal(vq_pop(NULL, &cookie, &len), -EINVAL);
    vq_destroy(&vq);
    assert_int_equal(os_host_dma_bytes(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(layouts, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(chains_of_every_length, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(wraps_many_times, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(largest_queue, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(full_queue_and_bad_arguments, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(out_of_order, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(used_idx_too_far_ahead, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(used_id_out_of_range, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(used_id_not_a_head, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(used_len_too_large_is_clamped, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(no_notify_is_honoured, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(interrupt_suppression, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(double_completion_breaks, fw_setup, fw_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
