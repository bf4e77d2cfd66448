/* Host tests of boot discovery in the virtio core: devices added between
 * virtio_discovery_begin and _end are only listed, then brought up and named in naming order
 * (vdev->order: PCI by bus/slot/function, then MMIO from the highest address down), whatever
 * order the transports found them in; and the census the boot summary line prints. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <virtio/virtio.h>

#include "sim.h"

#define TYPE_NOBODY 0x3f0 /* a device type no plugin drives */

static int teardown(void **state)
{
    (void)state;
    sim_destroy_all();
    os_host_log_clear();
    return 0;
}

static struct sim_device *make(uint16_t type, uint64_t order)
{
    struct sim_params p;
    sim_params_init(&p, type, true);
    struct sim_device *d = sim_create(&p);
    assert_non_null(d);
    sim_vdev(d)->order = order;
    return d;
}

static void test_discovery_names_in_order(void **state)
{
    (void)state;
    /* Found the way the transports run: pci-modern, pci-legacy, then mmio (device-tree order). */
    static const uint64_t found[] = {
        VIRTIO_ORDER_PCI(0, 5, 0), VIRTIO_ORDER_PCI(1, 0, 0),     VIRTIO_ORDER_PCI(0, 2, 0),
        VIRTIO_ORDER_PCI(0, 3, 1), VIRTIO_ORDER_MMIO(0x10006000), VIRTIO_ORDER_MMIO(0x10008000),
        VIRTIO_ORDER_PCI(0, 3, 0), VIRTIO_ORDER_MMIO(0x10007000),
    };
    /* Index into found[] of blk0, blk1, ... */
    static const unsigned expect[] = {2, 6, 3, 0, 1, 5, 7, 4};
    enum { N = sizeof(found) / sizeof(found[0]) };
    struct sim_device *d[N];

    virtio_discovery_begin();
    for (unsigned i = 0; i < N; i++) {
        d[i] = make(SIM_TYPE_BLOCK, found[i]);
        assert_int_equal(sim_add(d[i]), 0);
        /* Only listed: nothing is probed or named before discovery ends. */
        assert_int_equal(sim_vdev(d[i])->state, VIRTIO_STATE_FOUND);
        assert_int_equal(sim_stats(d[i])->resets, 0);
    }
    assert_int_equal(virtio_discovery_end(), N);
    for (unsigned k = 0; k < N; k++) {
        struct virtio_device *v = sim_vdev(d[expect[k]]);
        char name[16];
        snprintf(name, sizeof(name), "blk%u", k);
        assert_int_equal(v->state, VIRTIO_STATE_READY);
        assert_string_equal(v->name, name);
        assert_ptr_equal(virtio_device_at(k), v); /* list position = name */
        assert_ptr_equal(virtio_device_find("blk", k), v);
    }
    /* Outside discovery a device is brought up at once. */
    struct sim_device *late = make(SIM_TYPE_BLOCK, 0);
    assert_int_equal(sim_add(late), 0);
    assert_string_equal(sim_vdev(late)->name, "blk8");
    assert_int_equal(virtio_discovery_end(), 0);
}

static void test_census_counts_what_was_added(void **state)
{
    (void)state;
    struct virtio_census before, c;
    virtio_census(&before);
    assert_int_equal(before.added, 0);

    virtio_discovery_begin();
    struct sim_device *bad = make(SIM_TYPE_BLOCK, 1);
    sim_fault(bad, SIM_FAULT_REFUSE_FEATURES_OK, SIM_FOREVER);
    assert_int_equal(sim_add(bad), 0);
    assert_int_equal(sim_add(make(SIM_TYPE_BLOCK, 2)), 0);
    for (unsigned i = 2; i < VIRTIO_MAX_DEVICES; i++)
        assert_int_equal(sim_add(make(TYPE_NOBODY, 10 + i)), 0);
    /* The list is full: these are not added, and are counted as such. */
    for (unsigned i = 0; i < 6; i++)
        assert_int_equal(sim_add(make(TYPE_NOBODY, 100 + i)), -ENOSPC);
    assert_int_equal(virtio_discovery_end(), VIRTIO_MAX_DEVICES);

    virtio_census(&c);
    assert_int_equal(c.added, VIRTIO_MAX_DEVICES);
    assert_int_equal(c.added, virtio_device_count());
    assert_int_equal(c.ready, 1);
    assert_int_equal(c.failed, 1);
    assert_int_equal(c.no_driver, VIRTIO_MAX_DEVICES - 2);
    assert_int_equal(c.refused - before.refused, 6);
    assert_true(os_host_log_contains("not added: device list full"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_discovery_names_in_order, teardown),
        cmocka_unit_test_teardown(test_census_counts_what_was_added, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
