/* Block maps: a file's logical blocks to disk blocks through 12 direct pointers and single,
 * double and triple indirect blocks (each a sealed metadata block owned by the inode). Owns
 * lookup (of one block or a run), setting pointers (allocating the indirect blocks on the way)
 * and freeing a tail. */
#include "nexfs_int.h"

#define ROOM_STEP 8 /* dirty blocks one pointer change may need at most */

static uint64_t ptrs(uint32_t bs)
{
    return (bs - HDR_SIZE) / 8;
}

uint64_t bmap_limit(uint32_t bs)
{
    uint64_t p = ptrs(bs);
    return NDIRECT + p + p * p + p * p * p;
}

/* Which root pointer lblk hangs from, how many indirect levels, and the index at each. */
static int bmap_path(uint32_t bs, uint64_t lblk, int *root, int *levels, uint64_t idx[3])
{
    uint64_t p = ptrs(bs);
    if (lblk < NDIRECT) {
        *root = (int)lblk;
        *levels = 0;
        return 0;
    }
    lblk -= NDIRECT;
    if (lblk < p) {
        *root = NDIRECT;
        *levels = 1;
        idx[0] = lblk;
        return 0;
    }
    lblk -= p;
    if (lblk < p * p) {
        *root = NDIRECT + 1;
        *levels = 2;
        idx[0] = lblk / p;
        idx[1] = lblk % p;
        return 0;
    }
    lblk -= p * p;
    if (lblk < p * p * p) {
        *root = NDIRECT + 2;
        *levels = 3;
        idx[0] = lblk / (p * p);
        idx[1] = (lblk / p) % p;
        idx[2] = lblk % p;
        return 0;
    }
    return -NEXFS_EFBIG;
}

static int ptr_ok(const struct nexfs *fs, uint64_t b)
{
    return b >= fs->sb.data_start && b < fs->sb.block_count - 1;
}

/* The ptr_ok check is harmless to remove alone (tools/mutate): what it refuses is refused by
 * what follows too (a metadata block or another inode's fails bc_get_meta's magic, number and
 * owner checks, a block past the end dev_read's range check); it refuses them without a read. */
static int ind_get(struct nexfs *fs, struct ino_ref *r, uint64_t b, int level, int *s)
{
    if (!ptr_ok(fs, b))
        return -NEXFS_EIO;
    int rc = bc_get_meta(fs, b, MAGIC_IND, r->ino, s);
    if (rc == 0 && get32(bc_data(fs, *s) + HDR_AUX) != (uint32_t)level) {
        bc_put(fs, *s);
        return -NEXFS_EIO;
    }
    return rc;
}

static void add_blocks(struct ino_ref *r, int64_t d)
{
    put64(r->p + I_BLOCKS, get64(r->p + I_BLOCKS) + (uint64_t)d);
}

uint64_t bmap_span(uint32_t bs, uint64_t lblk)
{
    int root, levels;
    uint64_t idx[3];
    if (bmap_path(bs, lblk, &root, &levels, idx) < 0)
        return 1;
    return levels ? ptrs(bs) - idx[levels - 1] : NDIRECT - lblk;
}

int bmap_run(struct nexfs *fs, struct ino_ref *r, uint64_t lblk, uint32_t max, uint64_t *pblk,
             uint32_t *n)
{
    int root, levels, held = -1;
    uint64_t idx[3];
    int rc = bmap_path(fs->bs, lblk, &root, &levels, idx);
    if (rc < 0)
        return rc;
    uint64_t span = levels ? ptrs(fs->bs) - idx[levels - 1] : NDIRECT - lblk;
    if (span > max)
        span = max ? max : 1;
    const uint8_t *e = r->p + I_PTR + 8 * root;
    for (int l = 0; l < levels; l++) {
        uint64_t b = get64(e);
        if (b == 0) { /* no map block below here: the whole span is a hole */
            bc_put(fs, held);
            *pblk = 0;
            *n = (uint32_t)span;
            return 0;
        }
        int s;
        if ((rc = ind_get(fs, r, b, levels - l, &s)) < 0) {
            bc_put(fs, held);
            return rc;
        }
        bc_put(fs, held);
        held = s;
        e = bc_data(fs, s) + HDR_SIZE + 8 * idx[l];
    }
    uint64_t first = get64(e);
    uint32_t k = 1;
    while (k < span && get64(e + 8 * k) == (first ? first + k : 0))
        k++;
    bc_put(fs, held);
    if (first && (!ptr_ok(fs, first) || !ptr_ok(fs, first + k - 1)))
        return -NEXFS_EIO;
    *pblk = first;
    *n = k;
    return 0;
}

