/* Corrupted metadata, one kind at a time, on a populated filesystem: the superblock (mount
 * refuses; fsck -y restores it from the backup), each bitmap, an inode, an indirect block, a
 * directory index and a directory leaf, the journal header. The damaged object answers EIO,
 * everything else keeps working, and fsck names the problem. */
#include "nexfs_test.h"

#include "../../nexfs/nexfs_int.h"

static struct nexfs_super geo;

static void populate(struct tfs *t)
{
    tfs_make(t, 4096, 2048);
    struct nexfs *fs = &t->fs;
    assert_int_equal(nexfs_mkdir(fs, "/d", 0755), 0);
    assert_int_equal(nexfs_mkdir(fs, "/other", 0755), 0);
    tfs_put(fs, "/d/small", 100, 1);
    tfs_put(fs, "/d/big", 200000, 2); /* an indirect block */
    tfs_put(fs, "/other/keep", 5000, 3);
    geo = fs->sb;
    assert_int_equal(nexfs_unmount(fs), 0);
}

static uint8_t *blk(struct tfs *t, uint64_t b)
{
    return t->rd.data + b * 4096;
}

/* The first block with this magic (and owner, unless 0). */
static uint64_t find_magic(struct tfs *t, uint32_t magic, uint32_t owner)
{
    for (uint64_t b = geo.data_start; b < geo.block_count; b++)
        if (get32(blk(t, b)) == magic && (!owner || get32(blk(t, b) + HDR_OWNER) == owner))
            return b;
    fail_msg("no block with magic %x", magic);
    return 0;
}

static uint32_t ino_of(struct tfs *t, const char *path)
{
    struct nexfs_stat st;
    assert_int_equal(nexfs_mount(&t->fs, &t->rd.dev, t->mem, t->mem_size, 0), 0);
    assert_int_equal(nexfs_stat(&t->fs, path, &st), 0);
    assert_int_equal(nexfs_unmount(&t->fs), 0);
    return st.ino;
}

static void mount_ok(struct tfs *t)
{
    assert_int_equal(nexfs_mount(&t->fs, &t->rd.dev, t->mem, t->mem_size, 0), 0);
}

static void superblock(void **state)
{
    (void)state;
    struct tfs t;
    populate(&t);
    blk(&t, 0)[100] ^= 0x40;
    assert_int_equal(nexfs_mount(&t.fs, &t.rd.dev, t.mem, t.mem_size, 0), -NEXFS_EIO);
    assert_int_equal(tfs_fsck(&t, 0), NEXFS_FSCK_LEFT);
    assert_int_equal(tfs_fsck(&t, NEXFS_FSCK_REPAIR), NEXFS_FSCK_FIXED);
    assert_int_equal(tfs_fsck(&t, 0), 0);
    mount_ok(&t);
    assert_true(tfs_same(&t.fs, "/d/big", 200000, 2));
    assert_int_equal(nexfs_unmount(&t.fs), 0);
    /* both copies gone: no filesystem, fsck leaves it */
    blk(&t, 0)[100] ^= 0x40;
    blk(&t, geo.block_count - 1)[100] ^= 0x40;
    blk(&t, 0)[0] ^= 1;
    assert_int_equal(tfs_fsck(&t, NEXFS_FSCK_REPAIR), NEXFS_FSCK_LEFT);
    tfs_free(&t);
}

static void bitmaps(void **state)
{
    (void)state;
    struct tfs t;
    populate(&t);
    blk(&t, geo.bbitmap_start)[HDR_SIZE + 100] ^= 0xff; /* crc breaks */
    blk(&t, geo.ibitmap_start)[HDR_SIZE + 3] ^= 0x10;
    mount_ok(&t);
    struct nexfs_statfs sf;
    assert_int_equal(nexfs_statfs(&t.fs, &sf), 0);
    assert_int_equal(sf.blocks_free, 0); /* the one block bitmap: nothing can be allocated */
    assert_true(tfs_same(&t.fs, "/d/big", 200000, 2));
    assert_true(tfs_same(&t.fs, "/other/keep", 5000, 3));
    int fd = nexfs_open(&t.fs, "/new", NEXFS_O_CREAT | NEXFS_O_RDWR, 0644);
    assert_int_equal(fd, -NEXFS_ENOSPC); /* the inode bitmap is unreadable: no inode to give */
    assert_int_equal(nexfs_unlink(&t.fs, "/d/small"), -NEXFS_EIO);
    assert_true(tfs_same(&t.fs, "/d/small", 100, 1)); /* the failed unlink changed nothing */
    assert_int_equal(nexfs_unmount(&t.fs), 0);
    assert_int_equal(tfs_fsck(&t, 0), NEXFS_FSCK_LEFT);
    assert_int_equal(tfs_fsck(&t, NEXFS_FSCK_REPAIR), NEXFS_FSCK_FIXED);
    assert_int_equal(tfs_fsck(&t, 0), 0);
    mount_ok(&t);
    tfs_put(&t.fs, "/new", 3000, 4);
    assert_int_equal(nexfs_unlink(&t.fs, "/d/small"), 0);
    assert_int_equal(nexfs_unmount(&t.fs), 0);
    assert_int_equal(tfs_fsck(&t, 0), 0);
    tfs_free(&t);
}

