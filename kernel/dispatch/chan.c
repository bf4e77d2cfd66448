/* A fiber's command channel: SYS_ION_SETUP lays out its submission and completion rings in
 * pages shared with the fiber; SYS_ION_ENTER takes what the fiber posted (every index and entry
 * hostile until ion/ion_ring.c checked it), hands each command to its channel's handler by code
 * range (abi/ion.toml), then waits for completions. The completion ring never overflows: a
 * command is taken only while the completions in flight and unread fit in it. */
#include <errno.h>
#include <string.h>

#include <dispatch/ion_plugin.h>
#include <ion_gen/ion_cmds.h>
#include <kernel/cpu.h>
#include <kernel/fiber.h>
#include <kernel/kernel.h>
#include <kernel/vm.h>

#include "dispatch_priv.h"

#define ION_USER_VA 0x3000000000ul       /* where a fiber's rings are mapped */
#define WAIT_ROUND  (10ul * 1000 * 1000) /* ns: a waiter checks for kill this often */
#define CQ_ALIGN    64u

static size_t round_up(size_t v, size_t a)
{
    return (v + a - 1) / a * a;
}

/* Completions posted and not yet taken by the fiber (its head is hostile: a value outside what
 * was posted breaks the channel). Interrupts disabled. */
static uint32_t cq_unread(struct ion_chan *ch)
{
    uint32_t unread = ch->cq.tail - ch->cq.hdr->head;

    if (unread > ch->cq_entries) {
        ch->broken = true;
        return 0;
    }
    return unread;
}

void chan_complete(struct ion_chan *ch, uint64_t tag, int64_t result)
{
    if (!ch->broken && ion_cq_push(&ch->cq, tag, result) != 0) {
        ch->broken = true; /* the fiber moved its head: nothing more is posted */
        dispatch_counters.broken++;
    }
    ch->inflight--;
    os_event_signal(&ch->ev);
}

void chan_cmd_put(struct ion_chan *ch, struct ion_cmd *cmd)
{
    cmd->next = ch->free;
    ch->free = cmd;
}

long chan_setup(const unsigned long a[6])
{
    struct proc *p = proc_self();
    uint32_t n = (uint32_t)a[0];

    if (!p)
        return -EPERM;
    if (a[0] == 0 || a[0] > ION_SQ_MAX || (n & (n - 1)))
        return -EINVAL;
    if (p->ch.open)
        return -EBUSY;
    struct ion_chan *ch = &p->ch;
    size_t cq_off = round_up(ion_sq_bytes(n), CQ_ALIGN);
    size_t bytes = cq_off + ion_cq_bytes(2 * n);
    unsigned pages = (unsigned)(round_up(bytes, VM_PAGE) / VM_PAGE);
    unsigned cmd_pages = (unsigned)(round_up(n * sizeof(struct ion_cmd), VM_PAGE) / VM_PAGE);
    uint8_t *mem = page_alloc(pages);
    struct ion_cmd *cmds = mem ? page_alloc(cmd_pages) : NULL;
    if (!cmds) {
        if (mem)
            page_free(mem, pages);
        return -ENOMEM;
    }
    memset(mem, 0, (size_t)pages * VM_PAGE);
    memset(cmds, 0, (size_t)cmd_pages * VM_PAGE);
    for (unsigned i = 0; i < pages; i++) {
        int rc = vm_map_user_page(fiber_space(), ION_USER_VA + i * VM_PAGE, mem + i * VM_PAGE,
                                  VM_R | VM_W);
        if (rc) { /* pages already mapped are the space's now; the rest are still ours */
            page_free(mem + i * VM_PAGE, pages - i);
            page_free(cmds, cmd_pages);
            return rc;
        }
    }
    if (ion_sq_init(&ch->sq, mem, ion_sq_bytes(n), n) ||
        ion_cq_init(&ch->cq, mem + cq_off, ion_cq_bytes(2 * n), 2 * n))
        panic("ion: ring layout of %u entries refused", n);
    struct ion_params out = {
        .sq = ION_USER_VA, .cq = ION_USER_VA + cq_off, .sq_entries = n, .cq_entries = 2 * n};
    if (vm_copyout(fiber_space(), a[1], &out, sizeof(out)))
        return -EFAULT; /* the rings stay: a second setup answers -EBUSY */
    unsigned long irq = cpu_irq_save();
    ch->cq_entries = 2 * n;
    ch->inflight = 0;
    ch->broken = false;
    ch->cmds = cmds;
    ch->cmd_pages = cmd_pages;
    ch->free = NULL;
    for (uint32_t i = n; i-- > 0;) {
        cmds[i].ch = ch;
        chan_cmd_put(ch, &cmds[i]);
    }
    ch->open = true;
    cpu_irq_restore(irq);
    return 0;
}

