/* fsck's last passes: link counts and parents (every name counted in pass B), the orphan
 * list, then both bitmaps against the blocks and inodes found in use. */
#include "fsck_int.h"

/* Frees an inode no name reaches: the orphan machinery frees its blocks with it. */
static int drop_inode(struct fsck *c, uint32_t ino)
{
    struct ino_ref r;
    txn_begin(c->fs);
    int rc = iget(c->fs, ino, &r);
    if (rc == 0 && (rc = idirty(c->fs, &r)) == 0) {
        put32(r.p + I_NLINK, 1);
        rc = inode_drop_link(c->fs, &r);
    }
    iput(c->fs, &r);
    rc = txn_end(c->fs, rc);
    return rc < 0 ? rc : orphan_finish(c->fs, ino);
}

int fsck_links(struct fsck *c)
{
    struct nexfs *fs = c->fs;
    for (uint32_t ino = 1; ino < fs->sb.inode_count; ino++) {
        if (c->state[ino] != ST_FILE && c->state[ino] != ST_DIR)
            continue;
        struct ino_ref r;
        int rc = iget(fs, ino, &r);
        if (rc < 0)
            return rc;
        uint32_t nlink = get32(r.p + I_NLINK), parent = get32(r.p + I_PARENT);
        int orphan = get16(r.p + I_FLAGS) & IF_ORPHAN;
        iput(fs, &r);
        uint32_t refs = c->refs[ino];
        if (ino == NEXFS_ROOT_INO) {
            if (refs || parent != NEXFS_ROOT_INO)
                fsck_say(c, 0, "inode ", ino, ": the root has a name or a parent");
            continue;
        }
        if (refs == 0) {
            if (orphan && nlink == 0)
                continue; /* an unlink the next read-write mount finishes */
            /* with an unreadable directory block its name may be there: keep it */
            fsck_say(c, !c->unsure, "inode ", ino,
                     c->unsure ? ": in no readable directory" : ": in no directory; freed");
            if (c->repair && !c->unsure && (rc = drop_inode(c, ino)) < 0)
                return rc;
            continue;
        }
        if (c->state[ino] == ST_FILE && nlink != refs) {
            fsck_say(c, 1, "inode ", ino, ": link count wrong");
            if (c->repair) {
                txn_begin(fs);
                if ((rc = iget(fs, ino, &r)) == 0 && (rc = idirty(fs, &r)) == 0)
                    put32(r.p + I_NLINK, refs);
                iput(fs, &r);
                if ((rc = txn_end(fs, rc)) < 0)
                    return rc;
            }
        }
        if (c->state[ino] == ST_DIR) {
            if (parent != c->dparent[ino])
                fsck_say(c, 0, "inode ", ino, ": its parent is not the directory naming it");
            uint32_t p = c->dparent[ino], steps = 0;
            while (p != NEXFS_ROOT_INO && p && steps++ < fs->sb.inode_count)
                p = c->dparent[p];
            if (p != NEXFS_ROOT_INO)
                fsck_say(c, 0, "inode ", ino, ": a directory the root does not reach");
        }
    }
    int rc;
    uint32_t o = sb_orphan_head(fs, &rc);
    for (uint32_t steps = 0; rc == 0 && o; steps++) {
        struct ino_ref r;
        if (steps >= fs->sb.inode_count || c->state[o] == ST_FREE || c->state[o] == ST_BAD ||
            iget(fs, o, &r) < 0) {
            fsck_say(c, 0, "inode ", o, ": the orphan list is broken here");
            return 0;
        }
        int flagged = get16(r.p + I_FLAGS) & IF_ORPHAN;
        uint32_t next = get32(r.p + I_ORPHAN);
        iput(fs, &r);
        if (!flagged) {
            fsck_say(c, 0, "inode ", o, ": on the orphan list without its flag");
            return 0;
        }
        o = next;
    }
    return rc == -NEXFS_EIO ? 0 : rc;
}

/* One bitmap block against the expected bits; repair rewrites it whole. */
static int map_block(struct fsck *c, int inode_map, uint32_t k)
{
    struct nexfs *fs = c->fs;
    uint64_t per = (uint64_t)(fs->bs - HDR_SIZE) * 8, first = (uint64_t)k * per;
    uint64_t start = inode_map ? fs->sb.ibitmap_start : fs->sb.bbitmap_start;
    uint64_t limit = inode_map ? fs->sb.inode_count : fs->sb.block_count;
    uint32_t magic = inode_map ? MAGIC_IBMP : MAGIC_BBMP;
    int s, bad = 0, corrupt = 0;
    int rc = bc_get_meta(fs, start + k, magic, 0, &s);
    if (rc == -NEXFS_EIO) {
        corrupt = 1;
        fsck_say(c, 1, "block ", start + k, ": bitmap block corrupt; rebuilt");
    } else if (rc < 0) {
        return rc;
    }
    for (uint64_t i = 0; i < per && !corrupt; i++) {
        uint64_t n = first + i;
        int want;
        if (inode_map)
            want = n < 2 || n >= limit || c->state[n] == ST_FILE || c->state[n] == ST_DIR;
        else
            want = n < fs->sb.data_start || n >= limit - 1 || (c->used[n / 8] >> (n % 8)) & 1;
        int have = (bc_data(fs, s)[HDR_SIZE + i / 8] >> (i % 8)) & 1;
        if (want != have && !inode_map && c->unsure) { /* maybe under an unreadable block */
            fsck_say(c, 0, "block ", n,
                     want ? ": in use but marked free"
                          : ": marked in use "
                            "but unused (kept)");
        } else if (want != have) {
            bad = 1;
            fsck_say(c, 1, inode_map ? "inode " : "block ", n,
                     want ? ": in use but marked free" : ": marked in use but unused");
        }
    }
    if (!corrupt)
        bc_put(fs, s);
    if (!c->repair || (!bad && !corrupt) || (!inode_map && c->unsure))
        return 0;
    txn_begin(fs);
    if ((rc = bc_new(fs, start + k, &s)) < 0)
        return txn_end(fs, rc);
    uint8_t *b = bc_data(fs, s);
    for (uint64_t i = 0; i < per; i++) {
        uint64_t n = first + i;
        int want =
            inode_map
                ? (n < 2 || n >= limit || c->state[n] == ST_FILE || c->state[n] == ST_DIR)
                : (n < fs->sb.data_start || n >= limit - 1 || ((c->used[n / 8] >> (n % 8)) & 1));
        if (want)
            b[HDR_SIZE + i / 8] |= (uint8_t)(1u << (i % 8));
    }
    blk_seal(b, fs->bs, magic, start + k, 0, k);
    rc = bc_dirty(fs, s);
    bc_put(fs, s);
    return txn_end(fs, rc);
}

int fsck_bitmaps(struct fsck *c)
{
    struct nexfs *fs = c->fs;
    for (uint32_t k = 0; k < fs->sb.bbitmap_blocks; k++) {
        int rc = map_block(c, 0, k);
        if (rc < 0)
            return rc;
    }
    for (uint32_t k = 0; k < fs->sb.ibitmap_blocks; k++) {
        int rc = map_block(c, 1, k);
        if (rc < 0)
            return rc;
    }
    return c->repair ? alloc_recount(fs) : 0;
}
