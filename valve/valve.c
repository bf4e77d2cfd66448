/* Block Valve front: the table of registered backends (stable handles, names), the one access
 * check, request validation, and the device calls (info, stats, settings). Everything a caller
 * hands in is checked here, before anything is queued; the Valve never looks inside the data.
 * Portable: only os.h and the Valve's own headers. */
#include <errno.h>
#include <string.h>

#include <virtio/os.h>

#include "valve.h"
#include "valve_backend.h"
#include "valve_priv.h"

#define SLOT_BITS 4u /* BLOCK_MAX_DEVICES == 1 << SLOT_BITS */

const struct block_subject block_kernel = {.id = BLOCK_SUBJECT_KERNEL};

static struct valve_dev devs[BLOCK_MAX_DEVICES];
static block_access_fn access_hook;
static void *access_arg;

struct valve_dev *valve_slot(unsigned i)
{
    return i < BLOCK_MAX_DEVICES ? &devs[i] : NULL;
}

struct valve_dev *valve_lookup(unsigned handle)
{
    struct valve_dev *vd = &devs[handle & (BLOCK_MAX_DEVICES - 1)];

    return vd->used && (unsigned)vd->handle == handle ? vd : NULL;
}

static void copy_str(char *dst, size_t len, const char *src)
{
    size_t i = 0;

    for (; src && src[i] && i + 1 < len; i++)
        dst[i] = src[i];
    dst[i] = '\0';
}

static bool is_pow2(uint32_t v)
{
    return v && (v & (v - 1)) == 0;
}

int valve_register(const char *name, const struct valve_backend_ops *ops, void *priv,
                   const struct valve_geometry *geom)
{
    struct valve_dev *free_slot = NULL;

    if (!name || !name[0] || !ops || !ops->submit || !ops->info || !geom ||
        !is_pow2(geom->block_size) || geom->block_size < 512)
        return -EINVAL;
    unsigned long irq = os_irq_disable();
    for (unsigned i = 0; i < BLOCK_MAX_DEVICES; i++) {
        if (devs[i].used && strncmp(devs[i].name, name, BLOCK_NAME_LEN) == 0) {
            os_irq_restore(irq);
            return -EEXIST;
        }
        if (!devs[i].used && !free_slot)
            free_slot = &devs[i];
    }
    if (!free_slot) {
        os_irq_restore(irq);
        return -ENOSPC;
    }
    struct valve_dev *vd = free_slot;
    uint32_t gen = vd->gen + 1;
    if (gen >= (0x7fffffffu >> SLOT_BITS))
        gen = 1;
    memset(vd, 0, sizeof(*vd));
    vd->gen = gen;
    vd->handle = (int)(gen << SLOT_BITS | (unsigned)(vd - devs));
    copy_str(vd->name, sizeof(vd->name), name);
    vd->ops = ops;
    vd->priv = priv;
    vd->geom = *geom;
    os_event_init(&vd->progress);
    vd->used = true;
    os_irq_restore(irq);
    return vd->handle;
}

int valve_set_blocks(int handle, uint64_t blocks)
{
    unsigned long irq = os_irq_disable();
    struct valve_dev *vd = handle < 0 ? NULL : valve_lookup((unsigned)handle);

    if (vd)
        vd->geom.blocks = blocks; /* one aligned store: a reader sees the old or the new size */
    os_irq_restore(irq);
    return vd ? 0 : -ENODEV;
}

void valve_unregister(int handle)
{
    unsigned long irq = os_irq_disable();
    struct valve_dev *vd = handle < 0 ? NULL : valve_lookup((unsigned)handle);

    if (vd) {
        valve_io_drop_device(vd);
        vd->used = false;
        os_event_signal(&vd->progress); /* a block_wait_any on it sees the device gone */
    }
    os_irq_restore(irq);
}

unsigned block_count(void)
{
    unsigned n = 0;

    for (unsigned i = 0; i < BLOCK_MAX_DEVICES; i++)
        n += devs[i].used;
    return n;
}

int block_at(unsigned i)
{
    for (unsigned k = 0; k < BLOCK_MAX_DEVICES; k++)
        if (devs[k].used && i-- == 0)
            return devs[k].handle;
    return -ENODEV;
}

int block_find(const char *name)
{
    if (!name)
        return -ENODEV;
    for (unsigned i = 0; i < BLOCK_MAX_DEVICES; i++)
        if (devs[i].used && strncmp(devs[i].name, name, BLOCK_NAME_LEN) == 0)
            return devs[i].handle;
    return -ENODEV;
}

