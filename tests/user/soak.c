/* soak: long-running load from a user fiber, every byte checked (tools/soak.py, `./rumpk soak`).
 *   soak blk SECONDS   raw block I/O through ION on the disk in slot 0: 8 requests in flight,
 *                      writes of a pattern made from (round, block) and reads that check it,
 *                      over the whole disk, for SECONDS
 *   soak fs SECONDS    NexFS on the disk in slot 0 (mkfs first): create, write, fsync, read
 *                      back and check, rename over, delete, in a few directories, for SECONDS
 * Ends with one line: `soak blk: N rounds, B bytes written, B bytes checked, 0 errors` (or fs:
 * files and bytes); any mismatch or error prints one line naming the block or file and counts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nexfs/nexfs.h>
#include <nexfs_ion.h>
#include <nexus.h>
#include <nexus_blk.h>

#define SLOT  0u
#define QD    8u
#define REQ   (16u * 1024u)
#define CACHE (128u * 4096u)

static uint8_t bufs[QD][REQ] __attribute__((aligned(4096)));
static uint8_t cache[CACHE] __attribute__((aligned(4096)));
static uint8_t data[64 * 1024] __attribute__((aligned(4096)));
static uint8_t check[64 * 1024] __attribute__((aligned(4096)));
static unsigned long errors;

static uint8_t pattern(uint64_t round, uint64_t off)
{
    uint64_t x = (round * 0x9e3779b97f4a7c15ull) ^ (off / 8 * 0xbf58476d1ce4e5b9ull);
    return (uint8_t)(x >> ((off % 8) * 8));
}

static void fill(uint8_t *p, size_t n, uint64_t round, uint64_t base)
{
    for (size_t i = 0; i < n; i++)
        p[i] = pattern(round, base + i);
}

/* One pass over the disk: write every REQ-sized piece (QD in flight), then read and check. */
static int blk_pass(uint64_t round, const struct BlkInfo *info, uint64_t *bytes_w,
                    uint64_t *bytes_c)
{
    struct nexus_chan *c;
    long err = 0;
    uint32_t count = REQ / info->block_size;
    uint64_t pieces = info->blocks / count;

    if (!(c = nexus_chan(&err)))
        return (int)err;
    for (int write = 1; write >= 0; write--) {
        uint64_t next = 0, done = 0;
        unsigned out = 0;
        while (done < pieces) {
            while (out < QD && next < pieces) {
                uint8_t *b = bufs[next % QD];
                if (write)
                    fill(b, REQ, round, next * REQ);
                struct BlkArgs a = {
                    .lba = next * count, .buf = (uint64_t)(uintptr_t)b, .count = count, .len = REQ};
                if (nexus_post(write ? CMD_BLK_WRITE : CMD_BLK_READ, SLOT, next, &a, sizeof(a)))
                    break;
                next++;
                out++;
            }
            long rc = nexus_enter(1);
            if (rc < 0)
                return (int)rc;
            struct ion_cqe q;
            while (nexus_cq_pop(&c->cq, &q) == 0) {
                out--;
                done++;
                if (q.result != REQ) {
                    printf("soak blk: block %llu: %s failed (%lld)\n",
                           (unsigned long long)(q.tag * count), write ? "write" : "read",
                           (long long)q.result);
                    errors++;
                    continue;
                }
                if (write) {
                    *bytes_w += REQ;
                    continue;
                }
                const uint8_t *b = bufs[q.tag % QD];
                for (uint32_t i = 0; i < REQ; i++)
                    if (b[i] != pattern(round, q.tag * REQ + i)) {
                        printf("soak blk: block %llu: byte %u differs in round %llu\n",
                               (unsigned long long)(q.tag * count + i / info->block_size),
                               (unsigned)(i % info->block_size), (unsigned long long)round);
                        errors++;
                        break;
                    }
                *bytes_c += REQ;
            }
        }
    }
    return 0;
}

static int soak_blk(uint64_t seconds)
{
    struct BlkInfo info;
    uint64_t end = nexus_time_ns() + seconds * 1000000000ull, round = 0, w = 0, ck = 0;
    long rc = nexus_blk_info(SLOT, &info);

    if (rc < 0)
        return printf("soak blk: slot 0: %s\n", ion_error_message(rc)), 1;
    /* Each pass moves the whole disk twice: bound it so a pass takes a few seconds at most. */
    if (info.blocks * info.block_size > (64ull << 20))
        info.blocks = (64ull << 20) / info.block_size;
    while (nexus_time_ns() < end && errors < 10) {
        if ((rc = blk_pass(round++, &info, &w, &ck)) < 0)
            return printf("soak blk: %s\n", ion_error_message(rc)), 1;
    }
    printf("soak blk: %llu rounds, %llu bytes written, %llu bytes checked, %lu errors\n",
           (unsigned long long)round, (unsigned long long)w, (unsigned long long)ck, errors);
    return errors != 0;
}

