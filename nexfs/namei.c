/* Names: resolving a path (from the root; "." and ".." understood, components of at most 255
 * bytes), and the operations that change names: create, mkdir, rmdir, unlink, rename. Each is
 * one transaction (freeing a large unlinked file continues in more, through the orphan list). */
#include "nexfs_int.h"

int fs_writable(const struct nexfs *fs)
{
    if (fs->failed)
        return -NEXFS_EIO;
    return fs->read_only ? -NEXFS_EROFS : 0;
}

static int is_dir(const struct ino_ref *r)
{
    return (get16(r->p + I_MODE) & NEXFS_S_IFMT) == NEXFS_S_IFDIR;
}

/* The next component of *p: its start and length; *p moves past it. 0 at the end. */
static uint32_t next_comp(const char **p, const char **comp)
{
    const char *s = *p;
    while (*s == '/')
        s++;
    const char *e = s;
    while (*e && *e != '/' && e - s <= NEXFS_NAME_MAX)
        e++;
    while (*e && *e != '/')
        e++;
    *comp = s;
    *p = e;
    return (uint32_t)(e - s);
}

static int path_len_ok(const char *path)
{
    size_t n = 0;
    while (path[n])
        if (++n >= NEXFS_PATH_MAX)
            return -NEXFS_ENAMETOOLONG;
    return n == 0 ? -NEXFS_ENOENT : 0;
}

/* One step from directory `cur` by component c: its inode number. */
static int step(struct nexfs *fs, uint32_t cur, const char *c, uint32_t len, uint32_t *out)
{
    struct ino_ref d;
    if (len > NEXFS_NAME_MAX)
        return -NEXFS_ENAMETOOLONG;
    int rc = iget(fs, cur, &d);
    if (rc < 0)
        return rc;
    if (!is_dir(&d))
        rc = -NEXFS_ENOTDIR;
    else if (len == 1 && c[0] == '.')
        *out = cur;
    else if (len == 2 && c[0] == '.' && c[1] == '.')
        *out = get32(d.p + I_PARENT);
    else
        rc = dir_lookup(fs, &d, c, len, out);
    iput(fs, &d);
    return rc;
}

int namei(struct nexfs *fs, const char *path, uint32_t *ino)
{
    int rc = path_len_ok(path);
    if (rc < 0)
        return rc;
    uint32_t cur = NEXFS_ROOT_INO, len;
    const char *c;
    while ((len = next_comp(&path, &c)) != 0)
        if ((rc = step(fs, cur, c, len, &cur)) < 0)
            return rc;
    *ino = cur;
    return 0;
}

int namei_parent(struct nexfs *fs, const char *path, uint32_t *dir, const char **name,
                 uint32_t *len)
{
    int rc = path_len_ok(path);
    if (rc < 0)
        return rc;
    uint32_t cur = NEXFS_ROOT_INO, l = next_comp(&path, name);
    if (l == 0)
        return -NEXFS_EBUSY; /* the root itself */
    for (;;) {
        const char *c;
        uint32_t nl = next_comp(&path, &c);
        if (nl == 0)
            break;
        if ((rc = step(fs, cur, *name, l, &cur)) < 0)
            return rc;
        *name = c;
        l = nl;
    }
    if (l > NEXFS_NAME_MAX)
        return -NEXFS_ENAMETOOLONG;
    if ((l == 1 && (*name)[0] == '.') || (l == 2 && (*name)[0] == '.' && (*name)[1] == '.'))
        return -NEXFS_EINVAL;
    *dir = cur;
    *len = l;
    return 0;
}

/* Parent directory of path, held and joined to the open transaction. */
static int parent_get(struct nexfs *fs, const char *path, struct ino_ref *d, const char **name,
                      uint32_t *len)
{
    uint32_t dino;
    d->slot = -1;
    int rc = namei_parent(fs, path, &dino, name, len);
    if (rc < 0)
        return rc;
    if ((rc = iget(fs, dino, d)) < 0)
        return rc;
    return is_dir(d) ? 0 : -NEXFS_ENOTDIR;
}

