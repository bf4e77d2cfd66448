/* Host tests of the Block Valve (valve/) over the virtio-blk plugin and the simulated RAM disk:
 * lookup and info, round trips, validation before anything reaches the device, 4096-byte
 * sectors, read-only devices, flush, chunking of large requests, partial completion, queue
 * depth with out-of-order completion, batching, timeouts and a broken queue. */
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

#define K (&block_kernel)

#define MS 1000000ull

static int teardown(void **state)
{
    (void)state;
    sim_destroy_all();
    os_host_set_clock_step(0);
    os_host_log_clear();
    return 0;
}

/* Everything the device saw: notifications and chains completed (GET_ID at probe included). */
static uint64_t seen(struct sim_device *d)
{
    return sim_stats(d)->notifies + sim_stats(d)->chains;
}

static void test_lookup_and_info(void **state)
{
    (void)state;
    struct tb_opts a = {0}, b = {.legacy = true, .sectors = 4096, .blk_size = 4096};
    struct sim_device *d0 = tb_make(&a, 0), *d1 = tb_make(&b, 0);
    struct block_info info;

    assert_int_equal(block_count(), 2);
    const int h0 = block_find(sim_vdev(d0)->name), h1 = block_find(sim_vdev(d1)->name);
    assert_true(h0 >= 0 && h1 >= 0 && h0 != h1);
    assert_int_equal(block_at(0), h0); /* registration order */
    assert_int_equal(block_at(1), h1);
    assert_int_equal(block_at(2), -ENODEV);
    assert_int_equal(block_find("blk9"), -ENODEV);
    assert_int_equal(block_find(NULL), -ENODEV);
    assert_int_equal(block_info(K, (unsigned)(h0 | h1) + 1000, &info), -ENODEV);
    assert_int_equal(block_info(K, (unsigned)h0, NULL), -EINVAL);

    assert_int_equal(block_info(K, (unsigned)h1, &info), 0);
    assert_string_equal(info.name, sim_vdev(d1)->name);
    assert_string_equal(info.transport, "sim");
    assert_int_equal(info.block_size, 4096);
    assert_int_equal(info.total_blocks, 512);
    assert_false(info.read_only);
    assert_true(info.write_cache);
    assert_false(info.failed);
    assert_int_equal(strncmp(info.serial, "simblk", 6), 0);

    assert_int_equal(block_info(K, (unsigned)h0, &info), 0);
    assert_int_equal(info.block_size, 512);
    assert_int_equal(info.total_blocks, 2048);
    assert_false(info.polled);
    assert_int_equal(block_set_polled(K, (unsigned)h0, true), 0);
    assert_int_equal(block_info(K, (unsigned)h0, &info), 0);
    assert_true(info.polled);
    assert_int_equal(block_set_polled(K, (unsigned)(h0 | h1) + 1000, true), -ENODEV);
}

static void test_roundtrip_whole_device(void **state)
{
    (void)state;
    struct tb_opts o = {0};
    struct sim_device *d = tb_make(&o, 0);
    unsigned dev = tb_index(d);
    const size_t size = 2048 * 512;
    uint8_t *w = tb_alloc(size), *r = tb_alloc(size);

    tb_fill(w, size, 42, 0);
    assert_int_equal(block_write(K, dev, 0, 2048, w), 0);
    assert_memory_equal(sim_blk_data(d, NULL), w, size);
    assert_int_equal(block_read(K, dev, 0, 2048, r), 0);
    assert_memory_equal(r, w, size);

    /* First, last and a single sector in between. */
    memset(r, 0, 512);
    assert_int_equal(block_read(K, dev, 2047, 1, r), 0);
    assert_int_equal(tb_check(r, 512, 42, 2047 * 512), -1);
    tb_fill(w, 512, 43, 0);
    assert_int_equal(block_write(K, dev, 1000, 1, w), 0);
    assert_memory_equal(sim_blk_data(d, NULL) + 1000 * 512, w, 512);
    assert_int_equal(tb_check(sim_blk_data(d, NULL) + 999 * 512, 512, 42, 999 * 512), -1);
    assert_int_equal(tb_check(sim_blk_data(d, NULL) + 1001 * 512, 512, 42, 1001 * 512), -1);
    free(w);
    free(r);
}