int bmap(struct nexfs *fs, struct ino_ref *r, uint64_t lblk, uint64_t *pblk)
{
    uint32_t n;
    return bmap_run(fs, r, lblk, 1, pblk, &n);
}

/* A new indirect block of `level` for inode r, sealed and dirty. */
static int ind_new(struct nexfs *fs, struct ino_ref *r, int level, uint64_t *b, int *s)
{
    int rc = balloc(fs, b);
    if (rc < 0)
        return rc;
    if ((rc = bc_new(fs, *b, s)) < 0)
        return rc;
    /* Its CRC is left to the commit, which reseals every dirty block before it is written. */
    blk_stamp(bc_data(fs, *s), MAGIC_IND, *b, r->ino, (uint32_t)level);
    if ((rc = bc_dirty(fs, *s)) < 0) {
        bc_put(fs, *s);
        return rc;
    }
    add_blocks(r, 1);
    return 0;
}

/* Walks to lblk's pointer for a change: *slotp where it lives, *held the cache slot holding it
 * (-1: the inode). Map blocks missing on the way are made when `make`; otherwise a missing one
 * ends the walk with *slotp NULL (everything below it is a hole already). */
static int walk_to_set(struct nexfs *fs, struct ino_ref *r, uint64_t lblk, int make,
                       uint8_t **slotp, int *held)
{
    int root, levels;
    uint64_t idx[3];
    int rc = bmap_path(fs->bs, lblk, &root, &levels, idx);
    if (rc < 0 || (rc = idirty(fs, r)) < 0)
        return rc;
    uint8_t *p = r->p + I_PTR + 8 * root;
    *held = -1;
    for (int l = 0; l < levels; l++) {
        uint64_t b = get64(p);
        int s;
        if (b == 0) {
            if (!make) {
                p = NULL;
                break;
            }
            if ((rc = ind_new(fs, r, levels - l, &b, &s)) < 0)
                break;
            if (*held >= 0 && (rc = bc_dirty(fs, *held)) < 0) {
                bc_put(fs, s);
                break;
            }
            put64(p, b);
        } else if ((rc = ind_get(fs, r, b, levels - l, &s)) < 0) {
            break;
        }
        bc_put(fs, *held);
        *held = s;
        p = bc_data(fs, s) + HDR_SIZE + 8 * idx[l];
    }
    if (rc < 0) {
        bc_put(fs, *held);
        *held = -1;
    }
    *slotp = p;
    return rc;
}

int bmap_reserve(struct nexfs *fs, struct ino_ref *r, uint64_t lblk)
{
    uint8_t *slotp;
    int held;
    int rc = walk_to_set(fs, r, lblk, 1, &slotp, &held);
    bc_put(fs, held);
    return rc;
}

