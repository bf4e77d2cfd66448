/* NexFS operations on a RAM device: files from 0 bytes across every pointer level, nested
 * directories, readdir, rename (over files and empty directories), truncate, unlink of an
 * open file, every error code the API promises, persistence across remounts, read-only
 * mounts, and device errors propagated. */
#include "nexfs_test.h"

static void mount_clean(void **state)
{
    (void)state;
    struct tfs t;
    tfs_make(&t, 4096, 4096);
    struct nexfs_statfs st;
    assert_int_equal(nexfs_statfs(&t.fs, &st), 0);
    assert_int_equal(st.block_size, 4096);
    assert_int_equal(st.blocks, 4096);
    assert_true(st.blocks_free > 3000 && st.blocks_free < 4096);
    assert_int_equal(st.name_max, 255);
    uint64_t free0 = st.blocks_free;
    tfs_remount(&t, 0);
    assert_int_equal(nexfs_statfs(&t.fs, &st), 0);
    assert_int_equal(st.blocks_free, free0);
    struct nexfs_stat s;
    assert_int_equal(nexfs_stat(&t.fs, "/", &s), 0);
    assert_int_equal(s.ino, 1);
    assert_int_equal(s.mode & NEXFS_S_IFMT, NEXFS_S_IFDIR);
    assert_int_equal(nexfs_unmount(&t.fs), 0);
    /* a device with no filesystem: refused, nothing written */
    struct ramdev blank;
    ramdev_init(&blank, 4096, 256);
    assert_int_equal(nexfs_mount(&t.fs, &blank.dev, t.mem, t.mem_size, 0), -NEXFS_EIO);
    assert_int_equal(blank.writes, 0);
    assert_int_equal(nexfs_mount(&t.fs, &t.rd.dev, t.mem, 1000, 0), -NEXFS_ENOMEM);
    ramdev_free(&blank);
    tfs_free(&t);
}

static void file_sizes(void **state)
{
    (void)state;
    struct tfs t;
    tfs_make(&t, 1024, 8192); /* 1 KiB blocks: 126 pointers per indirect block */
    static const uint64_t sizes[] = {
        0,         1,          1023,           1024,   1025,    12 * 1024,
        12 * 1025, 138 * 1024, 139 * 1024 + 5, 300000, 1000000, 2 * 1048576 + 17};
    char name[32];
    for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        snprintf(name, sizeof(name), "/f%u", i);
        tfs_put(&t.fs, name, sizes[i], i);
        struct nexfs_stat s;
        assert_int_equal(nexfs_stat(&t.fs, name, &s), 0);
        assert_int_equal(s.size, sizes[i]);
        assert_int_equal(s.nlink, 1);
    }
    tfs_remount(&t, 0);
    for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        snprintf(name, sizeof(name), "/f%u", i);
        assert_true(tfs_same(&t.fs, name, sizes[i], i));
    }
    assert_int_equal(nexfs_unmount(&t.fs), 0);
    tfs_free(&t);
}

