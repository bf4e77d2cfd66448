/* A configurable test driver for the framework host tests: the registry is pointed at a single
 * plugin using it, so negotiation, probe failures and queue creation can be driven from a test.
 * Test-only; never part of the kernel. */
#ifndef FW_TESTDRV_H
#define FW_TESTDRV_H

#include <stdbool.h>
#include <stdint.h>

#include <virtio/virtio.h>
#include <virtio/virtqueue.h>

#include "sim.h"

struct fw_testdrv_cfg {
    unsigned n_queues;                   /* queues probe creates with virtio_find_vq */
    unsigned queue_size[SIM_MAX_QUEUES]; /* max_size passed for each */
    int probe_rc;                        /* returned after the queues were made (0 = success) */
};

struct fw_testdrv_rec {
    unsigned probes, removes, interrupts;
    int find_rc; /* first virtio_find_vq failure in the last probe, else 0 */
    uint64_t features_at_probe;
    struct virtio_device *last;
};

extern struct fw_testdrv_cfg fw_cfg;
extern struct fw_testdrv_rec fw_rec;
extern const struct virtio_driver fw_test_driver;

/* Defaults (one queue, max 256, probe succeeds) and a cleared record. */
void fw_reset(void);
/* Point the core's registry at one plugin: fw_test_driver for `type` with `features`. */
void fw_use_test_plugin(uint16_t type, uint64_t features);
/* Back to the generated registry. */
void fw_restore_registry(void);
/* Common per-test setup and teardown (destroys every sim device, restores hooks). */
int fw_setup(void **state);
int fw_teardown(void **state);

#endif
