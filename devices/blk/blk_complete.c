/* virtio-blk completions and waiting: takes used chains back, checks each status byte and
 * length before believing it, finishes requests, enforces timeouts, and takes a failed device
 * out of use. Also asks for the serial (GET_ID) at probe. Nothing here allocates. */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <virtio/os.h>
#include <virtio/virtio.h>
#include <virtio/virtqueue.h>

#include "blk_priv.h"

#define BLK_PROBE_TIMEOUT_NS (1000ull * 1000 * 1000)

/* A pointer that came back from the ring as a cookie: one of ours, and in flight? */
static struct blk_chain *chain_of_cookie(struct blk_dev *dev, void *cookie)
{
    uintptr_t base = (uintptr_t)dev->chains, p = (uintptr_t)cookie;

    if (p < base || p >= base + dev->n_chains * sizeof(struct blk_chain) ||
        (p - base) % sizeof(struct blk_chain))
        return NULL;
    struct blk_chain *ch = cookie;
    return ch->req ? ch : NULL;
}

static bool req_valid(const struct blk_dev *dev, const struct blk_req *req)
{
    uintptr_t base = (uintptr_t)dev->reqs, p = (uintptr_t)req;

    if (p < base || p >= base + dev->n_reqs * sizeof(struct blk_req) ||
        (p - base) % sizeof(struct blk_req))
        return false;
    return req->state != BLK_REQ_FREE;
}

/* ---- completion -------------------------------------------------------------------------- */

static const char *op_name(enum blk_op op)
{
    switch (op) {
    case BLK_OP_READ:
        return "read";
    case BLK_OP_WRITE:
        return "write";
    case BLK_OP_FLUSH:
        return "flush";
    case BLK_OP_DISCARD:
        return "discard";
    case BLK_OP_WRITE_ZEROES:
        return "write-zeroes";
    case BLK_OP_GET_ID:
        return "get-id";
    }
    return "request";
}

static const char *err_name(int err)
{
    switch (err) {
    case -EIO:
        return "I/O error";
    case -EOPNOTSUPP:
        return "not supported by the device";
    case -ETIMEDOUT:
        return "timed out";
    }
    return "error";
}

static void req_finish(struct blk_dev *dev, struct blk_req *req)
{
    req->state = BLK_REQ_DONE;
    dev->stats.inflight--;
    if (req->status)
        dev->stats.errors++;
    /* A failed device logged once for all of its requests. */
    if (req->status && req->op != BLK_OP_GET_ID && !dev->dead) {
        os_log("%s: %s of %llu bytes at sector %llu failed: %s", dev->vdev->name, op_name(req->op),
               (unsigned long long)req->bytes, (unsigned long long)req->sector,
               err_name(req->status));
    }
}

static void chain_done(struct blk_dev *dev, struct blk_chain *ch, int err)
{
    struct blk_req *req = ch->req;

    blk_chain_release(dev, ch);
    if (req->state != BLK_REQ_INFLIGHT)
        return;
    if (err && !req->status)
        req->status = err;
    if (--req->chains_pending == 0)
        req_finish(dev, req);
}

/* The device's answer for one chain: its status byte and the bytes it says it wrote. */
static int chain_result(struct blk_dev *dev, struct blk_chain *ch, uint32_t len)
{
    uint8_t status = ((volatile struct blk_wire *)&dev->wire[ch->index])->status;

    if (len == 0) {
        os_log("%s: device completed a request without writing its status", dev->vdev->name);
        return -EIO;
    }
    switch (status) {
    case BLK_S_OK:
        /* A read is only whole when the device says it wrote every byte and the status. */
        if (ch->req->op == BLK_OP_READ && len < ch->bytes + 1u) {
            os_log("%s: device returned %u of %u bytes of a read", dev->vdev->name,
                   (unsigned)(len - 1), (unsigned)ch->bytes);
            return -EIO;
        }
        return 0;
    case BLK_S_IOERR:
        return -EIO;
    case BLK_S_UNSUPP:
        return -EOPNOTSUPP;
    }
    os_log("%s: device answered unknown status %u", dev->vdev->name, (unsigned)status);
    return -EIO;
}

