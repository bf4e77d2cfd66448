/* Shared virtqueue scenarios for the host tests (see test_vq_util.h). */
#include "test_vq_util.h"

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
#include <virtio_gen/virtio_ids.h>

#include "fw_testdrv.h"
#include "virtqueue_priv.h"

#define ECHO_TYPE 3
#define BIT(n)    (1ull << (n))

struct sim_device *vqt_echo(bool modern, uint16_t qsize, enum sim_completion mode,
                            enum sim_order order, unsigned irq, unsigned flags)
{
    uint64_t plugin = BIT(VIRTIO_F_VERSION_1);
    struct sim_params p;
    struct sim_device *d;

    if (!(flags & VQT_NO_EVENT))
        plugin |= BIT(VIRTIO_F_RING_EVENT_IDX);
    if (flags & VQT_PACKED)
        plugin |= BIT(VIRTIO_F_RING_PACKED);
    if (flags & VQT_INDIRECT)
        plugin |= BIT(VIRTIO_F_RING_INDIRECT_DESC);
    fw_use_test_plugin(ECHO_TYPE, plugin);
    fw_cfg.queue_size[0] = qsize;
    sim_params_init(&p, ECHO_TYPE, modern);
    p.irq = irq;
    p.queue_max[0] = modern ? 32768 : qsize;
    if (flags & (VQT_PACKED | VQT_DEVICE_PACKED))
        p.features |= BIT(SIM_F_RING_PACKED);
    if (flags & VQT_ACCESS_PLATFORM)
        p.features |= BIT(SIM_F_ACCESS_PLATFORM);
    d = sim_create(&p);
    assert_non_null(d);
    sim_set_completion(d, mode, order);
    assert_int_equal(sim_add(d), 0);
    assert_int_equal(sim_vdev(d)->state, VIRTIO_STATE_READY);
    assert_int_equal(sim_queue_size(d, 0), qsize);
    if (flags & VQT_INDIRECT)
        assert_int_equal(vq_use_indirect(vqt_vq(d), 16, 3), 0);
    return d;
}

struct virtqueue *vqt_vq(struct sim_device *d)
{
    return sim_vdev(d)->vqs[0];
}

static void *pop_one(struct virtqueue *vq, uint32_t *len)
{
    void *cookie = NULL;
    assert_int_equal(vq_pop(vq, &cookie, len), 0);
    assert_non_null(cookie);
    return cookie;
}

struct req {
    uint32_t id;
    uint32_t want_len;
    bool done;
    uint8_t in[24];
    uint8_t out[24];
};

void vqt_pump(struct sim_device *d, unsigned total, bool deferred)
{
    struct virtqueue *vq = vqt_vq(d);
    const unsigned slots = vq_size(vq);
    struct req *reqs = calloc(slots, sizeof(*reqs));
    unsigned next = 0, completed = 0, in_flight = 0;
    uint32_t seed = 12345;
    const uint64_t completions0 = vq->completions;
    const uint64_t clamped0 = vq->len_clamped;

    assert_non_null(reqs);
    while (completed < total) {
        for (unsigned s = 0; s < slots && next < total; s++) {
            struct req *r = &reqs[s];
            if (r->id != 0 && !r->done)
                continue;
            seed = seed * 1103515245u + 12345u;
            /* 1..4 readable pieces of the 12-byte message, and 0 or 1 writable one. */
            unsigned n_out = 1 + (seed >> 16) % 4, n_in = (seed >> 20) % 3 ? 1 : 0;
            if (n_out + n_in > slots)
                n_out = slots - n_in;
            struct vq_seg out[4], in[1];
            if (!vq_chain_fits(vq, vq_chain_cost(vq, n_out + n_in)))
                break;
            memset(r, 0, sizeof(*r));
            r->id = next + 1;
            memcpy(r->out, &r->id, sizeof(r->id));
            memset(r->out + 4, (int)(r->id & 0xff), 8);
            for (unsigned i = 0; i < n_out; i++) {
                uint32_t piece = 12 / n_out;
                out[i] = (struct vq_seg){os_virt_to_phys(r->out + i * piece),
                                         i + 1 == n_out ? 12 - i * piece : piece};
            }
            in[0] = (struct vq_seg){os_virt_to_phys(r->in), 1 + r->id % 23};
            r->want_len = n_in ? (in[0].len < 12 ? in[0].len : 12) : 0;
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
            assert_memory_equal(r->in, r->out, len);
            r->done = true;
            completed++;
            in_flight--;
        }
        assert_int_equal(rc, -EAGAIN);
    }
    assert_int_equal(in_flight, 0);
    assert_int_equal(vq->completions - completions0, total);
    assert_int_equal(vq->num_free, vq->size);
    assert_false(vq_broken(vq));
    assert_false(vq_has_used(vq));
    assert_int_equal(vq->len_clamped, clamped0);
    assert_int_equal(sim_stats(d)->driver_errors, 0);
    free(reqs);
}

