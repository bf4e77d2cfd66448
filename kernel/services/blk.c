/* The shell's `blk` service: block devices through the Block Valve, as the calling fiber (the
 * Valve's access check asks its capabilities; listing and counters need none).
 *   blk info [dev]            one line per device: transport, size, sector size, ro/rw, serial
 *   blk flush [dev]           make completed writes durable (every device without dev)
 *   blk stats <dev>           the device's counters: requests, chains, kicks, interrupts, errors
 *   blk zero|discard <dev> <lba> <count>
 *   blk polled <dev> on|off   completion by polling instead of interrupts
 *   blk spin <dev> <us>       interrupt mode: watch the ring up to us before sleeping (0: never)
 *   blk pattern write|verify <dev> <lba> <count> <seed>
 *                             a deterministic pattern the host can recompute: the 8-byte word at
 *                             device byte offset 8*w is mix(seed, w), little-endian (see below)
 *   blk inflight <dev> <n> [lba]
 *                             n writes, then n reads, each of its own 4 KiB, all outstanding at
 *                             once; every answer checked
 * Each failure is one line. Buffers come from page_alloc and go back before the command ends.
 * Ctrl-C stops a pattern run between requests. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <abi/parse_uint.h>
#include <dispatch/dispatch.h>
#include <kernel/kernel.h>
#include <services/service.h>
#include <valve.h>

#define BLK_PATTERN_PAGES 512u /* 2 MiB per request */
#define BLK_INFLIGHT_MAX  256u
#define BLK_INFLIGHT_SIZE 4096u

static int open_dev(const char *cmd, const char *name, struct block_info *info)
{
    int dev = block_find(name);
    if (dev < 0) {
        printf("%s: no block device %s\n", cmd, name);
        return -ENODEV;
    }
    int rc = block_info(&block_kernel, (unsigned)dev, info);
    if (rc) {
        printf("%s: %s: %s\n", cmd, name, block_strerror(rc));
        return rc;
    }
    return dev;
}

/* The pattern word for 8-byte word `w` of the device: a splitmix-style mix of seed and w. */
static uint64_t pattern_word(uint32_t seed, uint64_t w)
{
    uint64_t x = w * 0x9e3779b97f4a7c15ull + seed;
    x ^= x >> 29;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 32;
    return x;
}

static void pattern_fill(uint8_t *p, size_t len, uint32_t seed, uint64_t pos)
{
    for (size_t i = 0; i < len; i += 8) {
        uint64_t x = pattern_word(seed, (pos + i) / 8);
        for (unsigned b = 0; b < 8; b++)
            p[i + b] = (uint8_t)(x >> (8 * b));
    }
}

/* Offset of the first byte that differs, or -1. */
static long pattern_check(const uint8_t *p, size_t len, uint32_t seed, uint64_t pos)
{
    for (size_t i = 0; i < len; i += 8) {
        uint64_t x = pattern_word(seed, (pos + i) / 8);
        for (unsigned b = 0; b < 8; b++)
            if (p[i + b] != (uint8_t)(x >> (8 * b)))
                return (long)(i + b);
    }
    return -1;
}

static void info_line(unsigned dev)
{
    struct block_info i;
    int rc = block_info(&block_kernel, dev, &i);

    if (rc) {
        printf("blk%u: %s\n", dev, block_strerror(rc));
        return;
    }
    uint64_t kib = i.total_blocks * (i.block_size / 512) / 2;
    char seg[12] = "none", smax[12] = "none";
    if (i.seg_max)
        snprintf(seg, sizeof(seg), "%u", (unsigned)i.seg_max);
    if (i.size_max)
        snprintf(smax, sizeof(smax), "%u", (unsigned)i.size_max);
    printf("%s: %s, %llu sectors x %u bytes (%llu %s), %s, serial %s, queue %u, seg_max %s, "
           "size_max %s%s%s%s%s%s\n",
           i.name, i.transport, (unsigned long long)i.total_blocks, (unsigned)i.block_size,
           (unsigned long long)(kib >= 10240 ? kib / 1024 : kib), kib >= 10240 ? "MiB" : "KiB",
           i.read_only ? "ro" : "rw", i.serial[0] ? i.serial : "-", (unsigned)i.queue_size, seg,
           smax, i.write_cache ? ", flush" : "", i.discard ? ", discard" : "",
           i.write_zeroes ? ", write-zeroes" : "", i.polled ? ", polled" : "",
           i.failed ? ", FAILED" : "");
}

static int blk_info_cmd(int argc, char **argv)
{
    struct block_info info;

    if (argc > 1) {
        int dev = open_dev("blk info", argv[1], &info);
        if (dev < 0)
            return dev;
        info_line((unsigned)dev);
        return 0;
    }
    unsigned n = block_count();
    if (n == 0)
        printf("blk info: no block devices\n");
    for (unsigned d = 0; d < n; d++)
        info_line((unsigned)block_at(d));
    return 0;
}

