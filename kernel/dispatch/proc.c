/* Each fiber's dispatch state: its CSpace and block subject, made on first use and returned when
 * the fiber ends (after the Valve has given back every buffer of its requests); the Valve's access
 * check (a fiber may act on a device only through a capability with the right); the capability
 * system calls; and the dispatch's start-up. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <abi/syscall.h>
#include <dispatch/dispatch.h>
#include <dispatch/ion_plugin.h>
#include <ion_gen/ion_cmds.h>
#include <kernel/cpu.h>
#include <kernel/fiber.h>
#include <kernel/init.h>
#include <kernel/kernel.h>
#include <kernel/syscall.h>
#include <kernel/vm.h>

#include "dispatch_priv.h"

#define SUBJECT_BASE 16u /* fiber n asks the Valve as subject SUBJECT_BASE + n */

_Static_assert(CAP_R == ION_RIGHT_R && CAP_W == ION_RIGHT_W && CAP_G == ION_RIGHT_G,
               "the ABI's rights are the CSpace's");
_Static_assert(CAP_NET == ION_CAP_NET, "the ABI's kind for an interface is the CSpace's");
_Static_assert(SUBJECT_BASE > BLOCK_SUBJECT_KERNEL, "subjects never collide");

static struct proc procs[FIBER_MAX];
struct dispatch_stats dispatch_counters;

static struct proc *proc_get(unsigned id)
{
    struct proc *p = &procs[id];

    if (!p->live) {
        memset(p, 0, sizeof(*p));
        cspace_init(&p->cs);
        p->subj.id = SUBJECT_BASE + id;
        os_event_init(&p->ch.ev);
        p->live = true;
    }
    return p;
}

struct proc *proc_self(void)
{
    unsigned id = fiber_self();
    return id && id < FIBER_MAX && fiber_space() ? proc_get(id) : NULL;
}

struct proc *proc_of_fiber(unsigned id)
{
    return id && id < FIBER_MAX ? proc_get(id) : NULL;
}

struct proc *proc_of_subject(const struct block_subject *s)
{
    if (!s || s->id < SUBJECT_BASE || s->id >= SUBJECT_BASE + FIBER_MAX)
        return NULL;
    struct proc *p = &procs[s->id - SUBJECT_BASE];
    return p->live && &p->subj == s ? p : NULL;
}

/* The kind and object `name` names, or -ENODEV. */
static int lookup(const char *name, enum cap_kind *kind)
{
    int object = block_find(name);

    *kind = CAP_BLOCK;
    if (object < 0) {
        object = ion_net_find(name);
        *kind = CAP_NET;
    }
    if (object < 0) {
        object = endpoint_find(name);
        *kind = CAP_VFS;
    }
    if (object < 0 && strcmp(name, "machine") == 0) {
        object = 0;
        *kind = CAP_MACHINE;
    }
    for (const struct ion_plugin_cap *c = ion_plugin_caps; object < 0 && c->kind; c++) {
        object = c->lookup(name);
        *kind = (enum cap_kind)c->cap_kind;
    }
    return object < 0 ? -ENODEV : object;
}

int dispatch_mounted(unsigned dev)
{
    return endpoint_disk_holder(dev);
}

int dispatch_lookup(const char *name)
{
    enum cap_kind kind;
    return lookup(name, &kind) < 0 ? -ENODEV : 0;
}

int dispatch_grant(unsigned fiber, const char *name, uint8_t rights)
{
    enum cap_kind kind;
    int object = lookup(name, &kind);

    if (fiber == 0 || fiber >= FIBER_MAX || fiber_done(fiber))
        return -ESRCH;
    if (object < 0)
        return -ENODEV;
    if (kind == CAP_BLOCK && endpoint_disk_holder((unsigned)object) >= 0)
        return -EBUSY; /* mounted by NexFS: nobody else gets it until it is unmounted */
    unsigned long irq = cpu_irq_save();
    int rc = cap_create(&proc_get(fiber)->cs, kind, (uint32_t)object, rights, 0);
    cpu_irq_restore(irq);
    return rc;
}

const struct block_subject *dispatch_subject(void)
{
    struct proc *p = proc_self();
    return p ? &p->subj : &block_kernel;
}

