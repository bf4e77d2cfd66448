/* Host tests of the virtio-blk plugin (devices/blk) against the simulated RAM disk: probe and
 * config validation, splitting by size_max / seg_max / whole blocks, status mapping, read-only
 * refusal, queue limits, timeouts, a broken queue and out-of-order completion. Every request
 * completes by callback (tb_blk_done), waited for on an os event. */
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
#include "blk/blk_priv.h" /* the test asks the device's watch hook */
#include "sim.h"
#include "test_blk_util.h"
#include "virtqueue_priv.h" /* the test looks inside the rings */
#include <virtio_gen/virtio_ids.h>

#define MS 1000000ull

static struct blk_dev *bd(struct sim_device *d)
{
    struct blk_dev *b = blk_of(sim_vdev(d));
    assert_non_null(b);
    return b;
}

static struct vq_seg seg(const void *p, uint32_t len)
{
    struct vq_seg s = {(uint64_t)(uintptr_t)p, len};
    return s;
}

static int rw(struct blk_dev *b, enum blk_op op, uint64_t sector, const struct vq_seg *segs,
              unsigned n)
{
    struct tb_done r;
    int rc = blk_submit(b, op, sector, segs, n, 0, tb_blk_done, tb_arm(&r));
    if (rc)
        return rc;
    return tb_wait(&r);
}

static int teardown(void **state)
{
    (void)state;
    sim_destroy_all();
    os_host_set_clock_step(0);
    os_host_log_clear();
    return 0;
}

/* ---- probe ----------------------------------------------------------------------------- */

static void test_probe_defaults(void **state)
{
    (void)state;
    struct tb_opts o = {0};
    struct sim_device *d = tb_make(&o, 0);
    const struct blk_info *i = blk_info(bd(d));
    char line[160];

    assert_int_equal(i->capacity, 2048);
    assert_int_equal(i->blk_size, 512);
    assert_int_equal(i->seg_max, 126);
    assert_int_equal(i->size_max, 65536);
    assert_false(i->read_only);
    assert_true(i->flush);
    assert_false(i->failed);
    assert_int_equal(i->queue_size, 256);
    assert_int_equal(strncmp(i->serial, "simblk", 6), 0);
    assert_int_equal(sim_stats(d)->blk_get_ids, 1);
    snprintf(line, sizeof(line),
             "%s: 2048 sectors x 512 bytes (1 MiB), seg_max 126, size_max 65536, rw, serial %s",
             sim_vdev(d)->name, i->serial);
    assert_true(os_host_log_contains(line));
    assert_int_equal(sim_vdev(d)->state, VIRTIO_STATE_READY);
}

/* The boot line counts in logical blocks of blk_size, never in 512-byte units beside them; the
 * bytes are those blocks' (a tail shorter than a block is not counted), in an exact unit. */
static void test_probe_line_4096(void **state)
{
    (void)state;
    static const struct {
        uint64_t sectors; /* 512-byte capacity the device reports */
        const char *size;
    } cases[] = {{16384, "2048 sectors x 4096 bytes (8 MiB)"},
                 {16391, "2048 sectors x 4096 bytes (8 MiB)"},
                 {3072, "384 sectors x 4096 bytes (1536 KiB)"}};
    for (unsigned k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        struct tb_opts o = {.blk_size = 4096, .sectors = cases[k].sectors};
        struct sim_device *d = tb_make(&o, 0);
        char line[160];
        snprintf(line, sizeof(line), "%s: %s, seg_max 126, size_max 65536, rw, serial %s",
                 sim_vdev(d)->name, cases[k].size, blk_info(bd(d))->serial);
        assert_true(os_host_log_contains(line));
        sim_destroy(d);
    }
    assert_false(os_host_log_contains("blk_size 4096"));
}

static void test_probe_legacy_roundtrip(void **state)
{
    (void)state;
    struct tb_opts o = {.legacy = true};
    struct sim_device *d = tb_make(&o, 0);
    struct blk_dev *b = bd(d);
    uint8_t *w = tb_alloc(4096), *r = tb_alloc(4096);
    struct vq_seg ws = seg(w, 4096), rs = seg(r, 4096);

    tb_fill(w, 4096, 7, 0);
    assert_int_equal(rw(b, BLK_OP_WRITE, 2040, &ws, 1), 0);
    assert_int_equal(rw(b, BLK_OP_READ, 2040, &rs, 1), 0);
    assert_memory_equal(w, r, 4096);
    assert_memory_equal(sim_blk_data(d, NULL) + 2040 * 512, w, 4096);
    free(w);
    free(r);
}

static void test_probe_bad_blk_size_falls_back(void **state)
{
    (void)state;
    struct tb_opts o = {.blk_size = 1000};
    struct sim_device *d = tb_make(&o, 0);

    assert_int_equal(blk_info(bd(d))->blk_size, 512);
    assert_true(os_host_log_contains("blk_size 1000 is not a power of two"));

    struct tb_opts big = {.blk_size = 131072};
    d = tb_make(&big, 0);
    assert_int_equal(blk_info(bd(d))->blk_size, 512);
    assert_true(os_host_log_contains("blk_size 131072 is not a power of two"));
}