int block_check_access(const struct block_subject *s, unsigned dev, enum block_access op)
{
    if (!s)
        return -EPERM;
    if (access_hook)
        return access_hook(s, dev, op, access_arg) ? -EPERM : 0;
    return 0;
}

void block_set_access_hook(block_access_fn fn, void *arg)
{
    access_hook = fn;
    access_arg = arg;
}

/* The device, once the subject may do `op` to it: NULL with *rc set otherwise. */
static struct valve_dev *enter(const struct block_subject *s, unsigned dev, enum block_access op,
                               int *rc)
{
    struct valve_dev *vd;

    *rc = block_check_access(s, dev, op);
    if (*rc)
        return NULL;
    vd = valve_lookup(dev);
    if (!vd)
        *rc = -ENODEV;
    return vd;
}

int block_info(const struct block_subject *s, unsigned dev, struct block_info *info)
{
    int rc;
    struct valve_dev *vd = enter(s, dev, BLOCK_ACCESS_INFO, &rc);

    if (!vd)
        return rc;
    if (!info)
        return -EINVAL;
    memset(info, 0, sizeof(*info));
    copy_str(info->name, sizeof(info->name), vd->name);
    info->block_size = vd->geom.block_size;
    info->total_blocks = vd->geom.blocks;
    info->read_only = vd->geom.read_only;
    info->write_cache = vd->geom.write_cache;
    info->discard = vd->geom.max_discard != 0;
    info->write_zeroes = vd->geom.max_write_zeroes != 0;
    vd->ops->info(vd->priv, info);
    return 0;
}

int block_stats(const struct block_subject *s, unsigned dev, struct block_stats *stats)
{
    int rc;
    struct valve_dev *vd = enter(s, dev, BLOCK_ACCESS_STATS, &rc);

    if (!vd)
        return rc;
    if (!stats)
        return -EINVAL;
    memset(stats, 0, sizeof(*stats));
    if (vd->ops->stats)
        vd->ops->stats(vd->priv, stats);
    return 0;
}

int block_set_polled(const struct block_subject *s, unsigned dev, bool polled)
{
    int rc;
    struct valve_dev *vd = enter(s, dev, BLOCK_ACCESS_SETTINGS, &rc);

    if (!vd)
        return rc;
    return vd->ops->set_polled ? vd->ops->set_polled(vd->priv, polled) : -EOPNOTSUPP;
}

int block_set_spin(const struct block_subject *s, unsigned dev, uint32_t us)
{
    int rc;
    struct valve_dev *vd = enter(s, dev, BLOCK_ACCESS_SETTINGS, &rc);

    if (!vd)
        return rc;
    return vd->ops->set_spin ? vd->ops->set_spin(vd->priv, us) : -EOPNOTSUPP;
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
    case -EAGAIN:
        return "device queue full";
    case -EIO:
        return "I/O error";
    case -ETIMEDOUT:
        return "device did not answer in time";
    case -EPERM:
        return "not permitted";
    case -ECANCELED:
        return "cancelled";
    case -EINPROGRESS:
        return "in progress";
    }
    return "error";
}

int valve_validate(const struct block_req *r, struct valve_dev **out)
{
    struct valve_dev *vd = valve_lookup(r->dev);

    *out = NULL;
    if (!vd)
        return -ENODEV;
    const struct valve_geometry *g = &vd->geom;

    switch (r->op) {
    case BLOCK_OP_READ:
    case BLOCK_OP_WRITE:
    case BLOCK_OP_DISCARD:
    case BLOCK_OP_WRITE_ZEROES:
        break;
    case BLOCK_OP_FLUSH:
        *out = vd;
        return 0;
    default:
        return -EINVAL;
    }
    if (r->count == 0)
        return -EINVAL;
    if (r->len && (r->op == BLOCK_OP_READ || r->op == BLOCK_OP_WRITE) &&
        (uint64_t)r->count * g->block_size != r->len)
        return -EINVAL;
    if (r->count > BLOCK_MAX_BYTES / g->block_size)
        return -E2BIG;
    if (r->lba >= g->blocks || r->count > g->blocks - r->lba)
        return -ERANGE;
    if (r->op == BLOCK_OP_READ || r->op == BLOCK_OP_WRITE) {
        if (!r->buf || (uintptr_t)r->buf % BLOCK_BUF_ALIGN)
            return -EFAULT;
    }
    if (r->op != BLOCK_OP_READ && g->read_only)
        return -EROFS;
    if ((r->op == BLOCK_OP_DISCARD && !g->max_discard) ||
        (r->op == BLOCK_OP_WRITE_ZEROES && !g->max_write_zeroes))
        return -EOPNOTSUPP;
    *out = vd;
    return 0;
}
