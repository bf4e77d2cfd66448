/* NexFS at scale, kept fast: 10,000 names in one directory (each found by reading its hash
 * leaf, not by a scan), sparse files past 1 GiB and past 5 GiB (double and triple indirect
 * blocks), and a full disk that refuses writes without losing anything already stored. */
#include "nexfs_test.h"

#define NFILES 10000

static void ten_thousand_entries(void **state)
{
    (void)state;
    struct tfs t;
    tfs_make_n(&t, 4096, 8192, NFILES + 64);
    struct nexfs *fs = &t.fs;
    char p[64];
    assert_int_equal(nexfs_mkdir(fs, "/many", 0755), 0);
    for (int i = 0; i < NFILES; i++) {
        snprintf(p, sizeof(p), "/many/entry-%05d-%s", i, i % 7 ? "x" : "a-longer-name-here");
        int fd = nexfs_open(fs, p, NEXFS_O_CREAT | NEXFS_O_EXCL | NEXFS_O_WRONLY, 0644);
        assert_true(fd >= 0);
        if (i % 1000 == 0)
            assert_int_equal(nexfs_write(fs, fd, p, strlen(p)), (int64_t)strlen(p));
        nexfs_close(fs, fd);
    }
    struct nexfs_stat st;
    assert_int_equal(nexfs_open(fs, "/many/entry-00043-x", NEXFS_O_CREAT | NEXFS_O_EXCL, 0),
                     -NEXFS_EEXIST);
    tfs_remount(&t, 0);
    /* a lookup in a cold cache reads a bounded number of blocks, whatever the directory size */
    uint64_t r0 = t.rd.reads;
    assert_int_equal(nexfs_stat(fs, "/many/entry-09999-x", &st), 0);
    uint64_t cold = t.rd.reads - r0;
    assert_true(cold <= 8);
    r0 = t.rd.reads;
    assert_int_equal(nexfs_stat(fs, "/many/entry-04321-x", &st), 0);
    assert_true(t.rd.reads - r0 <= 4);
    assert_int_equal(nexfs_stat(fs, "/many/entry-10000-x", &st), -NEXFS_ENOENT);
    /* readdir sees each name exactly once */
    static uint8_t seen[NFILES];
    memset(seen, 0, sizeof(seen));
    int fd = nexfs_open(fs, "/many", NEXFS_O_RDONLY | NEXFS_O_DIRECTORY, 0);
    struct nexfs_dirent de;
    int n = 0, rc;
    while ((rc = nexfs_readdir(fs, fd, &de)) == 1) {
        int i = atoi(de.name + 6);
        assert_true(i >= 0 && i < NFILES);
        assert_int_equal(seen[i], 0);
        seen[i] = 1;
        n++;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(n, NFILES);
    nexfs_close(fs, fd);
    for (int i = 0; i < NFILES; i += 2) {
        snprintf(p, sizeof(p), "/many/entry-%05d-%s", i, i % 7 ? "x" : "a-longer-name-here");
        assert_int_equal(nexfs_unlink(fs, p), 0);
    }
    for (int i = 1; i < NFILES; i += 2) {
        snprintf(p, sizeof(p), "/many/entry-%05d-%s", i, i % 7 ? "x" : "a-longer-name-here");
        assert_int_equal(nexfs_stat(fs, p, &st), 0);
    }
    assert_true(tfs_same(fs, "/many/entry-01000-a-longer-name-here", 0, 0) == 0);
    assert_int_equal(nexfs_rmdir(fs, "/many"), -NEXFS_ENOTEMPTY);
    assert_int_equal(nexfs_unmount(fs), 0);
    assert_int_equal(tfs_fsck(&t, 0), 0);
    tfs_free(&t);
}

static void sparse_huge(void **state)
{
    (void)state;
    struct tfs t;
    tfs_make(&t, 4096, 2048);
    struct nexfs *fs = &t.fs;
    static const uint64_t offs[] = {(1ull << 30) + 12345, 5ull << 30, (64ull << 30) - 3};
    int fd = nexfs_open(fs, "/sparse", NEXFS_O_CREAT | NEXFS_O_RDWR, 0644);
    for (unsigned i = 0; i < 3; i++)
        assert_int_equal(nexfs_pwrite(fs, fd, "edge", 4, offs[i]), 4);
    struct nexfs_stat st;
    assert_int_equal(nexfs_fstat(fs, fd, &st), 0);
    assert_int_equal(st.size, offs[2] + 4);
    assert_true(st.blocks < 20); /* three data blocks and their indirect blocks */
    nexfs_close(fs, fd);
    tfs_remount(&t, 0);
    fd = nexfs_open(fs, "/sparse", NEXFS_O_RDONLY, 0);
    char b[8192];
    for (unsigned i = 0; i < 3; i++) {
        assert_int_equal(nexfs_pread(fs, fd, b, 4, offs[i]), 4);
        assert_memory_equal(b, "edge", 4);
    }
    assert_int_equal(nexfs_pread(fs, fd, b, sizeof(b), (3ull << 30)), sizeof(b));
    for (unsigned i = 0; i < sizeof(b); i++)
        assert_int_equal(b[i], 0);
    nexfs_close(fs, fd);
    assert_int_equal(nexfs_truncate(fs, "/sparse", (1ull << 30) + 12347), 0);
    assert_int_equal(nexfs_stat(fs, "/sparse", &st), 0);
    assert_true(st.blocks <= 4);
    fd = nexfs_open(fs, "/sparse", NEXFS_O_RDWR, 0);
    assert_int_equal(nexfs_pwrite(fs, fd, "x", 1, 1ull << 62), -NEXFS_EFBIG);
    nexfs_close(fs, fd);
    assert_int_equal(nexfs_unlink(fs, "/sparse"), 0);
    assert_int_equal(nexfs_unmount(fs), 0);
    assert_int_equal(tfs_fsck(&t, 0), 0);
    tfs_free(&t);
}

/* Large writes and reads move as runs: whole blocks allocated one after the other and mapped
 * in one step (bmap_set_run, balloc_run), read back as runs (bmap_run). One call crosses the
 * direct pointers, the single and two double-indirect map blocks; an unaligned overwrite frees
 * what it replaces; holes read as zeros; a fragmented disk still gets every byte right. */
static void runs(void **state)
{
    (void)state;
    struct tfs t;
    tfs_make(&t, 4096, 8192);
    struct nexfs *fs = &t.fs;
    const uint64_t len = 6u << 20;
    uint8_t *b = malloc(len), *r = malloc(len);
    for (uint64_t i = 0; i < len; i++)
        b[i] = (uint8_t)(i * 7 + (i >> 12));
    int fd = nexfs_open(fs, "/big", NEXFS_O_CREAT | NEXFS_O_RDWR, 0644);
    uint64_t w0 = t.rd.writes;
    assert_int_equal(nexfs_pwrite(fs, fd, b, len, 0), (int64_t)len);
    /* 1536 blocks in a few device writes: the map blocks are made first, so the data is one
     * run on the disk, cut only at WRITE_RUN_MAX */
    assert_true(t.rd.writes - w0 <= 2);
    struct nexfs_stat st;
    assert_int_equal(nexfs_fstat(fs, fd, &st), 0);
    assert_int_equal(st.blocks, 1536 + 1 + 1 + 2); /* data, single, double and two leaves */
    uint64_t r1 = t.rd.reads;
    assert_int_equal(nexfs_pread(fs, fd, r, len, 0), (int64_t)len);
    assert_true(t.rd.reads - r1 <= 2); /* one run on the disk: read across its map blocks */
    assert_memory_equal(r, b, len);
    /* an overwrite with a partial head and tail: the old blocks are freed, not kept */
    for (uint64_t i = 0; i < (1u << 20) + 3; i++)
        b[4093 + i] = (uint8_t)~b[4093 + i];
    assert_int_equal(nexfs_pwrite(fs, fd, b + 4093, (1u << 20) + 3, 4093), (1 << 20) + 3);
    assert_int_equal(nexfs_fstat(fs, fd, &st), 0);
    assert_int_equal(st.blocks, 1540);
    uint64_t r0 = t.rd.reads;
    assert_int_equal(nexfs_pread(fs, fd, r, len, 0), (int64_t)len);
    assert_true(t.rd.reads - r0 < 64);
    assert_memory_equal(r, b, len);
    /* a hole inside a map block and one where no map block is */
    assert_int_equal(nexfs_pwrite(fs, fd, "end", 3, 12u << 20), 3);
    assert_int_equal(nexfs_pread(fs, fd, r, 6u << 20, (6u << 20) + 4096), (6 << 20) - 4093);
    for (uint64_t i = 0; i < (6u << 20) - 4096; i++)
        assert_int_equal(r[i], 0);
    assert_memory_equal(r + (6u << 20) - 4096, "end", 3);
    nexfs_close(fs, fd);
    /* fragment the free space: every other small file goes, then a large file fills gaps */
    char p[32];
    for (int i = 0; i < 64; i++) {
        snprintf(p, sizeof(p), "/s%d", i);
        tfs_put(fs, p, 3 * 4096, (uint32_t)i);
    }
    for (int i = 0; i < 64; i += 2) {
        snprintf(p, sizeof(p), "/s%d", i);
        assert_int_equal(nexfs_unlink(fs, p), 0);
    }
    assert_int_equal(nexfs_sync(fs), 0);
    tfs_put(fs, "/frag", 3u << 20, 77);
    tfs_remount(&t, 0);
    assert_true(tfs_same(fs, "/frag", 3u << 20, 77));
    for (int i = 1; i < 64; i += 2) {
        snprintf(p, sizeof(p), "/s%d", i);
        assert_true(tfs_same(fs, p, 3 * 4096, (uint32_t)i));
    }
    fd = nexfs_open(fs, "/big", NEXFS_O_RDONLY, 0);
    assert_int_equal(nexfs_pread(fs, fd, r, len, 0), (int64_t)len);
    assert_memory_equal(r, b, len);
    nexfs_close(fs, fd);
    assert_int_equal(nexfs_unmount(fs), 0);
    assert_int_equal(tfs_fsck(&t, 0), 0);
    free(b);
    free(r);
    tfs_free(&t);
}

static void disk_full(void **state)
{
    (void)state;
    struct tfs t;
    tfs_make(&t, 4096, 300);
    struct nexfs *fs = &t.fs;
    char p[32];
    int stored = 0;
    for (;; stored++) {
        snprintf(p, sizeof(p), "/f%d", stored);
        int fd = nexfs_open(fs, p, NEXFS_O_CREAT | NEXFS_O_RDWR, 0644);
        if (fd < 0) {
            assert_int_equal(fd, -NEXFS_ENOSPC);
            break;
        }
        uint8_t b[20000];
        for (unsigned i = 0; i < sizeof(b); i++)
            b[i] = (uint8_t)(stored * 131 + i * 7 + (i >> 9));
        int64_t n = nexfs_write(fs, fd, b, sizeof(b));
        nexfs_close(fs, fd);
        if (n != (int64_t)sizeof(b)) {
            assert_int_equal(n, -NEXFS_ENOSPC); /* refused whole: the file stays empty */
            struct nexfs_stat st;
            assert_int_equal(nexfs_stat(fs, p, &st), 0);
            assert_int_equal(st.size, 0);
            break;
        }
    }
    assert_true(stored > 10);
    struct nexfs_statfs sf;
    assert_int_equal(nexfs_statfs(fs, &sf), 0);
    assert_true(sf.blocks_free < 5);
    /* an overwrite needs fresh blocks: refused, the old bytes stay */
    int fd = nexfs_open(fs, "/f0", NEXFS_O_RDWR, 0);
    uint8_t z[8192] = {0};
    assert_int_equal(nexfs_pwrite(fs, fd, z, sizeof(z), 0), -NEXFS_ENOSPC);
    nexfs_close(fs, fd);
    for (int i = 0; i < stored; i++) {
        snprintf(p, sizeof(p), "/f%d", i);
        assert_true(tfs_same(fs, p, 20000, (uint32_t)i));
    }
    tfs_remount(&t, 0);
    for (int i = 0; i < stored; i++) {
        snprintf(p, sizeof(p), "/f%d", i);
        assert_true(tfs_same(fs, p, 20000, (uint32_t)i));
    }
    /* space comes back when a file goes */
    assert_int_equal(nexfs_unlink(fs, "/f1"), 0);
    tfs_put(fs, "/again", 20000, 1);
    assert_true(tfs_same(fs, "/again", 20000, 1));
    assert_int_equal(nexfs_unmount(fs), 0);
    assert_int_equal(tfs_fsck(&t, 0), 0);
    tfs_free(&t);
}

static void out_of_inodes(void **state)
{
    (void)state;
    struct tfs t;
    tfs_make_n(&t, 4096, 1024, 64);
    struct nexfs *fs = &t.fs;
    char p[32];
    int i = 0, rc = 0;
    for (; i < 100 && rc == 0; i++) {
        snprintf(p, sizeof(p), "/i%d", i);
        rc = nexfs_mkdir(fs, p, 0755);
    }
    assert_int_equal(rc, -NEXFS_ENOSPC);
    assert_int_equal(i, 63); /* 64 inodes: 0 unused, 1 the root, 62 made, the 63rd refused */
    struct nexfs_stat st;
    assert_int_equal(nexfs_stat(fs, "/i61", &st), 0);
    assert_int_equal(nexfs_stat(fs, "/i62", &st), -NEXFS_ENOENT);
    assert_int_equal(nexfs_unmount(fs), 0);
    assert_int_equal(tfs_fsck(&t, 0), 0);
    tfs_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ten_thousand_entries),
        cmocka_unit_test(sparse_huge),
        cmocka_unit_test(runs),
        cmocka_unit_test(disk_full),
        cmocka_unit_test(out_of_inodes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
