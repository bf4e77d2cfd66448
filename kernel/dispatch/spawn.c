/* Fibers starting fibers, and passing capabilities down: SYS_SPAWN starts an embedded program
 * as the caller's child with copies of the caller's capabilities (cap_copy: only with the grant
 * right, never with more rights), SYS_WAIT reaps a child, SYS_KILL ends one, SYS_CAP_GRANT gives
 * a child a copy later, SYS_CAP_REVOKE takes back every copy derived from a capability. Names,
 * argument vectors and capability lists come from the fiber: copied in and checked first. A
 * fiber's children it never waited for are detached when it ends (proc_exit). */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <abi/ion.h>
#include <kernel/cpu.h>
#include <kernel/fiber.h>
#include <kernel/kernel.h>
#include <kernel/programs.h>
#include <kernel/vm.h>

#include "dispatch_priv.h"

/* A NUL-terminated string of at most `max` bytes (NUL included) from the fiber. */
static int copy_string(char *dst, uint64_t src, size_t max)
{
    for (size_t i = 0; i < max; i++) {
        if (vm_copyin(fiber_space(), &dst[i], src + i, 1))
            return -EFAULT;
        if (dst[i] == '\0')
            return 0;
    }
    return -E2BIG;
}

/* Who spawned each fiber (0: the kernel), until the parent reaps it or ends. Apart from the
 * fiber's dispatch state, which goes when the fiber ends, before its parent has waited. */
static unsigned parent_of[FIBER_MAX];

/* True when fiber `id` is the caller's child (ended or not, not yet reaped). */
static bool is_child(uint64_t id)
{
    return fiber_self() && id > 0 && id < FIBER_MAX && parent_of[id] == fiber_self();
}

void spawn_orphan_children(unsigned parent)
{
    for (unsigned i = 1; i < FIBER_MAX; i++)
        if (parent_of[i] == parent) {
            parent_of[i] = 0;
            (void)fiber_detach(i); /* reaped as it ends (or now, if it has) */
        }
}

/* Starts the ELF image (elf, size: kernel memory) as the caller's child named `name`, with
 * the words at user argv[0..argc) and copies of the caller's capabilities listed at user caps
 * (ncaps, SPAWN_DETACH or'ed in). The child's id or -errno. */
static long spawn(const char *name, const uint8_t *elf, size_t size, uint64_t uargv, uint64_t argc,
                  uint64_t ucaps, uint64_t ncaps_flags)
{
    /* Static: nothing between the copies and the load sleeps, and a fiber in the kernel is not
     * preempted, so no other spawn can come in between. */
    static char names[SPAWN_ARGS_MAX][SPAWN_ARG_LEN];
    const char *argv[SPAWN_ARGS_MAX];
    struct spawn_cap caps[SPAWN_CAPS_MAX];
    struct proc *me = proc_self();
    uint64_t ncaps = ncaps_flags & ~(uint64_t)SPAWN_DETACH;
    bool detach = (ncaps_flags & SPAWN_DETACH) != 0;
    int rc = 0;

    if (!me)
        return -EPERM;
    if (argc == 0 || argc > SPAWN_ARGS_MAX || ncaps > SPAWN_CAPS_MAX)
        return -EINVAL;
    for (uint64_t i = 0; rc == 0 && i < argc; i++) {
        uint64_t p;
        rc = vm_copyin(fiber_space(), &p, uargv + i * sizeof(p), sizeof(p));
        if (rc == 0)
            rc = copy_string(names[i], p, SPAWN_ARG_LEN);
        argv[i] = names[i];
    }
    if (rc == 0 && ncaps)
        rc = vm_copyin(fiber_space(), caps, ucaps, ncaps * sizeof(caps[0]));
    if (rc)
        return rc;
    for (uint64_t i = 0; i < ncaps; i++) {
        struct cap_view v;
        if (cap_get(&me->cs, caps[i].slot, &v))
            return -EBADF;
        if (!(v.rights & CAP_G) || (caps[i].rights & ~v.rights) || caps[i].rights > 0xff)
            return -EPERM;
        if (v.kind == CAP_BLOCK && endpoint_disk_holder(v.object) >= 0)
            return -EBUSY; /* a mounted disk is its NexFS fiber's alone */
    }
    /* The child is ready but cannot run before this call returns: a fiber in the kernel is not
     * preempted, so its capabilities are in place before its first instruction. */
    int id = fiber_spawn_user(name, elf, size, (int)argc, argv);
    if (id < 0)
        return id;
    struct proc *child = proc_of_fiber((unsigned)id);
    parent_of[id] = fiber_self();
    for (uint64_t i = 0; i < ncaps; i++) {
        unsigned long irq = cpu_irq_save();
        rc = cap_copy(&me->cs, caps[i].slot, &child->cs, (uint8_t)caps[i].rights, 0);
        cpu_irq_restore(irq);
        if (rc < 0) {
            fiber_kill((unsigned)id);
            (void)fiber_wait((unsigned)id, NULL);
            parent_of[id] = 0;
            return rc;
        }
    }
    if (detach) {
        parent_of[id] = 0;
        (void)fiber_detach((unsigned)id);
    }
    return id;
}

