/* Host tests of the Block Valve on small virtqueues (4 and 16 entries) against the simulated
 * RAM disk: more requests than the queue holds must wait for room and then succeed, whether the
 * device completes at once, later and out of order, or while the caller only polls; requests
 * larger than an empty queue can carry are split. Every test checks the data bytes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim.h"
#include "test_blk_util.h"
#include "valve.h"

#define REQ_BYTES 4096u
#define MAX_REQS  64u

static struct block_req reqs[MAX_REQS];

static int teardown(void **state)
{
    (void)state;
    sim_destroy_all();
    os_host_set_clock_step(0);
    os_host_log_clear();
    return 0;
}

static struct sim_device *make(uint16_t queue, bool legacy, uint32_t blk_size)
{
    struct tb_opts o = {
        .sectors = 16384, .queue_max = queue, .legacy = legacy, .blk_size = blk_size};
    struct sim_device *d = tb_make(&o, 0);
    struct block_info info;

    assert_int_equal(block_info(tb_index(d), &info), 0);
    assert_int_equal(info.queue_size, queue);
    return d;
}

/* n requests of REQ_BYTES each, all submitted before any is waited for (newest waited first);
 * request i covers device bytes [i * 2 * REQ_BYTES, +REQ_BYTES) with pattern seed+i. */
static void round_trip(struct sim_device *d, unsigned n, unsigned flags, uint32_t seed)
{
    const unsigned dev = tb_index(d);
    struct block_info info;
    uint8_t *w = tb_alloc((size_t)n * REQ_BYTES), *r = tb_alloc((size_t)n * REQ_BYTES);

    assert_int_equal(block_info(dev, &info), 0);
    const uint32_t per = REQ_BYTES / info.block_size;
    for (int pass = 0; pass < 2; pass++) {
        const bool write = pass == 0;
        for (unsigned i = 0; i < n; i++) {
            uint8_t *buf = (write ? w : r) + (size_t)i * REQ_BYTES;
            if (write)
                tb_fill(buf, REQ_BYTES, seed + i, (uint64_t)i * 2 * REQ_BYTES);
            reqs[i] = (struct block_req){.op = write ? BLOCK_OP_WRITE : BLOCK_OP_READ,
                                         .dev = dev,
                                         .lba = (uint64_t)i * 2 * per,
                                         .count = per,
                                         .buf = buf,
                                         .flags = flags};
            assert_int_equal(block_submit(&reqs[i]), 0);
        }
        if (flags & BLOCK_F_NOKICK)
            block_kick(dev);
        for (unsigned i = n; i-- > 0;) {
            assert_int_equal(block_wait(&reqs[i]), 0);
            assert_int_equal(reqs[i].done, per);
        }
    }
    const uint8_t *disk = sim_blk_data(d, NULL);
    for (unsigned i = 0; i < n; i++) {
        const uint64_t pos = (uint64_t)i * 2 * REQ_BYTES;
        assert_int_equal(tb_check(disk + pos, REQ_BYTES, seed + i, pos), -1);
        assert_int_equal(tb_check(r + (size_t)i * REQ_BYTES, REQ_BYTES, seed + i, pos), -1);
        for (unsigned k = 0; k < REQ_BYTES; k++) /* the gap after it is untouched */
            assert_int_equal(disk[pos + REQ_BYTES + k], 0);
    }
    assert_int_equal(sim_stats(d)->driver_errors, 0);
    free(w);
    free(r);
}

/* The device completes at the kick: a full queue is drained by the interrupt before the
 * submitter waits, and completed requests whose owners have not asked yet hold their records. */
static void test_more_than_fit_at_notify(void **state)
{
    (void)state;
    static const uint16_t sizes[] = {4, 16};
    for (unsigned s = 0; s < 2; s++) {
        for (int legacy = 0; legacy < 2; legacy++) {
            struct sim_device *d = make(sizes[s], legacy, 0);
            round_trip(d, 3u * sizes[s] + 1, 0, 100);
            round_trip(d, 3u * sizes[s] + 1, BLOCK_F_NOKICK, 200);
            sim_destroy(d);
        }
    }
}

/* The device completes later, newest first or shuffled: the submitter sleeps for room. */
static void test_more_than_fit_deferred(void **state)
{
    (void)state;
    static const uint16_t sizes[] = {4, 16};
    for (unsigned s = 0; s < 2; s++) {
        struct sim_device *d = make(sizes[s], false, 0);
        sim_set_completion(d, SIM_COMPLETE_DEFERRED, SIM_ORDER_SHUFFLE);
        round_trip(d, MAX_REQS, 0, 300);
        sim_set_completion(d, SIM_COMPLETE_DEFERRED, SIM_ORDER_REVERSE);
        round_trip(d, MAX_REQS, BLOCK_F_NOKICK, 400);
        sim_destroy(d);
    }
}

/* 4096-byte logical blocks on a 4-entry queue. */
static void test_more_than_fit_4k_blocks(void **state)
{
    (void)state;
    struct sim_device *d = make(4, false, 4096);
    round_trip(d, 20, BLOCK_F_NOKICK, 500);
}

/* The way `bench blk` drives a device: qd requests kept in flight by polling, each finished
 * one replaced at once, waiting only in block_wait_any. */