static int blk_stats_cmd(int argc, char **argv)
{
    struct block_info info;
    struct block_stats st;

    if (argc != 2) {
        printf("usage: blk stats <dev>\n");
        return -EINVAL;
    }
    int dev = open_dev("blk stats", argv[1], &info);
    if (dev < 0)
        return dev;
    block_stats(&block_kernel, (unsigned)dev, &st);
    printf("blk stats %s: %llu requests, %llu chains, %llu kicks, %llu interrupts, %llu errors, "
           "%u in flight (most %u)\n",
           info.name, (unsigned long long)st.requests, (unsigned long long)st.chains,
           (unsigned long long)st.kicks, (unsigned long long)st.interrupts,
           (unsigned long long)st.errors, st.inflight, st.max_inflight);
    return 0;
}

static int flush_one(unsigned dev)
{
    struct block_info info;
    int rc = block_info(&block_kernel, dev, &info);
    if (rc) {
        printf("blk flush: blk%u: %s\n", dev, block_strerror(rc));
        return rc;
    }
    rc = block_flush(dispatch_subject(), dev);
    if (rc) {
        printf("blk flush: %s: %s\n", info.name, block_strerror(rc));
        return rc;
    }
    printf("blk flush: %s: %s\n", info.name, info.write_cache ? "flushed" : "no write cache");
    return 0;
}

/* Without a device: every device, as `blk info` lists them. */
static int blk_flush_cmd(int argc, char **argv)
{
    struct block_info info;
    if (argc > 1) {
        int dev = open_dev("blk flush", argv[1], &info);
        return dev < 0 ? dev : flush_one((unsigned)dev);
    }
    unsigned n = block_count();
    int rc = 0;
    if (n == 0)
        printf("blk flush: no block devices\n");
    for (unsigned d = 0; d < n; d++) {
        int r = flush_one((unsigned)block_at(d));
        rc = rc ? rc : r;
    }
    return rc;
}

static int blk_range_cmd(int argc, char **argv, enum block_op op)
{
    struct block_info info;
    uint64_t lba, count;

    if (argc != 4 || parse_uint(argv[2], UINT64_MAX, &lba) ||
        parse_uint(argv[3], UINT64_MAX, &count) || count > UINT32_MAX) {
        printf("usage: blk %s <dev> <lba> <count>\n", argv[0]);
        return -EINVAL;
    }
    int dev = open_dev("blk", argv[1], &info);
    if (dev < 0)
        return dev;
    struct block_req r = {.owner = dispatch_subject(),
                          .op = op,
                          .dev = (unsigned)dev,
                          .lba = lba,
                          .count = (uint32_t)count};
    int rc = block_submit(&r);
    if (!rc)
        rc = block_wait(&r);
    if (rc) {
        printf("blk %s: %s: %s\n", argv[0], info.name, block_strerror(rc));
        return rc;
    }
    printf("blk %s: %s: %llu sectors at %llu\n", argv[0], info.name, (unsigned long long)count,
           (unsigned long long)lba);
    return 0;
}

static int blk_polled_cmd(int argc, char **argv)
{
    struct block_info info;

    if (argc != 3 || (strcmp(argv[2], "on") != 0 && strcmp(argv[2], "off") != 0)) {
        printf("usage: blk polled <dev> on|off\n");
        return -EINVAL;
    }
    int dev = open_dev("blk polled", argv[1], &info);
    if (dev < 0)
        return dev;
    int rc = block_set_polled(dispatch_subject(), (unsigned)dev, strcmp(argv[2], "on") == 0);
    if (rc) {
        printf("blk polled: %s: %s\n", info.name, block_strerror(rc));
        return rc;
    }
    printf("blk polled: %s: %s\n", info.name, argv[2]);
    return 0;
}

static int blk_spin_cmd(int argc, char **argv)
{
    struct block_info info;
    uint64_t us;

    if (argc != 3 || parse_uint(argv[2], 1000000, &us)) {
        printf("usage: blk spin <dev> <microseconds 0..1000000>\n");
        return -EINVAL;
    }
    int dev = open_dev("blk spin", argv[1], &info);
    if (dev < 0)
        return dev;
    int rc = block_set_spin(dispatch_subject(), (unsigned)dev, (uint32_t)us);
    if (rc) {
        printf("blk spin: %s: %s\n", info.name, block_strerror(rc));
        return rc;
    }
    printf("blk spin: %s: %u us\n", info.name, (unsigned)us);
    return 0;
}