void vqt_chains_of_every_length(struct sim_device *d, unsigned qsize)
{
    struct virtqueue *vq = vqt_vq(d);
    uint8_t(*out_buf)[32] = calloc(qsize, 32), (*in_buf)[32] = calloc(qsize, 32);
    struct vq_seg *out = calloc(qsize, sizeof(*out)), *in = calloc(qsize, sizeof(*in));
    uint8_t *stream = calloc(qsize, 32);

    assert_true(out_buf && in_buf && out && in && stream);
    for (unsigned n = 1; n <= qsize; n++) {
        for (unsigned variant = 0; variant < 3; variant++) {
            unsigned n_out = variant == 0 ? n / 2 : variant == 1 ? n : 0;
            unsigned n_in = n - n_out;
            size_t r = 0, w = 0;

            memset(in_buf, 0xee, (size_t)qsize * 32);
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
            assert_int_equal(vq->num_free, qsize - vq_chain_cost(vq, n));
            vq_kick(vq);

            uint32_t len;
            assert_ptr_equal(pop_one(vq, &len), &out_buf[n - 1]);
            size_t expect = r < w ? r : w;
            assert_int_equal(len, expect);
            size_t off = 0;
            for (unsigned i = 0; i < n_in && off < expect; i++) {
                size_t take = in[i].len < expect - off ? in[i].len : expect - off;
                assert_memory_equal(in_buf[i], stream + off, take);
                if (take < in[i].len)
                    assert_int_equal(in_buf[i][take], 0xee);
                off += take;
            }
            assert_int_equal(vq->num_free, qsize);
            assert_false(vq_has_used(vq));
        }
    }
    assert_int_equal(sim_stats(d)->driver_errors, 0);
    assert_false(vq_broken(vq));
    free(out_buf);
    free(in_buf);
    free(out);
    free(in);
    free(stream);
}

void vqt_full_queue(struct sim_device *d)
{
    struct virtqueue *vq = vqt_vq(d);
    uint8_t buf[16];
    struct vq_seg seg = {os_virt_to_phys(buf), sizeof(buf)};
    struct vq_seg segs[9];
    int cookies[9];
    void *cookie;
    uint32_t len;

    for (unsigned i = 0; i < 9; i++)
        segs[i] = seg;
    assert_int_equal(vq_add(vq, segs, 5, segs, 4, &cookies[0]), -EINVAL); /* > the queue */
    assert_int_equal(vq_add(vq, segs, 3, segs, 4, &cookies[0]), 0);       /* 7 descriptors */
    assert_int_equal(vq_add(vq, segs, 1, segs, 1, &cookies[1]), -ENOSPC);
    assert_int_equal(vq_add(vq, segs, 0, segs, 1, &cookies[1]), 0);
    assert_int_equal(vq->num_free, 0);
    assert_false(vq_chain_fits(vq, 1));
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
    for (unsigned i = 0; i < 8; i++)
        assert_int_equal(vq_add(vq, &seg, 1, NULL, 0, &cookies[i]), 0);
    assert_int_equal(vq_add(vq, &seg, 1, NULL, 0, &cookies[8]), -ENOSPC);
    vq_kick(vq);
    sim_run();
    for (unsigned i = 0; i < 8; i++)
        assert_ptr_equal(pop_one(vq, &len), &cookies[i]);
    assert_int_equal(sim_stats(d)->driver_errors, 0);
}

