/* Endpoints: a fiber serves the VFS channel's commands (0x2000) of other fibers, NexFS in user
 * mode being the one it is made for. A client posts CMD_VFS_* on its own ring through a CAP_VFS
 * capability to endpoint N ("vfsN"); the dispatch queues the command here (the client's command
 * stays in flight) and wakes the server, which takes it with SYS_EP_RECV, moves data between the
 * client's memory and its own with SYS_EP_COPY (page by page through both tables, bounded), and
 * ends it with SYS_EP_REPLY, which posts the client's completion. A client that ends takes its
 * queued commands with it and its taken ones become stale (the server's copies and reply then
 * fail or are dropped); a server that ends fails every command it held with -EIO and its
 * endpoint's capabilities are revoked. Tokens, ids, addresses and lengths from either side are
 * checked before use. */
#include <errno.h>
#include <string.h>

#include <abi/ion.h>
#include <ion_gen/ion_cmds.h>
#include <kernel/cpu.h>
#include <kernel/fiber.h>
#include <kernel/vm.h>

#include "dispatch_priv.h"

#define EP_MAX     4u
#define EP_QUEUE   64u        /* commands an endpoint holds (queued and taken) */
#define COPY_MAX   (1u << 20) /* bytes one SYS_EP_COPY may move */
#define COPY_CHUNK 512u
#define WAIT_ROUND (10ul * 1000 * 1000)

enum { REQ_FREE, REQ_QUEUED, REQ_TAKEN };

struct ep_req {
    int state;
    unsigned client;
    uint32_t client_gen;
    struct ion_cmd *cmd;
    struct ep_msg msg;
};

struct endpoint {
    bool live;
    unsigned server;
    int disk; /* the block device the server mounted and holds alone, or -1 */
    uint32_t next_token;
    struct ep_req req[EP_QUEUE];
    struct os_event ev; /* a command was queued */
};

static struct endpoint eps[EP_MAX];
static uint32_t client_gen[FIBER_MAX]; /* bumped when a fiber ends: its taken commands go stale */

int endpoint_find(const char *name)
{
    if (!name || strncmp(name, "vfs", 3) != 0 || name[3] < '0' || name[3] > '9' || name[4])
        return -ENODEV;
    unsigned n = (unsigned)(name[3] - '0');
    return n < EP_MAX && eps[n].live ? (int)n : -ENODEV;
}

/* The caller's endpoint (it serves one at most), or NULL. */
static struct endpoint *served_by_caller(void)
{
    for (unsigned i = 0; i < EP_MAX; i++)
        if (eps[i].live && eps[i].server == fiber_self())
            return &eps[i];
    return NULL;
}

/* The caller's taken command named by `token`, or NULL. Interrupts disabled. */
static struct ep_req *taken(uint64_t token)
{
    struct endpoint *ep = served_by_caller();
    if (!ep || token >= ((uint64_t)EP_QUEUE << 16))
        return NULL;
    struct ep_req *r = &ep->req[token % EP_QUEUE];
    return r->state == REQ_TAKEN && r->msg.token == token ? r : NULL;
}

static bool client_alive(const struct ep_req *r)
{
    return client_gen[r->client] == r->client_gen && fiber_space_of(r->client) != NULL;
}

/* The right a VFS command needs (abi/ion.toml); 0 for a code the channel does not have. An open
 * for writing needs the write right too: the server checks that, with the rights it is told. */
static uint8_t vfs_rights(uint16_t op)
{
    switch (op) {
    case CMD_VFS_OPEN:
        return CMD_VFS_OPEN_RIGHTS;
    case CMD_VFS_CLOSE:
        return CMD_VFS_CLOSE_RIGHTS;
    case CMD_VFS_READ:
        return CMD_VFS_READ_RIGHTS;
    case CMD_VFS_WRITE:
        return CMD_VFS_WRITE_RIGHTS;
    case CMD_VFS_STAT:
        return CMD_VFS_STAT_RIGHTS;
    case CMD_VFS_READDIR:
        return CMD_VFS_READDIR_RIGHTS;
    case CMD_VFS_MKDIR:
        return CMD_VFS_MKDIR_RIGHTS;
    case CMD_VFS_UNLINK:
        return CMD_VFS_UNLINK_RIGHTS;
    case CMD_VFS_RENAME:
        return CMD_VFS_RENAME_RIGHTS;
    case CMD_VFS_FSYNC:
        return CMD_VFS_FSYNC_RIGHTS;
    case CMD_VFS_STATFS:
        return CMD_VFS_STATFS_RIGHTS;
    case CMD_VFS_SYNC:
        return CMD_VFS_SYNC_RIGHTS;
    case CMD_VFS_FSCK:
        return CMD_VFS_FSCK_RIGHTS;
    case CMD_VFS_UNMOUNT:
        return CMD_VFS_UNMOUNT_RIGHTS;
    }
    return 0;
}

