/* Each fiber's dispatch state: its CSpace and block subject, made on first use and returned when
 * the fiber ends (after the Valve has given back every buffer of its requests); the Valve's access
 * check (a fiber may act on a device only through a capability with the right); the capability
 * system calls; and the dispatch's start-up. */
#include <errno.h>
#include <string.h>

#include <abi/syscall.h>
#include <dispatch/dispatch.h>
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

struct proc *proc_of_subject(const struct block_subject *s)
{
    if (!s || s->id < SUBJECT_BASE || s->id >= SUBJECT_BASE + FIBER_MAX)
        return NULL;
    struct proc *p = &procs[s->id - SUBJECT_BASE];
    return p->live && &p->subj == s ? p : NULL;
}

int dispatch_grant_block(unsigned fiber, const char *dev, uint8_t rights)
{
    int h = block_find(dev);

    if (fiber == 0 || fiber >= FIBER_MAX || fiber_done(fiber))
        return -ESRCH;
    if (h < 0)
        return h;
    unsigned long irq = cpu_irq_save();
    int rc = cap_create(&proc_get(fiber)->cs, CAP_BLOCK, (uint32_t)h, rights, 0);
    cpu_irq_restore(irq);
    return rc;
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
    if (s->id == BLOCK_SUBJECT_KERNEL)
        return 0;
    struct proc *p = proc_of_subject(s);
    uint8_t need = CAP_R;
    if (!p || op == BLOCK_ACCESS_SETTINGS)
        return -EPERM;
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
    out.kind = v.kind == CAP_BLOCK ? ION_CAP_BLOCK : 0;
    out.object = v.object;
    out.rights = v.rights;
    out.badge = v.badge;
    struct block_info info;
    if (v.kind == CAP_BLOCK && block_info(&p->subj, v.object, &info) == 0)
        memcpy(out.name, info.name, sizeof(out.name));
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

long chan_setup(const unsigned long a[6]);
long chan_enter(const unsigned long a[6]);

static int dispatch_init(void)
{
    int rc = 0;

    block_set_access_hook(access_check, NULL);
    fiber_set_exit_hook(proc_exit);
    rc |= syscall_register(SYS_ION_SETUP, chan_setup);
    rc |= syscall_register(SYS_ION_ENTER, chan_enter);
    rc |= syscall_register(SYS_CAP_INFO, sys_cap_info);
    rc |= syscall_register(SYS_CAP_DROP, sys_cap_drop);
    return rc ? -EINVAL : 0;
}
KERNEL_INIT(INIT_SERVICES, dispatch_init);
