/* The superblock: its encoding, the geometry checks every mount and fsck apply, mkfs (the
 * layout), mount (check, journal recovery, orphans), unmount (the clean state), statfs, sync. */
#include "nexfs_int.h"

/* Superblock field offsets (after the 24-byte block header). */
#define S_VERSION   24
#define S_BS        28
#define S_BLOCKS    32
#define S_FCOMPAT   40
#define S_FINCOMPAT 44
#define S_FROCOMPAT 48
#define S_STATE     52
#define S_JSTART    56
#define S_JBLOCKS   64
#define S_INODES    68
#define S_BBSTART   72
#define S_BBBLOCKS  80
#define S_IBBLOCKS  84
#define S_IBSTART   88
#define S_ITSTART   96
#define S_ITBLOCKS  104
#define S_ROOT      108
#define S_SEED      112
#define S_ORPHAN    116
#define S_MKFSTIME  120
#define S_DATA      128
#define S_UUID      136

void sb_encode(const struct nexfs_super *sb, uint8_t *b, uint64_t blockno)
{
    memset(b, 0, sb->block_size);
    put32(b + S_VERSION, sb->version);
    put32(b + S_BS, sb->block_size);
    put64(b + S_BLOCKS, sb->block_count);
    put32(b + S_FCOMPAT, sb->feat_compat);
    put32(b + S_FINCOMPAT, sb->feat_incompat);
    put32(b + S_FROCOMPAT, sb->feat_ro_compat);
    put32(b + S_STATE, sb->state);
    put64(b + S_JSTART, sb->journal_start);
    put32(b + S_JBLOCKS, sb->journal_blocks);
    put32(b + S_INODES, sb->inode_count);
    put64(b + S_BBSTART, sb->bbitmap_start);
    put32(b + S_BBBLOCKS, sb->bbitmap_blocks);
    put32(b + S_IBBLOCKS, sb->ibitmap_blocks);
    put64(b + S_IBSTART, sb->ibitmap_start);
    put64(b + S_ITSTART, sb->itable_start);
    put32(b + S_ITBLOCKS, sb->itable_blocks);
    put32(b + S_ROOT, NEXFS_ROOT_INO);
    put32(b + S_SEED, sb->hash_seed);
    put32(b + S_ORPHAN, sb->orphan_head);
    put64(b + S_MKFSTIME, sb->mkfs_time);
    put64(b + S_DATA, sb->data_start);
    memcpy(b + S_UUID, sb->uuid, 16);
    blk_seal(b, sb->block_size, MAGIC_SUPER, blockno, 0, 0);
}

int sb_decode(const uint8_t *b, uint32_t bs, uint64_t blockno, struct nexfs_super *sb)
{
    if (get32(b + S_BS) != bs || blk_check(b, bs, MAGIC_SUPER, blockno, 0) < 0)
        return -NEXFS_EIO;
    sb->version = get32(b + S_VERSION);
    sb->block_size = bs;
    sb->block_count = get64(b + S_BLOCKS);
    sb->feat_compat = get32(b + S_FCOMPAT);
    sb->feat_incompat = get32(b + S_FINCOMPAT);
    sb->feat_ro_compat = get32(b + S_FROCOMPAT);
    sb->state = get32(b + S_STATE);
    sb->journal_start = get64(b + S_JSTART);
    sb->journal_blocks = get32(b + S_JBLOCKS);
    sb->inode_count = get32(b + S_INODES);
    sb->bbitmap_start = get64(b + S_BBSTART);
    sb->bbitmap_blocks = get32(b + S_BBBLOCKS);
    sb->ibitmap_blocks = get32(b + S_IBBLOCKS);
    sb->ibitmap_start = get64(b + S_IBSTART);
    sb->itable_start = get64(b + S_ITSTART);
    sb->itable_blocks = get32(b + S_ITBLOCKS);
    sb->hash_seed = get32(b + S_SEED);
    sb->orphan_head = get32(b + S_ORPHAN);
    sb->mkfs_time = get64(b + S_MKFSTIME);
    sb->data_start = get64(b + S_DATA);
    memcpy(sb->uuid, b + S_UUID, 16);
    if (get32(b + S_ROOT) != NEXFS_ROOT_INO)
        return -NEXFS_EIO;
    return 0;
}

