/* Host tests of VIRTIO_F_RING_EVENT_IDX in the split virtqueue: negotiation (only when both the
 * device and the plugin have it), kicks that follow avail_event, interrupts that follow
 * used_event through vq_disable_cb / vq_enable_cb, and rings wrapping their 16-bit indices many
 * times without a lost completion or wake-up. The simulator plays the device side. */
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
#define F_EVENT   BIT(VIRTIO_F_RING_EVENT_IDX)

/* An echo device whose plugin lists `plugin_features` (VERSION_1 always) and which offers
 * EVENT_IDX when `device_event`. */
static struct sim_device *echo_dev(bool modern, uint16_t qsize, enum sim_completion mode,
                                   enum sim_order order, unsigned irq, bool device_event,
                                   uint64_t plugin_features)
{
    struct sim_params p;
    struct sim_device *d;

    fw_use_test_plugin(ECHO_TYPE, BIT(VIRTIO_F_VERSION_1) | plugin_features);
    fw_cfg.queue_size[0] = qsize;
    sim_params_init(&p, ECHO_TYPE, modern);
    p.irq = irq;
    p.queue_max[0] = modern ? 1024 : qsize;
    if (device_event)
        p.features |= BIT(SIM_F_EVENT_IDX);
    else
        p.features &= ~BIT(SIM_F_EVENT_IDX);
    d = sim_create(&p);
    assert_non_null(d);
    sim_set_completion(d, mode, order);
    assert_int_equal(sim_add(d), 0);
    assert_int_equal(sim_vdev(d)->state, VIRTIO_STATE_READY);
    assert_int_equal(sim_queue_size(d, 0), qsize);
    return d;
}

static struct virtqueue *vq0(struct sim_device *d)
{
    return sim_vdev(d)->vqs[0];
}

/* The two event fields, located the way the spec places them. */
static uint16_t used_event_of(const struct virtqueue *vq)
{
    return *vring_used_event(vq->avail, vq->size);
}

static volatile uint16_t *avail_event_of(const struct virtqueue *vq)
{
    return vring_avail_event(vq->used, vq->size);
}

static void *pop_one(struct virtqueue *vq)
{
    void *cookie = NULL;
    uint32_t len;
    assert_int_equal(vq_pop(vq, &cookie, &len), 0);
    assert_non_null(cookie);
    return cookie;
}

static void negotiated_only_when_both_have_it(void **state)
{
    (void)state;
    for (unsigned modern = 0; modern < 2; modern++) {
        for (unsigned dev_has = 0; dev_has < 2; dev_has++) {
            for (unsigned plug_has = 0; plug_has < 2; plug_has++) {
                fw_reset();
                struct sim_device *d = echo_dev(modern, 16, SIM_COMPLETE_AT_NOTIFY, SIM_ORDER_FIFO,
                                                0, dev_has, plug_has ? F_EVENT : 0);
                bool want = dev_has && plug_has;
                struct virtio_device *vdev = sim_vdev(d);
                assert_int_equal((vdev->features & F_EVENT) != 0, want);
                assert_int_equal(virtio_has_feature(vdev, VIRTIO_F_RING_EVENT_IDX), want);
                assert_int_equal((sim_driver_features(d) & F_EVENT) != 0, want);
                assert_int_equal(vq0(d)->event_idx, want);
                assert_int_equal(sim_stats(d)->driver_errors, 0);
                sim_destroy(d);
            }
        }
    }
}

/* The real blk and net plugins list it, so their devices get it on both kinds of transport. */
static void blk_and_net_plugins_negotiate_it(void **state)
{
    (void)state;
    const uint16_t types[2] = {SIM_TYPE_BLOCK, SIM_TYPE_NET};

    fw_restore_registry();
    for (unsigned t = 0; t < 2; t++) {
        for (unsigned modern = 0; modern < 2; modern++) {
            int rc = -1;
            struct sim_device *d = sim_new(types[t], modern, &rc);
            assert_non_null(d);
            assert_int_equal(rc, 0);
            assert_int_equal(sim_vdev(d)->state, VIRTIO_STATE_READY);
            assert_true(virtio_has_feature(sim_vdev(d), VIRTIO_F_RING_EVENT_IDX));
            for (unsigned q = 0; q < sim_vdev(d)->n_vqs; q++)
                assert_true(sim_vdev(d)->vqs[q]->event_idx);
            sim_destroy(d);
        }
    }
}

