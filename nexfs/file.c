/* Open files and their data: the open-file table, read/write (data blocks move straight
 * between the caller's buffer and the device; a written block always goes to a fresh block
 * whose pointer the transaction swaps in, so a cut leaves the old data or the new), truncate,
 * stat, readdir, fsync. */
#include "nexfs_int.h"

#define READ_RUN_MAX  1024u /* blocks one device read may carry (4 MiB at 4 KiB) */
#define WRITE_RUN_MAX 1024u /* and one device write */

#define WRITE_ROOM 12 /* dirty blocks one block of a write may need */
#define MAPS_AHEAD 4  /* map blocks a write makes before the data that hangs from them */

bool file_is_open(const struct nexfs *fs, uint32_t ino)
{
    for (int i = 0; i < NEXFS_OPEN_MAX; i++)
        if (fs->files[i].ino == ino)
            return true;
    return false;
}

static struct nexfs_file *fd_get(struct nexfs *fs, int fd)
{
    if (fd < 0 || fd >= NEXFS_OPEN_MAX || fs->files[fd].ino == 0)
        return NULL;
    return &fs->files[fd];
}

static int is_dir(const struct ino_ref *r)
{
    return (get16(r->p + I_MODE) & NEXFS_S_IFMT) == NEXFS_S_IFDIR;
}

static uint64_t max_size(const struct nexfs *fs)
{
    uint64_t lim = bmap_limit(fs->bs);
    return lim > (UINT64_MAX >> 1) / fs->bs ? (UINT64_MAX >> 1) : lim * fs->bs;
}

/* The COW step of a truncate inside a block: a fresh copy of block lblk with the bytes from
 * `keep` on zeroed replaces it. */
static int cow_zero_tail(struct nexfs *fs, struct ino_ref *r, uint64_t lblk, uint32_t keep)
{
    uint64_t old, nb;
    int rc = bmap(fs, r, lblk, &old);
    if (rc < 0 || old == 0)
        return rc;
    if ((rc = dev_read(fs, old, fs->bounce)) < 0 || (rc = balloc(fs, &nb)) < 0)
        return rc;
    memset(fs->bounce + keep, 0, fs->bs - keep);
    if ((rc = dev_write(fs, nb, fs->bounce)) < 0)
        return rc;
    return bmap_set(fs, r, lblk, nb);
}

int file_truncate(struct nexfs *fs, uint32_t ino, uint64_t size)
{
    int rc = fs_writable(fs);
    if (rc < 0)
        return rc;
    if (size > max_size(fs))
        return -NEXFS_EFBIG;
    struct ino_ref r;
    int done = 1;
    txn_begin(fs);
    rc = iget(fs, ino, &r);
    if (rc < 0)
        return txn_end(fs, rc);
    uint64_t old = get64(r.p + I_SIZE);
    if (is_dir(&r))
        rc = -NEXFS_EISDIR;
    if (rc == 0)
        rc = idirty(fs, &r);
    if (rc == 0 && size < old && size % fs->bs)
        rc = cow_zero_tail(fs, &r, size / fs->bs, (uint32_t)(size % fs->bs));
    if (rc == 0) {
        put64(r.p + I_SIZE, size);
        itouch(fs, &r, 1);
    }
    if (rc == 0 && size < old && (rc = inode_mark_orphan(fs, &r)) == 0)
        rc = orphan_step(fs, &r, &done);
    iput(fs, &r);
    rc = txn_end(fs, rc);
    return (rc == 0 && !done) ? orphan_finish(fs, ino) : rc;
}