int64_t endpoint_forward(struct proc *p, const struct ion_sqe *e, struct ion_cmd *cmd,
                         bool *taken_out)
{
    struct cap_view v;
    uint8_t need = vfs_rights(e->op);

    if (!need) {
        dispatch_counters.invalid++;
        return -ENOSYS;
    }
    int rc = cap_check(&p->cs, e->slot, CAP_VFS, need, &v);
    if (rc) {
        dispatch_counters.denied++;
        return rc;
    }
    if (v.object >= EP_MAX)
        return -ENODEV;
    unsigned long irq = cpu_irq_save();
    struct endpoint *ep = &eps[v.object];
    struct ep_req *r = NULL;
    for (unsigned i = 0; ep->live && i < EP_QUEUE && !r; i++)
        if (ep->req[i].state == REQ_FREE)
            r = &ep->req[i];
    if (!r) {
        cpu_irq_restore(irq);
        return ep->live ? -EAGAIN : -ENODEV;
    }
    unsigned id = fiber_self();
    r->state = REQ_QUEUED;
    r->client = id;
    r->client_gen = client_gen[id];
    r->cmd = cmd;
    ep->next_token = (ep->next_token + 1) & 0xffffu; /* a token is slot + EP_QUEUE * sequence */
    r->msg.token = (uint32_t)(r - ep->req) + EP_QUEUE * ep->next_token;
    r->msg.client = id;
    r->msg.rights = v.rights & (CAP_R | CAP_W);
    r->msg.op = e->op;
    memcpy(r->msg.arg, (const void *)e->arg, sizeof(r->msg.arg));
    os_event_signal(&ep->ev);
    cpu_irq_restore(irq);
    *taken_out = true;
    return 0;
}

int endpoint_disk_holder(unsigned dev)
{
    for (unsigned i = 0; i < EP_MAX; i++)
        if (eps[i].live && eps[i].disk == (int)dev)
            return (int)i;
    return -1;
}

bool endpoint_server_subject(int ep, const struct block_subject *s)
{
    struct proc *p = proc_of_subject(s);
    return ep >= 0 && (unsigned)ep < EP_MAX && p && p == proc_of_fiber(eps[ep].server);
}

long sys_ep_serve(const unsigned long a[6])
{
    struct proc *me = proc_self();
    struct cap_view v;
    int disk = -1;

    if (!me)
        return -EPERM;
    if (a[0]) { /* the disk it mounted, by its slot + 1: from now on it alone reaches it */
        if (cap_check(&me->cs, a[0] - 1, CAP_BLOCK, CAP_R, &v))
            return -EBADF;
        disk = (int)v.object;
    }
    unsigned long irq = cpu_irq_save();
    int n = served_by_caller() ? -EBUSY : -ENOSPC;
    if (disk >= 0 && endpoint_disk_holder((unsigned)disk) >= 0)
        n = -EBUSY;
    for (unsigned i = 0; n == -ENOSPC && i < EP_MAX; i++) {
        if (!eps[i].live) {
            memset(&eps[i], 0, sizeof(eps[i]));
            os_event_init(&eps[i].ev);
            eps[i].live = true;
            eps[i].server = fiber_self();
            eps[i].disk = disk;
            n = (int)i;
        }
    }
    if (n >= 0 && disk >= 0) /* every other capability to the disk goes, wherever it is */
        (void)cap_revoke_object(CAP_BLOCK, (uint32_t)disk, &me->cs, (unsigned)(a[0] - 1));
    cpu_irq_restore(irq);
    return n;
}

