/* The block cache and the device below it: filesystem blocks to device blocks, metadata blocks
 * kept in the caller's memory with LRU eviction, pinned while in use, dirty ones held for the
 * open transaction (never written home before it commits). Data blocks bypass the cache. */
#include "nexfs_int.h"

/* The range check is harmless to remove alone (tools/mutate): every block number read comes
 * checked (ptr_ok on pointers, iget's inode range, bitmap and journal positions from a
 * superblock sb_geometry_ok accepted, journal homes checked in journal_recover). */
int dev_read(struct nexfs *fs, uint64_t block, void *buf)
{
    if (block >= fs->sb.block_count)
        return -NEXFS_EIO;
    uint64_t jb;
    if (fs->overlay_n && journal_overlay_find(fs, block, &jb))
        block = jb;
    int rc = fs->dev.ops->read(&fs->dev, block * fs->ratio, fs->ratio, buf);
    return rc > 0 ? -NEXFS_EIO : rc;
}

int dev_read_run(struct nexfs *fs, uint64_t block, uint32_t count, void *buf)
{
    if (count == 1 || fs->overlay_n) { /* the overlay substitutes block by block */
        for (uint32_t i = 0; i < count; i++) {
            int rc = dev_read(fs, block + i, (uint8_t *)buf + (size_t)i * fs->bs);
            if (rc < 0)
                return rc;
        }
        return 0;
    }
    if (block >= fs->sb.block_count || count > fs->sb.block_count - block)
        return -NEXFS_EIO;
    int rc = fs->dev.ops->read(&fs->dev, block * fs->ratio, count * fs->ratio, buf);
    return rc > 0 ? -NEXFS_EIO : rc;
}

int dev_write(struct nexfs *fs, uint64_t block, const void *buf)
{
    if (block >= fs->sb.block_count)
        return -NEXFS_EIO;
    if (fs->read_only)
        return -NEXFS_EROFS;
    fs->ckpt_pending = 1; /* a write not yet known to be stable */
    int rc = fs->dev.ops->write(&fs->dev, block * fs->ratio, fs->ratio, buf);
    return rc > 0 ? -NEXFS_EIO : rc;
}

int dev_write_run(struct nexfs *fs, uint64_t block, uint32_t count, const void *buf)
{
    if (block >= fs->sb.block_count || count > fs->sb.block_count - block)
        return -NEXFS_EIO;
    if (fs->read_only)
        return -NEXFS_EROFS;
    fs->ckpt_pending = 1;
    int rc = fs->dev.ops->write(&fs->dev, block * fs->ratio, count * fs->ratio, buf);
    return rc > 0 ? -NEXFS_EIO : rc;
}

int dev_flush(struct nexfs *fs)
{
    int rc = fs->dev.ops->flush(&fs->dev);
    if (rc == 0)
        fs->ckpt_pending = 0;
    return rc > 0 ? -NEXFS_EIO : rc;
}

void bc_init(struct nexfs *fs, uint8_t *mem, size_t size)
{
    size_t n = size / fs->bs;
    fs->bounce = mem;
    fs->bounce2 = mem + fs->bs;
    n -= 2;
    if (n > NEXFS_CACHE_MAX + NEXFS_UNDO_MAX)
        n = NEXFS_CACHE_MAX + NEXFS_UNDO_MAX;
    fs->mem = mem + 2 * (size_t)fs->bs;
    fs->undo = NULL;
    fs->undo_max = 0;
    if (n >= 112 + NEXFS_UNDO_MAX) { /* room for a cache beside a grouped write's before-images */
        n -= NEXFS_UNDO_MAX;
        fs->undo = fs->mem + n * (size_t)fs->bs;
        fs->undo_max = NEXFS_UNDO_MAX;
    }
    if (n > NEXFS_CACHE_MAX)
        n = NEXFS_CACHE_MAX;
    fs->nslots = (uint32_t)n;
    memset(fs->slot, 0, sizeof(fs->slot));
    memset(fs->find_hint, 0xff, sizeof(fs->find_hint)); /* -1: no hint */
}

uint8_t *bc_data(struct nexfs *fs, int slot)
{
    return fs->mem + (size_t)slot * fs->bs;
}

/* The slot holding block, or -1. A hint table remembers where each block was last found; a
 * stale hint (the slot since given to another block) fails the check and the scan decides. */
static int bc_find(struct nexfs *fs, uint64_t block)
{
    int16_t *hint = &fs->find_hint[block & (NEXFS_FIND_HINTS - 1)];
    if (*hint >= 0 && (uint32_t)*hint < fs->nslots && fs->slot[*hint].valid &&
        fs->slot[*hint].block == block)
        return *hint;
    for (uint32_t i = 0; i < fs->nslots; i++)
        if (fs->slot[i].valid && fs->slot[i].block == block) {
            *hint = (int16_t)i;
            return (int)i;
        }
    return -1;
}