static void test_validation_before_device(void **state)
{
    (void)state;
    struct tb_opts o = {0};
    struct sim_device *d = tb_make(&o, 0);
    unsigned dev = tb_index(d);
    uint8_t *buf = tb_alloc(8192);
    uint64_t before = seen(d);
    struct block_req r = {
        .owner = K, .op = BLOCK_OP_READ, .dev = dev, .lba = 0, .count = 1, .buf = buf};

    assert_int_equal(block_read(K, 7, 0, 1, buf), -ENODEV);
    assert_int_equal(block_read(K, dev, 0, 0, buf), -EINVAL);
    assert_int_equal(block_read(K, dev, 2048, 1, buf), -ERANGE);
    assert_int_equal(block_read(K, dev, 2047, 2, buf), -ERANGE);
    assert_int_equal(block_read(K, dev, UINT64_MAX, 2, buf), -ERANGE);
    assert_int_equal(block_read(K, dev, UINT64_MAX - 1, 0xffffffffu, buf), -E2BIG);
    assert_int_equal(block_read(K, dev, 0, 1, NULL), -EFAULT);
    assert_int_equal(block_read(K, dev, 0, 1, buf + 8), -EFAULT);
    assert_int_equal(block_write(K, dev, 0, 1, buf + 256), -EFAULT);
    assert_int_equal(block_read(K, dev, 0, BLOCK_MAX_BYTES / 512 + 1, buf), -E2BIG);
    /* A buffer length given for checking must be count blocks, not a byte more or less. */
    r.len = 511;
    assert_int_equal(block_submit(&r), -EINVAL);
    r.len = 1024;
    assert_int_equal(block_submit(&r), -EINVAL);
    r.count = 2;
    r.len = 1024;
    assert_int_equal(block_submit(&r), 0);
    assert_int_equal(block_wait(&r), 0);
    before = seen(d);
    r.count = 1;
    r.len = 0;
    r.op = (enum block_op)99;
    assert_int_equal(block_submit(&r), -EINVAL);
    assert_int_equal(r.status, -EINVAL);
    assert_int_equal(r.done, 0);
    assert_int_equal(block_submit(NULL), -EINVAL);
    /* DISCARD / WRITE_ZEROES not offered by this device. */
    r.op = BLOCK_OP_WRITE_ZEROES;
    assert_int_equal(block_submit(&r), -EOPNOTSUPP);
    assert_int_equal(seen(d), before);
    assert_int_equal(sim_stats(d)->driver_errors, 0);
    free(buf);
}

static void test_4096_byte_sectors(void **state)
{
    (void)state;
    struct tb_opts o = {.sectors = 4096, .blk_size = 4096};
    struct sim_device *d = tb_make(&o, 0);
    unsigned dev = tb_index(d);
    uint8_t *w = tb_alloc(3 * 4096), *r = tb_alloc(3 * 4096);
    struct block_info info;

    assert_int_equal(block_info(K, dev, &info), 0);
    assert_int_equal(info.block_size, 4096);
    assert_int_equal(info.total_blocks, 512);
    tb_fill(w, 3 * 4096, 8, 0);
    assert_int_equal(block_write(K, dev, 509, 3, w), 0); /* the last three blocks */
    assert_memory_equal(sim_blk_data(d, NULL) + 509 * 4096, w, 3 * 4096);
    assert_int_equal(block_read(K, dev, 509, 3, r), 0);
    assert_memory_equal(r, w, 3 * 4096);
    assert_int_equal(block_read(K, dev, 510, 3, r), -ERANGE);
    assert_int_equal(block_read(K, dev, 512, 1, r), -ERANGE);
    free(w);
    free(r);
}

