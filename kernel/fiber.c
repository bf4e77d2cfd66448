/* The fiber table and the scheduler: creating kernel and user fibers, switching between them
 * (round robin), sleeping on a channel with an optional deadline, waking, killing and reaping.
 * Every table change happens with interrupts off: there is one hart, so that is the lock. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <kernel/cpu.h>
#include <kernel/fiber.h>
#include <kernel/kernel.h>
#include <kernel/trap.h>
#include <kernel/vm.h>

#include "fiber_priv.h"

#define KSTACK_KERNEL 12u /* a kernel fiber's stack: 48 KiB, the shell's commands run on it */
#define KSTACK_USER   4u  /* a user fiber's kernel stack: 16 KiB for its traps */
#define STACK_FILL    0x5a5a5a5a5a5a5a5aull /* untouched stack words read this */

extern char __stack_bottom[], __stack_top[];

uintptr_t fiber_kstack_lo = (uintptr_t)__stack_bottom;
uintptr_t fiber_kstack_hi = (uintptr_t)__stack_top;

static struct fiber fibers[FIBER_MAX];
static struct fiber *current; /* NULL until fiber_init */
static unsigned next_pick = 1;
static void (*exit_hook)(unsigned id);

/* Some fiber may be READY: set with every fiber made ready, cleared by a scan that found none
 * (interrupts disabled), so the checks on every return to user mode and every block are one
 * load while nothing else wants the CPU. */
static bool ready_hint;

static void make_ready(struct fiber *f)
{
    f->state = FIBER_READY;
    ready_hint = true;
}

void fiber_switch(struct fiber_ctx *from, struct fiber_ctx *to);

struct fiber *fiber_current(void)
{
    return current;
}

static struct fiber *idle(void)
{
    return &fibers[0];
}

void fiber_init(void)
{
    struct fiber *f = idle();

    memset(fibers, 0, sizeof(fibers));
    f->id = 0;
    strcpy(f->name, "idle");
    f->state = FIBER_RUNNING;
    f->kstack_lo = (uintptr_t)__stack_bottom;
    /* cppcheck-suppress comparePointers ; the two ends of the linker's boot stack */
    f->kstack_pages = (unsigned)((__stack_top - __stack_bottom) / VM_PAGE);
    current = f;
}

static struct fiber *slot_alloc(const char *name, unsigned kstack_pages)
{
    for (unsigned i = 1; i < FIBER_MAX; i++) {
        struct fiber *f = &fibers[i];
        if (f->state != FIBER_FREE)
            continue;
        memset(f, 0, sizeof(*f));
        f->id = i;
        strncpy(f->name, name ? name : "?", FIBER_NAME_LEN - 1);
        f->kstack_pages = kstack_pages;
        f->kstack_lo = vm_kstack_alloc(kstack_pages);
        if (!f->kstack_lo)
            return NULL;
        uint64_t *w = (uint64_t *)f->kstack_lo;
        for (size_t k = 0; k < kstack_pages * VM_PAGE / 8; k++)
            w[k] = STACK_FILL;
        return f;
    }
    return NULL;
}

static uintptr_t kstack_top(const struct fiber *f)
{
    return f->kstack_lo + (uintptr_t)f->kstack_pages * VM_PAGE;
}

/* Where a kernel fiber starts (from fiber_switch, interrupts off). */
static void kernel_entry(void)
{
    struct fiber *f = current;
    cpu_irq_enable();
    f->fn(f->arg);
    fiber_exit(0);
}

int fiber_spawn_kernel(const char *name, void (*fn)(void *), void *arg)
{
    unsigned long irq = cpu_irq_save();
    struct fiber *f = slot_alloc(name, KSTACK_KERNEL);
    int id = -EAGAIN;

    if (f) {
        f->fn = fn;
        f->arg = arg;
        f->ctx.ra = (uint64_t)(uintptr_t)kernel_entry;
        f->ctx.sp = kstack_top(f);
        make_ready(f);
        id = (int)f->id;
    }
    cpu_irq_restore(irq);
    return id;
}