int bmap_set_run(struct nexfs *fs, struct ino_ref *r, uint64_t lblk, uint64_t pblk, uint32_t n)
{
    if (n == 0 || n > bmap_span(fs->bs, lblk))
        return -NEXFS_EINVAL;
    uint8_t *slotp;
    int held;
    int rc = walk_to_set(fs, r, lblk, pblk != 0, &slotp, &held);
    int dirtied = held < 0; /* the map block is made dirty once, before its first change */
    int64_t blocks = 0;     /* the inode's count moves once, by the whole run */
    for (uint32_t i = 0; i < n && rc == 0 && slotp; i++) {
        uint8_t *e = slotp + 8 * i;
        uint64_t old = get64(e), nw = pblk ? pblk + i : 0;
        if (old == nw)
            continue;
        if (!dirtied && (rc = bc_dirty(fs, held)) < 0)
            break;
        dirtied = 1;
        put64(e, nw);
        blocks += (nw != 0) - (old != 0);
        if (old)
            rc = ptr_ok(fs, old) ? bfree(fs, old) : -NEXFS_EIO;
    }
    if (blocks)
        add_blocks(r, blocks);
    bc_put(fs, held);
    return rc;
}

int bmap_set(struct nexfs *fs, struct ino_ref *r, uint64_t lblk, uint64_t pblk)
{
    return bmap_set_run(fs, r, lblk, pblk, 1);
}

/* Frees the entries of indirect block b (level `level`) covering relative blocks >= from.
 * *empty: every entry of b is zero afterwards. Stops early when the transaction is full. */
static int free_tree(struct nexfs *fs, struct ino_ref *r, uint64_t b, int level, uint64_t from,
                     int *done, int *empty)
{
    int s;
    int rc = ind_get(fs, r, b, level, &s);
    if (rc < 0)
        return rc;
    uint64_t p = ptrs(fs->bs), span = 1;
    for (int i = 1; i < level; i++)
        span *= p;
    uint8_t *e = bc_data(fs, s) + HDR_SIZE;
    for (uint64_t i = from / span; i < p && *done; i++) {
        uint64_t c = get64(e + 8 * i);
        if (!c)
            continue;
        if (txn_room(fs) < ROOM_STEP) {
            *done = 0;
            break;
        }
        int child_empty = 1;
        if (level > 1) {
            uint64_t cf = i * span >= from ? 0 : from - i * span;
            rc = free_tree(fs, r, c, level - 1, cf, done, &child_empty);
            if (rc < 0)
                break;
        } else if (!ptr_ok(fs, c)) {
            rc = -NEXFS_EIO;
            break;
        }
        if (!child_empty)
            continue;
        if ((rc = bc_dirty(fs, s)) < 0 || (rc = bfree(fs, c)) < 0)
            break;
        put64(e + 8 * i, 0);
        add_blocks(r, -1);
    }
    *empty = 1;
    for (uint64_t i = 0; i < p; i++)
        if (get64(e + 8 * i)) {
            *empty = 0;
            break;
        }
    bc_put(fs, s);
    return rc;
}

int bmap_free_from(struct nexfs *fs, struct ino_ref *r, uint64_t lblk, int *done)
{
    int rc = idirty(fs, r);
    if (rc < 0)
        return rc;
    *done = 1;
    for (uint64_t i = lblk; i < NDIRECT; i++) {
        uint64_t b = get64(r->p + I_PTR + 8 * i);
        if (!b)
            continue;
        if (txn_room(fs) < ROOM_STEP) {
            *done = 0;
            return 0;
        }
        if (!ptr_ok(fs, b))
            return -NEXFS_EIO;
        if ((rc = bfree(fs, b)) < 0)
            return rc;
        put64(r->p + I_PTR + 8 * i, 0);
        add_blocks(r, -1);
    }
    uint64_t p = ptrs(fs->bs), base = NDIRECT, span = p;
    for (int level = 1; level <= 3 && *done; level++) {
        uint8_t *rp = r->p + I_PTR + 8 * (NDIRECT + level - 1);
        uint64_t b = get64(rp);
        if (b && lblk < base + span) {
            uint64_t from = lblk > base ? lblk - base : 0;
            int empty;
            if ((rc = free_tree(fs, r, b, level, from, done, &empty)) < 0)
                return rc;
            if (empty) {
                if ((rc = bfree(fs, b)) < 0)
                    return rc;
                put64(rp, 0);
                add_blocks(r, -1);
            }
        }
        base += span;
        span *= p;
    }
    return 0;
}
