/* The framework tests' configurable driver and registry override (see fw_testdrv.h). */
#include "fw_testdrv.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sim.h"
#include "virtio_internal.h"

struct fw_testdrv_cfg fw_cfg;
struct fw_testdrv_rec fw_rec;

static uint16_t plugin_types[1];
static struct virtio_plugin plugin;

static int fw_probe(struct virtio_device *vdev)
{
    fw_rec.probes++;
    fw_rec.last = vdev;
    fw_rec.find_rc = 0;
    fw_rec.features_at_probe = vdev->features;
    for (unsigned i = 0; i < fw_cfg.n_queues; i++) {
        struct virtqueue *vq;
        int rc = virtio_find_vq(vdev, i, fw_cfg.queue_size[i], &vq);
        if (rc) {
            fw_rec.find_rc = rc;
            return rc;
        }
    }
    return fw_cfg.probe_rc;
}

static void fw_remove(struct virtio_device *vdev)
{
    (void)vdev;
    fw_rec.removes++;
}

static void fw_interrupt(struct virtio_device *vdev)
{
    (void)vdev;
    fw_rec.interrupts++;
}

const struct virtio_driver fw_test_driver = {
    .name = "tst",
    .probe = fw_probe,
    .remove = fw_remove,
    .interrupt = fw_interrupt,
};

void fw_reset(void)
{
    memset(&fw_cfg, 0, sizeof(fw_cfg));
    memset(&fw_rec, 0, sizeof(fw_rec));
    fw_cfg.n_queues = 1;
    for (unsigned i = 0; i < SIM_MAX_QUEUES; i++)
        fw_cfg.queue_size[i] = 256;
}

void fw_use_test_plugin(uint16_t type, uint64_t features)
{
    plugin_types[0] = type;
    plugin.driver = &fw_test_driver;
    plugin.types = plugin_types;
    plugin.n_types = 1;
    plugin.features = features;
    virtio_registry_override(&plugin, 1);
}

void fw_restore_registry(void)
{
    virtio_registry_override(NULL, 0);
}

int fw_setup(void **state)
{
    (void)state;
    fw_reset();
    os_host_log_clear();
    os_host_log_quiet(true);
    return 0;
}

int fw_teardown(void **state)
{
    (void)state;
    sim_destroy_all();
    fw_restore_registry();
    os_host_set_clock_step(0);
    os_host_fail_irq_register(false);
    /* Everything the core and the queues allocated must be back. */
    if (os_host_dma_bytes() != 0 || os_host_alloc_bytes() != 0) {
        fprintf(stderr, "leak: dma %llu bytes, heap %llu bytes\n",
                (unsigned long long)os_host_dma_bytes(), (unsigned long long)os_host_alloc_bytes());
        return -1;
    }
    if (virtio_device_count() != 0) {
        fprintf(stderr, "devices still listed: %u\n", virtio_device_count());
        return -1;
    }
    return 0;
}
