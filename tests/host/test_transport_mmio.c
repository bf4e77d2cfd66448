/* cmocka tests for the virtio-mmio transport (transports/mmio/virtio_mmio.c) against register
 * windows in host memory: discovery (empty slots, bad magic, unknown versions), and the paths
 * QEMU never takes: queue_setup refusing busy queues, oversize queues, rings not in the legacy
 * layout; v1 vs v2 register programming; interrupt acknowledge; config access widths. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <sim.h>
#include <virtio/virtio.h>
#include <virtio/virtqueue.h>

#include "virtqueue_priv.h" /* the test builds queue records by hand */

extern const struct virtio_transport_ops virtio_mmio_v1_ops, virtio_mmio_v2_ops;
int virtio_mmio_discover(const struct virtio_machine *machine);

#define NODES     5
#define WIN_WORDS (0x200 / 4)
#define TEST_TYPE 99 /* a device type no plugin drives: the core leaves it NO_DRIVER */
#define R(w, reg) ((w)[(reg) / 4])

static uint32_t win[NODES][WIN_WORDS];
static struct virtio_mmio_window windows[NODES];
static const struct virtio_machine machine = {windows, NODES, false};

static void node(unsigned i, uint32_t magic, uint32_t version, uint32_t id)
{
    memset(win[i], 0, sizeof(win[i]));
    R(win[i], 0x000) = magic;
    R(win[i], 0x004) = version;
    R(win[i], 0x008) = id;
    R(win[i], 0x00c) = 0x554d4551;
    windows[i] = (struct virtio_mmio_window){(uintptr_t)win[i], sizeof(win[i]), 1 + i};
}

static struct virtio_device *find_dev(unsigned i)
{
    char loc[40];
    snprintf(loc, sizeof(loc), "mmio@0x%llx", (unsigned long long)(uintptr_t)win[i]);
    for (unsigned k = 0; k < virtio_device_count(); k++) {
        struct virtio_device *d = virtio_device_at(k);
        if (strcmp(d->location, loc) == 0)
            return d;
    }
    return NULL;
}

static struct virtio_device *v1, *v2;

static int discover_all(void **state)
{
    (void)state;
    node(0, 0x74726976, 1, TEST_TYPE);
    node(1, 0x74726976, 2, TEST_TYPE);
    node(2, 0x74726976, 2, 0);         /* empty slot: skipped without a word */
    node(3, 0x12345678, 2, TEST_TYPE); /* not virtio */
    node(4, 0x74726976, 3, TEST_TYPE); /* a version we do not know */
    windows[1].size = 0x180;           /* config space is clamped to the window */
    os_host_log_clear();
    assert_int_equal(virtio_mmio_discover(&machine), 2);
    v1 = find_dev(0);
    v2 = find_dev(1);
    return v1 && v2 ? 0 : -1;
}

static void test_discovery(void **state)
{
    (void)state;
    assert_ptr_equal(v1->ops, &virtio_mmio_v1_ops);
    assert_ptr_equal(v2->ops, &virtio_mmio_v2_ops);
    assert_string_equal(v1->ops->name, "mmio-v1");
    assert_string_equal(v2->ops->name, "mmio-v2");
    assert_false(v1->modern);
    assert_true(v2->modern);
    assert_int_equal(v1->irq, 1);
    assert_int_equal(v2->type, TEST_TYPE);
    assert_int_equal(v1->config_len, 0x100); /* no known fields: the documented bound */
    assert_int_equal(v2->config_len, 0x80);
    assert_int_equal(v2->state, VIRTIO_STATE_NO_DRIVER);
    assert_null(find_dev(2));
    assert_null(find_dev(3));
    assert_null(find_dev(4));
    assert_true(os_host_log_contains("bad magic 0x12345678; skipped"));
    assert_true(os_host_log_contains("unsupported version 3; skipped"));
    assert_false(os_host_log_contains(": bad magic 0x74726976"));
}

static void test_features_v1_low_only(void **state)
{
    (void)state;
    R(win[0], 0x010) = 0x80000001u;
    R(win[1], 0x010) = 0x80000001u; /* the fake does not bank by select: both halves */
    assert_int_equal(v1->ops->get_features(v1), 0x80000001u);
    assert_int_equal(v2->ops->get_features(v2), 0x8000000180000001ull);
    v2->ops->set_features(v2, 0x100000002ull);
    assert_int_equal(R(win[1], 0x024), 1); /* high half written last */
    assert_int_equal(R(win[1], 0x020), 1);
    v1->ops->set_features(v1, 0x100000002ull);
    assert_int_equal(R(win[0], 0x024), 0);
    assert_int_equal(R(win[0], 0x020), 2);
}

static struct virtqueue mkvq(struct virtio_device *vdev, uint16_t size, uint64_t pa, bool legacy)
{
    struct virtqueue vq = {.vdev = vdev, .index = 1, .size = size, .desc_pa = pa};
    vq.avail_pa = pa + 16u * size;
    uint64_t used = vq.avail_pa + 6 + 2u * size;
    vq.used_pa = legacy ? (used + 4095) & ~4095ull : (used + 3) & ~3ull;
    return vq;
}