int nexfs_open(struct nexfs *fs, const char *path, int flags, uint32_t mode)
{
    int acc = flags & NEXFS_O_ACCMODE, fd = -1;
    if (acc == NEXFS_O_ACCMODE)
        return -NEXFS_EINVAL;
    for (int i = 0; i < NEXFS_OPEN_MAX; i++)
        if (fs->files[i].ino == 0) {
            fd = i;
            break;
        }
    if (fd < 0)
        return -NEXFS_EMFILE;
    uint32_t ino;
    int rc = namei(fs, path, &ino);
    if (rc == 0 && (flags & NEXFS_O_CREAT) && (flags & NEXFS_O_EXCL))
        return -NEXFS_EEXIST;
    if (rc == -NEXFS_ENOENT && (flags & NEXFS_O_CREAT)) {
        if (flags & NEXFS_O_DIRECTORY)
            return -NEXFS_EINVAL;
        rc = fs_create(fs, path, NEXFS_S_IFREG | (mode & 07777), &ino);
        flags &= ~NEXFS_O_TRUNC;
    }
    if (rc < 0)
        return rc;
    struct ino_ref r;
    if ((rc = iget(fs, ino, &r)) < 0)
        return rc;
    int dir = is_dir(&r);
    iput(fs, &r);
    if (dir && (acc != NEXFS_O_RDONLY || (flags & NEXFS_O_TRUNC)))
        return -NEXFS_EISDIR;
    if (!dir && (flags & NEXFS_O_DIRECTORY))
        return -NEXFS_ENOTDIR;
    if ((acc != NEXFS_O_RDONLY || (flags & NEXFS_O_TRUNC)) && (rc = fs_writable(fs)) < 0)
        return rc;
    if ((flags & NEXFS_O_TRUNC) && (rc = file_truncate(fs, ino, 0)) < 0)
        return rc;
    fs->files[fd].ino = ino;
    fs->files[fd].flags = flags;
    fs->files[fd].pos = 0;
    return fd;
}

int nexfs_close(struct nexfs *fs, int fd)
{
    struct nexfs_file *f = fd_get(fs, fd);
    if (!f)
        return -NEXFS_EBADF;
    uint32_t ino = f->ino;
    f->ino = 0;
    /* A file's grouped writes are committed when it is closed: a later failure elsewhere can
     * then never take them back. */
    int pending = fs->txn_pending && !fs->read_only && !fs->failed ? txn_commit(fs) : 0;
    if (pending < 0)
        return pending;
    if (file_is_open(fs, ino) || fs_writable(fs) < 0)
        return 0;
    struct ino_ref r;
    int rc = iget(fs, ino, &r);
    if (rc < 0)
        return rc;
    uint32_t nlink = get32(r.p + I_NLINK);
    iput(fs, &r);
    return nlink == 0 ? orphan_finish(fs, ino) : 0; /* the last holder of an unlinked file */
}

int64_t nexfs_pread(struct nexfs *fs, int fd, void *buf, uint64_t len, uint64_t off)
{
    struct nexfs_file *f = fd_get(fs, fd);
    if (!f || (f->flags & NEXFS_O_ACCMODE) == NEXFS_O_WRONLY)
        return -NEXFS_EBADF;
    struct ino_ref r;
    int rc = iget(fs, f->ino, &r);
    if (rc < 0)
        return rc;
    if (is_dir(&r)) {
        iput(fs, &r);
        return -NEXFS_EISDIR;
    }
    uint64_t size = get64(r.p + I_SIZE), done = 0;
    if (off >= size)
        len = 0;
    else if (len > size - off)
        len = size - off;
    uint8_t *out = buf;
    while (done < len) {
        uint64_t pos = off + done, lblk = pos / fs->bs, p, q;
        uint32_t bo = (uint32_t)(pos % fs->bs);
        uint64_t n = fs->bs - bo;
        if (n > len - done)
            n = len - done;
        /* Whole blocks that lie one after the other on the disk (or holes): one request, also
         * across map blocks (a file written in large pieces continues on the disk there). */
        uint64_t whole = n == fs->bs ? (len - done) / fs->bs : 1;
        uint32_t k, want = whole < READ_RUN_MAX ? (uint32_t)whole : READ_RUN_MAX, more;
        if ((rc = bmap_run(fs, &r, lblk, want, &p, &k)) < 0)
            break;
        while (p && k < want && bmap_run(fs, &r, lblk + k, want - k, &q, &more) == 0 && q == p + k)
            k += more;
        if (n == fs->bs)
            n = (uint64_t)k * fs->bs;
        if (p == 0) {
            memset(out + done, 0, n);
        } else if (n >= fs->bs) {
            rc = dev_read_run(fs, p, k, out + done);
        } else if ((rc = dev_read(fs, p, fs->bounce)) == 0) {
            memcpy(out + done, fs->bounce + bo, n);
        }
        if (rc < 0)
            break;
        done += n;
    }
    iput(fs, &r);
    return rc < 0 ? rc : (int64_t)done;
}

