/* Host tests of the Block Valve's completion path against the simulated virtio-blk device:
 * completion by callback from interrupt context and from the poll path, -EAGAIN answered at
 * submit and resubmission from a completion, a deadline that fires from the timer tick with
 * nobody waiting, block_cancel with requests in flight (no completion and no buffer write after
 * it returns), the access check on every entry, and handles that stay put when the registry
 * drops a device. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "blk/blk.h"
#include "sim.h"
#include "test_blk_util.h"
#include "valve.h"

#define K  (&block_kernel)
#define MS 1000000ull

/* What one request's completion saw. */
struct seen {
    unsigned calls;
    int status;
    bool in_interrupt;
    bool irqs_on;
};

static void record(struct block_req *r, void *ctx)
{
    struct seen *s = ctx;
    s->calls++;
    s->status = r->status;
    s->in_interrupt = os_host_in_interrupt();
    s->irqs_on = os_host_irqs_enabled();
}

static int teardown(void **state)
{
    (void)state;
    block_set_access_hook(NULL, NULL);
    sim_destroy_all();
    os_host_set_clock_step(0);
    os_host_log_clear();
    return 0;
}

static struct block_req req(const struct block_subject *s, enum block_op op, unsigned dev,
                            uint64_t lba, uint32_t count, void *buf, struct seen *seen)
{
    return (struct block_req){.owner = s,
                              .op = op,
                              .dev = dev,
                              .lba = lba,
                              .count = count,
                              .buf = buf,
                              .complete = seen ? record : NULL,
                              .ctx = seen};
}

/* The device answers later; its interrupt runs the whole chain up to the caller's function,
 * which nobody waits for. */
static void test_completion_from_interrupt(void **state)
{
    (void)state;
    struct tb_opts o = {0};
    struct sim_device *d = tb_make(&o, 0);
    const unsigned dev = tb_index(d);
    uint8_t *buf = tb_alloc(8192);
    struct seen seen = {0};

    tb_fill(sim_blk_data(d, NULL) + 64 * 512, 8192, 31, 0);
    sim_set_completion(d, SIM_COMPLETE_DEFERRED, SIM_ORDER_FIFO);
    struct block_req r = req(K, BLOCK_OP_READ, dev, 64, 16, buf, &seen);
    assert_int_equal(block_submit(&r), 0);
    assert_int_equal(seen.calls, 0);
    assert_int_equal(r.status, -EINPROGRESS);
    const uint32_t irqs = sim_vdev(d)->interrupts;
    sim_run(); /* the device completes and interrupts; interrupts are on in the test */
    assert_true(sim_vdev(d)->interrupts > irqs);
    assert_int_equal(seen.calls, 1);
    assert_int_equal(seen.status, 0);
    assert_true(seen.in_interrupt);
    assert_false(seen.irqs_on);
    assert_int_equal(r.done, 16);
    assert_int_equal(tb_check(buf, 8192, 31, 0), -1);
    assert_int_equal(block_poll(&r), 0); /* the answer stays */
    free(buf);
}

/* A polled device: the same chain runs from block_poll (the poll path). */
static void test_completion_from_poll(void **state)
{
    (void)state;
    struct tb_opts o = {0};
    struct sim_device *d = tb_make(&o, 0);
    const unsigned dev = tb_index(d);
    uint8_t *buf = tb_alloc(4096);
    struct seen seen = {0};

    assert_int_equal(block_set_polled(K, dev, true), 0);
    sim_set_completion(d, SIM_COMPLETE_DEFERRED, SIM_ORDER_FIFO);
    struct block_req r = req(K, BLOCK_OP_WRITE, dev, 8, 8, buf, &seen);
    assert_int_equal(block_submit(&r), 0);
    sim_run();
    assert_int_equal(seen.calls, 0); /* no interrupt on a polled device */
    assert_int_equal(block_poll(&r), 0);
    assert_int_equal(seen.calls, 1);
    assert_false(seen.in_interrupt);
    assert_false(seen.irqs_on);
    free(buf);
}

/* -EAGAIN and resubmission: 8 descriptors hold two 4 KiB requests (3 each). Twenty are
 * submitted at once; the refused ones wait in a list and each completion submits the next of
 * them itself, from interrupt context. */
enum { AG_N = 20 };
static struct block_req ag_req[AG_N];
static struct seen ag_seen[AG_N];
static unsigned ag_waiting[AG_N], ag_n_waiting, ag_finished, ag_refused;
static struct os_event ag_all_done;

static void ag_complete(struct block_req *r, void *ctx)
{
    record(r, ctx);
    if (++ag_finished == AG_N)
        os_event_signal(&ag_all_done);
    while (ag_n_waiting) {
        unsigned i = ag_waiting[0];
        int rc = block_submit(&ag_req[i]);
        if (rc == -EAGAIN)
            return; /* still full: the next completion tries again */
        assert_int_equal(rc, 0);
        memmove(ag_waiting, ag_waiting + 1, --ag_n_waiting * sizeof(ag_waiting[0]));
    }
}