static int bc_victim(struct nexfs *fs)
{
    int best = -1;
    for (uint32_t i = 0; i < fs->nslots; i++) {
        struct nexfs_cslot *s = &fs->slot[i];
        if (s->refs || s->dirty)
            continue;
        if (!s->valid)
            return (int)i;
        if (best < 0 || s->lru < fs->slot[best].lru)
            best = (int)i;
    }
    return best;
}

static void bc_touch(struct nexfs *fs, int i)
{
    fs->slot[i].refs++;
    fs->slot[i].lru = ++fs->lru_clock;
}

int bc_get(struct nexfs *fs, uint64_t block, int slot_out[1])
{
    int i = bc_find(fs, block);
    if (i < 0) {
        i = bc_victim(fs);
        if (i < 0)
            return -NEXFS_ENOMEM;
        fs->slot[i].valid = 0;
        fs->slot[i].verified = 0;
        int rc = dev_read(fs, block, bc_data(fs, i));
        if (rc < 0)
            return rc;
        fs->slot[i].block = block;
        fs->find_hint[block & (NEXFS_FIND_HINTS - 1)] = (int16_t)i;
        fs->slot[i].valid = 1;
        fs->slot[i].dirty = 0;
        fs->slot[i].refs = 0;
    }
    bc_touch(fs, i);
    slot_out[0] = i;
    return 0;
}

int bc_new(struct nexfs *fs, uint64_t block, int slot_out[1])
{
    if (block >= fs->sb.block_count)
        return -NEXFS_EIO;
    int i = bc_find(fs, block);
    if (i < 0) {
        i = bc_victim(fs);
        if (i < 0)
            return -NEXFS_ENOMEM;
        fs->slot[i].block = block;
        fs->find_hint[block & (NEXFS_FIND_HINTS - 1)] = (int16_t)i;
        fs->slot[i].valid = 1;
        fs->slot[i].dirty = 0;
        fs->slot[i].refs = 0;
    }
    memset(bc_data(fs, i), 0, fs->bs);
    fs->slot[i].verified = 1; /* the caller seals it */
    bc_touch(fs, i);
    slot_out[0] = i;
    return 0;
}

int bc_get_meta(struct nexfs *fs, uint64_t block, uint32_t magic, uint32_t owner, int slot_out[1])
{
    int rc = bc_get(fs, block, slot_out);
    if (rc < 0)
        return rc;
    struct nexfs_cslot *s = &fs->slot[slot_out[0]];
    if (s->verified)
        return 0;
    if (blk_check(bc_data(fs, slot_out[0]), fs->bs, magic, block, owner) < 0) {
        bc_put(fs, slot_out[0]);
        return -NEXFS_EIO;
    }
    s->verified = 1;
    return 0;
}

void bc_put(struct nexfs *fs, int slot)
{
    if (slot >= 0 && fs->slot[slot].refs)
        fs->slot[slot].refs--;
}

int bc_dirty(struct nexfs *fs, int slot)
{
    struct nexfs_cslot *s = &fs->slot[slot];
    if (s->dirty) {
        /* Dirty from an earlier write of the group: keep its state before this one changes it. */
        if (fs->undo_on && !s->undo) {
            if (fs->undo_n == fs->undo_max)
                return -NEXFS_ENOSPC; /* cannot happen: txn_continue checks the count */
            memcpy(fs->undo + (size_t)fs->undo_n * fs->bs, bc_data(fs, slot), fs->bs);
            fs->undo_slot[fs->undo_n] = (int16_t)slot;
            fs->undo_block[fs->undo_n++] = s->block;
            s->undo = 2;
        }
        return 0;
    }
    if (!fs->txn_open)
        return -NEXFS_EINVAL;
    if (fs->txn_dirty >= fs->txn_max)
        return -NEXFS_ENOSPC;
    s->dirty = 1;
    s->undo = fs->undo_on ? 1 : 0;
    fs->txn_dirty++;
    return 0;
}

void bc_forget(struct nexfs *fs, uint64_t block)
{
    int i = bc_find(fs, block);
    if (i < 0)
        return;
    if (fs->slot[i].dirty)
        fs->txn_dirty--;
    fs->slot[i].valid = 0;
    fs->slot[i].dirty = 0;
}

void bc_drop_dirty(struct nexfs *fs)
{
    for (uint32_t i = 0; i < fs->nslots; i++)
        if (fs->slot[i].dirty) {
            fs->slot[i].dirty = 0;
            fs->slot[i].valid = 0;
        }
    fs->txn_dirty = 0;
}