void blk_collect(struct blk_dev *dev)
{
    void *cookie;
    uint32_t len;

    while (!dev->dead) {
        int rc = vq_pop(dev->vq, &cookie, &len);
        if (rc == -EAGAIN)
            return;
        if (rc) {
            blk_fail_device(dev, NULL, "request queue broken");
            return;
        }
        struct blk_chain *ch = chain_of_cookie(dev, cookie);
        if (!ch) {
            blk_fail_device(dev, NULL, "completion for a request not in flight");
            return;
        }
        chain_done(dev, ch, chain_result(dev, ch, len));
    }
}

void blk_interrupt(struct virtio_device *vdev)
{
    struct blk_dev *dev = blk_of(vdev);

    if (dev)
        blk_collect(dev);
}

void blk_fail_device(struct blk_dev *dev, struct blk_req *expired, const char *why)
{
    struct virtio_device *vdev = dev->vdev;

    if (!dev->dead) {
        dev->dead = true;
        dev->info.failed = true;
        /* Only a reset guarantees the device stops touching buffers we hand back. */
        (void)virtio_device_fail(vdev, why);
    }
    for (uint16_t i = 0; i < dev->n_reqs; i++) {
        struct blk_req *req = &dev->reqs[i];
        if (req->state != BLK_REQ_INFLIGHT)
            continue;
        req->status = req == expired ? -ETIMEDOUT : -EIO;
        req_finish(dev, req);
    }
}

/* ---- waiting ----------------------------------------------------------------------------- */

/* Interrupts disabled. A request past its deadline takes the whole device down. */
static void check_deadline(struct blk_dev *dev, struct blk_req *req)
{
    if (req->state == BLK_REQ_INFLIGHT && os_time_ns() >= req->deadline) {
        blk_fail_device(dev, req, "request timed out");
    }
}

static int take_result(struct blk_dev *dev, struct blk_req *req)
{
    int rc = req->status;
    blk_req_release(dev, req);
    return rc;
}

int blk_poll(struct blk_dev *dev, struct blk_req *req)
{
    unsigned long irq = os_irq_disable();
    int rc = -EINPROGRESS;

    if (!dev || !req_valid(dev, req)) {
        rc = -EINVAL;
    } else {
        if (req->state == BLK_REQ_INFLIGHT) {
            blk_collect(dev);
            check_deadline(dev, req);
        }
        if (req->state == BLK_REQ_DONE)
            rc = take_result(dev, req);
    }
    os_irq_restore(irq);
    return rc;
}

/* Interrupts disabled. Watches the used ring for up to spin_ns with the device asked not to
 * interrupt; true when a completion arrived. Device interrupts then stay off: a device may
 * publish used->idx before it reads the flag (QEMU's virtio-blk with ioeventfd, as on PCI,
 * reads it in a later bottom half), so switching them on as soon as a completion shows up
 * turns nearly every watched completion into an interrupt. They go back on only before a
 * sleep (wait_step); every waiter collects before it waits, so nothing relies on them between. */
static bool spin_for_used(struct blk_dev *dev)
{
    uint64_t deadline = os_time_ns() + dev->spin_ns;

    vq_disable_cb(dev->vq);
    do {
        if (vq_has_used(dev->vq))
            return true;
    } while (os_time_ns() < deadline);
    return false;
}

/* Interrupts disabled on entry and on return. Polled: look again (letting other interrupts in
 * for a moment); otherwise watch the ring briefly, then sleep until an interrupt. Device
 * interrupts are switched on and the ring checked once more before the sleep, so a completion
 * is never missed by it. */
static unsigned long wait_step(struct blk_dev *dev, unsigned long irq)
{
    if (dev->polled) {
        os_irq_restore(irq);
        return os_irq_disable();
    }
    if (dev->spin_ns && dev->stats.inflight <= BLK_SPIN_MAX_INFLIGHT && spin_for_used(dev))
        return irq;
    vq_enable_cb(dev->vq);
    if (!vq_has_used(dev->vq))
        os_wait();
    return irq;
}

