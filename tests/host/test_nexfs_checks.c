/* NexFS's checks of what it reads from a disk image, one at a time, each against an image that
 * is made to pass every other check (resealed after the edit, so the CRC does not catch it):
 * superblock fields and features, a journal that replays a bad superblock or has a torn header,
 * a metadata block's magic, number, owner and CRC, an inode's number, type and table, directory
 * leaves and the index, indirect levels and data pointers, and the bitmaps (a block before the
 * data area, a double free, inodes past the last one, the root inode offered). The killers of
 * tools/mutate/checks.list's [NexFS ...] sections. */
#include "nexfs_test.h"

#include "../../nexfs/nexfs_int.h"

/* Directory leaf layout (docs/nexfs-format.md). */
#define L_COUNT   24
#define L_USED    26
#define L_ENTRIES 32
#define E_HEAD    10

/* Superblock field offsets (docs/nexfs-format.md). */
#define S_VERSION   24
#define S_BS        28
#define S_BLOCKS    32
#define S_FINCOMPAT 44
#define S_FROCOMPAT 48
#define S_INODES    68
#define S_BBSTART   72
#define S_ROOT      108
#define S_ORPHAN    116
#define S_MKFSTIME  120

static struct nexfs_super geo;

/* A filesystem of 2048 blocks of bs bytes: /d/small, /d/big (past the single indirect range
 * when bs is 1024), /other/keep; unmounted. */
static void populate(struct tfs *t, uint32_t bs)
{
    tfs_make(t, bs, 2048);
    struct nexfs *fs = &t->fs;
    assert_int_equal(nexfs_mkdir(fs, "/d", 0755), 0);
    assert_int_equal(nexfs_mkdir(fs, "/other", 0755), 0);
    tfs_put(fs, "/d/small", 100, 1);
    tfs_put(fs, "/d/big", 200000, 2);
    tfs_put(fs, "/other/keep", 5000, 3);
    geo = fs->sb;
    assert_int_equal(nexfs_unmount(fs), 0);
}

static uint8_t *blk(struct tfs *t, uint64_t b)
{
    return t->rd.data + b * geo.block_size;
}

static void reseal(struct tfs *t, uint64_t b)
{
    blk_reseal(blk(t, b), geo.block_size);
}

static int mount_rc(struct tfs *t, unsigned flags)
{
    return nexfs_mount(&t->fs, &t->rd.dev, t->mem, t->mem_size, flags);
}

static void mount_ok(struct tfs *t)
{
    assert_int_equal(mount_rc(t, 0), 0);
}

static uint32_t ino_of(struct tfs *t, const char *path)
{
    struct nexfs_stat st;
    mount_ok(t);
    assert_int_equal(nexfs_stat(&t->fs, path, &st), 0);
    assert_int_equal(nexfs_unmount(&t->fs), 0);
    return st.ino;
}

/* Where inode ino lives in the image. */
static uint8_t *inode_at(struct tfs *t, uint32_t ino)
{
    uint32_t ipb = geo.block_size / INODE_SIZE;
    return blk(t, geo.itable_start + ino / ipb) + (ino % ipb) * INODE_SIZE;
}

/* Disk block of logical block lblk < 12 of inode ino. */
static uint64_t direct(struct tfs *t, uint32_t ino, unsigned lblk)
{
    return get64(inode_at(t, ino) + I_PTR + 8 * lblk);
}

static void stat_is(struct tfs *t, const char *path, int rc)
{
    struct nexfs_stat st;
    assert_int_equal(nexfs_stat(&t->fs, path, &st), rc);
}

/* ---- superblock --------------------------------------------------------------------------- */

/* Mounts with one superblock field changed (resealed unless told not to); the original comes
 * back afterwards. */
static void sb_case(struct tfs *t, const uint8_t *orig, unsigned off, unsigned width,
                    uint64_t value, int seal, unsigned flags, int want)
{
    uint8_t *b0 = blk(t, 0);
    memcpy(b0, orig, geo.block_size);
    if (width == 4)
        put32(b0 + off, (uint32_t)value);
    else
        put64(b0 + off, value);
    if (seal)
        reseal(t, 0);
    int rc = mount_rc(t, flags);
    if (rc == 0)
        (void)nexfs_unmount(&t->fs);
    memcpy(b0, orig, geo.block_size);
    assert_int_equal(rc, want);
}

/* The CRC every seal uses: the standard check value, and the word-at-a-time path against a
 * bit-by-bit reference at every alignment and length around a word. */
