/* The host-file backend: pread/pwrite on a regular file, fsync for FLUSH, zeroes written for
 * WRITE_ZEROES. Each bio completes inside submit. Host only (POSIX); the kernel never builds
 * this folder. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <valve_backend.h>

#include "valve_file.h"

#define FILE_ZERO_BYTES 65536u /* WRITE_ZEROES writes from a zeroed buffer this big */

struct valve_file {
    int fd;
    uint32_t block;
    uint64_t bytes;
    int handle;
    struct block_stats stats;
};

static const uint8_t zeroes[FILE_ZERO_BYTES];

/* Moves all of len bytes at off, or -EIO. */
static int file_io(int fd, bool write, void *buf, uint64_t len, uint64_t off)
{
    uint8_t *p = buf;

    while (len) {
        ssize_t n = write ? pwrite(fd, p, len, (off_t)off) : pread(fd, p, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -EIO;
        p += n;
        off += (uint64_t)n;
        len -= (uint64_t)n;
    }
    return 0;
}

static int file_zero(int fd, uint64_t len, uint64_t off)
{
    while (len) {
        uint64_t n = len < FILE_ZERO_BYTES ? len : FILE_ZERO_BYTES;
        int rc = file_io(fd, true, (void *)(uintptr_t)zeroes, n, off);
        if (rc)
            return rc;
        off += n;
        len -= n;
    }
    return 0;
}

static int file_submit(void *priv, const struct valve_bio *bio)
{
    struct valve_file *f = priv;
    const uint64_t off = bio->lba * f->block, len = (uint64_t)bio->count * f->block;
    int rc;

    if (bio->op != BLOCK_OP_FLUSH && (off >= f->bytes || len > f->bytes - off))
        return -EINVAL;
    switch (bio->op) {
    case BLOCK_OP_READ:
    case BLOCK_OP_WRITE:
        rc = file_io(f->fd, bio->op == BLOCK_OP_WRITE, bio->buf, len, off);
        break;
    case BLOCK_OP_WRITE_ZEROES:
        rc = file_zero(f->fd, len, off);
        break;
    case BLOCK_OP_FLUSH:
        rc = fsync(f->fd) ? -EIO : 0;
        break;
    default:
        return -EOPNOTSUPP;
    }
    f->stats.requests++;
    if (rc)
        f->stats.errors++;
    bio->done(bio->ctx, rc);
    return bio->op == BLOCK_OP_FLUSH ? 1 : (int)bio->count;
}

static void file_info(void *priv, struct block_info *info)
{
    (void)priv;
    strcpy(info->transport, "file");
}

static void file_stats(void *priv, struct block_stats *stats)
{
    const struct valve_file *f = priv;
    *stats = f->stats;
}

static const struct valve_backend_ops file_ops = {
    .submit = file_submit,
    .info = file_info,
    .stats = file_stats,
};

struct valve_file *valve_file_open(const char *path, const char *name, uint32_t block_size,
                                   bool read_only, int *err)
{
    struct valve_file *f = NULL;
    struct stat st;
    int rc = 0;
    int fd = open(path, read_only ? O_RDONLY : O_RDWR);

    if (fd < 0) {
        rc = -errno;
    } else if (fstat(fd, &st) || !S_ISREG(st.st_mode) || block_size < 512 ||
               (block_size & (block_size - 1)) || st.st_size <= 0 ||
               (uint64_t)st.st_size % block_size) {
        rc = -EINVAL;
    } else if (!(f = calloc(1, sizeof(*f)))) {
        rc = -ENOMEM;
    } else {
        f->fd = fd;
        f->block = block_size;
        f->bytes = (uint64_t)st.st_size;
        const struct valve_geometry geom = {
            .block_size = block_size,
            .blocks = f->bytes / block_size,
            .read_only = read_only,
            .write_cache = true,
            .max_write_zeroes = 1u << 16,
        };
        f->handle = valve_register(name, &file_ops, f, &geom);
        if (f->handle < 0) {
            rc = f->handle;
            free(f);
            f = NULL;
        }
    }
    if (rc && fd >= 0)
        close(fd);
    if (err)
        *err = rc;
    return f;
}

int valve_file_handle(const struct valve_file *f)
{
    return f->handle;
}

void valve_file_close(struct valve_file *f)
{
    if (!f)
        return;
    valve_unregister(f->handle);
    close(f->fd);
    free(f);
}