static void test_probe_seg_max_size_max(void **state)
{
    (void)state;
    struct tb_opts o = {.seg_max = 0xffffffffu};
    struct sim_device *d = tb_make(&o, 0);

    /* Kept as told; a chain still never carries more data segments than the queue allows. */
    assert_int_equal(blk_info(bd(d))->seg_max, 0xffffffffu);

    struct tb_opts zero = {.n_cfg = 1, .cfg = {{SIM_BLK_CFG_SEG_MAX, 4, 0}}};
    d = tb_make(&zero, -EINVAL);
    assert_null(blk_of(sim_vdev(d)));
    assert_true(os_host_log_contains("seg_max 0 leaves no room for data"));

    struct tb_opts tiny = {.size_max = 100};
    d = tb_make(&tiny, -EINVAL);
    assert_int_equal(sim_vdev(d)->state, VIRTIO_STATE_FAILED);
    assert_true(os_host_log_contains("size_max 100 is below 512 bytes"));

    struct tb_opts none = {.n_cfg = 1, .cfg = {{SIM_BLK_CFG_SIZE_MAX, 4, 0}}};
    d = tb_make(&none, -EINVAL);
    assert_true(os_host_log_contains("size_max 0 is below 512 bytes"));
}

static void test_probe_rejects_impossible(void **state)
{
    (void)state;
    struct tb_opts cap = {.n_cfg = 1, .cfg = {{SIM_BLK_CFG_CAPACITY, 8, UINT64_MAX}}};
    struct sim_device *d = tb_make(&cap, -EINVAL);
    assert_null(blk_of(sim_vdev(d)));
    assert_true(os_host_log_contains("is impossible"));

    /* One segment of 512 bytes cannot carry a 4096-byte block. */
    struct tb_opts carry = {.blk_size = 4096, .seg_max = 1, .size_max = 512};
    d = tb_make(&carry, -EINVAL);
    assert_true(os_host_log_contains("cannot carry one 4096-byte block"));
}

static void test_probe_topology(void **state)
{
    (void)state;
    struct tb_opts ok = {.add_features = 1ull << 10,
                         .config_len = 40,
                         .n_cfg = 4,
                         .cfg = {{24, 1, 3}, {25, 1, 1}, {26, 2, 8}, {28, 4, 64}}};
    struct sim_device *d = tb_make(&ok, 0);
    const struct blk_info *i = blk_info(bd(d));
    assert_true(i->topology);
    assert_int_equal(i->physical_block_exp, 3);
    assert_int_equal(i->alignment_offset, 1);
    assert_int_equal(i->min_io_size, 8);
    assert_int_equal(i->opt_io_size, 64);

    struct tb_opts bad = {.add_features = 1ull << 10,
                          .config_len = 40,
                          .n_cfg = 4,
                          .cfg = {{24, 1, 40}, {25, 1, 0}, {26, 2, 1}, {28, 4, 0}}};
    d = tb_make(&bad, 0);
    assert_false(blk_info(bd(d))->topology);
    assert_true(os_host_log_contains("makes no sense; ignored"));
}

/* ---- requests -------------------------------------------------------------------------- */

static void test_roundtrip_scattered_segments(void **state)
{
    (void)state;
    struct tb_opts o = {0};
    struct sim_device *d = tb_make(&o, 0);
    struct blk_dev *b = bd(d);
    uint8_t *a = tb_alloc(4096), *m = tb_alloc(4096), *c = tb_alloc(4096), *r = tb_alloc(12288);
    uint8_t expect[6144];
    struct vq_seg ws[3] = {seg(a, 4096), seg(m + 512, 512), seg(c + 1024, 1536)};
    struct vq_seg rs[2] = {seg(r, 1024), seg(r + 4096, 5120)};

    tb_fill(a, 4096, 1, 0);
    tb_fill(m + 512, 512, 2, 0);
    tb_fill(c + 1024, 1536, 3, 0);
    memcpy(expect, a, 4096);
    memcpy(expect + 4096, m + 512, 512);
    memcpy(expect + 4608, c + 1024, 1536);

    assert_int_equal(rw(b, BLK_OP_WRITE, 100, ws, 3), 0);
    assert_memory_equal(sim_blk_data(d, NULL) + 100 * 512, expect, sizeof(expect));
    assert_int_equal(rw(b, BLK_OP_READ, 100, rs, 2), 0);
    assert_memory_equal(r, expect, 1024);
    assert_memory_equal(r + 4096, expect + 1024, 5120);
    assert_int_equal(sim_stats(d)->driver_errors, 0);
    free(a);
    free(m);
    free(c);
    free(r);
}

static void test_split_by_size_max_and_seg_max(void **state)
{
    (void)state;
    struct tb_opts o = {.size_max = 4096, .seg_max = 2};
    struct sim_device *d = tb_make(&o, 0);
    struct blk_dev *b = bd(d);
    uint8_t *w = tb_alloc(65536), *r = tb_alloc(65536);
    struct vq_seg ws = seg(w, 65536), rs = seg(r, 65536);
    uint64_t writes = sim_stats(d)->blk_writes, reads = sim_stats(d)->blk_reads;

    tb_fill(w, 65536, 9, 0);
    assert_int_equal(rw(b, BLK_OP_WRITE, 0, &ws, 1), 0);
    /* 16 pieces of 4096 bytes, two per chain: 8 virtio requests, each header + 2 + status. */
    assert_int_equal(sim_stats(d)->blk_writes - writes, 8);
    assert_int_equal(rw(b, BLK_OP_READ, 0, &rs, 1), 0);
    assert_int_equal(sim_stats(d)->blk_reads - reads, 8);
    assert_true(sim_stats(d)->max_chain_segs <= 4);
    assert_int_equal(sim_stats(d)->driver_errors, 0);
    assert_memory_equal(w, r, 65536);
    assert_memory_equal(sim_blk_data(d, NULL), w, 65536);
    free(w);
    free(r);
}

