/* Host tests of the packed virtqueue (virtio 1.2, 2.8) against the simulated device: layout and
 * negotiation (modern only, the ring policy), wrap-around with more than 100,000 requests on
 * queues of 8, 256 and 1024, chains of every length, a full queue, out-of-order completion,
 * event suppression in both modes, every used-element misbehaviour ending in a broken queue
 * that hands back each outstanding cookie once, and a device that rewrites an available
 * descriptor (the simulator's DMA check). */
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
#include "test_vq_util.h"

static void layout_and_negotiation(void **state)
{
    (void)state;
    struct virtio_device vdev;
    struct virtqueue vq;

    memset(&vdev, 0, sizeof(vdev));
    for (unsigned n = 1; n <= 32768; n *= 2) {
        assert_int_equal(vq_init_packed(&vq, &vdev, 0, (uint16_t)n), 0);
        assert_true(vq_packed(&vq));
        assert_int_equal(vq.desc_pa % 16, 0);
        assert_int_equal(vq.avail_pa, vq.desc_pa + 16ull * n); /* driver event suppression */
        assert_int_equal(vq.used_pa, vq.avail_pa + 4);         /* device event suppression */
        assert_int_equal(vq.num_free, n);
        assert_true(vq.avail_wrap && vq.used_wrap);
        uint32_t pfn;
        assert_false(vq_legacy_pfn(&vq, 4096, &pfn));
        vq_destroy(&vq);
    }
    assert_int_equal(vq_init_packed(&vq, &vdev, 0, 0), -EINVAL);
    assert_int_equal(vq_init_packed(&vq, &vdev, 0, 12), -EINVAL);

    /* Both sides have it: packed. */
    struct sim_device *d =
        vqt_echo(true, 64, SIM_COMPLETE_AT_NOTIFY, SIM_ORDER_FIFO, 0, VQT_PACKED);
    assert_true(virtio_has_feature(sim_vdev(d), VIRTIO_F_RING_PACKED));
    assert_true(vq_packed(vqt_vq(d)));
    sim_destroy(d);
    /* The plugin without it: split. */
    d = vqt_echo(true, 64, SIM_COMPLETE_AT_NOTIFY, SIM_ORDER_FIFO, 0, VQT_DEVICE_PACKED);
    assert_false(virtio_has_feature(sim_vdev(d), VIRTIO_F_RING_PACKED));
    assert_false(vq_packed(vqt_vq(d)));
    sim_destroy(d);
    /* virtio.ring=split: split although both have it. */
    virtio_set_ring_policy(VIRTIO_RING_SPLIT);
    d = vqt_echo(true, 64, SIM_COMPLETE_AT_NOTIFY, SIM_ORDER_FIFO, 0, VQT_PACKED);
    virtio_set_ring_policy(VIRTIO_RING_AUTO);
    assert_false(virtio_has_feature(sim_vdev(d), VIRTIO_F_RING_PACKED));
    assert_false(vq_packed(vqt_vq(d)));
    vqt_pump(d, 1000, false);
    sim_destroy(d);
    /* A legacy device never gets it (bit 34 does not exist there). */
    d = vqt_echo(false, 64, SIM_COMPLETE_AT_NOTIFY, SIM_ORDER_FIFO, 0, VQT_PACKED);
    assert_false(virtio_has_feature(sim_vdev(d), VIRTIO_F_RING_PACKED));
    assert_false(vq_packed(vqt_vq(d)));
}

static void access_platform_accepted_on_modern(void **state)
{
    (void)state;
    struct sim_device *d = vqt_echo(true, 16, SIM_COMPLETE_AT_NOTIFY, SIM_ORDER_FIFO, 0,
                                    VQT_PACKED | VQT_ACCESS_PLATFORM);
    assert_true(virtio_has_feature(sim_vdev(d), VIRTIO_F_ACCESS_PLATFORM));
    assert_true(sim_driver_features(d) & (1ull << SIM_F_ACCESS_PLATFORM));
    vqt_pump(d, 500, false);
    sim_destroy(d);
    /* Not offered: not taken. */
    d = vqt_echo(true, 16, SIM_COMPLETE_AT_NOTIFY, SIM_ORDER_FIFO, 0, VQT_PACKED);
    assert_false(virtio_has_feature(sim_vdev(d), VIRTIO_F_ACCESS_PLATFORM));
}