static void rw_positions(void **state)
{
    (void)state;
    struct tfs t;
    tfs_make(&t, 4096, 4096);
    struct nexfs *fs = &t.fs;
    int fd = nexfs_open(fs, "/a", NEXFS_O_CREAT | NEXFS_O_RDWR, 0644);
    assert_true(fd >= 0);
    assert_int_equal(nexfs_write(fs, fd, "hello", 5), 5);
    assert_int_equal(nexfs_pwrite(fs, fd, "XY", 2, 10000), 2);
    uint8_t b[10002];
    assert_int_equal(nexfs_pread(fs, fd, b, sizeof(b), 0), 10002);
    assert_memory_equal(b, "hello", 5);
    for (int i = 5; i < 10000; i++)
        assert_int_equal(b[i], 0); /* a hole reads as zeros */
    assert_memory_equal(b + 10000, "XY", 2);
    assert_int_equal(nexfs_lseek(fs, fd, 1, NEXFS_SEEK_SET), 1);
    assert_int_equal(nexfs_read(fs, fd, b, 3), 3);
    assert_memory_equal(b, "ell", 3);
    assert_int_equal(nexfs_lseek(fs, fd, -2, NEXFS_SEEK_END), 10000);
    assert_int_equal(nexfs_lseek(fs, fd, 1, NEXFS_SEEK_CUR), 10001);
    assert_int_equal(nexfs_lseek(fs, fd, -20000, NEXFS_SEEK_CUR), -NEXFS_EINVAL);
    assert_int_equal(nexfs_lseek(fs, fd, 0, 7), -NEXFS_EINVAL);
    assert_int_equal(nexfs_pread(fs, fd, b, 10, 20000), 0); /* past the end */
    uint64_t f0 = t.rd.flushes;
    /* The two writes above wait in one transaction (group commit): fsync makes the earlier
     * home writes stable, commits it (its commit point) and makes its own home writes stable. */
    assert_int_equal(nexfs_fsync(fs, fd), 0);
    assert_int_equal(t.rd.flushes, f0 + 3);
    assert_int_equal(nexfs_sync(fs), 0); /* nothing written since: no flush */
    assert_int_equal(t.rd.flushes, f0 + 3);
    assert_int_equal(nexfs_close(fs, fd), 0);
    assert_int_equal(nexfs_fsync(fs, fd), -NEXFS_EBADF);
    assert_int_equal(nexfs_close(fs, fd), -NEXFS_EBADF);
    assert_int_equal(nexfs_read(fs, fd, b, 1), -NEXFS_EBADF);
    /* append, O_TRUNC, access modes */
    fd = nexfs_open(fs, "/a", NEXFS_O_WRONLY | NEXFS_O_APPEND, 0);
    assert_int_equal(nexfs_write(fs, fd, "!", 1), 1);
    assert_int_equal(nexfs_read(fs, fd, b, 1), -NEXFS_EBADF);
    struct nexfs_stat s;
    assert_int_equal(nexfs_fstat(fs, fd, &s), 0);
    assert_int_equal(s.size, 10003);
    nexfs_close(fs, fd);
    fd = nexfs_open(fs, "/a", NEXFS_O_RDONLY, 0);
    assert_int_equal(nexfs_write(fs, fd, "x", 1), -NEXFS_EBADF);
    nexfs_close(fs, fd);
    fd = nexfs_open(fs, "/a", NEXFS_O_RDWR | NEXFS_O_TRUNC, 0);
    assert_int_equal(nexfs_fstat(fs, fd, &s), 0);
    assert_int_equal(s.size, 0);
    assert_int_equal(s.blocks, 0);
    nexfs_close(fs, fd);
    assert_int_equal(nexfs_open(fs, "/a", NEXFS_O_CREAT | NEXFS_O_EXCL | NEXFS_O_RDWR, 0),
                     -NEXFS_EEXIST);
    assert_int_equal(nexfs_open(fs, "/a", 3, 0), -NEXFS_EINVAL);
    assert_int_equal(nexfs_unmount(fs), 0);
    tfs_free(&t);
}

