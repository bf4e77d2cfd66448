/* Block Valve request engine: block_submit (the one entry point), the completion path, and the
 * calls around it (poll, wait, kick, wait_any, cancel). A request is cut into bios of whole
 * blocks, up to BLOCK_MAX_CHUNKS in flight, each naming the caller's own buffer (zero copy).
 * Each bio's completion advances its request (retire in LBA order, hand out the next bio) and,
 * at the end, calls the caller's completion. Submission never sleeps: a first bio the queue
 * has no room for makes block_submit answer -EAGAIN; a later one parks the request until a bio
 * of the device ends. All request state changes with interrupts disabled. It never copies or
 * inspects data and never allocates: the state lives in the caller's struct block_req. */
#include <errno.h>
#include <string.h>

#include <virtio/os.h>

#include "valve.h"
#include "valve_backend.h"
#include "valve_priv.h"

#define VALVE_CHUNK_BYTES (1u << 20) /* bytes per bio to start with */

/* block_cancel waits on this for the devices to give back the bios of what it ended. */
static struct os_event cancel_ev;

static uint32_t units(const struct block_req *r)
{
    return r->op == BLOCK_OP_FLUSH ? 1 : r->count;
}

static bool finished(const struct block_req *r)
{
    return r->n_chunks == 0 && (r->stop || r->next >= units(r));
}

static void live_add(struct valve_dev *vd, struct block_req *r)
{
    r->live_prev = NULL;
    r->live_next = vd->live;
    if (vd->live)
        vd->live->live_prev = r;
    vd->live = r;
}

static void live_remove(struct valve_dev *vd, struct block_req *r)
{
    if (r->live_prev)
        r->live_prev->live_next = r->live_next;
    else
        vd->live = r->live_next;
    if (r->live_next)
        r->live_next->live_prev = r->live_prev;
    r->live_prev = r->live_next = NULL;
}

static void park(struct valve_dev *vd, struct block_req *r)
{
    r->parked = true;
    r->park_next = NULL;
    if (vd->park_tail)
        vd->park_tail->park_next = r;
    else
        vd->park_head = r;
    vd->park_tail = r;
}

static void unpark_one(struct valve_dev *vd, struct block_req *r)
{
    struct block_req **p = &vd->park_head, *prev = NULL;

    for (; *p; prev = *p, p = &(*p)->park_next) {
        if (*p == r) {
            *p = r->park_next;
            if (vd->park_tail == r)
                vd->park_tail = prev;
            break;
        }
    }
    r->parked = false;
    r->park_next = NULL;
}

/* The request's end: the last time the Valve touches it. */
static void complete(struct block_req *r)
{
    live_remove(r->vd, r);
    r->status = r->err ? r->err : r->submit_err;
    if (r->complete)
        r->complete(r, r->ctx);
    else
        os_event_signal(&r->ev);
}

static void chunk_done(void *ctx, int status);

/* Hands the next bio of r to the backend: 0, or the backend's -errno. */
static int submit_chunk(struct block_req *r)
{
    struct valve_dev *vd = r->vd;
    const uint32_t bs = vd->geom.block_size;
    const bool rw = r->op == BLOCK_OP_READ || r->op == BLOCK_OP_WRITE;
    uint32_t want = units(r) - r->next;
    struct block_chunk *c = &r->chunks[(r->head + r->n_chunks) % BLOCK_MAX_CHUNKS];

    if (rw && want > r->chunk_max / bs)
        want = r->chunk_max / bs;
    const struct valve_bio bio = {
        .op = r->op,
        .lba = r->lba + r->next,
        .count = want,
        .buf = rw ? (uint8_t *)r->buf + (uint64_t)r->next * bs : NULL,
        .kick = !r->hold,
        .done = chunk_done,
        .ctx = c,
    };
    /* Reserved before the call: a backend may complete the bio before it returns. */
    *c = (struct block_chunk){.req = r};
    r->n_chunks++;
    vd->bios_out++;
    int rc = vd->ops->submit(vd->priv, &bio);
    if (rc <= 0) {
        r->n_chunks--;
        vd->bios_out--;
        return rc ? rc : -EIO;
    }
    c->count = (uint32_t)rc > want ? want : (uint32_t)rc;
    r->next += c->count;
    return 0;
}

/* Hands out bios until the request is all out, BLOCK_MAX_CHUNKS are in flight or the device
 * has no room. Returns 0, or -EAGAIN when it stopped for room: then r waits for its own bios,
 * or (none in flight, something already out) is parked until a bio of the device ends. */
