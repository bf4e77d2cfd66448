/* Host tests of the virtio core's lifecycle: reset, negotiation on legacy and modern transports,
 * FEATURES_OK, probe failures, config reads, interrupts, NEEDS_RESET, reprobe, removal, names.
 * Each runs against the simulated device; the registry is pointed at the test driver. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <errno.h>
#include <virtio/os.h>
#include <virtio/virtio.h>
#include <virtio/virtqueue.h>
#include <virtio_gen/virtio_ids.h>

#include "fw_testdrv.h"
#include "sim.h"
#include "virtio_internal.h"

#define BIT(n) (1ull << (n))

/* What the test plugin understands: two block bits plus transport bits the core must filter. */
#define PLUGIN_FEATURES                                                                            \
    (BIT(VIRTIO_BLK_F_SIZE_MAX) | BIT(VIRTIO_BLK_F_FLUSH) | BIT(VIRTIO_F_VERSION_1) |              \
     BIT(SIM_F_INDIRECT_DESC) | BIT(SIM_F_EVENT_IDX))

static struct sim_device *make_blk(bool modern, uint64_t features)
{
    struct sim_params p;
    sim_params_init(&p, SIM_TYPE_BLOCK, modern);
    if (features)
        p.features = features;
    struct sim_device *d = sim_create(&p);
    assert_non_null(d);
    return d;
}

static void legacy_negotiation(void **state)
{
    (void)state;
    fw_use_test_plugin(VIRTIO_ID_BLOCK, PLUGIN_FEATURES);
    /* Offers bit 40 too: a legacy transport must never carry it. */
    struct sim_device *d =
        make_blk(false, BIT(SIM_BLK_F_SIZE_MAX) | BIT(SIM_BLK_F_SEG_MAX) | BIT(SIM_BLK_F_FLUSH) |
                            BIT(SIM_F_INDIRECT_DESC) | BIT(SIM_F_EVENT_IDX) | BIT(40));
    assert_int_equal(sim_add(d), 0);
    struct virtio_device *vdev = sim_vdev(d);

    assert_int_equal(vdev->state, VIRTIO_STATE_READY);
    assert_int_equal(fw_rec.probes, 1);
    assert_true((vdev->device_features >> 32) == 0);
    /* RING_EVENT_IDX and RING_INDIRECT_DESC are low bits: legacy transports carry them too. */
    assert_int_equal(vdev->features, BIT(VIRTIO_BLK_F_SIZE_MAX) | BIT(VIRTIO_BLK_F_FLUSH) |
                                         BIT(VIRTIO_F_RING_EVENT_IDX) |
                                         BIT(VIRTIO_F_RING_INDIRECT_DESC));
    assert_int_equal(sim_driver_features(d), vdev->features);
    assert_int_equal(fw_rec.features_at_probe, vdev->features);
    assert_false(virtio_has_feature(vdev, VIRTIO_F_VERSION_1));
    assert_int_equal(sim_status(d),
                     VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK);
    assert_int_equal(sim_stats(d)->driver_errors, 0);
    /* Legacy ring: fixed size at the device maximum. */
    assert_int_equal(sim_queue_size(d, 0), 256);
}