static void names_and_dirs(void **state)
{
    (void)state;
    struct tfs t;
    tfs_make(&t, 4096, 4096);
    struct nexfs *fs = &t.fs;
    assert_int_equal(nexfs_mkdir(fs, "/d", 0755), 0);
    assert_int_equal(nexfs_mkdir(fs, "/d/e", 0755), 0);
    assert_int_equal(nexfs_mkdir(fs, "d/e/f", 0755), 0); /* relative to the root */
    assert_int_equal(nexfs_mkdir(fs, "/d", 0755), -NEXFS_EEXIST);
    assert_int_equal(nexfs_mkdir(fs, "/x/y", 0755), -NEXFS_ENOENT);
    tfs_put(fs, "/d/e/f/file", 100, 1);
    assert_true(tfs_same(fs, "/d/./e/../e/f//file", 100, 1));
    assert_int_equal(nexfs_mkdir(fs, "/d/e/f/file/g", 0755), -NEXFS_ENOTDIR);
    struct nexfs_stat s;
    assert_int_equal(nexfs_stat(fs, "/d/e/f/file/g", &s), -NEXFS_ENOTDIR);
    assert_int_equal(nexfs_stat(fs, "/nope", &s), -NEXFS_ENOENT);
    assert_int_equal(nexfs_stat(fs, "", &s), -NEXFS_ENOENT);
    assert_int_equal(nexfs_stat(fs, "/d", &s), 0);
    assert_int_equal(s.nlink, 3); /* itself, its name, e's ".." */
    char longname[300];
    memset(longname, 'n', sizeof(longname));
    longname[0] = '/';
    longname[257] = 0; /* 256 bytes */
    assert_int_equal(nexfs_mkdir(fs, longname, 0755), -NEXFS_ENAMETOOLONG);
    assert_int_equal(nexfs_open(fs, longname, NEXFS_O_CREAT | NEXFS_O_RDWR, 0),
                     -NEXFS_ENAMETOOLONG);
    longname[256] = 0; /* 255 bytes: fine */
    tfs_put(fs, longname, 7, 2);
    assert_true(tfs_same(fs, longname, 7, 2));
    /* errors by type */
    assert_int_equal(nexfs_rmdir(fs, "/d"), -NEXFS_ENOTEMPTY);
    assert_int_equal(nexfs_rmdir(fs, "/d/e/f/file"), -NEXFS_ENOTDIR);
    assert_int_equal(nexfs_unlink(fs, "/d/e"), -NEXFS_EISDIR);
    assert_int_equal(nexfs_unlink(fs, "/d/none"), -NEXFS_ENOENT);
    assert_int_equal(nexfs_open(fs, "/d", NEXFS_O_RDWR, 0), -NEXFS_EISDIR);
    assert_int_equal(nexfs_open(fs, "/d/e/f/file", NEXFS_O_RDONLY | NEXFS_O_DIRECTORY, 0),
                     -NEXFS_ENOTDIR);
    assert_int_equal(nexfs_rmdir(fs, "/"), -NEXFS_EBUSY);
    assert_int_equal(nexfs_mkdir(fs, "/d/..", 0755), -NEXFS_EINVAL);
    int fd = nexfs_open(fs, "/d", NEXFS_O_RDONLY, 0);
    uint8_t b[4];
    assert_int_equal(nexfs_read(fs, fd, b, 4), -NEXFS_EISDIR);
    struct nexfs_dirent de;
    assert_int_equal(nexfs_readdir(fs, fd, &de), 1);
    assert_string_equal(de.name, "e");
    assert_int_equal(de.type, NEXFS_S_IFDIR);
    assert_int_equal(nexfs_readdir(fs, fd, &de), 0);
    assert_int_equal(nexfs_lseek(fs, fd, 0, NEXFS_SEEK_SET), 0);
    assert_int_equal(nexfs_readdir(fs, fd, &de), 1);
    nexfs_close(fs, fd);
    fd = nexfs_open(fs, "/d/e/f/file", NEXFS_O_RDONLY, 0);
    assert_int_equal(nexfs_readdir(fs, fd, &de), -NEXFS_ENOTDIR);
    nexfs_close(fs, fd);
    /* tear down in order */
    assert_int_equal(nexfs_unlink(fs, "/d/e/f/file"), 0);
    assert_int_equal(nexfs_rmdir(fs, "/d/e/f"), 0);
    assert_int_equal(nexfs_rmdir(fs, "/d/e"), 0);
    assert_int_equal(nexfs_stat(fs, "/d", &s), 0);
    assert_int_equal(s.nlink, 2);
    assert_int_equal(nexfs_rmdir(fs, "/d"), 0);
    assert_int_equal(nexfs_stat(fs, "/d", &s), -NEXFS_ENOENT);
    assert_int_equal(nexfs_unmount(fs), 0);
    tfs_free(&t);
}