static uint32_t crc_reference(const uint8_t *p, size_t len)
{
    uint32_t c = 0xffffffffu;
    while (len--) {
        c ^= *p++;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ 0x82f63b78u : c >> 1;
    }
    return ~c;
}

static void crc32c_is_the_standard_one(void **state)
{
    (void)state;
    static _Alignas(8) uint8_t buf[600];
    assert_int_equal(nexfs_crc32c(0, "123456789", 9), 0xe3069283u);
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)(i * 197u + 11u);
    for (size_t off = 0; off < 9; off++)
        for (size_t len = 0; len < 40; len++)
            assert_int_equal(nexfs_crc32c(0, buf + off, len), crc_reference(buf + off, len));
    assert_int_equal(nexfs_crc32c(0, buf + 3, 512), crc_reference(buf + 3, 512));
    /* Continued in pieces: the same as in one go. */
    assert_int_equal(nexfs_crc32c(nexfs_crc32c(0, buf, 13), buf + 13, 500),
                     crc_reference(buf, 513));
}

static void superblock_fields(void **state)
{
    (void)state;
    struct tfs t;
    populate(&t, 4096);
    uint8_t *orig = malloc(geo.block_size);
    memcpy(orig, blk(&t, 0), geo.block_size);

    sb_case(&t, orig, S_BS, 4, 3, 1, 0, -NEXFS_EIO);        /* not a block size at all */
    sb_case(&t, orig, S_BS, 4, 1u << 17, 1, 0, -NEXFS_EIO); /* larger than NexFS allows */
    sb_case(&t, orig, S_VERSION, 4, 2, 1, 0, -NEXFS_EIO);   /* a version we do not know */
    sb_case(&t, orig, S_ROOT, 4, 2, 1, 0, -NEXFS_EIO);      /* the root is inode 1 */
    /* One block more than the device holds (the layout is the same for 2049 blocks). */
    sb_case(&t, orig, S_BLOCKS, 8, geo.block_count + 1, 1, 0, -NEXFS_EIO);
    /* Not a whole number of inode table blocks (the rest of the layout still agrees). */
    sb_case(&t, orig, S_INODES, 4, geo.inode_count + 1, 1, 0, -NEXFS_EIO);
    sb_case(&t, orig, S_BBSTART, 8, geo.bbitmap_start + 1, 1, 0, -NEXFS_EIO);
    /* An orphan list starting past the inode table: refused read-only too (nothing there
     * would process the list). */
    sb_case(&t, orig, S_ORPHAN, 4, geo.inode_count, 1, 0, -NEXFS_EIO);
    sb_case(&t, orig, S_ORPHAN, 4, geo.inode_count, 1, NEXFS_MOUNT_RDONLY, -NEXFS_EIO);
    /* An incompatible feature we do not know: not mounted at all. */
    sb_case(&t, orig, S_FINCOMPAT, 4, get32(orig + S_FINCOMPAT) | 0x100u, 1, 0, -NEXFS_EINVAL);
    /* A field no other check looks at, changed without resealing: only the CRC says so. */
    sb_case(&t, orig, S_MKFSTIME, 8, get64(orig + S_MKFSTIME) ^ 0x10000, 0, 0, -NEXFS_EIO);
    sb_case(&t, orig, S_MKFSTIME, 8, get64(orig + S_MKFSTIME) ^ 0x10000, 1, 0, 0);

    /* A read-only-compatible feature we do not know: mounted, but read-only. */
    put32(blk(&t, 0) + S_FROCOMPAT, 0x1);
    reseal(&t, 0);
    mount_ok(&t);
    assert_true(tfs_same(&t.fs, "/d/big", 200000, 2));
    assert_int_equal(nexfs_mkdir(&t.fs, "/new", 0755), -NEXFS_EROFS);
    assert_int_equal(nexfs_unmount(&t.fs), 0);
    free(orig);
    tfs_free(&t);
}

/* ---- journal ------------------------------------------------------------------------------ */

/* A committed transaction of one block: `image` to be written home at `home`. */
static void journal_one(struct tfs *t, uint64_t home, const uint8_t *image)
{
    uint32_t bs = geo.block_size;
    uint8_t *h = blk(t, geo.journal_start);
    memcpy(blk(t, geo.journal_start + 1), image, bs);
    memset(h, 0, bs);
    put64(h + J_SEQ, 7);
    put32(h + J_COUNT, 1);
    put64(h + J_ENTRIES, home);
    put32(h + J_ENTRIES + 8, nexfs_crc32c(0, image, bs));
    blk_seal(h, bs, MAGIC_JHDR, geo.journal_start, 0, 0);
}

