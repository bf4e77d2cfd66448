/* The passes of fsck (fsck.c): inodes and their blocks, directory entries, link counts and
 * parents, the orphan list, and the two bitmaps against what the inodes use. A repair is a
 * transaction of its own, made only where the right value is known. */
#include "fsck_int.h"

#define ENTRY_STEPS_MAX 0xffffffffu

static int used_test_set(struct fsck *c, uint64_t b)
{
    uint8_t bit = (uint8_t)(1u << (b % 8));
    int was = !!(c->used[b / 8] & bit);
    c->used[b / 8] |= bit;
    return was;
}

static int claim(struct fsck *c, uint32_t ino, uint64_t b, uint64_t *count)
{
    struct nexfs *fs = c->fs;
    if (b < fs->sb.data_start || b >= fs->sb.block_count - 1) {
        fsck_say(c, 0, "inode ", ino, ": a block pointer outside the data area");
        return -1;
    }
    if (used_test_set(c, b)) {
        fsck_say(c, 0, "block ", b, ": claimed by two owners (one is the inode checked now)");
        return -1;
    }
    (*count)++;
    return 0;
}

static void walk_ind(struct fsck *c, struct ino_ref *r, uint64_t b, int level, uint64_t *count)
{
    struct nexfs *fs = c->fs;
    if (claim(c, r->ino, b, count) < 0)
        return;
    int s = -1;
    int rc = bc_get_meta(fs, b, MAGIC_IND, r->ino, &s);
    if (rc < 0 || get32(bc_data(fs, s) + HDR_AUX) != (uint32_t)level) {
        if (rc == 0)
            bc_put(fs, s);
        fsck_say(c, 0, "block ", b, ": indirect block corrupt (its file reads EIO there)");
        c->ind_bad = c->unsure = 1;
        return;
    }
    uint64_t p = (fs->bs - HDR_SIZE) / 8;
    for (uint64_t i = 0; i < p; i++) {
        uint64_t e = get64(bc_data(fs, s) + HDR_SIZE + 8 * i);
        if (!e)
            continue;
        if (level == 1)
            claim(c, r->ino, e, count);
        else
            walk_ind(c, r, e, level - 1, count);
    }
    bc_put(fs, s);
}

static int fix_field64(struct fsck *c, uint32_t ino, int off, uint64_t v)
{
    struct ino_ref r;
    txn_begin(c->fs);
    int rc = iget(c->fs, ino, &r);
    if (rc == 0 && (rc = idirty(c->fs, &r)) == 0)
        put64(r.p + off, v);
    iput(c->fs, &r);
    return txn_end(c->fs, rc);
}

static int fix_field32(struct fsck *c, uint32_t ino, int off, uint32_t v)
{
    struct ino_ref r;
    txn_begin(c->fs);
    int rc = iget(c->fs, ino, &r);
    if (rc == 0 && (rc = idirty(c->fs, &r)) == 0)
        put32(r.p + off, v);
    iput(c->fs, &r);
    return txn_end(c->fs, rc);
}

/* Pass A: each inode the bitmap calls allocated is sound, and its blocks are its own. */
static int inode_blocks(struct fsck *c, uint32_t ino)
{
    struct nexfs *fs = c->fs;
    struct ino_ref r;
    int set = 1;
    int known = bitmap_test(fs, 1, ino, &set) == 0;
    if (known && !set)
        return 0;
    int rc = iget(fs, ino, &r);
    if (rc == -NEXFS_EIO && !known)
        return 0; /* its bitmap block is unreadable and so is it: counted free, rebuilt later */
    if (rc == -NEXFS_EIO) {
        c->state[ino] = ST_BAD;
        fsck_say(c, 1, "inode ", ino, ": corrupt (checksum, number or type); freed");
        if (c->repair) {
            txn_begin(fs);
            rc = txn_end(fs, ifree(fs, ino));
        }
        return rc == -NEXFS_EIO ? 0 : rc;
    }
    if (rc < 0)
        return rc;
    int dir = (get16(r.p + I_MODE) & NEXFS_S_IFMT) == NEXFS_S_IFDIR;
    c->state[ino] = dir ? ST_DIR : ST_FILE;
    uint64_t count = 0;
    c->ind_bad = 0;
    for (int i = 0; i < NDIRECT; i++) {
        uint64_t b = get64(r.p + I_PTR + 8 * i);
        if (b)
            claim(c, ino, b, &count);
    }
    for (int l = 1; l <= 3; l++) {
        uint64_t b = get64(r.p + I_PTR + 8 * (NDIRECT + l - 1));
        if (b)
            walk_ind(c, &r, b, l, &count);
    }
    uint64_t have = get64(r.p + I_BLOCKS), size = get64(r.p + I_SIZE);
    int orphan = get16(r.p + I_FLAGS) & IF_ORPHAN;
    iput(fs, &r);
    if (dir && size % fs->bs)
        fsck_say(c, 0, "inode ", ino, ": directory size not a whole number of blocks");
    uint64_t need = (size + fs->bs - 1) / fs->bs;
    if (!dir && !orphan && count > need + need / ((fs->bs - HDR_SIZE) / 8) + 3)
        fsck_say(c, 0, "inode ", ino, ": more blocks than its size can use");
    if (have != count) {
        fsck_say(c, !c->ind_bad, "inode ", ino, ": block count wrong");
        if (c->repair && !c->ind_bad && (rc = fix_field64(c, ino, I_BLOCKS, count)) < 0)
            return rc;
    }
    return 0;
}

