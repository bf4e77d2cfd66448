/* Block and inode allocation over the two bitmaps (one bit per block / inode, set = in use).
 * Blocks freed in the open transaction are not handed out again before it commits: file data
 * is written outside the journal, and must never land on a block the last committed state
 * still uses. A corrupt bitmap block is skipped (its range is treated as full). */
#include "nexfs_int.h"

static uint64_t per_block(const struct nexfs *fs)
{
    return (uint64_t)(fs->bs - HDR_SIZE) * 8;
}

static int map_get(struct nexfs *fs, int inode_map, uint32_t k, int *slot)
{
    uint64_t start = inode_map ? fs->sb.ibitmap_start : fs->sb.bbitmap_start;
    return bc_get_meta(fs, start + k, inode_map ? MAGIC_IBMP : MAGIC_BBMP, 0, slot);
}

static int freed_now(const struct nexfs *fs, uint64_t b)
{
    for (uint32_t i = 0; i < fs->nfrees; i++)
        if (fs->frees[i] == b)
            return 1;
    return 0;
}

/* Finds a clear bit at or after `from` (wrapping once) and sets it and the clear bits that follow
 * it in the same bitmap block, up to `want` in all: the first in *out, how many in *got. */
static int map_alloc(struct nexfs *fs, int inode_map, uint64_t from, uint32_t want, uint64_t *out,
                     uint32_t *got)
{
    uint32_t nmap = inode_map ? fs->sb.ibitmap_blocks : fs->sb.bbitmap_blocks;
    uint64_t limit = inode_map ? fs->sb.inode_count : fs->sb.block_count;
    uint64_t per = per_block(fs);
    if (from >= limit)
        from = 0;
    uint32_t k0 = (uint32_t)(from / per);
    for (uint32_t step = 0; step <= nmap; step++) {
        uint32_t k = (k0 + step) % nmap;
        int s;
        int rc = map_get(fs, inode_map, k, &s);
        if (rc == -NEXFS_EIO)
            continue;
        if (rc < 0)
            return rc;
        uint8_t *bits = bc_data(fs, s) + HDR_SIZE;
        uint64_t i = step == 0 ? from % per : 0;
        for (; i < per; i++) {
            if (bits[i / 8] == 0xff) {
                i |= 7;
                continue;
            }
            if (bits[i / 8] & (1u << (i % 8)))
                continue;
            uint64_t n = (uint64_t)k * per + i;
            if (n >= limit)
                break;
            if (!inode_map && freed_now(fs, n))
                continue;
            if ((rc = bc_dirty(fs, s)) == 0) {
                uint32_t c = 0;
                bool none_freed = inode_map || fs->nfrees == 0;
                while (c < want && i + c < per && n + c < limit) {
                    uint64_t j = i + c;
                    if (j % 8 == 0 && bits[j / 8] == 0 && none_freed && want - c >= 8 &&
                        per - j >= 8 && limit - (n + c) >= 8) {
                        bits[j / 8] = 0xff; /* eight free blocks at once */
                        c += 8;
                        continue;
                    }
                    if ((bits[j / 8] & (1u << (j % 8))) || (!none_freed && freed_now(fs, n + c)))
                        break;
                    bits[j / 8] |= (uint8_t)(1u << (j % 8));
                    c++;
                }
                *got = c;
            }
            bc_put(fs, s);
            *out = n;
            return rc;
        }
        bc_put(fs, s);
    }
    return -NEXFS_ENOSPC;
}

static int map_free(struct nexfs *fs, int inode_map, uint64_t n)
{
    uint64_t per = per_block(fs);
    int s;
    int rc = map_get(fs, inode_map, (uint32_t)(n / per), &s);
    if (rc < 0)
        return rc;
    uint8_t *bits = bc_data(fs, s) + HDR_SIZE;
    uint64_t i = n % per;
    if (!(bits[i / 8] & (1u << (i % 8)))) {
        bc_put(fs, s);
        return -NEXFS_EIO; /* freeing a free block: the pointer to it is corrupt */
    }
    rc = bc_dirty(fs, s);
    if (rc == 0)
        bits[i / 8] &= (uint8_t) ~(1u << (i % 8));
    bc_put(fs, s);
    return rc;
}