int blk_wait(struct blk_dev *dev, struct blk_req *req)
{
    unsigned long irq = os_irq_disable();
    int rc;

    for (;;) {
        if (!dev || !req_valid(dev, req)) {
            rc = -EINVAL;
            break;
        }
        if (req->state == BLK_REQ_INFLIGHT)
            blk_collect(dev);
        if (req->state == BLK_REQ_DONE) {
            rc = take_result(dev, req);
            break;
        }
        check_deadline(dev, req);
        if (req->state == BLK_REQ_DONE)
            continue;
        irq = wait_step(dev, irq);
    }
    os_irq_restore(irq);
    return rc;
}

int blk_wait_any(struct blk_dev *dev)
{
    unsigned long irq = os_irq_disable();
    int rc = -EAGAIN;
    uint64_t finished;

    if (!dev) {
        os_irq_restore(irq);
        return -EINVAL;
    }
    finished = dev->stats.requests - dev->stats.inflight;
    for (;;) {
        if (dev->dead) {
            rc = -EIO;
            break;
        }
        blk_collect(dev);
        if (dev->stats.requests - dev->stats.inflight != finished) {
            rc = 0;
            break;
        }
        if (dev->stats.inflight == 0)
            break;
        uint64_t now = os_time_ns();
        for (uint16_t i = 0; i < dev->n_reqs && !dev->dead; i++)
            if (dev->reqs[i].state == BLK_REQ_INFLIGHT && now >= dev->reqs[i].deadline)
                blk_fail_device(dev, &dev->reqs[i], "request timed out");
        if (dev->dead) {
            rc = 0;
            break;
        }
        irq = wait_step(dev, irq);
    }
    os_irq_restore(irq);
    return rc;
}

void blk_set_polled(struct blk_dev *dev, bool polled)
{
    unsigned long irq = os_irq_disable();

    dev->polled = polled || dev->vdev->polled;
    if (dev->polled)
        vq_disable_cb(dev->vq);
    else
        vq_enable_cb(dev->vq);
    os_irq_restore(irq);
}

bool blk_polled(const struct blk_dev *dev)
{
    return dev->polled;
}

void blk_set_spin(struct blk_dev *dev, uint64_t ns)
{
    dev->spin_ns = ns;
}

uint64_t blk_spin(const struct blk_dev *dev)
{
    return dev->spin_ns;
}

void blk_set_timeout(struct blk_dev *dev, uint64_t ns)
{
    dev->timeout_ns = ns ? ns : BLK_TIMEOUT_NS;
}

/* ---- GET_ID at probe --------------------------------------------------------------------- */

int blk_read_serial(struct blk_dev *dev)
{
    struct virtio_device *vdev = dev->vdev;
    struct blk_req *req = NULL;
    unsigned long irq;
    int rc;

    /* Requests are served only after DRIVER_OK: ask the core for it before probe returns. */
    virtio_device_ready(vdev);

    irq = os_irq_disable();
    rc = blk_submit_get_id(dev, &req);
    if (rc) {
        os_irq_restore(irq);
        os_log("%s: cannot queue GET_ID: error %d", vdev->name, rc);
        return rc;
    }
    uint64_t deadline = os_time_ns() + BLK_PROBE_TIMEOUT_NS;
    while (req->state == BLK_REQ_INFLIGHT) {
        blk_collect(dev);
        if (req->state == BLK_REQ_INFLIGHT && os_time_ns() >= deadline)
            blk_fail_device(dev, req, "GET_ID got no answer");
    }
    rc = req->status;
    blk_req_release(dev, req);
    os_irq_restore(irq);
    if (rc == -ETIMEDOUT || rc == -EIO) {
        if (dev->dead)
            return -ETIMEDOUT;
        rc = 0; /* an I/O error on GET_ID: no serial, the device may still work */
    }
    dev->info.serial[0] = '\0';
    if (rc == 0) {
        const volatile uint8_t *id = blk_id_buffer(dev);
        unsigned n = 0;
        /* The answer is up to 20 bytes, NUL-terminated only when shorter; keep printable ASCII. */
        while (n < BLK_ID_BYTES && id[n] >= 0x20 && id[n] < 0x7f) {
            dev->info.serial[n] = (char)id[n];
            n++;
        }
        dev->info.serial[n] = '\0';
    }
    return 0;
}