static void test_read_only(void **state)
{
    (void)state;
    struct tb_opts o = {.add_features = 1ull << 5};
    struct sim_device *d = tb_make(&o, 0);
    unsigned dev = tb_index(d);
    uint8_t *buf = tb_alloc(4096);
    struct block_info info;

    assert_int_equal(block_info(K, dev, &info), 0);
    assert_true(info.read_only);
    uint64_t before = seen(d);
    assert_int_equal(block_write(K, dev, 0, 1, buf), -EROFS);
    assert_int_equal(seen(d), before);
    assert_int_equal(block_read(K, dev, 0, 8, buf), 0);
    assert_int_equal(sim_stats(d)->blk_writes, 0);
    free(buf);
}

static void test_flush(void **state)
{
    (void)state;
    struct tb_opts o = {0}, nf = {.drop_features = 1ull << 9};
    struct sim_device *d = tb_make(&o, 0), *n = tb_make(&nf, 0);

    assert_int_equal(block_flush(K, tb_index(d)), 0);
    assert_int_equal(sim_stats(d)->blk_flushes, 1);
    uint64_t before = seen(n);
    assert_int_equal(block_flush(K, tb_index(n)), 0); /* no write cache: nothing to do */
    assert_int_equal(seen(n), before);
    assert_int_equal(block_flush(K, 9), -ENODEV);
}

static void test_large_request_chunked(void **state)
{
    (void)state;
    /* 4 KiB segments, 4 per chain: a 1 MiB chunk needs 64 chains (384 descriptors) and does
     * not fit a 256-entry queue, so the Valve halves its chunk size until it does. */
    struct tb_opts o = {.sectors = 16384, .size_max = 4096, .seg_max = 4};
    struct sim_device *d = tb_make(&o, 0);
    unsigned dev = tb_index(d);
    const size_t size = 3u << 20;
    uint8_t *w = tb_alloc(size), *r = tb_alloc(size);

    tb_fill(w, size, 77, 4096 * 512);
    assert_int_equal(block_write(K, dev, 4096, (uint32_t)(size / 512), w), 0);
    assert_int_equal(block_read(K, dev, 4096, (uint32_t)(size / 512), r), 0);
    assert_memory_equal(r, w, size);
    assert_memory_equal(sim_blk_data(d, NULL) + 4096 * 512, w, size);
    assert_true(sim_stats(d)->max_chain_segs <= 6);
    assert_int_equal(sim_stats(d)->driver_errors, 0);
    free(w);
    free(r);
}

static void test_partial_completion(void **state)
{
    (void)state;
    struct tb_opts o = {.sectors = 16384};
    struct sim_device *d = tb_make(&o, 0);
    unsigned dev = tb_index(d);
    uint8_t *buf = tb_alloc(4u << 20);
    struct block_req r = {
        .owner = K, .op = BLOCK_OP_READ, .dev = dev, .lba = 0, .count = 8192, .buf = buf};

    /* 4 MiB in 1 MiB chunks; sector 5000 lies in the third. */
    sim_set_completion(d, SIM_COMPLETE_DEFERRED, SIM_ORDER_REVERSE);
    sim_blk_fail_sectors(d, 5000, 1);
    assert_int_equal(block_submit(&r), 0);
    assert_int_equal(r.status, -EINPROGRESS);
    assert_int_equal(block_poll(&r), -EINPROGRESS);
    assert_int_equal(block_wait(&r), -EIO);
    assert_int_equal(r.status, -EIO);
    assert_int_equal(r.done, 4096);
    assert_int_equal(block_poll(&r), -EIO); /* the answer stays */
    free(buf);
}