long sys_spawn(const unsigned long a[6])
{
    static char name[SPAWN_ARG_LEN];
    int rc = copy_string(name, a[0], sizeof(name));
    if (rc)
        return rc;
    const struct user_image *u = program_find(name);
    if (!u)
        return -ENOENT;
    return spawn(u->name, u->start, (size_t)(u->end - u->start), a[1], a[2], a[3], a[4]);
}

/* SYS_SPAWN_IMAGE: as SYS_SPAWN, for an image in the caller's memory (a program read from a
 * file): copied into kernel pages, validated and loaded by the same loader, then freed. */
long sys_spawn_image(const unsigned long a[6])
{
    struct spawn_image img;
    if (vm_copyin(fiber_space(), &img, a[0], sizeof(img)))
        return -EFAULT;
    if (img.len == 0 || img.len > SPAWN_IMAGE_MAX)
        return -E2BIG;
    img.name[sizeof(img.name) - 1] = '\0';
    size_t pages = (size_t)((img.len + PAGE_SIZE - 1) / PAGE_SIZE);
    uint8_t *elf = page_alloc(pages);
    if (!elf)
        return -ENOMEM;
    long rc = vm_copyin(fiber_space(), elf, img.addr, (size_t)img.len);
    if (rc == 0)
        rc =
            spawn(img.name[0] ? img.name : "program", elf, (size_t)img.len, a[1], a[2], a[3], a[4]);
    page_free(elf, pages);
    return rc;
}

/* (id, timeout_ns): 0 waits for as long as it takes; otherwise -ETIMEDOUT once that long has
 * passed with the child still running (a shell watching for Ctrl-C meanwhile). The child's end
 * wakes the parent at once. */
long sys_wait(const unsigned long a[6])
{
    int status;

    if (!is_child(a[0]))
        return -ECHILD;
    uint64_t deadline = a[1] ? time_ns() + a[1] : 0;
    if (deadline < a[1])
        deadline = 0; /* past the clock's range: as good as no limit */
    int rc = fiber_wait_until((unsigned)a[0], deadline, &status);
    if (rc == -ETIMEDOUT || rc == -EINTR)
        return rc;
    parent_of[a[0]] = 0; /* reaped (or gone): the id may be reused */
    return rc ? rc : status;
}

/* A child; or, for the holder of the machine capability's grant right (the shell), any user
 * fiber (fiber_kill refuses the kernel's own). */
long sys_kill(const unsigned long a[6])
{
    if (is_child(a[0]))
        return fiber_kill((unsigned)a[0]);
    if (!dispatch_holds(CAP_MACHINE, 0, CAP_G))
        return -ECHILD;
    if (a[0] == 0 || a[0] >= FIBER_MAX || fiber_done((unsigned)a[0]))
        return -ESRCH;
    if (!proc_of_fiber((unsigned)a[0]) || !fiber_is_user((unsigned)a[0]))
        return -EPERM;
    return fiber_kill((unsigned)a[0]);
}

long sys_cap_grant(const unsigned long a[6])
{
    struct proc *me = proc_self();

    if (!me || !is_child(a[1]))
        return -ECHILD;
    if (fiber_done((unsigned)a[1]))
        return -ESRCH; /* ended: its capabilities are gone for good */
    struct cap_view v;
    if (a[0] < CSPACE_SLOTS && cap_get(&me->cs, (unsigned)a[0], &v) == 0 && v.kind == CAP_BLOCK &&
        endpoint_disk_holder(v.object) >= 0)
        return -EBUSY; /* a mounted disk is its NexFS fiber's alone */
    struct proc *c = proc_of_fiber((unsigned)a[1]);
    if (a[0] >= CSPACE_SLOTS || a[2] > 0xff)
        return a[0] >= CSPACE_SLOTS ? -EBADF : -EINVAL;
    unsigned long irq = cpu_irq_save();
    int rc = cap_copy(&me->cs, (unsigned)a[0], &c->cs, (uint8_t)a[2], 0);
    cpu_irq_restore(irq);
    return rc;
}

long sys_cap_revoke(const unsigned long a[6])
{
    struct proc *me = proc_self();

    if (!me || a[0] >= CSPACE_SLOTS)
        return -EBADF;
    unsigned long irq = cpu_irq_save();
    int rc = cap_revoke(&me->cs, (unsigned)a[0]);
    cpu_irq_restore(irq);
    return rc;
}