static void wraps_many_times(void **state)
{
    (void)state;
    static const uint16_t sizes[] = {8, 256, 1024};
    for (unsigned i = 0; i < 3; i++) {
        struct sim_device *d =
            vqt_echo(true, sizes[i], SIM_COMPLETE_AT_NOTIFY, SIM_ORDER_FIFO, 0, VQT_PACKED);
        vqt_pump(d, 110000, false);
        sim_destroy(d);
        d = vqt_echo(true, sizes[i], SIM_COMPLETE_DEFERRED, SIM_ORDER_SHUFFLE, 0, VQT_PACKED);
        vqt_pump(d, 110000, true);
        sim_destroy(d);
    }
}

static void chains_of_every_length(void **state)
{
    (void)state;
    struct sim_device *d =
        vqt_echo(true, 64, SIM_COMPLETE_AT_NOTIFY, SIM_ORDER_FIFO, 0, VQT_PACKED);
    /* Starting at every ring position, so chains straddle the wrap too. */
    for (unsigned shift = 0; shift < 3; shift++) {
        vqt_chains_of_every_length(d, 64);
        vqt_pump(d, 7, false);
    }
    assert_int_equal(sim_stats(d)->max_chain_segs, 64);
}

static void full_queue(void **state)
{
    (void)state;
    struct sim_device *d = vqt_echo(true, 8, SIM_COMPLETE_DEFERRED, SIM_ORDER_FIFO, 0, VQT_PACKED);
    vqt_full_queue(d);
}

static void out_of_order(void **state)
{
    (void)state;
    const enum sim_order orders[] = {SIM_ORDER_REVERSE, SIM_ORDER_SHUFFLE};
    for (unsigned o = 0; o < 2; o++) {
        struct sim_device *d = vqt_echo(true, 32, SIM_COMPLETE_DEFERRED, orders[o], 0, VQT_PACKED);
        vqt_out_of_order(d, orders[o]);
        sim_destroy(d);
    }
}

/* Out of order with chains of different lengths, the ring driven by hand as a device would: a
 * short chain completed first frees ring slots, and the driver reuses them (overwriting the
 * head of a longer chain placed earlier, which the device has already read) while that chain
 * is still out. */
static void hand_used(struct virtqueue *vq, uint16_t pos, uint16_t id, uint32_t len, bool wrap)
{
    vq->pdesc[pos].id = id;
    vq->pdesc[pos].len = len;
    vq->pdesc[pos].flags =
        wrap ? (uint16_t)(VRING_PACKED_DESC_F_AVAIL | VRING_PACKED_DESC_F_USED) : 0;
}

static void slots_reused_around_a_long_chain(void **state)
{
    (void)state;
    struct virtio_device vdev;
    struct virtqueue vq;
    uint8_t buf[16][4] = {{0}};
    struct vq_seg s[16];
    void *cookie;
    uint32_t len;

    memset(&vdev, 0, sizeof(vdev));
    for (unsigned i = 0; i < 16; i++)
        s[i] = (struct vq_seg){os_virt_to_phys(buf[i]), 4};
    assert_int_equal(vq_init_packed(&vq, &vdev, 0, 16), 0);
    assert_int_equal(vq_add(&vq, s, 9, &s[9], 1, buf[0]), 0); /* A: slots 0..9 */
    assert_int_equal(vq_add(&vq, s, 1, &s[1], 1, buf[1]), 0); /* B: 10..11 */
    assert_int_equal(vq_add(&vq, s, 1, &s[2], 1, buf[2]), 0); /* C: 12..13 */
    assert_int_equal(vq_add(&vq, s, 1, &s[3], 1, buf[3]), 0); /* D: 14..15 */
    assert_int_equal(vq.num_free, 0);
    uint16_t id_a = vq.pdesc[0].id, id_b = vq.pdesc[10].id, id_c = vq.pdesc[12].id;
    uint16_t id_d = vq.pdesc[14].id;
    assert_int_equal(vq.pdesc[9].id, id_a);
    /* The device finishes D first: its element goes at position 0, over A's head. */
    hand_used(&vq, 0, id_d, 4, true);
    assert_int_equal(vq_pop(&vq, &cookie, &len), 0);
    assert_ptr_equal(cookie, buf[3]);
    assert_int_equal(vq.last_used, 2); /* D took two slots */
    /* E goes where the ring wraps: positions 0 and 1, A still out. */
    assert_int_equal(vq_add(&vq, s, 1, &s[4], 1, buf[4]), 0);
    assert_false(vq.avail_wrap);
    uint16_t id_e = vq.pdesc[0].id;
    assert_int_equal(vq.pdesc[0].flags & (VRING_PACKED_DESC_F_AVAIL | VRING_PACKED_DESC_F_USED),
                     VRING_PACKED_DESC_F_USED); /* available in lap 0 */
    /* Then A (element at 2, the device skips A's ten slots), B, C, and E in the next lap. */
    hand_used(&vq, 2, id_a, 4, true);
    hand_used(&vq, 12, id_b, 4, true);
    hand_used(&vq, 14, id_c, 4, true);
    assert_int_equal(vq_pop(&vq, &cookie, &len), 0);
    assert_ptr_equal(cookie, buf[0]);
    assert_int_equal(vq.last_used, 12);
    assert_int_equal(vq_pop(&vq, &cookie, &len), 0);
    assert_ptr_equal(cookie, buf[1]);
    assert_int_equal(vq_pop(&vq, &cookie, &len), 0);
    assert_ptr_equal(cookie, buf[2]);
    assert_int_equal(vq.last_used, 0);
    assert_false(vq.used_wrap);
    assert_int_equal(vq_pop(&vq, &cookie, &len), -EAGAIN); /* E not done yet */
    hand_used(&vq, 0, id_e, 4, false);
    assert_int_equal(vq_pop(&vq, &cookie, &len), 0);
    assert_ptr_equal(cookie, buf[4]);
    assert_int_equal(vq.num_free, 16);
    assert_false(vq.broken);
    vq_destroy(&vq);
}