static void test_queue_setup_v2(void **state)
{
    (void)state;
    struct virtqueue vq = mkvq(v2, 128, 0x1234567000ull, false);
    R(win[1], 0x034) = 0;
    assert_int_equal(v2->ops->queue_max(v2, 1), 0);
    assert_int_equal(v2->ops->queue_setup(v2, &vq), -ENOENT);
    R(win[1], 0x034) = 0x10000; /* more than a split ring can hold */
    assert_int_equal(v2->ops->queue_max(v2, 1), 0x8000);
    R(win[1], 0x034) = 64;
    assert_int_equal(v2->ops->queue_setup(v2, &vq), -EINVAL); /* 128 > 64 */
    R(win[1], 0x034) = 256;
    R(win[1], 0x044) = 1;
    assert_int_equal(v2->ops->queue_setup(v2, &vq), -EBUSY); /* already live */
    R(win[1], 0x044) = 0;
    assert_int_equal(v2->ops->queue_setup(v2, &vq), 0);
    assert_int_equal(R(win[1], 0x030), 1);
    assert_int_equal(R(win[1], 0x038), 128);
    assert_int_equal(R(win[1], 0x080), 0x34567000u);
    assert_int_equal(R(win[1], 0x084), 0x12);
    assert_int_equal((uint64_t)R(win[1], 0x094) << 32 | R(win[1], 0x090), vq.avail_pa);
    assert_int_equal((uint64_t)R(win[1], 0x0a4) << 32 | R(win[1], 0x0a0), vq.used_pa);
    assert_int_equal(R(win[1], 0x044), 1);
    assert_int_equal(R(win[1], 0x040), 0); /* no legacy PFN on v2 */
    v2->ops->notify(v2, &vq);
    assert_int_equal(R(win[1], 0x050), 1);
    v2->ops->queue_teardown(v2, 1);
    assert_int_equal(R(win[1], 0x044), 0);
}

static void test_queue_setup_v1(void **state)
{
    (void)state;
    struct virtqueue vq = mkvq(v1, 256, 0x87654000ull, true);
    R(win[0], 0x034) = 256;
    R(win[0], 0x040) = 0x1;
    assert_int_equal(v1->ops->queue_setup(v1, &vq), -EBUSY);
    R(win[0], 0x040) = 0;
    struct virtqueue bad = vq;
    bad.used_pa += 4096; /* the device would look elsewhere */
    assert_int_equal(v1->ops->queue_setup(v1, &bad), -EINVAL);
    bad = mkvq(v1, 256, 0x87654800ull, true); /* not page aligned */
    assert_int_equal(v1->ops->queue_setup(v1, &bad), -EINVAL);
    bad = mkvq(v1, 256, 0x100000000000ull, true); /* PFN beyond 32 bits */
    assert_int_equal(v1->ops->queue_setup(v1, &bad), -EINVAL);
    assert_int_equal(R(win[0], 0x040), 0);
    assert_int_equal(v1->ops->queue_setup(v1, &vq), 0);
    assert_int_equal(R(win[0], 0x028), 4096);
    assert_int_equal(R(win[0], 0x038), 256);
    assert_int_equal(R(win[0], 0x03c), 4096);
    assert_int_equal(R(win[0], 0x040), 0x87654);
    assert_int_equal(R(win[0], 0x044), 0); /* no QueueReady on v1 */
    v1->ops->queue_teardown(v1, 1);
    assert_int_equal(R(win[0], 0x040), 0);
}

static void test_interrupt_ack_and_generation(void **state)
{
    (void)state;
    R(win[1], 0x060) = 0x3;
    R(win[1], 0x064) = 0;
    assert_int_equal(v2->ops->ack_interrupt(v2), VIRTIO_ISR_QUEUE | VIRTIO_ISR_CONFIG);
    assert_int_equal(R(win[1], 0x064), 0x3);
    R(win[1], 0x060) = 0;
    R(win[1], 0x064) = 0xdead;
    assert_int_equal(v2->ops->ack_interrupt(v2), 0);
    assert_int_equal(R(win[1], 0x064), 0xdead); /* nothing to acknowledge: no write */
    R(win[0], 0x0fc) = 7;
    R(win[1], 0x0fc) = 7;
    assert_int_equal(v1->ops->config_generation(v1), 0);
    assert_int_equal(v2->ops->config_generation(v2), 7);
}

static void test_config_widths(void **state)
{
    (void)state;
    R(win[1], 0x100) = 0x44332211;
    R(win[1], 0x104) = 0x88776655;
    assert_int_equal(v2->ops->read_config(v2, 0, 1), 0x11);
    assert_int_equal(v2->ops->read_config(v2, 2, 2), 0x4433);
    assert_int_equal(v2->ops->read_config(v2, 4, 4), 0x88776655);
    assert_int_equal(v2->ops->read_config(v2, 0, 8), 0x8877665544332211ull);
    v2->ops->write_config(v2, 8, 8, 0x0102030405060708ull);
    assert_int_equal(R(win[1], 0x108), 0x05060708);
    assert_int_equal(R(win[1], 0x10c), 0x01020304);
    v2->ops->set_status(v2, 0x0f);
    assert_int_equal(v2->ops->get_status(v2), 0x0f);
    assert_int_equal(R(win[1], 0x070), 0x0f);
}

int main(void)
{
    os_host_log_quiet(true);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_discovery),
        cmocka_unit_test(test_features_v1_low_only),
        cmocka_unit_test(test_queue_setup_v2),
        cmocka_unit_test(test_queue_setup_v1),
        cmocka_unit_test(test_interrupt_ack_and_generation),
        cmocka_unit_test(test_config_widths),
    };
    return cmocka_run_group_tests(tests, discover_all, NULL);
}
