/* nexfs_ion_dev (user/include/nexfs_ion.h): NexFS's device ops over CMD_BLK_* through ION. */
#include <stdbool.h>
#include <string.h>

#include <nexfs_ion.h>
#include <nexus.h>
#include <nexus_blk.h>

#define IO_MAX    (128u * 1024u) /* bytes per block command through the bounce buffer */
#define DEEP_MIN  (256u * 1024u) /* a run at least this long goes to the device in pieces... */
#define DEEP_SIZE (512u * 1024u) /* ...of this size, */
#define DEEP_QD                                                                                    \
    8u /* this many at a time: a 4 MiB run is all in flight at once;                               \
        * half the raw benchmark's request size, twice its depth,                                  \
        * read 0.83-0.91 of raw against 0.68-0.81 with 4 x 1 MiB */

static uint8_t bounce[IO_MAX] __attribute__((aligned(4096)));

static int io(const struct nexfs_dev *d, uint64_t block, uint32_t count, void *buf, bool wr)
{
    unsigned slot = (unsigned)(uintptr_t)d->ctx;
    uint8_t *p = buf;

    if ((uintptr_t)p % 512 == 0 && (uint64_t)count * d->block_size >= DEEP_MIN) {
        long rc = nexus_blk_rw_deep(slot, wr, block, count, p, d->block_size,
                                    DEEP_SIZE / d->block_size, DEEP_QD);
        return rc < 0 ? (int)rc : 0;
    }

    while (count) {
        uint32_t n = (uint64_t)count * d->block_size > IO_MAX ? IO_MAX / d->block_size : count;
        uint32_t len = n * d->block_size;
        bool aligned = (uintptr_t)p % 512 == 0;
        void *b = aligned ? (void *)p : (void *)bounce;
        if (wr && !aligned)
            memcpy(bounce, p, len);
        long rc =
            wr ? nexus_blk_write(slot, block, n, b, len) : nexus_blk_read(slot, block, n, b, len);
        if (rc < 0)
            return (int)rc;
        if (!wr && !aligned)
            memcpy(p, bounce, len);
        p += len;
        block += n;
        count -= n;
    }
    return 0;
}

static int dev_read(const struct nexfs_dev *d, uint64_t block, uint32_t count, void *buf)
{
    return io(d, block, count, buf, false);
}

static int dev_write(const struct nexfs_dev *d, uint64_t block, uint32_t count, const void *buf)
{
    return io(d, block, count, (void *)(uintptr_t)buf, true);
}

static int dev_flush(const struct nexfs_dev *d)
{
    long rc = nexus_blk_flush((unsigned)(uintptr_t)d->ctx);
    return rc < 0 ? (int)rc : 0;
}

static uint64_t dev_now(const struct nexfs_dev *d)
{
    (void)d;
    return nexus_walltime();
}

static const struct nexfs_dev_ops ops = {dev_read, dev_write, dev_flush, dev_now};

long nexfs_ion_dev(unsigned slot, struct nexfs_dev *dev)
{
    struct BlkInfo info;
    struct cap_info cap;
    long rc = nexus_blk_info(slot, &info);

    if (rc < 0)
        return rc;
    bool ro =
        (info.flags & 1) != 0 || nexus_cap_info(slot, &cap) < 0 || !(cap.rights & ION_RIGHT_W);
    *dev = (struct nexfs_dev){.ops = &ops,
                              .ctx = (void *)(uintptr_t)slot,
                              .block_size = info.block_size,
                              .block_count = info.blocks,
                              .read_only = ro};
    return 0;
}