static void used_id_out_of_range(void **state)
{
    (void)state;
    vqt_expect_broken(SIM_FAULT_USED_ID_RANGE, VQT_PACKED, 3, 2, 0);
    vqt_expect_broken(SIM_FAULT_USED_ID_RANGE, VQT_PACKED, 1, 1, 0);
}

static void used_id_not_outstanding(void **state)
{
    (void)state;
    vqt_expect_broken(SIM_FAULT_USED_ID_NOT_HEAD, VQT_PACKED, 4, 2, 0);
    vqt_expect_broken(SIM_FAULT_USED_ID_NOT_HEAD, VQT_PACKED, 1, 1, 0);
}

static void used_wrong_wrap_counter(void **state)
{
    (void)state;
    vqt_expect_broken(SIM_FAULT_USED_WRAP, VQT_PACKED, 4, 2, 0);
    vqt_expect_broken(SIM_FAULT_USED_WRAP, VQT_PACKED, 1, 1, 0);
}

static void used_beyond_what_was_made_available(void **state)
{
    (void)state;
    /* The device writes a second element for the first chain: with more out, the second one
     * names a buffer id no longer outstanding; with nothing out, it sits where nothing was made
     * available. Either way the first completion is good and the rest fail. */
    vqt_expect_broken(SIM_FAULT_USED_IDX_JUMP, VQT_PACKED, 4, 2, 1);
    vqt_expect_broken(SIM_FAULT_USED_IDX_JUMP, VQT_PACKED, 1, 1, 1);
}

static void used_len_past_the_buffer_is_clamped(void **state)
{
    (void)state;
    struct sim_device *d = vqt_echo(true, 8, SIM_COMPLETE_AT_NOTIFY, SIM_ORDER_FIFO, 0, VQT_PACKED);
    vqt_len_clamped(d);
}

