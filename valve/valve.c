/* Block Valve front: device lookup, the access check, request validation, and the
 * synchronous calls. Everything a caller hands in is checked here, before anything is queued;
 * the Valve never looks inside the data. Portable: only os.h, the virtio headers and blk.h. */
#include <errno.h>
#include <string.h>

#include <virtio/os.h>
#include <virtio/virtio.h>

#include "blk/blk.h"
#include "valve.h"
#include "valve_priv.h"

struct blk_dev *valve_device(unsigned dev)
{
    unsigned n = virtio_device_count();

    for (unsigned i = 0; i < n; i++) {
        struct blk_dev *b = blk_of(virtio_device_at(i));
        if (b && dev-- == 0)
            return b;
    }
    return NULL;
}

unsigned block_count(void)
{
    unsigned n = virtio_device_count(), count = 0;

    for (unsigned i = 0; i < n; i++)
        if (blk_of(virtio_device_at(i)))
            count++;
    return count;
}

int block_find(const char *name)
{
    unsigned n = virtio_device_count(), index = 0;

    if (!name)
        return -ENODEV;
    for (unsigned i = 0; i < n; i++) {
        struct virtio_device *vdev = virtio_device_at(i);
        if (!blk_of(vdev))
            continue;
        if (strncmp(vdev->name, name, sizeof(vdev->name)) == 0)
            return (int)index;
        index++;
    }
    return -ENODEV;
}

static void copy_str(char *dst, size_t len, const char *src)
{
    size_t i = 0;

    for (; src && src[i] && i + 1 < len; i++)
        dst[i] = src[i];
    dst[i] = '\0';
}

uint32_t valve_sectors_per_block(const struct blk_info *bi)
{
    return bi->blk_size / BLK_SECTOR_SIZE;
}

int block_info(unsigned dev, struct block_info *info)
{
    struct block_req probe = {.op = BLOCK_OP_READ, .dev = dev};
    struct blk_dev *b = valve_device(dev);
    int rc;

    if (!info)
        return -EINVAL;
    if (!b)
        return -ENODEV;
    rc = block_check_access(&probe);
    if (rc)
        return rc;
    const struct blk_info *bi = blk_info(b);
    const struct virtio_device *vdev = blk_vdev(b);
    memset(info, 0, sizeof(*info));
    copy_str(info->name, sizeof(info->name), vdev->name);
    copy_str(info->transport, sizeof(info->transport), vdev->ops ? vdev->ops->name : "?");
    copy_str(info->serial, sizeof(info->serial), bi->serial);
    info->block_size = bi->blk_size;
    info->total_blocks = bi->capacity / valve_sectors_per_block(bi);
    info->read_only = bi->read_only;
    info->write_cache = bi->flush;
    info->discard = bi->max_discard_sectors != 0;
    info->write_zeroes = bi->max_write_zeroes_sectors != 0;
    info->failed = bi->failed;
    info->polled = blk_polled(b);
    info->spin_us = (uint32_t)(blk_spin(b) / 1000u);
    info->seg_max = bi->seg_max;
    info->size_max = bi->size_max;
    info->queue_size = bi->queue_size;
    return 0;
}

int block_stats(unsigned dev, struct block_stats *stats)
{
    struct blk_dev *b = valve_device(dev);
    struct blk_stats s;

    if (!stats)
        return -EINVAL;
    if (!b)
        return -ENODEV;
    blk_get_stats(b, &s);
    stats->requests = s.requests;
    stats->chains = s.chains;
    stats->kicks = s.kicks;
    stats->interrupts = s.interrupts;
    stats->errors = s.errors;
    stats->inflight = s.inflight;
    stats->max_inflight = s.max_inflight;
    return 0;
}

int block_set_polled(unsigned dev, bool polled)
{
    struct blk_dev *b = valve_device(dev);

    if (!b)
        return -ENODEV;
    blk_set_polled(b, polled);
    return 0;
}

int block_set_spin(unsigned dev, uint32_t us)
{
    struct blk_dev *b = valve_device(dev);

    if (!b)
        return -ENODEV;
    blk_set_spin(b, (uint64_t)us * 1000u);
    return 0;
}

const char *block_strerror(int rc)
{
    switch (rc) {
    case 0:
        return "success";
    case -ENODEV:
        return "no such block device";
    case -EINVAL:
        return "invalid request";
    case -ERANGE:
        return "past the end of the device";
    case -EFAULT:
        return "bad buffer address or alignment";
    case -E2BIG:
        return "request too large";
    case -EROFS:
        return "device is read-only";
    case -EOPNOTSUPP:
        return "not supported by the device";
    case -EIO:
        return "I/O error";
    case -ETIMEDOUT:
        return "device did not answer in time";
    case -EPERM:
        return "not permitted";
    case -EINPROGRESS:
        return "in progress";
    }
    return "error";
}

int block_check_access(const struct block_req *r)
{
    /* Capability check goes here: the caller must hold a block capability naming r->dev and
     * allowing r->op. Until capabilities exist every request is allowed. */
    (void)r;
    return 0;
}

int valve_validate(const struct block_req *r, struct blk_dev **out)
{
    struct blk_dev *b = valve_device(r->dev);

    *out = NULL;
    if (!b)
        return -ENODEV;
    const struct blk_info *bi = blk_info(b);
    const uint64_t total = bi->capacity / valve_sectors_per_block(bi);

    switch (r->op) {
    case BLOCK_OP_READ:
    case BLOCK_OP_WRITE:
    case BLOCK_OP_DISCARD:
    case BLOCK_OP_WRITE_ZEROES:
        break;
    case BLOCK_OP_FLUSH:
        *out = b;
        return bi->failed ? -EIO : 0;
    default:
        return -EINVAL;
    }
    if (r->count == 0)
        return -EINVAL;
    if (r->count > BLOCK_MAX_BYTES / bi->blk_size)
        return -E2BIG;
    if (r->lba >= total || r->count > total - r->lba)
        return -ERANGE;
    if (r->op == BLOCK_OP_READ || r->op == BLOCK_OP_WRITE) {
        if (!r->buf || (uintptr_t)r->buf % BLOCK_BUF_ALIGN)
            return -EFAULT;
    }
    if (r->op != BLOCK_OP_READ && bi->read_only)
        return -EROFS;
    if ((r->op == BLOCK_OP_DISCARD && !bi->max_discard_sectors) ||
        (r->op == BLOCK_OP_WRITE_ZEROES && !bi->max_write_zeroes_sectors))
        return -EOPNOTSUPP;
    if (bi->failed)
        return -EIO;
    *out = b;
    return 0;
}

static int run_sync(enum block_op op, unsigned dev, uint64_t lba, uint32_t count, void *buf)
{
    struct block_req r = {.op = op, .dev = dev, .lba = lba, .count = count, .buf = buf};
    int rc = block_submit(&r);

    if (rc)
        return rc;
    return block_wait(&r);
}

int block_read(unsigned dev, uint64_t lba, uint32_t count, void *buf)
{
    return run_sync(BLOCK_OP_READ, dev, lba, count, buf);
}

int block_write(unsigned dev, uint64_t lba, uint32_t count, const void *data)
{
    /* The Valve never writes through `data` on a write: the cast only fits the request. */
    return run_sync(BLOCK_OP_WRITE, dev, lba, count, (void *)(uintptr_t)data);
}

int block_flush(unsigned dev)
{
    return run_sync(BLOCK_OP_FLUSH, dev, 0, 0, NULL);
}
