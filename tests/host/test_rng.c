/* The virtio-rng plugin against a simulated entropy device built from the generic model: the
 * probe seeds the OS's pool with the device's bytes; rng_read assembles short answers, retries
 * empty ones (and gives up after 8), throws away an answer longer than the buffer, times out on
 * a device that never answers, and refuses bad lengths and devices it does not drive. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "rng/rng.h"
#include "sim.h"

#define TYPE_ENTROPY 4

/* The model: each answer gives min(asked, per_answer) bytes of a running counter; `empty`
 * answers of 0 bytes come first; `overlong` answers claim 100 bytes more than the room;
 * `silent` holds every chain (never answers). */
struct rng_model {
    unsigned per_answer;
    unsigned empty, overlong;
    bool silent;
    uint8_t next;
    unsigned answers;
};

static long rng_chain(void *arg, struct sim_device *d, unsigned q, const uint8_t *in, size_t in_len,
                      uint8_t *out, size_t out_cap)
{
    struct rng_model *m = arg;
    (void)d;
    (void)in;
    if (q != 0 || in_len != 0)
        return SIM_MODEL_ERROR; /* the driver must offer only writable room on queue 0 */
    if (m->silent)
        return SIM_MODEL_HOLD;
    m->answers++;
    if (m->empty) {
        m->empty--;
        return 0;
    }
    size_t n = out_cap < m->per_answer ? out_cap : m->per_answer;
    for (size_t i = 0; i < n; i++)
        out[i] = m->next++;
    if (m->overlong) {
        m->overlong--;
        return (long)out_cap + 100;
    }
    return (long)n;
}

static struct rng_model model;
static struct sim_model_ops ops;

static struct sim_device *add_rng(int *rc)
{
    struct sim_params p;
    sim_params_init(&p, TYPE_ENTROPY, true);
    p.config_len = 0;
    struct sim_device *d = sim_create(&p);
    assert_non_null(d);
    ops = (struct sim_model_ops){.chain = rng_chain, .arg = &model};
    if (model.silent)
        ops.held_queues = 1u << 0;
    sim_set_model(d, &ops);
    *rc = sim_add(d);
    return d;
}

static int setup(void **state)
{
    (void)state;
    memset(&model, 0, sizeof(model));
    model.per_answer = 1000;
    os_host_entropy_reset();
    os_host_log_clear();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sim_destroy_all();
    os_host_set_clock_step(0);
    return 0;
}

static void test_probe_seeds_pool(void **state)
{
    (void)state;
    int rc;
    struct sim_device *d = add_rng(&rc);
    assert_int_equal(rc, 0);
    assert_int_equal(sim_vdev(d)->state, VIRTIO_STATE_READY);
    assert_string_equal(sim_vdev(d)->name, "rng0");
    assert_int_equal(os_host_entropy_fed(), RNG_SEED_BYTES);
    assert_string_equal(os_host_entropy_source(), "virtio-rng");
    const uint8_t *fed;
    assert_int_equal(os_host_entropy_last(&fed), RNG_SEED_BYTES);
    for (unsigned i = 0; i < RNG_SEED_BYTES; i++)
        assert_int_equal(fed[i], (uint8_t)i); /* the device's own bytes, in order */
    assert_true(os_host_log_contains("rng0: virtio-rng seeded the entropy pool with 64 bytes"));

    uint8_t buf[300];
    assert_int_equal(rng_read(sim_vdev(d), buf, sizeof(buf)), (int)sizeof(buf));
    for (unsigned i = 0; i < sizeof(buf); i++)
        assert_int_equal(buf[i], (uint8_t)(RNG_SEED_BYTES + i));
    struct rng_stats st;
    assert_int_equal(rng_stats(sim_vdev(d), &st), 0);
    assert_int_equal(st.bytes, RNG_SEED_BYTES + sizeof(buf));
    assert_int_equal(sim_stats(d)->driver_errors, 0);
}

