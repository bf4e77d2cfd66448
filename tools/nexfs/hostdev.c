/* The host tools' block device over an image file (hostdev.h). Owns the file descriptor. */
#define _POSIX_C_SOURCE 200809L
#include "hostdev.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int fd_of(const struct nexfs_dev *d)
{
    return (int)(intptr_t)d->ctx;
}

static int hd_read(const struct nexfs_dev *d, uint64_t block, uint32_t count, void *buf)
{
    size_t len = (size_t)count * d->block_size;
    ssize_t n = pread(fd_of(d), buf, len, (off_t)(block * d->block_size));
    return n == (ssize_t)len ? 0 : -EIO;
}

static int hd_write(const struct nexfs_dev *d, uint64_t block, uint32_t count, const void *buf)
{
    size_t len = (size_t)count * d->block_size;
    ssize_t n = pwrite(fd_of(d), buf, len, (off_t)(block * d->block_size));
    return n == (ssize_t)len ? 0 : -EIO;
}

static int hd_flush(const struct nexfs_dev *d)
{
    return fsync(fd_of(d)) == 0 ? 0 : -EIO;
}

static uint64_t hd_now(const struct nexfs_dev *d)
{
    (void)d;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static const struct nexfs_dev_ops hostdev_ops = {hd_read, hd_write, hd_flush, hd_now};

int hostdev_open(struct nexfs_dev *dev, const char *tool, const char *path, int writable)
{
    int fd = open(path, writable ? O_RDWR : O_RDONLY);
    if (fd < 0) {
        int e = errno;
        fprintf(stderr, "%s: %s: %s\n", tool, path, strerror(e));
        return -e;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || st.st_size < 512) {
        fprintf(stderr, "%s: %s: too small to hold a filesystem\n", tool, path);
        close(fd);
        return -EINVAL;
    }
    memset(dev, 0, sizeof(*dev));
    dev->ops = &hostdev_ops;
    dev->ctx = (void *)(intptr_t)fd;
    dev->block_size = 512;
    dev->block_count = (uint64_t)st.st_size / 512;
    dev->read_only = !writable;
    return 0;
}

void hostdev_close(struct nexfs_dev *dev)
{
    close(fd_of(dev));
}
