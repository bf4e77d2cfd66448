/* Crash safety: a workload (creates, writes, fsyncs, overwrites, renames over existing names,
 * truncates, unlinks, mkdir/rmdir) runs on a RAM device that records every write and flush in
 * order. Each prefix of that log ending at a flush, and random cut points (a torn last write
 * included: device blocks are 1 KiB, filesystem blocks 4 KiB), is applied to the starting
 * image; fsck -n must find it clean, it must mount, and every file fsynced before the cut
 * must be intact; files rewritten in place hold one whole version, never a mix. */
#include "nexfs_test.h"

#define ATOM_SIZE 6000
#define NVERS     6

struct event {
    char path[32];
    uint64_t len;
    uint32_t seed;
    size_t at; /* log length when fsync returned */
};

static struct event events[64];
static int nevents;
static size_t atom_from, target_from; /* log length once these files were first fsynced */

static void fsynced(struct nexfs *fs, struct ramdev *rd, const char *path, uint64_t len,
                    uint32_t seed)
{
    int fd = nexfs_open(fs, path, NEXFS_O_RDWR, 0);
    assert_true(fd >= 0);
    assert_int_equal(nexfs_fsync(fs, fd), 0);
    nexfs_close(fs, fd);
    struct event *e = &events[nevents++];
    snprintf(e->path, sizeof(e->path), "%s", path);
    e->len = len;
    e->seed = seed;
    e->at = rd->nops;
}

static void rewrite(struct nexfs *fs, const char *path, uint32_t seed, uint64_t len)
{
    uint8_t b[ATOM_SIZE];
    for (uint64_t i = 0; i < len; i++)
        b[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 9));
    int fd = nexfs_open(fs, path, NEXFS_O_RDWR, 0);
    assert_int_equal(nexfs_pwrite(fs, fd, b, len, 0), (int64_t)len);
    nexfs_close(fs, fd);
}

static void workload(struct nexfs *fs, struct ramdev *rd)
{
    char p[64], q[64];
    tfs_put(fs, "/atom", ATOM_SIZE, 100);
    fsynced(fs, rd, "/atom", ATOM_SIZE, 100);
    nevents--; /* rewritten below: checked as one whole version instead */
    atom_from = rd->nops;
    tfs_put(fs, "/target", 3000, 200);
    fsynced(fs, rd, "/target", 3000, 200);
    nevents--;
    target_from = rd->nops;
    assert_int_equal(nexfs_mkdir(fs, "/d", 0755), 0);
    for (int i = 0; i < 24; i++) {
        snprintf(p, sizeof(p), "/d/f%d", i);
        uint64_t len = (uint64_t)(i * 2711) % 70000;
        tfs_put(fs, p, len, (uint32_t)i);
        if (i % 3 == 0)
            fsynced(fs, rd, p, len, (uint32_t)i);
        if (i % 4 == 1)
            rewrite(fs, "/atom", 100 + (uint32_t)(i / 4 % (NVERS - 1)) + 1, ATOM_SIZE);
        if (i % 5 == 2) {
            snprintf(q, sizeof(q), "/d/tmp%d", i);
            tfs_put(fs, q, 3000, 200 + (uint32_t)(i % (NVERS - 1)) + 1);
            assert_int_equal(nexfs_rename(fs, q, "/target"), 0);
        }
        if (i % 3 == 2) {
            snprintf(q, sizeof(q), "/d/f%d", i - 1);
            assert_int_equal(nexfs_unlink(fs, q), 0);
        }
        if (i % 6 == 5) {
            snprintf(q, sizeof(q), "/d/f%d", i);
            assert_int_equal(nexfs_truncate(fs, q, 100), 0);
            snprintf(q, sizeof(q), "/d/sub%d", i);
            assert_int_equal(nexfs_mkdir(fs, q, 0755), 0);
            if (i > 6) {
                snprintf(q, sizeof(q), "/d/sub%d", i - 6);
                assert_int_equal(nexfs_rmdir(fs, q), 0);
            }
        }
    }
    tfs_put(fs, "/big", 300000, 77); /* single and double indirect blocks */
    fsynced(fs, rd, "/big", 300000, 77);
    assert_int_equal(nexfs_rename(fs, "/d/f2", "/d/renamed"), 0);
    assert_int_equal(nexfs_truncate(fs, "/d/f8", 5000), 0);
    assert_int_equal(nexfs_unlink(fs, "/d/f5"), 0);
}

static int one_version(struct nexfs *fs, const char *path, uint64_t len, uint32_t first)
{
    for (uint32_t v = 0; v < NVERS; v++)
        if (tfs_same(fs, path, len, first + v))
            return 1;
    return 0;
}

static void report(void *arg, const char *line)
{
    (void)arg;
    fprintf(stderr, "fsck: %s\n", line);
}

static int fsck_ro(struct ramdev *rd)
{
    static uint8_t *mem;
    static size_t size;
    if (!rd) {
        free(mem);
        mem = NULL;
        size = 0;
        return 0;
    }
    size_t need = nexfs_fsck_mem(&rd->dev);
    if (size < need) {
        free(mem);
        mem = malloc(need);
        size = need;
    }
    struct nexfs_fsck_opts o = {.flags = 0, .report = report, .mem = mem, .mem_size = size};
    return nexfs_fsck(&rd->dev, &o);
}