static void add_nlink(struct ino_ref *r, int d)
{
    put32(r->p + I_NLINK, get32(r->p + I_NLINK) + (uint32_t)d);
}

int fs_create(struct nexfs *fs, const char *path, uint32_t mode, uint32_t *ino)
{
    int rc = fs_writable(fs);
    if (rc < 0)
        return rc;
    struct ino_ref d, n = {.slot = -1};
    const char *name;
    uint32_t len, existing;
    txn_begin(fs);
    rc = parent_get(fs, path, &d, &name, &len);
    if (rc == 0 && get32(d.p + I_NLINK) == 0)
        rc = -NEXFS_ENOENT; /* a removed directory takes no new names */
    if (rc == 0) {
        rc = dir_lookup(fs, &d, name, len, &existing);
        rc = rc == 0 ? -NEXFS_EEXIST : rc == -NEXFS_ENOENT ? 0 : rc;
    }
    if (rc == 0)
        rc = inew(fs, mode, d.ino, &n);
    if (rc == 0)
        rc = dir_insert(fs, &d, name, len, n.ino, mode);
    if (rc == 0 && (mode & NEXFS_S_IFMT) == NEXFS_S_IFDIR)
        add_nlink(&d, 1);
    if (rc == 0) {
        itouch(fs, &d, 1);
        *ino = n.ino;
    }
    iput(fs, &n);
    iput(fs, &d);
    return txn_end(fs, rc);
}

int nexfs_mkdir(struct nexfs *fs, const char *path, uint32_t mode)
{
    uint32_t ino;
    return fs_create(fs, path, NEXFS_S_IFDIR | (mode & 07777), &ino);
}

/* After the transaction that dropped the last name: free the inode unless a file holds it. */
static int finish(struct nexfs *fs, uint32_t ino, int pending)
{
    if (!pending || file_is_open(fs, ino))
        return 0;
    return orphan_finish(fs, ino);
}

/* Removes name from its directory; want_dir: rmdir (1) or unlink (0). */
static int remove_name(struct nexfs *fs, const char *path, int want_dir)
{
    int rc = fs_writable(fs);
    if (rc < 0)
        return rc;
    struct ino_ref d, t = {.slot = -1};
    const char *name;
    uint32_t len, ino = 0;
    int pending = 0, done = 1;
    txn_begin(fs);
    rc = parent_get(fs, path, &d, &name, &len);
    if (rc == 0)
        rc = dir_lookup(fs, &d, name, len, &ino);
    if (rc == 0)
        rc = iget(fs, ino, &t);
    if (rc == 0 && want_dir && !is_dir(&t))
        rc = -NEXFS_ENOTDIR;
    if (rc == 0 && !want_dir && is_dir(&t))
        rc = -NEXFS_EISDIR;
    if (rc == 0 && want_dir && get32(t.p + I_DENTRIES))
        rc = -NEXFS_ENOTEMPTY;
    if (rc == 0)
        rc = dir_remove(fs, &d, name, len);
    if (rc == 0 && want_dir)
        add_nlink(&d, -1);
    if (rc == 0) {
        itouch(fs, &d, 1);
        rc = inode_drop_link(fs, &t);
    }
    if (rc == 0 && get32(t.p + I_NLINK) == 0) {
        pending = 1;
        if (!file_is_open(fs, ino))
            rc = orphan_step(fs, &t, &done);
    }
    iput(fs, &t);
    iput(fs, &d);
    rc = txn_end(fs, rc);
    return rc < 0 ? rc : finish(fs, ino, pending && !done);
}

int nexfs_unlink(struct nexfs *fs, const char *path)
{
    return remove_name(fs, path, 0);
}

