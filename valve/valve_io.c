/* Block Valve request engine: block_submit (the one entry point), block_poll, block_wait.
 * A request is cut into device requests ("chunks") of whole logical blocks, up to
 * BLOCK_MAX_CHUNKS in flight, each describing the caller's own buffer page by page (zero copy). A
 * full queue is waited out, never an error. It never copies or inspects data and never allocates;
 * all its state lives in the caller's struct block_req (requests in flight are linked through it).
 */
#include <errno.h>
#include <string.h>

#include <virtio/os.h>
#include <virtio/virtqueue.h>

#include "blk/blk.h"
#include "valve.h"
#include "valve_priv.h"

#define VALVE_PAGE          4096u
#define VALVE_SEGS          64u        /* segments one chunk may describe */
#define VALVE_CHUNK_BYTES   (1u << 20) /* bytes per chunk to start with */
#define VALVE_SEG_BYTES_MAX (1u << 30) /* one merged segment */

static uint32_t units(const struct block_req *r)
{
    return r->op == BLOCK_OP_FLUSH ? 1 : r->count;
}

static bool finished(const struct block_req *r)
{
    return r->n_chunks == 0 && (r->stop || r->next >= units(r));
}

/* Every request between block_submit and its final status, linked through the caller's own
 * struct: when a queue is full, the finished device requests of all of them are taken back. */
static struct block_req *live_head;

static void live_add(struct block_req *r)
{
    r->live_prev = NULL;
    r->live_next = live_head;
    if (live_head)
        live_head->live_prev = r;
    live_head = r;
}

static void live_remove(struct block_req *r)
{
    if (r->live_prev)
        r->live_prev->live_next = r->live_next;
    else
        live_head = r->live_next;
    if (r->live_next)
        r->live_next->live_prev = r->live_prev;
    r->live_prev = r->live_next = NULL;
}

static int complete(struct block_req *r)
{
    live_remove(r);
    r->status = r->err ? r->err : r->submit_err;
    return r->status;
}

/* Bus-address segments for up to `max` bytes of the buffer from byte `off`: one per page,
 * merged while physically contiguous, cut back to whole logical blocks. Returns the bytes covered.
 */
static uint32_t build_segs(void *buf, uint64_t off, uint32_t max, uint32_t block_size,
                           struct vq_seg *segs, unsigned *n_out)
{
    const uint8_t *p = (const uint8_t *)buf + off;
    uint32_t got = 0, keep;
    unsigned n = 0;