static uint64_t div_up(uint64_t a, uint64_t b)
{
    return (a + b - 1) / b;
}

static uint64_t bits_per_block(uint32_t bs)
{
    return (uint64_t)(bs - HDR_SIZE) * 8;
}

/* 0 when the layout is the one mkfs computes for these counts and fits dev_bytes. */
int sb_geometry_ok(const struct nexfs_super *sb, uint64_t dev_bytes)
{
    uint32_t bs = sb->block_size;
    if (bs < BS_MIN || bs > BS_MAX || (bs & (bs - 1)) || sb->version != NEXFS_VERSION)
        return -NEXFS_EIO;
    uint64_t n = sb->block_count;
    if (n < 64 || n > dev_bytes / bs || n > (1ull << 48))
        return -NEXFS_EIO;
    uint32_t ipb = bs / INODE_SIZE;
    if (sb->inode_count < 16 || sb->inode_count % ipb || sb->journal_blocks < 33 ||
        sb->journal_blocks > 65536)
        return -NEXFS_EIO;
    if (sb->journal_start != 1 || sb->bbitmap_start != 1 + (uint64_t)sb->journal_blocks ||
        sb->bbitmap_blocks != div_up(n, bits_per_block(bs)) ||
        sb->ibitmap_start != sb->bbitmap_start + sb->bbitmap_blocks ||
        sb->ibitmap_blocks != div_up(sb->inode_count, bits_per_block(bs)) ||
        sb->itable_start != sb->ibitmap_start + sb->ibitmap_blocks ||
        sb->itable_blocks != sb->inode_count / ipb ||
        sb->data_start != sb->itable_start + sb->itable_blocks || sb->data_start + 8 > n)
        return -NEXFS_EIO;
    if (sb->orphan_head >= sb->inode_count)
        return -NEXFS_EIO;
    return 0;
}

int nexfs_probe(const struct nexfs_dev *dev, void *sector)
{
    int rc = dev->ops->read(dev, 0, 1, sector);
    return rc < 0 ? rc : get32(sector) == MAGIC_SUPER;
}

size_t nexfs_mem_min(uint32_t block_size)
{
    return (size_t)block_size * 66; /* two bounce blocks and 64 cache slots */
}

uint64_t fs_now(struct nexfs *fs)
{
    return fs->dev.ops->now ? fs->dev.ops->now(&fs->dev) : 0;
}

static int dev_sane(const struct nexfs_dev *dev)
{
    uint32_t b = dev->block_size;
    if (!dev->ops || !dev->ops->read || !dev->ops->write || !dev->ops->flush)
        return -NEXFS_EINVAL;
    if (b < 512 || b > BS_MAX || (b & (b - 1)) || dev->block_count == 0)
        return -NEXFS_EINVAL;
    return 0;
}

/* Writes nblocks blocks of `b` starting at fs block `block` (the fs block size is sb's). */
static int mk_write(const struct nexfs_dev *dev, uint32_t bs, uint64_t block, const void *b)
{
    uint32_t r = bs / dev->block_size;
    return dev->ops->write(dev, block * r, r, b);
}

static void mk_bitmap(uint8_t *b, uint32_t bs, uint64_t idx, uint64_t nset, uint64_t limit,
                      uint64_t backup)
{
    uint64_t per = bits_per_block(bs), first = idx * per;
    memset(b, 0, bs);
    for (uint64_t i = 0; i < per; i++) {
        uint64_t n = first + i;
        if (n < nset || n >= limit || n == backup) /* past the end: never allocatable */
            b[HDR_SIZE + i / 8] |= (uint8_t)(1u << (i % 8));
    }
}