int nexfs_rmdir(struct nexfs *fs, const char *path)
{
    return remove_name(fs, path, 1);
}

/* -EINVAL when directory `dir` is `anc` or lies below it. */
static int not_below(struct nexfs *fs, uint32_t dir, uint32_t anc)
{
    for (uint32_t steps = 0; steps < fs->sb.inode_count; steps++) {
        if (dir == anc)
            return -NEXFS_EINVAL;
        if (dir == NEXFS_ROOT_INO)
            return 0;
        struct ino_ref r;
        int rc = iget(fs, dir, &r);
        if (rc < 0)
            return rc;
        dir = get32(r.p + I_PARENT);
        iput(fs, &r);
    }
    return -NEXFS_EIO; /* a loop of parents */
}

int nexfs_rename(struct nexfs *fs, const char *from, const char *to)
{
    int rc = fs_writable(fs);
    if (rc < 0)
        return rc;
    struct ino_ref fp = {.slot = -1}, tp = {.slot = -1}, src = {.slot = -1}, dst = {.slot = -1};
    const char *fn, *tn;
    uint32_t fl, tl, sino = 0, dino = 0;
    int pending = 0, done = 1;
    txn_begin(fs);
    rc = parent_get(fs, from, &fp, &fn, &fl);
    if (rc == 0)
        rc = parent_get(fs, to, &tp, &tn, &tl);
    if (rc == 0)
        rc = dir_lookup(fs, &fp, fn, fl, &sino);
    if (rc == 0)
        rc = iget(fs, sino, &src);
    if (rc == 0) {
        rc = dir_lookup(fs, &tp, tn, tl, &dino);
        if (rc == -NEXFS_ENOENT) {
            dino = 0;
            rc = 0;
        }
    }
    if (rc == 0 && dino == sino)
        goto out; /* the same file under both names: nothing to do */
    if (rc == 0 && dino)
        rc = iget(fs, dino, &dst);
    if (rc == 0 && is_dir(&src) && (rc = not_below(fs, tp.ino, sino)) == 0 && dino) {
        if (!is_dir(&dst))
            rc = -NEXFS_ENOTDIR;
        else if (get32(dst.p + I_DENTRIES))
            rc = -NEXFS_ENOTEMPTY;
    }
    if (rc == 0 && !is_dir(&src) && dino && is_dir(&dst))
        rc = -NEXFS_EISDIR;
    if (rc == 0 && get32(tp.p + I_NLINK) == 0)
        rc = -NEXFS_ENOENT;
    if (rc < 0 || (rc = idirty(fs, &fp)) < 0 || (rc = idirty(fs, &tp)) < 0 ||
        (rc = idirty(fs, &src)) < 0)
        goto out;
    rc = dino ? dir_set(fs, &tp, tn, tl, sino, get16(src.p + I_MODE))
              : dir_insert(fs, &tp, tn, tl, sino, get16(src.p + I_MODE));
    if (rc == 0)
        rc = dir_remove(fs, &fp, fn, fl);
    if (rc < 0)
        goto out;
    if (is_dir(&src)) {
        add_nlink(&fp, -1);
        add_nlink(&tp, 1);
        put32(src.p + I_PARENT, tp.ino);
    }
    itouch(fs, &fp, 1);
    itouch(fs, &tp, 1);
    itouch(fs, &src, 0);
    if (dino) {
        if (is_dir(&dst))
            add_nlink(&tp, -1);
        rc = inode_drop_link(fs, &dst);
        if (rc == 0 && get32(dst.p + I_NLINK) == 0) {
            pending = 1;
            if (!file_is_open(fs, dino))
                rc = orphan_step(fs, &dst, &done);
        }
    }
out:
    iput(fs, &dst);
    iput(fs, &src);
    iput(fs, &tp);
    iput(fs, &fp);
    rc = txn_end(fs, rc);
    return rc < 0 ? rc : finish(fs, dino, pending && !done);
}