static void test_eagain_and_resubmit(void **state)
{
    (void)state;
    /* Without indirect tables a 3-descriptor request takes 3 of the 8 entries: 2 fit. */
    struct tb_opts o = {
        .queue_max = 8, .sectors = 4096, .drop_features = 1ull << SIM_F_INDIRECT_DESC};
    struct sim_device *d = tb_make(&o, 0);
    const unsigned dev = tb_index(d);
    uint8_t *bufs = tb_alloc(AG_N * 4096);

    ag_n_waiting = ag_finished = ag_refused = 0;
    os_event_init(&ag_all_done);
    memset(ag_seen, 0, sizeof(ag_seen));
    sim_set_completion(d, SIM_COMPLETE_DEFERRED, SIM_ORDER_SHUFFLE);
    unsigned long irq = os_irq_disable(); /* completions only once all are submitted */
    for (unsigned i = 0; i < AG_N; i++) {
        tb_fill(bufs + i * 4096, 4096, 900 + i, 0);
        ag_req[i] = req(K, BLOCK_OP_WRITE, dev, i * 16, 8, bufs + i * 4096, &ag_seen[i]);
        ag_req[i].complete = ag_complete;
        int rc = block_submit(&ag_req[i]);
        if (rc == -EAGAIN) {
            assert_int_equal(ag_req[i].status, -EAGAIN);
            ag_waiting[ag_n_waiting++] = i;
            ag_refused++;
        } else {
            assert_int_equal(rc, 0);
        }
    }
    os_irq_restore(irq);
    assert_int_equal(ag_refused, AG_N - 2);
    for (unsigned i = 0; i < AG_N; i++) /* a refused request never completes by itself */
        assert_int_equal(ag_seen[i].calls, 0);
    assert_int_equal(os_event_wait(&ag_all_done, 10000 * MS), 0);
    for (unsigned i = 0; i < AG_N; i++) {
        assert_int_equal(ag_seen[i].calls, 1);
        assert_int_equal(ag_seen[i].status, 0);
        assert_int_equal(tb_check(sim_blk_data(d, NULL) + (uint64_t)i * 16 * 512, 4096, 900 + i, 0),
                         -1);
    }
    assert_int_equal(sim_stats(d)->driver_errors, 0);

    /* Too large for even the empty queue (4 KiB descriptors): split, never -EAGAIN. */
    struct tb_opts t = {.queue_max = 4, .size_max = 4096};
    struct sim_device *tiny = tb_make(&t, 0);
    uint8_t *big = tb_alloc(1u << 20);
    struct block_req r = req(K, BLOCK_OP_READ, tb_index(tiny), 0, 2048, big, NULL);
    assert_int_equal(block_submit(&r), 0);
    assert_int_equal(block_wait(&r), 0);
    assert_int_equal(r.done, 2048);
    free(big);
    free(bufs);
}

/* A device that never answers: the timer's tick finds the deadline passed, resets the device
 * and fails the request, while nobody waits for it. */
static void test_deadline_without_waiter(void **state)
{
    (void)state;
    struct tb_opts o = {0};
    struct sim_device *d = tb_make(&o, 0);
    const unsigned dev = tb_index(d);
    uint8_t *buf = tb_alloc(4096);
    struct seen seen = {0};
    struct block_info info;

    sim_set_completion(d, SIM_COMPLETE_DEFERRED, SIM_ORDER_FIFO);
    blk_set_timeout(blk_of(sim_vdev(d)), 50 * MS);
    struct block_req r = req(K, BLOCK_OP_READ, dev, 0, 8, buf, &seen);
    assert_int_equal(block_submit(&r), 0);
    os_host_advance_clock(30 * MS); /* ticks run, the deadline is not there yet */
    assert_int_equal(seen.calls, 0);
    os_host_advance_clock(30 * MS);
    assert_int_equal(seen.calls, 1);
    assert_int_equal(seen.status, -ETIMEDOUT);
    assert_true(seen.in_interrupt);
    assert_int_equal(sim_status(d), 0); /* reset: it no longer touches the buffer */
    assert_true(os_host_log_contains("taken out of use: read at sector 0 timed out"));
    assert_int_equal(block_info(K, dev, &info), 0);
    assert_true(info.failed);
    free(buf);
}

/* block_cancel on a slow device (it answers only when the CPU sleeps): the owner's requests end
 * without their completions, the call returns once the device gave every buffer back, and
 * nothing written to the buffers afterwards comes from the device. Another owner's request
 * goes on as if nothing happened. */