static void test_split_keeps_whole_blocks(void **state)
{
    (void)state;
    /* 4096-byte blocks, at most 3 segments per chain: pieces 1024+1024+3072 would end a chain
     * mid-block, so the third is cut to 2048 and the rest opens the next chain. */
    struct tb_opts o = {.blk_size = 4096, .seg_max = 3};
    struct sim_device *d = tb_make(&o, 0);
    struct blk_dev *b = bd(d);
    uint8_t *p = tb_alloc(5 * 4096), *r = tb_alloc(8192);
    struct vq_seg ws[5] = {seg(p, 1024), seg(p + 4096, 1024), seg(p + 8192, 3072),
                           seg(p + 12288, 2048), seg(p + 16384, 1024)};
    struct vq_seg rs = seg(r, 8192);
    uint8_t expect[8192];
    size_t pos = 0;
    struct blk_stats before, after;

    for (unsigned i = 0; i < 5; i++) {
        tb_fill((void *)(uintptr_t)ws[i].addr, ws[i].len, 20 + i, 0);
        memcpy(expect + pos, (void *)(uintptr_t)ws[i].addr, ws[i].len);
        pos += ws[i].len;
    }
    blk_get_stats(b, &before);
    assert_int_equal(rw(b, BLK_OP_WRITE, 16, ws, 5), 0);
    blk_get_stats(b, &after);
    assert_int_equal(after.chains - before.chains, 2);
    assert_int_equal(rw(b, BLK_OP_READ, 16, &rs, 1), 0);
    assert_memory_equal(r, expect, 8192);
    assert_memory_equal(sim_blk_data(d, NULL) + 16 * 512, expect, 8192);

    /* Two segments of 1024 cannot make one 4096-byte block with seg_max 2: refused, unsent. */
    struct tb_opts two = {.blk_size = 4096, .seg_max = 2};
    struct sim_device *d2 = tb_make(&two, 0);
    struct vq_seg frag[4] = {seg(p, 1024), seg(p + 4096, 1024), seg(p + 8192, 1024),
                             seg(p + 12288, 1024)};
    uint64_t notifies = sim_stats(d2)->notifies;
    assert_int_equal(rw(bd(d2), BLK_OP_WRITE, 0, frag, 4), -EINVAL);
    assert_int_equal(sim_stats(d2)->notifies, notifies);
    free(p);
    free(r);
}

static void test_refused_before_device(void **state)
{
    (void)state;
    struct tb_opts o = {.blk_size = 4096, .add_features = 1ull << 5 /* RO */};
    struct sim_device *d = tb_make(&o, 0);
    struct blk_dev *b = bd(d);
    uint8_t *buf = tb_alloc(8192);
    struct vq_seg s = seg(buf, 4096), odd = seg(buf, 1000);
    struct tb_done r;
    uint64_t notifies = sim_stats(d)->notifies;

    assert_true(blk_info(b)->read_only);
    assert_int_equal(blk_submit(b, BLK_OP_WRITE, 0, &s, 1, 0, tb_blk_done, tb_arm(&r)), -EROFS);
    assert_int_equal(r.calls, 0); /* refused: its completion never runs */
    assert_int_equal(blk_submit(b, BLK_OP_READ, 1, &s, 1, 0, tb_blk_done, tb_arm(&r)),
                     -EINVAL); /* mid-block */
    assert_int_equal(blk_submit(b, BLK_OP_READ, 0, &odd, 1, 0, tb_blk_done, tb_arm(&r)),
                     -EINVAL); /* not a block */
    assert_int_equal(blk_submit(b, BLK_OP_READ, 2048, &s, 1, 0, tb_blk_done, tb_arm(&r)),
                     -EINVAL); /* past end */
    assert_int_equal(blk_submit(b, BLK_OP_READ, 2040, &s, 1, 0, tb_blk_done, tb_arm(&r)),
                     0); /* last block */
    assert_int_equal(tb_wait(&r), 0);
    assert_int_equal(blk_submit(b, BLK_OP_READ, UINT64_MAX - 7, &s, 1, 0, tb_blk_done, tb_arm(&r)),
                     -EINVAL);
    assert_int_equal(blk_submit(b, BLK_OP_READ, 0, NULL, 0, 0, tb_blk_done, tb_arm(&r)), -EINVAL);
    assert_int_equal(blk_submit_range(b, BLK_OP_WRITE_ZEROES, 0, 8, 0, tb_blk_done, tb_arm(&r)),
                     -EROFS);
    assert_int_equal(sim_stats(d)->notifies, notifies + 1);
    assert_int_equal(sim_stats(d)->blk_writes, 0);
    free(buf);
}

static void test_status_mapping(void **state)
{
    (void)state;
    /* DISCARD offered (with limits) but the sim answers UNSUPP to it. */
    struct tb_opts o = {.add_features = 1ull << 13,
                        .config_len = 60,
                        .n_cfg = 3,
                        .cfg = {{36, 4, 64}, {40, 4, 1}, {44, 4, 1}}};
    struct sim_device *d = tb_make(&o, 0);
    struct blk_dev *b = bd(d);
    uint8_t *buf = tb_alloc(4096);
    struct vq_seg s = seg(buf, 4096);
    struct tb_done r;
    struct blk_stats st;

    assert_int_equal(blk_info(b)->max_discard_sectors, 64);
    sim_blk_fail_sectors(d, 10, 1);
    assert_int_equal(rw(b, BLK_OP_READ, 8, &s, 1), -EIO);
    /* The device said IOERR: the caller gets it and reports it; the driver adds no line. */
    assert_false(os_host_log_contains("sector 8"));
    assert_int_equal(rw(b, BLK_OP_READ, 16, &s, 1), 0);

    assert_int_equal(blk_submit_range(b, BLK_OP_DISCARD, 0, 8, 0, tb_blk_done, tb_arm(&r)), 0);
    assert_int_equal(tb_wait(&r), -EOPNOTSUPP);
    assert_int_equal(sim_stats(d)->blk_unsupp, 1);
    assert_int_equal(blk_submit_range(b, BLK_OP_DISCARD, 0, 128, 0, tb_blk_done, tb_arm(&r)),
                     -E2BIG);
    /* WRITE_ZEROES was never offered: refused without reaching the device. */
    assert_int_equal(blk_submit_range(b, BLK_OP_WRITE_ZEROES, 0, 8, 0, tb_blk_done, tb_arm(&r)),
                     -EOPNOTSUPP);
    assert_int_equal(sim_stats(d)->blk_unsupp, 1);

    blk_get_stats(b, &st);
    assert_int_equal(st.errors, 2);
    assert_false(blk_info(b)->failed);
    free(buf);
}

