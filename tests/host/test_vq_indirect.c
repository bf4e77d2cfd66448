/* Host tests of indirect descriptor tables (VIRTIO_F_RING_INDIRECT_DESC) in both ring layouts:
 * what goes indirect and what it costs, a queue of N carrying N three-descriptor chains, tables
 * never reused before their chain completes (out-of-order completion, many wraps), the probe-time
 * checks of vq_use_indirect, and a device that writes a bad id for an indirect chain. */
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

static const unsigned layouts[] = {0, VQT_PACKED};

/* The ring descriptor a chain's head went into: its address and flags. */
static void head_desc(const struct virtqueue *vq, unsigned k, uint64_t *addr, uint16_t *flags)
{
    if (vq_packed(vq)) {
        *addr = vq->pdesc[k].addr;
        *flags = vq->pdesc[k].flags;
    } else {
        uint16_t head = vq->avail->ring[k];
        *addr = vq->desc[head].addr;
        *flags = vq->desc[head].flags;
    }
}

static void what_goes_indirect(void **state)
{
    (void)state;
    for (unsigned l = 0; l < 2; l++) {
        struct sim_device *d =
            vqt_echo(true, 8, SIM_COMPLETE_DEFERRED, SIM_ORDER_FIFO, 0, layouts[l] | VQT_INDIRECT);
        struct virtqueue *vq = vqt_vq(d);
        uint8_t out[8][4], in[4];
        struct vq_seg s[8];
        void *cookie;
        uint32_t len;

        for (unsigned i = 0; i < 8; i++) {
            memset(out[i], (int)i + 1, 4);
            s[i] = (struct vq_seg){os_virt_to_phys(out[i]), 4};
        }
        struct vq_seg s_in = {os_virt_to_phys(in), 4};
        assert_int_equal(vq_chain_cost(vq, 1), 1);
        assert_int_equal(vq_chain_cost(vq, 2), 2);
        assert_int_equal(vq_chain_cost(vq, 3), 1);
        assert_int_equal(vq_chain_cost(vq, 8), 1);
        assert_int_equal(vq_max_chain(vq), 8);
        /* Two descriptors: direct. Three and eight: one ring descriptor each. */
        assert_int_equal(vq_add(vq, s, 1, &s_in, 1, out[0]), 0);
        assert_int_equal(vq->num_free, 6);
        assert_int_equal(vq_add(vq, s, 2, &s_in, 1, out[1]), 0);
        assert_int_equal(vq->num_free, 5);
        assert_int_equal(vq_add(vq, s, 7, &s_in, 1, out[2]), 0);
        assert_int_equal(vq->num_free, 4);
        uint64_t addr;
        uint16_t flags;
        head_desc(vq, l ? 2 : 1, &addr, &flags);
        assert_true(flags & VRING_DESC_F_INDIRECT);
        assert_false(flags & VRING_DESC_F_NEXT);
        vq_kick(vq);
        assert_int_equal(sim_run(), 3);
        for (unsigned k = 0; k < 3; k++) {
            cookie = NULL;
            assert_int_equal(vq_pop(vq, &cookie, &len), 0);
            assert_int_equal(len, 4);
        }
        assert_int_equal(in[0], 1); /* the echo read the table's first readable entry */
        assert_int_equal(vq->num_free, 8);
        assert_int_equal(sim_stats(d)->max_chain_segs, 8);
        assert_int_equal(sim_stats(d)->driver_errors, 0);
        sim_destroy(d);
    }
}

/* A queue of N carries N three-descriptor chains with indirect tables, N / 3 without; every
 * table is a different one while its chain is out. */
static void a_queue_of_n_carries_n_chains(void **state)
{
    (void)state;
    for (unsigned l = 0; l < 2; l++) {
        for (unsigned with = 0; with < 2; with++) {
            struct sim_device *d = vqt_echo(true, 16, SIM_COMPLETE_DEFERRED, SIM_ORDER_SHUFFLE, 0,
                                            layouts[l] | (with ? VQT_INDIRECT : 0));
            struct virtqueue *vq = vqt_vq(d);
            uint8_t hdr[16][8], data[16][8], status[16][8];
            unsigned added = 0;

            for (unsigned i = 0; i < 16; i++) {
                memset(hdr[i], (int)i, 8);
                memset(data[i], (int)(0x80 + i), 8);
                memset(status[i], 0, 8);
                struct vq_seg o[2] = {{os_virt_to_phys(hdr[i]), 4}, {os_virt_to_phys(data[i]), 8}};
                struct vq_seg in = {os_virt_to_phys(status[i]), 8};
                if (!vq_chain_fits(vq, vq_chain_cost(vq, 3)))
                    break;
                assert_int_equal(vq_add(vq, o, 2, &in, 1, hdr[i]), 0);
                added++;
            }
            assert_int_equal(added, with ? 16 : 5);
            if (with) {
                for (unsigned a = 0; a < added; a++) {
                    uint64_t pa, pb;
                    uint16_t f;
                    head_desc(vq, a, &pa, &f);
                    for (unsigned b = a + 1; b < added; b++) {
                        head_desc(vq, b, &pb, &f);
                        assert_true(pa != pb);
                    }
                }
            }
            vq_kick(vq);
            assert_int_equal(sim_run(), added);
            for (unsigned k = 0; k < added; k++) {
                void *cookie;
                uint32_t len;
                assert_int_equal(vq_pop(vq, &cookie, &len), 0);
                unsigned i = (unsigned)(((uint8_t *)cookie - &hdr[0][0]) / 8);
                assert_true(i < added);
                assert_int_equal(len, 8);
                assert_int_equal(status[i][0], i);        /* header bytes first ... */
                assert_int_equal(status[i][4], 0x80 + i); /* ... then the data */
            }
            assert_int_equal(vq->num_free, 16);
            sim_destroy(d);
        }
    }
}