static void test_cancel_in_flight(void **state)
{
    (void)state;
    enum { N = 6, BYTES = 64 * 1024 };
    const struct block_subject a = {.id = 70}, b = {.id = 71};
    struct tb_opts o = {.sectors = 8192, .size_max = 4096};
    struct sim_device *d = tb_make(&o, 0);
    const unsigned dev = tb_index(d);
    uint8_t *bufs = tb_alloc(N * BYTES), *other = tb_alloc(4096);
    struct block_req r[N];
    struct seen seen[N], seen_b = {0};

    memset(seen, 0, sizeof(seen));
    tb_fill(sim_blk_data(d, NULL), 8192 * 512, 5, 0);
    sim_set_completion(d, SIM_COMPLETE_DEFERRED, SIM_ORDER_REVERSE);
    for (unsigned i = 0; i < N; i++) {
        r[i] = req(&a, BLOCK_OP_READ, dev, i * 256, BYTES / 512, bufs + i * BYTES, &seen[i]);
        assert_int_equal(block_submit(&r[i]), 0);
    }
    struct block_req rb = req(&b, BLOCK_OP_READ, dev, 4000, 8, other, &seen_b);
    assert_int_equal(block_submit(&rb), 0);
    assert_true(sim_pending(d, 0) > N);

    assert_int_equal(block_cancel(&a), N);
    for (unsigned i = 0; i < N; i++) {
        assert_int_equal(seen[i].calls, 0);
        assert_int_equal(r[i].status, -ECANCELED);
    }
    struct block_stats st;
    assert_int_equal(block_stats(K, dev, &st), 0);
    assert_true(st.inflight <= 1); /* at most b's request is still with the device */
    memset(bufs, 0xee, N * BYTES); /* the owner takes its buffers back */
    assert_int_equal(block_cancel(&a), 0);

    while (seen_b.calls == 0) {
        sim_run();
        (void)block_poll(&rb);
    }
    assert_int_equal(seen_b.status, 0);
    assert_int_equal(tb_check(other, 4096, 5, 4000 * 512), -1);
    for (size_t k = 0; k < (size_t)N * BYTES; k++)
        if (bufs[k] != 0xee)
            fail_msg("byte %zu of a cancelled buffer changed after block_cancel", k);
    for (unsigned i = 0; i < N; i++)
        assert_int_equal(seen[i].calls, 0);
    assert_int_equal(sim_stats(d)->driver_errors, 0);
    free(bufs);
    free(other);
}

/* A device that never answers: block_cancel returns once the deadline has reset it. */
static void test_cancel_dead_device(void **state)
{
    (void)state;
    const struct block_subject a = {.id = 72};
    struct tb_opts o = {0};
    struct sim_device *d = tb_make(&o, 0);
    const unsigned dev = tb_index(d);
    uint8_t *buf = tb_alloc(16384);
    struct seen seen = {0};

    sim_set_completion(d, SIM_COMPLETE_DEFERRED, SIM_ORDER_FIFO);
    assert_int_equal(block_set_polled(K, dev, true), 0); /* polled + deferred: no answer */
    blk_set_timeout(blk_of(sim_vdev(d)), 20 * MS);
    os_host_set_clock_step(MS / 10);
    struct block_req r = req(&a, BLOCK_OP_READ, dev, 0, 32, buf, &seen);
    assert_int_equal(block_submit(&r), 0);
    assert_int_equal(block_cancel(&a), 1);
    assert_int_equal(seen.calls, 0);
    assert_int_equal(sim_status(d), 0);
    memset(buf, 0xee, 16384);
    sim_run();
    for (size_t k = 0; k < 16384; k++)
        if (buf[k] != 0xee)
            fail_msg("byte %zu changed after block_cancel", k);
    free(buf);
}

/* The one access check: every entry that names a device asks it, with the subject and the
 * operation; a refusal never reaches the device. */
static unsigned denied_calls;
static enum block_access last_op;

static int deny_nine(const struct block_subject *s, unsigned dev, enum block_access op, void *arg)
{
    (void)dev;
    (void)arg;
    last_op = op;
    if (s->id != 9)
        return 0;
    denied_calls++;
    return op == BLOCK_ACCESS_INFO ? 0 : -EPERM;
}

