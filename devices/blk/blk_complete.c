/* virtio-blk completions: takes used chains back, checks each status byte and length before
 * believing it, and finishes each request by calling its done function once its record is free
 * again; enforces deadlines from the timer tick, takes a failed device out of use, and gives
 * waiters the os.h hooks (poll, ring watch). Also asks for the serial (GET_ID) at probe.
 * Nothing here allocates. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <virtio/os.h>
#include <virtio/virtio.h>
#include <virtio/virtqueue.h>

#include "blk_priv.h"

#define BLK_PROBE_TIMEOUT_NS (1000ull * 1000 * 1000)
#define BLK_LOG_INTERVAL_NS  (1000ull * 1000 * 1000)

/* A pointer that came back from the ring as a cookie: one of ours, and in flight? Neither
 * check can fail on a device's say-so: vq_pop hands back only cookies from the queue's private
 * records, each once per vq_add (the device names an id, never a pointer, and the core checks
 * it), and no chain is released while its cookie is still with the queue (end_all runs only on
 * a dead device, which blk_collect no longer pops). They guard against a bug on our side, so
 * removing them is harmless to device input (tools/mutate). */
static struct blk_chain *chain_of_cookie(struct blk_dev *dev, void *cookie)
{
    uintptr_t base = (uintptr_t)dev->chains, p = (uintptr_t)cookie;