static void modern_negotiation(void **state)
{
    (void)state;
    fw_use_test_plugin(VIRTIO_ID_BLOCK, PLUGIN_FEATURES);
    struct sim_device *d = make_blk(true, 0);
    assert_int_equal(sim_add(d), 0);
    struct virtio_device *vdev = sim_vdev(d);

    assert_int_equal(vdev->state, VIRTIO_STATE_READY);
    assert_int_equal(vdev->features, BIT(VIRTIO_BLK_F_SIZE_MAX) | BIT(VIRTIO_BLK_F_FLUSH) |
                                         BIT(VIRTIO_F_RING_EVENT_IDX) | BIT(VIRTIO_F_VERSION_1) |
                                         BIT(VIRTIO_F_RING_INDIRECT_DESC));
    /* The device offered indirect descriptors and event idx, the plugin lists both: both on.
     * It did not offer packed rings, so the queue is split. */
    assert_true(virtio_has_feature(vdev, SIM_F_INDIRECT_DESC));
    assert_false(virtio_has_feature(vdev, SIM_F_RING_PACKED));
    assert_false(vq_packed(vdev->vqs[0]));
    assert_true(virtio_has_feature(vdev, SIM_F_EVENT_IDX));
    assert_int_equal(sim_driver_features(d), vdev->features);
    assert_int_equal(sim_status(d), VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                                        VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
    assert_int_equal(sim_stats(d)->driver_errors, 0);
}

static void modern_without_version1_fails(void **state)
{
    (void)state;
    fw_use_test_plugin(VIRTIO_ID_BLOCK, PLUGIN_FEATURES);
    struct sim_device *d = make_blk(true, BIT(SIM_BLK_F_SIZE_MAX) | BIT(SIM_BLK_F_FLUSH));
    assert_int_equal(sim_add(d), -ENODEV);
    assert_int_equal(sim_vdev(d)->state, VIRTIO_STATE_FAILED);
    assert_true(sim_status(d) & VIRTIO_STATUS_FAILED);
    assert_false(sim_status(d) & VIRTIO_STATUS_FEATURES_OK);
    assert_int_equal(fw_rec.probes, 0);
    assert_true(os_host_log_contains("lacks VERSION_1"));
    /* Still listed, so lsdev can show it. */
    assert_int_equal(virtio_device_count(), 1);
    assert_ptr_equal(virtio_device_at(0), sim_vdev(d));
}

static void driver_without_version1_fails_on_modern(void **state)
{
    (void)state;
    fw_use_test_plugin(VIRTIO_ID_BLOCK, BIT(VIRTIO_BLK_F_FLUSH));
    struct sim_device *d = make_blk(true, 0);
    assert_int_equal(sim_add(d), -ENODEV);
    assert_int_equal(sim_vdev(d)->state, VIRTIO_STATE_FAILED);
    assert_int_equal(fw_rec.probes, 0);

    /* The same plugin drives a legacy device. */
    struct sim_device *l = make_blk(false, 0);
    assert_int_equal(sim_add(l), 0);
    assert_int_equal(sim_vdev(l)->state, VIRTIO_STATE_READY);
}

static void refused_features_ok_fails(void **state)
{
    (void)state;
    fw_use_test_plugin(VIRTIO_ID_BLOCK, PLUGIN_FEATURES);
    struct sim_device *d = make_blk(true, 0);
    sim_fault(d, SIM_FAULT_REFUSE_FEATURES_OK, 1);
    assert_int_equal(sim_add(d), -EIO);
    assert_int_equal(sim_vdev(d)->state, VIRTIO_STATE_FAILED);
    assert_true(sim_status(d) & VIRTIO_STATUS_FAILED);
    assert_false(sim_status(d) & VIRTIO_STATUS_DRIVER_OK);
    assert_int_equal(fw_rec.probes, 0);
    assert_true(os_host_log_contains("refused FEATURES_OK"));
}

static void features_change_after_negotiation_fails(void **state)
{
    (void)state;
    fw_use_test_plugin(VIRTIO_ID_BLOCK, PLUGIN_FEATURES);
    for (int modern = 0; modern <= 1; modern++) {
        struct sim_device *d = make_blk(modern, 0);
        sim_fault(d, SIM_FAULT_FEATURES_CHANGE, 1);
        assert_int_equal(sim_add(d), -EIO);
        assert_int_equal(sim_vdev(d)->state, VIRTIO_STATE_FAILED);
        assert_true(os_host_log_contains("features changed"));
        os_host_log_clear();
    }
    assert_int_equal(fw_rec.probes, 0);
}

static void probe_failure_frees_queues(void **state)
{
    (void)state;
    fw_use_test_plugin(VIRTIO_ID_BLOCK, PLUGIN_FEATURES);
    fw_cfg.probe_rc = -ENOMEM;
    struct sim_device *d = make_blk(true, 0);
    assert_int_equal(sim_add(d), -ENOMEM);
    assert_int_equal(sim_vdev(d)->state, VIRTIO_STATE_FAILED);
    assert_int_equal(fw_rec.probes, 1);
    assert_int_equal(fw_rec.removes, 0);
    assert_null(sim_vdev(d)->vqs);
    assert_int_equal(sim_vdev(d)->n_vqs, 0);
    assert_int_equal(os_host_dma_bytes(), 0);
    assert_int_equal(sim_queue_size(d, 0), 0);
    assert_true(os_host_log_contains("probe failed"));
}

static void reset_that_never_completes_times_out(void **state)
{
    (void)state;
    fw_use_test_plugin(VIRTIO_ID_BLOCK, PLUGIN_FEATURES);
    struct sim_device *d = make_blk(true, 0);
    sim_fault(d, SIM_FAULT_RESET_STUCK, SIM_FOREVER);
    os_host_set_clock_step(10 * 1000 * 1000); /* each clock read: +10 ms */
    uint64_t t0 = os_time_ns();
    assert_int_equal(sim_add(d), -ETIMEDOUT);
    uint64_t waited = os_time_ns() - t0;
    os_host_set_clock_step(0);
    assert_true(waited >= 1000000000ull);
    assert_true(waited < 2000000000ull);
    assert_int_equal(sim_vdev(d)->state, VIRTIO_STATE_FAILED);
    assert_int_equal(fw_rec.probes, 0);
    assert_true(os_host_log_contains("reset did not complete"));
    /* Removal must not hang either. */
    sim_destroy(d);
    assert_int_equal(virtio_device_count(), 0);
}

static void queue_size_zero_fails_probe(void **state)
{
    (void)state;
    fw_use_test_plugin(VIRTIO_ID_BLOCK, PLUGIN_FEATURES);
    struct sim_device *d = make_blk(true, 0);
    sim_set_queue_max(d, 0, 0);
    assert_int_equal(sim_add(d), -ENOENT);
    assert_int_equal(fw_rec.find_rc, -ENOENT);
    assert_int_equal(sim_vdev(d)->state, VIRTIO_STATE_FAILED);
    assert_true(os_host_log_contains("queue 0 does not exist"));
}

static void queue_sizes(void **state)
{
    (void)state;
    fw_use_test_plugin(VIRTIO_ID_BLOCK, PLUGIN_FEATURES);
    /* Resizable: min(requested, device max) rounded down to a power of two. */
    fw_cfg.queue_size[0] = 100;
    struct sim_device *a = make_blk(true, 0);
    assert_int_equal(sim_add(a), 0);
    assert_int_equal(sim_queue_size(a, 0), 64);
    assert_int_equal(vq_size(sim_vdev(a)->vqs[0]), 64);

    fw_cfg.queue_size[0] = 4096;
    struct sim_device *b = make_blk(true, 0);
    sim_set_queue_max(b, 0, 200);
    assert_int_equal(sim_add(b), 0);
    assert_int_equal(sim_queue_size(b, 0), 128);

    /* Fixed size: the device maximum whatever the driver asked for. */
    fw_cfg.queue_size[0] = 8;
    struct sim_device *c = make_blk(false, 0);
    sim_set_queue_max(c, 0, 128);
    assert_int_equal(sim_add(c), 0);
    assert_int_equal(sim_queue_size(c, 0), 128);

    /* Fixed and not a power of two: unusable. */
    struct sim_device *e = make_blk(false, 0);
    sim_set_queue_max(e, 0, 100);
    assert_int_equal(sim_add(e), -EINVAL);
    assert_int_equal(sim_vdev(e)->state, VIRTIO_STATE_FAILED);
    assert_true(os_host_log_contains("fixed queue 0 size 100 is not a power of two"));

    /* A queue index that cannot exist, and one asked for twice. */
    struct virtqueue *vq;
    assert_int_equal(virtio_find_vq(sim_vdev(a), VIRTIO_QUEUES_MAX, 8, &vq), -EINVAL);
    assert_int_equal(virtio_find_vq(sim_vdev(a), 0, 8, &vq), -EINVAL);
    assert_int_equal(virtio_find_vq(sim_vdev(a), 1, 8, &vq), -ENOENT);
    assert_int_equal(sim_stats(a)->driver_errors, 0);
    assert_int_equal(sim_stats(c)->driver_errors, 0);
}

/* The queue count is the driver's to choose at probe (no fixed maximum of 4): a device with
 * eight queues gets eight, each at its own index, all freed with the device. */
static void eight_queues(void **state)
{
    (void)state;
    fw_use_test_plugin(VIRTIO_ID_BLOCK, PLUGIN_FEATURES);
    struct sim_params p;
    sim_params_init(&p, SIM_TYPE_BLOCK, true);
    p.n_queues = 8;
    for (unsigned i = 0; i < 8; i++) {
        p.queue_max[i] = (uint16_t)(16u << (i % 3));
        fw_cfg.queue_size[i] = 1024;
    }
    fw_cfg.n_queues = 8;
    struct sim_device *d = sim_create(&p);
    assert_non_null(d);
    assert_int_equal(sim_add(d), 0);
    struct virtio_device *vdev = sim_vdev(d);
    assert_int_equal(vdev->state, VIRTIO_STATE_READY);
    assert_int_equal(vdev->n_vqs, 8);
    for (unsigned i = 0; i < 8; i++) {
        assert_non_null(vdev->vqs[i]);
        assert_int_equal(vq_index(vdev->vqs[i]), i);
        assert_int_equal(vq_size(vdev->vqs[i]), 16u << (i % 3));
        assert_int_equal(sim_queue_size(d, i), 16u << (i % 3));
    }
    /* A ninth does not exist on this device. */
    struct virtqueue *vq;
    assert_int_equal(virtio_find_vq(vdev, 8, 8, &vq), -ENOENT);
    assert_int_equal(vdev->n_vqs, 8);
    assert_int_equal(sim_stats(d)->driver_errors, 0);
}

static void config_reads(void **state)
{
    (void)state;
    fw_use_test_plugin(VIRTIO_ID_BLOCK, PLUGIN_FEATURES);
    struct sim_params p;
    sim_params_init(&p, SIM_TYPE_BLOCK, true);
    sim_params_config(&p, SIM_BLK_CFG_CAPACITY, 8, 0x1122334455667788ull);
    sim_params_config(&p, SIM_BLK_CFG_SEG_MAX, 4, 0xa1b2c3d4u);
    struct sim_device *d = sim_create(&p);
    assert_int_equal(sim_add(d), 0);
    struct virtio_device *vdev = sim_vdev(d);
    uint64_t v;

    assert_int_equal(virtio_config_read(vdev, SIM_BLK_CFG_CAPACITY, 8, &v), 0);
    assert_int_equal(v, 0x1122334455667788ull);
    assert_int_equal(virtio_config_read(vdev, SIM_BLK_CFG_SEG_MAX, 4, &v), 0);
    assert_int_equal(v, 0xa1b2c3d4u);
    assert_int_equal(virtio_config_read(vdev, SIM_BLK_CFG_SEG_MAX, 2, &v), 0);
    assert_int_equal(v, 0xc3d4);
    assert_int_equal(virtio_config_read(vdev, SIM_BLK_CFG_SEG_MAX + 3, 1, &v), 0);
    assert_int_equal(v, 0xa1);
    /* Last byte is readable, one past it is not. */
    assert_int_equal(virtio_config_read(vdev, vdev->config_len - 1, 1, &v), 0);
    assert_int_equal(virtio_config_read(vdev, vdev->config_len - 1, 2, &v), -EINVAL);
    assert_int_equal(virtio_config_read(vdev, vdev->config_len, 1, &v), -EINVAL);
    assert_int_equal(virtio_config_read(vdev, 0xfffffffeu, 4, &v), -EINVAL);
    assert_int_equal(virtio_config_read(vdev, 0, 3, &v), -EINVAL);
    assert_int_equal(virtio_config_read(vdev, 0, 0, &v), -EINVAL);
    assert_int_equal(virtio_config_read(vdev, 0, 16, &v), -EINVAL);
    assert_int_equal(sim_stats(d)->driver_errors, 0);
}

static void config_generation_settles(void **state)
{
    (void)state;
    fw_use_test_plugin(VIRTIO_ID_BLOCK, PLUGIN_FEATURES);
    struct sim_device *d = make_blk(true, 0);
    assert_int_equal(sim_add(d), 0);
    uint64_t v;

    sim_fault(d, SIM_FAULT_CONFIG_GEN, 5);
    assert_int_equal(virtio_config_read(sim_vdev(d), SIM_BLK_CFG_CAPACITY, 8, &v), 0);
    assert_int_equal(v, 2048);

    sim_fault(d, SIM_FAULT_CONFIG_GEN, SIM_FOREVER);
    v = 77;
    assert_int_equal(virtio_config_read(sim_vdev(d), SIM_BLK_CFG_CAPACITY, 8, &v), -EIO);
    assert_int_equal(v, 0);
    assert_true(os_host_log_contains("never settled"));

    /* A legacy device has no generation: the fault cannot disturb it. */
    struct sim_device *l = make_blk(false, 0);
    assert_int_equal(sim_add(l), 0);
    sim_fault(l, SIM_FAULT_CONFIG_GEN, SIM_FOREVER);
    assert_int_equal(virtio_config_read(sim_vdev(l), SIM_BLK_CFG_BLK_SIZE, 4, &v), 0);
    assert_int_equal(v, 512);
}

static void interrupts_and_polling(void **state)
{
    (void)state;
    fw_use_test_plugin(VIRTIO_ID_BLOCK, PLUGIN_FEATURES);
    struct sim_device *d = make_blk(true, 0);
    assert_int_equal(sim_add(d), 0);
    struct virtio_device *vdev = sim_vdev(d);
    assert_false(vdev->polled);
    assert_true(os_host_irq_registered(vdev->irq));

    /* A block request that completes at notify raises the line: the driver hook runs. */
    struct virtqueue *vq = vdev->vqs[0];
    uint8_t hdr[16] = {SIM_BLK_T_FLUSH}, status = 0xff;
    struct vq_seg out = {os_virt_to_phys(hdr), sizeof(hdr)};
    struct vq_seg in = {os_virt_to_phys(&status), 1};
    assert_int_equal(vq_add(vq, &out, 1, &in, 1, &status), 0);
    vq_kick(vq);
    assert_int_equal(fw_rec.interrupts, 1);
    assert_int_equal(vdev->interrupts, 1);
    assert_int_equal(status, SIM_BLK_S_OK);
    void *cookie;
    uint32_t len;
    assert_int_equal(vq_pop(vq, &cookie, &len), 0);
    assert_ptr_equal(cookie, &status);
    assert_int_equal(len, 1);

    /* With interrupts disabled the handler waits for os_wait. */
    unsigned long flags = os_irq_disable();
    assert_int_equal(vq_add(vq, &out, 1, &in, 1, &status), 0);
    vq_kick(vq);
    assert_int_equal(fw_rec.interrupts, 1);
    os_wait();
    assert_int_equal(fw_rec.interrupts, 2);
    os_irq_restore(flags);
    assert_int_equal(vq_pop(vq, &cookie, &len), 0);

    /* No line: polled, no handler registration needed. */
    struct sim_params p;
    sim_params_init(&p, SIM_TYPE_BLOCK, true);
    p.irq = 0;
    struct sim_device *q = sim_create(&p);
    assert_int_equal(sim_add(q), 0);
    assert_true(sim_vdev(q)->polled);
    assert_true(os_host_log_contains("polled"));

    /* A line the OS refuses: polled, and said so once. */
    sim_params_init(&p, SIM_TYPE_BLOCK, true);
    p.irq = 77;
    os_host_fail_irq_register(true);
    struct sim_device *r = sim_create(&p);
    assert_int_equal(sim_add(r), 0);
    os_host_fail_irq_register(false);
    assert_true(sim_vdev(r)->polled);
    assert_true(os_host_log_contains("irq 77 unusable"));
}

static void shared_line_reaches_each_device(void **state)
{
    (void)state;
    fw_use_test_plugin(VIRTIO_ID_BLOCK, PLUGIN_FEATURES);
    struct sim_params p;
    struct sim_device *d[2];
    for (int i = 0; i < 2; i++) {
        sim_params_init(&p, SIM_TYPE_BLOCK, i == 1);
        p.irq = 33;
        d[i] = sim_create(&p);
        assert_int_equal(sim_add(d[i]), 0);
    }
    uint8_t hdr[16] = {SIM_BLK_T_FLUSH}, status;
    struct vq_seg out = {os_virt_to_phys(hdr), sizeof(hdr)};
    struct vq_seg in = {os_virt_to_phys(&status), 1};
    struct virtqueue *vq = sim_vdev(d[1])->vqs[0];
    assert_int_equal(vq_add(vq, &out, 1, &in, 1, &status), 0);
    vq_kick(vq);
    assert_int_equal(sim_vdev(d[0])->interrupts, 0);
    assert_int_equal(sim_vdev(d[1])->interrupts, 1);
    assert_int_equal(fw_rec.interrupts, 1);
}

static void needs_reset_and_reprobe(void **state)
{
    (void)state;
    fw_use_test_plugin(VIRTIO_ID_BLOCK, PLUGIN_FEATURES);
    struct sim_device *d = make_blk(true, 0);
    assert_int_equal(sim_add(d), 0);
    struct virtio_device *vdev = sim_vdev(d);
    assert_string_equal(vdev->name, "tst0");

    sim_raise_needs_reset(d);
    assert_int_equal(vdev->state, VIRTIO_STATE_NEEDS_RESET);
    assert_true(os_host_log_contains("tst0 block sim"));
    assert_true(os_host_log_contains("needs reset"));
    assert_null(virtio_device_find("tst", 0));

    assert_int_equal(virtio_device_reprobe(vdev), 0);
    assert_int_equal(vdev->state, VIRTIO_STATE_READY);
    assert_int_equal(fw_rec.probes, 2);
    assert_int_equal(fw_rec.removes, 1);
    assert_string_equal(vdev->name, "tst0");
    assert_ptr_equal(virtio_device_find("tst", 0), vdev);
    /* A config change without NEEDS_RESET leaves a READY device alone. */
    sim_set_config(d, SIM_BLK_CFG_CAPACITY, 8, 4096);
    assert_int_equal(vdev->state, VIRTIO_STATE_READY);

    /* A FAILED device can be probed again once the cause is gone. */
    struct sim_device *f = make_blk(true, 0);
    sim_fault(f, SIM_FAULT_REFUSE_FEATURES_OK, 1);
    assert_int_equal(sim_add(f), -EIO);
    assert_int_equal(virtio_device_reprobe(sim_vdev(f)), 0);
    assert_int_equal(sim_vdev(f)->state, VIRTIO_STATE_READY);
    assert_string_equal(sim_vdev(f)->name, "tst1");
    assert_int_equal(sim_stats(d)->driver_errors, 0);
    assert_int_equal(sim_stats(f)->driver_errors, 0);
}

static void boot_log_line(void **state)
{
    (void)state;
    fw_use_test_plugin(VIRTIO_ID_BLOCK, PLUGIN_FEATURES);
    struct sim_params p;
    sim_params_init(&p, SIM_TYPE_BLOCK, true);
    p.irq = 33;
    snprintf(p.location, sizeof(p.location), "00:01.0 1af4:1042");
    struct sim_device *d = sim_create(&p);
    assert_int_equal(sim_add(d), 0);
    assert_true(os_host_log_contains("virtio: tst0 block sim 00:01.0 1af4:1042 irq 33 features: "
                                     "RING_INDIRECT_DESC RING_EVENT_IDX VERSION_1 BLK_F_SIZE_MAX "
                                     "BLK_F_FLUSH\n"));

    char buf[96];
    size_t n = virtio_features_string(sim_vdev(d), buf, sizeof(buf));
    assert_string_equal(buf,
                        "RING_INDIRECT_DESC RING_EVENT_IDX VERSION_1 BLK_F_SIZE_MAX BLK_F_FLUSH");
    assert_int_equal(n, strlen(buf));
    /* Cut, but always terminated. */
    n = virtio_features_string(sim_vdev(d), buf, 8);
    assert_int_equal(n, 7);
    assert_string_equal(buf, "RING_IN");
    assert_int_equal(virtio_features_string(sim_vdev(d), buf, 0), 0);
}

static void unknown_feature_bits_are_named_by_number(void **state)
{
    (void)state;
    fw_use_test_plugin(VIRTIO_ID_BLOCK, BIT(VIRTIO_F_VERSION_1) | BIT(23) | BIT(50));
    struct sim_device *d = make_blk(true, BIT(SIM_F_VERSION_1) | BIT(23) | BIT(50));
    assert_int_equal(sim_add(d), 0);
    char buf[80];
    virtio_features_string(sim_vdev(d), buf, sizeof(buf));
    /* Bit 23 of block is not in the spec table; bit 50 is in no table. */
    assert_non_null(strstr(buf, "VERSION_1"));
    assert_string_equal(buf, "VERSION_1 bit23 bit50");
}

static void names_and_listing(void **state)
{
    (void)state;
    fw_use_test_plugin(VIRTIO_ID_BLOCK, PLUGIN_FEATURES);
    struct sim_device *d[3];
    for (int i = 0; i < 3; i++) {
        d[i] = make_blk(i & 1, 0);
        assert_int_equal(sim_add(d[i]), 0);
    }
    /* A device of a type the test plugin does not drive. */
    struct sim_device *other = sim_new(4, true, NULL);
    assert_int_equal(sim_vdev(other)->state, VIRTIO_STATE_NO_DRIVER);

    assert_int_equal(virtio_device_count(), 4);
    assert_string_equal(sim_vdev(d[0])->name, "tst0");
    assert_string_equal(sim_vdev(d[1])->name, "tst1");
    assert_string_equal(sim_vdev(d[2])->name, "tst2");
    assert_string_equal(sim_vdev(other)->name, "-");
    assert_ptr_equal(virtio_device_at(3), sim_vdev(other));
    assert_null(virtio_device_at(4));
    assert_ptr_equal(virtio_device_find("tst", 2), sim_vdev(d[2]));
    assert_null(virtio_device_find("tst", 3));
    assert_null(virtio_device_find("blk", 0));
    assert_null(virtio_device_find(NULL, 0));

    /* Removing tst1 frees its name for the next device. */
    sim_destroy(d[1]);
    assert_int_equal(fw_rec.removes, 1);
    assert_int_equal(virtio_device_count(), 3);
    assert_ptr_equal(virtio_device_find("tst", 1), sim_vdev(d[2]));
    struct sim_device *n = make_blk(true, 0);
    assert_int_equal(sim_add(n), 0);
    assert_string_equal(sim_vdev(n)->name, "tst1");

    /* Adding the same device twice is refused. */
    assert_int_equal(sim_add(n), -EEXIST);
    assert_int_equal(virtio_device_count(), 4);
}

static void device_list_full(void **state)
{
    (void)state;
    fw_use_test_plugin(VIRTIO_ID_BLOCK, PLUGIN_FEATURES);
    fw_cfg.n_queues = 0;
    for (int i = 0; i < VIRTIO_MAX_DEVICES; i++) {
        int rc;
        sim_new(SIM_TYPE_BLOCK, true, &rc);
        assert_int_equal(rc, 0);
    }
    int rc;
    struct sim_device *extra = sim_new(SIM_TYPE_BLOCK, true, &rc);
    assert_int_equal(rc, -ENOSPC);
    assert_int_equal(virtio_device_count(), VIRTIO_MAX_DEVICES);
    assert_true(os_host_log_contains("device list full"));
    char last[16];
    snprintf(last, sizeof(last), "tst%d", VIRTIO_MAX_DEVICES - 1);
    assert_string_equal(virtio_device_at(VIRTIO_MAX_DEVICES - 1)->name, last);
    sim_destroy(extra);
}

static uint8_t dummy_status(struct virtio_device *vdev)
{
    (void)vdev;
    return 0;
}

static void incomplete_transport_refused(void **state)
{
    (void)state;
    struct virtio_transport_ops ops = {.name = "broken", .get_status = dummy_status};
    struct virtio_device vdev;
    memset(&vdev, 0, sizeof(vdev));
    vdev.ops = &ops;
    assert_int_equal(virtio_transport_check(&ops), -EINVAL);
    assert_true(os_host_log_contains("transport broken lacks set_status"));
    assert_int_equal(virtio_device_add(&vdev), -EINVAL);
    assert_int_equal(virtio_device_count(), 0);
    assert_int_equal(virtio_transport_check(NULL), -EINVAL);
    /* The sim's own table is complete. */
    struct sim_device *d = sim_new(SIM_TYPE_BLOCK, true, NULL);
    assert_int_equal(virtio_transport_check(sim_vdev(d)->ops), 0);
    /* The host build has no generated transports: nothing found, no error. */
    const struct virtio_machine machine = {0};
    assert_int_equal(virtio_transports_start(&machine), 0);
}

static void remove_frees_everything(void **state)
{
    (void)state;
    fw_use_test_plugin(SIM_TYPE_NET, BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_NET_F_MAC));
    fw_cfg.n_queues = 2;
    struct sim_device *d = sim_new(SIM_TYPE_NET, true, NULL);
    assert_int_equal(sim_vdev(d)->state, VIRTIO_STATE_READY);
    assert_int_equal(sim_vdev(d)->n_vqs, 2);
    assert_true(os_host_dma_bytes() > 0);
    sim_destroy(d);
    assert_int_equal(fw_rec.removes, 1);
    assert_int_equal(os_host_dma_bytes(), 0);
    assert_int_equal(os_host_alloc_bytes(), 0);
    /* Removing something never added is harmless. */
    struct virtio_device stray;
    memset(&stray, 0, sizeof(stray));
    virtio_device_remove(&stray);
    assert_int_equal(virtio_device_reprobe(&stray), -ENODEV);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(legacy_negotiation, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(eight_queues, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(modern_negotiation, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(modern_without_version1_fails, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(driver_without_version1_fails_on_modern, fw_setup,
                                        fw_teardown),
        cmocka_unit_test_setup_teardown(refused_features_ok_fails, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(features_change_after_negotiation_fails, fw_setup,
                                        fw_teardown),
        cmocka_unit_test_setup_teardown(probe_failure_frees_queues, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(reset_that_never_completes_times_out, fw_setup,
                                        fw_teardown),
        cmocka_unit_test_setup_teardown(queue_size_zero_fails_probe, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(queue_sizes, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(config_reads, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(config_generation_settles, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(interrupts_and_polling, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(shared_line_reaches_each_device, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(needs_reset_and_reprobe, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(boot_log_line, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(unknown_feature_bits_are_named_by_number, fw_setup,
                                        fw_teardown),
        cmocka_unit_test_setup_teardown(names_and_listing, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(device_list_full, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(incomplete_transport_refused, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(remove_frees_everything, fw_setup, fw_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