static int is_dot(const struct nexfs_dirent *de)
{
    return (de->name_len == 1 && de->name[0] == '.') ||
           (de->name_len == 2 && de->name[0] == '.' && de->name[1] == '.');
}

static int entry_remove(struct fsck *c, uint32_t dino, const struct nexfs_dirent *de)
{
    struct ino_ref d;
    txn_begin(c->fs);
    int rc = iget(c->fs, dino, &d);
    if (rc == 0)
        rc = dir_remove(c->fs, &d, de->name, de->name_len);
    iput(c->fs, &d);
    return txn_end(c->fs, rc);
}

/* Pass B: the entries of directory dino. */
static int dir_entries(struct fsck *c, uint32_t dino)
{
    struct nexfs *fs = c->fs;
    struct ino_ref d;
    struct nexfs_dirent de;
    int rc = iget(fs, dino, &d);
    if (rc < 0)
        return rc == -NEXFS_EIO ? 0 : rc;
    uint64_t cookie = 0, n = 0, subdirs = 0, nblk = get64(d.p + I_SIZE) / fs->bs;
    uint32_t want_n = get32(d.p + I_DENTRIES), nlink = get32(d.p + I_NLINK);
    int dir_bad = 0;
    for (uint64_t steps = 0; steps < ENTRY_STEPS_MAX; steps++) {
        rc = dir_next(fs, &d, &cookie, &de);
        if (rc == 0)
            break;
        if (rc < 0) {
            fsck_say(c, 0, "inode ", dino, ": a directory block is corrupt (lookups there EIO)");
            dir_bad = c->unsure = 1;
            cookie = ((cookie >> 32) + 1) << 32;
            if ((cookie >> 32) >= nblk)
                break;
            continue;
        }
        n++;
        uint32_t found = 0;
        if (memchr(de.name, '/', de.name_len) || memchr(de.name, 0, de.name_len) || is_dot(&de))
            fsck_say(c, 0, "inode ", dino, ": an entry with an invalid name");
        else if (dir_lookup(fs, &d, de.name, de.name_len, &found) < 0 || found != de.ino)
            fsck_say(c, 0, "inode ", dino, ": an entry not reachable through its hash");
        uint32_t t = de.ino < fs->sb.inode_count ? c->state[de.ino] : ST_BAD;
        if (t == ST_FREE || t == ST_BAD || de.ino <= NEXFS_ROOT_INO) {
            fsck_say(c, 1, "inode ", dino, ": an entry names a free or corrupt inode; removed");
            if (c->repair) {
                n--;
                iput(fs, &d);
                if ((rc = entry_remove(c, dino, &de)) < 0)
                    return rc;
                if ((rc = iget(fs, dino, &d)) < 0)
                    return rc;
                cookie--; /* the next entry moved into this one's place */
            }
            continue;
        }
        if ((t == ST_DIR) != (de.type == NEXFS_S_IFDIR))
            fsck_say(c, 0, "inode ", de.ino, ": its entry's type is not its own");
        if (c->refs[de.ino] < 0xffff)
            c->refs[de.ino]++;
        if (t == ST_DIR) {
            subdirs++;
            if (c->dparent[de.ino] && c->dparent[de.ino] != dino)
                fsck_say(c, 0, "inode ", de.ino, ": a directory with two names");
            c->dparent[de.ino] = dino;
        }
    }
    iput(fs, &d);
    if (n != want_n) {
        fsck_say(c, !dir_bad, "inode ", dino, ": entry count wrong");
        if (c->repair && !dir_bad && (rc = fix_field32(c, dino, I_DENTRIES, (uint32_t)n)) < 0)
            return rc;
    }
    if (nlink && nlink != 2 + subdirs) {
        fsck_say(c, !dir_bad, "inode ", dino, ": link count wrong");
        if (c->repair && !dir_bad &&
            (rc = fix_field32(c, dino, I_NLINK, (uint32_t)(2 + subdirs))) < 0)
            return rc;
    }
    return 0;
}

int fsck_inodes(struct fsck *c)
{
    struct nexfs *fs = c->fs;
    used_test_set(c, 0);
    for (uint32_t ino = 1; ino < fs->sb.inode_count; ino++) {
        int rc = inode_blocks(c, ino);
        if (rc < 0)
            return rc;
    }
    if (c->state[NEXFS_ROOT_INO] != ST_DIR) {
        fsck_say(c, 0, "inode ", NEXFS_ROOT_INO, ": the root directory is missing or corrupt");
        return 0;
    }
    for (uint32_t ino = 1; ino < fs->sb.inode_count; ino++) {
        if (c->state[ino] != ST_DIR)
            continue;
        int rc = dir_entries(c, ino);
        if (rc < 0)
            return rc;
    }
    return 0;
}