/* Whole blocks of a write whose fresh blocks follow one another on the disk, and whose bytes
 * follow one another in the caller's buffer: written in one device request before the
 * transaction commits (the commit's first flush makes them stable before the log). */
struct write_run {
    uint64_t block;
    uint32_t count;
    const uint8_t *src;
};

static int run_flush(struct nexfs *fs, struct write_run *w)
{
    int rc = w->count ? dev_write_run(fs, w->block, w->count, w->src) : 0;
    w->count = 0;
    return rc;
}

/* n fresh blocks from nb, their bytes from src, join the pending run when they continue it
 * on the disk and in the caller's buffer; otherwise the run so far is written first. */
static int run_add(struct nexfs *fs, struct write_run *w, uint64_t nb, uint32_t n,
                   const uint8_t *src)
{
    if (!w->count || nb != w->block + w->count || src != w->src + (size_t)w->count * fs->bs ||
        w->count + n > WRITE_RUN_MAX) {
        int rc = run_flush(fs, w);
        if (rc < 0)
            return rc;
        *w = (struct write_run){nb, 0, src};
    }
    w->count += n;
    return 0;
}

/* Whole blocks lblk.. (count of them) of a write: fresh blocks that follow one another, mapped
 * in one step while their pointers share a map block and the transaction has room; they join
 * the pending run. Returns how many blocks were done (at least 1) or an error. */
static int64_t write_whole(struct nexfs *fs, struct ino_ref *r, uint64_t lblk, uint64_t count,
                           const uint8_t *src, struct write_run *w)
{
    /* The map blocks of the next few map ranges first (the first one's room is WRITE_ROOM's,
     * a further one's up to three map blocks and a bitmap block, taken only while there is
     * plenty): the data that hangs from them then follows on as one run. */
    int rc = bmap_reserve(fs, r, lblk);
    for (uint64_t l = lblk + bmap_span(fs->bs, lblk), n = 1;
         rc == 0 && n < MAPS_AHEAD && l < lblk + count && txn_room(fs) > 2 * WRITE_ROOM; n++) {
        rc = bmap_reserve(fs, r, l);
        l += bmap_span(fs->bs, l);
    }
    /* The first block may need WRITE_ROOM dirty blocks, each further one at most two more
     * (its bitmap block and the old block's) and a free. */
    uint32_t room = txn_room(fs);
    uint64_t k = room > WRITE_ROOM ? (room - WRITE_ROOM) / 2 + 1 : 1,
             span = bmap_span(fs->bs, lblk);
    if (k > count)
        k = count;
    if (k > span)
        k = span;
    if (k > WRITE_RUN_MAX)
        k = WRITE_RUN_MAX;
    uint64_t nb;
    uint32_t got;
    if (rc < 0 || (rc = balloc_run(fs, (uint32_t)k, &nb, &got)) < 0 ||
        (rc = bmap_set_run(fs, r, lblk, nb, got)) < 0 || (rc = run_add(fs, w, nb, got, src)) < 0)
        return rc;
    return got;
}