int fiber_spawn_user(const char *name, const void *elf, size_t size, int argc,
                     const char *const argv[])
{
    unsigned long irq = cpu_irq_save();
    struct fiber *f = slot_alloc(name, KSTACK_USER);
    cpu_irq_restore(irq);
    if (!f)
        return -EAGAIN;

    struct trap_frame *tf = (struct trap_frame *)(kstack_top(f) - TRAP_FRAME_SIZE);
    memset(tf, 0, sizeof(*tf));
    f->user = true;
    f->space = vm_space_create();
    int rc = f->space ? user_load(f, elf, size, argc, argv, tf) : -ENOMEM;
    if (rc) {
        if (f->space)
            vm_space_destroy(f->space);
        vm_kstack_free(f->kstack_lo, f->kstack_pages);
        f->state = FIBER_FREE;
        return rc;
    }
    /* U-mode, interrupts on there, no FPU (the user ABI is soft-float: an FP instruction is an
     * illegal instruction). */
    tf->sstatus = SSTATUS_SPIE;
    f->ctx.ra = (uint64_t)(uintptr_t)trap_return;
    f->ctx.sp = (uint64_t)(uintptr_t)tf;
    irq = cpu_irq_save();
    make_ready(f);
    cpu_irq_restore(irq);
    return (int)f->id;
}

/* Runs `f` until it gives the CPU back (interrupts off, from the idle fiber). */
static void run(struct fiber *f)
{
    uint64_t t0 = time_ns();

    f->state = FIBER_RUNNING;
    idle()->state = FIBER_READY;
    current = f;
    fiber_kstack_lo = f->kstack_lo;
    fiber_kstack_hi = kstack_top(f);
    /* Kernel fibers (the idle one too) run in whatever space is active: every space holds the
     * kernel's map, and U pages are out of the kernel's reach. So a user fiber that sleeps on a
     * completion and wakes again costs no satp write and no TLB flush (an ending fiber leaves
     * its space itself, in fiber_exit). */
    if (f->space)
        vm_activate(f->space);
    fiber_switch(&idle()->ctx, &f->ctx);
    fiber_kstack_lo = idle()->kstack_lo;
    fiber_kstack_hi = kstack_top(idle());
    current = idle();
    idle()->state = FIBER_RUNNING;
    f->cpu_ns += time_ns() - t0;
    if (f->state == FIBER_ZOMBIE && f->kstack_lo) {
        /* It ran on that stack until the switch: only now can it go. */
        vm_kstack_free(f->kstack_lo, f->kstack_pages);
        f->kstack_lo = 0;
    }
    if (f->state == FIBER_ZOMBIE && f->detached) {
        printf("fiber %u (%s) ended: status %d\n", f->id, f->name, f->exit_status);
        f->state = FIBER_FREE; /* nobody waits for it */
    }
}

static struct fiber *pick(void)
{
    for (unsigned n = 1; n < FIBER_MAX; n++) {
        unsigned i = next_pick;
        next_pick = next_pick + 1 < FIBER_MAX ? next_pick + 1 : 1;
        if (fibers[i].state == FIBER_READY)
            return &fibers[i];
    }
    return NULL;
}

void fiber_idle_loop(void)
{
    (void)cpu_irq_save();
    for (;;) {
        struct fiber *f = pick();
        if (f)
            run(f);
        else
            cpu_wait(); /* an interrupt makes someone ready, or the tick checks deadlines */
    }
}

/* The calling fiber gives the CPU to the idle fiber; back when it is picked again. */
static void give_up(void)
{
    struct fiber *f = current;
    fiber_switch(&f->ctx, &idle()->ctx);
}

void fiber_yield(void)
{
    unsigned long irq = cpu_irq_save();

    if (current && current != idle()) {
        make_ready(current);
        give_up();
    }
    cpu_irq_restore(irq);
}

void fiber_sleep(const void *chan, uint64_t deadline_ns)
{
    unsigned long irq = cpu_irq_save();

    if (!current || current == idle() || current->killed) {
        if (!current || current == idle())
            cpu_wait();
        cpu_irq_restore(irq);
        return;
    }
    current->chan = chan;
    current->deadline = deadline_ns;
    current->state = FIBER_BLOCKED;
    give_up();
    current->chan = NULL;
    current->deadline = 0;
    cpu_irq_restore(irq);
}

