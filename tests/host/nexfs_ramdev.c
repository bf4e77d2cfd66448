/* The RAM block device of the NexFS tests (see nexfs_ramdev.h). */
#include "nexfs_ramdev.h"

#include <stdlib.h>
#include <string.h>

static struct ramdev *of(const struct nexfs_dev *d)
{
    return d->ctx;
}

static int rd_read(const struct nexfs_dev *d, uint64_t block, uint32_t count, void *buf)
{
    struct ramdev *r = of(d);
    if (block + count > d->block_count || count == 0)
        return -5;
    if (r->fail_read_block >= block && r->fail_read_block < block + count)
        return -5;
    r->reads++;
    memcpy(buf, r->data + block * d->block_size, (size_t)count * d->block_size);
    return 0;
}

static void record(struct ramdev *r, uint64_t block, uint32_t count, const void *buf)
{
    if (r->nops == r->cap_ops) {
        r->cap_ops = r->cap_ops ? 2 * r->cap_ops : 1024;
        r->ops = realloc(r->ops, r->cap_ops * sizeof(*r->ops));
    }
    size_t len = (size_t)count * r->dev.block_size;
    if (r->npay + len > r->cap_pay) {
        while (r->npay + len > r->cap_pay)
            r->cap_pay = r->cap_pay ? 2 * r->cap_pay : 1 << 20;
        r->payload = realloc(r->payload, r->cap_pay);
    }
    r->ops[r->nops++] = (struct ramdev_op){block, count, r->npay};
    if (len) {
        memcpy(r->payload + r->npay, buf, len);
        r->npay += len;
    }
}

static int rd_write(const struct nexfs_dev *d, uint64_t block, uint32_t count, const void *buf)
{
    struct ramdev *r = of(d);
    if (block + count > d->block_count || count == 0)
        return -5;
    if (d->read_only)
        return -30;
    if (r->fail_writes_after >= 0 && r->fail_writes_after-- == 0)
        return -5;
    r->writes++;
    memcpy(r->data + block * d->block_size, buf, (size_t)count * d->block_size);
    if (r->recording)
        record(r, block, count, buf);
    return 0;
}

static int rd_flush(const struct nexfs_dev *d)
{
    struct ramdev *r = of(d);
    if (r->fail_flush)
        return -5;
    r->flushes++;
    if (r->recording)
        record(r, 0, 0, NULL);
    return 0;
}

static uint64_t rd_now(const struct nexfs_dev *d)
{
    return 1700000000000000000ull + of(d)->clock++ * 1000;
}

static const struct nexfs_dev_ops ramdev_ops = {rd_read, rd_write, rd_flush, rd_now};

void ramdev_init(struct ramdev *r, uint32_t bs, uint64_t blocks)
{
    memset(r, 0, sizeof(*r));
    r->dev.ops = &ramdev_ops;
    r->dev.ctx = r;
    r->dev.block_size = bs;
    r->dev.block_count = blocks;
    r->bytes = (uint64_t)bs * blocks;
    r->data = calloc(1, r->bytes);
    r->fail_writes_after = -1;
    r->fail_read_block = UINT64_MAX;
}

void ramdev_free(struct ramdev *r)
{
    free(r->data);
    free(r->ops);
    free(r->payload);
    memset(r, 0, sizeof(*r));
}

void ramdev_clone(struct ramdev *dst, const struct ramdev *src)
{
    ramdev_init(dst, src->dev.block_size, src->dev.block_count);
    memcpy(dst->data, src->data, src->bytes);
}

void ramdev_replay(struct ramdev *dst, const struct ramdev *r, size_t n, uint32_t torn)
{
    for (size_t i = 0; i < n && i < r->nops; i++) {
        const struct ramdev_op *o = &r->ops[i];
        uint32_t count = o->count;
        if (i == n - 1 && torn && torn < count)
            count = torn;
        memcpy(dst->data + o->block * r->dev.block_size, r->payload + o->data,
               (size_t)count * r->dev.block_size);
    }
}

void *nexfs_test_mem(size_t *size)
{
    *size = (size_t)4096 * 200;
    return malloc(*size);
}
