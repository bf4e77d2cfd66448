/* Helpers for the block host tests: building simulated virtio-blk devices with chosen limits,
 * aligned buffers and patterns. Test code only; never linked into the kernel. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <valve.h>

#include "test_blk_util.h"

static void put_le(uint8_t *cfg, uint32_t offset, unsigned width, uint64_t v)
{
    for (unsigned i = 0; i < width && offset + i < SIM_CONFIG_MAX; i++)
        cfg[offset + i] = (uint8_t)(v >> (8 * i));
}

struct sim_device *tb_make(const struct tb_opts *o, int expect_rc)
{
    struct sim_params p;
    struct sim_device *d;

    sim_params_init(&p, SIM_TYPE_BLOCK, !o->legacy);
    if (o->sectors) {
        p.blk_sectors = o->sectors;
        put_le(p.config, SIM_BLK_CFG_CAPACITY, 8, o->sectors);
    }
    if (o->blk_size)
        put_le(p.config, SIM_BLK_CFG_BLK_SIZE, 4, o->blk_size);
    if (o->seg_max)
        put_le(p.config, SIM_BLK_CFG_SEG_MAX, 4, o->seg_max);
    if (o->size_max)
        put_le(p.config, SIM_BLK_CFG_SIZE_MAX, 4, o->size_max);
    p.features |= o->add_features;
    p.features &= ~o->drop_features;
    if (o->queue_max)
        p.queue_max[0] = o->queue_max;
    if (o->no_irq)
        p.irq = 0;
    if (o->config_len)
        p.config_len = o->config_len;
    for (unsigned i = 0; i < o->n_cfg; i++)
        put_le(p.config, o->cfg[i].offset, o->cfg[i].width, o->cfg[i].value);
    d = sim_create(&p);
    assert_non_null(d);
    assert_int_equal(sim_add(d), expect_rc);
    return d;
}

unsigned tb_index(struct sim_device *d)
{
    int i = block_find(sim_vdev(d)->name);
    assert_true(i >= 0);
    return (unsigned)i;
}

struct tb_done *tb_arm(struct tb_done *d)
{
    os_event_init(&d->ev);
    d->status = -EINPROGRESS;
    d->calls = 0;
    return d;
}

void tb_blk_done(void *ctx, int status)
{
    struct tb_done *d = ctx;
    d->status = status;
    d->calls++;
    os_event_signal(&d->ev);
}

int tb_wait(struct tb_done *d)
{
    assert_int_equal(os_event_wait(&d->ev, OS_WAIT_FOREVER), 0);
    return tb_result(d);
}

int tb_result(const struct tb_done *d)
{
    assert_int_equal(d->calls, 1);
    return d->status;
}

void *tb_alloc(size_t bytes)
{
    size_t rounded = (bytes + 4095) & ~(size_t)4095;
    void *p = aligned_alloc(4096, rounded ? rounded : 4096);
    assert_non_null(p);
    memset(p, 0, rounded ? rounded : 4096);
    return p;
}

uint8_t tb_pattern_byte(uint32_t seed, uint64_t pos)
{
    uint64_t x = pos * 0x9e3779b97f4a7c15ull + seed;
    x ^= x >> 29;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 32;
    return (uint8_t)x;
}

void tb_fill(void *buf, size_t len, uint32_t seed, uint64_t pos)
{
    uint8_t *b = buf;
    for (size_t i = 0; i < len; i++)
        b[i] = tb_pattern_byte(seed, pos + i);
}

long tb_check(const void *buf, size_t len, uint32_t seed, uint64_t pos)
{
    const uint8_t *b = buf;
    for (size_t i = 0; i < len; i++)
        if (b[i] != tb_pattern_byte(seed, pos + i))
            return (long)i;
    return -1;
}
