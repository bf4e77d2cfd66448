/* virtio-rng (virtio 1.2, 5.4): one queue; the driver offers a device-writable buffer, the
 * device fills part of it and says how much. Probe reads RNG_SEED_BYTES for the OS's entropy
 * pool; rng_read serves the shell. A request is polled to completion with a deadline (the device
 * is given no chance to keep us waiting forever), one at a time per device. */
#include <errno.h>
#include <string.h>

#include <virtio/os.h>
#include <virtio/virtio.h>
#include <virtio/virtqueue.h>

#include "rng.h"

#define RNG_QUEUE_SIZE  8
#define RNG_TIMEOUT_NS  1000000000ull
#define RNG_EMPTY_LIMIT 8

struct rng_dev {
    struct virtio_device *vdev;
    struct virtqueue *vq;
    uint8_t *buf; /* DMA, RNG_REQ_MAX bytes */
    uint64_t buf_pa;
    bool busy;
    bool failed; /* timed out: the device was failed, reads refused */
    struct rng_stats stats;
};

extern const struct virtio_driver virtio_rng_driver;

static struct rng_dev *dev_of(struct virtio_device *vdev)
{
    if (!vdev || !vdev->plugin || vdev->plugin->driver != &virtio_rng_driver)
        return NULL;
    return vdev->driver_priv;
}

/* One request for n bytes into dev->buf. Returns the bytes the device gave (0 allowed), or
 * -EIO (refused answer, broken queue), -ETIMEDOUT. Interrupts off on entry. */
static int request(struct rng_dev *dev, uint32_t n)
{
    struct vq_seg in = {dev->buf_pa, n};
    struct vq_counters before, after;
    void *cookie = NULL;
    uint32_t len = 0;
    int rc;

    vq_get_counters(dev->vq, &before);
    rc = vq_add(dev->vq, NULL, 0, &in, 1, dev);
    if (rc)
        return rc == -ENOSPC ? -EIO : rc;
    vq_kick(dev->vq);
    uint64_t deadline = os_time_ns() + RNG_TIMEOUT_NS;
    while ((rc = vq_pop(dev->vq, &cookie, &len)) == -EAGAIN) {
        if (os_time_ns() >= deadline) {
            dev->failed = true;
            virtio_device_fail(dev->vdev, "entropy request got no answer");
            return -ETIMEDOUT;
        }
    }
    if (rc || cookie != dev)
        return -EIO;
    vq_get_counters(dev->vq, &after);
    if (after.len_clamped != before.len_clamped) {
        dev->stats.too_long++;
        os_log("%s: device claimed more than the %u bytes asked; answer thrown away",
               dev->vdev->name, (unsigned)n);
        return -EIO;
    }
    return (int)len;
}

int rng_read(struct virtio_device *vdev, void *buf, size_t len)
{
    struct rng_dev *dev = dev_of(vdev);
    uint8_t *out = buf;
    size_t done = 0;
    unsigned empty = 0;
    int rc = 0;

    if (!dev)
        return -ENODEV;
    if (len == 0 || len > RNG_READ_MAX)
        return -EINVAL;
    unsigned long irq = os_irq_disable();
    if (dev->busy || dev->failed || vq_broken(dev->vq)) {
        os_irq_restore(irq);
        return dev->busy ? -EBUSY : -EIO;
    }
    dev->busy = true;
    while (done < len) {
        uint32_t n = len - done < RNG_REQ_MAX ? (uint32_t)(len - done) : RNG_REQ_MAX;
        rc = request(dev, n);
        if (rc < 0)
            break;
        if (rc == 0) {
            dev->stats.empty++;
            if (++empty >= RNG_EMPTY_LIMIT) {
                os_log("%s: %u answers in a row held no bytes", vdev->name, empty);
                rc = -EIO;
                break;
            }
            continue;
        }
        empty = 0;
        memcpy(out + done, dev->buf, (size_t)rc);
        done += (size_t)rc;
        dev->stats.bytes += (uint64_t)rc;
    }
    memset(dev->buf, 0, RNG_REQ_MAX);
    dev->busy = false;
    os_irq_restore(irq);
    return rc < 0 ? rc : (int)len;
}

int rng_stats(struct virtio_device *vdev, struct rng_stats *out)
{
    struct rng_dev *dev = dev_of(vdev);
    if (!dev)
        return -ENODEV;
    *out = dev->stats;
    return 0;
}

static void rng_free(struct rng_dev *dev)
{
    os_dma_free(dev->buf, RNG_REQ_MAX);
    os_free(dev, sizeof(*dev));
}

static int rng_probe(struct virtio_device *vdev)
{
    uint8_t seed[RNG_SEED_BYTES];
    struct rng_dev *dev = os_alloc(sizeof(*dev));
    if (!dev)
        return -ENOMEM;
    dev->vdev = vdev;
    dev->buf = os_dma_alloc(RNG_REQ_MAX, &dev->buf_pa);
    int err = dev->buf ? virtio_find_vq(vdev, 0, RNG_QUEUE_SIZE, &dev->vq) : -ENOMEM;
    if (err) {
        rng_free(dev);
        return err;
    }
    vq_disable_cb(dev->vq); /* requests are polled: no interrupt wanted */
    vdev->driver_priv = dev;
    virtio_device_ready(vdev); /* the device answers only after DRIVER_OK */
    int n = rng_read(vdev, seed, sizeof(seed));
    if (n < 0) {
        os_log("%s: no entropy at probe (error %d); the pool was not seeded by it", vdev->name, n);
    } else {
        os_entropy_add(seed, sizeof(seed), "virtio-rng");
        os_log("%s: virtio-rng seeded the entropy pool with %u bytes", vdev->name,
               (unsigned)sizeof(seed));
    }
    memset(seed, 0, sizeof(seed));
    return 0;
}

static void rng_remove(struct virtio_device *vdev)
{
    struct rng_dev *dev = vdev->driver_priv;
    vdev->driver_priv = NULL;
    if (dev)
        rng_free(dev);
}

/* Requests are polled; an interrupt (a device ignoring the no-interrupt hint) has nothing to
 * do: the waiter takes the completion. */
static void rng_interrupt(struct virtio_device *vdev)
{
    (void)vdev;
}

const struct virtio_driver virtio_rng_driver = {
    .name = "rng",
    .probe = rng_probe,
    .remove = rng_remove,
    .interrupt = rng_interrupt,
};