static int cuts_run;

/* Applies the first n ops (the last torn to `torn` device blocks) and checks the result.
 * With a nonzero `lose` mask, the writes after the last flush before the cut land or not as
 * its bits say: a write cache that had not written them all, in any order. */
static void check_cut(const struct ramdev *start, const struct ramdev *log, size_t n, uint32_t torn,
                      uint64_t lose, uint8_t *mem, size_t mem_size)
{
    struct ramdev img;
    ramdev_clone(&img, start);
    size_t epoch = n;
    while (lose && epoch > 0 && log->ops[epoch - 1].count != 0)
        epoch--;
    ramdev_replay(&img, log, epoch, 0);
    for (size_t i = epoch; i < n; i++, lose >>= 1) {
        const struct ramdev_op *op = &log->ops[i];
        uint32_t count = (i == n - 1 && torn) ? torn : op->count;
        if (!(lose & 1))
            memcpy(img.data + op->block * log->dev.block_size, log->payload + op->data,
                   (size_t)count * log->dev.block_size);
    }
    int r = fsck_ro(&img);
    if (r != 0)
        fprintf(stderr, "cut after %zu of %zu ops (torn %u): fsck -n says %d\n", n, log->nops, torn,
                r);
    assert_int_equal(r, 0);
    struct nexfs fs;
    assert_int_equal(nexfs_mount(&fs, &img.dev, mem, mem_size, 0), 0);
    for (int i = 0; i < nevents; i++)
        if (events[i].at <= n && !tfs_same(&fs, events[i].path, events[i].len, events[i].seed)) {
            fprintf(stderr, "cut %zu: fsynced %s lost\n", n, events[i].path);
            fail();
        }
    if (n >= atom_from)
        assert_true(one_version(&fs, "/atom", ATOM_SIZE, 100));
    if (n >= target_from)
        assert_true(one_version(&fs, "/target", 3000, 200));
    assert_int_equal(nexfs_unmount(&fs), 0);
    assert_int_equal(fsck_ro(&img), 0); /* after replay and orphan processing too */
    cuts_run++;
    ramdev_free(&img);
}

static void crash_cuts(void **state)
{
    (void)state;
    struct ramdev rd, start;
    ramdev_init(&rd, 1024, 4 * 1536); /* 6 MiB: 1536 blocks of 4 KiB */
    uint8_t scratch[4096];
    struct nexfs_mkfs_opts o = {.block_size = 4096, .hash_seed = 7};
    assert_int_equal(nexfs_mkfs(&rd.dev, &o, scratch), 0);
    ramdev_clone(&start, &rd);
    size_t mem_size = 4096 * 100;
    uint8_t *mem = malloc(mem_size);
    struct nexfs fs;
    rd.recording = 1;
    assert_int_equal(nexfs_mount(&fs, &rd.dev, mem, mem_size, 0), 0);
    workload(&fs, &rd);
    assert_int_equal(nexfs_unmount(&fs), 0);
    rd.recording = 0;
    size_t flushes = 0;
    for (size_t i = 0; i < rd.nops; i++)
        if (rd.ops[i].count == 0) {
            check_cut(&start, &rd, i + 1, 0, 0, mem, mem_size);
            flushes++;
        }
    /* random cuts, deterministic: anywhere, the last write torn at a device block */
    uint64_t x = 0x9e3779b97f4a7c15ull;
    int randoms = 60; /* NEXFS_CRASH_RANDOM=N for a longer run */
    const char *env = getenv("NEXFS_CRASH_RANDOM");
    if (env && atoi(env) > 0)
        randoms = atoi(env);
    for (int k = 0; k < randoms; k++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        size_t n = 1 + (size_t)(x % rd.nops);
        uint32_t torn = rd.ops[n - 1].count > 1 ? (uint32_t)((x >> 32) % rd.ops[n - 1].count) : 0;
        check_cut(&start, &rd, n, torn, 0, mem, mem_size);
        /* a cut just before a random flush, the writes it would have made stable landed in
         * a random subset (a write cache): the flush-ordering check */
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        size_t f = 0, want = (size_t)(x % flushes), seen = 0;
        for (size_t i = 0; i < rd.nops; i++)
            if (rd.ops[i].count == 0 && seen++ == want)
                f = i;
        check_cut(&start, &rd, f, 0, (x >> 8) | 1, mem, mem_size);
    }
    check_cut(&start, &rd, rd.nops, 0, 0, mem, mem_size);
    printf("nexfs crash: %zu log entries; %zu flush-ended prefixes, %d random torn cuts, %d "
           "write-cache cuts, the full log: %d cuts checked\n",
           rd.nops, flushes, randoms, randoms, cuts_run);
    assert_true(cuts_run >= 50);
    free(mem);
    fsck_ro(NULL);
    ramdev_free(&start);
    ramdev_free(&rd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(crash_cuts)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