int balloc_run(struct nexfs *fs, uint32_t want, uint64_t *block, uint32_t *got)
{
    if (!fs->counts_stale && fs->free_blocks == 0)
        return -NEXFS_ENOSPC;
    int rc = map_alloc(fs, 0, fs->alloc_hint, want ? want : 1, block, got);
    if (rc < 0)
        return rc;
    if (*block < fs->sb.data_start) { /* a bitmap that lost its metadata bits */
        return -NEXFS_EIO;
    }
    fs->alloc_hint = *block + *got;
    fs->free_blocks = fs->free_blocks > *got ? fs->free_blocks - *got : 0;
    return 0;
}

int balloc(struct nexfs *fs, uint64_t *block)
{
    uint32_t got;
    return balloc_run(fs, 1, block, &got);
}

/* The range check is harmless to remove alone (tools/mutate): every caller passes a block
 * ptr_ok accepted (bmap_set, free_tree, bmap_free_from) or one it allocated. */
int bfree(struct nexfs *fs, uint64_t block)
{
    if (block < fs->sb.data_start || block >= fs->sb.block_count - 1)
        return -NEXFS_EIO;
    if (fs->nfrees >= NEXFS_FREES_MAX)
        return -NEXFS_ENOSPC;
    int rc = map_free(fs, 0, block);
    if (rc < 0)
        return rc;
    fs->frees[fs->nfrees++] = block;
    fs->free_blocks++;
    bc_forget(fs, block);
    return 0;
}

int ialloc(struct nexfs *fs, uint32_t *ino)
{
    if (!fs->counts_stale && fs->free_inodes == 0)
        return -NEXFS_ENOSPC;
    uint64_t n;
    uint32_t got;
    int rc = map_alloc(fs, 1, fs->ialloc_hint, 1, &n, &got);
    if (rc < 0)
        return rc;
    if (n < 2)
        return -NEXFS_EIO;
    *ino = (uint32_t)n;
    fs->ialloc_hint = (uint32_t)n + 1;
    if (fs->free_inodes)
        fs->free_inodes--;
    return 0;
}

/* The range check is harmless to remove alone (tools/mutate): the callers free inodes iget
 * accepted (orphan_step) or that fsck walks by number below the count. */
int ifree(struct nexfs *fs, uint32_t ino)
{
    if (ino < 2 || ino >= fs->sb.inode_count)
        return -NEXFS_EIO;
    int rc = map_free(fs, 1, ino);
    if (rc == 0)
        fs->free_inodes++;
    return rc;
}

int bitmap_test(struct nexfs *fs, int inode_map, uint64_t n, int *set)
{
    uint64_t per = per_block(fs);
    int s;
    int rc = map_get(fs, inode_map, (uint32_t)(n / per), &s);
    if (rc < 0)
        return rc;
    uint64_t i = n % per;
    *set = !!(bc_data(fs, s)[HDR_SIZE + i / 8] & (1u << (i % 8)));
    bc_put(fs, s);
    return 0;
}

static int count_clear(struct nexfs *fs, int inode_map, uint64_t *out)
{
    uint32_t nmap = inode_map ? fs->sb.ibitmap_blocks : fs->sb.bbitmap_blocks;
    uint64_t limit = inode_map ? fs->sb.inode_count : fs->sb.block_count;
    uint64_t per = per_block(fs), n = 0;
    for (uint32_t k = 0; k < nmap; k++) {
        int s;
        int rc = map_get(fs, inode_map, k, &s);
        if (rc == -NEXFS_EIO)
            continue;
        if (rc < 0)
            return rc;
        const uint8_t *bits = bc_data(fs, s) + HDR_SIZE;
        for (uint64_t i = 0; i < per && (uint64_t)k * per + i < limit; i++)
            if (!(bits[i / 8] & (1u << (i % 8))))
                n++;
        bc_put(fs, s);
    }
    *out = n;
    return 0;
}

int alloc_recount(struct nexfs *fs)
{
    uint64_t b, i;
    int rc = count_clear(fs, 0, &b);
    if (rc == 0)
        rc = count_clear(fs, 1, &i);
    if (rc < 0)
        return rc;
    fs->free_blocks = b;
    fs->free_inodes = (uint32_t)i;
    fs->counts_stale = 0;
    return 0;
}