static void inode(void **state)
{
    (void)state;
    struct tfs t;
    populate(&t);
    uint32_t ino = ino_of(&t, "/d/small");
    blk(&t, geo.itable_start + ino / 16)[(ino % 16) * INODE_SIZE + 20] ^= 1;
    mount_ok(&t);
    struct nexfs_stat st;
    assert_int_equal(nexfs_stat(&t.fs, "/d/small", &st), -NEXFS_EIO);
    assert_int_equal(nexfs_open(&t.fs, "/d/small", NEXFS_O_RDONLY, 0), -NEXFS_EIO);
    assert_true(tfs_same(&t.fs, "/d/big", 200000, 2)); /* its neighbour in the same block */
    tfs_put(&t.fs, "/d/more", 10, 5);
    assert_int_equal(nexfs_unmount(&t.fs), 0);
    assert_int_equal(tfs_fsck(&t, 0), NEXFS_FSCK_LEFT);
    assert_int_equal(tfs_fsck(&t, NEXFS_FSCK_REPAIR), NEXFS_FSCK_FIXED);
    assert_int_equal(tfs_fsck(&t, 0), 0);
    mount_ok(&t);
    assert_int_equal(nexfs_stat(&t.fs, "/d/small", &st), -NEXFS_ENOENT); /* entry removed */
    assert_true(tfs_same(&t.fs, "/d/more", 10, 5));
    assert_int_equal(nexfs_unmount(&t.fs), 0);
    tfs_free(&t);
}

static void indirect_block(void **state)
{
    (void)state;
    struct tfs t;
    populate(&t);
    uint32_t ino = ino_of(&t, "/d/big");
    uint64_t b = find_magic(&t, MAGIC_IND, ino);
    blk(&t, b)[HDR_SIZE + 8] ^= 0x80;
    mount_ok(&t);
    int fd = nexfs_open(&t.fs, "/d/big", NEXFS_O_RDONLY, 0);
    uint8_t buf[4096];
    assert_int_equal(nexfs_pread(&t.fs, fd, buf, 4096, 0), 4096); /* direct blocks still read */
    assert_int_equal(nexfs_pread(&t.fs, fd, buf, 4096, 100000), -NEXFS_EIO);
    nexfs_close(&t.fs, fd);
    assert_true(tfs_same(&t.fs, "/other/keep", 5000, 3));
    assert_int_equal(nexfs_unlink(&t.fs, "/d/big"), -NEXFS_EIO); /* never follows it */
    assert_int_equal(nexfs_unmount(&t.fs), 0);
    assert_int_equal(tfs_fsck(&t, 0), NEXFS_FSCK_LEFT);
    tfs_free(&t);
}

static void directory_blocks(void **state)
{
    (void)state;
    struct tfs t;
    populate(&t);
    uint32_t d = ino_of(&t, "/d");
    uint64_t ix = find_magic(&t, MAGIC_DIDX, d);
    blk(&t, ix)[HDR_SIZE] ^= 2;
    mount_ok(&t);
    struct nexfs_stat st;
    assert_int_equal(nexfs_stat(&t.fs, "/d/small", &st), -NEXFS_EIO);
    assert_int_equal(nexfs_open(&t.fs, "/d/x", NEXFS_O_CREAT | NEXFS_O_RDWR, 0), -NEXFS_EIO);
    assert_true(tfs_same(&t.fs, "/other/keep", 5000, 3));
    tfs_put(&t.fs, "/other/new", 10, 6);
    assert_int_equal(nexfs_unmount(&t.fs), 0);
    assert_int_equal(tfs_fsck(&t, 0), NEXFS_FSCK_LEFT);
    blk(&t, ix)[HDR_SIZE] ^= 2;
    uint64_t leaf = find_magic(&t, MAGIC_DLEAF, d);
    blk(&t, leaf)[40] ^= 0x55;
    mount_ok(&t);
    assert_int_equal(nexfs_stat(&t.fs, "/d/big", &st), -NEXFS_EIO);
    int fd = nexfs_open(&t.fs, "/d", NEXFS_O_RDONLY, 0);
    struct nexfs_dirent de;
    assert_int_equal(nexfs_readdir(&t.fs, fd, &de), -NEXFS_EIO);
    nexfs_close(&t.fs, fd);
    assert_true(tfs_same(&t.fs, "/other/new", 10, 6));
    assert_int_equal(nexfs_unmount(&t.fs), 0);
    assert_int_equal(tfs_fsck(&t, 0), NEXFS_FSCK_LEFT);
    tfs_free(&t);
}

static void journal_header(void **state)
{
    (void)state;
    struct tfs t;
    populate(&t);
    /* a header whose CRC fails is no commit: mount goes on without replaying */
    blk(&t, geo.journal_start)[30] ^= 1;
    mount_ok(&t);
    assert_true(tfs_same(&t.fs, "/d/big", 200000, 2));
    assert_int_equal(nexfs_unmount(&t.fs), 0);
    /* a sealed header naming more blocks than the journal holds: refused, never followed */
    uint8_t *h = blk(&t, geo.journal_start);
    put32(h + J_COUNT, 100000);
    blk_seal(h, 4096, MAGIC_JHDR, geo.journal_start, 0, 0);
    assert_int_equal(nexfs_mount(&t.fs, &t.rd.dev, t.mem, t.mem_size, 0), -NEXFS_EIO);
    /* one naming a home block inside the journal: refused */
    put32(h + J_COUNT, 1);
    put64(h + J_ENTRIES, geo.journal_start + 3);
    blk_seal(h, 4096, MAGIC_JHDR, geo.journal_start, 0, 0);
    assert_int_equal(nexfs_mount(&t.fs, &t.rd.dev, t.mem, t.mem_size, 0), -NEXFS_EIO);
    tfs_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(superblock),
        cmocka_unit_test(bitmaps),
        cmocka_unit_test(inode),
        cmocka_unit_test(indirect_block),
        cmocka_unit_test(directory_blocks),
        cmocka_unit_test(journal_header),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
