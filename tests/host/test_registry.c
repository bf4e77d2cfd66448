/* Host tests of the registry with the real generated plugin table: the toy fixture plugin (a
 * device type declared only in its own manifest) is matched and probed, a type nobody drives
 * is listed as NO_DRIVER, and every generated plugin is what its types match. */
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
#include <virtio_gen/virtio_registry.h>
#include <virtio_gen/virtio_tables.h>

#include "fw_testdrv.h"
#include "sim.h"
#include "toy/toy.h"
#include "virtio_internal.h"

static void toy_plugin_is_matched_and_probed(void **state)
{
    (void)state;
    virtio_toy_reset_record();
    /* The type, its feature bit and config field exist only in the toy's manifest. */
    struct sim_params p;
    sim_params_init(&p, VIRTIO_ID_TOY, true);
    p.features |= 1ull << VIRTIO_TOY_F_PING;
    sim_params_config(&p, VIRTIO_TOY_CFG_MAGIC, VIRTIO_TOY_CFG_MAGIC_WIDTH, 0x70790001);
    struct sim_device *d = sim_create(&p);
    assert_int_equal(sim_add(d), 0);
    struct virtio_device *vdev = sim_vdev(d);

    assert_int_equal(vdev->state, VIRTIO_STATE_READY);
    assert_ptr_equal(vdev->plugin->driver, &virtio_toy_driver);
    assert_string_equal(vdev->name, "toy0");
    assert_int_equal(virtio_toy_record.probes, 1);
    assert_ptr_equal(virtio_toy_record.vdev, vdev);
    assert_non_null(virtio_toy_record.vq);
    assert_true(virtio_toy_record.ping_negotiated);
    assert_int_equal(vdev->features, (1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_TOY_F_PING));
    assert_ptr_equal(virtio_device_find("toy", 0), vdev);
    assert_true(os_host_log_contains("virtio: toy0 toy sim"));
    assert_true(os_host_log_contains("features: VERSION_1 TOY_F_PING"));
    char buf[64];
    virtio_features_string(vdev, buf, sizeof(buf));
    assert_string_equal(buf, "VERSION_1 TOY_F_PING");
    uint64_t magic;
    assert_int_equal(
        virtio_config_read(vdev, VIRTIO_TOY_CFG_MAGIC, VIRTIO_TOY_CFG_MAGIC_WIDTH, &magic), 0);
    assert_int_equal(magic, 0x70790001);

    /* Its queue works and its interrupt hook is called. */
    struct virtqueue *vq = virtio_toy_record.vq;
    uint8_t out[4] = {1, 2, 3, 4}, in[4] = {0};
    struct vq_seg so = {os_virt_to_phys(out), 4}, si = {os_virt_to_phys(in), 4};
    assert_int_equal(vq_add(vq, &so, 1, &si, 1, out), 0);
    vq_kick(vq);
    assert_int_equal(virtio_toy_record.interrupts, 1);
    void *cookie;
    uint32_t len;
    assert_int_equal(vq_pop(vq, &cookie, &len), 0);
    assert_int_equal(len, 4);
    assert_memory_equal(in, out, 4);

    /* A second toy device is toy1; removal calls the plugin's remove. */
    struct sim_device *d2 = sim_new(VIRTIO_ID_TOY, false, NULL);
    assert_string_equal(sim_vdev(d2)->name, "toy1");
    assert_int_equal(virtio_toy_record.probes, 2);
    sim_destroy(d);
    assert_int_equal(virtio_toy_record.removes, 1);
    assert_int_equal(sim_stats(d2)->driver_errors, 0);
}

/* A type from framework/virtio.toml that no generated plugin drives. */
static uint16_t undriven_type(void)
{
    for (unsigned i = 0; i < virtio_type_count; i++) {
        uint16_t t = virtio_types[i].type;
        bool driven = false;
        for (unsigned p = 0; p < virtio_plugin_count; p++)
            for (unsigned k = 0; k < virtio_plugins[p].n_types; k++)
                driven |= virtio_plugins[p].types[k] == t;
        if (!driven && t != SIM_TYPE_NET && t != SIM_TYPE_BLOCK)
            return t;
    }
    return 0;
}

static void type_without_driver_is_listed(void **state)
{
    (void)state;
    uint16_t type = undriven_type();
    assert_true(type != 0);
    assert_null(virtio_registry_match(type));

    int rc = -1;
    struct sim_device *d = sim_new(type, true, &rc);
    assert_int_equal(rc, 0);
    struct virtio_device *vdev = sim_vdev(d);
    assert_int_equal(vdev->state, VIRTIO_STATE_NO_DRIVER);
    assert_string_equal(vdev->name, "-");
    assert_string_equal(virtio_state_name(vdev->state), "NO_DRIVER");
    assert_null(vdev->plugin);
    assert_int_equal(vdev->n_vqs, 0);
    /* Left reset, and the log says what it was and where. */
    assert_int_equal(sim_status(d), 0);
    char line[160];
    snprintf(line, sizeof(line), "virtio: - %s sim %s", virtio_type_lookup(type)->name,
             vdev->location);
    assert_true(os_host_log_contains(line));
    assert_true(os_host_log_contains("no driver"));
    assert_int_equal(virtio_device_count(), 1);
    assert_ptr_equal(virtio_device_at(0), vdev);
    /* Reprobe finds no driver again, without error. */
    assert_int_equal(virtio_device_reprobe(vdev), 0);
    assert_int_equal(vdev->state, VIRTIO_STATE_NO_DRIVER);
}

static void every_plugin_matches_its_types(void **state)
{
    (void)state;
    assert_true(virtio_plugin_count >= 1);
    for (unsigned p = 0; p < virtio_plugin_count; p++) {
        const struct virtio_plugin *pl = &virtio_plugins[p];
        assert_non_null(pl->driver);
        assert_non_null(pl->driver->name);
        assert_non_null(pl->driver->probe);
        for (unsigned k = 0; k < pl->n_types; k++) {
            assert_ptr_equal(virtio_registry_match(pl->types[k]), pl);
            assert_non_null(virtio_type_lookup(pl->types[k]));
        }
    }
    assert_string_equal(virtio_type_name(VIRTIO_ID_BLOCK), "block");
    assert_string_equal(virtio_type_name(0xfffe), "unknown");
}

static void state_names(void **state)
{
    (void)state;
    assert_string_equal(virtio_state_name(VIRTIO_STATE_FOUND), "FOUND");
    assert_string_equal(virtio_state_name(VIRTIO_STATE_NO_DRIVER), "NO_DRIVER");
    assert_string_equal(virtio_state_name(VIRTIO_STATE_READY), "READY");
    assert_string_equal(virtio_state_name(VIRTIO_STATE_FAILED), "FAILED");
    assert_string_equal(virtio_state_name(VIRTIO_STATE_NEEDS_RESET), "NEEDS_RESET");
    assert_string_equal(virtio_state_name((enum virtio_state)99), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(toy_plugin_is_matched_and_probed, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(type_without_driver_is_listed, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(every_plugin_matches_its_types, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(state_names, fw_setup, fw_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