static void test_depth_out_of_order(void **state)
{
    (void)state;
    enum { N = 40 };
    struct tb_opts o = {.sectors = 8192};
    struct sim_device *d = tb_make(&o, 0);
    unsigned dev = tb_index(d);
    uint8_t *buf = tb_alloc(N * 4096), *back = tb_alloc(N * 4096);
    static struct block_req r[N];
    struct block_stats st;

    sim_set_completion(d, SIM_COMPLETE_DEFERRED, SIM_ORDER_SHUFFLE);
    for (unsigned i = 0; i < N; i++) {
        tb_fill(buf + i * 4096, 4096, 500 + i, 0);
        r[i] = (struct block_req){.owner = K,
                                  .op = BLOCK_OP_WRITE,
                                  .dev = dev,
                                  .lba = (uint64_t)(N - i) * 123 % 8000,
                                  .count = 8,
                                  .buf = buf + i * 4096};
        assert_int_equal(block_submit(&r[i]), 0);
    }
    assert_int_equal(sim_pending(d, 0), N);
    for (unsigned i = 0; i < N; i++) {
        int rc = block_poll(&r[i]);
        assert_true(rc == -EINPROGRESS || rc == 0);
    }
    for (int i = N - 1; i >= 0; i--) {
        assert_int_equal(block_wait(&r[i]), 0);
        assert_int_equal(r[i].done, 8);
    }
    assert_int_equal(block_stats(K, dev, &st), 0);
    assert_true(st.max_inflight >= N);

    for (unsigned i = 0; i < N; i++) {
        r[i].op = BLOCK_OP_READ;
        r[i].buf = back + i * 4096;
        assert_int_equal(block_submit(&r[i]), 0);
    }
    for (unsigned i = 0; i < N; i++) {
        assert_int_equal(block_wait(&r[i]), 0);
        assert_int_equal(tb_check(back + i * 4096, 4096, 500 + i, 0), -1);
    }
    free(buf);
    free(back);
}

/* block_wait_any returns as soon as one of many outstanding requests completes, so a caller
 * keeping a queue full can refill it; with nothing outstanding it returns at once. */
static void test_wait_any(void **state)
{
    (void)state;
    enum { N = 8 };
    struct tb_opts o = {0};
    struct sim_device *d = tb_make(&o, 0);
    unsigned dev = tb_index(d);
    uint8_t *buf = tb_alloc(N * 512);
    struct block_req r[N];

    assert_int_equal(block_wait_any(K, dev), 0);
    assert_int_equal(block_wait_any(K, dev + 7), -ENODEV);
    sim_set_completion(d, SIM_COMPLETE_DEFERRED, SIM_ORDER_FIFO);
    for (unsigned i = 0; i < N; i++) {
        r[i] = (struct block_req){.owner = K,
                                  .op = BLOCK_OP_READ,
                                  .dev = dev,
                                  .lba = i,
                                  .count = 1,
                                  .buf = buf + i * 512};
        assert_int_equal(block_submit(&r[i]), 0);
    }
    unsigned finished = 0;
    while (finished < N) {
        assert_int_equal(block_wait_any(K, dev), 0);
        unsigned now = 0;
        for (unsigned i = 0; i < N; i++)
            now += block_poll(&r[i]) == 0;
        assert_true(now > finished); /* each wait made progress */
        finished = now;
    }
    assert_int_equal(sim_pending(d, 0), 0);
    free(buf);
}

static void test_nokick_batches(void **state)
{
    (void)state;
    enum { N = 8 };
    struct tb_opts o = {0};
    struct sim_device *d = tb_make(&o, 0);
    unsigned dev = tb_index(d);
    uint8_t *buf = tb_alloc(N * 512);
    struct block_req r[N];
    struct block_stats a, b;

    sim_set_completion(d, SIM_COMPLETE_DEFERRED, SIM_ORDER_FIFO);
    uint64_t notifies = sim_stats(d)->notifies;
    assert_int_equal(block_stats(K, dev, &a), 0);
    for (unsigned i = 0; i < N; i++) {
        r[i] = (struct block_req){.owner = K,
                                  .op = BLOCK_OP_READ,
                                  .dev = dev,
                                  .lba = i,
                                  .count = 1,
                                  .buf = buf + i * 512,
                                  .flags = BLOCK_F_NOKICK};
        assert_int_equal(block_submit(&r[i]), 0);
    }
    assert_int_equal(sim_stats(d)->notifies, notifies);
    block_kick(K, dev);
    assert_int_equal(sim_stats(d)->notifies, notifies + 1);
    for (unsigned i = 0; i < N; i++)
        assert_int_equal(block_wait(&r[i]), 0);
    assert_int_equal(block_stats(K, dev, &b), 0);
    assert_int_equal(b.kicks - a.kicks, 1);
    assert_int_equal(b.requests - a.requests, N);
    free(buf);
}

