/* virtio-blk as a Block Valve backend: registers each probed device under its core name
 * ("blk0") and turns the Valve's bios into plugin requests, describing the caller's buffer run
 * by run as bus-address segments (zero copy, merged while physically contiguous). It never
 * copies or inspects data and never allocates. */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <valve_backend.h>
#include <virtio/os.h>
#include <virtio/virtio.h>

#include "blk_priv.h"

#define BV_SEGS          64u        /* segments one bio may describe */
#define BV_SEG_BYTES_MAX (1u << 30) /* one merged segment */

/* Bus-address segments for up to `max` bytes from `buf`: one per physically contiguous run
 * (os_virt_to_phys_run), merged while runs follow one another, cut back to whole blocks.
 * Returns the bytes covered. */
static uint32_t build_segs(const void *buf, uint32_t max, uint32_t block, struct vq_seg *segs,
                           unsigned *n_out)
{
    const uint8_t *p = buf;
    uint32_t got = 0, keep;
    unsigned n = 0;

    while (got < max) {
        size_t run;
        uint64_t pa = os_virt_to_phys_run(p + got, max - got, &run);
        uint32_t len = run < BV_SEG_BYTES_MAX ? (uint32_t)run : BV_SEG_BYTES_MAX;
        if (n && segs[n - 1].addr + segs[n - 1].len == pa &&
            segs[n - 1].len + len <= BV_SEG_BYTES_MAX) {
            segs[n - 1].len += len;
        } else {
            if (n == BV_SEGS)
                break;
            segs[n].addr = pa;
            segs[n].len = len;
            n++;
        }
        got += len;
    }
    keep = got - got % block;
    for (uint32_t cut = got - keep; cut;) {
        struct vq_seg *last = &segs[n - 1];
        uint32_t k = last->len < cut ? last->len : cut;
        last->len -= k;
        cut -= k;
        if (last->len == 0)
            n--;
    }
    *n_out = n;
    return keep;
}

static int bv_submit(void *priv, const struct valve_bio *bio)
{
    struct blk_dev *b = priv;
    const uint32_t bs = b->info.blk_size, spb = bs / BLK_SECTOR_SIZE;
    const uint64_t sector = bio->lba * spb;
    const unsigned flags = bio->kick ? 0 : BLK_SUBMIT_NOKICK;
    uint32_t count = bio->count;
    int rc;

    switch (bio->op) {
    case BLOCK_OP_FLUSH:
        rc = blk_submit(b, BLK_OP_FLUSH, 0, NULL, 0, flags, bio->done, bio->ctx);
        return rc ? rc : 1;
    case BLOCK_OP_DISCARD:
    case BLOCK_OP_WRITE_ZEROES: {
        const bool discard = bio->op == BLOCK_OP_DISCARD;
        uint32_t max =
            (discard ? b->info.max_discard_sectors : b->info.max_write_zeroes_sectors) / spb;
        if (count > max)
            count = max;
        rc = blk_submit_range(b, discard ? BLK_OP_DISCARD : BLK_OP_WRITE_ZEROES, sector,
                              count * spb, flags, bio->done, bio->ctx);
        return rc ? rc : (int)count;
    }
    case BLOCK_OP_READ:
    case BLOCK_OP_WRITE: {
        struct vq_seg segs[BV_SEGS];
        unsigned n;
        if (count > UINT32_MAX / bs)
            count = UINT32_MAX / bs;
        count = build_segs(bio->buf, count * bs, bs, segs, &n) / bs;
        if (count == 0)
            return -EINVAL;
        rc = blk_submit(b, bio->op == BLOCK_OP_READ ? BLK_OP_READ : BLK_OP_WRITE, sector, segs, n,
                        flags, bio->done, bio->ctx);
        return rc ? rc : (int)count;
    }
    }
    return -EINVAL;
}

static void copy_str(char *dst, size_t len, const char *src)
{
    size_t i = 0;

    for (; src && src[i] && i + 1 < len; i++)
        dst[i] = src[i];
    dst[i] = '\0';
}

static void bv_info(void *priv, struct block_info *info)
{
    const struct blk_dev *b = priv;
    const struct virtio_device *vdev = b->vdev;

    copy_str(info->transport, sizeof(info->transport), vdev->ops ? vdev->ops->name : "?");
    copy_str(info->serial, sizeof(info->serial), b->info.serial);
    info->failed = b->info.failed;
    info->polled = b->polled;
    info->spin_us = (uint32_t)(b->spin_ns / 1000u);
    info->seg_max = b->info.seg_max;
    info->size_max = b->info.size_max;
    info->queue_size = b->info.queue_size;
}

static void bv_kick(void *priv)
{
    blk_kick(priv);
}

static void bv_poll(void *priv)
{
    blk_process(priv);
}

static void bv_stats(void *priv, struct block_stats *stats)
{
    struct blk_stats s;

    blk_get_stats(priv, &s);
    stats->requests = s.requests;
    stats->chains = s.chains;
    stats->kicks = s.kicks;
    stats->interrupts = s.interrupts;
    stats->errors = s.errors;
    stats->inflight = s.inflight;
    stats->max_inflight = s.max_inflight;
}

static int bv_set_polled(void *priv, bool polled)
{
    blk_set_polled(priv, polled);
    return 0;
}

static int bv_set_spin(void *priv, uint32_t us)
{
    blk_set_spin(priv, (uint64_t)us * 1000u);
    return 0;
}

static const struct valve_backend_ops blk_backend = {
    .submit = bv_submit,
    .info = bv_info,
    .kick = bv_kick,
    .poll = bv_poll,
    .stats = bv_stats,
    .set_polled = bv_set_polled,
    .set_spin = bv_set_spin,
};

int blk_valve_register(struct blk_dev *dev)
{
    const struct blk_info *bi = &dev->info;
    const uint32_t spb = bi->blk_size / BLK_SECTOR_SIZE;
    const struct valve_geometry geom = {
        .block_size = bi->blk_size,
        .blocks = bi->capacity / spb,
        .read_only = bi->read_only,
        .write_cache = bi->flush,
        .max_discard = bi->max_discard_sectors / spb,
        .max_write_zeroes = bi->max_write_zeroes_sectors / spb,
    };
    int h = valve_register(dev->vdev->name, &blk_backend, dev, &geom);

    if (h < 0) {
        os_log("%s: the Block Valve refused the device: error %d", dev->vdev->name, h);
        return h;
    }
    dev->valve_handle = h;
    return 0;
}

void blk_valve_unregister(struct blk_dev *dev)
{
    if (dev->valve_handle >= 0)
        valve_unregister(dev->valve_handle);
    dev->valve_handle = -1;
}