/* One command, by its code's channel: its final result, or *taken when it completes later. */
static int64_t dispatch_one(struct proc *p, const struct ion_sqe *e, struct ion_cmd *cmd, bool more,
                            bool *taken)
{
    if (e->op >= ION_CH_BLK_BASE && e->op < ION_CH_BLK_BASE + ION_CH_BLK_SIZE)
        return ion_blk_command(p, e, cmd, more, taken);
    if (e->op >= ION_CH_NET_BASE && e->op < ION_CH_NET_BASE + ION_CH_NET_SIZE) {
        ion_blk_kick(p); /* block requests of this batch must not wait behind a sleep */
        return ion_net_command(p, e); /* synchronous: it may sleep */
    }
    if (e->op >= ION_CH_VFS_BASE && e->op < ION_CH_VFS_BASE + ION_CH_VFS_SIZE)
        return endpoint_forward(p, e, cmd, taken); /* the server fiber completes it */
    for (const struct ion_plugin_cmd *c = ion_plugin_cmds; c->code; c++) {
        if (c->code != e->op)
            continue;
        struct cap_view v;
        int rc = cap_check(&p->cs, e->slot, (enum cap_kind)c->cap_kind, c->rights, &v);
        if (rc) {
            dispatch_counters.denied++;
            return rc;
        }
        struct os_ion_call call = {.object = v.object};
        memcpy(call.arg, (const void *)e->arg, sizeof(call.arg));
        return c->handler(&call); /* synchronous: the plugin may sleep */
    }
    dispatch_counters.invalid++;
    return -ENOSYS;
}

/* Takes every command the fiber posted that fits: how many, or -EPROTO (a broken ring). The
 * devices are notified by the caller, once for the batch. Interrupts disabled: a command that
 * waits (a full queue, a net reply) sleeps through os_event_wait, which lets them in meanwhile. */
static long take_all(struct proc *p)
{
    struct ion_chan *ch = &p->ch;
    long n = 0;

    for (;;) {
        struct ion_sqe e;
        uint32_t unread = cq_unread(ch);
        if (ch->broken)
            return -EPROTO;
        if (!ch->free || ch->inflight + unread >= ch->cq_entries)
            break;
        int rc = ion_sq_pop(&ch->sq, &e);
        if (rc == -EPROTO) {
            ch->broken = true;
            dispatch_counters.broken++;
            return -EPROTO;
        }
        if (rc)
            break;
        struct ion_cmd *cmd = ch->free;
        ch->free = cmd->next;
        ch->inflight++;
        dispatch_counters.commands++;

        cmd->tag = e.tag;
        bool taken = false;
        int64_t result = dispatch_one(p, &e, cmd, ion_sq_pending(&ch->sq) > 0, &taken);
        if (!taken) {
            chan_complete(ch, e.tag, result);
            chan_cmd_put(ch, cmd);
        }
        n++;
    }
    return n;
}

/* Interrupts stay disabled for the whole call (they come in while it sleeps), so the many short
 * critical sections of the commands below cost no CSR write each (kernel/cpu.h). */
static long enter(struct proc *p, uint32_t min)
{
    struct ion_chan *ch = &p->ch;
    long taken = take_all(p);

    ion_blk_kick(p);
    if (taken < 0)
        return taken;
    for (;;) {
        uint32_t unread = cq_unread(ch);
        if (ch->broken)
            return -EPROTO;
        if (unread >= min || ch->inflight == 0)
            return taken;
        if (fiber_killed())
            return -EINTR;
        (void)os_event_wait(&ch->ev, WAIT_ROUND);
    }
}

long chan_enter(const unsigned long a[6])
{
    struct proc *p = proc_self();

    if (!p || !p->ch.open)
        return -EINVAL;
    if (a[0] > p->ch.cq_entries)
        return -EINVAL;
    unsigned long irq = cpu_irq_save();
    long rc = enter(p, (uint32_t)a[0]);
    cpu_irq_restore(irq);
    return rc;
}