    if (p < base || p >= base + dev->n_chains * sizeof(struct blk_chain) ||
        (p - base) % sizeof(struct blk_chain))
        return NULL;
    struct blk_chain *ch = cookie;
    return ch->req ? ch : NULL;
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

/* The record goes back before done runs, so the completion may submit at once. An error the
 * device reported (IOERR, UNSUPP) is not logged here: it goes to the caller, who knows what
 * the request was for and says so in one line (the shell's dd, a filesystem); it is counted in
 * the stats. What the caller cannot know (a bad answer, a failed device) is logged where it is
 * found. */
static void req_finish(struct blk_dev *dev, struct blk_req *req)
{
    const blk_done_fn done = req->done;
    void *const ctx = req->ctx;
    const int status = req->status;

    dev->stats.inflight--;
    dev->inflight_bytes -= req->bytes;
    if (status)
        dev->stats.errors++;
    blk_req_release(dev, req);
    done(ctx, status);
}

/* Bad answers are logged at most once per BLK_LOG_INTERVAL_NS per device, so a device that
 * answers every request wrongly cannot flood the console; the next line says how many were
 * left out. True when this one may be logged. */
static bool bad_answer_logged(struct blk_dev *dev)
{
    uint64_t now = os_time_ns();

    if (dev->log_next && now < dev->log_next) {
        dev->log_left_out++;
        return false;
    }
    dev->log_next = now + BLK_LOG_INTERVAL_NS;
    if (dev->log_left_out) {
        os_log("%s: %u more bad answers from the device not shown", dev->vdev->name,
               dev->log_left_out);
        dev->log_left_out = 0;
    }
    return true;
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

    const uint64_t sector = ch->req->sector;

    if (len == 0) {
        if (bad_answer_logged(dev))
            os_log("%s: %s at sector %llu: device completed it without writing its status",
                   dev->vdev->name, op_name(ch->req->op), (unsigned long long)sector);
        return -EIO;
    }
    switch (status) {
    case BLK_S_OK:
        /* A read is only whole when the device says it wrote every byte and the status. */
        if (ch->req->op == BLK_OP_READ && len < ch->bytes + 1u) {
            if (bad_answer_logged(dev))
                os_log("%s: read at sector %llu: device returned %u of %u bytes", dev->vdev->name,
                       (unsigned long long)sector, (unsigned)(len - 1), (unsigned)ch->bytes);
            return -EIO;
        }
        return 0;
    case BLK_S_IOERR:
        return -EIO;
    case BLK_S_UNSUPP:
        return -EOPNOTSUPP;
    }
    if (bad_answer_logged(dev))
        os_log("%s: %s at sector %llu: device answered unknown status %u", dev->vdev->name,
               op_name(ch->req->op), (unsigned long long)sector, (unsigned)status);
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

/* Every request in flight ends with `err` (`expired` with -ETIMEDOUT); their chains are given
 * up too: the device has been reset and will not answer them. */
static void end_all(struct blk_dev *dev, struct blk_req *expired, int err)
{
    for (uint16_t i = 0; i < dev->n_chains; i++)
        if (dev->chains[i].req)
            blk_chain_release(dev, &dev->chains[i]);
    for (uint16_t i = 0; i < dev->n_reqs; i++) {
        struct blk_req *req = &dev->reqs[i];
        if (req->state != BLK_REQ_INFLIGHT)
            continue;
        req->status = req == expired ? -ETIMEDOUT : err;
        req_finish(dev, req);
    }
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
    end_all(dev, expired, -EIO);
}

void blk_end_all(struct blk_dev *dev)
{
    end_all(dev, NULL, -ENODEV);
}

/* ---- deadlines and the poll path ---------------------------------------------------------- */

void blk_process(struct blk_dev *dev)
{
    unsigned long irq = os_irq_disable();
    blk_collect(dev);
    os_irq_restore(irq);
}

/* Timer tick: a request past its deadline takes the whole device down, whoever waits or not.
 * Completions are taken first, so one that only lacked its interrupt is not a timeout. */
static void hook_tick(void *arg)
{
    struct blk_dev *dev = arg;

    if (dev->dead || dev->stats.inflight == 0)
        return;
    blk_collect(dev);
    uint64_t now = os_time_ns();
    for (uint16_t i = 0; i < dev->n_reqs && !dev->dead; i++) {
        struct blk_req *req = &dev->reqs[i];
        if (req->state == BLK_REQ_INFLIGHT && now >= req->deadline) {
            char why[64];
            if (req->op == BLK_OP_FLUSH)
                snprintf(why, sizeof why, "flush timed out");
            else
                snprintf(why, sizeof why, "%s at sector %llu timed out", op_name(req->op),
                         (unsigned long long)req->sector);
            blk_fail_device(dev, req, why);
        }
    }
}

static void hook_poll(void *arg)
{
    struct blk_dev *dev = arg;

    if (dev->stats.inflight)
        blk_collect(dev);
}

/* A waiter watches the used ring for up to spin_ns with the device asked not to interrupt,
 * only while a few small requests are outstanding (a deep queue is not waiting on one
 * completion, a large request takes longer than the watch, and a sleeping CPU leaves the host's
 * I/O threads a core). Device interrupts then stay off until a waiter sleeps (hook_arm): a
 * device may publish used->idx before it reads the flag (QEMU's virtio-blk with ioeventfd reads
 * it in a later bottom half), so switching them on as soon as a completion shows up turns nearly
 * every watched completion into an interrupt. Meanwhile the next waiter's poll or the tick takes
 * completions. Polled: never sleep while work is out. */
static uint64_t hook_watch(void *arg)
{
    struct blk_dev *dev = arg;

    if (dev->dead || dev->stats.inflight == 0)
        return 0;
    if (dev->polled)
        return OS_WATCH_POLLED;
    if (!dev->spin_ns || dev->stats.inflight > BLK_SPIN_MAX_INFLIGHT ||
        dev->inflight_bytes > BLK_SPIN_MAX_BYTES)
        return 0;
    if (!dev->watching) {
        vq_disable_cb(dev->vq);
        dev->watching = true;
    }
    return dev->spin_ns;
}

/* Before the waiter sleeps: interrupts back on, then one more look so a completion published
 * meanwhile is not slept through. */
static bool hook_arm(void *arg)
{
    struct blk_dev *dev = arg;

    if (dev->polled || dev->dead)
        return false;
    vq_enable_cb(dev->vq);
    dev->watching = false;
    return vq_has_used(dev->vq);
}

void blk_hooks_init(struct blk_dev *dev)
{
    dev->hooks = (struct os_hooks){
        .tick = hook_tick, .poll = hook_poll, .watch = hook_watch, .arm = hook_arm, .arg = dev};
}

void blk_set_polled(struct blk_dev *dev, bool polled)
{
    unsigned long irq = os_irq_disable();

    dev->polled = polled || dev->vdev->polled;
    if (dev->polled)
        vq_disable_cb(dev->vq);
    else
        vq_enable_cb(dev->vq);
    dev->watching = false;
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

struct serial_wait {
    bool done;
    int status;
};

static void serial_done(void *ctx, int status)
{
    struct serial_wait *w = ctx;
    w->status = status;
    w->done = true;
}

int blk_read_serial(struct blk_dev *dev)
{
    struct virtio_device *vdev = dev->vdev;
    struct serial_wait w = {false, 0};
    unsigned long irq;
    int rc;

    /* Requests are served only after DRIVER_OK: ask the core for it before probe returns. */
    virtio_device_ready(vdev);

    irq = os_irq_disable();
    rc = blk_submit_get_id(dev, serial_done, &w);
    if (rc) {
        os_irq_restore(irq);
        os_log("%s: cannot queue GET_ID: error %d", vdev->name, rc);
        return rc;
    }
    uint64_t deadline = os_time_ns() + BLK_PROBE_TIMEOUT_NS;
    while (!w.done) {
        blk_collect(dev);
        if (!w.done && os_time_ns() >= deadline) {
            for (uint16_t i = 0; i < dev->n_reqs; i++)
                if (dev->reqs[i].state == BLK_REQ_INFLIGHT)
                    blk_fail_device(dev, &dev->reqs[i], "GET_ID got no answer");
        }
    }
    rc = w.status;
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