void vqt_out_of_order(struct sim_device *d, enum sim_order order)
{
    struct virtqueue *vq = vqt_vq(d);
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
    if (order == SIM_ORDER_REVERSE)
        assert_int_equal(first, 15);
    assert_true(in_order < 16);
    assert_int_equal(vq->num_free, vq->size);
    assert_int_equal(sim_stats(d)->driver_errors, 0);
    vqt_pump(d, 1000, true);
}

void vqt_expect_broken(enum sim_fault fault, unsigned flags, unsigned n, unsigned descs,
                       unsigned ok_first)
{
    struct sim_device *d = vqt_echo(true, 8, SIM_COMPLETE_DEFERRED, SIM_ORDER_FIFO, 0, flags);
    struct virtqueue *vq = vqt_vq(d);
    uint8_t buf[8][16];
    bool back[8] = {false};
    void *cookie;
    uint32_t len;
    int rc;

    for (unsigned i = 0; i < n; i++) {
        struct vq_seg s[4];
        for (unsigned k = 0; k < 4; k++)
            s[k] = (struct vq_seg){os_virt_to_phys(buf[i] + 4 * k), 4};
        assert_int_equal(vq_add(vq, s, descs - 1, &s[descs - 1], 1, buf[i]), 0);
    }
    vq_kick(vq);
    sim_fault(d, fault, 1);
    sim_run();
    assert_true(vq_has_used(vq));

    unsigned returned = 0;
    for (unsigned k = 0; k < ok_first; k++) {
        cookie = pop_one(vq, &len);
        unsigned i = (unsigned)(((uint8_t *)cookie - &buf[0][0]) / 16);
        assert_true(i < n);
        back[i] = true;
        returned++;
    }
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
    assert_true(vq_broken(vq));
    assert_false(vq_has_used(vq));
    assert_int_equal(vq->num_free, 8);
    assert_true(os_host_log_contains("broken"));

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

void vqt_len_clamped(struct sim_device *d)
{
    struct virtqueue *vq = vqt_vq(d);
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
    sim_fault(d, SIM_FAULT_USED_LEN_LARGE, 1);
    assert_int_equal(vq_add(vq, &s_out, 1, NULL, 0, out), 0);
    vq_kick(vq);
    assert_ptr_equal(pop_one(vq, &len), out);
    assert_int_equal(len, 0);
    assert_int_equal(vq->len_clamped, 2);
    assert_false(vq_broken(vq));
    vqt_pump(d, 100, false);
}

void vqt_interrupt_suppression(struct sim_device *d)
{
    struct virtqueue *vq = vqt_vq(d);
    uint8_t buf[4];
    struct vq_seg s = {os_virt_to_phys(buf), sizeof(buf)};
    uint32_t len;

    assert_false(sim_vdev(d)->polled);
    vq_disable_cb(vq);
    unsigned irqs = fw_rec.interrupts;
    assert_int_equal(vq_add(vq, &s, 1, NULL, 0, buf), 0);
    vq_kick(vq);
    assert_int_equal(fw_rec.interrupts, irqs);
    assert_true(vq_has_used(vq));
    assert_ptr_equal(pop_one(vq, &len), buf);

    vq_enable_cb(vq);
    assert_int_equal(vq_add(vq, &s, 1, NULL, 0, buf), 0);
    vq_kick(vq);
    assert_int_equal(fw_rec.interrupts, irqs + 1);
    assert_ptr_equal(pop_one(vq, &len), buf);

    sim_fault(d, SIM_FAULT_NO_INTERRUPT, 1);
    assert_int_equal(vq_add(vq, &s, 1, NULL, 0, buf), 0);
    vq_kick(vq);
    assert_int_equal(fw_rec.interrupts, irqs + 1);
    assert_ptr_equal(pop_one(vq, &len), buf);
}