static void test_short_answers_assembled(void **state)
{
    (void)state;
    int rc;
    model.per_answer = 10;
    struct sim_device *d = add_rng(&rc);
    assert_int_equal(rc, 0);
    model.answers = 0;
    uint8_t buf[64];
    assert_int_equal(rng_read(sim_vdev(d), buf, sizeof(buf)), 64);
    assert_int_equal(model.answers, 7); /* 6 x 10 + 4 */
    for (unsigned i = 0; i < sizeof(buf); i++)
        assert_int_equal(buf[i], (uint8_t)(RNG_SEED_BYTES + i));
}

static void test_zero_bytes_retried_then_refused(void **state)
{
    (void)state;
    int rc;
    model.empty = 1000; /* never any bytes */
    struct sim_device *d = add_rng(&rc);
    assert_int_equal(rc, 0); /* the device stays usable: only the seed is missing */
    assert_int_equal(os_host_entropy_fed(), 0);
    assert_true(os_host_log_contains("rng0: no entropy at probe"));
    assert_true(os_host_log_contains("8 answers in a row held no bytes"));
    uint8_t buf[16];
    assert_int_equal(rng_read(sim_vdev(d), buf, sizeof(buf)), -EIO);
    /* a few empty answers are just retried */
    model.empty = 3;
    assert_int_equal(rng_read(sim_vdev(d), buf, sizeof(buf)), 16);
    struct rng_stats st;
    rng_stats(sim_vdev(d), &st);
    assert_int_equal(st.empty, 8 + 8 + 3);
}

static void test_overlong_answer_thrown_away(void **state)
{
    (void)state;
    int rc;
    model.overlong = 1;
    struct sim_device *d = add_rng(&rc);
    assert_int_equal(rc, 0);
    assert_int_equal(os_host_entropy_fed(), 0); /* the lying answer never reached the pool */
    assert_true(os_host_log_contains("device claimed more than the 64 bytes asked"));
    struct rng_stats st;
    rng_stats(sim_vdev(d), &st);
    assert_int_equal(st.too_long, 1);
    assert_int_equal(st.bytes, 0);
    /* the next, honest answers are used */
    uint8_t buf[8];
    assert_int_equal(rng_read(sim_vdev(d), buf, sizeof(buf)), 8);
    model.overlong = 1;
    assert_int_equal(rng_read(sim_vdev(d), buf, sizeof(buf)), -EIO);
}

static void test_silent_device_times_out(void **state)
{
    (void)state;
    int rc;
    model.silent = true;
    os_host_set_clock_step(1000000); /* 1 ms a clock read: the 1 s deadline comes quickly */
    struct sim_device *d = add_rng(&rc);
    (void)rc;
    assert_int_equal(os_host_entropy_fed(), 0);
    assert_true(os_host_log_contains("entropy request got no answer"));
    uint8_t buf[8];
    assert_int_equal(rng_read(sim_vdev(d), buf, sizeof(buf)), -EIO);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    int rc;
    struct sim_device *d = add_rng(&rc);
    uint8_t buf[8];
    assert_int_equal(rng_read(sim_vdev(d), buf, 0), -EINVAL);
    assert_int_equal(rng_read(sim_vdev(d), buf, RNG_READ_MAX + 1), -EINVAL);
    assert_int_equal(rng_read(NULL, buf, 1), -ENODEV);
    struct sim_device *blk = sim_new(2, true, &rc); /* a block device: not rng's */
    assert_int_equal(rng_read(sim_vdev(blk), buf, 1), -ENODEV);
}

int main(void)
{
    os_host_log_quiet(true);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_probe_seeds_pool, setup, teardown),
        cmocka_unit_test_setup_teardown(test_short_answers_assembled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zero_bytes_retried_then_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_overlong_answer_thrown_away, setup, teardown),
        cmocka_unit_test_setup_teardown(test_silent_device_times_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
