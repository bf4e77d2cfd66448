/* virtio-blk probe and remove: reads and validates the config space, creates the request queue
 * and the tables every request uses, and prints the device's one boot line.
 * It never trusts a config value it has not range-checked, and never issues data requests. */
#include <errno.h>
#include <string.h>

#include <virtio/os.h>
#include <virtio/virtio.h>
#include <virtio_gen/virtio_ids.h>

#include <valve_backend.h>

#include "blk_priv.h"

#define BLK_QUEUE_WANT   256u
#define BLK_MIN_BLOCK    512u
#define BLK_MAX_BLOCK    65536u
#define BLK_MAX_PHYS_EXP 14u /* physical block at most 2^14 logical blocks */
/* Largest piece we put in one descriptor when the device sets no size_max: a whole number of
 * the largest block size, well inside the 32-bit descriptor length. */
#define BLK_NO_SIZE_MAX (1u << 30)
/* Indirect tables: a chain of header, data and status (3 descriptors or more) takes one ring
 * descriptor, so the queue holds as many requests as it has entries; a table holds up to 128
 * descriptors (a longer chain goes direct). */
#define BLK_INDIRECT_MIN 3u
#define BLK_INDIRECT_MAX 128u

static int cfg_read(struct virtio_device *vdev, const char *name, uint32_t offset, unsigned width,
                    uint64_t *value)
{
    int rc = virtio_config_read(vdev, offset, width, value);
    if (rc)
        os_log("%s: cannot read config field %s: error %d", vdev->name, name, rc);
    return rc;
}

static bool is_pow2(uint64_t v)
{
    return v && (v & (v - 1)) == 0;
}

/* The capacity field (512-byte sectors), checked: its bytes must fit 64 bits. */
static int read_capacity(struct virtio_device *vdev, uint64_t *out)
{
    uint64_t v;
    int rc = cfg_read(vdev, "capacity", VIRTIO_BLK_CFG_CAPACITY, VIRTIO_BLK_CFG_CAPACITY_WIDTH, &v);

    if (rc)
        return rc;
    if (v > (UINT64_MAX / BLK_SECTOR_SIZE)) {
        os_log("%s: capacity %llu sectors is impossible", vdev->name, (unsigned long long)v);
        return -EINVAL;
    }
    *out = v;
    return 0;
}

static int read_geometry(struct blk_dev *dev)
{
    struct virtio_device *vdev = dev->vdev;
    struct blk_info *info = &dev->info;
    uint64_t v;
    int rc;

    rc = read_capacity(vdev, &info->capacity);
    if (rc)
        return rc;

    info->blk_size = BLK_MIN_BLOCK;
    if (virtio_has_feature(vdev, VIRTIO_BLK_F_BLK_SIZE)) {
        rc = cfg_read(vdev, "blk_size", VIRTIO_BLK_CFG_BLK_SIZE, VIRTIO_BLK_CFG_BLK_SIZE_WIDTH, &v);
        if (rc)
            return rc;
        if (is_pow2(v) && v >= BLK_MIN_BLOCK && v <= BLK_MAX_BLOCK)
            info->blk_size = (uint32_t)v;
        else
            os_log("%s: blk_size %llu is not a power of two in 512..65536; using 512", vdev->name,
                   (unsigned long long)v);
    }

    if (virtio_has_feature(vdev, VIRTIO_BLK_F_SEG_MAX)) {
        rc = cfg_read(vdev, "seg_max", VIRTIO_BLK_CFG_SEG_MAX, VIRTIO_BLK_CFG_SEG_MAX_WIDTH, &v);
        if (rc)
            return rc;
        if (v == 0) {
            os_log("%s: seg_max 0 leaves no room for data; cannot use this device", vdev->name);
            return -EINVAL;
        }
        info->seg_max = (uint32_t)v;
    }

    if (virtio_has_feature(vdev, VIRTIO_BLK_F_SIZE_MAX)) {
        rc = cfg_read(vdev, "size_max", VIRTIO_BLK_CFG_SIZE_MAX, VIRTIO_BLK_CFG_SIZE_MAX_WIDTH, &v);
        if (rc)
            return rc;
        if (v < BLK_MIN_BLOCK) {
            os_log("%s: size_max %llu is below 512 bytes; cannot use this device", vdev->name,
                   (unsigned long long)v);
            return -EINVAL;
        }
        info->size_max = (uint32_t)v;
    }
    return 0;
}

