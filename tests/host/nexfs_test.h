/* Shared fixture of the NexFS cmocka tests: a formatted RAM device and a mounted filesystem. */
#ifndef NEXFS_TEST_H
#define NEXFS_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <nexfs/nexfs.h>

#include "nexfs_ramdev.h"

struct tfs {
    struct ramdev rd;
    struct nexfs fs;
    uint8_t *mem;
    size_t mem_size;
};

/* A device of `blocks` filesystem blocks of bs bytes, formatted with `inodes` inodes (0: the
 * default), and mounted. */
static inline void tfs_make_n(struct tfs *t, uint32_t bs, uint64_t blocks, uint32_t inodes)
{
    ramdev_init(&t->rd, 4096 < bs ? 4096 : bs, blocks * (bs / (4096 < bs ? 4096 : bs)));
    t->mem_size = (size_t)bs * 200;
    t->mem = malloc(t->mem_size);
    uint8_t *scratch = malloc(bs);
    struct nexfs_mkfs_opts o = {.block_size = bs, .hash_seed = 0x1234, .inodes = inodes};
    assert_int_equal(nexfs_mkfs(&t->rd.dev, &o, scratch), 0);
    free(scratch);
    assert_int_equal(nexfs_mount(&t->fs, &t->rd.dev, t->mem, t->mem_size, 0), 0);
}

static inline void tfs_make(struct tfs *t, uint32_t bs, uint64_t blocks)
{
    tfs_make_n(t, bs, blocks, 0);
}

static void tfs_report(void *arg, const char *line)
{
    (void)arg;
    fprintf(stderr, "fsck: %s\n", line);
}

/* fsck of the unmounted device: its e2fsck-style result. */
static inline int tfs_fsck(struct tfs *t, unsigned flags)
{
    size_t need = nexfs_fsck_mem(&t->rd.dev);
    void *mem = malloc(need);
    struct nexfs_fsck_opts o = {.flags = flags, .report = tfs_report, .mem = mem, .mem_size = need};
    int r = nexfs_fsck(&t->rd.dev, &o);
    free(mem);
    return r;
}

static inline void tfs_remount(struct tfs *t, unsigned flags)
{
    assert_int_equal(nexfs_unmount(&t->fs), 0);
    assert_int_equal(nexfs_mount(&t->fs, &t->rd.dev, t->mem, t->mem_size, flags), 0);
}

static inline void tfs_free(struct tfs *t)
{
    free(t->mem);
    ramdev_free(&t->rd);
}

/* Writes len bytes of pattern seed into a new file at path. */
static inline void tfs_put(struct nexfs *fs, const char *path, uint64_t len, uint32_t seed)
{
    int fd = nexfs_open(fs, path, NEXFS_O_CREAT | NEXFS_O_RDWR | NEXFS_O_TRUNC, 0644);
    assert_true(fd >= 0);
    uint8_t *b = malloc(len ? len : 1);
    for (uint64_t i = 0; i < len; i++)
        b[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 9));
    assert_int_equal(nexfs_write(fs, fd, b, len), (int64_t)len);
    assert_int_equal(nexfs_close(fs, fd), 0);
    free(b);
}

/* 1 when path holds exactly that pattern. */
static inline int tfs_same(struct nexfs *fs, const char *path, uint64_t len, uint32_t seed)
{
    int fd = nexfs_open(fs, path, NEXFS_O_RDONLY, 0);
    if (fd < 0)
        return 0;
    uint8_t *b = malloc(len + 1);
    int64_t n = nexfs_read(fs, fd, b, len + 1);
    int ok = n == (int64_t)len;
    for (uint64_t i = 0; ok && i < len; i++)
        ok = b[i] == (uint8_t)(seed * 131 + i * 7 + (i >> 9));
    nexfs_close(fs, fd);
    free(b);
    return ok;
}

#endif