static void polled_loop(struct sim_device *d, unsigned qd, unsigned total, uint32_t seed)
{
    const unsigned dev = tb_index(d);
    uint8_t *bufs = tb_alloc((size_t)qd * REQ_BYTES);
    bool active[MAX_REQS] = {false};
    unsigned next = 0, finished = 0, live = 0;

    for (unsigned i = 0; i < qd; i++) {
        uint8_t *buf = bufs + (size_t)i * REQ_BYTES;
        tb_fill(buf, REQ_BYTES, seed + next, (uint64_t)next * REQ_BYTES);
        reqs[i] = (struct block_req){.op = BLOCK_OP_WRITE,
                                     .dev = dev,
                                     .lba = (uint64_t)next * (REQ_BYTES / 512),
                                     .count = REQ_BYTES / 512,
                                     .buf = buf,
                                     .flags = BLOCK_F_NOKICK};
        next++;
        assert_int_equal(block_submit(&reqs[i]), 0);
        active[i] = true;
        live++;
    }
    block_kick(dev);
    while (live) {
        unsigned done_now = 0;
        for (unsigned i = 0; i < qd; i++) {
            if (!active[i])
                continue;
            int st = block_poll(&reqs[i]);
            if (st == -EINPROGRESS)
                continue;
            assert_int_equal(st, 0);
            done_now++;
            finished++;
            active[i] = false;
            live--;
            if (next < total) {
                uint8_t *buf = bufs + (size_t)i * REQ_BYTES;
                tb_fill(buf, REQ_BYTES, seed + next, (uint64_t)next * REQ_BYTES);
                reqs[i].lba = (uint64_t)next * (REQ_BYTES / 512);
                next++;
                assert_int_equal(block_submit(&reqs[i]), 0);
                active[i] = true;
                live++;
            }
        }
        block_kick(dev);
        if (!done_now)
            assert_int_equal(block_wait_any(dev), 0);
    }
    assert_int_equal(finished, total);
    const uint8_t *disk = sim_blk_data(d, NULL);
    for (unsigned k = 0; k < total; k++)
        assert_int_equal(
            tb_check(disk + (uint64_t)k * REQ_BYTES, REQ_BYTES, seed + k, (uint64_t)k * REQ_BYTES),
            -1);
    free(bufs);
}

static void test_polled_loop_small_queue(void **state)
{
    (void)state;
    static const uint16_t sizes[] = {4, 16};
    for (unsigned s = 0; s < 2; s++) {
        struct sim_device *d = make(sizes[s], false, 0);
        polled_loop(d, 32, 600, 600);
        sim_destroy(d);
        d = make(sizes[s], true, 0);
        sim_set_completion(d, SIM_COMPLETE_DEFERRED, SIM_ORDER_SHUFFLE);
        polled_loop(d, 32, 600, 700);
        sim_destroy(d);
    }
}

/* 4 KiB descriptors (size_max) on a 4-entry queue: one chain carries 8 KiB, so a 1 MiB
 * request is cut into many pieces; several such requests in flight at once. */
static void test_large_requests_tiny_queue(void **state)
{
    (void)state;
    enum { N = 4, BYTES = 1u << 20 };
    struct tb_opts o = {.sectors = 16384, .queue_max = 4, .size_max = 4096};
    struct sim_device *d = tb_make(&o, 0);
    const unsigned dev = tb_index(d);
    uint8_t *w = tb_alloc((size_t)N * BYTES), *r = tb_alloc((size_t)N * BYTES);

    tb_fill(w, BYTES, 800, 0);
    assert_int_equal(block_write(dev, 0, BYTES / 512, w), 0);
    assert_int_equal(block_read(dev, 0, BYTES / 512, r), 0);
    assert_memory_equal(r, w, BYTES);

    sim_set_completion(d, SIM_COMPLETE_DEFERRED, SIM_ORDER_REVERSE);
    for (int pass = 0; pass < 2; pass++) {
        for (unsigned i = 0; i < N; i++) {
            uint8_t *buf = (pass ? r : w) + (size_t)i * BYTES;
            if (!pass)
                tb_fill(buf, BYTES, 900 + i, (uint64_t)(i + 1) * BYTES);
            reqs[i] = (struct block_req){.op = pass ? BLOCK_OP_READ : BLOCK_OP_WRITE,
                                         .dev = dev,
                                         .lba = (uint64_t)(i + 1) * (BYTES / 512),
                                         .count = BYTES / 512,
                                         .buf = buf};
            assert_int_equal(block_submit(&reqs[i]), 0);
        }
        for (unsigned i = 0; i < N; i++)
            assert_int_equal(block_wait(&reqs[i]), 0);
    }
    const uint8_t *disk = sim_blk_data(d, NULL);
    for (unsigned i = 0; i < N; i++) {
        const uint64_t pos = (uint64_t)(i + 1) * BYTES;
        assert_int_equal(tb_check(disk + pos, BYTES, 900 + i, pos), -1);
        assert_int_equal(tb_check(r + (size_t)i * BYTES, BYTES, 900 + i, pos), -1);
    }
    assert_true(sim_stats(d)->max_chain_segs <= 4);
    assert_int_equal(sim_stats(d)->driver_errors, 0);
    free(w);
    free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_more_than_fit_at_notify, teardown),
        cmocka_unit_test_teardown(test_more_than_fit_deferred, teardown),
        cmocka_unit_test_teardown(test_more_than_fit_4k_blocks, teardown),
        cmocka_unit_test_teardown(test_polled_loop_small_queue, teardown),
        cmocka_unit_test_teardown(test_large_requests_tiny_queue, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