/* True when a fiber other than the running one could run now. */
static bool others_ready(void)
{
    if (!ready_hint)
        return false;
    unsigned long irq = cpu_irq_save(); /* no fiber made ready between the scan and the clear */
    bool others = false, any = false;
    for (unsigned i = 1; i < FIBER_MAX && !others; i++) {
        if (fibers[i].state != FIBER_READY)
            continue;
        any = true; /* the caller itself counts: a yield leaves it ready */
        others = &fibers[i] != current;
    }
    ready_hint = any;
    cpu_irq_restore(irq);
    return others;
}

void fiber_block(const void *chan, uint64_t deadline_ns)
{
    if (current && current != idle() && !current->killed && !others_ready()) {
        cpu_wait(); /* nobody else to run: no switch to the idle fiber and back */
        return;
    }
    fiber_sleep(chan, deadline_ns);
}

void fiber_wakeup(const void *chan)
{
    unsigned long irq = cpu_irq_save();

    for (unsigned i = 1; i < FIBER_MAX; i++)
        if (fibers[i].state == FIBER_BLOCKED && fibers[i].chan == chan)
            make_ready(&fibers[i]);
    cpu_irq_restore(irq);
}

bool fiber_preempt_wanted(void)
{
    if (!current || !current->user)
        return false; /* kernel fibers give the CPU up themselves */
    return others_ready();
}

bool fiber_tick(void)
{
    uint64_t now = time_ns();

    for (unsigned i = 1; i < FIBER_MAX; i++) {
        struct fiber *f = &fibers[i];
        if (f->state == FIBER_BLOCKED && f->deadline && (int64_t)(now - f->deadline) >= 0)
            make_ready(f);
    }
    return fiber_preempt_wanted();
}

int fiber_detach(unsigned id)
{
    unsigned long irq = cpu_irq_save();
    struct fiber *f = id && id < FIBER_MAX && fibers[id].state != FIBER_FREE ? &fibers[id] : NULL;

    if (f && f->state == FIBER_ZOMBIE) {
        printf("fiber %u (%s) ended: status %d\n", f->id, f->name, f->exit_status);
        f->state = FIBER_FREE;
    } else if (f) {
        f->detached = true;
    }
    cpu_irq_restore(irq);
    return f ? 0 : -ESRCH;
}

void fiber_set_exit_hook(void (*hook)(unsigned id))
{
    exit_hook = hook;
}

void fiber_exit(int status)
{
    struct fiber *f = current;

    if (exit_hook) {
        f->killed = false; /* it is ending already: let the hook sleep rather than spin */
        cpu_irq_enable();
        exit_hook(f->id);
    }
    (void)cpu_irq_save();
    if (f->space) {
        vm_activate(NULL);
        vm_space_destroy(f->space);
        f->space = NULL;
    }
    f->exit_status = status;
    f->state = FIBER_ZOMBIE;
    for (unsigned i = 0; i < FIBER_MAX; i++)
        if (fibers[i].state == FIBER_BLOCKED && fibers[i].chan == f)
            make_ready(&fibers[i]);
    give_up();
    panic("fiber %u ran after its exit", f->id);
}

static struct fiber *lookup(unsigned id)
{
    if (id == 0 || id >= FIBER_MAX || fibers[id].state == FIBER_FREE)
        return NULL;
    return &fibers[id];
}

bool fiber_done(unsigned id)
{
    const struct fiber *f = lookup(id);
    return !f || f->state == FIBER_ZOMBIE;
}

bool fiber_is_user(unsigned id)
{
    const struct fiber *f = lookup(id);
    return f && f->space;
}