/* Hand-driven ring, no device: a wrong wrap counter and an element where nothing is out. */
static void hand_driven_elements(void **state)
{
    (void)state;
    struct virtio_device vdev;
    struct virtqueue vq;
    uint8_t a[8] = {0}, b[8] = {0};
    struct vq_seg sa = {os_virt_to_phys(a), 8}, sb = {os_virt_to_phys(b), 8};
    void *cookie;
    uint32_t len;

    memset(&vdev, 0, sizeof(vdev));
    assert_int_equal(vq_init_packed(&vq, &vdev, 0, 4), 0);
    /* Zeroed ring, nothing out: nothing to take. */
    assert_false(vq_has_used(&vq));
    assert_int_equal(vq_pop(&vq, &cookie, &len), -EAGAIN);
    assert_int_equal(vq_add(&vq, NULL, 0, &sa, 1, a), 0);
    assert_int_equal(vq.pdesc[0].flags, VRING_PACKED_DESC_F_AVAIL | VRING_DESC_F_WRITE);
    assert_int_equal(vq.pdesc[0].id, 0);
    assert_int_equal(vq_pop(&vq, &cookie, &len), -EAGAIN); /* available, not used */
    /* Used in this lap (wrap 1): AVAIL = USED = 1. */
    vq.pdesc[0].len = 5;
    vq.pdesc[0].flags = VRING_PACKED_DESC_F_AVAIL | VRING_PACKED_DESC_F_USED;
    assert_true(vq_has_used(&vq));
    assert_int_equal(vq_pop(&vq, &cookie, &len), 0);
    assert_ptr_equal(cookie, a);
    assert_int_equal(len, 5);
    /* Nothing out, yet an element in this lap at position 1: made up. */
    vq.pdesc[1].flags = VRING_PACKED_DESC_F_AVAIL | VRING_PACKED_DESC_F_USED;
    assert_true(vq_has_used(&vq));
    assert_int_equal(vq_pop(&vq, &cookie, &len), -EIO);
    assert_null(cookie);
    assert_true(vq.broken);
    vq_destroy(&vq);

    /* Wrong wrap: AVAIL = USED = 0 while the lap's counter is 1. */
    assert_int_equal(vq_init_packed(&vq, &vdev, 0, 4), 0);
    assert_int_equal(vq_add(&vq, NULL, 0, &sa, 1, a), 0);
    assert_int_equal(vq_add(&vq, &sb, 1, NULL, 0, b), 0);
    vq.pdesc[0].flags = 0;
    assert_int_equal(vq_pop(&vq, &cookie, &len), -EIO);
    assert_non_null(cookie);
    assert_int_equal(vq_pop(&vq, &cookie, &len), -EIO);
    assert_non_null(cookie);
    assert_int_equal(vq_pop(&vq, &cookie, &len), -EIO);
    assert_null(cookie);
    assert_int_equal(vq.num_free, 4);
    vq_destroy(&vq);
    assert_int_equal(os_host_dma_bytes(), 0);
}

/* The fuzz_vq_used finding (corpus/fuzz_vq_used/regress-packed-rewritten-len): the device
 * writes a used element's length over a descriptor it has not read yet, then reads that
 * descriptor as the driver's and echoes past the 7-byte element the driver gave, over what
 * follows it (the fuzz target's records: "held 10 + free 1 != size 16"). The driver's own
 * accounting never moves; the simulator's DMA check stops such a device before it writes. */
struct rewrite_mem {
    uint8_t out[64];
    uint8_t in[7];
    uint8_t after[57];
};

static bool only_the_elements(void *arg, uint64_t addr, uint64_t len)
{
    const struct rewrite_mem *m = arg;
    uint64_t out = os_virt_to_phys(m->out), in = os_virt_to_phys(m->in);

    return (addr == out && len <= sizeof(m->out)) || (addr == in && len <= sizeof(m->in));
}

/* Adds the chain (64 readable bytes, 7 writable), rewrites the writable descriptor's length to
 * 48 as the hostile device did, lets the device run; returns the bytes after the element it
 * wrote over. */
static unsigned rewritten_len_run(bool dma_check)
{
    struct sim_device *d = vqt_echo(true, 16, SIM_COMPLETE_DEFERRED, SIM_ORDER_FIFO, 0, VQT_PACKED);
    struct virtqueue *vq = vqt_vq(d);
    struct rewrite_mem m;
    struct vq_seg out = {os_virt_to_phys(m.out), sizeof(m.out)};
    struct vq_seg in = {os_virt_to_phys(m.in), sizeof(m.in)};
    unsigned changed = 0;

    memset(m.out, 0x5a, sizeof(m.out));
    memset(m.in, 0, sizeof(m.in));
    memset(m.after, 0xee, sizeof(m.after));
    if (dma_check)
        sim_set_dma_check(d, only_the_elements, &m);
    assert_int_equal(vq_add(vq, &out, 1, &in, 1, &m), 0);
    assert_int_equal(vq->pdesc[1].len, sizeof(m.in));
    vq->pdesc[1].len = 48;
    (void)sim_run();
    /* The driver holds the chain's two descriptors; the other fourteen are free. */
    assert_int_equal(vq->num_free, 14);
    assert_int_equal(vq->outstanding, 1);
    for (unsigned i = 0; i < sizeof(m.after); i++)
        changed += m.after[i] != 0xee;
    if (dma_check) {
        assert_int_equal(sim_stats(d)->driver_errors, 1);
        assert_non_null(strstr(sim_last_error(d), "IOMMU"));
        assert_int_equal(sim_stats(d)->chains, 0);
    } else {
        assert_int_equal(sim_stats(d)->chains, 1);
    }
    sim_destroy(d);
    return changed;
}

static void available_descriptor_rewritten_by_the_device(void **state)
{
    (void)state;
    /* Without the check the device writes 48 - 7 bytes past the element: the fuzz finding. */
    assert_int_equal(rewritten_len_run(false), 48 - 7);
    /* With it, nothing past the element changes and the device stops. */
    assert_int_equal(rewritten_len_run(true), 0);
}