static int pump(struct block_req *r)
{
    struct valve_dev *vd = r->vd;
    const uint32_t bs = vd->geom.block_size;

    while (!r->stop && r->next < units(r) && r->n_chunks < BLOCK_MAX_CHUNKS) {
        int rc = submit_chunk(r);
        if (rc == 0)
            continue;
        if (rc == -E2BIG && r->chunk_max > bs) {
            r->chunk_max = (r->chunk_max / 2) / bs * bs;
            if (r->chunk_max < bs)
                r->chunk_max = bs;
            continue;
        }
        if (rc == -EAGAIN && vd->bios_out > 0) {
            if (r->n_chunks == 0 && r->next > 0)
                park(vd, r);
            return -EAGAIN;
        }
        if (rc == -EAGAIN) {
            os_log("valve: %s: queue full with nothing in flight", vd->name);
            rc = -EIO;
        }
        if (rc == -EINVAL && (r->op == BLOCK_OP_READ || r->op == BLOCK_OP_WRITE))
            os_log("valve: %s: the buffer at %p is too fragmented for the device's seg_max",
                   vd->name, r->buf);
        r->stop = true;
        r->submit_err = rc;
    }
    return 0;
}

/* Retires finished bios in LBA order: `done` grows only over an unbroken run of successes. */
static void retire(struct block_req *r)
{
    while (r->n_chunks && r->chunks[r->head].done) {
        const struct block_chunk *c = &r->chunks[r->head];
        if (c->status && !r->err)
            r->err = c->status;
        else if (!c->status && !r->err && r->op != BLOCK_OP_FLUSH)
            r->done += c->count;
        r->head = (r->head + 1) % BLOCK_MAX_CHUNKS;
        r->n_chunks--;
    }
}

/* Takes r as far as it goes now: retire, hand out more, end it when all is back. A completion
 * that arrives while r is being advanced (a backend answering inside submit) only marks it. */
static void advance(struct block_req *r)
{
    if (r->busy) {
        r->again = true;
        return;
    }
    r->busy = true;
    do {
        r->again = false;
        retire(r);
        if (!r->cancelled && !r->parked)
            pump(r);
    } while (r->again);
    r->busy = false;
    if (r->cancelled) {
        if (r->n_chunks == 0) {
            live_remove(r->vd, r);
            os_event_signal(&cancel_ev);
        }
        return;
    }
    if (!r->parked && finished(r))
        complete(r);
}

/* A bio of the device ended: requests waiting for room try again, oldest first. */
static void unpark(struct valve_dev *vd)
{
    struct block_req *list = vd->park_head;

    vd->park_head = vd->park_tail = NULL;
    while (list) {
        struct block_req *r = list;
        list = r->park_next;
        r->park_next = NULL;
        r->parked = false;
        advance(r);
    }
}

/* The backend's completion of one bio; interrupts disabled. */
static void chunk_done(void *ctx, int status)
{
    struct block_chunk *c = ctx;
    struct block_req *r = c->req;
    struct valve_dev *vd = r->vd;

    c->done = true;
    c->status = status;
    if (status)
        r->stop = true;
    vd->bios_out--;
    vd->bios_ended++;
    os_event_signal(&vd->progress);
    advance(r);
    if (vd->park_head)
        unpark(vd);
}

static enum block_access access_of(enum block_op op)
{
    switch (op) {
    case BLOCK_OP_READ:
        return BLOCK_ACCESS_READ;
    case BLOCK_OP_WRITE:
        return BLOCK_ACCESS_WRITE;
    case BLOCK_OP_FLUSH:
        return BLOCK_ACCESS_FLUSH;
    case BLOCK_OP_DISCARD:
        return BLOCK_ACCESS_DISCARD;
    case BLOCK_OP_WRITE_ZEROES:
        return BLOCK_ACCESS_WRITE_ZEROES;
    }
    return BLOCK_ACCESS_INFO; /* unreachable: block_submit refused the op */
}

static bool op_known(enum block_op op)
{
    return op == BLOCK_OP_READ || op == BLOCK_OP_WRITE || op == BLOCK_OP_FLUSH ||
           op == BLOCK_OP_DISCARD || op == BLOCK_OP_WRITE_ZEROES;
}