int fiber_wait_until(unsigned id, uint64_t deadline_ns, int *status)
{
    unsigned long irq = cpu_irq_save();
    struct fiber *f = lookup(id);
    int rc = -ESRCH;

    if (f && f != current && !f->detached) {
        rc = 0;
        /* Its exit wakes us (fiber_exit wakes what sleeps on it): no polling meanwhile. */
        while (f->state != FIBER_ZOMBIE && rc == 0) {
            if (deadline_ns && ((int64_t)(time_ns() - deadline_ns) >= 0 || current->poked)) {
                current->poked = false; /* a poke given between two waits ends the next one */
                rc = -ETIMEDOUT;
            } else if (deadline_ns && current->killed)
                rc = -EINTR;
            else {
                current->in_timed_wait = deadline_ns != 0;
                fiber_sleep(f, deadline_ns);
                current->in_timed_wait = false;
            }
        }
        if (rc == 0) {
            if (status)
                *status = f->exit_status;
            f->state = FIBER_FREE;
        }
    }
    cpu_irq_restore(irq);
    return rc;
}

void fiber_poke_waits(void)
{
    unsigned long irq = cpu_irq_save();

    for (unsigned i = 1; i < FIBER_MAX; i++) {
        if (fibers[i].state == FIBER_FREE || fibers[i].state == FIBER_ZOMBIE)
            continue;
        fibers[i].poked = true; /* kept: a fiber between two waits sees it in the next */
        if (fibers[i].state == FIBER_BLOCKED && fibers[i].in_timed_wait)
            make_ready(&fibers[i]);
    }
    cpu_irq_restore(irq);
}

int fiber_wait(unsigned id, int *status)
{
    return fiber_wait_until(id, 0, status);
}

int fiber_kill(unsigned id)
{
    unsigned long irq = cpu_irq_save();
    struct fiber *f = lookup(id);
    int rc = -ESRCH;

    if (f && f == current)
        rc = -EPERM;
    else if (f) {
        f->killed = true;
        if (f->state == FIBER_BLOCKED)
            make_ready(f); /* it ends where it wakes */
        rc = 0;
    }
    cpu_irq_restore(irq);
    return rc;
}

unsigned fiber_self(void)
{
    return current ? current->id : 0;
}

pte_t *fiber_space(void)
{
    return current ? current->space : NULL;
}

pte_t *fiber_space_of(unsigned id)
{
    const struct fiber *f = lookup(id);
    return f && f->state != FIBER_ZOMBIE ? f->space : NULL;
}

bool fiber_killed(void)
{
    return current && current->killed;
}

/* Bytes of a stack ever used: from its lowest word that no longer holds the fill pattern. */
static size_t high_water(uintptr_t lo, size_t size)
{
    const uint64_t *w = (const uint64_t *)lo;
    size_t n = size / 8, i = 0;

    while (i < n && w[i] == STACK_FILL)
        i++;
    return (n - i) * 8;
}

unsigned fiber_list(struct fiber_info *out, unsigned max)
{
    unsigned n = 0;
    unsigned long irq = cpu_irq_save();

    for (unsigned i = 0; i < FIBER_MAX && n < max; i++) {
        const struct fiber *f = &fibers[i];
        if (f->state == FIBER_FREE && i != 0)
            continue;
        struct fiber_info *o = &out[n++];
        memset(o, 0, sizeof(*o));
        o->id = f->id;
        memcpy(o->name, f->name, sizeof(o->name));
        o->user = f->user;
        o->state = f->state;
        o->cpu_ns = f->cpu_ns;
        o->kstack_size = (size_t)f->kstack_pages * VM_PAGE;
        if (f->kstack_lo && i != 0)
            o->kstack_used = high_water(f->kstack_lo, o->kstack_size);
        if (f->user && f->space) {
            o->ustack_size = f->ustack_size;
            o->ustack_used = user_stack_used(f);
        }
    }
    cpu_irq_restore(irq);
    return n;
}

const char *fiber_state_name(enum fiber_state s)
{
    switch (s) {
    case FIBER_FREE:
        return "free";
    case FIBER_READY:
        return "ready";
    case FIBER_RUNNING:
        return "running";
    case FIBER_BLOCKED:
        return "blocked";
    case FIBER_ZOMBIE:
        return "ended";
    }
    return "?";
}