static void read_topology(struct blk_dev *dev)
{
    struct virtio_device *vdev = dev->vdev;
    struct blk_info *info = &dev->info;
    uint64_t exp, align, min_io, opt_io;

    if (!virtio_has_feature(vdev, VIRTIO_BLK_F_TOPOLOGY))
        return;
    if (cfg_read(vdev, "physical_block_exp", VIRTIO_BLK_CFG_PHYSICAL_BLOCK_EXP,
                 VIRTIO_BLK_CFG_PHYSICAL_BLOCK_EXP_WIDTH, &exp) ||
        cfg_read(vdev, "alignment_offset", VIRTIO_BLK_CFG_ALIGNMENT_OFFSET,
                 VIRTIO_BLK_CFG_ALIGNMENT_OFFSET_WIDTH, &align) ||
        cfg_read(vdev, "min_io_size", VIRTIO_BLK_CFG_MIN_IO_SIZE, VIRTIO_BLK_CFG_MIN_IO_SIZE_WIDTH,
                 &min_io) ||
        cfg_read(vdev, "opt_io_size", VIRTIO_BLK_CFG_OPT_IO_SIZE, VIRTIO_BLK_CFG_OPT_IO_SIZE_WIDTH,
                 &opt_io))
        return;
    if (exp > BLK_MAX_PHYS_EXP || align >= (1ull << exp) || (opt_io && min_io > opt_io)) {
        os_log("%s: topology (exp %llu, alignment %llu, min_io %llu, opt_io %llu) makes no "
               "sense; ignored",
               vdev->name, (unsigned long long)exp, (unsigned long long)align,
               (unsigned long long)min_io, (unsigned long long)opt_io);
        return;
    }
    info->topology = true;
    info->physical_block_exp = (uint8_t)exp;
    info->alignment_offset = (uint8_t)align;
    info->min_io_size = (uint16_t)min_io;
    info->opt_io_size = (uint32_t)opt_io;
}

/* DISCARD / WRITE_ZEROES limits: a zero maximum or segment count disables the operation. */
static uint32_t read_range_limit(struct blk_dev *dev, unsigned feature, const char *what,
                                 uint32_t max_off, unsigned max_width, uint32_t seg_off,
                                 unsigned seg_width)
{
    struct virtio_device *vdev = dev->vdev;
    uint64_t max, seg;

    if (!virtio_has_feature(vdev, feature))
        return 0;
    if (cfg_read(vdev, what, max_off, max_width, &max) ||
        cfg_read(vdev, what, seg_off, seg_width, &seg))
        return 0;
    if (max == 0 || seg == 0) {
        os_log("%s: %s offered with max %llu sectors, %llu segments; not used", vdev->name, what,
               (unsigned long long)max, (unsigned long long)seg);
        return 0;
    }
    /* Whole logical blocks only. */
    max -= max % (dev->info.blk_size / BLK_SECTOR_SIZE);
    return (uint32_t)max;
}

static void set_limits(struct blk_dev *dev)
{
    struct blk_info *info = &dev->info;
    info->queue_size = vq_size(dev->vq);
    /* Every chain also needs a header and a status descriptor. */
    dev->seg_limit = vq_max_chain(dev->vq) - 2;
    if (info->seg_max && info->seg_max < dev->seg_limit)
        dev->seg_limit = info->seg_max;
    dev->size_limit = info->size_max ? info->size_max : BLK_NO_SIZE_MAX;
}