static void test_access_check(void **state)
{
    (void)state;
    const struct block_subject nine = {.id = 9};
    struct tb_opts o = {0};
    struct sim_device *d = tb_make(&o, 0);
    const unsigned dev = tb_index(d);
    uint8_t *buf = tb_alloc(4096);
    struct block_info info;
    struct block_stats st;

    block_set_access_hook(deny_nine, NULL);
    const uint64_t before = sim_stats(d)->notifies + sim_stats(d)->chains;
    assert_int_equal(block_info(&nine, dev, &info), 0);
    assert_int_equal(last_op, BLOCK_ACCESS_INFO);
    assert_int_equal(block_stats(&nine, dev, &st), -EPERM);
    assert_int_equal(last_op, BLOCK_ACCESS_STATS);
    assert_int_equal(block_set_polled(&nine, dev, true), -EPERM);
    assert_int_equal(block_set_spin(&nine, dev, 0), -EPERM);
    assert_int_equal(last_op, BLOCK_ACCESS_SETTINGS);
    assert_int_equal(block_read(&nine, dev, 0, 8, buf), -EPERM);
    assert_int_equal(last_op, BLOCK_ACCESS_READ);
    assert_int_equal(block_write(&nine, dev, 0, 8, buf), -EPERM);
    assert_int_equal(last_op, BLOCK_ACCESS_WRITE);
    assert_int_equal(block_flush(&nine, dev), -EPERM);
    assert_int_equal(block_kick(&nine, dev), -EPERM);
    assert_int_equal(block_wait_any(&nine, dev), -EPERM);
    assert_int_equal(last_op, BLOCK_ACCESS_QUEUE);
    assert_int_equal(denied_calls, 9);
    assert_int_equal(sim_stats(d)->notifies + sim_stats(d)->chains, before);
    assert_false(blk_polled(blk_of(sim_vdev(d))));

    /* No subject at all: refused before any hook. */
    assert_int_equal(block_info(NULL, dev, &info), -EPERM);
    struct block_req r = req(NULL, BLOCK_OP_READ, dev, 0, 8, buf, NULL);
    assert_int_equal(block_submit(&r), -EPERM);
    assert_int_equal(r.status, -EPERM);
    /* Others pass. */
    assert_int_equal(block_read(K, dev, 0, 8, buf), 0);
    assert_int_equal(last_op, BLOCK_ACCESS_READ);
    free(buf);
}

/* Handles and names stay with their devices when the registry drops another one, and a
 * dropped device's handle never names a later device. */
static void test_stable_handles(void **state)
{
    (void)state;
    struct tb_opts o = {0};
    struct sim_device *d0 = tb_make(&o, 0), *d1 = tb_make(&o, 0), *d2 = tb_make(&o, 0);
    const int h0 = block_find(sim_vdev(d0)->name), h1 = block_find(sim_vdev(d1)->name),
              h2 = block_find(sim_vdev(d2)->name);
    char name1[16], name2[16];
    uint8_t *w = tb_alloc(4096), *r = tb_alloc(4096);
    struct block_info info;

    assert_true(h0 >= 0 && h1 >= 0 && h2 >= 0);
    strcpy(name1, sim_vdev(d1)->name);
    strcpy(name2, sim_vdev(d2)->name);
    tb_fill(w, 4096, 11, 0);
    assert_int_equal(block_write(K, (unsigned)h1, 0, 8, w), 0);
    tb_fill(w, 4096, 22, 0);
    assert_int_equal(block_write(K, (unsigned)h2, 0, 8, w), 0);

    sim_destroy(d0); /* the registry drops it; the others' list positions shift */
    assert_int_equal(block_count(), 2);
    assert_int_equal(block_info(K, (unsigned)h0, &info), -ENODEV);
    assert_int_equal(block_read(K, (unsigned)h0, 0, 8, r), -ENODEV);
    assert_int_equal(block_info(K, (unsigned)h1, &info), 0);
    assert_string_equal(info.name, name1);
    assert_int_equal(block_read(K, (unsigned)h1, 0, 8, r), 0);
    assert_int_equal(tb_check(r, 4096, 11, 0), -1);
    assert_int_equal(block_info(K, (unsigned)h2, &info), 0);
    assert_string_equal(info.name, name2);
    assert_int_equal(block_read(K, (unsigned)h2, 0, 8, r), 0);
    assert_int_equal(tb_check(r, 4096, 22, 0), -1);
    assert_int_equal(block_find(name1), h1);

    struct sim_device *d3 = tb_make(&o, 0); /* may take the dropped device's slot and name */
    const int h3 = block_find(sim_vdev(d3)->name);
    assert_true(h3 >= 0);
    assert_true(h3 != h0 && h3 != h1 && h3 != h2);
    assert_int_equal(block_info(K, (unsigned)h0, &info), -ENODEV);
    assert_int_equal(block_count(), 3);
    free(w);
    free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_completion_from_interrupt, teardown),
        cmocka_unit_test_teardown(test_completion_from_poll, teardown),
        cmocka_unit_test_teardown(test_eagain_and_resubmit, teardown),
        cmocka_unit_test_teardown(test_deadline_without_waiter, teardown),
        cmocka_unit_test_teardown(test_cancel_in_flight, teardown),
        cmocka_unit_test_teardown(test_cancel_dead_device, teardown),
        cmocka_unit_test_teardown(test_access_check, teardown),
        cmocka_unit_test_teardown(test_stable_handles, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