/* A part of one block: fresh block <- the old block merged with the caller's bytes. */
static int write_part(struct nexfs *fs, struct ino_ref *r, uint64_t lblk, uint32_t bo,
                      const uint8_t *src, uint32_t n, struct write_run *w)
{
    uint64_t old, nb;
    int rc = bmap(fs, r, lblk, &old);
    if (rc < 0 || (rc = balloc(fs, &nb)) < 0 || (rc = run_flush(fs, w)) < 0)
        return rc;
    if (old)
        rc = dev_read(fs, old, fs->bounce);
    else
        memset(fs->bounce, 0, fs->bs);
    if (rc < 0)
        return rc;
    memcpy(fs->bounce + bo, src, n);
    if ((rc = dev_write(fs, nb, fs->bounce)) < 0)
        return rc;
    return bmap_set(fs, r, lblk, nb);
}

int64_t nexfs_pwrite(struct nexfs *fs, int fd, const void *buf, uint64_t len, uint64_t off)
{
    struct nexfs_file *f = fd_get(fs, fd);
    if (!f || (f->flags & NEXFS_O_ACCMODE) == NEXFS_O_RDONLY)
        return -NEXFS_EBADF;
    int rc = fs_writable(fs);
    if (rc < 0)
        return rc;
    if (len == 0)
        return 0;
    if (off > max_size(fs) || len > max_size(fs) - off)
        return -NEXFS_EFBIG;
    struct ino_ref r;
    struct write_run run = {0, 0, NULL};
    uint64_t done = 0, committed = 0;
    txn_continue(fs);
    if ((rc = iget(fs, f->ino, &r)) < 0) {
        if (fs->undo_on)
            txn_undo(fs);
        else
            txn_abort(fs);
        return rc;
    }
    if ((rc = idirty(fs, &r)) < 0)
        goto out;
    const uint8_t *in = buf;
    while (done < len) {
        if (txn_room(fs) < WRITE_ROOM) { /* a write larger than a transaction: in pieces */
            iseal(&r);
            if ((rc = run_flush(fs, &run)) < 0 || (rc = txn_commit(fs)) < 0)
                break;
            committed = done;
            txn_begin(fs);
            r.dirty = 0;
            if ((rc = idirty(fs, &r)) < 0)
                break;
        }
        uint64_t pos = off + done;
        uint32_t bo = (uint32_t)(pos % fs->bs);
        uint64_t n = fs->bs - bo;
        if (n > len - done)
            n = len - done;
        if (n == fs->bs) {
            int64_t k = write_whole(fs, &r, pos / fs->bs, (len - done) / fs->bs, in + done, &run);
            if (k < 0) {
                rc = (int)k;
                break;
            }
            n = (uint64_t)k * fs->bs;
        } else if ((rc = write_part(fs, &r, pos / fs->bs, bo, in + done, (uint32_t)n, &run)) < 0) {
            break;
        }
        done += n;
        if (off + done > get64(r.p + I_SIZE))
            put64(r.p + I_SIZE, off + done);
    }
    if (rc == 0)
        rc = run_flush(fs, &run);
    if (rc == 0)
        itouch(fs, &r, 1);
out:
    iput(fs, &r);
    if (rc < 0) {
        /* This piece never happened; earlier pieces, and earlier writes, stay. */
        if (fs->txn_open && fs->undo_on)
            txn_undo(fs);
        else if (fs->txn_open)
            txn_abort(fs);
        return committed ? (int64_t)committed : rc;
    }
    rc = txn_defer(fs, 2 * WRITE_ROOM); /* committed with the next other change, or a sync */
    return rc < 0 ? rc : (int64_t)done;
}

int64_t nexfs_read(struct nexfs *fs, int fd, void *buf, uint64_t len)
{
    struct nexfs_file *f = fd_get(fs, fd);
    if (!f)
        return -NEXFS_EBADF;
    int64_t n = nexfs_pread(fs, fd, buf, len, f->pos);
    if (n > 0)
        f->pos += (uint64_t)n;
    return n;
}