static void renames(void **state)
{
    (void)state;
    struct tfs t;
    tfs_make(&t, 4096, 4096);
    struct nexfs *fs = &t.fs;
    struct nexfs_statfs sf0, sf1;
    tfs_put(fs, "/a", 50000, 1);
    tfs_put(fs, "/b", 70000, 2);
    assert_int_equal(nexfs_statfs(fs, &sf0), 0);
    assert_int_equal(nexfs_rename(fs, "/a", "/b"), 0); /* over an existing file */
    assert_true(tfs_same(fs, "/b", 50000, 1));
    struct nexfs_stat s;
    assert_int_equal(nexfs_stat(fs, "/a", &s), -NEXFS_ENOENT);
    assert_int_equal(nexfs_statfs(fs, &sf1), 0);
    assert_int_equal(sf1.blocks_free, sf0.blocks_free + 19); /* b's 18 and its indirect block */
    assert_int_equal(sf1.inodes_free, sf0.inodes_free + 1);
    assert_int_equal(nexfs_rename(fs, "/b", "/b"), 0);
    assert_int_equal(nexfs_rename(fs, "/none", "/c"), -NEXFS_ENOENT);
    assert_int_equal(nexfs_mkdir(fs, "/d1", 0755), 0);
    assert_int_equal(nexfs_mkdir(fs, "/d2", 0755), 0);
    assert_int_equal(nexfs_mkdir(fs, "/d1/sub", 0755), 0);
    tfs_put(fs, "/d1/sub/f", 10, 3);
    assert_int_equal(nexfs_rename(fs, "/b", "/d1"), -NEXFS_EISDIR);
    assert_int_equal(nexfs_rename(fs, "/d1", "/b"), -NEXFS_ENOTDIR);
    assert_int_equal(nexfs_rename(fs, "/d1", "/d1/sub/x"), -NEXFS_EINVAL);
    assert_int_equal(nexfs_rename(fs, "/d2", "/d1"), -NEXFS_ENOTEMPTY);
    assert_int_equal(nexfs_rename(fs, "/d1/sub", "/d2"), 0); /* over an empty directory */
    assert_true(tfs_same(fs, "/d2/f", 10, 3));
    assert_int_equal(nexfs_stat(fs, "/d1", &s), 0);
    assert_int_equal(s.nlink, 2);
    assert_int_equal(nexfs_stat(fs, "/", &s), 0);
    assert_int_equal(s.nlink, 4); /* d1, d2 */
    assert_int_equal(nexfs_rename(fs, "/d2", "/d1/moved"), 0);
    assert_int_equal(nexfs_stat(fs, "/d1", &s), 0);
    assert_int_equal(s.nlink, 3);
    assert_true(tfs_same(fs, "/d1/moved/../moved/f", 10, 3));
    tfs_remount(&t, 0);
    assert_true(tfs_same(fs, "/d1/moved/f", 10, 3));
    assert_true(tfs_same(fs, "/b", 50000, 1));
    assert_int_equal(nexfs_unmount(fs), 0);
    tfs_free(&t);
}

static void truncates(void **state)
{
    (void)state;
    struct tfs t;
    tfs_make(&t, 4096, 4096);
    struct nexfs *fs = &t.fs;
    tfs_put(fs, "/f", 100000, 5);
    assert_int_equal(nexfs_truncate(fs, "/f", 5000), 0);
    assert_true(tfs_same(fs, "/f", 5000, 5));
    assert_int_equal(nexfs_truncate(fs, "/f", 9000), 0); /* the old tail reads as zeros */
    uint8_t b[9000];
    int fd = nexfs_open(fs, "/f", NEXFS_O_RDWR, 0);
    assert_int_equal(nexfs_read(fs, fd, b, sizeof(b)), 9000);
    for (int i = 5000; i < 9000; i++)
        assert_int_equal(b[i], 0);
    assert_int_equal(nexfs_ftruncate(fs, fd, 0), 0);
    struct nexfs_stat s;
    assert_int_equal(nexfs_fstat(fs, fd, &s), 0);
    assert_int_equal(s.size, 0);
    assert_int_equal(s.blocks, 0);
    nexfs_close(fs, fd);
    assert_int_equal(nexfs_truncate(fs, "/", 0), -NEXFS_EISDIR);
    assert_int_equal(nexfs_truncate(fs, "/f", UINT64_MAX / 2), -NEXFS_EFBIG);
    assert_int_equal(nexfs_unmount(fs), 0);
    tfs_free(&t);
}