/* A device that says OK but reports writing fewer bytes than the read asked for: the read
 * fails with one line naming the device and how much came back, and the device stays in use. */
static void test_short_read(void **state)
{
    (void)state;
    struct tb_opts o = {0};
    struct sim_device *d = tb_make(&o, 0);
    struct blk_dev *b = bd(d);
    uint8_t *buf = tb_alloc(1024);
    struct vq_seg s = seg(buf, 1024);

    sim_fault(d, SIM_FAULT_USED_LEN_SHORT, 1);
    assert_int_equal(rw(b, BLK_OP_READ, 4, &s, 1), -EIO);
    assert_true(os_host_log_contains("read at sector 4: device returned 0 of 1024 bytes"));
    assert_int_equal(rw(b, BLK_OP_READ, 4, &s, 1), 0);
    assert_false(blk_info(b)->failed);
    free(buf);
}

/* A completion that says nothing was written (not even the status byte) and one with a
 * status the spec does not know both fail the request, whatever the byte happens to hold, with
 * one line naming the device and the sector; the device stays in use. */
static void test_bad_status_answers(void **state)
{
    (void)state;
    struct tb_opts o = {0};
    struct sim_device *d = tb_make(&o, 0);
    struct blk_dev *b = bd(d);
    uint8_t *buf = tb_alloc(512);
    struct vq_seg s = seg(buf, 512);

    sim_fault(d, SIM_FAULT_USED_LEN_ZERO, 1);
    assert_int_equal(rw(b, BLK_OP_WRITE, 6, &s, 1), -EIO);
    assert_true(os_host_log_contains("write at sector 6: device completed it without writing"));
    os_host_advance_clock(2000 * MS); /* past the rate limit of bad-answer lines */
    sim_fault(d, SIM_FAULT_BLK_BAD_STATUS, 1);
    assert_int_equal(rw(b, BLK_OP_WRITE, 7, &s, 1), -EIO);
    assert_true(os_host_log_contains("write at sector 7: device answered unknown status 127"));
    assert_int_equal(rw(b, BLK_OP_WRITE, 7, &s, 1), 0);
    assert_false(blk_info(b)->failed);
    free(buf);
}