/* Decimal text of v into buf (always NUL-terminated). */
static void put_uint(char *buf, size_t len, uint64_t v)
{
    char digits[21];
    unsigned n = sizeof(digits) - 1;
    size_t pos = 0;

    digits[n] = '\0';
    do {
        digits[--n] = (char)('0' + v % 10);
        v /= 10;
    } while (v && n > 0);
    for (const char *s = &digits[n]; *s && pos + 1 < len; s++)
        buf[pos++] = *s;
    buf[pos] = '\0';
}

static void put_limit(char *buf, size_t len, uint32_t v)
{
    if (v)
        put_uint(buf, len, v);
    else
        strcpy(buf, "none");
}

/* The boot line states the size the way the Valve and the shell count it: logical blocks of
 * blk_size ("sectors x bytes", as `blk info` says), and those blocks' bytes in the largest unit
 * that holds them exactly. */
static void print_line(const struct blk_dev *dev)
{
    static const char *const units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB"};
    const struct blk_info *info = &dev->info;
    const uint64_t blocks = info->capacity / (info->blk_size / BLK_SECTOR_SIZE);
    uint64_t size = blocks * info->blk_size;
    unsigned u = 0;
    char seg[24], smax[24];

    while (size >= 1024 && size % 1024 == 0 && u + 1 < sizeof(units) / sizeof(units[0])) {
        size /= 1024;
        u++;
    }
    put_limit(seg, sizeof(seg), info->seg_max);
    put_limit(smax, sizeof(smax), info->size_max);
    os_log("%s: %llu sectors x %u bytes (%llu %s), seg_max %s, size_max %s, %s, serial %s",
           dev->vdev->name, (unsigned long long)blocks, (unsigned)info->blk_size,
           (unsigned long long)size, units[u], seg, smax, info->read_only ? "ro" : "rw",
           info->serial[0] ? info->serial : "-");
}

static void blk_free(struct blk_dev *dev)
{
    if (!dev)
        return;
    blk_tables_free(dev);
    os_free(dev, sizeof(*dev));
}

static int blk_probe(struct virtio_device *vdev)
{
    struct blk_dev *dev;
    int rc;

    dev = os_alloc(sizeof(*dev));
    if (!dev)
        return -ENOMEM;
    dev->vdev = vdev;
    dev->valve_handle = -1;
    dev->timeout_ns = BLK_TIMEOUT_NS;
    dev->spin_ns = BLK_SPIN_NS;
    dev->polled = vdev->polled;

    rc = read_geometry(dev);
    if (rc)
        goto fail;
    if (dev->info.seg_max &&
        (uint64_t)dev->info.seg_max * (dev->info.size_max ? dev->info.size_max : BLK_NO_SIZE_MAX) <
            dev->info.blk_size) {
        os_log("%s: seg_max %u x size_max %u cannot carry one %u-byte block", vdev->name,
               (unsigned)dev->info.seg_max, (unsigned)dev->info.size_max,
               (unsigned)dev->info.blk_size);
        rc = -EINVAL;
        goto fail;
    }
    read_topology(dev);
    dev->info.read_only = virtio_has_feature(vdev, VIRTIO_BLK_F_RO);
    dev->info.flush = virtio_has_feature(vdev, VIRTIO_BLK_F_FLUSH);
    dev->info.max_discard_sectors =
        read_range_limit(dev, VIRTIO_BLK_F_DISCARD, "discard", VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS,
                         VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS_WIDTH, VIRTIO_BLK_CFG_MAX_DISCARD_SEG,
                         VIRTIO_BLK_CFG_MAX_DISCARD_SEG_WIDTH);
    dev->info.max_write_zeroes_sectors = read_range_limit(
        dev, VIRTIO_BLK_F_WRITE_ZEROES, "write_zeroes", VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SECTORS,
        VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SECTORS_WIDTH, VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SEG,
        VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SEG_WIDTH);

    rc = virtio_find_vq(vdev, 0, BLK_QUEUE_WANT, &dev->vq);
    if (rc) {
        os_log("%s: cannot create the request queue: error %d", vdev->name, rc);
        goto fail;
    }
    if (vq_size(dev->vq) < 4 || vq_max_chain(dev->vq) < 3) {
        os_log("%s: queue of %u entries is too small", vdev->name, (unsigned)vq_size(dev->vq));
        rc = -EINVAL;
        goto fail;
    }
    set_limits(dev);
    rc = vq_use_indirect(dev->vq, BLK_INDIRECT_MAX, BLK_INDIRECT_MIN);
    if (rc && rc != -ENOTSUP)
        os_log("%s: no indirect descriptors (error %d); chains go in the ring", vdev->name, rc);
    rc = blk_tables_init(dev);
    if (rc) {
        os_log("%s: out of memory for the request tables", vdev->name);
        goto fail;
    }
    if (dev->polled)
        vq_disable_cb(dev->vq);
    vdev->driver_priv = dev;

    rc = blk_read_serial(dev);
    if (rc) {
        vdev->driver_priv = NULL;
        goto fail;
    }
    blk_hooks_init(dev);
    os_hooks_add(&dev->hooks);
    rc = blk_valve_register(dev);
    if (rc) {
        os_hooks_remove(&dev->hooks);
        vdev->driver_priv = NULL;
        goto fail;
    }
    print_line(dev);
    return 0;

fail:
    blk_free(dev);
    return rc;
}