int nexfs_mkfs(const struct nexfs_dev *dev, const struct nexfs_mkfs_opts *o, void *scratch)
{
    int rc = dev_sane(dev);
    if (rc < 0)
        return rc;
    if (dev->read_only)
        return -NEXFS_EROFS;
    struct nexfs_super sb;
    memset(&sb, 0, sizeof(sb));
    uint32_t bs = o && o->block_size ? o->block_size : 4096;
    if (bs < BS_MIN || bs > BS_MAX || (bs & (bs - 1)) || bs < dev->block_size)
        return -NEXFS_EINVAL;
    uint64_t max = dev->block_count / (bs / dev->block_size);
    uint64_t n = o && o->blocks ? o->blocks : max;
    if (n > max || n > (1ull << 48))
        return -NEXFS_EINVAL;
    uint32_t ipb = bs / INODE_SIZE;
    uint64_t inodes = o && o->inodes ? o->inodes : n * bs / 16384;
    if (inodes < 64)
        inodes = 64;
    if (inodes > 0xffffff00u)
        inodes = 0xffffff00u;
    inodes = div_up(inodes, ipb) * ipb;
    uint64_t j = o && o->journal_blocks ? o->journal_blocks : n / 32;
    if (j < 64)
        j = 64;
    if (j > 1025)
        j = 1025;
    if (o && o->journal_blocks && (o->journal_blocks < 33 || o->journal_blocks > 65536))
        return -NEXFS_EINVAL;
    sb.version = NEXFS_VERSION;
    sb.block_size = bs;
    sb.block_count = n;
    sb.feat_incompat = FEAT_INCOMPAT_KNOWN;
    sb.state = STATE_CLEAN;
    sb.journal_start = 1;
    sb.journal_blocks = (uint32_t)j;
    sb.inode_count = (uint32_t)inodes;
    sb.bbitmap_start = 1 + j;
    sb.bbitmap_blocks = (uint32_t)div_up(n, bits_per_block(bs));
    sb.ibitmap_start = sb.bbitmap_start + sb.bbitmap_blocks;
    sb.ibitmap_blocks = (uint32_t)div_up(inodes, bits_per_block(bs));
    sb.itable_start = sb.ibitmap_start + sb.ibitmap_blocks;
    sb.itable_blocks = (uint32_t)(inodes / ipb);
    sb.data_start = sb.itable_start + sb.itable_blocks;
    uint64_t t = dev->ops->now ? dev->ops->now(dev) : 0;
    sb.mkfs_time = t;
    sb.hash_seed = o && o->hash_seed ? o->hash_seed : (uint32_t)(t ^ (t >> 32) ^ n) | 1u;
    for (int i = 0; i < 16; i++)
        sb.uuid[i] = (uint8_t)(nexfs_crc32c((uint32_t)i, &t, sizeof(t)) >> (i % 4 * 8));
    if (sb_geometry_ok(&sb, dev->block_count * dev->block_size) < 0)
        return -NEXFS_ENOSPC; /* too small for its own metadata */
    uint8_t *b = scratch;
    /* no superblock until the new one is complete: a cut mid-way leaves no filesystem, never
     * an old superblock over half-rewritten metadata */
    memset(b, 0, bs);
    if ((rc = mk_write(dev, bs, 0, b)) < 0 || (rc = dev->ops->flush(dev)) < 0)
        return rc;
    /* journal header: empty */
    memset(b, 0, bs);
    blk_seal(b, bs, MAGIC_JHDR, sb.journal_start, 0, 0);
    if ((rc = mk_write(dev, bs, sb.journal_start, b)) < 0)
        return rc;
    for (uint32_t i = 0; i < sb.bbitmap_blocks; i++) {
        mk_bitmap(b, bs, i, sb.data_start, n, n - 1);
        blk_seal(b, bs, MAGIC_BBMP, sb.bbitmap_start + i, 0, i);
        if ((rc = mk_write(dev, bs, sb.bbitmap_start + i, b)) < 0)
            return rc;
    }
    for (uint32_t i = 0; i < sb.ibitmap_blocks; i++) {
        mk_bitmap(b, bs, i, 2, inodes, ~0ull); /* inode 0 never used, 1 is the root */
        blk_seal(b, bs, MAGIC_IBMP, sb.ibitmap_start + i, 0, i);
        if ((rc = mk_write(dev, bs, sb.ibitmap_start + i, b)) < 0)
            return rc;
    }
    memset(b, 0, bs);
    uint8_t *ip = b + INODE_SIZE; /* inode 1 in the first inode table block */
    put32(ip + I_INO, NEXFS_ROOT_INO);
    put16(ip + I_MODE, (uint16_t)(NEXFS_S_IFDIR | 0755));
    put32(ip + I_NLINK, 2);
    put64(ip + I_MTIME, t);
    put64(ip + I_CTIME, t);
    put64(ip + I_CRTIME, t);
    put32(ip + I_PARENT, NEXFS_ROOT_INO);
    inode_seal(ip);
    if ((rc = mk_write(dev, bs, sb.itable_start, b)) < 0)
        return rc;
    sb_encode(&sb, b, n - 1);
    if ((rc = mk_write(dev, bs, n - 1, b)) < 0)
        return rc;
    if ((rc = dev->ops->flush(dev)) < 0)
        return rc;
    sb_encode(&sb, b, 0); /* the primary last: a cut before this leaves no filesystem */
    if ((rc = mk_write(dev, bs, 0, b)) < 0)
        return rc;
    return dev->ops->flush(dev);
}