/* A kick notifies only when the batch steps over the avail_event the device wrote. */
static void kicks_follow_avail_event(void **state)
{
    (void)state;
    for (unsigned modern = 0; modern < 2; modern++) {
        fw_reset();
        struct sim_device *d =
            echo_dev(modern, 16, SIM_COMPLETE_DEFERRED, SIM_ORDER_FIFO, 0, true, F_EVENT);
        struct virtqueue *vq = vq0(d);
        uint8_t buf[5][4];
        struct vq_seg s[5];
        const struct sim_stats *st = sim_stats(d);

        for (unsigned i = 0; i < 5; i++)
            s[i] = (struct vq_seg){os_virt_to_phys(buf[i]), sizeof(buf[i])};

        assert_int_equal(vq_add(vq, &s[0], 1, NULL, 0, buf[0]), 0);
        vq_kick(vq);
        assert_int_equal(st->notifies, 1);
        /* The device has not fetched entry 0 yet: it is coming back, no second notify. */
        assert_int_equal(vq_add(vq, &s[1], 1, NULL, 0, buf[1]), 0);
        vq_kick(vq);
        assert_int_equal(st->notifies, 1);
        assert_int_equal(vq->avail->idx, 2);

        assert_int_equal(sim_run(), 2);
        assert_int_equal(*avail_event_of(vq), 2);
        assert_ptr_equal(pop_one(vq), buf[0]);
        assert_ptr_equal(pop_one(vq), buf[1]);

        /* Caught up: the next kick is needed. */
        assert_int_equal(vq_add(vq, &s[2], 1, NULL, 0, buf[2]), 0);
        vq_kick(vq);
        assert_int_equal(st->notifies, 2);
        assert_int_equal(sim_run(), 1);
        assert_ptr_equal(pop_one(vq), buf[2]);
        assert_int_equal(*avail_event_of(vq), 3);

        /* A device that asks to hear only once entry 4 is published (one past the next). */
        *avail_event_of(vq) = 4;
        assert_int_equal(vq_add(vq, &s[3], 1, NULL, 0, buf[3]), 0);
        vq_kick(vq);
        assert_int_equal(st->notifies, 2);
        assert_int_equal(vq_add(vq, &s[4], 1, NULL, 0, buf[4]), 0);
        vq_kick(vq);
        assert_int_equal(st->notifies, 3);
        assert_int_equal(vq->kicks, 3);
        /* Nothing new: no notify at all. */
        vq_kick(vq);
        assert_int_equal(st->notifies, 3);

        assert_int_equal(sim_run(), 2);
        assert_ptr_equal(pop_one(vq), buf[3]);
        assert_ptr_equal(pop_one(vq), buf[4]);
        assert_false(vq_has_used(vq));
        assert_int_equal(st->driver_errors, 0);
        sim_destroy(d);
    }
}

/* One request through an AT_NOTIFY device: completes inside the kick. */
static void one_request(struct virtqueue *vq, const struct vq_seg *s, void *cookie, bool pop)
{
    assert_int_equal(vq_add(vq, s, 1, NULL, 0, cookie), 0);
    vq_kick(vq);
    assert_true(vq_has_used(vq));
    if (pop)
        assert_ptr_equal(pop_one(vq), cookie);
}

/* The device ignores avail->flags once EVENT_IDX is negotiated (virtio 1.2, 2.7.10): only
 * used_event keeps it quiet, through disable, enable and more than one index wrap. */
static void interrupts_follow_used_event(void **state)
{
    (void)state;
    struct sim_device *d =
        echo_dev(true, 8, SIM_COMPLETE_AT_NOTIFY, SIM_ORDER_FIFO, 41, true, F_EVENT);
    struct virtqueue *vq = vq0(d);
    uint8_t buf[2][4];
    struct vq_seg s[2] = {{os_virt_to_phys(buf[0]), 4}, {os_virt_to_phys(buf[1]), 4}};
    const struct sim_stats *st = sim_stats(d);

    assert_false(sim_vdev(d)->polled);
    assert_true(vq->event_idx);

    vq_disable_cb(vq);
    assert_int_equal(used_event_of(vq), (uint16_t)(vq->last_used_idx - 1u));
    for (unsigned i = 0; i < 3; i++)
        one_request(vq, &s[0], buf[0], true);
    assert_int_equal(fw_rec.interrupts, 0);
    assert_int_equal(st->irqs, 0);

    vq_enable_cb(vq);
    assert_int_equal(used_event_of(vq), vq->last_used_idx);
    one_request(vq, &s[0], buf[0], false);
    assert_int_equal(fw_rec.interrupts, 1);
    /* Entry 3 has been signalled and not yet consumed: the next one raises nothing. */
    one_request(vq, &s[1], buf[1], false);
    assert_int_equal(fw_rec.interrupts, 1);
    assert_ptr_equal(pop_one(vq), buf[0]);
    assert_ptr_equal(pop_one(vq), buf[1]);
    /* Consuming re-armed it for the next entry. */
    assert_int_equal(used_event_of(vq), vq->last_used_idx);
    one_request(vq, &s[0], buf[0], true);
    assert_int_equal(fw_rec.interrupts, 2);
    one_request(vq, &s[0], buf[0], true);
    assert_int_equal(fw_rec.interrupts, 3);

    /* Disabled for longer than the 16-bit index range, consuming as it goes: never a word. */
    vq_disable_cb(vq);
    for (unsigned i = 0; i < 70000; i++)
        one_request(vq, &s[i & 1], buf[i & 1], true);
    assert_int_equal(fw_rec.interrupts, 3);
    assert_int_equal(st->irqs, 3);
    assert_int_equal(vq->completions, 70007);

    vq_enable_cb(vq);
    one_request(vq, &s[0], buf[0], true);
    assert_int_equal(fw_rec.interrupts, 4);
    assert_int_equal(st->driver_errors, 0);
}