bool dispatch_holds(unsigned kind, uint32_t object, uint8_t need)
{
    struct proc *p = proc_self();
    struct cap_view v;

    if (!p)
        return true;
    for (unsigned slot = 0; slot < CSPACE_SLOTS; slot++)
        if (cap_get(&p->cs, slot, &v) == 0 && (unsigned)v.kind == kind && v.object == object &&
            (v.rights & need) == need)
            return true;
    return false;
}

unsigned dispatch_caps(unsigned fiber)
{
    return fiber < FIBER_MAX && procs[fiber].live ? cspace_count(&procs[fiber].cs) : 0;
}

void dispatch_stats(struct dispatch_stats *out)
{
    unsigned long irq = cpu_irq_save();
    *out = dispatch_counters;
    cpu_irq_restore(irq);
}

/* The Valve's one access check, for every entry point: the kernel (its shell, its services) may
 * do anything; a fiber only what a capability to that device in its CSpace allows. */
static int access_check(const struct block_subject *s, unsigned dev, enum block_access op,
                        void *arg)
{
    (void)arg;
    /* A disk a NexFS fiber mounted is its alone: nobody else moves data on it, the kernel's
     * shell included (it may still ask what the disk is). */
    int ep = endpoint_disk_holder(dev);
    bool data = op != BLOCK_ACCESS_INFO && op != BLOCK_ACCESS_STATS;
    if (ep >= 0 && data && !(s->id != BLOCK_SUBJECT_KERNEL && endpoint_server_subject(ep, s)))
        return -EPERM;
    if (s->id == BLOCK_SUBJECT_KERNEL)
        return 0;
    struct proc *p = proc_of_subject(s);
    uint8_t need = CAP_R;
    if (!p)
        return -EPERM;
    if (op == BLOCK_ACCESS_SETTINGS) /* they change the device for every user: the owner's */
        need = CAP_W | CAP_G;
    if (op == BLOCK_ACCESS_WRITE || op == BLOCK_ACCESS_FLUSH || op == BLOCK_ACCESS_DISCARD ||
        op == BLOCK_ACCESS_WRITE_ZEROES)
        need = CAP_W;
    for (unsigned slot = 0; slot < CSPACE_SLOTS; slot++) {
        struct cap_view v;
        if (cap_check(&p->cs, slot, CAP_BLOCK, need, &v) == 0 && v.object == dev)
            return 0;
    }
    return -EPERM;
}

/* The fiber ends: its requests are ended first (block_cancel returns once the devices gave back
 * every buffer), then its pinned windows, command memory and capabilities are returned. Its
 * ring pages belong to its space, which fiber_exit destroys after this. */
static void proc_exit(unsigned id)
{
    struct proc *p = id < FIBER_MAX ? &procs[id] : NULL;

    ion_net_exit(id); /* its ports, before anything else can bind them */
    if (id < FIBER_MAX)
        endpoint_fiber_gone(id); /* as a client and as a server */
    if (id < FIBER_MAX)
        spawn_orphan_children(id);
    if (!p || !p->live)
        return;
    (void)block_cancel(&p->subj);
    unsigned long irq = cpu_irq_save();
    struct ion_chan *ch = &p->ch;
    if (ch->open) {
        for (uint32_t i = 0; i < ch->sq.mask + 1; i++) {
            struct ion_cmd *c = &ch->cmds[i];
            if (c->busy) {
                c->busy = false;
                dispatch_counters.inflight--;
            }
            if (c->kva)
                vm_unpin(c->kva, c->len);
            c->kva = 0;
        }
        page_free(ch->cmds, ch->cmd_pages);
        ch->open = false;
    }
    cspace_clear(&p->cs);
    p->live = false;
    cpu_irq_restore(irq);
}

