/* Inodes: reading one (its CRC checked, -EIO when unsound), editing it in its cache block,
 * creating one, and the orphan list that makes unlink and truncate atomic: the first
 * transaction hides the blocks (size or name gone) and links the inode into the list; later
 * ones free the blocks; mount finishes what a crash interrupted. */
#include "nexfs_int.h"

int iget(struct nexfs *fs, uint32_t ino, struct ino_ref *r)
{
    r->slot = -1;
    r->p = NULL;
    if (ino < 1 || ino >= fs->sb.inode_count)
        return -NEXFS_EIO;
    uint32_t ipb = fs->bs / INODE_SIZE;
    int rc = bc_get(fs, fs->sb.itable_start + ino / ipb, &r->slot);
    if (rc < 0) {
        r->slot = -1;
        return rc;
    }
    r->p = bc_data(fs, r->slot) + (ino % ipb) * INODE_SIZE;
    r->ino = ino;
    r->dirty = 0;
    uint32_t t = get16(r->p + I_MODE) & NEXFS_S_IFMT;
    if (!inode_sound(r->p, ino) || (t != NEXFS_S_IFDIR && t != NEXFS_S_IFREG)) {
        bc_put(fs, r->slot);
        r->slot = -1;
        return -NEXFS_EIO;
    }
    return 0;
}

void iput(struct nexfs *fs, struct ino_ref *r)
{
    if (r->slot < 0)
        return;
    if (r->dirty)
        inode_seal(r->p);
    bc_put(fs, r->slot);
    r->slot = -1;
}

void iseal(struct ino_ref *r)
{
    if (r->dirty)
        inode_seal(r->p);
}

int idirty(struct nexfs *fs, struct ino_ref *r)
{
    if (r->dirty)
        return 0;
    int rc = bc_dirty(fs, r->slot);
    if (rc == 0)
        r->dirty = 1;
    return rc;
}

void itouch(struct nexfs *fs, struct ino_ref *r, int mtime)
{
    uint64_t t = fs_now(fs);
    put64(r->p + I_CTIME, t);
    if (mtime)
        put64(r->p + I_MTIME, t);
}

int inew(struct nexfs *fs, uint32_t mode, uint32_t parent, struct ino_ref *r)
{
    uint32_t ino;
    int rc = ialloc(fs, &ino);
    if (rc < 0)
        return rc;
    uint32_t ipb = fs->bs / INODE_SIZE;
    if ((rc = bc_get(fs, fs->sb.itable_start + ino / ipb, &r->slot)) < 0) {
        r->slot = -1;
        return rc;
    }
    r->p = bc_data(fs, r->slot) + (ino % ipb) * INODE_SIZE;
    r->ino = ino;
    r->dirty = 0;
    if ((rc = idirty(fs, r)) < 0) {
        iput(fs, r);
        return rc;
    }
    memset(r->p, 0, INODE_SIZE);
    uint64_t t = fs_now(fs);
    put32(r->p + I_INO, ino);
    put16(r->p + I_MODE, (uint16_t)mode);
    put32(r->p + I_NLINK, (mode & NEXFS_S_IFMT) == NEXFS_S_IFDIR ? 2 : 1);
    put64(r->p + I_MTIME, t);
    put64(r->p + I_CTIME, t);
    put64(r->p + I_CRTIME, t);
    put32(r->p + I_PARENT, (mode & NEXFS_S_IFMT) == NEXFS_S_IFDIR ? parent : 0);
    return 0;
}

static int orphan_add(struct nexfs *fs, struct ino_ref *r)
{
    if (get16(r->p + I_FLAGS) & IF_ORPHAN)
        return 0;
    int rc;
    uint32_t head = sb_orphan_head(fs, &rc);
    if (rc < 0 || (rc = idirty(fs, r)) < 0)
        return rc;
    put32(r->p + I_ORPHAN, head);
    put16(r->p + I_FLAGS, (uint16_t)(get16(r->p + I_FLAGS) | IF_ORPHAN));
    return sb_set_orphan_head(fs, r->ino);
}

static int orphan_remove(struct nexfs *fs, struct ino_ref *r)
{
    int rc;
    uint32_t next = get32(r->p + I_ORPHAN), cur = sb_orphan_head(fs, &rc);
    if (rc < 0 || (rc = idirty(fs, r)) < 0)
        return rc;
    put16(r->p + I_FLAGS, (uint16_t)(get16(r->p + I_FLAGS) & ~IF_ORPHAN));
    put32(r->p + I_ORPHAN, 0);
    if (cur == r->ino)
        return sb_set_orphan_head(fs, next);
    for (uint32_t steps = 0; cur && steps < fs->sb.inode_count; steps++) {
        struct ino_ref p;
        if ((rc = iget(fs, cur, &p)) < 0)
            return rc;
        uint32_t pn = get32(p.p + I_ORPHAN);
        if (pn == r->ino) {
            if ((rc = idirty(fs, &p)) == 0)
                put32(p.p + I_ORPHAN, next);
            iput(fs, &p);
            return rc;
        }
        iput(fs, &p);
        cur = pn;
    }
    return -NEXFS_EIO; /* not on the list it says it is on */
}

int inode_drop_link(struct nexfs *fs, struct ino_ref *r)
{
    int rc = idirty(fs, r);
    if (rc < 0)
        return rc;
    uint32_t n = get32(r->p + I_NLINK);
    int dir = (get16(r->p + I_MODE) & NEXFS_S_IFMT) == NEXFS_S_IFDIR;
    n = (dir || n <= 1) ? 0 : n - 1; /* a directory has one name */
    put32(r->p + I_NLINK, n);
    itouch(fs, r, 0);
    return n == 0 ? orphan_add(fs, r) : 0;
}

/* Inside the open transaction: frees what orphan r hides (everything when unlinked, the blocks
 * past its size when truncated) while there is room; *done when it is off the list. */
int orphan_step(struct nexfs *fs, struct ino_ref *r, int *done)
{
    uint32_t nlink = get32(r->p + I_NLINK);
    uint64_t size = get64(r->p + I_SIZE);
    uint64_t from = nlink ? (size + fs->bs - 1) / fs->bs : 0;
    int rc = bmap_free_from(fs, r, from, done);
    if (rc < 0 || !*done)
        return rc;
    if ((rc = orphan_remove(fs, r)) < 0)
        return rc;
    if (nlink == 0) {
        if ((rc = ifree(fs, r->ino)) < 0)
            return rc;
        put16(r->p + I_MODE, 0); /* free slots read as unsound: never followed */
        put32(r->p + I_INO, 0);
    }
    return 0;
}

int orphan_finish(struct nexfs *fs, uint32_t ino)
{
    int done = 0, rc = 0;
    while (!done && rc == 0) {
        struct ino_ref r;
        txn_begin(fs);
        rc = iget(fs, ino, &r);
        if (rc == 0) {
            rc = orphan_step(fs, &r, &done);
            iput(fs, &r);
        }
        rc = txn_end(fs, rc);
    }
    return rc;
}

int orphans_process(struct nexfs *fs)
{
    for (uint32_t steps = 0; steps < fs->sb.inode_count; steps++) {
        int rc;
        uint32_t head = sb_orphan_head(fs, &rc);
        if (rc < 0)
            return rc;
        if (head == 0)
            return 0;
        if (file_is_open(fs, head))
            return 0;
        if ((rc = orphan_finish(fs, head)) < 0)
            return rc;
    }
    return -NEXFS_EIO;
}

int inode_mark_orphan(struct nexfs *fs, struct ino_ref *r)
{
    return orphan_add(fs, r);
}