static int blk_pattern_cmd(int argc, char **argv)
{
    struct block_info info;
    uint64_t lba, count, seed;

    if (argc != 6 || (strcmp(argv[1], "write") != 0 && strcmp(argv[1], "verify") != 0) ||
        parse_uint(argv[3], UINT64_MAX, &lba) || parse_uint(argv[4], UINT64_MAX, &count) ||
        parse_uint(argv[5], UINT64_MAX, &seed) || seed > UINT32_MAX) {
        printf("usage: blk pattern write|verify <dev> <lba> <count> <seed>\n");
        return -EINVAL;
    }
    bool write = strcmp(argv[1], "write") == 0;
    int dev = open_dev("blk pattern", argv[2], &info);
    if (dev < 0)
        return dev;
    if (count == 0) {
        printf("blk pattern: the sector count must be at least 1\n");
        return -EINVAL;
    }
    if (lba >= info.total_blocks || count > info.total_blocks - lba) {
        printf("blk pattern: %llu sectors at %llu do not fit %s (%llu sectors)\n",
               (unsigned long long)count, (unsigned long long)lba, info.name,
               (unsigned long long)info.total_blocks);
        return -ERANGE;
    }
    uint8_t *buf = page_alloc(BLK_PATTERN_PAGES);
    if (!buf) {
        printf("blk pattern: out of memory\n");
        return -ENOMEM;
    }
    const uint32_t per = BLK_PATTERN_PAGES * PAGE_SIZE / info.block_size;
    uint64_t done = 0;
    int rc = 0;
    while (done < count && rc == 0) {
        if (service_interrupted()) {
            printf("blk pattern: %s: interrupted after %llu of %llu sectors\n", info.name,
                   (unsigned long long)done, (unsigned long long)count);
            rc = -EINTR;
            break;
        }
        uint32_t n = count - done < per ? (uint32_t)(count - done) : per;
        size_t bytes = (size_t)n * info.block_size;
        uint64_t pos = (lba + done) * info.block_size;
        if (write) {
            pattern_fill(buf, bytes, (uint32_t)seed, pos);
            rc = block_write(dispatch_subject(), (unsigned)dev, lba + done, n, buf);
        } else {
            memset(buf, 0, bytes);
            rc = block_read(dispatch_subject(), (unsigned)dev, lba + done, n, buf);
            long bad = rc ? -1 : pattern_check(buf, bytes, (uint32_t)seed, pos);
            if (bad >= 0) {
                uint64_t at = pos + (uint64_t)bad;
                printf("blk pattern: %s: mismatch at sector %llu byte %u\n", info.name,
                       (unsigned long long)(at / info.block_size),
                       (unsigned)(at % info.block_size));
                rc = -EIO;
                break;
            }
        }
        if (rc) {
            printf("blk pattern: %s: %s of sectors %llu..%llu: %s\n", info.name,
                   write ? "write" : "read", (unsigned long long)(lba + done),
                   (unsigned long long)(lba + done + n - 1), block_strerror(rc));
            break;
        }
        done += n;
    }
    page_free(buf, BLK_PATTERN_PAGES);
    if (rc == 0)
        printf("blk pattern: %s: %s %llu sectors at %llu, seed %llu\n", info.name,
               write ? "wrote" : "verified", (unsigned long long)count, (unsigned long long)lba,
               (unsigned long long)seed);
    return rc;
}

/* Submits n requests without notifying the device, then one kick: all n are outstanding at
 * once. Returns how many the driver had outstanding just before the kick, or -errno. */
static int inflight_round(unsigned dev, enum block_op op, struct block_req *r, unsigned n,
                          uint64_t lba, uint32_t spr, uint8_t *bufs)
{
    struct block_stats st;
    int rc = 0;

    for (unsigned i = 0; i < n; i++) {
        r[i] = (struct block_req){.owner = dispatch_subject(),
                                  .op = op,
                                  .dev = dev,
                                  .lba = lba + (uint64_t)i * 2 * spr,
                                  .count = spr,
                                  .buf = bufs + (size_t)i * BLK_INFLIGHT_SIZE,
                                  .flags = BLOCK_F_NOKICK};
        while ((rc = block_submit(&r[i])) == -EAGAIN) /* more than the queue holds */
            block_wait_any(dispatch_subject(), dev);
        if (rc) {
            printf("blk inflight: request %u: %s\n", i, block_strerror(rc));
            n = i;
            break;
        }
    }
    block_stats(&block_kernel, dev, &st);
    block_kick(dispatch_subject(), dev);
    for (unsigned i = n; i-- > 0;) { /* waited for newest first */
        int st_i = block_wait(&r[i]);
        if (st_i && !rc) {
            printf("blk inflight: request %u: %s\n", i, block_strerror(st_i));
            rc = st_i;
        }
    }
    return rc ? rc : (int)st.inflight;
}