static void unlink_open_file(void **state)
{
    (void)state;
    struct tfs t;
    tfs_make(&t, 4096, 4096);
    struct nexfs *fs = &t.fs;
    struct nexfs_statfs a, b;
    assert_int_equal(nexfs_statfs(fs, &a), 0);
    tfs_put(fs, "/f", 40000, 7);
    int fd = nexfs_open(fs, "/f", NEXFS_O_RDONLY, 0);
    assert_int_equal(nexfs_unlink(fs, "/f"), 0);
    uint8_t buf[16];
    assert_int_equal(nexfs_pread(fs, fd, buf, 16, 39990), 10); /* still readable */
    struct nexfs_stat s;
    assert_int_equal(nexfs_stat(fs, "/f", &s), -NEXFS_ENOENT);
    assert_int_equal(nexfs_statfs(fs, &b), 0);
    assert_true(b.blocks_free < a.blocks_free);
    assert_int_equal(nexfs_close(fs, fd), 0);
    assert_int_equal(nexfs_statfs(fs, &b), 0);
    assert_int_equal(b.blocks_free, a.blocks_free - 2); /* the root's index and first leaf */
    assert_int_equal(b.inodes_free, a.inodes_free);
    assert_int_equal(nexfs_unmount(fs), 0);
    tfs_free(&t);
}

static void too_many_open(void **state)
{
    (void)state;
    struct tfs t;
    tfs_make(&t, 4096, 4096);
    struct nexfs *fs = &t.fs;
    tfs_put(fs, "/f", 1, 1);
    for (int i = 0; i < NEXFS_OPEN_MAX; i++)
        assert_int_equal(nexfs_open(fs, "/f", NEXFS_O_RDONLY, 0), i);
    assert_int_equal(nexfs_open(fs, "/f", NEXFS_O_RDONLY, 0), -NEXFS_EMFILE);
    assert_int_equal(nexfs_open(fs, "/g", NEXFS_O_CREAT | NEXFS_O_RDWR, 0), -NEXFS_EMFILE);
    struct nexfs_stat s;
    assert_int_equal(nexfs_stat(fs, "/g", &s), -NEXFS_ENOENT); /* not created either */
    assert_int_equal(nexfs_close(fs, 3), 0);
    assert_int_equal(nexfs_open(fs, "/f", NEXFS_O_RDONLY, 0), 3);
    assert_int_equal(nexfs_unmount(fs), 0); /* closes them all */
    tfs_free(&t);
}

static void read_only(void **state)
{
    (void)state;
    struct tfs t;
    tfs_make(&t, 4096, 4096);
    struct nexfs *fs = &t.fs;
    tfs_put(fs, "/f", 3000, 9);
    tfs_remount(&t, NEXFS_MOUNT_RDONLY);
    uint64_t w = t.rd.writes;
    assert_true(tfs_same(fs, "/f", 3000, 9));
    assert_int_equal(nexfs_open(fs, "/f", NEXFS_O_RDWR, 0), -NEXFS_EROFS);
    assert_int_equal(nexfs_open(fs, "/g", NEXFS_O_CREAT | NEXFS_O_RDWR, 0), -NEXFS_EROFS);
    assert_int_equal(nexfs_mkdir(fs, "/d", 0755), -NEXFS_EROFS);
    assert_int_equal(nexfs_unlink(fs, "/f"), -NEXFS_EROFS);
    assert_int_equal(nexfs_rename(fs, "/f", "/g"), -NEXFS_EROFS);
    assert_int_equal(nexfs_truncate(fs, "/f", 0), -NEXFS_EROFS);
    assert_int_equal(nexfs_unmount(fs), 0);
    assert_int_equal(t.rd.writes, w); /* nothing written */
    t.rd.dev.read_only = true;        /* a read-only device mounts read-only */
    assert_int_equal(nexfs_mount(fs, &t.rd.dev, t.mem, t.mem_size, 0), 0);
    assert_int_equal(nexfs_rmdir(fs, "/x"), -NEXFS_EROFS);
    assert_true(tfs_same(fs, "/f", 3000, 9));
    assert_int_equal(nexfs_unmount(fs), 0);
    tfs_free(&t);
}

/* Group commit: writes to an open file wait in one transaction; one that fails takes back only
 * its own changes, the earlier ones reach the disk at fsync, and nothing half-done is left. */