int64_t nexfs_write(struct nexfs *fs, int fd, const void *buf, uint64_t len)
{
    struct nexfs_file *f = fd_get(fs, fd);
    if (!f)
        return -NEXFS_EBADF;
    uint64_t pos = f->pos;
    if (f->flags & NEXFS_O_APPEND) {
        struct nexfs_stat st;
        int rc = nexfs_fstat(fs, fd, &st);
        if (rc < 0)
            return rc;
        pos = st.size;
    }
    int64_t n = nexfs_pwrite(fs, fd, buf, len, pos);
    if (n > 0)
        f->pos = pos + (uint64_t)n;
    return n;
}

int64_t nexfs_lseek(struct nexfs *fs, int fd, int64_t off, int whence)
{
    struct nexfs_file *f = fd_get(fs, fd);
    struct nexfs_stat st;
    if (!f)
        return -NEXFS_EBADF;
    int rc = nexfs_fstat(fs, fd, &st);
    if (rc < 0)
        return rc;
    if ((st.mode & NEXFS_S_IFMT) == NEXFS_S_IFDIR) { /* a directory rewinds, nothing else */
        if (whence != NEXFS_SEEK_SET || off != 0)
            return -NEXFS_EINVAL;
        f->pos = 0;
        return 0;
    }
    int64_t base = whence == NEXFS_SEEK_SET   ? 0
                   : whence == NEXFS_SEEK_CUR ? (int64_t)f->pos
                   : whence == NEXFS_SEEK_END ? (int64_t)st.size
                                              : -1;
    if (base < 0 || (off < 0 && -off > base) || (off > 0 && off > INT64_MAX - base))
        return -NEXFS_EINVAL;
    f->pos = (uint64_t)(base + off);
    return (int64_t)f->pos;
}

int nexfs_ftruncate(struct nexfs *fs, int fd, uint64_t size)
{
    struct nexfs_file *f = fd_get(fs, fd);
    if (!f || (f->flags & NEXFS_O_ACCMODE) == NEXFS_O_RDONLY)
        return -NEXFS_EBADF;
    return file_truncate(fs, f->ino, size);
}

int nexfs_truncate(struct nexfs *fs, const char *path, uint64_t size)
{
    uint32_t ino;
    int rc = namei(fs, path, &ino);
    return rc < 0 ? rc : file_truncate(fs, ino, size);
}

static int stat_ino(struct nexfs *fs, uint32_t ino, struct nexfs_stat *st)
{
    struct ino_ref r;
    int rc = iget(fs, ino, &r);
    if (rc < 0)
        return rc;
    st->ino = ino;
    st->mode = get16(r.p + I_MODE);
    st->nlink = get32(r.p + I_NLINK);
    st->size = get64(r.p + I_SIZE);
    st->blocks = get64(r.p + I_BLOCKS);
    st->mtime_ns = get64(r.p + I_MTIME);
    st->ctime_ns = get64(r.p + I_CTIME);
    st->crtime_ns = get64(r.p + I_CRTIME);
    iput(fs, &r);
    return 0;
}

int nexfs_stat(struct nexfs *fs, const char *path, struct nexfs_stat *st)
{
    uint32_t ino;
    int rc = namei(fs, path, &ino);
    return rc < 0 ? rc : stat_ino(fs, ino, st);
}

int nexfs_fstat(struct nexfs *fs, int fd, struct nexfs_stat *st)
{
    struct nexfs_file *f = fd_get(fs, fd);
    return f ? stat_ino(fs, f->ino, st) : -NEXFS_EBADF;
}

int nexfs_readdir(struct nexfs *fs, int fd, struct nexfs_dirent *de)
{
    struct nexfs_file *f = fd_get(fs, fd);
    if (!f)
        return -NEXFS_EBADF;
    struct ino_ref r;
    int rc = iget(fs, f->ino, &r);
    if (rc < 0)
        return rc;
    rc = is_dir(&r) ? dir_next(fs, &r, &f->pos, de) : -NEXFS_ENOTDIR;
    iput(fs, &r);
    return rc;
}

int nexfs_fsync(struct nexfs *fs, int fd)
{
    if (!fd_get(fs, fd))
        return -NEXFS_EBADF;
    return nexfs_sync(fs);
}