    while (got < max) {
        uintptr_t va = (uintptr_t)(p + got);
        uint32_t len = VALVE_PAGE - (uint32_t)(va % VALVE_PAGE);
        if (len > max - got)
            len = max - got;
        uint64_t pa = os_virt_to_phys((const void *)va);
        if (n && segs[n - 1].addr + segs[n - 1].len == pa &&
            segs[n - 1].len + len <= VALVE_SEG_BYTES_MAX) {
            segs[n - 1].len += len;
        } else {
            if (n == VALVE_SEGS)
                break;
            segs[n].addr = pa;
            segs[n].len = len;
            n++;
        }
        got += len;
    }
    keep = got - got % block_size;
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

static int submit_chunk(struct block_req *r, struct blk_dev *b, unsigned flags)
{
    const struct blk_info *bi = blk_info(b);
    const uint32_t bs = bi->blk_size, spb = valve_sectors_per_block(bi);
    const uint32_t left = units(r) - r->next;
    const uint64_t sector = (r->lba + r->next) * spb;
    struct blk_req *token = NULL;
    uint32_t count;
    int rc;

    switch (r->op) {
    case BLOCK_OP_FLUSH:
        count = 1;
        rc = blk_submit(b, BLK_OP_FLUSH, 0, NULL, 0, flags, &token);
        break;
    case BLOCK_OP_DISCARD:
    case BLOCK_OP_WRITE_ZEROES: {
        uint32_t max =
            (r->op == BLOCK_OP_DISCARD ? bi->max_discard_sectors : bi->max_write_zeroes_sectors) /
            spb;
        count = left < max ? left : max;
        rc = blk_submit_range(b, r->op == BLOCK_OP_DISCARD ? BLK_OP_DISCARD : BLK_OP_WRITE_ZEROES,
                              sector, count * spb, flags, &token);
        break;
    }
    default: {
        struct vq_seg segs[VALVE_SEGS];
        unsigned n;
        uint32_t want = left * bs < r->chunk_max ? left * bs : r->chunk_max;
        uint32_t bytes = build_segs(r->buf, (uint64_t)r->next * bs, want, bs, segs, &n);
        count = bytes / bs;
        if (count == 0)
            return -EINVAL;
        rc = blk_submit(b, r->op == BLOCK_OP_READ ? BLK_OP_READ : BLK_OP_WRITE, sector, segs, n,
                        flags, &token);
        break;
    }
    }
    if (rc)
        return rc;
    struct block_chunk *c = &r->chunks[(r->head + r->n_chunks) % BLOCK_MAX_CHUNKS];
    c->token = token;
    c->count = count;
    c->status = 0;
    c->done = false;
    r->n_chunks++;
    r->next += count;
    return 0;
}

/* Takes back the results of chunks that finished (each frees the device's record of it); with
 * wait_head, waits for the oldest. Returns how many it took. */
static unsigned collect(struct block_req *r, struct blk_dev *b, bool wait_head)
{
    unsigned taken = 0;

    for (unsigned k = 0; k < r->n_chunks; k++) {
        struct block_chunk *c = &r->chunks[(r->head + k) % BLOCK_MAX_CHUNKS];
        if (c->done)
            continue;
        int st = (k == 0 && wait_head) ? blk_wait(b, c->token) : blk_poll(b, c->token);
        if (st == -EINPROGRESS)
            continue;
        c->done = true;
        c->status = st;
        taken++;
        if (st)
            r->stop = true;
    }
    return taken;
}

static bool own_in_flight(const struct block_req *r)
{
    for (unsigned k = 0; k < r->n_chunks; k++)
        if (!r->chunks[(r->head + k) % BLOCK_MAX_CHUNKS].done)
            return true;
    return false;
}

/* The device said its queue is full (-EAGAIN). Room comes back as device requests finish, but
 * a finished one keeps its record in the device until its owner takes the result: so first
 * take the results of every request in flight on this device into their own chunks (their
 * owners find them there). Then, if r may wait and has nothing in flight whose completion
 * would free room, wait for any completion. 0: try again; -EAGAIN: not now (the caller
 * waits for r's own chunks, or may not wait); -EIO: the device failed, or the queue stays
 * full with nothing in flight (it lost descriptors). `idle`: the device had nothing in
 * flight at the last wait; the completions that emptied it are taken back once more. */
static int make_room(struct block_req *r, struct blk_dev *b, bool may_wait, bool *idle)
{
    unsigned taken = 0;

    for (struct block_req *q = live_head; q; q = q->live_next)
        if (q->dev == r->dev)
            taken += collect(q, b, false);
    if (taken)
        return 0;
    if (own_in_flight(r) || !may_wait)
        return -EAGAIN;
    blk_kick(b); /* whatever fills the queue must be moving for us to wait on it */
    int rc = blk_wait_any(b);
    if (rc != -EAGAIN)
        return rc;
    if (*idle)
        return -EIO;
    *idle = true;
    return 0;
}

/* Hands chunks to the device until the request is all out, BLOCK_MAX_CHUNKS are in flight or
 * the queue is full. A full queue is made room in (make_room); with may_wait and none of our
 * chunks in flight that may mean waiting (otherwise the caller waits for our own chunks). */
static void pump(struct block_req *r, struct blk_dev *b, unsigned flags, bool may_wait)
{
    const uint32_t bs = blk_info(b)->blk_size;
    bool idle = false;

    while (!r->stop && r->next < units(r) && r->n_chunks < BLOCK_MAX_CHUNKS) {
        int rc = submit_chunk(r, b, flags);
        if (rc == 0) {
            idle = false;
            continue;
        }
        if (rc == -E2BIG && r->chunk_max > bs) {
            r->chunk_max = (r->chunk_max / 2) / bs * bs;
            if (r->chunk_max < bs)
                r->chunk_max = bs;
            continue;
        }
        if (rc == -EAGAIN) {
            rc = make_room(r, b, may_wait, &idle);
            if (rc == 0)
                continue;
            if (rc == -EAGAIN)
                return;
            if (rc == -EIO && !blk_info(b)->failed)
                os_log("valve: %s: queue full with nothing in flight", blk_vdev(b)->name);
        }
        if (rc == -EINVAL && (r->op == BLOCK_OP_READ || r->op == BLOCK_OP_WRITE))
            os_log("valve: %s: the buffer at %p is too fragmented for the device's seg_max",
                   blk_vdev(b)->name, r->buf);
        r->stop = true;
        r->submit_err = rc;
    }
}

/* Retires finished chunks in LBA order: `done` grows only over an unbroken run of successes. */
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

int block_submit(struct block_req *r)
{
    struct blk_dev *b = NULL;
    int rc;

    if (!r)
        return -EINVAL;
    r->status = -EINPROGRESS;
    r->done = 0;
    r->next = 0;
    r->head = 0;
    r->n_chunks = 0;
    r->stop = false;
    r->err = 0;
    r->submit_err = 0;
    r->chunk_max = VALVE_CHUNK_BYTES;
    memset(r->chunks, 0, sizeof(r->chunks));

    rc = block_check_access(r);
    if (!rc)
        rc = valve_validate(r, &b);
    if (rc)
        return r->status = rc;
    if (r->op == BLOCK_OP_FLUSH && !blk_info(b)->flush)
        return r->status = 0; /* no write cache: nothing to make durable */

    live_add(r);
    pump(r, b, (r->flags & BLOCK_F_NOKICK) ? BLK_SUBMIT_NOKICK : 0, true);
    if (finished(r))
        return complete(r);
    return 0;
}

/* The device of a request still in flight, or NULL with *rc its final status. */
static struct blk_dev *in_flight(struct block_req *r, int *rc)
{
    struct blk_dev *b;