static void journal_replays_a_bad_superblock(void **state)
{
    (void)state;
    struct tfs t;
    populate(&t, 4096);
    uint8_t *sb = malloc(geo.block_size);
    /* The replay brings a superblock whose layout is wrong: the mount checks it again. */
    memcpy(sb, blk(&t, 0), geo.block_size);
    put64(sb + S_BBSTART, geo.bbitmap_start + 1);
    blk_reseal(sb, geo.block_size);
    journal_one(&t, 0, sb);
    assert_int_equal(mount_rc(&t, 0), -NEXFS_EIO);
    tfs_free(&t);

    /* One that names another block size (sealed as this one). */
    populate(&t, 4096);
    memcpy(sb, blk(&t, 0), geo.block_size);
    put32(sb + S_BS, 8192);
    blk_reseal(sb, geo.block_size);
    journal_one(&t, 0, sb);
    assert_int_equal(mount_rc(&t, 0), -NEXFS_EIO);
    free(sb);
    tfs_free(&t);
}

static void journal_torn_header(void **state)
{
    (void)state;
    struct tfs t;
    uint64_t home = 2048 - 2; /* past everything populate wrote, before the backup */
    uint8_t *img = malloc(4096);
    memset(img, 0x6b, 4096);
    for (int torn = 0; torn <= 1; torn++) {
        populate(&t, 4096);
        assert_true(blk(&t, home)[0] == 0);
        journal_one(&t, home, img);
        if (torn)
            blk(&t, geo.journal_start)[3000] ^= 1; /* the header's CRC no longer holds */
        mount_ok(&t);
        assert_int_equal(nexfs_unmount(&t.fs), 0);
        /* Replayed when whole; a torn header was never a commit. */
        assert_int_equal(memcmp(blk(&t, home), img, 4096) == 0, !torn);
        if (torn)
            assert_true(blk(&t, home)[0] == 0);
        tfs_free(&t);
    }
    free(img);
}

/* ---- metadata block identity -------------------------------------------------------------- */

/* The one leaf of directory ino (logical block 1). */
static uint64_t leaf_of(struct tfs *t, uint32_t ino)
{
    uint64_t b = direct(t, ino, 1);
    assert_int_equal(get32(blk(t, b)), MAGIC_DLEAF);
    return b;
}

/* Offset of entry `name` in leaf b. */
static uint32_t entry_at(struct tfs *t, uint64_t b, const char *name)
{
    uint8_t *l = blk(t, b);
    uint32_t o = L_ENTRIES, len = (uint32_t)strlen(name);
    for (uint32_t i = 0; i < get16(l + L_COUNT); i++) {
        if (l[o + 9] == len && memcmp(l + o + E_HEAD, name, len) == 0)
            return o;
        o += E_HEAD + l[o + 9];
    }
    fail_msg("no entry %s", name);
    return 0;
}

static void block_identity(void **state)
{
    (void)state;
    struct tfs t;
    populate(&t, 4096);
    uint32_t d = ino_of(&t, "/d"), other = ino_of(&t, "/other");
    uint64_t leaf = leaf_of(&t, d);
    uint8_t *save = malloc(4096);
    memcpy(save, blk(&t, leaf), 4096);

    /* Another directory's leaf (owner), sealed: not this directory's. */
    put32(blk(&t, leaf) + HDR_OWNER, other);
    reseal(&t, leaf);
    mount_ok(&t);
    stat_is(&t, "/d/small", -NEXFS_EIO);
    assert_true(tfs_same(&t.fs, "/other/keep", 5000, 3));
    assert_int_equal(nexfs_unmount(&t.fs), 0);

    /* Another kind of block (magic), sealed. */
    memcpy(blk(&t, leaf), save, 4096);
    put32(blk(&t, leaf), MAGIC_IND);
    reseal(&t, leaf);
    mount_ok(&t);
    stat_is(&t, "/d/small", -NEXFS_EIO);
    assert_int_equal(nexfs_unmount(&t.fs), 0);

    /* The leaf copied whole to a free block the directory now points at: it says where it
     * belongs (block number), and that is not here. */
    memcpy(blk(&t, leaf), save, 4096);
    uint64_t copy = 2048 - 2;
    memcpy(blk(&t, copy), save, 4096);
    put64(inode_at(&t, d) + I_PTR + 8, copy);
    inode_seal(inode_at(&t, d));
    mount_ok(&t);
    stat_is(&t, "/d/small", -NEXFS_EIO);
    assert_int_equal(nexfs_unmount(&t.fs), 0);
    put64(inode_at(&t, d) + I_PTR + 8, leaf);
    inode_seal(inode_at(&t, d));
    memset(blk(&t, copy), 0, 4096);

    /* A name changed without resealing: only the CRC sees it; the whole leaf is refused. */
    blk(&t, leaf)[entry_at(&t, leaf, "small") + E_HEAD] ^= 0x20;
    mount_ok(&t);
    stat_is(&t, "/d/big", -NEXFS_EIO);
    assert_int_equal(nexfs_unmount(&t.fs), 0);
    memcpy(blk(&t, leaf), save, 4096);

    /* An inode slot holding another inode's number, sealed. */
    uint32_t small = ino_of(&t, "/d/small");
    put32(inode_at(&t, small) + I_INO, small + 1);
    inode_seal(inode_at(&t, small));
    mount_ok(&t);
    stat_is(&t, "/d/small", -NEXFS_EIO);
    assert_true(tfs_same(&t.fs, "/d/big", 200000, 2));
    assert_int_equal(nexfs_unmount(&t.fs), 0);
    free(save);
    tfs_free(&t);
}