static void grouped_write_fails_alone(void **state)
{
    (void)state;
    struct tfs t;
    tfs_make(&t, 4096, 4096);
    struct nexfs *fs = &t.fs;
    uint8_t a[3 * 4096], b[2 * 4096];
    memset(a, 'A', sizeof(a));
    memset(b, 'B', sizeof(b));
    int fd = nexfs_open(fs, "/g", NEXFS_O_CREAT | NEXFS_O_RDWR, 0644);
    assert_true(fd >= 0);
    uint64_t flushes = t.rd.flushes;
    assert_int_equal(nexfs_write(fs, fd, a, sizeof(a)), (int64_t)sizeof(a));
    assert_int_equal(t.rd.flushes, flushes); /* not committed yet: grouped */
    assert_true(fs->txn_pending);
    t.rd.fail_writes_after = 0; /* the next write's data never lands */
    assert_int_equal(nexfs_write(fs, fd, b, sizeof(b)), -NEXFS_EIO);
    t.rd.fail_writes_after = -1;
    assert_true(fs->txn_pending); /* the first write still waits, whole */
    struct nexfs_stat st;
    assert_int_equal(nexfs_fstat(fs, fd, &st), 0);
    assert_int_equal(st.size, sizeof(a));
    assert_int_equal(nexfs_fsync(fs, fd), 0);
    assert_int_equal(nexfs_close(fs, fd), 0);
    tfs_remount(&t, 0); /* what the disk holds */
    fd = nexfs_open(fs, "/g", NEXFS_O_RDONLY, 0);
    uint8_t back[sizeof(a) + sizeof(b)];
    assert_int_equal(nexfs_read(fs, fd, back, sizeof(back)), (int64_t)sizeof(a));
    assert_memory_equal(back, a, sizeof(a));
    nexfs_close(fs, fd);
    assert_int_equal(nexfs_unmount(fs), 0);
    tfs_free(&t);
}

static void device_errors(void **state)
{
    (void)state;
    struct tfs t;
    tfs_make(&t, 4096, 4096);
    struct nexfs *fs = &t.fs;
    tfs_put(fs, "/f", 8192, 4);
    /* a failing write inside write(): -EIO and the file keeps its old bytes */
    int fd = nexfs_open(fs, "/f", NEXFS_O_RDWR, 0);
    t.rd.fail_writes_after = 0;
    assert_int_equal(nexfs_pwrite(fs, fd, "zzzz", 4, 100), -NEXFS_EIO);
    t.rd.fail_writes_after = 2; /* the data goes; the log fails at the commit, which fsync asks */
    assert_int_equal(nexfs_pwrite(fs, fd, "zzzz", 4, 100), 4);
    assert_int_equal(nexfs_fsync(fs, fd), -NEXFS_EIO);
    t.rd.fail_writes_after = -1;
    nexfs_close(fs, fd);
    assert_true(tfs_same(fs, "/f", 8192, 4));
    t.rd.fail_flush = 1;
    assert_int_equal(nexfs_mkdir(fs, "/d", 0755), -NEXFS_EIO);
    t.rd.fail_flush = 0;
    struct nexfs_stat s;
    assert_int_equal(nexfs_stat(fs, "/d", &s), -NEXFS_ENOENT);
    tfs_remount(&t, 0);
    assert_true(tfs_same(fs, "/f", 8192, 4));
    /* a failing read of a data block: -EIO to the reader */
    uint64_t blk = 0;
    for (uint64_t b = 0; b < t.rd.dev.block_count && !blk; b++)
        if (t.rd.data[b * 4096] == (uint8_t)(4 * 131))
            blk = b;
    assert_true(blk != 0);
    t.rd.fail_read_block = blk;
    uint8_t buf[8192];
    fd = nexfs_open(fs, "/f", NEXFS_O_RDONLY, 0);
    assert_int_equal(nexfs_pread(fs, fd, buf, sizeof(buf), 0), -NEXFS_EIO);
    nexfs_close(fs, fd);
    t.rd.fail_read_block = UINT64_MAX;
    assert_int_equal(nexfs_unmount(fs), 0);
    tfs_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mount_clean),
        cmocka_unit_test(file_sizes),
        cmocka_unit_test(rw_positions),
        cmocka_unit_test(names_and_dirs),
        cmocka_unit_test(renames),
        cmocka_unit_test(truncates),
        cmocka_unit_test(unlink_open_file),
        cmocka_unit_test(too_many_open),
        cmocka_unit_test(read_only),
        cmocka_unit_test(device_errors),
        cmocka_unit_test(grouped_write_fails_alone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