static void interrupt_suppression(void **state)
{
    (void)state;
    struct sim_device *d =
        vqt_echo(true, 8, SIM_COMPLETE_AT_NOTIFY, SIM_ORDER_FIFO, 41, VQT_PACKED | VQT_NO_EVENT);
    struct virtqueue *vq = vqt_vq(d);

    assert_false(vq->event_idx);
    vqt_interrupt_suppression(d);
    assert_int_equal(vq->driver_event->flags, VRING_PACKED_EVENT_ENABLE);
}

/* Event index mode: the device's off_wrap decides kicks, ours decides interrupts, across many
 * wraps, without a lost completion. */
static void event_idx_mode(void **state)
{
    (void)state;
    struct sim_device *d =
        vqt_echo(true, 8, SIM_COMPLETE_AT_NOTIFY, SIM_ORDER_FIFO, 42, VQT_PACKED);
    struct virtqueue *vq = vqt_vq(d);
    uint8_t buf[4];
    struct vq_seg s = {os_virt_to_phys(buf), sizeof(buf)};
    uint32_t len;
    void *cookie;

    assert_true(vq->event_idx);
    vq_enable_cb(vq);
    assert_int_equal(vq->driver_event->flags, VRING_PACKED_EVENT_DESC);
    for (unsigned i = 0; i < 1000; i++) {
        unsigned irqs = fw_rec.interrupts;
        uint64_t kicks = vq->kicks;
        assert_int_equal(vq_add(vq, &s, 1, NULL, 0, buf), 0);
        vq_kick(vq);
        /* The device asked for the next descriptor after what it fetched: every kick. */
        assert_int_equal(vq->kicks, kicks + 1);
        assert_int_equal(vq->device_event->flags, VRING_PACKED_EVENT_DESC);
        /* We asked for the element at last_used: an interrupt for each. */
        assert_int_equal(fw_rec.interrupts, irqs + 1);
        assert_int_equal(vq_pop(vq, &cookie, &len), 0);
        assert_int_equal(vq->driver_event->off_wrap, vq->last_used | (vq->used_wrap ? 0x8000 : 0));
    }
    /* Disabled: no interrupts, and still nothing lost. */
    vq_disable_cb(vq);
    unsigned irqs = fw_rec.interrupts;
    for (unsigned i = 0; i < 100; i++) {
        assert_int_equal(vq_add(vq, &s, 1, NULL, 0, buf), 0);
        vq_kick(vq);
        assert_true(vq_has_used(vq));
        assert_int_equal(vq_pop(vq, &cookie, &len), 0);
    }
    assert_int_equal(fw_rec.interrupts, irqs);
    /* The device does not want to hear about a batch it is not waiting for: a device event
     * pointing one lap back is not covered by what this kick publishes. */
    sim_set_completion(d, SIM_COMPLETE_DEFERRED, SIM_ORDER_FIFO);
    vq->device_event->off_wrap = (uint16_t)(vq->next_avail | (vq->avail_wrap ? 0 : 0x8000));
    uint64_t kicks = vq->kicks;
    assert_int_equal(vq_add(vq, &s, 1, NULL, 0, buf), 0);
    vq_kick(vq);
    assert_int_equal(vq->kicks, kicks);
    sim_run(); /* a device that polls finds it */
    assert_int_equal(vq_pop(vq, &cookie, &len), 0);
    /* DISABLE: no kick either. */
    vq->device_event->flags = VRING_PACKED_EVENT_DISABLE;
    assert_int_equal(vq_add(vq, &s, 1, NULL, 0, buf), 0);
    vq_kick(vq);
    assert_int_equal(vq->kicks, kicks);
    sim_run();
    assert_int_equal(vq_pop(vq, &cookie, &len), 0);
    assert_int_equal(sim_stats(d)->driver_errors, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(layout_and_negotiation, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(access_platform_accepted_on_modern, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(wraps_many_times, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(chains_of_every_length, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(full_queue, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(out_of_order, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(slots_reused_around_a_long_chain, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(used_id_out_of_range, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(used_id_not_outstanding, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(used_wrong_wrap_counter, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(used_beyond_what_was_made_available, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(used_len_past_the_buffer_is_clamped, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(hand_driven_elements, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(available_descriptor_rewritten_by_the_device, fw_setup,
                                        fw_teardown),
        cmocka_unit_test_setup_teardown(interrupt_suppression, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(event_idx_mode, fw_setup, fw_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