    if (!r) {
        *rc = -EINVAL;
        return NULL;
    }
    if (r->status != -EINPROGRESS) {
        *rc = r->status;
        return NULL;
    }
    b = valve_device(r->dev);
    if (!b) {
        live_remove(r);
        *rc = r->status = -ENODEV;
    }
    return b;
}

/* One round: take completions, hand out more chunks; the final status, or -EINPROGRESS. */
static int step(struct block_req *r, struct blk_dev *b, bool may_wait)
{
    collect(r, b, may_wait);
    retire(r);
    pump(r, b, 0, may_wait);
    return finished(r) ? complete(r) : -EINPROGRESS;
}

int block_poll(struct block_req *r)
{
    int rc;
    struct blk_dev *b = in_flight(r, &rc);

    return b ? step(r, b, false) : rc;
}

int block_wait_any(unsigned dev)
{
    struct blk_dev *b = valve_device(dev);

    if (!b)
        return -ENODEV;
    int rc = blk_wait_any(b);
    return rc == -EAGAIN ? 0 : rc;
}

int block_wait(struct block_req *r)
{
    int rc;
    struct blk_dev *b = in_flight(r, &rc);

    if (!b)
        return rc;
    if (r->flags & BLOCK_F_NOKICK)
        blk_kick(b);
    while ((rc = step(r, b, true)) == -EINPROGRESS)
        ;
    return rc;
}

void block_kick(unsigned dev)
{
    struct blk_dev *b = valve_device(dev);

    if (b)
        blk_kick(b);
}