static int blk_inflight_cmd(int argc, char **argv)
{
    static struct block_req reqs[BLK_INFLIGHT_MAX];
    struct block_info info;
    uint64_t n, lba = 0;

    if (argc < 3 || argc > 4 || parse_uint(argv[2], UINT64_MAX, &n) || n == 0 ||
        n > BLK_INFLIGHT_MAX || (argc == 4 && parse_uint(argv[3], UINT64_MAX, &lba))) {
        printf("usage: blk inflight <dev> <1..%u> [lba]\n", BLK_INFLIGHT_MAX);
        return -EINVAL;
    }
    int dev = open_dev("blk inflight", argv[1], &info);
    if (dev < 0)
        return dev;
    uint32_t spr = BLK_INFLIGHT_SIZE / info.block_size; /* sectors per request */
    if (spr == 0 || lba > info.total_blocks || 2 * n * spr > info.total_blocks - lba) {
        printf("blk inflight: %llu requests at %llu do not fit %s\n", (unsigned long long)n,
               (unsigned long long)lba, info.name);
        return -ERANGE;
    }
    uint8_t *bufs = page_alloc((size_t)n);
    if (!bufs) {
        printf("blk inflight: out of memory\n");
        return -ENOMEM;
    }
    for (unsigned i = 0; i < n; i++) {
        uint64_t pos = (lba + (uint64_t)i * 2 * spr) * info.block_size;
        pattern_fill(bufs + (size_t)i * BLK_INFLIGHT_SIZE, BLK_INFLIGHT_SIZE, 0x1f11u + i, pos);
    }
    int writes = inflight_round((unsigned)dev, BLOCK_OP_WRITE, reqs, (unsigned)n, lba, spr, bufs);
    int reads = -EIO, verified = 0;
    if (writes >= 0) {
        memset(bufs, 0, (size_t)n * BLK_INFLIGHT_SIZE);
        reads = inflight_round((unsigned)dev, BLOCK_OP_READ, reqs, (unsigned)n, lba, spr, bufs);
    }
    if (reads >= 0) {
        for (unsigned i = 0; i < n; i++) {
            uint64_t pos = (lba + (uint64_t)i * 2 * spr) * info.block_size;
            if (pattern_check(bufs + (size_t)i * BLK_INFLIGHT_SIZE, BLK_INFLIGHT_SIZE, 0x1f11u + i,
                              pos) < 0)
                verified++;
            else
                printf("blk inflight: request %u read back wrong data\n", i);
        }
    }
    page_free(bufs, (size_t)n);
    if (writes < 0 || reads < 0 || verified != (int)n)
        return -EIO;
    printf("blk inflight: %s: %llu writes then %llu reads, outstanding at once: writes=%d "
           "reads=%d, verified=%d\n",
           info.name, (unsigned long long)n, (unsigned long long)n, writes, reads, verified);
    return 0;
}

static int cmd_blk(int argc, char **argv)
{
    if (argc >= 2) {
        const char *sub = argv[1];
        if (strcmp(sub, "info") == 0)
            return blk_info_cmd(argc - 1, argv + 1);
        if (strcmp(sub, "flush") == 0)
            return blk_flush_cmd(argc - 1, argv + 1);
        if (strcmp(sub, "zero") == 0)
            return blk_range_cmd(argc - 1, argv + 1, BLOCK_OP_WRITE_ZEROES);
        if (strcmp(sub, "discard") == 0)
            return blk_range_cmd(argc - 1, argv + 1, BLOCK_OP_DISCARD);
        if (strcmp(sub, "stats") == 0)
            return blk_stats_cmd(argc - 1, argv + 1);
        if (strcmp(sub, "polled") == 0)
            return blk_polled_cmd(argc - 1, argv + 1);
        if (strcmp(sub, "spin") == 0)
            return blk_spin_cmd(argc - 1, argv + 1);
        if (strcmp(sub, "pattern") == 0)
            return blk_pattern_cmd(argc - 1, argv + 1);
        if (strcmp(sub, "inflight") == 0)
            return blk_inflight_cmd(argc - 1, argv + 1);
    }
    printf(
        "usage: blk info [dev] | flush [dev] | stats <dev> | zero|discard <dev> <lba> <count> | "
        "polled <dev> on|off | spin <dev> <us> | pattern write|verify <dev> <lba> <count> <seed> | "
        "inflight <dev> <n> [lba]\n");
    return -EINVAL;
}

SERVICE_COMMAND(blk, "blk", "blk info|flush|stats|zero|discard|polled|spin|pattern|inflight ...",
                "block devices: list, flush, test patterns, queue depth", cmd_blk);