/* Occurrences of `needle` in the captured log. */
static unsigned log_count(const char *needle)
{
    unsigned n = 0;
    for (const char *p = os_host_log_text(); (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

/* A device that answers every read short: each read fails, but the console gets one line per
 * second, and the next line says how many were left out. */
static void test_bad_answers_rate_limited(void **state)
{
    (void)state;
    struct tb_opts o = {0};
    struct sim_device *d = tb_make(&o, 0);
    struct blk_dev *b = bd(d);
    uint8_t *buf = tb_alloc(512);
    struct vq_seg s = seg(buf, 512);

    os_host_log_clear();
    sim_fault(d, SIM_FAULT_USED_LEN_SHORT, SIM_FOREVER);
    for (unsigned i = 0; i < 10; i++)
        assert_int_equal(rw(b, BLK_OP_READ, i, &s, 1), -EIO);
    assert_int_equal(log_count("device returned 0 of 512 bytes"), 1);
    assert_true(os_host_log_contains("read at sector 0: device returned"));
    os_host_advance_clock(2000 * MS);
    assert_int_equal(rw(b, BLK_OP_READ, 20, &s, 1), -EIO);
    assert_true(os_host_log_contains("9 more bad answers from the device not shown"));
    assert_true(os_host_log_contains("read at sector 20: device returned 0 of 512 bytes"));
    assert_int_equal(log_count("device returned 0 of 512 bytes"), 2);
    sim_fault(d, SIM_FAULT_USED_LEN_SHORT, 0);
    assert_int_equal(rw(b, BLK_OP_READ, 20, &s, 1), 0);
    assert_false(blk_info(b)->failed);
    free(buf);
}

/* DISCARD offered with a maximum but no segments: not used, with one line saying why. */
static void test_discard_without_segments(void **state)
{
    (void)state;
    struct tb_opts o = {.add_features = 1ull << 13,
                        .config_len = 60,
                        .n_cfg = 3,
                        .cfg = {{36, 4, 64}, {40, 4, 0}, {44, 4, 1}}};
    struct sim_device *d = tb_make(&o, 0);
    struct tb_done r;

    assert_int_equal(blk_info(bd(d))->max_discard_sectors, 0);
    assert_true(os_host_log_contains("discard offered with max 64 sectors, 0 segments; not used"));
    assert_int_equal(blk_submit_range(bd(d), BLK_OP_DISCARD, 0, 8, 0, tb_blk_done, tb_arm(&r)),
                     -EOPNOTSUPP);
}

static void test_flush(void **state)
{
    (void)state;
    struct tb_opts o = {0};
    struct sim_device *d = tb_make(&o, 0);
    struct tb_done r;

    assert_int_equal(blk_submit(bd(d), BLK_OP_FLUSH, 0, NULL, 0, 0, tb_blk_done, tb_arm(&r)), 0);
    assert_int_equal(tb_wait(&r), 0);
    assert_int_equal(sim_stats(d)->blk_flushes, 1);

    struct tb_opts nf = {.drop_features = 1ull << 9};
    d = tb_make(&nf, 0);
    assert_false(blk_info(bd(d))->flush);
    assert_int_equal(blk_submit(bd(d), BLK_OP_FLUSH, 0, NULL, 0, 0, tb_blk_done, tb_arm(&r)),
                     -EOPNOTSUPP);
    assert_int_equal(sim_stats(d)->blk_flushes, 0);
}

static void test_queue_limits(void **state)
{
    (void)state;
    /* 8 descriptors: a chain holds at most 6 data segments, four chains at most (without
     * indirect tables: test_indirect_and_packed has them). */
    struct tb_opts o = {.queue_max = 8, .size_max = 4096, .drop_features = 1ull << 28};
    struct sim_device *d = tb_make(&o, 0);
    struct blk_dev *b = bd(d);
    uint8_t *buf = tb_alloc(65536);
    struct vq_seg big = seg(buf, 65536), small[3];
    struct tb_done r[3];
    struct blk_stats st;

    assert_int_equal(blk_info(b)->queue_size, 8);
    assert_int_equal(blk_submit(b, BLK_OP_READ, 0, &big, 1, 0, tb_blk_done, tb_arm(&r[0])), -E2BIG);
    sim_set_completion(d, SIM_COMPLETE_DEFERRED, SIM_ORDER_FIFO);
    for (unsigned i = 0; i < 3; i++)
        small[i] = seg(buf + i * 4096, 4096);
    assert_int_equal(blk_submit(b, BLK_OP_READ, 0, &small[0], 1, 0, tb_blk_done, tb_arm(&r[0])), 0);
    assert_int_equal(blk_submit(b, BLK_OP_READ, 8, &small[1], 1, 0, tb_blk_done, tb_arm(&r[1])), 0);
    assert_int_equal(blk_submit(b, BLK_OP_READ, 16, &small[2], 1, 0, tb_blk_done, tb_arm(&r[2])),
                     -EAGAIN);
    assert_int_equal(r[2].calls, 0); /* refused: never completed */
    assert_int_equal(tb_wait(&r[0]), 0);
    assert_int_equal(tb_wait(&r[1]), 0); /* each completion ran exactly once (tb_wait checks) */
    blk_get_stats(b, &st);
    assert_int_equal(st.inflight, 0); /* nothing outstanding: the records went back */
    assert_int_equal(blk_submit(b, BLK_OP_READ, 16, &small[2], 1, 0, tb_blk_done, tb_arm(&r[2])),
                     0);
    assert_int_equal(tb_wait(&r[2]), 0);
    free(buf);
}

static void many_in_flight_out_of_order(const struct tb_opts *o)
{
    enum { N = 40 };
    struct sim_device *d = tb_make(o, 0);
    struct blk_dev *b = bd(d);
    uint8_t *buf = tb_alloc(N * 4096), *back = tb_alloc(N * 4096);
    struct tb_done r[N];
    struct vq_seg s[N];
    struct blk_stats st;

    sim_set_completion(d, SIM_COMPLETE_DEFERRED, SIM_ORDER_SHUFFLE);
    for (unsigned i = 0; i < N; i++) {
        uint64_t sector = (uint64_t)(N - 1 - i) * 97 % 8000;
        tb_fill(buf + i * 4096, 4096, 100 + i, 0);
        s[i] = seg(buf + i * 4096, 4096);
        assert_int_equal(blk_submit(b, BLK_OP_WRITE, sector, &s[i], 1, BLK_SUBMIT_NOKICK,
                                    tb_blk_done, tb_arm(&r[i])),
                         0);
    }
    assert_int_equal(sim_stats(d)->blk_writes, 0);
    blk_kick(b);
    assert_int_equal(sim_pending(d, 0), N);
    blk_get_stats(b, &st);
    assert_int_equal(st.inflight, N);
    assert_true(st.max_inflight >= N);
    for (int i = N - 1; i >= 0; i--) /* waited for in the reverse order */
        assert_int_equal(tb_wait(&r[i]), 0);

    sim_set_completion(d, SIM_COMPLETE_DEFERRED, SIM_ORDER_REVERSE);
    for (unsigned i = 0; i < N; i++) {
        uint64_t sector = (uint64_t)(N - 1 - i) * 97 % 8000;
        s[i] = seg(back + i * 4096, 4096);
        assert_int_equal(
            blk_submit(b, BLK_OP_READ, sector, &s[i], 1, 0, tb_blk_done, tb_arm(&r[i])), 0);
    }
    for (unsigned i = 0; i < N; i++) {
        assert_int_equal(tb_wait(&r[i]), 0);
        assert_int_equal(tb_check(back + i * 4096, 4096, 100 + i, 0), -1);
    }
    blk_get_stats(b, &st);
    assert_int_equal(st.inflight, 0);
    free(buf);
    free(back);
}

static void test_many_in_flight_out_of_order(void **state)
{
    (void)state;
    struct tb_opts o = {.sectors = 8192};
    many_in_flight_out_of_order(&o);
}

/* Both ring layouts, with and without indirect tables: a queue of 8 holds 8 one-segment
 * requests with tables, 2 without; data round trips through scattered segments and many
 * requests completed out of order. */
static void test_indirect_and_packed(void **state)
{
    (void)state;
    for (unsigned packed = 0; packed < 2; packed++) {
        for (unsigned ind = 0; ind < 2; ind++) {
            struct tb_opts o = {.queue_max = 8,
                                .add_features = packed ? 1ull << SIM_F_RING_PACKED : 0,
                                .drop_features = ind ? 0 : 1ull << SIM_F_INDIRECT_DESC};
            struct sim_device *d = tb_make(&o, 0);
            struct blk_dev *b = bd(d);
            uint8_t *buf = tb_alloc(9 * 4096);
            struct tb_done r[9];
            unsigned n = 0;

            assert_int_equal(virtio_has_feature(sim_vdev(d), VIRTIO_F_RING_PACKED), packed);
            assert_int_equal(virtio_has_feature(sim_vdev(d), VIRTIO_F_RING_INDIRECT_DESC), ind);
            sim_set_completion(d, SIM_COMPLETE_DEFERRED, SIM_ORDER_SHUFFLE);
            for (unsigned i = 0; i < 9; i++) {
                struct vq_seg s1 = seg(buf + i * 4096, 4096);
                tb_fill(buf + i * 4096, 4096, 7 + i, 0);
                int rc = blk_submit(b, BLK_OP_WRITE, i * 8, &s1, 1, 0, tb_blk_done, tb_arm(&r[i]));
                if (rc == -EAGAIN)
                    break;
                assert_int_equal(rc, 0);
                n++;
            }
            assert_int_equal(n, ind ? 8 : 2);
            for (unsigned i = 0; i < n; i++)
                assert_int_equal(tb_wait(&r[i]), 0);
            uint64_t size;
            uint8_t *disk = sim_blk_data(d, &size);
            for (unsigned i = 0; i < n; i++)
                assert_int_equal(tb_check(disk + i * 4096, 4096, 7 + i, 0), -1);
            assert_int_equal(sim_stats(d)->driver_errors, 0);
            free(buf);
            sim_destroy(d);

            struct tb_opts big = {
                .sectors = 8192, .add_features = o.add_features, .drop_features = o.drop_features};
            many_in_flight_out_of_order(&big);
        }
    }
}

static void test_completes_without_interrupt(void **state)
{
    (void)state;
    struct tb_opts o = {0};
    struct sim_device *d = tb_make(&o, 0);
    uint8_t *buf = tb_alloc(4096);
    struct vq_seg s = seg(buf, 4096);

    sim_set_completion(d, SIM_COMPLETE_DEFERRED, SIM_ORDER_FIFO);
    sim_fault(d, SIM_FAULT_NO_INTERRUPT, SIM_FOREVER);
    uint32_t irqs = sim_vdev(d)->interrupts;
    assert_int_equal(rw(bd(d), BLK_OP_READ, 0, &s, 1), 0);
    assert_int_equal(sim_vdev(d)->interrupts, irqs);
    free(buf);
}

/* Interrupt mode watches the ring for a moment (device interrupts off) before sleeping. Here
 * completions happen only when the waiter sleeps (the host's os_wait runs deferred work), so the
 * watch always runs out: each wait must still end, and leave device interrupts switched on. */
static void test_ring_watch_then_sleep(void **state)
{
    (void)state;
    struct tb_opts o = {0};
    struct sim_device *d = tb_make(&o, 0);
    struct blk_dev *b = bd(d);
    struct virtqueue *vq = sim_vdev(d)->vqs[0];
    uint8_t *w = tb_alloc(4096), *r = tb_alloc(4096);
    struct vq_seg ws = seg(w, 4096), rs = seg(r, 4096);

    assert_int_equal(blk_spin(b), BLK_SPIN_NS);
    sim_set_completion(d, SIM_COMPLETE_DEFERRED, SIM_ORDER_FIFO);
    const uint64_t spins[] = {BLK_SPIN_NS, 0};
    for (unsigned i = 0; i < 2; i++) {
        blk_set_spin(b, spins[i]);
        tb_fill(w, 4096, i + 1, 0);
        assert_int_equal(rw(b, BLK_OP_WRITE, 64, &ws, 1), 0);
        assert_int_equal(rw(b, BLK_OP_READ, 64, &rs, 1), 0);
        assert_memory_equal(w, r, 4096);
        assert_int_equal(vq->avail->flags & VRING_AVAIL_F_NO_INTERRUPT, 0);
    }
    free(w);
    free(r);
}

/* Batched submissions wait for blk_kick, except a large request, which is announced at once
 * (and with it whatever was queued before it). */
static void test_large_request_kicked_alone(void **state)
{
    (void)state;
    struct tb_opts o = {0};
    struct sim_device *d = tb_make(&o, 0);
    struct blk_dev *b = bd(d);
    const uint32_t big = BLK_KICK_ALONE_BYTES, small = big - 4096;
    uint8_t *buf = tb_alloc(big + small);
    struct vq_seg s_small = seg(buf, small), s_big = seg(buf + small, big);
    struct tb_done r[3];

    sim_set_completion(d, SIM_COMPLETE_DEFERRED, SIM_ORDER_FIFO);
    assert_int_equal(
        blk_submit(b, BLK_OP_READ, 0, &s_small, 1, BLK_SUBMIT_NOKICK, tb_blk_done, tb_arm(&r[0])),
        0);
    assert_int_equal(sim_pending(d, 0), 0); /* below the bound: held for the kick */
    assert_int_equal(
        blk_submit(b, BLK_OP_READ, 1024, &s_big, 1, BLK_SUBMIT_NOKICK, tb_blk_done, tb_arm(&r[1])),
        0);
    const unsigned seen = sim_pending(d, 0);
    assert_true(seen >= 2); /* the large one and the small one before it (in chains) */
    assert_int_equal(
        blk_submit(b, BLK_OP_READ, 512, &s_small, 1, BLK_SUBMIT_NOKICK, tb_blk_done, tb_arm(&r[2])),
        0);
    assert_int_equal(sim_pending(d, 0), seen); /* small again: held */
    blk_kick(b);
    assert_true(sim_pending(d, 0) > seen);
    for (unsigned i = 0; i < 3; i++)
        assert_int_equal(tb_wait(&r[i]), 0);
    free(buf);
}

/* The ring watch is for a few small requests: past BLK_SPIN_MAX_BYTES outstanding (or
 * BLK_SPIN_MAX_INFLIGHT requests) a waiter sleeps at once; the bound follows completions. */
static void test_watch_only_small_requests(void **state)
{
    (void)state;
    struct tb_opts o = {0};
    struct sim_device *d = tb_make(&o, 0);
    struct blk_dev *b = bd(d);
    const uint32_t half = BLK_SPIN_MAX_BYTES / 2;
    uint8_t *buf = tb_alloc(3 * half);
    struct tb_done r[3];

    sim_set_completion(d, SIM_COMPLETE_DEFERRED, SIM_ORDER_FIFO);
    assert_int_equal(b->hooks.watch(b->hooks.arg), 0); /* idle: nothing to watch for */
    for (unsigned i = 0; i < 3; i++) {
        struct vq_seg s = seg(buf + i * half, half);
        assert_int_equal(blk_submit(b, BLK_OP_READ, (uint64_t)i * (half / 512), &s, 1, 0,
                                    tb_blk_done, tb_arm(&r[i])),
                         0);
        /* half, then exactly the bound: watched; one and a half times the bound: not */
        assert_int_equal(b->hooks.watch(b->hooks.arg), i < 2 ? BLK_SPIN_NS : 0);
    }
    assert_int_equal(b->hooks.arm(b->hooks.arg), false);
    for (unsigned i = 0; i < 3; i++)
        assert_int_equal(tb_wait(&r[i]), 0);
    assert_int_equal(b->hooks.watch(b->hooks.arg), 0);

    /* Small requests: watched up to BLK_SPIN_MAX_INFLIGHT of them. */
    struct tb_done many[BLK_SPIN_MAX_INFLIGHT + 1];
    for (unsigned i = 0; i <= BLK_SPIN_MAX_INFLIGHT; i++) {
        struct vq_seg s = seg(buf + i * 4096, 4096);
        assert_int_equal(blk_submit(b, BLK_OP_READ, i * 8, &s, 1, 0, tb_blk_done, tb_arm(&many[i])),
                         0);
        assert_int_equal(b->hooks.watch(b->hooks.arg), i < BLK_SPIN_MAX_INFLIGHT ? BLK_SPIN_NS : 0);
    }
    b->hooks.arm(b->hooks.arg);
    for (unsigned i = 0; i <= BLK_SPIN_MAX_INFLIGHT; i++)
        assert_int_equal(tb_wait(&many[i]), 0);
    free(buf);
}

static void test_polled_device(void **state)
{
    (void)state;
    struct tb_opts o = {.no_irq = true};
    struct sim_device *d = tb_make(&o, 0);
    struct blk_dev *b = bd(d);
    uint8_t *buf = tb_alloc(4096);
    struct vq_seg s = seg(buf, 4096);

    assert_true(blk_polled(b));
    tb_fill(buf, 4096, 5, 0);
    assert_int_equal(rw(b, BLK_OP_WRITE, 0, &s, 1), 0);
    blk_set_polled(b, false); /* no interrupt line: stays polled */
    assert_true(blk_polled(b));
    assert_memory_equal(sim_blk_data(d, NULL), buf, 4096);
    free(buf);
}

static void test_timeout_fails_device(void **state)
{
    (void)state;
    struct tb_opts o = {0};
    struct sim_device *d = tb_make(&o, 0);
    struct blk_dev *b = bd(d);
    uint8_t *buf = tb_alloc(8192);
    struct vq_seg s0 = seg(buf, 4096), s1 = seg(buf + 4096, 4096);
    struct tb_done r0, r1;

    /* Deferred and polled: the sim only completes from os_wait, which a poller never calls,
     * so the requests are never answered. */
    sim_set_completion(d, SIM_COMPLETE_DEFERRED, SIM_ORDER_FIFO);
    blk_set_polled(b, true);
    blk_set_timeout(b, 20 * MS);
    os_host_set_clock_step(MS / 10);
    assert_int_equal(blk_submit(b, BLK_OP_READ, 0, &s0, 1, 0, tb_blk_done, tb_arm(&r0)), 0);
    assert_int_equal(blk_submit(b, BLK_OP_READ, 8, &s1, 1, 0, tb_blk_done, tb_arm(&r1)), 0);
    assert_int_equal(tb_wait(&r0), -ETIMEDOUT);
    assert_int_equal(tb_result(&r1), -EIO); /* ended with the device, nobody waiting for it */
    assert_true(blk_info(b)->failed);
    assert_true(os_host_log_contains("taken out of use: read at sector 0 timed out"));
    assert_int_equal(sim_vdev(d)->state, VIRTIO_STATE_FAILED);
    assert_int_equal(sim_status(d), 0); /* reset: it no longer touches our memory */
    assert_int_equal(blk_submit(b, BLK_OP_READ, 0, &s0, 1, 0, tb_blk_done, tb_arm(&r0)), -EIO);
    assert_int_equal(sim_stats(d)->blk_reads, 0);
    free(buf);
}

static void test_broken_queue_fails_outstanding(void **state)
{
    (void)state;
    enum { N = 6 };
    struct tb_opts o = {0};
    struct sim_device *d = tb_make(&o, 0);
    struct blk_dev *b = bd(d);
    uint8_t *buf = tb_alloc(N * 4096);
    struct vq_seg s[N];
    struct tb_done r[N];

    sim_set_completion(d, SIM_COMPLETE_DEFERRED, SIM_ORDER_FIFO);
    for (unsigned i = 0; i < N; i++) {
        s[i] = seg(buf + i * 4096, 4096);
        assert_int_equal(blk_submit(b, BLK_OP_READ, i * 8, &s[i], 1, 0, tb_blk_done, tb_arm(&r[i])),
                         0);
    }
    sim_fault(d, SIM_FAULT_USED_ID_RANGE, 1);
    for (unsigned i = 0; i < N; i++)
        assert_int_equal(tb_wait(&r[i]), -EIO);
    assert_true(blk_info(b)->failed);
    assert_true(os_host_log_contains("request queue broken"));
    assert_int_equal(blk_submit(b, BLK_OP_READ, 0, &s[0], 1, 0, tb_blk_done, tb_arm(&r[0])), -EIO);
    free(buf);
}

/* A configuration-change interrupt (QEMU's block_resize) reaches the driver: the new capacity
 * is checked, kept in whole blocks, logged, and bounds every request from then on. */
static void test_capacity_change(void **state)
{
    (void)state;
    struct tb_opts o = {.blk_size = 4096, .sectors = 4096};
    struct sim_device *d = tb_make(&o, 0);
    struct blk_dev *b = bd(d);
    uint8_t *buf = tb_alloc(4096);
    struct vq_seg seg = {(uint64_t)(uintptr_t)buf, 4096};
    char line[160];

    assert_int_equal(rw(b, BLK_OP_READ, 4088, &seg, 1), 0);
    sim_set_config(d, SIM_BLK_CFG_CAPACITY, 8, 2051); /* shrinks; a partial block is dropped */
    assert_int_equal(blk_info(b)->capacity, 2048);
    snprintf(line, sizeof(line), "%s: capacity changed from 512 to 256 sectors x 4096 bytes",
             sim_vdev(d)->name);
    assert_true(os_host_log_contains(line));
    assert_int_equal(rw(b, BLK_OP_READ, 4088, &seg, 1), -EINVAL); /* past the new end */
    assert_int_equal(rw(b, BLK_OP_READ, 2040, &seg, 1), 0);

    sim_set_config(d, SIM_BLK_CFG_CAPACITY, 8, UINT64_MAX); /* impossible: kept as it was */
    assert_int_equal(blk_info(b)->capacity, 2048);
    assert_true(os_host_log_contains("capacity 18446744073709551615 sectors is impossible"));

    sim_set_config(d, SIM_BLK_CFG_CAPACITY, 8, 4096); /* grows back */
    assert_int_equal(blk_info(b)->capacity, 4096);
    assert_int_equal(rw(b, BLK_OP_READ, 4088, &seg, 1), 0);
    assert_false(blk_info(b)->failed);
    assert_int_equal(sim_stats(d)->driver_errors, 0);
    free(buf);
}

static void test_remove_frees_everything(void **state)
{
    (void)state;
    uint64_t heap = os_host_alloc_bytes(), dma = os_host_dma_bytes();
    struct tb_opts o = {0};
    struct sim_device *d = tb_make(&o, 0);

    assert_true(os_host_dma_bytes() > dma);
    sim_destroy(d);
    assert_int_equal(os_host_alloc_bytes(), heap);
    assert_int_equal(os_host_dma_bytes(), dma);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_probe_defaults, teardown),
        cmocka_unit_test_teardown(test_probe_line_4096, teardown),
        cmocka_unit_test_teardown(test_probe_legacy_roundtrip, teardown),
        cmocka_unit_test_teardown(test_probe_bad_blk_size_falls_back, teardown),
        cmocka_unit_test_teardown(test_probe_seg_max_size_max, teardown),
        cmocka_unit_test_teardown(test_probe_rejects_impossible, teardown),
        cmocka_unit_test_teardown(test_probe_topology, teardown),
        cmocka_unit_test_teardown(test_roundtrip_scattered_segments, teardown),
        cmocka_unit_test_teardown(test_split_by_size_max_and_seg_max, teardown),
        cmocka_unit_test_teardown(test_split_keeps_whole_blocks, teardown),
        cmocka_unit_test_teardown(test_refused_before_device, teardown),
        cmocka_unit_test_teardown(test_status_mapping, teardown),
        cmocka_unit_test_teardown(test_short_read, teardown),
        cmocka_unit_test_teardown(test_bad_answers_rate_limited, teardown),
        cmocka_unit_test_teardown(test_bad_status_answers, teardown),
        cmocka_unit_test_teardown(test_discard_without_segments, teardown),
        cmocka_unit_test_teardown(test_flush, teardown),
        cmocka_unit_test_teardown(test_queue_limits, teardown),
        cmocka_unit_test_teardown(test_many_in_flight_out_of_order, teardown),
        cmocka_unit_test_teardown(test_indirect_and_packed, teardown),
        cmocka_unit_test_teardown(test_completes_without_interrupt, teardown),
        cmocka_unit_test_teardown(test_ring_watch_then_sleep, teardown),
        cmocka_unit_test_teardown(test_large_request_kicked_alone, teardown),
        cmocka_unit_test_teardown(test_watch_only_small_requests, teardown),
        cmocka_unit_test_teardown(test_polled_device, teardown),
        cmocka_unit_test_teardown(test_timeout_fails_device, teardown),
        cmocka_unit_test_teardown(test_broken_queue_fails_outstanding, teardown),
        cmocka_unit_test_teardown(test_capacity_change, teardown),
        cmocka_unit_test_teardown(test_remove_frees_everything, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