static int sb_write_state(struct nexfs *fs, uint32_t state)
{
    int s;
    int rc = bc_get(fs, 0, &s);
    if (rc < 0)
        return rc;
    uint8_t *b = bc_data(fs, s);
    put32(b + S_STATE, state);
    blk_reseal(b, fs->bs);
    rc = dev_write(fs, 0, b);
    bc_put(fs, s);
    if (rc == 0)
        rc = dev_flush(fs);
    return rc;
}

int nexfs_mount(struct nexfs *fs, const struct nexfs_dev *dev, void *mem, size_t mem_size,
                unsigned flags)
{
    int rc = dev_sane(dev);
    if (rc < 0)
        return rc;
    memset(fs, 0, sizeof(*fs));
    fs->dev = *dev;
    uint8_t *m = mem;
    if (!m || mem_size < nexfs_mem_min(BS_MIN) || mem_size < dev->block_size)
        return -NEXFS_ENOMEM;
    if ((rc = dev->ops->read(dev, 0, 1, m)) < 0)
        return rc;
    uint32_t bs = get32(m + S_BS);
    if (get32(m) != MAGIC_SUPER || bs < BS_MIN || bs > BS_MAX || (bs & (bs - 1)) ||
        bs < dev->block_size)
        return -NEXFS_EIO;
    if (mem_size < nexfs_mem_min(bs))
        return -NEXFS_ENOMEM;
    if ((rc = dev->ops->read(dev, 0, bs / dev->block_size, m)) < 0)
        return rc;
    if (sb_decode(m, bs, 0, &fs->sb) < 0 ||
        sb_geometry_ok(&fs->sb, dev->block_count * dev->block_size) < 0)
        return -NEXFS_EIO;
    if (fs->sb.feat_incompat & ~FEAT_INCOMPAT_KNOWN)
        return -NEXFS_EINVAL;
    fs->bs = bs;
    fs->ratio = bs / dev->block_size;
    fs->read_only = (flags & NEXFS_MOUNT_RDONLY) || dev->read_only ||
                    (fs->sb.feat_ro_compat & ~FEAT_RO_COMPAT_KNOWN);
    bc_init(fs, m, mem_size);
    uint32_t cap = (bs - J_ENTRIES) / J_ENTRY;
    fs->txn_max = NEXFS_TXN_MAX;
    if (fs->txn_max > fs->sb.journal_blocks - 1)
        fs->txn_max = fs->sb.journal_blocks - 1;
    if (fs->txn_max > cap)
        fs->txn_max = cap;
    if (fs->txn_max > fs->nslots - 24)
        fs->txn_max = fs->nslots - 24;
    rc = journal_recover(fs, !fs->read_only);
    if (rc < 0)
        return rc;
    if (!fs->read_only && (rc = journal_clear(fs)) < 0)
        return rc;
    /* the superblock as the journal left it */
    int s;
    if ((rc = bc_get(fs, 0, &s)) < 0)
        return rc;
    rc = sb_decode(bc_data(fs, s), bs, 0, &fs->sb);
    bc_put(fs, s);
    if (rc < 0 || sb_geometry_ok(&fs->sb, dev->block_count * dev->block_size) < 0)
        return -NEXFS_EIO;
    if ((rc = alloc_recount(fs)) < 0)
        return rc;
    if (fs->read_only)
        return 0;
    if ((rc = sb_write_state(fs, STATE_MOUNTED)) < 0)
        return rc;
    return orphans_process(fs);
}