/* ---- inodes ------------------------------------------------------------------------------- */

static void inode_type_and_table(void **state)
{
    (void)state;
    struct tfs t;
    populate(&t, 4096);
    uint32_t small = ino_of(&t, "/d/small"), d = ino_of(&t, "/d");
    uint8_t save[INODE_SIZE];
    memcpy(save, inode_at(&t, small), INODE_SIZE);

    /* A type NexFS never makes (a symbolic link), sealed. */
    put16(inode_at(&t, small) + I_MODE, (uint16_t)(0xa000u | 0777u));
    inode_seal(inode_at(&t, small));
    mount_ok(&t);
    stat_is(&t, "/d/small", -NEXFS_EIO);
    assert_int_equal(nexfs_unmount(&t.fs), 0);
    memcpy(inode_at(&t, small), save, INODE_SIZE);

    /* A name pointing past the inode table, into a file's data that holds a sound-looking
     * inode of that number: never read as an inode. */
    uint64_t data = direct(&t, ino_of(&t, "/other/keep"), 0);
    uint32_t ipb = geo.block_size / INODE_SIZE;
    uint32_t fake = (uint32_t)(data - geo.itable_start) * ipb;
    assert_true(fake >= geo.inode_count);
    uint8_t *ip = blk(&t, data);
    memcpy(ip, save, INODE_SIZE);
    put32(ip + I_INO, fake);
    inode_seal(ip);
    uint64_t leaf = leaf_of(&t, d);
    put32(blk(&t, leaf) + entry_at(&t, leaf, "small"), fake);
    reseal(&t, leaf);
    mount_ok(&t);
    stat_is(&t, "/d/small", -NEXFS_EIO);
    assert_true(tfs_same(&t.fs, "/d/big", 200000, 2));
    assert_int_equal(nexfs_unmount(&t.fs), 0);
    tfs_free(&t);
}

/* ---- directories -------------------------------------------------------------------------- */

/* Appends an entry (ino, type, len bytes of name) at the end of leaf l, counts and all. */
static void leaf_append(uint8_t *l, uint32_t ino, uint8_t type, uint32_t len)
{
    uint32_t o = L_ENTRIES + get16(l + L_USED);
    put32(l + o, ino);
    put32(l + o + 4, 0);
    l[o + 8] = type;
    l[o + 9] = (uint8_t)len;
    put16(l + L_COUNT, (uint16_t)(get16(l + L_COUNT) + 1));
    put16(l + L_USED, (uint16_t)(get16(l + L_USED) + E_HEAD + len));
}

/* Mounts with /d's leaf edited by `edit`, expects a lookup in it to give rc; restores it. */
static void leaf_case(struct tfs *t, uint64_t leaf, const uint8_t *save,
                      void (*edit)(uint8_t *l, uint32_t bs), int rc)
{
    uint8_t *l = blk(t, leaf);
    memcpy(l, save, geo.block_size);
    edit(l, geo.block_size);
    reseal(t, leaf);
    mount_ok(t);
    stat_is(t, "/d/small", rc);
    assert_true(tfs_same(&t->fs, "/other/keep", 5000, 3));
    assert_int_equal(nexfs_unmount(&t->fs), 0);
    memcpy(l, save, geo.block_size);
}

