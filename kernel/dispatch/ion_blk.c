/* The blk channel (CMD_BLK_* from abi/ion.toml): a fiber's raw block commands. Each names the
 * capability it acts through; the arguments (BlkArgs: lba, count in the device's logical blocks,
 * buf, len = count * block size) are checked before anything reaches the Valve; the buffer is
 * pinned (every page mapped user-accessible, writable for a read) and handed to the Valve as
 * it is, so the device moves the data straight to or from the fiber's pages: no kernel copy. */
#include <errno.h>
#include <string.h>

#include <ion_gen/ion_cmds.h>
#include <kernel/cpu.h>
#include <kernel/fiber.h>
#include <kernel/vm.h>

#include "dispatch_priv.h"

#define WAIT_ROUND (10ul * 1000 * 1000) /* ns */

static struct os_event window_freed; /* a pinned window became free */
static unsigned window_waiters;      /* fibers waiting for one: only then is it signalled */

/* The Valve ended a command (interrupts disabled): its window goes, its completion is posted. */
static void blk_done(struct block_req *r, void *ctx)
{
    struct ion_cmd *cmd = ctx;
    struct ion_chan *ch = cmd->ch;

    if (cmd->kva) {
        vm_unpin(cmd->kva, cmd->len);
        cmd->kva = 0;
        if (window_waiters)
            os_event_signal(&window_freed);
    }
    cmd->busy = false;
    dispatch_counters.inflight--;
    chan_complete(ch, cmd->tag, r->status == 0 ? (int64_t)cmd->len : r->status);
    chan_cmd_put(ch, cmd);
}

static int64_t blk_info(struct proc *p, unsigned dev, const struct BlkArgs *a)
{
    struct block_info info;
    struct BlkInfo out;
    int rc = block_info(&p->subj, dev, &info);

    if (rc)
        return rc;
    if (a->len < sizeof(out))
        return -EINVAL;
    memset(&out, 0, sizeof(out));
    out.blocks = info.total_blocks;
    out.block_size = info.block_size;
    out.flags = (info.read_only ? 1u : 0) | (info.write_cache ? 2u : 0);
    out.seg_max = info.seg_max;
    out.size_max = info.size_max;
    out.queue_size = info.queue_size;
    return vm_copyout(fiber_space(), a->buf, &out, sizeof(out)) ? -EFAULT : (int64_t)sizeof(out);
}

static int64_t blk_stats(struct proc *p, unsigned dev, const struct BlkArgs *a)
{
    struct block_stats st;
    struct BlkStats out;
    int rc = block_stats(&p->subj, dev, &st);

    if (rc)
        return rc;
    if (a->len < sizeof(out))
        return -EINVAL;
    out.requests = st.requests;
    out.kicks = st.kicks;
    out.interrupts = st.interrupts;
    out.errors = st.errors;
    return vm_copyout(fiber_space(), a->buf, &out, sizeof(out)) ? -EFAULT : (int64_t)sizeof(out);
}

/* Pins the fiber's buffer, waiting while every window is taken. Interrupts stay off around
 * vm_pin: completions unpin from the interrupt handler. */
static uintptr_t pin(uint64_t buf, size_t len, unsigned need, int *err)
{
    for (;;) {
        unsigned long irq = cpu_irq_save();
        uintptr_t kva = vm_pin(fiber_space(), buf, len, need, err);
        bool wait = !kva && *err == -EAGAIN;
        if (wait)
            window_waiters++; /* counted before interrupts are on: no unpin goes unsignalled */
        cpu_irq_restore(irq);
        if (!wait)
            return kva;
        if (!fiber_killed())
            (void)os_event_wait(&window_freed, WAIT_ROUND);
        irq = cpu_irq_save();
        window_waiters--;
        cpu_irq_restore(irq);
        if (fiber_killed()) {
            *err = -EINTR;
            return 0;
        }
    }
}

/* Hands cmd's request (op, lba, count, the pinned window kva of len bytes, or none) to the
 * Valve as the fiber, resubmitting while the queue is full of others' requests: 0 (taken: the
 * completion comes through blk_done) or the refusal (the window is unpinned again). */