long sys_ep_recv(const unsigned long a[6])
{
    struct endpoint *ep = served_by_caller();

    if (!ep)
        return -EBADF;
    for (;;) {
        unsigned long irq = cpu_irq_save();
        for (unsigned i = 0; i < EP_QUEUE; i++) {
            struct ep_req *r = &ep->req[i];
            if (r->state != REQ_QUEUED)
                continue;
            struct ep_msg m = r->msg;
            r->state = REQ_TAKEN;
            cpu_irq_restore(irq);
            if (vm_copyout(fiber_space(), a[0], &m, sizeof(m)) == 0)
                return 0;
            irq = cpu_irq_save(); /* a bad buffer: the command goes back in the queue */
            if (r->state == REQ_TAKEN && r->msg.token == m.token)
                r->state = REQ_QUEUED;
            cpu_irq_restore(irq);
            return -EFAULT;
        }
        cpu_irq_restore(irq);
        if (fiber_killed())
            return -EINTR;
        (void)os_event_wait(&ep->ev, WAIT_ROUND);
    }
}

long sys_ep_copy(const unsigned long a[6])
{
    uint8_t chunk[COPY_CHUNK];
    bool to_client = a[1] != 0;
    uint64_t client_addr = a[2], own = a[3], len = a[4], done = 0;

    unsigned long irq = cpu_irq_save();
    struct ep_req *r = taken(a[0]);
    pte_t *client = r && client_alive(r) ? fiber_space_of(r->client) : NULL;
    cpu_irq_restore(irq);
    if (!r)
        return -EBADF;
    if (!client)
        return -ESRCH;
    if (len > COPY_MAX)
        return -E2BIG;
    /* The client's space stays while this call runs: nothing here sleeps, and a fiber is
     * destroyed only when it runs its own exit, which needs the CPU this call holds. */
    while (done < len) {
        size_t n = len - done < COPY_CHUNK ? (size_t)(len - done) : COPY_CHUNK;
        int rc = to_client ? vm_copyin(fiber_space(), chunk, own + done, n)
                           : vm_copyin(client, chunk, client_addr + done, n);
        if (rc == 0)
            rc = to_client ? vm_copyout(client, client_addr + done, chunk, n)
                           : vm_copyout(fiber_space(), own + done, chunk, n);
        if (rc)
            return -EFAULT;
        done += n;
    }
    return (long)done;
}

/* Ends one command: the client's completion, if the client is still the one that sent it.
 * Interrupts disabled. */
static void finish(struct ep_req *r, int64_t result)
{
    struct proc *c = client_alive(r) ? proc_of_fiber(r->client) : NULL;
    if (c && c->ch.open) {
        chan_complete(&c->ch, r->cmd->tag, result);
        chan_cmd_put(&c->ch, r->cmd);
    }
    r->state = REQ_FREE;
}

long sys_ep_reply(const unsigned long a[6])
{
    unsigned long irq = cpu_irq_save();
    struct ep_req *r = taken(a[0]);
    if (r)
        finish(r, (int64_t)a[1]);
    cpu_irq_restore(irq);
    return r ? 0 : -EBADF;
}

static void (*unmount_hook)(unsigned dev);

void dispatch_set_unmount_hook(void (*hook)(unsigned dev))
{
    unmount_hook = hook;
}

void endpoint_fiber_gone(unsigned id)
{
    int released[EP_MAX];
    unsigned n_released = 0;
    unsigned long irq = cpu_irq_save();
    client_gen[id]++; /* its taken commands are stale from now on */
    for (unsigned e = 0; e < EP_MAX; e++) {
        struct endpoint *ep = &eps[e];
        if (!ep->live)
            continue;
        if (ep->server == id) {
            for (unsigned i = 0; i < EP_QUEUE; i++)
                if (ep->req[i].state != REQ_FREE)
                    finish(&ep->req[i], -EIO);
            ep->live = false;
            (void)cap_revoke_object(CAP_VFS, e, NULL, 0);
            if (ep->disk >= 0)
                released[n_released++] = ep->disk;
            continue;
        }
        for (unsigned i = 0; i < EP_QUEUE; i++)
            if (ep->req[i].state == REQ_QUEUED && ep->req[i].client == id)
                ep->req[i].state = REQ_FREE; /* never seen by the server */
    }
    cpu_irq_restore(irq);
    for (unsigned i = 0; i < n_released && unmount_hook; i++)
        unmount_hook((unsigned)released[i]); /* the disk is free again */
}