int nexfs_unmount(struct nexfs *fs)
{
    for (int i = 0; i < NEXFS_OPEN_MAX; i++)
        if (fs->files[i].ino)
            nexfs_close(fs, i);
    if (fs->read_only)
        return 0;
    if (fs->failed)
        return -NEXFS_EIO;
    int rc = txn_flush_pending(fs);
    if (rc == 0)
        rc = orphans_process(fs);
    if (rc == 0)
        rc = journal_checkpoint(fs);
    if (rc == 0)
        rc = journal_clear(fs);
    if (rc == 0)
        rc = sb_write_state(fs, STATE_CLEAN);
    return rc;
}

int nexfs_sync(struct nexfs *fs)
{
    if (fs->failed)
        return -NEXFS_EIO;
    if (fs->read_only)
        return 0;
    int rc = txn_flush_pending(fs);
    return rc < 0 ? rc : journal_checkpoint(fs);
}

int nexfs_statfs(struct nexfs *fs, struct nexfs_statfs *st)
{
    if (fs->counts_stale) {
        int rc = alloc_recount(fs);
        if (rc < 0)
            return rc;
    }
    st->block_size = fs->bs;
    st->blocks = fs->sb.block_count;
    st->blocks_free = fs->free_blocks;
    st->inodes = fs->sb.inode_count;
    st->inodes_free = fs->free_inodes;
    st->name_max = NEXFS_NAME_MAX;
    return 0;
}

/* The orphan list head lives in the superblock block, edited inside transactions. */
uint32_t sb_orphan_head(struct nexfs *fs, int *err)
{
    int s;
    *err = bc_get(fs, 0, &s);
    if (*err < 0)
        return 0;
    uint32_t h = get32(bc_data(fs, s) + S_ORPHAN);
    bc_put(fs, s);
    /* Harmless to remove alone (tools/mutate): sb_geometry_ok refused a head past the table at
     * mount and after any replay, only inodes iget accepted are written here later, and iget
     * checks the number again before the list is followed. */
    if (h >= fs->sb.inode_count)
        *err = -NEXFS_EIO;
    return h;
}

int sb_set_orphan_head(struct nexfs *fs, uint32_t ino)
{
    int s;
    int rc = bc_get(fs, 0, &s);
    if (rc < 0)
        return rc;
    rc = bc_dirty(fs, s);
    if (rc == 0)
        put32(bc_data(fs, s) + S_ORPHAN, ino);
    bc_put(fs, s);
    return rc;
}