/* The core has reset the device: it touches no buffer any more. Outstanding requests end with
 * -ENODEV, then the Valve forgets the device, then its memory goes. */
static void blk_remove(struct virtio_device *vdev)
{
    struct blk_dev *dev = vdev->driver_priv;
    unsigned long irq;

    if (!dev)
        return;
    irq = os_irq_disable();
    os_hooks_remove(&dev->hooks);
    dev->dead = true;
    blk_end_all(dev);
    vdev->driver_priv = NULL;
    os_irq_restore(irq);
    blk_valve_unregister(dev);
    blk_free(dev);
}

/* The device changed its config space: on QEMU, a disk resized on the host (block_resize).
 * Only the capacity may change on a live device; a new value is checked like the first, kept
 * whole in blk_size units (a partial last block is never addressed), and logged. Requests
 * already queued past a new, smaller end are the device's to fail. */
static void blk_config_changed(struct virtio_device *vdev)
{
    struct blk_dev *dev = blk_of(vdev);
    const uint32_t spb = dev ? dev->info.blk_size / BLK_SECTOR_SIZE : 1;
    uint64_t v;

    if (!dev || dev->info.failed || read_capacity(vdev, &v))
        return;
    v -= v % spb;
    if (v == dev->info.capacity)
        return;
    os_log("%s: capacity changed from %llu to %llu sectors x %u bytes", vdev->name,
           (unsigned long long)(dev->info.capacity / spb), (unsigned long long)(v / spb),
           (unsigned)dev->info.blk_size);
    dev->info.capacity = v;
    if (dev->valve_handle >= 0)
        valve_set_blocks(dev->valve_handle, v / spb);
}

const struct virtio_driver virtio_blk_driver = {
    .name = "blk",
    .probe = blk_probe,
    .remove = blk_remove,
    .interrupt = blk_interrupt,
    .config_changed = blk_config_changed,
};

struct blk_dev *blk_of(struct virtio_device *vdev)
{
    if (!vdev || !vdev->plugin || vdev->plugin->driver != &virtio_blk_driver)
        return NULL;
    return vdev->driver_priv;
}

struct virtio_device *blk_vdev(const struct blk_dev *dev)
{
    return dev->vdev;
}

const struct blk_info *blk_info(const struct blk_dev *dev)
{
    return &dev->info;
}

void blk_get_stats(const struct blk_dev *dev, struct blk_stats *out)
{
    struct vq_counters c;

    vq_get_counters(dev->vq, &c);
    *out = dev->stats;
    out->kicks = c.kicks;
    out->interrupts = dev->vdev->interrupts;
}