static long sys_cap_info(const unsigned long a[6])
{
    struct proc *p = proc_self();
    struct cap_view v;
    struct cap_info out;

    if (!p || a[0] >= CSPACE_SLOTS || cap_get(&p->cs, (unsigned)a[0], &v))
        return -EBADF;
    memset(&out, 0, sizeof(out));
    out.kind = v.kind == CAP_BLOCK ? ION_CAP_BLOCK : (uint32_t)v.kind;
    out.object = v.object;
    out.rights = v.rights;
    out.badge = v.badge;
    struct block_info info;
    if (v.kind == CAP_BLOCK && block_info(&p->subj, v.object, &info) == 0)
        memcpy(out.name, info.name, sizeof(out.name));
    if (v.kind == CAP_NET)
        snprintf(out.name, sizeof(out.name), "net%u", (unsigned)v.object);
    if (v.kind == CAP_VFS)
        snprintf(out.name, sizeof(out.name), "vfs%u", (unsigned)v.object);
    if (v.kind == CAP_MACHINE)
        snprintf(out.name, sizeof(out.name), "machine");
    for (const struct ion_plugin_cap *c = ion_plugin_caps; c->kind; c++)
        if (c->cap_kind == (uint32_t)v.kind)
            snprintf(out.name, sizeof(out.name), "%s%u", c->kind, (unsigned)v.object);
    return vm_copyout(fiber_space(), a[1], &out, sizeof(out));
}

static long sys_cap_drop(const unsigned long a[6])
{
    struct proc *p = proc_self();

    if (!p || a[0] >= CSPACE_SLOTS)
        return -EBADF;
    unsigned long irq = cpu_irq_save();
    int rc = cap_drop(&p->cs, (unsigned)a[0]);
    cpu_irq_restore(irq);
    return rc;
}

/* SYS_CAP_MINT (name, rights, int *holder): for the holder of the machine capability's grant
 * right (the shell), an original capability to the object `name` names; rights 0 only asks
 * whether one could be made. A disk NexFS mounted answers -EBUSY with its endpoint's number at
 * holder. */
static long sys_cap_mint(const unsigned long a[6])
{
    char name[16];
    enum cap_kind kind;

    if (!dispatch_holds(CAP_MACHINE, 0, CAP_G))
        return -EPERM;
    if (a[1] > (CAP_R | CAP_W | CAP_G))
        return -EINVAL;
    size_t n = 0;
    for (; n < sizeof(name); n++) {
        if (vm_copyin(fiber_space(), &name[n], a[0] + n, 1))
            return -EFAULT;
        if (name[n] == '\0')
            break;
    }
    if (n == sizeof(name))
        return -ENAMETOOLONG;
    int object = lookup(name, &kind);
    if (object < 0)
        return -ENODEV;
    int holder = kind == CAP_BLOCK ? endpoint_disk_holder((unsigned)object) : -1;
    if (holder >= 0) {
        int32_t h = holder;
        return a[2] && vm_copyout(fiber_space(), a[2], &h, sizeof(h)) ? -EFAULT : -EBUSY;
    }
    return a[1] ? dispatch_grant(fiber_self(), name, (uint8_t)a[1]) : 0;
}

long chan_setup(const unsigned long a[6]);
long chan_enter(const unsigned long a[6]);

/* The system calls this layer serves: SYS_ION_ENTER, the hot one, runs with interrupts off. */
static const struct {
    unsigned nr;
    syscall_fn fn;
    unsigned flags;
} calls[] = {
    {SYS_ION_SETUP, chan_setup, 0},
    {SYS_ION_ENTER, chan_enter, SYSCALL_IRQ_OFF},
    {SYS_CAP_INFO, sys_cap_info, 0},
    {SYS_CAP_DROP, sys_cap_drop, 0},
    {SYS_CAP_MINT, sys_cap_mint, 0},
    {SYS_SPAWN, sys_spawn, 0},
    {SYS_SPAWN_IMAGE, sys_spawn_image, 0},
    {SYS_WAIT, sys_wait, 0},
    {SYS_KILL, sys_kill, 0},
    {SYS_CAP_GRANT, sys_cap_grant, 0},
    {SYS_CAP_REVOKE, sys_cap_revoke, 0},
    {SYS_EP_SERVE, sys_ep_serve, 0},
    {SYS_EP_RECV, sys_ep_recv, 0},
    {SYS_EP_COPY, sys_ep_copy, 0},
    {SYS_EP_REPLY, sys_ep_reply, 0},
};

static int dispatch_init(void)
{
    int rc = 0;

    block_set_access_hook(access_check, NULL);
    fiber_set_exit_hook(proc_exit);
    for (unsigned i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
        rc |= syscall_register(calls[i].nr, calls[i].fn, calls[i].flags);
    return rc ? -EINVAL : 0;
}
KERNEL_INIT(INIT_SERVICES, dispatch_init);