int block_submit(struct block_req *r)
{
    struct valve_dev *vd = NULL;
    int rc;

    if (!r)
        return -EINVAL;
    r->status = -EINPROGRESS;
    r->done = 0;
    r->vd = NULL;
    r->next = 0;
    r->chunk_max = VALVE_CHUNK_BYTES;
    r->head = r->n_chunks = 0;
    memset(r->chunks, 0, sizeof(r->chunks));
    r->stop = r->hold = r->busy = r->again = r->parked = r->cancelled = false;
    r->err = r->submit_err = 0;
    os_event_init(&r->ev);
    r->live_prev = r->live_next = r->park_next = NULL;

    rc = op_known(r->op) ? block_check_access(r->owner, r->dev, access_of(r->op)) : -EINVAL;
    unsigned long irq = os_irq_disable();
    if (!rc)
        rc = valve_validate(r, &vd);
    if (rc) {
        os_irq_restore(irq);
        return r->status = rc;
    }
    r->vd = vd;
    live_add(vd, r);
    if (r->op == BLOCK_OP_FLUSH && !vd->geom.write_cache) {
        complete(r); /* no write cache: nothing to make durable */
        os_irq_restore(irq);
        return 0;
    }
    r->hold = (r->flags & BLOCK_F_NOKICK) != 0;
    r->busy = true;
    do {
        r->again = false;
        retire(r);
        rc = pump(r);
    } while (r->again);
    r->hold = r->busy = false;
    if (r->next == 0) {
        /* Refused: nothing reached the device. */
        live_remove(vd, r);
        r->status = rc ? rc : (r->submit_err ? r->submit_err : -EIO);
        os_irq_restore(irq);
        return r->status;
    }
    if (!r->parked && finished(r))
        complete(r);
    os_irq_restore(irq);
    return 0;
}

int block_poll(struct block_req *r)
{
    if (!r)
        return -EINVAL;
    if (r->status == -EINPROGRESS && r->vd && r->vd->ops->poll)
        r->vd->ops->poll(r->vd->priv);
    return r->status;
}

int block_wait(struct block_req *r)
{
    if (!r)
        return -EINVAL;
    if (r->status != -EINPROGRESS)
        return r->status;
    if (r->complete)
        return -EINVAL;
    if ((r->flags & BLOCK_F_NOKICK) && r->vd->ops->kick)
        r->vd->ops->kick(r->vd->priv);
    while (r->status == -EINPROGRESS)
        (void)os_event_wait(&r->ev, OS_WAIT_FOREVER);
    return r->status;
}

int block_kick(const struct block_subject *s, unsigned dev)
{
    int rc = block_check_access(s, dev, BLOCK_ACCESS_QUEUE);
    struct valve_dev *vd = rc ? NULL : valve_lookup(dev);

    if (rc)
        return rc;
    if (!vd)
        return -ENODEV;
    if (vd->ops->kick)
        vd->ops->kick(vd->priv);
    return 0;
}

/* Progress counts from the call: a signal left by a bio the caller has already seen end (in
 * its last sweep) does not end the wait. */
int block_wait_any(const struct block_subject *s, unsigned dev)
{
    int rc = block_kick(s, dev);
    struct valve_dev *vd;

    if (rc)
        return rc;
    unsigned long irq = os_irq_disable();
    vd = valve_lookup(dev);
    const uint32_t ended = vd ? vd->bios_ended : 0;
    while (vd && vd->live && vd->bios_ended == ended) {
        (void)os_event_wait(&vd->progress, OS_WAIT_FOREVER);
        vd = valve_lookup(dev);
    }
    os_irq_restore(irq);
    return 0;
}

static bool cancel_pending(void)
{
    for (unsigned i = 0; i < BLOCK_MAX_DEVICES; i++) {
        struct valve_dev *vd = valve_slot(i);
        for (struct block_req *r = vd->used ? vd->live : NULL; r; r = r->live_next)
            if (r->cancelled)
                return true;
    }
    return false;
}

int block_cancel(const struct block_subject *owner)
{
    int n = 0;

    if (!owner)
        return -EINVAL;
    unsigned long irq = os_irq_disable();
    for (unsigned i = 0; i < BLOCK_MAX_DEVICES; i++) {
        struct valve_dev *vd = valve_slot(i);
        bool kick = false;
        for (struct block_req *r = vd->used ? vd->live : NULL, *next; r; r = next) {
            next = r->live_next;
            if (!r->owner || r->owner->id != owner->id || r->cancelled)
                continue;
            n++;
            r->cancelled = r->stop = true;
            r->status = -ECANCELED;
            if (r->parked)
                unpark_one(vd, r);
            if (r->n_chunks == 0)
                live_remove(vd, r);
            else
                kick = true; /* bios queued without a kick must reach the device to end */
        }
        if (kick && vd->ops->kick)
            vd->ops->kick(vd->priv);
    }
    while (cancel_pending())
        (void)os_event_wait(&cancel_ev, OS_WAIT_FOREVER);
    os_irq_restore(irq);
    return n;
}

void valve_io_drop_device(struct valve_dev *vd)
{
    struct block_req *list = vd->park_head;

    vd->park_head = vd->park_tail = NULL;
    while (list) {
        struct block_req *r = list;
        list = r->park_next;
        r->park_next = NULL;
        r->parked = false;
        r->stop = true;
        if (!r->submit_err)
            r->submit_err = -ENODEV;
        if (r->cancelled) {
            live_remove(vd, r);
            os_event_signal(&cancel_ev);
        } else {
            complete(r);
        }
    }
}