static int fs_fail(const char *what, const char *path, int rc)
{
    printf("soak fs: %s %s: %s\n", what, path, nexfs_strerror(-rc));
    errors++;
    return rc;
}

/* Writes `path` with n bytes of (round, salt), fsyncs, reads it back and checks. */
static int fs_file(struct nexfs *fs, const char *path, uint64_t round, size_t n, uint64_t *bytes)
{
    int fd = nexfs_open(fs, path, NEXFS_O_RDWR | NEXFS_O_CREAT | NEXFS_O_TRUNC, 0644);
    if (fd < 0)
        return fs_fail("create", path, fd);
    fill(data, n, round, strlen(path));
    int64_t w = nexfs_write(fs, fd, data, n);
    int rc = w < 0 ? (int)w : nexfs_fsync(fs, fd);
    if (rc == 0 && nexfs_pread(fs, fd, check, n, 0) != (int64_t)n)
        rc = -NEXFS_EIO;
    nexfs_close(fs, fd);
    if (rc)
        return fs_fail("write", path, rc);
    if (memcmp(data, check, n) != 0) {
        printf("soak fs: %s reads back different bytes in round %llu\n", path,
               (unsigned long long)round);
        errors++;
    }
    *bytes += n;
    return 0;
}

static int soak_fs(uint64_t seconds)
{
    static struct nexfs fs;
    struct nexfs_dev dev;
    uint64_t end = nexus_time_ns() + seconds * 1000000000ull, round = 0, bytes = 0, files = 0;
    char path[64], path2[64];
    long rc = nexfs_ion_dev(SLOT, &dev);

    if (rc < 0)
        return printf("soak fs: slot 0: %s\n", ion_error_message(rc)), 1;
    struct nexfs_mkfs_opts o = {0};
    int r = nexfs_mkfs(&dev, &o, data);
    if (r == 0)
        r = nexfs_mount(&fs, &dev, cache, sizeof(cache), 0);
    if (r < 0)
        return printf("soak fs: mkfs/mount: %s\n", nexfs_strerror(-r)), 1;
    for (unsigned d = 0; d < 4; d++) {
        snprintf(path, sizeof(path), "/d%u", d);
        if ((r = nexfs_mkdir(&fs, path, 0755)) < 0)
            fs_fail("mkdir", path, r);
    }
    while (nexus_time_ns() < end && errors < 10) {
        unsigned d = (unsigned)(round % 4);
        size_t n = (size_t)(512 + (round * 7919) % (sizeof(data) - 512));
        snprintf(path, sizeof(path), "/d%u/f%llu", d, (unsigned long long)(round % 16));
        snprintf(path2, sizeof(path2), "/d%u/g%llu", d, (unsigned long long)(round % 16));
        if (fs_file(&fs, path, round, n, &bytes) == 0)
            files++;
        if (round % 3 == 0 && (r = nexfs_rename(&fs, path, path2)) < 0) /* over an old one */
            fs_fail("rename", path, r);
        if (round % 5 == 0 && (r = nexfs_unlink(&fs, path2)) < 0 && r != -NEXFS_ENOENT)
            fs_fail("unlink", path2, r);
        round++;
    }
    r = nexfs_unmount(&fs);
    if (r < 0)
        fs_fail("unmount", "/", r);
    printf("soak fs: %llu rounds, %llu files written and checked, %llu bytes, %lu errors\n",
           (unsigned long long)round, (unsigned long long)files, (unsigned long long)bytes, errors);
    return errors != 0;
}

int main(int argc, char **argv)
{
    uint64_t s = argc == 3 ? strtoull(argv[2], NULL, 10) : 0;

    if (argc == 3 && s && strcmp(argv[1], "blk") == 0)
        return soak_blk(s);
    if (argc == 3 && s && strcmp(argv[1], "fs") == 0)
        return soak_fs(s);
    printf("usage: soak blk|fs SECONDS\n");
    return 2;
}