static int submit(struct proc *p, struct ion_cmd *cmd, enum block_op op, unsigned dev,
                  const struct BlkArgs *a, uintptr_t kva, bool more)
{
    struct block_req *r = &cmd->br;
    int rc;

    /* The caller's fields; block_submit sets the rest. */
    r->owner = &p->subj;
    r->op = op;
    r->dev = dev;
    r->lba = a ? a->lba : 0;
    r->count = a ? a->count : 0;
    r->buf = (void *)kva;
    r->len = a ? a->len : 0; /* the Valve checks it is count blocks */
    r->complete = blk_done;
    r->ctx = cmd;
    r->flags = 0;
    /* More commands follow in this batch: one notification at its end (ion_blk_kick). */
    if (more && dev < 32) {
        r->flags = BLOCK_F_NOKICK;
        p->kick |= 1u << dev;
    }
    cmd->kva = kva;
    cmd->len = a ? a->len : 0;
    unsigned long irq = cpu_irq_save();
    cmd->busy = true;
    dispatch_counters.inflight++;
    cpu_irq_restore(irq);
    for (;;) {
        rc = block_submit(r);
        if (rc != -EAGAIN)
            break;
        ion_blk_kick(p); /* what this batch queued must move before room can come */
        (void)block_wait_any(&p->subj, dev);
        if (fiber_killed()) {
            rc = -EINTR;
            break;
        }
    }
    if (rc == 0)
        return 0;
    irq = cpu_irq_save();
    if (kva)
        vm_unpin(kva, cmd->len);
    cmd->kva = 0;
    cmd->busy = false;
    dispatch_counters.inflight--;
    cpu_irq_restore(irq);
    return rc;
}

/* READ and WRITE: checks, pins, submits. */
static int64_t blk_rw(struct proc *p, unsigned dev, bool write, const struct BlkArgs *a,
                      struct ion_cmd *cmd, bool more, bool *taken)
{
    if (a->count == 0 || a->len == 0)
        return -EINVAL;
    if (a->len > VM_PIN_WINDOW_BYTES - VM_PAGE)
        return -E2BIG;
    if (a->buf % BLOCK_BUF_ALIGN)
        return -EFAULT;
    /* The access, len = count blocks, range and read-only are the Valve's checks (-EPERM,
     * -EINVAL, -ERANGE, -EROFS) in block_submit, made before the device sees anything; the
     * pin before them only maps what the fiber may give. */
    int err;
    uintptr_t kva = pin(a->buf, a->len, write ? VM_R : VM_W, &err);
    if (!kva)
        return err;
    int rc = submit(p, cmd, write ? BLOCK_OP_WRITE : BLOCK_OP_READ, dev, a, kva, more);
    *taken = rc == 0;
    return rc;
}

static int64_t blk_flush(struct proc *p, unsigned dev, struct ion_cmd *cmd, bool *taken)
{
    int rc = submit(p, cmd, BLOCK_OP_FLUSH, dev, NULL, 0, false);
    *taken = rc == 0;
    return rc;
}

void ion_blk_kick(struct proc *p)
{
    while (p->kick) {
        unsigned dev = (unsigned)__builtin_ctz(p->kick);
        p->kick &= p->kick - 1;
        (void)block_kick(&p->subj, dev);
    }
}

int64_t ion_blk_command(struct proc *p, const struct ion_sqe *e, struct ion_cmd *cmd, bool more,
                        bool *taken)
{
    uint8_t need;
    struct cap_view v;
    struct BlkArgs a;

    switch (e->op) {
    case CMD_BLK_READ:
        need = CMD_BLK_READ_RIGHTS;
        break;
    case CMD_BLK_WRITE:
        need = CMD_BLK_WRITE_RIGHTS;
        break;
    case CMD_BLK_INFO:
        need = CMD_BLK_INFO_RIGHTS;
        break;
    case CMD_BLK_FLUSH:
        need = CMD_BLK_FLUSH_RIGHTS;
        break;
    case CMD_BLK_STATS:
        need = CMD_BLK_STATS_RIGHTS;
        break;
    default:
        dispatch_counters.invalid++;
        return -ENOSYS;
    }
    int rc = cap_check(&p->cs, e->slot, CAP_BLOCK, need, &v);
    if (rc) {
        dispatch_counters.denied++;
        return rc;
    }
    memcpy(&a, (const void *)e->arg, sizeof(a));
    int64_t res;
    switch (e->op) {
    case CMD_BLK_INFO:
        res = blk_info(p, v.object, &a);
        break;
    case CMD_BLK_FLUSH:
        res = blk_flush(p, v.object, cmd, taken);
        break;
    case CMD_BLK_STATS:
        res = blk_stats(p, v.object, &a);
        break;
    default:
        res = blk_rw(p, v.object, e->op == CMD_BLK_WRITE, &a, cmd, more, taken);
        break;
    }
    if (res < 0 && res != -EIO && res != -EINTR && res != -ENODEV)
        dispatch_counters.invalid++;
    return res;
}