/* Requests in flight, with an echo of their sequence number to check what comes back. */
#define WRAP_QSIZE 64
#define WRAP_SLOTS (WRAP_QSIZE / 2) /* two descriptors per chain */
struct wrap_req {
    uint64_t seq;  /* device-readable */
    uint64_t echo; /* device-writable */
    bool busy;
};

static unsigned wrap_add(struct virtqueue *vq, struct wrap_req *reqs, unsigned n, uint64_t *seq)
{
    unsigned added = 0;
    for (unsigned i = 0; i < WRAP_SLOTS && added < n; i++) {
        struct wrap_req *r = &reqs[i];
        if (r->busy)
            continue;
        r->seq = (*seq)++;
        r->echo = ~0ull;
        r->busy = true;
        struct vq_seg out = {os_virt_to_phys(&r->seq), sizeof(r->seq)};
        struct vq_seg in = {os_virt_to_phys(&r->echo), sizeof(r->echo)};
        assert_int_equal(vq_add(vq, &out, 1, &in, 1, r), 0);
        added++;
    }
    assert_int_equal(added, n);
    return added;
}

static unsigned wrap_collect(struct virtqueue *vq, struct wrap_req *reqs)
{
    unsigned got = 0;
    void *cookie;
    uint32_t len;
    int rc;

    while ((rc = vq_pop(vq, &cookie, &len)) == 0) {
        struct wrap_req *r = cookie;
        assert_true(r >= reqs && r < reqs + WRAP_SLOTS);
        assert_true(r->busy);
        assert_int_equal(len, sizeof(r->echo));
        assert_int_equal(r->echo, r->seq);
        r->busy = false;
        got++;
    }
    assert_int_equal(rc, -EAGAIN);
    return got;
}

/* More than 70,000 requests in uneven batches, completed out of order by a deferred device:
 * both 16-bit indices wrap. Each round makes two batches available with a kick after each (the
 * second must be suppressed: the device has not caught up), then either sleeps with interrupts
 * on (exactly one interrupt must come) or watches with them off (none may come). */
static void wraps_without_lost_wakeups(void **state)
{
    (void)state;
    struct sim_device *d =
        echo_dev(true, WRAP_QSIZE, SIM_COMPLETE_DEFERRED, SIM_ORDER_SHUFFLE, 42, true, F_EVENT);
    struct virtqueue *vq = vq0(d);
    static struct wrap_req reqs[WRAP_SLOTS];
    const struct sim_stats *st = sim_stats(d);
    uint64_t seq = 0, done = 0, rounds = 0, sleeps = 0;

    memset(reqs, 0, sizeof(reqs));
    while (done < 75000) {
        unsigned b1 = 1 + (unsigned)(rounds * 7 % 20);
        unsigned b2 = (unsigned)(rounds * 13 % (WRAP_SLOTS - b1 + 1));
        uint64_t notifies = st->notifies, irqs = fw_rec.interrupts;

        wrap_add(vq, reqs, b1, &seq);
        vq_kick(vq);
        assert_int_equal(st->notifies, notifies + 1);
        if (b2) {
            wrap_add(vq, reqs, b2, &seq);
            vq_kick(vq);
            assert_int_equal(st->notifies, notifies + 1);
        }
        if (rounds % 3 == 0) {
            vq_disable_cb(vq);
            assert_false(vq_has_used(vq));
            assert_int_equal(sim_run(), b1 + b2);
            assert_int_equal(fw_rec.interrupts, irqs);
            assert_true(vq_has_used(vq));
        } else {
            vq_enable_cb(vq);
            assert_false(vq_has_used(vq));
            /* "Sleep": the device runs, and the wake-up must come. */
            assert_int_equal(sim_run(), b1 + b2);
            assert_int_equal(fw_rec.interrupts, irqs + 1);
            sleeps++;
        }
        assert_int_equal(wrap_collect(vq, reqs), b1 + b2);
        done += b1 + b2;
        rounds++;
    }
    assert_int_equal(seq, done);
    assert_int_equal(st->chains, done);
    assert_int_equal(vq->completions, done);
    assert_int_equal(st->notifies, rounds);
    assert_int_equal(fw_rec.interrupts, sleeps);
    assert_int_equal(vq->num_free, WRAP_QSIZE);
    assert_int_equal(vq->last_used_idx, (uint16_t)done);
    assert_int_equal(st->driver_errors, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(negotiated_only_when_both_have_it, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(blk_and_net_plugins_negotiate_it, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(kicks_follow_avail_event, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(interrupts_follow_used_event, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(wraps_without_lost_wakeups, fw_setup, fw_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