/* Shuffled completion over many wraps with a mix of direct and indirect chains: a table reused
 * early would corrupt another chain's echoed bytes, which the pump checks. */
static void tables_survive_out_of_order_wraps(void **state)
{
    (void)state;
    for (unsigned l = 0; l < 2; l++) {
        struct sim_device *d = vqt_echo(true, 8, SIM_COMPLETE_DEFERRED, SIM_ORDER_SHUFFLE, 0,
                                        layouts[l] | VQT_INDIRECT);
        vqt_pump(d, 110000, true);
        sim_destroy(d);
        d = vqt_echo(true, 256, SIM_COMPLETE_AT_NOTIFY, SIM_ORDER_FIFO, 0,
                     layouts[l] | VQT_INDIRECT);
        vqt_pump(d, 20000, false);
        vqt_chains_of_every_length(d, 256);
        sim_destroy(d);
    }
}

static void use_indirect_checks(void **state)
{
    (void)state;
    /* Not negotiated: -ENOTSUP and the queue works as before. */
    struct sim_device *d = vqt_echo(true, 8, SIM_COMPLETE_AT_NOTIFY, SIM_ORDER_FIFO, 0, 0);
    struct virtqueue *vq = vqt_vq(d);
    assert_int_equal(vq_use_indirect(vq, 8, 3), -ENOTSUP);
    assert_int_equal(vq_chain_cost(vq, 3), 3);
    sim_destroy(d);

    struct sim_params p;
    sim_params_init(&p, 3, true);
    p.features &= ~(1ull << SIM_F_INDIRECT_DESC); /* the device lacks it */
    fw_use_test_plugin(3, (1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_F_RING_INDIRECT_DESC));
    d = sim_create(&p);
    assert_int_equal(sim_add(d), 0);
    assert_int_equal(vq_use_indirect(vqt_vq(d), 8, 3), -ENOTSUP);
    sim_destroy(d);

    d = vqt_echo(true, 8, SIM_COMPLETE_AT_NOTIFY, SIM_ORDER_FIFO, 0, VQT_PACKED | VQT_INDIRECT);
    vq = vqt_vq(d);
    assert_int_equal(vq_use_indirect(vq, 8, 3), -EINVAL); /* already */
    assert_int_equal(vq_use_indirect(NULL, 8, 3), -EINVAL);
    sim_destroy(d);

    d = vqt_echo(true, 8, SIM_COMPLETE_DEFERRED, SIM_ORDER_FIFO, 0, VQT_PACKED);
    fw_use_test_plugin(3, (1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_F_RING_INDIRECT_DESC));
    sim_destroy(d);
    d = vqt_echo(true, 8, SIM_COMPLETE_DEFERRED, SIM_ORDER_FIFO, 0, 0);
    vq = vqt_vq(d);
    sim_vdev(d)->features |= 1ull << VIRTIO_F_RING_INDIRECT_DESC; /* as if negotiated */
    assert_int_equal(vq_use_indirect(vq, 8, 1), -EINVAL);         /* min below 2 */
    assert_int_equal(vq_use_indirect(vq, 2, 3), -EINVAL);         /* max below min */
    uint8_t b[4];
    struct vq_seg s = {os_virt_to_phys(b), 4};
    assert_int_equal(vq_add(vq, &s, 1, NULL, 0, b), 0);
    assert_int_equal(vq_use_indirect(vq, 8, 3), -EINVAL); /* not at probe time */
    vq_kick(vq);
    sim_run();
    void *cookie;
    uint32_t len;
    assert_int_equal(vq_pop(vq, &cookie, &len), 0);
    assert_int_equal(vq_use_indirect(vq, 1000, 3), 0); /* capped at the queue size */
    assert_int_equal(vq->ind.max_entries, 8);
    sim_vdev(d)->features &= ~(1ull << VIRTIO_F_RING_INDIRECT_DESC);
}

/* A device that answers an indirect chain with a bad id: the queue breaks, every chain is
 * handed back once with -EIO. */
static void bad_id_for_an_indirect_chain(void **state)
{
    (void)state;
    for (unsigned l = 0; l < 2; l++) {
        vqt_expect_broken(SIM_FAULT_USED_ID_NOT_HEAD, layouts[l] | VQT_INDIRECT, 4, 4, 0);
        vqt_expect_broken(SIM_FAULT_USED_ID_NOT_HEAD, layouts[l] | VQT_INDIRECT, 1, 3, 0);
        vqt_expect_broken(SIM_FAULT_USED_ID_RANGE, layouts[l] | VQT_INDIRECT, 8, 3, 0);
    }
    vqt_expect_broken(SIM_FAULT_USED_WRAP, VQT_PACKED | VQT_INDIRECT, 3, 4, 0);
    vqt_expect_broken(SIM_FAULT_USED_IDX_JUMP, VQT_PACKED | VQT_INDIRECT, 3, 4, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(what_goes_indirect, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(a_queue_of_n_carries_n_chains, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(tables_survive_out_of_order_wraps, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(use_indirect_checks, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(bad_id_for_an_indirect_chain, fw_setup, fw_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