static void test_timeout_then_refused(void **state)
{
    (void)state;
    struct tb_opts o = {0};
    struct sim_device *d = tb_make(&o, 0);
    unsigned dev = tb_index(d);
    uint8_t *buf = tb_alloc(4096);
    struct block_info info;

    sim_set_completion(d, SIM_COMPLETE_DEFERRED, SIM_ORDER_FIFO);
    assert_int_equal(block_set_polled(K, dev, true), 0);
    blk_set_timeout(blk_of(sim_vdev(d)), 10 * MS);
    os_host_set_clock_step(MS / 10);
    assert_int_equal(block_read(K, dev, 0, 8, buf), -ETIMEDOUT);
    assert_int_equal(block_info(K, dev, &info), 0);
    assert_true(info.failed);
    uint64_t before = seen(d);
    assert_int_equal(block_read(K, dev, 0, 8, buf), -EIO);
    assert_int_equal(block_flush(K, dev), -EIO);
    assert_int_equal(seen(d), before);
    free(buf);
}

static void test_broken_queue(void **state)
{
    (void)state;
    enum { N = 10 };
    struct tb_opts o = {0};
    struct sim_device *d = tb_make(&o, 0);
    unsigned dev = tb_index(d);
    uint8_t *buf = tb_alloc(N * 4096);
    struct block_req r[N];

    sim_set_completion(d, SIM_COMPLETE_DEFERRED, SIM_ORDER_FIFO);
    for (unsigned i = 0; i < N; i++) {
        r[i] = (struct block_req){.owner = K,
                                  .op = BLOCK_OP_READ,
                                  .dev = dev,
                                  .lba = i * 8,
                                  .count = 8,
                                  .buf = buf + i * 4096};
        assert_int_equal(block_submit(&r[i]), 0);
    }
    sim_fault(d, SIM_FAULT_USED_IDX_JUMP, 1);
    sim_run();
    for (unsigned i = 0; i < N; i++) {
        assert_int_equal(block_wait(&r[i]), -EIO);
        assert_int_equal(r[i].done, 0);
    }
    assert_int_equal(block_read(K, dev, 0, 1, buf), -EIO);
    free(buf);
}

static void test_two_devices_independent(void **state)
{
    (void)state;
    struct tb_opts a = {0}, b = {.legacy = true};
    struct sim_device *d0 = tb_make(&a, 0), *d1 = tb_make(&b, 0);
    uint8_t *w0 = tb_alloc(8192), *w1 = tb_alloc(8192);

    tb_fill(w0, 8192, 1000, 0);
    tb_fill(w1, 8192, 2000, 0);
    assert_int_equal(block_write(K, tb_index(d0), 16, 16, w0), 0);
    assert_int_equal(block_write(K, tb_index(d1), 16, 16, w1), 0);
    assert_memory_equal(sim_blk_data(d0, NULL) + 16 * 512, w0, 8192);
    assert_memory_equal(sim_blk_data(d1, NULL) + 16 * 512, w1, 8192);
    free(w0);
    free(w1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_lookup_and_info, teardown),
        cmocka_unit_test_teardown(test_roundtrip_whole_device, teardown),
        cmocka_unit_test_teardown(test_validation_before_device, teardown),
        cmocka_unit_test_teardown(test_4096_byte_sectors, teardown),
        cmocka_unit_test_teardown(test_read_only, teardown),
        cmocka_unit_test_teardown(test_flush, teardown),
        cmocka_unit_test_teardown(test_large_request_chunked, teardown),
        cmocka_unit_test_teardown(test_partial_completion, teardown),
        cmocka_unit_test_teardown(test_depth_out_of_order, teardown),
        cmocka_unit_test_teardown(test_wait_any, teardown),
        cmocka_unit_test_teardown(test_nokick_batches, teardown),
        cmocka_unit_test_teardown(test_timeout_then_refused, teardown),
        cmocka_unit_test_teardown(test_broken_queue, teardown),
        cmocka_unit_test_teardown(test_two_devices_independent, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