static void edit_none(uint8_t *l, uint32_t bs)
{
    (void)l;
    (void)bs;
}

/* Entries that fill the leaf and a last one whose name runs 5 bytes past the block's end (its
 * header inside): the counts agree with the entries, only the block size does not. */
static void edit_past_the_block(uint8_t *l, uint32_t bs)
{
    uint32_t o;
    while ((o = L_ENTRIES + get16(l + L_USED)) + E_HEAD < bs - 100) {
        uint32_t gap = bs - 100 - o;
        leaf_append(l, 2, 1, gap > E_HEAD + 255 ? 255 : gap - E_HEAD);
    }
    leaf_append(l, 2, 1, bs + 5 - o - E_HEAD); /* o within 10 bytes of bs - 100 */
}

static void edit_empty_name(uint8_t *l, uint32_t bs)
{
    (void)bs;
    leaf_append(l, 2, 1, 0);
}

static void edit_bad_type(uint8_t *l, uint32_t bs)
{
    (void)bs;
    l[L_ENTRIES + 8] = 3;
}

static void edit_used_too_long(uint8_t *l, uint32_t bs)
{
    (void)bs;
    put16(l + L_USED, (uint16_t)(get16(l + L_USED) + 5));
}

static void directory_entries(void **state)
{
    (void)state;
    struct tfs t;
    populate(&t, 4096);
    uint64_t leaf = leaf_of(&t, ino_of(&t, "/d"));
    uint8_t *save = malloc(4096);
    memcpy(save, blk(&t, leaf), 4096);

    leaf_case(&t, leaf, save, edit_none, 0); /* the edits below are what is refused */
    leaf_case(&t, leaf, save, edit_past_the_block, -NEXFS_EIO);
    leaf_case(&t, leaf, save, edit_empty_name, -NEXFS_EIO);
    leaf_case(&t, leaf, save, edit_bad_type, -NEXFS_EIO);
    leaf_case(&t, leaf, save, edit_used_too_long, -NEXFS_EIO);
    free(save);

    /* An index deeper than its block can hold (2^31 slots), sealed. */
    uint32_t d = ino_of(&t, "/d");
    uint64_t ix = direct(&t, d, 0);
    assert_int_equal(get32(blk(&t, ix)), MAGIC_DIDX);
    put32(blk(&t, ix) + HDR_AUX, 31);
    reseal(&t, ix);
    mount_ok(&t);
    stat_is(&t, "/d/small", -NEXFS_EIO);
    assert_true(tfs_same(&t.fs, "/other/keep", 5000, 3));
    assert_int_equal(nexfs_unmount(&t.fs), 0);
    tfs_free(&t);
}

/* ---- block pointers ----------------------------------------------------------------------- */

static int64_t pread_at(struct tfs *t, const char *path, uint64_t off)
{
    uint8_t buf[1024];
    int fd = nexfs_open(&t->fs, path, NEXFS_O_RDONLY, 0);
    assert_true(fd >= 0);
    int64_t n = nexfs_pread(&t->fs, fd, buf, sizeof buf, off);
    nexfs_close(&t->fs, fd);
    return n;
}

static void block_pointers(void **state)
{
    (void)state;
    struct tfs t;
    populate(&t, 1024); /* /d/big: 196 blocks, direct, single and double indirect */
    uint32_t big = ino_of(&t, "/d/big"), small = ino_of(&t, "/d/small");
    uint8_t *ip = inode_at(&t, big);
    uint64_t dbl = get64(ip + I_PTR + 8 * (NDIRECT + 1));
    assert_int_equal(get32(blk(&t, dbl)), MAGIC_IND);
    assert_int_equal(get32(blk(&t, dbl) + HDR_AUX), 2);

    /* The single indirect pointer names the file's own level-2 block: its entries are
     * indirect blocks, never data. */
    put64(ip + I_PTR + 8 * NDIRECT, dbl);
    inode_seal(ip);
    mount_ok(&t);
    assert_int_equal(pread_at(&t, "/d/big", 12 * 1024), -NEXFS_EIO);
    assert_int_equal(pread_at(&t, "/d/big", 0), 1024);
    assert_int_equal(nexfs_unmount(&t.fs), 0);

    /* A data pointer into the inode table: never read as file data. */
    put64(inode_at(&t, small) + I_PTR, geo.itable_start);
    inode_seal(inode_at(&t, small));
    mount_ok(&t);
    assert_int_equal(pread_at(&t, "/d/small", 0), -NEXFS_EIO);
    assert_int_equal(nexfs_unmount(&t.fs), 0);
    tfs_free(&t);
}

/* ---- bitmaps ------------------------------------------------------------------------------ */

static void bit_clear(struct tfs *t, uint64_t map_start, uint64_t n)
{
    uint8_t *b = blk(t, map_start);
    b[HDR_SIZE + n / 8] &= (uint8_t) ~(1u << (n % 8));
    reseal(t, map_start);
}

static void bitmaps(void **state)
{
    (void)state;
    struct tfs t;
    /* The last inode table block shown free: never handed out for data. */
    populate(&t, 4096);
    bit_clear(&t, geo.bbitmap_start, geo.data_start - 1);
    uint8_t *itab = malloc(4096);
    memcpy(itab, blk(&t, geo.data_start - 1), 4096);
    mount_ok(&t);
    int fd = nexfs_open(&t.fs, "/new", NEXFS_O_CREAT | NEXFS_O_RDWR, 0644);
    assert_true(fd >= 0);
    assert_int_equal(nexfs_pwrite(&t.fs, fd, "data", 4, 0), -NEXFS_EIO);
    nexfs_close(&t.fs, fd);
    assert_int_equal(nexfs_unmount(&t.fs), 0);
    assert_int_equal(memcmp(itab, blk(&t, geo.data_start - 1), 4096), 0);
    free(itab);
    tfs_free(&t);

    /* Two files naming one block: the second free of it is refused. */
    populate(&t, 4096);
    uint32_t small = ino_of(&t, "/d/small"), keep = ino_of(&t, "/other/keep");
    put64(inode_at(&t, small) + I_PTR, direct(&t, keep, 0));
    inode_seal(inode_at(&t, small));
    mount_ok(&t);
    assert_int_equal(nexfs_unlink(&t.fs, "/d/small"), 0);
    assert_int_equal(nexfs_unlink(&t.fs, "/other/keep"), -NEXFS_EIO);
    assert_int_equal(nexfs_unmount(&t.fs), 0);
    tfs_free(&t);

    /* Every inode in use, and the bits past the last inode shown free: nothing to give, even
     * when the free count has to be found again in the bitmap (after an aborted change). */
    populate(&t, 4096);
    uint8_t *ib = blk(&t, geo.ibitmap_start);
    uint64_t per = (uint64_t)(geo.block_size - HDR_SIZE) * 8;
    for (uint64_t n = 0; n < per; n++)
        if (n < geo.inode_count)
            ib[HDR_SIZE + n / 8] |= (uint8_t)(1u << (n % 8));
        else
            ib[HDR_SIZE + n / 8] &= (uint8_t) ~(1u << (n % 8));
    reseal(&t, geo.ibitmap_start);
    mount_ok(&t);
    assert_int_equal(nexfs_unlink(&t.fs, "/d/none"), -NEXFS_ENOENT); /* an aborted change */
    assert_int_equal(nexfs_open(&t.fs, "/new", NEXFS_O_CREAT | NEXFS_O_RDWR, 0644), -NEXFS_ENOSPC);
    assert_true(tfs_same(&t.fs, "/d/big", 200000, 2));
    assert_int_equal(nexfs_unmount(&t.fs), 0);
    tfs_free(&t);

    /* The root inode shown free: never given to a new file. */
    populate(&t, 4096);
    bit_clear(&t, geo.ibitmap_start, NEXFS_ROOT_INO);
    mount_ok(&t);
    assert_int_equal(nexfs_open(&t.fs, "/new", NEXFS_O_CREAT | NEXFS_O_RDWR, 0644), -NEXFS_EIO);
    struct nexfs_stat st;
    assert_int_equal(nexfs_stat(&t.fs, "/", &st), 0);
    assert_int_equal(st.mode & NEXFS_S_IFMT, NEXFS_S_IFDIR);
    assert_true(tfs_same(&t.fs, "/d/big", 200000, 2));
    assert_int_equal(nexfs_unmount(&t.fs), 0);
    tfs_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crc32c_is_the_standard_one),
        cmocka_unit_test(superblock_fields),
        cmocka_unit_test(journal_replays_a_bad_superblock),
        cmocka_unit_test(journal_torn_header),
        cmocka_unit_test(block_identity),
        cmocka_unit_test(inode_type_and_table),
        cmocka_unit_test(directory_entries),
        cmocka_unit_test(block_pointers),
        cmocka_unit_test(bitmaps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
